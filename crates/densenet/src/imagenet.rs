//! torchvision's ImageNet DenseNets (DenseNet-BC with four dense blocks): a 7×7 stem and
//! 3×3 max-pool, blocks of bottleneck layers (1×1 to 4k maps, 3×3 to k) joined by
//! transitions that halve the channels, then `norm5`, ReLU, global pooling and `classifier`.

use burn::module::Module;
use burn::nn::Linear;
use burn::nn::conv::Conv2d;
use burn::nn::pool::MaxPool2d;
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};
use zoo_blocks::conv_fused;
use zoo_blocks::{ConvInit, ConvSpec, batch_norm, linear, max_pool};
use zoo_model::{Classifier, FeatureInfo, Head, HeadMut, Stages};
use zoo_weights::{KeyMap, ZooModel};

use crate::{BlockShape, DenseLayer, Transition, dense_block};
use zoo_blocks::norm::{BatchNorm, Fuse, fold};

/// torchvision keys → fields. The published checkpoints predate PyTorch's ban on dots in
/// module names and say `denselayer1.norm.1`; torchvision renames those to `norm1` when it
/// loads them, and so does the first rule. Dense layers are numbered from 1 there, from 0 in
/// a `Vec` here.
pub const KEY_MAP: KeyMap = &[
    (r"(\.denselayer\d+\.(?:norm|conv))\.([12])\.", "$1$2."),
    (r"\.denselayer(?P<dec>\d+)\.", ".$dec."),
];

/// The shape of a torchvision ImageNet DenseNet.
#[derive(Clone, Debug)]
pub struct DenseNetConfig {
    /// The variant's name (`densenet121`).
    pub name: String,
    /// Growth rate k.
    pub growth: usize,
    /// Layers in each of the four dense blocks.
    pub blocks: [usize; 4],
    /// Maps out of the stem.
    pub init_features: usize,
    /// Dropout after every convolution of the dense layers (torchvision's `drop_rate`, 0).
    pub dropout: f64,
    /// Number of output logits.
    pub num_classes: usize,
}

impl DenseNetConfig {
    /// 1,000 classes, no dropout.
    pub fn new(name: &str, growth: usize, blocks: [usize; 4], init_features: usize) -> Self {
        Self {
            name: name.into(),
            growth,
            blocks,
            init_features,
            dropout: 0.0,
            num_classes: 1000,
        }
    }

    /// Sets the number of output logits.
    pub fn with_num_classes(self, num_classes: usize) -> Self {
        Self {
            num_classes,
            ..self
        }
    }

    /// Builds the network, initialised as torchvision's.
    pub fn init(&self, device: &Device) -> DenseNet {
        let shape = BlockShape {
            growth: self.growth,
            bottleneck: true,
            dropout: self.dropout,
            init: ConvInit::FanIn,
        };
        let mut c = self.init_features;
        let conv0 = ConvSpec::new(3, c, 7)
            .stride(2)
            .padding(3)
            .init(ConvInit::FanIn)
            .build(device);
        let norm0 = batch_norm(c, 1e-5, device);
        let [b1, b2, b3, b4] = self.blocks;
        let denseblock1 = shape.block(b1, &mut c, device);
        let transition1 = shape.transition(0.5, &mut c, device);
        let denseblock2 = shape.block(b2, &mut c, device);
        let transition2 = shape.transition(0.5, &mut c, device);
        let denseblock3 = shape.block(b3, &mut c, device);
        let transition3 = shape.transition(0.5, &mut c, device);
        let denseblock4 = shape.block(b4, &mut c, device);
        let mut classifier = linear(c, self.num_classes, device);
        classifier.bias = classifier.bias.map(|b| b.map(|t| t.zeros_like()));
        DenseNet {
            features: Features {
                conv0,
                norm0,
                pool0: max_pool(3, 2, 1, false),
                denseblock1,
                transition1,
                denseblock2,
                transition2,
                denseblock3,
                transition3,
                denseblock4,
                norm5: batch_norm(c, 1e-5, device),
            },
            classifier,
            variant: self.name.clone(),
        }
    }
}

/// torchvision's `features` `nn.Sequential`, as named fields.
#[derive(Module, Debug)]
pub struct Features {
    /// 7×7 stride-2 stem convolution.
    pub conv0: Conv2d,
    /// BN after the stem, followed by ReLU.
    pub norm0: BatchNorm,
    /// 3×3 stride-2 max-pool.
    pub pool0: MaxPool2d,
    /// First dense block, at 1/4 resolution.
    pub denseblock1: Vec<DenseLayer>,
    /// Transition to 1/8.
    pub transition1: Transition,
    /// Second dense block, at 1/8.
    pub denseblock2: Vec<DenseLayer>,
    /// Transition to 1/16.
    pub transition2: Transition,
    /// Third dense block, at 1/16.
    pub denseblock3: Vec<DenseLayer>,
    /// Transition to 1/32.
    pub transition3: Transition,
    /// Fourth dense block, at 1/32.
    pub denseblock4: Vec<DenseLayer>,
    /// Final BN, followed by ReLU and global pooling.
    pub norm5: BatchNorm,
}

/// torchvision's `DenseNet`.
#[derive(Module, Debug)]
pub struct DenseNet {
    /// The convolutional trunk (torchvision's `features`).
    pub features: Features,
    /// The linear classifier on the pooled features.
    pub classifier: Linear,
    /// The variant's name, for messages; not a weight.
    #[module(skip)]
    pub variant: String,
}

impl DenseNet {
    /// `[n, 3, 224, 224]` ImageNet-normalised images → logits.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        Classifier::forward(self, x)
    }

    fn blocks(&self) -> [(&Vec<DenseLayer>, Option<&Transition>); 4] {
        let f = &self.features;
        [
            (&f.denseblock1, Some(&f.transition1)),
            (&f.denseblock2, Some(&f.transition2)),
            (&f.denseblock3, Some(&f.transition3)),
            (&f.denseblock4, None),
        ]
    }
}

impl Classifier for DenseNet {
    fn forward_features(&self, x: Tensor<4>) -> Tensor<4> {
        let mut stages = Stages::new(&[4]);
        self.run_stages(x, &mut stages);
        stages.into_maps().remove(0)
    }

    fn head(&self) -> Head<'_> {
        Head::Linear(&self.classifier)
    }

    fn head_mut(&mut self) -> HeadMut<'_> {
        HeadMut::Linear(&mut self.classifier)
    }

    /// timm's: the stem after `norm0`'s ReLU, `denseblock1` … `denseblock3` (before their
    /// transitions), then `norm5` with its ReLU.
    fn feature_info(&self) -> Vec<FeatureInfo> {
        let f = &self.features;
        let mut info = vec![FeatureInfo::new(
            "features.norm0",
            f.conv0.weight.dims()[0],
            2,
        )];
        for (i, t) in [&f.transition1, &f.transition2, &f.transition3]
            .into_iter()
            .enumerate()
        {
            let module = format!("features.denseblock{}", i + 1);
            info.push(FeatureInfo::new(module, t.conv.weight.dims()[1], 4 << i));
        }
        info.push(FeatureInfo::new("features.norm5", self.num_features(), 32));
        info
    }

    fn run_stages(&self, x: Tensor<4>, stages: &mut Stages) {
        let f = &self.features;
        let mut x = conv_fused(&f.conv0, Some(&f.norm0), x, None, true);
        if !stages.offer(0, &x) {
            return;
        }
        x = zoo_blocks::engine::max_pool(&f.pool0, x);
        for (i, (block, transition)) in self.blocks().into_iter().enumerate() {
            x = dense_block(block, x);
            let Some(transition) = transition else { break };
            if !stages.offer(i + 1, &x) {
                return;
            }
            x = transition.forward(x);
        }
        stages.offer(4, &relu(f.norm5.forward(x)));
    }
}

impl ZooModel for DenseNet {
    fn variant(&self) -> &str {
        &self.variant
    }

    fn key_map() -> KeyMap {
        KEY_MAP
    }
}

macro_rules! builders {
    ($($name:ident $k:literal $blocks:expr, $init:literal;)*) => {$(
        #[doc = concat!("torchvision's `", stringify!($name), "`: growth ", stringify!($k),
            ", blocks ", stringify!($blocks), ", ", stringify!($init), " stem maps.")]
        pub fn $name(num_classes: usize, device: &Device) -> DenseNet {
            DenseNetConfig::new(stringify!($name), $k, $blocks, $init)
                .with_num_classes(num_classes)
                .init(device)
        }
    )*};
}

builders! {
    densenet121 32 [6, 12, 24, 16], 64;
    densenet161 48 [6, 12, 36, 24], 96;
    densenet169 32 [6, 12, 32, 32], 64;
    densenet201 32 [6, 12, 48, 32], 64;
}

impl Fuse for DenseNet {
    fn fuse(&mut self) {
        let f = &mut self.features;
        fold(&mut f.conv0, &mut f.norm0);
        for block in [
            &mut f.denseblock1,
            &mut f.denseblock2,
            &mut f.denseblock3,
            &mut f.denseblock4,
        ] {
            block.fuse();
        }
    }
}
