//! Fine-tuning any zoo model through the object-safe trait: the head as a parameter group,
//! and learning rates per group (a smaller rate for the pretrained backbone than for the new
//! head, the usual recipe). Modes, freezing and optimizer steps are [`ModelObject`] methods.
//!
//! [`ModelObject`]: crate::ModelObject

use burn::module::ParamGroup;
use burn::optim::lr_scheduler::module_lr_scheduler::{ModuleLearningRate, ModuleLrScheduler};

use crate::{Classifier, Head};

/// The head's parameters (the output layer [`Classifier::reset_classifier`] replaces).
pub fn head_group(model: &dyn Classifier) -> ParamGroup {
    match model.head() {
        Head::Linear(l) => ParamGroup::ids_from_module(l.clone()),
        Head::Conv(c) => ParamGroup::ids_from_module(c.clone()),
    }
}

/// `head` for the head's parameters, `backbone` for every other one.
pub fn learning_rates(model: &dyn Classifier, backbone: f64, head: f64) -> ModuleLearningRate {
    ModuleLrScheduler::new(backbone)
        .with_group(head_group(model), head)
        .step()
}

/// A small seeded generator (SplitMix64) for shuffling and augmentation, so training runs
/// repeat exactly and a resumed run continues as the uninterrupted one would.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator started from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Fisher–Yates shuffle.
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            v.swap(i, self.below(i + 1));
        }
    }
}
