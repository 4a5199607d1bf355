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
