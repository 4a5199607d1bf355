//! The Inception module and the auxiliary classifier, with torchvision's field names.

use burn::module::Module;
use burn::nn::pool::{AdaptiveAvgPool2d, AdaptiveAvgPool2dConfig, MaxPool2d};
use burn::nn::{Dropout, DropoutConfig, Linear};
use burn::tensor::Device;
use burn::tensor::Tensor;
use burn::tensor::activation::relu;
use zoo_blocks::{ConvBn, Fuse, engine, linear_normal, max_pool};

use crate::{INIT_STD, basic_conv};

/// Four parallel branches concatenated on channels: 1×1; 1×1 → 3×3; 1×1 → 3×3 (the paper's
/// 5×5, as torchvision has it); 3×3 max-pool → 1×1.
#[derive(Module, Debug)]
pub struct Inception {
    /// 1×1 branch.
    pub branch1: ConvBn,
    /// 1×1 reduction → 3×3.
    pub branch2: Vec<ConvBn>,
    /// 1×1 reduction → 3×3 (the paper's 5×5).
    pub branch3: Vec<ConvBn>,
    /// 3×3 stride-1 max-pool opening the pool branch; no weights.
    pub pool: MaxPool2d,
    /// 1×1 projection after the pool (torchvision's `branch4.1`).
    pub branch4: ConvBn,
}

impl Inception {
    /// `[in, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj]`, as torchvision's arguments.
    pub fn new(spec: [usize; 7], device: &Device) -> Self {
        let [c_in, c1, c3r, c3, c5r, c5, cp] = spec;
        Self {
            branch1: basic_conv(c_in, c1, 1, 1, device),
            branch2: vec![
                basic_conv(c_in, c3r, 1, 1, device),
                basic_conv(c3r, c3, 3, 1, device),
            ],
            branch3: vec![
                basic_conv(c_in, c5r, 1, 1, device),
                basic_conv(c5r, c5, 3, 1, device),
            ],
            pool: max_pool(3, 1, 1, true),
            branch4: basic_conv(c_in, cp, 1, 1, device),
        }
    }

    /// `[n, in, h, w]` → `[n, ch1x1 + ch3x3 + ch5x5 + pool_proj, h, w]`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let chain = |convs: &[ConvBn], x: Tensor<4>| convs.iter().fold(x, |x, c| c.forward_relu(x));
        let b1 = self.branch1.forward_relu(x.clone());
        let b2 = chain(&self.branch2, x.clone());
        let b3 = chain(&self.branch3, x.clone());
        let b4 = self.branch4.forward_relu(engine::max_pool(&self.pool, x));
        Tensor::cat(vec![b1, b2, b3, b4], 1)
    }
}

/// Auxiliary classifier: 4×4 average pool, 1×1 conv to 128, fc 2048 → 1024, dropout, fc.
#[derive(Module, Debug)]
pub struct InceptionAux {
    /// Adaptive average pool to 4×4.
    pub pool: AdaptiveAvgPool2d,
    /// 1×1 convolution to 128 maps.
    pub conv: ConvBn,
    /// 2048 → 1024.
    pub fc1: Linear,
    /// 1024 → classes.
    pub fc2: Linear,
    /// Dropout before `fc2` (0.7 in torchvision).
    pub dropout: Dropout,
}

impl InceptionAux {
    /// A head reading `c_in` maps (512 after 4a, 528 after 4d).
    pub fn new(c_in: usize, num_classes: usize, dropout: f64, device: &Device) -> Self {
        Self {
            pool: AdaptiveAvgPool2dConfig::new([4, 4]).init(),
            conv: basic_conv(c_in, 128, 1, 1, device),
            fc1: linear_normal(2048, 1024, INIT_STD, device),
            fc2: linear_normal(1024, num_classes, INIT_STD, device),
            dropout: DropoutConfig::new(dropout).init(),
        }
    }

    /// The inception output at 14×14 → auxiliary logits.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let x = self.conv.forward_relu(self.pool.forward(x)).flatten(1, 3);
        self.fc2
            .forward(self.dropout.forward(relu(self.fc1.forward(x))))
    }
}

impl Fuse for Inception {
    fn fuse(&mut self) {
        self.branch1.fuse();
        self.branch2.fuse();
        self.branch3.fuse();
        self.branch4.fuse();
    }
}

impl Fuse for InceptionAux {
    fn fuse(&mut self) {
        self.conv.fuse();
    }
}
