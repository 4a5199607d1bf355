//! Network in Network (Lin, Chen and Yan 2013, "Network In Network"): each "mlpconv" block is
//! a k×k convolution followed by two 1×1 convolutions, a small multilayer perceptron slid over
//! the image; there is no fully connected layer. The last block's 1×1 convolution gives one map
//! per class, and a global average of each map is the class's score (the paper's "global
//! average pooling", which this zoo's SqueezeNet inherited).
//!
//! `nin_cifar10` is the paper's CIFAR-10 network as its Caffe model zoo definition and the
//! PyTorch port of jiecaoyu/pytorch-nin-cifar10 give it: mlpconv blocks of 192-160-96,
//! 192-192-192 and 192-192-10 maps with 5×5, 5×5 and 3×3 kernels, a 3×3/2 max-pool then a
//! 3×3/2 average pool (padding 1, counted in the average) and dropout 0.5 after each. Weights
//! are He-initialised (`kaiming_normal_`, fan-in) with zero biases: the Caffe model's N(0,
//! 0.05²) needs its per-layer learning rates, and under one SGD rate its class maps all fall
//! below zero within an epoch, where their ReLU passes no gradient (measured on Fashion-MNIST:
//! the loss stays at ln 10). `nin_fashion` is the same network for 28×28 grey images at a
//! third of the width (the paper narrows its MNIST network without listing the widths), for
//! Fashion-MNIST, which the README's experiment trains it on.
//!
//! ```
//! use burn::tensor::{Device, Tensor};
//! use zoo_model::Classifier;
//! let device = Device::default();
//! let model = zoo_nin::nin_cifar10(10, &device);
//! let x = Tensor::zeros([1, 3, 32, 32], &device);
//! assert_eq!(model.forward_features(x.clone()).dims(), [1, 192, 8, 8]);
//! assert_eq!(model.forward(x).dims(), [1, 10]);
//! ```

#![warn(missing_docs)]

use burn::module::Module;
use burn::nn::Relu;
use burn::nn::conv::Conv2d;
use burn::tensor::{Device, Tensor};
use zoo_blocks::norm::Fuse;
use zoo_blocks::{ConvInit, ConvSpec, Layer, conv_fused, global_avg_pool, sequential};
use zoo_model::{
    Classifier, FeatureInfo, Head, HeadMut, InputSpec, Labels, Reference, Stages, VariantSpec,
};
use zoo_weights::{KeyMap, ZooModel};

/// The widths and kernels of the three mlpconv blocks; the last block's third convolution is
/// the classifier (one map per class).
#[derive(Clone, Debug)]
pub struct NinConfig {
    /// The variant's name.
    pub name: String,
    /// Input channels (3 for CIFAR-10, 1 for Fashion-MNIST).
    pub in_channels: usize,
    /// Maps of the k×k convolution and the two 1×1 convolutions of blocks 1 and 2, and of the
    /// k×k and first 1×1 convolution of block 3.
    pub widths: [[usize; 3]; 3],
    /// The k×k convolution's kernel side in each block (padding keeps the side).
    pub kernels: [usize; 3],
    /// Dropout after the first two blocks' pooling.
    pub dropout: f64,
    /// Number of classes: the maps of the last 1×1 convolution.
    pub num_classes: usize,
}

impl NinConfig {
    /// The paper's CIFAR-10 network.
    pub fn cifar10(num_classes: usize) -> Self {
        Self {
            name: "nin_cifar10".into(),
            in_channels: 3,
            widths: [[192, 160, 96], [192, 192, 192], [192, 192, 0]],
            kernels: [5, 5, 3],
            dropout: 0.5,
            num_classes,
        }
    }

    /// The 28×28 one-channel network: the CIFAR-10 shape at a third of its width.
    pub fn fashion(num_classes: usize) -> Self {
        Self {
            name: "nin_fashion".into(),
            in_channels: 1,
            widths: [[64, 48, 32], [64, 64, 64], [64, 64, 0]],
            ..Self::cifar10(num_classes)
        }
    }

    /// Builds the network, every convolution He-initialised (fan-in) with zero bias.
    pub fn init(&self, d: &Device) -> Nin {
        let conv = |c_in, c_out, k: usize| {
            Layer::Conv(
                ConvSpec::new(c_in, c_out, k)
                    .padding(k / 2)
                    .bias(true)
                    .init(ConvInit::FanIn)
                    .build(d),
            )
        };
        let relu = || Layer::Relu(Relu::new());
        let mut features = Vec::new();
        let mut c = self.in_channels;
        for (b, (w, &k)) in self.widths.iter().zip(&self.kernels).enumerate() {
            let last = b == 2;
            features.extend([conv(c, w[0], k), relu(), conv(w[0], w[1], 1), relu()]);
            c = w[1];
            if !last {
                features.extend([conv(w[1], w[2], 1), relu()]);
                features.push(if b == 0 {
                    Layer::max_pool(3, 2, 1)
                } else {
                    Layer::avg_pool(3, 2, 1)
                });
                features.push(Layer::dropout(self.dropout));
                c = w[2];
            }
        }
        Nin {
            features,
            classifier: ConvSpec::new(c, self.num_classes, 1)
                .bias(true)
                .init(ConvInit::FanIn)
                .build(d),
            variant: self.name.clone(),
        }
    }
}

/// Network in Network: `features` (the three mlpconv blocks, numbered as the reference's
/// `nn.Sequential`), then `classifier`, the last 1×1 convolution, its ReLU and the global
/// average.
#[derive(Module, Debug)]
pub struct Nin {
    /// The mlpconv blocks, their pooling and dropout, up to the last block's first 1×1
    /// convolution and its ReLU.
    pub features: Vec<Layer>,
    /// 1×1 convolution to one map per class.
    pub classifier: Conv2d,
    /// The variant's name; not a weight.
    #[module(skip)]
    pub variant: String,
}

impl Nin {
    /// Normalised images → logits.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        Classifier::forward(self, x)
    }
}

impl Classifier for Nin {
    fn forward_features(&self, x: Tensor<4>) -> Tensor<4> {
        sequential(&self.features, x)
    }

    /// The class maps (1×1 convolution and ReLU), averaged over positions.
    fn forward_head(&self, features: Tensor<4>) -> Tensor<2> {
        global_avg_pool(conv_fused(&self.classifier, None, features, None, true))
    }

    fn head(&self) -> Head<'_> {
        Head::Conv(&self.classifier)
    }

    fn head_mut(&mut self) -> HeadMut<'_> {
        HeadMut::Conv(&mut self.classifier)
    }

    /// Each block after its last ReLU, before its pooling, named by the `features` index.
    fn feature_info(&self) -> Vec<FeatureInfo> {
        zoo_model::stage_info(&self.features)
    }

    fn run_stages(&self, x: Tensor<4>, stages: &mut Stages) {
        zoo_model::run_stages(&self.features, x, stages)
    }
}

impl ZooModel for Nin {
    fn variant(&self) -> &str {
        &self.variant
    }

    fn key_map() -> KeyMap {
        &[]
    }
}

/// No BatchNorm to fold.
impl Fuse for Nin {
    fn fuse(&mut self) {}
}

/// The paper's CIFAR-10 network (966,986 parameters at 10 classes).
pub fn nin_cifar10(num_classes: usize, device: &Device) -> Nin {
    NinConfig::cifar10(num_classes).init(device)
}

/// The 28×28 one-channel network (107,674 parameters at 10 classes).
pub fn nin_fashion(num_classes: usize, device: &Device) -> Nin {
    NinConfig::fashion(num_classes).init(device)
}

const REFERENCE: Reference = Reference::Code(
    "Lin et al. 2013, as jiecaoyu/pytorch-nin-cifar10",
    "scripts/course_models.py NiN",
);

/// Every variant of this crate, each stated once (see [`VariantSpec`]).
pub static VARIANTS: &[VariantSpec] = &[
    VariantSpec::cifar(
        "nin_cifar10",
        "nin",
        |n, d| Box::new(nin_cifar10(n, d)),
        966_986,
        REFERENCE,
    )
    .with_input(InputSpec::fb_cifar()),
    VariantSpec {
        labels: Labels::FashionMnist,
        ..VariantSpec::cifar(
            "nin_fashion",
            "nin",
            |n, d| Box::new(nin_fashion(n, d)),
            107_674,
            REFERENCE,
        )
        .with_input(InputSpec::grey(28, &[0.2860], &[0.3530]))
    },
];

#[cfg(test)]
mod table {
    /// Every row builds with its stated parameter count, and the model API holds.
    #[test]
    fn every_variant_is_what_its_row_says() {
        zoo_model::testing::check_table(super::VARIANTS, "nin");
    }
}
