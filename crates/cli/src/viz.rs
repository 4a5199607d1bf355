//! `zoo viz`: what a model learned, as PNG grids: the first convolution's filters, or the
//! activation maps of one stage for an image (the model's own preprocessing).

use std::path::{Path, PathBuf};

use burn::tensor::Device;
use burn_zoo::pipeline::Preprocess;
use burn_zoo::pretrained::load_named;

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
    };
    let spec = burn_zoo::variant(&common.model)
        .ok_or_else(|| burn_zoo::UnknownModel(common.model.clone()))?;
    // As loaded: folding BatchNorms would rescale the filters.
    let (model, entry) = load_named(spec, common.weights.as_deref(), None, &device)?;
    let grid = match image {
        None => burn_zoo::viz::filters(&*model, common.scale)
            .ok_or_else(|| format!("{} has no convolution", common.model))?,
        Some((path, stage)) => {
            let x = Preprocess::for_variant(spec, entry).input(path, &device)?;
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
    let spec =
        burn_zoo::variant(&c.model).ok_or_else(|| burn_zoo::UnknownModel(c.model.clone()))?;
    let (model, entry) = load_named(spec, c.weights.as_deref(), None, &device)?;
    let model = model.frozen();
    let x = Preprocess::for_variant(spec, entry).input(&g.image, &device)?;
    let class = match g.class {
        Some(class) => class,
        None => model
            .forward(x.clone())
            .argmax(1)
            .into_data()
            .convert::<i64>()
            .try_to_vec::<i64>()
            .ok()
            .and_then(|v| v.first().copied())
            .unwrap_or(0) as usize,
    };
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
    let label = spec.labels.names().get(class).copied().unwrap_or("?");
    eprintln!("class {class} ({label})");
    save(&burn_zoo::viz::overlay(&base, &values, [h, w]), &c.out)
}
