//! Bad input: wrong architecture, wrong head, truncated or foreign files. Every case must be
//! an error that names the file and what did not fit, never a panic.

mod common;

use std::path::Path;

use burn::tensor::Device;
use burn_zoo::resnet::{resnet18, resnet34};
use burn_zoo::{ImportOptions, LoadError, ZooModel};
use common::{compare, fixture, input, read_f32, scratch, to_vec};

fn mismatch(err: LoadError) -> burn_zoo::Mismatch {
    match err {
        LoadError::Mismatch { mismatch, .. } => mismatch,
        other => panic!("expected a mismatch, got: {other}"),
    }
}

fn truncations(src: &Path, ext: &str) {
    let bytes = std::fs::read(src).unwrap();
    let device = Device::default();
    for keep in [
        0,
        10,
        100,
        4096,
        bytes.len() / 2,
        bytes.len() - 100,
        bytes.len() - 1,
    ] {
        let path = scratch(&format!("truncated-{keep}.{ext}"));
        std::fs::write(&path, &bytes[..keep]).unwrap();
        let err = resnet18(1000, &device)
            .load_weights(&path, &ImportOptions::default())
            .expect_err("a truncated file must not load");
        let msg = err.to_string();
        assert!(
            msg.contains(&path.display().to_string()),
            "message names the file: {msg}"
        );
        println!("truncated to {keep} bytes: {msg}");
    }
}

// --- fast tier: no Python, no fixtures ---------------------------------------------------

#[test]
fn burnpack_of_resnet18_into_resnet34_names_missing_layer1_2() {
    let device = Device::default();
    let path = scratch("resnet18.bpk");
    resnet18(1000, &device).save_weights(&path).unwrap();
    let err = resnet34(1000, &device)
        .load_weights(&path, &ImportOptions::default())
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("resnet34") && msg.contains("resnet18.bpk"),
        "{msg}"
    );
    let m = mismatch(err);
    assert!(
        m.missing.iter().any(|(n, _)| n.starts_with("layer1.2.")),
        "{m}"
    );
    assert!(m.unexpected.is_empty() && m.shapes.is_empty(), "{m}");
}

#[test]
fn wrong_head_size_reports_both_shapes() {
    let device = Device::default();
    let path = scratch("resnet18-1000.bpk");
    resnet18(1000, &device).save_weights(&path).unwrap();
    let m = mismatch(
        resnet18(10, &device)
            .load_weights(&path, &ImportOptions::default())
            .unwrap_err(),
    );
    let fc: Vec<_> = m
        .shapes
        .iter()
        .map(|s| (s.name.as_str(), &s.expected[..], &s.found[..]))
        .collect();
    assert_eq!(
        fc,
        [
            ("fc.weight", &[512, 10][..], &[512, 1000][..]),
            ("fc.bias", &[10][..], &[1000][..])
        ]
    );
}

#[test]
fn burnpack_round_trip_is_exact() {
    let device = Device::default();
    let model = resnet18(1000, &device);
    let path = scratch("round-trip.bpk");
    model.save_weights(&path).unwrap();
    let loaded = resnet18(1000, &device)
        .load_weights(&path, &ImportOptions::default())
        .unwrap();
    let x = burn::tensor::Tensor::<4>::random(
        [1, 3, 64, 64],
        burn::tensor::Distribution::Default,
        &device,
    );
    assert_eq!(to_vec(model.forward(x.clone())), to_vec(loaded.forward(x)));
}

#[test]
fn truncated_burnpack_is_an_error() {
    let path = scratch("whole.bpk");
    resnet18(1000, &Device::default())
        .save_weights(&path)
        .unwrap();
    truncations(&path, "bpk");
}

#[test]
fn foreign_and_missing_files_are_errors() {
    let device = Device::default();
    let junk = scratch("junk.pth");
    std::fs::write(&junk, b"this is not a checkpoint, just text\n".repeat(100)).unwrap();
    let jpeg_as_st = scratch("image.safetensors");
    std::fs::write(
        &jpeg_as_st,
        [0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F'],
    )
    .unwrap();
    let unknown = scratch("weights.xyz");
    std::fs::write(&unknown, [1, 2, 3]).unwrap();
    for (path, want) in [
        (junk, "not a readable PyTorch file"),
        (jpeg_as_st, "not a readable safetensors file"),
        (unknown, "cannot tell the weight format"),
        (scratch("does-not-exist.pth"), "cannot open"),
    ] {
        let msg = resnet18(1000, &device)
            .load_weights(&path, &ImportOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains(want) && msg.contains(&path.display().to_string()),
            "{msg}"
        );
    }
}

#[test]
fn invalid_user_remap_is_an_error() {
    let pth = scratch("remap.safetensors");
    std::fs::write(&pth, b"").unwrap();
    let options = ImportOptions {
        remaps: vec![("(unclosed".into(), "x".into())],
        ..Default::default()
    };
    let err = resnet18(1000, &Device::default())
        .load_weights(&pth, &options)
        .unwrap_err();
    assert!(matches!(err, LoadError::Remap { .. }), "{err}");
    assert!(err.to_string().contains("(unclosed"), "{err}");
}

// --- fixture tier: reference checkpoints from scripts/reference.py ----------------------

#[test]
fn torchvision_resnet18_into_resnet34_names_missing_layer1_2() {
    let Some(dir) = fixture("resnet18") else {
        return;
    };
    let path = dir.join("weights.pth");
    let err = resnet34(1000, &Device::default())
        .load_weights(&path, &ImportOptions::default())
        .unwrap_err();
    let msg = err.to_string();
    println!("{msg}");
    assert!(msg.contains("layer1.2.conv1.weight"), "{msg}");
    let m = mismatch(err);
    let layer1_2: Vec<_> = m
        .missing
        .iter()
        .filter(|(n, _)| n.starts_with("layer1.2."))
        .collect();
    assert_eq!(
        layer1_2.len(),
        10,
        "conv1, bn1 (4), conv2, bn2 (4): {layer1_2:?}"
    );
}

#[test]
fn torchvision_resnet34_into_resnet18_names_unexpected_tensors() {
    let Some(dir) = fixture("resnet34") else {
        return;
    };
    let m = mismatch(
        resnet18(1000, &Device::default())
            .load_weights(dir.join("weights.pth"), &ImportOptions::default())
            .unwrap_err(),
    );
    assert!(m.missing.is_empty());
    assert!(
        m.unexpected
            .iter()
            .any(|(n, _)| n == "layer1.2.conv1.weight"),
        "{m}"
    );
    assert!(
        !m.unexpected
            .iter()
            .any(|(n, _)| n.ends_with("num_batches_tracked")),
        "{m}"
    );
}

#[test]
fn truncated_pth_is_an_error() {
    let Some(dir) = fixture("resnet18") else {
        return;
    };
    truncations(&dir.join("weights.pth"), "pth");
    truncations(&dir.join("weights-legacy-wrapped.pth"), "pth");
}

#[test]
fn truncated_safetensors_is_an_error() {
    let Some(dir) = fixture("resnet18") else {
        return;
    };
    truncations(&dir.join("weights.safetensors"), "safetensors");
}

#[test]
fn legacy_wrapped_dataparallel_checkpoint_loads() {
    let Some(dir) = fixture("resnet18") else {
        return;
    };
    let device = Device::default();
    let reference = read_f32(&dir.join("logits.f32"));
    for options in [
        ImportOptions::default(),
        ImportOptions {
            top_level_key: Some("state_dict".into()),
            ..Default::default()
        },
    ] {
        let model = resnet18(1000, &device)
            .load_weights(dir.join("weights-legacy-wrapped.pth"), &options)
            .unwrap();
        let p = compare(
            &to_vec(model.forward(input(224, &device))),
            &reference,
            1000,
        );
        assert!(p.ok(), "{p:?}");
    }
}

#[test]
fn parity_check_rejects_one_altered_batchnorm_running_var() {
    let Some(dir) = fixture("resnet18") else {
        return;
    };
    let device = Device::default();
    let model = resnet18(1000, &device)
        .load_weights(
            dir.join("weights-bad-bnvar.safetensors"),
            &ImportOptions::default(),
        )
        .unwrap();
    let p = compare(
        &to_vec(model.forward(input(224, &device))),
        &read_f32(&dir.join("logits.f32")),
        1000,
    );
    println!("altered layer3.1.bn2.running_var: {p:?}");
    assert!(
        !p.ok(),
        "the parity check must fail on an altered running_var: {p:?}"
    );
}

#[test]
fn misaligned_static_bytes_are_an_error_not_a_panic() {
    let device = Device::default();
    let path = scratch("static.bpk");
    resnet18(10, &device).save_weights(&path).unwrap();
    let mut bytes = vec![0u8; 1];
    bytes.extend(std::fs::read(&path).unwrap());
    let leaked: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    let offset = (1..=burn_zoo::STATIC_ALIGN)
        .find(|o| leaked[*o..].as_ptr().align_offset(burn_zoo::STATIC_ALIGN) != 0)
        .unwrap();
    let Err(err) = burn_zoo::load_static(
        resnet18(10, &device),
        "resnet18",
        "<test>",
        &leaked[offset..],
    ) else {
        panic!("misaligned bytes must not load")
    };
    assert!(err.to_string().contains("not 256-byte aligned"), "{}", err);
}

/// A model loaded from a burnpack file keeps no tie to it: Burn's file reader fetches tensor
/// data lazily, which made a later forward pass panic once the file was gone.
#[test]
fn a_model_loaded_from_burnpack_outlives_its_file() {
    let device = Device::default();
    let path = scratch("outlives.bpk");
    let model = burn_zoo::resnet::resnet20(10, &device);
    model.save_weights(&path).unwrap();
    let loaded = burn_zoo::resnet::resnet20(10, &device)
        .load_weights(&path, &ImportOptions::default())
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    let x = burn::tensor::Tensor::<4>::zeros([1, 3, 32, 32], &device);
    assert_eq!(loaded.forward(x).dims(), [1, 10]);
}
