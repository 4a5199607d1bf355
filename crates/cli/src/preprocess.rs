//! Preprocessing options shared by `zoo classify` and `zoo eval`: by default the weights'
//! own (or the variant's input spec); `--preprocess ID` takes another registry entry's, and
//! `--resize`, `--crop`, `--interpolation`, `--mean`, `--std` override single settings. The
//! result is printed on stderr.

use burn_zoo::Preprocess;
use burn_zoo::vision::Filter;

/// Interpolation of the resize, as torchvision names it.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Interpolation {
    /// Pillow's bilinear (triangle) filter.
    Bilinear,
    /// Pillow's bicubic filter (a = −0.5).
    Bicubic,
}

/// How images become the model's input, when not as its weights say.
#[derive(clap::Args, Debug, Default)]
pub struct Args {
    /// Another registry entry's preprocessing (`resnet50.IMAGENET1K_V1`: resize 256).
    #[arg(long, value_name = "WEIGHTS_ID")]
    pub preprocess: Option<String>,
    /// Shorter side after resizing (RGB models).
    #[arg(long)]
    pub resize: Option<u32>,
    /// Side of the centre crop (RGB models).
    #[arg(long)]
    pub crop: Option<u32>,
    /// Resize filter (RGB models).
    #[arg(long, value_enum)]
    pub interpolation: Option<Interpolation>,
    /// Normalisation mean `R,G,B` (greyscale models take the first value).
    #[arg(long, value_parser = parse_rgb)]
    pub mean: Option<[f32; 3]>,
    /// Normalisation standard deviation `R,G,B`, each positive.
    #[arg(long, value_parser = parse_std)]
    pub std: Option<[f32; 3]>,
}

impl Args {
    /// Applies the options to `p`, refusing what cannot apply (a resize for a greyscale
    /// model, a crop larger than the resize).
    pub fn apply(&self, p: &mut Preprocess) -> Result<(), String> {
        if let Some(id) = &self.preprocess {
            let entry = burn_zoo::hub::find(id).map_err(|e| e.to_string())?;
            match p {
                Preprocess::Rgb(t) => *t = burn_zoo::pretrained::transform_of(entry),
                Preprocess::Grey { .. } => {
                    return Err(format!(
                        "--preprocess {id}: the model takes greyscale images"
                    ));
                }
            }
        }
        match p {
            Preprocess::Rgb(t) => {
                t.resize = self.resize.unwrap_or(t.resize);
                t.crop = self.crop.unwrap_or(t.crop);
                t.filter = match self.interpolation {
                    Some(Interpolation::Bilinear) => Filter::Bilinear,
                    Some(Interpolation::Bicubic) => Filter::Bicubic,
                    None => t.filter,
                };
                t.mean = self.mean.unwrap_or(t.mean);
                t.std = self.std.unwrap_or(t.std);
                if t.crop == 0 || t.crop > t.resize {
                    return Err(format!(
                        "crop {} must be between 1 and the resize, {}",
                        t.crop, t.resize
                    ));
                }
            }
            Preprocess::Grey { mean, std, .. } => {
                if self.resize.is_some() || self.crop.is_some() || self.interpolation.is_some() {
                    return Err(
                        "--resize/--crop/--interpolation apply to RGB models; this one takes \
                         greyscale images at its input size"
                            .into(),
                    );
                }
                *mean = self.mean.map_or(*mean, |m| m[0]);
                *std = self.std.map_or(*std, |s| s[0]);
            }
        }
        Ok(())
    }
}

/// A standard deviation per channel: each must be positive (0 would divide by zero).
fn parse_std(s: &str) -> Result<[f32; 3], String> {
    let v = parse_rgb(s)?;
    if v.iter().any(|&x| x <= 0.0) {
        return Err(format!("`{s}`: each standard deviation must be positive"));
    }
    Ok(v)
}

fn parse_rgb(s: &str) -> Result<[f32; 3], String> {
    let v: Vec<f32> = s
        .split(',')
        .map(|x| {
            x.trim()
                .parse::<f32>()
                .map_err(|e| format!("`{x}`: {e}"))
                .and_then(|v| {
                    v.is_finite()
                        .then_some(v)
                        .ok_or_else(|| format!("`{x}` is not a finite number"))
                })
        })
        .collect::<Result<_, _>>()?;
    v.try_into()
        .map_err(|_| format!("`{s}` is not three numbers R,G,B"))
}
