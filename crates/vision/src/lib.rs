//! Images into model inputs, as torchvision and Pillow make them: decoding (JPEGs through
//! libjpeg-turbo's code, bit for bit as Pillow decodes them; PNGs through the `image` crate)
//! with limits a hostile header cannot get past, then torchvision's resize, centre crop and
//! normalisation, reproduced exactly.
//!
//! ```no_run
//! use zoo_vision::{Filter, Transform, load_rgb};
//! let rgb = load_rgb(std::path::Path::new("photo.jpg"))?;
//! // torchvision's ResNet-50 IMAGENET1K_V1 preset.
//! let t = Transform {
//!     resize: 256,
//!     crop: 224,
//!     filter: Filter::Bilinear,
//!     mean: [0.485, 0.456, 0.406],
//!     std: [0.229, 0.224, 0.225],
//! };
//! let values: Vec<f32> = t.apply(&rgb); // [3, 224, 224], channel-major
//! # Ok::<(), zoo_vision::ImageError>(())
//! ```

#![warn(missing_docs)]

pub mod image;
pub mod transform;
#[cfg(all(feature = "libjpeg-turbo", panic = "unwind"))]
mod turbo;

pub use crate::image::{
    ImageError, MAX_ALLOC, MAX_SIDE, decode_bytes, from_rgba, grey, load_grey, load_rgb,
};
pub use ::image::DynamicImage;
pub use transform::{Filter, Transform};
