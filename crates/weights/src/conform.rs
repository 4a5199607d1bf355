//! What a file's tensors must be besides named and shaped right: of the model's element type
//! and finite. Other float widths are converted (as PyTorch's `load_state_dict` copies a
//! float16 tensor into a float32 parameter); anything else is refused here, at load time,
//! rather than by a panic in the first forward pass.

use std::collections::BTreeMap;
use std::path::Path;

use burn::tensor::DType;
use burn_store::burn_pack::Tensor as PackTensor;

use crate::{LoadError, WeightFormat};

fn is_float(dtype: DType) -> bool {
    matches!(dtype, DType::F64 | DType::F32 | DType::F16 | DType::BF16)
}

/// How many values of a float32 tensor are NaN or infinite.
fn non_finite(bytes: &[u8]) -> usize {
    match bytemuck::try_cast_slice::<u8, f32>(bytes) {
        Ok(values) => values.iter().filter(|v| !v.is_finite()).count(),
        Err(_) => bytes
            .chunks_exact(4)
            .filter(|c| !f32::from_le_bytes([c[0], c[1], c[2], c[3]]).is_finite())
            .count(),
    }
}

/// `tensors` with every float tensor the model wants (`wanted`, by name) in the model's dtype,
/// and the conversions made (`float16 → float32: 161 tensors`). Refuses a tensor whose
/// values are not all finite, or whose dtype cannot stand for the model's.
pub(crate) fn conform(
    path: &Path,
    format: WeightFormat,
    wanted: &[PackTensor],
    tensors: BTreeMap<String, PackTensor>,
) -> Result<(BTreeMap<String, PackTensor>, Vec<String>), LoadError> {
    let want: BTreeMap<&str, DType> = wanted.iter().map(|t| (t.name.as_str(), t.dtype)).collect();
    let read = |t: &PackTensor, e: burn_store::burn_pack::Error| LoadError::Read {
        path: path.to_path_buf(),
        format,
        reason: format!("tensor {}: {e}", t.name),
    };
    let mut converted: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut out = BTreeMap::new();
    for (name, t) in tensors {
        let Some(&dtype) = want.get(name.as_str()) else {
            out.insert(name, t);
            continue;
        };
        let t = if t.dtype == dtype {
            t
        } else if is_float(t.dtype) && is_float(dtype) {
            let from = format!("{:?}", t.dtype).to_lowercase();
            let data = burn_store::bridge::to_data(&t).map_err(|e| read(&t, e))?;
            *converted
                .entry((from, format!("{dtype:?}").to_lowercase()))
                .or_default() += 1;
            burn_store::bridge::from_data(data.convert_dtype(dtype), name.clone(), t.param_id)
        } else {
            return Err(LoadError::DType {
                path: path.to_path_buf(),
                tensor: name,
                expected: format!("{dtype:?}"),
                found: format!("{:?}", t.dtype),
            });
        };
        if t.dtype == DType::F32 {
            let bytes = t.to_bytes().map_err(|e| read(&t, e))?;
            let bad = non_finite(&bytes);
            if bad > 0 {
                return Err(LoadError::NonFinite {
                    path: path.to_path_buf(),
                    tensor: name,
                    count: bad,
                    total: bytes.len() / 4,
                });
            }
        }
        out.insert(name, t);
    }
    let notes = converted
        .into_iter()
        .map(|((from, to), n)| format!("converted {n} tensors from {from} to {to}"))
        .collect();
    Ok((out, notes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_nan_and_infinities_at_any_alignment() {
        let values = [1.0f32, f32::NAN, f32::INFINITY, -0.0, f32::NEG_INFINITY];
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        let mut shifted = vec![0u8];
        shifted.extend_from_slice(&bytes);
        assert_eq!(non_finite(&bytes), 3);
        assert_eq!(non_finite(&shifted[1..]), 3);
    }
}
