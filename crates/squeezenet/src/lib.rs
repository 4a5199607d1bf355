//! SqueezeNet (Iandola et al. 2016, "SqueezeNet: AlexNet-level accuracy with 50x fewer
//! parameters and <0.5MB model size"): fire modules (a 1×1 "squeeze" convolution feeding
//! parallel 1×1 and 3×3 "expand" convolutions, concatenated), ceil-mode max-pooling, and no
//! fully connected layer: the classifier is a 1×1 convolution to one map per class, a ReLU,
//! and a global average. Equal to torchvision's `squeezenet1_0` and `squeezenet1_1` (1.1: a
//! 3×3 stem with 64 filters and earlier pooling, 2.4× less computation at the same accuracy).
//!
//! The output layer is the convolution ([`Head::Conv`]): [`Classifier::embed`] is the pooled
//! last feature map (512 values), [`Classifier::reset_classifier`] gives a fresh 1×1
//! convolution, as torchvision's fine-tuning recipe replaces `classifier[1]`.
//!
//! ```
//! use burn::tensor::{Device, Tensor};
//! use zoo_model::Classifier;
//! let device = Device::default();
//! let mut model = zoo_squeezenet::squeezenet1_1(1000, &device);
//! let x = Tensor::zeros([1, 3, 224, 224], &device);
//! assert_eq!(model.forward_features(x.clone()).dims(), [1, 512, 13, 13]);
//! model.reset_classifier(10);
//! assert_eq!(model.forward(x).dims(), [1, 10]);
//! ```

#![warn(missing_docs)]

use burn::module::Module;
use burn::nn::conv::Conv2d;
use burn::nn::{Dropout, DropoutConfig, Relu};
use burn::tensor::{Device, Tensor};
use zoo_blocks::norm::Fuse;
use zoo_blocks::{ConvInit, ConvSpec, Layer, conv_fused, engine, global_avg_pool};
use zoo_model::{Classifier, FeatureInfo, Head, HeadMut, Stages, VariantSpec};
use zoo_weights::{KeyMap, ZooModel};

/// torchvision's `classifier` is `nn.Sequential(Dropout, Conv2d, ReLU, AdaptiveAvgPool2d)`;
/// here the convolution is `final_conv`.
pub const KEY_MAP: KeyMap = &[(r"^classifier\.1\.", "final_conv.")];

/// A convolution with bias, `kaiming_uniform_` (gain √2, fan-in) and bias 0 as torchvision
/// initialises SqueezeNet.
fn conv(c_in: usize, c_out: usize, k: usize, stride: usize, pad: usize, d: &Device) -> Conv2d {
    ConvSpec::new(c_in, c_out, k)
        .stride(stride)
        .padding(pad)
        .bias(true)
        .init(ConvInit::KaimingUniform)
        .build(d)
}

/// The fire module: `squeeze` (1×1) then `expand1x1` and `expand3x3` side by side, each
/// followed by a ReLU, concatenated on channels. Fields as torchvision's `Fire`.
#[derive(Module, Debug)]
pub struct Fire {
    /// 1×1 to the squeeze width.
    pub squeeze: Conv2d,
    /// 1×1 expansion.
    pub expand1x1: Conv2d,
    /// 3×3 expansion (padding 1).
    pub expand3x3: Conv2d,
}

impl Fire {
    /// torchvision's `Fire(inplanes, squeeze_planes, expand1x1_planes, expand3x3_planes)`.
    pub fn new(c_in: usize, squeeze: usize, e1: usize, e3: usize, d: &Device) -> Self {
        Self {
            squeeze: conv(c_in, squeeze, 1, 1, 0, d),
            expand1x1: conv(squeeze, e1, 1, 1, 0, d),
            expand3x3: conv(squeeze, e3, 3, 1, 1, d),
        }
    }

    /// `[n, in, h, w]` → `[n, e1 + e3, h, w]`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let s = conv_fused(&self.squeeze, None, x, None, true);
        let a = conv_fused(&self.expand1x1, None, s.clone(), None, true);
        let b = conv_fused(&self.expand3x3, None, s, None, true);
        Tensor::cat(vec![a, b], 1)
    }

    fn out_channels(&self) -> usize {
        self.expand1x1.weight.dims()[0] + self.expand3x3.weight.dims()[0]
    }
}

/// One entry of `features`: a layer (stem convolution, ReLU, max-pool) or a fire module.
// A dozen entries per model; boxing the larger variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Feature {
    /// A plain layer.
    Layer(Layer),
    /// A fire module.
    Fire(Fire),
}

impl Feature {
    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        match self {
            Feature::Layer(Layer::MaxPool(p)) => engine::max_pool(p, x),
            Feature::Layer(l) => l.forward(x),
            Feature::Fire(f) => f.forward(x),
        }
    }

    fn out_channels(&self) -> Option<usize> {
        match self {
            Feature::Layer(l) => l.out_channels(),
            Feature::Fire(f) => Some(f.out_channels()),
        }
    }

    fn stride(&self) -> usize {
        match self {
            Feature::Layer(l) => l.stride(),
            Feature::Fire(_) => 1,
        }
    }
}

/// SqueezeNet's two versions, as torchvision's `version` argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// The paper's network: 7×7 stem with 96 filters, pools after fire 4 and 8.
    V1_0,
    /// SqueezeNet 1.1: 3×3 stem with 64 filters, pools after fire 3 and 5.
    V1_1,
}

/// torchvision's `SqueezeNet`: `features`, then dropout, `final_conv` (torchvision's
/// `classifier.1`), ReLU and global average pooling.
#[derive(Module, Debug)]
pub struct SqueezeNet {
    /// torchvision's `features`, numbered as its `nn.Sequential`.
    pub features: Vec<Feature>,
    /// Dropout before the classifier (identity at inference).
    pub dropout: Dropout,
    /// 1×1 convolution, 512 → classes.
    pub final_conv: Conv2d,
    /// The variant's name; not a weight.
    #[module(skip)]
    pub variant: String,
}

impl SqueezeNet {
    /// torchvision's `SqueezeNet(version, num_classes, dropout=0.5)`.
    pub fn new(version: Version, num_classes: usize, d: &Device) -> Self {
        let pool = || Feature::Layer(Layer::MaxPool(zoo_blocks::max_pool(3, 2, 0, true)));
        let relu = || Feature::Layer(Layer::Relu(Relu::new()));
        let fire = |c, s, e| Feature::Fire(Fire::new(c, s, e, e, d));
        let (features, variant) = match version {
            Version::V1_0 => (
                vec![
                    Feature::Layer(Layer::Conv(conv(3, 96, 7, 2, 0, d))),
                    relu(),
                    pool(),
                    fire(96, 16, 64),
                    fire(128, 16, 64),
                    fire(128, 32, 128),
                    pool(),
                    fire(256, 32, 128),
                    fire(256, 48, 192),
                    fire(384, 48, 192),
                    fire(384, 64, 256),
                    pool(),
                    fire(512, 64, 256),
                ],
                "squeezenet1_0",
            ),
            Version::V1_1 => (
                vec![
                    Feature::Layer(Layer::Conv(conv(3, 64, 3, 2, 0, d))),
                    relu(),
                    pool(),
                    fire(64, 16, 64),
                    fire(128, 16, 64),
                    pool(),
                    fire(128, 32, 128),
                    fire(256, 32, 128),
                    pool(),
                    fire(256, 48, 192),
                    fire(384, 48, 192),
                    fire(384, 64, 256),
                    fire(512, 64, 256),
                ],
                "squeezenet1_1",
            ),
        };
        Self {
            features,
            dropout: DropoutConfig::new(0.5).init(),
            final_conv: ConvSpec::new(512, num_classes, 1)
                .bias(true)
                .init(ConvInit::Normal(0.01))
                .build(d),
            variant: variant.to_string(),
        }
    }

    /// `[n, 3, 224, 224]` ImageNet-normalised images → logits.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        Classifier::forward(self, x)
    }

    /// Indices of the stages: each entry before a max-pool (after the stem's ReLU, the fire
    /// module before each pool), and the last.
    fn stage_ends(&self) -> Vec<usize> {
        let n = self.features.len();
        (0..n)
            .filter(|&i| {
                i + 1 == n || matches!(self.features[i + 1], Feature::Layer(Layer::MaxPool(_)))
            })
            .collect()
    }
}

impl Classifier for SqueezeNet {
    fn forward_features(&self, x: Tensor<4>) -> Tensor<4> {
        self.features.iter().fold(x, |x, f| f.forward(x))
    }

    /// Dropout, `final_conv` and its ReLU on every position, then the global average.
    fn forward_head(&self, features: Tensor<4>) -> Tensor<2> {
        let maps = conv_fused(
            &self.final_conv,
            None,
            self.dropout.forward(features),
            None,
            true,
        );
        global_avg_pool(maps)
    }

    fn head(&self) -> Head<'_> {
        Head::Conv(&self.final_conv)
    }

    fn head_mut(&mut self) -> HeadMut<'_> {
        HeadMut::Conv(&mut self.final_conv)
    }

    /// The stem after its ReLU, the fire modules before each max-pool, the last fire module;
    /// named by torchvision's `features` indices.
    fn feature_info(&self) -> Vec<FeatureInfo> {
        let (mut channels, mut reduction) = (3, 1);
        let mut info = Vec::new();
        let ends = self.stage_ends();
        for (i, f) in self.features.iter().enumerate() {
            channels = f.out_channels().unwrap_or(channels);
            reduction *= f.stride();
            if ends.contains(&i) {
                info.push(FeatureInfo::new(
                    format!("features.{i}"),
                    channels,
                    reduction,
                ));
            }
        }
        info
    }

    fn run_stages(&self, mut x: Tensor<4>, stages: &mut Stages) {
        let ends = self.stage_ends();
        for (i, f) in self.features.iter().enumerate() {
            x = f.forward(x);
            if let Some(k) = ends.iter().position(|&e| e == i)
                && !stages.offer(k, &x)
            {
                return;
            }
        }
    }
}

impl ZooModel for SqueezeNet {
    fn variant(&self) -> &str {
        &self.variant
    }

    fn key_map() -> KeyMap {
        KEY_MAP
    }
}

/// No BatchNorm to fold.
impl Fuse for SqueezeNet {
    fn fuse(&mut self) {}
}

/// SqueezeNet 1.0 as torchvision's `squeezenet1_0` (1,248,424 parameters at 1,000 classes).
pub fn squeezenet1_0(num_classes: usize, device: &Device) -> SqueezeNet {
    SqueezeNet::new(Version::V1_0, num_classes, device)
}

/// SqueezeNet 1.1 as torchvision's `squeezenet1_1` (1,235,496 parameters at 1,000 classes).
pub fn squeezenet1_1(num_classes: usize, device: &Device) -> SqueezeNet {
    SqueezeNet::new(Version::V1_1, num_classes, device)
}

/// Every variant of this crate, each stated once (see [`VariantSpec`]).
pub static VARIANTS: &[VariantSpec] = &[
    VariantSpec::torchvision(
        "squeezenet1_0",
        "squeezenet",
        |n, d| Box::new(squeezenet1_0(n, d)),
        1_248_424,
    ),
    VariantSpec::torchvision(
        "squeezenet1_1",
        "squeezenet",
        |n, d| Box::new(squeezenet1_1(n, d)),
        1_235_496,
    ),
];

#[cfg(test)]
mod table {
    /// Every row builds with its stated parameter count, and the model API holds.
    #[test]
    fn every_variant_is_what_its_row_says() {
        zoo_model::testing::check_table(super::VARIANTS, "squeezenet");
    }
}
