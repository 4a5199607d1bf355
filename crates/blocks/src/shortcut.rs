//! The two ways a residual shortcut changes shape (He et al. 2015, §4.2): option B projects
//! with a 1×1 convolution and BatchNorm (torchvision's `downsample`); option A subsamples and
//! pads the new channels with zeros, adding no parameters (the paper's CIFAR networks).

use burn::module::Module;
use burn::tensor::{Slice, Tensor};

use crate::conv::ConvBn;

/// Which shortcut a residual network uses where a block changes shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShortcutKind {
    /// Option A: stride-2 subsampling, zero channel padding.
    ZeroPad,
    /// Option B: 1×1 convolution + BatchNorm.
    Projection,
}

/// Option A's parameter-free shortcut: `x[:, :, ::stride, ::stride]` with `before` zero
/// channels in front and `after` behind, as the akamaster CIFAR ResNets compute it.
#[derive(Module, Debug)]
pub struct ZeroPadShortcut {
    /// Spatial subsampling step.
    pub stride: usize,
    /// Zero channels put in front of the input's.
    pub before: usize,
    /// Zero channels put behind the input's.
    pub after: usize,
}

/// A shortcut that changes shape.
// One per stage at most; boxing the projection would buy nothing measurable.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Shortcut {
    /// Option B: 1×1 convolution + BatchNorm (torchvision's `downsample`).
    Projection(ConvBn),
    /// Option A: subsampling and zero channel padding.
    ZeroPad(ZeroPadShortcut),
}

impl Shortcut {
    /// Option A from `c_in` to `c_out` channels, the new channels split evenly on both sides.
    pub fn zero_pad(c_in: usize, c_out: usize, stride: usize) -> Self {
        let extra = c_out - c_in;
        Shortcut::ZeroPad(ZeroPadShortcut {
            stride,
            before: extra / 2,
            after: extra - extra / 2,
        })
    }

    /// The shortcut's output, shaped as the block's residual branch.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        match self {
            Shortcut::Projection(p) => p.forward(x),
            Shortcut::ZeroPad(z) => {
                let every = Slice::new(0, None, z.stride as isize);
                let all = Slice::new(0, None, 1);
                let x = x.slice([all, all, every, every]);
                let [n, _, h2, w2] = x.dims();
                let device = x.device();
                let zeros = |k| Tensor::<4>::zeros([n, k, h2, w2], &device);
                Tensor::cat(vec![zeros(z.before), x, zeros(z.after)], 1)
            }
        }
    }
}

impl crate::norm::Fuse for Shortcut {
    fn fuse(&mut self) {
        if let Shortcut::Projection(p) = self {
            p.fuse();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, TensorData};

    #[test]
    fn zero_pad_subsamples_and_pads_channels_on_both_sides() {
        let device = Device::default();
        // One 2-channel 4×4 map holding 0..32.
        let x = Tensor::<4>::from_data(
            TensorData::new((0..32).map(|v| v as f32).collect(), [1, 2, 4, 4]),
            &device,
        );
        let y = Shortcut::zero_pad(2, 6, 2).forward(x);
        assert_eq!(y.dims(), [1, 6, 2, 2]);
        let got = y.into_data().try_to_vec::<f32>().unwrap();
        let mut want = vec![0.0; 8]; // two zero channels in front
        want.extend([0.0, 2.0, 8.0, 10.0, 16.0, 18.0, 24.0, 26.0]); // x[:, :, ::2, ::2]
        want.extend(vec![0.0; 8]); // two behind
        assert_eq!(got, want);
    }
}
