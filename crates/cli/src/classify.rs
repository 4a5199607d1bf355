//! `zoo classify`: top-k classes of images, with the embedded pretrained LeNet-5 (offline) or
//! any variant and its published weights or a weights file.

use crate::out::outln;
use std::path::{Path, PathBuf};

use burn::tensor::activation::softmax;
use burn::tensor::{Device, Tensor, TensorData};
use burn_zoo::Fuse;
use burn_zoo::blocks::{ImageError, load_grey, load_rgb};
use burn_zoo::hub::categories;
use burn_zoo::lenet::LeNet5Weights;
use burn_zoo::pretrained::{load_named, transform_for};
use burn_zoo::variant;
use serde_json::json;

type Error = Box<dyn std::error::Error>;
type Predict = Box<dyn Fn(&Path) -> Result<Tensor<2>, ImageError>>;

/// The model to classify with: logits of one image, and the class names.
fn classifier(model: Option<&str>, weights: Option<&str>) -> Result<(Predict, Vec<String>), Error> {
    let device = Device::default();
    let Some(name) = model else {
        // A weights file with no model to put it in would be ignored: answering with the
        // embedded model instead would be a silent wrong answer.
        if let Some(w) = weights {
            return Err(format!(
                "--weights {w} needs --model: which network's weights are they? (see `zoo list`)"
            )
            .into());
        }
        let weights = LeNet5Weights::DEFAULT;
        let model = weights.load(&device)?;
        let (mean, std) = weights.normalization();
        let size = weights.input_size();
        let classes = weights.classes().iter().map(|c| c.to_string()).collect();
        let predict: Predict = Box::new(move |path| {
            let pixels = load_grey(path, size as u32)?;
            let pixels: Vec<f32> = pixels.into_iter().map(|p| (p - mean) / std).collect();
            let x = Tensor::<4>::from_data(TensorData::new(pixels, [1, 1, size, size]), &device);
            Ok(model.forward(x))
        });
        return Ok((predict, classes));
    };
    let v = variant(name).ok_or_else(|| format!("unknown model `{name}` (see `zoo list`)"))?;
    if v.family == "lenet" {
        return Err(
            "LeNet-5 classifies greyscale images: leave out --model to use the embedded one".into(),
        );
    }
    let (model, entry) = load_named(v, weights, &device)?;
    // Inference only: BatchNorms folded into their convolutions.
    let model = model.fused();
    let t = transform_for(v, entry);
    let classes = if v.classes == 1000 {
        categories().to_vec()
    } else {
        (0..v.classes).map(|c| c.to_string()).collect()
    };
    let predict: Predict =
        Box::new(move |path| Ok(model.forward(t.batch(&[load_rgb(path)?], &device))));
    Ok((predict, classes))
}

/// Refuses a model output that is empty or holds NaN or infinities: NaN sorts like any
/// number, so a broken model would otherwise get a ranking (or an accuracy) instead of an
/// error.
pub fn finite_output(path: &Path, values: &[f32]) -> Result<(), String> {
    if values.is_empty() || values.iter().any(|v| !v.is_finite()) {
        return Err(format!(
            "{}: the model's output is not finite (NaN or infinite logits)",
            path.display()
        ));
    }
    Ok(())
}

/// Classifies every image it can read; reports the others and returns how many failed.
pub fn run(
    images: &[PathBuf],
    top_k: usize,
    as_json: bool,
    model: Option<&str>,
    weights: Option<&str>,
) -> Result<usize, Error> {
    let (predict, classes) = classifier(model, weights)?;
    let top_k = top_k.clamp(1, classes.len());

    let mut rows = Vec::new();
    let mut failed = 0;
    for path in images {
        let result = predict(path).map_err(Error::from).and_then(|logits| {
            let probs = softmax(logits, 1)
                .into_data()
                .try_to_vec::<f32>()
                .unwrap_or_default();
            finite_output(path, &probs)?;
            let mut ranked: Vec<(usize, f32)> = probs.into_iter().enumerate().collect();
            ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
            ranked.truncate(top_k);
            Ok(ranked)
        });
        match result {
            Ok(ranked) => {
                if as_json {
                    let preds: Vec<_> = ranked
                        .iter()
                        .map(|&(i, p)| json!({"class": classes[i], "index": i, "probability": p}))
                        .collect();
                    rows.push(json!({"image": path, "predictions": preds}));
                } else {
                    let text: Vec<_> = ranked
                        .iter()
                        .map(|&(i, p)| format!("{} {:.1}%", classes[i], 100.0 * p))
                        .collect();
                    outln!("{}: {}", path.display(), text.join(", "));
                }
            }
            Err(e) => {
                failed += 1;
                if as_json {
                    rows.push(json!({"image": path, "error": e.to_string()}));
                } else {
                    eprintln!("error: {e}");
                }
            }
        }
    }
    if as_json {
        outln!("{}", serde_json::to_string_pretty(&rows)?);
    }
    Ok(failed)
}
