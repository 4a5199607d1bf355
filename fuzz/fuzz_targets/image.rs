//! Arbitrary bytes as an image file: decoded and preprocessed as `zoo classify` does (the
//! ImageNet 256/224 transform, and LeNet's 28×28 greyscale), or a clear error.
#![no_main]

use zoo_vision::{Filter, Transform};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    zoo_fuzz::with_file("input.img", data, |path| {
        if let Ok(rgb) = zoo_vision::load_rgb(path) {
            let t = Transform {
                resize: 256,
                crop: 224,
                filter: Filter::Bilinear,
                mean: [0.485, 0.456, 0.406],
                std: [0.229, 0.224, 0.225],
            };
            assert_eq!(t.apply(&rgb).len(), 3 * 224 * 224);
        }
        if let Ok(grey) = zoo_vision::load_grey(path, 28) {
            assert_eq!(grey.len(), 28 * 28);
        }
    });
});
