//! One pipeline from image files to labelled predictions, for any variant and weights.

use std::path::Path;

use burn::tensor::activation::softmax;
use burn::tensor::{Device, Tensor, TensorData};
use zoo_hub::WeightEntry;
use zoo_model::{Classifier, VariantSpec};
use zoo_vision::{DynamicImage, Filter, ImageError, Transform, grey, load_grey, load_rgb};

use crate::pretrained::{PretrainedError, for_file, load_named, transform_of};

/// Most images decoded at once: each may take up to the decoder's 1 GiB budget.
pub const MAX_DECODERS: usize = 4;

/// How an image file becomes the model's input.
#[derive(Clone, Debug, PartialEq)]
pub enum Preprocess {
    /// RGB: resize the shorter side, centre-crop, normalise (torchvision's eval transform).
    Rgb(Transform),
    /// Greyscale: resize to `size`×`size`, normalise (MNIST-style models).
    Grey {
        /// Side of the input.
        size: usize,
        /// Mean of pixels in [0, 1].
        mean: f32,
        /// Standard deviation of pixels in [0, 1].
        std: f32,
    },
}

impl Preprocess {
    /// The preprocessing `v` takes with `entry`'s weights: the weights' own, else the
    /// variant's input spec (no resizing beyond its input size).
    pub fn for_variant(v: &VariantSpec, entry: Option<&WeightEntry>) -> Self {
        let input = &v.input;
        if input.channels == 1 {
            return Self::Grey {
                size: input.size,
                mean: input.mean[0],
                std: input.std[0],
            };
        }
        entry.map_or_else(
            || {
                let per_channel = |s: &[f32]| std::array::from_fn(|c| s[c.min(s.len() - 1)]);
                Self::Rgb(Transform {
                    resize: input.size as u32,
                    crop: input.size as u32,
                    filter: Filter::Bilinear,
                    mean: per_channel(input.mean),
                    std: per_channel(input.std),
                })
            },
            |e| Self::Rgb(transform_of(e)),
        )
    }

    /// `[channels, size, size]` of one preprocessed image.
    pub fn shape(&self) -> [usize; 3] {
        match self {
            Self::Rgb(t) => [3, t.crop as usize, t.crop as usize],
            Self::Grey { size, .. } => [1, *size, *size],
        }
    }

    /// Reads and preprocesses one image file into `shape()` values, channel-major.
    pub fn load(&self, path: &Path) -> Result<Vec<f32>, ImageError> {
        match self {
            Self::Rgb(t) => Ok(t.apply(&load_rgb(path)?)),
            Self::Grey { size, mean, std } => {
                Ok(normalize(load_grey(path, *size as u32)?, *mean, *std))
            }
        }
    }

    /// Each channel's value for a black pixel once normalised (what padding before
    /// normalising gives).
    pub fn black(&self) -> Vec<f32> {
        match self {
            Self::Rgb(t) => (0..3).map(|c| -t.mean[c] / t.std[c]).collect(),
            Self::Grey { mean, std, .. } => vec![-mean / std],
        }
    }

    /// One image file as the model's input, `[1, c, h, w]` on `device`.
    pub fn input(&self, path: &Path, device: &Device) -> Result<Tensor<4>, ImageError> {
        Ok(self.batch_of_one(self.load(path)?, device))
    }

    fn batch_of_one(&self, values: Vec<f32>, device: &Device) -> Tensor<4> {
        let [c, h, w] = self.shape();
        Tensor::from_data(TensorData::new(values, [1, c, h, w]), device)
    }

    /// Preprocesses an image already decoded ([`zoo_vision::decode_bytes`],
    /// [`zoo_vision::from_rgba`]) exactly as [`Preprocess::load`] does a file.
    pub fn apply(&self, image: DynamicImage) -> Vec<f32> {
        match self {
            Self::Rgb(t) => t.apply(&image.into_rgb8()),
            Self::Grey { size, mean, std } => normalize(grey(image, *size as u32), *mean, *std),
        }
    }
}

fn normalize(pixels: Vec<f32>, mean: f32, std: f32) -> Vec<f32> {
    pixels.into_iter().map(|p| (p - mean) / std).collect()
}

impl Preprocess {
    /// [`Preprocess::load`] of every path, spread over the zoo's threads (at most
    /// [`MAX_DECODERS`] at once, each allowed the decoder's 1 GiB), in order.
    pub fn load_all(&self, paths: &[&Path]) -> Vec<Result<Vec<f32>, ImageError>> {
        let threads = zoo_blocks::engine::threads().clamp(1, MAX_DECODERS.min(paths.len().max(1)));
        let per = paths.len().div_ceil(threads).max(1);
        std::thread::scope(|s| {
            let handles: Vec<_> = paths
                .chunks(per)
                .map(|chunk| {
                    s.spawn(move || chunk.iter().map(|p| self.load(p)).collect::<Vec<_>>())
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        })
    }

    /// [`Preprocess::load_all`]'s values one image after another, `paths.len() × shape()`;
    /// the first image that fails is the error.
    pub fn load_values(&self, paths: &[&Path]) -> Result<Vec<f32>, ImageError> {
        let mut values = Vec::with_capacity(paths.len() * self.shape().iter().product::<usize>());
        for image in self.load_all(paths) {
            values.extend(image?);
        }
        Ok(values)
    }
}

impl std::fmt::Display for Preprocess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Rgb(t) => write!(
                f,
                "RGB, resize {} ({:?}), crop {}, mean {:?}, std {:?}",
                t.resize, t.filter, t.crop, t.mean, t.std
            ),
            Self::Grey { size, mean, std } => {
                write!(f, "greyscale {size}×{size}, mean {mean}, std {std}")
            }
        }
    }
}

/// One ranked class.
#[derive(Clone, Debug, PartialEq)]
pub struct Prediction {
    /// Output index.
    pub index: usize,
    /// The class's name (its index when the model's classes have no names).
    pub label: String,
    /// Softmax probability.
    pub probability: f32,
}

/// A model with the preprocessing its weights expect and the names of its classes.
#[derive(Debug)]
pub struct Pipeline {
    /// The network.
    pub model: Box<dyn Classifier>,
    /// Its variant.
    pub spec: &'static VariantSpec,
    /// How images become its input.
    pub preprocess: Preprocess,
    /// Class names, one per output.
    pub labels: Vec<String>,
    /// Which weights were loaded (a registry id, a file, or `embedded`).
    pub weights: String,
}

/// Why a pipeline could not classify an image.
#[derive(Debug, thiserror::Error)]
pub enum ClassifyError {
    /// The image could not be read or decoded.
    #[error(transparent)]
    Image(#[from] ImageError),
    /// The model produced NaN or infinite values.
    #[error("{path}: the model's output is not finite (NaN or infinite logits)")]
    NotFinite {
        /// The image.
        path: String,
    },
}

/// Refuses a model output that is empty or holds NaN or infinities: NaN sorts like any number,
/// so a broken model would otherwise get a ranking (or an accuracy) instead of an error.
pub fn finite(path: &Path, values: &[f32]) -> Result<(), ClassifyError> {
    if values.is_empty() || values.iter().any(|v| !v.is_finite()) {
        return Err(ClassifyError::NotFinite {
            path: path.display().to_string(),
        });
    }
    Ok(())
}

/// The pipeline for variant `name` with `weights` (a registry id or tag, a file, or `None` for
/// its default published or embedded weights), BatchNorms folded for inference.
pub fn open(
    name: &str,
    weights: Option<&str>,
    device: &Device,
) -> Result<Pipeline, PretrainedError> {
    open_with_classes(name, weights, None, device)
}

/// [`open`] for a weights file with another number of classes than the variant's reference
/// (a fine-tuned head: `zoo convert --num-classes N --skip '^fc\.'`). A file that `zoo
/// finetune` wrote needs no `num_classes`: its record beside it (`model.json`) gives the count,
/// the class names and the stochastic depth it was trained with. Otherwise outputs are named by index unless they are the variant's
/// label set.
pub fn open_with_classes(
    name: &str,
    weights: Option<&str>,
    num_classes: Option<usize>,
    device: &Device,
) -> Result<Pipeline, PretrainedError> {
    let spec = crate::variant(name).ok_or_else(|| crate::UnknownModel(name.to_string()))?;
    let record = weights
        .map(Path::new)
        .filter(|p| p.is_file())
        .and_then(|f| Recorded::beside(f, spec.name));
    let num_classes = num_classes.or(record.as_ref().map(|r| r.classes));
    let (mut model, entry) = load_named(spec, weights, num_classes, device)?;
    // Stochastic depth scales each residual branch in evaluation: a network trained with it
    // is that network only with its survival probabilities.
    if let Some(last) = record.as_ref().and_then(|r| r.stochastic_depth) {
        model.set_stochastic_depth(last)?;
    }
    let weights = match (weights, entry) {
        (Some(w), _) => w.to_string(),
        (None, Some(e)) => e.id.clone(),
        (None, None) => "embedded".to_string(),
    };
    let mut pipeline = Pipeline::new(spec, model, entry, weights);
    if let Some(names) = record
        .map(|r| r.names)
        .filter(|n| n.len() == pipeline.model.num_classes())
    {
        pipeline.labels = names;
    }
    Ok(pipeline)
}

/// What `zoo finetune` recorded beside a weights file of `model`: its head's classes, for an
/// ImageFolder their names, and the stochastic depth it trained with.
struct Recorded {
    classes: usize,
    names: Vec<String>,
    stochastic_depth: Option<f64>,
}

impl Recorded {
    fn beside(weights: &Path, model: &str) -> Option<Self> {
        let text = std::fs::read_to_string(weights.with_extension("json")).ok()?;
        let record: serde_json::Value = serde_json::from_str(&text).ok()?;
        let settings = record.get("settings")?;
        if settings.get("model")?.as_str()? != model {
            return None;
        }
        let classes = usize::try_from(settings.get("classes")?.as_u64()?).ok()?;
        let names = record
            .get("classes")
            .and_then(|c| c.as_array())
            .and_then(|c| c.iter().map(|v| v.as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        let stochastic_depth = settings.get("stochastic_depth").and_then(|p| p.as_f64());
        Some(Self {
            classes,
            names,
            stochastic_depth,
        })
    }
}

/// The pipeline for variant `name` with burnpack weights held in memory (a web page's fetch),
/// preprocessing as [`open`] gives it for a `.bpk` file of the same weights; `label` names
/// the weights in messages.
pub fn from_burnpack(
    name: &str,
    label: &str,
    bytes: Vec<u8>,
    device: &Device,
) -> Result<Pipeline, PretrainedError> {
    let spec = crate::variant(name).ok_or_else(|| crate::UnknownModel(name.to_string()))?;
    let entry = zoo_hub::find(spec.name).ok();
    let model = for_file(spec, entry, spec.classes, device).load_burnpack(label, bytes)?;
    Ok(Pipeline::new(spec, model, entry, label.to_string()))
}

impl Pipeline {
    /// `model` (BatchNorms then folded) with `spec`'s labels and the preprocessing its
    /// weights take (`entry`'s, else the variant's input spec); `weights` says which they are.
    pub fn new(
        spec: &'static VariantSpec,
        mut model: Box<dyn Classifier>,
        entry: Option<&WeightEntry>,
        weights: String,
    ) -> Self {
        model.fuse_batch_norm();
        let names = spec.labels.names();
        let labels = if names.len() == model.num_classes() {
            names.iter().map(|s| s.to_string()).collect()
        } else {
            (0..model.num_classes()).map(|c| c.to_string()).collect()
        };
        Self {
            model,
            spec,
            preprocess: Preprocess::for_variant(spec, entry),
            labels,
            weights,
        }
    }

    /// One decoded image as the model's input, `[1, c, h, w]`.
    pub fn image_input(&self, image: DynamicImage, device: &Device) -> Tensor<4> {
        let p = &self.preprocess;
        p.batch_of_one(p.apply(image), device)
    }

    /// The `k` most probable classes of an image already decoded; `name` stands for it in
    /// messages.
    pub fn classify_image(
        &self,
        name: &Path,
        image: DynamicImage,
        k: usize,
        device: &Device,
    ) -> Result<Vec<Prediction>, ClassifyError> {
        let x = self.image_input(image, device);
        let mut rows = self.top_k(name, self.model.forward(x), k)?;
        Ok(rows.pop().unwrap_or_default())
    }

    /// A batch of images as the model's input, decoded and preprocessed in parallel (one
    /// thread per core of the zoo's pool).
    pub fn input(&self, paths: &[&Path], device: &Device) -> Result<Tensor<4>, ImageError> {
        let [c, h, w] = self.preprocess.shape();
        let values = self.preprocess.load_values(paths)?;
        Ok(Tensor::from_data(
            TensorData::new(values, [paths.len(), c, h, w]),
            device,
        ))
    }

    /// The `k` most probable classes of each row of `logits` (one row per image); refuses
    /// non-finite outputs, naming `path`.
    pub fn top_k(
        &self,
        path: &Path,
        logits: Tensor<2>,
        k: usize,
    ) -> Result<Vec<Vec<Prediction>>, ClassifyError> {
        let [_, classes] = logits.dims();
        let probs = softmax(logits, 1)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap_or_default();
        // Also refuses an empty output, so `classes` is not 0 below.
        finite(path, &probs)?;
        Ok(probs.chunks(classes).map(|row| self.rank(row, k)).collect())
    }

    fn rank(&self, probs: &[f32], k: usize) -> Vec<Prediction> {
        let mut ranked: Vec<(usize, f32)> = probs.iter().copied().enumerate().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        ranked.truncate(k.max(1));
        ranked
            .into_iter()
            .map(|(index, probability)| Prediction {
                index,
                label: self
                    .labels
                    .get(index)
                    .cloned()
                    .unwrap_or_else(|| index.to_string()),
                probability,
            })
            .collect()
    }

    /// The `k` most probable classes of one image file.
    pub fn classify(
        &self,
        path: &Path,
        k: usize,
        device: &Device,
    ) -> Result<Vec<Prediction>, ClassifyError> {
        let x = self.input(&[path], device)?;
        let mut rows = self.top_k(path, self.model.forward(x), k)?;
        Ok(rows.pop().unwrap_or_default())
    }
}
