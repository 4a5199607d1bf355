//! The ResNet trunk: stem, four stages of residual blocks, global pool and `fc`.

use burn::module::Module;
use burn::nn::conv::Conv2d;
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Linear, PaddingConfig2d};
use burn::tensor::{Device, Tensor};
use zoo_blocks::conv_fused;
use zoo_blocks::norm::{BatchNorm, Fuse, fold};
use zoo_blocks::{Block, BlockConfig, BlockKind, ShortcutKind, batch_norm, conv2d, linear};
use zoo_model::{Classifier, FeatureInfo, Head, HeadMut, Stages};
use zoo_weights::{KeyMap, ZooModel};

/// torchvision keys differ from the fields only in the downsample `nn.Sequential`.
pub const KEY_MAP: KeyMap = &[
    (r"\.downsample\.0\.", ".downsample.conv."),
    (r"\.downsample\.1\.", ".downsample.bn."),
];

/// The shape of a ResNet-family network.
#[derive(Clone, Debug)]
pub struct ResNetConfig {
    /// The variant's name (`resnet50`).
    pub name: String,
    /// Basic blocks (ResNet-18/34) or bottlenecks (50 and deeper).
    pub block: BlockKind,
    /// Blocks per stage.
    pub layers: [usize; 4],
    /// Number of output logits.
    pub num_classes: usize,
    /// Groups of every 3×3 bottleneck convolution (ResNeXt's cardinality).
    pub groups: usize,
    /// torchvision's `width_per_group`.
    pub width_per_group: usize,
    /// Squeeze-and-excitation in every block (timm's SE-ResNet and SE-ResNeXt).
    pub se: bool,
}

impl ResNetConfig {
    /// A plain ResNet: no groups, width 64 per group.
    pub fn new(name: &str, block: BlockKind, layers: [usize; 4], num_classes: usize) -> Self {
        Self {
            name: name.to_string(),
            block,
            layers,
            num_classes,
            groups: 1,
            width_per_group: 64,
            se: false,
        }
    }

    /// Squeeze-and-excitation in every block, as timm's `attn_layer='se'`: `seresnet50`,
    /// `seresnext50_32x4d`.
    pub fn with_se(mut self) -> Self {
        self.se = true;
        self
    }

    /// ResNeXt and Wide-ResNet: `groups` paths of `width_per_group` at the first stage.
    pub fn with_groups(mut self, groups: usize, width_per_group: usize) -> Self {
        self.groups = groups;
        self.width_per_group = width_per_group;
        self
    }

    /// Builds the network, initialised as torchvision's.
    pub fn init(&self, device: &Device) -> ResNet {
        let block = |in_channels, planes, stride| BlockConfig {
            kind: self.block,
            in_channels,
            planes,
            stride,
            groups: self.groups,
            base_width: self.width_per_group,
            shortcut: ShortcutKind::Projection,
            se: self.se,
        };
        let e = self.block.expansion();
        let layer1 = block(64, 64, 1).stage(self.layers[0], device);
        let layer2 = block(64 * e, 128, 2).stage(self.layers[1], device);
        let layer3 = block(128 * e, 256, 2).stage(self.layers[2], device);
        let layer4 = block(256 * e, 512, 2).stage(self.layers[3], device);
        ResNet {
            conv1: conv2d([3, 64], 7, 2, 3, 1, device),
            bn1: batch_norm(64, 1e-5, device),
            maxpool: MaxPool2dConfig::new([3, 3])
                .with_strides([2, 2])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(),
            layer1,
            layer2,
            layer3,
            layer4,
            fc: linear(512 * self.block.expansion(), self.num_classes, device),
            variant: self.name.clone(),
        }
    }
}

/// A ResNet, ResNeXt or Wide-ResNet. Field names are torchvision's state-dict keys.
#[derive(Module, Debug)]
pub struct ResNet {
    /// 7×7 stride-2 stem convolution to 64 maps.
    pub conv1: Conv2d,
    /// BN after the stem, followed by ReLU.
    pub bn1: BatchNorm,
    /// 3×3 stride-2 max-pool.
    pub maxpool: MaxPool2d,
    /// Stage 1, 1/4 resolution (64 planes).
    pub layer1: Vec<Block>,
    /// Stage 2, 1/8 resolution (128 planes).
    pub layer2: Vec<Block>,
    /// Stage 3, 1/16 resolution (256 planes).
    pub layer3: Vec<Block>,
    /// Stage 4, 1/32 resolution (512 planes).
    pub layer4: Vec<Block>,
    /// The classifier on the pooled features.
    pub fc: Linear,
    /// The variant's name, for messages; not a weight.
    #[module(skip)]
    pub variant: String,
}

impl ResNet {
    /// `[n, 3, h, w]` normalised images → `[n, num_classes]` logits.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        Classifier::forward(self, x)
    }

    fn stages(&self) -> [&Vec<Block>; 4] {
        [&self.layer1, &self.layer2, &self.layer3, &self.layer4]
    }
}

fn run(blocks: &[Block], x: Tensor<4>) -> Tensor<4> {
    blocks.iter().fold(x, |x, block| block.forward(x))
}

impl Classifier for ResNet {
    fn forward_features(&self, x: Tensor<4>) -> Tensor<4> {
        let x = conv_fused(&self.conv1, Some(&self.bn1), x, None, true);
        let x = zoo_blocks::engine::max_pool(&self.maxpool, x);
        self.stages().into_iter().fold(x, |x, layer| run(layer, x))
    }

    fn head(&self) -> Head<'_> {
        Head::Linear(&self.fc)
    }

    fn head_mut(&mut self) -> HeadMut<'_> {
        HeadMut::Linear(&mut self.fc)
    }

    /// timm's: the stem's ReLU (`act1`), then `layer1` … `layer4`.
    fn feature_info(&self) -> Vec<FeatureInfo> {
        let width = self.num_features() / 8;
        let mut info = vec![FeatureInfo::new("act1", 64, 2)];
        info.extend(
            (0..4).map(|i| FeatureInfo::new(format!("layer{}", i + 1), width << i, 4 << i)),
        );
        info
    }

    fn run_stages(&self, x: Tensor<4>, stages: &mut Stages) {
        let mut x = conv_fused(&self.conv1, Some(&self.bn1), x, None, true);
        if !stages.offer(0, &x) {
            return;
        }
        x = zoo_blocks::engine::max_pool(&self.maxpool, x);
        for (i, layer) in self.stages().into_iter().enumerate() {
            x = run(layer, x);
            if !stages.offer(i + 1, &x) {
                return;
            }
        }
    }
}

impl ZooModel for ResNet {
    fn variant(&self) -> &str {
        &self.variant
    }

    fn key_map() -> KeyMap {
        KEY_MAP
    }
}

impl Fuse for ResNet {
    fn fuse(&mut self) {
        fold(&mut self.conv1, &mut self.bn1);
        for layer in [
            &mut self.layer1,
            &mut self.layer2,
            &mut self.layer3,
            &mut self.layer4,
        ] {
            layer.fuse();
        }
    }
}
