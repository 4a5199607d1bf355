//! Parity tier: every variant, loaded from the reference's `.pth` and `.safetensors` and
//! from a Burn-format copy, gives the reference logits (see `common::compare`). References:
//! torchvision for the ImageNet families (timm for Xception), the official WRN, pre-activation ResNet and DenseNet
//! code for the CIFAR networks (re-written in scripts/cifar_models.py).

mod common;

use burn::tensor::Device;
use burn_zoo::{AnyModel, Fuse, ImportOptions, variant};
use common::{compare, fixture, input, read_f32, report, to_vec};

/// What a parity check needs of a model: how to build it and the reference's figures.
struct Target {
    params: usize,
    input_size: usize,
    classes: usize,
    build: Box<dyn Fn(&Device) -> AnyModel>,
}

fn parity(name: &str) {
    let v = variant(name).expect("variant in catalog");
    check(
        name,
        Target {
            params: v.params,
            input_size: v.input_size,
            classes: v.classes,
            build: Box::new(move |d| v.build(v.classes, d)),
        },
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

    let x = input(v.input_size, &device);
    let reference = read_f32(&dir.join("logits.f32"));
    let bpk = std::env::temp_dir().join(format!("zoo-parity-{name}-{}.bpk", std::process::id()));
    let mut failures = Vec::new();
    for file in ["weights.pth", "weights.safetensors", "burnpack"] {
        let path = if file == "burnpack" {
            bpk.clone()
        } else {
            dir.join(file)
        };
        let model = (v.build)(&device)
            .load_file(&path, &ImportOptions::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(model.num_params(), v.params, "{name}: parameter count");
        if file == "weights.pth" {
            model.save_file(&bpk).unwrap();
        }
        let logits = to_vec(model.forward(x.clone()));
        let p = compare(&logits, &reference, v.classes);
        let format = file.trim_start_matches("weights.");
        report(&format!(
            "parity {name:<18} {format:<11} {}  params {}",
            p.summary(),
            v.params
        ));
        if !p.ok() {
            failures.push(format!("{format}: {p:?}"));
        }
        if file == "burnpack" {
            fused_parity(
                name,
                model,
                &x,
                &logits,
                &reference,
                v.classes,
                &mut failures,
            );
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
    model: AnyModel,
    x: &burn::tensor::Tensor<4>,
    unfused: &[f32],
    reference: &[f32],
    classes: usize,
    failures: &mut Vec<String>,
) {
    let logits = to_vec(model.fused().forward(x.clone()));
    // Nothing to fold: no BatchNorm at all, or (DenseNet without bottlenecks) every one of
    // them normalises a concatenation.
    let nothing_to_fold = name == "alexnet"
        || (name.starts_with("vgg") && !name.ends_with("_bn"))
        || name == "densenet40_k12"
        || name == "densenet100_k12";
    assert_eq!(
        logits == unfused,
        nothing_to_fold,
        "{name}: fusing must change the arithmetic exactly where a BatchNorm follows a convolution"
    );
    let p = compare(&logits, reference, classes);
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
    ($($name:ident)*) => { $( #[test] fn $name() { parity(stringify!($name)); } )* };
}

parity_tests! {
    resnet18 resnet34 resnet50 resnet101 resnet152
    resnext50_32x4d resnext101_32x8d resnext101_64x4d
    wide_resnet50_2 wide_resnet101_2
    alexnet vgg11 vgg13 vgg16 vgg19 vgg11_bn vgg13_bn vgg16_bn vgg19_bn
    googlenet densenet121 densenet161 densenet169 densenet201 xception
    wrn_16_4 wrn_16_8 wrn_22_8 wrn_28_10 wrn_40_4
    resnet20 resnet32 resnet44 resnet56 resnet110 resnet1202
    preact_resnet110 preact_resnet164 preact_resnet1001
    densenet40_k12 densenet100_k12 densenet_bc100_k12 densenet_bc250_k24 densenet_bc190_k40
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
            input_size: 32,
            classes: 10,
            build: Box::new(|d| {
                AnyModel::CifarResNet(
                    CifarResNetConfig::new(20, 10)
                        .with_shortcut(ShortcutKind::Projection)
                        .init(d),
                )
            }),
        },
    );
}
