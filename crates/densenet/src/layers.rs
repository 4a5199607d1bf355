//! The dense layer and the transition, as the authors' `DenseConnectLayerStandard` and
//! `addTransition` (liuzhuang13/DenseNet) build them; convolutions have no bias.

use burn::module::Module;
use burn::nn::conv::Conv2d;
use burn::nn::pool::{AvgPool2d, AvgPool2dConfig};
use burn::nn::{Dropout, DropoutConfig};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};
use zoo_blocks::engine::conv;
use zoo_blocks::norm::{BatchNorm, Fuse, fold};
use zoo_blocks::{ConvInit, ConvSpec, batch_norm};

/// BN-ReLU-conv3×3 to `growth` maps, or with a bottleneck (DenseNet-B)
/// BN-ReLU-conv1×1 to 4·growth, BN-ReLU-conv3×3; dropout after each convolution when set.
/// The output is the input with the new maps concatenated behind it.
#[derive(Module, Debug)]
pub struct DenseLayer {
    /// BN opening the layer, over the concatenated input.
    pub norm1: BatchNorm,
    /// The 3×3 convolution, or with a bottleneck the 1×1 to 4·growth maps.
    pub conv1: Conv2d,
    /// Present with a bottleneck: the 3×3 convolution after the 1×1 `conv1`.
    pub norm2: Option<BatchNorm>,
    /// With a bottleneck, the 3×3 convolution to `growth` maps.
    pub conv2: Option<Conv2d>,
    /// Dropout after each convolution (probability 0 unless set).
    pub dropout: Dropout,
}

impl DenseLayer {
    /// A layer reading `c_in` maps and adding `growth`.
    pub fn new(c_in: usize, growth: usize, shape: &BlockShape, device: &Device) -> Self {
        let conv = |c_in, c_out, kernel: usize| {
            ConvSpec::new(c_in, c_out, kernel)
                .padding(kernel / 2)
                .init(shape.init)
                .build(device)
        };
        let (conv1, norm2, conv2) = if shape.bottleneck {
            let mid = 4 * growth;
            (
                conv(c_in, mid, 1),
                Some(batch_norm(mid, 1e-5, device)),
                Some(conv(mid, growth, 3)),
            )
        } else {
            (conv(c_in, growth, 3), None, None)
        };
        Self {
            norm1: batch_norm(c_in, 1e-5, device),
            conv1,
            norm2,
            conv2,
            dropout: DropoutConfig::new(shape.dropout).init(),
        }
    }

    /// The `growth` new maps computed from `x`.
    pub fn new_features(&self, x: Tensor<4>) -> Tensor<4> {
        let y = self
            .dropout
            .forward(conv(&self.conv1, relu(self.norm1.forward(x))));
        match (&self.norm2, &self.conv2) {
            (Some(norm), Some(c)) => self.dropout.forward(conv(c, relu(norm.forward(y)))),
            _ => y,
        }
    }

    /// `[n, c, h, w]` → `[n, c + growth, h, w]`: the input with the new maps behind it.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let y = self.new_features(x.clone());
        Tensor::cat(vec![x, y], 1)
    }
}

/// What every layer of a dense block shares.
#[derive(Clone, Copy, Debug)]
pub struct BlockShape {
    /// Maps each layer adds (k).
    pub growth: usize,
    /// DenseNet-B: a 1×1 convolution to 4·growth maps before the 3×3.
    pub bottleneck: bool,
    /// Dropout probability after each convolution.
    pub dropout: f64,
    /// Initialisation of the convolutions (torchvision: fan-in; the authors: fan-out).
    pub init: ConvInit,
}

impl BlockShape {
    /// `layers` dense layers on `*channels` input maps; `*channels` becomes the output's.
    pub fn block(&self, layers: usize, channels: &mut usize, device: &Device) -> Vec<DenseLayer> {
        (0..layers)
            .map(|_| {
                let layer = DenseLayer::new(*channels, self.growth, self, device);
                *channels += self.growth;
                layer
            })
            .collect()
    }

    /// A transition keeping `compression` of `*channels`; `*channels` becomes its output's.
    pub fn transition(
        &self,
        compression: f64,
        channels: &mut usize,
        device: &Device,
    ) -> Transition {
        let out = (*channels as f64 * compression).floor() as usize;
        let t = Transition::new(*channels, out, self, device);
        *channels = out;
        t
    }
}

/// Runs a dense block: each layer's maps are concatenated behind its input.
pub fn dense_block(block: &[DenseLayer], x: Tensor<4>) -> Tensor<4> {
    block.iter().fold(x, |x, layer| layer.forward(x))
}

/// BN-ReLU-conv1×1-(dropout)-avgpool 2×2 between dense blocks.
#[derive(Module, Debug)]
pub struct Transition {
    /// BN over the dense block's output.
    pub norm: BatchNorm,
    /// 1×1 convolution doing the compression.
    pub conv: Conv2d,
    /// Dropout after the convolution.
    pub dropout: Dropout,
    /// 2×2 average pooling, stride 2.
    pub pool: AvgPool2d,
}

impl Transition {
    /// A transition from `c_in` to `c_out` maps.
    pub fn new(c_in: usize, c_out: usize, shape: &BlockShape, device: &Device) -> Self {
        Self {
            norm: batch_norm(c_in, 1e-5, device),
            conv: ConvSpec::new(c_in, c_out, 1).init(shape.init).build(device),
            dropout: DropoutConfig::new(shape.dropout).init(),
            pool: AvgPool2dConfig::new([2, 2]).init(),
        }
    }

    /// `[n, c_in, h, w]` → `[n, c_out, h / 2, w / 2]`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let y = self
            .dropout
            .forward(conv(&self.conv, relu(self.norm.forward(x))));
        zoo_blocks::engine::avg_pool(&self.pool, y)
    }
}

/// `norm1` and a transition's `norm` read concatenations; only a bottleneck's `norm2` follows
/// a convolution alone.
impl Fuse for DenseLayer {
    fn fuse(&mut self) {
        if let Some(norm2) = &mut self.norm2 {
            fold(&mut self.conv1, norm2);
        }
    }
}
