//! AlexNet (Krizhevsky, Sutskever & Hinton 2012, "ImageNet Classification with Deep
//! Convolutional Neural Networks").
//!
//! [`alexnet`] is torchvision's network: the single-GPU "one weird trick" widths
//! (64-192-384-256-256), no local response normalisation. [`AlexNetConfig::paper`] is the
//! network of the paper: widths 96-256-384-384-256, conv2/4/5 split in two groups (the two
//! GPUs), LRN (size 5, α 1e-4, β 0.75, k 2) after the first two ReLUs; it has 60,965,224
//! parameters, as Caffe's `bvlc_alexnet`. Fields are torchvision's `nn.Sequential`s, so its
//! checkpoints load with no key map.
//!
//! ```
//! use burn::tensor::{Device, Tensor};
//! let device = Device::default();
//! let model = zoo_alexnet::alexnet(10, &device); // torchvision's AlexNet, a 10-class head
//! let logits = model.forward(Tensor::zeros([1, 3, 224, 224], &device));
//! assert_eq!(logits.dims(), [1, 10]);
//! ```

#![warn(missing_docs)]

use burn::nn::{LocalResponseNormConfig, Relu};
use burn::tensor::Device;
use zoo_blocks::{ConvInit, ConvSpec, HeadLayer, Layer, linear};
pub use zoo_model::SequentialNet;
use zoo_model::VariantSpec;

/// The shape of an AlexNet.
#[derive(Clone, Debug)]
pub struct AlexNetConfig {
    /// The variant's name, used in messages and by the catalogue.
    pub name: String,
    /// Output channels of the five convolutions.
    pub widths: [usize; 5],
    /// Groups of each convolution (the paper's two-GPU split: `[1, 2, 1, 2, 2]`).
    pub groups: [usize; 5],
    /// Local response normalisation after the first two ReLUs, as the paper.
    pub lrn: bool,
    /// Dropout probability before each of the first two classifier layers.
    pub dropout: f64,
    /// Number of output logits.
    pub num_classes: usize,
}

impl AlexNetConfig {
    /// torchvision's `alexnet`.
    pub fn torchvision(num_classes: usize) -> Self {
        Self {
            name: "alexnet".into(),
            widths: [64, 192, 384, 256, 256],
            groups: [1; 5],
            lrn: false,
            dropout: 0.5,
            num_classes,
        }
    }

    /// The network of the paper (two-GPU grouping and LRN); not a torchvision model, so no
    /// published checkpoint fits it.
    pub fn paper(num_classes: usize) -> Self {
        Self {
            name: "alexnet_paper".into(),
            widths: [96, 256, 384, 384, 256],
            groups: [1, 2, 1, 2, 2],
            lrn: true,
            ..Self::torchvision(num_classes)
        }
    }

    /// Builds the network: `[n, 3, 224, 224]` normalised images → logits.
    pub fn init(&self, device: &Device) -> AlexNet {
        // (kernel, stride, padding, max-pool after)
        let shape = [
            (11, 4, 2, true),
            (5, 1, 2, true),
            (3, 1, 1, false),
            (3, 1, 1, false),
            (3, 1, 1, true),
        ];
        let mut features = Vec::new();
        let mut c_in = 3;
        for (i, (kernel, stride, padding, pool)) in shape.into_iter().enumerate() {
            let conv = ConvSpec::new(c_in, self.widths[i], kernel)
                .stride(stride)
                .padding(padding)
                .groups(self.groups[i])
                .bias(true)
                .init(ConvInit::Default);
            features.push(Layer::Conv(conv.build(device)));
            features.push(Layer::Relu(Relu::new()));
            if self.lrn && i < 2 {
                let lrn = LocalResponseNormConfig::new(5).with_k(2.0).init();
                features.push(Layer::LocalResponseNorm(lrn));
            }
            if pool {
                features.push(Layer::max_pool(3, 2, 0));
            }
            c_in = self.widths[i];
        }
        let flat = c_in * 6 * 6;
        let classifier = vec![
            HeadLayer::dropout(self.dropout),
            HeadLayer::Linear(linear(flat, 4096, device)),
            HeadLayer::Relu(Relu::new()),
            HeadLayer::dropout(self.dropout),
            HeadLayer::Linear(linear(4096, 4096, device)),
            HeadLayer::Relu(Relu::new()),
            HeadLayer::Linear(linear(4096, self.num_classes, device)),
        ];
        SequentialNet::new(&self.name, features, [6, 6], classifier)
    }
}

/// AlexNet is a [`SequentialNet`] built by [`AlexNetConfig`].
pub type AlexNet = SequentialNet;

/// torchvision's AlexNet (61,100,840 parameters at 1,000 classes).
pub fn alexnet(num_classes: usize, device: &Device) -> AlexNet {
    AlexNetConfig::torchvision(num_classes).init(device)
}

/// Every variant of this crate, each stated once (see [`VariantSpec`]).
#[rustfmt::skip]
pub static VARIANTS: &[VariantSpec] = &[
    VariantSpec::torchvision("alexnet", "alexnet", |n, d| Box::new(alexnet(n, d)), 61_100_840),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paper_variant_has_the_papers_parameter_count() {
        let device = Device::default();
        let model = AlexNetConfig::paper(1000).init(&device);
        assert_eq!(zoo_weights::parameter_count(&model), 60_965_224);
        let y = model.forward(burn::tensor::Tensor::zeros([1, 3, 227, 227], &device));
        assert_eq!(y.dims(), [1, 1000]);
    }
}

#[cfg(test)]
mod table {
    /// Every row builds with its stated parameter count, and the model API holds.
    #[test]
    fn every_variant_is_what_its_row_says() {
        zoo_model::testing::check_table(super::VARIANTS, "alexnet");
    }
}
