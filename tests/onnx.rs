//! ONNX weight import by graph structure: one variant of every family, exported with its
//! BatchNorms and state-dict names kept (`model-names.onnx`), by the TorchScript exporter in
//! eval mode, BatchNorm folded and initializers renamed (`model-folded.onnx`), and by
//! `torch.onnx.export`'s default dynamo exporter (`model-dynamo.onnx`, BatchNorm folded too),
//! gives the reference logits; graphs that do not fit and broken files give errors.

mod common;

use burn::tensor::Device;
use burn_zoo::{ImportOptions, LoadError, variant};
use common::{compare, fixture, input, read_f32, report, to_vec};

fn onnx_parity(name: &str) {
    let v = variant(name).unwrap();
    onnx_parity_of(name, &|d| v.build(v.classes, d));
}

/// [`onnx_parity`] into the model `build` makes.
fn onnx_parity_of(name: &str, build: &dyn Fn(&Device) -> Box<dyn burn_zoo::Classifier>) {
    let Some(dir) = fixture(name) else { return };
    let v = variant(name).unwrap();
    let device = Device::default();
    let reference = read_f32(&dir.join("logits.f32"));
    let x = input(v.input.size, &device);
    for mode in ["names", "folded", "dynamo"] {
        let file = dir.join(format!("model-{mode}.onnx"));
        let model = build(&device)
            .load(&file, &ImportOptions::default())
            .unwrap_or_else(|e| panic!("{name} {mode}: {e}"))
            .0;
        let p = compare(&to_vec(model.forward(x.clone())), &reference, v.classes);
        let p = common::floored(p, &dir, "f32_error");
        report(&format!("onnx   {name:<18} {mode:<11} {}", p.summary()));
        assert!(p.ok(), "{name} {mode}: {p:?}");
    }
}

macro_rules! onnx_tests {
    ($($name:ident)*) => { $( #[test] fn $name() { onnx_parity(stringify!($name)); } )* };
}

onnx_tests! {
    resnet18 resnext50_32x4d wide_resnet50_2 alexnet vgg11_bn googlenet densenet121 xception resnet20
    mobilenet_v2 seresnet50 squeezenet1_1 inception_v4 inception_resnet_v2
}

/// An eval-mode export has no auxiliary classifier: it loads into Inception-v3 built without
/// one (`inception_v3()` builds it, as torchvision's `inception_v3(weights=None)` does).
#[test]
fn inception_v3() {
    onnx_parity_of("inception_v3", &|d| {
        Box::new(
            burn_zoo::inception::Inception3Config::new(1000)
                .with_aux_logits(false)
                .init(d),
        )
    });
}

fn load_err(model: &str, file: &std::path::Path) -> LoadError {
    variant(model)
        .unwrap()
        .build(1000, &Device::default())
        .load(file, &ImportOptions::default())
        .map(|_| ())
        .expect_err("must not load")
}

#[test]
fn a_graph_that_does_not_fit_names_the_first_layer_and_both_shapes() {
    let (Some(r18), Some(cifar)) = (fixture("resnet18"), fixture("resnet20")) else {
        return;
    };
    let err = load_err("resnet34", &r18.join("model-folded.onnx"));
    let msg = err.to_string();
    assert!(matches!(err, LoadError::Structure { .. }), "{msg}");
    // resnet34's layer1 has a third block; resnet18's graph goes on to layer2.
    assert!(
        msg.contains("`layer1.2.conv1`")
            && msg.contains("[64, 64, 3, 3]")
            && msg.contains("[128, 64, 3, 3]"),
        "{msg}"
    );
    // The CIFAR ResNet-20 starts with 16 3×3 filters where ResNet-18 has 64 7×7 ones.
    let err = load_err("resnet18", &cifar.join("model-names.onnx"));
    let msg = err.to_string();
    assert!(
        msg.contains("`conv1`") && msg.contains("[64, 3, 7, 7]") && msg.contains("[16, 3, 3, 3]"),
        "{msg}"
    );
}

#[test]
fn broken_onnx_files_are_errors_not_panics() {
    let Some(dir) = fixture("resnet18") else {
        return;
    };
    let bytes = std::fs::read(dir.join("model-folded.onnx")).unwrap();
    let tmp = std::env::temp_dir().join(format!("zoo-onnx-broken-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let file = tmp.join("broken.onnx");
    for cut in [0, 1, 7, 100, 4096, bytes.len() / 2, bytes.len() - 10] {
        std::fs::write(&file, &bytes[..cut]).unwrap();
        let err = load_err("resnet18", &file);
        assert!(
            matches!(err, LoadError::Read { .. } | LoadError::Structure { .. }),
            "cut {cut}: {err}"
        );
        assert!(err.to_string().contains("broken.onnx"), "{err}");
    }
    let garbage: Vec<u8> = (0..5000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    std::fs::write(&file, garbage).unwrap();
    assert!(matches!(
        load_err("resnet18", &file),
        LoadError::Read { .. }
    ));
    // External data: loads beside its data file, and names the data file when it is missing.
    let device = Device::default();
    variant("resnet18")
        .unwrap()
        .build(1000, &device)
        .load(&dir.join("model-external.onnx"), &ImportOptions::default())
        .unwrap();
    std::fs::copy(dir.join("model-external.onnx"), tmp.join("alone.onnx")).unwrap();
    let err = load_err("resnet18", &tmp.join("alone.onnx"));
    assert!(
        matches!(err, LoadError::Read { .. }) && err.to_string().contains("model-external.data"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&tmp);
}

/// The LeNet family: the third-party fyh620 weights exported to ONNX three ways (see
/// `lenet_onnx_fixtures` in scripts/reference.py) give the same logits on the first 200 MNIST
/// test digits as the same weights from the `.pth` (which match PyTorch's 98.13 %, see
/// tests/accuracy.rs); the original third-party `.onnx` is checked there on all 10,000.
#[test]
fn lenet_fyh620_exports() {
    use burn_zoo::ZooModel;
    use burn_zoo::lenet::LeNetConfig;
    use burn_zoo::lenet::idx::Dataset;
    use burn_zoo::lenet::pretrained::MNIST_NORM;
    // The exports exist only where the shared data does: look for that first.
    let (Some(pth), Some(mnist)) = (
        common::shared_path("lenet-fyh620/fyh620_lenet.pth"),
        common::shared_path("mnist"),
    ) else {
        return;
    };
    let Some(dir) = common::fixture_with("lenet_fyh620", "model-names.onnx") else {
        return;
    };
    let device = Device::default();
    let test = Dataset::open(&mnist, "t10k").unwrap();
    let indices: Vec<usize> = (0..200).collect();
    let (x, _) = test.batch(&indices, MNIST_NORM.0, MNIST_NORM.1, &device);
    let load = |file: &std::path::Path| {
        LeNetConfig::fyh620()
            .init(&device)
            .load_weights(file, &ImportOptions::default())
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let reference = to_vec(load(&pth).forward(x.clone()));
    for mode in ["names", "folded", "dynamo"] {
        let got = to_vec(load(&dir.join(format!("model-{mode}.onnx"))).forward(x.clone()));
        let p = compare(&got, &reference, 10);
        report(&format!(
            "onnx   {:<18} {mode:<11} {} (vs the .pth)",
            "lenet_fyh620",
            p.summary()
        ));
        assert!(p.ok(), "{mode}: {p:?}");
    }
}
