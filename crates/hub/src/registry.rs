//! The registry of published weights, compiled in from `crates/hub/registry.json` (written by
//! `scripts/make_registry.py` from the pinned torchvision and timm).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::HubError;

const REGISTRY_JSON: &str = include_str!("../registry.json");

/// Every published checkpoint the zoo knows, and the ImageNet class names.
#[derive(Clone, Debug, Deserialize)]
pub struct Registry {
    /// Variant name → its published weights.
    pub models: BTreeMap<String, Vec<WeightEntry>>,
    /// The 1,000 ImageNet class names, in class-index order.
    pub categories: Vec<String>,
}

/// One published checkpoint.
#[derive(Clone, Debug, Deserialize)]
pub struct WeightEntry {
    /// `variant.NAME`, e.g. `resnet50.IMAGENET1K_V2`.
    pub id: String,
    /// torchvision's name, e.g. `IMAGENET1K_V2`.
    pub name: String,
    /// The Rust enum variant, e.g. `ImageNet1kV2`.
    #[serde(rename = "enum")]
    pub enum_name: String,
    /// torchvision's `DEFAULT` for the variant.
    pub default: bool,
    /// Where the entry was taken from (library and version, e.g. `torchvision 0.29.2+cu132`).
    pub source: String,
    /// The published download address.
    pub url: String,
    /// The file's name in the cache (`resnet50-0676ba61.pth`).
    pub file: String,
    /// The start of the file's SHA-256, from its published name (torchvision checks the same).
    pub sha256_prefix: Option<String>,
    /// The published file size in MiB.
    pub file_size_mib: Option<f64>,
    /// The inference transform the weights were evaluated with.
    pub preprocess: Preprocess,
    /// Published ImageNet-1k top-1 accuracy, in percent.
    pub acc1: Option<f64>,
    /// Published ImageNet-1k top-5 accuracy, in percent.
    pub acc5: Option<f64>,
    /// Parameter count.
    pub params: u64,
    /// Published GFLOPS at the crop size.
    pub gflops: f64,
    /// The training recipe's address.
    pub recipe: Option<String>,
    /// GoogLeNet: the weights expect torchvision's `transform_input`.
    #[serde(default)]
    pub transform_input: bool,
}

/// Inference preprocessing: resize the shorter side, center-crop, normalise.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Preprocess {
    /// Side the shorter image side is resized to.
    pub resize: u32,
    /// Side of the centre crop.
    pub crop: u32,
    /// Resampling filter of the resize.
    pub interpolation: Interpolation,
    /// Per-channel RGB mean subtracted, of pixels in [0, 1].
    pub mean: [f32; 3],
    /// Per-channel RGB standard deviation divided by.
    pub std: [f32; 3],
}

/// Resampling filter of the resize, as torchvision's `InterpolationMode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Interpolation {
    /// Nearest neighbour.
    Nearest,
    /// Bilinear (torchvision's usual).
    Bilinear,
    /// Bicubic (timm and some newer torchvision recipes).
    Bicubic,
}

/// The compiled-in registry (its JSON is checked by this crate's tests).
pub fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        serde_json::from_str(REGISTRY_JSON).expect("crates/hub/registry.json is valid (tested)")
    })
}

/// The ImageNet class names.
pub fn categories() -> &'static [String] {
    &registry().categories
}

/// Weights by id: `resnet50.IMAGENET1K_V2`, `resnet50.DEFAULT`, or a variant name alone for
/// its default.
pub fn find(id: &str) -> Result<&'static WeightEntry, HubError> {
    let (variant, name) = id.split_once('.').unwrap_or((id, "DEFAULT"));
    registry()
        .models
        .get(variant)
        .and_then(|ws| {
            ws.iter()
                .find(|w| w.name == name || (name == "DEFAULT" && w.default))
        })
        .ok_or_else(|| HubError::UnknownWeights { id: id.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_parses_and_each_variant_has_one_default() {
        let r = registry();
        assert_eq!(r.categories.len(), 1000);
        assert_eq!(r.categories[0], "tench");
        for (variant, ws) in &r.models {
            assert_eq!(ws.iter().filter(|w| w.default).count(), 1, "{variant}");
            for w in ws {
                assert_eq!(w.id, format!("{variant}.{}", w.name));
                if let Some(prefix) = &w.sha256_prefix {
                    assert!(w.file.contains(prefix.as_str()), "{}", w.id);
                }
            }
        }
        assert_eq!(find("resnet50").unwrap().name, "IMAGENET1K_V2");
        assert_eq!(
            find("resnet50.IMAGENET1K_V1").unwrap().file,
            "resnet50-0676ba61.pth"
        );
        assert_eq!(find("resnet50.DEFAULT").unwrap().preprocess.resize, 232);
        assert!(find("resnet50.IMAGENET1K_V9").is_err());
    }
}
