//! Weight import and export for burn-zoo models.
//!
//! One entry point, [`load`], reads PyTorch `.pth`/`.pt` (zip or legacy pickle), safetensors,
//! Burn's burnpack files and the weights of ONNX models (matched by graph structure), checks every tensor's name and shape against the model before
//! touching it, and only then applies them: a load either returns a complete model or a
//! [`LoadError`] that says what did not fit. [`save`] writes burnpack.
//!
//! ```no_run
//! use zoo_weights::{ImportOptions, ZooModel};
//! # fn demo<M: ZooModel>(model: M) -> Result<(), zoo_weights::LoadError> {
//! // Any zoo model: names and shapes are checked before a tensor is applied.
//! let options = ImportOptions { skip: vec![r"^fc\.".into()], ..Default::default() };
//! let (model, report) = model.load_weights_with_report("checkpoint.pth", &options)?;
//! println!("{report}"); // left out 2 tensors of the file: fc.bias, fc.weight
//! model.save_weights("model.bpk")?;
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

mod conform;
mod error;
mod format;
mod import;
mod onnx;
mod shapes;
mod transpose;
mod zip64;

pub use error::{LayerMisfit, LoadError, Mismatch, ShapeMismatch};
pub use format::WeightFormat;
pub use import::{
    ImportOptions, KeyMap, LoadReport, STATIC_ALIGN, load, load_bytes, load_static,
    load_with_report, save,
};

/// A zoo model that knows how to read reference checkpoints: its name for messages and the
/// key map from reference state-dict keys to its fields.
pub trait ZooModel: burn::module::Module + Sized {
    /// The variant's name, as its builder function is named (`resnet50`).
    fn variant(&self) -> &str;

    /// Renames from reference keys to this model's field paths (see [`KeyMap`]).
    fn key_map() -> KeyMap;

    /// ε of the model's BatchNorms (GoogLeNet: 1e-3), used by the ONNX importer.
    const BATCH_NORM_EPS: f64 = 1e-5;

    /// Tensors this model, as configured, leaves out of any file (names after the key map):
    /// GoogLeNet built without its auxiliary classifiers skips `aux1.*` and `aux2.*`.
    fn skipped_keys(&self) -> Vec<String> {
        Vec::new()
    }

    /// Loads a `.pth`/`.pt`, `.safetensors` or `.bpk` file into this model.
    fn load_weights(
        self,
        path: impl AsRef<std::path::Path>,
        options: &ImportOptions,
    ) -> Result<Self, LoadError> {
        self.load_weights_with_report(path, options)
            .map(|(model, _)| model)
    }

    /// [`ZooModel::load_weights`], also saying which tensors of the file were left out.
    fn load_weights_with_report(
        self,
        path: impl AsRef<std::path::Path>,
        options: &ImportOptions,
    ) -> Result<(Self, LoadReport), LoadError> {
        let name = self.variant().to_string();
        let mut options = options.clone();
        options.skip.extend(self.skipped_keys());
        options.batch_norm_eps.get_or_insert(Self::BATCH_NORM_EPS);
        load_with_report(self, &name, path.as_ref(), Self::key_map(), &options)
    }

    /// Saves this model in Burn's burnpack format.
    fn save_weights(&self, path: impl AsRef<std::path::Path>) -> Result<(), LoadError> {
        save(self, path.as_ref())
    }
}

/// Every tensor of `model` (parameters and running statistics) as float32 values, by its
/// path: for comparing a model with a reference state, or two models with each other.
pub fn named_tensors<M: burn::module::Module>(
    model: &M,
) -> std::collections::BTreeMap<String, Vec<f32>> {
    use burn_store::ModuleSnapshot;
    model
        .collect(None, None, true)
        .into_iter()
        .map(|t| {
            let values = t
                .to_bytes()
                .map(|b| {
                    b.chunks_exact(4)
                        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                        .collect()
                })
                .unwrap_or_default();
            (t.name, values)
        })
        .collect()
}

/// Trainable parameters, the figure torchvision and the papers report. Burn's
/// `Module::num_params` also counts BatchNorm running statistics, which are buffers. Read from
/// the shapes alone: a freshly built model is not made to draw its random weights.
pub fn parameter_count<M: burn::module::Module>(model: &M) -> usize {
    shapes::expected(model, None, true)
        .iter()
        .filter(|t| !t.name.ends_with(".running_mean") && !t.name.ends_with(".running_var"))
        .map(|t| t.shape.iter().product::<usize>())
        .sum()
}
