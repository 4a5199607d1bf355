//! The convolution written as its definition, one output value at a time: the oracle the
//! engine's tests compare against. Slow by design; never used for inference.

use crate::conv::{Conv2dShape, Fused};
use crate::pool::Pool2dShape;

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

/// Pooling by its definition: every window position, padding as −∞ (max) or 0 (average),
/// PyTorch's divisor.
pub fn pool2d(s: &Pool2dShape, input: &[f32], max: bool, count_include_pad: bool) -> Vec<f32> {
    let [ho, wo] = s.out_hw();
    let [pt, pl, pb, pr] = s.padding;
    let mut out = Vec::with_capacity(s.batch * s.channels * ho * wo);
    for plane in input.chunks(s.h * s.w) {
        for oy in 0..ho {
            for ox in 0..wo {
                let (y0, x0) = (
                    (oy * s.stride[0]) as isize - pt as isize,
                    (ox * s.stride[1]) as isize - pl as isize,
                );
                let (mut acc, mut inside, mut padded) =
                    (if max { f32::NEG_INFINITY } else { 0.0 }, 0, 0);
                for ky in 0..s.kh as isize {
                    for kx in 0..s.kw as isize {
                        let (y, x) = (y0 + ky, x0 + kx);
                        if y >= (s.h + pb) as isize || x >= (s.w + pr) as isize {
                            continue; // past the padding: a ceil-mode window's overhang
                        }
                        padded += 1;
                        if y < 0 || x < 0 || y >= s.h as isize || x >= s.w as isize {
                            continue;
                        }
                        inside += 1;
                        let v = plane[y as usize * s.w + x as usize];
                        acc = if max {
                            if v > acc || v.is_nan() { v } else { acc }
                        } else {
                            acc + v
                        };
                    }
                }
                out.push(if max {
                    acc
                } else {
                    acc / if count_include_pad { padded } else { inside } as f32
                });
            }
        }
    }
    out
}

/// `relu?(x · w + b)` with `w` as `[d_in, d_out]`, accumulated in f64.
pub fn linear(
    n: usize,
    d_in: usize,
    d_out: usize,
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    relu: bool,
) -> Vec<f32> {
    let mut out = Vec::with_capacity(n * d_out);
    for r in 0..n {
        for j in 0..d_out {
            let mut acc = bias.map_or(0.0, |b| b[j] as f64);
            for i in 0..d_in {
                acc += x[r * d_in + i] as f64 * w[i * d_out + j] as f64;
            }
            let v = acc as f32;
            out.push(if relu && v < 0.0 { 0.0 } else { v });
        }
    }
    out
}
