//! The paper's GAN training loop: per mini-batch, one discriminator step on real images
//! (target 1) and generated ones (target 0, the generator held fixed), then one generator
//! step through the updated discriminator with target 1 (the "non-saturating" loss). Both
//! use Adam at 2·10⁻⁴ with β₁ = 0.5 and binary cross-entropy on the logits.
//!
//! Everything random comes from [`SplitMix64`] streams: the image order per epoch and the
//! codes per batch ([`codes`], Box–Muller normals). `scripts/gan_reference.py` ports both,
//! so PyTorch trains on the same images with the same codes from the same weights.

use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Device, Tensor, TensorData};
use zoo_model::train::SplitMix64;

use crate::{Discriminator, Generator};

/// The settings of one run.
#[derive(Clone, Debug, PartialEq)]
pub struct GanConfig {
    /// Passes over the images.
    pub epochs: usize,
    /// Real (and generated) images per step.
    pub batch_size: usize,
    /// Adam's learning rate for both networks.
    pub learning_rate: f64,
    /// Adam's β₁ (the paper lowers it from 0.9 to 0.5 for stability).
    pub beta1: f32,
    /// Seeds the image order and the codes.
    pub seed: u64,
}

impl Default for GanConfig {
    /// The paper's: batches of 128, learning rate 2·10⁻⁴, β₁ = 0.5; 5 epochs, seed 0.
    fn default() -> Self {
        Self {
            epochs: 5,
            batch_size: 128,
            learning_rate: 2e-4,
            beta1: 0.5,
            seed: 0,
        }
    }
}

/// Images held in memory, `[len, channels, side, side]` values in [−1, 1].
#[derive(Clone, Debug, PartialEq)]
pub struct Images {
    /// The values, image after image, channel-major.
    pub values: Vec<f32>,
    /// Channels per image.
    pub channels: usize,
    /// Image side.
    pub side: usize,
}

impl Images {
    /// Greyscale bytes `[len, side, side]` (an IDX file's pixels) mapped to [−1, 1] as
    /// `x / 127.5 − 1`, the tanh output's range.
    pub fn from_grey_bytes(pixels: &[u8], side: usize) -> Self {
        Self {
            values: pixels.iter().map(|&p| p as f32 / 127.5 - 1.0).collect(),
            channels: 1,
            side,
        }
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.values.len() / self.image_len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn image_len(&self) -> usize {
        (self.channels * self.side * self.side).max(1)
    }

    /// The images at `indices`, as a batch on `device`.
    pub fn batch(&self, indices: &[usize], device: &Device) -> Tensor<4> {
        let n = self.image_len();
        let mut values = Vec::with_capacity(indices.len() * n);
        for &i in indices {
            values.extend_from_slice(&self.values[i * n..(i + 1) * n]);
        }
        let shape = [indices.len(), self.channels, self.side, self.side];
        Tensor::from_data(TensorData::new(values, shape), device)
    }
}

/// `n` codes of `latent` N(0, 1) values, `[n, latent, 1, 1]`, by the Box–Muller transform of
/// pairs of the generator's 53-bit uniforms (in f64, then rounded to f32).
pub fn codes(rng: &mut SplitMix64, n: usize, latent: usize, device: &Device) -> Tensor<4> {
    let count = n * latent;
    let mut values = Vec::with_capacity(count + 1);
    while values.len() < count {
        let unit = |r: &mut SplitMix64| (r.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
        let u1 = 1.0 - unit(rng); // (0, 1]: ln never sees 0
        let u2 = unit(rng);
        let r = (-2.0 * u1.ln()).sqrt();
        let a = std::f64::consts::TAU * u2;
        values.push((r * a.cos()) as f32);
        values.push((r * a.sin()) as f32);
    }
    values.truncate(count);
    Tensor::from_data(TensorData::new(values, [n, latent, 1, 1]), device)
}

/// The seed of epoch `epoch`'s image order, and of its codes (`+ 1`): one stream each, so an
/// epoch's codes do not depend on how many images came before.
fn epoch_seed(seed: u64, epoch: usize) -> u64 {
    seed ^ ((epoch as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// Losses of one step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Step {
    /// Epoch, from 0.
    pub epoch: usize,
    /// Batch within the epoch, from 0.
    pub batch: usize,
    /// Batches per epoch.
    pub batches: usize,
    /// The discriminator's loss: BCE on the real batch plus BCE on the generated one.
    pub d_loss: f32,
    /// The generator's loss: BCE of the updated discriminator's logits against "real".
    pub g_loss: f32,
    /// Mean probability the discriminator gave the real images, before its step.
    pub d_real: f32,
    /// Mean probability it gave the generated ones, before its step.
    pub d_fake: f32,
}

/// Why training stopped without a result.
#[derive(Debug, thiserror::Error)]
pub enum GanError {
    /// A setting no run can use.
    #[error("invalid GAN training setting: {0}")]
    Config(String),
    /// A loss became NaN or infinite.
    #[error(
        "GAN training diverged at epoch {epoch}, batch {batch}: discriminator loss {d_loss}, \
         generator loss {g_loss}"
    )]
    Diverged {
        /// Epoch, from 0.
        epoch: usize,
        /// Batch, from 0.
        batch: usize,
        /// The discriminator's loss.
        d_loss: f32,
        /// The generator's loss.
        g_loss: f32,
    },
}

/// Binary cross-entropy of `logits` against an all-`target` label, averaged:
/// softplus(−x) for "real", softplus(x) for "generated", computed stably.
pub fn bce_with_logits(logits: Tensor<2>, real: bool) -> Tensor<1> {
    let x = if real { logits.neg() } else { logits };
    (x.clone().clamp_min(0.0) + x.abs().neg().exp().log1p()).mean()
}

fn mean_probability(logits: &Tensor<2>) -> f32 {
    burn::tensor::activation::sigmoid(logits.clone().detach())
        .mean()
        .into_scalar::<f32>()
}

/// Trains `g` and `d`, which must live on an autodiff device, on `images` and returns them.
/// `on_step` sees each step's losses, `on_epoch` the generator after each epoch (to draw
/// samples). Ends early with [`GanError::Diverged`] on a loss that is not finite.
pub fn train(
    mut g: Generator,
    mut d: Discriminator,
    images: &Images,
    cfg: &GanConfig,
    mut on_step: impl FnMut(&Step),
    mut on_epoch: impl FnMut(usize, &Generator),
) -> Result<(Generator, Discriminator), GanError> {
    let device = g.up2.weight.device();
    let bad = |m: String| Err(GanError::Config(m));
    if !device.is_autodiff() {
        return bad("training needs an autodiff device".into());
    }
    if cfg.epochs == 0 || cfg.batch_size == 0 || images.is_empty() {
        return bad(format!(
            "{} epochs, batch size {}, {} images: each must be at least 1",
            cfg.epochs,
            cfg.batch_size,
            images.len()
        ));
    }
    let rate_ok = cfg.learning_rate.is_finite() && cfg.learning_rate > 0.0;
    if !(rate_ok && (0.0..1.0).contains(&cfg.beta1)) {
        return bad(format!(
            "learning rate {} and β₁ {}: the rate must be positive, β₁ in [0, 1)",
            cfg.learning_rate, cfg.beta1
        ));
    }
    let side = d.side;
    if images.side != side || images.channels != d.conv1.weight.dims()[1] {
        return bad(format!(
            "images are {}×{}×{}, the discriminator takes {}×{side}×{side}",
            images.channels,
            images.side,
            images.side,
            d.conv1.weight.dims()[1]
        ));
    }
    let adam = || {
        AdamConfig::new()
            .with_beta_1(cfg.beta1)
            .with_beta_2(0.999)
            .with_epsilon(1e-8)
            .init()
    };
    let (mut opt_g, mut opt_d) = (adam(), adam());
    let batches = images.len().div_ceil(cfg.batch_size);
    for epoch in 0..cfg.epochs {
        let mut order: Vec<usize> = (0..images.len()).collect();
        SplitMix64::new(epoch_seed(cfg.seed, epoch)).shuffle(&mut order);
        let mut noise = SplitMix64::new(epoch_seed(cfg.seed, epoch).wrapping_add(1));
        for (batch, indices) in order.chunks(cfg.batch_size).enumerate() {
            let real = images.batch(indices, &device);
            let z = codes(&mut noise, indices.len(), g.latent, &device);
            let fake = g.forward(z);

            let real_logits = d.forward(real);
            let fake_logits = d.forward(fake.clone().detach());
            let (d_real, d_fake) = (
                mean_probability(&real_logits),
                mean_probability(&fake_logits),
            );
            let d_loss = bce_with_logits(real_logits, true) + bce_with_logits(fake_logits, false);
            let d_value = d_loss.clone().into_scalar::<f32>();
            let grads = GradientsParams::from_grads(d_loss.backward(), &d);
            d = opt_d.step(cfg.learning_rate, d, grads);

            let g_loss = bce_with_logits(d.forward(fake), true);
            let g_value = g_loss.clone().into_scalar::<f32>();
            let grads = GradientsParams::from_grads(g_loss.backward(), &g);
            g = opt_g.step(cfg.learning_rate, g, grads);

            if !(d_value.is_finite() && g_value.is_finite()) {
                return Err(GanError::Diverged {
                    epoch,
                    batch,
                    d_loss: d_value,
                    g_loss: g_value,
                });
            }
            on_step(&Step {
                epoch,
                batch,
                batches,
                d_loss: d_value,
                g_loss: g_value,
                d_real,
                d_fake,
            });
        }
        on_epoch(epoch, &g);
    }
    Ok((g, d))
}

/// `n` images of `g` for the codes of `seed`, on `device`, in chunks (evaluation mode: the
/// generator's BatchNorms use their running statistics, so a sample does not depend on the
/// others in its batch).
pub fn sample(g: &Generator, n: usize, seed: u64, device: &Device) -> Vec<f32> {
    let g = if g.up2.weight.device().is_autodiff() {
        g.valid()
    } else {
        g.clone()
    }
    .to_device(device);
    let mut rng = SplitMix64::new(seed);
    let mut out = Vec::new();
    let mut left = n;
    while left > 0 {
        let k = left.min(500);
        let x = g.forward(codes(&mut rng, k, g.latent, device));
        out.extend(x.into_data().try_to_vec::<f32>().expect("f32 images"));
        left -= k;
    }
    out
}
