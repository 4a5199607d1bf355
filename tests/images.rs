//! Broken images are errors, never a padded guess; valid ones decode as before, and no image
//! makes preprocessing allocate more than its crop needs.

mod common;

use std::path::Path;

use burn_zoo::vision::load_rgb;
use common::shared_path;

fn jpegs(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("jpeg"))
        })
        .collect();
    out.sort();
    out
}

/// Without libjpeg-turbo, the strict pure-Rust path gives the `image` crate's pixels (with it,
/// `tests/preprocess.rs` checks Pillow's pixels exactly).
#[cfg(not(feature = "libjpeg-turbo"))]
#[test]
fn strict_jpeg_decoding_gives_the_image_crates_pixels() {
    let Some(dir) = shared_path("imagenet-val10") else {
        return;
    };
    let files = jpegs(&dir);
    assert_eq!(files.len(), 10);
    for f in files {
        let lenient = image::open(&f).unwrap().into_rgb8();
        assert!(load_rgb(&f).unwrap() == lenient, "{}", f.display());
    }
}

#[test]
fn truncated_and_forged_jpegs_are_refused() {
    let Some(dir) = shared_path("imagenet-val10") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    for (i, f) in jpegs(&dir).into_iter().enumerate() {
        let bytes = std::fs::read(&f).unwrap();
        let cut = tmp.path().join(format!("cut{i}.jpg"));
        std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
        let e = load_rgb(&cut)
            .expect_err("a half JPEG must be refused")
            .to_string();
        assert!(e.contains(&cut.display().to_string()), "{e}");
        // Forged headers Pillow refuses (`cannot identify`, `broken data stream`,
        // `truncated`); a doubled height it accepts, padding with grey, and so do we.
        let at = |marker: u8| bytes.windows(2).position(|w| w == [0xff, marker]);
        let Some(sof) = at(0xc0).or(at(0xc2)) else {
            panic!("{}: no frame header", f.display())
        };
        let sos = at(0xda).unwrap();
        let dqt = at(0xdb).unwrap();
        let dqt_len = u16::from_be_bytes([bytes[dqt + 2], bytes[dqt + 3]]) as usize;
        let edit = |pos: usize, new: &[u8]| {
            let mut b = bytes.clone();
            b[pos..pos + new.len()].copy_from_slice(new);
            b
        };
        let without_dqt = [&bytes[..dqt], &bytes[dqt + 2 + dqt_len..]].concat();
        for (name, forged) in [
            ("zero height", edit(sof + 5, &[0, 0])),
            ("five components", edit(sof + 9, &[5])),
            ("12-bit precision", edit(sof + 4, &[12])),
            ("no quantisation table", without_dqt),
            ("scan header length 200", edit(sos + 2, &[0, 200])),
            ("no end marker", bytes[..bytes.len() - 2].to_vec()),
        ] {
            let p = tmp.path().join(format!("forged{i}.jpg"));
            std::fs::write(&p, &forged).unwrap();
            assert!(load_rgb(&p).is_err(), "{}: {name} accepted", f.display());
        }
    }
}

/// An image held in memory (the web page's upload) decodes to the file's pixels, and a broken
/// one fails the same way, under the name it was given.
#[test]
fn bytes_decode_as_the_file_does() {
    use burn_zoo::vision::decode_bytes;
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fashion-mnist/samples");
    let mut files = vec![samples.join("bag.png"), samples.join("dress.png")];
    if let Some(dir) = shared_path("imagenet-val10") {
        files.extend(jpegs(&dir));
    }
    let tmp = tempfile::tempdir().unwrap();
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        let from_memory = decode_bytes(&f, &bytes).unwrap().into_rgb8();
        assert!(from_memory == load_rgb(&f).unwrap(), "{}", f.display());
        let cut = tmp.path().join("cut");
        std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
        let from_file = load_rgb(&cut).unwrap_err().to_string();
        let in_memory = decode_bytes(&cut, &bytes[..bytes.len() / 2])
            .unwrap_err()
            .to_string();
        assert_eq!(in_memory, from_file, "{}", f.display());
    }
}
