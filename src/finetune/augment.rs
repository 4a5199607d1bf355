//! Training-time augmentation on preprocessed images: random crop with padding and random
//! horizontal flip, torchvision's `RandomCrop(size, padding)` + `RandomHorizontalFlip()`.

use serde::{Deserialize, Serialize};
use zoo_model::train::SplitMix64;

/// Which augmentations a training batch gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Augment {
    /// Pixels of padding around the image before a random crop back to its size (0: none).
    pub pad: usize,
    /// Mirror half of the images left to right.
    pub flip: bool,
}

impl Augment {
    /// No augmentation.
    pub const NONE: Self = Self {
        pad: 0,
        flip: false,
    };

    /// The usual recipe for an image `size` pixels wide: padding of an eighth of the side
    /// (4 for CIFAR's 32), and flips only for colour images (a mirrored digit is another
    /// glyph).
    pub fn standard(size: usize, channels: usize) -> Self {
        Self {
            pad: size / 8,
            flip: channels == 3,
        }
    }

    /// Appends `image` (`[c, h, w]` values) to `out`, cropped and flipped at random. Padding
    /// takes `fill`, each channel's value for a black pixel after normalisation, so the result
    /// equals padding before normalising, as torchvision does.
    pub fn apply(
        &self,
        image: &[f32],
        [c, h, w]: [usize; 3],
        fill: &[f32],
        rng: &mut SplitMix64,
        out: &mut Vec<f32>,
    ) {
        let p = self.pad;
        let (dy, dx) = if p > 0 {
            (rng.below(2 * p + 1), rng.below(2 * p + 1))
        } else {
            (0, 0)
        };
        let flip = self.flip && rng.below(2) == 1;
        for ch in 0..c {
            let plane = &image[ch * h * w..(ch + 1) * h * w];
            for y in 0..h {
                let sy = (y + dy).checked_sub(p).filter(|&sy| sy < h);
                for x in 0..w {
                    let x = if flip { w - 1 - x } else { x };
                    let sx = (x + dx).checked_sub(p).filter(|&sx| sx < w);
                    out.push(match (sy, sx) {
                        (Some(sy), Some(sx)) => plane[sy * w + sx],
                        _ => fill[ch],
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crops_pad_with_fill_and_flip_mirrors() {
        let image: Vec<f32> = (0..9).map(|v| v as f32).collect();
        let shape = [1, 3, 3];
        let none = Augment::NONE;
        let mut out = Vec::new();
        none.apply(&image, shape, &[-1.0], &mut SplitMix64::new(1), &mut out);
        assert_eq!(out, image);
        // Every crop of a 1-pixel padding keeps 4 to 9 original pixels, the rest is fill, and
        // the kept ones stay a contiguous window of the original.
        let pad = Augment { pad: 1, flip: true };
        let mut rng = SplitMix64::new(7);
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..200 {
            out.clear();
            pad.apply(&image, shape, &[-1.0], &mut rng, &mut out);
            let kept = out.iter().filter(|&&v| v >= 0.0).count();
            assert!((4..=9).contains(&kept), "{out:?}");
            seen.insert(out.iter().map(|v| *v as i32).collect::<Vec<_>>());
        }
        // 9 offsets × 2 flips.
        assert_eq!(seen.len(), 18);
        assert!(
            seen.contains(&vec![2, 1, 0, 5, 4, 3, 8, 7, 6]),
            "flip alone"
        );
        assert!(
            seen.contains(&vec![-1, -1, -1, -1, 0, 1, -1, 3, 4]),
            "shift down-right"
        );
    }
}
