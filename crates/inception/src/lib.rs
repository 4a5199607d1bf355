//! Inception-v3 (Szegedy et al. 2016, "Rethinking the Inception Architecture for Computer
//! Vision"): small filters (5×5 as two 3×3, n×n as 1×n then n×1), grid reductions by parallel
//! strided branches, BatchNorm (ε 1e-3) after every convolution, and an auxiliary classifier
//! on the 17×17 grid. Equal to torchvision's `inception_v3` at 299×299; fields are its
//! state-dict keys, lower-cased (`Mixed_5b` → `mixed_5b`).
//!
//! torchvision's published weights expect `transform_input = true`, as GoogLeNet's do
//! ([`Inception3Config::for_torchvision_weights`]); [`inception_v3`] is torchvision's
//! `inception_v3(weights=None)`: auxiliary classifier built (run only by
//! [`Inception3::forward_with_aux`]), no input transform.
//!
//! ```
//! use burn::tensor::{Device, Tensor};
//! use zoo_model::Classifier;
//! let device = Device::default();
//! let model = zoo_inception::Inception3Config::new(10).with_aux_logits(false).init(&device);
//! let maps = model.feature_maps(Tensor::zeros([1, 3, 299, 299], &device), &[2]).unwrap();
//! assert_eq!(maps[0].dims(), [1, 288, 35, 35]);
//! ```

#![warn(missing_docs)]

pub mod irv2;
mod modules;
mod tf;
pub mod v4;

pub use irv2::{InceptionResNetV2, inception_resnet_v2};
pub use modules::{InceptionA, InceptionAux, InceptionB, InceptionC, InceptionD, InceptionE};
pub use v4::{InceptionV4, inception_v4};

use burn::module::Module;
use burn::nn::{Dropout, DropoutConfig, Linear};
use burn::tensor::{Device, Tensor};
use modules::basic;
use tf::BN_EPS;
use zoo_blocks::{ConvBn, Fuse, engine, linear_normal, max_pool, transform_input};
use zoo_model::{
    Classifier, FeatureInfo, Head, HeadMut, InputSpec, Reference, Stages, VariantSpec,
};
use zoo_weights::{KeyMap, ZooModel};

/// torchvision's capitalised module names, lower-cased here.
pub const KEY_MAP: KeyMap = &[
    (r"^Conv2d_", "conv2d_"),
    (r"^Mixed_", "mixed_"),
    (r"^AuxLogits\.", "aux_logits."),
];

/// The input resolution of the published weights.
pub const INPUT_SIZE: usize = 299;

/// The options of torchvision's `Inception3` constructor.
#[derive(Clone, Debug)]
pub struct Inception3Config {
    /// Number of output logits.
    pub num_classes: usize,
    /// Build the auxiliary classifier (training only).
    pub aux_logits: bool,
    /// Re-normalise ImageNet-normalised input to mean = std = 0.5 (published weights).
    pub transform_input: bool,
    /// Dropout before `fc` (torchvision: 0.5).
    pub dropout: f64,
}

impl Inception3Config {
    /// torchvision's defaults: auxiliary classifier on, no input transform.
    pub fn new(num_classes: usize) -> Self {
        Self {
            num_classes,
            aux_logits: true,
            transform_input: false,
            dropout: 0.5,
        }
    }

    /// The network torchvision's published weights are used with: `transform_input` on, the
    /// auxiliary classifier kept (the weights have it).
    pub fn for_torchvision_weights(num_classes: usize) -> Self {
        Self {
            transform_input: true,
            ..Self::new(num_classes)
        }
    }

    /// Builds the auxiliary classifier or not.
    pub fn with_aux_logits(self, aux_logits: bool) -> Self {
        Self { aux_logits, ..self }
    }

    /// Builds the network, initialised as torchvision's (`trunc_normal_(std=0.1)`).
    pub fn init(&self, d: &Device) -> Inception3 {
        let conv = |a, b, k, pad, stride| basic(a, b, [k, k], [pad, pad], stride, 0.1, d);
        Inception3 {
            conv2d_1a_3x3: conv(3, 32, 3, 0, 2),
            conv2d_2a_3x3: conv(32, 32, 3, 0, 1),
            conv2d_2b_3x3: conv(32, 64, 3, 1, 1),
            conv2d_3b_1x1: conv(64, 80, 1, 0, 1),
            conv2d_4a_3x3: conv(80, 192, 3, 0, 1),
            mixed_5b: InceptionA::new(192, 32, d),
            mixed_5c: InceptionA::new(256, 64, d),
            mixed_5d: InceptionA::new(288, 64, d),
            mixed_6a: InceptionB::new(288, d),
            mixed_6b: InceptionC::new(768, 128, d),
            mixed_6c: InceptionC::new(768, 160, d),
            mixed_6d: InceptionC::new(768, 160, d),
            mixed_6e: InceptionC::new(768, 192, d),
            aux_logits: self
                .aux_logits
                .then(|| InceptionAux::new(768, self.num_classes, d)),
            mixed_7a: InceptionD::new(768, d),
            mixed_7b: InceptionE::new(1280, d),
            mixed_7c: InceptionE::new(2048, d),
            dropout: DropoutConfig::new(self.dropout).init(),
            fc: linear_normal(2048, self.num_classes, 0.1, d),
            transform_input: self.transform_input,
        }
    }
}

/// torchvision's `Inception3`.
#[derive(Module, Debug)]
pub struct Inception3 {
    /// Strided 3×3 to 32 (299 → 149).
    pub conv2d_1a_3x3: ConvBn,
    /// 3×3 to 32 (→ 147).
    pub conv2d_2a_3x3: ConvBn,
    /// Padded 3×3 to 64, then a strided 3×3 max-pool (→ 73).
    pub conv2d_2b_3x3: ConvBn,
    /// 1×1 to 80.
    pub conv2d_3b_1x1: ConvBn,
    /// 3×3 to 192 (→ 71), then a strided 3×3 max-pool (→ 35).
    pub conv2d_4a_3x3: ConvBn,
    /// 192 → 256.
    pub mixed_5b: InceptionA,
    /// 256 → 288.
    pub mixed_5c: InceptionA,
    /// 288 → 288.
    pub mixed_5d: InceptionA,
    /// 288 → 768, 35 → 17.
    pub mixed_6a: InceptionB,
    /// 768 → 768.
    pub mixed_6b: InceptionC,
    /// 768 → 768.
    pub mixed_6c: InceptionC,
    /// 768 → 768.
    pub mixed_6d: InceptionC,
    /// 768 → 768; feeds `aux_logits`.
    pub mixed_6e: InceptionC,
    /// torchvision's `AuxLogits` (training only).
    pub aux_logits: Option<InceptionAux>,
    /// 768 → 1280, 17 → 8.
    pub mixed_7a: InceptionD,
    /// 1280 → 2048.
    pub mixed_7b: InceptionE,
    /// 2048 → 2048.
    pub mixed_7c: InceptionE,
    /// Dropout before `fc`.
    pub dropout: Dropout,
    /// 2048 → classes.
    pub fc: Linear,
    /// Re-normalise ImageNet-normalised input to mean = std = 0.5 first; not a weight.
    #[module(skip)]
    pub transform_input: bool,
}

impl Inception3 {
    /// `[n, 3, 299, 299]` ImageNet-normalised images → logits; the auxiliary classifier is
    /// not run (torchvision runs it only in training mode).
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        Classifier::forward(self, x)
    }

    /// The forward pass of training: logits and the auxiliary classifier's (`None` without
    /// it), torchvision's `InceptionOutputs`.
    pub fn forward_with_aux(&self, x: Tensor<4>) -> (Tensor<2>, Option<Tensor<2>>) {
        let mut aux = None;
        let mut stages = Stages::new(&[4]);
        self.stages(x, &mut stages, Some(&mut aux));
        let features = stages.into_maps().remove(0);
        (self.forward_head(features), aux)
    }

    fn stages(&self, x: Tensor<4>, s: &mut Stages, aux: Option<&mut Option<Tensor<2>>>) {
        let x = if self.transform_input {
            transform_input(x)
        } else {
            x
        };
        let pool = max_pool(3, 2, 0, false);
        let x = self.conv2d_1a_3x3.forward_relu(x);
        let x = self
            .conv2d_2b_3x3
            .forward_relu(self.conv2d_2a_3x3.forward_relu(x));
        if !s.offer(0, &x) {
            return;
        }
        let x = engine::max_pool(&pool, x);
        let x = self
            .conv2d_4a_3x3
            .forward_relu(self.conv2d_3b_1x1.forward_relu(x));
        if !s.offer(1, &x) {
            return;
        }
        let x = engine::max_pool(&pool, x);
        let x = self
            .mixed_5d
            .forward(self.mixed_5c.forward(self.mixed_5b.forward(x)));
        if !s.offer(2, &x) {
            return;
        }
        let x = self.mixed_6a.forward(x);
        let x = self.mixed_6b.forward(x);
        let x = self
            .mixed_6e
            .forward(self.mixed_6d.forward(self.mixed_6c.forward(x)));
        if let (Some(out), Some(head)) = (aux, &self.aux_logits) {
            *out = Some(head.forward(x.clone()));
        }
        if !s.offer(3, &x) {
            return;
        }
        let x = self
            .mixed_7c
            .forward(self.mixed_7b.forward(self.mixed_7a.forward(x)));
        s.offer(4, &x);
    }
}

impl Classifier for Inception3 {
    fn forward_features(&self, x: Tensor<4>) -> Tensor<4> {
        let mut stages = Stages::new(&[4]);
        self.stages(x, &mut stages, None);
        stages.into_maps().remove(0)
    }

    /// `dropout` (identity outside training), which torchvision applies before `fc`.
    fn pre_logits(&self, pooled: Tensor<2>) -> Tensor<2> {
        self.dropout.forward(pooled)
    }

    fn head(&self) -> Head<'_> {
        Head::Linear(&self.fc)
    }

    fn head_mut(&mut self) -> HeadMut<'_> {
        HeadMut::Linear(&mut self.fc)
    }

    /// timm's `inception_v3` stages: `Conv2d_2b_3x3`, `Conv2d_4a_3x3`, `Mixed_5d`,
    /// `Mixed_6e`, `Mixed_7c`.
    fn feature_info(&self) -> Vec<FeatureInfo> {
        vec![
            FeatureInfo::new("Conv2d_2b_3x3", 64, 2),
            FeatureInfo::new("Conv2d_4a_3x3", 192, 4),
            FeatureInfo::new("Mixed_5d", 288, 8),
            FeatureInfo::new("Mixed_6e", 768, 16),
            FeatureInfo::new("Mixed_7c", self.num_features(), 32),
        ]
    }

    fn run_stages(&self, x: Tensor<4>, stages: &mut Stages) {
        self.stages(x, stages, None);
    }
}

impl ZooModel for Inception3 {
    const BATCH_NORM_EPS: f64 = BN_EPS;

    fn variant(&self) -> &str {
        "inception_v3"
    }

    fn key_map() -> KeyMap {
        KEY_MAP
    }

    fn skipped_keys(&self) -> Vec<String> {
        if self.aux_logits.is_some() {
            Vec::new()
        } else {
            vec![r"^aux_logits\.".into()]
        }
    }
}

impl Fuse for Inception3 {
    fn fuse(&mut self) {
        for conv in [
            &mut self.conv2d_1a_3x3,
            &mut self.conv2d_2a_3x3,
            &mut self.conv2d_2b_3x3,
            &mut self.conv2d_3b_1x1,
            &mut self.conv2d_4a_3x3,
        ] {
            conv.fuse();
        }
        self.mixed_5b.fuse();
        self.mixed_5c.fuse();
        self.mixed_5d.fuse();
        self.mixed_6a.fuse();
        self.mixed_6b.fuse();
        self.mixed_6c.fuse();
        self.mixed_6d.fuse();
        self.mixed_6e.fuse();
        self.aux_logits.fuse();
        self.mixed_7a.fuse();
        self.mixed_7b.fuse();
        self.mixed_7c.fuse();
    }
}

/// torchvision's `inception_v3(weights=None)`: auxiliary classifier built, no input transform
/// (27,161,264 parameters at 1,000 classes, the figure torchvision publishes).
pub fn inception_v3(num_classes: usize, device: &Device) -> Inception3 {
    Inception3Config::new(num_classes).init(device)
}

/// Every variant of this crate, each stated once (see [`VariantSpec`]). torchvision's
/// published weights take the model with `transform_input`.
pub static VARIANTS: &[VariantSpec] = &[
    VariantSpec::torchvision(
        "inception_v3",
        "inception",
        |n, d| Box::new(inception_v3(n, d)),
        27_161_264,
    )
    .with_input(InputSpec::imagenet(INPUT_SIZE))
    .with_published(|n, d| Box::new(Inception3Config::for_torchvision_weights(n).init(d))),
    VariantSpec::torchvision(
        "inception_v4",
        "inception",
        |n, d| Box::new(inception_v4(n, d)),
        42_679_816,
    )
    .with_input(TF_INPUT)
    .with_reference(Reference::Timm("inception_v4")),
    VariantSpec::torchvision(
        "inception_resnet_v2",
        "inception",
        |n, d| Box::new(inception_resnet_v2(n, d)),
        55_843_464,
    )
    .with_input(TF_INPUT)
    .with_reference(Reference::Timm("inception_resnet_v2")),
];

/// The input of Google's TensorFlow weights (timm's `tf_in1k`): 299×299, pixels to [-1, 1].
const TF_INPUT: InputSpec = InputSpec {
    mean: &zoo_blocks::INCEPTION_MEAN,
    std: &zoo_blocks::INCEPTION_STD,
    ..InputSpec::imagenet(INPUT_SIZE)
};

#[cfg(test)]
mod table {
    /// Every row builds with its stated parameter count, and the model API holds.
    #[test]
    fn every_variant_is_what_its_row_says() {
        zoo_model::testing::check_table(super::VARIANTS, "inception");
    }
}
