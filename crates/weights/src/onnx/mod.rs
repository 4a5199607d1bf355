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
    let budget = slot_budget(&slots);
    let layers = graph::layers(&graph, dir, bytes.len() as u64, slots.len() + 1, budget)
        .map_err(OnnxError::Read)?;
    let mut out = Out::default();
    let mut next = layers.iter().peekable();
    // The shift of a BatchNorm folded into the previous convolution, for the model's BatchNorm.
    let mut folded: Option<Data> = None;
    for (i, slot) in slots.iter().enumerate() {
        if slot.kind == SlotKind::BatchNorm
            && let Some(shift) = folded.take()
        {
            out.identity_batch_norm(slot, shift, bn_eps);
            continue;
        }
        let Some(layer) = next.next() else {
            return Err(misfit(slot, None));
        };
        let graph_next = next.peek().map(|l| &l.kind);
        folded = out.fit(slot, slots.get(i + 1), layer, graph_next)?;
    }
    if let Some(extra) = next.next() {
        return Err(OnnxError::Misfit(LayerMisfit {
            layer: "(end of the model)".into(),
            expected: "no more layers".into(),
            found: format!("{}: {}", extra.node, describe(&extra.kind)),
        }));
    }
    Ok(out.0)
}

/// What a graph that fits can need: every slot's weight and bias (twice, for transposes and
/// folded BatchNorms), and some room for small extra tensors.
fn slot_budget(slots: &[Slot]) -> usize {
    slots
        .iter()
        .map(|s| s.shape.iter().product::<usize>() + s.shape.first().copied().unwrap_or(0))
        .sum::<usize>()
        .saturating_mul(8)
        .saturating_add(64 << 20)
}

/// `slot` does not fit the graph's layer `found` (or the graph has no more layers).
fn misfit(slot: &Slot, found: Option<&OnnxLayer>) -> OnnxError {
    OnnxError::Misfit(LayerMisfit {
        layer: slot.prefix.clone(),
        expected: expected(slot),
        found: found.map_or_else(
            || "nothing: the graph has no more weight layers".to_string(),
            |l| format!("{}: {}", l.node, describe(&l.kind)),
        ),
    })
}

/// `c` copies of `v`.
fn filled(c: usize, v: f32) -> Data {
    Data {
        dims: vec![c],
        values: vec![v; c],
        name: String::new(),
    }
}

/// The model's tensors as they are matched, by PyTorch-convention name.
#[derive(Default)]
struct Out(BTreeMap<String, PackTensor>);

impl Out {
    fn put(&mut self, prefix: &str, leaf: &str, d: Data) {
        let name = format!("{prefix}.{leaf}");
        self.0.insert(name.clone(), pack(name, d.dims, d.values));
    }

    /// A BatchNorm that was folded into the previous convolution: the identity,
    /// (y − 0) / √((1 − ε) + ε) · 1 + shift.
    fn identity_batch_norm(&mut self, slot: &Slot, shift: Data, bn_eps: f64) {
        let c = shift.values.len();
        self.put(&slot.prefix, "weight", filled(c, 1.0));
        self.put(&slot.prefix, "bias", shift);
        self.put(&slot.prefix, "running_mean", filled(c, 0.0));
        self.put(
            &slot.prefix,
            "running_var",
            filled(c, (1.0 - bn_eps) as f32),
        );
    }

    /// Puts `layer`'s tensors under `slot` (`after` is the model's next slot, `graph_next` the
    /// graph's next layer); returns the shift of a BatchNorm folded into a convolution, for
    /// the model's BatchNorm that follows it.
    fn fit(
        &mut self,
        slot: &Slot,
        after: Option<&Slot>,
        layer: &OnnxLayer,
        graph_next: Option<&Kind>,
    ) -> Result<Option<Data>, OnnxError> {
        match (&slot.kind, layer.kind.clone()) {
            (SlotKind::Conv, Kind::Conv { weight, bias }) if weight.dims == slot.shape => {
                self.conv(slot, after, layer, weight, bias, graph_next)
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
                self.put(&slot.prefix, "weight", scale);
                self.put(&slot.prefix, "bias", bias);
                self.put(&slot.prefix, "running_mean", mean);
                self.put(&slot.prefix, "running_var", var);
                Ok(None)
            }
            (SlotKind::Linear, Kind::Linear { weight, bias }) if weight.dims == slot.shape => {
                let c = slot.shape[0];
                self.put(&slot.prefix, "weight", weight);
                if slot.bias {
                    self.put(&slot.prefix, "bias", bias.unwrap_or_else(|| filled(c, 0.0)));
                }
                Ok(None)
            }
            _ => Err(misfit(slot, Some(layer))),
        }
    }

    /// A convolution. When a BatchNorm of its channels follows in the model, it is folded
    /// into the convolution if the graph gives the convolution a bias the model lacks, or if
    /// the graph's next layer is not that BatchNorm: its shift is returned.
    fn conv(
        &mut self,
        slot: &Slot,
        after: Option<&Slot>,
        layer: &OnnxLayer,
        weight: Data,
        bias: Option<Data>,
        graph_next: Option<&Kind>,
    ) -> Result<Option<Data>, OnnxError> {
        let c = slot.shape[0];
        let bn_next = after.is_some_and(|s| s.kind == SlotKind::BatchNorm && s.shape == [c]);
        let graph_bn_next =
            matches!(graph_next, Some(Kind::BatchNorm { scale, .. }) if scale.dims == [c]);
        self.put(&slot.prefix, "weight", weight);
        match (slot.bias, bias) {
            (false, Some(b)) if bn_next => Ok(Some(b)),
            (false, Some(_)) => Err(OnnxError::Misfit(LayerMisfit {
                layer: slot.prefix.clone(),
                expected: format!("{} without bias", expected(slot)),
                found: format!("{}: {} with a bias", layer.node, describe(&layer.kind)),
            })),
            (false, None) => Ok(None),
            (true, b) => {
                self.put(&slot.prefix, "bias", b.unwrap_or_else(|| filled(c, 0.0)));
                Ok((bn_next && !graph_bn_next).then(|| filled(c, 0.0)))
            }
        }
    }
}

/// Why an ONNX file could not be read into a model.
#[derive(Debug)]
pub enum OnnxError {
    /// Not a readable ONNX file: malformed or truncated protobuf, missing external data.
    Read(String),
    /// The graph's layers do not fit the model's: the first model layer that does not fit.
    Misfit(LayerMisfit),
}
