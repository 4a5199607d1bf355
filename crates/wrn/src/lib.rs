//! Wide Residual Networks (Zagoruyko & Komodakis 2016): WRN-d-k for CIFAR ([`cifar`]), and the
//! ImageNet variants, which are
//! torchvision's `wide_resnet50_2`/`wide_resnet101_2`: ResNet bottlenecks whose inner
//! 3×3 width is doubled (`width_per_group = 128`), outer widths unchanged.
//!
//! ```
//! use burn::tensor::{Device, Tensor};
//! let device = Device::default();
//! let model = zoo_wrn::wide_resnet_config(16, 4, 10).with_dropout(0.3).init(&device); // WRN-16-4
//! assert_eq!(model.forward(Tensor::zeros([1, 3, 32, 32], &device)).dims(), [1, 10]);
//! ```

#![warn(missing_docs)]

pub mod cifar;

pub use cifar::{
    WideResNet, wide_resnet_config, wrn_16_4, wrn_16_8, wrn_22_8, wrn_28_10, wrn_40_4,
};
pub use zoo_resnet::{KEY_MAP, ResNet, ResNetConfig};

use burn::tensor::Device;
use zoo_blocks::BlockKind;

/// Wide ResNet-50-2: ResNet-50 with bottlenecks twice as wide.
pub fn wide_resnet50_2(num_classes: usize, device: &Device) -> ResNet {
    ResNetConfig::new(
        "wide_resnet50_2",
        BlockKind::Bottleneck,
        [3, 4, 6, 3],
        num_classes,
    )
    .with_groups(1, 128)
    .init(device)
}

/// Wide ResNet-101-2: ResNet-101 with bottlenecks twice as wide.
pub fn wide_resnet101_2(num_classes: usize, device: &Device) -> ResNet {
    ResNetConfig::new(
        "wide_resnet101_2",
        BlockKind::Bottleneck,
        [3, 4, 23, 3],
        num_classes,
    )
    .with_groups(1, 128)
    .init(device)
}

use zoo_model::{InputSpec, Reference, VariantSpec};

/// The official code's CIFAR-10 statistics (fb.resnet.torch's, of pixels / 255).
pub use zoo_model::{CIFAR_MEAN, CIFAR_STD};
const CIFAR: InputSpec = InputSpec::fb_cifar();

const WRN: Reference = Reference::Code(
    "szagoruyko/wide-residual-networks, resnet.py",
    "scripts/cifar_models.py",
);

/// Every variant of this crate, each stated once (see `zoo_model::VariantSpec`).
#[rustfmt::skip]
pub static VARIANTS: &[VariantSpec] = &[
    VariantSpec::torchvision("wide_resnet50_2", "wrn", |n, d| Box::new(wide_resnet50_2(n, d)), 68_883_240),
    VariantSpec::torchvision("wide_resnet101_2", "wrn", |n, d| Box::new(wide_resnet101_2(n, d)), 126_886_696),
    VariantSpec::cifar("wrn_16_4", "wrn", |n, d| Box::new(wrn_16_4(n, d)), 2_748_890, WRN).with_input(CIFAR),
    VariantSpec::cifar("wrn_16_8", "wrn", |n, d| Box::new(wrn_16_8(n, d)), 10_961_370, WRN).with_input(CIFAR),
    VariantSpec::cifar("wrn_22_8", "wrn", |n, d| Box::new(wrn_22_8(n, d)), 17_158_106, WRN).with_input(CIFAR),
    VariantSpec::cifar("wrn_28_10", "wrn", |n, d| Box::new(wrn_28_10(n, d)), 36_479_194, WRN).with_input(CIFAR),
    VariantSpec::cifar("wrn_40_4", "wrn", |n, d| Box::new(wrn_40_4(n, d)), 8_949_210, WRN).with_input(CIFAR),
];

#[cfg(test)]
mod table {
    /// Every row builds with its stated parameter count, and the model API holds.
    #[test]
    fn every_variant_is_what_its_row_says() {
        zoo_model::testing::check_table(super::VARIANTS, "wrn");
    }
}
