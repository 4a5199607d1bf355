//! BatchNorm that can be folded into the convolution before it, and the `Fuse` pass that does
//! so for inference.
//!
//! At inference a BatchNorm is a per-channel affine map, `y = x·s + t` with
//! `s = γ/√(σ² + ε)` and `t = β − μ·s`; after a convolution it can be absorbed into that
//! convolution's weight (`W·s`) and bias (`b·s + t`), saving one pass over every feature map.
//! Which BatchNorm follows which convolution is a fact of each network's forward pass, so each
//! block says its own pairs in a [`Fuse`] impl; the arithmetic lives here once.

use burn::module::{Flag, Module, Param, RunningState};
use burn::nn::conv::Conv2d;
use burn::tensor::{Device, Tensor};

/// Burn's `BatchNorm` (same fields, so the same state-dict keys and the same PyTorch name
/// adapter, which keys on the type name), plus `folded`: set by [`fold`] once the preceding
/// convolution does this layer's work, after which `forward` passes its input through.
///
/// It trains as PyTorch's `BatchNorm2d` does in `train()` mode: batch statistics (biased
/// variance) normalise, and the running statistics move by `momentum` towards the batch mean
/// and the *unbiased* batch variance (Burn's own layer uses the biased one there). That
/// happens only on an autodiff device with `training` enabled: `Module::freeze` and
/// `Module::valid` clear the flag (a frozen backbone keeps its statistics, as a frozen
/// PyTorch backbone in `eval()` does), `Module::train` and `Module::unfreeze` set it.
#[derive(Module, Debug)]
pub struct BatchNorm {
    /// Scale γ (PyTorch's `weight`).
    pub gamma: Param<Tensor<1>>,
    /// Shift β (PyTorch's `bias`).
    pub beta: Param<Tensor<1>>,
    /// Running mean μ used at inference.
    pub running_mean: RunningState<Tensor<1>>,
    /// Running variance σ² used at inference.
    pub running_var: RunningState<Tensor<1>>,
    /// Weight of the new batch in the running statistics (PyTorch's convention).
    pub momentum: f64,
    /// Added to the variance before the square root.
    pub epsilon: f64,
    /// Whether, on an autodiff device, the layer uses and updates batch statistics.
    pub training: Param<Flag>,
    /// Set once [`fold`] has moved this layer's work into its convolution.
    pub folded: bool,
}

impl BatchNorm {
    /// γ = 1, β = 0, μ = 0, σ² = 1 (PyTorch's initial state), momentum 0.1.
    pub fn new(features: usize, epsilon: f64, device: &Device) -> Self {
        Self {
            gamma: Param::from_tensor(Tensor::ones([features], device)),
            beta: Param::from_tensor(Tensor::zeros([features], device)),
            running_mean: RunningState::new(Tensor::zeros([features], device)),
            running_var: RunningState::new(Tensor::ones([features], device)),
            momentum: 0.1,
            epsilon,
            training: Param::from_bool(true),
            folded: false,
        }
    }

    /// Batch statistics on an autodiff device while `training` is enabled (updating the
    /// running statistics), running statistics otherwise; the identity once folded.
    pub fn forward<const D: usize>(&self, input: Tensor<D>) -> Tensor<D> {
        if self.folded {
            return input;
        }
        if input.device().is_autodiff() && self.training.is_enabled() {
            return self.forward_train(input);
        }
        burn::tensor::module::batch_norm(
            input,
            self.gamma.val(),
            self.beta.val(),
            self.running_mean.value(),
            self.running_var.value(),
            self.epsilon,
        )
    }

    /// The inference map as `(s, t)`: `y = x·s + t`.
    pub fn affine(&self) -> (Tensor<1>, Tensor<1>) {
        let scale = self.gamma.val() / (self.running_var.value() + self.epsilon).sqrt();
        let shift = self.beta.val() - self.running_mean.value() * scale.clone();
        (scale, shift)
    }

    fn forward_train<const D: usize>(&self, input: Tensor<D>) -> Tensor<D> {
        let dims = input.dims();
        // Values per channel: PyTorch's running variance is the unbiased n/(n−1) estimate.
        let n = (dims.iter().product::<usize>() / dims[1]) as f64;
        let unbiased = if n > 1.0 { n / (n - 1.0) } else { 1.0 };
        let result = burn::tensor::module::batch_norm_train(
            input,
            self.gamma.val(),
            self.beta.val(),
            self.epsilon,
        );
        let m = self.momentum;
        let mean = self.running_mean.value_sync() * (1.0 - m) + result.mean.detach() * m;
        let var =
            self.running_var.value_sync() * (1.0 - m) + result.variance.detach() * (m * unbiased);
        self.running_mean.update(mean.detach());
        self.running_var.update(var.detach());
        result.output
    }
}

/// Absorbs `bn` into `conv`, which must be the layer whose output `bn` normalises (and
/// nothing else reads that output): the convolution gains the bias, the BatchNorm becomes
/// the identity. Folding twice is a no-op.
pub fn fold(conv: &mut Conv2d, bn: &mut BatchNorm) {
    if bn.folded {
        return;
    }
    let (scale, shift) = bn.affine();
    let out = scale.dims()[0];
    let weight = conv.weight.val() * scale.clone().reshape([out, 1, 1, 1]);
    let bias = match &conv.bias {
        Some(b) => b.val() * scale + shift,
        None => shift,
    };
    conv.weight = Param::from_tensor(weight);
    conv.bias = Some(Param::from_tensor(bias));
    bn.folded = true;
}

/// Folds a network's BatchNorms into their convolutions, for inference. Each block lists its
/// own conv → BN pairs; containers pass the call on.
pub trait Fuse: Sized {
    /// Folds, in place, every BatchNorm of this network into the convolution before it.
    fn fuse(&mut self);

    /// This network with every foldable BatchNorm folded: the same function up to rounding,
    /// one pass per feature map cheaper. Load weights first: a folded model's convolutions
    /// carry biases a weight file does not have.
    fn fused(mut self) -> Self {
        self.fuse();
        self
    }
}

impl<T: Fuse> Fuse for Vec<T> {
    fn fuse(&mut self) {
        self.iter_mut().for_each(Fuse::fuse);
    }
}

impl<T: Fuse> Fuse for Option<T> {
    fn fuse(&mut self) {
        if let Some(x) = self {
            x.fuse();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conv::ConvSpec;
    use burn::tensor::Distribution;

    fn random(shape: [usize; 1], low: f64, device: &Device) -> Tensor<1> {
        Tensor::random(shape, Distribution::Uniform(low, 2.0), device)
    }

    /// A BatchNorm with non-trivial statistics after a convolution with and without bias.
    #[test]
    fn folding_keeps_the_function() {
        let device = Device::default();
        for bias in [false, true] {
            let mut conv = ConvSpec::new(3, 8, 3).padding(1).bias(bias).build(&device);
            if bias {
                conv.bias = Some(Param::from_tensor(random([8], -1.0, &device)));
            }
            let mut bn = BatchNorm::new(8, 1e-3, &device);
            bn.gamma = Param::from_tensor(random([8], 0.5, &device));
            bn.beta = Param::from_tensor(random([8], -1.0, &device));
            bn.running_mean = RunningState::new(random([8], -1.0, &device));
            bn.running_var = RunningState::new(random([8], 0.1, &device));
            let x = Tensor::<4>::random([2, 3, 9, 9], Distribution::Normal(0.0, 1.0), &device);
            let expected = bn.forward(conv.forward(x.clone()));
            fold(&mut conv, &mut bn);
            fold(&mut conv, &mut bn);
            let got = bn.forward(conv.forward(x));
            let diff: f32 = (got - expected.clone()).abs().max().into_scalar();
            let scale: f32 = expected.abs().max().into_scalar();
            assert!(bn.folded && conv.bias.is_some());
            assert!(diff <= 1e-5 * scale, "bias {bias}: {diff} of {scale}");
        }
    }
}
