//! `zoo viz`: what a model learned, as PNG grids: the first convolution's filters, or the
//! activation maps of one stage for an image (the model's own preprocessing).

use std::path::{Path, PathBuf};

use burn::tensor::Device;
use burn_zoo::pipeline::Preprocess;
use burn_zoo::pretrained::load_named;
use burn_zoo::{Classifier, VariantSpec};

type Error = Box<dyn std::error::Error>;

/// What to draw.
#[derive(clap::Subcommand)]
pub enum What {
    /// The first convolution's filters, one tile each (RGB filters in colour).
    Filters(Common),
    /// One stage's activation maps for an image, one grey tile per channel.
    Activations {
        #[command(flatten)]
        common: Common,
        /// The image (PNG or JPEG).
        #[arg(long)]
        image: PathBuf,
        /// The stage, an index into the model's stages (`zoo viz activations` lists them
        /// when it is out of range).
        #[arg(long, default_value_t = 0)]
        stage: usize,
    },
    /// Saliency for an image: the largest |∂ score / ∂ pixel| over channels, as a heat map
    /// over the input (Simonyan et al. 2014).
    Saliency(Gradient),
    /// Grad-CAM for an image: the last stage's maps weighted by their gradients, as a heat
    /// map over the input (Selvaraju et al. 2017).
    Gradcam(Gradient),
    /// Occlusion for an image: how much the class's probability drops when a grey square
    /// hides each place, as a heat map over the input (Zeiler & Fergus 2014).
    Occlusion(Occlusion),
    /// The pooled embeddings of a folder of images, written for NumPy, and optionally their
    /// 2-D PCA as a scatter plot coloured by label.
    Embed(crate::embed::Args),
}

/// Options of the occlusion map.
#[derive(clap::Args)]
pub struct Occlusion {
    #[command(flatten)]
    target: Gradient,
    /// Side of the grey square, in input pixels (default: a quarter of the input side).
    #[arg(long)]
    size: Option<usize>,
    /// Step between positions (default: half the square).
    #[arg(long)]
    stride: Option<usize>,
}

/// Options of the gradient maps.
#[derive(clap::Args)]
pub struct Gradient {
    #[command(flatten)]
    common: Common,
    /// The image (PNG or JPEG).
    #[arg(long)]
    image: PathBuf,
    /// The class whose score is explained (default: the model's top class for the image).
    #[arg(long)]
    class: Option<usize>,
}

/// Options every drawing takes.
#[derive(clap::Args)]
pub struct Common {
    /// A variant from `zoo list`.
    #[arg(long)]
    model: String,
    /// A weights file or registry name (default: the published or embedded weights).
    #[arg(long)]
    weights: Option<String>,
    /// Output PNG.
    #[arg(long)]
    out: PathBuf,
    /// Magnification of each tile (nearest neighbour).
    #[arg(long, default_value_t = 4)]
    scale: u32,
}

pub fn run(what: What) -> Result<(), Error> {
    let device = Device::default();
    let (common, image) = match &what {
        What::Filters(c) => (c, None),
        What::Activations {
            common,
            image,
            stage,
        } => (common, Some((image, *stage))),
        What::Saliency(g) => return gradient(g, false),
        What::Gradcam(g) => return gradient(g, true),
        What::Occlusion(o) => return occlusion(o),
        What::Embed(args) => return crate::embed::run(args),
    };
    // As loaded: folding BatchNorms would rescale the filters.
    let (_, model, prep) = as_loaded(common, &device)?;
    let grid = match image {
        None => burn_zoo::viz::filters(&*model, common.scale)
            .ok_or_else(|| format!("{} has no convolution", common.model))?,
        Some((path, stage)) => {
            let x = prep.input(path, &device)?;
            burn_zoo::viz::activations(&*model, x, stage, common.scale).map_err(|e| {
                let stages: Vec<String> = model
                    .feature_info()
                    .iter()
                    .enumerate()
                    .map(|(i, f)| format!("{i}: {f}"))
                    .collect();
                format!("{e}; stages: {}", stages.join(", "))
            })?
        }
    };
    save(&grid, &common.out)
}

/// The variant as loaded (BatchNorms not folded) on `device`, and the preprocessing its
/// weights take.
fn as_loaded(
    c: &Common,
    device: &Device,
) -> Result<(&'static VariantSpec, Box<dyn Classifier>, Preprocess), Error> {
    let spec =
        burn_zoo::variant(&c.model).ok_or_else(|| burn_zoo::UnknownModel(c.model.clone()))?;
    let (model, entry) = load_named(spec, c.weights.as_deref(), None, device)?;
    Ok((spec, model, Preprocess::for_variant(spec, entry)))
}

fn save(grid: &image::RgbImage, out: &Path) -> Result<(), Error> {
    grid.save(out)
        .map_err(|e| format!("{}: {e}", out.display()))?;
    eprintln!(
        "{}: {}×{} pixels",
        out.display(),
        grid.width(),
        grid.height()
    );
    Ok(())
}

/// Saliency or Grad-CAM: the model frozen on an autodiff device (running statistics, no
/// dropout), gradients of the class's logit.
fn gradient(g: &Gradient, cam: bool) -> Result<(), Error> {
    let device = Device::default().autodiff();
    let c = &g.common;
    let (spec, model, prep) = as_loaded(c, &device)?;
    let model = model.frozen();
    let x = prep.input(&g.image, &device)?;
    let class = g.class.unwrap_or_else(|| top_class(&*model, &x));
    let map = if cam {
        burn_zoo::viz::grad_cam(&*model, x.clone(), class)?
    } else {
        burn_zoo::viz::saliency(&*model, x.clone(), class)?
    };
    let [_, h, w] = map.dims();
    let values: Vec<f32> = map
        .into_data()
        .convert::<f32>()
        .try_to_vec::<f32>()
        .unwrap_or_default();
    let base = burn_zoo::viz::input_image(&x, c.scale);
    say_class(spec.labels.names(), class);
    save(&burn_zoo::viz::overlay(&base, &values, [h, w]), &c.out)
}

/// The model's most probable class for the first image of `x`.
fn top_class(model: &dyn Classifier, x: &burn::tensor::Tensor<4>) -> usize {
    model
        .forward(x.clone())
        .argmax(1)
        .into_data()
        .convert::<i64>()
        .try_to_vec::<i64>()
        .ok()
        .and_then(|v| v.first().copied())
        .unwrap_or(0) as usize
}

fn say_class(labels: &[impl AsRef<str>], class: usize) {
    let label = labels.get(class).map_or("?", AsRef::as_ref);
    eprintln!("class {class} ({label})");
}

/// Occlusion: the classification pipeline (BatchNorms folded: only forward passes), a
/// progress bar over the positions, the probability's drop drawn over the image.
fn occlusion(o: &Occlusion) -> Result<(), Error> {
    let device = Device::default();
    let (g, c) = (&o.target, &o.target.common);
    let pipeline = burn_zoo::pipeline::open(&c.model, c.weights.as_deref(), &device)?;
    let model = &*pipeline.model;
    let x = pipeline.preprocess.input(&g.image, &device)?;
    let class = g.class.unwrap_or_else(|| top_class(model, &x));
    let side = x.dims()[2].min(x.dims()[3]);
    let size = o.size.unwrap_or((side / 4).max(1));
    let stride = o.stride.unwrap_or((size / 2).max(1));
    let bar = indicatif::ProgressBar::new(0).with_style(indicatif::ProgressStyle::with_template(
        "{bar:30} {pos}/{len} positions [{elapsed} < {eta}]",
    )?);
    let map = burn_zoo::viz::occlusion(model, x.clone(), class, size, stride, |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    });
    bar.finish_and_clear();
    let map = map?;
    say_class(&pipeline.labels, class);
    let lowest = map.values.iter().fold(f32::INFINITY, |m, &v| m.min(v));
    eprintln!(
        "probability {:.4} unoccluded, {lowest:.4} at the most telling position of a \
         {size}×{size} patch (stride {stride})",
        map.unoccluded
    );
    let drop: Vec<f32> = map.values.iter().map(|p| map.unoccluded - p).collect();
    let base = burn_zoo::viz::input_image(&x, c.scale);
    save(&burn_zoo::viz::overlay(&base, &drop, map.dims), &c.out)
}
