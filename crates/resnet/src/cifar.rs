//! The CIFAR-10 ResNets of He et al. 2015 (§4.2): 6n+2 layers in three stages of n basic
//! blocks with 16, 32 and 64 maps on 32×32 inputs. Option A shortcuts (subsample + zero
//! padding, no parameters) as in the paper and the akamaster reference; option B
//! (projection) on request. Field names are the akamaster keys, `linear` included.

use burn::module::Module;
use burn::nn::Linear;
use burn::nn::conv::Conv2d;
use burn::tensor::{Device, Tensor};
use zoo_blocks::conv_fused;
use zoo_blocks::norm::{BatchNorm, Fuse, fold};
use zoo_blocks::{
    Block, BlockConfig, BlockKind, ShortcutKind, batch_norm, conv3x3, linear, linear_decay,
};
use zoo_model::{Classifier, FeatureInfo, Head, HeadMut, ModelError, Stages};
use zoo_weights::{KeyMap, ZooModel};

/// The akamaster option-B shortcut is an `nn.Sequential(conv, bn)` named `shortcut`.
pub const CIFAR_KEY_MAP: KeyMap = &[
    (r"\.shortcut\.0\.", ".downsample.conv."),
    (r"\.shortcut\.1\.", ".downsample.bn."),
];

/// The shape of a CIFAR ResNet.
#[derive(Clone, Debug)]
pub struct CifarResNetConfig {
    /// The variant's name (`resnet56`).
    pub name: String,
    /// 6n + 2.
    pub depth: usize,
    /// Shortcut where a stage changes shape (default option A, zero padding).
    pub shortcut: ShortcutKind,
    /// Number of output logits.
    pub num_classes: usize,
    /// Stochastic depth's p_L, the last block's survival probability (`None`: every block
    /// always runs).
    pub stochastic_depth: Option<f64>,
}

impl CifarResNetConfig {
    /// Panics unless `depth` is 6n + 2 with n ≥ 1.
    pub fn new(depth: usize, num_classes: usize) -> Self {
        assert!(
            depth >= 8 && (depth - 2).is_multiple_of(6),
            "CIFAR ResNet depth must be 6n+2, got {depth}"
        );
        Self {
            name: format!("resnet{depth}"),
            depth,
            shortcut: ShortcutKind::ZeroPad,
            num_classes,
            stochastic_depth: None,
        }
    }

    /// Chooses the shortcut option.
    pub fn with_shortcut(mut self, shortcut: ShortcutKind) -> Self {
        self.shortcut = shortcut;
        self
    }

    /// Stochastic depth (Huang et al. 2016) with the paper's linear decay of the survival
    /// probability from 1 to `last` (the paper's p_L = 0.5) over the blocks. Training drops
    /// each block's branch for a mini-batch with probability 1 − p_l; evaluation runs every
    /// branch scaled by p_l.
    pub fn with_stochastic_depth(mut self, last: f64) -> Self {
        self.stochastic_depth = Some(last);
        self
    }

    /// Builds the network for 32×32 inputs.
    pub fn init(&self, device: &Device) -> CifarResNet {
        let n = (self.depth - 2) / 6;
        let block = |in_channels, planes, stride| BlockConfig {
            kind: BlockKind::Basic,
            in_channels,
            planes,
            stride,
            groups: 1,
            base_width: 64,
            shortcut: self.shortcut,
            se: false,
        };
        let mut model = CifarResNet {
            conv1: conv3x3(3, 16, 1, 1, device),
            bn1: batch_norm(16, 1e-5, device),
            layer1: block(16, 16, 1).stage(n, device),
            layer2: block(16, 32, 2).stage(n, device),
            layer3: block(32, 64, 2).stage(n, device),
            linear: linear(64, self.num_classes, device),
            variant: self.name.clone(),
        };
        if let Some(last) = self.stochastic_depth {
            model.set_stochastic_depth(last);
        }
        model
    }
}

/// A CIFAR ResNet: 3×3 stem, three stages of basic blocks, global pooling, `linear`.
#[derive(Module, Debug)]
pub struct CifarResNet {
    /// 3×3 stem convolution to 16 maps.
    pub conv1: Conv2d,
    /// BN after the stem, followed by ReLU.
    pub bn1: BatchNorm,
    /// n blocks at 16 maps, 32×32.
    pub layer1: Vec<Block>,
    /// n blocks at 32 maps, 16×16.
    pub layer2: Vec<Block>,
    /// n blocks at 64 maps, 8×8.
    pub layer3: Vec<Block>,
    /// The classifier (akamaster's name).
    pub linear: Linear,
    /// The variant's name, for messages; not a weight.
    #[module(skip)]
    pub variant: String,
}

impl CifarResNet {
    /// `[n, 3, 32, 32]` normalised images → `[n, num_classes]` logits.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        Classifier::forward(self, x)
    }

    /// Gives block l of L (from 1, in order) the survival probability 1 − l/L (1 − `last`).
    ///
    /// # Panics
    /// Unless `last` is in (0, 1].
    pub fn set_stochastic_depth(&mut self, last: f64) {
        let blocks = [&mut self.layer1, &mut self.layer2, &mut self.layer3];
        let total: usize = blocks.iter().map(|l| l.len()).sum();
        for (l, block) in blocks.into_iter().flatten().enumerate() {
            block.set_survival(linear_decay(l + 1, total, last));
        }
    }

    fn layers(&self) -> [&Vec<Block>; 3] {
        [&self.layer1, &self.layer2, &self.layer3]
    }
}

impl Classifier for CifarResNet {
    fn forward_features(&self, x: Tensor<4>) -> Tensor<4> {
        let x = conv_fused(&self.conv1, Some(&self.bn1), x, None, true);
        self.layers()
            .into_iter()
            .flatten()
            .fold(x, |x, block| block.forward(x))
    }

    fn head(&self) -> Head<'_> {
        Head::Linear(&self.linear)
    }

    fn set_stochastic_depth(&mut self, last: f64) -> Result<(), ModelError> {
        if !(last > 0.0 && last <= 1.0) {
            return Err(ModelError::Survival(last));
        }
        CifarResNet::set_stochastic_depth(self, last);
        Ok(())
    }

    fn head_mut(&mut self) -> HeadMut<'_> {
        HeadMut::Linear(&mut self.linear)
    }

    /// The stem (after its ReLU), then `layer1` … `layer3`.
    fn feature_info(&self) -> Vec<FeatureInfo> {
        let mut info = vec![FeatureInfo::new("bn1", 16, 1)];
        info.extend((0..3).map(|i| FeatureInfo::new(format!("layer{}", i + 1), 16 << i, 1 << i)));
        info
    }

    fn run_stages(&self, x: Tensor<4>, stages: &mut Stages) {
        let mut x = conv_fused(&self.conv1, Some(&self.bn1), x, None, true);
        if !stages.offer(0, &x) {
            return;
        }
        for (i, layer) in self.layers().into_iter().enumerate() {
            x = layer.iter().fold(x, |x, block| block.forward(x));
            if !stages.offer(i + 1, &x) {
                return;
            }
        }
    }
}

impl ZooModel for CifarResNet {
    fn variant(&self) -> &str {
        &self.variant
    }

    fn key_map() -> KeyMap {
        CIFAR_KEY_MAP
    }
}

macro_rules! cifar_builders {
    ($($name:ident $depth:literal),*) => {$(
        #[doc = concat!("CIFAR ResNet-", stringify!($depth), " with option-A shortcuts.")]
        pub fn $name(num_classes: usize, device: &Device) -> CifarResNet {
            CifarResNetConfig::new($depth, num_classes).init(device)
        }
    )*};
}

cifar_builders!(resnet20 20, resnet32 32, resnet44 44, resnet56 56, resnet110 110, resnet1202 1202);

impl Fuse for CifarResNet {
    fn fuse(&mut self) {
        fold(&mut self.conv1, &mut self.bn1);
        for layer in [&mut self.layer1, &mut self.layer2, &mut self.layer3] {
            layer.fuse();
        }
    }
}
