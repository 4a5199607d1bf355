//! The label sets the zoo's weights are trained on.

use std::sync::LazyLock;

/// The classes a variant's outputs name, in output order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Labels {
    /// ImageNet-1k (ILSVRC 2012), torchvision's category names.
    ImageNet1k,
    /// CIFAR-10.
    Cifar10,
    /// MNIST digits.
    Mnist,
    /// Fashion-MNIST.
    FashionMnist,
    /// CUB-200-2011's 200 bird species, named by index: the zoo ships no CUB weights, and a
    /// fine-tuned model's record names its own classes.
    Cub200,
    /// One logit: how real an image looks (a GAN's discriminator, whose sigmoid is the
    /// probability that the image is real rather than generated).
    RealOrGenerated,
}

static IMAGENET: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| include_str!("imagenet_classes.txt").lines().collect());

const CIFAR10: [&str; 10] = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
];

static INDICES_200: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    (0..200)
        .map(|i| &*Box::leak(i.to_string().into_boxed_str()))
        .collect()
});

const MNIST: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

/// Fashion-MNIST's ten classes, in label order.
pub const FASHION_MNIST_CLASSES: [&str; 10] = [
    "t-shirt/top",
    "trouser",
    "pullover",
    "dress",
    "coat",
    "sandal",
    "shirt",
    "sneaker",
    "bag",
    "ankle boot",
];

impl Labels {
    /// The class names, indexed by output.
    pub fn names(self) -> &'static [&'static str] {
        match self {
            Self::ImageNet1k => &IMAGENET,
            Self::Cifar10 => &CIFAR10,
            Self::Mnist => &MNIST,
            Self::FashionMnist => &FASHION_MNIST_CLASSES,
            Self::Cub200 => &INDICES_200,
            Self::RealOrGenerated => &["real"],
        }
    }

    /// The dataset's name, as the README and `zoo list` print it.
    pub fn dataset(self) -> &'static str {
        match self {
            Self::ImageNet1k => "ImageNet-1k",
            Self::Cifar10 => "CIFAR-10",
            Self::Mnist => "MNIST",
            Self::FashionMnist => "Fashion-MNIST",
            Self::Cub200 => "CUB-200-2011",
            Self::RealOrGenerated => "real or generated",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_set_has_its_datasets_class_count() {
        assert_eq!(Labels::ImageNet1k.names().len(), 1000);
        assert_eq!(Labels::ImageNet1k.names()[0], "tench");
        assert_eq!(Labels::ImageNet1k.names()[999], "toilet tissue");
        assert_eq!(Labels::Cifar10.names()[3], "cat");
        assert_eq!(Labels::FashionMnist.names()[9], "ankle boot");
        assert_eq!(Labels::Cub200.names().len(), 200);
        assert_eq!(Labels::Cub200.names()[199], "199");
    }
}
