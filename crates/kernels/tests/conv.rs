//! The engine against the textbook convolution on random shapes: kernels 1–7 and 11, strides
//! 1–4, asymmetric paddings, dilations, groups (depthwise included), batch 1–5, channel counts
//! that are not multiples of the tile, odd spatial sizes, each fused epilogue.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use zoo_kernels::{Conv2dShape, ConvError, Fused, Isa, conv2d, reference, set_isa};

fn random(rng: &mut SmallRng, n: usize) -> Vec<f32> {
    (0..n).map(|_| rng.random_range(-1.0f32..1.0)).collect()
}

fn random_shape(rng: &mut SmallRng) -> Conv2dShape {
    let k: usize = [1, 2, 3, 3, 3, 5, 7, 11][rng.random_range(0..8)];
    let kw = if rng.random_bool(0.8) {
        k
    } else {
        rng.random_range(1..=4)
    };
    let groups = [1, 1, 1, 2, 3][rng.random_range(0..5)];
    let depthwise = rng.random_bool(0.15);
    let (c_in, c_out) = if depthwise {
        let c = rng.random_range(1..=20);
        (c, c * rng.random_range(1..=2))
    } else {
        (
            groups * rng.random_range(1..=13),
            groups * rng.random_range(1..=30),
        )
    };
    let dilation: [usize; 2] = [rng.random_range(1..=2), rng.random_range(1..=2)];
    let pad = |r: &mut SmallRng| r.random_range(0..=k / 2 + 1);
    let padding = [pad(rng), pad(rng), pad(rng), pad(rng)];
    let min_h = (dilation[0] * (k - 1) + 1)
        .saturating_sub(padding[0] + padding[2])
        .max(1);
    let min_w = (dilation[1] * (kw - 1) + 1)
        .saturating_sub(padding[1] + padding[3])
        .max(1);
    Conv2dShape {
        batch: rng.random_range(1..=5),
        c_in,
        h: min_h + rng.random_range(0..19),
        w: min_w + rng.random_range(0..23),
        c_out,
        kh: k,
        kw,
        stride: [rng.random_range(1..=4), rng.random_range(1..=4)],
        padding,
        dilation,
        groups: if depthwise { c_in } else { groups },
    }
}

fn check(s: &Conv2dShape, rng: &mut SmallRng, bias: bool, residual: bool, relu: bool) {
    let [n_in, n_w, n_out] = s.lens();
    let x = random(rng, n_in);
    let w = random(rng, n_w);
    let b = random(rng, s.c_out);
    let r = random(rng, n_out);
    let fused = Fused {
        bias: bias.then_some(&b[..]),
        residual: residual.then_some(&r[..]),
        relu,
    };
    let want = reference::conv2d(s, &x, &w, fused);
    let mut got = vec![f32::NAN; n_out];
    conv2d(s, &x, &w, fused, &mut got).unwrap();
    let k = (s.c_in / s.groups) * s.kh * s.kw;
    let tol = 1e-5 * (k as f32).sqrt().max(1.0);
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert!(
            (g - w).abs() <= tol,
            "{s:?} b={bias} r={residual} relu={relu}: out[{i}] = {g}, reference {w}"
        );
    }
}

/// Every instruction set this CPU has, one after the other (the choice is process-wide, and
/// any of them is correct, so other tests running meanwhile are unaffected).
#[test]
fn random_shapes_match_the_definition_on_every_isa() {
    let isas = [Isa::Avx512, Isa::Avx2, Isa::Portable];
    let best = zoo_kernels::isa();
    for isa in isas.into_iter().filter(|i| i.available()) {
        assert!(set_isa(isa));
        let mut rng = SmallRng::seed_from_u64(13);
        for case in 0..200 {
            // Half the cases on the pool whatever their size, half as the default decides.
            zoo_kernels::set_parallel_min(if case % 2 == 0 { 0 } else { 1 << 22 });
            let s = random_shape(&mut rng);
            let (bias, residual, relu) = (
                rng.random_bool(0.5),
                rng.random_bool(0.4),
                rng.random_bool(0.5),
            );
            check(&s, &mut rng, bias, residual, relu);
        }
    }
    set_isa(best);
}

#[test]
fn network_shapes_cover_several_k_blocks_and_channel_splits() {
    let mut rng = SmallRng::seed_from_u64(7);
    zoo_kernels::set_parallel_min(0);
    // A ResNet late-stage 3×3 (K = 2304 > 256: nine K passes), a 1×1 read in place with a
    // partial pixel panel (7×7 = 49), a strided 1×1 (downsample), a 7×7/2 stem, grouped 3×3.
    let shapes = [
        (1, 256, 14, 14, 256, 3, 1, 1, 1),
        (2, 512, 7, 7, 200, 1, 1, 0, 1),
        (1, 64, 15, 15, 130, 1, 2, 0, 1),
        (1, 3, 37, 41, 64, 7, 2, 3, 1),
        (3, 128, 9, 11, 128, 3, 1, 1, 32),
    ];
    for (batch, c_in, h, w, c_out, k, stride, p, groups) in shapes {
        let s = Conv2dShape {
            batch,
            c_in,
            h,
            w,
            c_out,
            kh: k,
            kw: k,
            stride: [stride; 2],
            padding: [p; 4],
            dilation: [1, 1],
            groups,
        };
        check(&s, &mut rng, true, true, true);
        check(&s, &mut rng, false, false, false);
    }
}

#[test]
fn relu_keeps_nan_as_pytorch_does() {
    let s = Conv2dShape {
        batch: 1,
        c_in: 1,
        h: 1,
        w: 17,
        c_out: 1,
        kh: 1,
        kw: 1,
        stride: [1, 1],
        padding: [0; 4],
        dilation: [1, 1],
        groups: 1,
    };
    let mut x = vec![-1.0f32; 17];
    x[3] = f32::NAN;
    x[16] = f32::NAN; // in the partial panel
    let mut out = vec![0.0; 17];
    conv2d(
        &s,
        &x,
        &[1.0],
        Fused {
            relu: true,
            ..Fused::default()
        },
        &mut out,
    )
    .unwrap();
    assert!(out[3].is_nan() && out[16].is_nan());
    assert_eq!(out[0], 0.0);
}

#[test]
fn wrong_lengths_and_geometry_are_errors() {
    let s = Conv2dShape {
        batch: 1,
        c_in: 4,
        h: 5,
        w: 5,
        c_out: 6,
        kh: 3,
        kw: 3,
        stride: [1, 1],
        padding: [0; 4],
        dilation: [1, 1],
        groups: 2,
    };
    let mut out = vec![0.0; 6 * 9];
    let err = conv2d(
        &s,
        &[0.0; 99],
        &[0.0; 6 * 2 * 9],
        Fused::default(),
        &mut out,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            ConvError::Length {
                what: "the input",
                expected: 100,
                found: 99,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains("the input holds 99 values"),
        "{err}"
    );
    let bad = Conv2dShape { groups: 3, ..s };
    assert!(matches!(
        conv2d(&bad, &[0.0; 100], &[], Fused::default(), &mut out),
        Err(ConvError::Geometry(..))
    ));
    let big = Conv2dShape { kh: 7, ..s };
    assert!(matches!(
        conv2d(
            &big,
            &[0.0; 100],
            &[0.0; 6 * 2 * 21],
            Fused::default(),
            &mut out
        ),
        Err(ConvError::Geometry(..))
    ));
}

/// 3×3 stride-1 convolutions large enough for Winograd (F(4×4) from 48 tiles of 4×4, F(2×2)
/// from 48 of 2×2), on every instruction set, against the definition; and the same shapes
/// with Winograd off, so both paths stay covered whatever `choose` picks.
#[test]
fn winograd_shapes_match_the_definition() {
    let shapes = [
        (2, 16, 28, 28, 16, [1, 1, 1, 1]),
        (1, 48, 15, 17, 33, [1, 1, 1, 1]),
        (1, 20, 33, 30, 24, [0, 0, 0, 0]),
        (1, 24, 29, 26, 40, [1, 0, 2, 1]),
        (1, 64, 56, 56, 64, [1, 1, 1, 1]),
        (1, 300, 14, 14, 17, [1, 1, 1, 1]),
    ];
    let mut rng = SmallRng::seed_from_u64(11);
    let best = zoo_kernels::isa();
    for isa in [Isa::Avx512, Isa::Avx2, Isa::Portable]
        .into_iter()
        .filter(|i| i.available())
    {
        assert!(set_isa(isa));
        for (i, (batch, c_in, h, w, c_out, padding)) in shapes.into_iter().enumerate() {
            zoo_kernels::set_parallel_min(if i % 2 == 0 { 0 } else { 1 << 22 });
            let s = Conv2dShape {
                batch,
                c_in,
                h,
                w,
                c_out,
                kh: 3,
                kw: 3,
                stride: [1, 1],
                padding,
                dilation: [1, 1],
                groups: 1,
            };
            for winograd in [true, false] {
                zoo_kernels::set_winograd(winograd);
                check(&s, &mut rng, true, true, true);
                check(&s, &mut rng, false, false, false);
            }
            zoo_kernels::set_winograd(true);
        }
    }
    set_isa(best);
}
