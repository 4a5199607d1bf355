//! Settings and data that can only give a meaningless figure are refused with an error and a
//! failing exit code, never answered with NaN and success.

use std::path::Path;
use std::process::Command;

fn zoo(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_zoo"))
        .args(args)
        .output()
        .unwrap();
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
