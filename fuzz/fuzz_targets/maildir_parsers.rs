//! Every parser of the maildir crate (dovecot-uidlist, the mbox side file,
//! dovecot-keywords, the mod-sequence log, file names, mail_location,
//! folder names, mboxrd) fed arbitrary bytes, with their round trips
//! checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    maildir::fuzzing::parsers(data);
});
