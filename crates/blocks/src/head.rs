//! The classifier head shared by the global-pool families.

use burn::nn::conv::Conv2d;
use burn::nn::{Initializer, Linear, LinearConfig};

use crate::conv::{ConvInit, ConvSpec};
use burn::tensor::{Device, Tensor};

/// `AdaptiveAvgPool2d(1)` followed by `flatten(1)`: `[n, c, h, w]` → `[n, c]`.
pub fn global_avg_pool(x: Tensor<4>) -> Tensor<2> {
    let [n, c, h, w] = x.dims();
    x.reshape([n, c, h * w]).mean_dim(2).reshape([n, c])
}

/// A linear layer with PyTorch's default initialisation, U(±1/√fan_in) for weight and bias
/// (Burn's default `KaimingUniform{gain: 1/√3}` is exactly that).
pub fn linear(d_in: usize, d_out: usize, device: &Device) -> Linear {
    LinearConfig::new(d_in, d_out).init(device)
}

/// A linear layer with weight N(0, std) and bias 0 (torchvision's VGG and DenseNet heads).
pub fn linear_normal(d_in: usize, d_out: usize, std: f64, device: &Device) -> Linear {
    let mut layer = LinearConfig::new(d_in, d_out)
        .with_initializer(Initializer::Normal { mean: 0.0, std })
        .init(device);
    layer.bias = layer.bias.map(|b| b.map(|t| t.zeros_like()));
    layer
}

/// A fresh classifier for `num_classes` outputs with the input width of `old` and PyTorch's
/// default initialisation, on `old`'s device (timm's `reset_classifier`).
pub fn reset_linear(old: &Linear, num_classes: usize) -> Linear {
    let [d_in, _] = old.weight.dims();
    linear(d_in, num_classes, &old.weight.device())
}

/// A fresh 1×1 convolution for `num_classes` outputs with the input channels of `old` and
/// PyTorch's default `nn.Conv2d` initialisation (U(±1/√fan_in) for weight and bias), on `old`'s
/// device: the convolutional head's `reset_classifier` (SqueezeNet's `classifier.1`).
pub fn reset_conv1x1(old: &Conv2d, num_classes: usize) -> Conv2d {
    let c_in = old.weight.dims()[1];
    ConvSpec::new(c_in, num_classes, 1)
        .bias(true)
        .init(ConvInit::Default)
        .build(&old.weight.device())
}

/// `[d_in, d_out]` of a linear layer (Burn stores the weight transposed from PyTorch).
pub fn linear_dims(layer: &Linear) -> [usize; 2] {
    layer.weight.dims()
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::TensorData;

    #[test]
    fn global_avg_pool_means_each_channel() {
        let device = Device::default();
        let x = Tensor::<4>::from_data(
            TensorData::new((0..8).map(|v| v as f32).collect(), [1, 2, 2, 2]),
            &device,
        );
        let got = global_avg_pool(x).into_data().try_to_vec::<f32>().unwrap();
        assert_eq!(got, vec![1.5, 5.5]);
    }
}
