//! Quick GFLOP/s of the engine on ResNet-50's convolution shapes at batch 1.
use std::time::Instant;
use zoo_kernels::{Conv2dShape, Fused, Prepared, conv2d_prepared};

fn main() {
    println!(
        "FMA peak: {:.0} GFLOP/s",
        zoo_kernels::fma_peak_gflops(20_000_000)
    );
    let shapes = [
        (3, 224, 64, 7, 2, 3),
        (64, 56, 64, 1, 1, 0),
        (64, 56, 64, 3, 1, 1),
        (64, 56, 256, 1, 1, 0),
        (256, 56, 64, 1, 1, 0),
        (128, 28, 128, 3, 1, 1),
        (256, 14, 256, 3, 1, 1),
        (512, 7, 512, 3, 1, 1),
        (512, 7, 2048, 1, 1, 0),
        (1024, 14, 256, 1, 1, 0),
        (64, 224, 64, 3, 1, 1),
        (16, 32, 16, 3, 1, 1),
        (64, 8, 64, 3, 1, 1),
        (128, 112, 128, 3, 1, 1),
        (512, 28, 512, 3, 1, 1),
    ];
    for (c_in, hw, c_out, k, stride, p) in shapes {
        let s = Conv2dShape {
            batch: 1,
            c_in,
            h: hw,
            w: hw,
            c_out,
            kh: k,
            kw: k,
            stride: [stride; 2],
            padding: [p; 4],
            dilation: [1, 1],
            groups: 1,
        };
        let [n_in, n_w, n_out] = s.lens();
        let x = vec![0.5f32; n_in];
        let w = vec![0.01f32; n_w];
        let b = vec![0.1f32; c_out];
        let mut out = vec![0.0; n_out];
        let fused = Fused {
            bias: Some(&b),
            residual: None,
            relu: true,
        };
        let prepared = Prepared::new(&s, &w).unwrap();
        for wino in [false, true] {
            zoo_kernels::set_winograd(wino);
            let mut times = vec![];
            for _ in 0..30 {
                let t = Instant::now();
                conv2d_prepared(&s, &x, &w, Some(&prepared), fused, &mut out).unwrap();
                times.push(t.elapsed().as_secs_f64());
            }
            times.sort_by(f64::total_cmp);
            let best = times[0];
            let med = times[times.len() / 2];
            println!(
                "{c_in:>4}x{hw:>3}² -> {c_out:>4} k{k} s{stride} wino={wino:<5}: {:7.3} ms median, {:6.1} GFLOP/s best, {:6.1} median",
                med * 1e3,
                2.0 * s.macs() as f64 / best / 1e9,
                2.0 * s.macs() as f64 / med / 1e9
            );
        }
    }
}
