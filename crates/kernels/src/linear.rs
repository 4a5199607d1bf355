//! Fully connected layers, `y = relu?(x · W + b)` with `W` stored `[d_in, d_out]` (Burn's
//! layout): the micro-kernel with the inputs as its rows and 32-column panels of `W` read in
//! place. At batch 1 this is a matrix-vector product bound by reading `W` once (VGG-16's
//! head is 0.5 GB), so the work is split over column panels and `W` streams from memory
//! exactly once.

use std::cell::RefCell;

use crate::conv::SendPtr;
use crate::gemm::{self, Epilogue, NR, Operands};

/// Steps of K per pass.
const KC: usize = 512;
/// Up to this many inputs, a layer is a matrix-vector product per input (see [`gemv`]).
const GEMV_MAX_ROWS: usize = 2;

/// A fully connected layer the engine was asked for but cannot compute as described.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("linear: {what} holds {found} values, [{n}, {d_in}] → [{n}, {d_out}] needs {expected}")]
pub struct LinearError {
    /// Which slice has the wrong length.
    pub what: &'static str,
    /// The length the shape implies.
    pub expected: usize,
    /// The slice's length.
    pub found: usize,
    /// Inputs (rows of `x`).
    pub n: usize,
    /// Input features.
    pub d_in: usize,
    /// Output features.
    pub d_out: usize,
}

thread_local! {
    /// A partial last panel of `W`, copied out with zero columns so the kernel reads 32.
    static EDGE: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// `out[n][d_out] = relu?(x[n][d_in] · w[d_in][d_out] + bias)`.
#[allow(clippy::too_many_arguments)]
pub fn linear(
    n: usize,
    d_in: usize,
    d_out: usize,
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    relu: bool,
    out: &mut [f32],
) -> Result<(), LinearError> {
    let want = [
        ("the input", n * d_in, x.len()),
        ("the weight", d_in * d_out, w.len()),
        ("the bias", d_out, bias.map_or(d_out, <[f32]>::len)),
        ("the output", n * d_out, out.len()),
    ];
    for (what, expected, found) in want {
        if expected != found {
            return Err(LinearError {
                what,
                expected,
                found,
                n,
                d_in,
                d_out,
            });
        }
    }
    // Start from the bias: every pass then accumulates.
    for row in out.chunks_mut(d_out.max(1)) {
        match bias {
            Some(b) => row.copy_from_slice(b),
            None => row.fill(0.0),
        }
    }
    if n == 0 || d_in == 0 || d_out == 0 {
        if relu {
            crate::relu_in_place(out);
        }
        return Ok(());
    }
    if n <= GEMV_MAX_ROWS {
        gemv(n, d_in, d_out, x, w, relu, out);
        return Ok(());
    }
    let mr = gemm::mr();
    let out_ptr = SendPtr(out.as_mut_ptr());
    // A task takes a block of columns (16 panels, 2 KiB of each row of W) and walks K in
    // the outer loop, so W is read in long contiguous runs the prefetcher can follow.
    let block = 16 * NR;
    let blocks = d_out.div_ceil(block);
    let task = |blk: usize| {
        let (b0, b1) = (blk * block, (blk * block + block).min(d_out));
        EDGE.with_borrow_mut(|edge| {
            for k0 in (0..d_in).step_by(KC) {
                let kc = KC.min(d_in - k0);
                let last = k0 + kc == d_in;
                for c0 in (b0..b1).step_by(NR) {
                    let cols = NR.min(b1 - c0);
                    let (b, ldb) = if cols == NR {
                        (w[k0 * d_out + c0..].as_ptr(), d_out)
                    } else {
                        edge.clear();
                        edge.resize(kc * NR, 0.0);
                        for (k, row) in edge.chunks_mut(NR).enumerate() {
                            row[..cols].copy_from_slice(&w[(k0 + k) * d_out + c0..][..cols]);
                        }
                        (edge.as_ptr(), NR)
                    };
                    for r in (0..n).step_by(mr) {
                        let rows = mr.min(n - r);
                        let op = Operands {
                            kc,
                            a: x[r * d_in + k0..].as_ptr(),
                            lda: d_in,
                            b,
                            ldb,
                            // SAFETY: rows r.., columns c0.. of `out`; each block is one task's.
                            c: unsafe { out_ptr.add(r * d_out + c0) },
                            ldc: d_out,
                            accumulate: true,
                        };
                        let epi = Epilogue {
                            relu: relu && last,
                            ..Epilogue::NONE
                        };
                        // SAFETY: A has `rows` rows of `kc`, B `kc` rows of NR columns, C
                        // `rows` rows of `cols` columns (an edge tile goes through a copy).
                        unsafe {
                            if cols == NR {
                                gemm::tile(rows, &op, &epi);
                            } else {
                                crate::conv::edge(rows, cols, &op, &epi);
                            }
                        }
                    }
                }
            }
        });
    };
    // Bound by reading W: worth both cores once W is more than a few hundred KiB.
    crate::for_each(crate::parallel(d_in * d_out * 16), blocks, task);
    Ok(())
}

/// Few inputs: `out += x · W` streaming W once, row after row, each thread a contiguous range
/// of its rows into its own partial sums, added at the end. Reading W is the whole cost, and
/// contiguous reads are what the memory system does fastest.
fn gemv(n: usize, d_in: usize, d_out: usize, x: &[f32], w: &[f32], relu: bool, out: &mut [f32]) {
    let parallel = crate::parallel(d_in * d_out * 16);
    let parts = if parallel {
        rayon::current_num_threads()
    } else {
        1
    };
    let rows_per = d_in.div_ceil(parts);
    let part = |p: usize| -> Vec<f32> {
        let mut acc = vec![0f32; n * d_out];
        let (k0, k1) = (p * rows_per, ((p + 1) * rows_per).min(d_in));
        for r in 0..n {
            let xr = &x[r * d_in..(r + 1) * d_in];
            let a = &mut acc[r * d_out..(r + 1) * d_out];
            per_isa!(axpy_rows(a, &xr[k0..k1], &w[k0 * d_out..k1 * d_out], d_out));
        }
        acc
    };
    let partials: Vec<Vec<f32>> = if parallel {
        use rayon::prelude::*;
        (0..parts).into_par_iter().map(part).collect()
    } else {
        vec![part(0)]
    };
    for p in &partials {
        for (o, v) in out.iter_mut().zip(p) {
            *o += v;
        }
    }
    if relu {
        crate::relu_in_place(out);
    }
}

/// `acc += Σ_k x[k] · w[k]` over rows of W, four at a time (a quarter of the passes over
/// `acc`, which stays in L1).
#[inline(always)]
fn axpy_rows(acc: &mut [f32], x: &[f32], w: &[f32], d_out: usize) {
    let mut rows = w.chunks_exact(4 * d_out);
    let mut xs = x.chunks_exact(4);
    for (w4, x4) in (&mut rows).zip(&mut xs) {
        let (w0, rest) = w4.split_at(d_out);
        let (w1, rest) = rest.split_at(d_out);
        let (w2, w3) = rest.split_at(d_out);
        for j in 0..d_out {
            acc[j] += x4[0] * w0[j] + x4[1] * w1[j] + x4[2] * w2[j] + x4[3] * w3[j];
        }
    }
    for (wr, xk) in rows.remainder().chunks_exact(d_out).zip(xs.remainder()) {
        for (a, v) in acc.iter_mut().zip(wr) {
            *a += xk * v;
        }
    }
}
