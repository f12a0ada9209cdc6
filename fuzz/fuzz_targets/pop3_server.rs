//! The POP3 server session fed arbitrary bytes, split where the input
//! says, with every decision answered.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    pop3_proto::fuzzing::server_session(data);
});
