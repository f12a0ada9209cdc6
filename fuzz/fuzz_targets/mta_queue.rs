//! The queue's on-disk readers (journal framing, envelopes) and the header
//! scanners fed arbitrary bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    mta_core::fuzzing::queue_records(data);
});
