//! Helpers shared by the zoo-level tests: where fixtures and shared data live, whether a
//! test may skip for their absence, and the parity comparison.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};

use burn::tensor::{Device, Tensor, TensorData};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `tests/fixtures`, written by `scripts/reference.py` (or `$ZOO_FIXTURES`).
pub fn fixtures() -> PathBuf {
    std::env::var_os("ZOO_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("tests").join("fixtures"))
}

/// `../shared/data` beside the checkout (or `$ZOO_SHARED`).
pub fn shared() -> PathBuf {
    std::env::var_os("ZOO_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("..").join("shared").join("data"))
}

fn required(var: &str) -> bool {
    std::env::var(var).is_ok_and(|v| v == "1")
}

/// The fixture folder of `name`, or `None` (with a message) when fixtures were not generated.
/// Panics instead when `ZOO_REQUIRE_FIXTURES=1`: the full tier must not skip.
pub fn fixture(name: &str) -> Option<PathBuf> {
    fixture_with(name, "meta.json")
}

/// [`fixture`] for a folder recognised by another file (ONNX-only fixtures have no meta.json).
pub fn fixture_with(name: &str, marker: &str) -> Option<PathBuf> {
    let dir = fixtures().join(name);
    if dir.join(marker).exists() {
        return Some(dir);
    }
    assert!(
        !required("ZOO_REQUIRE_FIXTURES"),
        "fixture {} missing and ZOO_REQUIRE_FIXTURES=1: run scripts/test.sh",
        dir.display()
    );
    eprintln!(
        "skipped: no fixture at {} (run scripts/test.sh)",
        dir.display()
    );
    None
}

/// A path under the shared data, or `None` (with a message) when absent; panics instead
/// when `ZOO_REQUIRE_SHARED=1`.
pub fn shared_path(rel: &str) -> Option<PathBuf> {
    let p = shared().join(rel);
    if p.exists() {
        return Some(p);
    }
    assert!(
        !required("ZOO_REQUIRE_SHARED"),
        "{} missing and ZOO_REQUIRE_SHARED=1",
        p.display()
    );
    eprintln!("skipped: {} absent", p.display());
    None
}

pub fn read_f32(path: &PathBuf) -> Vec<f32> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

pub fn json(path: &PathBuf) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// The fixed input batch that the reference logits were computed from.
pub fn input(size: usize, device: &Device) -> Tensor<4> {
    input_with(3, size, device)
}

/// The fixtures' input batch with `channels` channels (`input-1x28.f32` for one channel).
pub fn input_with(channels: usize, size: usize, device: &Device) -> Tensor<4> {
    let file = match channels {
        3 => format!("input-{size}.f32"),
        c => format!("input-{c}x{size}.f32"),
    };
    let data = read_f32(&fixtures().join(file));
    let n = data.len() / (channels * size * size);
    Tensor::from_data(TensorData::new(data, [n, channels, size, size]), device)
}

/// The result of comparing logits with a reference.
#[derive(Debug)]
pub struct Parity {
    pub max_delta: f64,
    pub tolerance: f64,
    /// Rows whose top-5 classes differ in order, beyond ties within the tolerance.
    pub top5_differs: Vec<usize>,
}

impl Parity {
    pub fn ok(&self) -> bool {
        self.max_delta <= self.tolerance && self.top5_differs.is_empty()
    }

    /// `max|Δ| …  relative …  tol …  top-5 same|DIFFERS`, the figures of one comparison.
    pub fn summary(&self) -> String {
        format!(
            "max|Δ| {:.2e}  relative {:.1e}  tol {:.2e}  top-5 {}",
            self.max_delta,
            self.max_delta * 1e-4 / self.tolerance,
            self.tolerance,
            if self.top5_differs.is_empty() {
                "same"
            } else {
                "DIFFERS"
            }
        )
    }
}

fn top5(row: &[f32]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..row.len()).collect();
    idx.sort_by(|&a, &b| row[b].total_cmp(&row[a]));
    idx.truncate(5);
    idx
}

/// max |Δlogit| ≤ 1e-4 · max(1, max|ref|), and the same top-5 classes in the same order
/// (two classes may swap only where their reference logits are within the tolerance).
pub fn compare(got: &[f32], reference: &[f32], classes: usize) -> Parity {
    assert_eq!(got.len(), reference.len(), "logit count");
    let max_ref = reference.iter().fold(0f64, |m, v| m.max(v.abs() as f64));
    let tolerance = 1e-4 * max_ref.max(1.0);
    let max_delta = got
        .iter()
        .zip(reference)
        .fold(0f64, |m, (a, b)| m.max((*a as f64 - *b as f64).abs()));
    let top5_differs = got
        .chunks(classes)
        .zip(reference.chunks(classes))
        .enumerate()
        .filter(|(_, (g, r))| {
            let (tg, tr) = (top5(g), top5(r));
            tg.iter()
                .zip(&tr)
                .any(|(a, b)| a != b && (r[*a] as f64 - r[*b] as f64).abs() > tolerance)
        })
        .map(|(i, _)| i)
        .collect();
    Parity {
        max_delta,
        tolerance,
        top5_differs,
    }
}

/// `p` with its tolerance raised to four times the reference's own float32 error (`key` of the
/// fixture's meta.json: `f32_error` for logits, `embedding_f32_error`), where that is larger:
/// PyTorch's float32 result is itself that far from exact arithmetic, and a second float32
/// implementation (or the same one with BatchNorm folded) rounds as much again, in its own
/// order. No current fixture reaches it (the README's note ¹).
pub fn floored(mut p: Parity, dir: &Path, key: &str) -> Parity {
    if let Ok(text) = std::fs::read_to_string(dir.join("meta.json")) {
        let meta: serde_json::Value = serde_json::from_str(&text).unwrap();
        if let Some(e) = meta[key].as_f64() {
            p.tolerance = p.tolerance.max(4.0 * e);
        }
    }
    p
}

/// Prints a result line and appends it to `$ZOO_REPORT` when set, for the test script's
/// summary table.
pub fn report(line: &str) {
    println!("{line}");
    if let Some(path) = std::env::var_os("ZOO_REPORT") {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .expect("ZOO_REPORT is writable");
        writeln!(f, "{line}").unwrap();
    }
}

pub fn to_vec(t: Tensor<2>) -> Vec<f32> {
    t.into_data().convert::<f32>().try_to_vec::<f32>().unwrap()
}

/// A path named `name` inside a fresh temporary directory, which is deleted with whatever a
/// test wrote there when this is dropped, a failing test's included.
pub struct Scratch {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

pub fn scratch(name: &str) -> Scratch {
    let dir = tempfile::Builder::new()
        .prefix("zoo-test-")
        .tempdir()
        .unwrap();
    let path = dir.path().join(name);
    Scratch { _dir: dir, path }
}

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.path
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.path
    }
}
