//! ONNX weight import by graph structure. Exporters rename weights (`onnx::Conv_193`) and fold
//! BatchNorm into the preceding convolution, so names cannot be trusted: the graph's weight
//! layers, in node order, are matched to the model's layers in execution order by kind and
//! shape. A convolution whose BatchNorm was folded into it loads exactly: its weight as is,
//! and the BatchNorm set to the identity with the folded bias as its shift.

mod graph;
mod proto;

use std::collections::BTreeMap;
use std::path::Path;

use burn::module::Module;
use burn::tensor::TensorData;
use burn_store::burn_pack::Tensor as PackTensor;
use burn_store::{BurnToPyTorchAdapter, ModuleSnapshot};

use crate::LayerMisfit;
use graph::{Data, Kind, OnnxLayer};

/// A layer of the model, as its PyTorch-convention tensors name it.
#[derive(Debug)]
struct Slot {
    /// `layer1.0.conv1`
    prefix: String,
    kind: SlotKind,
    /// Shape of `weight` (`[out, in, kh, kw]` or `[out, in]`; `[c]` for BatchNorm).
    shape: Vec<usize>,
    bias: bool,
}

#[derive(Debug, PartialEq)]
enum SlotKind {
    Conv,
    BatchNorm,
    Linear,
}

fn slots<M: Module>(model: &M) -> Vec<Slot> {
    let wanted = model.collect(None, Some(Box::new(BurnToPyTorchAdapter)), true);
    let mut out: Vec<Slot> = Vec::new();
    for t in &wanted {
        let (prefix, leaf) = t.name.rsplit_once('.').unwrap_or(("", t.name.as_str()));
        if out.last().is_none_or(|s| s.prefix != prefix) {
            out.push(Slot {
                prefix: prefix.to_string(),
                kind: SlotKind::Linear,
                shape: Vec::new(),
                bias: false,
            });
        }
        let slot = out.last_mut().expect("pushed above");
        match leaf {
            "weight" => {
                slot.shape = t.shape.iter().copied().collect();
                if slot.kind != SlotKind::BatchNorm {
                    slot.kind = if slot.shape.len() == 4 {
                        SlotKind::Conv
                    } else {
                        SlotKind::Linear
                    };
                }
            }
            "bias" => slot.bias = true,
            "running_mean" | "running_var" => slot.kind = SlotKind::BatchNorm,
            _ => {}
        }
    }
    for s in &mut out {
        if s.kind == SlotKind::BatchNorm {
            s.bias = true;
        }
    }
    out
}

fn pack(name: String, dims: Vec<usize>, values: Vec<f32>) -> PackTensor {
    burn_store::bridge::from_data(TensorData::new(values, dims), name, None)
}

fn describe(kind: &Kind) -> String {
    match kind {
        Kind::Conv { weight, .. } => format!("convolution {:?} ({})", weight.dims, weight.name),
        Kind::BatchNorm { scale, .. } => format!(
            "BatchNorm of {} channels ({})",
            scale.dims.first().unwrap_or(&0),
            scale.name
        ),
        Kind::Linear { weight, .. } => {
            format!("fully connected {:?} ({})", weight.dims, weight.name)
        }
    }
}

fn expected(slot: &Slot) -> String {
    match slot.kind {
        SlotKind::Conv => format!("convolution {:?}", slot.shape),
        SlotKind::BatchNorm => {
            format!("BatchNorm of {} channels", slot.shape.first().unwrap_or(&0))
        }
        SlotKind::Linear => format!("fully connected {:?}", slot.shape),
    }
}

/// The model's tensors (PyTorch-convention names and shapes) read from the ONNX file at
/// `path`, or why the graph does not fit. `bn_eps` is the model's BatchNorm ε, needed to set a
/// folded BatchNorm to the identity exactly.
pub fn tensors_for<M: Module>(
    model: &M,
    path: &Path,
    bn_eps: f64,
) -> Result<BTreeMap<String, PackTensor>, OnnxError> {
    let bytes = std::fs::read(path).map_err(|e| OnnxError::Read(e.to_string()))?;
    let graph = proto::parse_model(&bytes).map_err(OnnxError::Read)?;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let slots = slots(model);
    // What a graph that fits can need: every slot's weight and bias (twice, for transposes
    // and folded BatchNorms), and some room for small extra tensors.
    let budget = slots
        .iter()
        .map(|s| s.shape.iter().product::<usize>() + s.shape.first().copied().unwrap_or(0))
        .sum::<usize>()
        .saturating_mul(8)
        .saturating_add(64 << 20);
    let layers = graph::layers(&graph, dir, bytes.len() as u64, slots.len() + 1, budget)
        .map_err(OnnxError::Read)?;
    let mut out = BTreeMap::new();
    let mut put = |prefix: &str, leaf: &str, d: Data| {
        let name = format!("{prefix}.{leaf}");
        out.insert(name.clone(), pack(name, d.dims, d.values));
    };
    let mut next = layers.iter().peekable();
    let mut folded: Option<Data> = None;
    for (i, slot) in slots.iter().enumerate() {
        if slot.kind == SlotKind::BatchNorm
            && let Some(shift) = folded.take()
        {
            // Identity BatchNorm: (y − 0) / √((1 − ε) + ε) · 1 + shift.
            let c = shift.values.len();
            let d = |v: f32| Data {
                dims: vec![c],
                values: vec![v; c],
                name: String::new(),
            };
            put(&slot.prefix, "weight", d(1.0));
            put(&slot.prefix, "bias", shift);
            put(&slot.prefix, "running_mean", d(0.0));
            put(&slot.prefix, "running_var", d((1.0 - bn_eps) as f32));
            continue;
        }
        let misfit = |found: Option<&OnnxLayer>| {
            OnnxError::Misfit(LayerMisfit {
                layer: slot.prefix.clone(),
                expected: expected(slot),
                found: found.map_or_else(
                    || "nothing: the graph has no more weight layers".to_string(),
                    |l| format!("{}: {}", l.node, describe(&l.kind)),
                ),
            })
        };
        let Some(layer) = next.next() else {
            return Err(misfit(None));
        };
        match (&slot.kind, layer.kind.clone()) {
            (SlotKind::Conv, Kind::Conv { weight, bias }) if weight.dims == slot.shape => {
                let c = slot.shape[0];
                let zeros = || Data {
                    dims: vec![c],
                    values: vec![0.0; c],
                    name: String::new(),
                };
                // A BatchNorm of this convolution's channels follows in the model: folded into
                // the convolution when the graph gives the convolution a bias the model lacks,
                // or when the graph's next layer is not that BatchNorm.
                let bn_next = slots
                    .get(i + 1)
                    .is_some_and(|s| s.kind == SlotKind::BatchNorm && s.shape == [c]);
                let graph_bn_next = matches!(next.peek().map(|l| &l.kind), Some(Kind::BatchNorm { scale, .. }) if scale.dims == [c]);
                let misfit_bias = OnnxError::Misfit(LayerMisfit {
                    layer: slot.prefix.clone(),
                    expected: format!("{} without bias", expected(slot)),
                    found: format!("{}: {} with a bias", layer.node, describe(&layer.kind)),
                });
                put(&slot.prefix, "weight", weight);
                match (slot.bias, bias) {
                    (false, Some(b)) if bn_next => folded = Some(b),
                    (false, Some(_)) => return Err(misfit_bias),
                    (false, None) => {}
                    (true, b) => {
                        put(&slot.prefix, "bias", b.unwrap_or_else(zeros));
                        if bn_next && !graph_bn_next {
                            folded = Some(zeros());
                        }
                    }
                }
            }
            (
                SlotKind::BatchNorm,
                Kind::BatchNorm {
                    scale,
                    bias,
                    mean,
                    var,
                },
            ) if scale.dims == slot.shape => {
                put(&slot.prefix, "weight", scale);
                put(&slot.prefix, "bias", bias);
                put(&slot.prefix, "running_mean", mean);
                put(&slot.prefix, "running_var", var);
            }
            (SlotKind::Linear, Kind::Linear { weight, bias }) if weight.dims == slot.shape => {
                put(&slot.prefix, "weight", weight);
                if slot.bias {
                    let c = slot.shape[0];
                    let b = bias.unwrap_or(Data {
                        dims: vec![c],
                        values: vec![0.0; c],
                        name: String::new(),
                    });
                    put(&slot.prefix, "bias", b);
                }
            }
            _ => return Err(misfit(Some(layer))),
        }
    }
    if let Some(extra) = next.next() {
        return Err(OnnxError::Misfit(LayerMisfit {
            layer: "(end of the model)".into(),
            expected: "no more layers".into(),
            found: format!("{}: {}", extra.node, describe(&extra.kind)),
        }));
    }
    Ok(out)
}

/// Why an ONNX file could not be read into a model.
#[derive(Debug)]
pub enum OnnxError {
    /// Not a readable ONNX file: malformed or truncated protobuf, missing external data.
    Read(String),
    /// The graph's layers do not fit the model's: the first model layer that does not fit.
    Misfit(LayerMisfit),
}
