//! Arbitrary bytes as an IDX file, plain or gzipped: a clear error or the array its header
//! describes, never a panic or an allocation beyond what the file can hold.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    zoo_fuzz::with_file("input-idx1-ubyte", data, |path| {
        if let Ok(idx) = zoo_lenet::idx::read(path) {
            let len: usize = idx.dims.iter().product();
            assert_eq!(idx.data.len(), len);
        }
    });
});
