//! The checkpoint a run leaves after each epoch, so that `--resume` continues it: the model,
//! the optimizer's state (momentum, Adam moments) and the run's history, in a folder beside
//! the output file. Each epoch is written whole to a folder of its own before `latest` is
//! switched to it (an atomic rename), so a run killed at any moment leaves a usable checkpoint.

use std::path::{Path, PathBuf};

use burn::optim::ModuleOptimizer;
use serde::{Deserialize, Serialize};

use super::{EpochReport, FinetuneError, Settings};

/// The run's state after an epoch, `state.json` in the epoch's folder.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct State {
    /// The settings the run started with; a resumed run must be given the same.
    pub settings: Settings,
    /// Epochs completed.
    pub epochs_done: usize,
    /// Each completed epoch's figures.
    pub history: Vec<EpochReport>,
}

/// The checkpoint folder of a run writing `out`: `out` with `.ckpt` appended.
pub fn folder(out: &Path) -> PathBuf {
    let mut name = out.as_os_str().to_owned();
    name.push(".ckpt");
    PathBuf::from(name)
}

/// Files of one epoch's checkpoint.
pub struct Epoch {
    /// The folder.
    pub dir: PathBuf,
}

impl Epoch {
    /// The model's weights (burnpack).
    pub fn model(&self) -> PathBuf {
        self.dir.join("model.bpk")
    }

    /// The optimizer's state (Burn's optimizer record).
    pub fn optimizer(&self) -> PathBuf {
        self.dir.join("optimizer.bpk")
    }

    fn state(&self) -> PathBuf {
        self.dir.join("state.json")
    }

    /// Writes the optimizer's state.
    pub fn save_optimizer(&self, optim: &ModuleOptimizer) -> Result<(), FinetuneError> {
        let path = self.optimizer();
        optim.save(&path).map_err(|e| io(&path, format!("{e:?}")))
    }

    /// `optim` with the state this checkpoint saved.
    pub fn load_optimizer(&self, optim: ModuleOptimizer) -> Result<ModuleOptimizer, FinetuneError> {
        let path = self.optimizer();
        optim.load(&path).map_err(|e| io(&path, format!("{e:?}")))
    }
}

fn io(path: &Path, e: impl std::fmt::Display) -> FinetuneError {
    FinetuneError::Checkpoint {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

/// The latest complete checkpoint under `root`, if any.
pub fn latest(root: &Path) -> Result<Option<(Epoch, State)>, FinetuneError> {
    let pointer = root.join("latest");
    let name = match std::fs::read_to_string(&pointer) {
        Ok(name) => name,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(&pointer, e)),
    };
    let epoch = Epoch {
        dir: root.join(name.trim()),
    };
    let path = epoch.state();
    let text = std::fs::read_to_string(&path).map_err(|e| io(&path, e))?;
    let state = serde_json::from_str(&text).map_err(|e| io(&path, e))?;
    Ok(Some((epoch, state)))
}

/// Starts the folder of the checkpoint after `epochs_done` epochs; the caller writes the
/// model and the optimizer into it, then calls [`commit`].
pub fn begin(root: &Path, epochs_done: usize) -> Result<Epoch, FinetuneError> {
    let dir = root.join(format!("epoch-{epochs_done:04}"));
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| io(&dir, e))?;
    }
    std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
    Ok(Epoch { dir })
}

/// Writes the state, points `latest` at this epoch, and removes the older epochs' folders.
pub fn commit(root: &Path, epoch: &Epoch, state: &State) -> Result<(), FinetuneError> {
    let path = epoch.state();
    let json = serde_json::to_string_pretty(state).map_err(|e| io(&path, e))?;
    std::fs::write(&path, json + "\n").map_err(|e| io(&path, e))?;
    let name = epoch.dir.file_name().unwrap_or_default().to_string_lossy();
    let tmp = root.join("latest.tmp");
    std::fs::write(&tmp, name.as_bytes()).map_err(|e| io(&tmp, e))?;
    std::fs::rename(&tmp, root.join("latest")).map_err(|e| io(&tmp, e))?;
    for entry in std::fs::read_dir(root).map_err(|e| io(root, e))?.flatten() {
        let p = entry.path();
        let old = p
            .file_name()
            .is_some_and(|f| f.to_string_lossy().starts_with("epoch-") && p != epoch.dir);
        if old {
            std::fs::remove_dir_all(&p).map_err(|e| io(&p, e))?;
        }
    }
    Ok(())
}
