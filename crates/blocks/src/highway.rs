//! Highway layers (Srivastava, Greff and Schmidhuber 2015, "Training very deep networks"):
//! y = H(x)·T(x) + x·(1 − T(x)), a learned transform gate T = σ(W_T x + b_T) choosing, per unit,
//! between the layer's transform H = ReLU(W_H x + b_H) and carrying its input through. With b_T
//! negative at the start the network carries its input, so gradients reach layers that a plain
//! network of the same depth no longer trains.

use burn::module::Module;
use burn::nn::conv::Conv2d;
use burn::nn::{Initializer, Linear, LinearConfig};
use burn::tensor::activation::sigmoid;
use burn::tensor::{Device, Tensor};

use crate::conv::{ConvInit, ConvSpec};
use crate::engine::conv_fused;

/// The transform gate's initial bias the zoo's highway networks use: a unit starts carrying
/// 98 % of its input. The paper uses −1 to −3, lower for deeper networks; with He-initialised
/// gates and one SGD recipe for every depth (learning rate 0.01, momentum 0.9) the 50-layer
/// network's loss became NaN within 3 epochs at −2 and −3 and trained at −4 (measured on
/// Fashion-MNIST in PyTorch).
pub const GATE_BIAS: f64 = -4.0;

/// A `width → width` linear layer, He-initialised (`kaiming_normal_`, fan-in) with this bias.
pub fn he_linear(d_in: usize, d_out: usize, bias: f64, device: &Device) -> Linear {
    let mut layer = LinearConfig::new(d_in, d_out)
        .with_initializer(Initializer::Normal {
            mean: 0.0,
            std: (2.0 / d_in as f64).sqrt(),
        })
        .init(device);
    layer.bias = layer
        .bias
        .map(|b| b.map(|t| t.zeros_like().add_scalar(bias)));
    layer
}

/// A fully connected highway layer: `plain` is H, `gate` is T.
#[derive(Module, Debug)]
pub struct HighwayLinear {
    /// The transform H (followed by a ReLU).
    pub plain: Linear,
    /// The transform gate T (followed by a sigmoid).
    pub gate: Linear,
}

impl HighwayLinear {
    /// A layer of `width` units, He-initialised, H's bias 0 and T's `gate_bias`.
    pub fn new(width: usize, gate_bias: f64, device: &Device) -> Self {
        Self {
            plain: he_linear(width, width, 0.0, device),
            gate: he_linear(width, width, gate_bias, device),
        }
    }

    /// `[n, width]` → `[n, width]`.
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        let h = crate::engine::linear(&self.plain, x.clone(), true);
        let t = sigmoid(crate::engine::linear(&self.gate, x.clone(), false));
        carry(h, t, x)
    }
}

/// A convolutional highway block: H and T are k×k convolutions (same padding) keeping the
/// channels.
#[derive(Module, Debug)]
pub struct HighwayConv {
    /// The transform H (followed by a ReLU).
    pub plain: Conv2d,
    /// The transform gate T (followed by a sigmoid).
    pub gate: Conv2d,
}

impl HighwayConv {
    /// A block on `channels` maps with k×k kernels, He-initialised, H's bias 0 and T's
    /// `gate_bias`.
    pub fn new(channels: usize, k: usize, gate_bias: f64, device: &Device) -> Self {
        let conv = || {
            ConvSpec::new(channels, channels, k)
                .padding(k / 2)
                .bias(true)
                .init(ConvInit::FanIn)
                .build(device)
        };
        let mut gate = conv();
        gate.bias = gate
            .bias
            .map(|b| b.map(|t| t.zeros_like().add_scalar(gate_bias)));
        Self {
            plain: conv(),
            gate,
        }
    }

    /// `[n, c, h, w]` → `[n, c, h, w]`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let h = conv_fused(&self.plain, None, x.clone(), None, true);
        let t = sigmoid(conv_fused(&self.gate, None, x.clone(), None, false));
        carry(h, t, x)
    }
}

/// H·T + x·(1 − T), written x + T·(H − x).
fn carry<const D: usize>(h: Tensor<D>, t: Tensor<D>, x: Tensor<D>) -> Tensor<D> {
    x.clone() + t * (h - x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Distribution;
    use burn::tensor::activation::relu;

    /// A closed gate carries the input unchanged; an open one gives the transform.
    #[test]
    fn the_gate_chooses_between_carry_and_transform() {
        let d = Device::default();
        let x = Tensor::<2>::random([3, 8], Distribution::Default, &d);
        let closed = HighwayLinear::new(8, -80.0, &d);
        let y = closed.forward(x.clone());
        assert!((y - x.clone()).abs().max().into_scalar::<f32>() < 1e-6);
        let open = HighwayLinear::new(8, 80.0, &d);
        let h = relu(open.plain.forward(x.clone()));
        assert!((open.forward(x) - h).abs().max().into_scalar::<f32>() < 1e-6);
    }

    #[test]
    fn the_conv_block_keeps_the_shape_and_carries_when_closed() {
        let d = Device::default();
        let x = Tensor::<4>::random([2, 4, 5, 5], Distribution::Default, &d);
        let y = HighwayConv::new(4, 3, -80.0, &d).forward(x.clone());
        assert_eq!(y.dims(), [2, 4, 5, 5]);
        assert!((y - x).abs().max().into_scalar::<f32>() < 1e-6);
    }
}
