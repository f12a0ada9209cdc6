//! Arbitrary bytes into the SMTP/LMTP server session: no panic, buffers
//! bounded. The body lives in `smtp_proto::fuzzing` so that smtp-proto's
//! tests replay this target's corpus.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| smtp_proto::fuzzing::server_session(data));
