//! The dense layer and the transition, as the authors' `DenseConnectLayerStandard` and
//! `addTransition` (liuzhuang13/DenseNet) build them; convolutions have no bias.

use burn::module::Module;
use burn::nn::conv::Conv2d;
use burn::nn::pool::{AvgPool2d, AvgPool2dConfig};
use burn::nn::{BatchNorm, Dropout, DropoutConfig};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};
use zoo_blocks::{batch_norm, conv1x1, conv3x3};

/// BN-ReLU-conv3×3 to `growth` maps, or with a bottleneck (DenseNet-B)
/// BN-ReLU-conv1×1 to 4·growth, BN-ReLU-conv3×3; dropout after each convolution when set.
/// The output is the input with the new maps concatenated behind it.
#[derive(Module, Debug)]
pub struct DenseLayer {
    pub norm1: BatchNorm,
    pub conv1: Conv2d,
    /// Present with a bottleneck: the 3×3 convolution after the 1×1 `conv1`.
    pub norm2: Option<BatchNorm>,
    pub conv2: Option<Conv2d>,
    pub dropout: Dropout,
}

impl DenseLayer {
    pub fn new(
        c_in: usize,
        growth: usize,
        bottleneck: bool,
        dropout: f64,
        device: &Device,
    ) -> Self {
        let (conv1, norm2, conv2) = if bottleneck {
            let mid = 4 * growth;
            (
                conv1x1(c_in, mid, 1, device),
                Some(batch_norm(mid, 1e-5, device)),
                Some(conv3x3(mid, growth, 1, 1, device)),
            )
        } else {
            (conv3x3(c_in, growth, 1, 1, device), None, None)
        };
        Self {
            norm1: batch_norm(c_in, 1e-5, device),
            conv1,
            norm2,
            conv2,
            dropout: DropoutConfig::new(dropout).init(),
        }
    }

    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let y = self
            .dropout
            .forward(self.conv1.forward(relu(self.norm1.forward(x.clone()))));
        let y = match (&self.norm2, &self.conv2) {
            (Some(norm), Some(conv)) => self.dropout.forward(conv.forward(relu(norm.forward(y)))),
            _ => y,
        };
        Tensor::cat(vec![x, y], 1)
    }
}

/// BN-ReLU-conv1×1-(dropout)-avgpool 2×2 between dense blocks.
#[derive(Module, Debug)]
pub struct Transition {
    pub norm: BatchNorm,
    pub conv: Conv2d,
    pub dropout: Dropout,
    pub pool: AvgPool2d,
}

impl Transition {
    pub fn new(c_in: usize, c_out: usize, dropout: f64, device: &Device) -> Self {
        Self {
            norm: batch_norm(c_in, 1e-5, device),
            conv: conv1x1(c_in, c_out, 1, device),
            dropout: DropoutConfig::new(dropout).init(),
            pool: AvgPool2dConfig::new([2, 2]).init(),
        }
    }

    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let y = self
            .dropout
            .forward(self.conv.forward(relu(self.norm.forward(x))));
        self.pool.forward(y)
    }
}
