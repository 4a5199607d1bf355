//! Supervised training with Adam and cross-entropy, and top-1 evaluation.

use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::Device;

use zoo_model::train::SplitMix64;

use crate::LeNet;
use crate::idx::Dataset;

/// The settings of one training run.
#[derive(Clone, Debug)]
pub struct TrainConfig {
    /// Passes over the training set; after the first half, each epoch halves the learning rate.
    pub epochs: usize,
    /// Images per optimiser step.
    pub batch_size: usize,
    /// Adam's learning rate for the first half of the epochs.
    pub learning_rate: f64,
    /// Seeds the device (initialisation) and the shuffling.
    pub seed: u64,
    /// Input normalisation (mean, std) of pixels in [0, 1].
    pub normalization: (f32, f32),
}

/// Progress of training, reported after every batch.
pub struct Progress {
    /// Epoch, from 0.
    pub epoch: usize,
    /// Batch within the epoch, from 0.
    pub batch: usize,
    /// Batches per epoch.
    pub batches: usize,
    /// This batch's mean cross-entropy.
    pub loss: f32,
}

/// Why training did not produce a model.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// A setting no training run can use.
    #[error("invalid training setting: {0}")]
    Config(String),
    /// The training set has no images.
    #[error("the training set is empty")]
    EmptyDataset,
    /// The loss became NaN or infinite: the run is stopped rather than finished with a model
    /// of NaN weights.
    #[error(
        "training diverged: the loss is {loss} at epoch {epoch}, batch {batch} (try a smaller \
         learning rate)"
    )]
    Diverged {
        /// Epoch, from 0.
        epoch: usize,
        /// Batch within the epoch, from 0.
        batch: usize,
        /// The loss that was not finite.
        loss: f32,
    },
}

/// Trains `model`, which must live on an autodiff device, and returns it. The learning rate
/// halves for each of the last epochs after the first half of training.
pub fn train(
    mut model: LeNet,
    data: &Dataset,
    cfg: &TrainConfig,
    mut on_batch: impl FnMut(&Progress),
) -> Result<LeNet, TrainError> {
    let device = model.conv1.weight.device();
    if !device.is_autodiff() {
        return Err(TrainError::Config(
            "training needs an autodiff device".into(),
        ));
    }
    if !(cfg.learning_rate.is_finite() && cfg.learning_rate > 0.0) {
        return Err(TrainError::Config(format!(
            "learning rate {} (must be a positive number)",
            cfg.learning_rate
        )));
    }
    let (mean, std) = cfg.normalization;
    if cfg.batch_size == 0
        || cfg.epochs == 0
        || !mean.is_finite()
        || !(std.is_finite() && std > 0.0)
    {
        return Err(TrainError::Config(format!(
            "batch size {}, epochs {}, normalisation ({mean}, {std}): batch size and epochs \
             must be at least 1, the standard deviation positive",
            cfg.batch_size, cfg.epochs
        )));
    }
    if data.is_empty() {
        return Err(TrainError::EmptyDataset);
    }
    let mut optim = AdamConfig::new().init();
    let loss_fn = CrossEntropyLossConfig::new().init(&device);
    let mut rng = SplitMix64::new(cfg.seed);
    let mut order: Vec<usize> = (0..data.len()).collect();
    let batches = data.len().div_ceil(cfg.batch_size);
    for epoch in 0..cfg.epochs {
        rng.shuffle(&mut order);
        let decay = epoch.saturating_sub(cfg.epochs / 2) as i32;
        let lr = cfg.learning_rate * 0.5f64.powi(decay);
        for (batch, indices) in order.chunks(cfg.batch_size).enumerate() {
            let (x, y) = data.batch(indices, mean, std, &device);
            let loss = loss_fn.forward(model.forward(x), y);
            let value = loss.clone().into_scalar::<f32>();
            if !value.is_finite() {
                return Err(TrainError::Diverged {
                    epoch,
                    batch,
                    loss: value,
                });
            }
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(lr, model, grads);
            on_batch(&Progress {
                epoch,
                batch,
                batches,
                loss: value,
            });
        }
    }
    Ok(model)
}

/// Top-1 correct predictions of `model` on `data`, on `device` (no autodiff needed).
pub fn evaluate(
    model: &LeNet,
    data: &Dataset,
    normalization: (f32, f32),
    device: &Device,
) -> usize {
    let model = model.valid();
    let (mean, std) = normalization;
    let all: Vec<usize> = (0..data.len()).collect();
    all.chunks(1000)
        .map(|indices| {
            let (x, y) = data.batch(indices, mean, std, device);
            let pred = model.forward(x).argmax(1).flatten::<1>(0, 1);
            pred.equal(y).int().sum().into_scalar::<i64>() as usize
        })
        .sum()
}
