//! Training-step parity with PyTorch: three SGD (momentum, weight decay) and three AdamW steps
//! of `resnet18` and of the CIFAR `resnet20` in train mode on one fixed batch, every parameter
//! trained and with the backbone frozen, from the starting weights of
//! `scripts/training_reference.py`: the loss of each step within 1e-4 (relative), and every
//! weight and running statistic after the steps within 1e-4 of the tensor's norm, or within
//! 4x the reference's own sensitivity where that is larger (see the script's NUDGE).

mod common;

use std::path::Path;

use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{AdamWConfig, ModuleOptimizer, SgdConfig};
use burn::tensor::{Device, Int, Tensor, TensorData};
use burn_zoo::{Classifier, ImportOptions, variant};
use serde_json::Value;

const CASES: [&str; 4] = ["sgd", "adamw", "sgd-frozen", "adamw-frozen"];
const TOLERANCE: f64 = 1e-4;

fn load(name: &str, file: &Path, device: &Device) -> Box<dyn Classifier> {
    let v = variant(name).unwrap();
    v.build(10, device)
        .load(file, &ImportOptions::default())
        .unwrap_or_else(|e| panic!("{e}"))
        .0
}

fn optimizer(case: &Value) -> ModuleOptimizer {
    let wd = case["weight_decay"].as_f64().unwrap() as f32;
    match case.get("momentum") {
        // PyTorch's SGD: no dampening (Burn's default is 0.1), L2 added to the gradient.
        Some(m) => SgdConfig::new()
            .with_momentum(Some(
                MomentumConfig::new()
                    .with_momentum(m.as_f64().unwrap())
                    .with_dampening(0.0),
            ))
            .with_weight_decay(Some(WeightDecayConfig::new(wd)))
            .init(),
        None => AdamWConfig::new()
            .with_beta_1(case["beta_1"].as_f64().unwrap() as f32)
            .with_beta_2(case["beta_2"].as_f64().unwrap() as f32)
            .with_epsilon(case["eps"].as_f64().unwrap() as f32)
            .with_weight_decay(wd)
            .init(),
    }
}

/// Runs one case in Burn; returns the losses and the trained model in evaluation mode.
fn train(name: &str, dir: &Path, case: &str, meta: &Value) -> (Vec<f32>, Box<dyn Classifier>) {
    let device = Device::default().autodiff();
    let shape: Vec<usize> = serde_json::from_value(meta["input"].clone()).unwrap();
    let x = Tensor::<4>::from_data(
        TensorData::new(common::read_f32(&dir.join("input.f32")), shape.clone()),
        &device,
    );
    let labels: Vec<i64> = std::fs::read_to_string(dir.join("labels.txt"))
        .unwrap()
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    let y = Tensor::<1, Int>::from_data(TensorData::new(labels, [shape[0]]), &device);
    let mut model = load(name, &dir.join("init.pth"), &device).train_mode();
    if case.ends_with("-frozen") {
        model = model.freeze_backbone();
    }
    let hyper = &meta["cases"][case];
    let mut optim = optimizer(hyper);
    let lr = hyper["lr"].as_f64().unwrap();
    let loss_fn = CrossEntropyLossConfig::new().init(&device);
    let mut losses = Vec::new();
    for _ in 0..meta["steps"].as_u64().unwrap() {
        let loss = loss_fn.forward(model.forward(x.clone()), y.clone());
        losses.push(loss.clone().into_scalar::<f32>());
        let grads = model.gradients(loss.backward());
        model = model.step(&mut optim, lr.into(), grads);
    }
    (losses, model.eval_mode())
}

/// ‖got − want‖ / ‖want‖, and the largest element difference over the largest |want|.
fn relative(got: &[f32], want: &[f32]) -> (f64, f64) {
    let (mut diff, mut norm, mut dmax, mut wmax) = (0f64, 0f64, 0f64, 0f64);
    for (g, w) in got.iter().zip(want) {
        let (g, w) = (f64::from(*g), f64::from(*w));
        diff += (g - w) * (g - w);
        norm += w * w;
        dmax = dmax.max((g - w).abs());
        wmax = wmax.max(w.abs());
    }
    (diff.sqrt() / norm.sqrt().max(1e-12), dmax / wmax.max(1e-12))
}

fn check(name: &str) {
    let Some(dir) = common::fixture_with(&format!("training/{name}"), "meta.json") else {
        return;
    };
    let meta = common::json(&dir.join("meta.json"));
    let plain = Device::default();
    let init = load(name, &dir.join("init.pth"), &plain).named_tensors();
    for case in CASES {
        let (losses, trained) = train(name, &dir, case, &meta);
        let want: Vec<f32> = serde_json::from_value(meta["cases"][case]["losses"].clone()).unwrap();
        for (step, (g, w)) in losses.iter().zip(&want).enumerate() {
            assert!(
                f64::from((g - w).abs()) <= TOLERANCE * f64::from(w.abs().max(1.0)),
                "{name} {case} step {step}: loss {g}, PyTorch {w}"
            );
        }
        let got = trained.named_tensors();
        let reference = load(name, &dir.join(format!("{case}.pth")), &plain).named_tensors();
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            reference.keys().collect::<Vec<_>>()
        );
        // PyTorch's own result moves this much when its starting weights move by 1e-6 of
        // their scale (a ReLU input near zero flips): a difference below 4x that is rounding.
        let sensitivity = meta["cases"][case]["sensitivity"].as_f64().unwrap();
        let tolerance = TOLERANCE.max(4.0 * sensitivity);
        let (mut worst, mut worst_max, mut moved) = (0f64, 0f64, 0usize);
        for (path, want) in &reference {
            let (rel, rel_max) = relative(&got[path], want);
            if std::env::var_os("ZOO_TRAINING_VERBOSE").is_some() {
                eprintln!("{name} {case} {path}: {rel:.2e} (largest element {rel_max:.2e})");
            }
            assert!(
                rel <= tolerance,
                "{name} {case}: {path} differs from PyTorch's by {rel:.3e} of its norm \
                 (tolerance {tolerance:.1e})"
            );
            worst = worst.max(rel);
            worst_max = worst_max.max(rel_max);
            moved += usize::from(init[path] != *want);
        }
        // A frozen backbone moves nothing but the head; otherwise every tensor moves.
        let head = meta["head"].as_str().unwrap();
        if case.ends_with("-frozen") {
            assert!(
                reference
                    .keys()
                    .filter(|p| init[*p] != reference[*p])
                    .all(|p| p.starts_with(head)),
                "{name} {case}"
            );
            assert_eq!(moved, 2, "{name} {case}: the head's weight and bias");
        } else {
            assert_eq!(moved, reference.len(), "{name} {case}");
        }
        common::report(&format!(
            "training {name:<8} {case:<12} {} steps: losses within 1e-4, {} tensors within {worst:.1e} of PyTorch's (‖Δ‖/‖ref‖, tolerance {tolerance:.1e}; largest element {worst_max:.1e} of the tensor's largest)",
            losses.len(),
            reference.len()
        ));
    }
}

#[test]
fn resnet20_training_steps_equal_pytorch() {
    check("resnet20");
}

#[test]
fn resnet18_training_steps_equal_pytorch() {
    check("resnet18");
}

/// The backbone's rate at 0: its weights stay, its BatchNorm statistics still move (train
/// mode), the head learns at its own rate.
#[test]
fn parameter_groups_take_their_own_learning_rates() {
    let device = Device::default().autodiff();
    let model = variant("resnet20").unwrap().build(10, &device).train_mode();
    let before = model.eval_mode().named_tensors();
    let lr = burn_zoo::model::train::learning_rates(&*model, 0.0, 0.1);
    let mut optim: ModuleOptimizer = SgdConfig::new().init();
    let x = Tensor::<4>::random([4, 3, 32, 32], burn::tensor::Distribution::Default, &device);
    let y = Tensor::<1, Int>::from_data(TensorData::new(vec![0i64, 1, 2, 3], [4]), &device);
    let loss = CrossEntropyLossConfig::new()
        .init(&device)
        .forward(model.forward(x), y);
    let grads = model.gradients(loss.backward());
    let after = model
        .step(&mut optim, lr, grads)
        .eval_mode()
        .named_tensors();
    for (path, b) in &before {
        let changed = after[path] != *b;
        let expected = path.starts_with("linear.") || path.contains("running_");
        assert_eq!(changed, expected, "{path}");
    }
}

/// The report: forward passes of a frozen backbone on an autodiff device used to move
/// its BatchNorm statistics. Frozen, nothing moves; in train mode, they do.
#[test]
fn a_frozen_backbone_keeps_its_statistics() {
    let device = Device::default().autodiff();
    let v = variant("resnet20").unwrap();
    for frozen in [true, false] {
        let mut model = v.build(10, &device).train_mode();
        if frozen {
            model = model.freeze_backbone();
        }
        let before = model.eval_mode().named_tensors();
        for _ in 0..20 {
            let x =
                Tensor::<4>::random([4, 3, 32, 32], burn::tensor::Distribution::Default, &device);
            let _ = model.forward(x);
        }
        let after = model.eval_mode().named_tensors();
        let moved = before.iter().filter(|(p, b)| after[*p] != **b).count();
        // Train mode: each BatchNorm's running mean and variance (19 layers).
        assert_eq!(moved, if frozen { 0 } else { 2 * 19 }, "frozen: {frozen}");
    }
}
