//! Lookup tables: aliases(5), access(5), transport(5), virtual(5) and
//! cidr_table(5), referenced from main.cf as `type:name`.
//!
//! Tables are read from their text source: `hash:/etc/aliases`,
//! `lmdb:/etc/postfix/access` and `texthash:/etc/postfix/virtual` all read
//! the named text file itself, not a postmap(1)-built database, so there is
//! no postmap step and no stale `.db` file. The text syntax is postmap's:
//! `#` comment lines, continuation lines that start with white space, keys
//! lowercased. A table notices when its file changed and reloads on
//! [`Table::refresh`] (an explicit call: no threads).
//!
//! ```
//! use mta_core::maps::{Access, AccessAction, MapList, Table, TableKind, access_lookup, address_keys};
//!
//! let access = Table::<Access>::from_text(
//!     "spam.example   REJECT no thanks\n\
//!      friend@spam.example OK\n",
//!     "access",
//!     TableKind::Indexed,
//! )
//! .unwrap();
//! let maps = MapList::from_tables(vec![access]);
//! let keys = address_keys(Some(("friend", "spam.example")), "+", true, "<>");
//! assert_eq!(access_lookup(&maps, &keys), Some(&AccessAction::Ok));
//! let keys = address_keys(Some(("x", "mx.spam.example")), "+", true, "<>");
//! assert!(matches!(access_lookup(&maps, &keys), Some(AccessAction::Reject(_))));
//! ```

mod cidr;
mod error;
mod formats;
mod lookup;
mod reference;
mod table;

pub use cidr::{IpNetwork, NetworkParseError, canonical};
pub use error::{EntryProblem, MapError, MapWarning};
pub use formats::{
    Access, AccessAction, AliasTarget, Aliases, Transport, TransportEntry, Virtual,
    parse_alias_targets,
};
pub use lookup::{
    access_lookup, address_keys, client_keys, split_extension, transport_lookup, virtual_lookup,
};
pub(crate) use reference::looks_like_table;
pub use reference::{TableKind, TableRef, TableRefError};
pub use table::{MAX_TABLE_BYTES, MapList, Table, TableFormat, Text};
