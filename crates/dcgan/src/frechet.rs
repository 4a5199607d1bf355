//! The Fréchet distance between two sets of embeddings, each summarised as a Gaussian (Heusel
//! et al. 2017's FID, with a classifier's penultimate layer in place of Inception's):
//!
//! ‖μ₁ − μ₂‖² + tr Σ₁ + tr Σ₂ − 2 tr (Σ₁ Σ₂)^½.
//!
//! It falls when generated images are embedded like real ones *and* vary as much (a generator
//! that draws one good image scores badly), and it needs no labels, so it rates the paper's
//! unconditional generator as it is. The trace of the square root is that of the symmetric
//! (Σ₁^½ Σ₂ Σ₁^½)^½, whose eigenvalues come from Jacobi rotations in f64.

/// The mean and covariance of a set of embeddings.
#[derive(Clone, Debug, PartialEq)]
pub struct Gaussian {
    /// Mean, `dim` values.
    pub mean: Vec<f64>,
    /// Covariance, `dim × dim`, row-major, with the unbiased `1/(n − 1)` (NumPy's `np.cov`).
    pub cov: Vec<f64>,
    /// Width of an embedding.
    pub dim: usize,
    /// How many embeddings it summarises.
    pub count: usize,
}

impl Gaussian {
    /// Fits `features`, `count × dim` values row after row. `None` for fewer than two rows or
    /// a length that is not a multiple of `dim`.
    pub fn fit(features: &[f32], dim: usize) -> Option<Self> {
        if dim == 0 || !features.len().is_multiple_of(dim) || features.len() / dim < 2 {
            return None;
        }
        let count = features.len() / dim;
        let mut mean = vec![0.0f64; dim];
        for row in features.chunks(dim) {
            for (m, &v) in mean.iter_mut().zip(row) {
                *m += v as f64;
            }
        }
        mean.iter_mut().for_each(|m| *m /= count as f64);
        let mut cov = vec![0.0f64; dim * dim];
        let mut centred = vec![0.0f64; dim];
        for row in features.chunks(dim) {
            for ((c, &v), m) in centred.iter_mut().zip(row).zip(&mean) {
                *c = v as f64 - m;
            }
            for i in 0..dim {
                let ci = centred[i];
                for j in i..dim {
                    cov[i * dim + j] += ci * centred[j];
                }
            }
        }
        for i in 0..dim {
            for j in i..dim {
                let v = cov[i * dim + j] / (count - 1) as f64;
                cov[i * dim + j] = v;
                cov[j * dim + i] = v;
            }
        }
        Some(Self {
            mean,
            cov,
            dim,
            count,
        })
    }
}

/// The Fréchet distance between `a` and `b`. Panics if their widths differ.
pub fn frechet_distance(a: &Gaussian, b: &Gaussian) -> f64 {
    assert_eq!(a.dim, b.dim, "embeddings of different widths");
    let n = a.dim;
    let mean: f64 = a
        .mean
        .iter()
        .zip(&b.mean)
        .map(|(x, y)| (x - y).powi(2))
        .sum();
    let trace = |m: &[f64]| (0..n).map(|i| m[i * n + i]).sum::<f64>();
    // Σ₁^½ = V diag(√λ) Vᵀ, then Σ₁^½ Σ₂ Σ₁^½, symmetric and positive semi-definite.
    let (values, vectors) = symmetric_eigen(&a.cov, n);
    let mut root = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            root[i * n + j] = (0..n)
                .map(|k| vectors[i * n + k] * values[k].max(0.0).sqrt() * vectors[j * n + k])
                .sum();
        }
    }
    let product = matmul(&matmul(&root, &b.cov, n), &root, n);
    let (values, _) = symmetric_eigen(&product, n);
    let cross: f64 = values.iter().map(|v| v.max(0.0).sqrt()).sum();
    mean + trace(&a.cov) + trace(&b.cov) - 2.0 * cross
}

fn matmul(a: &[f64], b: &[f64], n: usize) -> Vec<f64> {
    let mut c = vec![0.0; n * n];
    for i in 0..n {
        for k in 0..n {
            let aik = a[i * n + k];
            for j in 0..n {
                c[i * n + j] += aik * b[k * n + j];
            }
        }
    }
    c
}

/// Eigenvalues and eigenvectors (columns of the row-major `n × n` result) of a symmetric
/// matrix, by cyclic Jacobi rotations until the off-diagonal part is negligible.
pub fn symmetric_eigen(m: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut a = m.to_vec();
    let mut v = vec![0.0; n * n];
    (0..n).for_each(|i| v[i * n + i] = 1.0);
    let scale: f64 = a.iter().map(|x| x * x).sum::<f64>().max(f64::MIN_POSITIVE);
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i * n + j].powi(2))
            .sum();
        if off <= 1e-30 * scale {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = a[p * n + q];
                if apq == 0.0 {
                    continue;
                }
                let theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (akp, akq) = (a[k * n + p], a[k * n + q]);
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (a[p * n + k], a[q * n + k]);
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (v[k * n + p], v[k * n + q]);
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..n).map(|i| a[i * n + i]).collect(), v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gaussian(mean: Vec<f64>, cov: Vec<f64>) -> Gaussian {
        let dim = mean.len();
        Gaussian {
            mean,
            cov,
            dim,
            count: 2,
        }
    }

    #[test]
    fn eigen_decomposition_rebuilds_the_matrix() {
        let m = [4.0, 1.0, 0.5, 1.0, 3.0, -0.25, 0.5, -0.25, 2.0];
        let (values, vectors) = symmetric_eigen(&m, 3);
        for i in 0..3 {
            for j in 0..3 {
                let back: f64 = (0..3)
                    .map(|k| vectors[i * 3 + k] * values[k] * vectors[j * 3 + k])
                    .sum();
                assert!((back - m[i * 3 + j]).abs() < 1e-12, "{i},{j}: {back}");
            }
        }
        let trace: f64 = values.iter().sum();
        assert!((trace - 9.0).abs() < 1e-12);
    }

    #[test]
    fn distances_of_known_gaussians() {
        // Equal Gaussians are at 0.
        let a = gaussian(vec![1.0, -2.0], vec![2.0, 0.5, 0.5, 1.0]);
        assert!(frechet_distance(&a, &a).abs() < 1e-10);
        // Diagonal covariances: Σ (σ₁ − σ₂)² per axis, plus the squared mean difference.
        let b = gaussian(vec![0.0, 0.0], vec![4.0, 0.0, 0.0, 9.0]);
        let c = gaussian(vec![3.0, 4.0], vec![1.0, 0.0, 0.0, 1.0]);
        let want = 25.0 + (2.0f64 - 1.0).powi(2) + (3.0f64 - 1.0).powi(2);
        assert!((frechet_distance(&b, &c) - want).abs() < 1e-10);
        assert!((frechet_distance(&c, &b) - want).abs() < 1e-10);
    }

    #[test]
    fn fitting_gives_numpys_mean_and_unbiased_covariance() {
        let g = Gaussian::fit(&[1.0, 2.0, 3.0, 6.0, 5.0, 10.0], 2).unwrap();
        assert_eq!(g.mean, vec![3.0, 6.0]);
        assert_eq!(g.cov, vec![4.0, 8.0, 8.0, 16.0]);
        assert_eq!(g.count, 3);
        assert!(Gaussian::fit(&[1.0, 2.0], 2).is_none());
        assert!(Gaussian::fit(&[1.0, 2.0, 3.0], 2).is_none());
    }
}
