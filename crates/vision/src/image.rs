//! Decoding user images into model inputs, with limits so a hostile header cannot make us
//! allocate gigabytes.

use std::path::{Path, PathBuf};

use image::{DynamicImage, ImageFormat, ImageReader, Limits, imageops::FilterType};

/// Largest width or height accepted (a 16k × 16k RGBA image already needs 1 GiB).
pub const MAX_SIDE: u32 = 16_384;
/// Largest decoding buffer accepted.
pub const MAX_ALLOC: u64 = 1 << 30;

/// Why a file did not become an image, naming the file.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// The file could not be opened or read.
    #[error("cannot open {}: {source}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The file is empty.
    #[error("{}: empty file, not an image", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// The file's header is neither PNG nor JPEG.
    #[error("{}: not a PNG or JPEG image", path.display())]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
    /// The image exceeds [`MAX_SIDE`] or [`MAX_ALLOC`] (or the JPEG file size limit).
    #[error("{}: image is larger than the {MAX_SIDE}×{MAX_SIDE} / 1 GiB limit: {reason}", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// What exceeds the limit.
        reason: String,
    },
    /// The decoder rejected the data (truncated or corrupt file).
    #[error("{}: cannot decode the image: {reason}", path.display())]
    Decode {
        /// The file.
        path: PathBuf,
        /// The decoder's message.
        reason: String,
    },
}

fn decode(path: &Path) -> Result<DynamicImage, ImageError> {
    let open = |source| ImageError::Open {
        path: path.to_path_buf(),
        source,
    };
    let len = std::fs::metadata(path).map_err(open)?.len();
    if len == 0 {
        return Err(ImageError::Empty {
            path: path.to_path_buf(),
        });
    }
    let reader = ImageReader::open(path)
        .map_err(open)?
        .with_guessed_format()
        .map_err(open)?;
    if reader.format() == Some(ImageFormat::Jpeg) {
        check_jpeg_len(path, len)?;
        return decode_jpeg(path, &std::fs::read(path).map_err(open)?);
    }
    decode_with_limits(path, reader)
}

/// An encoded PNG or JPEG held in memory (an upload, a fetched file), decoded exactly as
/// [`load_rgb`] and [`load_grey`] decode files, with the same limits; `name` stands for the
/// file in messages.
pub fn decode_bytes(name: &Path, bytes: &[u8]) -> Result<DynamicImage, ImageError> {
    if bytes.is_empty() {
        return Err(ImageError::Empty {
            path: name.to_path_buf(),
        });
    }
    let reader = ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|source| ImageError::Open {
            path: name.to_path_buf(),
            source,
        })?;
    if reader.format() == Some(ImageFormat::Jpeg) {
        check_jpeg_len(name, bytes.len() as u64)?;
        return decode_jpeg(name, bytes);
    }
    decode_with_limits(name, reader)
}

/// Pixels as a canvas gives them (`ImageData.data`: RGBA, row-major, 8 bits each) as an image,
/// refusing a buffer that does not hold `width`×`height` pixels or exceeds the limits.
pub fn from_rgba(
    name: &Path,
    width: u32,
    height: u32,
    rgba: Vec<u8>,
) -> Result<DynamicImage, ImageError> {
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(ImageError::TooLarge {
            path: name.to_path_buf(),
            reason: format!("{width}×{height} pixels"),
        });
    }
    let want = 4 * width as u64 * height as u64;
    if want == 0 || rgba.len() as u64 != want {
        return Err(ImageError::Decode {
            path: name.to_path_buf(),
            reason: format!(
                "{} bytes of RGBA pixels for a {width}×{height} image (expected {want})",
                rgba.len()
            ),
        });
    }
    image::RgbaImage::from_raw(width, height, rgba)
        .map(DynamicImage::from)
        .ok_or_else(|| ImageError::Decode {
            path: name.to_path_buf(),
            reason: "the pixels do not fill the image".into(),
        })
}

fn decode_with_limits<R: std::io::BufRead + std::io::Seek>(
    path: &Path,
    mut reader: ImageReader<R>,
) -> Result<DynamicImage, ImageError> {
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

fn check_jpeg_len(path: &Path, len: u64) -> Result<(), ImageError> {
    if len > MAX_JPEG_FILE {
        return Err(ImageError::TooLarge {
            path: path.to_path_buf(),
            reason: format!("a {len}-byte JPEG file"),
        });
    }
    Ok(())
}

/// Largest JPEG file read (a 16k × 16k JPEG of noise at top quality is far smaller).
const MAX_JPEG_FILE: u64 = 256 << 20;

/// A JPEG, checked strictly (a truncated file is an error, as in Pillow, instead of an image
/// padded with grey) and decoded by libjpeg-turbo's code as Pillow decodes it (feature
/// `libjpeg-turbo`, the default). CMYK and YCCK files, and every file without the feature, go
/// through the `image` crate's zune-jpeg decoder (RGB, RGBA, greyscale, CMYK and YCCK
/// converted to RGB), which can differ from Pillow by a few levels.
fn decode_jpeg(path: &Path, bytes: &[u8]) -> Result<DynamicImage, ImageError> {
    use zune_core::{bytestream::ZCursor, colorspace::ColorSpace, options::DecoderOptions};
    let decode_error = |reason: String| ImageError::Decode {
        path: path.to_path_buf(),
        reason,
    };
    let options = DecoderOptions::default()
        .set_strict_mode(true)
        .set_max_width(MAX_SIDE as usize)
        .set_max_height(MAX_SIDE as usize);
    let mut headers = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(bytes), options);
    headers
        .decode_headers()
        .map_err(|e| decode_error(e.to_string()))?;
    let (Some((w, h)), Some(input)) = (headers.dimensions(), headers.input_colorspace()) else {
        return Err(decode_error("no frame header".into()));
    };
    let out = match input {
        ColorSpace::RGB | ColorSpace::RGBA | ColorSpace::Luma | ColorSpace::LumaA => input,
        _ => ColorSpace::RGB,
    };
    // The output, and (progressive JPEGs) 16-bit coefficients for every input component.
    let need = (w as u64 * h as u64)
        .saturating_mul(out.num_components() as u64 + 2 * input.num_components() as u64);
    if need > MAX_ALLOC {
        return Err(ImageError::TooLarge {
            path: path.to_path_buf(),
            reason: format!("a {w}×{h} JPEG needs {} MiB to decode", need >> 20),
        });
    }
    // As libjpeg (hence Pillow) does, a scan must end with the end-of-image marker; zune
    // accepts a file that stops right after the last scan's data.
    // The last scan: the first may be an EXIF thumbnail's, inside APP1, with its own end.
    let scan = bytes.windows(2).rposition(|m| m == [0xff, 0xda]);
    let end = bytes.windows(2).rposition(|m| m == [0xff, 0xd9]);
    if !matches!((scan, end), (Some(s), Some(e)) if e > s) {
        return Err(decode_error(
            "the file is truncated (no end-of-image marker after the scan)".into(),
        ));
    }
    // libjpeg reports fatal errors by unwinding out of its C code: with panic = "abort" that
    // would end the process, so such builds decode with zune.
    #[cfg(all(feature = "libjpeg-turbo", panic = "unwind"))]
    if !matches!(input, ColorSpace::CMYK | ColorSpace::YCCK) {
        return crate::turbo::decode(bytes).map_err(decode_error);
    }
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(
        ZCursor::new(bytes),
        options.jpeg_set_out_colorspace(out),
    );
    let pixels = decoder.decode().map_err(|e| {
        let reason = e.to_string();
        if ["Premature end", "No more bytes", "Exhausted data"]
            .iter()
            .any(|s| reason.contains(s))
        {
            decode_error(format!("the file is truncated ({reason})"))
        } else {
            decode_error(reason)
        }
    })?;
    let (w, h) = (w as u32, h as u32);
    let image = match out {
        ColorSpace::RGBA => image::RgbaImage::from_raw(w, h, pixels).map(DynamicImage::from),
        ColorSpace::Luma => image::GrayImage::from_raw(w, h, pixels).map(DynamicImage::from),
        ColorSpace::LumaA => image::GrayAlphaImage::from_raw(w, h, pixels).map(DynamicImage::from),
        _ => image::RgbImage::from_raw(w, h, pixels).map(DynamicImage::from),
    };
    image.ok_or_else(|| decode_error("decoded data does not fill the image".into()))
}

/// A PNG or JPEG of any size and colour type as `size`×`size` greyscale pixels in [0, 1],
/// row-major. Colour images go through the ITU-R BT.709 luma; other sizes are resized with
/// a triangle (bilinear) filter.
pub fn load_grey(path: &Path, size: u32) -> Result<Vec<f32>, ImageError> {
    Ok(grey(decode(path)?, size))
}

/// A decoded image as [`load_grey`] makes it: `size`×`size` greyscale pixels in [0, 1].
pub fn grey(image: DynamicImage, size: u32) -> Vec<f32> {
    let grey = image.into_luma8();
    let grey = if grey.dimensions() == (size, size) {
        grey
    } else {
        image::imageops::resize(&grey, size, size, FilterType::Triangle)
    };
    grey.into_raw()
        .into_iter()
        .map(|p| p as f32 / 255.0)
        .collect()
}

/// A PNG or JPEG of any size and colour type (greyscale, CMYK, with alpha) as 8-bit RGB, as
/// `PIL.Image.convert("RGB")` gives it.
pub fn load_rgb(path: &Path) -> Result<image::RgbImage, ImageError> {
    Ok(decode(path)?.into_rgb8())
}
