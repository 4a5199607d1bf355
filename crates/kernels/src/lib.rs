//! The CPU convolution engine of burn-zoo.
//!
//! Burn's flex backend convolves by im2col into NHWC tiles and the `gemm` crate, converting
//! layouts and adding bias, ReLU and residuals in separate passes; at batch 1 most layers give
//! its threads too little to split. This crate computes `relu(conv2d(x, w) + bias + residual)`
//! on NCHW `f32` slices in one pass: register-blocked micro-kernels (AVX-512 and AVX2/FMA,
//! detected at run time, with a portable fallback for aarch64 and wasm32), im2col fused into the packing of the
//! pixel panels, 1×1 convolutions read in place, and work split over images, groups, pixels
//! and output channels on Rayon's pool. Max and average pooling are here too: flex's max
//! pooling also computes indices, and took half of GoogLeNet's time.
//!
//! ```
//! use zoo_kernels::{Conv2dShape, Fused, conv2d};
//! // One 3×3 filter of ones over a 1-channel 3×3 image of ones, padding 1.
//! let s = Conv2dShape {
//!     batch: 1, c_in: 1, h: 3, w: 3, c_out: 1, kh: 3, kw: 3,
//!     stride: [1, 1], padding: [1; 4], dilation: [1, 1], groups: 1,
//! };
//! let mut out = vec![0.0; 9];
//! conv2d(&s, &[1.0; 9], &[1.0; 9], Fused::default(), &mut out).unwrap();
//! assert_eq!(out, [4.0, 6.0, 4.0, 6.0, 9.0, 6.0, 4.0, 6.0, 4.0]);
//! ```

#![warn(missing_docs)]

/// Dispatches to a copy of `$f` compiled for the selected instruction set, so that its lane
/// loops vectorise at that width.
macro_rules! per_isa {
    ($f:ident $(::<$g:tt>)? ($($arg:expr),*)) => {{
        #[cfg(target_arch = "x86_64")]
        {
            #[target_feature(enable = "avx512f")]
            unsafe fn avx512(f: impl FnOnce()) { f() }
            #[target_feature(enable = "avx2,fma")]
            unsafe fn avx2(f: impl FnOnce()) { f() }
            match $crate::isa() {
                // SAFETY: `isa()` only names instruction sets this CPU has.
                $crate::Isa::Avx512 => unsafe { avx512(|| $f $(::<$g>)? ($($arg),*)) },
                // SAFETY: as above.
                $crate::Isa::Avx2 => unsafe { avx2(|| $f $(::<$g>)? ($($arg),*)) },
                $crate::Isa::Portable => $f $(::<$g>)? ($($arg),*),
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        $f $(::<$g>)? ($($arg),*)
    }};
}

mod conv;
mod depthwise;
mod gemm;
mod linear;
mod pack;
mod peak;
mod pool;
pub mod reference;
mod winograd;

use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

pub use conv::{Conv2dShape, ConvError, Fused, Prepared, conv2d, conv2d_prepared};
pub use linear::{LinearError, linear};
pub use peak::fma_peak_gflops;
pub use pool::{Pool2dShape, PoolError, avg_pool2d, max_pool2d};

/// Sizes the process's Rayon pool, which Burn's flex backend shares, to `threads` (at most
/// once per process, before anything runs on it; by default Rayon takes every core).
pub fn set_threads(threads: usize) -> Result<(), rayon::ThreadPoolBuildError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()
}

/// Threads of the pool the engine runs on.
pub fn threads() -> usize {
    rayon::current_num_threads()
}

static WINOGRAD: AtomicU8 = AtomicU8::new(u8::MAX);

/// Whether 3×3 stride-1 convolutions may use Winograd's F(2×2, 3×3) where the shape suits it: on unless [`set_winograd`] or the environment (`ZOO_WINOGRAD=off`) said no.
pub fn winograd() -> bool {
    match WINOGRAD.load(Ordering::Relaxed) {
        u8::MAX => {
            let off =
                std::env::var("ZOO_WINOGRAD").is_ok_and(|v| matches!(v.as_str(), "off" | "0"));
            WINOGRAD.store(u8::from(!off), Ordering::Relaxed);
            !off
        }
        on => on == 1,
    }
}

/// Allows or forbids Winograd's algorithm (for comparisons and per-layer benchmarks).
pub fn set_winograd(on: bool) {
    WINOGRAD.store(u8::from(on), Ordering::Relaxed);
}

/// The instruction set the micro-kernels use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isa {
    /// 8×32 tiles in 512-bit registers (x86-64 with AVX-512F).
    Avx512,
    /// 6×16 tiles in 256-bit registers (x86-64 with AVX2 and FMA).
    Avx2,
    /// Plain Rust, any target.
    Portable,
}

impl Isa {
    /// Whether this CPU can run it.
    pub fn available(self) -> bool {
        match self {
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => std::is_x86_feature_detected!("avx512f"),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => {
                std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
            }
            Isa::Portable => true,
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    const ALL: [Isa; 3] = [Isa::Avx512, Isa::Avx2, Isa::Portable];
}

static ISA: AtomicU8 = AtomicU8::new(u8::MAX);

/// The instruction set in use: the best this CPU has, unless [`set_isa`] or the environment
/// (`ZOO_KERNELS_ISA=avx2` or `portable`) chose a lesser one.
pub fn isa() -> Isa {
    match ISA.load(Ordering::Relaxed) {
        u8::MAX => {
            let asked = std::env::var("ZOO_KERNELS_ISA").ok();
            let best = Isa::ALL
                .into_iter()
                .filter(|i| i.available())
                .find(|i| {
                    asked
                        .as_deref()
                        .is_none_or(|a| format!("{i:?}").eq_ignore_ascii_case(a))
                })
                .unwrap_or(Isa::Portable);
            ISA.store(best as u8, Ordering::Relaxed);
            best
        }
        i => Isa::ALL[i as usize],
    }
}

/// Chooses the instruction set (for tests and benchmarks); `false`, and no change, if this CPU
/// lacks it.
pub fn set_isa(isa: Isa) -> bool {
    let ok = isa.available();
    if ok {
        ISA.store(isa as u8, Ordering::Relaxed);
    }
    ok
}

/// ReLU that keeps NaN (as PyTorch's), written as a select so that it vectorises: a branch
/// per value mispredicts on real activations.
#[inline(always)]
pub(crate) fn relu_in_place(xs: &mut [f32]) {
    for x in xs {
        *x = if *x < 0.0 { 0.0 } else { *x };
    }
}

static PARALLEL_MIN: AtomicUsize = AtomicUsize::new(usize::MAX);

/// Multiply-adds (or comparable units of work) below which an operation stays on the calling
/// thread: waking the pool and handing out work costs tens of microseconds, as much as a
/// small convolution (the CIFAR networks' 16-channel layers) takes on one core. Default 2²²
/// (measured: ResNet-20 at batch 1 twice as fast as with 2¹⁸, ResNet-18/50 unchanged);
/// `ZOO_KERNELS_PARALLEL_MIN` or [`set_parallel_min`] change it.
pub fn parallel_min() -> usize {
    match PARALLEL_MIN.load(Ordering::Relaxed) {
        usize::MAX => {
            let min = std::env::var("ZOO_KERNELS_PARALLEL_MIN")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(1 << 22);
            PARALLEL_MIN.store(min, Ordering::Relaxed);
            min
        }
        min => min,
    }
}

/// Sets the work below which operations stay on the calling thread (0: always the pool).
pub fn set_parallel_min(work: usize) {
    PARALLEL_MIN.store(work.min(usize::MAX - 1), Ordering::Relaxed);
}

pub(crate) fn parallel(work: usize) -> bool {
    work >= parallel_min() && rayon::current_num_threads() > 1
}

/// `f(0..n)`, on the pool when `parallel`.
pub(crate) fn for_each(parallel: bool, n: usize, f: impl Fn(usize) + Sync + Send) {
    use rayon::prelude::*;
    if parallel {
        (0..n).into_par_iter().for_each(f);
    } else {
        (0..n).for_each(f);
    }
}

/// A grow-only scratch buffer of at least `n` values (contents unspecified).
pub(crate) fn scratch(buf: &mut Vec<f32>, n: usize) -> &mut [f32] {
    if buf.len() < n {
        buf.resize(n, 0.0);
    }
    &mut buf[..n]
}

/// Copies the plane `src` (rows of `w`) into `dst` (rows of `wp`, zero elsewhere) at row
/// `top`, column `left`, clipped to `dst`: zero padding made once, so the kernels that read
/// it need no bounds tests.
pub(crate) fn pad_plane(
    src: &[f32],
    w: usize,
    dst: &mut [f32],
    wp: usize,
    (top, left): (usize, usize),
) {
    dst.fill(0.0);
    let rows = dst.len() / wp;
    let n = w.min(wp.saturating_sub(left));
    for (y, row) in src.chunks(w).enumerate().take(rows.saturating_sub(top)) {
        dst[(top + y) * wp + left..][..n].copy_from_slice(&row[..n]);
    }
}
