//! Inception-v3's mixed modules (torchvision's `InceptionA` … `InceptionE`) and auxiliary
//! classifier, fields in torchvision's names and in the order they run.

use crate::tf::{conv_bn, max3};
use burn::module::Module;
use burn::nn::Linear;
use burn::nn::PaddingConfig2d;
use burn::nn::pool::{AvgPool2d, AvgPool2dConfig};
use burn::tensor::{Device, Tensor};
use zoo_blocks::{ConvBn, ConvInit, Fuse, engine, global_avg_pool, linear_normal};

/// torchvision's `BasicConv2d`: a bias-free `kh`×`kw` convolution with padding `[ph, pw]`,
/// BN (ε 1e-3); the ReLU is [`ConvBn::forward_relu`]. Weights start as `trunc_normal_(std)`
/// (0.1 unless the layer sets its own `stddev`), whose ±2 bounds lie 20 σ out.
pub(crate) fn basic(
    c_in: usize,
    c_out: usize,
    kernel: [usize; 2],
    padding: [usize; 2],
    stride: usize,
    std: f64,
    device: &Device,
) -> ConvBn {
    conv_bn(
        c_in,
        c_out,
        kernel,
        padding,
        stride,
        ConvInit::Normal(std),
        device,
    )
}

/// A square `basic` convolution with the usual std.
fn conv(c_in: usize, c_out: usize, k: usize, pad: usize, stride: usize, d: &Device) -> ConvBn {
    basic(c_in, c_out, [k, k], [pad, pad], stride, 0.1, d)
}

/// `F.avg_pool2d(x, 3, stride=1, padding=1)` (padding counted, as PyTorch's default).
fn avg3(x: Tensor<4>) -> Tensor<4> {
    let pool = AvgPool2dConfig::new([3, 3])
        .with_strides([1, 1])
        .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
        .with_count_include_pad(true)
        .init();
    engine::avg_pool(&pool, x)
}

fn chain(convs: &[&ConvBn], x: Tensor<4>) -> Tensor<4> {
    convs.iter().fold(x, |x, c| c.forward_relu(x))
}

/// 35×35 module: 1×1; 1×1 → 5×5; 1×1 → 3×3 → 3×3; 3×3 average pool → 1×1.
#[derive(Module, Debug)]
pub struct InceptionA {
    /// 1×1 to 64.
    pub branch1x1: ConvBn,
    /// 1×1 to 48.
    pub branch5x5_1: ConvBn,
    /// 5×5 to 64.
    pub branch5x5_2: ConvBn,
    /// 1×1 to 64.
    pub branch3x3dbl_1: ConvBn,
    /// 3×3 to 96.
    pub branch3x3dbl_2: ConvBn,
    /// 3×3 to 96.
    pub branch3x3dbl_3: ConvBn,
    /// 1×1 after the pool, to `pool_features`.
    pub branch_pool: ConvBn,
}

impl InceptionA {
    /// torchvision's `InceptionA(in_channels, pool_features)`.
    pub fn new(c_in: usize, pool_features: usize, d: &Device) -> Self {
        Self {
            branch1x1: conv(c_in, 64, 1, 0, 1, d),
            branch5x5_1: conv(c_in, 48, 1, 0, 1, d),
            branch5x5_2: conv(48, 64, 5, 2, 1, d),
            branch3x3dbl_1: conv(c_in, 64, 1, 0, 1, d),
            branch3x3dbl_2: conv(64, 96, 3, 1, 1, d),
            branch3x3dbl_3: conv(96, 96, 3, 1, 1, d),
            branch_pool: conv(c_in, pool_features, 1, 0, 1, d),
        }
    }

    /// The four branches, concatenated on channels.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let b1 = self.branch1x1.forward_relu(x.clone());
        let b5 = chain(&[&self.branch5x5_1, &self.branch5x5_2], x.clone());
        let b3 = chain(
            &[
                &self.branch3x3dbl_1,
                &self.branch3x3dbl_2,
                &self.branch3x3dbl_3,
            ],
            x.clone(),
        );
        let bp = self.branch_pool.forward_relu(avg3(x));
        Tensor::cat(vec![b1, b5, b3, bp], 1)
    }
}

/// 35 → 17 reduction: strided 3×3; 1×1 → 3×3 → strided 3×3; strided max-pool.
#[derive(Module, Debug)]
pub struct InceptionB {
    /// Strided 3×3 to 384.
    pub branch3x3: ConvBn,
    /// 1×1 to 64.
    pub branch3x3dbl_1: ConvBn,
    /// 3×3 to 96.
    pub branch3x3dbl_2: ConvBn,
    /// Strided 3×3 to 96.
    pub branch3x3dbl_3: ConvBn,
}

impl InceptionB {
    /// torchvision's `InceptionB(in_channels)`.
    pub fn new(c_in: usize, d: &Device) -> Self {
        Self {
            branch3x3: conv(c_in, 384, 3, 0, 2, d),
            branch3x3dbl_1: conv(c_in, 64, 1, 0, 1, d),
            branch3x3dbl_2: conv(64, 96, 3, 1, 1, d),
            branch3x3dbl_3: conv(96, 96, 3, 0, 2, d),
        }
    }

    /// The three branches, concatenated on channels.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let b3 = self.branch3x3.forward_relu(x.clone());
        let bd = chain(
            &[
                &self.branch3x3dbl_1,
                &self.branch3x3dbl_2,
                &self.branch3x3dbl_3,
            ],
            x.clone(),
        );
        Tensor::cat(vec![b3, bd, max3(x)], 1)
    }
}

/// 17×17 module with factorised 7×7 convolutions (1×7 and 7×1).
#[derive(Module, Debug)]
pub struct InceptionC {
    /// 1×1 to 192.
    pub branch1x1: ConvBn,
    /// 1×1 to c7.
    pub branch7x7_1: ConvBn,
    /// 1×7.
    pub branch7x7_2: ConvBn,
    /// 7×1 to 192.
    pub branch7x7_3: ConvBn,
    /// 1×1 to c7.
    pub branch7x7dbl_1: ConvBn,
    /// 7×1.
    pub branch7x7dbl_2: ConvBn,
    /// 1×7.
    pub branch7x7dbl_3: ConvBn,
    /// 7×1.
    pub branch7x7dbl_4: ConvBn,
    /// 1×7 to 192.
    pub branch7x7dbl_5: ConvBn,
    /// 1×1 after the pool, to 192.
    pub branch_pool: ConvBn,
}

impl InceptionC {
    /// torchvision's `InceptionC(in_channels, channels_7x7)`.
    pub fn new(c_in: usize, c7: usize, d: &Device) -> Self {
        let row = |a, b| basic(a, b, [1, 7], [0, 3], 1, 0.1, d);
        let col = |a, b| basic(a, b, [7, 1], [3, 0], 1, 0.1, d);
        Self {
            branch1x1: conv(c_in, 192, 1, 0, 1, d),
            branch7x7_1: conv(c_in, c7, 1, 0, 1, d),
            branch7x7_2: row(c7, c7),
            branch7x7_3: col(c7, 192),
            branch7x7dbl_1: conv(c_in, c7, 1, 0, 1, d),
            branch7x7dbl_2: col(c7, c7),
            branch7x7dbl_3: row(c7, c7),
            branch7x7dbl_4: col(c7, c7),
            branch7x7dbl_5: row(c7, 192),
            branch_pool: conv(c_in, 192, 1, 0, 1, d),
        }
    }

    /// The four branches, concatenated on channels.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let b1 = self.branch1x1.forward_relu(x.clone());
        let b7 = chain(
            &[&self.branch7x7_1, &self.branch7x7_2, &self.branch7x7_3],
            x.clone(),
        );
        let bd = chain(
            &[
                &self.branch7x7dbl_1,
                &self.branch7x7dbl_2,
                &self.branch7x7dbl_3,
                &self.branch7x7dbl_4,
                &self.branch7x7dbl_5,
            ],
            x.clone(),
        );
        let bp = self.branch_pool.forward_relu(avg3(x));
        Tensor::cat(vec![b1, b7, bd, bp], 1)
    }
}

/// 17 → 8 reduction: 1×1 → strided 3×3; 1×1 → 1×7 → 7×1 → strided 3×3; strided max-pool.
#[derive(Module, Debug)]
pub struct InceptionD {
    /// 1×1 to 192.
    pub branch3x3_1: ConvBn,
    /// Strided 3×3 to 320.
    pub branch3x3_2: ConvBn,
    /// 1×1 to 192.
    pub branch7x7x3_1: ConvBn,
    /// 1×7.
    pub branch7x7x3_2: ConvBn,
    /// 7×1.
    pub branch7x7x3_3: ConvBn,
    /// Strided 3×3.
    pub branch7x7x3_4: ConvBn,
}

impl InceptionD {
    /// torchvision's `InceptionD(in_channels)`.
    pub fn new(c_in: usize, d: &Device) -> Self {
        Self {
            branch3x3_1: conv(c_in, 192, 1, 0, 1, d),
            branch3x3_2: conv(192, 320, 3, 0, 2, d),
            branch7x7x3_1: conv(c_in, 192, 1, 0, 1, d),
            branch7x7x3_2: basic(192, 192, [1, 7], [0, 3], 1, 0.1, d),
            branch7x7x3_3: basic(192, 192, [7, 1], [3, 0], 1, 0.1, d),
            branch7x7x3_4: conv(192, 192, 3, 0, 2, d),
        }
    }

    /// The three branches, concatenated on channels.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let b3 = chain(&[&self.branch3x3_1, &self.branch3x3_2], x.clone());
        let b7 = chain(
            &[
                &self.branch7x7x3_1,
                &self.branch7x7x3_2,
                &self.branch7x7x3_3,
                &self.branch7x7x3_4,
            ],
            x.clone(),
        );
        Tensor::cat(vec![b3, b7, max3(x)], 1)
    }
}

/// 8×8 module whose 3×3 branches split into parallel 1×3 and 3×1 convolutions.
#[derive(Module, Debug)]
pub struct InceptionE {
    /// 1×1 to 320.
    pub branch1x1: ConvBn,
    /// 1×1 to 384.
    pub branch3x3_1: ConvBn,
    /// 1×3 to 384.
    pub branch3x3_2a: ConvBn,
    /// 3×1 to 384.
    pub branch3x3_2b: ConvBn,
    /// 1×1 to 448.
    pub branch3x3dbl_1: ConvBn,
    /// 3×3 to 384.
    pub branch3x3dbl_2: ConvBn,
    /// 1×3 to 384.
    pub branch3x3dbl_3a: ConvBn,
    /// 3×1 to 384.
    pub branch3x3dbl_3b: ConvBn,
    /// 1×1 after the pool, to 192.
    pub branch_pool: ConvBn,
}

impl InceptionE {
    /// torchvision's `InceptionE(in_channels)`.
    pub fn new(c_in: usize, d: &Device) -> Self {
        let row = |a, b| basic(a, b, [1, 3], [0, 1], 1, 0.1, d);
        let col = |a, b| basic(a, b, [3, 1], [1, 0], 1, 0.1, d);
        Self {
            branch1x1: conv(c_in, 320, 1, 0, 1, d),
            branch3x3_1: conv(c_in, 384, 1, 0, 1, d),
            branch3x3_2a: row(384, 384),
            branch3x3_2b: col(384, 384),
            branch3x3dbl_1: conv(c_in, 448, 1, 0, 1, d),
            branch3x3dbl_2: conv(448, 384, 3, 1, 1, d),
            branch3x3dbl_3a: row(384, 384),
            branch3x3dbl_3b: col(384, 384),
            branch_pool: conv(c_in, 192, 1, 0, 1, d),
        }
    }

    /// The four branches (two of them split in two), concatenated on channels.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let b1 = self.branch1x1.forward_relu(x.clone());
        let b3 = self.branch3x3_1.forward_relu(x.clone());
        let b3 = Tensor::cat(
            vec![
                self.branch3x3_2a.forward_relu(b3.clone()),
                self.branch3x3_2b.forward_relu(b3),
            ],
            1,
        );
        let bd = chain(&[&self.branch3x3dbl_1, &self.branch3x3dbl_2], x.clone());
        let bd = Tensor::cat(
            vec![
                self.branch3x3dbl_3a.forward_relu(bd.clone()),
                self.branch3x3dbl_3b.forward_relu(bd),
            ],
            1,
        );
        let bp = self.branch_pool.forward_relu(avg3(x));
        Tensor::cat(vec![b1, b3, bd, bp], 1)
    }
}

/// The auxiliary classifier on `Mixed_6e` (training only): 5×5 stride-3 average pool, 1×1 to
/// 128, 5×5 to 768, global pool, `fc`.
#[derive(Module, Debug)]
pub struct InceptionAux {
    /// 1×1 to 128.
    pub conv0: ConvBn,
    /// 5×5 to 768 (`stddev` 0.01).
    pub conv1: ConvBn,
    /// 768 → classes (`stddev` 0.001).
    pub fc: Linear,
    /// The 5×5 stride-3 average pool; no weights.
    pub pool: AvgPool2d,
}

impl InceptionAux {
    /// torchvision's `InceptionAux(in_channels, num_classes)`.
    pub fn new(c_in: usize, num_classes: usize, d: &Device) -> Self {
        Self {
            conv0: conv(c_in, 128, 1, 0, 1, d),
            conv1: basic(128, 768, [5, 5], [0, 0], 1, 0.01, d),
            fc: linear_normal(768, num_classes, 0.001, d),
            pool: AvgPool2dConfig::new([5, 5]).with_strides([3, 3]).init(),
        }
    }

    /// `[n, 768, 17, 17]` → `[n, classes]`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let x = engine::avg_pool(&self.pool, x);
        let x = self.conv1.forward_relu(self.conv0.forward_relu(x));
        engine::linear(&self.fc, global_avg_pool(x), false)
    }
}

macro_rules! fuse_fields {
    ($($ty:ident { $($f:ident),* })*) => {$(
        impl Fuse for $ty {
            fn fuse(&mut self) {
                $(self.$f.fuse();)*
            }
        }
    )*};
}

fuse_fields! {
    InceptionA { branch1x1, branch5x5_1, branch5x5_2, branch3x3dbl_1, branch3x3dbl_2,
        branch3x3dbl_3, branch_pool }
    InceptionB { branch3x3, branch3x3dbl_1, branch3x3dbl_2, branch3x3dbl_3 }
    InceptionC { branch1x1, branch7x7_1, branch7x7_2, branch7x7_3, branch7x7dbl_1,
        branch7x7dbl_2, branch7x7dbl_3, branch7x7dbl_4, branch7x7dbl_5, branch_pool }
    InceptionD { branch3x3_1, branch3x3_2, branch7x7x3_1, branch7x7x3_2, branch7x7x3_3,
        branch7x7x3_4 }
    InceptionE { branch1x1, branch3x3_1, branch3x3_2a, branch3x3_2b, branch3x3dbl_1,
        branch3x3dbl_2, branch3x3dbl_3a, branch3x3dbl_3b, branch_pool }
    InceptionAux { conv0, conv1 }
}
