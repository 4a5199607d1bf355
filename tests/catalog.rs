//! Fast tier: every variant builds, has its reference's parameter count and runs; the model
//! API (split forward, stages, new head) holds on every family without any fixture.

use burn::tensor::{Device, Distribution, Tensor};
use burn_zoo::{create, variant, variants};

#[test]
fn every_variant_has_the_reference_parameter_count() {
    let device = Device::default();
    for v in variants() {
        let model = v.build(v.classes, &device);
        assert_eq!(model.parameter_count(), v.params, "{}", v.name);
        assert_eq!(model.num_classes(), v.classes, "{}", v.name);
        assert_eq!(v.labels.names().len(), v.classes, "{}", v.name);
        // The stem's filters: they take the input's channels. Only the fully connected
        // networks (the highway experiment's) have none.
        match model.first_filters() {
            Some(filters) => assert_eq!(filters.dims()[1], v.input.channels, "{}", v.name),
            None => assert!(v.name.contains("_fc"), "{} has no convolution", v.name),
        }
        println!("{:<18} {:>12} parameters", v.name, v.params);
    }
}

#[test]
fn num_classes_sets_the_head() {
    let device = Device::default();
    for name in ["resnet18", "resnext50_32x4d", "wide_resnet50_2"] {
        let model = variant(name).unwrap().build(10, &device);
        // 1000-class params minus the head difference: (1000 - 10) * (features + 1).
        let features = model.num_features();
        assert_eq!(features, if name == "resnet18" { 512 } else { 2048 });
        let v = variant(name).unwrap();
        assert_eq!(
            model.parameter_count(),
            v.params - 990 * (features + 1),
            "{name}"
        );
        let x = Tensor::<4>::random([2, 3, 64, 64], Distribution::Default, &device);
        assert_eq!(model.forward(x).dims(), [2, 10], "{name}");
    }
}

#[test]
fn names_are_unique_and_found() {
    for v in variants() {
        assert_eq!(variant(v.name).map(|f| f.name), Some(v.name));
        assert_eq!(variants().filter(|w| w.name == v.name).count(), 1);
    }
    assert!(variant("resnet17").is_none());
    assert!(create("resnet17", None, &Device::default()).is_err());
    let families: Vec<_> = variants().map(|v| v.family).collect();
    assert!(
        families.contains(&"resnext") && families.contains(&"wrn"),
        "{families:?}"
    );
}

/// One small variant of every model type, at its own input size with random weights: the
/// split forward is the forward bit for bit, the stages have the channels and sides they
/// state, and a new head changes nothing else.
#[test]
fn the_model_api_holds_for_every_model_type() {
    let device = Device::default();
    for name in [
        "lenet5_modern",
        "lenet5_fyh620",
        "resnet20",
        "preact_resnet110",
        "wrn_16_4",
        "densenet40_k12",
        "resnet18",
        "alexnet",
        "vgg11_bn",
        "googlenet",
        "densenet121",
        "xception",
    ] {
        let v = variant(name).unwrap();
        let mut model = create(name, None, &device).unwrap();
        let s = v.input.size;
        let x = Tensor::<4>::random([2, v.input.channels, s, s], Distribution::Default, &device);
        let logits = model.forward(x.clone()).into_data();
        let split = model.forward_head(model.forward_features(x.clone()));
        assert_eq!(split.into_data(), logits, "{name}: split forward");
        let embedding = model.embed(x.clone());
        assert_eq!(embedding.dims(), [2, model.num_features()], "{name}");

        let info = model.feature_info();
        let maps = model
            .feature_maps(x.clone(), &(0..info.len()).collect::<Vec<_>>())
            .unwrap();
        for (f, m) in info.iter().zip(&maps) {
            let [_, c, h, w] = m.dims();
            assert_eq!((c, h), (f.channels, w), "{name}: {f}");
            // The reduction is the stride: unpadded convolutions may shave a few pixels, but
            // the map is more than half of side / reduction.
            let bound = s.div_ceil(f.reduction);
            assert!(h <= bound && 2 * h > bound, "{name}: {f} has side {h}");
        }
        assert!(model.feature_maps(x.clone(), &[info.len()]).is_err());

        model.reset_classifier(5);
        assert_eq!(model.num_classes(), 5);
        assert_eq!(model.forward(x.clone()).dims(), [2, 5], "{name}");
        assert_eq!(
            model.embed(x).into_data(),
            embedding.into_data(),
            "{name}: the backbone changed"
        );
    }
}

/// The README's model tables state every variant, with the parameter count and crate of its
/// row in the family's table.
#[test]
fn the_readme_tables_agree_with_the_variant_tables() {
    let readme = include_str!("../README.md");
    let mut seen = std::collections::BTreeSet::new();
    for line in readme.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let name = cells[1].split('`').nth(1).unwrap_or_default();
        let Some(v) = variant(name) else { continue };
        seen.insert(v.name);
        let params = cells
            .iter()
            .find_map(|c| {
                c.replace(',', "")
                    .parse::<usize>()
                    .ok()
                    .filter(|_| c.contains(','))
            })
            .unwrap_or_else(|| panic!("README row of {name} has no parameter count: {line}"));
        assert_eq!(params, v.params, "README parameters of {name}");
        if let Some(krate) = cells.iter().find_map(|c| c.strip_prefix("`zoo-")) {
            assert_eq!(
                krate.trim_end_matches('`'),
                v.family,
                "README crate of {name}"
            );
        }
    }
    let missing: Vec<_> = variants()
        .filter(|v| !seen.contains(v.name))
        .map(|v| v.name)
        .collect();
    assert!(
        missing.is_empty(),
        "variants missing from the README's tables: {missing:?}"
    );
}
