//! JPEG decoding with libjpeg-turbo's code (MozJPEG's vendored copy of it), the library Pillow
//! decodes with: the same integer IDCT, fancy upsampling and colour conversion, so the same
//! pixels.

use image::{DynamicImage, GrayImage, RgbImage};

/// Decodes a JPEG whose colour space libjpeg can turn into RGB or greyscale (not CMYK/YCCK).
/// libjpeg's fatal errors unwind out of the C code as Rust unwinds (no panic hook runs) and
/// come back as the message.
pub(crate) fn decode(bytes: &[u8]) -> Result<DynamicImage, String> {
    let decoded = std::panic::catch_unwind(|| -> std::io::Result<DynamicImage> {
        let d = mozjpeg::Decompress::new_mem(bytes)?;
        if d.color_space() == mozjpeg::ColorSpace::JCS_GRAYSCALE {
            let mut s = d.grayscale()?;
            let (w, h) = (s.width() as u32, s.height() as u32);
            let pixels: Vec<u8> = s.read_scanlines()?;
            s.finish()?;
            Ok(GrayImage::from_raw(w, h, pixels).map_or(DynamicImage::new_luma8(0, 0), Into::into))
        } else {
            let mut s = d.rgb()?;
            let (w, h) = (s.width() as u32, s.height() as u32);
            let pixels: Vec<u8> = s.read_scanlines()?;
            s.finish()?;
            Ok(RgbImage::from_raw(w, h, pixels).map_or(DynamicImage::new_rgb8(0, 0), Into::into))
        }
    });
    match decoded {
        Ok(Ok(image)) if image.width() > 0 => Ok(image),
        Ok(Ok(_)) => Err("decoded data does not fill the image".into()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(panic) => Err(panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "libjpeg failed".into())),
    }
}
