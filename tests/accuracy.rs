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
        .load_file(&weights, &ImportOptions::default())
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
