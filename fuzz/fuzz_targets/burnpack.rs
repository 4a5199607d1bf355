//! Arbitrary bytes as a `.bpk` file loaded into a two-layer model: a clear error or a model
//! that runs, never a panic, a hang or an allocation the file cannot justify.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| zoo_fuzz::load_tiny("input.bpk", data));
