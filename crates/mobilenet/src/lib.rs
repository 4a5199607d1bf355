//! MobileNet-v2 (Sandler et al. 2018, "MobileNetV2: Inverted Residuals and Linear
//! Bottlenecks"): a 3×3 stem, seventeen inverted residual blocks (1×1 expansion, 3×3 depthwise,
//! 1×1 linear projection, ReLU6 between, a shortcut where the shape allows), a 1×1 convolution
//! to 1,280 maps, global pooling, dropout and `classifier.1`. Equal to torchvision's
//! `mobilenet_v2`, width multiplier included; fields mirror its `nn.Sequential` numbering, so
//! its state-dict keys load with no key map.
//!
//! ```
//! use burn::tensor::{Device, Tensor};
//! use zoo_model::Classifier;
//! let device = Device::default();
//! let model = zoo_mobilenet::mobilenet_v2(1000, &device);
//! let maps = model.feature_maps(Tensor::zeros([1, 3, 224, 224], &device), &[4]).unwrap();
//! assert_eq!(maps[0].dims(), [1, 320, 7, 7]);
//! // Half the width: every layer's channels × 0.5, rounded to multiples of 8.
//! let slim = zoo_mobilenet::MobileNetV2Config::new(1000).with_width_mult(0.5).init(&device);
//! assert_eq!(slim.num_features(), 1280);
//! ```

#![warn(missing_docs)]

use burn::module::Module;
use burn::nn::activation::Relu6;
use burn::tensor::{Device, Tensor};
use zoo_blocks::norm::Fuse;
use zoo_blocks::{
    ConvSpec, HeadLayer, Layer, batch_norm, linear_normal, sequential, sequential_head,
};
use zoo_model::{Classifier, FeatureInfo, Head, HeadMut, Stages, VariantSpec};
use zoo_weights::{KeyMap, ZooModel};

/// torchvision's `_make_divisible`: `v` rounded to a multiple of `divisor`, never below
/// `divisor` nor more than 10 % below `v`.
pub fn make_divisible(v: f64, divisor: usize) -> usize {
    let d = divisor as f64;
    let rounded = (((v + d / 2.0) as usize) / divisor * divisor).max(divisor);
    if (rounded as f64) < 0.9 * v {
        rounded + divisor
    } else {
        rounded
    }
}

/// torchvision's `Conv2dNormActivation`: bias-free k×k convolution (padding (k−1)/2), BN,
/// ReLU6; keys `0` (conv) and `1` (BN).
fn conv_bn_relu6(
    c_in: usize,
    c_out: usize,
    k: usize,
    stride: usize,
    groups: usize,
    device: &Device,
) -> Vec<Layer> {
    vec![
        Layer::Conv(
            ConvSpec::new(c_in, c_out, k)
                .stride(stride)
                .padding((k - 1) / 2)
                .groups(groups)
                .build(device),
        ),
        Layer::BatchNorm(batch_norm(c_out, 1e-5, device)),
        Layer::Relu6(Relu6::new()),
    ]
}

/// The inverted residual block: `conv` is torchvision's `nn.Sequential` (expansion when
/// `t ≠ 1`, depthwise, linear projection conv, BN); the input is added back when the block
/// keeps stride 1 and its channel count.
#[derive(Module, Debug)]
pub struct InvertedResidual {
    /// torchvision's `conv`.
    pub conv: Vec<Layer>,
}

impl InvertedResidual {
    /// torchvision's `InvertedResidual(inp, oup, stride, expand_ratio)`.
    pub fn new(
        c_in: usize,
        c_out: usize,
        stride: usize,
        expand_ratio: usize,
        device: &Device,
    ) -> Self {
        let hidden = c_in * expand_ratio;
        let mut conv = Vec::new();
        if expand_ratio != 1 {
            conv.push(Layer::Seq(conv_bn_relu6(c_in, hidden, 1, 1, 1, device)));
        }
        conv.push(Layer::Seq(conv_bn_relu6(
            hidden, hidden, 3, stride, hidden, device,
        )));
        conv.push(Layer::Conv(ConvSpec::new(hidden, c_out, 1).build(device)));
        conv.push(Layer::BatchNorm(batch_norm(c_out, 1e-5, device)));
        Self { conv }
    }

    /// `conv(x)`, plus `x` where the shapes allow (torchvision's `use_res_connect`).
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let y = sequential(&self.conv, x.clone());
        if y.dims() == x.dims() { y + x } else { y }
    }
}

/// One entry of `features`: a conv-BN-ReLU6 (the first and the last) or a block.
#[derive(Module, Debug)]
pub enum Feature {
    /// torchvision's `Conv2dNormActivation`: conv, BN, ReLU6.
    Conv(Vec<Layer>),
    /// An inverted residual block.
    Block(InvertedResidual),
}

impl Feature {
    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        match self {
            Feature::Conv(layers) => sequential(layers, x),
            Feature::Block(block) => block.forward(x),
        }
    }

    fn layers(&self) -> &[Layer] {
        match self {
            Feature::Conv(layers) | Feature::Block(InvertedResidual { conv: layers }) => layers,
        }
    }

    fn out_channels(&self) -> usize {
        self.layers()
            .iter()
            .rev()
            .find_map(Layer::out_channels)
            .unwrap_or(0)
    }

    fn stride(&self) -> usize {
        self.layers().iter().map(Layer::stride).product()
    }
}

/// The paper's table 2: expansion t, channels c, repeats n, first stride s.
pub const SETTING: [[usize; 4]; 7] = [
    [1, 16, 1, 1],
    [6, 24, 2, 2],
    [6, 32, 3, 2],
    [6, 64, 4, 2],
    [6, 96, 3, 1],
    [6, 160, 3, 2],
    [6, 320, 1, 1],
];

/// MobileNet-v2's hyper-parameters (torchvision's `MobileNetV2` arguments).
#[derive(Clone, Debug)]
pub struct MobileNetV2Config {
    /// Outputs of the classifier.
    pub num_classes: usize,
    /// Multiplies every layer's channels (the last one's only when above 1).
    pub width_mult: f64,
    /// Channels are rounded to multiples of this.
    pub round_nearest: usize,
    /// Dropout before the classifier (the identity at inference).
    pub dropout: f64,
}

impl MobileNetV2Config {
    /// torchvision's defaults: width 1, rounding to 8, dropout 0.2.
    pub fn new(num_classes: usize) -> Self {
        Self {
            num_classes,
            width_mult: 1.0,
            round_nearest: 8,
            dropout: 0.2,
        }
    }

    /// Sets the width multiplier.
    pub fn with_width_mult(self, width_mult: f64) -> Self {
        Self { width_mult, ..self }
    }

    /// The network, initialised as torchvision initialises it.
    pub fn init(&self, device: &Device) -> MobileNetV2 {
        let width = |c: usize| make_divisible(c as f64 * self.width_mult, self.round_nearest);
        let mut c_in = width(32);
        let last = make_divisible(1280.0 * self.width_mult.max(1.0), self.round_nearest);
        let mut features = vec![Feature::Conv(conv_bn_relu6(3, c_in, 3, 2, 1, device))];
        for [t, c, n, s] in SETTING {
            let c_out = width(c);
            for i in 0..n {
                let stride = if i == 0 { s } else { 1 };
                features.push(Feature::Block(InvertedResidual::new(
                    c_in, c_out, stride, t, device,
                )));
                c_in = c_out;
            }
        }
        features.push(Feature::Conv(conv_bn_relu6(c_in, last, 1, 1, 1, device)));
        MobileNetV2 {
            features,
            classifier: vec![
                HeadLayer::dropout(self.dropout),
                HeadLayer::Linear(linear_normal(last, self.num_classes, 0.01, device)),
            ],
        }
    }
}

/// torchvision's `MobileNetV2`: `features` (stem, 17 blocks, 1×1 to 1,280), global pooling,
/// `classifier` (dropout, linear).
#[derive(Module, Debug)]
pub struct MobileNetV2 {
    /// `features.0` … `features.18`.
    pub features: Vec<Feature>,
    /// `classifier.0` (dropout), `classifier.1` (linear).
    pub classifier: Vec<HeadLayer>,
}

/// The `features` entries after which timm's `mobilenetv2_100` takes its stages (the last
/// block of each resolution): 16, 24, 32, 96 and 320 maps at strides 2 … 32.
const STAGE_ENDS: [usize; 5] = [1, 3, 6, 13, 17];

impl Classifier for MobileNetV2 {
    fn forward_features(&self, x: Tensor<4>) -> Tensor<4> {
        self.features.iter().fold(x, |x, f| f.forward(x))
    }

    fn pre_logits(&self, pooled: Tensor<2>) -> Tensor<2> {
        sequential_head(&self.classifier[..1], pooled)
    }

    fn head(&self) -> Head<'_> {
        match &self.classifier[1] {
            HeadLayer::Linear(l) => Head::Linear(l),
            _ => unreachable!("classifier.1 is built linear"),
        }
    }

    fn head_mut(&mut self) -> HeadMut<'_> {
        match &mut self.classifier[1] {
            HeadLayer::Linear(l) => HeadMut::Linear(l),
            _ => unreachable!("classifier.1 is built linear"),
        }
    }

    /// timm's stages, named by torchvision's module paths.
    fn feature_info(&self) -> Vec<FeatureInfo> {
        let mut reduction = 1;
        let mut info = Vec::new();
        for (i, f) in self.features.iter().enumerate() {
            reduction *= f.stride();
            if STAGE_ENDS.contains(&i) {
                info.push(FeatureInfo::new(
                    format!("features.{i}"),
                    f.out_channels(),
                    reduction,
                ));
            }
        }
        info
    }

    fn run_stages(&self, mut x: Tensor<4>, stages: &mut Stages) {
        for (i, f) in self.features.iter().enumerate() {
            x = f.forward(x);
            if let Some(k) = STAGE_ENDS.iter().position(|&e| e == i)
                && !stages.offer(k, &x)
            {
                return;
            }
        }
    }
}

impl ZooModel for MobileNetV2 {
    fn variant(&self) -> &str {
        "mobilenet_v2"
    }

    fn key_map() -> KeyMap {
        &[]
    }
}

impl Fuse for Feature {
    fn fuse(&mut self) {
        match self {
            Feature::Conv(layers) | Feature::Block(InvertedResidual { conv: layers }) => {
                layers.fuse()
            }
        }
    }
}

impl Fuse for MobileNetV2 {
    fn fuse(&mut self) {
        self.features.fuse();
    }
}

/// MobileNet-v2 as torchvision's `mobilenet_v2` (3,504,872 parameters at 1,000 classes).
pub fn mobilenet_v2(num_classes: usize, device: &Device) -> MobileNetV2 {
    MobileNetV2Config::new(num_classes).init(device)
}

/// Every variant of this crate, each stated once (see [`VariantSpec`]).
pub static VARIANTS: &[VariantSpec] = &[VariantSpec::torchvision(
    "mobilenet_v2",
    "mobilenet",
    |n, d| Box::new(mobilenet_v2(n, d)),
    3_504_872,
)];

#[cfg(test)]
mod table {
    /// Every row builds with its stated parameter count, and the model API holds.
    #[test]
    fn every_variant_is_what_its_row_says() {
        zoo_model::testing::check_table(super::VARIANTS, "mobilenet");
    }

    /// torchvision's rounding: 32 × 0.35 → 16, 24 × 0.5 → 16, 160 × 0.75 → 120.
    #[test]
    fn make_divisible_rounds_as_torchvision() {
        use super::make_divisible;
        assert_eq!(make_divisible(32.0 * 0.35, 8), 16);
        assert_eq!(make_divisible(24.0 * 0.5, 8), 16);
        assert_eq!(make_divisible(160.0 * 0.75, 8), 120);
        assert_eq!(make_divisible(96.0 * 1.4, 8), 136);
    }
}
