//! The register-blocked micro-kernels: `C[R×32] (+)= A[R×kc] · B[kc×32]`, then the epilogue
//! (bias per row, residual add, ReLU) applied in registers before the one store.
//!
//! A is read in place (row stride `lda`, one broadcast per row and step), B is a panel of 32
//! columns (row stride `ldb`: 32 when packed, the image width for 1×1 convolutions read in
//! place). Rows are output channels and columns output pixels, so a tile's rows are contiguous
//! runs of an NCHW output and need no transposition. AVX-512: 8×32, 16 accumulators in the 32
//! vector registers; AVX2: two 6×16 halves, 12 accumulators, 2 B vectors and 1 broadcast in
//! the 16 registers; portable: plain Rust the compiler vectorises.

use crate::Isa;

/// Columns of a tile (output pixels): the width of a packed panel of B.
pub const NR: usize = 32;
/// The most rows any kernel takes (the AVX-512 tile; AVX2 and portable take 6).
pub const MR_MAX: usize = 8;

/// Rows of a full tile for the kernels this process uses.
pub(crate) fn mr() -> usize {
    match crate::isa() {
        Isa::Avx512 => 8,
        Isa::Avx2 | Isa::Portable => 6,
    }
}

/// What the last pass over K adds before storing. Pointers index the tile's first row and
/// column; `bias` has one value per row, `res` has the output's row stride `ldc`.
#[derive(Clone, Copy)]
pub(crate) struct Epilogue {
    /// One value per row, or null for none.
    pub bias: *const f32,
    /// Residual added before the ReLU (row stride `ldc`), or null for none.
    pub res: *const f32,
    /// Apply ReLU last.
    pub relu: bool,
}

impl Epilogue {
    /// Nothing added: a plain store.
    pub const NONE: Epilogue = Epilogue {
        bias: std::ptr::null(),
        res: std::ptr::null(),
        relu: false,
    };
}

/// One call's operands. `accumulate`: add to what C holds (a later block of K).
#[derive(Clone, Copy)]
pub(crate) struct Operands {
    /// Steps of K in this call.
    pub kc: usize,
    /// A's first row (output channels' weights).
    pub a: *const f32,
    /// Row stride of A.
    pub lda: usize,
    /// B's panel of 32 columns.
    pub b: *const f32,
    /// Row stride of B (32 when packed).
    pub ldb: usize,
    /// The tile's first output value.
    pub c: *mut f32,
    /// Row stride of C (and of the residual).
    pub ldc: usize,
    /// Add to what C holds rather than overwrite it.
    pub accumulate: bool,
}

/// Runs the kernel of the selected [`Isa`] on `rows` (1..=[`mr`]) rows of 32 columns.
///
/// # Safety
/// Every pointer must cover the rows, columns and strides it is given.
pub(crate) unsafe fn tile(rows: usize, op: &Operands, epi: &Epilogue) {
    macro_rules! by_rows {
        ($m:ident::$f:ident, $($r:literal)+) => {
            match rows { $($r => $m::$f::<$r>(op, epi),)+ _ => unreachable!("{rows} rows") }
        };
    }
    // SAFETY: `isa()` only names instruction sets this CPU has; the caller vouches for the
    // pointers.
    unsafe {
        match crate::isa() {
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => by_rows!(avx512::tile, 1 2 3 4 5 6 7 8),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => by_rows!(avx2::halves, 1 2 3 4 5 6),
            _ => by_rows!(self::portable, 1 2 3 4 5 6),
        }
    }
}

/// Plain Rust for every other target (aarch64, wasm32): the same blocking, left to the
/// compiler's vectoriser.
unsafe fn portable<const R: usize>(op: &Operands, epi: &Epilogue) {
    let mut acc = [[0f32; NR]; R];
    // SAFETY (whole function): the caller vouches for the pointers and strides.
    unsafe {
        if op.accumulate {
            for (i, row) in acc.iter_mut().enumerate() {
                row.copy_from_slice(std::slice::from_raw_parts(op.c.add(i * op.ldc), NR));
            }
        }
        for k in 0..op.kc {
            let b = std::slice::from_raw_parts(op.b.add(k * op.ldb), NR);
            for (i, row) in acc.iter_mut().enumerate() {
                let a = *op.a.add(i * op.lda + k);
                for (c, b) in row.iter_mut().zip(b) {
                    *c += a * b;
                }
            }
        }
        for (i, row) in acc.iter_mut().enumerate() {
            let bias = if epi.bias.is_null() {
                0.0
            } else {
                *epi.bias.add(i)
            };
            for (j, v) in row.iter_mut().enumerate() {
                *v += bias;
                if !epi.res.is_null() {
                    *v += *epi.res.add(i * op.ldc + j);
                }
                // Not `max`: ReLU keeps a NaN, as PyTorch's does.
                if epi.relu && *v < 0.0 {
                    *v = 0.0;
                }
            }
            std::ptr::copy_nonoverlapping(row.as_ptr(), op.c.add(i * op.ldc), NR);
        }
    }
}

/// One x86 kernel body for a vector width: two vectors of columns per row, `R` rows.
#[cfg(target_arch = "x86_64")]
macro_rules! x86_tile {
    ($feature:literal, $lanes:literal, $zero:ident, $load:ident, $store:ident, $set1:ident,
     $fmadd:ident, $add:ident, $max:ident) => {
        #[target_feature(enable = $feature)]
        pub(super) unsafe fn tile<const R: usize>(op: &Operands, epi: &Epilogue) {
            let mut acc = [[$zero(); 2]; R];
            let mut a_rows = [std::ptr::null::<f32>(); R];
            // SAFETY (whole function): the caller vouches for the pointers and strides.
            unsafe {
                for (i, p) in a_rows.iter_mut().enumerate() {
                    *p = op.a.add(i * op.lda);
                }
                if op.accumulate {
                    for (i, row) in acc.iter_mut().enumerate() {
                        let c = op.c.add(i * op.ldc);
                        row[0] = $load(c);
                        row[1] = $load(c.add($lanes));
                    }
                }
                let mut b = op.b;
                for k in 0..op.kc {
                    let b0 = $load(b);
                    let b1 = $load(b.add($lanes));
                    for i in 0..R {
                        let a = $set1(*a_rows[i].add(k));
                        acc[i][0] = $fmadd(a, b0, acc[i][0]);
                        acc[i][1] = $fmadd(a, b1, acc[i][1]);
                    }
                    b = b.add(op.ldb);
                }
                let zero = $zero();
                for (i, row) in acc.iter_mut().enumerate() {
                    if !epi.bias.is_null() {
                        let bias = $set1(*epi.bias.add(i));
                        row[0] = $add(row[0], bias);
                        row[1] = $add(row[1], bias);
                    }
                    if !epi.res.is_null() {
                        let r = epi.res.add(i * op.ldc);
                        row[0] = $add(row[0], $load(r));
                        row[1] = $add(row[1], $load(r.add($lanes)));
                    }
                    if epi.relu {
                        // maxps returns its second operand when either is NaN: NaN stays NaN.
                        row[0] = $max(zero, row[0]);
                        row[1] = $max(zero, row[1]);
                    }
                    let c = op.c.add(i * op.ldc);
                    $store(c, row[0]);
                    $store(c.add($lanes), row[1]);
                }
            }
        }
    };
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{Epilogue, Operands};
    use std::arch::x86_64::*;

    /// The 32 columns as two 16-column tiles.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn halves<const R: usize>(op: &Operands, epi: &Epilogue) {
        for half in [0, 16] {
            // SAFETY: the caller vouches for 32 columns; each half covers 16 of them.
            unsafe {
                let op = Operands {
                    b: op.b.add(half),
                    c: op.c.add(half),
                    ..*op
                };
                let res = if epi.res.is_null() {
                    epi.res
                } else {
                    epi.res.add(half)
                };
                tile::<R>(&op, &Epilogue { res, ..*epi });
            }
        }
    }

    x86_tile!(
        "avx2,fma",
        8,
        _mm256_setzero_ps,
        _mm256_loadu_ps,
        _mm256_storeu_ps,
        _mm256_set1_ps,
        _mm256_fmadd_ps,
        _mm256_add_ps,
        _mm256_max_ps
    );
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::{Epilogue, Operands};
    use std::arch::x86_64::*;

    x86_tile!(
        "avx512f",
        16,
        _mm512_setzero_ps,
        _mm512_loadu_ps,
        _mm512_storeu_ps,
        _mm512_set1_ps,
        _mm512_fmadd_ps,
        _mm512_add_ps,
        _mm512_max_ps
    );
}
