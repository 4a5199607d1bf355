//! `zoo viz` writes the grid it says it writes, and names what is wrong otherwise.

use std::process::Command;

fn zoo() -> Command {
    Command::new(env!("CARGO_BIN_EXE_zoo"))
}

#[test]
fn filters_and_activations_become_pngs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("filters.png");
    let status = zoo()
        .args([
            "viz",
            "filters",
            "--model",
            "lenet5_modern",
            "--scale",
            "4",
            "--out",
        ])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    // 6 filters of 5×5, magnified 4 times, in 3 × 2 tiles with 1-pixel gaps.
    assert_eq!(
        image::image_dimensions(&out).unwrap(),
        (3 * 21 - 1, 2 * 21 - 1)
    );

    let sample = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/data/fashion-mnist/samples/bag.png"
    );
    let out = dir.path().join("conv2.png");
    let status = zoo()
        .args([
            "viz",
            "activations",
            "--model",
            "lenet5_modern",
            "--stage",
            "1",
            "--scale",
            "2",
        ])
        .args(["--image", sample, "--out"])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    // conv2: 16 maps of 10×10, magnified twice, 4 × 4 tiles.
    assert_eq!(
        image::image_dimensions(&out).unwrap(),
        (4 * 21 - 1, 4 * 21 - 1)
    );

    let o = zoo()
        .args([
            "viz",
            "activations",
            "--model",
            "lenet5_modern",
            "--stage",
            "5",
        ])
        .args(["--image", sample, "--out"])
        .arg(dir.path().join("x.png"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("no feature stage 5") && err.contains("0: conv1"),
        "{err}"
    );
}

#[test]
fn saliency_and_grad_cam_become_heat_maps_over_the_input() {
    let dir = tempfile::tempdir().unwrap();
    let sample = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/data/fashion-mnist/samples/bag.png"
    );
    for what in ["saliency", "gradcam"] {
        let out = dir.path().join(format!("{what}.png"));
        let o = zoo()
            .args([
                "viz",
                what,
                "--model",
                "lenet5_modern",
                "--scale",
                "4",
                "--image",
                sample,
            ])
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        // The model's top class for the image is named; the picture is the 28×28 input, ×4.
        assert!(String::from_utf8_lossy(&o.stderr).contains("class 8 (bag)"));
        let img = image::open(&out).unwrap().into_rgb8();
        assert_eq!(img.dimensions(), (112, 112));
        let first = img.get_pixel(0, 0);
        assert!(img.pixels().any(|p| p != first), "{what}: a constant image");
    }
    let o = zoo()
        .args([
            "viz",
            "gradcam",
            "--model",
            "lenet5_modern",
            "--class",
            "12",
            "--image",
            sample,
        ])
        .arg("--out")
        .arg(dir.path().join("x.png"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("class 12 is not an output of the model (it has 10)"),
        "{err}"
    );
}

#[test]
fn occlusion_is_a_heat_map_over_the_image() {
    let dir = tempfile::tempdir().unwrap();
    let sample = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/data/fashion-mnist/samples/bag.png"
    );
    let out = dir.path().join("occlusion.png");
    let run = zoo()
        .args([
            "viz",
            "occlusion",
            "--model",
            "lenet5_modern",
            "--image",
            sample,
        ])
        .args(["--size", "7", "--stride", "3", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{err}");
    assert!(
        err.contains("class 8 (bag)") && err.contains("unoccluded"),
        "{err}"
    );
    let img = image::open(&out).unwrap().to_rgb8();
    // The 28×28 input magnified 4 times.
    assert_eq!(img.dimensions(), (112, 112));
    let first = img.get_pixel(0, 0);
    assert!(img.pixels().any(|p| p != first), "a constant image");
    // A patch larger than the image is refused, naming the sizes.
    let run = zoo()
        .args([
            "viz",
            "occlusion",
            "--model",
            "lenet5_modern",
            "--image",
            sample,
        ])
        .args(["--size", "40", "--out"])
        .arg(dir.path().join("no.png"))
        .output()
        .unwrap();
    assert!(!run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("40×40"));
}

#[test]
fn embeddings_are_written_for_numpy_with_a_pca_plot() {
    let dir = tempfile::tempdir().unwrap();
    let fashion = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/data/fashion-mnist"
    );
    let (out, plot) = (dir.path().join("e.npy"), dir.path().join("e.png"));
    let run = zoo()
        .args([
            "viz",
            "embed",
            "--model",
            "lenet5_modern",
            "--data",
            fashion,
        ])
        .args(["--limit", "300", "--out"])
        .arg(&out)
        .arg("--plot")
        .arg(&plot)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{err}");
    assert!(
        err.contains("300 embeddings of 84 values") && err.contains("9 ankle boot #"),
        "{err}"
    );
    // LeNet-5's 84 penultimate units for 300 images, float32 after NumPy's header.
    let header = |b: &[u8]| 10 + u16::from_le_bytes([b[8], b[9]]) as usize;
    let values = std::fs::read(&out).unwrap();
    assert_eq!(values.len(), header(&values) + 300 * 84 * 4);
    assert!(String::from_utf8_lossy(&values[..header(&values)]).contains("(300, 84)"));
    let labels = std::fs::read(dir.path().join("e.labels.npy")).unwrap();
    let start = header(&labels);
    assert_eq!(labels.len(), start + 300 * 8);
    // The committed set's first label is 9 (ankle boot).
    assert_eq!(labels[start..start + 8], 9i64.to_le_bytes());
    let img = image::open(&plot).unwrap().to_rgb8();
    assert_eq!(img.dimensions(), (512, 512));
    let mut colours: Vec<[u8; 3]> = img.pixels().map(|p| p.0).collect();
    colours.sort_unstable();
    colours.dedup();
    assert!(
        colours.len() >= 10,
        "{} colours: every class and the background",
        colours.len()
    );
}
