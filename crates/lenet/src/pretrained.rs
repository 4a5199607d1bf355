//! Weights we trained ourselves and ship inside the binary, so that classification works
//! offline with no file to fetch.

use burn::tensor::Device;
use zoo_weights::{LoadError, load_static};

use crate::{LeNet, LeNetConfig};

/// Fashion-MNIST training-set pixel statistics (of pixels / 255).
pub const FASHION_MNIST_NORM: (f32, f32) = (0.2860, 0.3530);
/// MNIST training-set pixel statistics, as the usual PyTorch examples use them.
pub const MNIST_NORM: (f32, f32) = (0.1307, 0.3081);

/// Fashion-MNIST's ten classes, in label order (the zoo's label set).
pub use zoo_model::FASHION_MNIST_CLASSES;

/// Pretrained LeNet-5 weights.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeNet5Weights {
    /// `lenet5_modern` trained here on Fashion-MNIST; how is recorded in
    /// `crates/lenet/weights/lenet5_modern-fashion-mnist.json`.
    FashionMnist,
}

/// Burnpack reads tensors in place, so embedded bytes must be aligned like the file's
/// data section; `include_bytes!` alone only guarantees byte alignment.
#[repr(C, align(256))]
struct Aligned<B: ?Sized>(B);

static FASHION_MNIST_BPK: &Aligned<[u8]> = &Aligned(*include_bytes!(
    "../weights/lenet5_modern-fashion-mnist.bpk"
));

impl LeNet5Weights {
    /// The weights the catalogue's `lenet5_modern` embeds (the only ones so far).
    pub const DEFAULT: Self = Self::FashionMnist;

    /// The network these weights fit, loaded with them.
    pub fn load(self, device: &Device) -> Result<LeNet, LoadError> {
        match self {
            Self::FashionMnist => {
                let model = LeNetConfig::modern(10).init(device);
                load_static(
                    model,
                    "lenet5_modern",
                    "<embedded lenet5_modern-fashion-mnist.bpk>",
                    &FASHION_MNIST_BPK.0,
                )
            }
        }
    }

    /// Class names, in label order.
    pub fn classes(self) -> &'static [&'static str] {
        &FASHION_MNIST_CLASSES
    }

    /// (mean, std) applied to pixels in [0, 1].
    pub fn normalization(self) -> (f32, f32) {
        FASHION_MNIST_NORM
    }

    /// Side of the square greyscale input.
    pub fn input_size(self) -> usize {
        28
    }
}
