//! Published weights: one enum per variant, named as torchvision's (`ResNet50Weights::
//! ImageNet1kV2`, `::DEFAULT`), each pointing at its row of the registry
//! (`weights/registry.json`). [`pretrained`] downloads into the cache, converts to Burn's
//! format on first use and loads that file next time.

use std::path::PathBuf;

use burn::tensor::Device;
use zoo_hub::{HubError, WeightEntry};
use zoo_weights::{ImportOptions, LoadError, ZooModel};

/// Why pretrained weights could not be had.
#[derive(Debug, thiserror::Error)]
pub enum PretrainedError {
    #[error(transparent)]
    Hub(#[from] HubError),
    #[error(transparent)]
    Load(#[from] LoadError),
}

/// Published weights of one variant.
pub trait Weights: Copy + std::fmt::Debug {
    type Model: ZooModel;

    /// The registry id, e.g. `resnet50.IMAGENET1K_V2`.
    fn id(self) -> &'static str;

    /// The model these weights fit, configured as they expect (GoogLeNet re-normalises its
    /// input for torchvision's weights).
    fn build(self, device: &Device) -> Self::Model;

    /// URL, checksum, preprocessing, accuracy and categories of these weights.
    fn entry(self) -> Result<&'static WeightEntry, HubError> {
        zoo_hub::find(self.id())
    }
}

/// The model with `weights` loaded: from the cache's Burn-format copy when there is one, else
/// from the checkpoint (downloaded when absent, then verified), which is converted to Burn's
/// format for next time.
pub fn pretrained<W: Weights>(weights: W, device: &Device) -> Result<W::Model, PretrainedError> {
    via_cache(
        weights.entry()?,
        || weights.build(device),
        |m, path| m.load_file(path, &ImportOptions::default()),
        |m, path| m.save_file(path),
    )
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
    let offline = std::env::var("ZOO_OFFLINE").is_ok_and(|v| v == "1");
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

/// `Model::pretrained(weights, &device)`, for every zoo model.
pub trait FromPretrained: ZooModel {
    fn pretrained<W: Weights<Model = Self>>(
        weights: W,
        device: &Device,
    ) -> Result<Self, PretrainedError> {
        pretrained(weights, device)
    }
}

impl<M: ZooModel> FromPretrained for M {}

macro_rules! weights {
    ($($enum:ident $model:ty = $build:expr, $variant:literal, default $default:ident: [$($v:ident => $name:literal),+];)*) => {$(
        #[doc = concat!("Published weights of `", $variant, "` (see `weights/registry.json`).")]
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $enum {
            $($v,)+
        }

        impl $enum {
            /// torchvision's `DEFAULT`: the most accurate weights.
            pub const DEFAULT: Self = Self::$default;
            pub const ALL: &'static [Self] = &[$(Self::$v,)+];
        }

        impl Weights for $enum {
            type Model = $model;

            fn id(self) -> &'static str {
                match self {
                    $(Self::$v => concat!($variant, ".", $name),)+
                }
            }

            fn build(self, device: &Device) -> $model {
                ($build)(device)
            }
        }
    )*

    /// Every weights enum's ids, for the test that checks them against the registry.
    pub const ALL_IDS: &[(&str, &[&str], &str)] = &[$(
        ($variant, &[$(concat!($variant, ".", $name)),+], stringify!($default)),
    )*];
    };
}

use zoo_alexnet::AlexNet;
use zoo_densenet::DenseNet;
use zoo_googlenet::{GoogLeNet, GoogLeNetConfig};
use zoo_resnet::ResNet;
use zoo_vgg::Vgg;
use zoo_xception::Xception;

weights! {
    AlexNetWeights AlexNet = |d| zoo_alexnet::alexnet(1000, d), "alexnet", default ImageNet1kV1: [ImageNet1kV1 => "IMAGENET1K_V1"];
    Vgg11Weights Vgg = |d| zoo_vgg::vgg11(1000, d), "vgg11", default ImageNet1kV1: [ImageNet1kV1 => "IMAGENET1K_V1"];
    Vgg13Weights Vgg = |d| zoo_vgg::vgg13(1000, d), "vgg13", default ImageNet1kV1: [ImageNet1kV1 => "IMAGENET1K_V1"];
    Vgg16Weights Vgg = |d| zoo_vgg::vgg16(1000, d), "vgg16", default ImageNet1kV1: [ImageNet1kV1 => "IMAGENET1K_V1"];
    Vgg19Weights Vgg = |d| zoo_vgg::vgg19(1000, d), "vgg19", default ImageNet1kV1: [ImageNet1kV1 => "IMAGENET1K_V1"];
    Vgg11BnWeights Vgg = |d| zoo_vgg::vgg11_bn(1000, d), "vgg11_bn", default ImageNet1kV1: [ImageNet1kV1 => "IMAGENET1K_V1"];
    Vgg13BnWeights Vgg = |d| zoo_vgg::vgg13_bn(1000, d), "vgg13_bn", default ImageNet1kV1: [ImageNet1kV1 => "IMAGENET1K_V1"];
    Vgg16BnWeights Vgg = |d| zoo_vgg::vgg16_bn(1000, d), "vgg16_bn", default ImageNet1kV1: [ImageNet1kV1 => "IMAGENET1K_V1"];
    Vgg19BnWeights Vgg = |d| zoo_vgg::vgg19_bn(1000, d), "vgg19_bn", default ImageNet1kV1: [ImageNet1kV1 => "IMAGENET1K_V1"];
    GoogLeNetWeights GoogLeNet = |d| GoogLeNetConfig::for_torchvision_weights(1000).init(d), "googlenet", default ImageNet1kV1: [ImageNet1kV1 => "IMAGENET1K_V1"];
    ResNet18Weights ResNet = |d| zoo_resnet::resnet18(1000, d), "resnet18", default ImageNet1kV1: [ImageNet1kV1 => "IMAGENET1K_V1"];
    ResNet34Weights ResNet = |d| zoo_resnet::resnet34(1000, d), "resnet34", default ImageNet1kV1: [ImageNet1kV1 => "IMAGENET1K_V1"];
    ResNet50Weights ResNet = |d| zoo_resnet::resnet50(1000, d), "resnet50", default ImageNet1kV2: [ImageNet1kV1 => "IMAGENET1K_V1", ImageNet1kV2 => "IMAGENET1K_V2"];
    ResNet101Weights ResNet = |d| zoo_resnet::resnet101(1000, d), "resnet101", default ImageNet1kV2: [ImageNet1kV1 => "IMAGENET1K_V1", ImageNet1kV2 => "IMAGENET1K_V2"];
    ResNet152Weights ResNet = |d| zoo_resnet::resnet152(1000, d), "resnet152", default ImageNet1kV2: [ImageNet1kV1 => "IMAGENET1K_V1", ImageNet1kV2 => "IMAGENET1K_V2"];
    ResNeXt50_32x4dWeights ResNet = |d| zoo_resnext::resnext50_32x4d(1000, d), "resnext50_32x4d", default ImageNet1kV2: [ImageNet1kV1 => "IMAGENET1K_V1", ImageNet1kV2 => "IMAGENET1K_V2"];
    ResNeXt101_32x8dWeights ResNet = |d| zoo_resnext::resnext101_32x8d(1000, d), "resnext101_32x8d", default ImageNet1kV2: [ImageNet1kV1 => "IMAGENET1K_V1", ImageNet1kV2 => "IMAGENET1K_V2"];
    ResNeXt101_64x4dWeights ResNet = |d| zoo_resnext::resnext101_64x4d(1000, d), "resnext101_64x4d", default ImageNet1kV1: [ImageNet1kV1 => "IMAGENET1K_V1"];
    WideResNet50_2Weights ResNet = |d| zoo_wrn::wide_resnet50_2(1000, d), "wide_resnet50_2", default ImageNet1kV2: [ImageNet1kV1 => "IMAGENET1K_V1", ImageNet1kV2 => "IMAGENET1K_V2"];
    WideResNet101_2Weights ResNet = |d| zoo_wrn::wide_resnet101_2(1000, d), "wide_resnet101_2", default ImageNet1kV2: [ImageNet1kV1 => "IMAGENET1K_V1", ImageNet1kV2 => "IMAGENET1K_V2"];
    DenseNet121Weights DenseNet = |d| zoo_densenet::densenet121(1000, d), "densenet121", default ImageNet1kV1: [ImageNet1kV1 => "IMAGENET1K_V1"];
    DenseNet161Weights DenseNet = |d| zoo_densenet::densenet161(1000, d), "densenet161", default ImageNet1kV1: [ImageNet1kV1 => "IMAGENET1K_V1"];
    DenseNet169Weights DenseNet = |d| zoo_densenet::densenet169(1000, d), "densenet169", default ImageNet1kV1: [ImageNet1kV1 => "IMAGENET1K_V1"];
    DenseNet201Weights DenseNet = |d| zoo_densenet::densenet201(1000, d), "densenet201", default ImageNet1kV1: [ImageNet1kV1 => "IMAGENET1K_V1"];
    XceptionWeights Xception = |d| zoo_xception::xception(1000, d), "xception", default ImageNet1kV1: [ImageNet1kV1 => "IMAGENET1K_V1"];
}

/// A catalogue variant with weights named on the command line: a file path, a registry id
/// (`resnet50.IMAGENET1K_V1`, or `IMAGENET1K_V1` for the variant's), or `None` for the
/// variant's default published weights. Also returns the registry entry whose preprocessing
/// applies (for a file, the variant's default entry, when it has one).
pub fn load_named(
    variant: &crate::Variant,
    weights: Option<&str>,
    device: &Device,
) -> Result<(crate::AnyModel, Option<&'static WeightEntry>), PretrainedError> {
    let default = zoo_hub::find(variant.name).ok();
    let build = |entry: Option<&WeightEntry>| match entry {
        // torchvision's GoogLeNet weights re-normalise their input inside the model.
        Some(e) if e.transform_input => crate::AnyModel::GoogLeNet(
            GoogLeNetConfig::for_torchvision_weights(variant.classes).init(device),
        ),
        _ => variant.build(variant.classes, device),
    };
    // A path (an existing file, or anything with a folder or a weight-file extension) is a file;
    // a missing one is then reported as such rather than as an unknown registry name.
    let is_file = |w: &str| {
        let p = std::path::Path::new(w);
        p.exists()
            || w.contains(std::path::MAIN_SEPARATOR)
            || zoo_weights::WeightFormat::detect(p).is_some()
    };
    if let Some(path) = weights.filter(|w| is_file(w)).map(std::path::Path::new) {
        let model = build(default).load_file(path, &ImportOptions::default())?;
        return Ok((model, default));
    }
    let entry = match weights {
        None => default.ok_or_else(|| HubError::UnknownWeights {
            id: format!("{} (no published weights: pass a file)", variant.name),
        })?,
        Some(id) if id.contains('.') => zoo_hub::find(id)?,
        Some(name) => zoo_hub::find(&format!("{}.{name}", variant.name))?,
    };
    let model = via_cache(
        entry,
        || build(Some(entry)),
        |m, path| m.load_file(path, &ImportOptions::default()),
        |m, path| m.save_file(path),
    )?;
    Ok((model, Some(entry)))
}

/// The preprocessing `entry`'s weights expect, as a [`zoo_blocks::Transform`].
pub fn transform_of(entry: &WeightEntry) -> zoo_blocks::Transform {
    let p = &entry.preprocess;
    zoo_blocks::Transform {
        resize: p.resize,
        crop: p.crop,
        filter: match p.interpolation {
            zoo_hub::Interpolation::Bicubic => zoo_blocks::Filter::Bicubic,
            // Pillow's nearest is not used by any published weights; bilinear is torchvision's.
            _ => zoo_blocks::Filter::Bilinear,
        },
        mean: p.mean,
        std: p.std,
    }
}

/// The preprocessing for `variant` with weights `entry`: the weights' own, else (variants
/// without published weights, such as the CIFAR networks) the input size and ImageNet's
/// statistics, with no resizing beyond it.
pub fn transform_for(
    variant: &crate::Variant,
    entry: Option<&WeightEntry>,
) -> zoo_blocks::Transform {
    entry.map_or_else(
        || zoo_blocks::Transform {
            resize: variant.input_size as u32,
            crop: variant.input_size as u32,
            filter: zoo_blocks::Filter::Bilinear,
            mean: zoo_blocks::IMAGENET_MEAN,
            std: zoo_blocks::IMAGENET_STD,
        },
        transform_of,
    )
}
