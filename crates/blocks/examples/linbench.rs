use burn::nn::LinearConfig;
use burn::tensor::{Device, Distribution, Tensor};
use std::time::Instant;
use zoo_blocks::engine;
fn main() {
    let device = Device::default();
    for (i, o, n) in [
        (9216usize, 4096usize, 1usize),
        (4096, 4096, 1),
        (25088, 4096, 1),
        (9216, 4096, 8),
    ] {
        let l = LinearConfig::new(i, o).init(&device);
        let x = Tensor::<2>::random([n, i], Distribution::Default, &device);
        for on in [true, false, true, false] {
            engine::set_enabled(on);
            let mut ts = vec![];
            for _ in 0..30 {
                let t = Instant::now();
                std::hint::black_box(engine::linear(&l, x.clone(), true).into_data());
                ts.push(t.elapsed().as_secs_f64() * 1e3);
            }
            ts.sort_by(f64::total_cmp);
            println!(
                "{i}x{o} n{n} engine {on}: {:.3} ms ({:.1} GB/s)",
                ts[15],
                (i * o * 4) as f64 / ts[15] / 1e6
            );
        }
    }
}
