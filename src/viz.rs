//! Looking inside a model as images: the first convolution's filters and a stage's activation
//! maps, tiled into one grid (the figures of Krizhevsky et al. 2012 and Zeiler & Fergus 2014).
//! Each tile is normalised to its own range, so weak and strong maps are equally visible.

use burn::tensor::Tensor;
use image::{Rgb, RgbImage};
use zoo_model::{Classifier, ModelError};

/// Gap between tiles, in pixels (white).
const GAP: u32 = 1;

/// Tiles `[n, c, h, w]` values: with `colour` (c = 3), one RGB tile per item; otherwise one
/// grey tile per channel of each item, n × c in all. Each tile is stretched to 0–255 over its
/// own range (a constant tile is black) and magnified `scale` times, nearest neighbour.
///
/// # Panics
/// If `values` does not hold `n·c·h·w` numbers, or `colour` with `c ≠ 3`.
pub fn tiles(values: &[f32], [n, c, h, w]: [usize; 4], colour: bool, scale: u32) -> RgbImage {
    assert_eq!(
        values.len(),
        n * c * h * w,
        "values for [{n}, {c}, {h}, {w}]"
    );
    assert!(!colour || c == 3, "colour tiles need 3 channels, not {c}");
    let (count, per) = if colour {
        (n, 3 * h * w)
    } else {
        (n * c, h * w)
    };
    let cols = (count as f64).sqrt().ceil().max(1.0) as u32;
    let rows = (count as u32).div_ceil(cols);
    let scale = scale.max(1);
    let (tw, th) = (w as u32 * scale, h as u32 * scale);
    let mut out = RgbImage::from_pixel(
        cols * (tw + GAP) - GAP,
        rows * (th + GAP) - GAP,
        Rgb([255, 255, 255]),
    );
    for (t, tile) in values.chunks_exact(per).enumerate() {
        let (lo, hi) = tile
            .iter()
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), &v| {
                (l.min(v), h.max(v))
            });
        let k = if hi > lo { 255.0 / (hi - lo) } else { 0.0 };
        let level = |v: f32| ((v - lo) * k).round().clamp(0.0, 255.0) as u8;
        let (x0, y0) = (
            (t as u32 % cols) * (tw + GAP),
            (t as u32 / cols) * (th + GAP),
        );
        for y in 0..th {
            for x in 0..tw {
                let p = (y / scale) as usize * w + (x / scale) as usize;
                let rgb = if colour {
                    [
                        level(tile[p]),
                        level(tile[h * w + p]),
                        level(tile[2 * h * w + p]),
                    ]
                } else {
                    [level(tile[p]); 3]
                };
                out.put_pixel(x0 + x, y0 + y, Rgb(rgb));
            }
        }
    }
    out
}

fn grid(t: Tensor<4>, colour: bool, scale: u32) -> RgbImage {
    let dims = t.dims();
    let values = t
        .into_data()
        .convert::<f32>()
        .try_to_vec::<f32>()
        .unwrap_or_default();
    tiles(&values, dims, colour, scale)
}

/// The first convolution's filters, one tile each, in colour when they read RGB (as the
/// AlexNet paper's figure), else one grey tile per input channel. `None` without a
/// convolution. Use the model as loaded: folding BatchNorms rescales the filters.
pub fn filters(model: &dyn Classifier, scale: u32) -> Option<RgbImage> {
    let w = model.first_filters()?;
    let colour = w.dims()[1] == 3;
    Some(grid(w, colour, scale))
}

/// Stage `stage`'s activation maps (see [`Classifier::feature_info`]) for one preprocessed
/// image `x` (`[1, c, h, w]`), one grey tile per channel.
pub fn activations(
    model: &dyn Classifier,
    x: Tensor<4>,
    stage: usize,
    scale: u32,
) -> Result<RgbImage, ModelError> {
    let mut maps = model.feature_maps(x, &[stage])?;
    Ok(grid(maps.remove(0), false, scale))
}
