//! main.cf, dovecot.conf, the lookup tables, addresses and the router fed
//! arbitrary text.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    mta_core::fuzzing::config_and_tables(data);
});
