//! DCGAN and transposed convolution against PyTorch (`scripts/gan_reference.py --fixtures`):
//! `nn.ConvTranspose2d` over strides, paddings, output paddings, dilation and groups; the
//! generator and discriminator in evaluation and training mode; three steps of the GAN
//! training loop (losses and every weight after them); the codes' random stream; and the
//! Fréchet distance against NumPy's LAPACK eigensolver.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor, TensorData};
use burn_zoo::dcgan::frechet::{Gaussian, frechet_distance};
use burn_zoo::dcgan::train::{GanConfig, Images, codes, train};
use burn_zoo::dcgan::{Discriminator, Generator, dcgan_discriminator, dcgan_generator};
use burn_zoo::model::train::SplitMix64;
use burn_zoo::{Classifier, ImportOptions, ZooModel, blocks::DeconvSpec};
use common::{fixture_with, json, read_f32, report};
use zoo_weights::named_tensors;

fn dir() -> Option<PathBuf> {
    fixture_with("gan", "meta.json")
}

fn tensor<const D: usize>(values: Vec<f32>, shape: [usize; D], device: &Device) -> Tensor<D> {
    Tensor::from_data(TensorData::new(values, shape), device)
}

/// Largest |got − want| over the largest |want| (at least 1).
fn relative(got: &[f32], want: &[f32]) -> f64 {
    assert_eq!(got.len(), want.len(), "lengths");
    let scale = want.iter().fold(1.0f64, |m, &w| m.max(w.abs() as f64));
    got.iter()
        .zip(want)
        .map(|(&g, &w)| (g as f64 - w as f64).abs())
        .fold(0.0, f64::max)
        / scale
}

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().unwrap()
}

#[test]
fn transposed_convolutions_match_pytorch() {
    let Some(dir) = dir() else { return };
    let device = Device::default();
    let cases = json(&dir.join("deconv.json"));
    for (i, c) in cases.as_array().unwrap().iter().enumerate() {
        let get = |k: &str| c[k].as_u64().unwrap() as usize;
        let spec = DeconvSpec::new(get("c_in"), get("c_out"), get("kernel"))
            .stride(get("stride"))
            .padding(get("padding"))
            .output_padding(get("output_padding"))
            .dilation(get("dilation"))
            .groups(get("groups"))
            .bias(c["bias"].as_bool().unwrap());
        let mut layer = spec.build(&device);
        let shape = |k: &str| -> [usize; 4] {
            let v: Vec<usize> = c[k]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_u64().unwrap() as usize)
                .collect();
            v.try_into().unwrap()
        };
        let w_dims = layer.weight.dims();
        layer.weight = Param::from_tensor(tensor(
            read_f32(&dir.join(format!("deconv{i}-weight.f32"))),
            w_dims,
            &device,
        ));
        if spec.bias {
            layer.bias = Some(Param::from_tensor(tensor(
                read_f32(&dir.join(format!("deconv{i}-bias.f32"))),
                [spec.c_out],
                &device,
            )));
        }
        let [n, _, h, w] = shape("input");
        let x = tensor(
            read_f32(&dir.join(format!("deconv{i}-input.f32"))),
            shape("input"),
            &device,
        );
        let y = layer.forward(x);
        assert_eq!(y.dims(), shape("output"), "case {i}: {spec:?}");
        assert_eq!(spec.output_side(h), Some(shape("output")[2]), "case {i}");
        assert_eq!(spec.output_side(w), Some(shape("output")[3]), "case {i}");
        let delta = relative(
            &values(y),
            &read_f32(&dir.join(format!("deconv{i}-output.f32"))),
        );
        assert!(
            delta <= 1e-5,
            "case {i} ({spec:?}, batch {n}): relative max Δ {delta:e}"
        );
        report(&format!(
            "gan: ConvTranspose2d case {i} relative max Δ {delta:.1e}"
        ));
    }
}

fn load<M: ZooModel>(model: M, path: PathBuf) -> M {
    model
        .load_weights(&path, &ImportOptions::default())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn generator_and_discriminator_match_pytorch_in_both_modes() {
    let Some(dir) = dir() else { return };
    let z = |device: &Device| codes(&mut SplitMix64::new(7), 4, 100, device);
    let images =
        |device: &Device| tensor(read_f32(&dir.join("images.f32")), [4, 1, 28, 28], device);
    for (mode, device) in [
        ("eval", Device::default()),
        ("train", Device::default().autodiff()),
    ] {
        let g: Generator = load(dcgan_generator(&device), dir.join("generator.safetensors"));
        let d: Discriminator = load(
            dcgan_discriminator(1, &device),
            dir.join("discriminator.safetensors"),
        );
        let got_g = values(g.forward(z(&device)));
        let got_d = values(Classifier::forward(&d, images(&device)));
        let dg = relative(
            &got_g,
            &read_f32(&dir.join(format!("generator-{mode}.f32"))),
        );
        let dd = relative(
            &got_d,
            &read_f32(&dir.join(format!("discriminator-{mode}.f32"))),
        );
        assert!(
            dg <= 1e-4 && dd <= 1e-4,
            "{mode}: generator Δ {dg:e}, discriminator Δ {dd:e}"
        );
        report(&format!(
            "gan: {mode} mode relative max Δ generator {dg:.1e}, discriminator {dd:.1e}"
        ));
    }
}

#[test]
fn the_random_streams_are_pythons() {
    let Some(dir) = dir() else { return };
    let meta = json(&dir.join("meta.json"));
    let mut rng = SplitMix64::new(5);
    for want in meta["splitmix_seed5"].as_array().unwrap() {
        assert_eq!(rng.next_u64().to_string(), want.as_str().unwrap());
    }
    let got = values(codes(&mut SplitMix64::new(7), 4, 100, &Device::default()));
    for (g, w) in got.iter().zip(meta["codes_seed7"].as_array().unwrap()) {
        assert_eq!(*g, w.as_f64().unwrap() as f32);
    }
}

fn tensors<M: Module>(m: &M) -> BTreeMap<String, Vec<f32>> {
    named_tensors(m)
}

#[test]
fn three_training_steps_match_pytorch() {
    let Some(dir) = dir() else { return };
    let meta = json(&dir.join("meta.json"));
    let device = Device::default().autodiff();
    let g = load(
        dcgan_generator(&device),
        dir.join("train-generator-start.safetensors"),
    );
    let d = load(
        dcgan_discriminator(1, &device),
        dir.join("train-discriminator-start.safetensors"),
    );
    let images = Images {
        values: read_f32(&dir.join("train-images.f32")),
        channels: 1,
        side: 28,
    };
    let cfg = GanConfig {
        epochs: 1,
        batch_size: 8,
        learning_rate: 2e-4,
        beta1: 0.5,
        seed: 3,
    };
    let mut steps = Vec::new();
    let (g, d) = train(g, d, &images, &cfg, |s| steps.push(*s), |_, _| {}).unwrap();
    let want = meta["training_steps"].as_array().unwrap();
    assert_eq!(steps.len(), want.len());
    for (s, w) in steps.iter().zip(want) {
        let w: Vec<f32> = w
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap() as f32)
            .collect();
        let got = [s.d_loss, s.g_loss, s.d_real, s.d_fake];
        let delta = relative(&got, &w);
        assert!(
            delta <= 1e-4,
            "step {}: {got:?} against PyTorch's {w:?}",
            s.batch
        );
    }
    let plain = Device::default();
    let mut worst = (0.0f64, String::new());
    for (trained, reference) in [
        (
            tensors(&g.valid()),
            tensors(&load(
                dcgan_generator(&plain),
                dir.join("train-generator-end.safetensors"),
            )),
        ),
        (
            tensors(&d.valid()),
            tensors(&load(
                dcgan_discriminator(1, &plain),
                dir.join("train-discriminator-end.safetensors"),
            )),
        ),
    ] {
        assert_eq!(
            trained.keys().collect::<Vec<_>>(),
            reference.keys().collect::<Vec<_>>()
        );
        for (key, got) in &trained {
            let delta = got
                .iter()
                .zip(&reference[key])
                .map(|(&a, &b)| (a as f64 - b as f64).abs())
                .fold(0.0, f64::max);
            if delta > worst.0 {
                worst = (delta, key.clone());
            }
        }
    }
    // Three Adam steps move a weight by up to 6e-4; rounding may change it by far less.
    assert!(
        worst.0 <= 2e-5,
        "weights after 3 steps: max |Δ| {:e} at {}",
        worst.0,
        worst.1
    );
    report(&format!(
        "gan: 3 training steps, losses within 1e-4, weights max |Δ| {:.1e} ({})",
        worst.0, worst.1
    ));
}

#[test]
fn frechet_distance_matches_numpy() {
    let Some(dir) = dir() else { return };
    let a = Gaussian::fit(&read_f32(&dir.join("frechet-a.f32")), 12).unwrap();
    let b = Gaussian::fit(&read_f32(&dir.join("frechet-b.f32")), 12).unwrap();
    let want = json(&dir.join("meta.json"))["frechet"].as_f64().unwrap();
    let got = frechet_distance(&a, &b);
    assert!(
        (got - want).abs() <= 1e-9 * want,
        "{got} against NumPy's {want}"
    );
    assert_eq!((a.count, b.count), (600, 500));
}
