//! The machine's arithmetic ceiling, measured: every thread of the pool runs independent
//! fused multiply-adds with the widest vectors the engine uses, nothing else. Benchmarks state
//! their GFLOP/s as a share of this.

use std::time::Instant;

use crate::Isa;

/// Peak f32 GFLOP/s (a multiply-add counts 2) of the pool's threads together, over about
/// `iterations` × 24 vector FMAs per thread, with the selected [`Isa`].
pub fn fma_peak_gflops(iterations: usize) -> f64 {
    let isa = crate::isa();
    let lanes = match isa {
        Isa::Avx512 => 16,
        Isa::Avx2 => 8,
        Isa::Portable => 4,
    };
    let start = Instant::now();
    let sums = rayon::broadcast(|_| fma_loop(isa, iterations));
    let secs = start.elapsed().as_secs_f64();
    std::hint::black_box(sums);
    let threads = rayon::current_num_threads() as f64;
    threads * iterations as f64 * 24.0 * lanes as f64 * 2.0 / secs / 1e9
}

fn fma_loop(isa: Isa, iterations: usize) -> f32 {
    match isa {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `isa()` only names instruction sets this CPU has.
        Isa::Avx512 => unsafe { x86::avx512(iterations) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above.
        Isa::Avx2 => unsafe { x86::avx2(iterations) },
        _ => {
            let mut acc = [[1f32; 4]; 24];
            for _ in 0..iterations {
                for a in acc.iter_mut() {
                    for v in a.iter_mut() {
                        *v = v.mul_add(0.999_999, 1e-7);
                    }
                }
            }
            acc.iter().flatten().sum()
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    macro_rules! fma_loop {
        ($name:ident, $feature:literal, $set1:ident, $fmadd:ident, $add:ident, $cvt:ident) => {
            #[target_feature(enable = $feature)]
            pub(super) unsafe fn $name(iterations: usize) -> f32 {
                let (a, b) = ($set1(0.999_999), $set1(1e-7));
                let mut acc = [$set1(1.0); 24];
                for _ in 0..iterations {
                    for v in acc.iter_mut() {
                        *v = $fmadd(*v, a, b);
                    }
                }
                let sum = acc.iter().fold($set1(0.0), |s, v| $add(s, *v));
                $cvt(sum)
            }
        };
    }

    fma_loop!(
        avx512,
        "avx512f",
        _mm512_set1_ps,
        _mm512_fmadd_ps,
        _mm512_add_ps,
        _mm512_cvtss_f32
    );
    fma_loop!(
        avx2,
        "avx2,fma",
        _mm256_set1_ps,
        _mm256_fmadd_ps,
        _mm256_add_ps,
        _mm256_cvtss_f32
    );
}
