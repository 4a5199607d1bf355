//! Pretrained weights for burn-zoo: the registry of published checkpoints
//! (`crates/hub/registry.json`), and a download cache that verifies, resumes and never leaves a
//! partial file where a complete one is expected.
//!
//! The cache lives in `$ZOO_HOME`, else the OS cache folder (`~/.cache/burn-zoo` on Linux).
//! `ZOO_OFFLINE=1` forbids the network: a missing file is then an error that names the file,
//! its URL and where to put it. `ZOO_MIRROR=URL` fetches every file from `URL/<file name>`
//! instead of its published address.
//!
//! ```
//! let entry = zoo_hub::find("resnet50")?; // torchvision's DEFAULT: IMAGENET1K_V2
//! assert_eq!(entry.preprocess.resize, 232);
//! assert_eq!(entry.sha256_prefix.as_deref(), Some("11ad3fa6"));
//! # Ok::<(), zoo_hub::HubError>(())
//! ```

#![warn(missing_docs)]

mod download;
mod error;
mod registry;

pub use download::{cache_dir, evict, fetch, fetch_url};
pub use error::HubError;
pub use registry::{Interpolation, Preprocess, Registry, WeightEntry, categories, find, registry};
