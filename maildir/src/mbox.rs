//! mbox folders (placeholder until the mboxrd backend lands).

use std::io::{self, Read};
use std::path::PathBuf;
use std::time::SystemTime;

use crate::error::{Error, Result};
use crate::flags::{FlagOp, Flags, Keywords};
use crate::fs::SharedFs;
use crate::snapshot::{Changes, MessageInfo};

const NOT_YET: Error = Error::Unsupported("mbox folders");

#[derive(Debug)]
pub(crate) struct MboxFolder {
    keywords: Keywords,
}

#[derive(Debug)]
pub(crate) struct MboxReader;

impl Read for MboxReader {
    fn read(&mut self, _buf: &mut [u8]) -> io::Result<usize> {
        Ok(0)
    }
}

#[allow(clippy::unused_self, clippy::needless_pass_by_value)]
impl MboxFolder {
    pub fn open(_path: PathBuf, _fs: SharedFs) -> Result<MboxFolder> {
        Err(NOT_YET)
    }
    pub fn deliver(
        _p: &std::path::Path,
        _fs: &SharedFs,
        _m: impl Read,
        _d: Option<SystemTime>,
    ) -> Result<u32> {
        Err(NOT_YET)
    }
    pub fn uid_validity(&self) -> u32 {
        0
    }
    pub fn uid_next(&self) -> u32 {
        0
    }
    pub fn messages(&self) -> &[MessageInfo] {
        &[]
    }
    pub fn refresh(&mut self) -> Result<Changes> {
        Err(NOT_YET)
    }
    pub fn has_changed(&self) -> Result<bool> {
        Err(NOT_YET)
    }
    pub fn open_message(&mut self, _uid: u32) -> Result<MboxReader> {
        Err(NOT_YET)
    }
    pub fn append(
        &mut self,
        _m: impl Read,
        _f: Option<Flags>,
        _d: Option<SystemTime>,
    ) -> Result<u32> {
        Err(NOT_YET)
    }
    pub fn set_flags(&mut self, _uid: u32, _op: FlagOp, _f: Flags) -> Result<Flags> {
        Err(NOT_YET)
    }
    pub fn expunge(&mut self, _uids: &[u32]) -> Result<Vec<u32>> {
        Err(NOT_YET)
    }
    pub fn keywords(&self) -> &Keywords {
        &self.keywords
    }
    pub fn keyword_index(&mut self, _k: &str, _c: bool) -> Result<Option<u8>> {
        Err(NOT_YET)
    }
}
