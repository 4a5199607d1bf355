//! burn-zoo: classic convolutional networks on Burn, each the same network as its reference
//! (torchvision, timm or the paper's code), with importers for reference weights.
//!
//! ```no_run
//! use burn_zoo::Classifier;
//! let device = burn::tensor::Device::default();
//! // Downloaded once into the cache ($ZOO_HOME), verified, converted to Burn's format.
//! let model = burn_zoo::pretrained("resnet50.IMAGENET1K_V2", &device).expect("weights");
//! assert_eq!(model.num_features(), 2048);
//! ```
//!
//! ```no_run
//! use burn_zoo::{resnet::resnet50, ImportOptions, ZooModel};
//! let device = burn::tensor::Device::default();
//! let model = resnet50(1000, &device)
//!     .load_weights("resnet50-11ad3fa6.pth", &ImportOptions::default())
//!     .expect("weights fit");
//! model.save_weights("resnet50.bpk").unwrap();
//! ```

mod catalog;
pub mod pipeline;
pub mod pretrained;

pub use catalog::{FAMILIES, UnknownModel, create, variant, variants};
pub use pipeline::{Pipeline, Prediction, Preprocess, open};
pub use pretrained::{PretrainedError, pretrained, pretrained_as};
pub use zoo_alexnet as alexnet;
pub use zoo_blocks as blocks;
pub use zoo_blocks::Fuse;
pub use zoo_blocks::engine::{set_threads, threads};
pub use zoo_densenet as densenet;
pub use zoo_googlenet as googlenet;
pub use zoo_hub as hub;
pub use zoo_lenet as lenet;
pub use zoo_model::{
    Classifier, FeatureInfo, InputSpec, Labels, ModelError, ModelObject, Reference, VariantSpec,
};
pub use zoo_resnet as resnet;
pub use zoo_resnext as resnext;
pub use zoo_vgg as vgg;
pub use zoo_vision as vision;
pub use zoo_weights::{
    ImportOptions, LoadError, LoadReport, Mismatch, STATIC_ALIGN, WeightFormat, ZooModel,
    load_static, parameter_count,
};
pub use zoo_wrn as wrn;
pub use zoo_xception as xception;
