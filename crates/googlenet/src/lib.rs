//! GoogLeNet (Szegedy et al. 2015, "Going Deeper with Convolutions") as torchvision builds it:
//! BatchNorm (ε = 1e-3) after every convolution, ceil-mode pooling, and the 3×3 convolution
//! that torchvision's "5×5" branch has always had (kept so its weights fit).
//!
//! The two auxiliary classifiers (`aux1` after inception 4a, `aux2` after 4d) only serve
//! training. [`GoogLeNetConfig::new`] builds them, as torchvision's `googlenet(weights=None)`
//! does; [`googlenet`] (the inference network) has none and leaves any `aux1.*`/`aux2.*`
//! tensors of a checkpoint out, which [`ZooModel::load_weights_with_report`] reports.
//!
//! torchvision's published weights expect `transform_input = true`: images normalised with
//! ImageNet's mean and std are re-normalised to mean = std = 0.5, the preprocessing the
//! weights were trained with.
//!
//! ```
//! use burn::tensor::{Device, Tensor};
//! let device = Device::default();
//! // torchvision's googlenet(weights=None): auxiliary classifiers built, their logits on request.
//! let model = zoo_googlenet::GoogLeNetConfig::new(10).init(&device);
//! let out = model.forward_with_aux(Tensor::zeros([1, 3, 224, 224], &device));
//! assert_eq!(out.logits.dims(), [1, 10]);
//! assert!(out.aux_logits1.is_some());
//! ```

#![warn(missing_docs)]

mod inception;

pub use inception::{Inception, InceptionAux};

use burn::module::Module;
use burn::nn::pool::MaxPool2d;
use burn::nn::{Dropout, DropoutConfig, Linear};
use burn::tensor::{Device, Tensor};
use zoo_blocks::engine;
use zoo_blocks::{ConvBn, ConvInit, ConvSpec, Fuse, linear_normal, max_pool, transform_input};
use zoo_model::{Classifier, FeatureInfo, Head, HeadMut, Stages, VariantSpec};
use zoo_weights::{KeyMap, ZooModel};

/// torchvision's pool branch is `nn.Sequential(MaxPool2d, BasicConv2d)`; here the pool holds
/// no weights and `branch4` is the convolution.
pub const KEY_MAP: KeyMap = &[(r"\.branch4\.1\.", ".branch4.")];

/// BatchNorm ε of every `BasicConv2d`.
const BN_EPS: f64 = 1e-3;
/// Weight init of every convolution and linear layer (`trunc_normal_(std=0.01)`).
const INIT_STD: f64 = 0.01;

/// torchvision's `BasicConv2d` (bias-free convolution, BN ε 1e-3), "same" padding; the
/// ReLU is [`ConvBn::forward_relu`].
pub(crate) fn basic_conv(
    c_in: usize,
    c_out: usize,
    kernel: usize,
    stride: usize,
    device: &Device,
) -> ConvBn {
    let conv = ConvSpec::new(c_in, c_out, kernel)
        .stride(stride)
        .padding(kernel / 2)
        .init(ConvInit::Normal(INIT_STD));
    ConvBn::new(conv.build(device), BN_EPS, device)
}

/// The options of torchvision's `GoogLeNet` constructor.
#[derive(Clone, Debug)]
pub struct GoogLeNetConfig {
    /// Number of output logits.
    pub num_classes: usize,
    /// Build the two auxiliary classifiers (training only).
    pub aux_logits: bool,
    /// Re-normalise ImageNet-normalised input to mean = std = 0.5 (published weights).
    pub transform_input: bool,
    /// Dropout before `fc` (torchvision: 0.2).
    pub dropout: f64,
    /// Dropout in the auxiliary classifiers (torchvision: 0.7).
    pub dropout_aux: f64,
}

impl GoogLeNetConfig {
    /// torchvision's defaults: auxiliary classifiers on, no input transform.
    pub fn new(num_classes: usize) -> Self {
        Self {
            num_classes,
            aux_logits: true,
            transform_input: false,
            dropout: 0.2,
            dropout_aux: 0.7,
        }
    }

    /// The network torchvision's published weights are used with: no auxiliary classifiers,
    /// `transform_input` on.
    pub fn for_torchvision_weights(num_classes: usize) -> Self {
        Self::new(num_classes)
            .with_aux_logits(false)
            .with_transform_input(true)
    }

    /// Builds the auxiliary classifiers or not.
    pub fn with_aux_logits(self, aux_logits: bool) -> Self {
        Self { aux_logits, ..self }
    }

    /// Turns the input re-normalisation on or off.
    pub fn with_transform_input(self, transform_input: bool) -> Self {
        Self {
            transform_input,
            ..self
        }
    }

    /// Builds the network, initialised as torchvision's.
    pub fn init(&self, device: &Device) -> GoogLeNet {
        let inception = |spec: [usize; 7]| Inception::new(spec, device);
        let aux = |c_in| {
            self.aux_logits
                .then(|| InceptionAux::new(c_in, self.num_classes, self.dropout_aux, device))
        };
        let pool = |kernel, stride| max_pool(kernel, stride, 0, true);
        GoogLeNet {
            conv1: basic_conv(3, 64, 7, 2, device),
            maxpool1: pool(3, 2),
            conv2: basic_conv(64, 64, 1, 1, device),
            conv3: basic_conv(64, 192, 3, 1, device),
            maxpool2: pool(3, 2),
            inception3a: inception([192, 64, 96, 128, 16, 32, 32]),
            inception3b: inception([256, 128, 128, 192, 32, 96, 64]),
            maxpool3: pool(3, 2),
            inception4a: inception([480, 192, 96, 208, 16, 48, 64]),
            inception4b: inception([512, 160, 112, 224, 24, 64, 64]),
            inception4c: inception([512, 128, 128, 256, 24, 64, 64]),
            inception4d: inception([512, 112, 144, 288, 32, 64, 64]),
            inception4e: inception([528, 256, 160, 320, 32, 128, 128]),
            maxpool4: pool(2, 2),
            inception5a: inception([832, 256, 160, 320, 32, 128, 128]),
            inception5b: inception([832, 384, 192, 384, 48, 128, 128]),
            aux1: aux(512),
            aux2: aux(528),
            dropout: DropoutConfig::new(self.dropout).init(),
            fc: linear_normal(1024, self.num_classes, INIT_STD, device),
            transform_input: self.transform_input,
        }
    }
}

/// torchvision's `GoogLeNet`; field names are its state-dict keys.
#[derive(Module, Debug)]
pub struct GoogLeNet {
    /// 7×7 stride-2 stem convolution to 64 maps.
    pub conv1: ConvBn,
    /// 3×3 stride-2 max-pool (ceil mode).
    pub maxpool1: MaxPool2d,
    /// 1×1 convolution, 64 → 64.
    pub conv2: ConvBn,
    /// 3×3 convolution, 64 → 192.
    pub conv3: ConvBn,
    /// 3×3 stride-2 max-pool (ceil mode).
    pub maxpool2: MaxPool2d,
    /// 192 → 256 maps, at 28×28.
    pub inception3a: Inception,
    /// 256 → 480 maps.
    pub inception3b: Inception,
    /// 3×3 stride-2 max-pool to 14×14.
    pub maxpool3: MaxPool2d,
    /// 480 → 512 maps; feeds `aux1`.
    pub inception4a: Inception,
    /// 512 → 512 maps.
    pub inception4b: Inception,
    /// 512 → 512 maps.
    pub inception4c: Inception,
    /// 512 → 528 maps; feeds `aux2`.
    pub inception4d: Inception,
    /// 528 → 832 maps.
    pub inception4e: Inception,
    /// 2×2 stride-2 max-pool to 7×7.
    pub maxpool4: MaxPool2d,
    /// 832 → 832 maps.
    pub inception5a: Inception,
    /// 832 → 1024 maps.
    pub inception5b: Inception,
    /// Auxiliary classifier after `inception4a` (training only).
    pub aux1: Option<InceptionAux>,
    /// Auxiliary classifier after `inception4d` (training only).
    pub aux2: Option<InceptionAux>,
    /// Dropout before `fc`.
    pub dropout: Dropout,
    /// 1024 → classes.
    pub fc: Linear,
    /// Re-normalise ImageNet-normalised input to mean = std = 0.5 first; not a weight.
    #[module(skip)]
    pub transform_input: bool,
}

/// The main logits and, when the model has them, the auxiliary classifiers' (torchvision's
/// `GoogLeNetOutputs`).
#[derive(Debug)]
pub struct GoogLeNetOutputs {
    /// The main classifier's logits.
    pub logits: Tensor<2>,
    /// `aux2`'s logits, if the model has it and it ran.
    pub aux_logits2: Option<Tensor<2>>,
    /// `aux1`'s logits, if the model has it and it ran.
    pub aux_logits1: Option<Tensor<2>>,
}

impl GoogLeNet {
    /// `[n, 3, 224, 224]` ImageNet-normalised images → logits. The auxiliary classifiers are
    /// not run (torchvision runs them only in training mode).
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        self.run(x, false).logits
    }

    /// The forward pass of training: logits and both auxiliary outputs (`None` without
    /// auxiliary classifiers).
    pub fn forward_with_aux(&self, x: Tensor<4>) -> GoogLeNetOutputs {
        self.run(x, true)
    }

    fn run(&self, x: Tensor<4>, with_aux: bool) -> GoogLeNetOutputs {
        let mut aux_logits = [None, None];
        let mut stages = Stages::new(&[4]);
        self.stages(x, &mut stages, with_aux.then_some(&mut aux_logits));
        let [aux_logits1, aux_logits2] = aux_logits;
        GoogLeNetOutputs {
            logits: self.forward_head(stages.into_maps().remove(0)),
            aux_logits2,
            aux_logits1,
        }
    }

    /// The trunk, offering its stages; with `aux`, the auxiliary heads' logits too.
    fn stages(&self, x: Tensor<4>, s: &mut Stages, mut aux: Option<&mut [Option<Tensor<2>>; 2]>) {
        let x = self.conv1.forward_relu(self.transform(x));
        if !s.offer(0, &x) {
            return;
        }
        let x = engine::max_pool(&self.maxpool1, x);
        let x = self.conv3.forward_relu(self.conv2.forward_relu(x));
        if !s.offer(1, &x) {
            return;
        }
        let x = engine::max_pool(&self.maxpool2, x);
        let x = self.inception3b.forward(self.inception3a.forward(x));
        if !s.offer(2, &x) {
            return;
        }
        let x = self
            .inception4a
            .forward(engine::max_pool(&self.maxpool3, x));
        let mut run_aux = |i: usize, head: &Option<InceptionAux>, x: &Tensor<4>| {
            if let (Some(out), Some(head)) = (aux.as_deref_mut(), head) {
                out[i] = Some(head.forward(x.clone()));
            }
        };
        run_aux(0, &self.aux1, &x);
        let x = self
            .inception4d
            .forward(self.inception4c.forward(self.inception4b.forward(x)));
        run_aux(1, &self.aux2, &x);
        let x = self.inception4e.forward(x);
        if !s.offer(3, &x) {
            return;
        }
        let x = engine::max_pool(&self.maxpool4, x);
        s.offer(4, &self.inception5b.forward(self.inception5a.forward(x)));
    }

    fn transform(&self, x: Tensor<4>) -> Tensor<4> {
        if self.transform_input {
            transform_input(x)
        } else {
            x
        }
    }
}

impl Classifier for GoogLeNet {
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

    /// The stem's two convolutions (`conv1`, `conv3`), then the last inception module before
    /// each pooling: `inception3b`, `inception4e`, `inception5b`.
    fn feature_info(&self) -> Vec<FeatureInfo> {
        vec![
            FeatureInfo::new("conv1", 64, 2),
            FeatureInfo::new("conv3", 192, 4),
            FeatureInfo::new("inception3b", 480, 8),
            FeatureInfo::new("inception4e", 832, 16),
            FeatureInfo::new("inception5b", self.num_features(), 32),
        ]
    }

    fn run_stages(&self, x: Tensor<4>, stages: &mut Stages) {
        self.stages(x, stages, None);
    }
}

impl ZooModel for GoogLeNet {
    const BATCH_NORM_EPS: f64 = BN_EPS;

    fn variant(&self) -> &str {
        "googlenet"
    }

    fn key_map() -> KeyMap {
        KEY_MAP
    }

    fn skipped_keys(&self) -> Vec<String> {
        if self.aux1.is_some() {
            Vec::new()
        } else {
            vec![r"^aux[12]\.".into()]
        }
    }
}

/// The inference network: no auxiliary classifiers (a checkpoint's `aux1.*`/`aux2.*` are
/// left out and reported), no input transform (6,624,904 parameters at 1,000 classes, the
/// figure torchvision publishes). For torchvision's published weights use
/// [`GoogLeNetConfig::for_torchvision_weights`]; to train, [`GoogLeNetConfig::new`] keeps the auxiliary
/// classifiers (13,004,888 parameters).
pub fn googlenet(num_classes: usize, device: &Device) -> GoogLeNet {
    GoogLeNetConfig::new(num_classes)
        .with_aux_logits(false)
        .init(device)
}

impl Fuse for GoogLeNet {
    fn fuse(&mut self) {
        for conv in [&mut self.conv1, &mut self.conv2, &mut self.conv3] {
            conv.fuse();
        }
        for inception in [
            &mut self.inception3a,
            &mut self.inception3b,
            &mut self.inception4a,
            &mut self.inception4b,
            &mut self.inception4c,
            &mut self.inception4d,
            &mut self.inception4e,
            &mut self.inception5a,
            &mut self.inception5b,
        ] {
            inception.fuse();
        }
        self.aux1.fuse();
        self.aux2.fuse();
    }
}

/// Every variant of this crate, each stated once (see [`VariantSpec`]). torchvision's published
/// weights take the model with `transform_input` and no auxiliary classifiers.
pub static VARIANTS: &[VariantSpec] = &[VariantSpec::torchvision(
    "googlenet",
    "googlenet",
    |n, d| Box::new(googlenet(n, d)),
    6_624_904,
)
.with_published(|n, d| Box::new(GoogLeNetConfig::for_torchvision_weights(n).init(d)))];

#[cfg(test)]
mod table {
    /// Every row builds with its stated parameter count, and the model API holds.
    #[test]
    fn every_variant_is_what_its_row_says() {
        zoo_model::testing::check_table(super::VARIANTS, "googlenet");
    }
}
