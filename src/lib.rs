//! burn-zoo: classic convolutional networks on Burn, each the same network as its reference
//! (torchvision, timm or the paper's code), with importers for reference weights.
//!
//! ```no_run
//! use burn_zoo::resnet::{ResNet, ResNet50Weights};
//! use burn_zoo::FromPretrained;
//! let device = burn::tensor::Device::default();
//! // Downloaded once into the cache ($ZOO_HOME), verified, converted to Burn's format.
//! let model = ResNet::pretrained(ResNet50Weights::DEFAULT, &device).expect("weights");
//! ```
//!
//! ```no_run
//! use burn_zoo::{resnet::resnet50, ImportOptions, ZooModel};
//! let device = burn::tensor::Device::default();
//! let model = resnet50(1000, &device)
//!     .load_file("resnet50-11ad3fa6.pth", &ImportOptions::default())
//!     .expect("weights fit");
//! model.save_file("resnet50.bpk").unwrap();
//! ```

mod catalog;
pub mod pretrained;

pub use catalog::{AnyModel, VARIANTS, Variant, variant};
pub use pretrained::{FromPretrained, PretrainedError, Weights, pretrained};
pub use zoo_hub as hub;
/// The alexnet family, with its published weights.
pub mod alexnet {
    pub use crate::pretrained::AlexNetWeights;
    pub use zoo_alexnet::*;
}
pub use zoo_blocks as blocks;
pub use zoo_blocks::Fuse;
pub use zoo_blocks::engine::{set_threads, threads};
/// The densenet family, with its published weights.
pub mod densenet {
    pub use crate::pretrained::{
        DenseNet121Weights, DenseNet161Weights, DenseNet169Weights, DenseNet201Weights,
    };
    pub use zoo_densenet::*;
}
/// The googlenet family, with its published weights.
pub mod googlenet {
    pub use crate::pretrained::GoogLeNetWeights;
    pub use zoo_googlenet::*;
}
pub use zoo_lenet as lenet;
/// The resnet family, with its published weights.
pub mod resnet {
    pub use crate::pretrained::{
        ResNet18Weights, ResNet34Weights, ResNet50Weights, ResNet101Weights, ResNet152Weights,
    };
    pub use zoo_resnet::*;
}
/// The resnext family, with its published weights.
pub mod resnext {
    pub use crate::pretrained::{
        ResNeXt50_32x4dWeights, ResNeXt101_32x8dWeights, ResNeXt101_64x4dWeights,
    };
    pub use zoo_resnext::*;
}
/// The vgg family, with its published weights.
pub mod vgg {
    pub use crate::pretrained::{
        Vgg11BnWeights, Vgg11Weights, Vgg13BnWeights, Vgg13Weights, Vgg16BnWeights, Vgg16Weights,
        Vgg19BnWeights, Vgg19Weights,
    };
    pub use zoo_vgg::*;
}
pub use zoo_weights::{
    ImportOptions, LoadError, LoadReport, Mismatch, STATIC_ALIGN, WeightFormat, ZooModel,
    load_static, parameter_count,
};
/// The wrn family, with its published weights.
pub mod wrn {
    pub use crate::pretrained::{WideResNet50_2Weights, WideResNet101_2Weights};
    pub use zoo_wrn::*;
}
/// The xception family, with its published weights.
pub mod xception {
    pub use crate::pretrained::XceptionWeights;
    pub use zoo_xception::*;
}
