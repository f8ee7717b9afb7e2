//! Blobs as files under one folder; keys map to relative paths of safe segments only.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use bytes::Bytes;

use adgen::ports::{Blob, BlobStore, ImageLinks, PortError};

pub struct FolderBlobs {
    root: PathBuf,
}

impl FolderBlobs {
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    /// The file of `key`, or `None` for a key that could leave the folder (`..`, absolute
    /// paths, empty or hidden segments, backslashes).
    pub fn path_of(&self, key: &str) -> Option<PathBuf> {
        let safe = !key.is_empty()
            && key.split('/').all(|seg| {
                !seg.is_empty()
                    && !seg.starts_with('.')
                    && seg
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            });
        safe.then(|| self.root.join(key))
    }

    fn resolve(&self, key: &str) -> Result<PathBuf, PortError> {
        self.path_of(key).ok_or_else(|| {
            PortError::Unavailable("blob folder", format!("unsafe blob key {key:?}"))
        })
    }
}

/// Result image URLs served by `adgen serve` itself, under `/files/`.
pub struct ServedFiles {
    base_url: String,
}

impl ServedFiles {
    pub const ROUTE: &'static str = "/files/";

    /// `base_url` is the server's own address, e.g. `http://127.0.0.1:8080`.
    pub fn new(base_url: &str) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
        }
    }
}

#[async_trait]
impl ImageLinks for ServedFiles {
    async fn url(&self, key: &str) -> Result<String, PortError> {
        Ok(format!("{}{}{key}", self.base_url, Self::ROUTE))
    }
}

/// The media type `put` recorded beside the file at `path` (a generic one if none was).
async fn stored_content_type(path: &Path) -> String {
    tokio::fs::read_to_string(content_type_path(path))
        .await
        .unwrap_or_else(|_| "application/octet-stream".to_owned())
}

fn content_type_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".content-type");
    PathBuf::from(name)
}

fn io_error(e: std::io::Error) -> PortError {
    PortError::Unavailable("blob folder", e.to_string())
}

#[async_trait]
impl BlobStore for FolderBlobs {
    async fn put(&self, key: &str, bytes: Bytes, content_type: &str) -> Result<(), PortError> {
        let path = self.resolve(key)?;
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent).await.map_err(io_error)?;
        }
        // Write beside, then rename: a reader never sees half a file.
        let partial = path.with_extension("partial");
        tokio::fs::write(&partial, &bytes).await.map_err(io_error)?;
        tokio::fs::write(content_type_path(&path), content_type)
            .await
            .map_err(io_error)?;
        tokio::fs::rename(&partial, &path).await.map_err(io_error)
    }

    async fn get(&self, key: &str) -> Result<Option<Blob>, PortError> {
        let path = self.resolve(key)?;
        let bytes = match tokio::fs::read(&path).await {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_error(e)),
        };
        let content_type = stored_content_type(&path).await;
        Ok(Some(Blob {
            bytes: bytes.into(),
            content_type,
        }))
    }

    async fn size(&self, key: &str) -> Result<Option<u64>, PortError> {
        let path = self.resolve(key)?;
        match tokio::fs::metadata(&path).await {
            Ok(meta) => Ok(Some(meta.len())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_error(e)),
        }
    }

    async fn read_prefix(&self, key: &str, len: usize) -> Result<Option<Bytes>, PortError> {
        use tokio::io::AsyncReadExt;
        let path = self.resolve(key)?;
        let file = match tokio::fs::File::open(&path).await {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_error(e)),
        };
        let mut bytes = Vec::with_capacity(len.min(1 << 20));
        file.take(len as u64)
            .read_to_end(&mut bytes)
            .await
            .map_err(io_error)?;
        Ok(Some(bytes.into()))
    }

    async fn copy(&self, from: &str, to: &str) -> Result<bool, PortError> {
        let (source, target) = (self.resolve(from)?, self.resolve(to)?);
        if let Some(parent) = target.parent() {
            tokio::fs::create_dir_all(parent).await.map_err(io_error)?;
        }
        // As `put`: beside, then rename.
        let partial = target.with_extension("partial");
        match tokio::fs::copy(&source, &partial).await {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(io_error(e)),
        }
        let content_type = stored_content_type(&source).await;
        tokio::fs::write(content_type_path(&target), content_type)
            .await
            .map_err(io_error)?;
        tokio::fs::rename(&partial, &target)
            .await
            .map_err(io_error)?;
        Ok(true)
    }

    async fn delete(&self, key: &str) -> Result<(), PortError> {
        let path = self.resolve(key)?;
        for file in [content_type_path(&path), path] {
            match tokio::fs::remove_file(&file).await {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_error(e)),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_cannot_leave_the_folder() {
        let blobs = FolderBlobs::new(PathBuf::from("/data/blobs"));
        assert!(blobs.path_of("ads/org/job.png").is_some());
        for bad in [
            "",
            "../etc/passwd",
            "ads/../../x",
            "/etc/passwd",
            "ads//x",
            "ads/.hidden",
            "a\\b",
            "ads/%2e%2e/x",
        ] {
            assert!(blobs.path_of(bad).is_none(), "{bad:?}");
        }
    }
}
