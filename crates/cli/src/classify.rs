//! `zoo classify`: top-k classes of images with the embedded pretrained LeNet-5.

use std::path::PathBuf;

use burn::tensor::activation::softmax;
use burn::tensor::{Device, Tensor, TensorData};
use burn_zoo::blocks::load_grey;
use burn_zoo::lenet::LeNet5Weights;
use serde_json::json;

/// Classifies every image it can read; reports the others and returns how many failed.
pub fn run(
    images: &[PathBuf],
    top_k: usize,
    as_json: bool,
) -> Result<usize, Box<dyn std::error::Error>> {
    let weights = LeNet5Weights::DEFAULT;
    let device = Device::default();
    let model = weights.load(&device)?;
    let (mean, std) = weights.normalization();
    let size = weights.input_size();
    let classes = weights.classes();
    let top_k = top_k.clamp(1, classes.len());

    let mut rows = Vec::new();
    let mut failed = 0;
    for path in images {
        let result = load_grey(path, size as u32).map(|pixels| {
            let pixels: Vec<f32> = pixels.into_iter().map(|p| (p - mean) / std).collect();
            let x = Tensor::<4>::from_data(TensorData::new(pixels, [1, 1, size, size]), &device);
            let probs = softmax(model.forward(x), 1)
                .into_data()
                .try_to_vec::<f32>()
                .unwrap_or_default();
            let mut ranked: Vec<(usize, f32)> = probs.into_iter().enumerate().collect();
            ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
            ranked.truncate(top_k);
            ranked
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
                    println!("{}: {}", path.display(), text.join(", "));
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
        println!("{}", serde_json::to_string_pretty(&rows)?);
    }
    Ok(failed)
}
