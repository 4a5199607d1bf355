//! `zoo train`: train LeNet-5 on MNIST-style IDX data and record how.

use crate::out::outln;
use std::path::PathBuf;
use std::time::Instant;

use burn::tensor::Device;
use burn_zoo::ZooModel;
use burn_zoo::lenet::idx::Dataset;
use burn_zoo::lenet::pretrained::{FASHION_MNIST_NORM, MNIST_NORM};
use burn_zoo::lenet::train::{TrainConfig, evaluate, train};
use burn_zoo::lenet::{LeNet, LeNetConfig};
use serde::Serialize;

/// Where Debian's `dataset-fashion-mnist` puts its IDX files.
pub const FASHION_MNIST_DIR: &str = "/usr/share/datasets/fashion-mnist";

/// `zoo train`'s options, gathered by `main` from the command line.
pub struct Args {
    /// `lenet5` or `lenet5_modern`.
    pub model: String,
    /// `fashion-mnist` or `mnist`: picks the default folder and the normalisation.
    pub dataset: String,
    /// Folder of the IDX files (default: Debian's Fashion-MNIST).
    pub data: Option<PathBuf>,
    /// Passes over the training set.
    pub epochs: usize,
    /// Images per optimiser step.
    pub batch_size: usize,
    /// Adam's starting learning rate (the training loop decays it).
    pub learning_rate: f64,
    /// Seed of the initialisation and the shuffling.
    pub seed: u64,
    /// Where to write the weights (`.bpk`); the JSON record goes beside it.
    pub out: PathBuf,
    /// The command line as typed, kept in the record.
    pub command_line: String,
}

/// What `weights/*.json` records next to trained weights.
#[derive(Serialize)]
struct Record<'a> {
    model: &'a str,
    dataset: &'a str,
    command: &'a str,
    epochs: usize,
    batch_size: usize,
    learning_rate: f64,
    seed: u64,
    normalization: (f32, f32),
    test_accuracy: f64,
    test_images: usize,
    train_seconds: f64,
    date: String,
    burn: &'static str,
}

/// Trains, evaluates on the t10k set, and writes the weights and their record.
pub fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let (default_dir, norm) = match args.dataset.as_str() {
        "fashion-mnist" => (Some(PathBuf::from(FASHION_MNIST_DIR)), FASHION_MNIST_NORM),
        "mnist" => (None, MNIST_NORM),
        other => return Err(format!("unknown dataset `{other}` (fashion-mnist or mnist)").into()),
    };
    let dir = args
        .data
        .clone()
        .or(default_dir)
        .ok_or("--dataset mnist needs --data DIR with its IDX files")?;
    let config = match args.model.as_str() {
        "lenet5" => LeNetConfig::classic(10),
        "lenet5_modern" => LeNetConfig::modern(10),
        other => {
            return Err(
                format!("`zoo train` trains lenet5 or lenet5_modern, not `{other}`").into(),
            );
        }
    };
    let train_set = Dataset::open(&dir, "train")?;
    let test_set = Dataset::open(&dir, "t10k")?;
    if test_set.is_empty() {
        return Err(format!("{}: the t10k test set is empty", dir.display()).into());
    }
    // The network's input size and classes: anything else would fail inside the model.
    for (split, set) in [("train", &train_set), ("t10k", &test_set)] {
        if (set.rows, set.cols) != (config.input_size, config.input_size) {
            return Err(format!(
                "{}: {split} images are {}×{}, {} takes {}×{}",
                dir.display(),
                set.rows,
                set.cols,
                args.model,
                config.input_size,
                config.input_size
            )
            .into());
        }
        if let Some(&label) = set
            .labels
            .iter()
            .find(|&&l| usize::from(l) >= config.num_classes)
        {
            return Err(format!(
                "{}: {split} label {label} is not one of the {} classes",
                dir.display(),
                config.num_classes
            )
            .into());
        }
    }

    let device = Device::default().autodiff();
    device.seed(args.seed);
    let cfg = TrainConfig {
        epochs: args.epochs,
        batch_size: args.batch_size,
        learning_rate: args.learning_rate,
        seed: args.seed,
        normalization: norm,
    };
    let batches = train_set.len().div_ceil(args.batch_size);
    let bar = indicatif::ProgressBar::new((batches * args.epochs) as u64).with_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} batches, {msg} [{elapsed} < {eta}]",
        )?,
    );
    let start = Instant::now();
    let model: Result<LeNet, _> = train(config.init(&device), &train_set, &cfg, |p| {
        bar.inc(1);
        if p.batch % 50 == 0 {
            bar.set_message(format!(
                "epoch {}/{} loss {:.4}",
                p.epoch + 1,
                args.epochs,
                p.loss
            ));
        }
    });
    bar.finish_and_clear();
    let model = model?;
    let seconds = start.elapsed().as_secs_f64();

    let plain = Device::default();
    let correct = evaluate(&model, &test_set, norm, &plain);
    let accuracy = 100.0 * correct as f64 / test_set.len() as f64;
    model.save_weights(&args.out)?;
    let record = Record {
        model: &args.model,
        dataset: &args.dataset,
        command: &args.command_line,
        epochs: args.epochs,
        batch_size: args.batch_size,
        learning_rate: args.learning_rate,
        seed: args.seed,
        normalization: norm,
        test_accuracy: accuracy,
        test_images: test_set.len(),
        train_seconds: (seconds * 10.0).round() / 10.0,
        date: today(),
        burn: "0.22.1",
    };
    let json_path = args.out.with_extension("json");
    std::fs::write(&json_path, serde_json::to_string_pretty(&record)? + "\n")?;
    outln!(
        "{}: {accuracy:.2} % top-1 on {} test images after {} epochs ({seconds:.0} s); wrote {} and {}",
        args.model,
        test_set.len(),
        args.epochs,
        args.out.display(),
        json_path.display()
    );
    Ok(())
}

/// Today's UTC date as YYYY-MM-DD (civil-from-days, Howard Hinnant's algorithm).
fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}
