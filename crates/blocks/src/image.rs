//! Decoding user images into model inputs, with limits so a hostile header cannot make us
//! allocate gigabytes.

use std::path::{Path, PathBuf};

use image::{ImageReader, Limits, imageops::FilterType};

/// Largest width or height accepted (a 16k × 16k RGBA image already needs 1 GiB).
pub const MAX_SIDE: u32 = 16_384;
/// Largest decoding buffer accepted.
pub const MAX_ALLOC: u64 = 1 << 30;

#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("cannot open {}: {source}", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: empty file, not an image", path.display())]
    Empty { path: PathBuf },
    #[error("{}: not a PNG or JPEG image", path.display())]
    UnknownFormat { path: PathBuf },
    #[error("{}: image is larger than the {MAX_SIDE}×{MAX_SIDE} / 1 GiB limit: {reason}", path.display())]
    TooLarge { path: PathBuf, reason: String },
    #[error("{}: cannot decode the image: {reason}", path.display())]
    Decode { path: PathBuf, reason: String },
}

fn decode(path: &Path) -> Result<image::DynamicImage, ImageError> {
    let open = |source| ImageError::Open {
        path: path.to_path_buf(),
        source,
    };
    if std::fs::metadata(path).map_err(open)?.len() == 0 {
        return Err(ImageError::Empty {
            path: path.to_path_buf(),
        });
    }
    let mut reader = ImageReader::open(path)
        .map_err(open)?
        .with_guessed_format()
        .map_err(open)?;
    if reader.format().is_none() {
        return Err(ImageError::UnknownFormat {
            path: path.to_path_buf(),
        });
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    reader.decode().map_err(|e| match e {
        image::ImageError::Limits(l) => ImageError::TooLarge {
            path: path.to_path_buf(),
            reason: l.to_string(),
        },
        other => ImageError::Decode {
            path: path.to_path_buf(),
            reason: other.to_string(),
        },
    })
}

/// A PNG or JPEG of any size and colour type as `size`×`size` greyscale pixels in [0, 1],
/// row-major. Colour images go through the ITU-R BT.709 luma; other sizes are resized with
/// a triangle (bilinear) filter.
pub fn load_grey(path: &Path, size: u32) -> Result<Vec<f32>, ImageError> {
    let grey = decode(path)?.into_luma8();
    let grey = if grey.dimensions() == (size, size) {
        grey
    } else {
        image::imageops::resize(&grey, size, size, FilterType::Triangle)
    };
    Ok(grey
        .into_raw()
        .into_iter()
        .map(|p| p as f32 / 255.0)
        .collect())
}

/// A PNG or JPEG of any size and colour type (greyscale, CMYK, with alpha) as 8-bit RGB, as
/// `PIL.Image.convert("RGB")` gives it.
pub fn load_rgb(path: &Path) -> Result<image::RgbImage, ImageError> {
    Ok(decode(path)?.into_rgb8())
}
