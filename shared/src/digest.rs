//! SHA-256 in lowercase hex: the one digest every record uses (API key hashes, idempotency
//! scopes and fingerprints, reference digests in the canonical request).

use sha2::{Digest, Sha256};

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lowercase hex SHA-256 of everything `write` writes into it (serialized values, say),
/// without holding the whole input in memory.
pub fn sha256_hex_of(write: impl FnOnce(&mut dyn std::io::Write)) -> String {
    let mut hasher = HashWriter(Sha256::new());
    write(&mut hasher);
    hex(&hasher.0.finalize())
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

struct HashWriter(Sha256);

impl std::io::Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            sha256_hex_of(|w| {
                let _ = w.write_all(b"a");
                let _ = w.write_all(b"bc");
            }),
            sha256_hex(b"abc")
        );
    }
}
