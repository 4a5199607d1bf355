//! The `zoo` binary, run as a user runs it.

use std::process::Command;

use burn::tensor::Device;
use burn_zoo::{ImportOptions, ZooModel, resnet::resnet18, variants};

/// A fresh temporary directory, deleted with its contents when dropped (a failing test's too).
fn scratch_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("zoo-cli-")
        .tempdir()
        .unwrap()
}

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
    for v in variants() {
        assert!(
            out.lines()
                .any(|l| l.starts_with(v.name) && l.contains(&v.params.to_string())),
            "{out}"
        );
    }
    let (ok, out, _) = zoo(&["list", "--json"]);
    assert!(ok);
    assert_eq!(out.lines().count(), variants().count());
}

#[test]
fn convert_writes_a_loadable_burnpack_and_rejects_misfits() {
    let dir_tmp = scratch_dir();
    let dir = dir_tmp.path().to_path_buf();
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("src.bpk");
    let dst = dir.join("dst.bpk");
    let device = Device::default();
    resnet18(1000, &device).save_weights(&src).unwrap();

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
        .load_weights(&dst, &ImportOptions::default())
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
    // One JSON object per image, written as each is classified.
    let row: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(row["predictions"].as_array().unwrap().len(), 2);
}

#[test]
fn classify_rejects_bad_images_clearly() {
    let dir_tmp = scratch_dir();
    let dir = dir_tmp.path().to_path_buf();
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
    // A JPEG cut in half: Pillow refuses it, and so must we (not classify a grey-padded guess).
    let cut = dir.join("cut.jpg");
    let noise = image::RgbImage::from_fn(64, 64, |x, y| {
        image::Rgb([(x * 37 + y * 11) as u8, (x * y) as u8, (x ^ y) as u8])
    });
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
        .encode_image(&noise)
        .unwrap();
    std::fs::write(&cut, &jpeg[..jpeg.len() / 2]).unwrap();
    let good = samples()[0].clone();
    for (bad, want) in [
        (&text, "cannot decode the image"),
        (&empty, "empty file"),
        (&huge, "larger than"),
        (&cut, "truncated"),
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
    let fixtures = fixtures_dir();
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
    let dst_tmp = scratch_dir();
    let dst = dst_tmp.path().join("cli-googlenet.bpk");
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
    // Skipping the classifier keeps the model's own, initialised, and says so.
    std::fs::remove_file(&dst).unwrap();
    let (ok, out, err) = run(args(&["--skip", r"^fc\."]));
    assert!(ok, "{err}");
    assert!(
        out.contains("kept 2 tensors of the model as initialised: fc.weight, fc.bias")
            || out.contains("kept 2 tensors of the model as initialised: fc.bias, fc.weight"),
        "{out}"
    );
    assert!(dst.exists());
    // A pattern that matches nothing of the file or the model changes nothing.
    let (ok, out, err) = run(args(&["--skip", r"^nothing\."]));
    assert!(ok && out.contains("left out 18 tensors"), "{out}{err}");
}

fn shared_data() -> Option<std::path::PathBuf> {
    let dir = std::env::var_os("ZOO_SHARED").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
        std::path::PathBuf::from,
    );
    if dir.join("cifar10").exists() {
        return Some(dir);
    }
    assert!(
        std::env::var("ZOO_REQUIRE_SHARED").as_deref() != Ok("1"),
        "{} missing and ZOO_REQUIRE_SHARED=1",
        dir.display()
    );
    eprintln!("skipped: {} absent", dir.display());
    None
}

/// `zoo eval` on real data: the 1,017 lossless CIFAR-10 test images written as an ImageFolder
/// of PNGs, with akamaster's ResNet-20: exactly PyTorch's 932 correct (91.64 %).
#[test]
fn eval_reproduces_the_cifar_resnet20_accuracy() {
    let Some(shared) = shared_data() else { return };
    let raw = std::fs::read(shared.join("cifar10/test_batch_first1017_images.u8")).unwrap();
    let labels = std::fs::read_to_string(shared.join("cifar10/labels_first1017.tsv")).unwrap();
    let dir_tmp = scratch_dir();
    let dir = dir_tmp.path().to_path_buf();
    for (i, line) in labels.lines().skip(1).enumerate() {
        let label = line.split('\t').nth(2).unwrap();
        let class_dir = dir.join(label);
        std::fs::create_dir_all(&class_dir).unwrap();
        let chw = &raw[i * 3072..(i + 1) * 3072];
        let img = image::RgbImage::from_fn(32, 32, |x, y| {
            let p = (y * 32 + x) as usize;
            image::Rgb([chw[p], chw[1024 + p], chw[2048 + p]])
        });
        img.save(class_dir.join(format!("{i:05}.png"))).unwrap();
    }
    let weights = shared.join("cifar10-resnet/resnet20-12fca82f.th");
    let (ok, out, err) = zoo(&[
        "eval",
        "--model",
        "resnet20",
        "--weights",
        weights.to_str().unwrap(),
        "--data",
        dir.to_str().unwrap(),
    ]);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(ok, "{err}");
    assert!(out.contains("top-1 91.64% (932/1017)"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("3 3") && l.contains("104")),
        "per-class table: {out}"
    );
}

/// A folder with a labels file (`labels.tsv` with a header), `--limit`, and a missing model.
#[test]
fn eval_reads_a_labels_file_and_limits() {
    let Some(shared) = shared_data() else { return };
    let fixtures = fixtures_dir();
    let weights = fixtures.join("resnet18/weights.safetensors");
    if !weights.exists() {
        eprintln!("skipped: {} absent", weights.display());
        return;
    }
    let data = shared.join("imagenet-val10");
    let (ok, out, err) = zoo(&[
        "eval",
        "--model",
        "resnet18",
        "--weights",
        weights.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--limit",
        "4",
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("on 4 images") && out.contains("/4)"), "{out}");
    // Class 65 is "sea snake" in torchvision's category list.
    assert!(out.contains("65 sea snake"), "{out}");
    let (ok, _, err) = zoo(&["eval", "--model", "resnet17", "--data", "x"]);
    assert!(!ok && err.contains("unknown model"), "{err}");
}

#[test]
fn info_prints_preprocessing_and_list_prints_weights() {
    let (ok, out, _) = zoo(&["info", "resnet50"]);
    assert!(ok);
    for needle in [
        "resnet50.IMAGENET1K_V2 (default)",
        "resize shorter side to 232 (Bilinear), center crop 224",
        "sha256 prefix   11ad3fa6",
        "acc@1 / acc@5   80.86 / 95.43",
    ] {
        assert!(out.contains(needle), "{needle} not in {out}");
    }
    // A weights file that does not exist is reported as a file, not as an unknown name.
    let (ok, _, err) = zoo(&[
        "classify",
        "--model",
        "resnet50",
        "--weights",
        "missing.pth",
        "x.png",
    ]);
    assert!(!ok && err.contains("cannot open missing.pth"), "{err}");
    let (ok, _, err) = zoo(&[
        "classify",
        "--model",
        "resnet50",
        "--weights",
        "IMAGENET1K_V9",
        "x.png",
    ]);
    assert!(
        !ok && err.contains("unknown weights `resnet50.IMAGENET1K_V9`"),
        "{err}"
    );
    let (ok, out, _) = zoo(&["list"]);
    assert!(ok);
    let line = out.lines().find(|l| l.starts_with("resnet50 ")).unwrap();
    assert!(
        line.contains("IMAGENET1K_V1, IMAGENET1K_V2*")
            && line.contains("80.86")
            && line.contains("97.8"),
        "{line}"
    );
}

fn read_f32(path: &std::path::Path) -> Vec<f32> {
    std::fs::read(path)
        .unwrap()
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// `scripts/convert-weights.sh` converts a folder of checkpoints (fixtures of five families,
/// `.pth`, `.safetensors` and a BN-folded ONNX export, DenseNet's legacy keys) and the converted models give the
/// reference logits; a checkpoint named for the wrong model is reported and fails the run.
#[test]
fn convert_script_converts_a_folder_and_the_results_match() {
    let fixtures = fixtures_dir();
    if !fixtures.join("googlenet/meta.json").exists() {
        assert!(
            std::env::var("ZOO_REQUIRE_FIXTURES").as_deref() != Ok("1"),
            "fixtures missing"
        );
        eprintln!("skipped: no fixtures (run scripts/test.sh)");
        return;
    }
    let dir_tmp = scratch_dir();
    let dir = dir_tmp.path().to_path_buf();
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let files = [
        ("resnet18/weights.pth", "resnet18-fixture.pth"),
        (
            "resnet34/weights.safetensors",
            "resnet34-fixture.safetensors",
        ),
        ("densenet121/weights-legacy.pth", "densenet121-legacy.pth"),
        ("googlenet/weights.pth", "googlenet-fixture.pth"),
        ("xception/model-folded.onnx", "xception-folded.onnx"),
    ];
    for (src, name) in files {
        std::fs::copy(fixtures.join(src), dir.join(name)).unwrap();
    }
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/convert-weights.sh");
    let run = || {
        Command::new("bash")
            .arg(&script)
            .arg(&dir)
            .arg(dir.join("out"))
            .env("ZOO_BIN", env!("CARGO_BIN_EXE_zoo"))
            .output()
            .unwrap()
    };
    let out = run();
    let table = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{table}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        table.lines().filter(|l| l.contains(" ok ")).count(),
        5,
        "{table}"
    );
    assert!(table.contains("left out 18 tensors"), "{table}");

    let device = Device::default();
    for (src, name) in files {
        let model_name = name.split('-').next().unwrap();
        let v = burn_zoo::variant(model_name).unwrap();
        let size = v.input.size;
        let stem = name.rsplit_once('.').unwrap().0;
        let bpk = dir.join("out").join(format!("{stem}.bpk"));
        let (model, _) = v
            .build(1000, &device)
            .load(&bpk, &ImportOptions::default())
            .unwrap();
        let x = read_f32(&fixtures.join(format!("input-{size}.f32")));
        let x = burn::tensor::Tensor::<4>::from_data(
            burn::tensor::TensorData::new(x, [2, 3, size, size]),
            &device,
        );
        let got = model.forward(x).into_data().try_to_vec::<f32>().unwrap();
        let reference = read_f32(&fixtures.join(src).with_file_name("logits.f32"));
        let scale = reference.iter().fold(1f32, |m, v| m.max(v.abs()));
        let max = got
            .iter()
            .zip(&reference)
            .fold(0f32, |m, (a, b)| m.max((a - b).abs()));
        assert!(max <= 1e-4 * scale, "{name}: max |Δ| {max}");
    }

    // A checkpoint named for another model: reported, the run fails, the others still convert.
    std::fs::copy(
        fixtures.join("resnet18/weights.pth"),
        dir.join("resnet50-wrong.pth"),
    )
    .unwrap();
    let out = run();
    let table = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!out.status.success());
    let line = table
        .lines()
        .find(|l| l.starts_with("resnet50-wrong.pth"))
        .unwrap();
    assert!(
        line.contains("FAILED") && line.contains("does not fit resnet50"),
        "{line}"
    );

    // A name that is no variant is not guessed further; `.th` files are taken; other files
    // are listed as skipped; --model names the model of every file; OUT_DIR = IN_DIR refused.
    let other = dir.join("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::copy(
        fixtures.join("resnet20/weights.pth"),
        other.join("model_best.th"),
    )
    .unwrap();
    std::fs::write(other.join("notes.txt"), "not weights").unwrap();
    let script_run = |args: &[&std::path::Path]| {
        let out = Command::new("bash")
            .arg(&script)
            .args(args)
            .env("ZOO_BIN", env!("CARGO_BIN_EXE_zoo"))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.success(), text)
    };
    let (ok, text) = script_run(&[&other, &dir.join("out2")]);
    assert!(
        !ok && text.contains("`model_best` (from the file name) is not a variant: pass --model"),
        "{text}"
    );
    assert!(
        text.contains("notes.txt") && text.contains("skipped"),
        "{text}"
    );
    let (ok, text) = script_run(&[
        std::path::Path::new("--model"),
        std::path::Path::new("resnet20"),
        &other,
        &dir.join("out2"),
    ]);
    assert!(ok && dir.join("out2/model_best.bpk").exists(), "{text}");
    let (ok, text) = script_run(&[&other, &other]);
    assert!(!ok && text.contains("OUT_DIR is IN_DIR"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `$ZOO_FIXTURES`, else the repository's `tests/fixtures`.
fn fixtures_dir() -> std::path::PathBuf {
    std::env::var_os("ZOO_FIXTURES").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures"),
        std::path::PathBuf::from,
    )
}

/// `zoo classify --model`: any variant with a weights file; without one, the published default
/// is fetched — offline that is an error naming the file's URL and where to put it.
#[test]
fn classify_with_a_model_and_its_weights() {
    let Some(shared) = shared_data() else { return };
    let weights = fixtures_dir().join("resnet18/weights.safetensors");
    if !weights.exists() {
        eprintln!("skipped: {} absent", weights.display());
        return;
    }
    let image = shared.join("imagenet-val10/ILSVRC2012_val_00000001.JPEG");
    let (ok, out, err) = zoo(&[
        "classify",
        "--model",
        "resnet18",
        "--weights",
        weights.to_str().unwrap(),
        "--top-k",
        "2",
        "--json",
        image.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let row: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    let preds = row["predictions"].as_array().unwrap();
    assert_eq!(preds.len(), 2);
    let index = preds[0]["index"].as_u64().unwrap() as usize;
    assert_eq!(
        preds[0]["class"],
        burn_zoo::hub::categories()[index].as_str()
    );

    let home_tmp = scratch_dir();
    let home = home_tmp.path().to_path_buf();
    let out = Command::new(env!("CARGO_BIN_EXE_zoo"))
        .args(["classify", "--model", "resnet18", image.to_str().unwrap()])
        .env("ZOO_HOME", &home)
        .env("ZOO_OFFLINE", "1")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("https://download.pytorch.org/models/resnet18-f37072fd.pth")
            && err.contains(
                &home
                    .join("checkpoints/resnet18-f37072fd.pth")
                    .display()
                    .to_string()
            ),
        "{err}"
    );
}

/// `zoo bench` runs and reports every figure (values are not asserted: benchmarks, not tests).
#[test]
fn bench_reports_latency_throughput_load_time_and_memory() {
    let (ok, out, err) = zoo(&[
        "bench", "--model", "resnet20", "--batch", "1,2", "--runs", "2", "--warmup", "1", "--json",
    ]);
    assert!(ok, "{err}");
    let row: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(row["variant"], "resnet20");
    for key in [
        "build_ms",
        "load_bpk_ms",
        "batch1_ms",
        "batch2_ms",
        "batch2_images_per_s",
        "batch1_cpu_per_wall",
        "bpk_mib",
    ] {
        assert!(row[key].as_f64().is_some_and(|v| v > 0.0), "{key}: {row}");
    }
    let (ok, _, err) = zoo(&["bench", "--model", "resnet17"]);
    assert!(!ok && err.contains("unknown model"), "{err}");
    // One thread asked for is at most one thread used: CPU time cannot pass wall time by much
    // (no lower bound: a busy machine may deschedule the process).
    let (ok, out, err) = zoo(&[
        "bench",
        "--model",
        "resnet20",
        "--batch",
        "1",
        "--runs",
        "3",
        "--threads",
        "1",
        "--json",
    ]);
    assert!(ok, "{err}");
    let row: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    let busy = row["batch1_cpu_per_wall"].as_f64().unwrap();
    assert!(busy > 0.0 && busy < 1.3, "{row}");
}

/// The per-layer benchmark's smoke run: ResNet-20's distinct convolutions, each timed on the
/// engine and on flex, against the FMA peak.
#[test]
fn bench_layers_times_each_distinct_convolution() {
    let (ok, out, err) = zoo(&[
        "bench-layers",
        "--models",
        "resnet20",
        "--batch",
        "1",
        "--runs",
        "1",
        "--warmup",
        "0",
        "--json",
    ]);
    assert!(ok, "{err}");
    let rows: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Stem 3→16, then 16→16, 16→32 (stride 2), 32→32, 32→64 (stride 2), 64→64: six shapes,
    // 19 convolutions (option A shortcuts have none).
    assert_eq!(rows.len(), 6, "{out}");
    let total: u64 = rows.iter().map(|r| r["count"].as_u64().unwrap()).sum();
    assert_eq!(total, 19, "{out}");
    for r in &rows {
        for key in ["engine_gflops", "flex_gflops", "peak_gflops", "gflop"] {
            assert!(r[key].as_f64().is_some_and(|v| v > 0.0), "{key}: {r}");
        }
    }
}

/// Standard output that cannot be written is an error with a message, not a panic
/// (`zoo list > /dev/full`); a reader that goes away (`zoo list | head -1`) ends the command
/// quietly with success.
#[test]
fn unwritable_or_closed_stdout_is_not_a_panic() {
    if !std::path::Path::new("/dev/full").exists() {
        return;
    }
    for args in [&["list"][..], &["info", "resnet50"], &["list", "--json"]] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_zoo"))
            .args(args)
            .stdout(full)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains("cannot write to standard output") && !err.contains("panicked"),
            "{err}"
        );
    }
    // The read end closed before the first line is written.
    let mut child = Command::new(env!("CARGO_BIN_EXE_zoo"))
        .args(["classify", "tests/data/fashion-mnist/samples/bag.png"])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && !err.contains("panicked"),
        "{:?}: {err}",
        out.status
    );
}

/// `zoo convert` replaces only regular files, and never its own input.
#[test]
fn convert_refuses_its_input_and_non_regular_targets() {
    let dir = scratch_dir();
    let src = dir.path().join("src.bpk");
    resnet20_file(&src);
    let before = std::fs::read(&src).unwrap();
    let convert = |to: &str| {
        zoo(&[
            "convert",
            "--model",
            "resnet20",
            "--from",
            src.to_str().unwrap(),
            "--to",
            to,
        ])
    };
    let (ok, _, err) = convert(src.to_str().unwrap());
    assert!(!ok && err.contains("same file as --from"), "{err}");
    let alias = dir.path().join("./src.bpk");
    let (ok, _, err) = convert(alias.to_str().unwrap());
    assert!(!ok && err.contains("same file as --from"), "{err}");
    assert_eq!(
        std::fs::read(&src).unwrap(),
        before,
        "the input was changed"
    );
    for target in ["/dev/null", dir.path().to_str().unwrap()] {
        let (ok, _, err) = convert(target);
        assert!(!ok && err.contains("not a regular file"), "{target}: {err}");
    }
    assert!(std::path::Path::new("/dev/null").exists());
    // Nothing half-written is left beside the target.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["src.bpk"], "{names:?}");
}

fn resnet20_file(path: &std::path::Path) {
    burn_zoo::resnet::resnet20(10, &Device::default())
        .save_weights(path)
        .unwrap();
}

/// A label the model has no class for is an error naming the image, before any is read.
#[test]
fn eval_refuses_labels_past_the_class_count() {
    let dir = scratch_dir();
    let weights = dir.path().join("resnet20.bpk");
    resnet20_file(&weights);
    let image = dir.path().join("bag.png");
    let sample = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/data/fashion-mnist/samples/bag.png"
    );
    std::fs::copy(sample, &image).unwrap();
    std::fs::write(dir.path().join("labels.tsv"), "bag.png\t1000\n").unwrap();
    let (ok, _, err) = zoo(&[
        "eval",
        "--model",
        "resnet20",
        "--weights",
        weights.to_str().unwrap(),
        "--data",
        dir.path().to_str().unwrap(),
    ]);
    assert!(
        !ok && err.contains("bag.png: label 1000 is not a class of resnet20 (classes 0–9)"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

/// `zoo eval` takes greyscale models too: the embedded LeNet-5 on the Fashion-MNIST samples
/// (a labels file), with per-image lines and JSON output; `zoo classify` takes the folder.
#[test]
fn eval_and_classify_take_greyscale_models_and_folders() {
    let fashion = burn_zoo::Labels::FashionMnist.names();
    let tmp = scratch_dir();
    let dir = tmp.path().to_path_buf();
    std::fs::create_dir_all(&dir).unwrap();
    let mut labels = String::new();
    let files = samples();
    for f in &files {
        let name = f.file_name().unwrap().to_str().unwrap();
        let class = f.file_stem().unwrap().to_str().unwrap().replace('-', " ");
        let index = fashion.iter().position(|c| c.starts_with(&class)).unwrap();
        std::fs::copy(f, dir.join(name)).unwrap();
        labels.push_str(&format!("{name}\t{index}\n"));
    }
    std::fs::write(dir.join("labels.tsv"), labels).unwrap();
    let n = files.len();
    let data = dir.to_str().unwrap();
    let (ok, out, err) = zoo(&[
        "eval",
        "--model",
        "lenet5_modern",
        "--data",
        data,
        "--per-image",
    ]);
    assert!(ok, "{err}");
    assert!(out.contains(&format!("top-1 100.00% ({n}/{n})")), "{out}");
    assert_eq!(
        out.lines().filter(|l| l.contains(": ✓ ")).count(),
        n,
        "{out}"
    );
    assert!(
        err.contains("greyscale 28×28"),
        "the preprocessing is named: {err}"
    );
    let (ok, out, err) = zoo(&["eval", "--model", "lenet5_modern", "--data", data, "--json"]);
    assert!(ok, "{err}");
    let rows: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), n + 1);
    assert!(rows[..n].iter().all(|r| r["top1_correct"] == true), "{out}");
    assert_eq!(rows[n]["summary"]["top1"], n);
    assert_eq!(rows[n]["summary"]["weights"], "embedded");
    // classify walks the folder's images (labels.tsv is not one), and with a fine-tuned head
    // of 10 outputs named by index when asked for another class count.
    let (ok, out, err) = zoo(&["classify", "--json", data]);
    assert!(ok, "{err}");
    assert_eq!(
        out.lines().filter(|l| l.contains("predictions")).count(),
        n,
        "{out}"
    );
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let (ok, _, err) = zoo(&["classify", empty.to_str().unwrap()]);
    assert!(!ok && err.contains("no PNG or JPEG images"), "{err}");
}

/// A fine-tuned head end to end: `zoo convert --num-classes 5 --skip '^fc\.'` keeps the
/// backbone and a fresh 5-class head; `zoo classify --num-classes 5` runs it, classes by index.
#[test]
fn a_converted_five_class_model_classifies_with_num_classes() {
    let Some(shared) = shared_data() else { return };
    let weights = fixtures_dir().join("resnet18/weights.pth");
    if !weights.exists() {
        eprintln!("skipped: {} absent", weights.display());
        return;
    }
    let tmp = scratch_dir();
    std::fs::create_dir_all(tmp.path()).unwrap();
    let bpk = tmp.path().join("resnet18-5.bpk");
    let (ok, out, err) = zoo(&[
        "convert",
        "--model",
        "resnet18",
        "--from",
        weights.to_str().unwrap(),
        "--to",
        bpk.to_str().unwrap(),
        "--num-classes",
        "5",
        "--skip",
        r"^fc\.",
    ]);
    assert!(ok && out.contains("as initialised"), "{out}{err}");
    let image = shared.join("imagenet-val10/ILSVRC2012_val_00000001.JPEG");
    let args = [
        "classify",
        "--model",
        "resnet18",
        "--weights",
        bpk.to_str().unwrap(),
        "--json",
    ];
    let (ok, _, err) = zoo(&[&args[..], &[image.to_str().unwrap()]].concat());
    assert!(
        !ok && err.contains("file has [512, 5]"),
        "without --num-classes the head does not fit: {err}"
    );
    let (ok, out, err) = zoo(&[
        &args[..],
        &[
            "--num-classes",
            "5",
            "--top-k",
            "9",
            image.to_str().unwrap(),
        ],
    ]
    .concat());
    assert!(ok, "{err}");
    let row: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    let preds = row["predictions"].as_array().unwrap();
    assert_eq!(preds.len(), 5);
    assert!(
        preds
            .iter()
            .all(|p| p["class"].as_str().unwrap().parse::<usize>().unwrap() < 5)
    );
}

/// `zoo eval` reads MNIST-style IDX folders: the third-party fyh620 LeNet, a weights file of
/// the `lenet5_fyh620` variant, on the 10,000 MNIST test digits gives the 98.13 % PyTorch gives
/// (../shared/data/README.md); the embedded LeNet-5 on the committed Fashion-MNIST test set
/// gives its recorded 90.82 %.
#[test]
fn eval_reads_idx_folders() {
    let Some(shared) = shared_data() else { return };
    let weights = shared.join("lenet-fyh620/fyh620_lenet.pth");
    let mnist = shared.join("mnist");
    let (ok, out, err) = zoo(&[
        "eval",
        "--model",
        "lenet5_fyh620",
        "--weights",
        weights.to_str().unwrap(),
        "--data",
        mnist.to_str().unwrap(),
        "--batch-size",
        "500",
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("top-1 98.13% (9813/10000)"), "{out}");
    assert!(
        out.contains("7 7"),
        "classes are named by the MNIST labels: {out}"
    );
    let fashion =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/fashion-mnist");
    let (ok, out, err) = zoo(&[
        "eval",
        "--model",
        "lenet5_modern",
        "--data",
        fashion.to_str().unwrap(),
        "--batch-size",
        "500",
    ]);
    assert!(ok, "{err}");
    assert!(
        out.contains("top-1 90.82% (9082/10000)") && out.contains("9 ankle boot"),
        "{out}"
    );
    // An RGB model takes them as PIL's convert("RGB") and its resize give them (the
    // transfer experiments feed Fashion-MNIST to the CIFAR ResNet-20 so); its CIFAR classes
    // mean nothing here, but every one of the 10,000 images is counted.
    let r20 = shared.join("cifar10-resnet/resnet20-12fca82f.th");
    let (ok, out, err) = zoo(&[
        "eval",
        "--model",
        "resnet20",
        "--weights",
        r20.to_str().unwrap(),
        "--data",
        mnist.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    assert!(
        out.contains("/10000)") && err.contains("resize 32"),
        "{out}{err}"
    );
}

/// The preprocessing is chosen and printed: `--preprocess` takes another registry entry's,
/// single settings override it, and nonsense is refused.
#[test]
fn preprocessing_is_selectable_and_printed() {
    let Some(shared) = shared_data() else { return };
    let weights = fixtures_dir().join("resnet50/weights.safetensors");
    if !weights.exists() {
        eprintln!("skipped: {} absent", weights.display());
        return;
    }
    let image = shared.join("imagenet-val10/ILSVRC2012_val_00000001.JPEG");
    let base = [
        "classify",
        "--model",
        "resnet50",
        "--weights",
        weights.to_str().unwrap(),
    ];
    let run = |extra: &[&str]| zoo(&[&base[..], extra, &[image.to_str().unwrap()]].concat());
    let (ok, _, err) = run(&[]);
    assert!(
        ok && err.contains("resize 232"),
        "the default weights' (V2) preprocessing: {err}"
    );
    let (ok, _, err) = run(&["--preprocess", "resnet50.IMAGENET1K_V1"]);
    assert!(ok && err.contains("resize 256"), "{err}");
    let (ok, _, err) = run(&[
        "--resize",
        "300",
        "--crop",
        "288",
        "--interpolation",
        "bicubic",
    ]);
    assert!(
        ok && err.contains("resize 300 (Bicubic), crop 288"),
        "{err}"
    );
    let (ok, _, err) = run(&["--resize", "200", "--crop", "224"]);
    assert!(
        !ok && err.contains("crop 224 must be between 1 and the resize, 200"),
        "{err}"
    );
}
