//! Load errors that name the file, the tensors and the shapes involved.

use std::fmt;
use std::path::PathBuf;

use crate::WeightFormat;

/// Why a weight file could not be loaded into a model. No model is returned with any of
/// these: a failed load never hands back a half-loaded network.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot open {}: {source}", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: cannot tell the weight format (use .pth, .pt, .safetensors or .bpk)", path.display())]
    UnknownFormat { path: PathBuf },
    #[error("{}: not a readable {format} file: {reason}", path.display())]
    Read {
        path: PathBuf,
        format: WeightFormat,
        reason: String,
    },
    #[error("{}: invalid key remapping `{pattern}`: {reason}", path.display())]
    Remap {
        path: PathBuf,
        pattern: String,
        reason: String,
    },
    #[error("{} does not fit {model}:\n{mismatch}", path.display())]
    Mismatch {
        path: PathBuf,
        model: String,
        mismatch: Mismatch,
    },
    #[error(
        "{} does not fit {model}: the first layer that does not is `{}`: the model expects {}, \
         the ONNX graph has {}",
        path.display(), misfit.layer, misfit.expected, misfit.found
    )]
    Structure {
        path: PathBuf,
        model: String,
        misfit: Box<LayerMisfit>,
    },
    #[error(
        "{}: tensor `{tensor}` holds {found} values where the model needs {expected}",
        path.display()
    )]
    DType {
        path: PathBuf,
        tensor: String,
        expected: String,
        found: String,
    },
    #[error(
        "{}: tensor `{tensor}` has {count} of {total} values NaN or infinite; a model with \
         them would only answer NaN",
        path.display()
    )]
    NonFinite {
        path: PathBuf,
        tensor: String,
        count: usize,
        total: usize,
    },
    #[error("{}: tensor data could not be applied: {reason}", path.display())]
    Apply { path: PathBuf, reason: String },
    #[error("cannot write {}: {reason}", path.display())]
    Write { path: PathBuf, reason: String },
}

/// The first model layer an ONNX graph's layers do not fit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerMisfit {
    /// The model's layer, e.g. `layer1.2.conv1`.
    pub layer: String,
    /// What the model needs there, with the shape.
    pub expected: String,
    /// The graph's layer at that point (node, kind, shape, initializer name), or "nothing".
    pub found: String,
}

/// A tensor present on both sides with different shapes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShapeMismatch {
    pub name: String,
    pub expected: Vec<usize>,
    pub found: Vec<usize>,
}

/// What differs between a file's tensors and a model's, by tensor name (after remapping).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mismatch {
    /// Tensors the model needs that the file lacks, with the expected shape.
    pub missing: Vec<(String, Vec<usize>)>,
    /// Tensors in the file that the model has no place for, with their shape.
    pub unexpected: Vec<(String, Vec<usize>)>,
    pub shapes: Vec<ShapeMismatch>,
}

impl Mismatch {
    pub fn is_empty(&self) -> bool {
        self.missing.is_empty() && self.unexpected.is_empty() && self.shapes.is_empty()
    }
}

/// How many names of each kind a message lists before it summarises the rest.
const LISTED: usize = 12;

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn section<T>(
            f: &mut fmt::Formatter<'_>,
            title: &str,
            items: &[T],
            line: impl Fn(&T) -> String,
        ) -> fmt::Result {
            if items.is_empty() {
                return Ok(());
            }
            writeln!(f, "  {} {title}:", items.len())?;
            for item in items.iter().take(LISTED) {
                writeln!(f, "    {}", line(item))?;
            }
            if items.len() > LISTED {
                writeln!(f, "    … and {} more", items.len() - LISTED)?;
            }
            Ok(())
        }
        section(f, "shape mismatches", &self.shapes, |s| {
            format!(
                "{}: model expects {:?}, file has {:?}",
                s.name, s.expected, s.found
            )
        })?;
        section(
            f,
            "tensors missing from the file",
            &self.missing,
            |(n, s)| format!("{n} {s:?}"),
        )?;
        section(
            f,
            "unexpected tensors in the file",
            &self.unexpected,
            |(n, s)| format!("{n} {s:?}"),
        )
    }
}
