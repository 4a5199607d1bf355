//! `zoo finetune`: a zoo model trained on new classes (linear probe, full fine-tuning or from
//! scratch), with a checkpoint per epoch, the best model saved and a record of the run.

use std::path::PathBuf;
use std::time::Instant;

use burn_zoo::data::Samples;
use burn_zoo::finetune::{self, Augment, Event, Mode, Optimizer, Settings};
use serde::Serialize;

use crate::out::outln;

#[derive(clap::Args)]
pub struct Args {
    /// A variant from `zoo list`.
    #[arg(long)]
    pub model: String,
    /// Starting weights (a file or registry id; default: the published or embedded ones).
    #[arg(long)]
    pub weights: Option<String>,
    /// The exact starting network instead, head included (CLASSES outputs): a fine-tuned
    /// model to train further, or another framework's initial weights to compare with.
    #[arg(long)]
    pub init: Option<String>,
    /// Training images: an ImageFolder (one folder per class), a folder with a labels file,
    /// or an MNIST-style IDX folder (its `train` split).
    #[arg(long)]
    pub data: PathBuf,
    /// Validation images, which choose the best epoch (of an IDX folder, its `t10k` split).
    #[arg(long)]
    pub val: Option<PathBuf>,
    /// Classes of the new head.
    #[arg(long)]
    pub classes: usize,
    /// linear-probe (frozen backbone), full, or scratch.
    #[arg(long, default_value = "full")]
    pub mode: Mode,
    #[arg(long, default_value_t = 10)]
    pub epochs: usize,
    /// Peak learning rate of the head (cosine schedule to 0).
    #[arg(long, default_value_t = 0.01)]
    pub lr: f64,
    /// Peak learning rate of the pretrained backbone in full mode (default: LR / 10).
    #[arg(long)]
    pub backbone_lr: Option<f64>,
    /// Images per step.
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
    /// sgd (momentum 0.9) or adamw.
    #[arg(long, default_value = "sgd")]
    pub optimizer: Optimizer,
    #[arg(long, default_value_t = 5e-4)]
    pub weight_decay: f64,
    /// Padding of the random crop (default: an eighth of the input side; 0 turns it off).
    #[arg(long)]
    pub pad: Option<usize>,
    /// Random horizontal flips (default: on for colour models, off for greyscale).
    #[arg(long)]
    pub flip: Option<bool>,
    /// Train on only the first N images of each class.
    #[arg(long)]
    pub per_class: Option<usize>,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Stochastic depth (CIFAR ResNets): the last block's survival probability p_L, decaying
    /// linearly from 1 over the blocks (the paper's 0.5).
    #[arg(long, value_name = "P_L")]
    pub stochastic_depth: Option<f64>,
    /// Continue the interrupted run whose checkpoint is OUT.ckpt.
    #[arg(long)]
    pub resume: bool,
    /// The best model (.bpk); OUT.ckpt/ holds the checkpoint and OUT.json the run's record
    /// (which `zoo classify` and `zoo eval` read for the classes).
    #[arg(long)]
    pub out: PathBuf,
}

/// What OUT.json records.
#[derive(Serialize)]
struct Record<'a> {
    command: String,
    settings: &'a Settings,
    classes: &'a [String],
    train_images: usize,
    outcome: &'a finetune::Outcome,
    top1: f64,
    seconds: f64,
    burn: &'static str,
}

pub fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let spec = burn_zoo::variant(&args.model)
        .ok_or_else(|| format!("unknown model `{}` (see `zoo list`)", args.model))?;
    let prep = finetune::preprocess(spec);
    let [channels, side, _] = prep.shape();
    let standard = Augment::standard(side, channels);
    let settings = Settings {
        model: args.model.clone(),
        weights: args.weights.clone(),
        init: args.init.clone(),
        classes: args.classes,
        mode: args.mode,
        epochs: args.epochs,
        batch_size: args.batch,
        lr: args.lr,
        backbone_lr: args.backbone_lr.unwrap_or(args.lr / 10.0),
        optimizer: args.optimizer,
        weight_decay: args.weight_decay,
        augment: Augment {
            pad: args.pad.unwrap_or(standard.pad),
            flip: args.flip.unwrap_or(standard.flip),
        },
        seed: args.seed,
        stochastic_depth: args.stochastic_depth,
    };
    eprintln!(
        "preprocessing: {prep}; augmentation: {:?}",
        settings.augment
    );
    let mut train = Samples::read(&args.data, "train", &prep)?;
    if let Some(n) = args.per_class {
        train = train.first_per_class(n);
    }
    let val = match &args.val {
        Some(dir) => Some(Samples::read(dir, "t10k", &prep)?),
        None => None,
    };
    let batches = train.len().div_ceil(args.batch.max(1));
    let bar = indicatif::ProgressBar::new((batches * args.epochs) as u64).with_style(
        indicatif::ProgressStyle::with_template(
            "{bar:30} {pos}/{len} batches {msg} [{elapsed} < {eta}]",
        )?,
    );
    let start = Instant::now();
    let outcome = finetune::run(
        &settings,
        &train,
        val.as_ref(),
        &args.out,
        args.resume,
        |event| match event {
            Event::Resumed(done) => {
                bar.set_position((done * batches) as u64);
                bar.suspend(|| eprintln!("resuming after epoch {done}"));
            }
            Event::Batch {
                epoch,
                batch,
                loss,
                accuracy,
                ..
            } => {
                bar.inc(1);
                if batch % 10 == 1 {
                    bar.set_message(format!(
                        "epoch {epoch}/{} loss {loss:.4} top-1 {accuracy:.1} %",
                        args.epochs
                    ));
                }
            }
            Event::Epoch(r) => {
                let val = r
                    .val_accuracy
                    .map_or(String::new(), |v| format!(", val top-1 {v:.2} %"));
                let best = if r.best { " (best: saved)" } else { "" };
                bar.suspend(|| {
                    eprintln!(
                        "epoch {}/{}: loss {:.4}, train top-1 {:.2} %{val}{best}",
                        r.epoch, args.epochs, r.loss, r.train_accuracy
                    )
                });
            }
        },
    );
    bar.finish_and_clear();
    let outcome = outcome?;
    let top1 = 100.0 * outcome.correct as f64 / outcome.images as f64;
    let record = Record {
        command: format!(
            "zoo {}",
            std::env::args().skip(1).collect::<Vec<_>>().join(" ")
        ),
        settings: &settings,
        classes: &train.classes,
        train_images: train.len(),
        outcome: &outcome,
        top1,
        seconds: (start.elapsed().as_secs_f64() * 10.0).round() / 10.0,
        burn: "0.22.1",
    };
    let json = args.out.with_extension("json");
    std::fs::write(&json, serde_json::to_string_pretty(&record)? + "\n")?;
    outln!(
        "{}: top-1 {top1:.2} % ({}/{}) on {} with the best epoch ({}); wrote {} and {}",
        args.model,
        outcome.correct,
        outcome.images,
        outcome.evaluated_on.display(),
        outcome.best_epoch,
        args.out.display(),
        json.display()
    );
    Ok(())
}
