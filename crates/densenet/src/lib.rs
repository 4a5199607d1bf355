//! DenseNet (Huang, Liu, van der Maaten & Weinberger 2017, "Densely Connected Convolutional
//! Networks"). Here: the CIFAR networks of the paper, DenseNet and DenseNet-BC ([`cifar`]).

pub mod cifar;
mod layers;

pub use cifar::{
    DenseNet, DenseNetConfig, densenet_bc100_k12, densenet_bc190_k40, densenet_bc250_k24,
    densenet40_k12, densenet100_k12,
};
pub use layers::{DenseLayer, Transition};
