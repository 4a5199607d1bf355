//! `zoo`: the burn-zoo command line.

#![warn(missing_docs)]

use std::path::PathBuf;
use std::process::ExitCode;

use burn::tensor::Device;
use burn_zoo::{ImportOptions, variant};
use clap::{Parser, Subcommand};

use crate::out::outln;

mod bench;
mod bench_layers;
mod classify;
mod embed;
mod eval;
mod finetune;
mod gan;
mod info;
mod out;
mod preprocess;
mod train;
mod viz;

#[derive(Parser)]
#[command(
    name = "zoo",
    version,
    about = "Classic CNNs on Burn: classify, list, info, convert, eval, bench, finetune, gan, train, viz"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Classify PNG/JPEG images or folders of them: with the embedded LeNet-5 trained on
    /// Fashion-MNIST (offline),
    /// or with `--model` and its published weights (downloaded once) or `--weights FILE`.
    Classify {
        #[arg(required = true)]
        images: Vec<PathBuf>,
        /// A variant from `zoo list` (default: the embedded LeNet-5).
        #[arg(long)]
        model: Option<String>,
        /// A weights file or registry name for `--model` (default: its published default).
        #[arg(long)]
        weights: Option<String>,
        /// How many classes to print per image.
        #[arg(long, default_value_t = 3)]
        top_k: usize,
        /// Machine-readable output: one JSON object per image, as each is classified.
        #[arg(long)]
        json: bool,
        /// Outputs of a weights file with another head than the reference's (a fine-tuned
        /// model); they are named by index.
        #[arg(long)]
        num_classes: Option<usize>,
        #[command(flatten)]
        preprocess: preprocess::Args,
    },
    /// Every variant with its family, parameters, input size and published weights.
    List {
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// One variant's published weights: URLs, checksums, accuracy, preprocessing, cache state.
    Info { model: String },
    /// Top-1/top-5 accuracy on an ImageFolder layout, a folder with a labels file, or an
    /// MNIST-style IDX folder.
    Eval(eval::Args),
    /// Latency, throughput, load time and peak memory of one variant or `all`, on this machine.
    Bench(bench::Args),
    /// Every distinct convolution of some variants, timed alone: the zoo's engine against
    /// flex's own, as GFLOP/s and a share of the measured FMA peak.
    BenchLayers(bench_layers::Args),
    /// Convert a .pth/.pt/.safetensors checkpoint or an ONNX model's weights into Burn's
    /// format (.bpk), checking that every tensor fits the model.
    Convert {
        /// Variant name, as `zoo list` prints it.
        #[arg(long)]
        model: String,
        #[arg(long)]
        from: PathBuf,
        #[arg(long)]
        to: PathBuf,
        /// Extra key renames, applied before the family's own: `REGEX=REPLACEMENT`.
        #[arg(long, value_parser = parse_remap)]
        remap: Vec<(String, String)>,
        /// Read the state dict from this key of a checkpoint dict.
        #[arg(long)]
        top_level_key: Option<String>,
        /// Leave out tensors whose (renamed) key matches this regex, e.g. a head to retrain.
        #[arg(long)]
        skip: Vec<String>,
        /// Number of classes of the checkpoint's head (default: the reference's).
        #[arg(long)]
        num_classes: Option<usize>,
    },
    /// Draw what a model learned as a PNG grid: its first-layer filters, or a stage's
    /// activation maps for an image.
    #[command(subcommand)]
    Viz(viz::What),
    /// Fine-tune a model on new classes (linear probe, full, or from scratch), with a
    /// checkpoint per epoch (`--resume`) and the best model saved in Burn's format.
    Finetune(finetune::Args),
    /// DCGAN: train a generator and discriminator on 28×28 images (Fashion-MNIST), or score
    /// generated images by the Fréchet distance of their LeNet-5 embeddings to the test set's.
    #[command(subcommand)]
    Gan(gan::What),
    /// Train LeNet-5 on Fashion-MNIST (Debian's dataset-fashion-mnist) or MNIST IDX files.
    Train {
        /// lenet5 (the paper's: tanh, average pooling) or lenet5_modern (ReLU, max pooling).
        model: String,
        #[arg(long, default_value = "fashion-mnist")]
        dataset: String,
        /// Folder with {train,t10k}-{images,labels}-idx*-ubyte[.gz].
        #[arg(long)]
        data: Option<PathBuf>,
        #[arg(long, default_value_t = 10)]
        epochs: usize,
        #[arg(long, default_value_t = 64)]
        batch_size: usize,
        #[arg(long, default_value_t = 1e-3)]
        lr: f64,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Output weights (.bpk); a .json record of the run is written beside it.
        #[arg(long)]
        out: PathBuf,
    },
}

fn parse_remap(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .ok_or_else(|| format!("`{s}` is not REGEX=REPLACEMENT"))
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader of our output went away (`zoo list | head -1`): a normal end.
        Err(e) if matches!(e.downcast_ref(), Some(out::OutputError::Closed)) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Whether two paths name one file (the same device and inode where both exist).
fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    #[cfg(unix)]
    if let (Ok(x), Ok(y)) = (std::fs::metadata(a), std::fs::metadata(b)) {
        use std::os::unix::fs::MetadataExt;
        return x.dev() == y.dev() && x.ino() == y.ino();
    }
    matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
}

fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    match cli.command {
        Command::Classify {
            images,
            model,
            weights,
            top_k,
            json,
            num_classes,
            preprocess,
        } => {
            let (failed, total) = classify::run(
                &images,
                top_k,
                json,
                (model.as_deref(), weights.as_deref(), num_classes),
                &preprocess,
            )?;
            if failed > 0 {
                return Err(format!("{failed} of {total} images could not be classified").into());
            }
        }
        Command::List { json } => info::list(json)?,
        Command::Viz(what) => viz::run(what)?,
        Command::Info { model } => info::info(&model)?,
        Command::Eval(args) => eval::run(args)?,
        Command::Finetune(args) => finetune::run(args)?,
        Command::Gan(what) => gan::run(what)?,
        Command::Bench(args) => bench::run(args)?,
        Command::BenchLayers(args) => bench_layers::run(args)?,
        Command::Convert {
            model,
            from,
            to,
            remap,
            top_level_key,
            skip,
            num_classes,
        } => {
            let v = variant(&model)
                .ok_or_else(|| format!("unknown model `{model}` (see `zoo list`)"))?;
            if same_file(&from, &to) {
                return Err(format!(
                    "--to {} names the same file as --from: writing it would destroy the input",
                    to.display()
                )
                .into());
            }
            let options = ImportOptions {
                top_level_key,
                remaps: remap,
                skip,
                ..Default::default()
            };
            let device = Device::default();
            let spinner = indicatif::ProgressBar::new_spinner()
                .with_message(format!("loading {} into {model}", from.display()));
            spinner.enable_steady_tick(std::time::Duration::from_millis(120));
            let loaded = v
                .build(num_classes.unwrap_or(v.classes), &device)
                .load(&from, &options);
            spinner.finish_and_clear();
            let (loaded, report) = loaded?;
            loaded.save(&to)?;
            outln!(
                "{model}: {} parameters from {} → {}",
                loaded.parameter_count(),
                from.display(),
                to.display()
            );
            if !report.skipped.is_empty()
                || !report.initialised.is_empty()
                || !report.converted.is_empty()
            {
                outln!("{model}: {report}");
            }
        }
        Command::Train {
            model,
            dataset,
            data,
            epochs,
            batch_size,
            lr,
            seed,
            out,
        } => {
            let command_line = std::env::args().skip(1).collect::<Vec<_>>().join(" ");
            train::run(train::Args {
                model,
                dataset,
                data,
                epochs,
                batch_size,
                learning_rate: lr,
                seed,
                out,
                command_line: format!("zoo {command_line}"),
            })?;
        }
    }
    Ok(())
}
