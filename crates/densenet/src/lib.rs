//! DenseNet (Huang, Liu, van der Maaten & Weinberger 2017, "Densely Connected Convolutional
//! Networks"): torchvision's ImageNet networks ([`imagenet`]) and the CIFAR networks of the
//! paper, DenseNet and DenseNet-BC ([`cifar`]), built from the same layers.

pub mod cifar;
pub mod imagenet;
mod layers;

pub use cifar::{
    CifarDenseNet, CifarDenseNetConfig, densenet_bc100_k12, densenet_bc190_k40, densenet_bc250_k24,
    densenet40_k12, densenet100_k12,
};
pub use imagenet::{
    DenseNet, DenseNetConfig, KEY_MAP, densenet121, densenet161, densenet169, densenet201,
};
pub use layers::{BlockShape, DenseLayer, Transition, dense_block};
