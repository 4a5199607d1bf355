//! The pre-activation basic block (He et al. 2016, "Identity Mappings"; Zagoruyko &
//! Komodakis 2016): BN-ReLU-conv3×3-BN-ReLU-(dropout)-conv3×3, added to the input. Where the
//! shape changes, a bias-free 1×1 projection (`convdim`) takes the pre-activated input, as in
//! the official WRN code. Field names are that code's keys.

use burn::module::Module;
use burn::nn::conv::Conv2d;
use burn::nn::{Dropout, DropoutConfig};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};

use crate::conv::{batch_norm, conv1x1, conv3x3};
use crate::engine::conv;
use crate::norm::{BatchNorm, Fuse, fold};

/// The pre-activation basic block (WRN's `block`), 3×3 + 3×3 with an optional 1×1 projection.
#[derive(Module, Debug)]
pub struct PreActBlock {
    /// BN before the first ReLU and convolution; its output also feeds `convdim`.
    pub bn0: BatchNorm,
    /// First 3×3 convolution, carrying the block's stride.
    pub conv0: Conv2d,
    /// BN between the two convolutions.
    pub bn1: BatchNorm,
    /// Dropout before the second convolution.
    pub dropout: Dropout,
    /// Second 3×3 convolution, stride 1.
    pub conv1: Conv2d,
    /// 1×1 projection of the pre-activated input where the shape changes.
    pub convdim: Option<Conv2d>,
}

impl PreActBlock {
    /// `dropout` is the probability between the two convolutions (WRN: 0.3 on CIFAR, or 0).
    pub fn new(c_in: usize, c_out: usize, stride: usize, dropout: f64, device: &Device) -> Self {
        Self {
            bn0: batch_norm(c_in, 1e-5, device),
            conv0: conv3x3(c_in, c_out, stride, 1, device),
            bn1: batch_norm(c_out, 1e-5, device),
            dropout: DropoutConfig::new(dropout).init(),
            conv1: conv3x3(c_out, c_out, 1, 1, device),
            convdim: (c_in != c_out || stride != 1).then(|| conv1x1(c_in, c_out, stride, device)),
        }
    }

    /// `[n, c_in, h, w]` → `[n, c_out, h / stride, w / stride]`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let o1 = relu(self.bn0.forward(x.clone()));
        let y = conv(&self.conv0, o1.clone());
        let o2 = self.dropout.forward(relu(self.bn1.forward(y)));
        let z = conv(&self.conv1, o2);
        match &self.convdim {
            Some(proj) => z + proj.forward(o1),
            None => z + x,
        }
    }
}

/// The pre-activation bottleneck of ResNet-164/1001 (He et al. 2016, official
/// `resnet-pre-act.lua`): BN-ReLU-conv1×1(stride)-BN-ReLU-conv3×3-BN-ReLU-conv1×1 to `c_out`
/// (inner width `c_out / 4`). Where the width changes, the first BN-ReLU is shared and a
/// bias-free 1×1 `shortcut` projects its output; otherwise the shortcut is the identity.
#[derive(Module, Debug)]
pub struct PreActBottleneck {
    /// BN opening the unit; its ReLU output also feeds `shortcut`.
    pub bn1: BatchNorm,
    /// 1×1 reduction to `c_out / 4`, carrying the stride.
    pub conv1: Conv2d,
    /// BN before the 3×3 convolution.
    pub bn2: BatchNorm,
    /// The 3×3 convolution.
    pub conv2: Conv2d,
    /// BN before the 1×1 expansion.
    pub bn3: BatchNorm,
    /// 1×1 expansion to `c_out`.
    pub conv3: Conv2d,
    /// 1×1 projection of the pre-activated input where the shape changes.
    pub shortcut: Option<Conv2d>,
}

impl PreActBottleneck {
    /// A bottleneck from `c_in` to `c_out` channels (inner width `c_out / 4`).
    pub fn new(c_in: usize, c_out: usize, stride: usize, device: &Device) -> Self {
        let mid = c_out / 4;
        Self {
            bn1: batch_norm(c_in, 1e-5, device),
            conv1: conv1x1(c_in, mid, stride, device),
            bn2: batch_norm(mid, 1e-5, device),
            conv2: conv3x3(mid, mid, 1, 1, device),
            bn3: batch_norm(mid, 1e-5, device),
            conv3: conv1x1(mid, c_out, 1, device),
            shortcut: (c_in != c_out || stride != 1).then(|| conv1x1(c_in, c_out, stride, device)),
        }
    }

    /// `[n, c_in, h, w]` → `[n, c_out, h / stride, w / stride]`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let o = relu(self.bn1.forward(x.clone()));
        let y = conv(&self.conv1, o.clone());
        let y = conv(&self.conv2, relu(self.bn2.forward(y)));
        let y = conv(&self.conv3, relu(self.bn3.forward(y)));
        match &self.shortcut {
            Some(proj) => y + proj.forward(o),
            None => y + x,
        }
    }
}

/// A pre-activation residual unit of either kind.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum PreActUnit {
    /// Two 3×3 convolutions.
    Basic(PreActBlock),
    /// 1×1-3×3-1×1 bottleneck.
    Bottleneck(PreActBottleneck),
}

impl PreActUnit {
    /// Runs whichever block this is.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        match self {
            PreActUnit::Basic(b) => b.forward(x),
            PreActUnit::Bottleneck(b) => b.forward(x),
        }
    }

    /// Channels of the unit's output.
    pub fn out_channels(&self) -> usize {
        let last = match self {
            PreActUnit::Basic(b) => &b.conv1,
            PreActUnit::Bottleneck(b) => &b.conv3,
        };
        last.weight.dims()[0]
    }
}

/// The BatchNorms that open a unit normalise a sum and stay; the ones inside follow a
/// convolution whose output nothing else reads, and fold.
impl Fuse for PreActBlock {
    fn fuse(&mut self) {
        fold(&mut self.conv0, &mut self.bn1);
    }
}

impl Fuse for PreActBottleneck {
    fn fuse(&mut self) {
        fold(&mut self.conv1, &mut self.bn2);
        fold(&mut self.conv2, &mut self.bn3);
    }
}

impl Fuse for PreActUnit {
    fn fuse(&mut self) {
        match self {
            PreActUnit::Basic(b) => b.fuse(),
            PreActUnit::Bottleneck(b) => b.fuse(),
        }
    }
}
