//! `zoo eval`: top-1/top-5 accuracy of a model on a folder of images.

use crate::out::outln;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use burn::tensor::Device;
use burn_zoo::data::{self, Samples};
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

/// Where the images come from: image files, or an IDX split read whole.
enum Images {
    Files,
    Idx(Samples),
}

type Error = Box<dyn std::error::Error>;

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
    let (images, (mut items, folder_names)) = if data::is_idx(&args.data, &args.split) {
        let ds = Dataset::open(&args.data, &args.split)?;
        let set = Samples::from_idx(&args.data, &ds, &pipeline.preprocess)?;
        let file = args.data.join(format!("{}-images-idx3-ubyte", args.split));
        let items = (set.labels.iter().enumerate())
            .map(|(i, &label)| (PathBuf::from(format!("{}#{i}", file.display())), label))
            .collect();
        (Images::Idx(set), (items, Vec::new()))
    } else {
        let found = data::files(&args.data, args.labels.as_deref())?;
        (Images::Files, (found.items, found.classes))
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
            Images::Idx(set) => {
                let start = b * batch;
                set.batch(&(start..start + chunk.len()).collect::<Vec<_>>(), &device)
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
