//! Convolutions initialised the way torchvision initialises them, and the conv + BN pair.

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Initializer, PaddingConfig2d};
use burn::tensor::{Device, Tensor};

/// A bias-free convolution with torchvision's `kaiming_normal_(mode="fan_out",
/// nonlinearity="relu")` initialisation.
///
/// PyTorch's fan-out is `out_channels * kh * kw` whatever the groups (Burn divides by the
/// groups), so the standard deviation is computed here rather than by `KaimingNormal`.
pub fn conv2d(
    channels: [usize; 2],
    kernel: usize,
    stride: usize,
    padding: usize,
    groups: usize,
    device: &Device,
) -> Conv2d {
    let fan_out = (channels[1] * kernel * kernel) as f64;
    Conv2dConfig::new(channels, [kernel, kernel])
        .with_stride([stride, stride])
        .with_padding(PaddingConfig2d::Explicit(
            padding, padding, padding, padding,
        ))
        .with_groups(groups)
        .with_bias(false)
        .with_initializer(Initializer::Normal {
            mean: 0.0,
            std: (2.0 / fan_out).sqrt(),
        })
        .init(device)
}

/// 3×3 convolution with padding 1 (torchvision's `conv3x3`).
pub fn conv3x3(c_in: usize, c_out: usize, stride: usize, groups: usize, device: &Device) -> Conv2d {
    conv2d([c_in, c_out], 3, stride, 1, groups, device)
}

/// 1×1 convolution (torchvision's `conv1x1`).
pub fn conv1x1(c_in: usize, c_out: usize, stride: usize, device: &Device) -> Conv2d {
    conv2d([c_in, c_out], 1, stride, 0, 1, device)
}

/// BatchNorm with weight 1 and bias 0, as torchvision sets it; `eps` is 1e-5 for most
/// families and 1e-3 for GoogLeNet.
pub fn batch_norm(features: usize, eps: f64, device: &Device) -> BatchNorm {
    BatchNormConfig::new(features)
        .with_epsilon(eps)
        .init(device)
}

/// A convolution followed by BatchNorm, no activation: ResNet's downsample path
/// (`downsample.0`, `downsample.1` in torchvision, `conv`/`bn` here).
#[derive(Module, Debug)]
pub struct ConvBn {
    pub conv: Conv2d,
    pub bn: BatchNorm,
}

impl ConvBn {
    pub fn new(conv: Conv2d, eps: f64, device: &Device) -> Self {
        let features = conv.weight.dims()[0];
        Self {
            conv,
            bn: batch_norm(features, eps, device),
        }
    }

    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        self.bn.forward(self.conv.forward(x))
    }
}
