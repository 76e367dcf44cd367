//! The `csv` target; its logic is `qindex_fuzz::csv` (fuzz/src/lib.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    qindex_fuzz::csv(data);
});
