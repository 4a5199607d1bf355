//! ResNeXt (Xie et al. 2017, "Aggregated Residual Transformations"): ResNet bottlenecks whose
//! 3×3 convolution is split into `groups` paths. The same networks as torchvision's.
//!
//! ```
//! use zoo_model::ModelObject;
//! let device = burn::tensor::Device::default();
//! let model = zoo_resnext::resnext50_32x4d(1000, &device);
//! assert_eq!(model.parameter_count(), 25_028_904); // torchvision's figure
//! ```

#![warn(missing_docs)]

pub use zoo_resnet::{KEY_MAP, ResNet, ResNetConfig};

use burn::tensor::Device;
use zoo_blocks::BlockKind;

/// SE-ResNeXt-50 32×4d (Hu et al. 2018): ResNeXt-50 with squeeze-and-excitation in every
/// bottleneck, as timm's `seresnext50_32x4d`.
pub fn seresnext50_32x4d(num_classes: usize, device: &Device) -> ResNet {
    ResNetConfig::new(
        "seresnext50_32x4d",
        BlockKind::Bottleneck,
        [3, 4, 6, 3],
        num_classes,
    )
    .with_groups(32, 4)
    .with_se()
    .init(device)
}

/// ResNeXt-50 32×4d: [3, 4, 6, 3], 32 groups of width 4.
pub fn resnext50_32x4d(num_classes: usize, device: &Device) -> ResNet {
    ResNetConfig::new(
        "resnext50_32x4d",
        BlockKind::Bottleneck,
        [3, 4, 6, 3],
        num_classes,
    )
    .with_groups(32, 4)
    .init(device)
}

/// ResNeXt-101 32×8d: [3, 4, 23, 3], 32 groups of width 8.
pub fn resnext101_32x8d(num_classes: usize, device: &Device) -> ResNet {
    ResNetConfig::new(
        "resnext101_32x8d",
        BlockKind::Bottleneck,
        [3, 4, 23, 3],
        num_classes,
    )
    .with_groups(32, 8)
    .init(device)
}

/// ResNeXt-101 64×4d: [3, 4, 23, 3], 64 groups of width 4.
pub fn resnext101_64x4d(num_classes: usize, device: &Device) -> ResNet {
    ResNetConfig::new(
        "resnext101_64x4d",
        BlockKind::Bottleneck,
        [3, 4, 23, 3],
        num_classes,
    )
    .with_groups(64, 4)
    .init(device)
}

/// Every variant of this crate, each stated once (see `zoo_model::VariantSpec`).
#[rustfmt::skip]
pub static VARIANTS: &[zoo_model::VariantSpec] = &[
    zoo_model::VariantSpec::torchvision("resnext50_32x4d", "resnext", |n, d| Box::new(resnext50_32x4d(n, d)), 25_028_904),
    zoo_model::VariantSpec::torchvision("resnext101_32x8d", "resnext", |n, d| Box::new(resnext101_32x8d(n, d)), 88_791_336),
    zoo_model::VariantSpec::torchvision("resnext101_64x4d", "resnext", |n, d| Box::new(resnext101_64x4d(n, d)), 83_455_272),
    zoo_model::VariantSpec::torchvision("seresnext50_32x4d", "resnext", |n, d| Box::new(seresnext50_32x4d(n, d)), 27_559_896)
        .with_reference(zoo_model::Reference::Timm("seresnext50_32x4d")),
];

#[cfg(test)]
mod table {
    /// Every row builds with its stated parameter count, and the model API holds.
    #[test]
    fn every_variant_is_what_its_row_says() {
        zoo_model::testing::check_table(super::VARIANTS, "resnext");
    }
}
