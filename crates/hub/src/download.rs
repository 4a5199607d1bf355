//! Fetching a file into the cache: one download at a time per file (a lock file), resumed
//! with an HTTP range request after an interruption, checked against its SHA-256 prefix, and
//! renamed into place only when complete and correct.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::{HubError, WeightEntry};

/// Attempts per fetch: an interrupted transfer is resumed this many times before giving up.
const ATTEMPTS: usize = 3;

/// `$ZOO_HOME`, else `<OS cache dir>/burn-zoo`, else `./.burn-zoo`.
pub fn cache_dir() -> PathBuf {
    std::env::var_os("ZOO_HOME")
        .map(PathBuf::from)
        .or_else(|| dirs::cache_dir().map(|d| d.join("burn-zoo")))
        .unwrap_or_else(|| PathBuf::from(".burn-zoo"))
}

/// The registry entry's file in the cache, downloaded first when absent.
pub fn fetch(entry: &WeightEntry) -> Result<PathBuf, HubError> {
    let url = match std::env::var("ZOO_MIRROR") {
        Ok(mirror) => format!("{}/{}", mirror.trim_end_matches('/'), entry.file),
        Err(_) => entry.url.clone(),
    };
    let dest = cache_dir().join("checkpoints").join(&entry.file);
    fetch_url(&url, &dest, entry.sha256_prefix.as_deref())
}

/// `url` at `dest`, downloaded when `dest` does not exist yet. With `sha256_prefix`, the
/// download must hash to it or it is deleted.
pub fn fetch_url(url: &str, dest: &Path, sha256_prefix: Option<&str>) -> Result<PathBuf, HubError> {
    if dest.exists() {
        return Ok(dest.to_path_buf());
    }
    let file = dest
        .file_name()
        .map_or_else(String::new, |f| f.to_string_lossy().into_owned());
    if std::env::var("ZOO_OFFLINE").is_ok_and(|v| v == "1") {
        return Err(HubError::Offline {
            file,
            url: url.to_string(),
            dest: dest.to_path_buf(),
        });
    }
    let dir = dest.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(HubError::io(dir))?;
    // Another process may be fetching the same file: wait for it, then use its result.
    let lock_path = dest.with_file_name(format!("{file}.lock"));
    let lock = File::create(&lock_path).map_err(HubError::io(&lock_path))?;
    lock.lock().map_err(HubError::io(&lock_path))?;
    if dest.exists() {
        return Ok(dest.to_path_buf());
    }
    let part = dest.with_file_name(format!("{file}.part"));
    let mut last = None;
    for _ in 0..ATTEMPTS {
        match transfer(url, &part) {
            Ok(()) => {
                last = None;
                break;
            }
            Err(e @ HubError::Interrupted { .. }) => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    if let Some(e) = last {
        return Err(e);
    }
    if let Some(prefix) = sha256_prefix {
        let found = sha256(&part)?;
        if !found.starts_with(prefix) {
            let _ = fs::remove_file(&part);
            return Err(HubError::Checksum {
                file,
                url: url.to_string(),
                expected: prefix.to_string(),
                found,
            });
        }
    }
    fs::rename(&part, dest).map_err(HubError::io(dest))?;
    Ok(dest.to_path_buf())
}

/// Downloads `url` into `part`, continuing from what `part` already holds.
fn transfer(url: &str, part: &Path) -> Result<(), HubError> {
    let http = |reason: String| HubError::Http {
        url: url.to_string(),
        reason,
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_recv_body(Some(Duration::from_secs(60)))
        .build()
        .into();
    let have = fs::metadata(part).map(|m| m.len()).unwrap_or(0);
    let mut request = agent.get(url);
    if have > 0 {
        request = request.header("Range", format!("bytes={have}-"));
    }
    let mut response = request.call().map_err(|e| http(e.to_string()))?;
    let status = response.status().as_u16();
    let length = response
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let (mut got, append) = match status {
        206 => (have, true),
        200 => (0, false),
        // The part already holds everything the server has: start again rather than guess.
        416 => {
            fs::remove_file(part).map_err(HubError::io(part))?;
            return Err(interrupted(
                url,
                0,
                None,
                part,
                "range not satisfiable".into(),
            ));
        }
        _ => return Err(http(format!("HTTP status {status}"))),
    };
    let total = length.map(|l| l + got);
    let mut out = OpenOptions::new()
        .create(true)
        .write(true)
        .append(append)
        .truncate(!append)
        .open(part)
        .map_err(HubError::io(part))?;
    let bar = indicatif::ProgressBar::new(total.unwrap_or(0));
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg} {bar:30} {bytes}/{total_bytes} {bytes_per_sec} {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message(part.file_name().map_or_else(String::new, |f| {
        f.to_string_lossy().trim_end_matches(".part").to_string()
    }));
    bar.set_position(got);
    let mut reader = response.body_mut().as_reader();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                bar.abandon();
                return Err(interrupted(url, got, total, part, e.to_string()));
            }
        };
        out.write_all(&buf[..n]).map_err(HubError::io(part))?;
        got += n as u64;
        bar.set_position(got);
    }
    out.sync_all().map_err(HubError::io(part))?;
    bar.finish_and_clear();
    match total {
        Some(t) if got < t => Err(interrupted(
            url,
            got,
            total,
            part,
            "connection closed".into(),
        )),
        _ => Ok(()),
    }
}

fn interrupted(url: &str, got: u64, total: Option<u64>, part: &Path, reason: String) -> HubError {
    HubError::Interrupted {
        url: url.to_string(),
        got,
        total,
        part: part.to_path_buf(),
        reason,
    }
}

fn sha256(path: &Path) -> Result<String, HubError> {
    let mut file = File::open(path).map_err(HubError::io(path))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher).map_err(HubError::io(path))?;
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}
