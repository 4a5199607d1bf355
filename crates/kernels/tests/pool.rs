//! Pooling against its definition on random shapes: kernels 1–7, strides 1–4, asymmetric
//! padding up to half the kernel, ceil and floor mode, both averaging divisors, NaN.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use zoo_kernels::{Pool2dShape, PoolError, avg_pool2d, max_pool2d, reference};

fn random_shape(rng: &mut SmallRng) -> Pool2dShape {
    let (kh, kw) = (rng.random_range(1..=7usize), rng.random_range(1..=7usize));
    let padding = [
        rng.random_range(0..=kh / 2),
        rng.random_range(0..=kw / 2),
        rng.random_range(0..=kh / 2),
        rng.random_range(0..=kw / 2),
    ];
    Pool2dShape {
        batch: rng.random_range(1..=3),
        channels: rng.random_range(1..=40),
        h: kh + rng.random_range(0..30),
        w: kw + rng.random_range(0..30),
        kh,
        kw,
        stride: [rng.random_range(1..=4), rng.random_range(1..=4)],
        padding,
        ceil_mode: rng.random_bool(0.5),
    }
}

#[test]
fn random_shapes_match_the_definition() {
    let mut rng = SmallRng::seed_from_u64(5);
    for case in 0..300 {
        zoo_kernels::set_parallel_min(if case % 2 == 0 { 0 } else { 1 << 22 });
        let s = random_shape(&mut rng);
        let [n_in, n_out] = s.lens();
        let mut x: Vec<f32> = (0..n_in).map(|_| rng.random_range(-1.0f32..1.0)).collect();
        if rng.random_bool(0.1) {
            x[rng.random_range(0..n_in)] = f32::NAN;
        }
        let mut got = vec![0.0; n_out];
        max_pool2d(&s, &x, &mut got).unwrap();
        let want = reference::pool2d(&s, &x, true, false);
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert!(
                g == w || (g.is_nan() && w.is_nan()),
                "max {s:?}: out[{i}] = {g}, reference {w}"
            );
        }
        for include in [false, true] {
            avg_pool2d(&s, &x, include, &mut got).unwrap();
            let want = reference::pool2d(&s, &x, false, include);
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                let close = (g - w).abs() <= 1e-5 || (g.is_nan() && w.is_nan());
                assert!(
                    close,
                    "avg (include pad {include}) {s:?}: out[{i}] = {g}, reference {w}"
                );
            }
        }
    }
}

#[test]
fn ceil_mode_follows_pytorch() {
    // GoogLeNet's 3×3/2 ceil-mode pools: 112 → 56, 56 → 28; torch gives 57 for 113 with floor
    // 56, and drops a last window that would start in the right padding.
    let s = |h, k, st, p, ceil| Pool2dShape {
        batch: 1,
        channels: 1,
        h,
        w: h,
        kh: k,
        kw: k,
        stride: [st, st],
        padding: [p; 4],
        ceil_mode: ceil,
    };
    assert_eq!(s(112, 3, 2, 0, true).out_hw(), [56, 56]);
    assert_eq!(s(113, 3, 2, 0, false).out_hw(), [56, 56]);
    assert_eq!(s(113, 3, 2, 0, true).out_hw(), [56, 56]);
    assert_eq!(s(114, 3, 2, 0, true).out_hw(), [57, 57]);
    assert_eq!(s(5, 2, 2, 1, true).out_hw(), [3, 3]);
    assert_eq!(s(14, 3, 1, 1, true).out_hw(), [14, 14]);
}

#[test]
fn bad_geometry_is_an_error() {
    let s = Pool2dShape {
        batch: 1,
        channels: 1,
        h: 4,
        w: 4,
        kh: 2,
        kw: 2,
        stride: [2, 2],
        padding: [2, 0, 0, 0],
        ceil_mode: false,
    };
    let err = max_pool2d(&s, &[0.0; 16], &mut [0.0; 6]).unwrap_err();
    assert!(matches!(err, PoolError::Geometry(..)), "{err}");
    let ok = Pool2dShape {
        padding: [0; 4],
        ..s
    };
    let err = max_pool2d(&ok, &[0.0; 15], &mut [0.0; 4]).unwrap_err();
    assert!(
        err.to_string().contains("the input holds 15 values"),
        "{err}"
    );
}
