//! Depthwise convolution (one input channel per group, one filter per channel: Xception's
//! separable convolutions, MobileNet's): a GEMM per channel would have one row, so each
//! output row is instead the sum of k×k shifted rows of the zero-padded input plane, scaled
//! by the filter taps, which vectorises along the row.

use std::cell::RefCell;

use crate::conv::{Conv2dShape, Fused, SendPtr};

/// Whether `s` is depthwise: as many groups as input and output channels.
pub(crate) fn applies(s: &Conv2dShape) -> bool {
    s.groups == s.c_in && s.c_out == s.c_in && s.groups > 1
}

thread_local! {
    /// Each thread's padded plane.
    static PLANE: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// The convolution of `s` (which satisfies [`applies`]), every plane in parallel.
pub(crate) fn conv2d(
    s: &Conv2dShape,
    input: &[f32],
    weight: &[f32],
    fused: Fused<'_>,
    out: &mut [f32],
) {
    let out_ptr = SendPtr(out.as_mut_ptr());
    let [_, wo] = s.out_hw();
    let plane = |i: usize| {
        PLANE.with_borrow_mut(|padded| match wo {
            0..=16 => per_isa!(one_plane::<16>(
                s, input, weight, &fused, out_ptr, i, padded
            )),
            17..=32 => per_isa!(one_plane::<32>(
                s, input, weight, &fused, out_ptr, i, padded
            )),
            _ => per_isa!(one_plane::<64>(
                s, input, weight, &fused, out_ptr, i, padded
            )),
        })
    };
    let planes = s.batch * s.c_in;
    crate::for_each(crate::parallel(s.macs()), planes, plane);
}

/// Plane `i` (image × channel): each output row in chunks of `CH` pixels, each chunk summed
/// over the k×k taps in registers, then bias, residual and ReLU, then one store. The padded
/// plane is wide enough for whole chunks, so the inner loop has a constant trip count.
#[inline(always)]
fn one_plane<const CH: usize>(
    s: &Conv2dShape,
    input: &[f32],
    weight: &[f32],
    fused: &Fused<'_>,
    out: SendPtr,
    i: usize,
    padded: &mut Vec<f32>,
) {
    let [ho, wo] = s.out_hw();
    let [pt, pl, pb, _] = s.padding;
    let [sy, sx] = s.stride;
    let [dy, dx] = s.dilation;
    let hp = s.h + pt + pb;
    let wp = (wo.div_ceil(CH) * CH - 1) * sx + (s.kw - 1) * dx + 1;
    let wp = wp.max(pl + s.w);
    let c = i % s.c_in;
    let x = &input[i * s.h * s.w..(i + 1) * s.h * s.w];
    let w = &weight[c * s.kh * s.kw..(c + 1) * s.kh * s.kw];
    let bias = fused.bias.map_or(0.0, |b| b[c]);
    let padded = crate::scratch(padded, hp * wp);
    crate::pad_plane(x, s.w, padded, wp, (pt, pl));
    // The taps as (offset in the padded plane, weight), row by row.
    let taps: Vec<(usize, f32)> = (0..s.kh * s.kw)
        .map(|t| ((t / s.kw) * dy * wp + (t % s.kw) * dx, w[t]))
        .collect();
    for oy in 0..ho {
        for ox0 in (0..wo).step_by(CH) {
            let base = oy * sy * wp + ox0 * sx;
            let acc = if sx == 1 {
                chunk::<CH>(&padded[base..], &taps, bias)
            } else {
                let mut acc = [bias; CH];
                for &(off, tap) in &taps {
                    for (j, a) in acc.iter_mut().enumerate() {
                        *a += tap * padded[base + off + j * sx];
                    }
                }
                acc
            };
            let mut acc = acc;
            let n = CH.min(wo - ox0);
            let at = (i * ho + oy) * wo + ox0;
            if let Some(r) = fused.residual {
                for (a, r) in acc.iter_mut().zip(&r[at..at + n]) {
                    *a += r;
                }
            }
            if fused.relu {
                crate::relu_in_place(&mut acc);
            }
            // SAFETY: row `oy` of plane `i` is written by this plane's task only.
            unsafe { std::ptr::copy_nonoverlapping(acc.as_ptr(), out.add(at), n) };
        }
    }
}

/// `CH` outputs of a stride-1 row: the sum over the taps of the shifted input times the tap,
/// kept in registers (no branch or bounds check inside the tap loop).
#[inline(always)]
fn chunk<const CH: usize>(src: &[f32], taps: &[(usize, f32)], bias: f32) -> [f32; CH] {
    let mut acc = [bias; CH];
    for &(off, tap) in taps {
        let x: &[f32; CH] = src[off..off + CH].try_into().expect("a whole chunk");
        for j in 0..CH {
            acc[j] += tap * x[j];
        }
    }
    acc
}
