//! Xception (Chollet 2017, "Xception: Deep Learning with Depthwise Separable Convolutions"):
//! entry flow (two convolutions, three downsampling blocks), middle flow (eight residual
//! blocks of three separable convolutions at 728 maps), exit flow (one downsampling block,
//! two separable convolutions to 2048 maps), global pooling and `fc`. Equal to timm's
//! `legacy_xception` (the Cadene port of the Keras weights): 299×299 input normalised with
//! mean = std = 0.5; field names are timm's, except that `block1…block12` form a `Vec`.
//!
//! ```
//! use burn::tensor::{Device, Tensor};
//! use zoo_model::Classifier;
//! let device = Device::default();
//! let model = zoo_xception::xception(1000, &device);
//! let stages: Vec<String> = model.feature_info().iter().map(|f| f.module.clone()).collect();
//! assert_eq!(stages, ["act2", "block2.rep.0", "block3.rep.0", "block12.rep.0", "act4"]);
//! ```

#![warn(missing_docs)]

use burn::module::Module;
use burn::nn::conv::Conv2d;
use burn::nn::{Linear, Relu};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};
use zoo_blocks::conv_fused;
use zoo_blocks::norm::{BatchNorm, Fuse, fold};
use zoo_blocks::{ConvSpec, Layer, SeparableConv2d, batch_norm, linear, sequential};
use zoo_model::{Classifier, FeatureInfo, Head, HeadMut, InputSpec, Stages, VariantSpec};
use zoo_weights::{KeyMap, ZooModel};

/// timm's `block1`…`block12` are `blocks.0`…`blocks.11` here.
pub const KEY_MAP: KeyMap = &[(r"^block(?P<dec>\d+)\.", "blocks.$dec.")];

/// Mean and standard deviation of the input normalisation (per channel, of pixels in [0, 1]).
pub const MEAN: [f32; 3] = zoo_blocks::INCEPTION_MEAN;
/// See [`MEAN`].
pub const STD: [f32; 3] = zoo_blocks::INCEPTION_STD;
/// The input resolution of the published weights.
pub const INPUT_SIZE: usize = 299;

/// A residual block: `reps` × (ReLU, separable 3×3, BN), then a 3×3 max-pool of stride
/// `stride`; the shortcut is a strided 1×1 convolution + BN where the shape changes. Field
/// names as timm's `Block`, `rep` numbered as its `nn.Sequential`.
#[derive(Module, Debug)]
pub struct XceptionBlock {
    // Declared in execution order (the ONNX importer matches layers in that order).
    /// The residual branch: (ReLU, separable 3×3, BN) × reps, then the max-pool if strided.
    pub rep: Vec<Layer>,
    /// Strided 1×1 shortcut convolution where the shape changes.
    pub skip: Option<Conv2d>,
    /// BN after `skip`.
    pub skipbn: Option<BatchNorm>,
}

impl XceptionBlock {
    /// timm's `Block(in, out, reps, strides, start_with_relu, grow_first)`.
    pub fn new(
        c_in: usize,
        c_out: usize,
        reps: usize,
        stride: usize,
        start_with_relu: bool,
        grow_first: bool,
        device: &Device,
    ) -> Self {
        let (skip, skipbn) = if c_in != c_out || stride != 1 {
            let conv = ConvSpec::new(c_in, c_out, 1).stride(stride).build(device);
            (Some(conv), Some(batch_norm(c_out, 1e-5, device)))
        } else {
            (None, None)
        };
        let mut rep = Vec::new();
        for i in 0..reps {
            let (a, b) = match (grow_first, i) {
                (true, 0) => (c_in, c_out),
                (true, _) => (c_out, c_out),
                (false, i) if i + 1 < reps => (c_in, c_in),
                (false, _) => (c_in, c_out),
            };
            if start_with_relu || i > 0 {
                rep.push(Layer::Relu(Relu::new()));
            }
            rep.push(Layer::SeparableConv(SeparableConv2d::new(
                a, b, 3, 1, device,
            )));
            rep.push(Layer::BatchNorm(batch_norm(b, 1e-5, device)));
        }
        if stride != 1 {
            rep.push(Layer::max_pool(3, stride, 1));
        }
        Self { rep, skip, skipbn }
    }

    /// `rep(x) + shortcut(x)`, no activation after the sum.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let shortcut = match (&self.skip, &self.skipbn) {
            (Some(conv), Some(bn)) => conv_fused(conv, Some(bn), x.clone(), None, false),
            _ => x.clone(),
        };
        sequential(&self.rep, x) + shortcut
    }

    /// Channels of the block's output.
    pub fn out_channels(&self) -> usize {
        self.rep
            .iter()
            .rev()
            .find_map(Layer::out_channels)
            .unwrap_or(0)
    }
}

/// timm's `legacy_xception`: entry, middle and exit flows, global pooling, `fc`.
#[derive(Module, Debug)]
pub struct Xception {
    /// 3×3 stride-2 stem convolution to 32 maps, no padding.
    pub conv1: Conv2d,
    /// BN after `conv1`, followed by ReLU.
    pub bn1: BatchNorm,
    /// 3×3 convolution to 64 maps, no padding.
    pub conv2: Conv2d,
    /// BN after `conv2`, followed by ReLU.
    pub bn2: BatchNorm,
    /// timm's `block1`…`block12`: three entry-flow, eight middle-flow, one exit-flow block.
    pub blocks: Vec<XceptionBlock>,
    /// Separable 3×3, 1024 → 1536.
    pub conv3: SeparableConv2d,
    /// BN after `conv3`, followed by ReLU.
    pub bn3: BatchNorm,
    /// Separable 3×3, 1536 → 2048.
    pub conv4: SeparableConv2d,
    /// BN after `conv4`, followed by ReLU and global pooling.
    pub bn4: BatchNorm,
    /// 2048 → classes.
    pub fc: Linear,
}

impl Xception {
    /// The network with `num_classes` outputs.
    pub fn new(num_classes: usize, device: &Device) -> Self {
        let block = |c_in, c_out, reps, stride, start_with_relu, grow_first| {
            XceptionBlock::new(
                c_in,
                c_out,
                reps,
                stride,
                start_with_relu,
                grow_first,
                device,
            )
        };
        let mut blocks = vec![
            block(64, 128, 2, 2, false, true),
            block(128, 256, 2, 2, true, true),
            block(256, 728, 2, 2, true, true),
        ];
        blocks.extend((0..8).map(|_| block(728, 728, 3, 1, true, true)));
        blocks.push(block(728, 1024, 2, 2, true, false));
        Self {
            conv1: ConvSpec::new(3, 32, 3).stride(2).build(device),
            bn1: batch_norm(32, 1e-5, device),
            conv2: ConvSpec::new(32, 64, 3).build(device),
            bn2: batch_norm(64, 1e-5, device),
            blocks,
            conv3: SeparableConv2d::new(1024, 1536, 3, 1, device),
            bn3: batch_norm(1536, 1e-5, device),
            conv4: SeparableConv2d::new(1536, 2048, 3, 1, device),
            bn4: batch_norm(2048, 1e-5, device),
            fc: linear(2048, num_classes, device),
        }
    }

    /// `[n, 3, 299, 299]` images normalised with [`MEAN`]/[`STD`] → logits.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        Classifier::forward(self, x)
    }
}

/// After which of `blocks` timm takes a stage (the ReLU that opens the next block):
/// `block2.rep.0`, `block3.rep.0`, `block12.rep.0`.
const STAGE_AFTER: [usize; 3] = [0, 1, 10];

impl Classifier for Xception {
    fn forward_features(&self, x: Tensor<4>) -> Tensor<4> {
        let mut stages = Stages::new(&[4]);
        self.run_stages(x, &mut stages);
        stages.into_maps().remove(0)
    }

    fn head(&self) -> Head<'_> {
        Head::Linear(&self.fc)
    }

    fn head_mut(&mut self) -> HeadMut<'_> {
        HeadMut::Linear(&mut self.fc)
    }

    /// timm's: `act2`, the ReLUs opening blocks 2, 3 and 12, and `act4`.
    fn feature_info(&self) -> Vec<FeatureInfo> {
        let mut info = vec![FeatureInfo::new("act2", 64, 2)];
        for (k, &b) in STAGE_AFTER.iter().enumerate() {
            let channels = self.blocks[b].out_channels();
            info.push(FeatureInfo::new(
                format!("block{}.rep.0", b + 2),
                channels,
                4 << k,
            ));
        }
        info.push(FeatureInfo::new("act4", self.num_features(), 32));
        info
    }

    fn run_stages(&self, x: Tensor<4>, stages: &mut Stages) {
        let x = conv_fused(&self.conv1, Some(&self.bn1), x, None, true);
        let mut x = conv_fused(&self.conv2, Some(&self.bn2), x, None, true);
        if !stages.offer(0, &x) {
            return;
        }
        for (i, block) in self.blocks.iter().enumerate() {
            x = block.forward(x);
            if let Some(k) = STAGE_AFTER.iter().position(|&b| b == i) {
                // The stage is the ReLU that opens the next block: computed only when asked.
                let more = if stages.wants(k + 1) {
                    stages.offer(k + 1, &relu(x.clone()))
                } else {
                    stages.offer(k + 1, &x)
                };
                if !more {
                    return;
                }
            }
        }
        let x = relu(self.bn3.forward(self.conv3.forward(x)));
        stages.offer(4, &relu(self.bn4.forward(self.conv4.forward(x))));
    }
}

impl ZooModel for Xception {
    fn variant(&self) -> &str {
        "xception"
    }

    fn key_map() -> KeyMap {
        KEY_MAP
    }
}

/// Xception as timm's `legacy_xception` (22,855,952 parameters at 1,000 classes).
pub fn xception(num_classes: usize, device: &Device) -> Xception {
    Xception::new(num_classes, device)
}

impl Fuse for XceptionBlock {
    fn fuse(&mut self) {
        self.rep.fuse();
        if let (Some(skip), Some(bn)) = (&mut self.skip, &mut self.skipbn) {
            fold(skip, bn);
        }
    }
}

impl Fuse for Xception {
    fn fuse(&mut self) {
        fold(&mut self.conv1, &mut self.bn1);
        fold(&mut self.conv2, &mut self.bn2);
        self.blocks.fuse();
        fold(&mut self.conv3.pointwise, &mut self.bn3);
        fold(&mut self.conv4.pointwise, &mut self.bn4);
    }
}

/// Every variant of this crate, each stated once (see [`VariantSpec`]).
pub static VARIANTS: &[VariantSpec] = &[VariantSpec::torchvision(
    "xception",
    "xception",
    |n, d| Box::new(xception(n, d)),
    22_855_952,
)
.with_input(InputSpec {
    mean: &MEAN,
    std: &STD,
    ..InputSpec::imagenet(INPUT_SIZE)
})
.with_reference(zoo_model::Reference::Timm("legacy_xception"))];

#[cfg(test)]
mod table {
    /// Every row builds with its stated parameter count, and the model API holds.
    #[test]
    fn every_variant_is_what_its_row_says() {
        zoo_model::testing::check_table(super::VARIANTS, "xception");
    }
}
