//! The `xlsx` target; its logic is `qindex_fuzz::xlsx` (fuzz/src/lib.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(
    init: qindex_fuzz::quiet_workbook_reader_panics(),
    |data: &[u8]| {
        qindex_fuzz::xlsx(data);
    }
);
