//! burn-zoo: classic convolutional networks on Burn, each the same network as its reference
//! (torchvision, timm or the paper's code), with importers for reference weights.
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

pub use catalog::{AnyModel, VARIANTS, Variant, variant};
pub use zoo_alexnet as alexnet;
pub use zoo_blocks as blocks;
pub use zoo_densenet as densenet;
pub use zoo_googlenet as googlenet;
pub use zoo_lenet as lenet;
pub use zoo_resnet as resnet;
pub use zoo_resnext as resnext;
pub use zoo_vgg as vgg;
pub use zoo_weights::{
    ImportOptions, LoadError, LoadReport, Mismatch, STATIC_ALIGN, WeightFormat, ZooModel,
    load_static, parameter_count,
};
pub use zoo_wrn as wrn;
pub use zoo_xception as xception;
