//! Fully connected layers against the definition: batch 1–9, inputs across several K passes,
//! outputs with partial panels, with and without bias and ReLU, on the pool and on one thread.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use zoo_kernels::{LinearError, linear, reference};

#[test]
fn random_sizes_match_the_definition() {
    let mut rng = SmallRng::seed_from_u64(3);
    for case in 0..80 {
        zoo_kernels::set_parallel_min(if case % 2 == 0 { 0 } else { 1 << 22 });
        let (n, d_in, d_out) = (
            rng.random_range(1..10),
            rng.random_range(1..1200),
            rng.random_range(1..100),
        );
        let x: Vec<f32> = (0..n * d_in)
            .map(|_| rng.random_range(-1.0f32..1.0))
            .collect();
        let w: Vec<f32> = (0..d_in * d_out)
            .map(|_| rng.random_range(-1.0f32..1.0))
            .collect();
        let b: Vec<f32> = (0..d_out).map(|_| rng.random_range(-1.0f32..1.0)).collect();
        let (bias, relu) = (rng.random_bool(0.5).then_some(&b[..]), rng.random_bool(0.5));
        let want = reference::linear(n, d_in, d_out, &x, &w, bias, relu);
        let mut got = vec![f32::NAN; n * d_out];
        linear(n, d_in, d_out, &x, &w, bias, relu, &mut got).unwrap();
        let tol = 1e-5 * (d_in as f32).sqrt();
        for (i, (g, e)) in got.iter().zip(&want).enumerate() {
            assert!(
                (g - e).abs() <= tol,
                "n={n} d_in={d_in} d_out={d_out}: [{i}] {g} vs {e}"
            );
        }
    }
}

#[test]
fn wrong_lengths_are_errors() {
    let err = linear(2, 3, 4, &[0.0; 5], &[0.0; 12], None, false, &mut [0.0; 8]).unwrap_err();
    assert_eq!(
        err,
        LinearError {
            what: "the input",
            expected: 6,
            found: 5,
            n: 2,
            d_in: 3,
            d_out: 4
        }
    );
    assert!(
        err.to_string().contains("the input holds 5 values"),
        "{err}"
    );
}
