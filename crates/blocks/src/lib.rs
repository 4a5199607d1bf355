//! Building blocks shared by the burn-zoo model families.
//!
//! Everything that two families would otherwise write twice lives here: convolutions with
//! torchvision's initialisation, conv + BatchNorm pairs, the residual blocks of ResNet, ResNeXt
//! and Wide-ResNet, separable and transposed convolutions, `nn.Sequential` stand-ins, classifier heads and
//! ImageNet normalisation. Image decoding and preprocessing live in `zoo-vision`.
//!
//! ```
//! use burn::tensor::{Device, Tensor};
//! use zoo_blocks::{BlockConfig, BlockKind, ShortcutKind};
//! let device = Device::default();
//! // ResNet-50's first stage: three bottlenecks, 64 → 256 channels.
//! let cfg = BlockConfig {
//!     kind: BlockKind::Bottleneck,
//!     in_channels: 64,
//!     planes: 64,
//!     stride: 1,
//!     groups: 1,
//!     base_width: 64,
//!     shortcut: ShortcutKind::Projection,
//!     se: false,
//! };
//! let stage = cfg.stage(3, &device);
//! let x = stage.iter().fold(Tensor::zeros([1, 64, 8, 8], &device), |x, b| b.forward(x));
//! assert_eq!(x.dims(), [1, 256, 8, 8]);
//! ```

#![warn(missing_docs)]

pub mod bilinear;
pub mod conv;
pub mod deconv;
pub mod depth;
pub mod engine;
pub mod head;
pub mod highway;
pub mod norm;
pub mod preact;
pub mod preprocess;
pub mod residual;
pub mod se;
pub mod separable;
pub mod sequential;
pub mod shortcut;

pub use bilinear::{BilinearHead, bilinear_pool};
pub use burn;
pub use conv::{ConvBn, ConvInit, ConvSpec, batch_norm, conv1x1, conv2d, conv3x3};
pub use deconv::DeconvSpec;
pub use depth::{StochasticDepth, linear_decay};
pub use engine::conv_fused;
pub use head::{global_avg_pool, linear, linear_dims, linear_normal, reset_conv1x1, reset_linear};
pub use highway::{GATE_BIAS, HighwayConv, HighwayLinear, he_linear};
pub use norm::{BatchNorm, Fuse, fold};
pub use preact::{PreActBlock, PreActBottleneck, PreActUnit};
pub use preprocess::{
    IMAGENET_MEAN, IMAGENET_STD, INCEPTION_MEAN, INCEPTION_STD, normalize, transform_input,
};
pub use residual::{BasicBlock, Block, BlockConfig, BlockKind, Bottleneck};
pub use se::SqueezeExcite;
pub use separable::SeparableConv2d;
pub use sequential::{HeadLayer, Layer, max_pool, sequential, sequential_head};
pub use shortcut::{Shortcut, ShortcutKind, ZeroPadShortcut};
