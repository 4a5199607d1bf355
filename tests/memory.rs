//! Peak memory of a forward pass, measured in a child process (the peak resident set size,
//! `VmHWM`, is per process; other tests would share it).

mod common;

use std::process::Command;

use burn::tensor::{Device, Distribution, Tensor};
use burn_zoo::variant;

const CHILD_ENV: &str = "ZOO_MEMORY_CHILD";

fn kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("{field} not in /proc/self/status"))
}

/// Child: builds the variant, runs one forward at the batch size, prints its resident size
/// after building and its peak.
#[test]
#[ignore = "run in a child process by densenet_forward_memory_stays_linear"]
fn memory_child() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (name, batch) = spec.split_once(':').unwrap();
    let batch: usize = batch.parse().unwrap();
    let device = Device::default();
    let v = variant(name).unwrap();
    let model = v.build(v.classes, &device);
    // Parameters are materialised on first use: run a tiny batch, then reset the peak.
    model.forward(Tensor::random(
        [1, 3, 64, 64],
        Distribution::Default,
        &device,
    ));
    let built = kib("VmRSS:");
    std::fs::write("/proc/self/clear_refs", "5").expect("reset VmHWM");
    let s = v.input.size;
    let x = Tensor::<4>::random([batch, 3, s, s], Distribution::Default, &device);
    let y = model.forward(x);
    assert_eq!(y.dims(), [batch, v.classes]);
    drop(y.into_data());
    println!("\nMEMORY built={built} peak={}", kib("VmHWM:"));
}

/// (resident after building, peak during the forward pass) in MiB.
fn measure(name: &str, batch: usize) -> (f64, f64) {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "memory_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, format!("{name}:{batch}"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout
        .lines()
        .find_map(|l| l.split_once("MEMORY ").map(|(_, rest)| rest))
        .unwrap_or_else(|| panic!("no report from the child: {stdout}"));
    let field = |k: &str| -> f64 {
        let v = line
            .split_whitespace()
            .find_map(|w| w.strip_prefix(k))
            .unwrap();
        v.parse::<f64>().unwrap() / 1024.0
    };
    (field("built="), field("peak="))
}

/// DenseNet concatenates every layer's maps behind its input. Done naively with autograd
/// bookkeeping, each block keeps all its intermediate concatenations (O(L²) memory: about
/// 330 MiB for DenseNet-121 at batch 8); at inference each concatenation can be freed as soon as
/// the next exists. The peak growth of a forward pass must stay within 4× the largest single
/// feature map — dense block 1's output, (stem + 6k) maps at 56×56 — plus 16 MiB for fixed
/// buffers (the stem's unfolded 7×7 input alone is 7 MiB per image), at batch 1 and batch 8.
/// Measured here: DenseNet-121 grows 10 MiB at batch 1 and 82 MiB at batch 8, DenseNet-161
/// 115 MiB at batch 8 (PyTorch 2.15 eager under `no_grad`: 27, 106 and 574 MiB).
#[test]
fn densenet_forward_memory_stays_linear() {
    if !cfg!(target_os = "linux") {
        return;
    }
    // (variant, batch, stem maps, growth)
    for (name, batch, stem, k) in [
        ("densenet121", 1, 64, 32),
        ("densenet121", 8, 64, 32),
        ("densenet161", 8, 96, 48),
    ] {
        let (built, peak) = measure(name, batch);
        let largest = ((stem + 6 * k) * 56 * 56 * batch * 4) as f64 / (1 << 20) as f64;
        let growth = peak - built;
        let bound = 4.0 * largest + 16.0;
        common::report(&format!(
            "memory {name} batch {batch}: forward +{growth:.0} MiB over {built:.0} MiB \
             resident (bound {bound:.0} MiB)"
        ));
        assert!(
            growth <= bound,
            "{name} batch {batch}: grew {growth:.0} MiB"
        );
    }
}
