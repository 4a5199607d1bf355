//! Settings and data that can only give a meaningless figure are refused with an error and a
//! failing exit code, never answered with NaN and success.

use std::path::Path;
use std::process::{Command, Stdio};

#[path = "../../../tests/support/deadline.rs"]
mod deadline;
use deadline::finish;

fn zoo(args: &[&str]) -> (bool, String) {
    let child = Command::new(env!("CARGO_BIN_EXE_zoo"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = finish(child, 120);
    (out.status.success(), String::from_utf8(out.stderr).unwrap())
}

/// An IDX split of `n` 28×28 images (all zero) with labels 0.
fn idx_split(dir: &Path, split: &str, n: u32) {
    let mut images = vec![0, 0, 8, 3];
    for d in [n, 28, 28] {
        images.extend(d.to_be_bytes());
    }
    images.resize(images.len() + (n * 28 * 28) as usize, 0);
    let mut labels = vec![0, 0, 8, 1];
    labels.extend(n.to_be_bytes());
    labels.resize(labels.len() + n as usize, 0);
    std::fs::write(dir.join(format!("{split}-images-idx3-ubyte")), images).unwrap();
    std::fs::write(dir.join(format!("{split}-labels-idx1-ubyte")), labels).unwrap();
}

#[test]
fn train_refuses_a_useless_learning_rate_and_an_empty_training_set() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let out = dir.path().join("out.bpk");
    let out = out.to_str().unwrap();
    idx_split(dir.path(), "train", 4);
    idx_split(dir.path(), "t10k", 2);
    let train = |lr: &str| {
        let args = [
            "train",
            "lenet5",
            "--dataset",
            "mnist",
            "--data",
            data,
            "--epochs",
            "1",
        ];
        let lr = format!("--lr={lr}");
        zoo(&[&args[..], &[lr.as_str(), "--out", out]].concat())
    };
    for lr in ["nan", "inf", "0", "-1e-3"] {
        let (ok, err) = train(lr);
        assert!(!ok && err.contains("learning rate"), "--lr {lr}: {err}");
    }
    idx_split(dir.path(), "train", 0);
    let (ok, err) = train("1e-3");
    assert!(!ok && err.contains("training set is empty"), "{err}");
    // A label past the ten classes would index out of the loss: refused, named.
    idx_split(dir.path(), "train", 4);
    let labels = dir.path().join("train-labels-idx1-ubyte");
    let mut bytes = std::fs::read(&labels).unwrap();
    *bytes.last_mut().unwrap() = 12;
    std::fs::write(&labels, bytes).unwrap();
    let (ok, err) = train("1e-3");
    assert!(!ok && err.contains("train label 12"), "{err}");
    assert!(!Path::new(out).exists(), "no weights are written");
}

#[test]
fn eval_refuses_a_zero_or_non_finite_normalisation() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    for (flag, value, says) in [
        ("--std", "0,1,1", "must be positive"),
        ("--std", "0.2,-1,0.2", "must be positive"),
        ("--std", "nan,1,1", "not a finite number"),
        ("--mean", "0.5,inf,0.5", "not a finite number"),
    ] {
        let (ok, err) = zoo(&["eval", "--model", "resnet20", "--data", data, flag, value]);
        assert!(!ok && err.contains(says), "{flag} {value}: {err}");
    }
}

#[test]
fn convert_refuses_hostile_weight_files_naming_them() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../weights/tests/data");
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.pth");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let text = dir.path().join("notes.pth");
    std::fs::write(&text, "not a checkpoint").unwrap();
    let to = dir.path().join("out.bpk");
    for (from, says) in [
        (data.join("identity_cycle.onnx"), "form a cycle"),
        (data.join("huge_dims.onnx"), "overflows"),
        (data.join("external_absolute.onnx"), "only a relative path"),
        (data.join("gemm_rank1.onnx"), "Gemm needs a matrix"),
        (fifo, "not a regular file"),
        (text.clone(), "not a PyTorch checkpoint"),
    ] {
        let (ok, err) = zoo(&[
            "convert",
            "--model",
            "resnet18",
            "--from",
            from.to_str().unwrap(),
            "--to",
            to.to_str().unwrap(),
        ]);
        assert!(!ok, "{}", from.display());
        assert!(
            err.contains(says) && err.contains(from.file_name().unwrap().to_str().unwrap()),
            "{}: {err}",
            from.display()
        );
        assert!(!err.contains("panicked"), "{err}");
        assert!(!to.exists(), "nothing written");
    }
}

#[test]
fn classify_refuses_weights_without_a_model() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/fashion-mnist/samples/bag.png");
    for weights in ["missing.pth", "IMAGENET1K_V1"] {
        let (ok, err) = zoo(&["classify", "--weights", weights, sample.to_str().unwrap()]);
        assert!(
            !ok && err.contains("needs --model") && err.contains(weights),
            "{err}"
        );
    }
}
