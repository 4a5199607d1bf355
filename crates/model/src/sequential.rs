//! A network that is two `nn.Sequential`s around an adaptive average pool: torchvision's
//! AlexNet and VGG (`features` → `avgpool` → `flatten` → `classifier`).

use burn::module::Module;
use burn::nn::pool::{AdaptiveAvgPool2d, AdaptiveAvgPool2dConfig};
use burn::tensor::Tensor;
use zoo_blocks::{Fuse, HeadLayer, Layer, sequential, sequential_head};
use zoo_weights::{KeyMap, ZooModel};

use crate::{Classifier, FeatureInfo, Head, HeadMut, Stages};

/// `features` → adaptive average pool → `classifier`, with torchvision's field names, so
/// reference checkpoints load with no key map.
#[derive(Module, Debug)]
pub struct SequentialNet {
    /// The convolutional stack, numbered as the reference's `nn.Sequential`.
    pub features: Vec<Layer>,
    /// `nn.AdaptiveAvgPool2d` to the classifier's expected side.
    pub avgpool: AdaptiveAvgPool2d,
    /// The fully connected stack; its last entry is the output layer.
    pub classifier: Vec<HeadLayer>,
    /// The variant's name.
    #[module(skip)]
    pub variant: String,
}

impl SequentialNet {
    /// A network named `name` from its two stacks and the side of its adaptive pool.
    pub fn new(
        name: &str,
        features: Vec<Layer>,
        pool: [usize; 2],
        classifier: Vec<HeadLayer>,
    ) -> Self {
        Self {
            features,
            avgpool: AdaptiveAvgPool2dConfig::new(pool).init(),
            classifier,
            variant: name.into(),
        }
    }

    /// `[n, 3, h, w]` normalised images → `[n, num_classes]` logits.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        Classifier::forward(self, x)
    }

    /// Index of the output layer in `classifier`.
    fn last_linear(&self) -> usize {
        self.classifier
            .iter()
            .rposition(|l| matches!(l, HeadLayer::Linear(_)))
            .expect("a classifier has a linear layer")
    }
}

/// Where the stages of a `features` stack end: the entry before each pooling layer (max or
/// average) and the last entry (timm's VGG feature_info), with the channels and the reduction
/// there. `Layer::out_channels` gives the channels, so a stack starting with pooling would
/// report 0.
pub fn stage_ends(features: &[Layer]) -> Vec<(usize, usize, usize)> {
    let (mut channels, mut reduction) = (0, 1);
    let mut ends = Vec::new();
    for (i, layer) in features.iter().enumerate() {
        channels = layer.out_channels().unwrap_or(channels);
        reduction *= layer.stride();
        let before_pool = matches!(
            features.get(i + 1),
            Some(Layer::MaxPool(_) | Layer::AvgPool(_))
        );
        if before_pool || i + 1 == features.len() {
            ends.push((i, channels, reduction));
        }
    }
    ends
}

/// [`Classifier::feature_info`] of a `features` stack: its [`stage_ends`], named
/// `features.{index}`.
pub fn stage_info(features: &[Layer]) -> Vec<FeatureInfo> {
    stage_ends(features)
        .into_iter()
        .map(|(i, c, r)| FeatureInfo::new(format!("features.{i}"), c, r))
        .collect()
}

/// [`Classifier::run_stages`] of a `features` stack: runs it stage by stage, offering each.
pub fn run_stages(features: &[Layer], mut x: Tensor<4>, stages: &mut Stages) {
    let mut start = 0;
    for (stage, (end, _, _)) in stage_ends(features).into_iter().enumerate() {
        x = sequential(&features[start..=end], x);
        start = end + 1;
        if !stages.offer(stage, &x) {
            return;
        }
    }
}

impl Classifier for SequentialNet {
    fn forward_features(&self, x: Tensor<4>) -> Tensor<4> {
        sequential(&self.features, x)
    }

    fn pool(&self, features: Tensor<4>) -> Tensor<2> {
        self.avgpool.forward(features).flatten(1, 3)
    }

    fn pre_logits(&self, pooled: Tensor<2>) -> Tensor<2> {
        sequential_head(&self.classifier[..self.last_linear()], pooled)
    }

    fn forward_head(&self, features: Tensor<4>) -> Tensor<2> {
        sequential_head(&self.classifier, self.pool(features))
    }

    fn head(&self) -> Head<'_> {
        match &self.classifier[self.last_linear()] {
            HeadLayer::Linear(l) => Head::Linear(l),
            _ => unreachable!("last_linear finds a linear layer"),
        }
    }

    fn head_mut(&mut self) -> HeadMut<'_> {
        let i = self.last_linear();
        match &mut self.classifier[i] {
            HeadLayer::Linear(l) => HeadMut::Linear(l),
            _ => unreachable!("last_linear finds a linear layer"),
        }
    }

    fn feature_info(&self) -> Vec<FeatureInfo> {
        stage_info(&self.features)
    }

    fn run_stages(&self, x: Tensor<4>, stages: &mut Stages) {
        run_stages(&self.features, x, stages)
    }
}

impl ZooModel for SequentialNet {
    fn variant(&self) -> &str {
        &self.variant
    }

    fn key_map() -> KeyMap {
        &[]
    }
}

impl Fuse for SequentialNet {
    fn fuse(&mut self) {
        self.features.fuse();
    }
}
