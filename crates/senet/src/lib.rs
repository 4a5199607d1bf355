//! SENet-154 (Hu et al. 2018, "Squeeze-and-Excitation Networks"), the network of the SE paper's
//! winning ILSVRC 2017 entry, as timm's `legacy_senet154` (Cadene's port of the authors' Caffe
//! weights): a stem of three 3×3 convolutions, ceil-mode pooling, then 3 + 8 + 36 + 3 SE
//! bottlenecks with 64 groups whose widths (2×, 4×, 4× the stage's planes) differ from ResNeXt's,
//! 3×3 strided projection shortcuts, and dropout 0.2 before `last_linear`. Its squeeze-and-
//! excitation is the shared [`SqueezeExcite`] (`se_module` here); its stem, block widths and key
//! names are its own, hence a crate of its own, while SE-ResNet and SE-ResNeXt are options of
//! the ResNet trunk (`zoo_resnet::seresnet50`).
//!
//! ```
//! use burn::tensor::{Device, Tensor};
//! use zoo_model::Classifier;
//! let device = Device::default();
//! let info: Vec<usize> = zoo_senet::SeNet::new(10, [1, 1, 1, 1], &device)
//!     .feature_info()
//!     .iter()
//!     .map(|f| f.channels)
//!     .collect();
//! assert_eq!(info, [128, 256, 512, 1024, 2048]);
//! ```

#![warn(missing_docs)]

use burn::module::Module;
use burn::nn::conv::Conv2d;
use burn::nn::{Dropout, DropoutConfig, Linear};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};
use zoo_blocks::norm::{BatchNorm, Fuse, fold};
use zoo_blocks::{
    ConvBn, ConvSpec, Shortcut, SqueezeExcite, batch_norm, conv_fused, engine, linear, max_pool,
};
use zoo_model::{Classifier, FeatureInfo, Head, HeadMut, Stages, VariantSpec};
use zoo_weights::{KeyMap, ZooModel};

/// The shortcut's `nn.Sequential(conv, bn)` is a [`ConvBn`] here.
pub const KEY_MAP: KeyMap = &[
    (r"\.downsample\.0\.", ".downsample.conv."),
    (r"\.downsample\.1\.", ".downsample.bn."),
];

/// Groups of every 3×3 bottleneck convolution.
const GROUPS: usize = 64;
/// Squeeze-and-excitation keeps channels / 16.
const REDUCTION: usize = 16;

/// A bias-free convolution, Kaiming-normal (fan-out) as timm initialises SENet.
fn conv(c_in: usize, c_out: usize, k: usize, stride: usize, groups: usize, d: &Device) -> Conv2d {
    ConvSpec::new(c_in, c_out, k)
        .stride(stride)
        .padding(k / 2)
        .groups(groups)
        .build(d)
}

/// timm's `layer0` for SENet-154: three 3×3 convolutions (the first strided) with BN and ReLU.
#[derive(Module, Debug)]
pub struct Stem {
    /// Strided 3×3, 3 → 64.
    pub conv1: Conv2d,
    /// BN after `conv1`.
    pub bn1: BatchNorm,
    /// 3×3, 64 → 64.
    pub conv2: Conv2d,
    /// BN after `conv2`.
    pub bn2: BatchNorm,
    /// 3×3, 64 → 128.
    pub conv3: Conv2d,
    /// BN after `conv3`.
    pub bn3: BatchNorm,
}

/// timm's `SEBottleneck`: 1×1 to 2·planes, grouped 3×3 (strided) to 4·planes, 1×1 to 4·planes,
/// squeeze-and-excitation, then the sum with the shortcut and a ReLU.
#[derive(Module, Debug)]
pub struct SeBottleneck {
    /// 1×1 to 2·planes.
    pub conv1: Conv2d,
    /// BN after `conv1`.
    pub bn1: BatchNorm,
    /// Grouped 3×3 to 4·planes, carrying the stride.
    pub conv2: Conv2d,
    /// BN after `conv2`.
    pub bn2: BatchNorm,
    /// 1×1, 4·planes → 4·planes.
    pub conv3: Conv2d,
    /// BN after `conv3`.
    pub bn3: BatchNorm,
    /// Projection shortcut (3×3 strided, 1×1 in `layer1`) where the shape changes.
    pub downsample: Option<Shortcut>,
    /// The channel gate.
    pub se_module: SqueezeExcite,
}

impl SeBottleneck {
    fn new(c_in: usize, planes: usize, stride: usize, first_stage: bool, d: &Device) -> Self {
        let out = planes * 4;
        let downsample = (stride != 1 || c_in != out).then(|| {
            let k = if first_stage { 1 } else { 3 };
            Shortcut::Projection(ConvBn::new(conv(c_in, out, k, stride, 1, d), 1e-5, d))
        });
        Self {
            conv1: conv(c_in, planes * 2, 1, 1, 1, d),
            bn1: batch_norm(planes * 2, 1e-5, d),
            conv2: conv(planes * 2, out, 3, stride, GROUPS, d),
            bn2: batch_norm(out, 1e-5, d),
            conv3: conv(out, out, 1, 1, 1, d),
            bn3: batch_norm(out, 1e-5, d),
            downsample,
            se_module: SqueezeExcite::new(out, out / REDUCTION, d),
        }
    }

    /// `relu(se(bn3(conv3(…))) + shortcut(x))`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let out = conv_fused(&self.conv1, Some(&self.bn1), x.clone(), None, true);
        let out = conv_fused(&self.conv2, Some(&self.bn2), out, None, true);
        let out = conv_fused(&self.conv3, Some(&self.bn3), out, None, false);
        let shortcut = match &self.downsample {
            Some(d) => d.forward(x),
            None => x,
        };
        relu(self.se_module.forward(out) + shortcut)
    }
}

/// timm's `SENet` as `legacy_senet154` builds it.
#[derive(Module, Debug)]
pub struct SeNet {
    /// The three-convolution stem, then a ceil-mode 3×3 stride-2 max-pool (`pool0`).
    pub layer0: Stem,
    /// 128 → 256 maps, at 56×56.
    pub layer1: Vec<SeBottleneck>,
    /// → 512 maps, at 28×28.
    pub layer2: Vec<SeBottleneck>,
    /// → 1024 maps, at 14×14.
    pub layer3: Vec<SeBottleneck>,
    /// → 2048 maps, at 7×7.
    pub layer4: Vec<SeBottleneck>,
    /// Dropout 0.2 before the classifier (identity at inference).
    pub dropout: Dropout,
    /// 2048 → classes.
    pub last_linear: Linear,
}

impl SeNet {
    /// SENet-154's network with `layers` blocks per stage ([3, 8, 36, 3] for SENet-154).
    pub fn new(num_classes: usize, layers: [usize; 4], d: &Device) -> Self {
        let mut c_in = 128;
        let mut stage = |planes: usize, blocks: usize, stride: usize| {
            let first_stage = planes == 64;
            let s: Vec<_> = (0..blocks)
                .map(|i| {
                    let b = if i == 0 {
                        SeBottleneck::new(c_in, planes, stride, first_stage, d)
                    } else {
                        SeBottleneck::new(planes * 4, planes, 1, first_stage, d)
                    };
                    c_in = planes * 4;
                    b
                })
                .collect();
            s
        };
        let (layer1, layer2) = (stage(64, layers[0], 1), stage(128, layers[1], 2));
        let (layer3, layer4) = (stage(256, layers[2], 2), stage(512, layers[3], 2));
        let bn = |c| batch_norm(c, 1e-5, d);
        Self {
            layer0: Stem {
                conv1: conv(3, 64, 3, 2, 1, d),
                bn1: bn(64),
                conv2: conv(64, 64, 3, 1, 1, d),
                bn2: bn(64),
                conv3: conv(64, 128, 3, 1, 1, d),
                bn3: bn(128),
            },
            layer1,
            layer2,
            layer3,
            layer4,
            dropout: DropoutConfig::new(0.2).init(),
            last_linear: linear(2048, num_classes, d),
        }
    }

    fn stages(&self) -> [&Vec<SeBottleneck>; 4] {
        [&self.layer1, &self.layer2, &self.layer3, &self.layer4]
    }
}

impl Classifier for SeNet {
    fn forward_features(&self, x: Tensor<4>) -> Tensor<4> {
        let mut stages = Stages::new(&[4]);
        self.run_stages(x, &mut stages);
        stages.into_maps().remove(0)
    }

    /// `dropout` (identity outside training), before `last_linear`.
    fn pre_logits(&self, pooled: Tensor<2>) -> Tensor<2> {
        self.dropout.forward(pooled)
    }

    fn head(&self) -> Head<'_> {
        Head::Linear(&self.last_linear)
    }

    fn head_mut(&mut self) -> HeadMut<'_> {
        HeadMut::Linear(&mut self.last_linear)
    }

    /// timm's: `layer0`, then `layer1` … `layer4`.
    fn feature_info(&self) -> Vec<FeatureInfo> {
        let mut info = vec![FeatureInfo::new("layer0", 128, 2)];
        for (i, s) in self.stages().iter().enumerate() {
            let channels = s.last().map_or(0, |b| b.conv3.weight.dims()[0]);
            info.push(FeatureInfo::new(
                format!("layer{}", i + 1),
                channels,
                4 << i,
            ));
        }
        info
    }

    fn run_stages(&self, x: Tensor<4>, stages: &mut Stages) {
        let s = &self.layer0;
        let x = conv_fused(&s.conv1, Some(&s.bn1), x, None, true);
        let x = conv_fused(&s.conv2, Some(&s.bn2), x, None, true);
        let mut x = conv_fused(&s.conv3, Some(&s.bn3), x, None, true);
        if !stages.offer(0, &x) {
            return;
        }
        x = engine::max_pool(&max_pool(3, 2, 0, true), x);
        for (i, stage) in self.stages().iter().enumerate() {
            x = stage.iter().fold(x, |x, b| b.forward(x));
            if !stages.offer(i + 1, &x) {
                return;
            }
        }
    }
}

impl ZooModel for SeNet {
    fn variant(&self) -> &str {
        "legacy_senet154"
    }

    fn key_map() -> KeyMap {
        KEY_MAP
    }
}

impl Fuse for SeBottleneck {
    fn fuse(&mut self) {
        fold(&mut self.conv1, &mut self.bn1);
        fold(&mut self.conv2, &mut self.bn2);
        fold(&mut self.conv3, &mut self.bn3);
        self.downsample.fuse();
    }
}

impl Fuse for SeNet {
    fn fuse(&mut self) {
        let s = &mut self.layer0;
        fold(&mut s.conv1, &mut s.bn1);
        fold(&mut s.conv2, &mut s.bn2);
        fold(&mut s.conv3, &mut s.bn3);
        self.layer1.fuse();
        self.layer2.fuse();
        self.layer3.fuse();
        self.layer4.fuse();
    }
}

/// SENet-154 as timm's `legacy_senet154` (115,088,984 parameters at 1,000 classes).
pub fn legacy_senet154(num_classes: usize, device: &Device) -> SeNet {
    SeNet::new(num_classes, [3, 8, 36, 3], device)
}

/// Every variant of this crate, each stated once (see [`VariantSpec`]).
pub static VARIANTS: &[VariantSpec] = &[VariantSpec::torchvision(
    "legacy_senet154",
    "senet",
    |n, d| Box::new(legacy_senet154(n, d)),
    115_088_984,
)
.with_reference(zoo_model::Reference::Timm("legacy_senet154"))];

#[cfg(test)]
mod table {
    /// Every row builds with its stated parameter count, and the model API holds.
    #[test]
    fn every_variant_is_what_its_row_says() {
        zoo_model::testing::check_table(super::VARIANTS, "senet");
    }
}
