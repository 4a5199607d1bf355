//! `zoo list` and `zoo info`: the catalogue and the registry of published weights.

use crate::out::outln;
use burn_zoo::hub::{WeightEntry, registry};
use burn_zoo::pretrained::burnpack_path;
use burn_zoo::{variant, variants};

fn weights_of(name: &str) -> &'static [WeightEntry] {
    registry().models.get(name).map_or(&[], Vec::as_slice)
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_string(), |a| format!("{a:.2}"))
}

/// `zoo list`: one row (or JSON object) per variant.
pub fn list(json: bool) -> Result<(), crate::out::OutputError> {
    if !json {
        outln!(
            "{:<18} {:<9} {:>12} {:>7} {:>7}  {:<28} {:>6} {:>8}",
            "variant",
            "family",
            "parameters",
            "classes",
            "input",
            "weights (* default)",
            "acc@1",
            "MiB"
        );
    }
    for v in variants() {
        let ws = weights_of(v.name);
        if json {
            let weights: Vec<_> = ws
                .iter()
                .map(|w| {
                    serde_json::json!({"id": w.id, "default": w.default, "acc1": w.acc1,
                        "acc5": w.acc5, "file_size_mib": w.file_size_mib, "url": w.url})
                })
                .collect();
            let row = serde_json::json!({
                "variant": v.name, "family": v.family, "params": v.params,
                "classes": v.classes, "input_size": v.input.size, "channels": v.input.channels,
                "labels": v.labels.dataset(), "reference": v.reference.to_string(),
                "weights": weights,
            });
            outln!("{row}");
            continue;
        }
        let names: Vec<String> = ws
            .iter()
            .map(|w| format!("{}{}", w.name, if w.default { "*" } else { "" }))
            .collect();
        let default = ws.iter().find(|w| w.default);
        outln!(
            "{:<18} {:<9} {:>12} {:>7} {:>7}  {:<28} {:>6} {:>8}",
            v.name,
            v.family,
            v.params,
            v.classes,
            format!("{}²", v.input.size),
            if names.is_empty() {
                "—".to_string()
            } else {
                names.join(", ")
            },
            pct(default.and_then(|w| w.acc1)),
            default
                .and_then(|w| w.file_size_mib)
                .map_or_else(|| "—".to_string(), |s| format!("{s:.1}")),
        );
    }
    Ok(())
}

/// `zoo info`: the variant and each of its published weights, with its cache state.
pub fn info(name: &str) -> Result<(), Box<dyn std::error::Error>> {
    let v = variant(name).ok_or_else(|| format!("unknown model `{name}` (see `zoo list`)"))?;
    outln!(
        "{}: family {}, {} parameters, {} classes ({}), input {}×{}×{}, reference {}",
        v.name,
        v.family,
        v.params,
        v.classes,
        v.labels.dataset(),
        v.input.channels,
        v.input.size,
        v.input.size,
        v.reference
    );
    let ws = weights_of(v.name);
    if ws.is_empty() {
        let embedded = if v.embedded.is_some() {
            "; weights embedded in the crate are used by default"
        } else {
            ""
        };
        outln!(
            "no published weights in the registry{embedded}; load a checkpoint with `--weights FILE`"
        );
    }
    for w in ws {
        let p = &w.preprocess;
        outln!();
        outln!("{}{}", w.id, if w.default { " (default)" } else { "" });
        outln!("  source          {}", w.source);
        outln!("  url             {}", w.url);
        outln!(
            "  sha256 prefix   {}",
            w.sha256_prefix.as_deref().unwrap_or("— (none published)")
        );
        outln!(
            "  size            {}",
            w.file_size_mib
                .map_or_else(|| "—".into(), |s| format!("{s:.1} MiB"))
        );
        outln!("  acc@1 / acc@5   {} / {}", pct(w.acc1), pct(w.acc5));
        outln!("  GFLOPs          {:.2}", w.gflops);
        outln!(
            "  preprocessing   resize shorter side to {} ({:?}), center crop {}, mean {:?}, std {:?}",
            p.resize,
            p.interpolation,
            p.crop,
            p.mean,
            p.std
        );
        if w.transform_input {
            outln!("                  (the model re-normalises its input: transform_input)");
        }
        let cached = burnpack_path(w);
        outln!(
            "  cache           {}",
            if cached.exists() {
                cached.display().to_string()
            } else {
                "not downloaded".into()
            }
        );
    }
    Ok(())
}
