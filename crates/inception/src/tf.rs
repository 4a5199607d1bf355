//! The layers timm's ports of Google's TensorFlow Inception networks (Inception-v4,
//! Inception-ResNet-v2) share: `ConvNormAct` with BN ε 1e-3 and PyTorch's default
//! initialisation, and their poolings.

use burn::nn::PaddingConfig2d;
use burn::nn::pool::AvgPool2dConfig;
use burn::tensor::{Device, Tensor};
use zoo_blocks::{ConvBn, ConvInit, ConvSpec, engine, max_pool};

/// BatchNorm ε of every convolution of the three Inception networks (TensorFlow's 1e-3).
pub(crate) const BN_EPS: f64 = 1e-3;

/// torchvision's `BasicConv2d` and timm's `ConvNormAct`: a bias-free `kh`×`kw` convolution with
/// padding `[ph, pw]`, initialised as `init`, and BN (ε 1e-3); the ReLU is
/// [`ConvBn::forward_relu`].
pub(crate) fn conv_bn(
    c_in: usize,
    c_out: usize,
    k: [usize; 2],
    pad: [usize; 2],
    stride: usize,
    init: ConvInit,
    d: &Device,
) -> ConvBn {
    let conv = ConvSpec::new(c_in, c_out, 1)
        .rect(k, pad)
        .stride(stride)
        .init(init);
    ConvBn::new(conv.build(d), BN_EPS, d)
}

/// timm's `ConvNormAct` for v4 and Inception-ResNet-v2: [`conv_bn`] with PyTorch's default
/// initialisation.
pub(crate) fn cna(
    c_in: usize,
    c_out: usize,
    k: [usize; 2],
    pad: [usize; 2],
    stride: usize,
    d: &Device,
) -> ConvBn {
    conv_bn(c_in, c_out, k, pad, stride, ConvInit::Default, d)
}

/// A square [`cna`].
pub(crate) fn sq(
    c_in: usize,
    c_out: usize,
    k: usize,
    pad: usize,
    stride: usize,
    d: &Device,
) -> ConvBn {
    cna(c_in, c_out, [k, k], [pad, pad], stride, d)
}

pub(crate) fn chain(convs: &[ConvBn], x: Tensor<4>) -> Tensor<4> {
    convs.iter().fold(x, |x, c| c.forward_relu(x))
}

/// `nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)`.
pub(crate) fn avg3(x: Tensor<4>) -> Tensor<4> {
    let pool = AvgPool2dConfig::new([3, 3])
        .with_strides([1, 1])
        .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
        .with_count_include_pad(false)
        .init();
    engine::avg_pool(&pool, x)
}

/// `nn.MaxPool2d(3, stride=2)`.
pub(crate) fn max3(x: Tensor<4>) -> Tensor<4> {
    engine::max_pool(&max_pool(3, 2, 0, false), x)
}
