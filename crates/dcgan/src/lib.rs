//! DCGAN (Radford, Metz and Chintala 2015, "Unsupervised representation learning with deep
//! convolutional generative adversarial networks"), scaled to 28×28 grey images.
//!
//! The paper's rules, all kept: no pooling (the [`Generator`] upsamples with transposed
//! convolutions, the [`Discriminator`] downsamples with strided convolutions); BatchNorm in
//! both, except on the generator's output and the discriminator's input layer; ReLU in the
//! generator with a tanh output, LeakyReLU (slope 0.2) in the discriminator, whose last
//! convolution is flattened into a single output; every weight drawn from N(0, 0.02²). The
//! generator projects a 100-dimensional N(0, 1) code to 7×7 maps (the paper's "project and
//! reshape", written as the 7×7 transposed convolution it is) and doubles the side twice with
//! the paper's 5×5, stride-2 transposed convolutions, the discriminator mirrors it:
//!
//! | generator | output | discriminator | output |
//! | --- | --- | --- | --- |
//! | `project` 7×7, BN, ReLU | 128×7×7 | `conv1` 5×5/2, LReLU | 64×14×14 |
//! | `up1` 5×5/2, BN, ReLU | 64×14×14 | `conv2` 5×5/2, BN, LReLU | 128×7×7 |
//! | `up2` 5×5/2, tanh | 1×28×28 | `fc` (flattened) | 1 |
//!
//! [`train`] is the paper's training loop (Adam at 2·10⁻⁴ with β₁ = 0.5), and [`frechet`]
//! the quality figure the README reports: the Fréchet distance between embeddings of real and
//! generated images.
//!
//! ```
//! use burn::tensor::{Device, Tensor};
//! use zoo_model::Classifier;
//! let device = Device::default();
//! let g = zoo_dcgan::dcgan_generator(&device);
//! let d = zoo_dcgan::dcgan_discriminator(1, &device);
//! let z = Tensor::zeros([2, 100, 1, 1], &device);
//! let images = g.forward(z);
//! assert_eq!(images.dims(), [2, 1, 28, 28]);
//! assert_eq!(d.forward(images).dims(), [2, 1]);
//! ```

#![warn(missing_docs)]

pub mod frechet;
pub mod train;

use burn::module::Module;
use burn::nn::Linear;
use burn::nn::conv::{Conv2d, ConvTranspose2d};
use burn::tensor::activation::{leaky_relu, relu};
use burn::tensor::{Device, Tensor};
use zoo_blocks::norm::{Fuse, fold};
use zoo_blocks::{
    BatchNorm, ConvInit, ConvSpec, DeconvSpec, batch_norm, conv_fused, linear_normal,
};
use zoo_model::{
    Classifier, FeatureInfo, Head, HeadMut, InputSpec, Labels, Reference, Stages, VariantSpec,
};
use zoo_weights::{KeyMap, ZooModel};

/// Standard deviation of every initial weight, as in the paper.
pub const INIT_STD: f64 = 0.02;
/// The discriminator's LeakyReLU slope.
pub const LEAKY_SLOPE: f64 = 0.2;
/// BatchNorm's ε (PyTorch's default).
const BN_EPS: f64 = 1e-5;

/// The shape of a DCGAN pair.
#[derive(Clone, Debug, PartialEq)]
pub struct DcganConfig {
    /// Size of the code `z`.
    pub latent: usize,
    /// Image channels.
    pub channels: usize,
    /// Image side, a multiple of 4 (the two stride-2 layers).
    pub side: usize,
    /// Maps of the generator's last hidden layer and of the discriminator's first; the
    /// layer next to the code or the output has twice as many.
    pub width: usize,
}

impl DcganConfig {
    /// The README's network: 100-dimensional codes, 28×28 grey images, width 64.
    pub fn fashion() -> Self {
        Self {
            latent: 100,
            channels: 1,
            side: 28,
            width: 64,
        }
    }

    fn check(&self) {
        assert!(
            self.side >= 4 && self.side.is_multiple_of(4) && self.latent > 0 && self.width > 0,
            "DCGAN {self:?}: the side must be a positive multiple of 4, latent and width positive"
        );
    }

    /// The generator, weights from N(0, 0.02²).
    pub fn generator(&self, d: &Device) -> Generator {
        self.check();
        let up = |c_in, c_out| {
            DeconvSpec::new(c_in, c_out, 5)
                .stride(2)
                .padding(2)
                .output_padding(1)
                .bias(false)
                .normal(INIT_STD)
        };
        let w = self.width;
        Generator {
            project: DeconvSpec::new(self.latent, 2 * w, self.side / 4)
                .bias(false)
                .normal(INIT_STD)
                .build(d),
            project_bn: batch_norm(2 * w, BN_EPS, d),
            up1: up(2 * w, w).build(d),
            up1_bn: batch_norm(w, BN_EPS, d),
            up2: up(w, self.channels).build(d),
            latent: self.latent,
        }
    }

    /// The discriminator with `outputs` logits (1 for a GAN), weights from N(0, 0.02²).
    pub fn discriminator(&self, outputs: usize, d: &Device) -> Discriminator {
        self.check();
        let down = |c_in, c_out| {
            ConvSpec::new(c_in, c_out, 5)
                .stride(2)
                .padding(2)
                .init(ConvInit::Normal(INIT_STD))
        };
        let w = self.width;
        let flat = 2 * w * (self.side / 4) * (self.side / 4);
        Discriminator {
            conv1: down(self.channels, w).build(d),
            conv2: down(w, 2 * w).build(d),
            bn2: batch_norm(2 * w, BN_EPS, d),
            fc: linear_normal(flat, outputs, INIT_STD, d),
            side: self.side,
        }
    }
}

/// Codes `[n, latent, 1, 1]` → images `[n, channels, side, side]` in [−1, 1].
#[derive(Module, Debug)]
pub struct Generator {
    /// The code to `2·width` maps of side/4 (the paper's projection).
    pub project: ConvTranspose2d,
    /// BatchNorm after `project`.
    pub project_bn: BatchNorm,
    /// To `width` maps of side/2.
    pub up1: ConvTranspose2d,
    /// BatchNorm after `up1`.
    pub up1_bn: BatchNorm,
    /// To the image, then tanh.
    pub up2: ConvTranspose2d,
    /// Size of the code; not a weight.
    #[module(skip)]
    pub latent: usize,
}

impl Generator {
    /// Images for the codes `z`, `[n, latent, 1, 1]`.
    pub fn forward(&self, z: Tensor<4>) -> Tensor<4> {
        let x = relu(self.project_bn.forward(self.project.forward(z)));
        let x = relu(self.up1_bn.forward(self.up1.forward(x)));
        self.up2.forward(x).tanh()
    }

    /// Size of the code.
    pub fn latent(&self) -> usize {
        self.latent
    }
}

impl ZooModel for Generator {
    fn variant(&self) -> &str {
        "dcgan_generator"
    }

    fn key_map() -> KeyMap {
        &[]
    }
}

/// Images → one logit per output (for a GAN, "real"), `features` being the two strided
/// convolutions and `fc` the paper's flattened sigmoid output (the sigmoid lives in the loss).
#[derive(Module, Debug)]
pub struct Discriminator {
    /// `width` maps of side/2, LeakyReLU (no BatchNorm on the input layer).
    pub conv1: Conv2d,
    /// `2·width` maps of side/4.
    pub conv2: Conv2d,
    /// BatchNorm after `conv2`, then LeakyReLU.
    pub bn2: BatchNorm,
    /// The flattened maps → logits.
    pub fc: Linear,
    /// Image side; not a weight.
    #[module(skip)]
    pub side: usize,
}

impl Discriminator {
    /// Logits `[n, outputs]` of images in [−1, 1].
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        Classifier::forward(self, x)
    }

    fn block1(&self, x: Tensor<4>) -> Tensor<4> {
        leaky_relu(conv_fused(&self.conv1, None, x, None, false), LEAKY_SLOPE)
    }

    fn block2(&self, x: Tensor<4>) -> Tensor<4> {
        leaky_relu(
            self.bn2
                .forward(conv_fused(&self.conv2, None, x, None, false)),
            LEAKY_SLOPE,
        )
    }
}

impl Classifier for Discriminator {
    fn forward_features(&self, x: Tensor<4>) -> Tensor<4> {
        self.block2(self.block1(x))
    }

    /// The paper flattens the last maps rather than averaging them.
    fn pool(&self, features: Tensor<4>) -> Tensor<2> {
        features.flatten(1, 3)
    }

    fn head(&self) -> Head<'_> {
        Head::Linear(&self.fc)
    }

    fn head_mut(&mut self) -> HeadMut<'_> {
        HeadMut::Linear(&mut self.fc)
    }

    fn feature_info(&self) -> Vec<FeatureInfo> {
        let w = self.conv1.weight.dims()[0];
        vec![
            FeatureInfo::new("conv1", w, 2),
            FeatureInfo::new("bn2", 2 * w, 4),
        ]
    }

    fn run_stages(&self, x: Tensor<4>, stages: &mut Stages) {
        let x = self.block1(x);
        if stages.offer(0, &x) {
            stages.offer(1, &self.block2(x));
        }
    }
}

impl ZooModel for Discriminator {
    fn variant(&self) -> &str {
        "dcgan_discriminator"
    }

    fn key_map() -> KeyMap {
        &[]
    }
}

impl Fuse for Discriminator {
    fn fuse(&mut self) {
        fold(&mut self.conv2, &mut self.bn2);
    }
}

/// The README's generator (833,984 parameters).
pub fn dcgan_generator(device: &Device) -> Generator {
    DcganConfig::fashion().generator(device)
}

/// The README's discriminator with `outputs` logits (212,929 parameters at 1).
pub fn dcgan_discriminator(outputs: usize, device: &Device) -> Discriminator {
    DcganConfig::fashion().discriminator(outputs, device)
}

/// The catalogue's row: the discriminator, a classifier of real against generated images.
/// The generator is not an image classifier; it is built with [`dcgan_generator`] and
/// trained with `zoo gan`.
pub static VARIANTS: &[VariantSpec] = &[VariantSpec {
    classes: 1,
    labels: Labels::RealOrGenerated,
    ..VariantSpec::cifar(
        "dcgan_discriminator",
        "dcgan",
        |n, d| Box::new(dcgan_discriminator(n, d)),
        212_929,
        Reference::Code(
            "Radford et al. 2015",
            "scripts/course_models.py Discriminator",
        ),
    )
    .with_input(InputSpec::grey(28, &[0.5], &[0.5]))
}];

#[cfg(test)]
mod tests {
    use super::*;

    /// Every row builds with its stated parameter count, and the model API holds.
    #[test]
    fn every_variant_is_what_its_row_says() {
        zoo_model::testing::check_table(VARIANTS, "dcgan");
    }

    #[test]
    fn the_generator_has_the_references_parameters_and_range() {
        let d = Device::default();
        let g = dcgan_generator(&d);
        assert_eq!(zoo_weights::parameter_count(&g), 833_984);
        let z = Tensor::<4>::random(
            [3, 100, 1, 1],
            burn::tensor::Distribution::Normal(0.0, 1.0),
            &d,
        );
        let x = g.forward(z).into_data().try_to_vec::<f32>().unwrap();
        assert!(x.iter().all(|v| (-1.0..=1.0).contains(v)));
        assert!(x.iter().any(|&v| v != x[0]));
    }
}
