//! Pre-activation ResNets for CIFAR: a 3×3 stem of 16 maps, three groups of pre-activation
//! units, BN-ReLU, global pooling and `fc`. One trunk serves two papers:
//! - He et al. 2016, "Identity Mappings": ResNet-164/1001 with bottlenecks (depth 9n+2, group
//!   outputs 64, 128, 256, as in the authors' `resnet-pre-act.lua`) and ResNet-110 with basic
//!   units (6n+2, widths 16, 32, 64);
//! - Zagoruyko & Komodakis 2016: WRN-d-k, basic units of widths 16k, 32k, 64k (6n+4, the
//!   paper counting the projections), optional dropout.
//!
//! Field names are the keys of the official WRN code (`conv0`, `group0.block0.conv0`, `bn`,
//! `fc`); the key map reads its flat convolution keys, which lack `.weight`.

use burn::module::Module;
use burn::nn::Linear;
use burn::nn::conv::Conv2d;
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};
use zoo_blocks::norm::{BatchNorm, Fuse};
use zoo_blocks::{
    BlockKind, PreActBlock, PreActBottleneck, PreActUnit, batch_norm, conv3x3, linear,
};
use zoo_model::{Classifier, FeatureInfo, Head, HeadMut, Stages};
use zoo_weights::{KeyMap, ZooModel};

/// `group0.block0.conv0` → `group0.0.conv0.weight`.
pub const PREACT_KEY_MAP: KeyMap = &[
    (r"^(.*conv(0|1|dim))$", "$1.weight"),
    (r"\.block(\d+)\.", ".$1."),
];

/// The shape of a pre-activation ResNet or Wide-ResNet for CIFAR.
#[derive(Clone, Debug)]
pub struct PreActResNetConfig {
    /// The variant's name (`preact_resnet164`, `wrn_28_10`).
    pub name: String,
    /// Basic units or bottlenecks.
    pub block: BlockKind,
    /// Units per group.
    pub units: usize,
    /// Output channels of the three groups.
    pub widths: [usize; 3],
    /// Dropout between the two convolutions of basic units (WRN).
    pub dropout: f64,
    /// Number of output logits.
    pub num_classes: usize,
}

impl PreActResNetConfig {
    /// He et al.'s networks. Panics unless `depth` is 6n+2 (basic) or 9n+2 (bottleneck).
    pub fn resnet(depth: usize, block: BlockKind, num_classes: usize) -> Self {
        let (per_unit, widths) = match block {
            BlockKind::Basic => (6, [16, 32, 64]),
            BlockKind::Bottleneck => (9, [64, 128, 256]),
        };
        assert!(
            depth > 2 && (depth - 2).is_multiple_of(per_unit),
            "pre-activation ResNet depth must be {per_unit}n+2, got {depth}"
        );
        Self {
            name: format!("preact_resnet{depth}"),
            block,
            units: (depth - 2) / per_unit,
            widths,
            dropout: 0.0,
            num_classes,
        }
    }

    /// Dropout between the two convolutions of every basic unit (WRN uses 0.3 on CIFAR).
    pub fn with_dropout(mut self, p: f64) -> Self {
        self.dropout = p;
        self
    }

    /// Builds the network for 32×32 inputs.
    pub fn init(&self, device: &Device) -> PreActResNet {
        let unit = |c_in, c_out, stride| match self.block {
            BlockKind::Basic => {
                PreActUnit::Basic(PreActBlock::new(c_in, c_out, stride, self.dropout, device))
            }
            BlockKind::Bottleneck => {
                PreActUnit::Bottleneck(PreActBottleneck::new(c_in, c_out, stride, device))
            }
        };
        let group = |c_in: usize, c_out: usize, stride: usize| -> Vec<PreActUnit> {
            (0..self.units)
                .map(|i| {
                    if i == 0 {
                        unit(c_in, c_out, stride)
                    } else {
                        unit(c_out, c_out, 1)
                    }
                })
                .collect()
        };
        let [w0, w1, w2] = self.widths;
        PreActResNet {
            conv0: conv3x3(3, 16, 1, 1, device),
            group0: group(16, w0, 1),
            group1: group(w0, w1, 2),
            group2: group(w1, w2, 2),
            bn: batch_norm(w2, 1e-5, device),
            fc: linear(w2, self.num_classes, device),
            variant: self.name.clone(),
        }
    }
}

/// A pre-activation ResNet: 3×3 stem, three groups of units, BN-ReLU, global pooling, `fc`.
#[derive(Module, Debug)]
pub struct PreActResNet {
    /// 3×3 stem convolution to 16 maps.
    pub conv0: Conv2d,
    /// First group, at 32×32.
    pub group0: Vec<PreActUnit>,
    /// Second group, at 16×16.
    pub group1: Vec<PreActUnit>,
    /// Third group, at 8×8.
    pub group2: Vec<PreActUnit>,
    /// Final BN, followed by ReLU and global pooling.
    pub bn: BatchNorm,
    /// The classifier.
    pub fc: Linear,
    /// The variant's name, for messages; not a weight.
    #[module(skip)]
    pub variant: String,
}

impl PreActResNet {
    /// `[n, 3, 32, 32]` normalised images → `[n, num_classes]` logits.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        Classifier::forward(self, x)
    }

    fn groups(&self) -> [&Vec<PreActUnit>; 3] {
        [&self.group0, &self.group1, &self.group2]
    }
}

fn run(units: &[PreActUnit], x: Tensor<4>) -> Tensor<4> {
    units.iter().fold(x, |x, unit| unit.forward(x))
}

impl Classifier for PreActResNet {
    fn forward_features(&self, x: Tensor<4>) -> Tensor<4> {
        let x = zoo_blocks::engine::conv(&self.conv0, x);
        let x = self.groups().into_iter().fold(x, |x, g| run(g, x));
        relu(self.bn.forward(x))
    }

    fn head(&self) -> Head<'_> {
        Head::Linear(&self.fc)
    }

    fn head_mut(&mut self) -> HeadMut<'_> {
        HeadMut::Linear(&mut self.fc)
    }

    /// `conv0`, `group0`, `group1`, then the final BN-ReLU (the pre-activation of `group2`'s
    /// output, as timm takes the last stage of pre-activation networks).
    fn feature_info(&self) -> Vec<FeatureInfo> {
        let width = |units: &[PreActUnit]| units.last().map_or(16, PreActUnit::out_channels);
        vec![
            FeatureInfo::new("conv0", 16, 1),
            FeatureInfo::new("group0", width(&self.group0), 1),
            FeatureInfo::new("group1", width(&self.group1), 2),
            FeatureInfo::new("bn", self.num_features(), 4),
        ]
    }

    fn run_stages(&self, x: Tensor<4>, stages: &mut Stages) {
        let mut x = zoo_blocks::engine::conv(&self.conv0, x);
        if !stages.offer(0, &x) {
            return;
        }
        for (i, group) in self.groups().into_iter().enumerate() {
            x = run(group, x);
            if i < 2 && !stages.offer(i + 1, &x) {
                return;
            }
        }
        stages.offer(3, &relu(self.bn.forward(x)));
    }
}

impl ZooModel for PreActResNet {
    fn variant(&self) -> &str {
        &self.variant
    }

    fn key_map() -> KeyMap {
        PREACT_KEY_MAP
    }
}

/// Pre-activation ResNet-110 (basic units).
pub fn preact_resnet110(num_classes: usize, device: &Device) -> PreActResNet {
    PreActResNetConfig::resnet(110, BlockKind::Basic, num_classes).init(device)
}

/// Pre-activation ResNet-164 (bottlenecks).
pub fn preact_resnet164(num_classes: usize, device: &Device) -> PreActResNet {
    PreActResNetConfig::resnet(164, BlockKind::Bottleneck, num_classes).init(device)
}

/// Pre-activation ResNet-1001 (bottlenecks).
pub fn preact_resnet1001(num_classes: usize, device: &Device) -> PreActResNet {
    PreActResNetConfig::resnet(1001, BlockKind::Bottleneck, num_classes).init(device)
}

/// `conv0`'s output is also the first shortcut, and `bn` normalises a sum: only the units fold.
impl Fuse for PreActResNet {
    fn fuse(&mut self) {
        for group in [&mut self.group0, &mut self.group1, &mut self.group2] {
            group.fuse();
        }
    }
}
