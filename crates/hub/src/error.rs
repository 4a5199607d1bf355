//! Download and registry errors that name the file, its URL and what to do.

use std::path::PathBuf;

/// Why weights could not be found, fetched or verified.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    /// The registry has no weights by that id.
    #[error("unknown weights `{id}` (see `zoo list`)")]
    UnknownWeights {
        /// The id asked for.
        id: String,
    },
    /// The file is not cached and the network may not be used.
    #[error("{file} is not in the cache and {why}: fetch {url} and put it at {}", dest.display())]
    Offline {
        /// The file's name.
        file: String,
        /// Where it is published.
        url: String,
        /// Where the cache expects it.
        dest: PathBuf,
        /// Why nothing is downloaded.
        why: &'static str,
    },
    /// No download happened: the request failed or was refused, or this build cannot download.
    #[error("cannot download {url}: {reason}")]
    Http {
        /// The address asked for.
        url: String,
        /// What went wrong (HTTP status, transport error, or no `download` feature).
        reason: String,
    },
    /// The transfer broke off; the partial file is kept for the next attempt to resume.
    #[error(
        "download of {url} interrupted after {got} of {} bytes ({reason}); the part is kept \
         at {} and the next attempt resumes it",
        total.map_or("?".to_string(), |t| t.to_string()),
        part.display()
    )]
    Interrupted {
        /// The address being downloaded.
        url: String,
        /// Bytes received so far.
        got: u64,
        /// The full size, when the server said.
        total: Option<u64>,
        /// The partial file kept in the cache.
        part: PathBuf,
        /// The transport error.
        reason: String,
    },
    /// The downloaded file's SHA-256 does not match its published prefix; it was deleted.
    #[error(
        "{file} from {url} fails its checksum: SHA-256 {found} does not start with {expected}; \
         the download was deleted"
    )]
    Checksum {
        /// The file's name.
        file: String,
        /// Where it came from.
        url: String,
        /// The published hash prefix.
        expected: String,
        /// The full hash of what arrived.
        found: String,
    },
    /// Another process holds the download lock and has stalled.
    #[error(
        "another process holds {} and its download made no progress for {seconds} s; if no \
         other zoo is running, delete the lock file",
        lock.display()
    )]
    LockTimeout {
        /// The lock file.
        lock: PathBuf,
        /// How long the download made no progress.
        seconds: f64,
    },
    /// A file in the cache's place cannot be used and was not replaced.
    #[error("{}: cached file is damaged: {reason}", path.display())]
    Corrupt {
        /// The cached file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A file-system operation on the cache failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path operated on.
        path: PathBuf,
        /// The underlying error.
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
