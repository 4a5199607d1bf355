# Sourced by the scripts that run the CLI (bench, gan, transfer, web): builds it, sets $zoo.
# With the workspace's features, as the test build has them: `-p zoo-cli` alone selects others
# and builds Burn and the zoo a second time (Cargo.toml's default-members says the same).
cargo build --release --quiet --workspace --bin zoo
zoo="$CARGO_TARGET_DIR/release/zoo"
