//! Fast tier: the ONNX importer on a small committed model. A seeded LeNet-5 exported by
//! PyTorch's TorchScript exporter (`scripts/make_lenet_onnx.py`; its tensors are named
//! `onnx::Conv_…`, so they are matched by graph structure) loads into `lenet5_modern` and gives
//! PyTorch's logits.

use burn::tensor::{Device, Tensor, TensorData};
use zoo_lenet::lenet5_modern;
use zoo_weights::{ImportOptions, LoadError, ZooModel};

fn read_f32(name: &str) -> Vec<f32> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    std::fs::read(path)
        .unwrap()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

fn onnx() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/lenet5_modern.onnx")
}

#[test]
fn an_onnx_export_loads_by_structure_and_gives_pytorchs_logits() {
    let device = Device::default();
    let model = lenet5_modern(10, &device)
        .load_weights(onnx(), &ImportOptions::default())
        .unwrap();
    let x = Tensor::<4>::from_data(
        TensorData::new(read_f32("input.f32"), [2, 1, 28, 28]),
        &device,
    );
    let got = model.forward(x).into_data().try_to_vec::<f32>().unwrap();
    let reference = read_f32("logits.f32");
    let scale = reference.iter().fold(1f32, |m, v| m.max(v.abs()));
    let max = got
        .iter()
        .zip(&reference)
        .fold(0f32, |m, (a, b)| m.max((a - b).abs()));
    assert_eq!(got.len(), 20);
    assert!(max <= 1e-4 * scale, "max |Δ| {max} (scale {scale})");
}

#[test]
fn an_onnx_graph_of_another_shape_is_refused_by_name() {
    let device = Device::default();
    // 5 classes: the graph's last Gemm has 10 outputs.
    let err = lenet5_modern(5, &device)
        .load_weights(onnx(), &ImportOptions::default())
        .unwrap_err();
    assert!(matches!(err, LoadError::Structure { .. }), "{err}");
    assert!(err.to_string().contains("fc3"), "{err}");
}
