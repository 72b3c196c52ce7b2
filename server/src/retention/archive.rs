//! Archives: gzip-compressed JSON lines, one row per line, each with a manifest beside it
//! (`<name>.manifest.json`: what it holds, how many rows, and two SHA-256 checksums, of the file
//! as written and of its lines uncompressed). A file is written under a `.partial` name, synced
//! and renamed only when whole, so an archive that exists is complete; `verify` reads it back.

use async_compression::tokio::bufread::GzipDecoder;
use async_compression::tokio::write::GzipEncoder;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use tokio::fs::File;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, BufWriter};

/// What a manifest says about its archive.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The archive's file name, beside the manifest.
    pub file: String,
    /// What it holds: `event_partition`, `inbox_messages`, `inbox_bodies`, `audit_log`.
    pub kind: String,
    /// The table or partition the rows came from.
    pub source: String,
    pub rows: u64,
    /// SHA-256 of the file as written (compressed), hex.
    pub sha256: String,
    /// SHA-256 of the lines uncompressed, each ending in `\n`, hex.
    pub content_sha256: String,
    pub created_at: DateTime<Utc>,
    /// Anything else the policy records (the range covered, rows kept back).
    #[serde(default)]
    pub detail: serde_json::Value,
}

/// Why an archive does not verify.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("reading {0}: {1}")]
    Io(PathBuf, std::io::Error),
    #[error("{0} is not a manifest: {1}")]
    Manifest(PathBuf, serde_json::Error),
    #[error("{file}: {what} is {found}, the manifest says {expected}")]
    Mismatch {
        file: String,
        what: &'static str,
        found: String,
        expected: String,
    },
}

pub struct ArchiveWriter {
    dir: PathBuf,
    name: String,
    out: GzipEncoder<BufWriter<File>>,
    rows: u64,
    content: Sha256,
}

impl ArchiveWriter {
    /// Starts `<dir>/<name>` (written as `<name>.partial` until `finish`).
    pub async fn create(dir: &Path, name: &str) -> std::io::Result<Self> {
        tokio::fs::create_dir_all(dir).await?;
        let file = File::create(dir.join(format!("{name}.partial"))).await?;
        Ok(Self {
            dir: dir.to_path_buf(),
            name: name.to_string(),
            out: GzipEncoder::new(BufWriter::new(file)),
            rows: 0,
            content: Sha256::new(),
        })
    }

    /// Appends one row (a JSON value on one line; a row's JSON has no raw newline).
    pub async fn line(&mut self, json: &str) -> std::io::Result<()> {
        self.content.update(json.as_bytes());
        self.content.update(b"\n");
        self.out.write_all(json.as_bytes()).await?;
        self.out.write_all(b"\n").await?;
        self.rows += 1;
        Ok(())
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Ends the file, syncs it, names it and writes its manifest; returns the manifest.
    pub async fn finish(
        mut self,
        kind: &str,
        source: &str,
        detail: serde_json::Value,
    ) -> std::io::Result<Manifest> {
        self.out.shutdown().await?;
        let file = self.out.into_inner().into_inner();
        file.sync_all().await?;
        drop(file);
        let partial = self.dir.join(format!("{}.partial", self.name));
        let path = self.dir.join(&self.name);
        tokio::fs::rename(&partial, &path).await?;
        let manifest = Manifest {
            file: self.name.clone(),
            kind: kind.into(),
            source: source.into(),
            rows: self.rows,
            sha256: file_sha256(&path).await?,
            content_sha256: hex(&self.content.finalize()),
            created_at: Utc::now(),
            detail,
        };
        let manifest_path = self.dir.join(format!("{}.manifest.json", self.name));
        let partial = self
            .dir
            .join(format!("{}.manifest.json.partial", self.name));
        let bytes = serde_json::to_vec_pretty(&manifest).expect("a manifest serializes");
        tokio::fs::write(&partial, bytes).await?;
        File::open(&partial).await?.sync_all().await?;
        tokio::fs::rename(&partial, &manifest_path).await?;
        Ok(manifest)
    }
}

fn hex(bytes: &[u8]) -> String {
    crate::signing::to_hex(bytes)
}

async fn file_sha256(path: &Path) -> std::io::Result<String> {
    let mut file = File::open(path).await?;
    let mut hash = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        hash.update(&buf[..n]);
    }
    Ok(hex(&hash.finalize()))
}

/// Reads an archive back against its manifest (`<file>.manifest.json`): the file's checksum,
/// then every line uncompressed (their checksum and count).
pub async fn verify(manifest_path: &Path) -> Result<Manifest, VerifyError> {
    let io = |e| VerifyError::Io(manifest_path.to_path_buf(), e);
    let text = tokio::fs::read(manifest_path).await.map_err(io)?;
    let manifest: Manifest = serde_json::from_slice(&text)
        .map_err(|e| VerifyError::Manifest(manifest_path.to_path_buf(), e))?;
    let path = manifest_path.with_file_name(&manifest.file);
    let io = |e| VerifyError::Io(path.clone(), e);
    let mismatch = |what, found: String, expected: String| VerifyError::Mismatch {
        file: manifest.file.clone(),
        what,
        found,
        expected,
    };
    let sha = file_sha256(&path).await.map_err(io)?;
    if sha != manifest.sha256 {
        return Err(mismatch("the file's SHA-256", sha, manifest.sha256.clone()));
    }
    let file = File::open(&path).await.map_err(io)?;
    let mut lines = BufReader::new(GzipDecoder::new(BufReader::new(file))).lines();
    let (mut rows, mut content) = (0u64, Sha256::new());
    while let Some(line) = lines.next_line().await.map_err(io)? {
        content.update(line.as_bytes());
        content.update(b"\n");
        rows += 1;
    }
    let content = hex(&content.finalize());
    if content != manifest.content_sha256 {
        return Err(mismatch(
            "the lines' SHA-256",
            content,
            manifest.content_sha256.clone(),
        ));
    }
    if rows != manifest.rows {
        return Err(mismatch(
            "the row count",
            rows.to_string(),
            manifest.rows.to_string(),
        ));
    }
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_archive_reads_back_and_a_changed_byte_is_caught() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = ArchiveWriter::create(dir.path(), "t.jsonl.gz")
            .await
            .unwrap();
        for i in 0..1000 {
            w.line(&format!(r#"{{"n":{i},"text":"row {i}"}}"#))
                .await
                .unwrap();
        }
        let m = w
            .finish("test", "t", serde_json::json!({"from": 0}))
            .await
            .unwrap();
        assert_eq!(m.rows, 1000);
        assert!(!dir.path().join("t.jsonl.gz.partial").exists());
        let manifest = dir.path().join("t.jsonl.gz.manifest.json");
        assert_eq!(verify(&manifest).await.unwrap(), m);

        // One byte changed in the compressed file: the checksum says so.
        let path = dir.path().join("t.jsonl.gz");
        let mut bytes = std::fs::read(&path).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0xff;
        std::fs::write(&path, bytes).unwrap();
        let err = verify(&manifest).await.unwrap_err();
        assert!(err.to_string().contains("the file's SHA-256"), "{err}");
    }
}
