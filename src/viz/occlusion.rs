//! Occlusion sensitivity (Zeiler & Fergus 2014): how much the model's belief in a class drops
//! when a grey square hides each part of the image.

use burn::tensor::activation::softmax;
use burn::tensor::{Tensor, TensorData};
use zoo_model::Classifier;

use super::VizError;

/// Positions evaluated per forward pass.
const BATCH: usize = 16;

/// The map [`occlusion`] returns: one probability per patch position, row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct OcclusionMap {
    /// Probability of the class with the patch at each position.
    pub values: Vec<f32>,
    /// `[rows, cols]` of positions.
    pub dims: [usize; 2],
    /// Probability of the class for the whole image, for comparison.
    pub unoccluded: f32,
}

/// The softmax probability of class `target` for one preprocessed image `x` (`[1, c, h, w]`)
/// with a `size`×`size` square of zeros (the dataset's mean colour once normalised: a grey
/// patch) at each position, top-left corners every `stride` pixels from 0 while the square
/// fits. `progress(done, total)` follows the positions. Runs in evaluation mode on any device.
pub fn occlusion(
    model: &dyn Classifier,
    x: Tensor<4>,
    target: usize,
    size: usize,
    stride: usize,
    mut progress: impl FnMut(usize, usize),
) -> Result<OcclusionMap, VizError> {
    let [n, c, h, w] = x.dims();
    let classes = model.num_classes();
    if target >= classes {
        return Err(VizError::NoClass { target, classes });
    }
    if n != 1 || size == 0 || stride == 0 || size > h || size > w {
        return Err(VizError::Occlusion(format!(
            "a {size}×{size} patch every {stride} pixels on {n} image(s) of {h}×{w}: needs one \
             image, a patch of 1 to {} pixels and a stride of at least 1",
            h.min(w)
        )));
    }
    let device = x.device();
    let image: Vec<f32> = x
        .clone()
        .into_data()
        .convert::<f32>()
        .try_to_vec::<f32>()
        .unwrap_or_default();
    let probability = |batch: Tensor<4>| -> Vec<f32> {
        let rows = batch.dims()[0];
        softmax(model.forward(batch), 1)
            .slice([0..rows, target..target + 1])
            .into_data()
            .convert::<f32>()
            .try_to_vec::<f32>()
            .unwrap_or_default()
    };
    let unoccluded = probability(x)[0];
    let (rows, cols) = ((h - size) / stride + 1, (w - size) / stride + 1);
    let positions: Vec<(usize, usize)> = (0..rows)
        .flat_map(|r| (0..cols).map(move |q| (r * stride, q * stride)))
        .collect();
    let mut values = Vec::with_capacity(positions.len());
    for chunk in positions.chunks(BATCH) {
        let mut batch = Vec::with_capacity(chunk.len() * image.len());
        for &(y0, x0) in chunk {
            let start = batch.len();
            batch.extend_from_slice(&image);
            for ch in 0..c {
                for y in y0..y0 + size {
                    let row = start + (ch * h + y) * w;
                    batch[row + x0..row + x0 + size].fill(0.0);
                }
            }
        }
        let t = Tensor::<4>::from_data(TensorData::new(batch, [chunk.len(), c, h, w]), &device);
        values.extend(probability(t));
        progress(values.len(), positions.len());
    }
    Ok(OcclusionMap {
        values,
        dims: [rows, cols],
        unoccluded,
    })
}
