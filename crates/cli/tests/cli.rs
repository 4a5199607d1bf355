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

fn samples() -> Vec<std::path::PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/fashion-mnist/samples");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 5, "{files:?}");
    files
}

#[test]
fn classify_names_every_committed_sample_correctly() {
    let files = samples();
    let args: Vec<&str> = std::iter::once("classify")
        .chain(files.iter().map(|p| p.to_str().unwrap()))
        .collect();
    let (ok, out, err) = zoo(&args);
    assert!(ok, "{err}");
    for (file, line) in files.iter().zip(out.lines()) {
        // File names are the true class with '-' for ' ' (ankle-boot.png → "ankle boot").
        let truth = file
            .file_stem()
            .unwrap()
            .to_str()
            .unwrap()
            .replace('-', " ");
        let top1 = line.split_once(": ").unwrap().1.split(',').next().unwrap();
        assert!(top1.starts_with(&truth), "{} → {line}", file.display());
    }
    let (ok, out, _) = zoo(&[
        "classify",
        "--json",
        "--top-k",
        "2",
        files[0].to_str().unwrap(),
    ]);
    assert!(ok);
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(rows[0]["predictions"].as_array().unwrap().len(), 2);
}

#[test]
fn classify_rejects_bad_images_clearly() {
    let dir = std::env::temp_dir().join(format!("zoo-cli-img-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = dir.join("notes.png");
    std::fs::write(&text, "not an image at all").unwrap();
    let empty = dir.join("empty.jpg");
    std::fs::write(&empty, b"").unwrap();
    // A valid PNG signature and IHDR claiming 20000×20000 RGBA, and nothing else.
    let huge = dir.join("huge.png");
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    png.extend(20_000u32.to_be_bytes());
    png.extend(20_000u32.to_be_bytes());
    png.extend([8, 6, 0, 0, 0]);
    png.extend(crc32(&png[12..]).to_be_bytes());
    std::fs::write(&huge, &png).unwrap();
    let good = samples()[0].clone();
    for (bad, want) in [
        (&text, "cannot decode the image"),
        (&empty, "empty file"),
        (&huge, "larger than"),
    ] {
        let (ok, out, err) = zoo(&["classify", bad.to_str().unwrap(), good.to_str().unwrap()]);
        assert!(!ok, "a bad image fails the command");
        assert!(
            err.contains(want) && err.contains(bad.to_str().unwrap()),
            "{err}"
        );
        assert!(err.contains("1 of 2 images"), "{err}");
        assert!(
            out.contains(good.to_str().unwrap()),
            "the good image is still classified: {out}"
        );
    }
}

/// CRC-32 (PNG's chunk checksum), bitwise.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// `zoo convert` says which tensors it left out: GoogLeNet's auxiliary classifiers, and what
/// `--skip` names.
#[test]
fn convert_reports_left_out_tensors() {
    let fixtures = std::env::var_os("ZOO_FIXTURES").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures"),
        std::path::PathBuf::from,
    );
    let fixture = fixtures.join("googlenet/weights.pth");
    if !fixture.exists() {
        assert!(
            std::env::var("ZOO_REQUIRE_FIXTURES").as_deref() != Ok("1"),
            "{} missing",
            fixture.display()
        );
        eprintln!(
            "skipped: {} absent (run scripts/test.sh)",
            fixture.display()
        );
        return;
    }
    let dst = std::env::temp_dir().join(format!("zoo-cli-googlenet-{}.bpk", std::process::id()));
    let args = |extra: &[&'static str]| {
        let mut a = vec!["convert", "--model", "googlenet", "--from"];
        a.push(fixture.to_str().unwrap());
        a.extend(["--to", dst.to_str().unwrap()]);
        a.extend_from_slice(extra);
        a.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let run = |a: Vec<String>| zoo(&a.iter().map(String::as_str).collect::<Vec<_>>());
    let (ok, out, err) = run(args(&[]));
    assert!(ok, "{err}");
    assert!(
        out.contains("6624904 parameters")
            && out.contains("left out 18 tensors of the file: aux1."),
        "{out}"
    );
    // Skipping the classifier leaves the model without one: refused, nothing written.
    std::fs::remove_file(&dst).unwrap();
    let (ok, _, err) = run(args(&["--skip", r"^fc\."]));
    assert!(
        !ok && err.contains("tensors missing from the file") && err.contains("fc.weight"),
        "{err}"
    );
    assert!(!dst.exists());
}
