//! `zoo viz embed`: the pooled embeddings (`Classifier::embed`, torchvision's `fc = Identity`)
//! of a folder of images as a NumPy file, their labels beside them, and optionally the 2-D PCA
//! of them as a scatter plot coloured by label.

use std::path::PathBuf;

use burn::tensor::{Device, Tensor, TensorData};
use burn_zoo::data::Samples;
use burn_zoo::pipeline::Preprocess;
use burn_zoo::pretrained::load_named;
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
    let spec =
        burn_zoo::variant(&args.model).ok_or_else(|| burn_zoo::UnknownModel(args.model.clone()))?;
    let (mut model, entry) = load_named(spec, args.weights.as_deref(), None, &device)?;
    model.fuse_batch_norm();
    let prep = Preprocess::for_variant(spec, entry);
    let set = Samples::read_first(&args.data, &args.split, &prep, args.limit)?;
    if set.is_empty() {
        return Err(format!("{}: no images", args.data.display()).into());
    }
    let [c, h, w] = set.shape;
    let d = model.num_features();
    let bar = indicatif::ProgressBar::new(set.len() as u64).with_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} images [{elapsed} < {eta}]")?,
    );
    let mut embeddings = Vec::with_capacity(set.len() * d);
    let all: Vec<usize> = (0..set.len()).collect();
    for chunk in all.chunks(args.batch_size.max(1)) {
        let values: Vec<f32> = chunk.iter().flat_map(|&i| set.image(i).to_vec()).collect();
        let x = Tensor::<4>::from_data(TensorData::new(values, [chunk.len(), c, h, w]), &device);
        let e = model.embed(x).into_data().convert::<f32>();
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
        let names = spec.labels.names();
        let mut seen: Vec<usize> = set.labels.clone();
        seen.sort_unstable();
        seen.dedup();
        let legend: Vec<String> = seen
            .iter()
            .map(|&l| {
                let name = set
                    .classes
                    .get(l)
                    .map(String::as_str)
                    .or(names.get(l).copied());
                let [r, g, b] = PALETTE[l % 10];
                format!("{l} {} #{r:02x}{g:02x}{b:02x}", name.unwrap_or(""))
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
