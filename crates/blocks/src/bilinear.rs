//! Bilinear pooling (Lin, RoyChowdhury and Maji 2015, "Bilinear CNN models for fine-grained
//! visual recognition"): the outer product of two feature maps' vectors at each location,
//! averaged over the locations, then a signed square root and L2 normalisation. It keeps how
//! features co-occur, not only how strong each is, which is what tells close species apart.
//! It works on any backbone's maps: [`BilinearHead`] classifies from them.

use burn::module::Module;
use burn::nn::Linear;
use burn::tensor::{Device, Tensor};

use crate::head::linear;

/// Added under the square root, as HaoMood/bilinear-cnn (the paper's authors' PyTorch port
/// lineage) does: it bounds the root's gradient at 0 (by 1/(2√ε) ≈ 158).
pub const SQRT_EPS: f64 = 1e-5;

/// `[n, ca, h, w]` and `[n, cb, h, w]` → `[n, ca·cb]`: Σ_l a_l b_lᵀ / (h·w), flattened row by
/// row (a's channel first), then sign(x)·√(|x| + ε) and division by the L2 norm (at least
/// 1e-12, as `F.normalize`).
///
/// # Panics
/// If the maps differ in batch or spatial size.
pub fn bilinear_pool(a: Tensor<4>, b: Tensor<4>) -> Tensor<2> {
    let [n, ca, h, w] = a.dims();
    let [nb, cb, hb, wb] = b.dims();
    assert_eq!(
        [n, h, w],
        [nb, hb, wb],
        "bilinear pooling needs maps of one batch and side: {:?} vs {:?}",
        a.dims(),
        b.dims()
    );
    let locations = h * w;
    let a = a.reshape([n, ca, locations]);
    let b = b.reshape([n, cb, locations]).swap_dims(1, 2);
    let x = (a.matmul(b) / locations as f64).reshape([n, ca * cb]);
    let x = x.clone().sign() * (x.abs() + SQRT_EPS).sqrt();
    let norm = x.clone().square().sum_dim(1).sqrt().clamp_min(1e-12);
    x / norm
}

/// A classifier on bilinear-pooled features: `fc(bilinear_pool(a, b))`. Symmetric (one
/// stream, B-CNN [D,D]) with [`BilinearHead::forward_symmetric`].
#[derive(Module, Debug)]
pub struct BilinearHead {
    /// `[ca·cb, classes]`.
    pub fc: Linear,
}

impl BilinearHead {
    /// A head for maps of `ca` and `cb` channels, PyTorch's default `nn.Linear` initialisation.
    pub fn new(ca: usize, cb: usize, num_classes: usize, device: &Device) -> Self {
        Self {
            fc: linear(ca * cb, num_classes, device),
        }
    }

    /// Logits from two streams' maps.
    pub fn forward(&self, a: Tensor<4>, b: Tensor<4>) -> Tensor<2> {
        crate::engine::linear(&self.fc, bilinear_pool(a, b), false)
    }

    /// Logits from one stream's maps with themselves.
    pub fn forward_symmetric(&self, x: Tensor<4>) -> Tensor<2> {
        self.forward(x.clone(), x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::TensorData;

    /// One location, a = (1, −2), b = (3): the outer product (3, −6), rooted (√3, −√6) and
    /// normalised by √(3 + 6) = 3.
    #[test]
    fn pools_roots_and_normalises() {
        let d = Device::default();
        let a = Tensor::<4>::from_data(TensorData::new(vec![1f32, -2.0], [1, 2, 1, 1]), &d);
        let b = Tensor::<4>::from_data(TensorData::new(vec![3f32], [1, 1, 1, 1]), &d);
        let got = bilinear_pool(a, b).into_data().try_to_vec::<f32>().unwrap();
        let r = |v: f64| v.signum() * (v.abs() + SQRT_EPS).sqrt();
        let norm = (r(3.0).powi(2) + r(-6.0).powi(2)).sqrt();
        let want = [r(3.0) / norm, r(-6.0) / norm];
        for (g, w) in got.iter().zip(want) {
            assert!((*g as f64 - w).abs() < 1e-6, "{got:?} vs {want:?}");
        }
    }

    /// Locations are averaged: channels (1, 2) at one location and (3, 0) at the other give
    /// ((1·1 + 3·3)/2, (1·2 + 3·0)/2; (2·1 + 0·3)/2, (2·2 + 0·0)/2) = (5, 1; 1, 2).
    #[test]
    fn averages_over_locations() {
        let d = Device::default();
        let x =
            Tensor::<4>::from_data(TensorData::new(vec![1f32, 3.0, 2.0, 0.0], [1, 2, 1, 2]), &d);
        let got = bilinear_pool(x.clone(), x)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        let rooted: Vec<f64> = [5.0f64, 1.0, 1.0, 2.0]
            .iter()
            .map(|v| (v + SQRT_EPS).sqrt())
            .collect();
        let norm = rooted.iter().map(|v| v * v).sum::<f64>().sqrt();
        for (g, r) in got.iter().zip(&rooted) {
            assert!((*g as f64 - r / norm).abs() < 1e-6, "{got:?}");
        }
    }
}
