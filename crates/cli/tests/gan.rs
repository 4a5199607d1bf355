//! `zoo gan`: a short DCGAN run writes what it says (a grid per epoch, the losses, both
//! networks, the samples and their score), its saved generator gives back its samples, and
//! `zoo gan score` rates real images near 0 and refuses what it cannot score.

use std::path::{Path, PathBuf};
use std::process::Command;

use burn::tensor::Device;
use burn_zoo::ZooModel;
use burn_zoo::dcgan::dcgan_generator;
use burn_zoo::dcgan::train::sample;
use burn_zoo::lenet::idx;

fn zoo() -> Command {
    Command::new(env!("CARGO_BIN_EXE_zoo"))
}

fn fashion() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/fashion-mnist")
}

/// A folder with the committed test set as both splits (the training set is not in the
/// repository).
fn data_dir(dir: &Path) -> PathBuf {
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    for split in ["train", "t10k"] {
        std::fs::copy(
            fashion().join("t10k-images-idx3-ubyte.gz"),
            data.join(format!("{split}-images-idx3-ubyte.gz")),
        )
        .unwrap();
    }
    data
}

fn score_of(text: &str) -> f64 {
    let at = text.find("distance ").expect("a distance") + "distance ".len();
    text[at..]
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn a_short_run_writes_its_grids_losses_networks_and_scored_samples() {
    let dir = tempfile::tempdir().unwrap();
    let data = data_dir(dir.path());
    let out = dir.path().join("run");
    let run = zoo()
        .args(["gan", "train", "--data"])
        .arg(&data)
        .args(["--images", "256", "--epochs", "2", "--batch-size", "64"])
        .args(["--samples", "300", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    for file in [
        "epoch-1.png",
        "epoch-2.png",
        "generator.bpk",
        "discriminator.bpk",
    ] {
        assert!(out.join(file).exists(), "{file} missing");
    }
    let grid = image::open(out.join("epoch-2.png")).unwrap();
    assert_eq!((grid.width(), grid.height()), (8 * 57 - 1, 8 * 57 - 1));
    let losses = std::fs::read_to_string(out.join("losses.csv")).unwrap();
    assert_eq!(losses.lines().count(), 1 + 2 * 4, "{losses}");
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("record.json")).unwrap()).unwrap();
    let fd = record["frechet_distance"].as_f64().unwrap();
    assert!(fd.is_finite() && fd > 1.0, "{record}");
    assert_eq!(record["seconds_per_epoch"].as_array().unwrap().len(), 2);
    assert!((score_of(&stdout) - fd).abs() <= 5e-4, "{stdout}");

    // The saved generator draws the written samples again (the same codes, seed 2).
    let samples = idx::read(&out.join("samples-idx3-ubyte")).unwrap();
    assert_eq!(samples.dims, vec![300, 28, 28]);
    let device = Device::default();
    let g = dcgan_generator(&device)
        .load_weights(out.join("generator.bpk"), &Default::default())
        .unwrap();
    let again: Vec<u8> = sample(&g, 300, 2, &device)
        .iter()
        .map(|&v| ((v + 1.0) * 127.5).round().clamp(0.0, 255.0) as u8)
        .collect();
    assert_eq!(again, samples.data);

    // Scoring the samples again gives the run's figure.
    let score = zoo()
        .args(["gan", "score"])
        .arg(out.join("samples-idx3-ubyte"))
        .arg("--data")
        .arg(&data)
        .output()
        .unwrap();
    assert!(score.status.success());
    // Printed to three decimals.
    assert!((score_of(&String::from_utf8_lossy(&score.stdout)) - fd).abs() <= 5e-4);
}

#[test]
fn real_images_score_near_zero_and_bad_input_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = data_dir(dir.path());
    let real = zoo()
        .args(["gan", "score"])
        .arg(data.join("t10k-images-idx3-ubyte.gz"))
        .arg("--data")
        .arg(&data)
        .output()
        .unwrap();
    assert!(real.status.success());
    let fd = score_of(&String::from_utf8_lossy(&real.stdout));
    assert!(fd.abs() < 1e-6, "the test set against itself: {fd}");

    let small = dir.path().join("small-idx3-ubyte");
    idx::write(&small, &[3, 14, 14], &[0; 3 * 196]).unwrap();
    let bad = zoo().args(["gan", "score"]).arg(&small).output().unwrap();
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(!bad.status.success());
    assert!(
        err.contains("small-idx3-ubyte") && err.contains("[3, 14, 14]"),
        "{err}"
    );

    let none = zoo()
        .args(["gan", "train", "--data"])
        .arg(&data)
        .args(["--samples", "0", "--out"])
        .arg(dir.path().join("x"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&none.stderr);
    assert!(!none.status.success());
    assert!(err.contains("--samples 0"), "{err}");
}
