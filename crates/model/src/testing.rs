//! The checks every family crate runs on its own variant table (`cargo test -p zoo-vgg`), shared
//! here so that they are written once.

use burn::tensor::{Device, Distribution, Tensor};

use crate::VariantSpec;

/// Builds every row of `table` and checks it against what the row states (family, name,
/// parameter count, classes, labels); then, on the smallest variant with random weights and
/// two random images of its input size: the split forward is the forward bit for bit, every
/// stage has the channels and (roughly) the side it states, and `reset_classifier` changes the
/// number of outputs and nothing else.
///
/// # Panics
/// On the first disagreement, naming the variant.
pub fn check_table(table: &[VariantSpec], family: &str) {
    let device = Device::default();
    assert!(!table.is_empty(), "{family}: empty table");
    for v in table {
        assert_eq!(v.family, family, "{}", v.name);
        let model = v.build(v.classes, &device);
        assert_eq!(model.name(), v.name);
        assert_eq!(model.parameter_count(), v.params, "{}: parameters", v.name);
        assert_eq!(model.num_classes(), v.classes, "{}", v.name);
        assert_eq!(v.labels.names().len(), v.classes, "{}: labels", v.name);
    }
    let v = table.iter().min_by_key(|v| v.params).expect("not empty");
    let mut model = v.build(v.classes, &device);
    let s = v.input.size;
    let x = Tensor::<4>::random([2, v.input.channels, s, s], Distribution::Default, &device);
    let logits = model.forward(x.clone()).into_data();
    let split = model.forward_head(model.forward_features(x.clone()));
    assert_eq!(split.into_data(), logits, "{}: split forward", v.name);
    let embedding = model.embed(x.clone());
    assert_eq!(embedding.dims(), [2, model.num_features()], "{}", v.name);
    let info = model.feature_info();
    let all: Vec<usize> = (0..info.len()).collect();
    let maps = model
        .feature_maps(x.clone(), &all)
        .expect("every stage exists");
    for (f, m) in info.iter().zip(&maps) {
        let [_, c, h, _] = m.dims();
        let bound = s.div_ceil(f.reduction);
        assert!(
            c == f.channels && h <= bound && 2 * h > bound,
            "{}: {f} is {:?}",
            v.name,
            m.dims()
        );
    }
    model.reset_classifier(3);
    assert_eq!(model.forward(x.clone()).dims(), [2, 3], "{}", v.name);
    assert_eq!(
        model.embed(x).into_data(),
        embedding.into_data(),
        "{}: backbone changed",
        v.name
    );
}
