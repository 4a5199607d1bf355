use zoo_kernels::{Conv2dShape, Fused, conv2d, reference};
fn main() {
    let mut seed = 1u64;
    let mut rnd = || {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
        ((seed >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    };
    for (c, hw) in [
        (64usize, 56usize),
        (128, 28),
        (256, 14),
        (512, 28),
        (64, 224),
    ] {
        let s = Conv2dShape {
            batch: 1,
            c_in: c,
            h: hw,
            w: hw,
            c_out: 16,
            kh: 3,
            kw: 3,
            stride: [1, 1],
            padding: [1; 4],
            dilation: [1, 1],
            groups: 1,
        };
        let [n_in, n_w, n_out] = s.lens();
        let x: Vec<f32> = (0..n_in).map(|_| rnd()).collect();
        let w: Vec<f32> = (0..n_w).map(|_| rnd() / (9.0 * c as f32).sqrt()).collect();
        let want = reference::conv2d(&s, &x, &w, Fused::default());
        let rms = (want.iter().map(|v| (v * v) as f64).sum::<f64>() / n_out as f64).sqrt();
        for wino in [false, true] {
            zoo_kernels::set_winograd(wino);
            let mut got = vec![0.0; n_out];
            conv2d(&s, &x, &w, Fused::default(), &mut got).unwrap();
            let max = got
                .iter()
                .zip(&want)
                .map(|(a, b)| (a - b).abs() as f64)
                .fold(0.0, f64::max);
            println!(
                "c{c} {hw}²: winograd={wino}: max|err|/rms = {:.2e}",
                max / rms
            );
        }
    }
}
