//! Validate-then-apply loading, and burnpack saving.

use std::collections::BTreeMap;
use std::path::Path;

use burn::module::Module;
use burn_store::burn_pack::Tensor as PackTensor;
use burn_store::{
    BurnToPyTorchAdapter, BurnpackStore, ModuleAdapter, ModuleSnapshot, ModuleStore, PytorchStore,
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
    /// Element-type conversions made to fit the model, e.g. `converted 161 tensors from f16
    /// to f32` for a half-precision checkpoint.
    pub converted: Vec<String>,
    /// Tensors of the model a skip pattern named: left as initialised (a head to retrain).
    pub initialised: Vec<String>,
}

impl std::fmt::Display for LoadReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.skipped.as_slice() {
            [] => write!(f, "every tensor of the file was loaded")?,
            names => {
                let shown = names.iter().take(4).cloned().collect::<Vec<_>>().join(", ");
                let more = names.len().saturating_sub(4);
                write!(f, "left out {} tensors of the file: {shown}", names.len())?;
                if more > 0 {
                    write!(f, " and {more} more")?;
                }
            }
        }
        if !self.initialised.is_empty() {
            let shown = self.initialised.iter().take(4).cloned().collect::<Vec<_>>();
            let more = self.initialised.len().saturating_sub(4);
            write!(
                f,
                "; kept {} tensors of the model as initialised: {}",
                self.initialised.len(),
                shown.join(", ")
            )?;
            if more > 0 {
                write!(f, " and {more} more")?;
            }
        }
        for note in &self.converted {
            write!(f, "; {note}")?;
        }
        Ok(())
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
    let meta = std::fs::metadata(path).map_err(|source| LoadError::Open {
        path: path_buf.clone(),
        source,
    })?;
    // A FIFO or a device would block or never end; a directory is no weight file.
    if !meta.is_file() {
        return Err(LoadError::Open {
            path: path_buf,
            source: std::io::Error::other("not a regular file"),
        });
    }
    let format = WeightFormat::detect(path).ok_or_else(|| LoadError::UnknownFormat {
        path: path_buf.clone(),
    })?;
    let rules = compile_rules(path, options, key_map)?;
    let skip = compile_skips(path, options)?;
    check_head(path, format, meta.len())?;
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
        let (model, converted, _) =
            apply_checked(model, model_name, path, format, tensors, true, &[])?;
        let report = LoadReport {
            converted,
            ..LoadReport::default()
        };
        return Ok((model, report));
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
    let (model, converted, initialised) =
        apply_checked(model, model_name, path, format, kept, pytorch_names, &skip)?;
    let skipped = skipped.into_keys().filter(|n| !is_ignorable(n)).collect();
    let report = LoadReport {
        skipped,
        converted,
        initialised,
    };
    Ok((model, report))
}

/// Refuses, from its first bytes and its length, a file that cannot be of `format`, before
/// any reader allocates for it (a reader handed a 14 GB file of anything would try to hold it).
/// PyTorch files need no check here: burn-store's reader tells zip, TAR, legacy and pickle
/// checkpoints apart from their first 262 bytes and refuses anything else before reading.
fn check_head(path: &Path, format: WeightFormat, len: u64) -> Result<(), LoadError> {
    use std::io::Read;
    let mut head = [0u8; 9];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .map_err(|source| LoadError::Open {
            path: path.to_path_buf(),
            source,
        })?;
    let head = &head[..n];
    let refuse = |reason: String| {
        Err(LoadError::Read {
            path: path.to_path_buf(),
            format,
            reason,
        })
    };
    match format {
        // An 8-byte header length, then that much JSON, within the file.
        WeightFormat::Safetensors => {
            let header = head
                .get(..8)
                .map(|b| u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]));
            match header {
                None => refuse(format!("{len} bytes: too short for a safetensors header")),
                Some(h)
                    if h.checked_add(8).is_some_and(|end| end <= len)
                        && head.get(8) == Some(&b'{') =>
                {
                    Ok(())
                }
                Some(h) => refuse(format!(
                    "its header claims {h} bytes of JSON, which the file's {len} bytes cannot \
                     hold, or the header is not JSON"
                )),
            }
        }
        WeightFormat::Burnpack if n < 4 => {
            refuse(format!("{len} bytes: too short for a burnpack header"))
        }
        WeightFormat::Burnpack
            if u32::from_le_bytes([head[0], head[1], head[2], head[3]])
                != burn_store::burn_pack::MAGIC_NUMBER =>
        {
            refuse(format!(
                "does not start with burnpack's magic number (found bytes {:02x?})",
                &head[..4]
            ))
        }
        // Protobuf messages are limited to 2 GiB: larger weights live in external data files.
        WeightFormat::Onnx if len > i32::MAX as u64 => refuse(format!(
            "{len} bytes: larger than an ONNX protobuf can be (2 GiB; bigger models keep their \
             weights in external data files)"
        )),
        _ => Ok(()),
    }
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
    burnpack_into(model, model_name, path, BurnpackStore::from_static(bytes))
}

/// Loads burnpack bytes held in memory (fetched by a web page, read from an archive) into
/// `model`, with the same checks as [`load`]; `label` stands for the file name in messages.
/// Tensors are read in place, so the buffer must be 8-byte aligned, as every allocator gives
/// it (a misaligned one is refused, never a panic).
pub fn load_bytes<M: Module>(
    model: M,
    model_name: &str,
    label: &str,
    bytes: Vec<u8>,
) -> Result<M, LoadError> {
    if bytes.as_ptr().align_offset(8) != 0 {
        return Err(LoadError::Read {
            path: label.into(),
            format: WeightFormat::Burnpack,
            reason: "the bytes are not 8-byte aligned".into(),
        });
    }
    let store = BurnpackStore::from_bytes(Some(burn::tensor::Bytes::from_bytes_vec(bytes)));
    burnpack_into(model, model_name, Path::new(label), store)
}

fn burnpack_into<M: Module>(
    model: M,
    model_name: &str,
    path: &Path,
    mut store: BurnpackStore,
) -> Result<M, LoadError> {
    let tensors = all_tensors(&mut store).map_err(|reason| LoadError::Read {
        path: path.to_path_buf(),
        format: WeightFormat::Burnpack,
        reason,
    })?;
    apply_checked(
        model,
        model_name,
        path,
        WeightFormat::Burnpack,
        tensors,
        false,
        &[],
    )
    .map(|(model, _, _)| model)
}

/// Compares names, shapes, dtypes and values, and applies the tensors only when everything
/// fits; also says which float conversions were made.
fn apply_checked<M: Module>(
    model: M,
    model_name: &str,
    path: &Path,
    format: WeightFormat,
    tensors: BTreeMap<String, PackTensor>,
    pytorch_names: bool,
    keep: &[Regex],
) -> Result<(M, Vec<String>, Vec<String>), LoadError> {
    // The model's own tensors that a skip pattern names keep their initialisation: a head
    // left out of the file to be retrained is not missing.
    let kept = |name: &str| keep.iter().any(|re| re.is_match(name));
    let adapter = |to_burn: bool| -> Box<dyn ModuleAdapter> {
        match (pytorch_names, to_burn) {
            (false, _) => Box::new(burn_store::IdentityAdapter),
            (true, false) => Box::new(BurnToPyTorchAdapter),
            (true, true) => Box::new(crate::transpose::TorchToBurn),
        }
    };
    let mut wanted = crate::shapes::expected(&model, Some(adapter(false)), pytorch_names);
    let initialised: Vec<String> = wanted
        .iter()
        .filter(|t| kept(&t.name) && !is_ignorable(&t.name))
        .map(|t| t.name.clone())
        .collect();
    wanted.retain(|t| !kept(&t.name));
    let mismatch = compare(&wanted, &tensors);
    if !mismatch.is_empty() {
        return Err(LoadError::Mismatch {
            path: path.to_path_buf(),
            model: model_name.to_string(),
            mismatch,
        });
    }
    let (tensors, converted) = crate::conform::conform(path, format, &wanted, tensors)?;

    let incoming: Vec<PackTensor> = tensors
        .into_values()
        .filter(|t| !is_ignorable(&t.name))
        .collect();
    let mut model = model;
    let result = model.apply(incoming, None, Some(adapter(true)), pytorch_names);
    // Burn names norm parameters gamma/beta where the patterns use PyTorch's weight/bias.
    let torch_name = |n: &str| {
        n.strip_suffix(".gamma")
            .map(|s| format!("{s}.weight"))
            .or_else(|| n.strip_suffix(".beta").map(|s| format!("{s}.bias")))
            .unwrap_or_else(|| n.to_string())
    };
    let missing: Vec<_> = result
        .missing
        .iter()
        .filter(|m| !kept(&m.0) && !kept(&torch_name(&m.0)))
        .collect();
    if !result.errors.is_empty() || !missing.is_empty() || !result.unused.is_empty() {
        // Validation above should make this unreachable; report rather than hand back a
        // partly loaded model.
        let mut lines: Vec<String> = result.errors.iter().map(|e| e.to_string()).collect();
        lines.extend(missing.iter().map(|m| format!("missing `{}`", m.0)));
        lines.extend(result.unused.iter().map(|u| format!("unused `{u}`")));
        let more = lines.len().saturating_sub(3);
        lines.truncate(3);
        let mut reason = lines.join("; ");
        if more > 0 {
            reason.push_str(&format!("; and {more} more"));
        }
        return Err(LoadError::Apply {
            path: path.to_path_buf(),
            reason,
        });
    }
    Ok((model, converted, initialised))
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
    let tensors = model.collect(None, None, false);
    let mut sorted: Vec<&PackTensor> = tensors.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let crc = checksum(sorted).map_err(|e| write_error(e.to_string()))?;
    let mut store = BurnpackStore::from_file(&tmp)
        .overwrite(true)
        .auto_extension(false)
        .metadata(CHECKSUM_KEY, crc);
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
            let copy = crate::zip64::patched_copy(path).map_err(|e| read_error(e.to_string()))?;
            let source = copy.as_deref().unwrap_or(path);
            let mut store = PytorchStore::from_file(source).map_indices_contiguous(false);
            if let Some(key) = &options.top_level_key {
                store = store.with_top_level_key(key);
            }
            // The tensors read lazily through the file handle the store keeps open, so the
            // copy may be unlinked once they are listed (it is, when `copy` drops).
            all_tensors(&mut store).map_err(read_error)
        }
        WeightFormat::Safetensors => read_safetensors(path).map_err(read_error),
        WeightFormat::Burnpack => {
            // Read whole: Burn's file-backed reader fetches tensor data lazily, at first use,
            // so a model loaded from a file later deleted or rewritten would fail (panic) then.
            read_burnpack(path).map_err(read_error)
        }
        WeightFormat::Onnx => Err(read_error("ONNX files are read by structure".into())),
    }
}

/// Reads a safetensors file whole and parses (and validates) its header once; each tensor's
/// bytes are copied out of the shared buffer when the model takes them. burn-store 0.22's
/// `SafetensorsStore` parses the whole JSON header again for every tensor it hands out, so its
/// load time grows with the square of the tensor count: ResNet-1202's 7,000 tensors took two
/// minutes against half a second for the same weights in a `.pth`.
fn read_safetensors(path: &Path) -> Result<BTreeMap<String, PackTensor>, String> {
    use burn::tensor::{BoolStore, DType};
    use safetensors::Dtype;
    let buffer = std::sync::Arc::new(std::fs::read(path).map_err(|e| e.to_string())?);
    let parsed = safetensors::SafeTensors::deserialize(&buffer).map_err(|e| e.to_string())?;
    let mut tensors = BTreeMap::new();
    for (name, view) in parsed.tensors() {
        let dtype = match view.dtype() {
            Dtype::F64 => DType::F64,
            Dtype::F32 => DType::F32,
            Dtype::F16 => DType::F16,
            Dtype::BF16 => DType::BF16,
            Dtype::I64 => DType::I64,
            Dtype::I32 => DType::I32,
            Dtype::I16 => DType::I16,
            Dtype::I8 => DType::I8,
            Dtype::U64 => DType::U64,
            Dtype::U32 => DType::U32,
            Dtype::U8 => DType::U8,
            Dtype::BOOL => DType::Bool(BoolStore::Native),
            other => return Err(format!("tensor {name}: unsupported dtype {other:?}")),
        };
        // The view borrows `buffer`: its place there is what the deferred read keeps.
        let data = view.data();
        let start = data.as_ptr() as usize - buffer.as_ptr() as usize;
        let range = start..start + data.len();
        let shared = buffer.clone();
        let tensor = PackTensor::deferred(
            name.clone(),
            dtype,
            view.shape().to_vec(),
            None,
            data.len(),
            move || Ok(crate::transpose::aligned_copy(&shared[range.clone()])),
        );
        tensors.insert(name, tensor);
    }
    Ok(tensors)
}

/// Reads a burnpack file whole into one 16-byte-aligned buffer that the loaded tensors then
/// share: no copy after the read. (`Bytes::from_bytes_vec` re-aligns a `Vec<u8>` by copying
/// it, and `BurnpackStore::from_bytes` copies its buffer again: together 2.5× the read.)
/// Its magic number was checked before ([`check_head`]), and a file the zoo wrote carries a
/// checksum of its tensors that is verified here.
fn read_burnpack(path: &Path) -> Result<BTreeMap<String, PackTensor>, String> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let len = file.metadata().map_err(|e| e.to_string())?.len();
    let len = usize::try_from(len).map_err(|_| "larger than memory can hold")?;
    let mut words = vec![0u128; len.div_ceil(16)];
    file.read_exact(&mut bytemuck::cast_slice_mut(&mut words)[..len])
        .map_err(|e| e.to_string())?;
    let bytes = burn_store::burn_pack::Bytes::from_elems(words)
        .shared()
        .view(0, len)
        .map_err(|e| format!("{e:?}"))?;
    let reader = burn_store::burn_pack::Reader::from_bytes(bytes).map_err(pack_error)?;
    let stored = reader.metadata().get(CHECKSUM_KEY).cloned();
    let tensors = reader.into_tensors().map_err(pack_error)?;
    let tensors: BTreeMap<String, PackTensor> =
        tensors.into_iter().map(|t| (t.name.clone(), t)).collect();
    if let Some(stored) = stored {
        let found = checksum(tensors.values()).map_err(pack_error)?;
        if found != stored {
            return Err(format!(
                "the tensor data is corrupt: its CRC-32 is {found}, the file was written with \
                 {stored}"
            ));
        }
    }
    Ok(tensors)
}

/// Metadata key of the CRC-32 over every tensor (name, then bytes, in name order) that
/// [`save`] writes and [`load`] verifies: burnpack itself has no checksum, so a flipped bit
/// in the data would otherwise load silently.
const CHECKSUM_KEY: &str = "zoo.crc32";

fn checksum<'a>(
    tensors: impl IntoIterator<Item = &'a PackTensor>,
) -> Result<String, burn_store::burn_pack::Error> {
    let mut crc = crc32fast::Hasher::new();
    for t in tensors {
        crc.update(t.name.as_bytes());
        crc.update(&t.to_bytes()?);
    }
    Ok(format!("{:08x}", crc.finalize()))
}

/// A burnpack reader's error in words (its metadata errors are otherwise bare CBOR
/// positions such as `Syntax(7101)`).
fn pack_error(e: burn_store::burn_pack::Error) -> String {
    use burn_store::burn_pack::Error as E;
    match e {
        E::InvalidHeader => "the header or the tensor table is cut short".into(),
        E::InvalidMagicNumber => "does not start with burnpack's magic number".into(),
        E::InvalidVersion => "written by a newer burnpack version than this zoo reads".into(),
        E::MetadataDeserializationError(m) => {
            let at = m
                .strip_prefix("Syntax(")
                .and_then(|r| r.strip_suffix(')'))
                .map_or(String::new(), |n| format!(" at byte {n} of the table"));
            let why = if m.contains("UnexpectedEof") {
                "it ends early".to_string()
            } else if at.is_empty() {
                m
            } else {
                "malformed CBOR".to_string()
            };
            format!("the tensor table (CBOR metadata) is corrupt{at}: {why}")
        }
        E::TensorBytesSizeMismatch(m) | E::ValidationError(m) | E::IoError(m) => m,
        other => other.to_string(),
    }
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
