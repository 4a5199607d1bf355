//! Inception-v4 (Szegedy et al. 2017, "Inception-v4, Inception-ResNet and the Impact of
//! Residual Connections on Learning") as timm's `inception_v4` (Cadene's port of Google's
//! TensorFlow weights): a deeper, uniform stem of mixed modules, then 4 × Inception-A, a
//! reduction, 7 × Inception-B, a reduction, 3 × Inception-C. Fields are timm's state-dict keys;
//! timm's `branch3` pool-then-conv `nn.Sequential` holds its convolution at `branch3.1`, here
//! `branch3` (a one-line key map).

use burn::module::Module;
use burn::nn::Linear;
use burn::tensor::{Device, Tensor};
use zoo_blocks::{ConvBn, Fuse, linear};

use crate::tf::{BN_EPS, avg3, chain, cna, max3, sq};
use zoo_model::{Classifier, FeatureInfo, Head, HeadMut, Stages};
use zoo_weights::{KeyMap, ZooModel};

/// timm's pool branch `branch3 = nn.Sequential(AvgPool2d, ConvNormAct)`: the convolution is
/// `branch3` here.
pub const KEY_MAP: KeyMap = &[(r"\.branch3\.1\.", ".branch3.")];

/// 64 → 160: a strided max-pool beside a strided 3×3 convolution.
#[derive(Module, Debug)]
pub struct Mixed3a {
    /// Strided 3×3 to 96.
    pub conv: ConvBn,
}

/// 160 → 192: 1×1 → 3×3 beside 1×1 → 1×7 → 7×1 → 3×3.
#[derive(Module, Debug)]
pub struct Mixed4a {
    /// 1×1 to 64, 3×3 to 96.
    pub branch0: Vec<ConvBn>,
    /// 1×1 to 64, 1×7, 7×1, 3×3 to 96.
    pub branch1: Vec<ConvBn>,
}

/// 192 → 384: a strided 3×3 convolution beside a strided max-pool.
#[derive(Module, Debug)]
pub struct Mixed5a {
    /// Strided 3×3 to 192.
    pub conv: ConvBn,
}

/// 35×35, 384 → 384: 1×1; 1×1 → 3×3; 1×1 → 3×3 → 3×3; average pool → 1×1 (96 each).
#[derive(Module, Debug)]
pub struct InceptionA {
    /// 1×1 to 96.
    pub branch0: ConvBn,
    /// 1×1 to 64, 3×3 to 96.
    pub branch1: Vec<ConvBn>,
    /// 1×1 to 64, 3×3 to 96, 3×3 to 96.
    pub branch2: Vec<ConvBn>,
    /// 1×1 to 96 after the average pool.
    pub branch3: ConvBn,
}

/// 35 → 17, 384 → 1024: strided 3×3; 1×1 → 3×3 → strided 3×3; strided max-pool.
#[derive(Module, Debug)]
pub struct ReductionA {
    /// Strided 3×3 to 384.
    pub branch0: ConvBn,
    /// 1×1 to 192, 3×3 to 224, strided 3×3 to 256.
    pub branch1: Vec<ConvBn>,
}

/// 17×17, 1024 → 1024, factorised 7×7 convolutions.
#[derive(Module, Debug)]
pub struct InceptionB {
    /// 1×1 to 384.
    pub branch0: ConvBn,
    /// 1×1 to 192, 1×7 to 224, 7×1 to 256.
    pub branch1: Vec<ConvBn>,
    /// 1×1 to 192, 7×1, 1×7 to 224, 7×1, 1×7 to 256.
    pub branch2: Vec<ConvBn>,
    /// 1×1 to 128 after the average pool.
    pub branch3: ConvBn,
}

/// 17 → 8, 1024 → 1536: 1×1 → strided 3×3; 1×1 → 1×7 → 7×1 → strided 3×3; strided max-pool.
#[derive(Module, Debug)]
pub struct ReductionB {
    /// 1×1 to 192, strided 3×3 to 192.
    pub branch0: Vec<ConvBn>,
    /// 1×1 to 256, 1×7, 7×1 to 320, strided 3×3.
    pub branch1: Vec<ConvBn>,
}

/// 8×8, 1536 → 1536, with branches that split into 1×3 and 3×1 halves.
#[derive(Module, Debug)]
pub struct InceptionC {
    /// 1×1 to 256.
    pub branch0: ConvBn,
    /// 1×1 to 384.
    pub branch1_0: ConvBn,
    /// 1×3 to 256.
    pub branch1_1a: ConvBn,
    /// 3×1 to 256.
    pub branch1_1b: ConvBn,
    /// 1×1 to 384.
    pub branch2_0: ConvBn,
    /// 3×1 to 448.
    pub branch2_1: ConvBn,
    /// 1×3 to 512.
    pub branch2_2: ConvBn,
    /// 1×3 to 256.
    pub branch2_3a: ConvBn,
    /// 3×1 to 256.
    pub branch2_3b: ConvBn,
    /// 1×1 to 256 after the average pool.
    pub branch3: ConvBn,
}

/// One entry of timm's `features`.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Feature {
    /// A stem convolution.
    Conv(ConvBn),
    /// `Mixed3a`.
    Mixed3a(Mixed3a),
    /// `Mixed4a`.
    Mixed4a(Mixed4a),
    /// `Mixed5a`.
    Mixed5a(Mixed5a),
    /// Inception-A.
    A(InceptionA),
    /// Reduction-A.
    ReductionA(ReductionA),
    /// Inception-B.
    B(InceptionB),
    /// Reduction-B.
    ReductionB(ReductionB),
    /// Inception-C.
    C(InceptionC),
}

impl Feature {
    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let cat = |v| Tensor::cat(v, 1);
        match self {
            Feature::Conv(c) => c.forward_relu(x),
            Feature::Mixed3a(m) => cat(vec![max3(x.clone()), m.conv.forward_relu(x)]),
            Feature::Mixed4a(m) => cat(vec![chain(&m.branch0, x.clone()), chain(&m.branch1, x)]),
            Feature::Mixed5a(m) => cat(vec![m.conv.forward_relu(x.clone()), max3(x)]),
            Feature::A(m) => cat(vec![
                m.branch0.forward_relu(x.clone()),
                chain(&m.branch1, x.clone()),
                chain(&m.branch2, x.clone()),
                m.branch3.forward_relu(avg3(x)),
            ]),
            Feature::ReductionA(m) => cat(vec![
                m.branch0.forward_relu(x.clone()),
                chain(&m.branch1, x.clone()),
                max3(x),
            ]),
            Feature::B(m) => cat(vec![
                m.branch0.forward_relu(x.clone()),
                chain(&m.branch1, x.clone()),
                chain(&m.branch2, x.clone()),
                m.branch3.forward_relu(avg3(x)),
            ]),
            Feature::ReductionB(m) => cat(vec![
                chain(&m.branch0, x.clone()),
                chain(&m.branch1, x.clone()),
                max3(x),
            ]),
            Feature::C(m) => {
                let b1 = m.branch1_0.forward_relu(x.clone());
                let b1 = cat(vec![
                    m.branch1_1a.forward_relu(b1.clone()),
                    m.branch1_1b.forward_relu(b1),
                ]);
                let b2 = m.branch2_0.forward_relu(x.clone());
                let b2 = m.branch2_2.forward_relu(m.branch2_1.forward_relu(b2));
                let b2 = cat(vec![
                    m.branch2_3a.forward_relu(b2.clone()),
                    m.branch2_3b.forward_relu(b2),
                ]);
                cat(vec![
                    m.branch0.forward_relu(x.clone()),
                    b1,
                    b2,
                    m.branch3.forward_relu(avg3(x)),
                ])
            }
        }
    }

    fn convs(&mut self) -> Vec<&mut ConvBn> {
        match self {
            Feature::Conv(c) => vec![c],
            Feature::Mixed3a(m) => vec![&mut m.conv],
            Feature::Mixed5a(m) => vec![&mut m.conv],
            Feature::Mixed4a(m) => m.branch0.iter_mut().chain(&mut m.branch1).collect(),
            Feature::A(m) => {
                let mut v = vec![&mut m.branch0, &mut m.branch3];
                v.extend(m.branch1.iter_mut().chain(&mut m.branch2));
                v
            }
            Feature::ReductionA(m) => {
                let mut v = vec![&mut m.branch0];
                v.extend(&mut m.branch1);
                v
            }
            Feature::B(m) => {
                let mut v = vec![&mut m.branch0, &mut m.branch3];
                v.extend(m.branch1.iter_mut().chain(&mut m.branch2));
                v
            }
            Feature::ReductionB(m) => m.branch0.iter_mut().chain(&mut m.branch1).collect(),
            Feature::C(m) => vec![
                &mut m.branch0,
                &mut m.branch1_0,
                &mut m.branch1_1a,
                &mut m.branch1_1b,
                &mut m.branch2_0,
                &mut m.branch2_1,
                &mut m.branch2_2,
                &mut m.branch2_3a,
                &mut m.branch2_3b,
                &mut m.branch3,
            ],
        }
    }
}

/// timm's `InceptionV4`: `features`, global average pooling, `last_linear`.
#[derive(Module, Debug)]
pub struct InceptionV4 {
    /// timm's `features.0` … `features.21`.
    pub features: Vec<Feature>,
    /// 1536 → classes.
    pub last_linear: Linear,
}

/// The `features` entries timm takes as stages, with their channels and reductions.
const STAGES: [(usize, usize, usize); 5] = [
    (2, 64, 2),
    (3, 160, 4),
    (9, 384, 8),
    (17, 1024, 16),
    (21, 1536, 32),
];

impl InceptionV4 {
    /// timm's `InceptionV4(num_classes)`, PyTorch's default initialisation.
    pub fn new(num_classes: usize, d: &Device) -> Self {
        let row = |a, b| cna(a, b, [1, 7], [0, 3], 1, d);
        let col = |a, b| cna(a, b, [7, 1], [3, 0], 1, d);
        let mut features = vec![
            Feature::Conv(sq(3, 32, 3, 0, 2, d)),
            Feature::Conv(sq(32, 32, 3, 0, 1, d)),
            Feature::Conv(sq(32, 64, 3, 1, 1, d)),
            Feature::Mixed3a(Mixed3a {
                conv: sq(64, 96, 3, 0, 2, d),
            }),
            Feature::Mixed4a(Mixed4a {
                branch0: vec![sq(160, 64, 1, 0, 1, d), sq(64, 96, 3, 0, 1, d)],
                branch1: vec![
                    sq(160, 64, 1, 0, 1, d),
                    row(64, 64),
                    col(64, 64),
                    sq(64, 96, 3, 0, 1, d),
                ],
            }),
            Feature::Mixed5a(Mixed5a {
                conv: sq(192, 192, 3, 0, 2, d),
            }),
        ];
        features.extend((0..4).map(|_| {
            Feature::A(InceptionA {
                branch0: sq(384, 96, 1, 0, 1, d),
                branch1: vec![sq(384, 64, 1, 0, 1, d), sq(64, 96, 3, 1, 1, d)],
                branch2: vec![
                    sq(384, 64, 1, 0, 1, d),
                    sq(64, 96, 3, 1, 1, d),
                    sq(96, 96, 3, 1, 1, d),
                ],
                branch3: sq(384, 96, 1, 0, 1, d),
            })
        }));
        features.push(Feature::ReductionA(ReductionA {
            branch0: sq(384, 384, 3, 0, 2, d),
            branch1: vec![
                sq(384, 192, 1, 0, 1, d),
                sq(192, 224, 3, 1, 1, d),
                sq(224, 256, 3, 0, 2, d),
            ],
        }));
        features.extend((0..7).map(|_| {
            Feature::B(InceptionB {
                branch0: sq(1024, 384, 1, 0, 1, d),
                branch1: vec![sq(1024, 192, 1, 0, 1, d), row(192, 224), col(224, 256)],
                branch2: vec![
                    sq(1024, 192, 1, 0, 1, d),
                    col(192, 192),
                    row(192, 224),
                    col(224, 224),
                    row(224, 256),
                ],
                branch3: sq(1024, 128, 1, 0, 1, d),
            })
        }));
        features.push(Feature::ReductionB(ReductionB {
            branch0: vec![sq(1024, 192, 1, 0, 1, d), sq(192, 192, 3, 0, 2, d)],
            branch1: vec![
                sq(1024, 256, 1, 0, 1, d),
                row(256, 256),
                col(256, 320),
                sq(320, 320, 3, 0, 2, d),
            ],
        }));
        let h = |a, b| cna(a, b, [1, 3], [0, 1], 1, d);
        let v = |a, b| cna(a, b, [3, 1], [1, 0], 1, d);
        features.extend((0..3).map(|_| {
            Feature::C(InceptionC {
                branch0: sq(1536, 256, 1, 0, 1, d),
                branch1_0: sq(1536, 384, 1, 0, 1, d),
                branch1_1a: h(384, 256),
                branch1_1b: v(384, 256),
                branch2_0: sq(1536, 384, 1, 0, 1, d),
                branch2_1: v(384, 448),
                branch2_2: h(448, 512),
                branch2_3a: h(512, 256),
                branch2_3b: v(512, 256),
                branch3: sq(1536, 256, 1, 0, 1, d),
            })
        }));
        Self {
            features,
            last_linear: linear(1536, num_classes, d),
        }
    }
}

impl Classifier for InceptionV4 {
    fn forward_features(&self, x: Tensor<4>) -> Tensor<4> {
        self.features.iter().fold(x, |x, f| f.forward(x))
    }

    fn head(&self) -> Head<'_> {
        Head::Linear(&self.last_linear)
    }

    fn head_mut(&mut self) -> HeadMut<'_> {
        HeadMut::Linear(&mut self.last_linear)
    }

    /// timm's: `features.2`, `.3`, `.9`, `.17`, `.21`.
    fn feature_info(&self) -> Vec<FeatureInfo> {
        STAGES
            .iter()
            .map(|&(i, c, r)| FeatureInfo::new(format!("features.{i}"), c, r))
            .collect()
    }

    fn run_stages(&self, mut x: Tensor<4>, stages: &mut Stages) {
        for (i, f) in self.features.iter().enumerate() {
            x = f.forward(x);
            if let Some(k) = STAGES.iter().position(|s| s.0 == i)
                && !stages.offer(k, &x)
            {
                return;
            }
        }
    }
}

impl ZooModel for InceptionV4 {
    const BATCH_NORM_EPS: f64 = BN_EPS;

    fn variant(&self) -> &str {
        "inception_v4"
    }

    fn key_map() -> KeyMap {
        KEY_MAP
    }
}

impl Fuse for InceptionV4 {
    fn fuse(&mut self) {
        for f in &mut self.features {
            f.convs().into_iter().for_each(Fuse::fuse);
        }
    }
}

/// Inception-v4 as timm's `inception_v4` (42,679,816 parameters at 1,000 classes).
pub fn inception_v4(num_classes: usize, device: &Device) -> InceptionV4 {
    InceptionV4::new(num_classes, device)
}
