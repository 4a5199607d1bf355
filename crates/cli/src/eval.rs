//! `zoo eval`: top-1/top-5 accuracy of a model on a folder of images.

use crate::out::outln;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use burn::tensor::Device;
use burn_zoo::Fuse;
use burn_zoo::blocks::{Transform, load_rgb};
use burn_zoo::hub::{WeightEntry, categories};
use burn_zoo::pretrained::{load_named, transform_for};
use burn_zoo::{Variant, variant};

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
    /// Normalisation mean `R,G,B` (default: the weights', else ImageNet's).
    #[arg(long, value_parser = parse_rgb)]
    pub mean: Option<[f32; 3]>,
    #[arg(long, value_parser = parse_std)]
    pub std: Option<[f32; 3]>,
}

/// A standard deviation per channel: each must be positive (0 would divide by zero).
fn parse_std(s: &str) -> Result<[f32; 3], String> {
    let v = parse_rgb(s)?;
    if v.iter().any(|&x| x <= 0.0) {
        return Err(format!("`{s}`: each standard deviation must be positive"));
    }
    Ok(v)
}

fn parse_rgb(s: &str) -> Result<[f32; 3], String> {
    let v: Vec<f32> = s
        .split(',')
        .map(|x| {
            x.trim()
                .parse::<f32>()
                .map_err(|e| format!("`{x}`: {e}"))
                .and_then(|v| {
                    v.is_finite()
                        .then_some(v)
                        .ok_or_else(|| format!("`{x}` is not a finite number"))
                })
        })
        .collect::<Result<_, _>>()?;
    v.try_into()
        .map_err(|_| format!("`{s}` is not three numbers R,G,B"))
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

fn transform(v: &Variant, entry: Option<&WeightEntry>, args: &Args) -> Transform {
    let mut t = transform_for(v, entry);
    if let Some(m) = args.mean {
        t.mean = m;
    }
    if let Some(s) = args.std {
        t.std = s;
    }
    t
}

pub fn run(args: Args) -> Result<(), Error> {
    let v = variant(&args.model)
        .ok_or_else(|| format!("unknown model `{}` (see `zoo list`)", args.model))?;
    if v.family == "lenet" {
        return Err(
            "zoo eval takes RGB models; LeNet-5 is evaluated by `cargo test --test accuracy`"
                .into(),
        );
    }
    let device = Device::default();
    let (model, entry) = load_named(v, args.weights.as_deref(), &device)?;
    // Inference only: BatchNorms folded into their convolutions.
    let model = model.fused();
    let t = transform(v, entry, &args);
    let (mut items, folder_names) = samples(&args.data, args.labels.as_deref())?;
    if let Some(n) = args.limit {
        items.truncate(n);
    }
    if items.is_empty() {
        return Err(format!("{}: no images", args.data.display()).into());
    }
    // A label the model has no class for would be counted as a miss, or index past the class
    // names: refused before any image is read.
    if let Some((path, label)) = items.iter().find(|(_, label)| *label >= v.classes) {
        return Err(format!(
            "{}: label {label} is not a class of {} (classes 0–{})",
            path.display(),
            v.name,
            v.classes - 1
        )
        .into());
    }
    let name_of = |c: usize| -> String {
        folder_names
            .get(c)
            .cloned()
            .or_else(|| (v.classes == 1000).then(|| categories()[c].clone()))
            .unwrap_or_else(|| c.to_string())
    };
    let bar = indicatif::ProgressBar::new(items.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} images {per_sec} {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let (mut top1, mut top5) = (0usize, 0usize);
    let mut per_class: BTreeMap<usize, (usize, usize)> = BTreeMap::new();
    for chunk in items.chunks(args.batch_size.max(1)) {
        let images = chunk
            .iter()
            .map(|(p, _)| load_rgb(p))
            .collect::<Result<Vec<_>, _>>()?;
        let logits = model
            .forward(t.batch(&images, &device))
            .into_data()
            .convert::<f32>()
            .try_to_vec::<f32>()
            .map_err(|e| format!("{e:?}"))?;
        for ((path, label), row) in chunk.iter().zip(logits.chunks(v.classes)) {
            if let Err(e) = crate::classify::finite_output(path, row) {
                bar.abandon();
                return Err(format!("{e}; no accuracy is reported").into());
            }
            let mut order: Vec<usize> = (0..row.len()).collect();
            order.sort_by(|&a, &b| row[b].total_cmp(&row[a]));
            let hit1 = order[0] == *label;
            top1 += hit1 as usize;
            top5 += order[..5.min(order.len())].contains(label) as usize;
            let e = per_class.entry(*label).or_default();
            e.0 += 1;
            e.1 += hit1 as usize;
        }
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    let n = items.len();
    let weights = entry.map_or_else(
        || args.weights.clone().unwrap_or_default(),
        |e| args.weights.clone().unwrap_or_else(|| e.id.clone()),
    );
    outln!(
        "{} ({weights}) on {n} images of {}",
        v.name,
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
