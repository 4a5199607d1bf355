//! Embeddings for outside tools and for the eye: NumPy `.npy` files, the first two principal
//! components, and a scatter plot coloured by label.

use std::io::Write;
use std::path::Path;

use image::{Rgb, RgbImage};

/// Element types [`write_npy`] writes.
pub trait NpyElement: Copy {
    /// NumPy's `descr` for the type, little-endian.
    const DESCR: &'static str;
    /// The value's little-endian bytes.
    fn le_bytes(self) -> Vec<u8>;
}

impl NpyElement for f32 {
    const DESCR: &'static str = "<f4";
    fn le_bytes(self) -> Vec<u8> {
        self.to_le_bytes().to_vec()
    }
}

impl NpyElement for i64 {
    const DESCR: &'static str = "<i8";
    fn le_bytes(self) -> Vec<u8> {
        self.to_le_bytes().to_vec()
    }
}

/// Writes `values` as a C-order array of `shape` in NumPy's `.npy` format (version 1.0), which
/// `numpy.load` reads.
///
/// # Panics
/// If `values` does not hold the product of `shape`.
pub fn write_npy<T: NpyElement>(path: &Path, shape: &[usize], values: &[T]) -> std::io::Result<()> {
    assert_eq!(
        values.len(),
        shape.iter().product::<usize>(),
        "values for {shape:?}"
    );
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let tuple = match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    let mut header = format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': {tuple}, }}",
        T::DESCR
    );
    // Magic (6) + version (2) + length (2) + header, padded with spaces to a multiple of 64,
    // ending in a newline.
    let total = (10 + header.len() + 1).div_ceil(64) * 64;
    header.push_str(&" ".repeat(total - 10 - header.len() - 1));
    header.push('\n');
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    out.write_all(b"\x93NUMPY\x01\x00")?;
    out.write_all(&(header.len() as u16).to_le_bytes())?;
    out.write_all(header.as_bytes())?;
    for v in values {
        out.write_all(&v.le_bytes())?;
    }
    out.flush()
}

/// The coordinates of `n` points of `d` values (row-major) on their first two principal
/// components: centred, projected on the covariance's two leading eigenvectors (power
/// iteration in f64, each sign chosen so its largest component is positive, as scikit-learn's
/// `svd_flip` does).
pub fn pca2(values: &[f32], n: usize, d: usize) -> Vec<[f32; 2]> {
    assert_eq!(values.len(), n * d, "{n} points of {d} values");
    let mut mean = vec![0f64; d];
    for row in values.chunks(d) {
        for (m, v) in mean.iter_mut().zip(row) {
            *m += f64::from(*v) / n as f64;
        }
    }
    let centred: Vec<f64> = values
        .chunks(d)
        .flat_map(|row| row.iter().zip(&mean).map(|(v, m)| f64::from(*v) - m))
        .collect();
    // Covariance-times-vector without forming the d×d matrix: X^T (X v).
    let times = |v: &[f64]| -> Vec<f64> {
        let xv: Vec<f64> = centred
            .chunks(d)
            .map(|row| row.iter().zip(v).map(|(a, b)| a * b).sum())
            .collect();
        let mut out = vec![0f64; d];
        for (row, s) in centred.chunks(d).zip(&xv) {
            for (o, a) in out.iter_mut().zip(row) {
                *o += a * s;
            }
        }
        out
    };
    let mut axes: Vec<Vec<f64>> = Vec::new();
    for k in 0..2 {
        // A fixed, generic start; orthogonalised against the axes found so far.
        let mut v: Vec<f64> = (0..d)
            .map(|i| 1.0 + ((i * 7 + k * 3) % 11) as f64 / 10.0)
            .collect();
        for _ in 0..500 {
            let mut next = times(&v);
            for a in &axes {
                let dot: f64 = next.iter().zip(a).map(|(x, y)| x * y).sum();
                next.iter_mut().zip(a).for_each(|(x, y)| *x -= dot * y);
            }
            let norm = next.iter().map(|x| x * x).sum::<f64>().sqrt();
            if norm == 0.0 {
                break;
            }
            next.iter_mut().for_each(|x| *x /= norm);
            let change: f64 = next.iter().zip(&v).map(|(a, b)| (a - b).abs()).sum();
            v = next;
            if change < 1e-12 {
                break;
            }
        }
        let largest = v
            .iter()
            .fold(0f64, |m, x| if x.abs() > m.abs() { *x } else { m });
        if largest < 0.0 {
            v.iter_mut().for_each(|x| *x = -*x);
        }
        axes.push(v);
    }
    centred
        .chunks(d)
        .map(|row| {
            let on = |a: &[f64]| row.iter().zip(a).map(|(x, y)| x * y).sum::<f64>() as f32;
            [on(&axes[0]), on(&axes[1])]
        })
        .collect()
}

/// Matplotlib's `tab10` colours, by label modulo 10.
pub const PALETTE: [[u8; 3]; 10] = [
    [31, 119, 180],
    [255, 127, 14],
    [44, 160, 44],
    [214, 39, 40],
    [148, 103, 189],
    [140, 86, 75],
    [227, 119, 194],
    [127, 127, 127],
    [188, 189, 34],
    [23, 190, 207],
];

/// A `side`×`side` white scatter plot of `points`, each a 3×3 dot in its label's
/// [`PALETTE`] colour, the points' range filling the plot with a margin.
pub fn scatter(points: &[[f32; 2]], labels: &[usize], side: u32) -> RgbImage {
    let mut img = RgbImage::from_pixel(side, side, Rgb([255, 255, 255]));
    let range = |k: usize| {
        points
            .iter()
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), p| {
                (lo.min(p[k]), hi.max(p[k]))
            })
    };
    let ((x0, x1), (y0, y1)) = (range(0), range(1));
    let margin = side as f32 * 0.05;
    let span = side as f32 - 2.0 * margin;
    let place = |v: f32, lo: f32, hi: f32| {
        if hi > lo {
            margin + (v - lo) / (hi - lo) * span
        } else {
            side as f32 / 2.0
        }
    };
    for (p, &label) in points.iter().zip(labels) {
        let x = place(p[0], x0, x1) as i64;
        // Up is positive, as in a plot.
        let y = side as i64 - 1 - place(p[1], y0, y1) as i64;
        for (dx, dy) in (-1..=1).flat_map(|dx| (-1..=1).map(move |dy| (dx, dy))) {
            let (px, py) = (x + dx, y + dy);
            if (0..side as i64).contains(&px) && (0..side as i64).contains(&py) {
                img.put_pixel(px as u32, py as u32, Rgb(PALETTE[label % 10]));
            }
        }
    }
    img
}
