//! The weight-carrying layers of an ONNX graph, in node order: convolutions, BatchNorms and
//! fully connected layers (`Gemm`, or `MatMul` followed by `Add`), with their tensors resolved
//! through initializers, `Constant` and `Identity` nodes and external data files.

use std::collections::BTreeMap;
use std::path::Path;

use super::proto::{Attribute, GraphProto, NodeProto, Result, TensorProto};

/// A float tensor read from the graph.
#[derive(Clone, Debug)]
pub struct Data {
    /// The shape.
    pub dims: Vec<usize>,
    /// The values, row-major.
    pub values: Vec<f32>,
    /// The initializer's name (a hint only: exporters often rename).
    pub name: String,
}

/// What a weight layer is, with its tensors.
#[derive(Clone, Debug)]
pub enum Kind {
    /// A convolution (`Conv`).
    Conv {
        /// `[out, in / groups, kh, kw]`.
        weight: Data,
        /// One value per output channel, if any.
        bias: Option<Data>,
    },
    /// A `BatchNormalization` node.
    BatchNorm {
        /// γ.
        scale: Data,
        /// β.
        bias: Data,
        /// Running mean.
        mean: Data,
        /// Running variance.
        var: Data,
    },
    /// Weight as `[out, in]`.
    Linear {
        /// `[out, in]`.
        weight: Data,
        /// One value per output, if any.
        bias: Option<Data>,
    },
}

/// One weight-carrying layer of the graph.
#[derive(Clone, Debug)]
pub struct OnnxLayer {
    /// `op_type` and node name, for messages.
    pub node: String,
    /// What it is, with its tensors.
    pub kind: Kind,
}

struct Tensors<'g> {
    protos: BTreeMap<&'g str, &'g TensorProto>,
    alias: BTreeMap<&'g str, &'g str>,
    dir: &'g Path,
    /// Bytes of tensor values still allowed: a graph that references one initializer from
    /// thousands of nodes must not decode thousands of copies.
    budget: std::cell::Cell<usize>,
}

impl<'g> Tensors<'g> {
    /// The stored tensors of `graph`: initializers and `Constant` outputs, reached through
    /// `Identity` nodes, with `budget` bytes to decode.
    fn of(graph: &'g GraphProto, dir: &'g Path, budget: usize) -> Self {
        let constants = graph.nodes.iter().filter_map(|n| match n.op_type.as_str() {
            "Constant" => match (n.attributes.get("value"), n.outputs.first()) {
                (Some(Attribute::Tensor(t)), Some(out)) => Some((out.as_str(), t)),
                _ => None,
            },
            _ => None,
        });
        Self {
            protos: graph
                .initializers
                .iter()
                .map(|t| (t.name.as_str(), t))
                .chain(constants)
                .collect(),
            alias: graph
                .nodes
                .iter()
                .filter(|n| {
                    n.op_type == "Identity" && !n.inputs.is_empty() && !n.outputs.is_empty()
                })
                .map(|n| (n.outputs[0].as_str(), n.inputs[0].as_str()))
                .collect(),
            dir,
            budget: std::cell::Cell::new(budget),
        }
    }

    /// Input `i` of `n` when it is a stored tensor.
    fn input(&self, n: &NodeProto, i: usize) -> Result<Option<Data>> {
        match n.inputs.get(i).filter(|s| !s.is_empty()) {
            Some(name) => self.get(name),
            None => Ok(None),
        }
    }

    /// Input `i` of `n`, which must be a stored tensor.
    fn need(&self, n: &NodeProto, i: usize) -> Result<Data> {
        self.input(n, i)?.ok_or_else(|| {
            format!(
                "{} node {}: input {i} is not a stored tensor",
                n.op_type, n.name
            )
        })
    }

    fn get(&self, name: &str) -> Result<Option<Data>> {
        let start = name;
        let mut name = name;
        // Each step follows one Identity node: more steps than nodes means a cycle.
        for _ in 0..=self.alias.len() {
            match self.alias.get(name) {
                Some(next) => name = next,
                None => break,
            }
        }
        if self.alias.contains_key(name) {
            return Err(format!("Identity nodes from `{start}` form a cycle"));
        }
        let Some(t) = self.protos.get(name) else {
            return Ok(None);
        };
        let bytes = t
            .dims
            .iter()
            .try_fold(4usize, |n, &d| n.checked_mul(usize::try_from(d).ok()?))
            .ok_or_else(|| format!("tensor {}: shape {:?} overflows", t.name, t.dims))?;
        let left = self.budget.get().checked_sub(bytes).ok_or_else(|| {
            format!(
                "tensor {}: the graph's layers read more tensor data than the file holds or \
                 the model could use (tensors referenced many times?)",
                t.name
            )
        })?;
        self.budget.set(left);
        decode(t, self.dir).map(Some)
    }
}

/// Where a tensor's external data lives: a relative path inside the model's folder (as
/// onnx's checker requires), which must be a regular file. Absolute paths, `..` and links
/// leading out of the folder are refused, so a model cannot read other files of the machine.
fn external_path(t: &TensorProto, dir: &Path, location: &str) -> Result<std::path::PathBuf> {
    use std::path::Component;
    let refuse = |why: &str| {
        format!(
            "tensor {}: external data location `{location}` {why}; only a relative path \
             inside the model's folder is allowed",
            t.name
        )
    };
    let rel = Path::new(location);
    if location.is_empty()
        || !rel
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Err(refuse("is absolute or leaves the folder"));
    }
    let path = dir.join(rel);
    let missing = |e: std::io::Error| format!("tensor {}: external data `{location}`: {e}", t.name);
    let real = path.canonicalize().map_err(missing)?;
    let root = dir.canonicalize().map_err(missing)?;
    if !real.starts_with(&root) {
        return Err(refuse("links outside the folder"));
    }
    if !std::fs::metadata(&real).map_err(missing)?.is_file() {
        return Err(refuse("is not a regular file"));
    }
    Ok(real)
}

/// A tensor's bytes from its external data file: only its own range is read, and at most
/// `expected` bytes.
fn external(t: &TensorProto, dir: &Path, location: &str, expected: usize) -> Result<Vec<u8>> {
    use std::io::{Read, Seek, SeekFrom};
    let path = external_path(t, dir, location)?;
    let io = |e: std::io::Error| format!("tensor {}: external data `{location}`: {e}", t.name);
    let mut file = std::fs::File::open(&path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len() as usize;
    let offset: usize = t
        .external
        .get("offset")
        .map_or(Ok(0), |o| o.parse())
        .map_err(|_| format!("tensor {}: bad external offset", t.name))?;
    let length: usize = t
        .external
        .get("length")
        .map_or(Ok(size.saturating_sub(offset)), |o| o.parse())
        .map_err(|_| format!("tensor {}: bad external length", t.name))?;
    if length != expected {
        return Err(format!(
            "tensor {}: external data length {length} bytes, its shape needs {expected}",
            t.name
        ));
    }
    offset
        .checked_add(length)
        .filter(|&e| e <= size)
        .ok_or_else(|| {
            format!(
                "tensor {}: external data `{location}` is shorter than offset {offset} + \
                 length {length}",
                t.name
            )
        })?;
    let mut bytes = vec![0u8; length];
    file.seek(SeekFrom::Start(offset as u64)).map_err(io)?;
    file.read_exact(&mut bytes).map_err(io)?;
    Ok(bytes)
}

fn decode(t: &TensorProto, dir: &Path) -> Result<Data> {
    let dims: Vec<usize> = t
        .dims
        .iter()
        .map(|&d| usize::try_from(d).map_err(|_| format!("tensor {}: negative dimension", t.name)))
        .collect::<Result<_>>()?;
    let width = match t.data_type {
        1 => 4,
        11 => 8,
        other => {
            return Err(format!(
                "tensor {}: data type {other} is not float32 or float64",
                t.name
            ));
        }
    };
    // The shape is the file's word: checked, and held to the bytes the file actually has.
    let count = dims
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .and_then(|n| n.checked_mul(width).map(|_| n))
        .ok_or_else(|| format!("tensor {}: shape {dims:?} overflows", t.name))?;
    let raw: std::borrow::Cow<[u8]> = if let Some(location) = t.external.get("location") {
        external(t, dir, location, count * width)?.into()
    } else {
        (&t.raw[..]).into()
    };
    let found = if t.data_type == 1 && !t.floats.is_empty() {
        t.floats.len()
    } else {
        raw.len() / width
    };
    if found != count || (t.floats.is_empty() && !raw.len().is_multiple_of(width)) {
        return Err(format!(
            "tensor {}: {} bytes of data for shape {dims:?} ({count} values)",
            t.name,
            raw.len().max(t.floats.len() * 4)
        ));
    }
    let values: Vec<f32> = match t.data_type {
        1 if !t.floats.is_empty() => t.floats.clone(),
        1 => raw
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
        _ => raw
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) as f32)
            .collect(),
    };
    Ok(Data {
        dims,
        values,
        name: t.name.clone(),
    })
}

fn transpose(d: Data) -> Data {
    let (r, c) = (d.dims[0], d.dims[1]);
    let mut values = vec![0f32; r * c];
    for i in 0..r {
        for j in 0..c {
            values[j * r + i] = d.values[i * c + j];
        }
    }
    Data {
        dims: vec![c, r],
        values,
        name: d.name,
    }
}

fn scaled(mut d: Data, by: f32) -> Data {
    if by != 1.0 {
        d.values.iter_mut().for_each(|v| *v *= by);
    }
    d
}

/// The weight layers of `graph` in node order; `dir` is where external data files live.
/// At most `max_layers` layers are read, and tensor values of at most `budget` bytes or twice
/// what the file and its external data hold (`file_len` + the data files' sizes), whichever is
/// more: a small graph referencing one initializer from many nodes would otherwise make the
/// reader decode gigabytes.
pub fn layers(
    graph: &GraphProto,
    dir: &Path,
    file_len: u64,
    max_layers: usize,
    budget: usize,
) -> Result<Vec<OnnxLayer>> {
    let budget = budget.max(held_bytes(graph, dir, file_len));
    let tensors = Tensors::of(graph, dir, budget);
    let adds = adds_by_input(graph);
    let mut out = Vec::new();
    for (k, n) in graph.nodes.iter().enumerate() {
        let node = node_label(n, k);
        let kind = match n.op_type.as_str() {
            "Conv" => Kind::Conv {
                weight: tensors.need(n, 1)?,
                bias: tensors.input(n, 2)?,
            },
            "BatchNormalization" => Kind::BatchNorm {
                scale: tensors.need(n, 1)?,
                bias: tensors.need(n, 2)?,
                mean: tensors.need(n, 3)?,
                var: tensors.need(n, 4)?,
            },
            "Gemm" => match gemm(&tensors, n, &node)? {
                Some(kind) => kind,
                None => continue,
            },
            "MatMul" => match matmul(&tensors, graph, &adds, k)? {
                Some(kind) => kind,
                None => continue,
            },
            _ => continue,
        };
        if out.len() == max_layers {
            return Err(format!(
                "{node}: the graph has more than {max_layers} weight layers, more than the model"
            ));
        }
        out.push(OnnxLayer { node, kind });
    }
    Ok(out)
}

/// Twice the bytes the file and its external data files hold: the most tensor data a graph
/// that stores each tensor once can need (transposes included).
fn held_bytes(graph: &GraphProto, dir: &Path, file_len: u64) -> usize {
    let mut locations = std::collections::BTreeSet::new();
    let external: u64 = graph
        .initializers
        .iter()
        .filter_map(|t| t.external.get("location"))
        .filter(|l| locations.insert(l.as_str()))
        .filter_map(|l| std::fs::metadata(dir.join(l)).ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum();
    usize::try_from(file_len.saturating_add(external).saturating_mul(2)).unwrap_or(usize::MAX)
}

/// `op_type` and name (or `#index`) of a node, for messages.
fn node_label(n: &NodeProto, k: usize) -> String {
    let name = if n.name.is_empty() {
        format!("#{k}")
    } else {
        n.name.clone()
    };
    format!("{} {name}", n.op_type)
}

/// `Add` nodes by each of their inputs, in node order: a MatMul's bias is the first Add after
/// it that reads its output (one pass, not a search per MatMul).
fn adds_by_input(graph: &GraphProto) -> BTreeMap<&str, Vec<usize>> {
    let mut adds: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (k, n) in graph.nodes.iter().enumerate() {
        if n.op_type == "Add" {
            for i in &n.inputs {
                adds.entry(i.as_str()).or_default().push(k);
            }
        }
    }
    adds
}

/// A `Gemm` with a stored weight matrix as a fully connected layer (`transB`, `alpha` and
/// `beta` applied); `None` when its weight is not stored (an activation product).
fn gemm(tensors: &Tensors, n: &NodeProto, node: &str) -> Result<Option<Kind>> {
    let Some(w) = tensors.input(n, 1)? else {
        return Ok(None);
    };
    if w.dims.len() != 2 {
        return Err(format!(
            "{node}: weight {} has shape {:?}; Gemm needs a matrix",
            w.name, w.dims
        ));
    }
    let w = if n.int("transB", 0) == 1 {
        w
    } else {
        transpose(w)
    };
    if n.int("transA", 0) != 0 {
        return Err(format!("{node}: transA is not supported"));
    }
    Ok(Some(Kind::Linear {
        weight: scaled(w, n.float("alpha", 1.0)),
        bias: tensors
            .input(n, 2)?
            .map(|b| scaled(b, n.float("beta", 1.0))),
    }))
}

/// A `MatMul` by a stored matrix as a fully connected layer, its bias the stored vector of
/// the first `Add` after it that reads its output; `None` for any other MatMul.
fn matmul(
    tensors: &Tensors,
    graph: &GraphProto,
    adds: &BTreeMap<&str, Vec<usize>>,
    k: usize,
) -> Result<Option<Kind>> {
    let n = &graph.nodes[k];
    let Some(w) = tensors.input(n, 1)? else {
        return Ok(None);
    };
    if w.dims.len() != 2 {
        return Ok(None);
    }
    let out_name = n.outputs.first().map_or("", String::as_str);
    let add = adds
        .get(out_name)
        .and_then(|ks| ks.iter().find(|&&j| j > k))
        .map(|&j| &graph.nodes[j]);
    let bias = match add.and_then(|a| a.inputs.iter().find(|i| *i != out_name)) {
        Some(other) => tensors.get(other)?,
        None => None,
    };
    Ok(Some(Kind::Linear {
        weight: transpose(w),
        bias,
    }))
}
