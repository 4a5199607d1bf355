//! `burn_zoo::finetune`: a linear probe trains the head alone, full fine-tuning moves every
//! weight and statistic, a run interrupted and resumed ends exactly as an uninterrupted one,
//! a network trained from scratch learns, and settings or data that cannot work are refused.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use burn::tensor::Device;
use burn_zoo::data::Samples;
use burn_zoo::finetune::{self, Augment, Event, FinetuneError, Mode, Optimizer, Settings};
use burn_zoo::{ImportOptions, variant};

fn settings(model: &str, weights: Option<&Path>, mode: Mode, epochs: usize) -> Settings {
    Settings {
        model: model.into(),
        weights: weights.map(|w| w.display().to_string()),
        init: None,
        classes: 10,
        mode,
        epochs,
        batch_size: 32,
        lr: 0.05,
        backbone_lr: 0.005,
        optimizer: Optimizer::Sgd,
        weight_decay: 5e-4,
        augment: Augment { pad: 4, flip: true },
        seed: 3,
        stochastic_depth: None,
    }
}

/// The first `n` CIFAR-10 test images from `start` as an ImageFolder of PNGs.
fn cifar_folder(dir: &Path, start: usize, n: usize) -> Option<()> {
    let raw = std::fs::read(common::shared_path(
        "cifar10/test_batch_first1017_images.u8",
    )?)
    .unwrap();
    let labels =
        std::fs::read_to_string(common::shared_path("cifar10/labels_first1017.tsv")?).unwrap();
    let labels: Vec<usize> = labels
        .lines()
        .skip(1)
        .map(|l| l.split('\t').nth(2).unwrap().parse().unwrap())
        .collect();
    for i in start..start + n {
        let chw = &raw[i * 3072..(i + 1) * 3072];
        let img = image::RgbImage::from_fn(32, 32, |x, y| {
            let p = (y * 32 + x) as usize;
            image::Rgb([chw[p], chw[1024 + p], chw[2048 + p]])
        });
        let class = dir.join(format!("class{}", labels[i]));
        std::fs::create_dir_all(&class).unwrap();
        img.save(class.join(format!("{i:04}.png"))).unwrap();
    }
    Some(())
}

fn tensors(model: &str, classes: usize, file: &Path) -> BTreeMap<String, Vec<f32>> {
    variant(model)
        .unwrap()
        .build(classes, &Device::default())
        .load(file, &ImportOptions::default())
        .unwrap_or_else(|e| panic!("{e}"))
        .0
        .named_tensors()
}

/// The keys whose values differ between two snapshots of one network.
fn changed(a: &BTreeMap<String, Vec<f32>>, b: &BTreeMap<String, Vec<f32>>) -> Vec<String> {
    a.iter()
        .filter(|(k, v)| b[*k] != **v)
        .map(|(k, _)| k.clone())
        .collect()
}

struct Cifar {
    _dir: tempfile::TempDir,
    train: Samples,
    val: Samples,
    weights: std::path::PathBuf,
}

fn cifar() -> Option<Cifar> {
    let weights = common::shared_path("cifar10-resnet/resnet20-12fca82f.th")?;
    let dir = tempfile::tempdir().unwrap();
    cifar_folder(&dir.path().join("train"), 0, 160)?;
    cifar_folder(&dir.path().join("val"), 160, 64)?;
    let prep = finetune::preprocess(variant("resnet20").unwrap());
    let train = Samples::read(&dir.path().join("train"), "train", &prep).unwrap();
    let val = Samples::read(&dir.path().join("val"), "t10k", &prep).unwrap();
    Some(Cifar {
        _dir: dir,
        train,
        val,
        weights,
    })
}

#[test]
fn a_linear_probe_trains_the_head_alone_and_full_fine_tuning_everything() {
    let Some(data) = cifar() else { return };
    let out = tempfile::tempdir().unwrap();
    let before = tensors("resnet20", 10, &data.weights);

    let probe = out.path().join("probe.bpk");
    let s = settings("resnet20", Some(&data.weights), Mode::LinearProbe, 3);
    let outcome = finetune::run(&s, &data.train, Some(&data.val), &probe, false, |_| {}).unwrap();
    let probe_top1 = 100.0 * outcome.correct as f64 / outcome.images as f64;
    // Frozen means frozen: every convolution, BatchNorm weight and running statistic is as
    // loaded; only the new head differs.
    assert_eq!(
        changed(&before, &tensors("resnet20", 10, &probe)),
        ["linear.bias", "linear.weight"]
    );

    let full = out.path().join("full.bpk");
    let s = settings("resnet20", Some(&data.weights), Mode::Full, 3);
    let outcome = finetune::run(&s, &data.train, Some(&data.val), &full, false, |_| {}).unwrap();
    let after = tensors("resnet20", 10, &full);
    let moved = changed(&before, &after);
    assert_eq!(moved.len(), before.len(), "unchanged: {:?}", {
        let mut all: Vec<_> = before.keys().cloned().collect();
        all.retain(|k| !moved.contains(k));
        all
    });
    // The pretrained features carry over: a new head learns CIFAR-10 again from 160 images
    // (the original network gets 91 % of these), where chance is 10 %.
    let top1 = 100.0 * outcome.correct as f64 / outcome.images as f64;
    eprintln!("linear probe {probe_top1} %, full fine-tuning {top1} %");
    assert!(
        probe_top1 > 60.0,
        "{probe_top1} % after three epochs of a linear probe"
    );
    assert!(
        top1 > 60.0,
        "{top1} % after three epochs of full fine-tuning"
    );
    assert_eq!(outcome.images, 64);
}

#[test]
fn an_interrupted_run_resumes_to_the_uninterrupted_result() {
    let Some(data) = cifar() else { return };
    let out = tempfile::tempdir().unwrap();
    let s = settings("resnet20", Some(&data.weights), Mode::Full, 3);
    let whole = out.path().join("whole.bpk");
    let a = finetune::run(&s, &data.train, Some(&data.val), &whole, false, |_| {}).unwrap();

    // Stopped in the middle of the second epoch, after the first one's checkpoint.
    let cut = out.path().join("cut.bpk");
    let stopped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = finetune::run(&s, &data.train, Some(&data.val), &cut, false, |e| {
            if let Event::Batch {
                epoch: 2, batch: 2, ..
            } = e
            {
                panic!("interrupted");
            }
        });
    }));
    assert!(stopped.is_err());
    let mut resumed_at = None;
    let b = finetune::run(&s, &data.train, Some(&data.val), &cut, true, |e| {
        if let Event::Resumed(n) = e {
            resumed_at = Some(n);
        }
    })
    .unwrap();
    assert_eq!(resumed_at, Some(1));
    let figures = |o: &finetune::Outcome| {
        let mut h = o.history.clone();
        h.iter_mut().for_each(|r| r.seconds = 0.0);
        h
    };
    assert_eq!(figures(&a), figures(&b));
    assert_eq!((a.best_epoch, a.correct), (b.best_epoch, b.correct));
    assert_eq!(
        tensors("resnet20", 10, &whole),
        tensors("resnet20", 10, &cut)
    );
    // The last checkpoint (momentum included) is the same too.
    let last = |o: &Path| finetune::checkpoint::folder(o).join("epoch-0003/model.bpk");
    assert_eq!(
        tensors("resnet20", 10, &last(&whole)),
        tensors("resnet20", 10, &last(&cut))
    );

    // Other settings cannot continue it, and a new run does not overwrite it.
    let other = Settings {
        lr: 0.1,
        ..s.clone()
    };
    let err = finetune::run(&other, &data.train, None, &cut, true, |_| {}).unwrap_err();
    assert!(err.to_string().contains("lr was 0.05, now 0.1"), "{err}");
    let err = finetune::run(&s, &data.train, None, &cut, false, |_| {}).unwrap_err();
    assert!(err.to_string().contains("holds a checkpoint"), "{err}");
}

/// Two classes a small network must tell apart: a bright horizontal or vertical bar at a
/// random place on a noisy background.
fn bars(dir: &Path, n: usize, seed: u64) {
    let mut rng = burn_zoo::model::train::SplitMix64::new(seed);
    for i in 0..n {
        let class = i % 2;
        let at = 4 + rng.below(20) as u32;
        let noise: Vec<u8> = (0..28 * 28).map(|_| rng.below(60) as u8).collect();
        let img = image::GrayImage::from_fn(28, 28, |x, y| {
            let on = if class == 0 {
                y.abs_diff(at) <= 1
            } else {
                x.abs_diff(at) <= 1
            };
            image::Luma([if on {
                220
            } else {
                noise[(y * 28 + x) as usize]
            }])
        });
        let d = dir.join(["horizontal", "vertical"][class]);
        std::fs::create_dir_all(&d).unwrap();
        img.save(d.join(format!("{i:03}.png"))).unwrap();
    }
}

#[test]
fn a_network_from_scratch_learns_new_classes() {
    let dir = tempfile::tempdir().unwrap();
    bars(&dir.path().join("train"), 256, 1);
    bars(&dir.path().join("val"), 64, 2);
    let prep = finetune::preprocess(variant("lenet5_modern").unwrap());
    let train = Samples::read(&dir.path().join("train"), "train", &prep).unwrap();
    let val = Samples::read(&dir.path().join("val"), "t10k", &prep).unwrap();
    assert_eq!(train.classes, ["horizontal", "vertical"]);
    let s = Settings {
        classes: 2,
        lr: 0.01,
        optimizer: Optimizer::AdamW,
        augment: Augment {
            pad: 3,
            flip: false,
        },
        ..settings("lenet5_modern", None, Mode::Scratch, 4)
    };
    let out = dir.path().join("bars.bpk");
    let outcome = finetune::run(&s, &train, Some(&val), &out, false, |_| {}).unwrap();
    assert!(
        outcome.correct >= 60,
        "{} of 64 bars classified after 4 epochs: {:?}",
        outcome.correct,
        outcome.history
    );
    // `zoo finetune` records the head's classes and the ImageFolder's names beside the
    // weights: a pipeline on the file needs no class count and names its outputs.
    let record = serde_json::json!({
        "settings": { "model": "lenet5_modern", "classes": 2 },
        "classes": train.classes,
    });
    std::fs::write(out.with_extension("json"), record.to_string()).unwrap();
    let device = Device::default();
    let p =
        burn_zoo::pipeline::open("lenet5_modern", Some(out.to_str().unwrap()), &device).unwrap();
    assert_eq!(p.labels, ["horizontal", "vertical"]);
    let bar = dir.path().join("val/vertical/001.png");
    assert_eq!(p.classify(&bar, 1, &device).unwrap()[0].label, "vertical");
    let first = &outcome.history[0];
    assert!(
        outcome.history.last().unwrap().loss < first.loss / 2.0,
        "{:?}",
        outcome.history
    );
}

/// Stochastic depth is part of the trained network: evaluation scales each residual branch by
/// its survival probability, so `zoo eval` (through the record beside the file) must build the
/// network with it to reproduce the run's figure, and without it gives other logits.
#[test]
fn a_network_trained_with_stochastic_depth_is_evaluated_with_it() {
    let dir = tempfile::tempdir().unwrap();
    bars(&dir.path().join("train"), 64, 3);
    bars(&dir.path().join("val"), 32, 4);
    let prep = finetune::preprocess(variant("resnet20").unwrap());
    let train = Samples::read(&dir.path().join("train"), "train", &prep).unwrap();
    let val = Samples::read(&dir.path().join("val"), "t10k", &prep).unwrap();
    let s = Settings {
        classes: 2,
        stochastic_depth: Some(0.5),
        ..settings("resnet20", None, Mode::Scratch, 2)
    };
    let out = dir.path().join("sd.bpk");
    let outcome = finetune::run(&s, &train, Some(&val), &out, false, |_| {}).unwrap();
    let device = Device::default();
    let open = |record: serde_json::Value| {
        std::fs::write(out.with_extension("json"), record.to_string()).unwrap();
        burn_zoo::pipeline::open("resnet20", Some(out.to_str().unwrap()), &device).unwrap()
    };
    let with = open(serde_json::json!({
        "settings": { "model": "resnet20", "classes": 2, "stochastic_depth": 0.5 },
    }));
    assert_eq!(finetune::accuracy(&*with.model, &val), outcome.correct);
    let without = open(serde_json::json!({ "settings": { "model": "resnet20", "classes": 2 } }));
    let x = val.batch(&[0, 1, 2], &device);
    assert_ne!(
        with.model.forward(x.clone()).into_data(),
        without.model.forward(x).into_data(),
        "the survival probabilities must change evaluation"
    );
}

#[test]
fn unusable_settings_and_data_are_refused_before_training() {
    let dir = tempfile::tempdir().unwrap();
    bars(&dir.path().join("train"), 8, 1);
    let prep = finetune::preprocess(variant("lenet5_modern").unwrap());
    let train = Samples::read(&dir.path().join("train"), "train", &prep).unwrap();
    let out = dir.path().join("x.bpk");
    let run = |s: &Settings| finetune::run(s, &train, None, &out, false, |_| {}).unwrap_err();
    let base = settings("lenet5_modern", None, Mode::Scratch, 1);

    let one_class = Settings {
        classes: 1,
        ..base.clone()
    };
    assert!(matches!(run(&one_class), FinetuneError::Invalid(m)
        if m.contains("label 1 is not one of the 1 classes")));
    let nan = Settings {
        lr: f64::NAN,
        classes: 2,
        ..base.clone()
    };
    assert!(run(&nan).to_string().contains("learning rate NaN"));
    let pad = Settings {
        augment: Augment {
            pad: 28,
            flip: false,
        },
        classes: 2,
        ..base.clone()
    };
    assert!(run(&pad).to_string().contains("padding 28"));
    let resume = finetune::run(
        &Settings { classes: 2, ..base },
        &train,
        None,
        &out,
        true,
        |_| {},
    );
    assert!(resume.unwrap_err().to_string().contains("no checkpoint"));
    assert!(!out.exists() && !finetune::checkpoint::folder(&out).exists());

    // Greyscale IDX images feed an RGB network as PIL's convert("RGB") and resize would.
    let idx = common::root().join("tests/data/fashion-mnist");
    let prep = finetune::preprocess(variant("resnet20").unwrap());
    let set = Samples::read(&idx, "t10k", &prep).unwrap();
    assert_eq!((set.len(), set.shape), (10_000, [3, 32, 32]));
    let burn_zoo::Preprocess::Rgb(t) = prep else {
        panic!("{prep}")
    };
    let plane = |c: usize| -> Vec<f32> {
        let values = &set.image(0)[c * 1024..(c + 1) * 1024];
        values.iter().map(|v| v * t.std[c] + t.mean[c]).collect()
    };
    let (red, green) = (plane(0), plane(1));
    assert!(
        red.iter().zip(&green).all(|(r, g)| (r - g).abs() < 1e-6),
        "a grey image's planes"
    );
    assert!(
        red.iter().any(|&r| r > 0.5),
        "an ankle boot, not a black square"
    );
}
