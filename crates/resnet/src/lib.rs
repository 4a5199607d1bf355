//! ResNet (He et al. 2015, "Deep Residual Learning for Image Recognition"), the same network
//! as torchvision's `resnet18` … `resnet152`. ResNeXt and Wide-ResNet are this trunk with
//! wider or grouped bottlenecks; their crates reuse [`ResNet`] through [`ResNetConfig`].

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
