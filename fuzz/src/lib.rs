//! What the fuzz targets share: the importers read paths, so each input is written to a file
//! (in memory, under /dev/shm where it exists) and read back through the public API, the way
//! a user's file is.

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::Device;

/// The model of `crates/weights/tests/data` (`scripts/make_bad_inputs.py`): the seed files
/// fit it, so mutations reach tensor data, dtype and value checks, not only name matching.
#[derive(Module, Debug)]
pub struct Tiny {
    fc1: Linear,
    fc2: Linear,
}

/// A fresh [`Tiny`].
pub fn tiny() -> Tiny {
    let device = Device::default();
    Tiny {
        fc1: LinearConfig::new(3, 4).init(&device),
        fc2: LinearConfig::new(4, 2).init(&device),
    }
}

fn scratch_dir() -> PathBuf {
    let shm = Path::new("/dev/shm");
    let base = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    let dir = base.join(format!("zoo-fuzz-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// Writes `data` to a file named `name` in this process's scratch folder and hands its path
/// to `f`.
pub fn with_file<T>(name: &str, data: &[u8], f: impl FnOnce(&Path) -> T) -> T {
    let path = scratch_dir().join(name);
    std::fs::write(&path, data).expect("scratch file");
    f(&path)
}

/// Loads `data`, as a file named `name`, into [`Tiny`]; success or a clear error, never a
/// panic. A model that loads must also run (its outputs may overflow: huge finite weights
/// are valid).
pub fn load_tiny(name: &str, data: &[u8]) {
    let loaded = with_file(name, data, |path| {
        zoo_weights::load(
            tiny(),
            "tiny",
            path,
            &[],
            &zoo_weights::ImportOptions::default(),
        )
    });
    if let Ok(model) = loaded {
        let device = Device::default();
        let x = burn::tensor::Tensor::<2>::ones([1, 3], &device);
        let y = model.fc2.forward(model.fc1.forward(x));
        assert_eq!(y.dims(), [1, 2]);
    }
}
