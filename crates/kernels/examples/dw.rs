use std::time::Instant;
use zoo_kernels::{Conv2dShape, Fused, conv2d};
fn main() {
    for (c, hw) in [(64usize, 147usize), (728, 19), (256, 74)] {
        let s = Conv2dShape {
            batch: 1,
            c_in: c,
            h: hw,
            w: hw,
            c_out: c,
            kh: 3,
            kw: 3,
            stride: [1, 1],
            padding: [1; 4],
            dilation: [1, 1],
            groups: c,
        };
        let [n_in, n_w, n_out] = s.lens();
        let (x, w) = (vec![0.5f32; n_in], vec![0.01f32; n_w]);
        let mut out = vec![0.0; n_out];
        let mut ts = vec![];
        for _ in 0..50 {
            let t = Instant::now();
            conv2d(&s, &x, &w, Fused::default(), &mut out).unwrap();
            ts.push(t.elapsed().as_secs_f64());
        }
        ts.sort_by(f64::total_cmp);
        println!(
            "dw {c}x{hw}²: {:.3} ms median, {:.1} GFLOP/s",
            ts[25] * 1e3,
            2.0 * s.macs() as f64 / ts[25] / 1e9
        );
    }
}
