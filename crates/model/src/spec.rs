//! One row of a family's variant table.

use burn::tensor::Device;
use zoo_blocks::{IMAGENET_MEAN, IMAGENET_STD};

use crate::{Classifier, Labels};

/// Builds a variant with this many classes on this device.
pub type Builder = fn(usize, &Device) -> Box<dyn Classifier>;

/// What a variant takes as input.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InputSpec {
    /// 3 for RGB, 1 for greyscale.
    pub channels: usize,
    /// Side of the square input the reference was built for.
    pub size: usize,
    /// Per-channel mean subtracted from pixels in [0, 1].
    pub mean: &'static [f32],
    /// Per-channel standard deviation the centred pixels are divided by.
    pub std: &'static [f32],
}

/// CIFAR-10 channel means of fb.resnet.torch (of pixels / 255), which the pre-activation ResNet,
/// WRN and DenseNet code bases all inherit.
pub const CIFAR_MEAN: [f32; 3] = [125.3 / 255.0, 123.0 / 255.0, 113.9 / 255.0];
/// CIFAR-10 channel standard deviations of fb.resnet.torch (of pixels / 255).
pub const CIFAR_STD: [f32; 3] = [63.0 / 255.0, 62.1 / 255.0, 66.7 / 255.0];

impl InputSpec {
    /// 32×32 RGB with fb.resnet.torch's CIFAR-10 statistics.
    pub const fn fb_cifar() -> Self {
        Self {
            channels: 3,
            size: 32,
            mean: &CIFAR_MEAN,
            std: &CIFAR_STD,
        }
    }

    /// An RGB input of this side, with ImageNet's statistics.
    pub const fn imagenet(size: usize) -> Self {
        Self {
            channels: 3,
            size,
            mean: &IMAGENET_MEAN,
            std: &IMAGENET_STD,
        }
    }

    /// A one-channel input of this side with these statistics.
    pub const fn grey(size: usize, mean: &'static [f32], std: &'static [f32]) -> Self {
        Self {
            channels: 1,
            size,
            mean,
            std,
        }
    }
}

/// The implementation a variant is proven equal to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reference {
    /// `torchvision.models.<name>`.
    Torchvision(&'static str),
    /// `timm.create_model("<name>")`.
    Timm(&'static str),
    /// The paper's or another public code base, as re-written in `scripts/` (`what`, `where`).
    Code(&'static str, &'static str),
}

impl std::fmt::Display for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Torchvision(n) => write!(f, "torchvision {n}"),
            Self::Timm(n) => write!(f, "timm {n}"),
            Self::Code(what, at) => write!(f, "{what} ({at})"),
        }
    }
}

/// A variant, stated once in its family's table: everything the command line, the facade,
/// the registry generator and the tests need to know about it.
#[derive(Clone, Copy, Debug)]
pub struct VariantSpec {
    /// The builder's name, as torchvision or timm names it (`resnet50`).
    pub name: &'static str,
    /// The family crate's name without `zoo-` (`resnet`).
    pub family: &'static str,
    /// The builder: `(num_classes, device)` → model.
    pub build: Builder,
    /// The model as the reference's published weights expect it, when that differs from
    /// `build` (torchvision's GoogLeNet weights re-normalise their input inside the model).
    pub published: Option<Builder>,
    /// Classes of the reference model.
    pub classes: usize,
    /// Trainable parameters of the reference model at `classes` classes.
    pub params: usize,
    /// What the model takes.
    pub input: InputSpec,
    /// What its outputs name.
    pub labels: Labels,
    /// The implementation its parity fixtures come from.
    pub reference: Reference,
    /// Weights shipped inside the family crate, loaded when no others are named.
    pub embedded: Option<Embedded>,
}

/// Loads a variant with the weights its crate embeds.
pub type Embedded = fn(&Device) -> Result<Box<dyn Classifier>, zoo_weights::LoadError>;

impl VariantSpec {
    /// A torchvision ImageNet-1k variant of that name at 224×224.
    pub const fn torchvision(
        name: &'static str,
        family: &'static str,
        build: Builder,
        params: usize,
    ) -> Self {
        Self {
            name,
            family,
            build,
            published: None,
            classes: 1000,
            params,
            input: InputSpec::imagenet(224),
            labels: Labels::ImageNet1k,
            reference: Reference::Torchvision(name),
            embedded: None,
        }
    }

    /// A CIFAR-10 variant (32×32 RGB, ImageNet's statistics as akamaster's code uses them).
    pub const fn cifar(
        name: &'static str,
        family: &'static str,
        build: Builder,
        params: usize,
        reference: Reference,
    ) -> Self {
        Self {
            classes: 10,
            input: InputSpec::imagenet(32),
            labels: Labels::Cifar10,
            reference,
            ..Self::torchvision(name, family, build, params)
        }
    }

    /// This spec with another input.
    pub const fn with_input(self, input: InputSpec) -> Self {
        Self { input, ..self }
    }

    /// This spec with another reference.
    pub const fn with_reference(self, reference: Reference) -> Self {
        Self { reference, ..self }
    }

    /// This spec with a separate builder for published weights.
    pub const fn with_published(self, published: Builder) -> Self {
        Self {
            published: Some(published),
            ..self
        }
    }

    /// The variant with `num_classes` outputs.
    pub fn build(&self, num_classes: usize, device: &Device) -> Box<dyn Classifier> {
        (self.build)(num_classes, device)
    }

    /// The variant configured as its published weights expect.
    pub fn build_published(&self, num_classes: usize, device: &Device) -> Box<dyn Classifier> {
        (self.published.unwrap_or(self.build))(num_classes, device)
    }
}
