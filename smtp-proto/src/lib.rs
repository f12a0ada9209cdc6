//! ESMTP (RFC 5321) and LMTP (RFC 2033) as a Sans-IO protocol crate.
#![deny(missing_docs)]
