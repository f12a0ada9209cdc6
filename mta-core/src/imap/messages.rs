//! Reading messages for FETCH and SEARCH: the CRLF sizes of messages
//! whose names do not record them, and the buffers messages are read into.

use bytes::Bytes;
use maildir::Folder;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Most sizes [`VirtualSizes`] keeps before it starts over.
const VSIZE_CACHE: usize = 100_000;

/// RFC822.SIZE of messages whose file name has no `,W=`, counted once by
/// reading them (RFC 9051 section 2.3.4: the server "often stores it for
/// later use"), by base name.
#[derive(Debug, Default)]
pub(crate) struct VirtualSizes(HashMap<String, u64>);

impl VirtualSizes {
    /// The size of message `uid` of `folder` with every line ending
    /// counted as CRLF, as BODY[] serves it (see [`crlf`]): the `,W=` of
    /// its name, or counted from its bytes. The stored size if it cannot
    /// be read (it is gone).
    pub(crate) fn of(&mut self, folder: &mut Folder, uid: u32) -> u64 {
        let Some(m) = folder.message(uid) else {
            return 0;
        };
        if let Some(v) = m.virtual_size() {
            return v;
        }
        if let Some(&v) = self.0.get(m.base()) {
            return v;
        }
        let (base, stored) = (m.base().to_owned(), m.size());
        let Some(v) = folder
            .open_message(uid)
            .ok()
            .and_then(|r| crlf_size(r).ok())
        else {
            return stored;
        };
        if self.0.len() >= VSIZE_CACHE {
            self.0.clear();
        }
        self.0.insert(base, v);
        v
    }
}

/// The size of a message once each bare LF is sent as CRLF.
fn crlf_size(mut r: impl std::io::Read) -> std::io::Result<u64> {
    let mut buf = vec![0u8; 64 * 1024];
    let (mut size, mut prev) = (0u64, 0u8);
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => return Ok(size),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        for &b in buf.get(..n).unwrap_or_default() {
            if b == b'\n' && prev != b'\r' {
                size += 1;
            }
            size += 1;
            prev = b;
        }
    }
}

/// The most octets of buffers a session keeps for reading messages into.
const POOL_OCTETS: usize = 512 * 1024;

/// Buffers that messages are read into, each given back when the last
/// `Bytes` of its message is dropped (the response has gone out): a FETCH
/// of many bodies reuses a few buffers rather than allocating one per
/// message, and freeing them in bursts (which makes the allocator return
/// the memory to the system and fault it in again, a fifth of the time of
/// a FETCH BODY[] of 200 messages of 50 KB).
#[derive(Debug, Clone, Default)]
pub(crate) struct BufferPool(Arc<Mutex<Vec<Vec<u8>>>>);

impl BufferPool {
    /// `buf` as the octets of a message, given back to the pool when
    /// the last `Bytes` of it is dropped.
    pub(crate) fn bytes(&self, buf: Vec<u8>) -> Bytes {
        Bytes::from_owner(Pooled {
            buf,
            pool: self.clone(),
        })
    }

    pub(crate) fn take(&self) -> Vec<u8> {
        self.0
            .lock()
            .ok()
            .and_then(|mut p| p.pop())
            .unwrap_or_default()
    }

    fn give_back(&self, mut buf: Vec<u8>) {
        let Ok(mut pool) = self.0.lock() else {
            return;
        };
        let held: usize = pool.iter().map(Vec::capacity).sum();
        if held + buf.capacity() <= POOL_OCTETS {
            buf.clear();
            pool.push(buf);
        }
    }

    pub(crate) fn clear(&self) {
        if let Ok(mut pool) = self.0.lock() {
            *pool = Vec::new();
        }
    }
}

/// A message read into a buffer of a [`BufferPool`].
struct Pooled {
    buf: Vec<u8>,
    pool: BufferPool,
}

impl AsRef<[u8]> for Pooled {
    fn as_ref(&self) -> &[u8] {
        &self.buf
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        self.pool.give_back(std::mem::take(&mut self.buf));
    }
}
