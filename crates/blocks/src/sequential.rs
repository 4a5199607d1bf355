//! `nn.Sequential` stand-ins. A `Vec<Layer>` numbers its entries as the reference's
//! `nn.Sequential` does, parameter-free ReLU, pooling and dropout included, so that weights
//! keep their reference keys (`features.3.weight`, `classifier.6.bias`) with no key map.

use burn::module::Module;
use burn::nn::Linear;
use burn::nn::activation::Relu6;
use burn::nn::conv::Conv2d;
use burn::nn::pool::{AvgPool2d, AvgPool2dConfig, MaxPool2d, MaxPool2dConfig};
use burn::nn::{Dropout, DropoutConfig, LocalResponseNorm, PaddingConfig2d, Relu};
use burn::tensor::Tensor;

use crate::engine::conv_fused;
use crate::norm::{BatchNorm, Fuse, fold};
use crate::separable::SeparableConv2d;

/// One entry of a sequential stack over feature maps.
// Layers are held in a Vec once per model; boxing the larger variants would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Layer {
    /// `nn.Conv2d`.
    Conv(Conv2d),
    /// A depthwise separable convolution (Xception).
    SeparableConv(SeparableConv2d),
    /// `nn.BatchNorm2d`, foldable into the convolution before it.
    BatchNorm(BatchNorm),
    /// `nn.ReLU`, no parameters (it still takes an index).
    Relu(Relu),
    /// `nn.MaxPool2d`.
    MaxPool(MaxPool2d),
    /// `nn.AvgPool2d` (padding counted in the average, as PyTorch's default).
    AvgPool(AvgPool2d),
    /// `nn.Dropout`: the identity at inference and on a device without autodiff.
    Dropout(Dropout),
    /// `nn.LocalResponseNorm` (the AlexNet paper's).
    LocalResponseNorm(LocalResponseNorm),
    /// `nn.ReLU6`, min(max(x, 0), 6) (MobileNet-v2).
    Relu6(Relu6),
    /// A nested `nn.Sequential` (torchvision's `Conv2dNormActivation`), keys one level down.
    Seq(Vec<Layer>),
}

impl Layer {
    /// `nn.MaxPool2d(kernel, stride, padding)`: floor rounding.
    pub fn max_pool(kernel: usize, stride: usize, padding: usize) -> Self {
        Layer::MaxPool(max_pool(kernel, stride, padding, false))
    }

    /// `nn.AvgPool2d(kernel, stride, padding)`: floor rounding, padding counted.
    pub fn avg_pool(kernel: usize, stride: usize, padding: usize) -> Self {
        Layer::AvgPool(
            AvgPool2dConfig::new([kernel, kernel])
                .with_strides([stride, stride])
                .with_padding(PaddingConfig2d::Explicit(
                    padding, padding, padding, padding,
                ))
                .init(),
        )
    }

    /// `nn.Dropout(p)`.
    pub fn dropout(p: f64) -> Self {
        Layer::Dropout(DropoutConfig::new(p).init())
    }

    /// Applies this one layer; [`sequential`] fuses conv-BN-ReLU runs instead.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        match self {
            Layer::Conv(m) => m.forward(x),
            Layer::SeparableConv(m) => m.forward(x),
            Layer::BatchNorm(m) => m.forward(x),
            Layer::Relu(m) => m.forward(x),
            Layer::MaxPool(m) => crate::engine::max_pool(m, x),
            Layer::AvgPool(m) => crate::engine::avg_pool(m, x),
            Layer::Dropout(m) => m.forward(x),
            Layer::LocalResponseNorm(m) => m.forward(x),
            Layer::Relu6(m) => m.forward(x),
            Layer::Seq(layers) => sequential(layers, x),
        }
    }

    /// Output channels of a convolution; `None` for layers that keep their input's.
    pub fn out_channels(&self) -> Option<usize> {
        match self {
            Layer::Conv(m) => Some(m.weight.dims()[0]),
            Layer::SeparableConv(m) => Some(m.pointwise.weight.dims()[0]),
            Layer::Seq(layers) => layers.iter().rev().find_map(Layer::out_channels),
            _ => None,
        }
    }

    /// How much the layer shrinks its input's side (its stride).
    pub fn stride(&self) -> usize {
        match self {
            Layer::Conv(m) => m.stride[0],
            Layer::SeparableConv(m) => m.conv1.stride[0],
            Layer::MaxPool(m) => m.stride[0],
            Layer::AvgPool(m) => m.stride[0],
            Layer::Seq(layers) => layers.iter().map(Layer::stride).product(),
            _ => 1,
        }
    }
}

/// `nn.MaxPool2d(kernel, stride, padding, ceil_mode=ceil)`.
pub fn max_pool(kernel: usize, stride: usize, padding: usize, ceil: bool) -> MaxPool2d {
    MaxPool2dConfig::new([kernel, kernel])
        .with_strides([stride, stride])
        .with_padding(PaddingConfig2d::Explicit(
            padding, padding, padding, padding,
        ))
        .with_ceil_mode(ceil)
        .init()
}

/// Runs `x` through `layers` in order.
///
/// A convolution with the BatchNorm and ReLU right after it runs as one fused call
/// ([`conv_fused`]).
pub fn sequential(layers: &[Layer], mut x: Tensor<4>) -> Tensor<4> {
    let mut i = 0;
    while i < layers.len() {
        let Layer::Conv(conv) = &layers[i] else {
            x = layers[i].forward(x);
            i += 1;
            continue;
        };
        i += 1;
        let bn = match layers.get(i) {
            Some(Layer::BatchNorm(bn)) => {
                i += 1;
                Some(bn)
            }
            _ => None,
        };
        let relu = matches!(layers.get(i), Some(Layer::Relu(_)));
        i += usize::from(relu);
        x = conv_fused(conv, bn, x, None, relu);
    }
    x
}

/// One entry of a sequential classifier over flat features.
#[derive(Module, Debug)]
pub enum HeadLayer {
    /// `nn.Linear`.
    Linear(Linear),
    /// `nn.ReLU`.
    Relu(Relu),
    /// `nn.Dropout`, the identity at inference.
    Dropout(Dropout),
}

impl HeadLayer {
    /// `nn.Dropout(p)`.
    pub fn dropout(p: f64) -> Self {
        HeadLayer::Dropout(DropoutConfig::new(p).init())
    }

    /// Applies this one layer to `[n, features]`.
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        match self {
            HeadLayer::Linear(m) => crate::engine::linear(m, x, false),
            HeadLayer::Relu(m) => m.forward(x),
            HeadLayer::Dropout(m) => m.forward(x),
        }
    }
}

/// Runs `x` through `layers` in order.
///
/// A linear layer with the ReLU right after it runs as one fused call ([`engine::linear`]).
///
/// [`engine::linear`]: crate::engine::linear
pub fn sequential_head(layers: &[HeadLayer], mut x: Tensor<2>) -> Tensor<2> {
    let mut i = 0;
    while i < layers.len() {
        if let HeadLayer::Linear(l) = &layers[i] {
            let relu = matches!(layers.get(i + 1), Some(HeadLayer::Relu(_)));
            x = crate::engine::linear(l, x, relu);
            i += 1 + usize::from(relu);
        } else {
            x = layers[i].forward(x);
            i += 1;
        }
    }
    x
}

/// A convolution directly followed by a BatchNorm in a sequential stack feeds only it.
impl Fuse for Vec<Layer> {
    fn fuse(&mut self) {
        for layer in self.iter_mut() {
            if let Layer::Seq(layers) = layer {
                layers.fuse();
            }
        }
        for i in 1..self.len() {
            let (before, after) = self.split_at_mut(i);
            if let Layer::BatchNorm(bn) = &mut after[0] {
                match &mut before[i - 1] {
                    Layer::Conv(conv) => fold(conv, bn),
                    Layer::SeparableConv(sep) => fold(&mut sep.pointwise, bn),
                    _ => {}
                }
            }
        }
    }
}
