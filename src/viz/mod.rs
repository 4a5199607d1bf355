//! Looking inside a model as images: the first convolution's filters and a stage's activation
//! maps, tiled into one grid (the figures of Krizhevsky et al. 2012 and Zeiler & Fergus 2014),
//! and where the model looked for a class: saliency (Simonyan et al. 2014), Grad-CAM
//! (Selvaraju et al. 2017) and occlusion sensitivity (Zeiler & Fergus 2014). Each tile is
//! normalised to its own range, so weak and strong maps are equally visible.

mod embed;
mod occlusion;

pub use embed::{NpyElement, PALETTE, pca2, scatter, write_npy};
pub use occlusion::{OcclusionMap, occlusion};

use burn::tensor::Tensor;
use burn::tensor::activation::relu;
use image::{Rgb, RgbImage};
use zoo_model::{Classifier, ModelError};

/// Why a gradient map could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum VizError {
    /// Gradients need an autodiff device (`Device::default().autodiff()`).
    #[error("saliency and Grad-CAM need the model and input on an autodiff device")]
    NotAutodiff,
    /// The class is not one of the model's outputs.
    #[error("class {target} is not an output of the model (it has {classes})")]
    NoClass {
        /// The class asked for.
        target: usize,
        /// The model's outputs.
        classes: usize,
    },
    /// A stage the model does not have.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// Occlusion settings that do not fit the image.
    #[error("occlusion: {0}")]
    Occlusion(String),
}

fn check(model: &dyn Classifier, x: &Tensor<4>, target: usize) -> Result<(), VizError> {
    if !x.device().is_autodiff() {
        return Err(VizError::NotAutodiff);
    }
    let classes = model.num_classes();
    if target >= classes {
        return Err(VizError::NoClass { target, classes });
    }
    Ok(())
}

/// The score of class `target` (the logit, before softmax) summed over the batch.
fn score(logits: Tensor<2>, target: usize) -> Tensor<1> {
    let n = logits.dims()[0];
    logits.slice([0..n, target..target + 1]).sum()
}

/// Saliency, `[n, h, w]`: the largest |∂ score / ∂ input| over the input's channels, for class
/// `target` (Simonyan et al. 2014). The model must be on an autodiff device and frozen
/// (`ModelObject::frozen`: running statistics, no dropout), as PyTorch's in `eval()`.
pub fn saliency(
    model: &dyn Classifier,
    x: Tensor<4>,
    target: usize,
) -> Result<Tensor<3>, VizError> {
    check(model, &x, target)?;
    let x = x.detach().require_grad();
    let grads = score(model.forward(x.clone()), target).backward();
    let g = x.grad(&grads).ok_or(VizError::NotAutodiff)?;
    Ok(g.abs().max_dim(1).squeeze_dim(1))
}

/// Grad-CAM, `[n, h, w]` at the resolution of the last stage (`forward_features`): the stage's
/// maps weighted by the spatial mean of ∂ score / ∂ map, summed, then ReLU (Selvaraju et al.
/// 2017, as `pytorch-grad-cam` computes it on the last stage). Same requirements as
/// [`saliency`].
pub fn grad_cam(
    model: &dyn Classifier,
    x: Tensor<4>,
    target: usize,
) -> Result<Tensor<3>, VizError> {
    check(model, &x, target)?;
    let maps = model.forward_features(x).detach().require_grad();
    let grads = score(model.forward_head(maps.clone()), target).backward();
    let g = maps.grad(&grads).ok_or(VizError::NotAutodiff)?;
    let maps = Tensor::<4>::from_data(maps.into_data(), &g.device());
    let weights = g.mean_dim(3).mean_dim(2);
    Ok(relu((maps * weights).sum_dim(1).squeeze_dim(1)))
}

/// `map` (`[h, w]`, any range) over `image` as a heat map: the image in grey at half strength,
/// the map stretched to its range in black → red → yellow → white, bilinearly resized to the
/// image.
pub fn overlay(image: &RgbImage, map: &[f32], [h, w]: [usize; 2]) -> RgbImage {
    assert_eq!(map.len(), h * w, "a {h}×{w} map");
    let (lo, hi) = map
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(l, u), &v| {
            (l.min(v), u.max(v))
        });
    let k = if hi > lo { 1.0 / (hi - lo) } else { 0.0 };
    let (iw, ih) = image.dimensions();
    let at = |y: usize, x: usize| (map[y * w + x] - lo) * k;
    RgbImage::from_fn(iw, ih, |px, py| {
        // Pixel centres, as a bilinear resize with align_corners = False.
        let fy = ((py as f32 + 0.5) * h as f32 / ih as f32 - 0.5).clamp(0.0, (h - 1) as f32);
        let fx = ((px as f32 + 0.5) * w as f32 / iw as f32 - 0.5).clamp(0.0, (w - 1) as f32);
        let (y0, x0) = (fy.floor() as usize, fx.floor() as usize);
        let (y1, x1) = ((y0 + 1).min(h - 1), (x0 + 1).min(w - 1));
        let (dy, dx) = (fy - y0 as f32, fx - x0 as f32);
        let v = (at(y0, x0) * (1.0 - dx) + at(y0, x1) * dx) * (1.0 - dy)
            + (at(y1, x0) * (1.0 - dx) + at(y1, x1) * dx) * dy;
        let heat = [3.0 * v, 3.0 * v - 1.0, 3.0 * v - 2.0].map(|c| c.clamp(0.0, 1.0) * 255.0);
        let p = image.get_pixel(px, py).0;
        let grey = (p[0] as f32 + p[1] as f32 + p[2] as f32) / 3.0;
        Rgb(heat.map(|c| (0.5 * grey + 0.5 * c).round() as u8))
    })
}

/// A preprocessed input's first image as a picture, stretched to its range (the
/// normalisation undone up to scale): colour for three channels, else the first in grey.
pub fn input_image(x: &Tensor<4>, scale: u32) -> RgbImage {
    let [_, c, h, w] = x.dims();
    let values: Vec<f32> = x
        .to_data()
        .convert::<f32>()
        .try_to_vec::<f32>()
        .unwrap_or_default();
    if c == 3 {
        tiles(&values[..3 * h * w], [1, 3, h, w], true, scale)
    } else {
        tiles(&values[..h * w], [1, 1, h, w], false, scale)
    }
}

/// Gap between tiles, in pixels (white).
const GAP: u32 = 1;

/// Tiles `[n, c, h, w]` values: with `colour` (c = 3), one RGB tile per item; otherwise one
/// grey tile per channel of each item, n × c in all. Each tile is stretched to 0–255 over its
/// own range (a constant tile is black) and magnified `scale` times, nearest neighbour.
///
/// # Panics
/// If `values` does not hold `n·c·h·w` numbers, or `colour` with `c ≠ 3`.
pub fn tiles(values: &[f32], dims: [usize; 4], colour: bool, scale: u32) -> RgbImage {
    tiles_in(values, dims, colour, scale, None)
}

/// [`tiles`] with every tile mapped from one fixed `(black, white)` range instead of its own
/// (generated images, whose brightness is part of what they show).
pub fn tiles_in(
    values: &[f32],
    [n, c, h, w]: [usize; 4],
    colour: bool,
    scale: u32,
    range: Option<(f32, f32)>,
) -> RgbImage {
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
        let (lo, hi) = range.unwrap_or_else(|| {
            tile.iter()
                .fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), &v| {
                    (l.min(v), h.max(v))
                })
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
