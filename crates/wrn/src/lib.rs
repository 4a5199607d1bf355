//! Wide Residual Networks (Zagoruyko & Komodakis 2016): WRN-d-k for CIFAR ([`cifar`]), and the
//! ImageNet variants, which are
//! torchvision's `wide_resnet50_2`/`wide_resnet101_2`: ResNet bottlenecks whose inner
//! 3×3 width is doubled (`width_per_group = 128`), outer widths unchanged.

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
