//! Preprocessing equals torchvision's (and timm's) on the real ImageNet validation JPEGs of
//! `../shared/data/imagenet-val10`, bit for bit: decoding (libjpeg-turbo's code, as Pillow),
//! resizing (Pillow's passes, in Pillow's order, on held-out images of extreme aspect ratios),
//! cropping and normalising. Without the `libjpeg-turbo` feature the pure-Rust decoder differs
//! by a few levels, bounded here too.

mod common;

use burn::tensor::{Device, Tensor, TensorData};
use burn_zoo::vision::{Filter, Transform, load_rgb};
use burn_zoo::{ImportOptions, variant};
use common::{fixture, read_f32, report, shared_path, to_vec};

const TAGS: [&str; 3] = ["256-224-bilinear", "232-224-bilinear", "333-299-bicubic"];

fn transform(tag: &str) -> Transform {
    let imagenet = ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);
    let (resize, crop, filter, (mean, std)) = match tag {
        "256-224-bilinear" => (256, 224, Filter::Bilinear, imagenet),
        "232-224-bilinear" => (232, 224, Filter::Bilinear, imagenet),
        _ => (333, 299, Filter::Bicubic, ([0.5; 3], [0.5; 3])),
    };
    Transform {
        resize,
        crop,
        filter,
        mean,
        std,
    }
}

struct Fixture {
    dir: std::path::PathBuf,
    names: Vec<String>,
    sizes: Vec<(u32, u32)>,
}

fn load() -> Option<(Fixture, std::path::PathBuf)> {
    let (dir, images) = (fixture("preprocess")?, shared_path("imagenet-val10")?);
    let meta = common::json(&dir.join("meta.json"));
    let names = meta["images"].as_array().unwrap();
    let sizes = meta["sizes"].as_array().unwrap();
    let f = Fixture {
        names: names
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect(),
        sizes: sizes
            .iter()
            .map(|s| (s[0].as_u64().unwrap() as u32, s[1].as_u64().unwrap() as u32))
            .collect(),
        dir,
    };
    Some((f, images))
}

fn deltas(ours: &[f32], reference: &[f32]) -> (f64, f64) {
    assert_eq!(ours.len(), reference.len());
    let d = ours
        .iter()
        .zip(reference)
        .map(|(a, b)| (*a as f64 - *b as f64).abs());
    let (max, sum) = d.fold((0f64, 0f64), |(m, s), v| (m.max(v), s + v));
    (max, sum / ours.len() as f64)
}

/// On the pixels Pillow decoded, resize + crop + normalise give torchvision's tensor exactly
/// (an off-by-one crop or another filter would not).
#[test]
fn resize_crop_normalise_equal_torchvision_bit_for_bit() {
    let Some((f, _)) = load() else { return };
    for tag in TAGS {
        let t = transform(tag);
        let ours: Vec<f32> = f
            .sizes
            .iter()
            .enumerate()
            .flat_map(|(i, &(w, h))| {
                let raw = std::fs::read(f.dir.join(format!("decoded-{i}.u8"))).unwrap();
                t.apply(&image::RgbImage::from_raw(w, h, raw).unwrap())
            })
            .collect();
        let (max, _) = deltas(&ours, &read_f32(&f.dir.join(format!("{tag}.f32"))));
        report(&format!(
            "preprocess {tag:<17} on Pillow's pixels: max|Δ| {max:.1e}"
        ));
        assert!(max < 1e-6, "{tag}: max |Δ| {max}");
    }
}

/// Every JPEG of the shared data and the held-out encodings (4:4:4, 4:2:2, 4:2:0, progressive,
/// greyscale, odd sizes) decodes to Pillow's pixels exactly.
#[cfg(feature = "libjpeg-turbo")]
#[test]
fn jpegs_decode_to_pillows_pixels_exactly() {
    let Some((f, images)) = load() else { return };
    let mut files: Vec<(std::path::PathBuf, std::path::PathBuf)> = (0..f.names.len())
        .map(|i| {
            let decoded = f.dir.join(format!("decoded-{i}.u8"));
            (images.join(&f.names[i]), decoded)
        })
        .collect();
    let meta = common::json(&f.dir.join("decode.json"));
    for name in meta["jpegs"].as_array().unwrap() {
        let name = name.as_str().unwrap();
        let jpeg = f.dir.join(format!("jpeg-{name}.jpg"));
        files.push((jpeg, f.dir.join(format!("jpeg-{name}.u8"))));
    }
    for (jpeg, pillow) in &files {
        let ours = load_rgb(jpeg).unwrap().into_raw();
        let reference = std::fs::read(pillow).unwrap();
        let differ = ours.iter().zip(&reference).filter(|(a, b)| a != b).count();
        assert!(
            ours.len() == reference.len() && differ == 0,
            "{}: {differ} of {} values differ from Pillow's",
            jpeg.display(),
            reference.len()
        );
    }
    report(&format!(
        "decode {} JPEGs (10 ImageNet, {} held-out encodings): pixels equal Pillow's",
        files.len(),
        files.len() - f.names.len()
    ));
}

/// Pillow resizes in the order its cost rule picks (vertical first when the height shrinks by
/// more than twice the width's shrink): on held-out noise images of extreme aspect ratios,
/// torchvision's `Resize(256)` + `CenterCrop(224)` bytes equal ours for both filters.
#[test]
fn resize_order_follows_pillow_on_extreme_aspect_ratios() {
    let Some(dir) = fixture("preprocess") else {
        return;
    };
    let meta = common::json(&dir.join("decode.json"));
    let aspects = meta["aspects"].as_array().unwrap();
    for wh in aspects {
        let (w, h) = (wh[0].as_u64().unwrap(), wh[1].as_u64().unwrap());
        let png = image::open(dir.join(format!("aspect-{w}x{h}.png")))
            .unwrap()
            .into_rgb8();
        for (name, filter) in [("bilinear", Filter::Bilinear), ("bicubic", Filter::Bicubic)] {
            let ours = burn_zoo::vision::transform::center_crop(
                &burn_zoo::vision::transform::resize_shorter(&png, 256, filter),
                224,
            );
            let pillow = std::fs::read(dir.join(format!("aspect-{w}x{h}-{name}.u8"))).unwrap();
            assert!(
                ours.as_raw() == &pillow,
                "{w}×{h} {name} differs from Pillow"
            );
        }
    }
    report(&format!(
        "resize {} aspect ratios × 2 filters (320×685 … 1000×97): bytes equal Pillow's",
        aspects.len()
    ));
}

/// From the JPEG files, the whole pipeline: with libjpeg-turbo, torchvision's tensor exactly;
/// with the pure-Rust decoder, a few levels on some pixels (mean |Δ| ≤ 0.01, max |Δ| ≤ 0.1 in
/// normalised units; one level is 0.017; a one-pixel crop shift gives a mean near 0.1).
#[test]
fn jpeg_to_tensor_equals_torchvision() {
    let Some((f, images)) = load() else { return };
    for tag in TAGS {
        let t = transform(tag);
        let ours: Vec<f32> = f
            .names
            .iter()
            .flat_map(|n| t.apply(&load_rgb(&images.join(n)).unwrap()))
            .collect();
        let (max, mean) = deltas(&ours, &read_f32(&f.dir.join(format!("{tag}.f32"))));
        report(&format!(
            "preprocess {tag:<17} from the JPEGs: max|Δ| {max:.4}  mean|Δ| {mean:.2e}"
        ));
        if cfg!(feature = "libjpeg-turbo") {
            assert!(max < 1e-6, "{tag}: max |Δ| {max}");
        } else {
            assert!(mean <= 0.01 && max <= 0.1, "{tag}: mean {mean}, max {max}");
        }
    }
}

/// What the decoder difference does to a model's output: resnet50 (fixture weights) on the ten
/// images preprocessed here and by torchvision.
#[test]
fn logit_difference_caused_by_preprocessing() {
    let (Some((f, images)), Some(weights)) = (load(), fixture("resnet50")) else {
        return;
    };
    let device = Device::default();
    let t = transform("256-224-bilinear");
    let rgb: Vec<_> = f
        .names
        .iter()
        .map(|n| load_rgb(&images.join(n)).unwrap())
        .collect();
    let ours = t.batch(&rgb, &device);
    let n = f.names.len();
    let reference = Tensor::<4>::from_data(
        TensorData::new(
            read_f32(&f.dir.join("256-224-bilinear.f32")),
            [n, 3, 224, 224],
        ),
        &device,
    );
    let v = variant("resnet50").unwrap();
    let (model, _) = v
        .build(1000, &device)
        .load(
            &weights.join("weights.safetensors"),
            &ImportOptions::default(),
        )
        .unwrap();
    let a = to_vec(model.forward(ours));
    let b = to_vec(model.forward(reference));
    let (max, _) = deltas(&a, &b);
    let scale = b.iter().fold(0f32, |m, v| m.max(v.abs())) as f64;
    let argmax = |r: &[f32]| (0..r.len()).max_by(|&i, &j| r[i].total_cmp(&r[j])).unwrap();
    let same_top1 = a
        .chunks(1000)
        .zip(b.chunks(1000))
        .filter(|(x, y)| argmax(x) == argmax(y))
        .count();
    report(&format!(
        "preprocess → resnet50 logits: max|Δ| {max:.3e} (max |logit| {scale:.1}), top-1 same on {same_top1}/{n}"
    ));
    if cfg!(feature = "libjpeg-turbo") {
        assert_eq!(a, b, "the same input tensor gives the same logits");
    } else {
        assert!(max <= 0.05 * scale, "logits moved by {max}");
    }
}
