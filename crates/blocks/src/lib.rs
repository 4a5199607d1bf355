//! Building blocks shared by the burn-zoo model families.
//!
//! Everything that two families would otherwise write twice lives here: convolutions with
//! torchvision's initialisation, conv + BatchNorm pairs, the residual blocks of ResNet, ResNeXt
//! and Wide-ResNet, the global-pool classifier head and ImageNet normalisation.

pub mod conv;
pub mod head;
pub mod image;
pub mod preact;
pub mod preprocess;
pub mod residual;
pub mod shortcut;

pub use burn;
pub use conv::{ConvBn, batch_norm, conv1x1, conv2d, conv3x3};
pub use head::{global_avg_pool, linear};
pub use image::{ImageError, load_grey};
pub use preact::{PreActBlock, PreActBottleneck, PreActUnit};
pub use preprocess::{IMAGENET_MEAN, IMAGENET_STD, normalize};
pub use residual::{BasicBlock, Block, BlockConfig, BlockKind, Bottleneck};
pub use shortcut::{Shortcut, ShortcutKind, ZeroPadShortcut};
