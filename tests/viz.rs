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

/// The first image of a training reference's batch, the model at its starting weights on
/// `device`, and the reference's meta.json; `None` (skipped) without the fixture's `marker`.
fn reference_case(
    name: &str,
    marker: &str,
    device: &Device,
) -> Option<(
    std::path::PathBuf,
    serde_json::Value,
    Tensor<4>,
    Box<dyn burn_zoo::Classifier>,
)> {
    let dir = common::fixture_with(&format!("training/{name}"), marker)?;
    let meta = common::json(&dir.join("meta.json"));
    let shape: Vec<usize> = serde_json::from_value(meta["input"].clone()).unwrap();
    let [c, h, w] = [shape[1], shape[2], shape[3]];
    let first = common::read_f32(&dir.join("input.f32"))[..c * h * w].to_vec();
    let x = Tensor::<4>::from_data(TensorData::new(first, [1, c, h, w]), device);
    let (model, _) = variant(name)
        .unwrap()
        .build(10, device)
        .load(&dir.join("init.pth"), &ImportOptions::default())
        .unwrap();
    Some((dir, meta, x, model))
}

/// Saliency and Grad-CAM of `resnet20` and `resnet18` in eval mode, for the first image of the
/// training references' batch (`scripts/training_reference.py`), equal PyTorch autograd's.
#[test]
fn saliency_and_grad_cam_equal_pytorch() {
    for name in ["resnet20", "resnet18"] {
        let device = Device::default().autodiff();
        let Some((dir, meta, x, model)) = reference_case(name, "saliency.f32", &device) else {
            return;
        };
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

/// Occlusion maps of `resnet20` and `resnet18` for the same image and class equal PyTorch's
/// direct computation (a zeroed square at each position, softmax probability of the class).
#[test]
fn occlusion_equals_pytorch() {
    for name in ["resnet20", "resnet18"] {
        let Some((dir, meta, x, model)) = reference_case(name, "occlusion.f32", &Device::default())
        else {
            return;
        };
        let target = meta["attribution"]["target"].as_u64().unwrap() as usize;
        let o = &meta["occlusion"];
        let [size, stride] = ["size", "stride"].map(|k| o[k].as_u64().unwrap() as usize);
        let mut calls = Vec::new();
        let got = viz::occlusion(&*model, x, target, size, stride, |done, total| {
            calls.push((done, total))
        })
        .unwrap();
        let want = common::read_f32(&dir.join("occlusion.f32"));
        let dims: Vec<usize> = serde_json::from_value(o["shape"].clone()).unwrap();
        assert_eq!(got.dims.to_vec(), dims, "{name}");
        assert_eq!(calls.last(), Some(&(want.len(), want.len())));
        let diff = got
            .values
            .iter()
            .zip(&want)
            .fold(0f32, |m, (g, w)| m.max((g - w).abs()));
        let spread =
            want.iter().fold(0f32, |m, v| m.max(*v)) - want.iter().fold(1f32, |m, v| m.min(*v));
        assert!(
            spread > 1e-3,
            "{name}: the patch changes nothing ({want:?})"
        );
        assert!(diff <= 1e-4, "{name} occlusion: max |Δp| {diff:.3e}");
        common::report(&format!(
            "viz {name:<8} occlusion max|Δp| {diff:.1e} ({} positions of a {size}×{size} patch)",
            want.len()
        ));
    }
}

#[test]
fn occlusion_refuses_patches_that_do_not_fit() {
    let device = Device::default();
    let model = variant("lenet5_modern").unwrap().build(10, &device);
    let x = Tensor::<4>::zeros([1, 1, 28, 28], &device);
    for (size, stride) in [(0, 1), (29, 1), (4, 0)] {
        let err = viz::occlusion(&*model, x.clone(), 0, size, stride, |_, _| {}).unwrap_err();
        assert!(err.to_string().contains("occlusion:"), "{err}");
    }
    let err = viz::occlusion(&*model, x.clone(), 10, 4, 4, |_, _| {}).unwrap_err();
    assert!(err.to_string().contains("class 10"), "{err}");
    // A 28×28 image, a 7-pixel patch every 7 pixels: 4 × 4 positions.
    let map = viz::occlusion(&*model, x, 3, 7, 7, |_, _| {}).unwrap();
    assert_eq!((map.dims, map.values.len()), ([4, 4], 16));
    assert!(map.values.iter().all(|p| (0.0..=1.0).contains(p)));
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

/// `write_npy` writes what `numpy.load` reads: the 1.0 header, padded to 64 bytes, then the
/// values little-endian.
#[test]
fn npy_files_have_numpy_s_layout() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.npy");
    viz::write_npy(&path, &[2, 3], &[0.5f32, 1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[..8], b"\x93NUMPY\x01\x00");
    let len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    assert_eq!((10 + len) % 64, 0);
    let header = std::str::from_utf8(&bytes[10..10 + len]).unwrap();
    assert_eq!(
        header.trim_end(),
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
    );
    assert!(header.ends_with('\n'));
    assert_eq!(&bytes[10 + len..10 + len + 4], &0.5f32.to_le_bytes());
    assert_eq!(bytes.len(), 10 + len + 6 * 4);
    viz::write_npy(&path, &[3], &[1i64, 2, 3]).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    let header = std::str::from_utf8(&bytes[10..10 + len]).unwrap();
    assert!(
        header.contains("'<i8'") && header.contains("(3,)"),
        "{header}"
    );
    assert_eq!(bytes.len(), 10 + len + 24);
}

/// Points spread along a known direction: the first component follows it, the second the
/// narrow spread across it, each centred, with the sign convention of scikit-learn.
#[test]
fn pca_finds_the_directions_of_largest_spread() {
    let (c, s) = (30f32.to_radians().cos(), 30f32.to_radians().sin());
    let mut values = Vec::new();
    let mut truth = Vec::new();
    for i in 0..40 {
        // Each t twice, at u = ±0.3: no covariance between the two directions.
        let (t, u) = (
            (i / 2) as f32 / 2.0 - 4.75,
            if i % 2 == 0 { 0.3 } else { -0.3 },
        );
        // Rotated by 30°, shifted by (5, -2), and a third dimension that is constant.
        values.extend([5.0 + t * c - u * s, -2.0 + t * s + u * c, 7.0]);
        truth.push([t, u]);
    }
    let points = viz::pca2(&values, 40, 3);
    for (p, t) in points.iter().zip(&truth) {
        assert!((p[0].abs() - t[0].abs()).abs() < 1e-4, "{p:?} vs {t:?}");
        assert!((p[1].abs() - t[1].abs()).abs() < 1e-4, "{p:?} vs {t:?}");
    }
    // The axis's largest component (x, cos 30°) is positive: the point at t > 0 lands right.
    assert!(points[39][0] > 0.0);
    let img = viz::scatter(&points, &(0..40).map(|i| i % 3).collect::<Vec<_>>(), 64);
    assert_eq!(img.dimensions(), (64, 64));
    let coloured = img.pixels().filter(|p| p.0 == viz::PALETTE[1]).count();
    assert!(coloured >= 9, "{coloured} pixels of label 1");
}
