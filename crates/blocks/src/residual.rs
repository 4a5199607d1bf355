//! The residual blocks of ResNet (He et al. 2015), generalised with `groups` and `base_width`
//! as torchvision does so that ResNeXt and Wide-ResNet are the same blocks configured
//! differently. Field names follow torchvision's state-dict keys.

use burn::module::Module;
use burn::nn::conv::Conv2d;
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};

use crate::conv::{ConvBn, batch_norm, conv1x1, conv3x3};
use crate::depth::{Branch, StochasticDepth};
use crate::engine::conv_fused;
use crate::norm::{BatchNorm, Fuse, fold};
use crate::se::SqueezeExcite;
use crate::shortcut::{Shortcut, ShortcutKind};

const BN_EPS: f64 = 1e-5;

/// Which residual block a ResNet stage is made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockKind {
    /// Two 3×3 convolutions (ResNet-18/34).
    Basic,
    /// 1×1 reduce, 3×3 (grouped for ResNeXt), 1×1 expand (ResNet-50 and deeper).
    Bottleneck,
}

impl BlockKind {
    /// Output channels per `planes`: 1 for basic blocks, 4 for bottlenecks.
    pub const fn expansion(self) -> usize {
        match self {
            BlockKind::Basic => 1,
            BlockKind::Bottleneck => 4,
        }
    }
}

/// Everything needed to build one residual block.
#[derive(Clone, Copy, Debug)]
pub struct BlockConfig {
    /// Basic block or bottleneck.
    pub kind: BlockKind,
    /// Channels of the block's input.
    pub in_channels: usize,
    /// torchvision's `planes`: the output width before `expansion`.
    pub planes: usize,
    /// Stride of the block's 3×3 convolution (and of its shortcut).
    pub stride: usize,
    /// Groups of the 3×3 convolution (ResNeXt's cardinality).
    pub groups: usize,
    /// Width per group at `planes = 64` (64 for ResNet, 4 or 8 for ResNeXt, 128 for WRN-50-2).
    pub base_width: usize,
    /// How the shortcut changes shape where the block does (torchvision: projection).
    pub shortcut: ShortcutKind,
    /// Squeeze-and-excitation after the last BatchNorm, before the sum (timm's
    /// `attn_layer='se'`: SE-ResNet, SE-ResNeXt).
    pub se: bool,
}

impl BlockConfig {
    /// Channels of the block's output: `planes × expansion`.
    pub fn out_channels(&self) -> usize {
        self.planes * self.kind.expansion()
    }

    /// The shortcut's own layer, present where the block changes resolution or width.
    fn squeeze_excite(&self, device: &Device) -> Option<SqueezeExcite> {
        let out = self.out_channels();
        self.se
            .then(|| SqueezeExcite::new(out, SqueezeExcite::reduced(out), device))
    }

    fn downsample(&self, device: &Device) -> Option<Shortcut> {
        let out = self.out_channels();
        (self.stride != 1 || self.in_channels != out).then(|| match self.shortcut {
            ShortcutKind::Projection => Shortcut::Projection(ConvBn::new(
                conv1x1(self.in_channels, out, self.stride, device),
                BN_EPS,
                device,
            )),
            ShortcutKind::ZeroPad => Shortcut::zero_pad(self.in_channels, out, self.stride),
        })
    }

    /// One stage of `blocks` blocks: the first as configured, the rest with stride 1 and
    /// this block's output width as input.
    pub fn stage(&self, blocks: usize, device: &Device) -> Vec<Block> {
        let rest = BlockConfig {
            in_channels: self.out_channels(),
            stride: 1,
            ..*self
        };
        (0..blocks)
            .map(|i| {
                if i == 0 {
                    self.init(device)
                } else {
                    rest.init(device)
                }
            })
            .collect()
    }

    /// Builds one block as configured.
    pub fn init(&self, device: &Device) -> Block {
        match self.kind {
            BlockKind::Basic => Block::Basic(BasicBlock::new(self, device)),
            BlockKind::Bottleneck => Block::Bottleneck(Bottleneck::new(self, device)),
        }
    }
}

/// torchvision's `BasicBlock`.
#[derive(Module, Debug)]
pub struct BasicBlock {
    /// First 3×3 convolution, carrying the stride.
    pub conv1: Conv2d,
    /// BN after `conv1`.
    pub bn1: BatchNorm,
    /// Second 3×3 convolution.
    pub conv2: Conv2d,
    /// BN after `conv2`, before the sum.
    pub bn2: BatchNorm,
    /// Squeeze-and-excitation (timm's `se`), when the block has it.
    pub se: Option<SqueezeExcite>,
    /// The shortcut's layer where the block changes shape; identity otherwise.
    pub downsample: Option<Shortcut>,
    /// Stochastic depth, when the network was built with it.
    pub depth: Option<StochasticDepth>,
}

impl BasicBlock {
    /// Panics unless `groups == 1` and `base_width == 64`, as torchvision's does: a basic block
    /// has no width to configure. The builders never ask for anything else.
    fn new(cfg: &BlockConfig, device: &Device) -> Self {
        assert!(
            cfg.groups == 1 && cfg.base_width == 64,
            "BasicBlock only supports groups=1 and base_width=64"
        );
        Self {
            conv1: conv3x3(cfg.in_channels, cfg.planes, cfg.stride, 1, device),
            bn1: batch_norm(cfg.planes, BN_EPS, device),
            conv2: conv3x3(cfg.planes, cfg.planes, 1, 1, device),
            bn2: batch_norm(cfg.planes, BN_EPS, device),
            se: cfg.squeeze_excite(device),
            downsample: cfg.downsample(device),
            depth: None,
        }
    }

    /// `relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))`; with stochastic depth the
    /// branch is dropped or scaled ([`StochasticDepth::branch`]).
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let identity = shortcut(&self.downsample, x.clone());
        let Branch::Scaled(scale) = branch(&self.depth, &x) else {
            return relu(identity);
        };
        let out = conv_fused(&self.conv1, Some(&self.bn1), x, None, true);
        last(&self.conv2, &self.bn2, &self.se, scale, out, identity)
    }
}

/// torchvision's `Bottleneck` (ResNet v1.5: the stride sits on the 3×3 convolution).
#[derive(Module, Debug)]
pub struct Bottleneck {
    /// 1×1 reduction to the inner width.
    pub conv1: Conv2d,
    /// BN after `conv1`.
    pub bn1: BatchNorm,
    /// 3×3 convolution (grouped for ResNeXt), carrying the stride.
    pub conv2: Conv2d,
    /// BN after `conv2`.
    pub bn2: BatchNorm,
    /// 1×1 expansion to `planes × 4`.
    pub conv3: Conv2d,
    /// BN after `conv3`, before the sum.
    pub bn3: BatchNorm,
    /// Squeeze-and-excitation (timm's `se`), when the block has it.
    pub se: Option<SqueezeExcite>,
    /// The shortcut's layer where the block changes shape; identity otherwise.
    pub downsample: Option<Shortcut>,
    /// Stochastic depth, when the network was built with it.
    pub depth: Option<StochasticDepth>,
}

impl Bottleneck {
    fn new(cfg: &BlockConfig, device: &Device) -> Self {
        let width = cfg.planes * cfg.base_width / 64 * cfg.groups;
        let out = cfg.out_channels();
        Self {
            conv1: conv1x1(cfg.in_channels, width, 1, device),
            bn1: batch_norm(width, BN_EPS, device),
            conv2: conv3x3(width, width, cfg.stride, cfg.groups, device),
            bn2: batch_norm(width, BN_EPS, device),
            conv3: conv1x1(width, out, 1, device),
            bn3: batch_norm(out, BN_EPS, device),
            se: cfg.squeeze_excite(device),
            downsample: cfg.downsample(device),
            depth: None,
        }
    }

    /// 1×1-3×3-1×1 with BN and ReLU, plus the shortcut, then ReLU.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let identity = shortcut(&self.downsample, x.clone());
        let Branch::Scaled(scale) = branch(&self.depth, &x) else {
            return relu(identity);
        };
        let out = conv_fused(&self.conv1, Some(&self.bn1), x, None, true);
        let out = conv_fused(&self.conv2, Some(&self.bn2), out, None, true);
        last(&self.conv3, &self.bn3, &self.se, scale, out, identity)
    }
}

/// The block's last convolution and BN, the SE gate if any, stochastic depth's scale, the sum
/// and the ReLU (one fused call without SE or scale).
fn last(
    conv: &Conv2d,
    bn: &BatchNorm,
    se: &Option<SqueezeExcite>,
    scale: f64,
    x: Tensor<4>,
    identity: Tensor<4>,
) -> Tensor<4> {
    if se.is_none() && scale == 1.0 {
        return conv_fused(conv, Some(bn), x, Some(identity), true);
    }
    let mut out = conv_fused(conv, Some(bn), x, None, false);
    if let Some(se) = se {
        out = se.forward(out);
    }
    if scale != 1.0 {
        out = out * scale;
    }
    relu(out + identity)
}

/// The residual branch's fate for this mini-batch: always run at scale 1 without stochastic
/// depth.
fn branch(depth: &Option<StochasticDepth>, x: &Tensor<4>) -> Branch {
    depth.as_ref().map_or(Branch::Scaled(1.0), |d| d.branch(x))
}

fn shortcut(downsample: &Option<Shortcut>, x: Tensor<4>) -> Tensor<4> {
    match downsample {
        Some(d) => d.forward(x),
        None => x,
    }
}

/// One residual block of either kind. The variant name never appears in weight keys: the
/// importers skip enum variants, so `layer1.0.conv1.weight` lands in either.
// The variants differ by a third in size and a network holds a few dozen blocks; boxing
// them would cost an indirection per block for no measurable saving.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Block {
    /// torchvision's `BasicBlock`.
    Basic(BasicBlock),
    /// torchvision's `Bottleneck`.
    Bottleneck(Bottleneck),
}

impl Block {
    /// Gives the block stochastic depth with this survival probability (see
    /// [`StochasticDepth`]).
    pub fn set_survival(&mut self, survival: f64) {
        let depth = Some(StochasticDepth::new(survival));
        match self {
            Block::Basic(b) => b.depth = depth,
            Block::Bottleneck(b) => b.depth = depth,
        }
    }

    /// Runs whichever block this is.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        match self {
            Block::Basic(b) => b.forward(x),
            Block::Bottleneck(b) => b.forward(x),
        }
    }
}

impl Fuse for BasicBlock {
    fn fuse(&mut self) {
        fold(&mut self.conv1, &mut self.bn1);
        fold(&mut self.conv2, &mut self.bn2);
        self.downsample.fuse();
    }
}

impl Fuse for Bottleneck {
    fn fuse(&mut self) {
        fold(&mut self.conv1, &mut self.bn1);
        fold(&mut self.conv2, &mut self.bn2);
        fold(&mut self.conv3, &mut self.bn3);
        self.downsample.fuse();
    }
}

impl Fuse for Block {
    fn fuse(&mut self) {
        match self {
            Block::Basic(b) => b.fuse(),
            Block::Bottleneck(b) => b.fuse(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Distribution;

    fn cfg(
        kind: BlockKind,
        in_channels: usize,
        stride: usize,
        groups: usize,
        base_width: usize,
    ) -> BlockConfig {
        BlockConfig {
            kind,
            in_channels,
            planes: 64,
            stride,
            groups,
            base_width,
            shortcut: ShortcutKind::Projection,
            se: false,
        }
    }

    #[test]
    fn bottleneck_widths_follow_torchvision() {
        let device = Device::default();
        // ResNeXt-50 32x4d stage 1: width = 64 * 4 / 64 * 32 = 128, grouped 3x3.
        let Block::Bottleneck(b) = cfg(BlockKind::Bottleneck, 64, 1, 32, 4).init(&device) else {
            panic!()
        };
        assert_eq!(b.conv2.weight.dims(), [128, 4, 3, 3]);
        assert_eq!(b.conv3.weight.dims(), [256, 128, 1, 1]);
        assert!(
            b.downsample.is_some(),
            "64 -> 256 channels needs a projection"
        );
        // Wide ResNet-50-2: width 128, ungrouped.
        let Block::Bottleneck(b) = cfg(BlockKind::Bottleneck, 256, 1, 1, 128).init(&device) else {
            panic!()
        };
        assert_eq!(b.conv2.weight.dims(), [128, 128, 3, 3]);
        assert!(b.downsample.is_none());
    }

    #[test]
    fn strided_block_halves_resolution_and_projects() {
        let device = Device::default();
        let block = cfg(BlockKind::Basic, 32, 2, 1, 64).init(&device);
        let x = Tensor::<4>::random([1, 32, 8, 8], Distribution::Default, &device);
        assert_eq!(block.forward(x).dims(), [1, 64, 4, 4]);
    }

    #[test]
    fn init_matches_kaiming_normal_fan_out() {
        let device = Device::default();
        let conv = conv3x3(1024, 1024, 1, 32, &device);
        let w = conv.weight.val().into_data().try_to_vec::<f32>().unwrap();
        let var = w.iter().map(|v| (*v as f64).powi(2)).sum::<f64>() / w.len() as f64;
        // PyTorch's fan-out ignores groups: 2 / (1024 * 9). With 294,912 samples the estimate's
        // relative standard error is √(2/n) = 0.26 %: 2 % is 7.7 of them, while ignoring the
        // fan-out rule (fan-in 32 · 9, or groups counted) would be off by 32×.
        let want = 2.0 / (1024.0 * 9.0);
        assert!((var / want - 1.0).abs() < 0.02, "variance {var} vs {want}");
    }
}
