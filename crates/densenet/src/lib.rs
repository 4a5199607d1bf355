//! DenseNet (Huang, Liu, van der Maaten & Weinberger 2017, "Densely Connected Convolutional
//! Networks"): torchvision's ImageNet networks ([`imagenet`]) and the CIFAR networks of the
//! paper, DenseNet and DenseNet-BC ([`cifar`]), built from the same layers.
//!
//! ```
//! use zoo_model::{Classifier, ModelObject};
//! let device = burn::tensor::Device::default();
//! let model = zoo_densenet::densenet_bc100_k12(10, &device); // DenseNet-BC (L=100, k=12)
//! assert_eq!(model.parameter_count(), 769_162);
//! assert_eq!(model.num_features(), 342);
//! ```

#![warn(missing_docs)]

pub mod cifar;
pub mod imagenet;
mod layers;

pub use cifar::{
    CifarDenseNet, CifarDenseNetConfig, densenet_bc100_k12, densenet_bc190_k40, densenet_bc250_k24,
    densenet40_k12, densenet100_k12,
};
pub use imagenet::{
    DenseNet, DenseNetConfig, KEY_MAP, densenet121, densenet161, densenet169, densenet201,
};
pub use layers::{BlockShape, DenseLayer, Transition, dense_block};

use zoo_model::{InputSpec, Reference, VariantSpec};

const LIUZHUANG: Reference = Reference::Code(
    "liuzhuang13/DenseNet, models/densenet.lua (CIFAR branch)",
    "scripts/cifar_models.py",
);

/// Every variant of this crate, each stated once (see [`VariantSpec`]).
#[rustfmt::skip]
pub static VARIANTS: &[VariantSpec] = &[
    VariantSpec::torchvision("densenet121", "densenet", |n, d| Box::new(densenet121(n, d)), 7_978_856),
    VariantSpec::torchvision("densenet161", "densenet", |n, d| Box::new(densenet161(n, d)), 28_681_000),
    VariantSpec::torchvision("densenet169", "densenet", |n, d| Box::new(densenet169(n, d)), 14_149_480),
    VariantSpec::torchvision("densenet201", "densenet", |n, d| Box::new(densenet201(n, d)), 20_013_928),
    VariantSpec::cifar("densenet40_k12", "densenet", |n, d| Box::new(densenet40_k12(n, d)), 1_059_298, LIUZHUANG).with_input(InputSpec::fb_cifar()),
    VariantSpec::cifar("densenet100_k12", "densenet", |n, d| Box::new(densenet100_k12(n, d)), 7_083_538, LIUZHUANG).with_input(InputSpec::fb_cifar()),
    VariantSpec::cifar("densenet_bc100_k12", "densenet", |n, d| Box::new(densenet_bc100_k12(n, d)), 769_162, LIUZHUANG).with_input(InputSpec::fb_cifar()),
    VariantSpec::cifar("densenet_bc250_k24", "densenet", |n, d| Box::new(densenet_bc250_k24(n, d)), 15_324_406, LIUZHUANG).with_input(InputSpec::fb_cifar()),
    VariantSpec::cifar("densenet_bc190_k40", "densenet", |n, d| Box::new(densenet_bc190_k40(n, d)), 25_624_430, LIUZHUANG).with_input(InputSpec::fb_cifar()),
];

#[cfg(test)]
mod table {
    /// Every row builds with its stated parameter count, and the model API holds.
    #[test]
    fn every_variant_is_what_its_row_says() {
        zoo_model::testing::check_table(super::VARIANTS, "densenet");
    }
}
