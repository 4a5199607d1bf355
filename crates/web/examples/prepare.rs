//! The demo's assets, written by `scripts/web.sh` into the folder it serves: the MNIST LeNet
//! and the CIFAR-10 ResNet-20 converted to Burn's format from `../shared/data`, sample images
//! as PNG (the committed Fashion-MNIST samples, the first MNIST and CIFAR-10 test images), a
//! corrupt PNG for the error path, and `manifest.json` listing them per model.
//!
//! `cargo run --release -p zoo-web --example prepare -- SHARED_DATA FASHION_SAMPLES OUT`

use std::path::{Path, PathBuf};

use burn::tensor::Device;
use burn_zoo::ImportOptions;
use burn_zoo::lenet::idx::Dataset;
use serde_json::json;

type Error = Box<dyn std::error::Error>;

/// Sample images written per dataset.
const SAMPLES: usize = 10;

fn main() -> Result<(), Error> {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [shared, fashion, out] = &args[..] else {
        return Err("usage: prepare SHARED_DATA FASHION_SAMPLES OUT".into());
    };
    std::fs::create_dir_all(out.join("models"))?;
    let mut models = vec![json!({
        "name": "lenet5_modern",
        "title": "LeNet-5 on Fashion-MNIST (embedded)",
        "weights": null,
        "samples": copy_samples(fashion, &out.join("samples/fashion-mnist"))?,
    })];
    if shared.is_dir() {
        let mnist = Dataset::open(&shared.join("mnist"), "t10k")?;
        let mnist = mnist_samples(&mnist, &out.join("samples/mnist"))?;
        let cifar = cifar_samples(&shared.join("cifar10"), &out.join("samples/cifar10"))?;
        for (name, title, checkpoint, samples) in [
            (
                "lenet5_fyh620",
                "LeNet on MNIST (fyh620, converted)",
                "lenet-fyh620/fyh620_lenet.pth",
                mnist,
            ),
            (
                "resnet20",
                "ResNet-20 on CIFAR-10 (akamaster, converted)",
                "cifar10-resnet/resnet20-12fca82f.th",
                cifar,
            ),
        ] {
            let weights = convert(name, &shared.join(checkpoint), out)?;
            models.push(
                json!({ "name": name, "title": title, "weights": weights, "samples": samples }),
            );
        }
    } else {
        eprintln!(
            "{}: absent, so the demo has only the embedded LeNet-5",
            shared.display()
        );
    }
    // A PNG cut short: the page must say it cannot be decoded.
    let first = std::fs::read(fashion.join("ankle-boot.png"))?;
    std::fs::write(out.join("samples/corrupt.png"), &first[..first.len() / 2])?;
    let manifest = json!({ "models": models, "corrupt": "samples/corrupt.png" });
    std::fs::write(
        out.join("manifest.json"),
        serde_json::to_string_pretty(&manifest)?,
    )?;
    Ok(())
}

/// A checkpoint in Burn's format, as `zoo convert` writes it, as `models/NAME.bpk` in the
/// site; returns that path.
fn convert(name: &str, from: &Path, site: &Path) -> Result<String, Error> {
    let device = Device::default();
    let v = burn_zoo::variant(name).ok_or("unknown variant")?;
    let (model, _) = v
        .build(v.classes, &device)
        .load(from, &ImportOptions::default())?;
    let path = format!("models/{name}.bpk");
    model.save(&site.join(&path))?;
    Ok(path)
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned()
}

fn copy_samples(from: &Path, to: &Path) -> Result<Vec<String>, Error> {
    std::fs::create_dir_all(to)?;
    let mut names: Vec<PathBuf> = std::fs::read_dir(from)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    names.sort();
    let mut out = Vec::new();
    for p in names
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
    {
        std::fs::copy(p, to.join(file_name(p)))?;
        out.push(site_path(to, p));
    }
    Ok(out)
}

fn site_path(dir: &Path, file: &Path) -> String {
    let set = file_name(dir);
    format!("samples/{set}/{}", file_name(file))
}

fn mnist_samples(mnist: &Dataset, to: &Path) -> Result<Vec<String>, Error> {
    std::fs::create_dir_all(to)?;
    let side = mnist.rows * mnist.cols;
    let mut out = Vec::new();
    for i in 0..SAMPLES.min(mnist.len()) {
        let pixels = mnist.images[i * side..(i + 1) * side].to_vec();
        let image = image::GrayImage::from_raw(mnist.cols as u32, mnist.rows as u32, pixels)
            .ok_or("MNIST image size")?;
        let path = to.join(format!("{i:04}-digit-{}.png", mnist.labels[i]));
        image.save(&path)?;
        out.push(site_path(to, &path));
    }
    Ok(out)
}

fn cifar_samples(cifar: &Path, to: &Path) -> Result<Vec<String>, Error> {
    std::fs::create_dir_all(to)?;
    let bytes = std::fs::read(cifar.join("test_batch_first1017_images.u8"))?;
    let labels = std::fs::read_to_string(cifar.join("labels_all10000.txt"))?;
    let classes = burn_zoo::Labels::Cifar10.names();
    let mut out = Vec::new();
    for (i, label) in labels.lines().take(SAMPLES).enumerate() {
        let chw = bytes
            .get(i * 3072..(i + 1) * 3072)
            .ok_or("CIFAR-10 file too short")?;
        // CHW planes to interleaved RGB.
        let rgb: Vec<u8> = (0..1024)
            .flat_map(|p| [chw[p], chw[1024 + p], chw[2048 + p]])
            .collect();
        let image = image::RgbImage::from_raw(32, 32, rgb).ok_or("CIFAR-10 image size")?;
        let class = classes[label.trim().parse::<usize>()?];
        let path = to.join(format!("{i:04}-{class}.png"));
        image.save(&path)?;
        out.push(site_path(to, &path));
    }
    Ok(out)
}
