//! Transposed ("fractionally strided") convolution, described the way PyTorch's
//! `nn.ConvTranspose2d` takes it: the gradient of a convolution with respect to its input,
//! which upsamples by the stride. DCGAN's generator is made of them.
//!
//! The output side is `(in − 1)·stride − 2·padding + dilation·(kernel − 1) + output_padding + 1`;
//! `output_padding` picks one of the `stride` input sides a strided convolution maps to the
//! same output, so that a 5×5, stride-2, padding-2 layer exactly doubles the side (padding
//! alone would give `2·in − 1`).

use burn::nn::Initializer;
use burn::nn::conv::{ConvTranspose2d, ConvTranspose2dConfig};
use burn::tensor::Device;

/// A transposed convolution as `nn.ConvTranspose2d(c_in, c_out, kernel, stride, padding,
/// output_padding, groups, bias, dilation)`; [`DeconvSpec::build`] gives Burn's layer, whose
/// weight has PyTorch's layout `[c_in, c_out / groups, kh, kw]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DeconvSpec {
    /// Input channels.
    pub c_in: usize,
    /// Output channels.
    pub c_out: usize,
    /// Kernel side.
    pub kernel: usize,
    /// Upsampling factor.
    pub stride: usize,
    /// Rows and columns taken off each border of the full output.
    pub padding: usize,
    /// Rows and columns added at the bottom and right (less than `stride` or `dilation`).
    pub output_padding: usize,
    /// Spacing of the kernel's taps.
    pub dilation: usize,
    /// Channel groups.
    pub groups: usize,
    /// Whether the layer has a bias.
    pub bias: bool,
    /// N(0, std) weights and a zero bias (DCGAN's 0.02); `None` keeps PyTorch's default,
    /// U(±1/√fan_in) for weight and bias, which is also Burn's.
    pub normal: Option<f64>,
}

impl DeconvSpec {
    /// A `kernel`×`kernel` layer with stride 1, no padding, no groups, a bias and PyTorch's
    /// default initialisation (the constructor's defaults).
    pub fn new(c_in: usize, c_out: usize, kernel: usize) -> Self {
        Self {
            c_in,
            c_out,
            kernel,
            stride: 1,
            padding: 0,
            output_padding: 0,
            dilation: 1,
            groups: 1,
            bias: true,
            normal: None,
        }
    }

    /// With this stride.
    pub fn stride(self, stride: usize) -> Self {
        Self { stride, ..self }
    }

    /// With this padding.
    pub fn padding(self, padding: usize) -> Self {
        Self { padding, ..self }
    }

    /// With this output padding.
    pub fn output_padding(self, output_padding: usize) -> Self {
        Self {
            output_padding,
            ..self
        }
    }

    /// With this dilation.
    pub fn dilation(self, dilation: usize) -> Self {
        Self { dilation, ..self }
    }

    /// With this many channel groups.
    pub fn groups(self, groups: usize) -> Self {
        Self { groups, ..self }
    }

    /// With or without a bias.
    pub fn bias(self, bias: bool) -> Self {
        Self { bias, ..self }
    }

    /// Weights drawn from N(0, std²), bias 0.
    pub fn normal(self, std: f64) -> Self {
        Self {
            normal: Some(std),
            ..self
        }
    }

    /// The output side for an input side, `None` where the layer has no output (a padding
    /// larger than the full output).
    pub fn output_side(&self, input: usize) -> Option<usize> {
        let full = input.checked_sub(1)? * self.stride
            + self.dilation * (self.kernel - 1)
            + self.output_padding
            + 1;
        full.checked_sub(2 * self.padding).filter(|&s| s > 0)
    }

    /// Burn's layer. Panics, as PyTorch's constructor raises, on a zero size, on channels
    /// that `groups` does not divide, or on an output padding not below the stride or the
    /// dilation (it would add rows no input reaches).
    pub fn build(self, device: &Device) -> ConvTranspose2d {
        assert!(
            self.kernel > 0 && self.stride > 0 && self.dilation > 0 && self.groups > 0,
            "transposed convolution {self:?}: kernel, stride, dilation and groups must be positive"
        );
        assert!(
            self.c_in.is_multiple_of(self.groups) && self.c_out.is_multiple_of(self.groups),
            "transposed convolution {self:?}: {} groups do not divide {} → {} channels",
            self.groups,
            self.c_in,
            self.c_out
        );
        assert!(
            self.output_padding < self.stride.max(self.dilation),
            "transposed convolution {self:?}: output padding {} must be smaller than the \
             stride or the dilation",
            self.output_padding
        );
        let mut config = ConvTranspose2dConfig::new([self.c_in, self.c_out], [self.kernel; 2])
            .with_stride([self.stride; 2])
            .with_padding([self.padding; 2])
            .with_padding_out([self.output_padding; 2])
            .with_dilation([self.dilation; 2])
            .with_groups(self.groups)
            .with_bias(self.bias);
        if let Some(std) = self.normal {
            config = config.with_initializer(Initializer::Normal { mean: 0.0, std });
        }
        let mut layer = config.init(device);
        if self.normal.is_some() {
            layer.bias = layer.bias.map(|b| b.map(|t| t.zeros_like()));
        }
        layer
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Tensor;

    #[test]
    fn output_sides_follow_pytorchs_formula() {
        let d = Device::default();
        for (spec, input, want) in [
            (DeconvSpec::new(100, 8, 7), 1, 7),
            (
                DeconvSpec::new(8, 4, 5)
                    .stride(2)
                    .padding(2)
                    .output_padding(1),
                7,
                14,
            ),
            (DeconvSpec::new(8, 4, 5).stride(2).padding(2), 7, 13),
            (
                DeconvSpec::new(4, 6, 3)
                    .stride(3)
                    .padding(1)
                    .output_padding(2)
                    .groups(2),
                5,
                15,
            ),
            (DeconvSpec::new(2, 2, 3).dilation(2).padding(1), 4, 6),
        ] {
            assert_eq!(spec.output_side(input), Some(want), "{spec:?}");
            let x = Tensor::<4>::zeros([1, spec.c_in, input, input], &d);
            assert_eq!(
                spec.build(&d).forward(x).dims(),
                [1, spec.c_out, want, want]
            );
        }
        assert_eq!(DeconvSpec::new(1, 1, 1).padding(1).output_side(1), None);
    }

    #[test]
    #[should_panic(expected = "output padding 2 must be smaller")]
    fn an_output_padding_no_input_reaches_is_refused() {
        DeconvSpec::new(1, 1, 3)
            .stride(2)
            .output_padding(2)
            .build(&Device::default());
    }
}
