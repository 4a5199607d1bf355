//! WRN-d-k for CIFAR (Zagoruyko & Komodakis 2016): a 3×3 stem of 16 maps, three groups of
//! n = (d − 4) / 6 pre-activation blocks of widths 16k, 32k, 64k, then BN-ReLU, global pooling
//! and `fc`. The same network as the authors' official PyTorch code (szagoruyko/
//! wide-residual-networks, `resnet.py`), whose flat keys the key map reads.

use burn::module::Module;
use burn::nn::conv::Conv2d;
use burn::nn::{BatchNorm, Linear};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};
use zoo_blocks::{PreActBlock, batch_norm, conv3x3, global_avg_pool, linear};
use zoo_weights::{KeyMap, ZooModel};

/// The official code names blocks `groupG.blockB` and convolution tensors by the layer alone
/// (`group0.block0.conv0`), without `.weight`.
pub const CIFAR_KEY_MAP: KeyMap = &[
    (r"^(.*conv(0|1|dim))$", "$1.weight"),
    (r"\.block(\d+)\.", ".$1."),
];

#[derive(Clone, Debug)]
pub struct WideResNetConfig {
    pub name: String,
    /// 6n + 4.
    pub depth: usize,
    pub widen: usize,
    pub dropout: f64,
    pub num_classes: usize,
}

impl WideResNetConfig {
    /// Panics unless `depth` is 6n + 4 with n ≥ 1.
    pub fn new(depth: usize, widen: usize, num_classes: usize) -> Self {
        assert!(
            depth >= 10 && (depth - 4).is_multiple_of(6),
            "WRN depth must be 6n+4, got {depth}"
        );
        Self {
            name: format!("wrn_{depth}_{widen}"),
            depth,
            widen,
            dropout: 0.0,
            num_classes,
        }
    }

    /// Dropout between the two convolutions of every block (the paper uses 0.3 on CIFAR).
    pub fn with_dropout(mut self, p: f64) -> Self {
        self.dropout = p;
        self
    }

    pub fn init(&self, device: &Device) -> WideResNet {
        let n = (self.depth - 4) / 6;
        let widths = [16 * self.widen, 32 * self.widen, 64 * self.widen];
        let group = |c_in: usize, c_out: usize, stride: usize| -> Vec<PreActBlock> {
            (0..n)
                .map(|i| {
                    let (c, s) = if i == 0 { (c_in, stride) } else { (c_out, 1) };
                    PreActBlock::new(c, c_out, s, self.dropout, device)
                })
                .collect()
        };
        WideResNet {
            conv0: conv3x3(3, 16, 1, 1, device),
            group0: group(16, widths[0], 1),
            group1: group(widths[0], widths[1], 2),
            group2: group(widths[1], widths[2], 2),
            bn: batch_norm(widths[2], 1e-5, device),
            fc: linear(widths[2], self.num_classes, device),
            variant: self.name.clone(),
        }
    }
}

#[derive(Module, Debug)]
pub struct WideResNet {
    pub conv0: Conv2d,
    pub group0: Vec<PreActBlock>,
    pub group1: Vec<PreActBlock>,
    pub group2: Vec<PreActBlock>,
    pub bn: BatchNorm,
    pub fc: Linear,
    #[module(skip)]
    pub variant: String,
}

impl WideResNet {
    /// `[n, 3, 32, 32]` normalised images → `[n, num_classes]` logits.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let x = self.conv0.forward(x);
        let x = [&self.group0, &self.group1, &self.group2]
            .into_iter()
            .flatten()
            .fold(x, |x, block| block.forward(x));
        self.fc.forward(global_avg_pool(relu(self.bn.forward(x))))
    }
}

impl ZooModel for WideResNet {
    fn variant(&self) -> &str {
        &self.variant
    }

    fn key_map() -> KeyMap {
        CIFAR_KEY_MAP
    }
}

macro_rules! wrn_builders {
    ($($name:ident $depth:literal $k:literal),*) => {$(
        #[doc = concat!("WRN-", stringify!($depth), "-", stringify!($k), " for CIFAR, no dropout (see [`WideResNetConfig::with_dropout`]).")]
        pub fn $name(num_classes: usize, device: &Device) -> WideResNet {
            WideResNetConfig::new($depth, $k, num_classes).init(device)
        }
    )*};
}

wrn_builders!(wrn_16_4 16 4, wrn_16_8 16 8, wrn_22_8 22 8, wrn_28_10 28 10, wrn_40_4 40 4);
