//! `zoo bench`: latency and throughput of the zoo's models on this machine, as they are.
//! Comparing with PyTorch and ONNX Runtime is `scripts/bench_peers.py`'s job (issue 8).

use crate::out::outln;
use std::path::PathBuf;
use std::time::Instant;

use burn::tensor::{Device, Distribution, Tensor};
use burn_zoo::{Fuse, ImportOptions, VariantSpec, variant, variants};

#[derive(clap::Args)]
pub struct Args {
    /// A variant from `zoo list`, or `all`.
    #[arg(long)]
    pub model: String,
    #[command(flatten)]
    pub timing: Timing,
    /// A checkpoint whose load time to report as well (`.pth`, `.safetensors`, `.onnx`).
    #[arg(long)]
    pub weights: Option<PathBuf>,
    /// One JSON object per line.
    #[arg(long)]
    pub json: bool,
    /// Time the model as built, without folding its BatchNorms into the convolutions first.
    #[arg(long)]
    pub no_fuse: bool,
    /// Convolve with Burn's flex backend instead of the zoo's engine (for comparison).
    #[arg(long)]
    pub flex_conv: bool,
}

/// Batches, runs and threads, as `zoo bench` and `zoo bench-layers` take them.
#[derive(clap::Args)]
pub struct Timing {
    /// Batch sizes.
    #[arg(long, value_delimiter = ',', default_value = "1,8")]
    pub batch: Vec<usize>,
    /// Timed runs per measurement (the median is reported).
    #[arg(long, default_value_t = 10)]
    pub runs: usize,
    /// Untimed runs first.
    #[arg(long, default_value_t = 2)]
    pub warmup: usize,
    /// Threads of the pool (default: one per core).
    #[arg(long)]
    pub threads: Option<usize>,
}

impl Timing {
    /// Sizes the pool as asked.
    pub fn apply(&self) -> Result<(), Error> {
        if let Some(n) = self.threads {
            burn_zoo::set_threads(n)?;
        }
        Ok(())
    }
}

/// Any error, reported by `main` as a message.
pub type Error = Box<dyn std::error::Error>;

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

/// CPU time (user + system, all threads) the process has used so far, in seconds.
fn cpu_seconds() -> f64 {
    #[cfg(unix)]
    {
        // SAFETY: getrusage writes into the zeroed struct it is given.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } == 0 {
            let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
            return secs(usage.ru_utime) + secs(usage.ru_stime);
        }
    }
    f64::NAN
}

/// The process's peak resident set since the last reset, in MiB (Linux; `None` elsewhere).
fn peak_mib(reset: bool) -> Option<f64> {
    if reset {
        std::fs::write("/proc/self/clear_refs", "5").ok()?;
    }
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib / 1024.0)
}

fn bench(v: &VariantSpec, args: &Args, device: &Device) -> Result<serde_json::Value, Error> {
    let size = v.input.size;
    let channels = v.input.channels;
    let mut row = serde_json::json!({"variant": v.name, "params": v.params});
    // Load times: Burn's format (a round trip through a temporary file), and the user's file.
    let bpk = std::env::temp_dir().join(format!("zoo-bench-{}-{}.bpk", v.name, std::process::id()));
    v.build(v.classes, device).save(&bpk)?;
    // The yardstick for loading: reading the same bytes into memory and nothing else.
    let t = Instant::now();
    std::hint::black_box(std::fs::read(&bpk)?);
    row["read_bpk_ms"] = (t.elapsed().as_secs_f64() * 1e3).into();
    row["bpk_mib"] = (std::fs::metadata(&bpk)?.len() as f64 / (1 << 20) as f64).into();
    if let Some(file) = &args.weights {
        let fresh = v.build(v.classes, device);
        let t = Instant::now();
        let loaded = fresh.load(file, &ImportOptions::default())?;
        row["load_weights_ms"] = (t.elapsed().as_secs_f64() * 1e3).into();
        drop(loaded);
    }
    // From here the process is what an inference program is: it loads the model from Burn's
    // format and runs it. The peak is measured over this part only.
    peak_mib(true);
    // Building (Burn initialises parameters lazily) and loading are timed apart.
    let t = Instant::now();
    let fresh = v.build(v.classes, device);
    row["build_ms"] = (t.elapsed().as_secs_f64() * 1e3).into();
    let t = Instant::now();
    let (mut model, _) = fresh.load(&bpk, &ImportOptions::default())?;
    row["load_bpk_ms"] = (t.elapsed().as_secs_f64() * 1e3).into();
    let _ = std::fs::remove_file(&bpk);
    if !args.no_fuse {
        model = model.fused();
    }
    row["fused"] = (!args.no_fuse).into();
    for &b in &args.timing.batch {
        let x = Tensor::<4>::random([b, channels, size, size], Distribution::Default, device);
        let run = || {
            let t = Instant::now();
            let y = model.forward(x.clone()).into_data();
            std::hint::black_box(y);
            t.elapsed().as_secs_f64()
        };
        (0..args.timing.warmup).for_each(|_| {
            run();
        });
        let (cpu, wall) = (cpu_seconds(), Instant::now());
        let ms = median((0..args.timing.runs.max(1)).map(|_| run()).collect()) * 1e3;
        // The threads actually used, measured: CPU time over wall time of the timed runs.
        let busy = (cpu_seconds() - cpu) / wall.elapsed().as_secs_f64();
        row[format!("batch{b}_ms")] = ms.into();
        row[format!("batch{b}_cpu_per_wall")] = busy.into();
        row[format!("batch{b}_images_per_s")] = (b as f64 * 1e3 / ms).into();
    }
    if let Some(peak) = peak_mib(false) {
        row["peak_mib"] = peak.into();
    }
    Ok(row)
}

/// Builds each asked-for variant and prints its timings (a table, or JSON lines).
pub fn run(args: Args) -> Result<(), Error> {
    let variants: Vec<&VariantSpec> = if args.model == "all" {
        variants().collect()
    } else {
        vec![
            variant(&args.model)
                .ok_or_else(|| format!("unknown model `{}` (see `zoo list`)", args.model))?,
        ]
    };
    args.timing.apply()?;
    if args.flex_conv {
        burn_zoo::blocks::engine::set_enabled(false);
    }
    let device = Device::default();
    let threads = burn_zoo::threads();
    if !args.json {
        outln!(
            "flex device, {threads} threads, convolutions by {}, median of {} runs after {} warm-up, {}",
            if args.flex_conv {
                "flex"
            } else {
                "the zoo's engine"
            },
            args.timing.runs,
            args.timing.warmup,
            if args.no_fuse {
                "BatchNorm as is"
            } else {
                "BatchNorm folded"
            }
        );
        let batches: Vec<String> = args
            .timing
            .batch
            .iter()
            .map(|b| format!("b{b} ms  b{b} img/s  b{b} cpu"))
            .collect();
        outln!(
            "{:<18} {:>10} {:>10}  {}  {:>9} {:>9}",
            "variant",
            "load bpk",
            "read bpk",
            batches.join("  "),
            "peak MiB",
            "bpk MiB"
        );
    }
    for v in variants {
        let row = bench(v, &args, &device)?;
        if args.json {
            outln!("{row}");
            continue;
        }
        let f = |k: &str| {
            row[k]
                .as_f64()
                .map_or("—".to_string(), |x| format!("{x:.1}"))
        };
        let cols: Vec<String> = args
            .timing
            .batch
            .iter()
            .map(|b| {
                format!(
                    "{:>8} {:>9} {:>7}",
                    f(&format!("batch{b}_ms")),
                    f(&format!("batch{b}_images_per_s")),
                    f(&format!("batch{b}_cpu_per_wall"))
                )
            })
            .collect();
        outln!(
            "{:<18} {:>10} {:>10}  {}  {:>9} {:>9}",
            v.name,
            f("load_bpk_ms"),
            f("read_bpk_ms"),
            cols.join("  "),
            f("peak_mib"),
            f("bpk_mib")
        );
    }
    Ok(())
}
