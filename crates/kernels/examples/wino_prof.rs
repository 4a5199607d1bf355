use zoo_kernels::{Conv2dShape, Fused, conv2d};
fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().unwrap())
        .collect();
    let (c, hw) = (args[0], args[1]);
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
        groups: 1,
    };
    let [n_in, n_w, n_out] = s.lens();
    let (x, w) = (vec![0.5f32; n_in], vec![0.01f32; n_w]);
    let mut out = vec![0.0; n_out];
    for _ in 0..args[2] {
        conv2d(&s, &x, &w, Fused::default(), &mut out).unwrap();
    }
}
