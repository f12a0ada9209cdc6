#![no_main]
//! imap-proto: the body is `imap_proto::fuzz::response`, replayed over
//! fuzz/corpus/imap_response/ by imap-proto's tests.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| imap_proto::fuzz::response(data));
