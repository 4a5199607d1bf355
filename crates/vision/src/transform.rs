//! torchvision's inference preprocessing on PIL images, reproduced exactly: resize the shorter
//! side with Pillow's antialiased filters (its fixed-point, horizontal-then-vertical
//! resampling, rounding to 8 bits between the passes), center-crop with Python's rounding,
//! scale to [0, 1] and normalise.

use burn::tensor::{Device, Tensor, TensorData};
use image::RgbImage;

/// Pillow's resampling filters (`Image.Resampling`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Filter {
    /// Pillow's `BILINEAR` (triangle filter), torchvision's default.
    Bilinear,
    /// Pillow's `BICUBIC` (a = −0.5), as timm's presets use.
    Bicubic,
}

impl Filter {
    fn support(self) -> f64 {
        match self {
            Filter::Bilinear => 1.0,
            Filter::Bicubic => 2.0,
        }
    }

    fn weight(self, x: f64) -> f64 {
        let x = x.abs();
        match self {
            Filter::Bilinear if x < 1.0 => 1.0 - x,
            Filter::Bicubic if x < 1.0 => ((-0.5 + 2.0) * x - (-0.5 + 3.0)) * x * x + 1.0,
            Filter::Bicubic if x < 2.0 => (((x - 5.0) * x + 8.0) * x - 4.0) * -0.5,
            _ => 0.0,
        }
    }
}

/// A torchvision `ImageClassification` preset (or timm's eval transform).
#[derive(Clone, Debug, PartialEq)]
pub struct Transform {
    /// The shorter side after resizing.
    pub resize: u32,
    /// The side of the square center crop.
    pub crop: u32,
    /// The resampling filter of the resize.
    pub filter: Filter,
    /// Per-channel RGB mean subtracted, of pixels in [0, 1].
    pub mean: [f32; 3],
    /// Per-channel RGB standard deviation divided by.
    pub std: [f32; 3],
}

impl Transform {
    /// `[3, crop, crop]` values, channel-major, ready for the model.
    ///
    /// Only the pixels the crop keeps are resampled, so memory is bounded by the crop, not by
    /// the resized image: a 1×16384 strip would otherwise resize to 256×4194304 first.
    pub fn apply(&self, img: &RgbImage) -> Vec<f32> {
        let (w2, h2) = shorter_side_dims(img.dimensions(), self.resize);
        let (x0, cw) = crop_window(w2, self.crop);
        let (y0, ch) = crop_window(h2, self.crop);
        let img = resize_window(img, (w2, h2), (x0, y0, cw, ch), self.filter);
        let plane = (self.crop * self.crop) as usize;
        let mut out = vec![0f32; 3 * plane];
        for (i, px) in img.pixels().enumerate() {
            for c in 0..3 {
                out[c * plane + i] = (px[c] as f32 / 255.0 - self.mean[c]) / self.std[c];
            }
        }
        out
    }

    /// A batch `[n, 3, crop, crop]` of preprocessed images.
    pub fn batch(&self, images: &[RgbImage], device: &Device) -> Tensor<4> {
        let data: Vec<f32> = images.iter().flat_map(|i| self.apply(i)).collect();
        let c = self.crop as usize;
        Tensor::from_data(TensorData::new(data, [images.len(), 3, c, c]), device)
    }
}

/// torchvision's `Resize(size)` output size: the shorter side becomes `size`, the longer
/// `int(size * long / short)`.
fn shorter_side_dims((w, h): (u32, u32), size: u32) -> (u32, u32) {
    let long = |long: u32, short: u32| {
        u32::try_from(size as u64 * long as u64 / short.max(1) as u64).unwrap_or(u32::MAX)
    };
    if w <= h {
        (size, long(h, w))
    } else {
        (long(w, h), size)
    }
}

/// torchvision's `CenterCrop` along one side of `full` pixels: the offset
/// `round((full - size) / 2)` with Python's round-half-to-even, and the kept length.
fn crop_window(full: u32, size: u32) -> (u32, u32) {
    let twice = full.saturating_sub(size);
    let (q, r) = (twice / 2, twice % 2);
    let offset = if r == 1 && q % 2 == 1 { q + 1 } else { q };
    (offset, size.min(full))
}

/// torchvision's `Resize(size)`: the shorter side becomes `size`, the longer
/// `int(size * long / short)`.
pub fn resize_shorter(img: &RgbImage, size: u32, filter: Filter) -> RgbImage {
    let (w2, h2) = shorter_side_dims(img.dimensions(), size);
    resize(img, w2, h2, filter)
}

/// torchvision's `CenterCrop(size)` for images at least `size` on each side:
/// `top = round((h - size) / 2)` with Python's round-half-to-even.
pub fn center_crop(img: &RgbImage, size: u32) -> RgbImage {
    let (w, h) = img.dimensions();
    let (x0, cw) = crop_window(w, size);
    let (y0, ch) = crop_window(h, size);
    image::imageops::crop_imm(img, x0, y0, cw, ch).to_image()
}

const PRECISION_BITS: u32 = 32 - 8 - 2;

/// Pillow's `precompute_coeffs` + `normalize_coeffs_8bpc` for the output pixels `range` of
/// `out_size`: per output pixel, the first input index and fixed-point weights (Pillow pads
/// each row to a fixed kernel size; the padding weights are zero and add nothing).
fn coefficients(
    in_size: u32,
    out_size: u32,
    range: std::ops::Range<u32>,
    filter: Filter,
) -> Vec<(usize, Vec<i32>)> {
    let scale = in_size as f64 / out_size as f64;
    let filterscale = scale.max(1.0);
    let support = filter.support() * filterscale;
    let ss = 1.0 / filterscale;
    range
        .map(|xx| {
            let center = (xx as f64 + 0.5) * scale;
            let xmin = ((center - support + 0.5) as i64).max(0) as usize;
            let xmax = ((center + support + 0.5) as i64).min(in_size as i64) as usize - xmin;
            let mut k: Vec<f64> = (0..xmax)
                .map(|x| filter.weight((x as f64 + xmin as f64 - center + 0.5) * ss))
                .collect();
            let total: f64 = k.iter().sum();
            if total != 0.0 {
                k.iter_mut().for_each(|w| *w /= total);
            }
            let one = (1u64 << PRECISION_BITS) as f64;
            let fixed = k
                .iter()
                .map(|&w| {
                    if w < 0.0 {
                        (-0.5 + w * one) as i32
                    } else {
                        (0.5 + w * one) as i32
                    }
                })
                .collect();
            (xmin, fixed)
        })
        .collect()
}

fn clip8(v: i64) -> u8 {
    (v >> PRECISION_BITS).clamp(0, 255) as u8
}

/// Pillow's `Image.resize` for RGB: two passes, each rounded to 8 bits. Pillow 13 runs the
/// horizontal pass first (over only the rows the vertical pass reads) unless the height
/// shrinks by more than twice as many pixels as the width does; then the vertical pass runs
/// first (`ImagingResampleInner`'s `horizontal_first`).
pub fn resize(img: &RgbImage, w2: u32, h2: u32, filter: Filter) -> RgbImage {
    resize_window(img, (w2, h2), (0, 0, w2, h2), filter)
}

/// The window `(x0, y0, width, height)` of `img` resized to `size` by [`resize`], computing
/// only the window's pixels (each output pixel of Pillow's passes depends on its own
/// coefficients alone, so the values are those of the full resize). Each pass covers only
/// what the next reads: the horizontal pass the rows the vertical one reads, and the vertical
/// pass (when it runs first) the columns the horizontal one reads.
fn resize_window(
    img: &RgbImage,
    (w2, h2): (u32, u32),
    (x0, y0, cw, ch): (u32, u32, u32, u32),
    filter: Filter,
) -> RgbImage {
    let (w, h) = img.dimensions();
    if (w, h) == (w2, h2) {
        return image::imageops::crop_imm(img, x0, y0, cw, ch).to_image();
    }
    let horiz = coefficients(w, w2, x0..x0 + cw, filter);
    let vert = coefficients(h, h2, y0..y0 + ch, filter);
    let (same_w, same_h) = (w2 == w, h2 == h);
    let vertical_first = h > h2 && i64::from(h - h2) > 2 * (i64::from(w) - i64::from(w2));
    let (src, w) = (img.as_raw().as_slice(), w as usize);
    let (x0, y0, cw, ch) = (x0 as usize, y0 as usize, cw as usize, ch as usize);
    let out = if vertical_first {
        let cols = if same_w {
            Some(x0..x0 + cw)
        } else {
            span(&horiz)
        };
        let Some(cols) = cols else {
            return RgbImage::new(cw as u32, ch as u32);
        };
        let tmp = vertical(src, w, cols.clone(), 0, &vert);
        if same_w {
            tmp
        } else {
            horizontal(&tmp, cols.len(), cols.start, &horiz)
        }
    } else {
        let rows = if same_h {
            Some(y0..y0 + ch)
        } else {
            span(&vert)
        };
        let Some(rows) = rows else {
            return RgbImage::new(cw as u32, ch as u32);
        };
        let rows_src = &src[rows.start * w * 3..rows.end * w * 3];
        let tmp = if same_w {
            columns(rows_src, w, x0..x0 + cw)
        } else {
            horizontal(rows_src, w, 0, &horiz)
        };
        if same_h {
            tmp
        } else {
            vertical(&tmp, cw, 0..cw, rows.start, &vert)
        }
    };
    RgbImage::from_raw(cw as u32, ch as u32, out)
        .unwrap_or_else(|| RgbImage::new(cw as u32, ch as u32))
}

/// The input pixels a pass's coefficients read, from the first's start to the last's end.
fn span(coeffs: &[(usize, Vec<i32>)]) -> Option<std::ops::Range<usize>> {
    match (coeffs.first(), coeffs.last()) {
        (Some(f), Some(l)) => Some(f.0..l.0 + l.1.len()),
        _ => None,
    }
}

/// Pillow's horizontal pass over every row of `src` (rows `src_w` pixels wide, whose first
/// column is column `x_from` of the image the coefficients index): one output pixel per
/// coefficient row.
fn horizontal(src: &[u8], src_w: usize, x_from: usize, coeffs: &[(usize, Vec<i32>)]) -> Vec<u8> {
    let half = 1i64 << (PRECISION_BITS - 1);
    let stride = coeffs.len() * 3;
    let mut out = vec![0u8; src.len() / (src_w * 3) * stride];
    for (row, out) in src
        .chunks_exact(src_w * 3)
        .zip(out.chunks_exact_mut(stride))
    {
        for (xx, (xmin, k)) in coeffs.iter().enumerate() {
            for c in 0..3 {
                let mut ss = half;
                for (i, &kw) in k.iter().enumerate() {
                    ss += row[(xmin - x_from + i) * 3 + c] as i64 * kw as i64;
                }
                out[xx * 3 + c] = clip8(ss);
            }
        }
    }
    out
}

/// The columns `cols` of every row of `src` (rows `src_w` pixels wide), as they are.
fn columns(src: &[u8], src_w: usize, cols: std::ops::Range<usize>) -> Vec<u8> {
    src.chunks_exact(src_w * 3)
        .flat_map(|row| &row[cols.start * 3..cols.end * 3])
        .copied()
        .collect()
}

/// Pillow's vertical pass over the columns `cols` of `src` (rows `src_w` pixels wide, whose
/// first row is row `y_from` of the image the coefficients index): one output row per
/// coefficient row.
fn vertical(
    src: &[u8],
    src_w: usize,
    cols: std::ops::Range<usize>,
    y_from: usize,
    coeffs: &[(usize, Vec<i32>)],
) -> Vec<u8> {
    let half = 1i64 << (PRECISION_BITS - 1);
    let (src_stride, from) = (src_w * 3, cols.start * 3);
    let stride = cols.len() * 3;
    let mut out = vec![0u8; coeffs.len() * stride];
    for ((ymin, k), out) in coeffs.iter().zip(out.chunks_exact_mut(stride)) {
        for (x, o) in out.iter_mut().enumerate() {
            let mut ss = half;
            for (i, &kw) in k.iter().enumerate() {
                ss += src[(ymin - y_from + i) * src_stride + from + x] as i64 * kw as i64;
            }
            *o = clip8(ss);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn center_crop_rounds_half_to_even_like_python() {
        let img = RgbImage::from_fn(7, 6, |x, y| image::Rgb([x as u8, y as u8, 0]));
        // (7-4)/2 = 1.5 → 2; (6-4)/2 = 1 → 1.
        let c = center_crop(&img, 4);
        assert_eq!(c.get_pixel(0, 0).0, [2, 1, 0]);
        // (9-4)/2 = 2.5 → 2.
        let img = RgbImage::from_fn(9, 9, |x, y| image::Rgb([x as u8, y as u8, 0]));
        assert_eq!(center_crop(&img, 4).get_pixel(0, 0).0, [2, 2, 0]);
    }

    #[test]
    fn cropped_resize_equals_resize_then_crop() {
        let img = RgbImage::from_fn(97, 61, |x, y| {
            image::Rgb([(x * 7 + y) as u8, (x * y) as u8, (x ^ y) as u8])
        });
        for filter in [Filter::Bilinear, Filter::Bicubic] {
            for (resize, crop) in [(40, 32), (61, 50), (140, 128), (20, 24)] {
                let t = Transform {
                    resize,
                    crop,
                    filter,
                    mean: [0.0; 3],
                    std: [1.0; 3],
                };
                let full = center_crop(&resize_shorter(&img, resize, filter), crop);
                let pixels: Vec<f32> = t.apply(&img);
                let plane = (full.width() * full.height()) as usize;
                for (i, p) in full.pixels().enumerate() {
                    for c in 0..3 {
                        assert_eq!(pixels[c * (crop * crop) as usize + i], p[c] as f32 / 255.0);
                    }
                }
                assert!(plane <= (crop * crop) as usize);
            }
        }
    }

    #[test]
    fn a_thin_strip_resizes_within_the_crop() {
        // 1×16384 would resize to 256×4194304 (3 GiB) before cropping; only the crop is made.
        let img = RgbImage::from_fn(1, 16_384, |_, y| image::Rgb([(y % 251) as u8, 9, 200]));
        let t = Transform {
            resize: 256,
            crop: 224,
            filter: Filter::Bilinear,
            mean: [0.0; 3],
            std: [1.0; 3],
        };
        let out = t.apply(&img);
        assert_eq!(out.len(), 3 * 224 * 224);
        assert!(
            out[224 * 224..2 * 224 * 224]
                .iter()
                .all(|&v| v == 9.0 / 255.0)
        );
    }

    #[test]
    fn resize_keeps_a_flat_image_flat() {
        let img = RgbImage::from_pixel(640, 480, image::Rgb([10, 200, 77]));
        for filter in [Filter::Bilinear, Filter::Bicubic] {
            let r = resize_shorter(&img, 256, filter);
            assert_eq!(r.dimensions(), (341, 256));
            assert!(r.pixels().all(|p| p.0 == [10, 200, 77]), "{filter:?}");
        }
    }
}
