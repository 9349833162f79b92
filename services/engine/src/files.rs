//! Files kept outside the database — pictures of offers, and later of
//! litter reports — behind [`FileStore`], so that a deployment can keep them
//! on a local disk ([`DiskFiles`], the default) or put another store behind
//! the same calls (a shared volume, an object store). A row names a file by
//! its key; the bytes never go into a row.

use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;

/// What a [`FileStore`] call returns: a boxed future, so the trait can be used as `dyn FileStore`.
pub type FileFuture<'a, T> = Pin<Box<dyn Future<Output = io::Result<T>> + Send + 'a>>;

/// Where files are kept, by key (`offers/<id>-<hash>.jpg`: lower-case
/// letters, digits, `-`, `.` and `/` between parts, as [`DiskFiles`] checks).
pub trait FileStore: Send + Sync {
    /// Stores `bytes` under `key`, replacing what was there; once it
    /// returns, the file survives a crash.
    fn put<'a>(&'a self, key: &'a str, bytes: &'a [u8]) -> FileFuture<'a, ()>;
    /// The file under `key`, `None` when there is none.
    fn get<'a>(&'a self, key: &'a str) -> FileFuture<'a, Option<Vec<u8>>>;
    /// Deletes the file under `key`, if there is one.
    fn delete<'a>(&'a self, key: &'a str) -> FileFuture<'a, ()>;
}

/// Whether `key` is one a [`FileStore`] takes: parts of lower-case letters,
/// digits, `-` and `.` (not only dots) joined by `/`, so that it can never
/// leave the store's root.
fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 200
        && key.split('/').all(|part| {
            !part.is_empty()
                && part.chars().any(|c| c != '.')
                && part.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        })
}

/// Files in a directory of the local disk, one file per key. A file is
/// written beside its place and renamed into it once synced, so a crash
/// leaves the old file or the new one, never half of one.
#[derive(Debug, Clone)]
pub struct DiskFiles {
    root: PathBuf,
}

impl DiskFiles {
    /// Files under `root` (created when first written).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn path(&self, key: &str) -> io::Result<PathBuf> {
        if valid_key(key) {
            Ok(self.root.join(key))
        } else {
            Err(io::Error::new(io::ErrorKind::InvalidInput, format!("{key:?} is not a file key")))
        }
    }
}

impl FileStore for DiskFiles {
    fn put<'a>(&'a self, key: &'a str, bytes: &'a [u8]) -> FileFuture<'a, ()> {
        Box::pin(async move {
            let path = self.path(key)?;
            let bytes = bytes.to_vec();
            tokio::task::spawn_blocking(move || write_durably(&path, &bytes)).await.map_err(io::Error::other)?
        })
    }

    fn get<'a>(&'a self, key: &'a str) -> FileFuture<'a, Option<Vec<u8>>> {
        Box::pin(async move {
            match tokio::fs::read(self.path(key)?).await {
                Ok(bytes) => Ok(Some(bytes)),
                Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
                Err(error) => Err(error),
            }
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> FileFuture<'a, ()> {
        Box::pin(async move {
            match tokio::fs::remove_file(self.path(key)?).await {
                Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
                _ => Ok(()),
            }
        })
    }
}

/// Writes `bytes` to `path` through a synced temporary file renamed into place, then syncs the directory.
fn write_durably(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let dir = path.parent().ok_or_else(|| io::Error::other("a file key names a file in a folder"))?;
    std::fs::create_dir_all(dir)?;
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(format!(".{}.partial", smartville_store::new_id()));
    let partial = dir.join(name);
    let written = std::fs::File::create(&partial).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()
    });
    if let Err(error) = written.and_then(|()| std::fs::rename(&partial, path)) {
        let _ = std::fs::remove_file(&partial);
        return Err(error);
    }
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn keys_stay_inside_the_root() {
        for good in ["offers/019a-3f.jpg", "a/b/c.png", "x"] {
            assert!(valid_key(good), "{good}");
        }
        for bad in ["", "../etc/passwd", "offers/../../x", "/abs", "a//b", "A.jpg", "a/./b", "a\\b", "é.png", "a/"] {
            assert!(!valid_key(bad), "{bad}");
        }
    }

    #[tokio::test]
    async fn a_file_is_put_read_replaced_and_deleted() {
        let root = std::env::temp_dir().join(format!("smartville-files-{}", smartville_store::new_id()));
        let files = DiskFiles::new(&root);
        assert_eq!(files.get("offers/a.png").await.unwrap(), None);
        files.put("offers/a.png", b"one").await.unwrap();
        files.put("offers/a.png", b"two").await.unwrap();
        assert_eq!(files.get("offers/a.png").await.unwrap().as_deref(), Some(&b"two"[..]));
        assert_eq!(std::fs::read_dir(root.join("offers")).unwrap().count(), 1, "no partial file is left");
        files.delete("offers/a.png").await.unwrap();
        files.delete("offers/a.png").await.unwrap();
        assert_eq!(files.get("offers/a.png").await.unwrap(), None);
        assert_eq!(files.put("../a.png", b"x").await.unwrap_err().kind(), io::ErrorKind::InvalidInput);
        std::fs::remove_dir_all(root).unwrap();
    }
}
