//! The model interface every burn-zoo family implements, and the table each family declares its
//! variants in.
//!
//! A family crate states each variant once, as a [`VariantSpec`] row of its `VARIANTS` table
//! (builder, parameter count, input, labels, reference); the facade, the command line and the
//! tests iterate over those tables. Every model is a [`Classifier`]: logits, the feature map
//! before pooling, the pooled embedding, the named stage outputs (timm's `features_only`) and a
//! replaceable head, all through one object-safe trait, so `Box<dyn Classifier>` serves any
//! variant by name.
//!
//! ```
//! use burn::tensor::{Device, Tensor};
//! use zoo_model::{Classifier, FeatureInfo};
//!
//! fn describe(model: &dyn Classifier) -> Vec<String> {
//!     model.feature_info().iter().map(|f: &FeatureInfo| f.to_string()).collect()
//! }
//! # let _ = describe;
//! ```

#![warn(missing_docs)]

mod classifier;
mod features;
pub mod inspect;
mod labels;
mod sequential;
mod spec;
pub mod testing;
pub mod train;

pub use classifier::{Classifier, Head, HeadMut, ModelError, ModelObject};
pub use features::{FeatureInfo, Stages};
pub use labels::{FASHION_MNIST_CLASSES, Labels};
pub use sequential::{SequentialNet, run_stages, stage_ends, stage_info};
pub use spec::{Builder, CIFAR_MEAN, CIFAR_STD, Embedded, InputSpec, Reference, VariantSpec};
