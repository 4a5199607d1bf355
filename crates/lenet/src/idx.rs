//! IDX files (the MNIST and Fashion-MNIST format), plain or gzipped.

use std::io::Read;
use std::path::{Path, PathBuf};

use burn::tensor::{Device, Int, Tensor, TensorData};

/// Why an IDX file or a split's pair of them could not be read.
#[derive(Debug, thiserror::Error)]
pub enum IdxError {
    /// The file could not be opened or read (or decompressed).
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not what an IDX file of unsigned bytes must be.
    #[error("{}: not an IDX file of unsigned bytes: {reason}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A split lacks one of its files.
    #[error("no {what} file in {}", dir.display())]
    NotFound {
        /// The folder searched.
        dir: PathBuf,
        /// The missing file's name, without `.gz`.
        what: String,
    },
}

/// An IDX array of unsigned bytes.
#[derive(Debug)]
pub struct Idx {
    /// The array's shape, outermost first (`[n, rows, cols]` for images).
    pub dims: Vec<usize>,
    /// The values, row-major.
    pub data: Vec<u8>,
}

impl IdxError {
    /// The two errors of one file: from an I/O error, and from a reason.
    fn makers(
        path: &Path,
    ) -> (
        impl Fn(std::io::Error) -> Self + Copy + '_,
        impl Fn(String) -> Self + Copy + '_,
    ) {
        (
            move |source| IdxError::Io {
                path: path.to_path_buf(),
                source,
            },
            move |reason| IdxError::Format {
                path: path.to_path_buf(),
                reason,
            },
        )
    }
}

/// Deflate's largest expansion (a 258-byte match per two bits, about 1032:1): no honest
/// gzip file inflates beyond its own size times this.
const MAX_INFLATE_RATIO: u64 = 1032;

/// Reads an IDX file of type `u8`; gzip is recognised by its magic bytes. The header is read
/// first and checked against what the file can hold, so a forged header costs no memory:
/// at most what the (inflated) file really contains is ever allocated.
pub fn read(path: &Path) -> Result<Idx, IdxError> {
    let (io, format) = IdxError::makers(path);
    // Checked before opening: opening a FIFO would block until a writer came.
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(format("not a regular file".into()));
    }
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut magic = [0u8; 2];
    let got = file.read(&mut magic).map_err(io)?;
    let head = std::io::Cursor::new(magic[..got].to_vec());
    let gzip = magic == [0x1f, 0x8b];
    let mut reader: Box<dyn Read> = if gzip {
        Box::new(flate2::read::GzDecoder::new(head.chain(file)))
    } else {
        Box::new(head.chain(file))
    };
    // The most data bytes the file can hold after its header.
    let room = if gzip {
        meta.len().saturating_mul(MAX_INFLATE_RATIO)
    } else {
        meta.len()
    };
    let mut fixed = [0u8; 4];
    reader
        .read_exact(&mut fixed)
        .map_err(|_| format("bad magic number: shorter than an IDX header".into()))?;
    if fixed[0] != 0 || fixed[1] != 0 {
        return Err(format("bad magic number".into()));
    }
    if fixed[2] != 0x08 {
        return Err(format(format!(
            "element type 0x{:02x}, expected 0x08 (u8)",
            fixed[2]
        )));
    }
    let mut raw_dims = vec![0u8; 4 * fixed[3] as usize];
    reader
        .read_exact(&mut raw_dims)
        .map_err(|_| format("truncated header".into()))?;
    let dims: Vec<usize> = raw_dims
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .collect();
    let len = dims
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .filter(|&n| n as u64 <= room)
        .ok_or_else(|| {
            format(format!(
                "dims {dims:?} need more bytes than the file can hold ({} bytes{})",
                meta.len(),
                if gzip { ", gzipped" } else { "" }
            ))
        })?;
    // Grown as the data arrives: a gzip header's claim is only a bound until it is inflated.
    let mut data = Vec::with_capacity(len.min(64 << 20));
    let found = reader
        .take(len as u64 + 1)
        .read_to_end(&mut data)
        .map_err(io)?;
    if found != len {
        return Err(format(format!(
            "dims {dims:?} need {len} bytes of data, found {}",
            if found > len {
                "more".to_string()
            } else {
                found.to_string()
            }
        )));
    }
    Ok(Idx { dims, data })
}

/// Writes `data`, of shape `dims`, as an uncompressed IDX file of unsigned bytes (what
/// [`read`] reads back), e.g. generated images as `[n, rows, cols]`.
pub fn write(path: &Path, dims: &[usize], data: &[u8]) -> Result<(), IdxError> {
    let (io, format) = IdxError::makers(path);
    if dims.iter().product::<usize>() != data.len() || dims.is_empty() || dims.len() > 255 {
        return Err(format(format!(
            "{} values do not fill the shape {dims:?}",
            data.len()
        )));
    }
    let mut bytes = vec![0, 0, 8, dims.len() as u8];
    for &d in dims {
        let d = u32::try_from(d).map_err(|_| format(format!("dimension {d} over 2³²")))?;
        bytes.extend(d.to_be_bytes());
    }
    bytes.extend_from_slice(data);
    std::fs::write(path, bytes).map_err(io)
}

/// Images and labels of one split, e.g. MNIST's 10,000 test digits.
#[derive(Debug)]
pub struct Dataset {
    /// Pixels of every image, `[n, rows, cols]` row-major, 0 to 255.
    pub images: Vec<u8>,
    /// One class index per image.
    pub labels: Vec<u8>,
    /// Image height.
    pub rows: usize,
    /// Image width.
    pub cols: usize,
}

impl Dataset {
    /// Reads `{split}-images-idx3-ubyte` and `{split}-labels-idx1-ubyte` (optionally `.gz`)
    /// from `dir`; `split` is `train` or `t10k`.
    pub fn open(dir: &Path, split: &str) -> Result<Self, IdxError> {
        let find = |kind: &str, n: u8| -> Result<PathBuf, IdxError> {
            let base = format!("{split}-{kind}-idx{n}-ubyte");
            [base.clone(), format!("{base}.gz")]
                .into_iter()
                .map(|f| dir.join(f))
                .find(|p| p.exists())
                .ok_or_else(|| IdxError::NotFound {
                    dir: dir.to_path_buf(),
                    what: base,
                })
        };
        let images_path = find("images", 3)?;
        let images = read(&images_path)?;
        let labels = read(&find("labels", 1)?)?;
        let [n, rows, cols] = images.dims[..] else {
            return Err(IdxError::Format {
                path: images_path,
                reason: format!("images must have 3 dims, found {:?}", images.dims),
            });
        };
        if labels.dims != [n] {
            return Err(IdxError::Format {
                path: images_path,
                reason: format!("{n} images but labels of shape {:?}", labels.dims),
            });
        }
        Ok(Self {
            images: images.data,
            labels: labels.data,
            rows,
            cols,
        })
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the split has no images.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The images at `indices` as a normalised `[n, 1, rows, cols]` batch, and their labels.
    pub fn batch(
        &self,
        indices: &[usize],
        mean: f32,
        std: f32,
        device: &Device,
    ) -> (Tensor<4>, Tensor<1, Int>) {
        let px = self.rows * self.cols;
        let pixels: Vec<f32> = indices
            .iter()
            .flat_map(|&i| &self.images[i * px..(i + 1) * px])
            .map(|&p| (p as f32 / 255.0 - mean) / std)
            .collect();
        let labels: Vec<i64> = indices.iter().map(|&i| self.labels[i] as i64).collect();
        let shape = [indices.len(), 1, self.rows, self.cols];
        (
            Tensor::from_data(TensorData::new(pixels, shape), device),
            Tensor::from_data(TensorData::new(labels, [indices.len()]), device),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, bytes: &[u8]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("zoo-idx-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    #[test]
    fn writes_what_it_reads() {
        let path = std::env::temp_dir().join(format!("zoo-idx-write-{}", std::process::id()));
        super::write(&path, &[2, 1, 3], &[1, 2, 3, 4, 5, 6]).unwrap();
        let idx = read(&path).unwrap();
        assert_eq!(
            (idx.dims, idx.data),
            (vec![2, 1, 3], vec![1, 2, 3, 4, 5, 6])
        );
        let err = super::write(&path, &[2, 2], &[1, 2, 3])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("3 values do not fill the shape [2, 2]"),
            "{err}"
        );
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn reads_plain_and_gzipped_idx() {
        let raw = [0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6];
        let idx = read(&write("plain", &raw)).unwrap();
        assert_eq!((idx.dims, idx.data), (vec![2, 3], vec![1, 2, 3, 4, 5, 6]));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &raw).unwrap();
        let idx = read(&write("gz", &gz.finish().unwrap())).unwrap();
        assert_eq!(idx.dims, vec![2, 3]);
    }

    #[test]
    fn a_gzip_bomb_is_refused_before_it_inflates() {
        // A header claiming 2^31 bytes, then 64 MiB of zeros: about 64 KiB gzipped.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut gz, &[0, 0, 8, 1, 128, 0, 0, 0]).unwrap();
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..64 {
            std::io::Write::write_all(&mut gz, &zeros).unwrap();
        }
        let err = read(&write("bomb.gz", &gz.finish().unwrap()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("more bytes than the file can hold"), "{err}");
    }

    #[test]
    fn rejects_malformed_idx_with_reasons() {
        for (bytes, want) in [
            (&b"\x89PNG"[..], "bad magic"),
            (&[0, 0, 0x0d, 1, 0, 0, 0, 1][..], "element type 0x0d"),
            (&[0, 0, 8, 3, 0, 0][..], "truncated header"),
            (
                &[0, 0, 8, 1, 0, 0, 0, 5, 1, 2][..],
                "need 5 bytes of data, found 2",
            ),
            (
                &[0, 0, 8, 1, 0, 0, 0, 1, 1, 2][..],
                "need 1 bytes of data, found more",
            ),
            // 2^32 × 2^32 × … overflows; 2^31 × 2^31 is more than 14 bytes hold.
            (
                &[
                    0, 0, 8, 3, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
                ][..],
                "need more bytes than the file can hold",
            ),
            (
                &[0, 0, 8, 2, 128, 0, 0, 0, 128, 0, 0, 0, 1, 2][..],
                "need more bytes than the file can hold (14 bytes)",
            ),
        ] {
            let err = read(&write("bad", bytes)).unwrap_err().to_string();
            assert!(err.contains(want), "{err}");
        }
        let err = Dataset::open(Path::new("/nonexistent-dir"), "t10k")
            .unwrap_err()
            .to_string();
        assert!(err.contains("t10k-images-idx3-ubyte"), "{err}");
    }
}
