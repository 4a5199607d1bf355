//! WRN-d-k for CIFAR (Zagoruyko & Komodakis 2016): the pre-activation ResNet trunk of
//! `zoo_resnet::preact` with basic units of widths 16k, 32k, 64k. The same network as the
//! authors' official PyTorch code (szagoruyko/wide-residual-networks, `resnet.py`), whose flat
//! keys load unchanged.

use burn::tensor::Device;
use zoo_blocks::BlockKind;
use zoo_resnet::preact::PreActResNetConfig;
pub use zoo_resnet::preact::{PREACT_KEY_MAP as CIFAR_KEY_MAP, PreActResNet as WideResNet};

/// WRN-`depth`-`k` with `num_classes` outputs: basic units of widths 16k, 32k, 64k, (d − 4)/6
/// per group. Add `.with_dropout(0.3)` for the paper's training setting, then
/// `.init(&device)`. Panics unless `depth` is 6n+4.
pub fn wide_resnet_config(depth: usize, k: usize, num_classes: usize) -> PreActResNetConfig {
    assert!(
        depth >= 10 && (depth - 4).is_multiple_of(6),
        "WRN depth must be 6n+4, got {depth}"
    );
    PreActResNetConfig {
        name: format!("wrn_{depth}_{k}"),
        block: BlockKind::Basic,
        units: (depth - 4) / 6,
        widths: [16 * k, 32 * k, 64 * k],
        dropout: 0.0,
        num_classes,
    }
}

macro_rules! wrn_builders {
    ($($name:ident $depth:literal $k:literal),*) => {$(
        #[doc = concat!("WRN-", stringify!($depth), "-", stringify!($k), " for CIFAR, without dropout.")]
        pub fn $name(num_classes: usize, device: &Device) -> WideResNet {
            wide_resnet_config($depth, $k, num_classes).init(device)
        }
    )*};
}

wrn_builders!(wrn_16_4 16 4, wrn_16_8 16 8, wrn_22_8 22 8, wrn_28_10 28 10, wrn_40_4 40 4);
