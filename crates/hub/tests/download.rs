//! The download cache against a local HTTP server on 127.0.0.1 (never the real host): a good
//! download, a checksum mismatch, dropped connections (resumed with a range request), offline
//! mode, and two processes fetching the same file at once.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sha2::{Digest, Sha256};

#[path = "../../../tests/support/deadline.rs"]
mod deadline;
use deadline::finish;
use zoo_hub::{HubError, fetch_url};

#[derive(Clone, Copy)]
enum Behaviour {
    Serve,
    /// Every response stops after this many body bytes, the first one only if `once`.
    Drop {
        after: usize,
        once: bool,
    },
    /// Sends the body in 64 KiB pieces 20 ms apart.
    Slow,
    /// Sends the body in 8 KiB pieces 250 ms apart: slow but steady.
    Trickle,
    /// Reads the request and never answers (the connection stays open).
    Silent,
}

/// A one-file HTTP/1.1 server honouring `Range: bytes=N-`; records each request's range start.
struct Server {
    url: String,
    ranges: Arc<Mutex<Vec<u64>>>,
}

impl Server {
    fn start(body: Vec<u8>, behaviour: Behaviour) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/weights-x.pth", listener.local_addr().unwrap());
        let ranges = Arc::new(Mutex::new(Vec::new()));
        let seen = ranges.clone();
        let body = Arc::new(body);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (body, seen) = (body.clone(), seen.clone());
                std::thread::spawn(move || serve(stream, &body, behaviour, &seen));
            }
        });
        Server { url, ranges }
    }

    fn ranges(&self) -> Vec<u64> {
        self.ranges.lock().unwrap().clone()
    }
}

fn serve(mut stream: TcpStream, body: &[u8], behaviour: Behaviour, seen: &Mutex<Vec<u64>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut start = 0u64;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("range: bytes=") {
            start = v.trim().trim_end_matches('-').parse().unwrap();
        }
    }
    let nth = {
        let mut s = seen.lock().unwrap();
        s.push(start);
        s.len()
    };
    if let Behaviour::Silent = behaviour {
        std::thread::sleep(Duration::from_secs(60));
        return;
    }
    let rest = &body[start as usize..];
    let status = if start > 0 {
        "206 Partial Content"
    } else {
        "200 OK"
    };
    let header = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        rest.len()
    );
    let _ = stream.write_all(header.as_bytes());
    match behaviour {
        Behaviour::Serve => {
            let _ = stream.write_all(rest);
        }
        Behaviour::Drop { after, once } if !once || nth == 1 => {
            let _ = stream.write_all(&rest[..after.min(rest.len())]);
            let _ = stream.flush();
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
        Behaviour::Drop { .. } => {
            let _ = stream.write_all(rest);
        }
        Behaviour::Slow => {
            for chunk in rest.chunks(1 << 16) {
                let _ = stream.write_all(chunk);
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        Behaviour::Trickle => {
            for chunk in rest.chunks(1 << 13) {
                let _ = stream.write_all(chunk);
                let _ = stream.flush();
                std::thread::sleep(Duration::from_millis(250));
            }
        }
        Behaviour::Silent => {}
    }
}

fn body(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

fn sha(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A fresh temporary directory, deleted with its contents when dropped (a failing test's too).
fn temp_dir(label: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("zoo-hub-{label}-"))
        .tempdir()
        .unwrap()
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".lock") && !n.ends_with(".sha256"))
        .collect()
}

#[test]
fn good_download_is_verified_and_cached() {
    let data = body(300_000);
    let server = Server::start(data.clone(), Behaviour::Serve);
    let tmp = temp_dir("good");
    let dir = tmp.path().to_path_buf();
    let dest = dir.join("weights-x.pth");
    let prefix = &sha(&data)[..8];
    assert_eq!(fetch_url(&server.url, &dest, Some(prefix)).unwrap(), dest);
    assert_eq!(std::fs::read(&dest).unwrap(), data);
    assert_eq!(leftovers(&dir), ["weights-x.pth"]);
    // Cached: no second request.
    fetch_url(&server.url, &dest, Some(prefix)).unwrap();
    assert_eq!(server.ranges(), [0]);
}

#[test]
fn checksum_mismatch_is_rejected_and_nothing_stays() {
    let server = Server::start(body(50_000), Behaviour::Serve);
    let tmp = temp_dir("checksum");
    let dir = tmp.path().to_path_buf();
    let dest = dir.join("weights-x.pth");
    let err = fetch_url(&server.url, &dest, Some("deadbeef")).unwrap_err();
    assert!(matches!(err, HubError::Checksum { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("weights-x.pth") && msg.contains("deadbeef"),
        "{msg}"
    );
    assert!(leftovers(&dir).is_empty(), "{:?}", leftovers(&dir));
}

#[test]
fn dropped_connection_is_resumed_with_a_range_request() {
    let data = body(200_000);
    let server = Server::start(
        data.clone(),
        Behaviour::Drop {
            after: 70_000,
            once: true,
        },
    );
    let tmp = temp_dir("resume");
    let dir = tmp.path().to_path_buf();
    let dest = dir.join("weights-x.pth");
    fetch_url(&server.url, &dest, Some(&sha(&data)[..10])).unwrap();
    assert_eq!(std::fs::read(&dest).unwrap(), data);
    assert_eq!(server.ranges(), [0, 70_000]);
    assert_eq!(leftovers(&dir), ["weights-x.pth"]);
}

#[test]
fn a_server_that_keeps_dropping_leaves_a_part_that_a_later_call_completes() {
    let data = body(100_000);
    let flaky = Server::start(
        data.clone(),
        Behaviour::Drop {
            after: 10_000,
            once: false,
        },
    );
    let tmp = temp_dir("flaky");
    let dir = tmp.path().to_path_buf();
    let dest = dir.join("weights-x.pth");
    let prefix = sha(&data)[..8].to_string();
    let err = fetch_url(&flaky.url, &dest, Some(&prefix)).unwrap_err();
    assert!(
        matches!(err, HubError::Interrupted { got: 30_000, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("resumes"), "{err}");
    assert_eq!(flaky.ranges(), [0, 10_000, 20_000]);
    assert!(!dest.exists());
    let good = Server::start(data.clone(), Behaviour::Serve);
    fetch_url(&good.url, &dest, Some(&prefix)).unwrap();
    assert_eq!(good.ranges(), [30_000]);
    assert_eq!(std::fs::read(&dest).unwrap(), data);
}

const CHILD: &str = "ZOO_HUB_CHILD";

/// Child process: fetches `$ZOO_HUB_CHILD` = `url|dest|prefix` and prints the outcome.
#[test]
#[ignore = "run in child processes by the tests below"]
fn fetch_child() {
    let Ok(spec) = std::env::var(CHILD) else {
        return;
    };
    let parts: Vec<&str> = spec.split('|').collect();
    match fetch_url(parts[0], Path::new(parts[1]), Some(parts[2])) {
        Ok(_) => println!("\nFETCH OK"),
        Err(e) => println!("\nFETCH ERR {e}"),
    }
}

fn child(spec: &str, env: &[(&str, &str)]) -> Command {
    let mut c = Command::new(std::env::current_exe().unwrap());
    c.args(["--ignored", "--exact", "fetch_child", "--nocapture"])
        .env(CHILD, spec)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

fn outcome(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("FETCH "))
        .unwrap_or_else(|| {
            panic!(
                "no outcome: {stdout}{}",
                String::from_utf8_lossy(&out.stderr)
            )
        })
        .to_string()
}

#[test]
fn offline_mode_names_the_file_its_url_and_where_to_put_it() {
    let server = Server::start(body(1000), Behaviour::Serve);
    let tmp = temp_dir("offline");
    let dir = tmp.path().to_path_buf();
    let dest = dir.join("weights-x.pth");
    let spec = format!("{}|{}|00", server.url, dest.display());
    let out = finish(child(&spec, &[("ZOO_OFFLINE", "1")]).spawn().unwrap(), 120);
    let msg = outcome(&out);
    assert!(msg.starts_with("ERR"), "{msg}");
    for needle in [
        "weights-x.pth",
        server.url.as_str(),
        &dest.display().to_string(),
        "ZOO_OFFLINE=1",
    ] {
        assert!(msg.contains(needle), "{needle} not in: {msg}");
    }
    assert!(server.ranges().is_empty(), "no request made offline");
}

#[test]
fn two_processes_fetching_one_file_download_it_once() {
    let data = body(1 << 20);
    let server = Server::start(data.clone(), Behaviour::Slow);
    let tmp = temp_dir("race");
    let dir = tmp.path().to_path_buf();
    let dest = dir.join("weights-x.pth");
    let spec = format!("{}|{}|{}", server.url, dest.display(), &sha(&data)[..8]);
    let a = child(&spec, &[]).spawn().unwrap();
    let b = child(&spec, &[]).spawn().unwrap();
    for c in [a, b] {
        let out = finish(c, 120);
        assert_eq!(outcome(&out), "OK");
    }
    assert_eq!(std::fs::read(&dest).unwrap(), data);
    assert_eq!(server.ranges(), [0], "one download");
    assert_eq!(leftovers(&dir), ["weights-x.pth"]);
}

#[test]
fn a_server_that_never_answers_times_out_and_a_steady_trickle_does_not() {
    let silent = Server::start(body(1000), Behaviour::Silent);
    let tmp = temp_dir("silent");
    let dest = tmp.path().join("weights-x.pth");
    let spec = format!("{}|{}|00", silent.url, dest.display());
    let started = std::time::Instant::now();
    let out = finish(
        child(&spec, &[("ZOO_HTTP_TIMEOUT", "1")]).spawn().unwrap(),
        120,
    );
    let msg = outcome(&out);
    assert!(
        msg.starts_with("ERR") && msg.contains("weights-x.pth"),
        "{msg}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "gave up in time"
    );

    // 12 pieces 250 ms apart: 3 s in all, three times the idle limit, never idle for it.
    let data = body(12 << 13);
    let trickle = Server::start(data.clone(), Behaviour::Trickle);
    let spec = format!("{}|{}|{}", trickle.url, dest.display(), &sha(&data)[..8]);
    let out = finish(
        child(&spec, &[("ZOO_HTTP_TIMEOUT", "1")]).spawn().unwrap(),
        120,
    );
    assert_eq!(outcome(&out), "OK");
    assert_eq!(std::fs::read(&dest).unwrap(), data);
}

#[test]
fn a_lock_held_without_progress_is_given_up_with_its_path() {
    let server = Server::start(body(1000), Behaviour::Serve);
    let tmp = temp_dir("lock");
    let dest = tmp.path().join("weights-x.pth");
    let lock_path = tmp.path().join("weights-x.pth.lock");
    let lock = std::fs::File::create(&lock_path).unwrap();
    lock.lock().unwrap();
    let spec = format!("{}|{}|00", server.url, dest.display());
    let out = finish(
        child(&spec, &[("ZOO_HTTP_TIMEOUT", "1")]).spawn().unwrap(),
        120,
    );
    let msg = outcome(&out);
    assert!(
        msg.contains("made no progress") && msg.contains(&lock_path.display().to_string()),
        "{msg}"
    );
    drop(lock);
    assert!(server.ranges().is_empty());
}

#[test]
fn a_cached_file_that_changed_or_was_never_the_published_one_is_fetched_anew() {
    let data = body(50_000);
    let prefix = sha(&data)[..12].to_string();
    let server = Server::start(data.clone(), Behaviour::Serve);
    let tmp = temp_dir("verify");
    let dest = tmp.path().join("weights-x.pth");
    fetch_url(&server.url, &dest, Some(&prefix)).unwrap();
    let record = std::fs::read_to_string(tmp.path().join("weights-x.pth.sha256")).unwrap();
    assert!(record.starts_with(&sha(&data)), "{record}");
    // Used as is while unchanged.
    fetch_url(&server.url, &dest, Some(&prefix)).unwrap();
    assert_eq!(server.ranges(), [0]);
    // A flipped byte (same size): detected, fetched again.
    let mut bad = data.clone();
    bad[777] ^= 1;
    std::fs::write(&dest, &bad).unwrap();
    // As any write does on a filesystem with fine timestamps; set explicitly for coarse ones.
    let later = std::time::SystemTime::now() + Duration::from_secs(5);
    std::fs::File::options()
        .write(true)
        .open(&dest)
        .unwrap()
        .set_modified(later)
        .unwrap();
    fetch_url(&server.url, &dest, Some(&prefix)).unwrap();
    assert_eq!(std::fs::read(&dest).unwrap(), data);
    assert_eq!(server.ranges(), [0, 0]);
    // A wrong file put in the cache by hand (no record) for weights without a published
    // checksum is trusted; with one, it is checked and replaced.
    std::fs::remove_file(tmp.path().join("weights-x.pth.sha256")).unwrap();
    std::fs::write(&dest, b"something else").unwrap();
    fetch_url(&server.url, &dest, None).unwrap();
    assert_eq!(std::fs::read(&dest).unwrap(), b"something else");
    std::fs::remove_file(tmp.path().join("weights-x.pth.sha256")).unwrap();
    fetch_url(&server.url, &dest, Some(&prefix)).unwrap();
    assert_eq!(std::fs::read(&dest).unwrap(), data);
    // Offline, a damaged entry is an error that says what happened.
    std::fs::write(&dest, &bad).unwrap();
    let spec = format!("{}|{}|{prefix}", server.url, dest.display());
    let out = finish(child(&spec, &[("ZOO_OFFLINE", "1")]).spawn().unwrap(), 120);
    let msg = outcome(&out);
    assert!(
        msg.contains("changed since it was downloaded") && msg.contains("not used"),
        "{msg}"
    );
    assert_eq!(
        std::fs::read(&dest).unwrap(),
        bad,
        "kept: it cannot be replaced offline"
    );
}
