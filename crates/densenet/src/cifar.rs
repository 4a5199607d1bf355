//! DenseNet and DenseNet-BC for CIFAR, as the authors' `models/densenet.lua` builds them: a 3×3
//! stem of 2k maps, three dense blocks of N layers (N = (depth − 4) / 3, halved with
//! bottlenecks) joined by transitions that keep (DenseNet) or halve (BC) the channels, then
//! BN-ReLU, global pooling and `fc`. Field names are those of `scripts/cifar_models.py`.

use burn::module::Module;
use burn::nn::Linear;
use burn::nn::conv::Conv2d;
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};
use zoo_blocks::{ConvInit, batch_norm, conv3x3, linear};
use zoo_model::{Classifier, FeatureInfo, Head, HeadMut, Stages};
use zoo_weights::{KeyMap, ZooModel};

use crate::{BlockShape, DenseLayer, Transition, dense_block};
use zoo_blocks::norm::{BatchNorm, Fuse};

/// The shape of a CIFAR DenseNet or DenseNet-BC.
#[derive(Clone, Debug)]
pub struct CifarDenseNetConfig {
    /// The variant's name (`densenet_bc100_k12`).
    pub name: String,
    /// Depth counted as the paper does: 3N+4 (6N+4 for BC).
    pub depth: usize,
    /// Growth rate k.
    pub growth: usize,
    /// DenseNet-BC: bottleneck layers and compression 0.5.
    pub bc: bool,
    /// Dropout after every convolution.
    pub dropout: f64,
    /// Number of output logits.
    pub num_classes: usize,
}

impl CifarDenseNetConfig {
    /// Panics unless `depth` is 3N+4 (6N+4 for BC).
    pub fn new(depth: usize, growth: usize, bc: bool, num_classes: usize) -> Self {
        let step = if bc { 6 } else { 3 };
        assert!(
            depth > 4 && (depth - 4).is_multiple_of(step),
            "DenseNet depth must be {step}N+4, got {depth}"
        );
        let name = if bc {
            format!("densenet_bc{depth}_k{growth}")
        } else {
            format!("densenet{depth}_k{growth}")
        };
        Self {
            name,
            depth,
            growth,
            bc,
            dropout: 0.0,
            num_classes,
        }
    }

    /// Dropout after every convolution (the paper uses 0.2 without data augmentation).
    pub fn with_dropout(mut self, p: f64) -> Self {
        self.dropout = p;
        self
    }

    /// Builds the network for 32×32 inputs.
    pub fn init(&self, device: &Device) -> CifarDenseNet {
        let layers = (self.depth - 4) / if self.bc { 6 } else { 3 };
        let shape = BlockShape {
            growth: self.growth,
            bottleneck: self.bc,
            dropout: self.dropout,
            // The authors' `ConvInit`: N(0, √(2 / (k·k·out))).
            init: ConvInit::FanOut,
        };
        let compression = if self.bc { 0.5 } else { 1.0 };
        let block = |c: &mut usize| shape.block(layers, c, device);
        let transition = |c: &mut usize| shape.transition(compression, c, device);
        let mut c = 2 * self.growth;
        let conv0 = conv3x3(3, c, 1, 1, device);
        let block1 = block(&mut c);
        let trans1 = transition(&mut c);
        let block2 = block(&mut c);
        let trans2 = transition(&mut c);
        let block3 = block(&mut c);
        CifarDenseNet {
            conv0,
            block1,
            trans1,
            block2,
            trans2,
            block3,
            norm: batch_norm(c, 1e-5, device),
            fc: linear(c, self.num_classes, device),
            variant: self.name.clone(),
        }
    }
}

/// A CIFAR DenseNet: 3×3 stem, three dense blocks, BN-ReLU, global pooling, `fc`.
#[derive(Module, Debug)]
pub struct CifarDenseNet {
    /// 3×3 stem to 2k maps.
    pub conv0: Conv2d,
    /// First dense block, at 32×32.
    pub block1: Vec<DenseLayer>,
    /// Transition to 16×16.
    pub trans1: Transition,
    /// Second dense block, at 16×16.
    pub block2: Vec<DenseLayer>,
    /// Transition to 8×8.
    pub trans2: Transition,
    /// Third dense block, at 8×8.
    pub block3: Vec<DenseLayer>,
    /// Final BN, followed by ReLU and global pooling.
    pub norm: BatchNorm,
    /// The classifier.
    pub fc: Linear,
    /// The variant's name, for messages; not a weight.
    #[module(skip)]
    pub variant: String,
}

impl CifarDenseNet {
    /// `[n, 3, 32, 32]` normalised images → `[n, num_classes]` logits.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        Classifier::forward(self, x)
    }
}

impl Classifier for CifarDenseNet {
    fn forward_features(&self, x: Tensor<4>) -> Tensor<4> {
        let mut stages = Stages::new(&[3]);
        self.run_stages(x, &mut stages);
        stages.into_maps().remove(0)
    }

    fn head(&self) -> Head<'_> {
        Head::Linear(&self.fc)
    }

    fn head_mut(&mut self) -> HeadMut<'_> {
        HeadMut::Linear(&mut self.fc)
    }

    /// `conv0`, `block1` and `block2` (before their transitions), then `norm` with its ReLU.
    fn feature_info(&self) -> Vec<FeatureInfo> {
        vec![
            FeatureInfo::new("conv0", self.conv0.weight.dims()[0], 1),
            FeatureInfo::new("block1", self.trans1.conv.weight.dims()[1], 1),
            FeatureInfo::new("block2", self.trans2.conv.weight.dims()[1], 2),
            FeatureInfo::new("norm", self.num_features(), 4),
        ]
    }

    fn run_stages(&self, x: Tensor<4>, stages: &mut Stages) {
        let x = zoo_blocks::engine::conv(&self.conv0, x);
        if !stages.offer(0, &x) {
            return;
        }
        let x = dense_block(&self.block1, x);
        if !stages.offer(1, &x) {
            return;
        }
        let x = dense_block(&self.block2, self.trans1.forward(x));
        if !stages.offer(2, &x) {
            return;
        }
        let x = dense_block(&self.block3, self.trans2.forward(x));
        stages.offer(3, &relu(self.norm.forward(x)));
    }
}

impl ZooModel for CifarDenseNet {
    fn variant(&self) -> &str {
        &self.variant
    }

    fn key_map() -> KeyMap {
        &[]
    }
}

macro_rules! builders {
    ($($name:ident $depth:literal $k:literal $bc:literal),*) => {$(
        #[doc = concat!("CIFAR ", stringify!($name), ": depth ", stringify!($depth), ", growth ", stringify!($k), ", no dropout.")]
        pub fn $name(num_classes: usize, device: &Device) -> CifarDenseNet {
            CifarDenseNetConfig::new($depth, $k, $bc, num_classes).init(device)
        }
    )*};
}

builders!(
    densenet40_k12 40 12 false,
    densenet100_k12 100 12 false,
    densenet_bc100_k12 100 12 true,
    densenet_bc250_k24 250 24 true,
    densenet_bc190_k40 190 40 true
);

impl Fuse for CifarDenseNet {
    fn fuse(&mut self) {
        for block in [&mut self.block1, &mut self.block2, &mut self.block3] {
            block.fuse();
        }
    }
}
