//! Max and average pooling on NCHW planes, with PyTorch's output sizes (`ceil_mode`), padding
//! and averaging divisors. Max pooling is separable: a row pass then a column pass of
//! element-wise maxima, which the compiler vectorises, instead of a k×k loop per output.

use crate::conv::SendPtr;

/// A 2-D pooling's geometry: input `[batch, channels, h, w]`, output `[batch, channels, ho, wo]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Pool2dShape {
    /// Images in the batch.
    pub batch: usize,
    /// Channels, pooled independently.
    pub channels: usize,
    /// Input height.
    pub h: usize,
    /// Input width.
    pub w: usize,
    /// Window height.
    pub kh: usize,
    /// Window width.
    pub kw: usize,
    /// Vertical and horizontal stride.
    pub stride: [usize; 2],
    /// Top, left, bottom, right.
    pub padding: [usize; 4],
    /// PyTorch's `ceil_mode`: a last, partial window where it still starts inside the input
    /// or the left padding.
    pub ceil_mode: bool,
}

/// A pooling the engine cannot compute as described.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PoolError {
    /// A slice's length does not match the shape.
    #[error("pool2d: {what} holds {found} values, the shape {shape:?} needs {expected}")]
    Length {
        /// Which slice (`the input`, `the weight`, …).
        what: &'static str,
        /// The length the shape implies.
        expected: usize,
        /// The slice's length.
        found: usize,
        /// The shape asked for.
        shape: Box<Pool2dShape>,
    },
    /// The shape itself is impossible (a zero stride, a kernel larger than the padded input, …):
    /// what is wrong, and the shape.
    #[error("pool2d: {0} (shape {1:?})")]
    Geometry(&'static str, Box<Pool2dShape>),
}

/// PyTorch's `pooling_output_shape`.
fn out_size(size: usize, k: usize, s: usize, pad: (usize, usize), ceil: bool) -> usize {
    let span = size + pad.0 + pad.1;
    if span < k {
        return 0;
    }
    let mut out = (span - k + if ceil { s - 1 } else { 0 }) / s + 1;
    if ceil && (out - 1) * s >= size + pad.0 {
        out -= 1;
    }
    out
}

impl Pool2dShape {
    /// Output height and width.
    pub fn out_hw(&self) -> [usize; 2] {
        let [t, l, b, r] = self.padding;
        [
            out_size(self.h, self.kh, self.stride[0], (t, b), self.ceil_mode),
            out_size(self.w, self.kw, self.stride[1], (l, r), self.ceil_mode),
        ]
    }

    /// Values in the input and output tensors.
    pub fn lens(&self) -> [usize; 2] {
        let [ho, wo] = self.out_hw();
        let planes = self.batch * self.channels;
        [planes * self.h * self.w, planes * ho * wo]
    }

    fn check(&self, input: usize, out: usize) -> Result<(), PoolError> {
        let bad = |why| Err(PoolError::Geometry(why, Box::new(*self)));
        if self.kh == 0 || self.kw == 0 || self.stride.contains(&0) {
            return bad("kernel and stride must be positive");
        }
        if self.padding[0].max(self.padding[2]) * 2 > self.kh
            || self.padding[1].max(self.padding[3]) * 2 > self.kw
        {
            return bad("padding must be at most half the kernel, as PyTorch requires");
        }
        let [ho, wo] = self.out_hw();
        if ho == 0 || wo == 0 {
            return bad("the kernel is larger than the padded input");
        }
        for (what, expected, found) in [
            ("the input", self.lens()[0], input),
            ("the output", self.lens()[1], out),
        ] {
            if expected != found {
                return Err(PoolError::Length {
                    what,
                    expected,
                    found,
                    shape: Box::new(*self),
                });
            }
        }
        Ok(())
    }

    /// After checking the lengths: the output width and every output column's window.
    #[allow(clippy::type_complexity)]
    fn columns(
        &self,
        input: usize,
        out: usize,
    ) -> Result<(usize, Vec<(usize, usize, usize)>), PoolError> {
        self.check(input, out)?;
        let [_, wo] = self.out_hw();
        let [_, l, _, r] = self.padding;
        let cols = (0..wo)
            .map(|o| Self::window(o, self.stride[1], self.kw, l, self.w, r))
            .collect();
        Ok((wo, cols))
    }

    /// The input rows (or columns) a window starting at output index `o` covers, clipped to
    /// the input, and the window's extent clipped to the padded input (PyTorch's divisor).
    fn window(
        o: usize,
        s: usize,
        k: usize,
        pad0: usize,
        size: usize,
        pad1: usize,
    ) -> (usize, usize, usize) {
        let start = (o * s) as isize - pad0 as isize;
        let end_padded = (start + k as isize).min((size + pad1) as isize);
        let padded = (end_padded - start) as usize;
        (
            start.max(0) as usize,
            (end_padded.min(size as isize)) as usize,
            padded,
        )
    }
}

/// The larger of two values, NaN if either is (PyTorch's max pooling propagates NaN).
#[inline(always)]
fn nan_max(a: f32, b: f32) -> f32 {
    if a > b || a.is_nan() { a } else { b }
}

/// Runs `plane(input plane, output plane)` over every plane, in parallel when worth it.
fn planes(
    s: &Pool2dShape,
    input: &[f32],
    out: &mut [f32],
    plane: impl Fn(&[f32], &mut [f32]) + Sync,
) {
    let [ho, wo] = s.out_hw();
    let (n_in, n_out) = (s.h * s.w, ho * wo);
    let out = SendPtr(out.as_mut_ptr());
    let parallel = crate::parallel(input.len() * s.kh * s.kw);
    crate::for_each(parallel, s.batch * s.channels, |i| {
        // SAFETY: plane `i` of the output is written by this iteration only.
        let y = unsafe { std::slice::from_raw_parts_mut(out.add(i * n_out), n_out) };
        plane(&input[i * n_in..(i + 1) * n_in], y);
    });
}

/// Max pooling (padding never wins, as PyTorch pads with −∞).
pub fn max_pool2d(s: &Pool2dShape, input: &[f32], out: &mut [f32]) -> Result<(), PoolError> {
    let (wo, cols) = s.columns(input.len(), out.len())?;
    let [t, _, b, _] = s.padding;
    planes(s, input, out, |x, y| {
        // Row pass: the maximum over each window's columns, for every input row.
        let mut rows = vec![f32::NEG_INFINITY; s.h * wo];
        for (iy, row) in rows.chunks_mut(wo).enumerate() {
            let src = &x[iy * s.w..(iy + 1) * s.w];
            for (v, &(c0, c1, _)) in row.iter_mut().zip(&cols) {
                *v = src[c0..c1]
                    .iter()
                    .fold(f32::NEG_INFINITY, |m, &a| nan_max(a, m));
            }
        }
        // Column pass: element-wise maxima of whole rows.
        for (oy, dst) in y.chunks_mut(wo).enumerate() {
            let (r0, r1, _) = Pool2dShape::window(oy, s.stride[0], s.kh, t, s.h, b);
            dst.copy_from_slice(&rows[r0 * wo..(r0 + 1) * wo]);
            for iy in r0 + 1..r1 {
                for (d, &a) in dst.iter_mut().zip(&rows[iy * wo..(iy + 1) * wo]) {
                    *d = nan_max(a, *d);
                }
            }
        }
    });
    Ok(())
}

/// Average pooling; `count_include_pad` as PyTorch's (the divisor counts padding inside the
/// window, never the part of a ceil-mode window past the padding).
pub fn avg_pool2d(
    s: &Pool2dShape,
    input: &[f32],
    count_include_pad: bool,
    out: &mut [f32],
) -> Result<(), PoolError> {
    let (wo, cols) = s.columns(input.len(), out.len())?;
    let [t, _, b, _] = s.padding;
    planes(s, input, out, |x, y| {
        for (oy, dst) in y.chunks_mut(wo).enumerate() {
            let (r0, r1, rp) = Pool2dShape::window(oy, s.stride[0], s.kh, t, s.h, b);
            for (v, &(c0, c1, cp)) in dst.iter_mut().zip(&cols) {
                let mut sum = 0f32;
                for iy in r0..r1 {
                    sum += x[iy * s.w + c0..iy * s.w + c1].iter().sum::<f32>();
                }
                let count = if count_include_pad {
                    rp * cp
                } else {
                    (r1 - r0) * (c1 - c0)
                };
                *v = sum / count as f32;
            }
        }
    });
    Ok(())
}
