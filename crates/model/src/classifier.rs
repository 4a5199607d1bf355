//! The object-safe model trait.

use std::any::Any;
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::path::Path;

use burn::module::Module;
use burn::nn::Linear;
use burn::nn::conv::Conv2d;
use burn::optim::lr_scheduler::module_lr_scheduler::ModuleLearningRate;
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::Gradients;
use burn::tensor::Tensor;
use zoo_blocks::{Fuse, global_avg_pool, linear_dims, reset_conv1x1, reset_linear};
use zoo_weights::{ImportOptions, LoadError, LoadReport, ZooModel};

use crate::features::{FeatureInfo, Stages};

/// Why a model could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// `feature_maps` was asked for a stage the model does not have.
    #[error("{model} has no feature stage {index}: it has {count} (0..{count})")]
    NoStage {
        /// The variant's name.
        model: String,
        /// The stage asked for.
        index: usize,
        /// How many stages the model has.
        count: usize,
    },
    /// The model has no residual blocks stochastic depth applies to.
    #[error("{model} has no stochastic depth (the CIFAR ResNets have it)")]
    NoStochasticDepth {
        /// The variant's name.
        model: String,
    },
    /// A survival probability outside (0, 1].
    #[error("stochastic depth's last survival probability must be in (0, 1], got {0}")]
    Survival(f64),
}

/// A classifier's output layer: a linear layer on the pooled features (almost every family), or
/// a 1×1 convolution on the last feature map, pooled after it (SqueezeNet).
#[derive(Clone, Copy, Debug)]
pub enum Head<'a> {
    /// `[num_features, num_classes]` linear layer.
    Linear(&'a Linear),
    /// `num_features → num_classes` 1×1 convolution.
    Conv(&'a Conv2d),
}

impl Head<'_> {
    /// `[inputs, outputs]`: the embedding width and the number of classes.
    pub fn dims(&self) -> [usize; 2] {
        match self {
            Head::Linear(l) => linear_dims(l),
            Head::Conv(c) => {
                let [outputs, inputs, _, _] = c.weight.dims();
                [inputs, outputs]
            }
        }
    }
}

/// The output layer, to replace (see [`Head`]).
#[derive(Debug)]
pub enum HeadMut<'a> {
    /// A linear head.
    Linear(&'a mut Linear),
    /// A 1×1 convolutional head.
    Conv(&'a mut Conv2d),
}

/// An image classifier of the zoo, usable as `Box<dyn Classifier>`.
///
/// The network is split the way timm splits it: [`forward_features`](Self::forward_features)
/// (the last feature map, before pooling) and [`forward_head`](Self::forward_head) (feature map
/// → logits: [`pool`](Self::pool), [`pre_logits`](Self::pre_logits), the output layer).
/// `forward(x) == forward_head(forward_features(x))` exactly, and [`embed`](Self::embed) is the
/// penultimate activation, what torchvision gives with `model.fc = nn.Identity()`.
pub trait Classifier: ModelObject + Debug + Send {
    /// `[n, c, h, w]` normalised images → `[n, num_classes]` logits.
    fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        self.forward_head(self.forward_features(x))
    }

    /// The last feature map, before the classifier's pooling (timm's `forward_features`).
    fn forward_features(&self, x: Tensor<4>) -> Tensor<4>;

    /// Pools a feature map into one vector per image (global average unless the family's
    /// reference pools otherwise, as VGG's 7×7 adaptive pool).
    fn pool(&self, features: Tensor<4>) -> Tensor<2> {
        global_avg_pool(features)
    }

    /// Pooled features → the input of the last linear layer (identity for single-layer heads;
    /// AlexNet and VGG run their hidden fully connected layers).
    fn pre_logits(&self, pooled: Tensor<2>) -> Tensor<2> {
        pooled
    }

    /// The last feature map → logits (timm's `forward_head`): [`pool`](Self::pool),
    /// [`pre_logits`](Self::pre_logits), then the linear output layer. A family with a
    /// convolutional head (SqueezeNet) runs it on the map before pooling instead.
    fn forward_head(&self, features: Tensor<4>) -> Tensor<2> {
        let x = self.pre_logits(self.pool(features.clone()));
        match self.head() {
            Head::Linear(l) => zoo_blocks::engine::linear(l, x, false),
            Head::Conv(c) => {
                let [n, d] = x.dims();
                let logits = zoo_blocks::engine::conv(c, x.reshape([n, d, 1, 1]));
                logits.flatten(1, 3)
            }
        }
    }

    /// The output layer (torchvision's `fc`, `classifier`, …): `[num_features, num_classes]`.
    fn head(&self) -> Head<'_>;

    /// The output layer, to replace.
    fn head_mut(&mut self) -> HeadMut<'_>;

    /// The image embedding: the penultimate activations, `[n, num_features]`.
    fn embed(&self, x: Tensor<4>) -> Tensor<2> {
        self.pre_logits(self.pool(self.forward_features(x)))
    }

    /// Width of [`embed`](Self::embed)'s output, the input of the last linear layer.
    fn num_features(&self) -> usize {
        self.head().dims()[0]
    }

    /// Outputs of the last linear layer.
    fn num_classes(&self) -> usize {
        self.head().dims()[1]
    }

    /// The stages [`feature_maps`](Self::feature_maps) can return, in order, as timm's
    /// `feature_info`: module, channels and reduction (input side ÷ map side).
    fn feature_info(&self) -> Vec<FeatureInfo>;

    /// Runs the network up to the last stage `stages` wants, offering each stage's output.
    fn run_stages(&self, x: Tensor<4>, stages: &mut Stages);

    /// The outputs of the given stages (indices into [`feature_info`](Self::feature_info),
    /// timm's `out_indices`), in the order asked; the network runs only as far as needed.
    fn feature_maps(&self, x: Tensor<4>, stages: &[usize]) -> Result<Vec<Tensor<4>>, ModelError> {
        let count = self.feature_info().len();
        if let Some(&index) = stages.iter().find(|&&i| i >= count) {
            return Err(ModelError::NoStage {
                model: self.name().to_string(),
                index,
                count,
            });
        }
        let mut collected = Stages::new(stages);
        self.run_stages(x, &mut collected);
        Ok(collected.into_maps())
    }

    /// Stochastic depth (Huang et al. 2016) with survival probabilities decaying linearly to
    /// `last` over the residual blocks, for the families that have it.
    fn set_stochastic_depth(&mut self, last: f64) -> Result<(), ModelError> {
        let _ = last;
        Err(ModelError::NoStochasticDepth {
            model: self.name().to_string(),
        })
    }

    /// Replaces the output layer by a freshly initialised one with `num_classes` outputs
    /// (PyTorch's default `nn.Linear`/`nn.Conv2d` initialisation, as timm's
    /// `reset_classifier`); every other tensor is left as it was.
    fn reset_classifier(&mut self, num_classes: usize) {
        match self.head_mut() {
            HeadMut::Linear(l) => *l = reset_linear(l, num_classes),
            HeadMut::Conv(c) => *c = reset_conv1x1(c, num_classes),
        }
    }
}

/// What every [`Classifier`] gets from being a zoo module: parameter count, BatchNorm folding,
/// weight files and downcasting. Implemented for every `ZooModel + Fuse + Classifier`.
///
/// The names differ from Burn's `Module` methods and from [`ZooModel`]'s on purpose, so that
/// having all three traits in scope never makes a call ambiguous.
pub trait ModelObject {
    /// The variant's name (`resnet50`).
    fn name(&self) -> &str;

    /// Trainable parameters, as torchvision counts them (BatchNorm statistics excluded).
    fn parameter_count(&self) -> usize;

    /// Folds every BatchNorm that follows a convolution into it (inference only).
    fn fuse_batch_norm(&mut self);

    /// ε of the model's BatchNorms.
    fn batch_norm_eps(&self) -> f64;

    /// Loads a `.pth`/`.pt`, `.safetensors`, `.onnx` or `.bpk` file into this model.
    fn load(
        self: Box<Self>,
        path: &Path,
        options: &ImportOptions,
    ) -> Result<(Box<dyn Classifier>, LoadReport), LoadError>;

    /// The first convolution's filters, `[out, in, kh, kw]` ([`crate::inspect`]).
    fn first_filters(&self) -> Option<Tensor<4>>;

    /// Loads burnpack bytes held in memory (a web page's fetch); `label` names them in
    /// messages.
    fn load_burnpack(
        self: Box<Self>,
        label: &str,
        bytes: Vec<u8>,
    ) -> Result<Box<dyn Classifier>, LoadError>;

    /// Saves the weights in Burn's burnpack format.
    fn save(&self, path: &Path) -> Result<(), LoadError>;

    /// Every tensor (parameters and running statistics) as float32 values, by path.
    fn named_tensors(&self) -> BTreeMap<String, Vec<f32>>;

    /// Training mode ([`Module::train`]): on an autodiff device, BatchNorms use and update
    /// batch statistics and dropout drops, except in what [`ModelObject::freeze_backbone`]
    /// froze.
    fn train_mode(self: Box<Self>) -> Box<dyn Classifier>;

    /// Evaluation mode ([`Module::valid`]): running statistics, no dropout, no autodiff.
    fn eval_mode(&self) -> Box<dyn Classifier>;

    /// Everything frozen ([`Module::freeze`]): no parameter gradients, running statistics, no
    /// dropout, while staying on an autodiff device, so gradients still reach the input (saliency,
    /// Grad-CAM).
    fn frozen(self: Box<Self>) -> Box<dyn Classifier>;

    /// Everything but the head frozen ([`Module::freeze`]): no gradients, and BatchNorm
    /// statistics kept, as a PyTorch backbone with `requires_grad = False` in `eval()`. The
    /// head keeps training (a linear probe).
    fn freeze_backbone(self: Box<Self>) -> Box<dyn Classifier>;

    /// The gradients of this model's parameters in `grads` (from `loss.backward()`), for
    /// [`ModelObject::step`].
    fn gradients(&self, grads: Gradients) -> GradientsParams;

    /// One optimizer step on this model: `lr` may give parameter groups their own rates
    /// ([`crate::train::learning_rates`]).
    fn step(
        self: Box<Self>,
        optim: &mut ModuleOptimizer,
        lr: ModuleLearningRate,
        grads: GradientsParams,
    ) -> Box<dyn Classifier>;

    /// The concrete model, for `downcast` (`Box<dyn Any>` → `Box<ResNet>`).
    fn into_any(self: Box<Self>) -> Box<dyn Any>;

    /// The concrete model, for `downcast_ref`.
    fn as_any(&self) -> &dyn Any;
}

impl<M: ZooModel + Fuse + Classifier + 'static> ModelObject for M {
    fn name(&self) -> &str {
        ZooModel::variant(self)
    }

    fn parameter_count(&self) -> usize {
        zoo_weights::parameter_count(self)
    }

    fn fuse_batch_norm(&mut self) {
        Fuse::fuse(self)
    }

    fn batch_norm_eps(&self) -> f64 {
        M::BATCH_NORM_EPS
    }

    fn load(
        self: Box<Self>,
        path: &Path,
        options: &ImportOptions,
    ) -> Result<(Box<dyn Classifier>, LoadReport), LoadError> {
        let (model, report) = (*self).load_weights_with_report(path, options)?;
        Ok((Box::new(model), report))
    }

    fn first_filters(&self) -> Option<Tensor<4>> {
        crate::inspect::first_conv_filters(self)
    }

    fn load_burnpack(
        self: Box<Self>,
        label: &str,
        bytes: Vec<u8>,
    ) -> Result<Box<dyn Classifier>, LoadError> {
        let name = ZooModel::variant(&*self).to_string();
        Ok(Box::new(zoo_weights::load_bytes(
            *self, &name, label, bytes,
        )?))
    }

    fn save(&self, path: &Path) -> Result<(), LoadError> {
        self.save_weights(path)
    }

    fn named_tensors(&self) -> BTreeMap<String, Vec<f32>> {
        zoo_weights::named_tensors(self)
    }

    fn train_mode(self: Box<Self>) -> Box<dyn Classifier> {
        Box::new(Module::train(*self))
    }

    fn eval_mode(&self) -> Box<dyn Classifier> {
        Box::new(Module::valid(self))
    }

    fn frozen(self: Box<Self>) -> Box<dyn Classifier> {
        Box::new(Module::freeze(*self))
    }

    fn freeze_backbone(self: Box<Self>) -> Box<dyn Classifier> {
        let mut model = Module::freeze(*self);
        match model.head_mut() {
            HeadMut::Linear(l) => *l = l.clone().unfreeze(),
            HeadMut::Conv(c) => *c = c.clone().unfreeze(),
        }
        Box::new(model)
    }

    fn gradients(&self, grads: Gradients) -> GradientsParams {
        GradientsParams::from_grads(grads, self)
    }

    fn step(
        self: Box<Self>,
        optim: &mut ModuleOptimizer,
        lr: ModuleLearningRate,
        grads: GradientsParams,
    ) -> Box<dyn Classifier> {
        Box::new(optim.step(lr, *self, grads))
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Boxed models fold their BatchNorms too (`model.fused()` works on `Box<dyn Classifier>`).
impl Fuse for Box<dyn Classifier> {
    fn fuse(&mut self) {
        self.fuse_batch_norm()
    }
}
