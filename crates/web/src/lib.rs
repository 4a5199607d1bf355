//! burn-zoo in the browser: a WebAssembly module (wasm-bindgen) that loads a zoo model from
//! embedded or fetched Burn-format bytes, classifies images (encoded files, or canvas pixels)
//! and returns what the demo page draws: top-k with labels, a stage's activation maps, the
//! first layer's filters. `scripts/web.sh` builds it and serves `web/`.
//!
//! The same code runs natively ([`Session`]), which is how its results are tested against
//! `zoo classify`; the browser test (`web/test.mjs`) then checks the page gives those results.

#![warn(missing_docs)]

mod session;

pub use session::{Info, Maps, Ranked, Session, WebError};
use wasm_bindgen::prelude::*;

fn js(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// A model in the page.
#[wasm_bindgen]
pub struct WebModel(Session);

/// Activation maps or filters: `dims` `[count, channels, height, width]` and the values.
#[wasm_bindgen]
pub struct WebMaps(Maps);

#[wasm_bindgen]
impl WebModel {
    /// A variant with the weights embedded in the module (`lenet5_modern`).
    pub fn embedded(name: &str) -> Result<WebModel, JsError> {
        Session::embedded(name).map(Self).map_err(js)
    }

    /// A variant with burnpack weights the page fetched; `label` names them in messages.
    #[wasm_bindgen(js_name = fromBurnpack)]
    pub fn from_burnpack(name: &str, label: &str, bytes: Vec<u8>) -> Result<WebModel, JsError> {
        Session::from_burnpack(name, label, bytes)
            .map(Self)
            .map_err(js)
    }

    /// The model's name, weights, input, preprocessing and stages, as JSON.
    pub fn info(&self) -> Result<String, JsError> {
        serde_json::to_string(&self.0.info()).map_err(js)
    }

    /// The top `k` classes of an encoded PNG or JPEG, as JSON `[{index, label, probability}]`.
    #[wasm_bindgen(js_name = classifyFile)]
    pub fn classify_file(&mut self, name: &str, bytes: &[u8], k: usize) -> Result<String, JsError> {
        let ranked = self.0.classify_file(name, bytes, k).map_err(js)?;
        serde_json::to_string(&ranked).map_err(js)
    }

    /// The top `k` classes of canvas pixels (`ImageData.data`), as [`WebModel::classify_file`].
    #[wasm_bindgen(js_name = classifyRgba)]
    pub fn classify_rgba(
        &mut self,
        width: u32,
        height: u32,
        rgba: Vec<u8>,
        k: usize,
    ) -> Result<String, JsError> {
        let ranked = self.0.classify_rgba(width, height, rgba, k).map_err(js)?;
        serde_json::to_string(&ranked).map_err(js)
    }

    /// Stage `stage`'s activation maps for the last classified image.
    pub fn activations(&self, stage: usize) -> Result<WebMaps, JsError> {
        self.0.activations(stage).map(WebMaps).map_err(js)
    }

    /// The first convolution's filters, if the model has one.
    pub fn filters(&self) -> Option<WebMaps> {
        self.0.filters().map(WebMaps)
    }
}

#[wasm_bindgen]
impl WebMaps {
    /// `[count, channels, height, width]`.
    #[wasm_bindgen(getter)]
    pub fn dims(&self) -> Vec<usize> {
        self.0.dims.to_vec()
    }

    /// The values, row-major.
    #[wasm_bindgen(getter)]
    pub fn data(&self) -> Vec<f32> {
        self.0.data.clone()
    }
}
