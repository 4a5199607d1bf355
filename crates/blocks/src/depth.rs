//! Stochastic depth (Huang, Sun, Liu, Sedra and Weinberger 2016, "Deep networks with stochastic
//! depth"): while training, a residual block's branch is dropped for a whole mini-batch with
//! probability 1 − p_l, leaving the identity, so the network trained is shorter on average;
//! in evaluation every branch runs, scaled by its survival probability p_l, which is what it
//! contributes on average during training.

use burn::module::{Flag, Module, Param};
use burn::tensor::{Distribution, Tensor};

/// The survival probability of the `l`-th of `total` residual blocks (from 1) under the
/// paper's linear decay from p_0 = 1 to p_L = `last`.
pub fn linear_decay(l: usize, total: usize, last: f64) -> f64 {
    1.0 - l as f64 / total as f64 * (1.0 - last)
}

/// One residual block's survival: its probability, and whether it is training.
#[derive(Module, Debug)]
pub struct StochasticDepth {
    /// p_l: the chance the branch runs in a training mini-batch, and its scale in evaluation.
    pub survival: f64,
    /// Whether to drop (on an autodiff device); cleared by `Module::valid` and `freeze`, as
    /// dropout's.
    pub training: Param<Flag>,
}

/// What the block does with its residual branch for one mini-batch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Branch {
    /// Skip it: the block is the identity (its shortcut) for this mini-batch.
    Dropped,
    /// Run it and scale its output by this factor (1 in training, p_l in evaluation).
    Scaled(f64),
}

impl StochasticDepth {
    /// A block that survives with probability `survival`.
    ///
    /// # Panics
    /// Unless `survival` is in (0, 1].
    pub fn new(survival: f64) -> Self {
        assert!(
            survival > 0.0 && survival <= 1.0,
            "a survival probability must be in (0, 1], got {survival}"
        );
        Self {
            survival,
            training: Param::from_bool(true),
        }
    }

    /// Whether this mini-batch trains with drops: the flag is on and `x` is on an autodiff
    /// device (as Burn's dropout decides).
    pub fn is_training(&self, x: &Tensor<4>) -> bool {
        self.training.is_enabled() && x.device().is_autodiff()
    }

    /// Decides the branch for the mini-batch `x`: in training one uniform draw from the
    /// device's generator (so `Device::seed` makes it reproducible), otherwise the scale p_l.
    pub fn branch(&self, x: &Tensor<4>) -> Branch {
        if !self.is_training(x) {
            return Branch::Scaled(self.survival);
        }
        let u = Tensor::<1>::random([1], Distribution::Default, &x.device()).into_scalar::<f32>();
        if (u as f64) < self.survival {
            Branch::Scaled(1.0)
        } else {
            Branch::Dropped
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_decay_runs_from_one_to_the_last() {
        assert_eq!(linear_decay(0, 54, 0.5), 1.0);
        assert_eq!(linear_decay(54, 54, 0.5), 0.5);
        assert!((linear_decay(27, 54, 0.5) - 0.75).abs() < 1e-12);
    }

    #[test]
    fn evaluation_scales_by_the_survival_probability() {
        let device = burn::tensor::Device::default();
        let x = Tensor::<4>::zeros([1, 1, 1, 1], &device);
        assert_eq!(StochasticDepth::new(0.8).branch(&x), Branch::Scaled(0.8));
    }
}
