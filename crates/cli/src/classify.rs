//! `zoo classify`: top-k classes of images (files or folders), with the embedded pretrained
//! LeNet-5 (offline) or any variant and its published weights or a weights file.

use std::path::{Path, PathBuf};

use burn::tensor::Device;
use serde_json::json;

type Error = Box<dyn std::error::Error>;

/// The variant `zoo classify` uses without `--model`: LeNet-5 with its embedded weights.
const DEFAULT_MODEL: &str = "lenet5_modern";

/// The files to classify: each file as given, and each folder's PNG and JPEG files
/// (recursively, sorted; links are not followed, so a link to a parent cannot loop).
pub fn expand(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    let mut out = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let mut found = Vec::new();
            walk(input, &mut found)?;
            if found.is_empty() {
                return Err(
                    format!("{}: no PNG or JPEG images in the folder", input.display()).into(),
                );
            }
            found.sort();
            out.extend(found);
        } else {
            out.push(input.clone());
        }
    }
    Ok(out)
}

fn is_image(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| ["png", "jpg", "jpeg"].contains(&e.to_ascii_lowercase().as_str()))
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), Error> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
        let kind = entry
            .file_type()
            .map_err(|e| format!("{}: {e}", entry.path().display()))?;
        let path = entry.path();
        if kind.is_dir() {
            walk(&path, out)?;
        } else if kind.is_file() && is_image(&path) {
            out.push(path);
        }
    }
    Ok(())
}

/// Classifies every image it can read, printing each result as it comes (a JSON object per
/// line with `json`); reports the others and returns how many failed, of how many.
pub fn run(
    images: &[PathBuf],
    top_k: usize,
    as_json: bool,
    (model, weights, num_classes): (Option<&str>, Option<&str>, Option<usize>),
    preprocess: &crate::preprocess::Args,
) -> Result<(usize, usize), Error> {
    // A weights file with no model to put it in would be ignored: answering with the embedded
    // model instead would be a silent wrong answer.
    if let (None, Some(w)) = (model, weights) {
        return Err(format!(
            "--weights {w} needs --model: which network's weights are they? (see `zoo list`)"
        )
        .into());
    }
    let device = Device::default();
    let name = model.unwrap_or(DEFAULT_MODEL);
    let mut pipeline = burn_zoo::pipeline::open_with_classes(name, weights, num_classes, &device)?;
    preprocess.apply(&mut pipeline.preprocess)?;
    eprintln!(
        "{name} ({}), preprocessing: {}",
        pipeline.weights, pipeline.preprocess
    );
    let files = expand(images)?;
    let bar = indicatif::ProgressBar::new(files.len() as u64);
    if files.len() < 2 {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let mut failed = 0;
    for path in &files {
        match pipeline.classify(path, top_k, &device) {
            Ok(ranked) if as_json => {
                let preds: Vec<_> = ranked
                    .iter()
                    .map(|p| json!({"class": p.label, "index": p.index, "probability": p.probability}))
                    .collect();
                bar.suspend(|| {
                    crate::out::line(format_args!(
                        "{}",
                        json!({"image": path.to_string_lossy(), "predictions": preds})
                    ))
                })?;
            }
            Ok(ranked) => {
                let text: Vec<_> = ranked
                    .iter()
                    .map(|p| format!("{} {:.1}%", p.label, 100.0 * p.probability))
                    .collect();
                bar.suspend(|| {
                    crate::out::line(format_args!("{}: {}", path.display(), text.join(", ")))
                })?;
            }
            Err(e) => {
                failed += 1;
                if as_json {
                    bar.suspend(|| {
                        crate::out::line(format_args!(
                            "{}",
                            json!({"image": path.to_string_lossy(), "error": e.to_string()})
                        ))
                    })?;
                } else {
                    bar.suspend(|| eprintln!("error: {e}"));
                }
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok((failed, files.len()))
}
