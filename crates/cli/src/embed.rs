//! `zoo viz embed`: the pooled embeddings (`Classifier::embed`, torchvision's `fc = Identity`)
//! of a folder of images as a NumPy file, their labels beside them, and optionally the 2-D PCA
//! of them as a scatter plot coloured by label.

use std::path::PathBuf;

use burn::tensor::Device;
use burn_zoo::data::Samples;
use burn_zoo::viz::{PALETTE, pca2, scatter, write_npy};

type Error = Box<dyn std::error::Error>;

#[derive(clap::Args)]
pub struct Args {
    /// A variant from `zoo list`.
    #[arg(long)]
    model: String,
    /// A weights file or registry name (default: the published or embedded weights).
    #[arg(long)]
    weights: Option<String>,
    /// Images: an ImageFolder, a folder with a labels file, or an MNIST-style IDX folder.
    #[arg(long)]
    data: PathBuf,
    /// The split of an IDX folder.
    #[arg(long, default_value = "t10k")]
    split: String,
    /// Only the first N images.
    #[arg(long)]
    limit: Option<usize>,
    /// The embeddings, `[images, features]` float32 (`.npy`); the labels go to
    /// `OUT.labels.npy` (int64).
    #[arg(long)]
    out: PathBuf,
    /// Also draw the embeddings' first two principal components, coloured by label (PNG).
    #[arg(long)]
    plot: Option<PathBuf>,
    #[arg(long, default_value_t = 32)]
    batch_size: usize,
}

pub fn run(args: &Args) -> Result<(), Error> {
    let device = Device::default();
    let pipeline = burn_zoo::pipeline::open(&args.model, args.weights.as_deref(), &device)?;
    let model = &pipeline.model;
    let set = Samples::read_first(&args.data, &args.split, &pipeline.preprocess, args.limit)?;
    if set.is_empty() {
        return Err(format!("{}: no images", args.data.display()).into());
    }
    let d = model.num_features();
    let bar = indicatif::ProgressBar::new(set.len() as u64).with_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} images [{elapsed} < {eta}]")?,
    );
    let mut embeddings = Vec::with_capacity(set.len() * d);
    let all: Vec<usize> = (0..set.len()).collect();
    for chunk in all.chunks(args.batch_size.max(1)) {
        let e = model
            .embed(set.batch(chunk, &device))
            .into_data()
            .convert::<f32>();
        embeddings.extend(e.try_to_vec::<f32>().map_err(|e| format!("{e:?}"))?);
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    if let Some(bad) = embeddings.iter().position(|v| !v.is_finite()) {
        return Err(format!("image {} has a non-finite embedding", bad / d).into());
    }
    let n = set.len();
    write_npy(&args.out, &[n, d], &embeddings)
        .map_err(|e| format!("{}: {e}", args.out.display()))?;
    let labels_path = args.out.with_extension("labels.npy");
    let labels: Vec<i64> = set.labels.iter().map(|&l| l as i64).collect();
    write_npy(&labels_path, &[n], &labels)
        .map_err(|e| format!("{}: {e}", labels_path.display()))?;
    eprintln!(
        "{}: {n} embeddings of {d} values; labels in {}",
        args.out.display(),
        labels_path.display()
    );
    if let Some(plot) = &args.plot {
        let points = pca2(&embeddings, n, d);
        scatter(&points, &set.labels, 512)
            .save(plot)
            .map_err(|e| format!("{}: {e}", plot.display()))?;
        let mut seen: Vec<usize> = set.labels.clone();
        seen.sort_unstable();
        seen.dedup();
        let legend: Vec<String> = seen
            .iter()
            .map(|&l| {
                let name = set.classes.get(l).or(pipeline.labels.get(l));
                let [r, g, b] = PALETTE[l % 10];
                format!(
                    "{l} {} #{r:02x}{g:02x}{b:02x}",
                    name.map_or("", String::as_str)
                )
            })
            .collect();
        eprintln!(
            "{}: PCA of the embeddings; colours: {}",
            plot.display(),
            legend.join(", ")
        );
    }
    Ok(())
}
