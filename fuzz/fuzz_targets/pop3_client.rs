//! The POP3 client session fed arbitrary server bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    pop3_proto::fuzzing::client_session(data);
});
