//! The `expr` target; its logic is `qindex_fuzz::expr` (fuzz/src/lib.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    qindex_fuzz::expr(data);
});
