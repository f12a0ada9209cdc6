//! Dropping what costs file system work off the async workers.

/// Drops `value` on tokio's blocking pool when called on a runtime,
/// otherwise here. A Maildir folder handle may write its snapshot index
/// when dropped (tens of milliseconds for a big folder), which must not
/// hold an async worker.
pub(crate) fn drop_off_worker<T: Send + 'static>(value: T) {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => {
            handle.spawn_blocking(move || drop(value));
        }
        Err(_) => drop(value),
    }
}
