//! `burn_zoo::viz`: grids of filters and activation maps have the expected layout, every tile
//! stretched to its own range.

mod common;

use std::path::Path;

use burn::tensor::{Device, Tensor, TensorData};
use burn_zoo::{ImportOptions, pipeline, variant, viz};

#[test]
fn tiles_are_stretched_to_their_own_range() {
    // Two grey 1×2 tiles side by side (2 columns), one white gap pixel between them.
    let img = viz::tiles(&[0.0, 2.0, 5.0, 5.0], [2, 1, 1, 2], false, 1);
    assert_eq!(img.dimensions(), (5, 1));
    let row: Vec<u8> = img.pixels().map(|p| p.0[0]).collect();
    // The first tile 0 → 0, 2 → 255; the constant one is black; the gap is white.
    assert_eq!(row, [0, 255, 255, 0, 0]);
    // Colour: one RGB tile, each channel stretched over the tile's common range.
    let img = viz::tiles(&[0.0, 1.0, 0.5], [1, 3, 1, 1], true, 2);
    assert_eq!(img.dimensions(), (2, 2));
    assert!(img.pixels().all(|p| p.0 == [0, 255, 128]));
}

#[test]
fn filters_are_one_tile_each() {
    let device = Device::default();
    // ResNet-20: 16 RGB 3×3 filters, 4 × 4 tiles of 12 pixels with 1-pixel gaps.
    let model = variant("resnet20").unwrap().build(10, &device);
    let img = viz::filters(&*model, 4).unwrap();
    assert_eq!(img.dimensions(), (4 * 13 - 1, 4 * 13 - 1));
    let first = img.get_pixel(0, 0);
    assert!(img.pixels().any(|p| p != first), "a constant image");
    // LeNet-5: 6 grey 5×5 filters of one input channel, 3 × 2 tiles.
    let model = variant("lenet5_modern").unwrap().build(10, &device);
    assert_eq!(
        viz::filters(&*model, 1).unwrap().dimensions(),
        (3 * 6 - 1, 2 * 6 - 1)
    );
}

#[test]
fn activations_of_a_stage_for_an_image() {
    let device = Device::default();
    let p = pipeline::open("lenet5_modern", None, &device).unwrap();
    let image =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fashion-mnist/samples/bag.png");
    let values = p.preprocess.load(&image).unwrap();
    let x = Tensor::<4>::from_data(TensorData::new(values, [1, 1, 28, 28]), &device);
    // conv1: 6 maps of 28×28 in 3 × 2 tiles.
    let img = viz::activations(&*p.model, x.clone(), 0, 1).unwrap();
    assert_eq!(img.dimensions(), (3 * 29 - 1, 2 * 29 - 1));
    let first = img.get_pixel(0, 0);
    assert!(img.pixels().any(|q| q != first), "a constant image");
    let e = viz::activations(&*p.model, x, 7, 1)
        .unwrap_err()
        .to_string();
    assert!(e.contains("no feature stage 7"), "{e}");
}

/// Saliency and Grad-CAM of `resnet20` and `resnet18` in eval mode, for the first image of the
/// training references' batch (`scripts/training_reference.py`), equal PyTorch autograd's.
#[test]
fn saliency_and_grad_cam_equal_pytorch() {
    for name in ["resnet20", "resnet18"] {
        let Some(dir) = common::fixture_with(&format!("training/{name}"), "saliency.f32") else {
            return;
        };
        let meta = common::json(&dir.join("meta.json"));
        let shape: Vec<usize> = serde_json::from_value(meta["input"].clone()).unwrap();
        let [c, h, w] = [shape[1], shape[2], shape[3]];
        let device = Device::default().autodiff();
        let first = common::read_f32(&dir.join("input.f32"))[..c * h * w].to_vec();
        let x = Tensor::<4>::from_data(TensorData::new(first, [1, c, h, w]), &device);
        let (model, _) = variant(name)
            .unwrap()
            .build(10, &device)
            .load(&dir.join("init.pth"), &ImportOptions::default())
            .unwrap();
        let model = model.frozen();
        let target = meta["attribution"]["target"].as_u64().unwrap() as usize;
        let maps = [
            (
                "saliency",
                viz::saliency(&*model, x.clone(), target).unwrap(),
                "saliency.f32",
            ),
            (
                "Grad-CAM",
                viz::grad_cam(&*model, x.clone(), target).unwrap(),
                "gradcam.f32",
            ),
        ];
        for (what, got, file) in maps {
            let want = common::read_f32(&dir.join(file));
            let got: Vec<f32> = got.into_data().try_to_vec::<f32>().unwrap();
            assert_eq!(got.len(), want.len(), "{name} {what}");
            let scale = want.iter().fold(0f32, |m, v| m.max(v.abs()));
            let diff = got
                .iter()
                .zip(&want)
                .fold(0f32, |m, (g, w)| m.max((g - w).abs()));
            assert!(scale > 0.0, "{name} {what}: an all-zero reference");
            assert!(
                diff <= 1e-4 * scale,
                "{name} {what}: max |Δ| {diff:.3e}, largest value {scale:.3e}"
            );
            common::report(&format!(
                "viz {name:<8} {what:<8} max|Δ| {:.1e} of the largest value ({} values)",
                diff / scale,
                want.len()
            ));
        }
    }
}

#[test]
fn gradient_maps_need_autodiff_and_a_real_class() {
    let plain = Device::default();
    let model = variant("resnet20").unwrap().build(10, &plain);
    let x = Tensor::<4>::zeros([1, 3, 32, 32], &plain);
    let e = viz::saliency(&*model, x, 0).unwrap_err().to_string();
    assert!(e.contains("autodiff"), "{e}");
    let device = plain.autodiff();
    let model = variant("resnet20").unwrap().build(10, &device).frozen();
    let x = Tensor::<4>::zeros([1, 3, 32, 32], &device);
    let e = viz::grad_cam(&*model, x, 10).unwrap_err().to_string();
    assert_eq!(e, "class 10 is not an output of the model (it has 10)");
}
