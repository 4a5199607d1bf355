//! Input normalisation constants and the normalisation itself.

use burn::tensor::{Tensor, TensorData};

/// Per-channel RGB mean of ImageNet, as torchvision's transforms use it.
pub const IMAGENET_MEAN: [f32; 3] = [0.485, 0.456, 0.406];
/// Per-channel RGB standard deviation of ImageNet, as torchvision's transforms use it.
pub const IMAGENET_STD: [f32; 3] = [0.229, 0.224, 0.225];

/// Per-channel mean of Google's TensorFlow Inception preprocessing (pixels to [-1, 1]): the
/// Keras and TF-slim weights of Xception, Inception-v4 and Inception-ResNet-v2 expect it.
pub const INCEPTION_MEAN: [f32; 3] = [0.5; 3];
/// Per-channel standard deviation of the Inception preprocessing (see [`INCEPTION_MEAN`]).
pub const INCEPTION_STD: [f32; 3] = [0.5; 3];

/// `(x - mean) / std` per channel of an `[n, c, h, w]` batch in `[0, 1]`.
pub fn normalize<const C: usize>(x: Tensor<4>, mean: [f32; C], std: [f32; C]) -> Tensor<4> {
    let device = x.device();
    let shape = [1, C, 1, 1];
    let mean = Tensor::<4>::from_data(TensorData::new(mean.to_vec(), shape), &device);
    let std = Tensor::<4>::from_data(TensorData::new(std.to_vec(), shape), &device);
    (x - mean) / std
}

/// torchvision's `transform_input` (GoogLeNet, Inception-v3): images normalised with ImageNet's
/// mean and std re-normalised to mean = std = 0.5, the preprocessing Google's weights were
/// trained with.
pub fn transform_input(x: Tensor<4>) -> Tensor<4> {
    let device = x.device();
    let per_channel = |f: fn(usize) -> f32| {
        Tensor::<4>::from_data(
            TensorData::new((0..3).map(f).collect(), [1, 3, 1, 1]),
            &device,
        )
    };
    let scale = per_channel(|c| IMAGENET_STD[c] / 0.5);
    let shift = per_channel(|c| (IMAGENET_MEAN[c] - 0.5) / 0.5);
    x * scale + shift
}
