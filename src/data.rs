//! Labelled images on disk, as `zoo eval` and `zoo finetune` read them: an ImageFolder
//! layout (one folder per class, as torchvision's `ImageFolder`), a folder with a labels
//! file, or an MNIST-style IDX folder.

use std::path::{Path, PathBuf};

use burn::tensor::{Device, Tensor, TensorData};

use zoo_lenet::idx::{Dataset, IdxError};
use zoo_vision::ImageError;

use crate::Preprocess;

/// Why labelled images could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A folder or labels file that does not say which image is which class.
    #[error("{path}: {reason}")]
    Layout {
        /// The folder or file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// An IDX file that cannot be read.
    #[error(transparent)]
    Idx(#[from] IdxError),
    /// An image that cannot be decoded.
    #[error(transparent)]
    Image(#[from] ImageError),
}

fn layout(path: &Path, reason: impl Into<String>) -> DataError {
    DataError::Layout {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Image files with their class index and, for an ImageFolder, the class folders' names.
#[derive(Clone, Debug, Default)]
pub struct Files {
    /// Each image and its class index.
    pub items: Vec<(PathBuf, usize)>,
    /// Class names by index (empty for a labels file).
    pub classes: Vec<String>,
}

/// Whether `dir` is an MNIST-style folder holding `{split}-images-idx3-ubyte` (or `.gz`).
pub fn is_idx(dir: &Path, split: &str) -> bool {
    let base = format!("{split}-images-idx3-ubyte");
    dir.join(&base).exists() || dir.join(format!("{base}.gz")).exists()
}

/// Images and labels of `dir`: from a labels file (`file<TAB>label`, or a header naming
/// `file` or `filename` and `class_index` or `label` columns; default `labels.tsv` or
/// `labels.txt` in `dir`), else an ImageFolder layout (classes numbered in sorted folder
/// order, files sorted within each).
pub fn files(dir: &Path, labels: Option<&Path>) -> Result<Files, DataError> {
    let found = ["labels.tsv", "labels.txt"].map(|f| dir.join(f));
    let labels = labels
        .map(Path::to_path_buf)
        .or_else(|| found.into_iter().find(|p| p.exists()));
    match labels {
        Some(file) => labels_file(dir, &file),
        None => image_folder(dir),
    }
}

fn labels_file(dir: &Path, file: &Path) -> Result<Files, DataError> {
    let text = std::fs::read_to_string(file).map_err(|e| layout(file, e.to_string()))?;
    let mut lines = text.lines().filter(|l| !l.trim().is_empty()).peekable();
    let split = |l: &str| {
        l.split(['\t', ' ', ','])
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let (mut fc, mut lc, mut first_line) = (0, 1, 1);
    if let Some(first) = lines.peek() {
        let cols = split(first);
        if cols.last().is_some_and(|c| c.parse::<usize>().is_err())
            || cols.iter().any(|c| c == "class_index")
        {
            fc = cols
                .iter()
                .position(|c| c == "file" || c == "filename")
                .unwrap_or(0);
            lc = cols
                .iter()
                .position(|c| c == "class_index" || c == "label")
                .ok_or_else(|| layout(file, "no class_index or label column"))?;
            lines.next();
            first_line = 2;
        }
    }
    let mut items = Vec::new();
    for (n, line) in lines.enumerate() {
        let cols = split(line);
        let bad = || {
            layout(
                file,
                format!(
                    "line {}: expected a file and a class index: `{line}`",
                    n + first_line
                ),
            )
        };
        let label = cols.get(lc).and_then(|c| c.parse().ok()).ok_or_else(bad)?;
        items.push((dir.join(cols.get(fc).ok_or_else(bad)?), label));
    }
    Ok(Files {
        items,
        classes: Vec::new(),
    })
}

fn sorted_entries(dir: &Path, want_dirs: bool) -> Result<Vec<PathBuf>, DataError> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| layout(dir, e.to_string()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| if want_dirs { p.is_dir() } else { p.is_file() })
        .collect();
    paths.sort();
    Ok(paths)
}

fn image_folder(dir: &Path) -> Result<Files, DataError> {
    let class_dirs = sorted_entries(dir, true)?;
    if class_dirs.is_empty() {
        return Err(layout(dir, "no labels file and no class folders"));
    }
    let mut items = Vec::new();
    for (i, class_dir) in class_dirs.iter().enumerate() {
        items.extend(
            sorted_entries(class_dir, false)?
                .into_iter()
                .map(|f| (f, i)),
        );
    }
    let classes = class_dirs
        .iter()
        .map(|c| c.file_name().unwrap_or_default().to_string_lossy().into())
        .collect();
    Ok(Files { items, classes })
}

/// Preprocessed images held in memory, for training: `len() × shape` values, channel-major.
#[derive(Clone, Debug)]
pub struct Samples {
    /// Every image's values, one after another.
    pub values: Vec<f32>,
    /// One class index per image.
    pub labels: Vec<usize>,
    /// `[channels, height, width]` of one image.
    pub shape: [usize; 3],
    /// Class names by index (ImageFolder folders; empty otherwise).
    pub classes: Vec<String>,
    /// Where the images came from, for messages.
    pub source: PathBuf,
}

impl Samples {
    /// Reads `dir` as the model's input: an IDX folder's `split` or image files ([`files`])
    /// through `preprocess` ([`Samples::from_idx`] says how IDX images are converted).
    pub fn read(dir: &Path, split: &str, preprocess: &Preprocess) -> Result<Self, DataError> {
        Self::read_first(dir, split, preprocess, None)
    }

    /// [`Samples::read`] of at most `limit` images (image files beyond it are not decoded).
    pub fn read_first(
        dir: &Path,
        split: &str,
        preprocess: &Preprocess,
        limit: Option<usize>,
    ) -> Result<Self, DataError> {
        let limit = limit.unwrap_or(usize::MAX);
        if is_idx(dir, split) {
            let ds = Dataset::open(dir, split)?;
            let mut set = Self::from_idx(dir, &ds, preprocess)?;
            let per_image: usize = set.shape.iter().product();
            set.values.truncate(limit.saturating_mul(per_image));
            set.labels.truncate(limit);
            return Ok(set);
        }
        let mut found = files(dir, None)?;
        found.items.truncate(limit);
        let paths: Vec<&Path> = found.items.iter().map(|(p, _)| p.as_path()).collect();
        Ok(Self {
            values: preprocess.load_values(&paths)?,
            labels: found.items.iter().map(|(_, l)| *l).collect(),
            shape: preprocess.shape(),
            classes: found.classes,
            source: dir.to_path_buf(),
        })
    }

    /// An IDX split as the model's input: normalised pixels when `preprocess` is greyscale
    /// at the images' size; otherwise each image goes through `preprocess` as a greyscale
    /// picture would (an RGB model gets it as `PIL.Image.convert("RGB")` gives it, then
    /// resized and cropped), so Fashion-MNIST can feed a CIFAR network.
    pub fn from_idx(dir: &Path, ds: &Dataset, preprocess: &Preprocess) -> Result<Self, DataError> {
        if ds.rows == 0 || ds.cols == 0 {
            return Err(layout(
                dir,
                format!("IDX images of {}×{} pixels", ds.rows, ds.cols),
            ));
        }
        let values = match *preprocess {
            Preprocess::Grey { size, mean, std } if (ds.rows, ds.cols) == (size, size) => ds
                .images
                .iter()
                .map(|&p| (f32::from(p) / 255.0 - mean) / std)
                .collect(),
            _ => {
                let px = ds.rows * ds.cols;
                let (w, h) = (ds.cols as u32, ds.rows as u32);
                ds.images
                    .chunks(px)
                    .flat_map(|pixels| {
                        let img = image::GrayImage::from_raw(w, h, pixels.to_vec())
                            .map(zoo_vision::DynamicImage::ImageLuma8)
                            .expect("an IDX image holds rows × cols pixels");
                        preprocess.apply(img)
                    })
                    .collect()
            }
        };
        Ok(Self {
            values,
            labels: ds.labels.iter().map(|&l| usize::from(l)).collect(),
            shape: preprocess.shape(),
            classes: Vec::new(),
            source: dir.to_path_buf(),
        })
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no images.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// One image's values.
    pub fn image(&self, i: usize) -> &[f32] {
        let n = self.shape.iter().product::<usize>();
        &self.values[i * n..(i + 1) * n]
    }

    /// The images at `indices` as a `[n, c, h, w]` batch on `device`.
    pub fn batch(&self, indices: &[usize], device: &Device) -> Tensor<4> {
        let [c, h, w] = self.shape;
        let mut values = Vec::with_capacity(indices.len() * c * h * w);
        for &i in indices {
            values.extend_from_slice(self.image(i));
        }
        Tensor::from_data(TensorData::new(values, [indices.len(), c, h, w]), device)
    }

    /// The first `per_class` images of each class, in their order (a small training set cut
    /// from a large one, as the transfer experiments do).
    pub fn first_per_class(mut self, per_class: usize) -> Self {
        let n = self.shape.iter().product::<usize>();
        let mut taken = std::collections::HashMap::<usize, usize>::new();
        let keep: Vec<usize> = (0..self.len())
            .filter(|&i| {
                let t = taken.entry(self.labels[i]).or_default();
                *t += 1;
                *t <= per_class
            })
            .collect();
        self.values = keep.iter().flat_map(|&i| self.image(i).to_vec()).collect();
        self.labels = keep.iter().map(|&i| self.labels[i]).collect();
        debug_assert_eq!(self.values.len(), keep.len() * n);
        self
    }
}
