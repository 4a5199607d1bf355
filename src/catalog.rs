//! Every variant of the zoo by name, for the command line and the zoo-level tests.

use burn::tensor::{Device, Tensor};
use std::path::Path;
use zoo_alexnet::AlexNet;
use zoo_blocks::Fuse;
use zoo_densenet::{CifarDenseNet, DenseNet};
use zoo_googlenet::GoogLeNet;
use zoo_lenet::LeNet;
use zoo_resnet::{CifarResNet, PreActResNet, ResNet};
use zoo_vgg::Vgg;
use zoo_weights::{ImportOptions, LoadError, LoadReport, ZooModel};
use zoo_xception::Xception;

/// A model of any family, so that code picking variants by name has one type to hold.
// One value held at a time by name-driven code; boxing the variants would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum AnyModel {
    LeNet(LeNet),
    ResNet(ResNet),
    CifarResNet(CifarResNet),
    PreActResNet(PreActResNet),
    AlexNet(AlexNet),
    Vgg(Vgg),
    GoogLeNet(GoogLeNet),
    DenseNet(DenseNet),
    CifarDenseNet(CifarDenseNet),
    Xception(Xception),
}

/// Runs `$body` with `$m` bound to the model inside whichever variant `$self` holds.
macro_rules! each {
    ($self:expr, $m:ident => $body:expr) => {
        match $self {
            AnyModel::LeNet($m) => $body,
            AnyModel::ResNet($m) => $body,
            AnyModel::CifarResNet($m) => $body,
            AnyModel::PreActResNet($m) => $body,
            AnyModel::AlexNet($m) => $body,
            AnyModel::Vgg($m) => $body,
            AnyModel::GoogLeNet($m) => $body,
            AnyModel::DenseNet($m) => $body,
            AnyModel::CifarDenseNet($m) => $body,
            AnyModel::Xception($m) => $body,
        }
    };
}

impl AnyModel {
    /// Logits for a batch of normalised images.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        each!(self, m => m.forward(x))
    }

    /// Trainable parameters (BatchNorm running statistics excluded), as torchvision counts.
    pub fn num_params(&self) -> usize {
        each!(self, m => zoo_weights::parameter_count(m))
    }

    pub fn load_file(self, path: &Path, options: &ImportOptions) -> Result<Self, LoadError> {
        self.load_file_with_report(path, options).map(|(m, _)| m)
    }

    /// [`AnyModel::load_file`], also saying which tensors of the file were left out.
    pub fn load_file_with_report(
        self,
        path: &Path,
        options: &ImportOptions,
    ) -> Result<(Self, LoadReport), LoadError> {
        macro_rules! load {
            ($($v:ident)*) => {
                match self {$(
                    AnyModel::$v(m) => m
                        .load_file_with_report(path, options)
                        .map(|(m, r)| (AnyModel::$v(m), r)),
                )*}
            };
        }
        load!(LeNet ResNet CifarResNet PreActResNet AlexNet Vgg GoogLeNet DenseNet CifarDenseNet Xception)
    }

    pub fn save_file(&self, path: &Path) -> Result<(), LoadError> {
        each!(self, m => m.save_file(path))
    }
}

/// Folds every BatchNorm that follows a convolution into it (see [`Fuse`]).
impl Fuse for AnyModel {
    fn fuse(&mut self) {
        each!(self, m => m.fuse())
    }
}

/// One variant: its builder and the figures of its reference.
pub struct Variant {
    /// The builder's name, as torchvision names it.
    pub name: &'static str,
    pub family: &'static str,
    /// Classes of the reference model (1000 for ImageNet, 10 for MNIST-style data).
    pub classes: usize,
    /// Parameters of the reference model at `classes` classes.
    pub params: usize,
    /// The reference's input resolution (square).
    pub input_size: usize,
    build: fn(usize, &Device) -> AnyModel,
}

impl Variant {
    pub fn build(&self, num_classes: usize, device: &Device) -> AnyModel {
        (self.build)(num_classes, device)
    }
}

macro_rules! variants {
    ($($family:ident :: $name:ident => $wrap:ident, $classes:expr, $params:expr, $size:expr;)*) => {
        /// Every variant in the zoo, in the order the README lists them.
        pub const VARIANTS: &[Variant] = &[$(Variant {
            name: stringify!($name),
            family: family_name(stringify!($family)),
            classes: $classes,
            params: $params,
            input_size: $size,
            build: |n, d| AnyModel::$wrap($family::$name(n, d)),
        },)*];
    };
}

variants! {
    zoo_lenet::lenet5 => LeNet, 10, 61_706, 28;
    zoo_lenet::lenet5_modern => LeNet, 10, 61_706, 28;
    zoo_resnet::resnet18 => ResNet, 1000, 11_689_512, 224;
    zoo_resnet::resnet34 => ResNet, 1000, 21_797_672, 224;
    zoo_resnet::resnet50 => ResNet, 1000, 25_557_032, 224;
    zoo_resnet::resnet101 => ResNet, 1000, 44_549_160, 224;
    zoo_resnet::resnet152 => ResNet, 1000, 60_192_808, 224;
    zoo_resnext::resnext50_32x4d => ResNet, 1000, 25_028_904, 224;
    zoo_resnext::resnext101_32x8d => ResNet, 1000, 88_791_336, 224;
    zoo_resnext::resnext101_64x4d => ResNet, 1000, 83_455_272, 224;
    zoo_wrn::wide_resnet50_2 => ResNet, 1000, 68_883_240, 224;
    zoo_wrn::wide_resnet101_2 => ResNet, 1000, 126_886_696, 224;
    zoo_alexnet::alexnet => AlexNet, 1000, 61_100_840, 224;
    zoo_vgg::vgg11 => Vgg, 1000, 132_863_336, 224;
    zoo_vgg::vgg13 => Vgg, 1000, 133_047_848, 224;
    zoo_vgg::vgg16 => Vgg, 1000, 138_357_544, 224;
    zoo_vgg::vgg19 => Vgg, 1000, 143_667_240, 224;
    zoo_vgg::vgg11_bn => Vgg, 1000, 132_868_840, 224;
    zoo_vgg::vgg13_bn => Vgg, 1000, 133_053_736, 224;
    zoo_vgg::vgg16_bn => Vgg, 1000, 138_365_992, 224;
    zoo_vgg::vgg19_bn => Vgg, 1000, 143_678_248, 224;
    zoo_googlenet::googlenet => GoogLeNet, 1000, 6_624_904, 224;
    zoo_densenet::densenet121 => DenseNet, 1000, 7_978_856, 224;
    zoo_densenet::densenet161 => DenseNet, 1000, 28_681_000, 224;
    zoo_densenet::densenet169 => DenseNet, 1000, 14_149_480, 224;
    zoo_densenet::densenet201 => DenseNet, 1000, 20_013_928, 224;
    zoo_xception::xception => Xception, 1000, 22_855_952, 299;
    zoo_resnet::resnet20 => CifarResNet, 10, 269_722, 32;
    zoo_resnet::resnet32 => CifarResNet, 10, 464_154, 32;
    zoo_resnet::resnet44 => CifarResNet, 10, 658_586, 32;
    zoo_resnet::resnet56 => CifarResNet, 10, 853_018, 32;
    zoo_resnet::resnet110 => CifarResNet, 10, 1_727_962, 32;
    zoo_resnet::resnet1202 => CifarResNet, 10, 19_421_274, 32;
    zoo_resnet::preact_resnet110 => PreActResNet, 10, 1_730_522, 32;
    zoo_resnet::preact_resnet164 => PreActResNet, 10, 1_703_258, 32;
    zoo_resnet::preact_resnet1001 => PreActResNet, 10, 10_327_706, 32;
    zoo_wrn::wrn_16_4 => PreActResNet, 10, 2_748_890, 32;
    zoo_wrn::wrn_16_8 => PreActResNet, 10, 10_961_370, 32;
    zoo_wrn::wrn_22_8 => PreActResNet, 10, 17_158_106, 32;
    zoo_wrn::wrn_28_10 => PreActResNet, 10, 36_479_194, 32;
    zoo_wrn::wrn_40_4 => PreActResNet, 10, 8_949_210, 32;
    zoo_densenet::densenet40_k12 => CifarDenseNet, 10, 1_059_298, 32;
    zoo_densenet::densenet100_k12 => CifarDenseNet, 10, 7_083_538, 32;
    zoo_densenet::densenet_bc100_k12 => CifarDenseNet, 10, 769_162, 32;
    zoo_densenet::densenet_bc250_k24 => CifarDenseNet, 10, 15_324_406, 32;
    zoo_densenet::densenet_bc190_k40 => CifarDenseNet, 10, 25_624_430, 32;
}

/// The variant of that name, if the zoo has it.
pub fn variant(name: &str) -> Option<&'static Variant> {
    VARIANTS.iter().find(|v| v.name == name)
}

/// `zoo_resnext` → `resnext`.
const fn family_name(krate: &'static str) -> &'static str {
    match krate.as_bytes() {
        [b'z', b'o', b'o', b'_', rest @ ..] => match std::str::from_utf8(rest) {
            Ok(s) => s,
            Err(_) => krate,
        },
        _ => krate,
    }
}
