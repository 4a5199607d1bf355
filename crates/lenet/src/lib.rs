//! LeNet-5 (LeCun, Bottou, Bengio & Haffner 1998, "Gradient-Based Learning Applied to
//! Document Recognition"), configurable from the paper's network to the common modern one,
//! with an IDX reader and a training loop for MNIST-style data.

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
