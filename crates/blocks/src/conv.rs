//! Convolutions initialised the way torchvision initialises them, and the conv + BN pair.

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Initializer, PaddingConfig2d};

use crate::engine::conv_fused;
use crate::norm::{BatchNorm, Fuse, fold};
use burn::tensor::{Device, Tensor};

/// How a convolution's weights start, after the reference that defines the family.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ConvInit {
    /// `kaiming_normal_(mode="fan_out", nonlinearity="relu")`, bias 0: ResNet, VGG, Xception.
    FanOut,
    /// `kaiming_normal_()` (fan-in), bias 0: torchvision's DenseNet.
    FanIn,
    /// N(0, std), bias 0: GoogLeNet's `trunc_normal_(std=0.01, a=-2, b=2)`, whose bounds lie
    /// 200 σ out and so never cut.
    Normal(f64),
    /// `nn.Conv2d`'s own default, U(±1/√fan_in) for weight and bias: AlexNet.
    Default,
    /// `kaiming_uniform_()` (gain √2, fan-in: U(±√(6/fan_in))), bias 0: SqueezeNet.
    KaimingUniform,
}

/// A convolution described the way PyTorch's constructor takes it; [`ConvSpec::build`] gives
/// the Burn layer with the reference's initialisation.
#[derive(Clone, Copy, Debug)]
pub struct ConvSpec {
    /// Input channels.
    pub c_in: usize,
    /// Output channels.
    pub c_out: usize,
    /// Kernel height and width.
    pub kernel: [usize; 2],
    /// Stride, the same along both axes.
    pub stride: usize,
    /// Zero padding above and below, left and right.
    pub padding: [usize; 2],
    /// Channel groups (`groups` of `nn.Conv2d`).
    pub groups: usize,
    /// Whether the convolution has a bias.
    pub bias: bool,
    /// How the weights (and bias) start.
    pub init: ConvInit,
}

impl ConvSpec {
    /// A square `kernel`×`kernel` convolution: stride 1, no padding, no groups, no bias,
    /// fan-out init.
    pub fn new(c_in: usize, c_out: usize, kernel: usize) -> Self {
        Self {
            c_in,
            c_out,
            kernel: [kernel; 2],
            stride: 1,
            padding: [0; 2],
            groups: 1,
            bias: false,
            init: ConvInit::FanOut,
        }
    }

    /// Sets the stride.
    pub fn stride(self, stride: usize) -> Self {
        Self { stride, ..self }
    }

    /// Sets the padding on every side.
    pub fn padding(self, padding: usize) -> Self {
        Self {
            padding: [padding; 2],
            ..self
        }
    }

    /// A `kh`×`kw` kernel with `ph` rows of padding above and below and `pw` columns left and
    /// right (Inception's 1×7 and 7×1 factorised convolutions).
    pub fn rect(self, [kh, kw]: [usize; 2], [ph, pw]: [usize; 2]) -> Self {
        Self {
            kernel: [kh, kw],
            padding: [ph, pw],
            ..self
        }
    }

    /// Sets the number of channel groups.
    pub fn groups(self, groups: usize) -> Self {
        Self { groups, ..self }
    }

    /// Adds or removes the bias.
    pub fn bias(self, bias: bool) -> Self {
        Self { bias, ..self }
    }

    /// Sets the initialisation.
    pub fn init(self, init: ConvInit) -> Self {
        Self { init, ..self }
    }

    /// The Burn layer, initialised as the reference initialises it.
    pub fn build(self, device: &Device) -> Conv2d {
        // PyTorch's fans ignore `groups` on the output side (Burn's divide by it), so the
        // standard deviations are computed here rather than by Burn's Kaiming initialisers.
        let area = (self.kernel[0] * self.kernel[1]) as f64;
        let fan_in = (self.c_in / self.groups) as f64 * area;
        let normal = |std| Some(Initializer::Normal { mean: 0.0, std });
        let initializer = match self.init {
            ConvInit::FanOut => normal((2.0 / (self.c_out as f64 * area)).sqrt()),
            ConvInit::FanIn => normal((2.0 / fan_in).sqrt()),
            ConvInit::Normal(std) => normal(std),
            ConvInit::KaimingUniform => {
                let bound = (6.0 / fan_in).sqrt();
                Some(Initializer::Uniform {
                    min: -bound,
                    max: bound,
                })
            }
            ConvInit::Default => None,
        };
        let [ph, pw] = self.padding;
        let mut config = Conv2dConfig::new([self.c_in, self.c_out], self.kernel)
            .with_stride([self.stride, self.stride])
            .with_padding(PaddingConfig2d::Explicit(ph, pw, ph, pw))
            .with_groups(self.groups)
            .with_bias(self.bias);
        if let Some(initializer) = initializer.clone() {
            config = config.with_initializer(initializer);
        }
        let mut conv = config.init(device);
        if initializer.is_some() {
            conv.bias = conv.bias.map(|b| b.map(|t| t.zeros_like()));
        }
        conv
    }
}

/// A bias-free convolution with torchvision's `kaiming_normal_(mode="fan_out",
/// nonlinearity="relu")` initialisation.
pub fn conv2d(
    channels: [usize; 2],
    kernel: usize,
    stride: usize,
    padding: usize,
    groups: usize,
    device: &Device,
) -> Conv2d {
    ConvSpec::new(channels[0], channels[1], kernel)
        .stride(stride)
        .padding(padding)
        .groups(groups)
        .build(device)
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
    BatchNorm::new(features, eps, device)
}

/// A convolution followed by BatchNorm, no activation: ResNet's downsample path
/// (`downsample.0`, `downsample.1` in torchvision, `conv`/`bn` here).
#[derive(Module, Debug)]
pub struct ConvBn {
    /// The convolution (torchvision's `downsample.0`).
    pub conv: Conv2d,
    /// The BatchNorm after it (torchvision's `downsample.1`).
    pub bn: BatchNorm,
}

impl ConvBn {
    /// Pairs `conv` with a fresh BatchNorm over its output channels.
    pub fn new(conv: Conv2d, eps: f64, device: &Device) -> Self {
        let features = conv.weight.lazy_shape()[0];
        Self {
            conv,
            bn: batch_norm(features, eps, device),
        }
    }

    /// Conv then BN, no activation.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        conv_fused(&self.conv, Some(&self.bn), x, None, false)
    }

    /// Conv-BN-ReLU: torchvision's `BasicConv2d` (GoogLeNet, Inception).
    pub fn forward_relu(&self, x: Tensor<4>) -> Tensor<4> {
        conv_fused(&self.conv, Some(&self.bn), x, None, true)
    }
}

impl Fuse for ConvBn {
    fn fuse(&mut self) {
        fold(&mut self.conv, &mut self.bn);
    }
}
