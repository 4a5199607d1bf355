//! Inception-ResNet-v2 (Szegedy et al. 2017) as timm's `inception_resnet_v2` (Cadene's port of
//! Google's TensorFlow weights): the Inception stem, then Inception modules whose concatenated
//! branches are projected back by a 1×1 convolution, scaled down (0.17, 0.10, 0.20) and added to
//! their input — the course's "residual links in Inception". Fields are timm's state-dict keys
//! (`repeat`, `repeat_1`, `repeat_2` as `Vec`s); the pool branch's convolution `branch3.1` is
//! `branch3` here, as in Inception-v4.

use burn::module::Module;
use burn::nn::Linear;
use burn::nn::conv::Conv2d;
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};
use zoo_blocks::{ConvBn, ConvInit, ConvSpec, Fuse, engine, linear};
use zoo_model::{Classifier, FeatureInfo, Head, HeadMut, Stages};
use zoo_weights::{KeyMap, ZooModel};

use crate::tf::{BN_EPS, avg3, chain, cna, max3, sq};

/// timm's pool branch `branch3 = nn.Sequential(AvgPool2d, ConvNormAct)`: the convolution is
/// `branch3` here.
pub const KEY_MAP: KeyMap = &[(r"\.branch3\.1\.", ".branch3.")];

/// The projection back to the block's width: a 1×1 convolution with bias.
fn up(c_in: usize, c_out: usize, d: &Device) -> Conv2d {
    ConvSpec::new(c_in, c_out, 1)
        .bias(true)
        .init(ConvInit::Default)
        .build(d)
}

/// `relu(x + scale · conv2d(cat(branches)))` (no ReLU for the last Block8).
fn residual(
    x: Tensor<4>,
    branches: Vec<Tensor<4>>,
    conv2d: &Conv2d,
    scale: f32,
    act: bool,
) -> Tensor<4> {
    let out = engine::conv(conv2d, Tensor::cat(branches, 1)).mul_scalar(scale) + x;
    if act { relu(out) } else { out }
}

/// 35×35, 192 → 320: 1×1; 1×1 → 5×5; 1×1 → 3×3 → 3×3; average pool → 1×1.
#[derive(Module, Debug)]
pub struct Mixed5b {
    /// 1×1 to 96.
    pub branch0: ConvBn,
    /// 1×1 to 48, 5×5 to 64.
    pub branch1: Vec<ConvBn>,
    /// 1×1 to 64, 3×3 to 96, 3×3 to 96.
    pub branch2: Vec<ConvBn>,
    /// 1×1 to 64 after the average pool.
    pub branch3: ConvBn,
}

/// 35×35 residual Inception block (320 maps), scaled 0.17.
#[derive(Module, Debug)]
pub struct Block35 {
    /// 1×1 to 32.
    pub branch0: ConvBn,
    /// 1×1 to 32, 3×3 to 32.
    pub branch1: Vec<ConvBn>,
    /// 1×1 to 32, 3×3 to 48, 3×3 to 64.
    pub branch2: Vec<ConvBn>,
    /// 1×1, 128 → 320, with bias.
    pub conv2d: Conv2d,
}

/// 35 → 17, 320 → 1088: strided 3×3; 1×1 → 3×3 → strided 3×3; strided max-pool.
#[derive(Module, Debug)]
pub struct Mixed6a {
    /// Strided 3×3 to 384.
    pub branch0: ConvBn,
    /// 1×1 to 256, 3×3 to 256, strided 3×3 to 384.
    pub branch1: Vec<ConvBn>,
}

/// 17×17 residual Inception block (1088 maps) with a factorised 7×7, scaled 0.10.
#[derive(Module, Debug)]
pub struct Block17 {
    /// 1×1 to 192.
    pub branch0: ConvBn,
    /// 1×1 to 128, 1×7 to 160, 7×1 to 192.
    pub branch1: Vec<ConvBn>,
    /// 1×1, 384 → 1088, with bias.
    pub conv2d: Conv2d,
}

/// 17 → 8, 1088 → 2080: three convolution branches and a strided max-pool.
#[derive(Module, Debug)]
pub struct Mixed7a {
    /// 1×1 to 256, strided 3×3 to 384.
    pub branch0: Vec<ConvBn>,
    /// 1×1 to 256, strided 3×3 to 288.
    pub branch1: Vec<ConvBn>,
    /// 1×1 to 256, 3×3 to 288, strided 3×3 to 320.
    pub branch2: Vec<ConvBn>,
}

/// 8×8 residual Inception block (2080 maps) with a factorised 3×3, scaled 0.20 (1.0 and no
/// ReLU for the last, `block8`).
#[derive(Module, Debug)]
pub struct Block8 {
    /// 1×1 to 192.
    pub branch0: ConvBn,
    /// 1×1 to 192, 1×3 to 224, 3×1 to 256.
    pub branch1: Vec<ConvBn>,
    /// 1×1, 448 → 2080, with bias.
    pub conv2d: Conv2d,
}

impl Mixed5b {
    fn new(d: &Device) -> Self {
        Self {
            branch0: sq(192, 96, 1, 0, 1, d),
            branch1: vec![sq(192, 48, 1, 0, 1, d), sq(48, 64, 5, 2, 1, d)],
            branch2: vec![
                sq(192, 64, 1, 0, 1, d),
                sq(64, 96, 3, 1, 1, d),
                sq(96, 96, 3, 1, 1, d),
            ],
            branch3: sq(192, 64, 1, 0, 1, d),
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        Tensor::cat(
            vec![
                self.branch0.forward_relu(x.clone()),
                chain(&self.branch1, x.clone()),
                chain(&self.branch2, x.clone()),
                self.branch3.forward_relu(avg3(x)),
            ],
            1,
        )
    }
}

impl Block35 {
    fn new(d: &Device) -> Self {
        Self {
            branch0: sq(320, 32, 1, 0, 1, d),
            branch1: vec![sq(320, 32, 1, 0, 1, d), sq(32, 32, 3, 1, 1, d)],
            branch2: vec![
                sq(320, 32, 1, 0, 1, d),
                sq(32, 48, 3, 1, 1, d),
                sq(48, 64, 3, 1, 1, d),
            ],
            conv2d: up(128, 320, d),
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let branches = vec![
            self.branch0.forward_relu(x.clone()),
            chain(&self.branch1, x.clone()),
            chain(&self.branch2, x.clone()),
        ];
        residual(x, branches, &self.conv2d, 0.17, true)
    }
}

impl Mixed6a {
    fn new(d: &Device) -> Self {
        Self {
            branch0: sq(320, 384, 3, 0, 2, d),
            branch1: vec![
                sq(320, 256, 1, 0, 1, d),
                sq(256, 256, 3, 1, 1, d),
                sq(256, 384, 3, 0, 2, d),
            ],
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        Tensor::cat(
            vec![
                self.branch0.forward_relu(x.clone()),
                chain(&self.branch1, x.clone()),
                max3(x),
            ],
            1,
        )
    }
}

impl Block17 {
    fn new(d: &Device) -> Self {
        Self {
            branch0: sq(1088, 192, 1, 0, 1, d),
            branch1: vec![
                sq(1088, 128, 1, 0, 1, d),
                cna(128, 160, [1, 7], [0, 3], 1, d),
                cna(160, 192, [7, 1], [3, 0], 1, d),
            ],
            conv2d: up(384, 1088, d),
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let branches = vec![
            self.branch0.forward_relu(x.clone()),
            chain(&self.branch1, x.clone()),
        ];
        residual(x, branches, &self.conv2d, 0.10, true)
    }
}

impl Mixed7a {
    fn new(d: &Device) -> Self {
        Self {
            branch0: vec![sq(1088, 256, 1, 0, 1, d), sq(256, 384, 3, 0, 2, d)],
            branch1: vec![sq(1088, 256, 1, 0, 1, d), sq(256, 288, 3, 0, 2, d)],
            branch2: vec![
                sq(1088, 256, 1, 0, 1, d),
                sq(256, 288, 3, 1, 1, d),
                sq(288, 320, 3, 0, 2, d),
            ],
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        Tensor::cat(
            vec![
                chain(&self.branch0, x.clone()),
                chain(&self.branch1, x.clone()),
                chain(&self.branch2, x.clone()),
                max3(x),
            ],
            1,
        )
    }
}

impl Block8 {
    fn new(d: &Device) -> Self {
        Self {
            branch0: sq(2080, 192, 1, 0, 1, d),
            branch1: vec![
                sq(2080, 192, 1, 0, 1, d),
                cna(192, 224, [1, 3], [0, 1], 1, d),
                cna(224, 256, [3, 1], [1, 0], 1, d),
            ],
            conv2d: up(448, 2080, d),
        }
    }

    fn forward(&self, x: Tensor<4>, scale: f32, act: bool) -> Tensor<4> {
        let branches = vec![
            self.branch0.forward_relu(x.clone()),
            chain(&self.branch1, x.clone()),
        ];
        residual(x, branches, &self.conv2d, scale, act)
    }
}

/// timm's `InceptionResnetV2`.
#[derive(Module, Debug)]
pub struct InceptionResNetV2 {
    /// Strided 3×3 to 32.
    pub conv2d_1a: ConvBn,
    /// 3×3 to 32.
    pub conv2d_2a: ConvBn,
    /// Padded 3×3 to 64, then a strided max-pool.
    pub conv2d_2b: ConvBn,
    /// 1×1 to 80.
    pub conv2d_3b: ConvBn,
    /// 3×3 to 192, then a strided max-pool.
    pub conv2d_4a: ConvBn,
    /// 192 → 320.
    pub mixed_5b: Mixed5b,
    /// Ten 35×35 residual blocks.
    pub repeat: Vec<Block35>,
    /// 320 → 1088, 35 → 17.
    pub mixed_6a: Mixed6a,
    /// Twenty 17×17 residual blocks.
    pub repeat_1: Vec<Block17>,
    /// 1088 → 2080, 17 → 8.
    pub mixed_7a: Mixed7a,
    /// Nine 8×8 residual blocks.
    pub repeat_2: Vec<Block8>,
    /// The last 8×8 block: scale 1, no ReLU.
    pub block8: Block8,
    /// 1×1, 2080 → 1536.
    pub conv2d_7b: ConvBn,
    /// 1536 → classes.
    pub classif: Linear,
}

impl InceptionResNetV2 {
    /// timm's `InceptionResnetV2(num_classes)`, PyTorch's default initialisation.
    pub fn new(num_classes: usize, d: &Device) -> Self {
        Self {
            conv2d_1a: sq(3, 32, 3, 0, 2, d),
            conv2d_2a: sq(32, 32, 3, 0, 1, d),
            conv2d_2b: sq(32, 64, 3, 1, 1, d),
            conv2d_3b: sq(64, 80, 1, 0, 1, d),
            conv2d_4a: sq(80, 192, 3, 0, 1, d),
            mixed_5b: Mixed5b::new(d),
            repeat: (0..10).map(|_| Block35::new(d)).collect(),
            mixed_6a: Mixed6a::new(d),
            repeat_1: (0..20).map(|_| Block17::new(d)).collect(),
            mixed_7a: Mixed7a::new(d),
            repeat_2: (0..9).map(|_| Block8::new(d)).collect(),
            block8: Block8::new(d),
            conv2d_7b: sq(2080, 1536, 1, 0, 1, d),
            classif: linear(1536, num_classes, d),
        }
    }
}

impl Classifier for InceptionResNetV2 {
    fn forward_features(&self, x: Tensor<4>) -> Tensor<4> {
        let mut stages = Stages::new(&[4]);
        self.run_stages(x, &mut stages);
        stages.into_maps().remove(0)
    }

    fn head(&self) -> Head<'_> {
        Head::Linear(&self.classif)
    }

    fn head_mut(&mut self) -> HeadMut<'_> {
        HeadMut::Linear(&mut self.classif)
    }

    /// timm's: `conv2d_2b`, `conv2d_4a`, `repeat`, `repeat_1`, `conv2d_7b`.
    fn feature_info(&self) -> Vec<FeatureInfo> {
        vec![
            FeatureInfo::new("conv2d_2b", 64, 2),
            FeatureInfo::new("conv2d_4a", 192, 4),
            FeatureInfo::new("repeat", 320, 8),
            FeatureInfo::new("repeat_1", 1088, 16),
            FeatureInfo::new("conv2d_7b", self.num_features(), 32),
        ]
    }

    fn run_stages(&self, x: Tensor<4>, s: &mut Stages) {
        let x = self.conv2d_1a.forward_relu(x);
        let x = self.conv2d_2b.forward_relu(self.conv2d_2a.forward_relu(x));
        if !s.offer(0, &x) {
            return;
        }
        let x = self
            .conv2d_4a
            .forward_relu(self.conv2d_3b.forward_relu(max3(x)));
        if !s.offer(1, &x) {
            return;
        }
        let x = self.mixed_5b.forward(max3(x));
        let x = self.repeat.iter().fold(x, |x, b| b.forward(x));
        if !s.offer(2, &x) {
            return;
        }
        let x = self.mixed_6a.forward(x);
        let x = self.repeat_1.iter().fold(x, |x, b| b.forward(x));
        if !s.offer(3, &x) {
            return;
        }
        let x = self.mixed_7a.forward(x);
        let x = self
            .repeat_2
            .iter()
            .fold(x, |x, b| b.forward(x, 0.20, true));
        let x = self.block8.forward(x, 1.0, false);
        s.offer(4, &self.conv2d_7b.forward_relu(x));
    }
}

impl ZooModel for InceptionResNetV2 {
    const BATCH_NORM_EPS: f64 = BN_EPS;

    fn variant(&self) -> &str {
        "inception_resnet_v2"
    }

    fn key_map() -> KeyMap {
        KEY_MAP
    }
}

impl Fuse for InceptionResNetV2 {
    fn fuse(&mut self) {
        let Self {
            conv2d_1a,
            conv2d_2a,
            conv2d_2b,
            conv2d_3b,
            conv2d_4a,
            mixed_5b: m5,
            repeat,
            mixed_6a: m6,
            repeat_1,
            mixed_7a: m7,
            repeat_2,
            block8,
            conv2d_7b,
            ..
        } = self;
        let mut convs = vec![
            conv2d_1a, conv2d_2a, conv2d_2b, conv2d_3b, conv2d_4a, conv2d_7b,
        ];
        convs.extend([&mut m5.branch0, &mut m5.branch3, &mut m6.branch0]);
        convs.extend(m5.branch1.iter_mut().chain(&mut m5.branch2));
        convs.extend(&mut m6.branch1);
        convs.extend(
            m7.branch0
                .iter_mut()
                .chain(&mut m7.branch1)
                .chain(&mut m7.branch2),
        );
        for b in repeat {
            convs.push(&mut b.branch0);
            convs.extend(b.branch1.iter_mut().chain(&mut b.branch2));
        }
        for b in repeat_1 {
            convs.push(&mut b.branch0);
            convs.extend(&mut b.branch1);
        }
        for b in repeat_2.iter_mut().chain(std::iter::once(block8)) {
            convs.push(&mut b.branch0);
            convs.extend(&mut b.branch1);
        }
        convs.into_iter().for_each(Fuse::fuse);
    }
}

/// Inception-ResNet-v2 as timm's `inception_resnet_v2` (55,843,464 parameters at 1,000
/// classes).
pub fn inception_resnet_v2(num_classes: usize, device: &Device) -> InceptionResNetV2 {
    InceptionResNetV2::new(num_classes, device)
}
