//! ResNet (He et al. 2015, "Deep Residual Learning for Image Recognition"), the same network
//! as torchvision's `resnet18` … `resnet152`. ResNeXt and Wide-ResNet are this trunk with
//! wider or grouped bottlenecks; their crates reuse [`ResNet`] through [`ResNetConfig`].
//!
//! ```
//! use burn::tensor::{Device, Tensor};
//! use zoo_model::Classifier;
//! let device = Device::default();
//! let mut model = zoo_resnet::resnet20(10, &device); // CIFAR ResNet-20 (akamaster)
//! let x = Tensor::zeros([2, 3, 32, 32], &device);
//! assert_eq!(model.embed(x.clone()).dims(), [2, 64]);
//! model.reset_classifier(100);
//! assert_eq!(model.forward(x).dims(), [2, 100]);
//! ```

#![warn(missing_docs)]

pub mod cifar;
mod model;
pub mod preact;

pub use cifar::{
    CifarResNet, CifarResNetConfig, resnet20, resnet32, resnet44, resnet56, resnet110, resnet1202,
};
pub use model::{KEY_MAP, ResNet, ResNetConfig};
pub use preact::{
    PreActResNet, PreActResNetConfig, preact_resnet110, preact_resnet164, preact_resnet1001,
};

use burn::tensor::Device;
use zoo_blocks::BlockKind;

/// ResNet-18: basic blocks, [2, 2, 2, 2].
pub fn resnet18(num_classes: usize, device: &Device) -> ResNet {
    ResNetConfig::new("resnet18", BlockKind::Basic, [2, 2, 2, 2], num_classes).init(device)
}

/// ResNet-34: basic blocks, [3, 4, 6, 3].
pub fn resnet34(num_classes: usize, device: &Device) -> ResNet {
    ResNetConfig::new("resnet34", BlockKind::Basic, [3, 4, 6, 3], num_classes).init(device)
}

/// ResNet-50: bottlenecks, [3, 4, 6, 3].
pub fn resnet50(num_classes: usize, device: &Device) -> ResNet {
    ResNetConfig::new("resnet50", BlockKind::Bottleneck, [3, 4, 6, 3], num_classes).init(device)
}

/// SE-ResNet-50 (Hu et al. 2018): ResNet-50 with squeeze-and-excitation in every bottleneck,
/// as timm's `seresnet50`.
pub fn seresnet50(num_classes: usize, device: &Device) -> ResNet {
    ResNetConfig::new(
        "seresnet50",
        BlockKind::Bottleneck,
        [3, 4, 6, 3],
        num_classes,
    )
    .with_se()
    .init(device)
}

/// ResNet-101: bottlenecks, [3, 4, 23, 3].
pub fn resnet101(num_classes: usize, device: &Device) -> ResNet {
    ResNetConfig::new(
        "resnet101",
        BlockKind::Bottleneck,
        [3, 4, 23, 3],
        num_classes,
    )
    .init(device)
}

/// ResNet-152: bottlenecks, [3, 8, 36, 3].
pub fn resnet152(num_classes: usize, device: &Device) -> ResNet {
    ResNetConfig::new(
        "resnet152",
        BlockKind::Bottleneck,
        [3, 8, 36, 3],
        num_classes,
    )
    .init(device)
}

use zoo_model::{InputSpec, Reference, VariantSpec};

const AKAMASTER: Reference = Reference::Code(
    "akamaster/pytorch_resnet_cifar10 (option-A shortcuts)",
    "scripts/cifar_models.py",
);
const PREACT: Reference = Reference::Code(
    "He et al. 2016, resnet-pre-act.lua",
    "scripts/cifar_models.py",
);

/// Every variant of this crate, each stated once: the facade, the command line, the registry
/// generator's check and the parity tests iterate over it.
#[rustfmt::skip]
pub static VARIANTS: &[VariantSpec] = &[
    VariantSpec::torchvision("resnet18", "resnet", |n, d| Box::new(resnet18(n, d)), 11_689_512),
    VariantSpec::torchvision("resnet34", "resnet", |n, d| Box::new(resnet34(n, d)), 21_797_672),
    VariantSpec::torchvision("resnet50", "resnet", |n, d| Box::new(resnet50(n, d)), 25_557_032),
    VariantSpec::torchvision("resnet101", "resnet", |n, d| Box::new(resnet101(n, d)), 44_549_160),
    VariantSpec::torchvision("resnet152", "resnet", |n, d| Box::new(resnet152(n, d)), 60_192_808),
    VariantSpec::torchvision("seresnet50", "resnet", |n, d| Box::new(seresnet50(n, d)), 28_088_024)
        .with_reference(zoo_model::Reference::Timm("seresnet50")),
    VariantSpec::cifar("resnet20", "resnet", |n, d| Box::new(resnet20(n, d)), 269_722, AKAMASTER),
    VariantSpec::cifar("resnet32", "resnet", |n, d| Box::new(resnet32(n, d)), 464_154, AKAMASTER),
    VariantSpec::cifar("resnet44", "resnet", |n, d| Box::new(resnet44(n, d)), 658_586, AKAMASTER),
    VariantSpec::cifar("resnet56", "resnet", |n, d| Box::new(resnet56(n, d)), 853_018, AKAMASTER),
    VariantSpec::cifar("resnet110", "resnet", |n, d| Box::new(resnet110(n, d)), 1_727_962, AKAMASTER),
    VariantSpec::cifar("resnet1202", "resnet", |n, d| Box::new(resnet1202(n, d)), 19_421_274, AKAMASTER),
    VariantSpec::cifar("preact_resnet110", "resnet", |n, d| Box::new(preact_resnet110(n, d)), 1_730_522, PREACT).with_input(InputSpec::fb_cifar()),
    VariantSpec::cifar("preact_resnet164", "resnet", |n, d| Box::new(preact_resnet164(n, d)), 1_703_258, PREACT).with_input(InputSpec::fb_cifar()),
    VariantSpec::cifar("preact_resnet1001", "resnet", |n, d| Box::new(preact_resnet1001(n, d)), 10_327_706, PREACT).with_input(InputSpec::fb_cifar()),
];

#[cfg(test)]
mod table {
    /// Every row builds with its stated parameter count, and the model API holds.
    #[test]
    fn every_variant_is_what_its_row_says() {
        zoo_model::testing::check_table(super::VARIANTS, "resnet");
    }
}
