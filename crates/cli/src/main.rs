//! `zoo`: the burn-zoo command line.

use std::path::PathBuf;
use std::process::ExitCode;

use burn::tensor::Device;
use burn_zoo::{ImportOptions, VARIANTS, variant};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "zoo",
    version,
    about = "Classic CNNs on Burn: list variants, convert weights"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Every variant with its family, parameters and input size.
    List {
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Convert a .pth/.pt/.safetensors checkpoint into Burn's format (.bpk), checking that
    /// every tensor fits the model.
    Convert {
        /// Variant name, as `zoo list` prints it.
        #[arg(long)]
        model: String,
        #[arg(long)]
        from: PathBuf,
        #[arg(long)]
        to: PathBuf,
        /// Extra key renames, applied before the family's own: `REGEX=REPLACEMENT`.
        #[arg(long, value_parser = parse_remap)]
        remap: Vec<(String, String)>,
        /// Read the state dict from this key of a checkpoint dict.
        #[arg(long)]
        top_level_key: Option<String>,
        /// Number of classes of the checkpoint's head.
        #[arg(long, default_value_t = 1000)]
        num_classes: usize,
    },
}

fn parse_remap(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .ok_or_else(|| format!("`{s}` is not REGEX=REPLACEMENT"))
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    match cli.command {
        Command::List { json } => {
            if !json {
                println!(
                    "{:<18} {:<8} {:>12}  input",
                    "variant", "family", "parameters"
                );
            }
            for v in VARIANTS {
                if json {
                    let row = serde_json::json!({
                        "variant": v.name, "family": v.family,
                        "params": v.params, "input_size": v.input_size,
                    });
                    println!("{row}");
                } else {
                    println!(
                        "{:<18} {:<8} {:>12}  {}×{}",
                        v.name, v.family, v.params, v.input_size, v.input_size
                    );
                }
            }
        }
        Command::Convert {
            model,
            from,
            to,
            remap,
            top_level_key,
            num_classes,
        } => {
            let v = variant(&model)
                .ok_or_else(|| format!("unknown model `{model}` (see `zoo list`)"))?;
            let options = ImportOptions {
                top_level_key,
                remaps: remap,
            };
            let device = Device::default();
            let spinner = indicatif::ProgressBar::new_spinner()
                .with_message(format!("loading {} into {model}", from.display()));
            spinner.enable_steady_tick(std::time::Duration::from_millis(120));
            let loaded = v.build(num_classes, &device).load_file(&from, &options);
            spinner.finish_and_clear();
            let loaded = loaded?;
            loaded.save_file(&to)?;
            println!(
                "{model}: {} parameters from {} → {}",
                loaded.num_params(),
                from.display(),
                to.display()
            );
        }
    }
    Ok(())
}
