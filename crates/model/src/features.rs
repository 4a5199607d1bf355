//! Named stage outputs, as timm's `features_only` models give them.

use burn::tensor::Tensor;

/// One stage a model can return from `feature_maps`: where it is taken, its channels and its
/// reduction (input side ÷ map side, rounded as timm states it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeatureInfo {
    /// The module whose output it is, in the reference's state-dict naming (`layer2`).
    pub module: String,
    /// Channels of the map.
    pub channels: usize,
    /// Stride of the map relative to the input.
    pub reduction: usize,
}

impl FeatureInfo {
    /// A stage taken after `module`.
    pub fn new(module: impl Into<String>, channels: usize, reduction: usize) -> Self {
        Self {
            module: module.into(),
            channels,
            reduction,
        }
    }
}

impl std::fmt::Display for FeatureInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({} channels, /{})",
            self.module, self.channels, self.reduction
        )
    }
}

/// Collects the stage outputs a caller asked for while a model runs its stages.
#[derive(Debug)]
pub struct Stages {
    wanted: Vec<usize>,
    maps: Vec<Option<Tensor<4>>>,
}

impl Stages {
    /// A collector for these stage indices (any order, repeats allowed).
    pub fn new(wanted: &[usize]) -> Self {
        Self {
            wanted: wanted.to_vec(),
            maps: vec![None; wanted.len()],
        }
    }

    /// Offers stage `index`'s output; returns whether a later stage is still wanted (the
    /// model stops running when it is not).
    pub fn offer(&mut self, index: usize, x: &Tensor<4>) -> bool {
        for (slot, _) in self
            .maps
            .iter_mut()
            .zip(&self.wanted)
            .filter(|(_, w)| **w == index)
        {
            *slot = Some(x.clone());
        }
        self.wanted.iter().any(|&w| w > index)
    }

    /// Whether stage `index` is wanted (models skip work done only for a stage's output).
    pub fn wants(&self, index: usize) -> bool {
        self.wanted.contains(&index)
    }

    /// The collected maps, in the order they were asked for.
    ///
    /// # Panics
    /// If the model did not offer a wanted stage (a bug in the model's `run_stages`).
    pub fn into_maps(self) -> Vec<Tensor<4>> {
        self.maps
            .into_iter()
            .zip(self.wanted)
            .map(|(m, w)| m.unwrap_or_else(|| panic!("the model never offered stage {w}")))
            .collect()
    }
}
