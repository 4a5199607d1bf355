//! Family-specific checkpoint layouts: DenseNet's legacy keys, GoogLeNet's auxiliary
//! classifiers and input transform. Each load is checked against the reference logits.

mod common;

use burn::tensor::Device;
use burn_zoo::googlenet::{GoogLeNetConfig, googlenet};
use burn_zoo::{ImportOptions, LoadError, ZooModel, densenet::densenet121};
use common::{compare, fixture, input, read_f32, report, to_vec};

fn assert_parity(label: &str, got: Vec<f32>, reference: &[f32]) {
    let p = compare(&got, reference, 1000);
    report(&format!(
        "{label:<44} max|Δ| {:.2e}  tol {:.2e}",
        p.max_delta, p.tolerance
    ));
    assert!(p.ok(), "{label}: {p:?}");
}

#[test]
fn densenet121_loads_legacy_and_new_keys() {
    let Some(dir) = fixture("densenet121") else {
        return;
    };
    let device = Device::default();
    let x = input(224, &device);
    let reference = read_f32(&dir.join("logits.f32"));
    for file in ["weights.pth", "weights-legacy.pth"] {
        let model = densenet121(1000, &device)
            .load_weights(dir.join(file), &ImportOptions::default())
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_parity(
            &format!("densenet121 from {file}"),
            to_vec(model.forward(x.clone())),
            &reference,
        );
    }
}

#[test]
fn googlenet_without_aux_leaves_aux_tensors_out_and_says_so() {
    let Some(dir) = fixture("googlenet") else {
        return;
    };
    let device = Device::default();
    let (model, report) = googlenet(1000, &device)
        .load_weights_with_report(dir.join("weights.pth"), &ImportOptions::default())
        .unwrap();
    // aux1 and aux2: conv (weight + 4 BN tensors; num_batches_tracked is ignored), fc1, fc2.
    assert_eq!(
        report.skipped.len(),
        2 * (5 + 2 + 2),
        "{:?}",
        report.skipped
    );
    assert!(report.skipped.iter().all(|k| k.starts_with("aux")));
    assert!(
        report
            .to_string()
            .starts_with("left out 18 tensors of the file: aux1.")
    );
    let reference = read_f32(&dir.join("logits.f32"));
    assert_parity(
        "googlenet without aux",
        to_vec(model.forward(input(224, &device))),
        &reference,
    );
}

#[test]
fn googlenet_with_aux_loads_them_and_runs_them() {
    let Some(dir) = fixture("googlenet") else {
        return;
    };
    let device = Device::default();
    let x = input(224, &device);
    let (model, report) = GoogLeNetConfig::new(1000)
        .init(&device)
        .load_weights_with_report(dir.join("weights.pth"), &ImportOptions::default())
        .unwrap();
    assert!(report.skipped.is_empty(), "{report}");
    assert_eq!(burn_zoo::parameter_count(&model), 13_004_888);
    let reference = read_f32(&dir.join("logits.f32"));
    assert_parity(
        "googlenet with aux",
        to_vec(model.forward(x.clone())),
        &reference,
    );
    let out = model.forward_with_aux(x);
    assert_eq!(out.aux_logits1.map(|t| t.dims()), Some([2, 1000]));
    assert_eq!(out.aux_logits2.map(|t| t.dims()), Some([2, 1000]));
}

#[test]
fn googlenet_transform_input_matches_torchvision() {
    let Some(dir) = fixture("googlenet") else {
        return;
    };
    let device = Device::default();
    let model = GoogLeNetConfig::new(1000)
        .with_aux_logits(false)
        .with_transform_input(true)
        .init(&device)
        .load_weights(dir.join("weights.safetensors"), &ImportOptions::default())
        .unwrap();
    let reference = read_f32(&dir.join("logits-transform.f32"));
    assert_parity(
        "googlenet transform_input",
        to_vec(model.forward(input(224, &device))),
        &reference,
    );
}

#[test]
fn googlenet_with_aux_refuses_a_file_without_them() {
    let Some(dir) = fixture("googlenet") else {
        return;
    };
    let device = Device::default();
    let bpk = std::env::temp_dir().join(format!("zoo-googlenet-noaux-{}.bpk", std::process::id()));
    googlenet(1000, &device)
        .load_weights(dir.join("weights.pth"), &ImportOptions::default())
        .unwrap()
        .save_weights(&bpk)
        .unwrap();
    let err = GoogLeNetConfig::new(1000)
        .init(&device)
        .load_weights(&bpk, &ImportOptions::default())
        .unwrap_err();
    let _ = std::fs::remove_file(&bpk);
    let LoadError::Mismatch { mismatch, .. } = &err else {
        panic!("{err}");
    };
    assert!(
        !mismatch.missing.is_empty() && mismatch.unexpected.is_empty(),
        "{err}"
    );
    assert!(
        mismatch.missing.iter().all(|(k, _)| k.starts_with("aux")),
        "{err}"
    );
}

/// A checkpoint loads into a model with another number of classes when its head is skipped:
/// the backbone is the checkpoint's (the embedding equals the reference's), the new head keeps
/// its initialisation; without the skip the head is a named shape mismatch.
#[test]
fn a_checkpoint_loads_into_a_new_head_when_the_old_one_is_skipped() {
    use burn_zoo::Classifier;
    let Some(dir) = fixture("resnet18") else {
        return;
    };
    let device = Device::default();
    let x = input(224, &device);
    let options = ImportOptions {
        skip: vec![r"^fc\.".into()],
        ..Default::default()
    };
    let (model, report) = burn_zoo::resnet::resnet18(5, &device)
        .load_weights_with_report(dir.join("weights.pth"), &options)
        .unwrap();
    assert_eq!(report.skipped, ["fc.bias", "fc.weight"]);
    assert_eq!(model.forward(x.clone()).dims(), [2, 5]);
    let full = burn_zoo::resnet::resnet18(1000, &device)
        .load_weights(dir.join("weights.pth"), &ImportOptions::default())
        .unwrap();
    assert_eq!(to_vec(model.embed(x.clone())), to_vec(full.embed(x)));
    let err = burn_zoo::resnet::resnet18(5, &device)
        .load_weights(dir.join("weights.pth"), &ImportOptions::default())
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("fc.weight: model expects [5, 512], file has [1000, 512]"),
        "{err}"
    );
}
