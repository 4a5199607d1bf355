//! Download and registry errors that name the file, its URL and what to do.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error("unknown weights `{id}` (see `zoo list`)")]
    UnknownWeights { id: String },
    #[error("{file} is not in the cache and {why}: fetch {url} and put it at {}", dest.display())]
    Offline {
        file: String,
        url: String,
        dest: PathBuf,
        /// Why nothing is downloaded.
        why: &'static str,
    },
    #[error("cannot download {url}: {reason}")]
    Http { url: String, reason: String },
    #[error(
        "download of {url} interrupted after {got} of {} bytes ({reason}); the part is kept \
         at {} and the next attempt resumes it",
        total.map_or("?".to_string(), |t| t.to_string()),
        part.display()
    )]
    Interrupted {
        url: String,
        got: u64,
        total: Option<u64>,
        part: PathBuf,
        reason: String,
    },
    #[error(
        "{file} from {url} fails its checksum: SHA-256 {found} does not start with {expected}; \
         the download was deleted"
    )]
    Checksum {
        file: String,
        url: String,
        expected: String,
        found: String,
    },
    #[error(
        "another process holds {} and its download made no progress for {seconds} s; if no \
         other zoo is running, delete the lock file",
        lock.display()
    )]
    LockTimeout { lock: PathBuf, seconds: f64 },
    #[error("{}: cached file is damaged: {reason}", path.display())]
    Corrupt { path: PathBuf, reason: String },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl HubError {
    pub(crate) fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> HubError + '_ {
        move |source| HubError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
