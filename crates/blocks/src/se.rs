//! Squeeze-and-excitation (Hu et al. 2018, "Squeeze-and-Excitation Networks"): each channel of a
//! block's output is rescaled by a gate computed from every channel's global average, so the
//! block can weigh its channels by what the whole image holds.

use burn::module::Module;
use burn::nn::conv::Conv2d;
use burn::tensor::activation::sigmoid;
use burn::tensor::{Device, Tensor};

use crate::conv::ConvSpec;
use crate::engine::{conv, conv_fused};
use crate::head::global_avg_pool;

/// The SE module, fields `fc1` and `fc2` as timm's `SEModule` (and its legacy SENet's):
/// global average → 1×1 convolution to `reduced` channels → ReLU → 1×1 convolution back →
/// sigmoid, which multiplies the input channel by channel.
#[derive(Module, Debug)]
pub struct SqueezeExcite {
    /// 1×1 convolution with bias, channels → reduced.
    pub fc1: Conv2d,
    /// 1×1 convolution with bias, reduced → channels.
    pub fc2: Conv2d,
}

impl SqueezeExcite {
    /// `channels` gated through a bottleneck of `reduced` channels.
    pub fn new(channels: usize, reduced: usize, device: &Device) -> Self {
        Self {
            fc1: ConvSpec::new(channels, reduced, 1).bias(true).build(device),
            fc2: ConvSpec::new(reduced, channels, 1).bias(true).build(device),
        }
    }

    /// timm's reduction for `attn_layer='se'`: `make_divisible(channels / 16, 8,
    /// round_limit=0)`, a sixteenth of the channels to the nearest multiple of 8, at least 8.
    pub fn reduced(channels: usize) -> usize {
        ((channels as f64 / 16.0 + 4.0) as usize / 8 * 8).max(8)
    }

    /// `x · sigmoid(fc2(relu(fc1(mean(x)))))`, the gate broadcast over each map.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let [n, c, _, _] = x.dims();
        let squeezed = global_avg_pool(x.clone()).reshape([n, c, 1, 1]);
        let gate = conv_fused(&self.fc1, None, squeezed, None, true);
        x * sigmoid(conv(&self.fc2, gate))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// timm's figures: 256 → 16, 2048 → 128, and 72 → 8 (4.5 rounds to 8, not 0).
    #[test]
    fn reduction_rounds_as_timm() {
        assert_eq!(SqueezeExcite::reduced(256), 16);
        assert_eq!(SqueezeExcite::reduced(2048), 128);
        assert_eq!(SqueezeExcite::reduced(72), 8);
        assert_eq!(SqueezeExcite::reduced(200), 16);
    }
}
