//! Published weights, named by registry id (`resnet50.IMAGENET1K_V2`, or `resnet50` for
//! torchvision's `DEFAULT`; see `crates/hub/registry.json`). [`pretrained`] downloads into the
//! cache, converts to Burn's format on first use and loads that file next time.

use std::path::PathBuf;

use burn::tensor::Device;
use zoo_hub::{HubError, WeightEntry};
use zoo_model::{Classifier, VariantSpec};
use zoo_weights::{ImportOptions, LoadError};

/// Why pretrained weights could not be had.
#[derive(Debug, thiserror::Error)]
pub enum PretrainedError {
    /// The registry or the cache failed (unknown id, download, checksum).
    #[error(transparent)]
    Hub(#[from] HubError),
    /// The weights did not load into the model.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// No variant of that name.
    #[error(transparent)]
    Unknown(#[from] crate::UnknownModel),
    /// The model cannot be configured as asked (stochastic depth on a family without it).
    #[error(transparent)]
    Model(#[from] zoo_model::ModelError),
    /// [`pretrained_as`] was asked for another type than the variant's.
    #[error("{id} is not a {expected}")]
    Type {
        /// The weights asked for.
        id: String,
        /// The type asked for.
        expected: &'static str,
    },
}

/// The variant with its published weights: `id` is a registry id (`resnet50.IMAGENET1K_V1`)
/// or a variant's name for its default weights (`resnet50`). Loaded from the cache's
/// Burn-format copy when there is one, else from the checkpoint (downloaded when absent, then
/// verified), which is converted to Burn's format for next time.
pub fn pretrained(id: &str, device: &Device) -> Result<Box<dyn Classifier>, PretrainedError> {
    let (name, tag) = id.split_once('.').map_or((id, None), |(n, t)| (n, Some(t)));
    let v = crate::variant(name).ok_or_else(|| crate::UnknownModel(name.to_string()))?;
    let entry = match (tag, v.embedded) {
        (Some(_), _) => zoo_hub::find(id)?,
        (None, Some(embedded)) if zoo_hub::find(name).is_err() => return Ok(embedded(device)?),
        (None, _) => zoo_hub::find(name)?,
    };
    from_registry(v, entry, device)
}

/// `v` with the registry's `entry` loaded through the cache.
fn from_registry(
    v: &VariantSpec,
    entry: &'static WeightEntry,
    device: &Device,
) -> Result<Box<dyn Classifier>, PretrainedError> {
    via_cache(
        entry,
        || v.build_published(v.classes, device),
        |m, path| m.load(path, &ImportOptions::default()).map(|(m, _)| m),
        |m, path| m.save(path),
    )
}

/// [`pretrained`] as the family's own type (`pretrained_as::<ResNet>("resnet50", &device)`).
pub fn pretrained_as<M: Classifier + 'static>(
    id: &str,
    device: &Device,
) -> Result<M, PretrainedError> {
    let model = pretrained(id, device)?;
    model
        .into_any()
        .downcast::<M>()
        .map(|m| *m)
        .map_err(|_| PretrainedError::Type {
            id: id.to_string(),
            expected: std::any::type_name::<M>(),
        })
}

/// Loads `entry` into a model from `build`: the cache's Burn-format copy when there is one,
/// else the checkpoint (fetched when absent), then saved in Burn's format for next time.
///
/// The cache repairs itself and is optional: a Burn-format copy that no longer loads is
/// rebuilt from the checkpoint; a cached checkpoint that cannot be read (a truncated or padded
/// download of weights with no published checksum) is fetched anew once (online); and a cache that
/// cannot be written still gives the model, just without the copy.
fn via_cache<M>(
    entry: &WeightEntry,
    build: impl Fn() -> M,
    load: impl Fn(M, &std::path::Path) -> Result<M, LoadError>,
    save: impl Fn(&M, &std::path::Path) -> Result<(), LoadError>,
) -> Result<M, PretrainedError> {
    let converted = burnpack_path(entry);
    if converted.exists() {
        match load(build(), &converted) {
            Ok(model) => return Ok(model),
            // Could not even open it: not evidence that it is damaged.
            Err(LoadError::Open { .. }) => {}
            Err(_) => {
                let _ = std::fs::remove_file(&converted);
            }
        }
    }
    let checkpoint = zoo_hub::fetch(entry)?;
    let offline =
        !cfg!(feature = "pretrained") || std::env::var("ZOO_OFFLINE").is_ok_and(|v| v == "1");
    let model = match load(build(), &checkpoint) {
        Ok(model) => model,
        // A verified checksum means the download is what was published: fetching it again
        // would fail the same way. Offline, the file is kept and the error reported.
        Err(LoadError::Read { .. }) if entry.sha256_prefix.is_none() && !offline => {
            zoo_hub::evict(&checkpoint)?;
            load(build(), &zoo_hub::fetch(entry)?)?
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(dir) = converted.parent()
        && std::fs::create_dir_all(dir).is_ok()
    {
        let _ = save(&model, &converted);
    }
    Ok(model)
}

/// Where the cache keeps the Burn-format copy of `entry`'s checkpoint.
pub fn burnpack_path(entry: &WeightEntry) -> PathBuf {
    let stem = entry
        .file
        .rsplit_once('.')
        .map_or(entry.file.as_str(), |(s, _)| s);
    zoo_hub::cache_dir()
        .join("burnpack")
        .join(format!("{stem}.bpk"))
}

/// The network a weights file for `variant` goes into: as its published weights define it
/// (GoogLeNet's and Inception-v3's `transform_input`) when it has a registry entry.
pub(crate) fn for_file(
    variant: &VariantSpec,
    entry: Option<&WeightEntry>,
    classes: usize,
    device: &Device,
) -> Box<dyn Classifier> {
    match entry {
        Some(_) => variant.build_published(classes, device),
        None => variant.build(classes, device),
    }
}

/// A variant with weights named on the command line: a file path, a registry id
/// (`resnet50.IMAGENET1K_V1`, or `IMAGENET1K_V1` for the variant's), or `None` for the
/// variant's default published weights (or those its crate embeds). Also returns the registry
/// entry whose preprocessing applies (for a file, the variant's default entry, when it has
/// one).
pub fn load_named(
    variant: &VariantSpec,
    weights: Option<&str>,
    num_classes: Option<usize>,
    device: &Device,
) -> Result<(Box<dyn Classifier>, Option<&'static WeightEntry>), PretrainedError> {
    let default = zoo_hub::find(variant.name).ok();
    let classes = num_classes.unwrap_or(variant.classes);
    // A path (an existing file, or anything with a folder or a weight-file extension) is a file;
    // a missing one is then reported as such rather than as an unknown registry name.
    let is_file = |w: &str| {
        let p = std::path::Path::new(w);
        p.exists()
            || w.contains(std::path::MAIN_SEPARATOR)
            || zoo_weights::WeightFormat::detect(p).is_some()
    };
    if let Some(path) = weights.filter(|w| is_file(w)).map(std::path::Path::new) {
        let (model, _) =
            for_file(variant, default, classes, device).load(path, &ImportOptions::default())?;
        return Ok((model, default));
    }
    if weights.is_none()
        && default.is_none()
        && num_classes.is_none_or(|n| n == variant.classes)
        && let Some(embedded) = variant.embedded
    {
        return Ok((embedded(device)?, None));
    }
    let entry = match weights {
        None => default.ok_or_else(|| HubError::UnknownWeights {
            id: format!("{} (no published weights: pass a file)", variant.name),
        })?,
        Some(id) if id.contains('.') => zoo_hub::find(id)?,
        Some(name) => zoo_hub::find(&format!("{}.{name}", variant.name))?,
    };
    if classes != variant.classes {
        return Err(HubError::UnknownWeights {
            id: format!(
                "{} with {classes} classes (published weights have {}: pass a file)",
                entry.id, variant.classes
            ),
        }
        .into());
    }
    Ok((from_registry(variant, entry, device)?, Some(entry)))
}

/// The preprocessing `entry`'s weights expect, as a [`zoo_vision::Transform`].
pub fn transform_of(entry: &WeightEntry) -> zoo_vision::Transform {
    let p = &entry.preprocess;
    zoo_vision::Transform {
        resize: p.resize,
        crop: p.crop,
        filter: match p.interpolation {
            zoo_hub::Interpolation::Bicubic => zoo_vision::Filter::Bicubic,
            // Pillow's nearest is not used by any published weights; bilinear is torchvision's.
            _ => zoo_vision::Filter::Bilinear,
        },
        mean: p.mean,
        std: p.std,
    }
}
