//! The LeNet-5 layer stack: conv1 → act → pool → conv2 → act → pool → fc1 (C5) → fc2 (F6) → fc3.

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{AvgPool2d, AvgPool2dConfig, MaxPool2d, MaxPool2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::activation::{relu, tanh};
use burn::tensor::{Device, Tensor};
use zoo_model::{Classifier, FeatureInfo, Head, HeadMut, Stages};
use zoo_weights::{KeyMap, ZooModel};

/// Field names are the common PyTorch ones (`conv1`, `conv2`, `fc1`, `fc2`, `fc3`).
pub const KEY_MAP: KeyMap = &[];

/// The non-linearity after each convolution and hidden layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    /// tanh, as the paper (which scales it: 1.7159·tanh(2x/3); this does not).
    Tanh,
    /// ReLU, as modern code.
    Relu,
}

/// How the subsampling layers S2 and S4 pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pooling {
    /// The paper's subsampling (without its trainable coefficient and bias).
    Avg,
    /// 2×2 max-pooling, as modern code.
    Max,
}

/// Everything that varies between LeNet-5 formulations.
#[derive(Clone, Debug)]
pub struct LeNetConfig {
    /// The variant's name (`lenet5`, `lenet5_modern`).
    pub name: String,
    /// Side of the square input image.
    pub input_size: usize,
    /// Zero padding of conv1 (2 turns a 28×28 MNIST digit into the paper's 32×32 field).
    pub padding: usize,
    /// Input channels (1 for greyscale digits).
    pub in_channels: usize,
    /// Non-linearity after each layer but the last.
    pub activation: Activation,
    /// Subsampling of S2 and S4.
    pub pooling: Pooling,
    /// Maps of C1 and C3.
    pub conv_channels: [usize; 2],
    /// Units of C5 (as a fully connected layer) and F6.
    pub hidden: [usize; 2],
    /// Number of output logits.
    pub num_classes: usize,
}

impl LeNetConfig {
    /// The paper's: tanh, average pooling, 28×28 input padded to 32×32.
    pub fn classic(num_classes: usize) -> Self {
        Self {
            name: "lenet5".into(),
            input_size: 28,
            padding: 2,
            in_channels: 1,
            activation: Activation::Tanh,
            pooling: Pooling::Avg,
            conv_channels: [6, 16],
            hidden: [120, 84],
            num_classes,
        }
    }

    /// ReLU and max-pooling, otherwise as [`LeNetConfig::classic`].
    pub fn modern(num_classes: usize) -> Self {
        Self {
            name: "lenet5_modern".into(),
            activation: Activation::Relu,
            pooling: Pooling::Max,
            ..Self::classic(num_classes)
        }
    }

    /// The third-party MNIST LeNet of FYH620/lenet-mnist-openvino: 28×28 without padding,
    /// so fc1 takes 16·4·4 = 256 inputs; ReLU and max-pool.
    pub fn fyh620() -> Self {
        Self {
            name: "lenet5_fyh620".into(),
            padding: 0,
            ..Self::modern(10)
        }
    }

    /// Side of the maps after conv2 and its pooling.
    pub fn feature_size(&self) -> usize {
        let c1 = self.input_size + 2 * self.padding - 4;
        (c1 / 2 - 4) / 2
    }

    /// Builds the network with PyTorch's default initialisation.
    pub fn init(&self, device: &Device) -> LeNet {
        let [c1, c3] = self.conv_channels;
        let [c5, f6] = self.hidden;
        let p = self.padding;
        let side = self.feature_size();
        // PyTorch's default Conv2d/Linear initialisation, which Burn's defaults equal.
        LeNet {
            conv1: Conv2dConfig::new([self.in_channels, c1], [5, 5])
                .with_padding(PaddingConfig2d::Explicit(p, p, p, p))
                .init(device),
            conv2: Conv2dConfig::new([c1, c3], [5, 5]).init(device),
            fc1: LinearConfig::new(c3 * side * side, c5).init(device),
            fc2: LinearConfig::new(c5, f6).init(device),
            fc3: LinearConfig::new(f6, self.num_classes).init(device),
            relu: self.activation == Activation::Relu,
            pool: match self.pooling {
                Pooling::Max => Pool::Max(MaxPool2dConfig::new([2, 2]).init()),
                Pooling::Avg => Pool::Avg(AvgPool2dConfig::new([2, 2]).init()),
            },
            variant: self.name.clone(),
        }
    }
}

/// 2×2 subsampling, stride 2 (no parameters, so no weight keys).
#[derive(Module, Debug)]
pub enum Pool {
    /// Average pooling.
    Avg(AvgPool2d),
    /// Max pooling.
    Max(MaxPool2d),
}

/// A LeNet-5: two 5×5 convolutions with subsampling, then three fully connected layers.
#[derive(Module, Debug)]
pub struct LeNet {
    /// C1: 5×5 convolution (6 maps in LeNet-5).
    pub conv1: Conv2d,
    /// C3: 5×5 convolution (16 maps in LeNet-5).
    pub conv2: Conv2d,
    /// C5, as a fully connected layer (120 units in LeNet-5).
    pub fc1: Linear,
    /// F6 (84 units in LeNet-5).
    pub fc2: Linear,
    /// The output layer.
    pub fc3: Linear,
    /// ReLU rather than tanh; not a weight.
    #[module(skip)]
    pub relu: bool,
    /// S2 and S4's subsampling.
    pub pool: Pool,
    /// The variant's name, for messages; not a weight.
    #[module(skip)]
    pub variant: String,
}

impl LeNet {
    fn act<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        if self.relu { relu(x) } else { tanh(x) }
    }

    fn subsample(&self, x: Tensor<4>) -> Tensor<4> {
        match &self.pool {
            Pool::Max(p) => zoo_blocks::engine::max_pool(p, x),
            Pool::Avg(p) => zoo_blocks::engine::avg_pool(p, x),
        }
    }

    /// `[n, c, h, w]` normalised images → `[n, num_classes]` logits.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        Classifier::forward(self, x)
    }
}

impl Classifier for LeNet {
    fn forward_features(&self, x: Tensor<4>) -> Tensor<4> {
        let x = self.subsample(self.act(zoo_blocks::engine::conv(&self.conv1, x)));
        self.subsample(self.act(zoo_blocks::engine::conv(&self.conv2, x)))
    }

    /// LeNet flattens its maps (C5 is fully connected to all of S4).
    fn pool(&self, features: Tensor<4>) -> Tensor<2> {
        features.flatten(1, 3)
    }

    /// C5 and F6: the 84 units the output layer reads.
    fn pre_logits(&self, pooled: Tensor<2>) -> Tensor<2> {
        let x = self.act(self.fc1.forward(pooled));
        self.act(self.fc2.forward(x))
    }

    fn forward_head(&self, features: Tensor<4>) -> Tensor<2> {
        self.fc3.forward(self.pre_logits(self.pool(features)))
    }

    fn head(&self) -> Head<'_> {
        Head::Linear(&self.fc3)
    }

    fn head_mut(&mut self) -> HeadMut<'_> {
        HeadMut::Linear(&mut self.fc3)
    }

    /// C1 and C3 after their activation, then S4 (C3 subsampled).
    fn feature_info(&self) -> Vec<FeatureInfo> {
        let c1 = self.conv1.weight.dims()[0];
        let c3 = self.conv2.weight.dims()[0];
        vec![
            FeatureInfo::new("conv1", c1, 1),
            FeatureInfo::new("conv2", c3, 2),
            FeatureInfo::new("pool", c3, 4),
        ]
    }

    fn run_stages(&self, x: Tensor<4>, stages: &mut Stages) {
        let x = self.act(zoo_blocks::engine::conv(&self.conv1, x));
        if !stages.offer(0, &x) {
            return;
        }
        let x = self.act(zoo_blocks::engine::conv(&self.conv2, self.subsample(x)));
        if !stages.offer(1, &x) {
            return;
        }
        stages.offer(2, &self.subsample(x));
    }
}

impl ZooModel for LeNet {
    fn variant(&self) -> &str {
        &self.variant
    }

    fn key_map() -> KeyMap {
        KEY_MAP
    }
}

/// LeNet has no BatchNorm: fusing leaves it as it is.
impl zoo_blocks::Fuse for LeNet {
    fn fuse(&mut self) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Distribution;
    use zoo_weights::parameter_count;

    #[test]
    fn configurations_have_the_expected_shapes_and_sizes() {
        let device = Device::default();
        // (config, fc1 inputs, parameters)
        for (cfg, fc1_in, params) in [
            (LeNetConfig::classic(10), 400, 61_706),
            (LeNetConfig::modern(10), 400, 61_706),
            (LeNetConfig::fyh620(), 256, 44_426),
            (
                LeNetConfig {
                    input_size: 32,
                    padding: 0,
                    ..LeNetConfig::classic(10)
                },
                400,
                61_706,
            ),
        ] {
            let model = cfg.init(&device);
            assert_eq!(model.fc1.weight.dims(), [fc1_in, 120], "{}", cfg.name);
            assert_eq!(parameter_count(&model), params, "{}", cfg.name);
            let x = Tensor::<4>::random(
                [3, 1, cfg.input_size, cfg.input_size],
                Distribution::Default,
                &device,
            );
            assert_eq!(model.forward(x).dims(), [3, 10]);
        }
    }
}
