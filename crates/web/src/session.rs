//! What the page does, as plain Rust (tested natively): a pipeline, the last input it saw,
//! and what can be drawn from both.

use std::path::Path;

use burn::tensor::{Device, Tensor};
use burn_zoo::pipeline::{self, ClassifyError};
use burn_zoo::{FeatureInfo, Pipeline, PretrainedError, vision};
use serde::Serialize;

/// Why the page's request failed; the message is shown on the page as it reads.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// The model or its weights could not be loaded.
    #[error(transparent)]
    Load(#[from] PretrainedError),
    /// The image could not be decoded, or the model's output was not finite.
    #[error(transparent)]
    Classify(#[from] ClassifyError),
    /// Activation maps were asked for before any image was classified.
    #[error("classify an image first: activation maps are those of the last input")]
    NoInput,
    /// A stage the model does not have.
    #[error(transparent)]
    Stage(#[from] burn_zoo::ModelError),
}

/// A model loaded in the page, with the input it classified last.
#[derive(Debug)]
pub struct Session {
    pipeline: Pipeline,
    device: Device,
    last: Option<Tensor<4>>,
}

/// One ranked class, as the page shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Ranked {
    /// Output index.
    pub index: usize,
    /// Class name.
    pub label: String,
    /// Softmax probability.
    pub probability: f32,
}

/// What the page needs to know about the loaded model.
#[derive(Clone, Debug, Serialize)]
pub struct Info {
    /// Variant name.
    pub model: String,
    /// Which weights are loaded.
    pub weights: String,
    /// The input, `[channels, height, width]`.
    pub input: [usize; 3],
    /// How images become the input.
    pub preprocess: String,
    /// Parameters of the network, as its reference counts them.
    pub parameters: usize,
    /// Stages whose activation maps can be drawn: `module (channels, /reduction)`.
    pub stages: Vec<String>,
}

/// Feature maps (or filters) as `[count, channels, height, width]` values, row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct Maps {
    /// `[count, channels, height, width]`.
    pub dims: [usize; 4],
    /// The values.
    pub data: Vec<f32>,
}

impl Maps {
    fn of(t: Tensor<4>) -> Self {
        let dims = t.dims();
        let data = t
            .into_data()
            .convert::<f32>()
            .try_to_vec::<f32>()
            .unwrap_or_default();
        Self { dims, data }
    }
}

impl Session {
    /// A variant with the weights its crate embeds (`lenet5_modern`: LeNet-5 on Fashion-MNIST).
    pub fn embedded(name: &str) -> Result<Self, WebError> {
        let device = Device::default();
        let pipeline = pipeline::open(name, None, &device)?;
        Ok(Self::new(pipeline, device))
    }

    /// A variant with burnpack weights fetched by the page; `label` names them in messages.
    pub fn from_burnpack(name: &str, label: &str, bytes: Vec<u8>) -> Result<Self, WebError> {
        let device = Device::default();
        let pipeline = pipeline::from_burnpack(name, label, bytes, &device)?;
        Ok(Self::new(pipeline, device))
    }

    fn new(pipeline: Pipeline, device: Device) -> Self {
        Self {
            pipeline,
            device,
            last: None,
        }
    }

    /// The loaded model, for the page's captions.
    pub fn info(&self) -> Info {
        let model = &self.pipeline.model;
        Info {
            model: self.pipeline.spec.name.to_string(),
            weights: self.pipeline.weights.clone(),
            input: self.pipeline.preprocess.shape(),
            preprocess: self.pipeline.preprocess.to_string(),
            parameters: self.pipeline.spec.params,
            stages: model
                .feature_info()
                .iter()
                .map(FeatureInfo::to_string)
                .collect(),
        }
    }

    /// The `k` most probable classes of an encoded PNG or JPEG (a picked or dropped file),
    /// decoded and preprocessed exactly as `zoo classify` does the same file.
    pub fn classify_file(
        &mut self,
        name: &str,
        bytes: &[u8],
        k: usize,
    ) -> Result<Vec<Ranked>, WebError> {
        let image = vision::decode_bytes(Path::new(name), bytes).map_err(ClassifyError::from)?;
        self.classify(name, image, k)
    }

    /// The `k` most probable classes of canvas pixels (RGBA, row-major).
    pub fn classify_rgba(
        &mut self,
        width: u32,
        height: u32,
        rgba: Vec<u8>,
        k: usize,
    ) -> Result<Vec<Ranked>, WebError> {
        let name = "<canvas>";
        let image =
            vision::from_rgba(Path::new(name), width, height, rgba).map_err(ClassifyError::from)?;
        self.classify(name, image, k)
    }

    fn classify(
        &mut self,
        name: &str,
        image: vision::DynamicImage,
        k: usize,
    ) -> Result<Vec<Ranked>, WebError> {
        let x = self.pipeline.image_input(image, &self.device);
        let logits = self.pipeline.model.forward(x.clone());
        let mut rows = self.pipeline.top_k(Path::new(name), logits, k)?;
        self.last = Some(x);
        Ok(rows
            .pop()
            .unwrap_or_default()
            .into_iter()
            .map(|p| Ranked {
                index: p.index,
                label: p.label,
                probability: p.probability,
            })
            .collect())
    }

    /// Stage `stage`'s activation maps for the last classified input, `[1, channels, h, w]`.
    pub fn activations(&self, stage: usize) -> Result<Maps, WebError> {
        let x = self.last.clone().ok_or(WebError::NoInput)?;
        let mut maps = self.pipeline.model.feature_maps(x, &[stage])?;
        Ok(Maps::of(maps.remove(0)))
    }

    /// The first convolution's filters, `[out, in, kh, kw]`.
    pub fn filters(&self) -> Option<Maps> {
        self.pipeline.model.first_filters().map(Maps::of)
    }
}
