//! im2col fused into packing: the implicit matrix `B[k][p]` (k = input channel × kernel tap,
//! p = output pixel) of one image is written as panels of [`NR`] pixels, `panel[kk][j]`, so the
//! micro-kernel reads 16 consecutive floats per step. Stride-1 rows are copied as runs, so
//! packing costs about a copy of the patch matrix, which the kernel then reuses for every
//! output channel.

use crate::conv::Conv2dShape;
use crate::gemm::NR;

/// Packs pixels `q0..q1` (at most one block) of rows `k0..k0 + kc` of one image's group into
/// `buf` as panels: pixel `q` lands in panel `(q - q0) / NR`, column `(q - q0) % NR`.
/// `plane0` holds the group's first input channel; columns past `q1` in the last panel are
/// left as they were (the kernel's results there are discarded).
pub(crate) fn pack(
    s: &Conv2dShape,
    plane0: &[f32],
    (q0, q1): (usize, usize),
    (k0, kc): (usize, usize),
    buf: &mut [f32],
) {
    let [_, wo] = s.out_hw();
    let (h, w) = (s.h, s.w);
    let taps = s.kh * s.kw;
    let [sh, sw] = s.stride;
    let [dh, dw] = s.dilation;
    let [pt, pl, _, _] = s.padding;
    let panel = kc * NR;
    for kk in 0..kc {
        let k = k0 + kk;
        let (c, tap) = (k / taps, k % taps);
        let (ky, kx) = (tap / s.kw, tap % s.kw);
        let plane = &plane0[c * h * w..(c + 1) * h * w];
        let mut q = q0;
        while q < q1 {
            let (oy, ox) = (q / wo, q % wo);
            // A piece: one output row, one panel.
            let panel_end = q0 + ((q - q0) / NR + 1) * NR;
            let end = q1.min(q - ox + wo).min(panel_end);
            let len = end - q;
            let at = ((q - q0) / NR) * panel + kk * NR + (q - q0) % NR;
            let dst = &mut buf[at..at + len];
            let iy = (oy * sh + ky * dh) as isize - pt as isize;
            if iy < 0 || iy >= h as isize {
                dst.fill(0.0);
            } else {
                let row = &plane[iy as usize * w..(iy as usize + 1) * w];
                let ix0 = (ox * sw + kx * dw) as isize - pl as isize;
                if sw == 1 {
                    // Columns t with 0 <= ix0 + t < w are copied, the rest is padding.
                    let lo = (-ix0).clamp(0, len as isize) as usize;
                    let hi = (w as isize - ix0).clamp(lo as isize, len as isize) as usize;
                    dst[..lo].fill(0.0);
                    if hi > lo {
                        let from = (ix0 + lo as isize) as usize;
                        dst[lo..hi].copy_from_slice(&row[from..from + hi - lo]);
                    }
                    dst[hi..].fill(0.0);
                } else {
                    // Strided: the columns t with 0 <= ix0 + t·sw < w, found once, then a
                    // gather with no bounds test per value.
                    let (sw_i, w_i) = (sw as isize, w as isize);
                    let lo = ((-ix0 + sw_i - 1).div_euclid(sw_i)).clamp(0, len as isize) as usize;
                    let hi = ((w_i - ix0 + sw_i - 1).div_euclid(sw_i))
                        .clamp(lo as isize, len as isize) as usize;
                    dst[..lo].fill(0.0);
                    if hi > lo {
                        let from = (ix0 + (lo * sw) as isize) as usize;
                        let src = &row[from..from + (hi - lo - 1) * sw + 1];
                        for (d, v) in dst[lo..hi].iter_mut().zip(src.iter().step_by(sw)) {
                            *d = *v;
                        }
                    }
                    dst[hi..].fill(0.0);
                }
            }
            q = end;
        }
    }
}
