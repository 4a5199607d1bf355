//! Fetching a file into the cache: one download at a time per file (a lock file), resumed
//! with an HTTP range request after an interruption, checked against its SHA-256 prefix, and
//! renamed into place only when complete and correct. Every completed download's SHA-256 is
//! recorded beside it (`<file>.sha256`, with its size and modification time) and checked
//! again whenever the file has changed since, so a damaged or replaced cache entry is
//! fetched anew instead of used.
//!
//! No wait is unbounded: connecting, the response and each read of the body time out after
//! `$ZOO_HTTP_TIMEOUT` seconds (default 60) without a byte, however long a steady download
//! takes; a process waiting for another's download gives up when that download makes no
//! progress for as long.

#[cfg(feature = "download")]
use std::fs::OpenOptions;
use std::fs::{self, File};
#[cfg(feature = "download")]
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, UNIX_EPOCH};

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

/// Seconds without progress after which a connection, a response, a body read or a wait for
/// another process's download gives up: `$ZOO_HTTP_TIMEOUT`, else 60.
fn idle_timeout() -> Duration {
    let secs = std::env::var("ZOO_HTTP_TIMEOUT")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
        .unwrap_or(60.0);
    Duration::try_from_secs_f64(secs).unwrap_or(Duration::from_secs(60))
}

/// `url` at `dest`, downloaded when `dest` does not exist yet or no longer is the file that
/// was downloaded. With `sha256_prefix`, the download must hash to it or it is deleted.
pub fn fetch_url(url: &str, dest: &Path, sha256_prefix: Option<&str>) -> Result<PathBuf, HubError> {
    let offline =
        !cfg!(feature = "download") || std::env::var("ZOO_OFFLINE").is_ok_and(|v| v == "1");
    let why_offline = if cfg!(feature = "download") {
        "downloads are off (ZOO_OFFLINE=1)"
    } else {
        "this build has no downloader (burn-zoo's `pretrained` feature is off)"
    };
    // Offline, a bad entry is kept (it cannot be replaced now) and reported.
    // Nothing is deleted before the lock is held: another process may be renaming its fresh
    // download into place right now.
    let state = cached(dest, sha256_prefix, false)?;
    if state == Cached::Good {
        return Ok(dest.to_path_buf());
    }
    let file = dest
        .file_name()
        .map_or_else(String::new, |f| f.to_string_lossy().into_owned());
    if offline {
        if let Cached::Bad(why) = state {
            return Err(HubError::Corrupt {
                path: dest.to_path_buf(),
                reason: format!("{why}; it is not used, and {why_offline}: replace it with {url}"),
            });
        }
        return Err(HubError::Offline {
            file,
            url: url.to_string(),
            dest: dest.to_path_buf(),
            why: why_offline,
        });
    }
    let dir = dest.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(HubError::io(dir))?;
    // Another process may be fetching the same file: wait for it, then use its result.
    let lock_path = dest.with_file_name(format!("{file}.lock"));
    let part = dest.with_file_name(format!("{file}.part"));
    let lock = File::create(&lock_path).map_err(HubError::io(&lock_path))?;
    wait_for_lock(&lock, &lock_path, &part)?;
    if cached(dest, sha256_prefix, true)? == Cached::Good {
        return Ok(dest.to_path_buf());
    }
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
    let found = sha256(&part)?;
    if let Some(prefix) = sha256_prefix
        && !found.starts_with(prefix)
    {
        let _ = fs::remove_file(&part);
        return Err(HubError::Checksum {
            file,
            url: url.to_string(),
            expected: prefix.to_string(),
            found,
        });
    }
    fs::rename(&part, dest).map_err(HubError::io(dest))?;
    // The cache may be read-only for the record (never for the download just made).
    let _ = write_record(dest, &found);
    Ok(dest.to_path_buf())
}

/// Takes `lock`, waiting while another process holds it and its download (`part`) grows;
/// gives up after three [`idle_timeout`]s without progress (the holder may spend one
/// connecting, one awaiting the response and one on a stalled read before it retries). (A lock
/// dies with its process, so a held lock means a live process.)
fn wait_for_lock(lock: &File, lock_path: &Path, part: &Path) -> Result<(), HubError> {
    let idle = idle_timeout().saturating_mul(3);
    let size = || fs::metadata(part).map(|m| m.len()).ok();
    let (mut seen, mut since) = (size(), Instant::now());
    loop {
        match lock.try_lock() {
            Ok(()) => return Ok(()),
            Err(fs::TryLockError::WouldBlock) => {}
            Err(fs::TryLockError::Error(e)) => return Err(HubError::io(lock_path)(e)),
        }
        let now = size();
        if now != seen {
            (seen, since) = (now, Instant::now());
        } else if since.elapsed() > idle {
            return Err(HubError::LockTimeout {
                lock: lock_path.to_path_buf(),
                seconds: idle.as_secs_f64(),
            });
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The record beside a cached file: its SHA-256, size and modification time.
fn record_path(dest: &Path) -> PathBuf {
    let name = dest
        .file_name()
        .map_or_else(String::new, |f| f.to_string_lossy().into_owned());
    dest.with_file_name(format!("{name}.sha256"))
}

fn stamp(meta: &fs::Metadata) -> String {
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    format!("{} {mtime}", meta.len())
}

fn write_record(dest: &Path, sha: &str) -> std::io::Result<()> {
    let meta = fs::metadata(dest)?;
    let record = record_path(dest);
    let tmp = record.with_extension(format!("sha256.{}.tmp", std::process::id()));
    fs::write(&tmp, format!("{sha} {}\n", stamp(&meta)))?;
    fs::rename(&tmp, &record)
}

/// The state of a cache entry.
#[derive(Debug, PartialEq)]
enum Cached {
    Good,
    Missing,
    /// It is (or was, if deleted) there but not usable: why.
    Bad(String),
}

/// Whether the cached `dest` can be used: it exists, is the file that was downloaded (its
/// record's hash, re-checked when its size or time changed) and has the published checksum.
/// With `delete`, a cached file that is not is deleted (with its record) to be fetched anew.
fn cached(dest: &Path, sha256_prefix: Option<&str>, delete: bool) -> Result<Cached, HubError> {
    let Ok(meta) = fs::metadata(dest) else {
        return Ok(Cached::Missing);
    };
    if !meta.is_file() {
        return Err(HubError::Corrupt {
            path: dest.to_path_buf(),
            reason: "it is not a regular file; remove it".into(),
        });
    }
    let record = fs::read_to_string(record_path(dest)).ok();
    let (recorded, recorded_stamp) = record
        .as_deref()
        .and_then(|r| r.trim().split_once(' '))
        .map_or((None, None), |(h, s)| (Some(h.to_string()), Some(s)));
    let published = |h: &str| sha256_prefix.is_none_or(|p| h.starts_with(p));
    let why = if let Some(h) = &recorded
        && recorded_stamp == Some(stamp(&meta).as_str())
    {
        if published(h) {
            return Ok(Cached::Good);
        }
        format!(
            "its SHA-256 {h} is not the published {}",
            sha256_prefix.unwrap_or("")
        )
    } else {
        let found = sha256(dest)?;
        match &recorded {
            Some(h) if *h != found => {
                format!("it changed since it was downloaded (SHA-256 {found}, was {h})")
            }
            _ if !published(&found) => format!(
                "its SHA-256 {found} is not the published {}",
                sha256_prefix.unwrap_or("")
            ),
            _ => {
                // The cache may be read-only: the file is good either way.
                let _ = write_record(dest, &found);
                return Ok(Cached::Good);
            }
        }
    };
    if delete {
        fs::remove_file(dest).map_err(|e| HubError::Corrupt {
            path: dest.to_path_buf(),
            reason: format!("{why}, and it could not be deleted ({e}); delete it by hand"),
        })?;
        let _ = fs::remove_file(record_path(dest));
    }
    Ok(Cached::Bad(why))
}

/// Forgets the cached `dest` (and its record): for a caller that found it unreadable, so the
/// next fetch downloads it anew.
pub fn evict(dest: &Path) -> Result<(), HubError> {
    match fs::remove_file(dest) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(HubError::io(dest)(e)),
    }
    let _ = fs::remove_file(record_path(dest));
    Ok(())
}

/// Without the `download` feature there is nothing to fetch with (`fetch_url` stops first).
#[cfg(not(feature = "download"))]
fn transfer(url: &str, _part: &Path) -> Result<(), HubError> {
    Err(HubError::Http {
        url: url.to_string(),
        reason: "built without the `download` feature".into(),
    })
}

/// Downloads `url` into `part`, continuing from what `part` already holds.
#[cfg(feature = "download")]
fn transfer(url: &str, part: &Path) -> Result<(), HubError> {
    let http = |reason: String| HubError::Http {
        url: url.to_string(),
        reason,
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(idle_timeout()))
        .timeout_recv_response(Some(idle_timeout()))
        .timeout_per_read(Some(idle_timeout()))
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

#[cfg(feature = "download")]
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
