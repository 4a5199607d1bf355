//! The depthwise separable convolution of Xception (Chollet 2017).

use burn::module::Module;
use burn::nn::conv::Conv2d;
use burn::tensor::{Device, Tensor};

use crate::conv::ConvSpec;

/// A per-channel (depthwise) k×k convolution followed by a 1×1 (pointwise) one, both without
/// bias; fields named as timm's `SeparableConv2d` (`conv1`, `pointwise`).
#[derive(Module, Debug)]
pub struct SeparableConv2d {
    /// Depthwise k×k convolution (`groups = c_in`).
    pub conv1: Conv2d,
    /// Pointwise 1×1 convolution to `c_out` channels.
    pub pointwise: Conv2d,
}

impl SeparableConv2d {
    /// `c_in` → `c_out` channels, k×k depthwise with `padding` on every side.
    pub fn new(c_in: usize, c_out: usize, kernel: usize, padding: usize, device: &Device) -> Self {
        Self {
            conv1: ConvSpec::new(c_in, c_in, kernel)
                .padding(padding)
                .groups(c_in)
                .build(device),
            pointwise: ConvSpec::new(c_in, c_out, 1).build(device),
        }
    }

    /// Depthwise then pointwise; `[n, c_in, h, w]` → `[n, c_out, h', w']`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        crate::engine::conv(&self.pointwise, crate::engine::conv(&self.conv1, x))
    }
}
