//! LeNet-5 (LeCun, Bottou, Bengio & Haffner 1998, "Gradient-Based Learning Applied to
//! Document Recognition"), configurable from the paper's network to the common modern one,
//! with an IDX reader and a training loop for MNIST-style data.
//!
//! ```
//! use burn::tensor::{Device, Tensor};
//! let device = Device::default();
//! let model = zoo_lenet::LeNet5Weights::DEFAULT.load(&device)?; // embedded, Fashion-MNIST
//! let logits = model.forward(Tensor::zeros([1, 1, 28, 28], &device));
//! assert_eq!(logits.dims(), [1, 10]);
//! # Ok::<(), zoo_weights::LoadError>(())
//! ```

#![warn(missing_docs)]

pub mod idx;
mod model;
pub mod pretrained;
pub mod train;

pub use model::{Activation, KEY_MAP, LeNet, LeNetConfig, Pooling};
pub use pretrained::LeNet5Weights;

use burn::tensor::Device;

/// The paper's LeNet-5: 32×32 input (28×28 padded by 2), tanh, average-pool subsampling,
/// C5 = 120, F6 = 84. C3 is fully connected to S2 (the paper's partial connection table is
/// a 1998 economy that no reference implementation keeps), so it has 61,706 parameters
/// rather than the paper's 60,000.
pub fn lenet5(num_classes: usize, device: &Device) -> LeNet {
    LeNetConfig::classic(num_classes).init(device)
}

/// LeNet-5 with ReLU and max-pooling, the form most modern code trains.
pub fn lenet5_modern(num_classes: usize, device: &Device) -> LeNet {
    LeNetConfig::modern(num_classes).init(device)
}

use zoo_model::{InputSpec, Labels, Reference, VariantSpec};

const FASHION: InputSpec = InputSpec::grey(
    28,
    &[pretrained::FASHION_MNIST_NORM.0],
    &[pretrained::FASHION_MNIST_NORM.1],
);
const PAPER: Reference = Reference::Code("LeCun et al. 1998", "crates/lenet");

/// Every variant of this crate, each stated once (see [`VariantSpec`]). The two LeNet-5
/// formulations take Fashion-MNIST's statistics, as the embedded weights were trained with;
/// `lenet5_fyh620` is the third-party MNIST network of `../shared/data/lenet-fyh620`.
#[rustfmt::skip]
pub static VARIANTS: &[VariantSpec] = &[
    VARIANTS_BASE,
    VariantSpec {
        name: "lenet5_modern",
        build: |n, d| Box::new(lenet5_modern(n, d)),
        embedded: Some(|d| Ok(Box::new(LeNet5Weights::DEFAULT.load(d)?))),
        ..VARIANTS_BASE
    },
    VariantSpec {
        name: "lenet5_fyh620",
        build: |n, d| Box::new(LeNetConfig { num_classes: n, ..LeNetConfig::fyh620() }.init(d)),
        params: 44_426,
        input: InputSpec::grey(28, &[pretrained::MNIST_NORM.0], &[pretrained::MNIST_NORM.1]),
        labels: Labels::Mnist,
        reference: Reference::Code("FYH620/lenet-mnist-openvino", "scripts/reference.py Fyh620LeNet"),
        ..VARIANTS_BASE
    },
];

const VARIANTS_BASE: VariantSpec = VariantSpec {
    name: "lenet5",
    family: "lenet",
    build: |n, d| Box::new(lenet5(n, d)),
    published: None,
    classes: 10,
    params: 61_706,
    input: FASHION,
    labels: Labels::FashionMnist,
    reference: PAPER,
    embedded: None,
};

#[cfg(test)]
mod table {
    /// Every row builds with its stated parameter count, and the model API holds.
    #[test]
    fn every_variant_is_what_its_row_says() {
        zoo_model::testing::check_table(super::VARIANTS, "lenet");
    }
}
