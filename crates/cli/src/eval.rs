//! `zoo eval`: top-1/top-5 accuracy of a model on a folder of images.

use crate::out::outln;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use burn::tensor::{Device, Tensor};
use burn_zoo::Preprocess;
use burn_zoo::lenet::idx::Dataset;

#[derive(clap::Args)]
pub struct Args {
    #[arg(long)]
    pub model: String,
    /// A weights file, or a registry name (`IMAGENET1K_V1`); default: the published default.
    #[arg(long)]
    pub weights: Option<String>,
    #[arg(long)]
    pub data: PathBuf,
    /// `file<TAB>class_index` lines (default: DATA/labels.tsv or labels.txt if present).
    #[arg(long)]
    pub labels: Option<PathBuf>,
    /// Evaluate only the first N images.
    #[arg(long)]
    pub limit: Option<usize>,
    #[arg(long, default_value_t = 16)]
    pub batch_size: usize,
    #[command(flatten)]
    pub preprocess: crate::preprocess::Args,
    /// Machine-readable output: one JSON object per image as it is evaluated, then one with
    /// the totals.
    #[arg(long)]
    pub json: bool,
    /// Print each image's label and top-5 classes as it is evaluated.
    #[arg(long)]
    pub per_image: bool,
    /// Outputs of a weights file with another head than the reference's (a fine-tuned model).
    #[arg(long)]
    pub num_classes: Option<usize>,
    /// The split of an MNIST-style folder (`{split}-images-idx3-ubyte[.gz]` and labels).
    #[arg(long, default_value = "t10k")]
    pub split: String,
}

/// Where the images come from: image files, or the arrays of an IDX split.
enum Images {
    Files,
    Idx(Dataset),
}

/// An MNIST-style folder holds `{split}-images-idx3-ubyte` (or `.gz`).
fn is_idx(data: &Path, split: &str) -> bool {
    let base = format!("{split}-images-idx3-ubyte");
    data.join(&base).exists() || data.join(format!("{base}.gz")).exists()
}

/// The IDX images at `indices` as the model's input: greyscale at the model's input size,
/// normalised as the pipeline says.
fn idx_batch(
    ds: &Dataset,
    indices: std::ops::Range<usize>,
    preprocess: &Preprocess,
    model: &str,
    device: &Device,
) -> Result<Tensor<4>, Error> {
    match *preprocess {
        Preprocess::Grey { size, mean, std } if (ds.rows, ds.cols) == (size, size) => {
            let indices: Vec<usize> = indices.collect();
            Ok(ds.batch(&indices, mean, std, device).0)
        }
        Preprocess::Grey { size, .. } => Err(format!(
            "the IDX images are {}×{}; {model} takes {size}×{size}",
            ds.rows, ds.cols
        )
        .into()),
        Preprocess::Rgb(_) => {
            Err(format!("IDX images are greyscale; {model} takes RGB images").into())
        }
    }
}

type Error = Box<dyn std::error::Error>;

/// Labelled images and, for an ImageFolder, the class folders' names.
type Samples = (Vec<(PathBuf, usize)>, Vec<String>);

/// Images and labels: from a labels file (`file<TAB>label`, or a header naming `file` or
/// `filename` and `class_index` or `label` columns), else an ImageFolder layout (one folder
/// per class, classes numbered in sorted folder order, as torchvision's `ImageFolder`).
pub fn samples(data: &Path, labels: Option<&Path>) -> Result<Samples, Error> {
    let found = ["labels.tsv", "labels.txt"].map(|f| data.join(f));
    let labels = labels
        .map(Path::to_path_buf)
        .or_else(|| found.into_iter().find(|p| p.exists()));
    if let Some(file) = labels {
        let text =
            std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        let mut lines = text.lines().filter(|l| !l.trim().is_empty()).peekable();
        let split = |l: &str| {
            l.split(['\t', ' ', ','])
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        let (mut fc, mut lc) = (0, 1);
        if let Some(first) = lines.peek() {
            let cols = split(first);
            if cols.last().is_some_and(|c| c.parse::<usize>().is_err())
                || cols.iter().any(|c| c == "class_index")
            {
                fc = cols
                    .iter()
                    .position(|c| c == "file" || c == "filename")
                    .unwrap_or(0);
                lc = cols
                    .iter()
                    .position(|c| c == "class_index" || c == "label")
                    .ok_or_else(|| format!("{}: no class_index or label column", file.display()))?;
                lines.next();
            }
        }
        let mut out = Vec::new();
        for (n, line) in lines.enumerate() {
            let cols = split(line);
            let bad = || {
                format!(
                    "{}: line {}: expected a file and a class index: `{line}`",
                    file.display(),
                    n + 2
                )
            };
            let label = cols.get(lc).and_then(|c| c.parse().ok()).ok_or_else(bad)?;
            out.push((data.join(cols.get(fc).ok_or_else(bad)?), label));
        }
        return Ok((out, Vec::new()));
    }
    let mut classes: Vec<PathBuf> = std::fs::read_dir(data)
        .map_err(|e| format!("{}: {e}", data.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    classes.sort();
    if classes.is_empty() {
        return Err(format!("{}: no labels file and no class folders", data.display()).into());
    }
    let mut out = Vec::new();
    for (i, dir) in classes.iter().enumerate() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        out.extend(files.into_iter().map(|f| (f, i)));
    }
    let names = classes
        .iter()
        .map(|c| {
            c.file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    Ok((out, names))
}

/// Evaluates the model on every sample (in batches) and prints top-1/top-5 accuracy.
pub fn run(args: Args) -> Result<(), Error> {
    let device = Device::default();
    let mut pipeline = burn_zoo::pipeline::open_with_classes(
        &args.model,
        args.weights.as_deref(),
        args.num_classes,
        &device,
    )?;
    args.preprocess.apply(&mut pipeline.preprocess)?;
    eprintln!("preprocessing: {}", pipeline.preprocess);
    let classes = pipeline.model.num_classes();
    let (images, (mut items, folder_names)) = if is_idx(&args.data, &args.split) {
        let ds = Dataset::open(&args.data, &args.split)?;
        let file = args.data.join(format!("{}-images-idx3-ubyte", args.split));
        let items = (0..ds.len())
            .map(|i| {
                (
                    PathBuf::from(format!("{}#{i}", file.display())),
                    ds.labels[i] as usize,
                )
            })
            .collect();
        (Images::Idx(ds), (items, Vec::new()))
    } else {
        (Images::Files, samples(&args.data, args.labels.as_deref())?)
    };
    if let Some(n) = args.limit {
        items.truncate(n);
    }
    if items.is_empty() {
        return Err(format!("{}: no images", args.data.display()).into());
    }
    // A label the model has no class for would be counted as a miss, or index past the class
    // names: refused before any image is read.
    if let Some((path, label)) = items.iter().find(|(_, label)| *label >= classes) {
        return Err(format!(
            "{}: label {label} is not a class of {} (classes 0–{})",
            path.display(),
            args.model,
            classes - 1
        )
        .into());
    }
    let name_of = |c: usize| -> String {
        folder_names
            .get(c)
            .cloned()
            .unwrap_or_else(|| pipeline.labels[c].clone())
    };
    let bar = indicatif::ProgressBar::new(items.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} images {per_sec} {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let (mut top1, mut top5) = (0usize, 0usize);
    let mut per_class: BTreeMap<usize, (usize, usize)> = BTreeMap::new();
    let batch = args.batch_size.max(1);
    for (b, chunk) in items.chunks(batch).enumerate() {
        let x = match &images {
            Images::Files => {
                let paths: Vec<&Path> = chunk.iter().map(|(p, _)| p.as_path()).collect();
                pipeline.input(&paths, &device)?
            }
            Images::Idx(ds) => {
                let start = b * batch;
                let range = start..start + chunk.len();
                idx_batch(ds, range, &pipeline.preprocess, &args.model, &device)?
            }
        };
        let logits = pipeline
            .model
            .forward(x)
            .into_data()
            .convert::<f32>()
            .try_to_vec::<f32>()
            .map_err(|e| format!("{e:?}"))?;
        for ((path, label), row) in chunk.iter().zip(logits.chunks(classes)) {
            if let Err(e) = burn_zoo::pipeline::finite(path, row) {
                bar.abandon();
                return Err(format!("{e}; no accuracy is reported").into());
            }
            let mut order: Vec<usize> = (0..row.len()).collect();
            order.sort_by(|&a, &b| row[b].total_cmp(&row[a]));
            let hit1 = order[0] == *label;
            let best = &order[..5.min(order.len())];
            top1 += hit1 as usize;
            top5 += best.contains(label) as usize;
            if args.json {
                let row = serde_json::json!({"image": path.to_string_lossy(), "label": label, "top5": best,
                    "top1_correct": hit1, "top5_correct": best.contains(label)});
                bar.suspend(|| crate::out::line(format_args!("{row}")))?;
            } else if args.per_image {
                let names: Vec<String> = best.iter().map(|&c| name_of(c)).collect();
                bar.suspend(|| {
                    crate::out::line(format_args!(
                        "{}: {} {} → {}",
                        path.display(),
                        if hit1 { "✓" } else { "✗" },
                        name_of(*label),
                        names.join(", ")
                    ))
                })?;
            }
            let e = per_class.entry(*label).or_default();
            e.0 += 1;
            e.1 += hit1 as usize;
        }
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    let n = items.len();
    if args.json {
        let classes: Vec<_> = per_class
            .iter()
            .map(|(c, (count, hits))| {
                serde_json::json!({"class": c, "name": name_of(*c), "images": count, "top1": hits})
            })
            .collect();
        let total = serde_json::json!({"model": args.model, "weights": pipeline.weights,
            "images": n, "top1": top1, "top5": top5, "top1_pct": 100.0 * top1 as f64 / n as f64,
            "top5_pct": 100.0 * top5 as f64 / n as f64, "per_class": classes,
            "preprocessing": pipeline.preprocess.to_string()});
        outln!("{}", serde_json::json!({ "summary": total }));
        return Ok(());
    }
    outln!(
        "{} ({}) on {n} images of {}",
        args.model,
        pipeline.weights,
        args.data.display()
    );
    outln!("{:<28} {:>7} {:>9}", "class", "images", "top-1");
    for (c, (count, hits)) in &per_class {
        outln!(
            "{:<28} {:>7} {:>8.2}%",
            format!("{c} {}", name_of(*c)),
            count,
            100.0 * *hits as f64 / *count as f64
        );
    }
    outln!(
        "top-1 {:.2}% ({top1}/{n})  top-5 {:.2}% ({top5}/{n})",
        100.0 * top1 as f64 / n as f64,
        100.0 * top5 as f64 / n as f64
    );
    Ok(())
}
