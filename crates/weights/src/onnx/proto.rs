//! Just enough of protobuf's wire format to read an ONNX model's graph: nodes (op type,
//! inputs, outputs, attributes) and tensors. Every read is bounds-checked, so a truncated or
//! malformed file is an error, never a panic.

use std::collections::BTreeMap;

/// Parse results; the error says what is malformed.
pub type Result<T> = std::result::Result<T, String>;

/// A field's payload.
enum Value<'a> {
    Varint(u64),
    Fixed64,
    Bytes(&'a [u8]),
    Fixed32(u32),
}

/// Iterates over the `(field number, value)` pairs of one message.
struct Fields<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Fields<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    fn varint(&mut self) -> Result<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *self.buf.get(self.pos).ok_or("truncated varint")?;
            self.pos += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err("varint longer than 10 bytes".into())
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len());
        let end =
            end.ok_or_else(|| format!("field of {n} bytes runs past the end of its message"))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn next_field(&mut self) -> Option<Result<(u64, Value<'a>)>> {
        if self.pos >= self.buf.len() {
            return None;
        }
        Some((|| {
            let key = self.varint()?;
            let value = match key & 7 {
                0 => Value::Varint(self.varint()?),
                1 => {
                    self.take(8)?;
                    Value::Fixed64
                }
                2 => {
                    let n = usize::try_from(self.varint()?).map_err(|e| e.to_string())?;
                    Value::Bytes(self.take(n)?)
                }
                5 => {
                    let b = self.take(4)?;
                    Value::Fixed32(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                }
                w => return Err(format!("unsupported wire type {w}")),
            };
            Ok((key >> 3, value))
        })())
    }
}

fn string(b: &[u8]) -> Result<String> {
    String::from_utf8(b.to_vec()).map_err(|_| "a name is not UTF-8".to_string())
}

/// Packed or unpacked repeated varints.
fn push_varints(out: &mut Vec<i64>, v: Value) -> Result<()> {
    match v {
        Value::Varint(x) => out.push(x as i64),
        Value::Bytes(b) => {
            let mut f = Fields::new(b);
            while f.pos < b.len() {
                out.push(f.varint()? as i64);
            }
        }
        _ => return Err("bad repeated integer".into()),
    }
    Ok(())
}

/// A tensor as stored: its data is decoded on demand.
#[derive(Clone, Debug, Default)]
pub struct TensorProto {
    /// The initializer's name (`onnx::Conv_193`).
    pub name: String,
    /// The shape.
    pub dims: Vec<i64>,
    /// ONNX's `TensorProto.DataType` code (1 = FLOAT).
    pub data_type: i32,
    /// `raw_data`: little-endian values, when stored that way.
    pub raw: Vec<u8>,
    /// `float_data`: the values, when stored that way.
    pub floats: Vec<f32>,
    /// `external_data` entries (`location`, `offset`, `length`) for values in another file.
    pub external: BTreeMap<String, String>,
}

impl TensorProto {
    fn parse(buf: &[u8]) -> Result<Self> {
        let mut t = TensorProto::default();
        let mut f = Fields::new(buf);
        while let Some(field) = f.next_field() {
            match field? {
                (1, v) => push_varints(&mut t.dims, v)?,
                (2, Value::Varint(x)) => t.data_type = x as i32,
                (4, Value::Fixed32(x)) => t.floats.push(f32::from_bits(x)),
                (4, Value::Bytes(b)) => {
                    if b.len() % 4 != 0 {
                        return Err("packed floats not a multiple of 4 bytes".into());
                    }
                    t.floats.extend(
                        b.chunks_exact(4)
                            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])),
                    );
                }
                (8, Value::Bytes(b)) => t.name = string(b)?,
                (9, Value::Bytes(b)) => t.raw = b.to_vec(),
                (13, Value::Bytes(b)) => {
                    let (mut k, mut v) = (String::new(), String::new());
                    let mut e = Fields::new(b);
                    while let Some(field) = e.next_field() {
                        match field? {
                            (1, Value::Bytes(s)) => k = string(s)?,
                            (2, Value::Bytes(s)) => v = string(s)?,
                            _ => {}
                        }
                    }
                    t.external.insert(k, v);
                }
                _ => {}
            }
        }
        Ok(t)
    }
}

/// A node attribute, as far as the importer reads them.
#[derive(Clone, Debug)]
pub enum Attribute {
    /// An `INT` attribute.
    Int(i64),
    /// A `FLOAT` attribute.
    Float(f32),
    /// A `TENSOR` attribute (a `Constant` node's value).
    Tensor(TensorProto),
    /// Any other kind, ignored.
    Other,
}

/// One node of the graph.
#[derive(Clone, Debug, Default)]
pub struct NodeProto {
    /// The node's name (may be empty).
    pub name: String,
    /// The operator (`Conv`, `Gemm`, …).
    pub op_type: String,
    /// Names of the values it reads, in order.
    pub inputs: Vec<String>,
    /// Names of the values it writes.
    pub outputs: Vec<String>,
    /// Attributes by name.
    pub attributes: BTreeMap<String, Attribute>,
}

impl NodeProto {
    fn parse(buf: &[u8]) -> Result<Self> {
        let mut n = NodeProto::default();
        let mut f = Fields::new(buf);
        while let Some(field) = f.next_field() {
            match field? {
                (1, Value::Bytes(b)) => n.inputs.push(string(b)?),
                (2, Value::Bytes(b)) => n.outputs.push(string(b)?),
                (3, Value::Bytes(b)) => n.name = string(b)?,
                (4, Value::Bytes(b)) => n.op_type = string(b)?,
                (5, Value::Bytes(b)) => {
                    let (name, attr) = parse_attribute(b)?;
                    n.attributes.insert(name, attr);
                }
                _ => {}
            }
        }
        Ok(n)
    }

    /// An integer attribute, or `default` when absent.
    pub fn int(&self, name: &str, default: i64) -> i64 {
        match self.attributes.get(name) {
            Some(Attribute::Int(i)) => *i,
            _ => default,
        }
    }

    /// A float attribute, or `default` when absent.
    pub fn float(&self, name: &str, default: f32) -> f32 {
        match self.attributes.get(name) {
            Some(Attribute::Float(x)) => *x,
            _ => default,
        }
    }
}

fn parse_attribute(buf: &[u8]) -> Result<(String, Attribute)> {
    let (mut name, mut attr) = (String::new(), Attribute::Other);
    let mut f = Fields::new(buf);
    while let Some(field) = f.next_field() {
        match field? {
            (1, Value::Bytes(b)) => name = string(b)?,
            (2, Value::Fixed32(x)) => attr = Attribute::Float(f32::from_bits(x)),
            (3, Value::Varint(x)) => attr = Attribute::Int(x as i64),
            (5, Value::Bytes(b)) => attr = Attribute::Tensor(TensorProto::parse(b)?),
            _ => {}
        }
    }
    Ok((name, attr))
}

/// The parts of a `GraphProto` the importer reads.
#[derive(Clone, Debug, Default)]
pub struct GraphProto {
    /// Nodes, in the file's (topological) order.
    pub nodes: Vec<NodeProto>,
    /// The graph's stored tensors.
    pub initializers: Vec<TensorProto>,
}

/// The graph of an ONNX `ModelProto`.
pub fn parse_model(buf: &[u8]) -> Result<GraphProto> {
    let mut f = Fields::new(buf);
    let mut graph = None;
    while let Some(field) = f.next_field() {
        if let (7, Value::Bytes(b)) = field? {
            graph = Some(parse_graph(b)?);
        }
    }
    graph.ok_or_else(|| "no graph: not an ONNX model".to_string())
}

fn parse_graph(buf: &[u8]) -> Result<GraphProto> {
    let mut g = GraphProto::default();
    let mut f = Fields::new(buf);
    while let Some(field) = f.next_field() {
        match field? {
            (1, Value::Bytes(b)) => g.nodes.push(NodeProto::parse(b)?),
            (5, Value::Bytes(b)) => g.initializers.push(TensorProto::parse(b)?),
            _ => {}
        }
    }
    Ok(g)
}
