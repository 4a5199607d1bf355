//! `zoo gan`: train the DCGAN pair (zoo-dcgan) on 28×28 grey IDX images, Fashion-MNIST by
//! default, and score generated images by the Fréchet distance of their embeddings (the
//! embedded Fashion-MNIST LeNet-5's penultimate layer) to the test set's.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::tensor::Device;
use burn_zoo::dcgan::frechet::{Gaussian, frechet_distance};
use burn_zoo::dcgan::train::{GanConfig, Images, Step, sample, train};
use burn_zoo::dcgan::{DcganConfig, Discriminator, Generator};
use burn_zoo::lenet::LeNet5Weights;
use burn_zoo::lenet::idx;
use burn_zoo::{Classifier, ImportOptions, ZooModel};
use serde::Serialize;

use crate::out::outln;
use crate::train::FASHION_MNIST_DIR;

type Error = Box<dyn std::error::Error>;

/// Seed of the codes behind each epoch's grid: the same 64 codes every epoch.
const GRID_SEED: u64 = 1;
/// Seed of the codes of the scored samples.
const SAMPLE_SEED: u64 = 2;
/// Most generated images `zoo gan train` writes (their floats are held at once).
const MAX_SAMPLES: usize = 100_000;
/// Images per grid.
const GRID: usize = 64;

/// What to do.
#[derive(clap::Subcommand)]
pub enum What {
    /// Train the generator and discriminator; write a grid of samples per epoch, the losses,
    /// both networks (.bpk), generated images (IDX) and their Fréchet distance.
    Train(TrainArgs),
    /// The Fréchet distance of an IDX file of 28×28 images (generated ones, or real ones for
    /// a baseline) to the test set, on LeNet-5 embeddings; optionally a grid of the first 64.
    Score {
        /// An IDX file of `[n, 28, 28]` unsigned bytes (optionally gzipped).
        images: PathBuf,
        /// Folder of the test set's `t10k-images-idx3-ubyte[.gz]` (default: Debian's
        /// Fashion-MNIST).
        #[arg(long)]
        data: Option<PathBuf>,
        /// Also draw the first 64 images as a grid (PNG).
        #[arg(long)]
        grid: Option<PathBuf>,
    },
}

/// `zoo gan train`'s options.
#[derive(clap::Args)]
pub struct TrainArgs {
    /// Folder of `{train,t10k}-images-idx3-ubyte[.gz]` (default: Debian's Fashion-MNIST).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Train on the first N training images (default: all).
    #[arg(long)]
    images: Option<usize>,
    #[arg(long, default_value_t = 5)]
    epochs: usize,
    #[arg(long, default_value_t = 128)]
    batch_size: usize,
    /// Adam's learning rate, for both networks.
    #[arg(long, default_value_t = 2e-4)]
    lr: f64,
    /// Adam's β₁.
    #[arg(long, default_value_t = 0.5)]
    beta1: f32,
    /// Seed of the initialisation, the image order and the codes.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Start from these weights: a folder with `generator` and `discriminator` weights
    /// (`.safetensors`, `.pth` or `.bpk`), e.g. PyTorch's from
    /// `scripts/gan_reference.py --init-out`.
    #[arg(long)]
    init: Option<PathBuf>,
    /// Generated images to write and score at the end.
    #[arg(long, default_value_t = 10_000)]
    samples: usize,
    /// Output folder.
    #[arg(long)]
    out: PathBuf,
}

/// `OUT/record.json`.
#[derive(Serialize)]
struct Record {
    command: String,
    images: usize,
    epochs: usize,
    batch_size: usize,
    learning_rate: f64,
    beta1: f32,
    seed: u64,
    init: Option<String>,
    seconds_per_epoch: Vec<f64>,
    final_d_loss: f32,
    final_g_loss: f32,
    samples: usize,
    frechet_distance: f64,
    burn: &'static str,
}

/// Runs a `zoo gan` command.
pub fn run(what: What) -> Result<(), Error> {
    match what {
        What::Train(args) => train_run(args),
        What::Score { images, data, grid } => {
            let idx = read_images(&images, 2)?;
            if let Some(path) = grid {
                write_grid(&idx.data[..idx.data.len().min(GRID * 784)], &path)?;
            }
            let fd = score(&idx.data, &test_dir(data))?;
            outln!(
                "{}: Fréchet distance {fd:.3} to the test set ({} images, LeNet-5 embeddings)",
                images.display(),
                idx.data.len() / 784
            );
            Ok(())
        }
    }
}

fn test_dir(data: Option<PathBuf>) -> PathBuf {
    data.unwrap_or_else(|| PathBuf::from(FASHION_MNIST_DIR))
}

/// An IDX file of at least `at_least` 28×28 images.
fn read_images(path: &Path, at_least: usize) -> Result<idx::Idx, Error> {
    let idx = idx::read(path)?;
    match idx.dims[..] {
        [n, 28, 28] if n >= at_least => Ok(idx),
        _ => Err(format!(
            "{}: images of shape {:?}; this needs at least {at_least} 28×28 images ([n, 28, 28])",
            path.display(),
            idx.dims
        )
        .into()),
    }
}

/// The 28×28 images of a split of `dir` (`{split}-images-idx3-ubyte`, optionally `.gz`; no
/// labels needed), at least `at_least` of them.
fn split_images(dir: &Path, split: &str, at_least: usize) -> Result<Vec<u8>, Error> {
    let base = format!("{split}-images-idx3-ubyte");
    let path = [base.clone(), format!("{base}.gz")]
        .into_iter()
        .map(|f| dir.join(f))
        .find(|p| p.exists())
        .ok_or_else(|| format!("no {base} file in {}", dir.display()))?;
    Ok(read_images(&path, at_least)?.data)
}

/// The Fréchet distance between the LeNet-5 embeddings of `pixels` (28×28 bytes each) and
/// those of the test set in `dir`.
fn score(pixels: &[u8], dir: &Path) -> Result<f64, Error> {
    let test = split_images(dir, "t10k", 2)?;
    let device = Device::default();
    let lenet = LeNet5Weights::DEFAULT.load(&device)?;
    let fit = |px: &[u8]| -> Result<Gaussian, Error> {
        let (mean, std) = LeNet5Weights::DEFAULT.normalization();
        let mut features = Vec::new();
        for chunk in px.chunks(1000 * 784) {
            let n = chunk.len() / 784;
            let x: Vec<f32> = chunk
                .iter()
                .map(|&p| (p as f32 / 255.0 - mean) / std)
                .collect();
            let x = burn::tensor::Tensor::from_data(
                burn::tensor::TensorData::new(x, [n, 1, 28, 28]),
                &device,
            );
            features.extend(lenet.embed(x).into_data().try_to_vec::<f32>()?);
        }
        Gaussian::fit(&features, lenet.num_features()).ok_or_else(|| "too few images".into())
    };
    Ok(frechet_distance(&fit(pixels)?, &fit(&test)?))
}

/// Values in [−1, 1] as bytes, as an 8-bit image stores them.
fn to_bytes(values: &[f32]) -> Vec<u8> {
    values
        .iter()
        .map(|&v| ((v + 1.0) * 127.5).round().clamp(0.0, 255.0) as u8)
        .collect()
}

fn write_grid(pixels: &[u8], path: &Path) -> Result<(), Error> {
    let values: Vec<f32> = pixels.iter().map(|&p| p as f32).collect();
    let n = pixels.len() / 784;
    burn_zoo::viz::tiles_in(&values, [n, 1, 28, 28], false, 2, Some((0.0, 255.0)))
        .save(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()).into())
}

fn load<M: ZooModel>(model: M, dir: &Path, stem: &str) -> Result<M, Error> {
    let path = ["safetensors", "pth", "bpk"]
        .iter()
        .map(|ext| dir.join(format!("{stem}.{ext}")))
        .find(|p| p.exists())
        .ok_or_else(|| {
            format!(
                "--init {}: no {stem}.safetensors, .pth or .bpk there",
                dir.display()
            )
        })?;
    Ok(model.load_weights(&path, &ImportOptions::default())?)
}

fn train_run(args: TrainArgs) -> Result<(), Error> {
    let dir = test_dir(args.data.clone());
    let set = split_images(&dir, "train", 1)?;
    if !(2..=MAX_SAMPLES).contains(&args.samples) {
        return Err(format!(
            "--samples {}: between 2 and {MAX_SAMPLES} images are generated and scored",
            args.samples
        )
        .into());
    }
    let n = args.images.unwrap_or(usize::MAX).min(set.len() / 784);
    let images = Images::from_grey_bytes(&set[..n * 784], 28);
    std::fs::create_dir_all(&args.out)
        .map_err(|e| format!("cannot create {}: {e}", args.out.display()))?;

    let device = Device::default().autodiff();
    device.seed(args.seed);
    let config = DcganConfig::fashion();
    let (mut g, mut d): (Generator, Discriminator) =
        (config.generator(&device), config.discriminator(1, &device));
    if let Some(init) = &args.init {
        g = load(g, init, "generator")?;
        d = load(d, init, "discriminator")?;
    }
    let cfg = GanConfig {
        epochs: args.epochs,
        batch_size: args.batch_size,
        learning_rate: args.lr,
        beta1: args.beta1,
        seed: args.seed,
    };
    let losses_path = args.out.join("losses.csv");
    let mut losses = std::io::BufWriter::new(
        std::fs::File::create(&losses_path)
            .map_err(|e| format!("cannot create {}: {e}", losses_path.display()))?,
    );
    writeln!(losses, "epoch,batch,d_loss,g_loss,d_real,d_fake")?;
    let batches = n.div_ceil(args.batch_size.max(1));
    let bar = indicatif::ProgressBar::new((batches * args.epochs) as u64).with_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} steps, {msg} [{elapsed} < {eta}]",
        )?,
    );
    let plain = Device::default();
    let mut seconds = Vec::new();
    let mut epoch_start = Instant::now();
    let mut last = None::<Step>;
    let (mut step_failed, mut epoch_failed) = (None::<std::io::Error>, None::<Error>);
    let result = train(
        g,
        d,
        &images,
        &cfg,
        |s| {
            bar.inc(1);
            if s.batch % 20 == 0 {
                bar.set_message(format!(
                    "epoch {}/{} D {:.3} G {:.3}",
                    s.epoch + 1,
                    args.epochs,
                    s.d_loss,
                    s.g_loss
                ));
            }
            let row = writeln!(
                losses,
                "{},{},{},{},{},{}",
                s.epoch, s.batch, s.d_loss, s.g_loss, s.d_real, s.d_fake
            );
            if let Err(e) = row {
                step_failed.get_or_insert(e);
            }
            last = Some(*s);
        },
        |epoch, g| {
            seconds.push((epoch_start.elapsed().as_secs_f64() * 10.0).round() / 10.0);
            let grid = to_bytes(&sample(g, GRID, GRID_SEED, &plain));
            let path = args.out.join(format!("epoch-{}.png", epoch + 1));
            if let Err(e) = write_grid(&grid, &path) {
                epoch_failed.get_or_insert(e);
            }
            epoch_start = Instant::now();
        },
    );
    bar.finish_and_clear();
    let (g, d) = result?;
    if let Some(e) = step_failed {
        return Err(format!("cannot write {}: {e}", losses_path.display()).into());
    }
    if let Some(e) = epoch_failed {
        return Err(e);
    }
    losses.flush()?;
    g.save_weights(args.out.join("generator.bpk"))?;
    d.save_weights(args.out.join("discriminator.bpk"))?;

    let generated = to_bytes(&sample(&g, args.samples, SAMPLE_SEED, &plain));
    let samples_path = args.out.join("samples-idx3-ubyte");
    idx::write(&samples_path, &[generated.len() / 784, 28, 28], &generated)?;
    let fd = score(&generated, &dir)?;
    let last = last.ok_or("no training step ran")?;
    let record = Record {
        command: format!(
            "zoo {}",
            std::env::args().skip(1).collect::<Vec<_>>().join(" ")
        ),
        images: n,
        epochs: args.epochs,
        batch_size: args.batch_size,
        learning_rate: args.lr,
        beta1: args.beta1,
        seed: args.seed,
        init: args.init.as_ref().map(|p| p.display().to_string()),
        seconds_per_epoch: seconds,
        final_d_loss: last.d_loss,
        final_g_loss: last.g_loss,
        samples: generated.len() / 784,
        frechet_distance: fd,
        burn: "0.22.1",
    };
    let record_path = args.out.join("record.json");
    std::fs::write(&record_path, serde_json::to_string_pretty(&record)? + "\n")?;
    outln!(
        "DCGAN: {} epochs on {n} images; last step D {:.3} G {:.3}; Fréchet distance {fd:.3} \
         ({} samples); wrote {}",
        args.epochs,
        last.d_loss,
        last.g_loss,
        record.samples,
        args.out.display()
    );
    Ok(())
}
