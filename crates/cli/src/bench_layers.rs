//! `zoo bench-layers`: every distinct convolution of some variants, timed alone on the zoo's
//! engine and on Burn flex's own `conv2d`, as GFLOP/s and as a share of this machine's
//! measured FMA peak. `scripts/bench_layers.py` adds PyTorch and ONNX Runtime on the same
//! shapes.

use crate::out::outln;
use std::collections::HashMap;
use std::time::Instant;

use burn::tensor::{Device, Distribution, Tensor};
use burn_zoo::blocks::engine::{self, Conv2dShape};
use burn_zoo::blocks::{ConvSpec, Fuse};
use burn_zoo::variant;

use crate::bench::{Error, Timing};

#[derive(clap::Args)]
pub struct Args {
    /// Variants whose convolutions to time.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "resnet18,resnet50,vgg16,densenet121,googlenet,xception,resnext50_32x4d"
    )]
    pub models: Vec<String>,
    #[command(flatten)]
    pub timing: Timing,
    /// One JSON object per line.
    #[arg(long)]
    pub json: bool,
}

/// The distinct convolutions of `name` at batch 1, in order of first use, with how often each
/// occurs in one forward pass.
fn shapes(name: &str, device: &Device) -> Result<Vec<(Conv2dShape, usize)>, Error> {
    let v = variant(name).ok_or_else(|| format!("unknown model `{name}` (see `zoo list`)"))?;
    let model = v.build(v.classes, device).fused();
    let (c, side) = (v.input.channels, v.input.size);
    let x = Tensor::<4>::zeros([1, c, side, side], device);
    let (_, all) = engine::record_shapes(|| model.forward(x).into_data());
    let mut seen: Vec<(Conv2dShape, usize)> = Vec::new();
    for s in all {
        match seen.iter_mut().find(|(t, _)| *t == s) {
            Some((_, n)) => *n += 1,
            None => seen.push((s, 1)),
        }
    }
    Ok(seen)
}

fn median_ms(mut f: impl FnMut(), warmup: usize, runs: usize) -> f64 {
    (0..warmup).for_each(|_| f());
    let mut times: Vec<f64> = (0..runs.max(1))
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// Engine and flex milliseconds for `s`: convolution, bias (a folded BatchNorm) and ReLU, as
/// the models run them.
fn time(s: &Conv2dShape, args: &Args, device: &Device) -> (f64, f64) {
    let conv = ConvSpec::new(s.c_in, s.c_out, s.kh)
        .stride(s.stride[0])
        .padding(s.padding[0])
        .groups(s.groups)
        .bias(true)
        .build(device);
    let x = Tensor::<4>::random([s.batch, s.c_in, s.h, s.w], Distribution::Default, device);
    let mut run = || {
        std::hint::black_box(engine::conv_fused(&conv, None, x.clone(), None, true).into_data());
    };
    engine::set_enabled(true);
    let ours = median_ms(&mut run, args.timing.warmup, args.timing.runs);
    engine::set_enabled(false);
    let flex = median_ms(&mut run, args.timing.warmup, args.timing.runs);
    engine::set_enabled(true);
    (ours, flex)
}

/// Prints the measured peak, then each distinct convolution's engine and flex timings.
pub fn run(args: Args) -> Result<(), Error> {
    args.timing.apply()?;
    let device = Device::default();
    let peak = zoo_peak();
    if !args.json {
        outln!(
            "{} threads, {:?} kernels, measured FMA peak {peak:.0} GFLOP/s; convolution + bias + ReLU, median of {} runs",
            burn_zoo::threads(),
            burn_zoo::blocks::engine::isa(),
            args.timing.runs
        );
        outln!(
            "{:<16} {:>3} {:>5} {:>22} {:>4} {:>9} {:>9} {:>9} {:>8} {:>8} {:>7}",
            "model",
            "n×",
            "batch",
            "c_in×h×w → c_out",
            "k/s",
            "GFLOP",
            "engine ms",
            "flex ms",
            "engine",
            "flex",
            "% peak"
        );
    }
    let mut done: HashMap<Conv2dShape, (f64, f64)> = HashMap::new();
    for name in &args.models {
        for (shape, count) in shapes(name, &device)? {
            for &batch in &args.timing.batch {
                let s = Conv2dShape { batch, ..shape };
                let (ours, flex) = *done.entry(s).or_insert_with(|| time(&s, &args, &device));
                let gflop = 2.0 * s.macs() as f64 / 1e9;
                let (g_ours, g_flex) = (gflop * 1e3 / ours, gflop * 1e3 / flex);
                if args.json {
                    let row = serde_json::json!({
                        "model": name, "count": count, "batch": batch, "c_in": s.c_in, "h": s.h,
                        "w": s.w, "c_out": s.c_out, "kernel": s.kh, "stride": s.stride[0],
                        "padding": s.padding[0], "groups": s.groups, "gflop": gflop,
                        "engine_ms": ours, "flex_ms": flex, "engine_gflops": g_ours,
                        "flex_gflops": g_flex, "peak_gflops": peak,
                    });
                    outln!("{row}");
                } else {
                    let what = format!(
                        "{}×{}×{} → {}{}",
                        s.c_in,
                        s.h,
                        s.w,
                        s.c_out,
                        if s.groups > 1 {
                            format!(" g{}", s.groups)
                        } else {
                            String::new()
                        }
                    );
                    outln!(
                        "{name:<16} {count:>3} {batch:>5} {what:>22} {:>4} {gflop:>9.3} {ours:>9.3} {flex:>9.3} {g_ours:>8.1} {g_flex:>8.1} {:>6.1}%",
                        format!("{}/{}", s.kh, s.stride[0]),
                        100.0 * g_ours / peak
                    );
                }
            }
        }
    }
    Ok(())
}

/// The pool's FMA ceiling, best of three short measurements.
fn zoo_peak() -> f64 {
    (0..3)
        .map(|_| burn_zoo::blocks::engine::fma_peak_gflops(5_000_000))
        .fold(0.0, f64::max)
}
