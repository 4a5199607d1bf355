//! `burn_zoo::viz`: grids of filters and activation maps have the expected layout, every tile
//! stretched to its own range.

use std::path::Path;

use burn::tensor::{Device, Tensor, TensorData};
use burn_zoo::{pipeline, variant, viz};

#[test]
fn tiles_are_stretched_to_their_own_range() {
    // Two grey 1×2 tiles side by side (2 columns), one white gap pixel between them.
    let img = viz::tiles(&[0.0, 2.0, 5.0, 5.0], [2, 1, 1, 2], false, 1);
    assert_eq!(img.dimensions(), (5, 1));
    let row: Vec<u8> = img.pixels().map(|p| p.0[0]).collect();
    // The first tile 0 → 0, 2 → 255; the constant one is black; the gap is white.
    assert_eq!(row, [0, 255, 255, 0, 0]);
    // Colour: one RGB tile, each channel stretched over the tile's common range.
    let img = viz::tiles(&[0.0, 1.0, 0.5], [1, 3, 1, 1], true, 2);
    assert_eq!(img.dimensions(), (2, 2));
    assert!(img.pixels().all(|p| p.0 == [0, 255, 128]));
}

#[test]
fn filters_are_one_tile_each() {
    let device = Device::default();
    // ResNet-20: 16 RGB 3×3 filters, 4 × 4 tiles of 12 pixels with 1-pixel gaps.
    let model = variant("resnet20").unwrap().build(10, &device);
    let img = viz::filters(&*model, 4).unwrap();
    assert_eq!(img.dimensions(), (4 * 13 - 1, 4 * 13 - 1));
    let first = img.get_pixel(0, 0);
    assert!(img.pixels().any(|p| p != first), "a constant image");
    // LeNet-5: 6 grey 5×5 filters of one input channel, 3 × 2 tiles.
    let model = variant("lenet5_modern").unwrap().build(10, &device);
    assert_eq!(
        viz::filters(&*model, 1).unwrap().dimensions(),
        (3 * 6 - 1, 2 * 6 - 1)
    );
}

#[test]
fn activations_of_a_stage_for_an_image() {
    let device = Device::default();
    let p = pipeline::open("lenet5_modern", None, &device).unwrap();
    let image =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fashion-mnist/samples/bag.png");
    let values = p.preprocess.load(&image).unwrap();
    let x = Tensor::<4>::from_data(TensorData::new(values, [1, 1, 28, 28]), &device);
    // conv1: 6 maps of 28×28 in 3 × 2 tiles.
    let img = viz::activations(&*p.model, x.clone(), 0, 1).unwrap();
    assert_eq!(img.dimensions(), (3 * 29 - 1, 2 * 29 - 1));
    let first = img.get_pixel(0, 0);
    assert!(img.pixels().any(|q| q != first), "a constant image");
    let e = viz::activations(&*p.model, x, 7, 1)
        .unwrap_err()
        .to_string();
    assert!(e.contains("no feature stage 7"), "{e}");
}
