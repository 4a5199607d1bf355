//! Pretrained weights: the registry agrees with the variant tables, and `pretrained` loads from
//! the cache (converting to Burn's format once), works offline from a file the user put
//! there, and refuses what fails its checksum. Cache scenarios run in child processes because
//! `ZOO_HOME`, `ZOO_OFFLINE` and `ZOO_MIRROR` are process-wide.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;

use burn::tensor::Device;
use burn_zoo::hub::registry;
use burn_zoo::pretrained::burnpack_path;
use burn_zoo::resnet::ResNet;
use burn_zoo::{Reference, pretrained, pretrained_as, variant};
use common::{compare, fixture, input, read_f32, to_vec};

/// The registry (generated from the pinned torchvision and timm) and the families' tables
/// agree: every registry model is a variant with a torchvision or timm reference and the same
/// parameter count, and every such variant has published weights.
#[test]
fn the_registry_and_the_variant_tables_agree() {
    let r = registry();
    for (name, entries) in &r.models {
        let v = variant(name).unwrap_or_else(|| panic!("{name} not in the catalogue"));
        assert!(
            matches!(v.reference, Reference::Torchvision(_) | Reference::Timm(_)),
            "{name}: published weights but reference {}",
            v.reference
        );
        assert_eq!(entries.iter().filter(|e| e.default).count(), 1, "{name}");
        for e in entries {
            assert_eq!(e.params as usize, v.params, "{}", e.id);
        }
    }
    for v in burn_zoo::variants() {
        if matches!(v.reference, Reference::Torchvision(_) | Reference::Timm(_)) {
            assert!(
                r.models.contains_key(v.name),
                "{}: no registry entry",
                v.name
            );
        }
    }
    assert_eq!(zoo_hub_find("resnet18").file, "resnet18-f37072fd.pth");
}

fn zoo_hub_find(id: &str) -> &'static burn_zoo::hub::WeightEntry {
    burn_zoo::hub::find(id).unwrap()
}

const CHILD: &str = "ZOO_PRETRAINED_CHILD";

/// Child: loads the default weights of `$ZOO_PRETRAINED_CHILD` (`resnet18`, or `xception`,
/// whose weights have no published checksum) with the environment it was given and prints
/// the logits' agreement with the fixture, or the error.
#[test]
#[ignore = "run in child processes by the tests below"]
fn pretrained_child() {
    let Ok(name) = std::env::var(CHILD) else {
        return;
    };
    let device = Device::default();
    let (logits, size) = match name.as_str() {
        "xception" => (
            pretrained("xception.IMAGENET1K_V1", &device).map(|m| m.forward(input(299, &device))),
            299,
        ),
        _ => (
            pretrained_as::<ResNet>("resnet18.IMAGENET1K_V1", &device)
                .map(|m| m.forward(input(224, &device))),
            224,
        ),
    };
    match logits {
        Ok(logits) => {
            let dir = fixture(&name).unwrap();
            let p = compare(&to_vec(logits), &read_f32(&dir.join("logits.f32")), 1000);
            println!("\nPRETRAINED OK {} {size}", p.ok());
        }
        Err(e) => println!("\nPRETRAINED ERR {e}"),
    }
}

fn run_child(home: &Path, env: &[(&str, &str)]) -> String {
    run_model_child("resnet18", home, env)
}

fn run_model_child(model: &str, home: &Path, env: &[(&str, &str)]) -> String {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "pretrained_child", "--nocapture"])
        .env(CHILD, model)
        .env("ZOO_HOME", home)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("PRETRAINED "))
        .unwrap_or_else(|| panic!("{stdout}{}", String::from_utf8_lossy(&out.stderr)))
        .to_string()
}

fn home(label: &str) -> common::Scratch {
    let d = common::scratch(label);
    std::fs::create_dir_all(d.join("checkpoints")).unwrap();
    d
}

/// A checkpoint put in the cache by hand is used offline when it can be verified (Xception's
/// weights have no published checksum, so any file can stand for them here), converted to
/// Burn's format once; a damaged Burn copy is rebuilt from it.
#[test]
fn offline_from_a_file_put_in_the_cache_then_from_its_burn_copy() {
    let Some(dir) = fixture("xception") else {
        return;
    };
    let home = home("local");
    let entry = zoo_hub_find("xception.IMAGENET1K_V1");
    let checkpoint = home.join("checkpoints").join(&entry.file);
    std::fs::copy(dir.join("weights.pth"), &checkpoint).unwrap();
    let offline = [("ZOO_OFFLINE", "1")];
    assert_eq!(run_model_child("xception", &home, &offline), "OK true 299");
    let bpk = home.join("burnpack").join("xception-43020ad28.bpk");
    assert!(bpk.exists(), "converted on first use");
    // A damaged Burn-format copy is rebuilt from the checkpoint beside it.
    let mut bad = std::fs::read(&bpk).unwrap();
    let at = bad.len() / 2;
    bad[at] ^= 0x40;
    std::fs::write(&bpk, &bad).unwrap();
    assert_eq!(run_model_child("xception", &home, &offline), "OK true 299");
    assert!(std::fs::read(&bpk).unwrap() != bad, "rebuilt");
    // Next time the Burn-format copy is enough.
    std::fs::remove_file(&checkpoint).unwrap();
    assert_eq!(run_model_child("xception", &home, &offline), "OK true 299");
    // The path `pretrained` uses agrees with the one checked here.
    assert!(burnpack_path(entry).ends_with("burnpack/xception-43020ad28.bpk"));
}

/// Offline, a file in the cache that is not the published one is refused (and kept).
#[test]
fn offline_a_wrong_file_in_the_cache_is_not_used() {
    let Some(dir) = fixture("resnet18") else {
        return;
    };
    let home = home("wrong");
    let checkpoint = home.join("checkpoints").join("resnet18-f37072fd.pth");
    std::fs::copy(dir.join("weights.pth"), &checkpoint).unwrap();
    let msg = run_child(&home, &[("ZOO_OFFLINE", "1")]);
    assert!(
        msg.starts_with("ERR") && msg.contains("is not the published f37072fd"),
        "{msg}"
    );
    assert!(checkpoint.exists());
}

/// A cached checkpoint that cannot be read (a truncated download of weights without a
/// published checksum) is fetched anew, once, instead of failing every later run.
#[test]
fn an_unreadable_cached_checkpoint_is_fetched_anew() {
    let Some(dir) = fixture("xception") else {
        return;
    };
    let weights = std::fs::read(dir.join("weights.pth")).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mirror = format!("http://{}", listener.local_addr().unwrap());
    let served = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = served.clone();
    std::thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
                weights.len()
            );
            let _ = s.write_all(head.as_bytes());
            let _ = s.write_all(&weights);
        }
    });
    let home = home("repair");
    let checkpoint = home.join("checkpoints").join("xception-43020ad28.pth");
    let full = std::fs::read(dir.join("weights.pth")).unwrap();
    std::fs::write(&checkpoint, &full[..full.len() / 2]).unwrap();
    let msg = run_model_child("xception", &home, &[("ZOO_MIRROR", mirror.as_str())]);
    assert_eq!(msg, "OK true 299");
    assert_eq!(served.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert!(std::fs::read(&checkpoint).unwrap() == full);
}

#[test]
fn offline_without_the_file_says_where_to_put_it() {
    let home = home("offline");
    let msg = run_child(&home, &[("ZOO_OFFLINE", "1")]);
    let dest = home.join("checkpoints").join("resnet18-f37072fd.pth");
    for needle in [
        "ERR",
        "https://download.pytorch.org/models/resnet18-f37072fd.pth",
        &dest.display().to_string(),
    ] {
        assert!(msg.contains(needle), "{needle} not in {msg}");
    }
}

/// A mirror serving a file that is not the published one: refused, nothing left in the cache.
#[test]
fn a_file_that_fails_its_checksum_is_refused() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mirror = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let body = b"not resnet18";
            let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len());
            let _ = s.write_all(head.as_bytes());
            let _ = s.write_all(body);
        }
    });
    let home = home("mirror");
    let msg = run_child(&home, &[("ZOO_MIRROR", mirror.as_str())]);
    assert!(
        msg.contains("fails its checksum") && msg.contains("f37072fd"),
        "{msg}"
    );
    let left: Vec<_> = std::fs::read_dir(home.join("checkpoints"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".lock"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// The ImageNet class names exist twice (the model crate's label set, which needs no hub, and
/// the generated registry): they must be the same list.
#[test]
fn imagenet_labels_equal_the_registrys_categories() {
    let names = burn_zoo::Labels::ImageNet1k.names();
    assert_eq!(registry().categories, names);
}
