//! The `zoo` binary, run as a user runs it.

use std::process::Command;

use burn::tensor::Device;
use burn_zoo::{ImportOptions, VARIANTS, ZooModel, resnet::resnet18};

fn zoo(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_zoo"))
        .args(args)
        .output()
        .unwrap();
    let s = |b: Vec<u8>| String::from_utf8(b).unwrap();
    (out.status.success(), s(out.stdout), s(out.stderr))
}

#[test]
fn list_prints_every_variant() {
    let (ok, out, _) = zoo(&["list"]);
    assert!(ok);
    for v in VARIANTS {
        assert!(
            out.lines()
                .any(|l| l.starts_with(v.name) && l.contains(&v.params.to_string())),
            "{out}"
        );
    }
    let (ok, out, _) = zoo(&["list", "--json"]);
    assert!(ok);
    assert_eq!(out.lines().count(), VARIANTS.len());
}

#[test]
fn convert_writes_a_loadable_burnpack_and_rejects_misfits() {
    let dir = std::env::temp_dir().join(format!("zoo-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("src.bpk");
    let dst = dir.join("dst.bpk");
    let device = Device::default();
    resnet18(1000, &device).save_file(&src).unwrap();

    let (ok, out, err) = zoo(&[
        "convert",
        "--model",
        "resnet18",
        "--from",
        src.to_str().unwrap(),
        "--to",
        dst.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("11689512 parameters"), "{out}");
    resnet18(1000, &device)
        .load_file(&dst, &ImportOptions::default())
        .unwrap();

    let (ok, _, err) = zoo(&[
        "convert",
        "--model",
        "resnet34",
        "--from",
        src.to_str().unwrap(),
        "--to",
        dir.join("no.bpk").to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(
        err.contains("does not fit resnet34") && err.contains("layer1.2."),
        "{err}"
    );
    assert!(!dir.join("no.bpk").exists(), "nothing written on failure");

    let (ok, _, err) = zoo(&["convert", "--model", "resnet17", "--from", "x", "--to", "y"]);
    assert!(!ok && err.contains("unknown model `resnet17`"), "{err}");
}
