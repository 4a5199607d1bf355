//! Real accuracy on real data: our embedded LeNet-5 on the full Fashion-MNIST test set
//! (committed), and the third-party fyh620 LeNet on the MNIST test set in ../shared/data.

mod common;

use burn::tensor::Device;
use burn_zoo::lenet::idx::Dataset;
use burn_zoo::lenet::pretrained::MNIST_NORM;
use burn_zoo::lenet::train::evaluate;
use burn_zoo::lenet::{LeNet5Weights, LeNetConfig};
use burn_zoo::{ImportOptions, ZooModel};
use common::{report, root, shared_path};

#[test]
fn embedded_lenet5_reaches_90_percent_on_fashion_mnist() {
    let device = Device::default();
    let weights = LeNet5Weights::FashionMnist;
    let model = weights.load(&device).unwrap();
    let test = Dataset::open(&root().join("tests/data/fashion-mnist"), "t10k").unwrap();
    assert_eq!(test.len(), 10_000);
    let correct = evaluate(&model, &test, weights.normalization(), &device);
    let acc = 100.0 * correct as f64 / test.len() as f64;
    report(&format!(
        "accuracy lenet5_modern (embedded) on Fashion-MNIST test: {acc:.2} % ({correct}/10000)"
    ));
    assert!(acc >= 90.0, "{acc:.2} % < 90.0 %");
}

fn fyh620_accuracy(file: &str) {
    let (Some(mnist), Some(weights)) = (
        shared_path("mnist"),
        shared_path(&format!("lenet-fyh620/{file}")),
    ) else {
        return;
    };
    let device = Device::default();
    let model = LeNetConfig::fyh620()
        .init(&device)
        .load_weights(&weights, &ImportOptions::default())
        .unwrap();
    let test = Dataset::open(&mnist, "t10k").unwrap();
    let correct = evaluate(&model, &test, MNIST_NORM, &device);
    report(&format!(
        "accuracy fyh620 LeNet ({file}) on MNIST test: {:.2} % ({correct}/10000)",
        correct as f64 / 100.0
    ));
    // ../shared/data/README.md: 98.13 % in PyTorch and ONNX Runtime.
    assert_eq!(correct, 9813);
}

#[test]
fn third_party_fyh620_lenet_reaches_98_13_percent_on_mnist() {
    fyh620_accuracy("fyh620_lenet.pth");
}

/// The same network from its third-party ONNX export (opset 11, batch fixed to 1, ends in
/// Softmax, which leaves the ranking alone), its weights matched by graph structure.
#[test]
fn third_party_fyh620_onnx_reaches_98_13_percent_on_mnist() {
    fyh620_accuracy("fyh620_lenet.onnx");
}

/// The akamaster CIFAR-10 ResNets (legacy pickle, `{best_prec1, state_dict}`, `module.`
/// keys) on the 1,017 lossless CIFAR-10 test images: the PyTorch figures of
/// ../shared/data/README.md, to the image.
#[test]
fn akamaster_cifar_resnets_reach_the_pytorch_accuracy() {
    use burn::tensor::{Tensor, TensorData};
    use burn_zoo::blocks::{IMAGENET_MEAN, IMAGENET_STD, normalize};
    use burn_zoo::variant;

    let (Some(images), Some(labels), Some(ckpts)) = (
        shared_path("cifar10/test_batch_first1017_images.u8"),
        shared_path("cifar10/labels_first1017.tsv"),
        shared_path("cifar10-resnet"),
    ) else {
        return;
    };
    let device = Device::default();
    let pixels: Vec<f32> = std::fs::read(images)
        .unwrap()
        .into_iter()
        .map(|p| p as f32 / 255.0)
        .collect();
    assert_eq!(pixels.len(), 1017 * 3 * 32 * 32);
    let labels: Vec<i64> = std::fs::read_to_string(labels)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split('\t').nth(2).unwrap().parse().unwrap())
        .collect();
    let x = normalize(
        Tensor::<4>::from_data(TensorData::new(pixels, [1017, 3, 32, 32]), &device),
        IMAGENET_MEAN,
        IMAGENET_STD,
    );
    // (depth, checkpoint, images right: 91.64 %, 92.82 %, 93.41 %, 92.72 % of 1,017)
    for (depth, file, want) in [
        (20, "resnet20-12fca82f.th", 932),
        (32, "resnet32-d509ac18.th", 944),
        (44, "resnet44-014dd654.th", 950),
        (56, "resnet56-4bfd9763.th", 943),
    ] {
        let name = format!("resnet{depth}");
        let (model, _) = variant(&name)
            .unwrap()
            .build(10, &device)
            .load(&ckpts.join(file), &ImportOptions::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let logits = model.forward(x.clone());
        let pred: Vec<i64> = logits
            .clone()
            .argmax(1)
            .into_data()
            .convert::<i64>()
            .try_to_vec()
            .unwrap();
        let correct = pred.iter().zip(&labels).filter(|(p, l)| p == l).count();
        report(&format!(
            "accuracy {name} (akamaster {file}) on 1,017 CIFAR-10 test images: {:.2} % ({correct}/1017)",
            100.0 * correct as f64 / 1017.0
        ));
        assert_eq!(correct, want, "{name}");
        if depth == 20 {
            let first: Vec<f32> = logits.slice([0..1, 0..3]).into_data().try_to_vec().unwrap();
            for (got, want) in first.iter().zip([-5.30968f32, -0.49577, 0.87726]) {
                assert!((got - want).abs() <= 1e-4, "image 0 logits {first:?}");
            }
        }
    }
}
