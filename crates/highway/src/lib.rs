//! Highway networks (Srivastava, Greff and Schmidhuber 2015, "Training very deep networks")
//! and their plain twins, for the paper's depth experiment on 28×28 grey images: a thin fully
//! connected network of 10, 20 or 50 layers, either plain (ReLU layers of 71 units) or highway
//! (gated layers of 50 units, about the same parameters), trained with one recipe. The claim the
//! README reproduces on Fashion-MNIST: the deep plain networks stall, the highway networks keep
//! training. `highway_cnn` is a small convolutional highway network ([`HighwayConv`] blocks).
//!
//! Layers are He-initialised (`kaiming_normal_`, fan-in), biases 0, and the transform gates'
//! biases [`GATE_BIAS`] (−4).
//!
//! ```
//! use burn::tensor::{Device, Tensor};
//! use zoo_model::Classifier;
//! let device = Device::default();
//! let model = zoo_highway::highway_fc20(10, &device);
//! let x = Tensor::zeros([2, 1, 28, 28], &device);
//! assert_eq!(model.embed(x.clone()).dims(), [2, 50]);
//! assert_eq!(model.forward(x).dims(), [2, 10]);
//! ```

#![warn(missing_docs)]

use burn::module::Module;
use burn::nn::Linear;
use burn::nn::conv::Conv2d;
use burn::tensor::{Device, Tensor};
use zoo_blocks::engine::{self, linear as dense};
use zoo_blocks::norm::Fuse;
use zoo_blocks::{
    ConvInit, ConvSpec, GATE_BIAS, HighwayConv, HighwayLinear, conv_fused, he_linear, linear,
};
use zoo_model::{
    Classifier, FeatureInfo, Head, HeadMut, InputSpec, Labels, Reference, Stages, VariantSpec,
};
use zoo_weights::{KeyMap, ZooModel};

/// Units of a plain layer: with 71, a plain layer has the parameters of a 50-unit highway
/// layer (5,112 against 5,100), as in the paper's comparison.
pub const PLAIN_WIDTH: usize = 71;
/// Units of a highway layer.
pub const HIGHWAY_WIDTH: usize = 50;

/// One hidden layer of [`FcNet`].
#[derive(Module, Debug)]
pub enum Hidden {
    /// `relu(W x + b)`.
    Plain(Linear),
    /// A gated layer.
    Highway(HighwayLinear),
}

impl Hidden {
    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        match self {
            Hidden::Plain(l) => dense(l, x, true),
            Hidden::Highway(h) => h.forward(x),
        }
    }
}

/// A fully connected network of `depth` weight layers: `input` (pixels → width, ReLU),
/// depth − 2 hidden layers, and `fc`.
#[derive(Module, Debug)]
pub struct FcNet {
    /// Flattened pixels → width, then ReLU.
    pub input: Linear,
    /// The hidden layers, all plain or all highway.
    pub layers: Vec<Hidden>,
    /// The classifier.
    pub fc: Linear,
    /// The variant's name; not a weight.
    #[module(skip)]
    pub variant: String,
    /// The input side (the maps are 1×1: the stages' reduction).
    #[module(skip)]
    pub side: usize,
}

impl FcNet {
    /// A plain (`highway == false`) or highway network of `depth` ≥ 3 weight layers on
    /// `side`×`side` one-channel images.
    ///
    /// # Panics
    /// If `depth < 3`.
    pub fn new(highway: bool, depth: usize, side: usize, num_classes: usize, d: &Device) -> Self {
        assert!(depth >= 3, "a network of depth {depth} has no hidden layer");
        let width = if highway { HIGHWAY_WIDTH } else { PLAIN_WIDTH };
        let hidden = |_| match highway {
            true => Hidden::Highway(HighwayLinear::new(width, GATE_BIAS, d)),
            false => Hidden::Plain(he_linear(width, width, 0.0, d)),
        };
        Self {
            input: he_linear(side * side, width, 0.0, d),
            layers: (0..depth - 2).map(hidden).collect(),
            fc: linear(width, num_classes, d),
            variant: format!("{}_fc{depth}", if highway { "highway" } else { "plain" }),
            side,
        }
    }

    fn width(&self) -> usize {
        self.input.weight.dims()[1]
    }
}

impl Classifier for FcNet {
    /// The last hidden layer's output as `[n, width, 1, 1]`.
    fn forward_features(&self, x: Tensor<4>) -> Tensor<4> {
        let n = x.dims()[0];
        let x = dense(&self.input, x.reshape([n as i32, -1]), true);
        let x = self.layers.iter().fold(x, |x, l| l.forward(x));
        let width = x.dims()[1];
        x.reshape([n, width, 1, 1])
    }

    fn head(&self) -> Head<'_> {
        Head::Linear(&self.fc)
    }

    fn head_mut(&mut self) -> HeadMut<'_> {
        HeadMut::Linear(&mut self.fc)
    }

    /// `input`, then every hidden layer (`layers.i`): 1×1 maps of the width.
    fn feature_info(&self) -> Vec<FeatureInfo> {
        let mut info = vec![FeatureInfo::new("input", self.width(), self.side)];
        info.extend(
            (0..self.layers.len())
                .map(|i| FeatureInfo::new(format!("layers.{i}"), self.width(), self.side)),
        );
        info
    }

    fn run_stages(&self, x: Tensor<4>, stages: &mut Stages) {
        let n = x.dims()[0];
        let as_map = |x: &Tensor<2>| x.clone().reshape([n, x.dims()[1], 1, 1]);
        let mut x = dense(&self.input, x.reshape([n as i32, -1]), true);
        if !stages.offer(0, &as_map(&x)) {
            return;
        }
        for (i, layer) in self.layers.iter().enumerate() {
            x = layer.forward(x);
            if !stages.offer(i + 1, &as_map(&x)) {
                return;
            }
        }
    }
}

/// A small convolutional highway network for 28×28 grey images: a 3×3 stem to 32 maps, two
/// highway blocks, 2×2 max-pool, a 3×3 convolution to 64 maps, two highway blocks, 2×2
/// max-pool, global average, `fc`.
#[derive(Module, Debug)]
pub struct HighwayCnn {
    /// 3×3, 1 → 32, then ReLU.
    pub stem: Conv2d,
    /// Highway blocks at 32 maps, 28×28.
    pub stage1: Vec<HighwayConv>,
    /// 3×3, 32 → 64 after the first pool, then ReLU.
    pub conv2: Conv2d,
    /// Highway blocks at 64 maps, 14×14.
    pub stage2: Vec<HighwayConv>,
    /// The classifier.
    pub fc: Linear,
    /// The variant's name; not a weight.
    #[module(skip)]
    pub variant: String,
}

impl HighwayCnn {
    /// The network with `num_classes` outputs.
    pub fn new(num_classes: usize, d: &Device) -> Self {
        let conv = |c_in, c_out| {
            ConvSpec::new(c_in, c_out, 3)
                .padding(1)
                .bias(true)
                .init(ConvInit::FanIn)
                .build(d)
        };
        let blocks = |c| {
            (0..2)
                .map(|_| HighwayConv::new(c, 3, GATE_BIAS, d))
                .collect()
        };
        Self {
            stem: conv(1, 32),
            stage1: blocks(32),
            conv2: conv(32, 64),
            stage2: blocks(64),
            fc: linear(64, num_classes, d),
            variant: "highway_cnn".into(),
        }
    }

    fn pool(x: Tensor<4>) -> Tensor<4> {
        engine::max_pool(&zoo_blocks::max_pool(2, 2, 0, false), x)
    }

    fn stage1(&self, x: Tensor<4>) -> Tensor<4> {
        let x = conv_fused(&self.stem, None, x, None, true);
        self.stage1.iter().fold(x, |x, b| b.forward(x))
    }

    fn stage2(&self, x: Tensor<4>) -> Tensor<4> {
        let x = conv_fused(&self.conv2, None, Self::pool(x), None, true);
        self.stage2.iter().fold(x, |x, b| b.forward(x))
    }
}

impl Classifier for HighwayCnn {
    /// The second stage, pooled to 7×7.
    fn forward_features(&self, x: Tensor<4>) -> Tensor<4> {
        Self::pool(self.stage2(self.stage1(x)))
    }

    fn head(&self) -> Head<'_> {
        Head::Linear(&self.fc)
    }

    fn head_mut(&mut self) -> HeadMut<'_> {
        HeadMut::Linear(&mut self.fc)
    }

    /// Each stage's last highway block, before its pool.
    fn feature_info(&self) -> Vec<FeatureInfo> {
        vec![
            FeatureInfo::new("stage1", 32, 1),
            FeatureInfo::new("stage2", 64, 2),
        ]
    }

    fn run_stages(&self, x: Tensor<4>, stages: &mut Stages) {
        let x = self.stage1(x);
        if stages.offer(0, &x) {
            stages.offer(1, &self.stage2(x));
        }
    }
}

macro_rules! zoo_model {
    ($($ty:ty),*) => {$(
        impl ZooModel for $ty {
            fn variant(&self) -> &str {
                &self.variant
            }

            fn key_map() -> KeyMap {
                &[]
            }
        }

        /// No BatchNorm to fold.
        impl Fuse for $ty {
            fn fuse(&mut self) {}
        }
    )*};
}

zoo_model!(FcNet, HighwayCnn);

macro_rules! builders {
    ($($name:ident $highway:literal $kind:literal $depth:literal $params:literal),*) => {
        $(
            #[doc = concat!("The ", stringify!($depth), "-layer ", $kind,
                " network for 28×28 grey images (", $params, " parameters at 10 classes).")]
            pub fn $name(num_classes: usize, device: &Device) -> FcNet {
                FcNet::new($highway, $depth, 28, num_classes, device)
            }
        )*
    };
}

builders!(
    plain_fc10 false "plain" 10 "97,351",
    plain_fc20 false "plain" 20 "148,471",
    plain_fc50 false "plain" 50 "301,831",
    highway_fc10 true "highway" 10 "80,560",
    highway_fc20 true "highway" 20 "131,560",
    highway_fc50 true "highway" 50 "284,560"
);

/// The convolutional highway network (204,170 parameters at 10 classes).
pub fn highway_cnn(num_classes: usize, device: &Device) -> HighwayCnn {
    HighwayCnn::new(num_classes, device)
}

const FASHION: InputSpec = InputSpec::grey(28, &[0.2860], &[0.3530]);

const fn row(name: &'static str, build: zoo_model::Builder, params: usize) -> VariantSpec {
    VariantSpec {
        labels: Labels::FashionMnist,
        ..VariantSpec::cifar(
            name,
            "highway",
            build,
            params,
            Reference::Code(
                "Srivastava et al. 2015",
                "scripts/course_models.py FcNet, HighwayCnn",
            ),
        )
        .with_input(FASHION)
    }
}

/// Every variant of this crate, each stated once (see [`VariantSpec`]).
pub static VARIANTS: &[VariantSpec] = &[
    row("plain_fc10", |n, d| Box::new(plain_fc10(n, d)), 97_351),
    row("plain_fc20", |n, d| Box::new(plain_fc20(n, d)), 148_471),
    row("plain_fc50", |n, d| Box::new(plain_fc50(n, d)), 301_831),
    row("highway_fc10", |n, d| Box::new(highway_fc10(n, d)), 80_560),
    row("highway_fc20", |n, d| Box::new(highway_fc20(n, d)), 131_560),
    row("highway_fc50", |n, d| Box::new(highway_fc50(n, d)), 284_560),
    row("highway_cnn", |n, d| Box::new(highway_cnn(n, d)), 204_170),
];

#[cfg(test)]
mod table {
    /// Every row builds with its stated parameter count, and the model API holds.
    #[test]
    fn every_variant_is_what_its_row_says() {
        zoo_model::testing::check_table(super::VARIANTS, "highway");
    }
}
