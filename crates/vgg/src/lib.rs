//! VGG (Simonyan & Zisserman 2014, "Very Deep Convolutional Networks for Large-Scale Image
//! Recognition"): configurations A, B, D and E (VGG-11/13/16/19), with or without BatchNorm
//! after each convolution, as torchvision builds them. Fields are torchvision's
//! `nn.Sequential`s (`features.N` counts ReLU and pooling entries), so its checkpoints load
//! with no key map.
//!
//! ```
//! use burn::tensor::{Device, Tensor};
//! use zoo_model::Classifier;
//! let device = Device::default();
//! let model = zoo_vgg::vgg11(10, &device);
//! let features = model.forward_features(Tensor::zeros([1, 3, 64, 64], &device));
//! assert_eq!(features.dims(), [1, 512, 2, 2]); // before the 7×7 adaptive pool
//! ```

#![warn(missing_docs)]

pub use zoo_model::SequentialNet;
use zoo_model::VariantSpec;

use burn::nn::Relu;
use burn::tensor::Device;
use zoo_blocks::{ConvSpec, HeadLayer, Layer, linear_normal};

/// A 3×3 convolution of this many output channels, or (`M`) a 2×2 max-pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    /// 3×3 convolution, padding 1, to this many channels (then BatchNorm if asked, and ReLU).
    Conv(usize),
    /// 2×2 max-pool, stride 2.
    M,
}

use Entry::{Conv as C, M};

/// The paper's configurations, as torchvision's `cfgs`.
#[rustfmt::skip]
pub const A: &[Entry] = &[C(64), M, C(128), M, C(256), C(256), M, C(512), C(512), M, C(512), C(512), M];
/// Configuration B (VGG-13).
#[rustfmt::skip]
pub const B: &[Entry] = &[
    C(64), C(64), M, C(128), C(128), M, C(256), C(256), M, C(512), C(512), M, C(512), C(512), M,
];
/// Configuration D (VGG-16).
#[rustfmt::skip]
pub const D: &[Entry] = &[
    C(64), C(64), M, C(128), C(128), M, C(256), C(256), C(256), M, C(512), C(512), C(512), M,
    C(512), C(512), C(512), M,
];
/// Configuration E (VGG-19).
#[rustfmt::skip]
pub const E: &[Entry] = &[
    C(64), C(64), M, C(128), C(128), M, C(256), C(256), C(256), C(256), M, C(512), C(512), C(512),
    C(512), M, C(512), C(512), C(512), C(512), M,
];

/// The shape of a VGG.
#[derive(Clone, Debug)]
pub struct VggConfig {
    /// The variant's name (`vgg16_bn`).
    pub name: String,
    /// The feature stack: one of [`A`], [`B`], [`D`], [`E`] or a custom list.
    pub layers: &'static [Entry],
    /// BatchNorm after every convolution (the `_bn` variants).
    pub batch_norm: bool,
    /// Dropout after each of the two hidden classifier layers.
    pub dropout: f64,
    /// Number of output logits.
    pub num_classes: usize,
}

impl VggConfig {
    /// Dropout 0.5, as torchvision.
    pub fn new(name: &str, layers: &'static [Entry], batch_norm: bool, num_classes: usize) -> Self {
        Self {
            name: name.into(),
            layers,
            batch_norm,
            dropout: 0.5,
            num_classes,
        }
    }

    /// Builds the network, initialised as torchvision's: `[n, 3, 224, 224]` → logits.
    pub fn init(&self, device: &Device) -> Vgg {
        let (features, c_in) = features(self.layers, self.batch_norm, device);
        let classifier = vec![
            HeadLayer::Linear(linear_normal(c_in * 7 * 7, 4096, 0.01, device)),
            HeadLayer::Relu(Relu::new()),
            HeadLayer::dropout(self.dropout),
            HeadLayer::Linear(linear_normal(4096, 4096, 0.01, device)),
            HeadLayer::Relu(Relu::new()),
            HeadLayer::dropout(self.dropout),
            HeadLayer::Linear(linear_normal(4096, self.num_classes, 0.01, device)),
        ];
        SequentialNet::new(&self.name, features, [7, 7], classifier)
    }
}

/// torchvision's `features` for a configuration, initialised as torchvision's, and its output
/// channels.
pub fn features(layers: &[Entry], batch_norm: bool, device: &Device) -> (Vec<Layer>, usize) {
    let mut features = Vec::new();
    let mut c_in = 3;
    for entry in layers {
        match *entry {
            Entry::M => features.push(Layer::max_pool(2, 2, 0)),
            Entry::Conv(c) => {
                let conv = ConvSpec::new(c_in, c, 3).padding(1).bias(true);
                features.push(Layer::Conv(conv.build(device)));
                if batch_norm {
                    features.push(Layer::BatchNorm(zoo_blocks::batch_norm(c, 1e-5, device)));
                }
                features.push(Layer::Relu(Relu::new()));
                c_in = c;
            }
        }
    }
    (features, c_in)
}

/// VGG has AlexNet's layout (torchvision's two classes differ only in their layers).
pub type Vgg = SequentialNet;

macro_rules! builders {
    ($($name:ident $cfg:ident $bn:literal $doc:literal),*) => {$(
        #[doc = $doc]
        pub fn $name(num_classes: usize, device: &Device) -> Vgg {
            VggConfig::new(stringify!($name), $cfg, $bn, num_classes).init(device)
        }
    )*};
}

builders!(
    vgg11 A false "VGG-11 (configuration A).",
    vgg13 B false "VGG-13 (configuration B).",
    vgg16 D false "VGG-16 (configuration D).",
    vgg19 E false "VGG-19 (configuration E).",
    vgg11_bn A true "VGG-11 with BatchNorm after every convolution.",
    vgg13_bn B true "VGG-13 with BatchNorm after every convolution.",
    vgg16_bn D true "VGG-16 with BatchNorm after every convolution.",
    vgg19_bn E true "VGG-19 with BatchNorm after every convolution."
);

/// Every variant of this crate, each stated once (see [`VariantSpec`]).
#[rustfmt::skip]
pub static VARIANTS: &[VariantSpec] = &[
    VariantSpec::torchvision("vgg11", "vgg", |n, d| Box::new(vgg11(n, d)), 132_863_336),
    VariantSpec::torchvision("vgg13", "vgg", |n, d| Box::new(vgg13(n, d)), 133_047_848),
    VariantSpec::torchvision("vgg16", "vgg", |n, d| Box::new(vgg16(n, d)), 138_357_544),
    VariantSpec::torchvision("vgg19", "vgg", |n, d| Box::new(vgg19(n, d)), 143_667_240),
    VariantSpec::torchvision("vgg11_bn", "vgg", |n, d| Box::new(vgg11_bn(n, d)), 132_868_840),
    VariantSpec::torchvision("vgg13_bn", "vgg", |n, d| Box::new(vgg13_bn(n, d)), 133_053_736),
    VariantSpec::torchvision("vgg16_bn", "vgg", |n, d| Box::new(vgg16_bn(n, d)), 138_365_992),
    VariantSpec::torchvision("vgg19_bn", "vgg", |n, d| Box::new(vgg19_bn(n, d)), 143_678_248),
];

#[cfg(test)]
mod table {
    /// Every row builds with its stated parameter count, and the model API holds.
    #[test]
    fn every_variant_is_what_its_row_says() {
        zoo_model::testing::check_table(super::VARIANTS, "vgg");
    }
}
