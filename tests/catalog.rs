//! Fast tier: every variant builds, has its reference's parameter count and runs.

use burn::tensor::{Device, Distribution, Tensor};
use burn_zoo::{VARIANTS, variant};

#[test]
fn every_variant_has_the_reference_parameter_count() {
    let device = Device::default();
    for v in VARIANTS {
        let model = v.build(v.classes, &device);
        assert_eq!(model.num_params(), v.params, "{}", v.name);
        println!("{:<18} {:>12} parameters", v.name, v.params);
    }
}

#[test]
fn num_classes_sets_the_head() {
    let device = Device::default();
    for name in ["resnet18", "resnext50_32x4d", "wide_resnet50_2"] {
        let model = variant(name).unwrap().build(10, &device);
        // 1000-class params minus the head difference: (1000 - 10) * (features + 1).
        let features = if name == "resnet18" { 512 } else { 2048 };
        let v = variant(name).unwrap();
        assert_eq!(
            model.num_params(),
            v.params - 990 * (features + 1),
            "{name}"
        );
        let x = Tensor::<4>::random([2, 3, 64, 64], Distribution::Default, &device);
        assert_eq!(model.forward(x).dims(), [2, 10], "{name}");
    }
}

#[test]
fn names_are_unique_and_found() {
    for v in VARIANTS {
        assert_eq!(variant(v.name).map(|f| f.name), Some(v.name));
    }
    assert!(variant("resnet17").is_none());
    let families: Vec<_> = VARIANTS.iter().map(|v| v.family).collect();
    assert!(
        families.contains(&"resnext") && families.contains(&"wrn"),
        "{families:?}"
    );
}
