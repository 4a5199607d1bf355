//! Bilinear CNNs (Lin, RoyChowdhury and Maji 2015, "Bilinear CNN models for fine-grained visual
//! recognition"): a backbone's last feature map pooled by the outer product of its vectors
//! with themselves (or with a second stream's), averaged over locations, signed square root
//! and L2 normalisation ([`zoo_blocks::bilinear_pool`]), then one linear classifier.
//!
//! `bilinear_vgg16` is the paper's symmetric B-CNN [D,D]: VGG-16's convolutions up to conv5_3
//! and its ReLU (torchvision's `features` without the last max-pool), 512 × 512 = 262,144
//! bilinear features, at the paper's 448×448 input, with CUB-200-2011's 200 classes. Its
//! `features` take torchvision's `vgg16` keys, so ImageNet VGG-16 weights start its backbone.
//!
//! The pooling is a head on any feature map: [`zoo_blocks::BilinearHead`] classifies
//! another zoo model's `forward_features`.
//!
//! ```
//! use burn::tensor::{Device, Tensor};
//! use zoo_model::Classifier;
//! let device = Device::default();
//! let model = zoo_bilinear::bilinear_vgg16(200, &device);
//! let x = Tensor::zeros([1, 3, 64, 64], &device);
//! assert_eq!(model.forward_features(x.clone()).dims(), [1, 512, 4, 4]);
//! assert_eq!(model.embed(x.clone()).dims(), [1, 512 * 512]);
//! assert_eq!(model.forward(x).dims(), [1, 200]);
//! ```

#![warn(missing_docs)]

use burn::module::Module;
use burn::nn::Linear;
use burn::tensor::{Device, Tensor};
use zoo_blocks::norm::Fuse;
use zoo_blocks::{Layer, bilinear_pool, linear, sequential};
use zoo_model::{
    Classifier, FeatureInfo, Head, HeadMut, InputSpec, Labels, Reference, Stages, VariantSpec,
};
use zoo_weights::{KeyMap, ZooModel};

/// A symmetric bilinear CNN: a VGG-style `features` stack, bilinear pooling, `fc`.
#[derive(Module, Debug)]
pub struct BilinearCnn {
    /// The backbone, numbered as torchvision's VGG `features` (without its last max-pool).
    pub features: Vec<Layer>,
    /// The linear classifier on the c² bilinear features.
    pub fc: Linear,
    /// The variant's name; not a weight.
    #[module(skip)]
    pub variant: String,
}

impl BilinearCnn {
    /// A bilinear CNN on the VGG configuration `layers` (its last max-pool dropped).
    pub fn vgg(name: &str, layers: &[zoo_vgg::Entry], num_classes: usize, d: &Device) -> Self {
        let (mut features, c) = zoo_vgg::features(layers, false, d);
        if matches!(features.last(), Some(Layer::MaxPool(_))) {
            features.pop();
        }
        Self {
            features,
            fc: linear(c * c, num_classes, d),
            variant: name.into(),
        }
    }

    /// Normalised images → logits.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        Classifier::forward(self, x)
    }
}

impl Classifier for BilinearCnn {
    fn forward_features(&self, x: Tensor<4>) -> Tensor<4> {
        sequential(&self.features, x)
    }

    /// Bilinear pooling of the map with itself: `[n, c²]`.
    fn pool(&self, features: Tensor<4>) -> Tensor<2> {
        bilinear_pool(features.clone(), features)
    }

    fn head(&self) -> Head<'_> {
        Head::Linear(&self.fc)
    }

    fn head_mut(&mut self) -> HeadMut<'_> {
        HeadMut::Linear(&mut self.fc)
    }

    /// Each block after its last ReLU, before its pooling, named by the `features` index.
    fn feature_info(&self) -> Vec<FeatureInfo> {
        zoo_model::stage_info(&self.features)
    }

    fn run_stages(&self, x: Tensor<4>, stages: &mut Stages) {
        zoo_model::run_stages(&self.features, x, stages)
    }
}

impl ZooModel for BilinearCnn {
    fn variant(&self) -> &str {
        &self.variant
    }

    fn key_map() -> KeyMap {
        &[]
    }
}

/// No BatchNorm to fold.
impl Fuse for BilinearCnn {
    fn fuse(&mut self) {}
}

/// The paper's B-CNN [D,D]: VGG-16's convolutions, 262,144 bilinear features, `fc`
/// (67,143,688 parameters at 200 classes).
pub fn bilinear_vgg16(num_classes: usize, device: &Device) -> BilinearCnn {
    BilinearCnn::vgg("bilinear_vgg16", zoo_vgg::D, num_classes, device)
}

/// Every variant of this crate, each stated once (see [`VariantSpec`]).
pub static VARIANTS: &[VariantSpec] = &[VariantSpec {
    classes: 200,
    labels: Labels::Cub200,
    ..VariantSpec::torchvision(
        "bilinear_vgg16",
        "bilinear",
        |n, d| Box::new(bilinear_vgg16(n, d)),
        67_143_688,
    )
    .with_input(InputSpec::imagenet(448))
    .with_reference(Reference::Code(
        "Lin et al. 2015 B-CNN [D,D], as HaoMood/bilinear-cnn",
        "scripts/course_models.py BilinearCNN",
    ))
}];

#[cfg(test)]
mod table {
    /// Every row builds with its stated parameter count, and the model API holds.
    #[test]
    fn every_variant_is_what_its_row_says() {
        zoo_model::testing::check_table(super::VARIANTS, "bilinear");
    }
}
