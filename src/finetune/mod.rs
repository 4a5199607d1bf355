//! Fine-tuning any zoo model on new classes: a linear probe (frozen backbone, new head), full
//! fine-tuning (a smaller learning rate for the pretrained backbone than for the new head), or
//! training from scratch, with augmentation, a cosine learning-rate schedule, a checkpoint per
//! epoch that [`Settings::resume`] continues, and the best model saved in Burn's format.
//!
//! The loop is written here rather than with `burn-train`'s `Learner`: the learner trains a
//! concrete `AutodiffModule` type known at compile time, while the zoo picks its network by
//! name at run time (`Box<dyn Classifier>`); the steps it needs (train/eval mode, frozen
//! backbone, gradients, optimizer steps with per-group rates, optimizer records) are
//! [`ModelObject`](crate::ModelObject) methods and Burn's own optimizer types.

mod augment;
pub mod checkpoint;

pub use augment::Augment;

use std::path::{Path, PathBuf};

use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{AdamWConfig, ModuleOptimizer, SgdConfig};
use burn::tensor::{Device, Int, Tensor, TensorData};
use serde::{Deserialize, Serialize};
use zoo_model::train::{SplitMix64, learning_rates};
use zoo_model::{Classifier, VariantSpec};

use crate::data::Samples;
use crate::pretrained::{PretrainedError, for_file, load_named};
use crate::{ImportOptions, LoadError, Pipeline, Preprocess};

/// What is trained.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Pretrained backbone frozen (BatchNorm statistics included), a new head trained.
    LinearProbe,
    /// Pretrained backbone and new head trained together, the backbone at its own rate.
    Full,
    /// Every weight initialised afresh and trained.
    Scratch,
}

impl std::str::FromStr for Mode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "linear-probe" => Ok(Self::LinearProbe),
            "full" => Ok(Self::Full),
            "scratch" => Ok(Self::Scratch),
            _ => Err(format!("`{s}`: expected linear-probe, full or scratch")),
        }
    }
}

/// The optimizer, with PyTorch's conventions (SGD without dampening, L2 weight decay added to
/// the gradient; AdamW with decoupled decay and ε = 1e-8).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Optimizer {
    /// SGD with momentum 0.9.
    Sgd,
    /// AdamW, β = (0.9, 0.999).
    AdamW,
}

impl std::str::FromStr for Optimizer {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "sgd" => Ok(Self::Sgd),
            "adamw" => Ok(Self::AdamW),
            _ => Err(format!("`{s}`: expected sgd or adamw")),
        }
    }
}

/// Everything that defines a run; a resumed run must be given the same.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// The variant (`zoo list`).
    pub model: String,
    /// Starting weights for the pretrained modes: a file or registry id (`None`: the
    /// variant's published or embedded default). Ignored from scratch.
    pub weights: Option<String>,
    /// The exact starting network, head included (`classes` outputs): any weights file. It
    /// replaces `weights` and the fresh head or initialisation, to continue fine-tuning a
    /// fine-tuned model or to start two frameworks from identical weights.
    pub init: Option<String>,
    /// Classes of the new head.
    pub classes: usize,
    /// What is trained.
    pub mode: Mode,
    /// Passes over the training set.
    pub epochs: usize,
    /// Images per optimizer step.
    pub batch_size: usize,
    /// Peak learning rate of the head (and of everything, from scratch); it follows a cosine
    /// to 0 over the run.
    pub lr: f64,
    /// Peak learning rate of the pretrained backbone in `full` mode.
    pub backbone_lr: f64,
    /// The optimizer.
    pub optimizer: Optimizer,
    /// L2 (SGD) or decoupled (AdamW) weight decay.
    pub weight_decay: f64,
    /// Training-time augmentation.
    pub augment: Augment,
    /// Seeds initialisation, shuffling, augmentation and dropout.
    pub seed: u64,
    /// Stochastic depth's last survival probability p_L (`Classifier::set_stochastic_depth`):
    /// residual branches are dropped while training and scaled in evaluation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stochastic_depth: Option<f64>,
}

/// Why a run stopped.
#[derive(Debug, thiserror::Error)]
pub enum FinetuneError {
    /// The variant or its weights could not be loaded.
    #[error(transparent)]
    Pretrained(#[from] PretrainedError),
    /// Weights could not be loaded or saved.
    #[error(transparent)]
    Weights(#[from] LoadError),
    /// A setting or a dataset no run can use.
    #[error("{0}")]
    Invalid(String),
    /// The checkpoint folder could not be read or written.
    #[error("checkpoint {path}: {reason}")]
    Checkpoint {
        /// The file or folder.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The loss became NaN or infinite: stopped rather than saving a model of NaN weights.
    #[error(
        "training diverged: the loss is {loss} at epoch {epoch}, batch {batch} (try a smaller \
         learning rate)"
    )]
    Diverged {
        /// Epoch, from 1.
        epoch: usize,
        /// Batch within the epoch, from 1.
        batch: usize,
        /// The loss that was not finite.
        loss: f32,
    },
}

/// One epoch's figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochReport {
    /// Epoch, from 1.
    pub epoch: usize,
    /// Mean training loss.
    pub loss: f64,
    /// Correct top-1 predictions on the (augmented) training batches.
    pub train_correct: usize,
    /// Top-1 accuracy on the (augmented) training batches, in %.
    pub train_accuracy: f64,
    /// Correct top-1 predictions on the validation set (if one was given).
    pub val_correct: Option<usize>,
    /// Top-1 accuracy on the validation set, in %.
    pub val_accuracy: Option<f64>,
    /// Whether this epoch's model became the saved best.
    pub best: bool,
    /// Seconds spent on the training batches (evaluation and checkpoint excluded).
    pub seconds: f64,
}

/// What a run reports as it goes.
pub enum Event<'a> {
    /// Continuing from a checkpoint after this many epochs.
    Resumed(usize),
    /// A batch was trained: epoch and batch from 1, batches per epoch, the batch's loss.
    Batch {
        /// Epoch, from 1.
        epoch: usize,
        /// Batch, from 1.
        batch: usize,
        /// Batches per epoch.
        batches: usize,
        /// The batch's mean cross-entropy.
        loss: f32,
        /// Top-1 accuracy on the epoch's batches so far, in %.
        accuracy: f64,
    },
    /// An epoch ended.
    Epoch(&'a EpochReport),
}

/// The end of a run.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    /// Every epoch's figures (those before a resume included).
    pub history: Vec<EpochReport>,
    /// The epoch whose model was saved (from 1).
    pub best_epoch: usize,
    /// Correct top-1 predictions of the saved model, evaluated as `zoo eval` does (loaded
    /// from the file, BatchNorm folded, no augmentation) on the validation set, or the
    /// training set without one.
    pub correct: usize,
    /// Images of that evaluation.
    pub images: usize,
    /// Where the evaluation images came from.
    pub evaluated_on: PathBuf,
}

/// Images per forward pass when evaluating.
const EVAL_BATCH: usize = 16;

/// The preprocessing a model of `spec` is trained and evaluated with: that of its published
/// weights, as `zoo eval` uses for a weights file of the variant.
pub fn preprocess(spec: &VariantSpec) -> Preprocess {
    Preprocess::for_variant(spec, zoo_hub::find(spec.name).ok())
}

/// Trains as `settings` say on `train`, choosing the best epoch on `val` (else on the
/// training accuracy), saving it to `out` and a checkpoint per epoch beside it; `resume`
/// continues from that checkpoint. `train` and `val` must have been read with
/// [`preprocess`]`(spec)`.
pub fn run(
    settings: &Settings,
    train: &Samples,
    val: Option<&Samples>,
    out: &Path,
    resume: bool,
    mut on: impl FnMut(Event),
) -> Result<Outcome, FinetuneError> {
    let spec = crate::variant(&settings.model)
        .ok_or_else(|| PretrainedError::from(crate::UnknownModel(settings.model.clone())))?;
    let prep = preprocess(spec);
    check(settings, spec, &prep, train, val)?;
    let root = checkpoint::folder(out);
    let previous = checkpoint::latest(&root)?;
    let device = Device::default().autodiff();
    let (mut model, mut optim, mut history) = match (resume, previous) {
        (true, Some((epoch, state))) => {
            if state.settings != *settings {
                return Err(FinetuneError::Invalid(format!(
                    "{} was written by a run with other settings: {}",
                    root.display(),
                    difference(&state.settings, settings)
                )));
            }
            on(Event::Resumed(state.epochs_done));
            let (model, _) =
                build(settings, spec, &device)?.load(&epoch.model(), &ImportOptions::default())?;
            let optim = epoch.load_optimizer(optimizer(settings))?;
            (model, optim, state.history)
        }
        (true, None) => {
            return Err(FinetuneError::Invalid(format!(
                "--resume: no checkpoint in {}",
                root.display()
            )));
        }
        (false, Some(_)) => {
            return Err(FinetuneError::Invalid(format!(
                "{} holds a checkpoint of an earlier run: resume it, or remove the folder",
                root.display()
            )));
        }
        (false, None) => (
            build(settings, spec, &device)?,
            optimizer(settings),
            Vec::new(),
        ),
    };
    model = model.train_mode();
    // A frozen backbone is a fixed function: it runs in evaluation mode on the plain device,
    // BatchNorm folded, through the zoo's inference engine (Burn's autodiff operations are 3–4×
    // slower), and only the head runs under autodiff.
    let mut backbone = None;
    if settings.mode == Mode::LinearProbe {
        model = model.freeze_backbone();
        backbone = Some(inference(&*model));
    }
    let fill = prep.black();
    // Peak rates: a pretrained backbone fine-tuned in full takes its own.
    let backbone_lr = match settings.mode {
        Mode::Full => settings.backbone_lr,
        _ => settings.lr,
    };
    let [c, h, w] = train.shape;
    let batches = train.len().div_ceil(settings.batch_size);
    let total_steps = (settings.epochs * batches) as f64;
    let loss_fn = CrossEntropyLossConfig::new().init(&device);
    let mut best = history.iter().filter(|r| r.best).map(score).next_back();
    for epoch in history.len()..settings.epochs {
        // Every epoch draws from its own seeds, so a resumed run repeats the uninterrupted one.
        let epoch_seed = settings.seed ^ (epoch as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        device.seed(epoch_seed);
        let mut rng = SplitMix64::new(epoch_seed);
        let mut order: Vec<usize> = (0..train.len()).collect();
        rng.shuffle(&mut order);
        let start = std::time::Instant::now();
        let (mut loss_sum, mut correct) = (0f64, 0usize);
        for (b, indices) in order.chunks(settings.batch_size).enumerate() {
            let mut values = Vec::with_capacity(indices.len() * c * h * w);
            for &i in indices {
                let aug = &settings.augment;
                aug.apply(train.image(i), train.shape, &fill, &mut rng, &mut values);
            }
            let data = TensorData::new(values, [indices.len(), c, h, w]);
            let targets: Vec<usize> = indices.iter().map(|&i| train.labels[i]).collect();
            let labels: Vec<i64> = targets.iter().map(|&l| l as i64).collect();
            let y = Tensor::<1, Int>::from_data(TensorData::new(labels, [indices.len()]), &device);
            let logits = match &backbone {
                Some(frozen) => {
                    let x = Tensor::<4>::from_data(data, &Device::default());
                    let maps = frozen.forward_features(x).into_data();
                    model.forward_head(Tensor::from_data(maps, &device))
                }
                None => model.forward(Tensor::from_data(data, &device)),
            };
            correct += hits(logits.clone(), &targets);
            let loss = loss_fn.forward(logits, y);
            let value = loss.clone().into_scalar::<f32>();
            if !value.is_finite() {
                return Err(FinetuneError::Diverged {
                    epoch: epoch + 1,
                    batch: b + 1,
                    loss: value,
                });
            }
            loss_sum += f64::from(value) * indices.len() as f64;
            let step = (epoch * batches + b) as f64;
            let factor = 0.5 * (1.0 + (std::f64::consts::PI * step / total_steps).cos());
            let lr = learning_rates(&*model, backbone_lr * factor, settings.lr * factor);
            let grads = model.gradients(loss.backward());
            model = model.step(&mut optim, lr, grads);
            let seen = (b * settings.batch_size + indices.len()).min(train.len());
            on(Event::Batch {
                epoch: epoch + 1,
                batch: b + 1,
                batches,
                loss: value,
                accuracy: percent(correct, seen),
            });
        }
        let seconds = start.elapsed().as_secs_f64();
        let val_correct = val.map(|v| accuracy(&*inference(&*model), v));
        let mut report = EpochReport {
            epoch: epoch + 1,
            loss: loss_sum / train.len() as f64,
            train_correct: correct,
            train_accuracy: percent(correct, train.len()),
            val_correct,
            val_accuracy: val.zip(val_correct).map(|(v, c)| percent(c, v.len())),
            best: false,
            seconds,
        };
        if best.is_none_or(|b| score(&report) > b) {
            best = Some(score(&report));
            report.best = true;
            save_atomic(&*model.eval_mode(), out)?;
        }
        on(Event::Epoch(&report));
        history.push(report);
        let files = checkpoint::begin(&root, history.len())?;
        model.save(&files.model())?;
        files.save_optimizer(&optim)?;
        let state = checkpoint::State {
            settings: settings.clone(),
            epochs_done: history.len(),
            history: history.clone(),
        };
        checkpoint::commit(&root, &files, &state)?;
    }
    let evaluated = val.unwrap_or(train);
    let correct = evaluate_file(spec, settings, out, evaluated)?;
    let best_epoch = history.iter().rposition(|r| r.best).map_or(0, |i| i + 1);
    Ok(Outcome {
        history,
        best_epoch,
        correct,
        images: evaluated.len(),
        evaluated_on: evaluated.source.clone(),
    })
}

/// The figure the best epoch is chosen by: correct validation predictions, else training
/// ones (counts, which survive the checkpoint's JSON exactly).
fn score(r: &EpochReport) -> usize {
    r.val_correct.unwrap_or(r.train_correct)
}

fn percent(correct: usize, n: usize) -> f64 {
    100.0 * correct as f64 / n.max(1) as f64
}

/// The network at the start of a run: pretrained with a new head, or freshly initialised.
fn build(
    settings: &Settings,
    spec: &'static VariantSpec,
    device: &Device,
) -> Result<Box<dyn Classifier>, FinetuneError> {
    let mut model = initial(settings, spec, device)?;
    if let Some(last) = settings.stochastic_depth {
        model
            .set_stochastic_depth(last)
            .map_err(|e| FinetuneError::Invalid(e.to_string()))?;
    }
    Ok(model)
}

fn initial(
    settings: &Settings,
    spec: &'static VariantSpec,
    device: &Device,
) -> Result<Box<dyn Classifier>, FinetuneError> {
    device.seed(settings.seed);
    let entry = zoo_hub::find(spec.name).ok();
    if let Some(init) = &settings.init {
        let (model, _) = for_file(spec, entry, settings.classes, device)
            .load(Path::new(init), &ImportOptions::default())?;
        return Ok(model);
    }
    if settings.mode == Mode::Scratch {
        return Ok(for_file(spec, entry, settings.classes, device));
    }
    let (mut model, _) = load_named(spec, settings.weights.as_deref(), None, device)?;
    model.reset_classifier(settings.classes);
    Ok(model)
}

fn optimizer(settings: &Settings) -> ModuleOptimizer {
    let wd = settings.weight_decay as f32;
    match settings.optimizer {
        Optimizer::Sgd => SgdConfig::new()
            .with_momentum(Some(
                MomentumConfig::new().with_momentum(0.9).with_dampening(0.0),
            ))
            .with_weight_decay((wd > 0.0).then(|| WeightDecayConfig::new(wd)))
            .init(),
        Optimizer::AdamW => AdamWConfig::new()
            .with_epsilon(1e-8)
            .with_weight_decay(wd)
            .init(),
    }
}

/// Refuses what would fail inside the model or silently train on the wrong thing.
fn check(
    s: &Settings,
    spec: &VariantSpec,
    prep: &Preprocess,
    train: &Samples,
    val: Option<&Samples>,
) -> Result<(), FinetuneError> {
    let bad = |m: String| Err(FinetuneError::Invalid(m));
    if s.epochs == 0 || s.batch_size == 0 || s.classes == 0 {
        return bad(format!(
            "epochs {}, batch size {}, classes {}: each must be at least 1",
            s.epochs, s.batch_size, s.classes
        ));
    }
    for (name, lr) in [
        ("learning rate", s.lr),
        ("backbone learning rate", s.backbone_lr),
    ] {
        if !(lr.is_finite() && lr >= 0.0) {
            return bad(format!("{name} {lr}: must be a number ≥ 0"));
        }
    }
    if !(s.weight_decay.is_finite() && s.weight_decay >= 0.0) {
        return bad(format!(
            "weight decay {}: must be a number ≥ 0",
            s.weight_decay
        ));
    }
    for set in std::iter::once(train).chain(val) {
        let path = set.source.display();
        if set.is_empty() {
            return bad(format!("{path}: no images"));
        }
        if set.shape != prep.shape() {
            return bad(format!(
                "{path}: images are {:?}; {} takes {:?}",
                set.shape,
                spec.name,
                prep.shape()
            ));
        }
        if let Some(&label) = set.labels.iter().find(|&&l| l >= s.classes) {
            return bad(format!(
                "{path}: label {label} is not one of the {} classes (--classes)",
                s.classes
            ));
        }
    }
    if s.augment.pad >= prep.shape()[1] {
        return bad(format!(
            "padding {} is not smaller than the image side {}",
            s.augment.pad,
            prep.shape()[1]
        ));
    }
    Ok(())
}

/// Names the first setting that differs.
fn difference(old: &Settings, new: &Settings) -> String {
    let (a, b) = (
        serde_json::to_value(old).unwrap_or_default(),
        serde_json::to_value(new).unwrap_or_default(),
    );
    let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
        return String::new();
    };
    a.iter()
        .filter(|(k, v)| b.get(*k) != Some(v))
        .map(|(k, v)| format!("{k} was {v}, now {}", b.get(k).cloned().unwrap_or_default()))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Correct top-1 predictions in `logits` for `labels`.
fn hits(logits: Tensor<2>, labels: &[usize]) -> usize {
    let pred = logits.argmax(1).into_data().convert::<i64>();
    let pred = pred.as_slice::<i64>().unwrap_or_default();
    pred.iter()
        .zip(labels)
        .filter(|(p, l)| **p as usize == **l)
        .count()
}

/// `model` for inference: evaluation mode, BatchNorm folded, as `zoo eval` runs it.
fn inference(model: &dyn Classifier) -> Box<dyn Classifier> {
    let mut copy = model.eval_mode();
    copy.fuse_batch_norm();
    copy
}

/// Correct top-1 predictions of `model` on `set`, without augmentation.
pub fn accuracy(model: &dyn Classifier, set: &Samples) -> usize {
    let device = Device::default();
    let all: Vec<usize> = (0..set.len()).collect();
    all.chunks(EVAL_BATCH)
        .map(|idx| {
            let labels: Vec<usize> = idx.iter().map(|&i| set.labels[i]).collect();
            hits(model.forward(set.batch(idx, &device)), &labels)
        })
        .sum()
}

/// The saved file evaluated as `zoo eval` evaluates it: loaded into a fresh network (with the
/// run's stochastic depth, as the record beside the file gives it to `zoo eval`), BatchNorm
/// folded.
fn evaluate_file(
    spec: &'static VariantSpec,
    settings: &Settings,
    file: &Path,
    set: &Samples,
) -> Result<usize, FinetuneError> {
    let device = Device::default();
    let entry = zoo_hub::find(spec.name).ok();
    let (mut model, _) =
        for_file(spec, entry, settings.classes, &device).load(file, &ImportOptions::default())?;
    if let Some(last) = settings.stochastic_depth {
        model
            .set_stochastic_depth(last)
            .map_err(|e| FinetuneError::Invalid(e.to_string()))?;
    }
    let pipeline = Pipeline::new(spec, model, entry, file.display().to_string());
    Ok(accuracy(&*pipeline.model, set))
}

/// Saves to a temporary name first, so `out` is never a half-written file.
fn save_atomic(model: &dyn Classifier, out: &Path) -> Result<(), FinetuneError> {
    let mut tmp = out.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    model.save(&tmp)?;
    std::fs::rename(&tmp, out).map_err(|e| FinetuneError::Checkpoint {
        path: out.to_path_buf(),
        reason: e.to_string(),
    })
}
