//! Validate-then-apply loading, and burnpack saving.

use std::collections::BTreeMap;
use std::path::Path;

use burn::module::Module;
use burn_store::burn_pack::Tensor as PackTensor;
use burn_store::{
    BurnToPyTorchAdapter, BurnpackStore, ModuleAdapter, ModuleSnapshot, ModuleStore,
    PyTorchToBurnAdapter, PytorchStore, SafetensorsStore,
};
use regex::Regex;

use crate::{LoadError, Mismatch, ShapeMismatch, WeightFormat};

/// A family's key map: `(regex, replacement)` pairs applied in order to every tensor name of
/// a PyTorch-convention file (`.pth`, `.safetensors`), turning reference state-dict keys into
/// the model's field paths. Most are a line or two, because fields carry the reference names.
///
/// Replacements use the `regex` crate's `$name` syntax, plus one extension: a capture group
/// named `dec` holds a 1-based index and `$dec` writes it 0-based (torchvision's DenseNet
/// numbers `denselayer1…`, a Burn `Vec` counts from 0).
pub type KeyMap = &'static [(&'static str, &'static str)];

/// What a user can say about a file beyond what the zoo works out itself.
#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    /// Read the state dict from this top-level key of a checkpoint dict. Without it,
    /// `state_dict` and `model` are tried when the file's tensors all sit under them.
    pub top_level_key: Option<String>,
    /// Extra `(regex, replacement)` renames, applied before the family's key map.
    pub remaps: Vec<(String, String)>,
    /// Patterns of tensors (names after renaming) to leave out: a classifier to be retrained,
    /// auxiliary heads the model was built without. What was left out is in [`LoadReport`].
    pub skip: Vec<String>,
    /// The model's BatchNorm ε (default 1e-5): an ONNX convolution with a folded BatchNorm
    /// loads with that BatchNorm set to the identity, which needs ε to be exact.
    pub batch_norm_eps: Option<f64>,
}

/// What a successful load did beyond applying every tensor of the model.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// Tensors of the file left out because they matched a skip pattern.
    pub skipped: Vec<String>,
}

impl std::fmt::Display for LoadReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.skipped.as_slice() {
            [] => write!(f, "every tensor of the file was loaded"),
            names => {
                let shown = names.iter().take(4).cloned().collect::<Vec<_>>().join(", ");
                let more = names.len().saturating_sub(4);
                write!(f, "left out {} tensors of the file: {shown}", names.len())?;
                if more > 0 {
                    write!(f, " and {more} more")?;
                }
                Ok(())
            }
        }
    }
}

/// Prefixes that wrap a state dict in common checkpoints: a checkpoint dict's entries, then
/// `nn.DataParallel`'s `module.`.
const WRAPPERS: [&str; 3] = ["state_dict.", "model.", "module."];

/// Tensors a file may carry that no inference model has a place for.
fn is_ignorable(name: &str) -> bool {
    name.ends_with("num_batches_tracked")
}

/// Loads `path` into `model`, returning the loaded model or an error that names what did not
/// fit. `model_name` only appears in messages. Every name and shape is checked before any
/// tensor is applied.
pub fn load<M: Module>(
    model: M,
    model_name: &str,
    path: &Path,
    key_map: KeyMap,
    options: &ImportOptions,
) -> Result<M, LoadError> {
    load_with_report(model, model_name, path, key_map, options).map(|(model, _)| model)
}

/// [`load`], also saying which tensors of the file were left out by a skip pattern.
pub fn load_with_report<M: Module>(
    model: M,
    model_name: &str,
    path: &Path,
    key_map: KeyMap,
    options: &ImportOptions,
) -> Result<(M, LoadReport), LoadError> {
    let path_buf = path.to_path_buf();
    std::fs::metadata(path).map_err(|source| LoadError::Open {
        path: path_buf.clone(),
        source,
    })?;
    let format = WeightFormat::detect(path).ok_or_else(|| LoadError::UnknownFormat {
        path: path_buf.clone(),
    })?;
    let rules = compile_rules(path, options, key_map)?;
    let skip = compile_skips(path, options)?;
    if format == WeightFormat::Onnx {
        let eps = options.batch_norm_eps.unwrap_or(1e-5);
        let tensors = crate::onnx::tensors_for(&model, path, eps).map_err(|e| match e {
            crate::onnx::OnnxError::Read(reason) => LoadError::Read {
                path: path.to_path_buf(),
                format,
                reason,
            },
            crate::onnx::OnnxError::Misfit(misfit) => LoadError::Structure {
                path: path.to_path_buf(),
                model: model_name.to_string(),
                misfit: Box::new(misfit),
            },
        })?;
        let model = apply_checked(model, model_name, path, tensors, true)?;
        return Ok((model, LoadReport::default()));
    }
    let tensors = read(path, format, options)?;
    // PyTorch-convention files name norm parameters weight/bias and store Linear weights
    // [out, in]; the adapters translate both ways. Burnpack is Burn's own naming.
    let pytorch_names = format != WeightFormat::Burnpack;
    let tensors = if pytorch_names {
        rename(tensors, &rules)
    } else {
        tensors
    };
    let (skipped, kept): (BTreeMap<_, _>, BTreeMap<_, _>) = tensors
        .into_iter()
        .partition(|(name, _)| skip.iter().any(|re| re.is_match(name)));
    let model = apply_checked(model, model_name, path, kept, pytorch_names)?;
    let skipped = skipped.into_keys().filter(|n| !is_ignorable(n)).collect();
    Ok((model, LoadReport { skipped }))
}

/// Alignment [`load_static`] requires of its bytes (the burnpack data-section alignment).
pub const STATIC_ALIGN: usize = burn_store::burn_pack::TENSOR_ALIGNMENT as usize;

/// Loads burnpack bytes compiled into the program (`include_bytes!`) into `model`, with the
/// same checks as [`load`]. The bytes must be [`STATIC_ALIGN`]-aligned (wrap `include_bytes!`
/// in a `#[repr(align(256))]` struct); `label` stands for the file name in messages.
pub fn load_static<M: Module>(
    model: M,
    model_name: &str,
    label: &str,
    bytes: &'static [u8],
) -> Result<M, LoadError> {
    let path = Path::new(label);
    // Burnpack casts tensor data in place; misaligned bytes can panic inside the reader.
    if bytes.as_ptr().align_offset(STATIC_ALIGN) != 0 {
        return Err(LoadError::Read {
            path: path.to_path_buf(),
            format: WeightFormat::Burnpack,
            reason: format!("embedded bytes are not {STATIC_ALIGN}-byte aligned"),
        });
    }
    let tensors =
        all_tensors(&mut BurnpackStore::from_static(bytes)).map_err(|reason| LoadError::Read {
            path: path.to_path_buf(),
            format: WeightFormat::Burnpack,
            reason,
        })?;
    apply_checked(model, model_name, path, tensors, false)
}

/// Compares names and shapes, and applies the tensors only when everything fits.
fn apply_checked<M: Module>(
    model: M,
    model_name: &str,
    path: &Path,
    tensors: BTreeMap<String, PackTensor>,
    pytorch_names: bool,
) -> Result<M, LoadError> {
    let adapter = |to_burn: bool| -> Box<dyn ModuleAdapter> {
        match (pytorch_names, to_burn) {
            (false, _) => Box::new(burn_store::IdentityAdapter),
            (true, false) => Box::new(BurnToPyTorchAdapter),
            (true, true) => Box::new(PyTorchToBurnAdapter),
        }
    };
    let wanted = crate::shapes::expected(&model, Some(adapter(false)), pytorch_names);
    let mismatch = compare(&wanted, &tensors);
    if !mismatch.is_empty() {
        return Err(LoadError::Mismatch {
            path: path.to_path_buf(),
            model: model_name.to_string(),
            mismatch,
        });
    }

    let incoming: Vec<PackTensor> = tensors
        .into_values()
        .filter(|t| !is_ignorable(&t.name))
        .collect();
    let mut model = model;
    let result = model.apply(incoming, None, Some(adapter(true)), pytorch_names);
    if !result.errors.is_empty() || !result.missing.is_empty() || !result.unused.is_empty() {
        // Validation above should make this unreachable; report rather than hand back a
        // partly loaded model.
        let reason = format!(
            "{} errors {:?}, missing {:?}, unused {:?}",
            result.errors.len(),
            result
                .errors
                .iter()
                .take(3)
                .map(|e| e.to_string())
                .collect::<Vec<_>>(),
            result
                .missing
                .iter()
                .take(3)
                .map(|m| &m.0)
                .collect::<Vec<_>>(),
            result.unused.iter().take(3).collect::<Vec<_>>(),
        );
        return Err(LoadError::Apply {
            path: path.to_path_buf(),
            reason,
        });
    }
    Ok(model)
}

/// Saves `model` as burnpack at `path`, atomically (a failed write leaves no partial file),
/// replacing any file already there.
pub fn save<M: Module>(model: &M, path: &Path) -> Result<(), LoadError> {
    let write_error = |reason: String| LoadError::Write {
        path: path.to_path_buf(),
        reason,
    };
    // Only a regular file is ever replaced (not a device, a directory or a FIFO).
    if let Ok(meta) = std::fs::metadata(path)
        && !meta.is_file()
    {
        return Err(write_error(
            "it exists and is not a regular file; refusing to replace it".into(),
        ));
    }
    // Written beside the target, then renamed over it: a failed save leaves the old file as
    // it was, and a reader never sees half a file.
    let name = path
        .file_name()
        .map_or("model".into(), |n| n.to_string_lossy());
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let mut store = BurnpackStore::from_file(&tmp)
        .overwrite(true)
        .auto_extension(false);
    let saved = model
        .save_into(&mut store)
        .map_err(|e| write_error(e.to_string()))
        .and_then(|()| std::fs::rename(&tmp, path).map_err(|e| write_error(e.to_string())));
    if saved.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    saved
}

fn read(
    path: &Path,
    format: WeightFormat,
    options: &ImportOptions,
) -> Result<BTreeMap<String, PackTensor>, LoadError> {
    let read_error = |reason: String| LoadError::Read {
        path: path.to_path_buf(),
        format,
        reason,
    };
    match format {
        WeightFormat::Pytorch => {
            let mut store = PytorchStore::from_file(path).map_indices_contiguous(false);
            if let Some(key) = &options.top_level_key {
                store = store.with_top_level_key(key);
            }
            all_tensors(&mut store).map_err(read_error)
        }
        WeightFormat::Safetensors => {
            all_tensors(&mut SafetensorsStore::from_file(path)).map_err(read_error)
        }
        WeightFormat::Burnpack => {
            // Read whole: Burn's file-backed reader fetches tensor data lazily, at first use,
            // so a model loaded from a file later deleted or rewritten would fail (panic) then.
            read_burnpack(path).map_err(read_error)
        }
        WeightFormat::Onnx => Err(read_error("ONNX files are read by structure".into())),
    }
}

/// Reads a burnpack file whole into one 16-byte-aligned buffer that the loaded tensors then
/// share: no copy after the read. (`Bytes::from_bytes_vec` re-aligns a `Vec<u8>` by copying
/// it, and `BurnpackStore::from_bytes` copies its buffer again: together 2.5× the read.)
fn read_burnpack(path: &Path) -> Result<BTreeMap<String, PackTensor>, String> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let len = file.metadata().map_err(|e| e.to_string())?.len() as usize;
    let mut words = vec![0u128; len.div_ceil(16)];
    file.read_exact(&mut bytemuck::cast_slice_mut(&mut words)[..len])
        .map_err(|e| e.to_string())?;
    let bytes = burn_store::burn_pack::Bytes::from_elems(words)
        .shared()
        .view(0, len)
        .map_err(|e| format!("{e:?}"))?;
    let reader = burn_store::burn_pack::Reader::from_bytes(bytes).map_err(|e| e.to_string())?;
    let tensors = reader.into_tensors().map_err(|e| e.to_string())?;
    Ok(tensors.into_iter().map(|t| (t.name.clone(), t)).collect())
}

fn all_tensors<S: ModuleStore>(store: &mut S) -> Result<BTreeMap<String, PackTensor>, String> {
    store.get_all_tensors().cloned().map_err(|e| e.to_string())
}

type Rules = Vec<(Regex, String)>;

/// The user's remaps, then the family's key map, compiled (before any file is read, so a bad
/// pattern is reported as such).
fn compile_rules(
    path: &Path,
    options: &ImportOptions,
    key_map: KeyMap,
) -> Result<Rules, LoadError> {
    let user = options.remaps.iter().map(|(p, r)| (p.as_str(), r.as_str()));
    user.chain(key_map.iter().copied())
        .map(|(pattern, replacement)| Ok((compile(path, pattern)?, replacement.to_string())))
        .collect()
}

fn compile_skips(path: &Path, options: &ImportOptions) -> Result<Vec<Regex>, LoadError> {
    options.skip.iter().map(|p| compile(path, p)).collect()
}

/// A user's or a family's pattern; an invalid one is a `Remap` error naming it.
fn compile(path: &Path, pattern: &str) -> Result<Regex, LoadError> {
    Regex::new(pattern).map_err(|e| LoadError::Remap {
        path: path.to_path_buf(),
        pattern: pattern.to_string(),
        reason: e.to_string(),
    })
}

/// Applies one rename rule, writing a `dec` group 0-based (see [`KeyMap`]).
fn replace(re: &Regex, replacement: &str, name: &str) -> String {
    if re.capture_names().all(|n| n != Some("dec")) {
        return re.replace_all(name, replacement).into_owned();
    }
    re.replace_all(name, |caps: &regex::Captures| {
        let index = caps["dec"].parse::<usize>().map_or_else(
            |_| caps["dec"].to_string(),
            |i| i.saturating_sub(1).to_string(),
        );
        let mut out = String::new();
        caps.expand(
            &replacement
                .replace("${dec}", &index)
                .replace("$dec", &index),
            &mut out,
        );
        out
    })
    .into_owned()
}

/// Strips checkpoint wrappers, then applies the remap rules in order.
fn rename(tensors: BTreeMap<String, PackTensor>, rules: &Rules) -> BTreeMap<String, PackTensor> {
    let mut tensors = tensors;
    for prefix in WRAPPERS {
        if !tensors.is_empty() && tensors.keys().all(|k| k.starts_with(prefix)) {
            tensors = tensors
                .into_values()
                .map(|t| renamed(t, |n| n[prefix.len()..].to_string()))
                .map(|t| (t.name.clone(), t))
                .collect();
        }
    }
    tensors
        .into_values()
        .map(|t| {
            renamed(t, |name| {
                rules
                    .iter()
                    .fold(name.to_string(), |n, (re, rep)| replace(re, rep, &n))
            })
        })
        .map(|t| (t.name.clone(), t))
        .collect()
}

fn renamed(mut tensor: PackTensor, f: impl Fn(&str) -> String) -> PackTensor {
    tensor.name = f(&tensor.name);
    tensor
}

fn compare(wanted: &[PackTensor], found: &BTreeMap<String, PackTensor>) -> Mismatch {
    let dims = |t: &PackTensor| t.shape.iter().copied().collect::<Vec<usize>>();
    let mut mismatch = Mismatch::default();
    let mut seen = std::collections::BTreeSet::new();
    for w in wanted {
        seen.insert(w.name.as_str());
        match found.get(&w.name) {
            None => mismatch.missing.push((w.name.clone(), dims(w))),
            Some(f) if dims(f) != dims(w) => mismatch.shapes.push(ShapeMismatch {
                name: w.name.clone(),
                expected: dims(w),
                found: dims(f),
            }),
            Some(_) => {}
        }
    }
    mismatch.unexpected = found
        .values()
        .filter(|t| !seen.contains(t.name.as_str()) && !is_ignorable(&t.name))
        .map(|t| (t.name.clone(), dims(t)))
        .collect();
    mismatch
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dec_groups_are_written_zero_based() {
        let re = Regex::new(r"\.denselayer(?P<dec>\d+)\.").unwrap();
        let name = "features.denseblock2.denselayer12.conv1.weight";
        assert_eq!(
            replace(&re, ".$dec.", name),
            "features.denseblock2.11.conv1.weight"
        );
        let plain = Regex::new(r"\.branch4\.1\.").unwrap();
        assert_eq!(
            replace(&plain, ".branch4.", "inception3a.branch4.1.conv.weight"),
            "inception3a.branch4.conv.weight"
        );
    }
}
