#![no_main]
//! imap-proto: the body is `imap_proto::fuzz::command`, replayed over
//! fuzz/corpus/imap_command/ by imap-proto's tests.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| imap_proto::fuzz::command(data));
