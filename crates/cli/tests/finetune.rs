//! `zoo finetune`: a run killed mid-way and resumed ends as an uninterrupted one, and `zoo eval`
//! on the saved model reproduces the accuracy the run reported.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn zoo() -> Command {
    Command::new(env!("CARGO_BIN_EXE_zoo"))
}

fn fashion() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/fashion-mnist")
}

/// A folder whose `train` split is the committed Fashion-MNIST test set (the training set is
/// not in the repository); `--per-class` then takes a small part of it.
fn train_dir(dir: &Path) -> PathBuf {
    let train = dir.join("train");
    std::fs::create_dir_all(&train).unwrap();
    for kind in ["images-idx3", "labels-idx1"] {
        std::fs::copy(
            fashion().join(format!("t10k-{kind}-ubyte.gz")),
            train.join(format!("train-{kind}-ubyte.gz")),
        )
        .unwrap();
    }
    train
}

fn finetune(train: &Path, out: &Path) -> Command {
    let mut cmd = zoo();
    cmd.args(["finetune", "--model", "lenet5_modern", "--data"])
        .arg(train)
        .arg("--val")
        .arg(fashion())
        .args(["--classes", "10", "--mode", "full", "--epochs", "4"])
        .args([
            "--per-class",
            "200",
            "--batch",
            "32",
            "--lr",
            "0.02",
            "--out",
        ])
        .arg(out);
    cmd
}

fn record(out: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(out.with_extension("json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn a_killed_run_resumes_and_zoo_eval_reproduces_its_accuracy() {
    let dir = tempfile::tempdir().unwrap();
    let train = train_dir(dir.path());
    let whole = dir.path().join("whole.bpk");
    assert!(finetune(&train, &whole).status().unwrap().success());

    // Killed (SIGKILL: nothing runs after it) once the first epoch's checkpoint exists.
    let cut = dir.path().join("cut.bpk");
    let mut child = finetune(&train, &cut)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let latest = dir.path().join("cut.bpk.ckpt/latest");
    let start = Instant::now();
    while !latest.exists() {
        assert!(start.elapsed() < Duration::from_secs(300), "no checkpoint");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    assert!(!child.wait().unwrap().success());
    assert!(
        !cut.with_extension("json").exists(),
        "the run finished before it was killed"
    );

    // Started again without --resume, it refuses rather than overwrite the checkpoint.
    let again = finetune(&train, &cut).output().unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("holds a checkpoint"));

    let resumed = finetune(&train, &cut).arg("--resume").output().unwrap();
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    assert!(String::from_utf8_lossy(&resumed.stderr).contains("resuming after epoch"));
    let (mut a, mut b) = (record(&whole), record(&cut));
    for r in [&mut a, &mut b] {
        for epoch in r["outcome"]["history"].as_array_mut().unwrap() {
            epoch["seconds"] = 0.into();
        }
    }
    assert_eq!(a["outcome"]["history"], b["outcome"]["history"]);
    assert_eq!(a["outcome"]["correct"], b["outcome"]["correct"]);
    assert_eq!(b["outcome"]["images"], 10_000);

    // `zoo eval` on the saved file counts what the run reported.
    let eval = zoo()
        .args([
            "eval",
            "--model",
            "lenet5_modern",
            "--num-classes",
            "10",
            "--json",
            "--weights",
        ])
        .arg(&cut)
        .arg("--data")
        .arg(fashion())
        .output()
        .unwrap();
    assert!(
        eval.status.success(),
        "{}",
        String::from_utf8_lossy(&eval.stderr)
    );
    let stdout = String::from_utf8_lossy(&eval.stdout);
    let summary: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(summary["summary"]["top1"], b["outcome"]["correct"]);
    // `zoo classify` takes the file alone: the record beside it gives the head's size (IDX
    // data has no class names: the outputs keep Fashion-MNIST's).
    let sample = fashion().join("samples/bag.png");
    let classify = zoo()
        .args(["classify", "--model", "lenet5_modern", "--weights"])
        .arg(&cut)
        .arg(&sample)
        .output()
        .unwrap();
    assert!(
        classify.status.success(),
        "{}",
        String::from_utf8_lossy(&classify.stderr)
    );
    assert!(String::from_utf8_lossy(&classify.stdout).contains("bag"));
    // Fine-tuned from the embedded weights (90.8 % on this set) with a new head.
    let top1 = summary["summary"]["top1_pct"].as_f64().unwrap();
    assert!(top1 > 80.0, "{top1}");
}

#[test]
fn labels_beyond_the_new_head_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let train = train_dir(dir.path());
    let out = dir.path().join("x.bpk");
    let run = zoo()
        .args([
            "finetune",
            "--model",
            "lenet5_modern",
            "--classes",
            "5",
            "--data",
        ])
        .arg(&train)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(!run.status.success());
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("is not one of the 5 classes"), "{err}");
    assert!(!out.exists());
}
