//! The convolution written as its definition, one output value at a time: the oracle the
//! engine's tests compare against. Slow by design; never used for inference.

use crate::conv::{Conv2dShape, Fused};

/// `relu?(conv2d(input, weight) + bias + residual)` by the textbook sum, accumulated in f64.
pub fn conv2d(s: &Conv2dShape, input: &[f32], weight: &[f32], fused: Fused<'_>) -> Vec<f32> {
    let [ho, wo] = s.out_hw();
    let (cig, cog) = (s.c_in / s.groups, s.c_out / s.groups);
    let mut out = vec![0f32; s.batch * s.c_out * ho * wo];
    for n in 0..s.batch {
        for co in 0..s.c_out {
            let g = co / cog;
            for oy in 0..ho {
                for ox in 0..wo {
                    let mut acc = fused.bias.map_or(0.0, |b| b[co] as f64);
                    for ci in 0..cig {
                        let c = g * cig + ci;
                        for ky in 0..s.kh {
                            for kx in 0..s.kw {
                                let iy = (oy * s.stride[0] + ky * s.dilation[0]) as isize
                                    - s.padding[0] as isize;
                                let ix = (ox * s.stride[1] + kx * s.dilation[1]) as isize
                                    - s.padding[1] as isize;
                                if iy < 0 || ix < 0 || iy >= s.h as isize || ix >= s.w as isize {
                                    continue;
                                }
                                let x = input
                                    [((n * s.c_in + c) * s.h + iy as usize) * s.w + ix as usize];
                                let w = weight[((co * cig + ci) * s.kh + ky) * s.kw + kx];
                                acc += x as f64 * w as f64;
                            }
                        }
                    }
                    let at = ((n * s.c_out + co) * ho + oy) * wo + ox;
                    let mut v = acc as f32 + fused.residual.map_or(0.0, |r| r[at]);
                    if fused.relu && v < 0.0 {
                        v = 0.0;
                    }
                    out[at] = v;
                }
            }
        }
    }
    out
}
