//! A lookup table read from its text source, reloaded when the file changes.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::cidr::IpNetwork;
use super::error::{EntryProblem, MapError, MapWarning};
use super::reference::{TableKind, TableRef};
use crate::config::parse::logical_lines;

/// The largest table source file accepted.
pub const MAX_TABLE_BYTES: u64 = 64 * 1024 * 1024;

/// How one table format splits a logical line and reads its value.
pub trait TableFormat {
    /// The value of an entry.
    type Value: Clone + std::fmt::Debug;

    /// Splits a logical line into key and value text. The default is
    /// postmap(1)'s: the key is the first white-space-delimited word, the
    /// value the rest of the line.
    fn split_entry(line: &str) -> Option<(String, String)> {
        let line = line.trim();
        let end = line.find(char::is_whitespace)?;
        let (key, value) = line.split_at(end);
        let value = value.trim();
        (!value.is_empty()).then(|| (key.to_owned(), value.to_owned()))
    }

    /// Reads the value text.
    ///
    /// # Errors
    ///
    /// The problem, reported with the file and line.
    fn parse_value(key: &str, value: &str) -> Result<Self::Value, EntryProblem>;
}

/// Plain string values (virtual_mailbox_maps, tables in domain lists,
/// mynetworks tables).
#[derive(Debug, Clone, Copy)]
pub struct Text;

impl TableFormat for Text {
    type Value = String;

    fn parse_value(_key: &str, value: &str) -> Result<String, EntryProblem> {
        Ok(value.to_owned())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileStamp {
    modified: Option<SystemTime>,
    len: u64,
    inode: u64,
}

impl FileStamp {
    fn of(meta: &std::fs::Metadata) -> Self {
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(meta);
        #[cfg(not(unix))]
        let inode = 0;
        FileStamp {
            modified: meta.modified().ok(),
            len: meta.len(),
            inode,
        }
    }
}

#[derive(Debug, Clone)]
enum Contents<V> {
    Indexed(HashMap<String, V>),
    Cidr(Vec<(IpNetwork, V)>),
}

/// A lookup table of format `F`: keys are lowercased (postmap(1) folds
/// case by default) and looked up exactly; a `cidr:` table matches a client
/// address against its networks in file order.
///
/// A table opened from a file remembers the file's modification time, size
/// and inode; [`refresh`](Self::refresh) reloads it when any changed (no
/// threads, no timers: the owner decides when to call it). When a reload
/// fails the old contents stay in use.
///
/// # Examples
///
/// ```
/// use mta_core::maps::{Table, TableKind, Text};
///
/// let t = Table::<Text>::from_text("Example.COM  ok\n# comment\n", "inline", TableKind::Indexed).unwrap();
/// assert_eq!(t.get("example.com").map(String::as_str), Some("ok"));
/// assert_eq!(t.get("EXAMPLE.com").map(String::as_str), Some("ok"));
/// ```
#[derive(Debug, Clone)]
pub struct Table<F: TableFormat> {
    name: PathBuf,
    kind: TableKind,
    file: Option<PathBuf>,
    stamp: Option<FileStamp>,
    owner_is_root: bool,
    contents: Contents<F::Value>,
    warnings: Vec<MapWarning>,
    format: PhantomData<F>,
}

impl<F: TableFormat> Table<F> {
    /// Opens the text source of `reference` (see [`TableKind::Indexed`]).
    ///
    /// # Errors
    ///
    /// [`MapError::Io`] when the file cannot be read, [`MapError::Entry`]
    /// with the line of a bad entry.
    pub fn open(reference: &TableRef) -> Result<Self, MapError> {
        let (text, stamp, owner_is_root) = read_source(&reference.path)?;
        let mut table = Self::from_text(&text, &reference.path, reference.kind)?;
        table.file = Some(reference.path.clone());
        table.stamp = Some(stamp);
        table.owner_is_root = owner_is_root;
        Ok(table)
    }

    /// Builds a table from text; `name` is used in messages. The table is
    /// not owned by root (see [`owner_is_root`](Self::owner_is_root)) unless
    /// [`set_owner_is_root`](Self::set_owner_is_root) says so.
    ///
    /// # Errors
    ///
    /// [`MapError::Entry`] with the line of a bad entry.
    pub fn from_text(
        text: &str,
        name: impl AsRef<Path>,
        kind: TableKind,
    ) -> Result<Self, MapError> {
        let name = name.as_ref().to_owned();
        let mut warnings = Vec::new();
        let (lines, stray) = logical_lines(text);
        for line in stray {
            warnings.push(MapWarning::StrayContinuation {
                path: name.clone(),
                line,
            });
        }
        let entry_error = |line, problem| MapError::Entry {
            path: name.clone(),
            line,
            problem,
        };
        let mut indexed: HashMap<String, F::Value> = HashMap::new();
        let mut cidr: Vec<(IpNetwork, F::Value)> = Vec::new();
        for (line, logical) in lines {
            let (key, value) = F::split_entry(&logical).ok_or_else(|| {
                entry_error(
                    line,
                    EntryProblem::MissingValue(
                        logical
                            .split_whitespace()
                            .next()
                            .unwrap_or_default()
                            .to_owned(),
                    ),
                )
            })?;
            let parsed = F::parse_value(&key, &value).map_err(|p| entry_error(line, p))?;
            match kind {
                TableKind::Indexed => {
                    let key = key.to_lowercase();
                    match indexed.entry(key) {
                        std::collections::hash_map::Entry::Occupied(e) => {
                            warnings.push(MapWarning::Duplicate {
                                path: name.clone(),
                                line,
                                key: e.key().clone(),
                            });
                        }
                        std::collections::hash_map::Entry::Vacant(e) => {
                            e.insert(parsed);
                        }
                    }
                }
                TableKind::Cidr => {
                    let net = key
                        .parse::<IpNetwork>()
                        .map_err(|_| entry_error(line, EntryProblem::BadNetwork(key.clone())))?;
                    cidr.push((net, parsed));
                }
            }
        }
        let contents = match kind {
            TableKind::Indexed => Contents::Indexed(indexed),
            TableKind::Cidr => Contents::Cidr(cidr),
        };
        Ok(Table {
            name,
            kind,
            file: None,
            stamp: None,
            owner_is_root: false,
            contents,
            warnings,
            format: PhantomData,
        })
    }

    /// Looks `key` up: lowercased exact match, or for a `cidr:` table the
    /// first network that holds the address `key` (`[addr]` allowed).
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&F::Value> {
        match &self.contents {
            Contents::Indexed(map) => map.get(&key.to_lowercase()),
            Contents::Cidr(nets) => {
                let bare = key
                    .strip_prefix('[')
                    .and_then(|k| k.strip_suffix(']'))
                    .unwrap_or(key);
                let ip: IpAddr = bare.parse().ok()?;
                nets.iter().find(|(n, _)| n.contains(ip)).map(|(_, v)| v)
            }
        }
    }

    /// Reloads the table when its file changed since it was read. Returns
    /// whether it reloaded. A table built from text never reloads.
    ///
    /// # Errors
    ///
    /// As [`Table::open`]; the old contents stay in use.
    pub fn refresh(&mut self) -> Result<bool, MapError> {
        let Some(path) = self.file.clone() else {
            return Ok(false);
        };
        let meta = std::fs::metadata(&path).map_err(|source| MapError::Io {
            path: path.clone(),
            source,
        })?;
        if Some(FileStamp::of(&meta)) == self.stamp {
            return Ok(false);
        }
        let reference = TableRef {
            type_name: String::new(),
            kind: self.kind,
            path,
        };
        *self = Self::open(&reference)?;
        Ok(true)
    }

    /// Whether the source file is owned by root. Postfix runs commands and
    /// file deliveries from an alias table only when it is; tables built
    /// from text are not, unless the caller says so.
    #[must_use]
    pub fn owner_is_root(&self) -> bool {
        self.owner_is_root
    }

    /// Declares the owner of a table built from text (for tests and for
    /// tables the caller loaded itself).
    pub fn set_owner_is_root(&mut self, root: bool) {
        self.owner_is_root = root;
    }

    /// The name used in messages (the file path).
    #[must_use]
    pub fn name(&self) -> &Path {
        &self.name
    }

    /// Warnings met while reading (duplicate keys, stray continuation lines).
    #[must_use]
    pub fn warnings(&self) -> &[MapWarning] {
        &self.warnings
    }

    /// The number of entries.
    #[must_use]
    pub fn len(&self) -> usize {
        match &self.contents {
            Contents::Indexed(m) => m.len(),
            Contents::Cidr(v) => v.len(),
        }
    }

    /// True when the table has no entries.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Reads a table source file with its stamp and owner.
fn read_source(path: &Path) -> Result<(String, FileStamp, bool), MapError> {
    use std::io::Read;
    let io = |source| MapError::Io {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if meta.len() > MAX_TABLE_BYTES {
        return Err(MapError::TooLarge {
            path: path.to_owned(),
            limit: MAX_TABLE_BYTES,
        });
    }
    let mut text = String::new();
    file.take(MAX_TABLE_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(io)?;
    #[cfg(unix)]
    let owner_is_root = std::os::unix::fs::MetadataExt::uid(&meta) == 0;
    #[cfg(not(unix))]
    let owner_is_root = false;
    Ok((text, FileStamp::of(&meta), owner_is_root))
}

/// Several tables searched in order (a parameter such as
/// `alias_maps = hash:/etc/aliases, hash:/etc/more`): the first table that
/// has the key answers.
#[derive(Debug, Clone)]
pub struct MapList<F: TableFormat> {
    tables: Vec<Table<F>>,
}

impl<F: TableFormat> Default for MapList<F> {
    fn default() -> Self {
        MapList { tables: Vec::new() }
    }
}

impl<F: TableFormat> MapList<F> {
    /// Opens each reference.
    ///
    /// # Errors
    ///
    /// The first table that fails to open.
    pub fn open(references: &[TableRef]) -> Result<Self, MapError> {
        let tables = references
            .iter()
            .map(Table::open)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(MapList { tables })
    }

    /// A list of already built tables.
    #[must_use]
    pub fn from_tables(tables: Vec<Table<F>>) -> Self {
        MapList { tables }
    }

    /// The first table's value for `key`, with that table.
    #[must_use]
    pub fn get_with_table(&self, key: &str) -> Option<(&F::Value, &Table<F>)> {
        self.tables.iter().find_map(|t| t.get(key).map(|v| (v, t)))
    }

    /// The first table's value for `key`.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&F::Value> {
        self.get_with_table(key).map(|(v, _)| v)
    }

    /// Reloads changed tables; returns how many reloaded.
    ///
    /// # Errors
    ///
    /// The first table that failed to reload (the others are still tried).
    pub fn refresh(&mut self) -> Result<usize, MapError> {
        let mut reloaded = 0;
        let mut first_error = None;
        for t in &mut self.tables {
            match t.refresh() {
                Ok(true) => reloaded += 1,
                Ok(false) => {}
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(reloaded),
        }
    }

    /// True when there are no tables.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }

    /// The tables.
    #[must_use]
    pub fn tables(&self) -> &[Table<F>] {
        &self.tables
    }
}
