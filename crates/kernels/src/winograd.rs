//! Winograd convolution F(2×2, 3×3) (Lavin & Gray 2015) for 3×3 stride-1 convolutions: each
//! 2×2 output tile costs 16 multiplications per channel pair instead of 36, 2.25× fewer.
//! Input tiles and filters are transformed (`V = Bᵀ d B`, `U = G g Gᵀ`), the 16 element-wise
//! products summed over input channels are 16 matrix products `M[ξ] = U[ξ] · V[ξ]` on the
//! engine's micro-kernels, and the output transform `Y = Aᵀ M A` is fused with bias, residual
//! and ReLU. F(2×2)'s transforms are additions only (plus halving the filters), so it rounds
//! like direct convolution. F(4×4) (4× fewer) was measured at 3–5e-5 relative error per layer
//! (7× direct's), too close to the zoo's 1e-4 parity bound over a deep network.
//!
//! Tiles are processed in blocks (one task each, in parallel), so a block's transformed input
//! and products stay in cache between the three steps. The transforms work on 16 tiles at a
//! time, one per lane, compiled once per instruction set so that they vectorise.

// The transforms index lanes, rows and columns the way the matrices are written.
#![allow(clippy::needless_range_loop)]

use std::cell::RefCell;

use rayon::prelude::*;

use crate::conv::{Conv2dShape, Fused, SendPtr};
use crate::gemm::{self, Epilogue, NR, Operands};
use crate::{pad_plane, scratch};

/// Lanes of the transforms: tiles transformed together.
const L: usize = 16;
/// Input channels per micro-kernel pass.
const KC: usize = 256;
/// Transformed tile size α², the number of products.
const XI: usize = 16;

type Lanes = [f32; L];

/// Whether `s` suits Winograd: 3×3, stride 1, no dilation or groups, enough channels for the
/// transforms to pay, and enough 2×2 tiles to fill the micro-kernel's columns.
pub(crate) fn applies(s: &Conv2dShape) -> bool {
    let [ho, wo] = s.out_hw();
    s.kh == 3
        && s.kw == 3
        && s.stride == [1, 1]
        && s.dilation == [1, 1]
        && s.groups == 1
        && s.c_in >= 16
        && s.c_out >= 16
        && ho.div_ceil(2) * wo.div_ceil(2) >= 48
}

thread_local! {
    /// The calling thread's padded input (taken out while in use, so a nested call on the
    /// same thread gets a fresh one); each pool thread's block buffers.
    static PADDED: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    static BLOCK: RefCell<(Vec<f32>, Vec<f32>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// Geometry of the tiling of one image.
#[derive(Clone, Copy)]
struct Tiling {
    tiles_x: usize,
    tiles: usize,
    /// Height and width of the zero-padded input planes: every tile's 4×4 patch lies inside.
    hp: usize,
    wp: usize,
    /// Tiles per block, a multiple of NR.
    block: usize,
}

/// Filters transformed for F(2×2, 3×3): `U[ξ][o][c]`, 16 × c_out × c_in values.
pub(crate) fn filters(s: &Conv2dShape, weight: &[f32]) -> Vec<f32> {
    let (ci, co) = (s.c_in, s.c_out);
    let mut u = vec![0f32; XI * co * ci];
    let u_ptr = SendPtr(u.as_mut_ptr());
    let transform = |o: usize| per_isa!(transform_filters(o, weight, u_ptr, co, ci));
    crate::for_each(crate::parallel(s.macs()), co, transform);
    u
}

/// The convolution of `s` by F(2×2, 3×3), `s` satisfying [`applies`], with the filters
/// transformed by [`filters`] (or now, if `None`).
pub(crate) fn conv2d(
    s: &Conv2dShape,
    input: &[f32],
    weight: &[f32],
    prepared: Option<&[f32]>,
    fused: Fused<'_>,
    out: &mut [f32],
) {
    let [ho, wo] = s.out_hw();
    let (ci, co) = (s.c_in, s.c_out);
    let tiles_x = wo.div_ceil(2);
    let tiles = ho.div_ceil(2) * tiles_x;
    let parallel = crate::parallel(s.macs());
    let threads = if parallel {
        rayon::current_num_threads()
    } else {
        1
    };
    // Images one after the other (so scratch stays one image's worth), each in blocks of
    // tiles: enough for every thread, as large as that allows (up to 256 tiles), so the
    // filters are streamed from memory as few times as possible.
    let block = tiles.div_ceil(threads).div_ceil(NR).clamp(1, 8) * NR;
    let (hp, wp) = (2 * ho.div_ceil(2) + 2, 2 * tiles_x + 2);
    let tl = Tiling {
        tiles_x,
        tiles,
        hp,
        wp,
        block,
    };
    let blocks = tiles.div_ceil(block);
    let own;
    let u = match prepared {
        Some(u) => u,
        None => {
            own = filters(s, weight);
            &own[..]
        }
    };
    let mut padded = PADDED.with_borrow_mut(std::mem::take);
    let out = SendPtr(out.as_mut_ptr());
    let plane = s.h * s.w;
    for n in 0..s.batch {
        let x = scratch(&mut padded, ci * hp * wp);
        pad(s, &input[n * ci * plane..(n + 1) * ci * plane], x, tl);
        let x = &*x;
        let block_task = |b: usize| {
            BLOCK.with_borrow_mut(|(v, m)| {
                let v = scratch(v, XI * block * ci);
                let m = scratch(m, XI * co * block);
                per_isa!(transform_input(x, v, s, tl, b * block));
                products(u, v, m, s, block);
                per_isa!(transform_output(m, out, s, tl, &fused, n, b * block));
            });
        };
        crate::for_each(parallel, blocks, block_task);
    }
    PADDED.with_borrow_mut(|p| *p = padded);
}

/// Copies every input plane into a zero-padded plane of `hp × wp`, so that gathering a tile's
/// patch needs no bounds checks.
fn pad(s: &Conv2dShape, input: &[f32], padded: &mut [f32], tl: Tiling) {
    let [pt, pl, _, _] = s.padding;
    // Rows and columns past the padded extent are never read by a tile.
    let plane = |(src, dst): (&[f32], &mut [f32])| pad_plane(src, s.w, dst, tl.wp, (pt, pl));
    let planes = input
        .chunks(s.h * s.w)
        .zip(padded.chunks_mut(tl.hp * tl.wp));
    // A copy: memory-bound, so the pool only helps for large images.
    if crate::parallel(input.len() * 4) {
        planes.par_bridge().for_each(plane);
    } else {
        planes.for_each(plane);
    }
}

/// `M[ξ] = U[ξ] · V[ξ]` for one block: `U[ξ]` is `co × ci`, `V[ξ]` `ci` rows of panels of NR
/// tiles, `M[ξ]` `co × block`.
fn products(u: &[f32], v: &[f32], m: &mut [f32], s: &Conv2dShape, block: usize) {
    let (ci, co) = (s.c_in, s.c_out);
    let mr = gemm::mr();
    let panels = block / NR;
    for xi in 0..XI {
        for panel in 0..panels {
            for k0 in (0..ci).step_by(KC) {
                let kc = KC.min(ci - k0);
                for r in (0..co).step_by(mr) {
                    let op = Operands {
                        kc,
                        a: u[(xi * co + r) * ci + k0..].as_ptr(),
                        lda: ci,
                        b: v[((xi * panels + panel) * ci + k0) * NR..].as_ptr(),
                        ldb: NR,
                        c: m[(xi * co + r) * block + panel * NR..].as_mut_ptr(),
                        ldc: block,
                        accumulate: k0 > 0,
                    };
                    // SAFETY: A has the rows and `kc` columns from k0, B a packed panel of `kc`
                    // rows, C the rows and NR columns, all inside their buffers.
                    unsafe { gemm::tile(mr.min(co - r), &op, &Epilogue::NONE) };
                }
            }
        }
    }
}

/// `U[ξ][o][c] = (G g Gᵀ)[ξ]` for output channel `o`, every input channel:
/// `G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]]`.
#[inline(always)]
fn transform_filters(o: usize, weight: &[f32], u: SendPtr, co: usize, ci: usize) {
    let w = &weight[o * ci * 9..(o + 1) * ci * 9];
    for c in 0..ci {
        let g = &w[c * 9..c * 9 + 9];
        // Rows of G g (4×3), then columns of (G g) Gᵀ (4×4).
        let row = |r: usize| [g[r], g[3 + r], g[6 + r]];
        let cols = [row(0), row(1), row(2)];
        let gg = |k: [f32; 3]| {
            [
                k[0],
                0.5 * (k[0] + k[1] + k[2]),
                0.5 * (k[0] - k[1] + k[2]),
                k[2],
            ]
        };
        let t = [gg(cols[0]), gg(cols[1]), gg(cols[2])]; // t[col][i] = (G g)[i][col]
        for i in 0..4 {
            let r = gg([t[0][i], t[1][i], t[2][i]]);
            for (j, val) in r.into_iter().enumerate() {
                // SAFETY: U[ξ][o][c] is inside `u` and written by this `o` only.
                unsafe { *u.add(((i * 4 + j) * co + o) * ci + c) = val };
            }
        }
    }
}

/// `Bᵀ z` for four lane-vectors, `Bᵀ = [[1, 0, −1, 0], [0, 1, 1, 0], [0, −1, 1, 0], [0, 1, 0, −1]]`.
#[inline(always)]
fn bt(z: [&Lanes; 4]) -> [Lanes; 4] {
    let mut r = [[0f32; L]; 4];
    for j in 0..L {
        r[0][j] = z[0][j] - z[2][j];
        r[1][j] = z[1][j] + z[2][j];
        r[2][j] = z[2][j] - z[1][j];
        r[3][j] = z[1][j] - z[3][j];
    }
    r
}

/// `V[ξ][panel][c][j] = (Bᵀ d B)[ξ]` for the block's tiles from `t0`, every input channel.
#[inline(always)]
fn transform_input(x: &[f32], v: &mut [f32], s: &Conv2dShape, tl: Tiling, t0: usize) {
    let panels = tl.block / NR;
    let wp = tl.wp;
    // Reused across groups: zeroing them each time cost as much as the arithmetic. Lanes past
    // the last tile keep stale (finite) values whose products are discarded.
    let mut d = [[[0f32; L]; 4]; 4];
    let mut rows = [[[0f32; L]; 4]; 4];
    for c in 0..s.c_in {
        let plane = &x[c * tl.hp * wp..(c + 1) * tl.hp * wp];
        for g in (0..tl.block).step_by(L) {
            // d[r][q][j]: the 4×4 patch of tile t0 + g + j in the padded plane.
            let first = t0 + g;
            let count = L.min(tl.tiles.saturating_sub(first));
            let (ty, tx) = (first / tl.tiles_x, first % tl.tiles_x);
            if count == L && tx + L <= tl.tiles_x {
                // One tile row: stride-2 gathers from contiguous runs (vector shuffles).
                for (r, dr) in d.iter_mut().enumerate() {
                    let at = (2 * ty + r) * wp + 2 * tx;
                    let run: &[f32; 2 * L + 2] = plane[at..at + 2 * L + 2].try_into().expect("run");
                    // Even and odd columns (an interleaved load the compiler vectorises);
                    // columns q = 2, 3 are the same shifted by one tile.
                    let (mut even, mut odd) = ([0f32; L + 1], [0f32; L + 1]);
                    for j in 0..=L {
                        even[j] = run[2 * j];
                        odd[j] = run[2 * j + 1];
                    }
                    dr[0].copy_from_slice(&even[..L]);
                    dr[1].copy_from_slice(&odd[..L]);
                    dr[2].copy_from_slice(&even[1..]);
                    dr[3].copy_from_slice(&odd[1..]);
                }
            } else {
                let (mut ty, mut tx) = (ty, tx);
                for j in 0..count {
                    let at = 2 * ty * wp + 2 * tx;
                    for (r, dr) in d.iter_mut().enumerate() {
                        for (q, dq) in dr.iter_mut().enumerate() {
                            dq[j] = plane[at + r * wp + q];
                        }
                    }
                    tx += 1;
                    if tx == tl.tiles_x {
                        (ty, tx) = (ty + 1, 0);
                    }
                }
            }
            // Bᵀ d (rows), then (Bᵀ d) B (columns).
            for q in 0..4 {
                let col = bt([&d[0][q], &d[1][q], &d[2][q], &d[3][q]]);
                for (i, c) in col.into_iter().enumerate() {
                    rows[i][q] = c;
                }
            }
            let (panel, j0) = (g / NR, g % NR);
            for (i, ri) in rows.iter().enumerate() {
                let vals = bt([&ri[0], &ri[1], &ri[2], &ri[3]]);
                for (k, val) in vals.iter().enumerate() {
                    let at = (((i * 4 + k) * panels + panel) * s.c_in + c) * NR + j0;
                    v[at..at + L].copy_from_slice(val);
                }
            }
        }
    }
}

/// `Y = Aᵀ M A` (`Aᵀ = [[1, 1, 1, 0], [0, 1, −1, −1]]`) for the block's tiles from `t0` of image
/// `n`, every output channel, with bias, residual and ReLU.
#[inline(always)]
fn transform_output(
    m: &[f32],
    out: SendPtr,
    s: &Conv2dShape,
    tl: Tiling,
    f: &Fused<'_>,
    n: usize,
    t0: usize,
) {
    let [ho, wo] = s.out_hw();
    let mut y = [[[0f32; L]; 2]; 2];
    for o in 0..s.c_out {
        let bias = f.bias.map_or(0.0, |b| b[o]);
        let base = (n * s.c_out + o) * ho * wo;
        for g in (0..tl.block).step_by(L) {
            let first = t0 + g;
            if first >= tl.tiles {
                break;
            }
            let lanes = |xi: usize| -> &Lanes {
                let at = (xi * s.c_out + o) * tl.block + g;
                m[at..at + L].try_into().expect("16 lanes")
            };
            // Aᵀ M: two rows of four, then (Aᵀ M) A: two columns, lane-wise.
            let mut t = [[[0f32; L]; 4]; 2];
            for q in 0..4 {
                let (a, b, c, d) = (lanes(q), lanes(4 + q), lanes(8 + q), lanes(12 + q));
                for j in 0..L {
                    t[0][q][j] = a[j] + b[j] + c[j];
                    t[1][q][j] = b[j] - c[j] - d[j];
                }
            }
            for (yi, ti) in y.iter_mut().zip(&t) {
                for j in 0..L {
                    yi[0][j] = ti[0][j] + ti[1][j] + ti[2][j] + bias;
                    yi[1][j] = ti[1][j] - ti[2][j] - ti[3][j] + bias;
                }
            }
            let count = L.min(tl.tiles - first);
            let (oy, ox) = (2 * (first / tl.tiles_x), 2 * (first % tl.tiles_x));
            if count == L
                && first % tl.tiles_x + L <= tl.tiles_x
                && oy + 2 <= ho
                && ox + 2 * L <= wo
            {
                // 16 whole tiles in one tile row: two output rows of 32 contiguous values.
                for (i, yi) in y.iter().enumerate() {
                    let at = base + (oy + i) * wo + ox;
                    let mut row = [0f32; 2 * L];
                    for j in 0..L {
                        row[2 * j] = yi[0][j];
                        row[2 * j + 1] = yi[1][j];
                    }
                    if let Some(r) = f.residual {
                        for (v, r) in row.iter_mut().zip(&r[at..at + 2 * L]) {
                            *v += r;
                        }
                    }
                    if f.relu {
                        crate::relu_in_place(&mut row);
                    }
                    // SAFETY: as below, a run of 32 pixels of one output row.
                    unsafe { std::ptr::copy_nonoverlapping(row.as_ptr(), out.add(at), 2 * L) };
                }
                continue;
            }
            for j in 0..count {
                let t = first + j;
                let (oy, ox) = (2 * (t / tl.tiles_x), 2 * (t % tl.tiles_x));
                for (i, yi) in y.iter().enumerate().take(2.min(ho - oy)) {
                    for (q, yq) in yi.iter().enumerate().take(2.min(wo - ox)) {
                        let at = base + (oy + i) * wo + ox + q;
                        let val = yq[j] + f.residual.map_or(0.0, |r| r[at]);
                        // A select, not a branch on the value's sign.
                        let val = if f.relu && val < 0.0 { 0.0 } else { val };
                        // SAFETY: image `n`'s pixels of this block's tiles are written by
                        // this block only.
                        unsafe { *out.add(at) = val };
                    }
                }
            }
        }
    }
}
