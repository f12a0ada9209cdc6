#![no_main]
//! imap-proto: the body is `imap_proto::server::fuzz::server_session`,
//! replayed over fuzz/corpus/imap_server/ by imap-proto's tests.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| imap_proto::server::fuzz::server_session(data));
