use burn::tensor::{Device, Distribution, Tensor};
use std::time::Instant;
use zoo_blocks::{ConvSpec, engine};
fn main() {
    let device = Device::default();
    let conv = ConvSpec::new(728, 728, 3)
        .padding(1)
        .groups(728)
        .bias(true)
        .build(&device);
    let x = Tensor::<4>::random([1, 728, 19, 19], Distribution::Default, &device);
    for on in [true, false, true, false] {
        engine::set_enabled(on);
        let mut ts = vec![];
        for _ in 0..200 {
            let t = Instant::now();
            std::hint::black_box(
                engine::conv_fused(&conv, None, x.clone(), None, true).into_data(),
            );
            ts.push(t.elapsed().as_secs_f64() * 1e3);
        }
        ts.sort_by(f64::total_cmp);
        println!("engine {on}: {:.3} ms", ts[100]);
    }
}
