//! Parity tier: every variant, loaded from the reference's `.pth` and `.safetensors` and
//! from a Burn-format copy, gives the reference logits (see `common::compare`). References:
//! torchvision for the ImageNet families (timm for Xception), the official WRN, pre-activation ResNet and DenseNet
//! code for the CIFAR networks (re-written in scripts/cifar_models.py).
//!
//! The model API is checked on the same weights: the embedding equals the reference's
//! penultimate activations, the stage outputs have timm's `features_only` shapes, and
//! `reset_classifier` changes the head alone.

mod common;

use burn::tensor::{Device, Tensor};
use burn_zoo::{Classifier, Fuse, ImportOptions, variant};
use common::{compare, fixture, floored, input, input_with, read_f32, report, to_vec};

/// Builds the model under test.
type Builder = Box<dyn Fn(&Device) -> Box<dyn Classifier>>;

/// What a parity check needs of a model: how to build it and the reference's figures.
struct Target {
    params: usize,
    channels: usize,
    input_size: usize,
    classes: usize,
    build: Builder,
}

fn parity(name: &str) {
    let v = variant(name).expect("variant in catalog");
    check(
        name,
        Target {
            params: v.params,
            channels: v.input.channels,
            input_size: v.input.size,
            classes: v.classes,
            build: Box::new(move |d| v.build(v.classes, d)),
        },
    );
    // The network the published weights take (GoogLeNet's and Inception-v3's
    // `transform_input`), on the same weights, against the reference with it switched on.
    let Some(dir) = fixture(name) else { return };
    let path = dir.join("logits-transform.f32");
    if !path.exists() {
        return;
    }
    let reference = read_f32(&path);
    let device = Device::default();
    let (model, _) = v
        .build_published(v.classes, &device)
        .load(&dir.join("weights.safetensors"), &ImportOptions::default())
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let p = floored(
        compare(
            &to_vec(model.forward(input(v.input.size, &device))),
            &reference,
            v.classes,
        ),
        &dir,
        "f32_error",
    );
    report(&format!("parity {name:<18} published   {}", p.summary()));
    assert!(p.ok(), "{name} as published: {p:?}");
}

/// The model API on the reference's weights: the split forward is the forward, the embedding
/// is the reference's penultimate activation, the stages have timm's shapes, and a new head
/// leaves every other tensor alone.
fn model_api(name: &str, dir: &std::path::Path, mut model: Box<dyn Classifier>, x: &Tensor<4>) {
    let logits = to_vec(model.forward(x.clone()));
    let split = to_vec(model.forward_head(model.forward_features(x.clone())));
    assert_eq!(
        split, logits,
        "{name}: forward_head(forward_features(x)) != forward(x)"
    );

    let embedding = to_vec(model.embed(x.clone()));
    assert_eq!(
        embedding.len(),
        x.dims()[0] * model.num_features(),
        "{name}: num_features"
    );
    let path = dir.join("embedding.f32");
    if path.exists() {
        let reference = read_f32(&path);
        let p = floored(
            compare(&embedding, &reference, model.num_features()),
            dir,
            "embedding_f32_error",
        );
        report(&format!("embed  {name:<18} {}", p.summary()));
        assert!(
            p.max_delta <= p.tolerance,
            "{name}: embedding differs: {p:?}"
        );
    } else {
        assert!(
            std::env::var("ZOO_REQUIRE_FIXTURES").is_err(),
            "{name}: embedding.f32 missing from the fixture (rerun scripts/reference.py)"
        );
    }

    let info = model.feature_info();
    let all: Vec<usize> = (0..info.len()).collect();
    let maps = model.feature_maps(x.clone(), &all).unwrap();
    let side = x.dims()[2];
    for (f, m) in info.iter().zip(&maps) {
        let [_, c, h, _] = m.dims();
        assert_eq!(c, f.channels, "{name}: channels of {f}");
        // The reduction is the stride: the map is side / reduction, give or take rounding.
        let bound = side.div_ceil(f.reduction);
        assert!(h <= bound && 2 * h > bound, "{name}: {f} has side {h}");
    }
    if let Ok(text) = std::fs::read_to_string(dir.join("features.json")) {
        let timm: serde_json::Value = serde_json::from_str(&text).unwrap();
        let timm = timm["features"].as_array().unwrap();
        assert_eq!(timm.len(), info.len(), "{name}: stage count vs timm");
        for ((t, f), m) in timm.iter().zip(&info).zip(&maps) {
            assert_eq!(
                t["num_chs"].as_u64().unwrap() as usize,
                f.channels,
                "{name}: {f}"
            );
            assert_eq!(
                t["reduction"].as_u64().unwrap() as usize,
                f.reduction,
                "{name}: {f}"
            );
            let shape: Vec<usize> = t["shape"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap() as usize)
                .collect();
            assert_eq!(
                m.dims()[1..].to_vec(),
                shape,
                "{name}: shape of {f} vs timm's"
            );
        }
        report(&format!(
            "stages {name:<18} {} stages = timm's feature_info",
            info.len()
        ));
    }
    // Asked out of order and with a repeat, the maps come back as asked.
    let last = info.len() - 1;
    let picked = model.feature_maps(x.clone(), &[last, 0, last]).unwrap();
    assert_eq!(
        to_vec(picked[0].clone().flatten(1, 3)),
        to_vec(maps[last].clone().flatten(1, 3))
    );
    assert_eq!(picked[1].dims(), maps[0].dims());
    assert!(model.feature_maps(x.clone(), &[info.len()]).is_err());

    model.reset_classifier(5);
    assert_eq!(model.num_classes(), 5, "{name}");
    assert_eq!(model.forward(x.clone()).dims(), [x.dims()[0], 5], "{name}");
    assert_eq!(
        to_vec(model.embed(x.clone())),
        embedding,
        "{name}: backbone changed by reset"
    );
}

fn check(name: &str, v: Target) {
    let Some(dir) = fixture(name) else { return };
    let device = Device::default();
    let meta = common::json(&dir.join("meta.json"));
    assert_eq!(
        meta["params"].as_u64().unwrap() as usize,
        v.params,
        "reference parameter count"
    );

    let x = input_with(v.channels, v.input_size, &device);
    let reference = read_f32(&dir.join("logits.f32"));
    let bpk = std::env::temp_dir().join(format!("zoo-parity-{name}-{}.bpk", std::process::id()));
    let mut failures = Vec::new();
    for file in ["weights.pth", "weights.safetensors", "burnpack"] {
        let path = if file == "burnpack" {
            bpk.clone()
        } else {
            dir.join(file)
        };
        let (model, _) = (v.build)(&device)
            .load(&path, &ImportOptions::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(model.parameter_count(), v.params, "{name}: parameter count");
        if file == "weights.pth" {
            model.save(&bpk).unwrap();
        }
        let logits = to_vec(model.forward(x.clone()));
        let p = floored(compare(&logits, &reference, v.classes), &dir, "f32_error");
        let format = file.trim_start_matches("weights.");
        report(&format!(
            "parity {name:<18} {format:<11} {}  params {}",
            p.summary(),
            v.params
        ));
        if !p.ok() {
            failures.push(format!("{format}: {p:?}"));
        }
        if file == "weights.safetensors" {
            model_api(name, &dir, model, &x);
            continue;
        }
        if file == "burnpack" {
            fused_parity(name, &dir, model, &x, &logits, &reference, &mut failures);
        }
    }
    let _ = std::fs::remove_file(&bpk);
    assert!(
        failures.is_empty(),
        "{name} differs from the reference: {failures:?}"
    );
}

/// The same model with its BatchNorms folded into the convolutions (`Fuse::fused`) still gives
/// the reference logits. Folding reorders the arithmetic, so wherever there was a BatchNorm to
/// fold the logits change in their last bits; where there was none they stay bit for bit.
fn fused_parity(
    name: &str,
    dir: &std::path::Path,
    model: Box<dyn Classifier>,
    x: &Tensor<4>,
    unfused: &[f32],
    reference: &[f32],
    failures: &mut Vec<String>,
) {
    let classes = reference.len() / x.dims()[0];
    let logits = to_vec(model.fused().forward(x.clone()));
    // Nothing to fold: no BatchNorm at all, or (DenseNet without bottlenecks) every one of
    // them normalises a concatenation.
    let nothing_to_fold = name == "alexnet"
        || (name.starts_with("vgg") && !name.ends_with("_bn"))
        || name == "densenet40_k12"
        || name == "densenet100_k12"
        || ["squeezenet", "nin_", "bilinear_", "plain_", "highway_"]
            .iter()
            .any(|p| name.starts_with(p));
    assert_eq!(
        logits == unfused,
        nothing_to_fold,
        "{name}: fusing must change the arithmetic exactly where a BatchNorm follows a convolution"
    );
    let p = floored(compare(&logits, reference, classes), dir, "f32_error");
    report(&format!(
        "parity {name:<18} {:<11} {}",
        "fused",
        p.summary()
    ));
    if !p.ok() {
        failures.push(format!("fused: {p:?}"));
    }
}

macro_rules! parity_tests {
    ($($name:ident)*) => {
        $( #[test] fn $name() { parity(stringify!($name)); } )*
        /// Every variant with a parity test here.
        const PARITY: &[&str] = &[$(stringify!($name)),*];
    };
}

/// The list below is the catalogue: a variant added to a family's table without a parity
/// test (and its reference in scripts/reference.py) fails here. LeNet's variants are proven by
/// their accuracy and ONNX tests instead.
#[test]
fn every_variant_has_a_parity_test() {
    let missing: Vec<_> = burn_zoo::variants()
        .filter(|v| v.family != "lenet" && !PARITY.contains(&v.name))
        .map(|v| v.name)
        .collect();
    assert!(missing.is_empty(), "no parity test for {missing:?}");
    for name in PARITY {
        assert!(variant(name).is_some(), "{name} is not in the catalogue");
    }
    // scripts/reference.py is the reference for exactly these (and the option-B ResNet-20).
    let list = common::fixtures().join("variants.json");
    assert!(
        list.exists() || std::env::var("ZOO_REQUIRE_FIXTURES").is_err(),
        "{} missing: rerun scripts/reference.py",
        list.display()
    );
    if list.exists() {
        let listed: Vec<String> =
            serde_json::from_str(&std::fs::read_to_string(list).unwrap()).unwrap();
        let mut ours: Vec<&str> = PARITY
            .iter()
            .copied()
            .chain(["resnet20_option_b", "resnet20_stochastic_depth"])
            .collect();
        ours.sort();
        assert_eq!(
            listed, ours,
            "scripts/reference.py's variants vs the variant tables"
        );
    }
}

parity_tests! {
    resnet18 resnet34 resnet50 resnet101 resnet152
    resnext50_32x4d resnext101_32x8d resnext101_64x4d
    wide_resnet50_2 wide_resnet101_2
    alexnet vgg11 vgg13 vgg16 vgg19 vgg11_bn vgg13_bn vgg16_bn vgg19_bn
    googlenet densenet121 densenet161 densenet169 densenet201 xception
    mobilenet_v2 inception_v3 seresnet50 seresnext50_32x4d squeezenet1_0 squeezenet1_1
    inception_v4 inception_resnet_v2 legacy_senet154
    wrn_16_4 wrn_16_8 wrn_22_8 wrn_28_10 wrn_40_4
    resnet20 resnet32 resnet44 resnet56 resnet110 resnet1202
    preact_resnet110 preact_resnet164 preact_resnet1001
    densenet40_k12 densenet100_k12 densenet_bc100_k12 densenet_bc250_k24 densenet_bc190_k40
    nin_cifar10 nin_fashion bilinear_vgg16
    plain_fc10 plain_fc20 plain_fc50 highway_fc10 highway_fc20 highway_fc50 highway_cnn
    dcgan_discriminator
}

/// The CIFAR ResNet with option-B (projection) shortcuts, which the catalogue does not name.
#[test]
fn resnet20_option_b() {
    use burn_zoo::blocks::ShortcutKind;
    use burn_zoo::resnet::CifarResNetConfig;
    check(
        "resnet20_option_b",
        Target {
            params: 272_474,
            channels: 3,
            input_size: 32,
            classes: 10,
            build: Box::new(|d| {
                Box::new(
                    CifarResNetConfig::new(20, 10)
                        .with_shortcut(ShortcutKind::Projection)
                        .init(d),
                )
            }),
        },
    );
}

/// ResNet-20 with stochastic depth (p_L = 0.5) in evaluation: every residual branch scaled by
/// its survival probability, as the paper and scripts/cifar_models.py.
#[test]
fn resnet20_stochastic_depth() {
    use burn_zoo::resnet::CifarResNetConfig;
    check(
        "resnet20_stochastic_depth",
        Target {
            params: 269_722,
            channels: 3,
            input_size: 32,
            classes: 10,
            build: Box::new(|d| {
                Box::new(
                    CifarResNetConfig::new(20, 10)
                        .with_stochastic_depth(0.5)
                        .init(d),
                )
            }),
        },
    );
}
