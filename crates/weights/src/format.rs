//! Which reader a file needs, from its extension or, failing that, its first bytes.

use std::fmt;
use std::io::Read;
use std::path::Path;

/// A weight file format the zoo reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WeightFormat {
    /// `torch.save` output: zip (PyTorch ≥ 1.6) or legacy pickle.
    Pytorch,
    /// Hugging Face safetensors.
    Safetensors,
    /// Burn's native burnpack (`.bpk`), written by [`crate::save`].
    Burnpack,
    /// An ONNX model (`.onnx`): its weights are matched to the model by graph structure.
    Onnx,
}

impl fmt::Display for WeightFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WeightFormat::Pytorch => "PyTorch",
            WeightFormat::Safetensors => "safetensors",
            WeightFormat::Burnpack => "burnpack",
            WeightFormat::Onnx => "ONNX",
        })
    }
}

impl WeightFormat {
    /// The format named by the file's extension, else guessed from its magic bytes.
    pub fn detect(path: &Path) -> Option<Self> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("pth" | "pt" | "th" | "bin" | "ckpt" | "tar") => Some(Self::Pytorch),
            Some("safetensors") => Some(Self::Safetensors),
            Some("bpk" | "burnpack") => Some(Self::Burnpack),
            Some("onnx") => Some(Self::Onnx),
            _ => Self::sniff(path),
        }
    }

    fn sniff(path: &Path) -> Option<Self> {
        let mut head = [0u8; 9];
        let n = std::fs::File::open(path)
            .and_then(|mut f| f.read(&mut head))
            .ok()?;
        let head = &head[..n];
        if head.starts_with(b"PK\x03\x04") || head.starts_with(&[0x80]) {
            Some(Self::Pytorch)
        } else if head.starts_with(b"BURN") || head.starts_with(b"NRUB") {
            Some(Self::Burnpack)
        } else if n >= 9 && head[8] == b'{' {
            // safetensors: an 8-byte little-endian header length, then a JSON object.
            Some(Self::Safetensors)
        } else {
            None
        }
    }
}
