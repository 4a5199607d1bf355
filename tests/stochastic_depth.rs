//! Stochastic depth on the CIFAR ResNets (Huang et al. 2016): under a fixed seed each block's
//! branch is dropped as often as its survival probability says, a dropped branch is the
//! identity (its weights get no gradient), and evaluation is the deterministic network with
//! scaled branches (its parity with PyTorch is `tests/parity.rs`'s `resnet20_stochastic_depth`).

use burn::tensor::{Device, Distribution, Tensor};
use burn_zoo::blocks::depth::Branch;
use burn_zoo::blocks::{Block, linear_decay};
use burn_zoo::resnet::{CifarResNet, CifarResNetConfig};

fn blocks(model: &CifarResNet) -> Vec<&burn_zoo::blocks::BasicBlock> {
    [&model.layer1, &model.layer2, &model.layer3]
        .into_iter()
        .flatten()
        .map(|b| match b {
            Block::Basic(b) => b,
            Block::Bottleneck(_) => unreachable!("CIFAR ResNets have basic blocks"),
        })
        .collect()
}

/// ResNet-56's 27 blocks, 4,000 training mini-batches each: block l is dropped with frequency
/// 1 − p_l, p_l = 1 − l/27 · 0.5, within 4.5 standard deviations (the seed is fixed, so the
/// counts are too; 4.5σ leaves a wrong probability, e.g. every block at p_L, far outside).
#[test]
fn blocks_are_dropped_as_often_as_their_survival_probability_says() {
    let device = Device::default().autodiff();
    device.seed(7);
    let model = CifarResNetConfig::new(56, 10)
        .with_stochastic_depth(0.5)
        .init(&device);
    let x = Tensor::<4>::zeros([1, 1, 1, 1], &device);
    let blocks = blocks(&model);
    assert_eq!(blocks.len(), 27);
    let draws = 4000;
    for (l, block) in blocks.iter().enumerate() {
        let depth = block
            .depth
            .as_ref()
            .expect("every block has stochastic depth");
        let p = linear_decay(l + 1, 27, 0.5);
        assert!((depth.survival - p).abs() < 1e-12, "block {}", l + 1);
        let dropped = (0..draws)
            .filter(|_| depth.branch(&x) == Branch::Dropped)
            .count();
        let freq = dropped as f64 / draws as f64;
        let sigma = (p * (1.0 - p) / draws as f64).sqrt().max(1e-9);
        assert!(
            (freq - (1.0 - p)).abs() <= 4.5 * sigma,
            "block {}: dropped {freq:.4}, expected {:.4} ± {:.4}",
            l + 1,
            1.0 - p,
            4.5 * sigma
        );
    }
    // The last block survives half the time, the first almost always.
    assert_eq!(blocks[26].depth.as_ref().unwrap().survival, 0.5);
}

/// In evaluation (no autodiff, or after `valid`) nothing is dropped: the branch is scaled.
#[test]
fn evaluation_never_drops() {
    let device = Device::default();
    let model = CifarResNetConfig::new(20, 10)
        .with_stochastic_depth(0.5)
        .init(&device);
    let x = Tensor::<4>::random([2, 3, 32, 32], Distribution::Default, &device);
    let first = model.forward(x.clone()).into_data();
    for _ in 0..5 {
        assert_eq!(model.forward(x.clone()).into_data(), first);
    }
    for (l, block) in blocks(&model).iter().enumerate() {
        let p = linear_decay(l + 1, 9, 0.5);
        assert_eq!(block.depth.as_ref().unwrap().branch(&x), Branch::Scaled(p));
    }
}

/// A dropped branch is skipped: with survival near 0 every block is its shortcut while
/// training, so the blocks' convolutions get no gradient while the stem and the head do; at
/// survival 1 the training network is the plain one, bit for bit.
#[test]
fn a_dropped_branch_is_the_identity() {
    let device = Device::default().autodiff();
    let x = Tensor::<4>::random([2, 3, 32, 32], Distribution::Default, &device);
    let mut model = CifarResNetConfig::new(20, 10).init(&device);
    let plain = model.forward(x.clone()).into_data();
    model.set_stochastic_depth(1.0);
    assert_eq!(model.forward(x.clone()).into_data(), plain);

    for block in [&mut model.layer1, &mut model.layer2, &mut model.layer3]
        .into_iter()
        .flatten()
    {
        block.set_survival(1e-12);
    }
    let grads = model.forward(x).sum().backward();
    let stem = model.conv1.weight.val().grad(&grads);
    assert!(stem.is_some_and(|g| g.abs().sum().into_scalar::<f32>() > 0.0));
    for (l, block) in blocks(&model).iter().enumerate() {
        let g = block.conv1.weight.val().grad(&grads);
        assert!(
            g.is_none_or(|g| g.abs().sum().into_scalar::<f32>() == 0.0),
            "block {}'s convolution got a gradient",
            l + 1
        );
    }
}

/// `set_stochastic_depth` through the model trait: the CIFAR ResNets take it, a network without
/// residual blocks refuses it by name, and a probability outside (0, 1] is refused.
#[test]
fn the_model_trait_sets_it_or_says_why_not() {
    let device = Device::default();
    let mut resnet = burn_zoo::create("resnet20", None, &device).unwrap();
    resnet.set_stochastic_depth(0.5).unwrap();
    let err = resnet.set_stochastic_depth(0.0).unwrap_err().to_string();
    assert!(err.contains("(0, 1]") && err.contains('0'), "{err}");
    let mut lenet = burn_zoo::create("lenet5", None, &device).unwrap();
    let err = lenet.set_stochastic_depth(0.5).unwrap_err().to_string();
    assert!(err.contains("lenet5"), "{err}");
    assert_eq!(lenet.name(), "lenet5");
}
