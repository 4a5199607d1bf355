// The crate's documentation is the README: its code examples are compiled (and the runnable
// ones run) as doctests, so the README cannot drift from the API.
#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod catalog;
pub mod data;
pub mod finetune;
pub mod pipeline;
pub mod pretrained;
pub mod viz;

pub use catalog::{FAMILIES, UnknownModel, create, variant, variants};
pub use pipeline::{Pipeline, Prediction, Preprocess, open};
pub use pretrained::{PretrainedError, pretrained, pretrained_as};
pub use zoo_alexnet as alexnet;
pub use zoo_bilinear as bilinear;
pub use zoo_blocks as blocks;
pub use zoo_blocks::Fuse;
pub use zoo_blocks::engine::{set_threads, threads};
pub use zoo_dcgan as dcgan;
pub use zoo_densenet as densenet;
pub use zoo_googlenet as googlenet;
pub use zoo_highway as highway;
pub use zoo_hub as hub;
pub use zoo_inception as inception;
pub use zoo_lenet as lenet;
pub use zoo_mobilenet as mobilenet;
pub use zoo_model as model;
pub use zoo_model::{
    Classifier, FeatureInfo, InputSpec, Labels, ModelError, ModelObject, Reference, Stages,
    VariantSpec,
};
pub use zoo_nin as nin;
pub use zoo_resnet as resnet;
pub use zoo_resnext as resnext;
pub use zoo_senet as senet;
pub use zoo_squeezenet as squeezenet;
pub use zoo_vgg as vgg;
pub use zoo_vision as vision;
pub use zoo_weights::{
    ImportOptions, LoadError, LoadReport, Mismatch, STATIC_ALIGN, WeightFormat, ZooModel,
    load_static, parameter_count,
};
pub use zoo_wrn as wrn;
pub use zoo_xception as xception;
