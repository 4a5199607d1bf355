//! The page's code, run natively: its results are `zoo classify`'s for the same bytes.

use std::path::{Path, PathBuf};

use burn::tensor::Device;
use zoo_web::{Session, WebError};

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/fashion-mnist/samples")
}

/// What `zoo classify` prints for `path`: the pipeline it uses, on the file.
fn native(name: &str, weights: Option<&str>, path: &Path) -> Vec<(usize, f32)> {
    let device = Device::default();
    let pipeline = burn_zoo::pipeline::open(name, weights, &device).unwrap();
    pipeline
        .classify(path, 5, &device)
        .unwrap()
        .into_iter()
        .map(|p| (p.index, p.probability))
        .collect()
}

#[test]
fn a_file_gets_the_native_answer_bit_for_bit() {
    let mut s = Session::embedded("lenet5_modern").unwrap();
    for file in ["ankle-boot.png", "bag.png", "trouser.png"] {
        let path = samples().join(file);
        let got: Vec<_> = s
            .classify_file(file, &std::fs::read(&path).unwrap(), 5)
            .unwrap()
            .into_iter()
            .map(|p| (p.index, p.probability))
            .collect();
        assert_eq!(got, native("lenet5_modern", None, &path), "{file}");
    }
    let info = s.info();
    assert_eq!(info.input, [1, 28, 28]);
    assert_eq!(info.stages.len(), 3);
}

#[test]
fn canvas_pixels_are_the_same_image_as_the_file() {
    let path = samples().join("sneaker.png");
    let bytes = std::fs::read(&path).unwrap();
    let rgba = image::load_from_memory(&bytes).unwrap().into_rgba8();
    let (w, h) = rgba.dimensions();
    let mut s = Session::embedded("lenet5_modern").unwrap();
    let from_canvas = s.classify_rgba(w, h, rgba.into_raw(), 10).unwrap();
    let from_file = s.classify_file("sneaker.png", &bytes, 10).unwrap();
    assert_eq!(from_canvas, from_file);
    assert_eq!(from_file[0].label, "sneaker");
    // A buffer that is not width × height × 4 bytes is refused, naming the sizes.
    let e = s.classify_rgba(28, 28, vec![0; 100], 5).unwrap_err();
    assert!(e.to_string().contains("100 bytes"), "{e}");
}

#[test]
fn activation_maps_and_filters_have_the_stage_shapes() {
    let mut s = Session::embedded("lenet5_modern").unwrap();
    assert!(matches!(s.activations(0), Err(WebError::NoInput)));
    let bytes = std::fs::read(samples().join("dress.png")).unwrap();
    s.classify_file("dress.png", &bytes, 3).unwrap();
    let conv1 = s.activations(0).unwrap();
    assert_eq!(conv1.dims, [1, 6, 28, 28]);
    assert_eq!(conv1.data.len(), 6 * 28 * 28);
    // After ReLU: non-negative, and not all zero for a real image.
    assert!(conv1.data.iter().all(|&v| v >= 0.0));
    assert!(conv1.data.iter().any(|&v| v > 0.0));
    // conv2 is 5×5 without padding, on the 14×14 pooled map.
    assert_eq!(s.activations(1).unwrap().dims, [1, 16, 10, 10]);
    let e = s.activations(9).unwrap_err().to_string();
    assert!(e.contains("no feature stage 9"), "{e}");
    let filters = s.filters().unwrap();
    assert_eq!(filters.dims, [6, 1, 5, 5]);
}

#[test]
fn a_corrupt_or_foreign_file_is_an_error_naming_it() {
    let mut s = Session::embedded("lenet5_modern").unwrap();
    let bytes = std::fs::read(samples().join("bag.png")).unwrap();
    let e = s
        .classify_file("bag-cut.png", &bytes[..bytes.len() / 2], 5)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("bag-cut.png") && e.contains("cannot decode"),
        "{e}"
    );
    let e = s
        .classify_file("notes.txt", b"hello", 5)
        .unwrap_err()
        .to_string();
    assert_eq!(e, "notes.txt: not a PNG or JPEG image");
    let e = s
        .classify_file("empty.png", b"", 5)
        .unwrap_err()
        .to_string();
    assert!(e.contains("empty file"), "{e}");
}

#[test]
fn fetched_weights_load_and_bad_ones_are_refused() {
    // The embedded LeNet-5 saved, then fetched as bytes: the same answers.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lenet.bpk");
    let device = Device::default();
    let model = burn_zoo::pipeline::open("lenet5_modern", None, &device).unwrap();
    model.model.save(&file).unwrap();
    let bytes = std::fs::read(&file).unwrap();
    let mut s = Session::from_burnpack("lenet5_modern", "lenet.bpk", bytes.clone()).unwrap();
    let path = samples().join("sandal.png");
    let got: Vec<_> = s
        .classify_file("sandal.png", &std::fs::read(&path).unwrap(), 5)
        .unwrap()
        .into_iter()
        .map(|p| (p.index, p.probability))
        .collect();
    assert_eq!(got, native("lenet5_modern", None, &path));
    // Another network's weights, and a cut file: errors naming the file, no panic.
    let e = Session::from_burnpack("resnet20", "lenet.bpk", bytes.clone())
        .unwrap_err()
        .to_string();
    assert!(e.contains("lenet.bpk"), "{e}");
    let e = Session::from_burnpack(
        "lenet5_modern",
        "cut.bpk",
        bytes[..bytes.len() / 3].to_vec(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("cut.bpk"), "{e}");
}
