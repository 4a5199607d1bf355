//! Load errors that name the file, the tensors and the shapes involved.

use std::fmt;
use std::path::PathBuf;

use crate::WeightFormat;

/// Why a weight file could not be loaded into a model. No model is returned with any of
/// these: a failed load never hands back a half-loaded network.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be opened, or is not a regular file.
    #[error("cannot open {}: {source}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Neither the extension nor the first bytes say which format the file is.
    #[error("{}: cannot tell the weight format (use .pth, .pt, .safetensors or .bpk)", path.display())]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
    /// The file is damaged or not what its format requires.
    #[error("{}: not a readable {format} file: {reason}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The format it was read as.
        format: WeightFormat,
        /// What the reader found wrong.
        reason: String,
    },
    /// A key remapping or skip pattern (the options' or the family's) is not a valid regex.
    #[error("{}: invalid key remapping `{pattern}`: {reason}", path.display())]
    Remap {
        /// The file being loaded.
        path: PathBuf,
        /// The pattern as given.
        pattern: String,
        /// The regex compiler's message.
        reason: String,
    },
    /// The file's tensors and the model's differ by name or shape.
    #[error("{} does not fit {model}:\n{mismatch}", path.display())]
    Mismatch {
        /// The file.
        path: PathBuf,
        /// The variant's name.
        model: String,
        /// Every difference found.
        mismatch: Mismatch,
    },
    /// An ONNX graph's layers do not match the model's, in order.
    #[error(
        "{} does not fit {model}: the first layer that does not is `{}`: the model expects {}, \
         the ONNX graph has {}",
        path.display(), misfit.layer, misfit.expected, misfit.found
    )]
    Structure {
        /// The file.
        path: PathBuf,
        /// The variant's name.
        model: String,
        /// The first layer that does not fit.
        misfit: Box<LayerMisfit>,
    },
    /// A tensor's element type cannot be converted to the one the model needs.
    #[error(
        "{}: tensor `{tensor}` holds {found} values where the model needs {expected}",
        path.display()
    )]
    DType {
        /// The file.
        path: PathBuf,
        /// The tensor's name (after remapping).
        tensor: String,
        /// The model's element type.
        expected: String,
        /// The file's element type.
        found: String,
    },
    /// A tensor holds NaN or infinite values.
    #[error(
        "{}: tensor `{tensor}` has {count} of {total} values NaN or infinite; a model with \
         them would only answer NaN",
        path.display()
    )]
    NonFinite {
        /// The file.
        path: PathBuf,
        /// The tensor's name (after remapping).
        tensor: String,
        /// Values that are NaN or infinite.
        count: usize,
        /// Values in the tensor.
        total: usize,
    },
    /// Burn refused to apply tensors that passed every check (a bug if it happens).
    #[error("{}: tensor data could not be applied: {reason}", path.display())]
    Apply {
        /// The file.
        path: PathBuf,
        /// Burn's message.
        reason: String,
    },
    /// Saving failed.
    #[error("cannot write {}: {reason}", path.display())]
    Write {
        /// The file being written.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
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
    /// The tensor's name (after remapping).
    pub name: String,
    /// The model's shape.
    pub expected: Vec<usize>,
    /// The file's shape.
    pub found: Vec<usize>,
}

/// What differs between a file's tensors and a model's, by tensor name (after remapping).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mismatch {
    /// Tensors the model needs that the file lacks, with the expected shape.
    pub missing: Vec<(String, Vec<usize>)>,
    /// Tensors in the file that the model has no place for, with their shape.
    pub unexpected: Vec<(String, Vec<usize>)>,
    /// Tensors on both sides whose shapes differ.
    pub shapes: Vec<ShapeMismatch>,
}

impl Mismatch {
    /// Whether the file and the model agree on every name and shape.
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
