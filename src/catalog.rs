//! Every variant of the zoo by name: the families' own tables, in the order the README lists
//! them. A new family adds its table here; a new variant is a row in its family's table.

use burn::tensor::Device;
use zoo_model::{Classifier, VariantSpec};

/// Each family crate's variant table.
pub static FAMILIES: &[&[VariantSpec]] = &[
    zoo_lenet::VARIANTS,
    zoo_alexnet::VARIANTS,
    zoo_vgg::VARIANTS,
    zoo_googlenet::VARIANTS,
    zoo_inception::VARIANTS,
    zoo_resnet::VARIANTS,
    zoo_resnext::VARIANTS,
    zoo_wrn::VARIANTS,
    zoo_densenet::VARIANTS,
    zoo_xception::VARIANTS,
    zoo_mobilenet::VARIANTS,
    zoo_squeezenet::VARIANTS,
    zoo_senet::VARIANTS,
    zoo_nin::VARIANTS,
    zoo_bilinear::VARIANTS,
    zoo_highway::VARIANTS,
    zoo_dcgan::VARIANTS,
];

/// Every variant in the zoo.
pub fn variants() -> impl Iterator<Item = &'static VariantSpec> + Clone {
    FAMILIES.iter().flat_map(|family| family.iter())
}

/// The variant of that name, if the zoo has it.
pub fn variant(name: &str) -> Option<&'static VariantSpec> {
    variants().find(|v| v.name == name)
}

/// A variant is not in the zoo.
#[derive(Debug, thiserror::Error)]
#[error("unknown model `{0}` (`zoo list` shows them all)")]
pub struct UnknownModel(pub String);

/// The variant `name` with `num_classes` outputs (its reference's when `None`), freshly
/// initialised as its reference initialises it.
pub fn create(
    name: &str,
    num_classes: Option<usize>,
    device: &Device,
) -> Result<Box<dyn Classifier>, UnknownModel> {
    let v = variant(name).ok_or_else(|| UnknownModel(name.to_string()))?;
    Ok(v.build(num_classes.unwrap_or(v.classes), device))
}
