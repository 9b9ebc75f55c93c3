//! Secrets that are not configured are generated on first start and kept in the data
//! directory, readable by the owner only (0600).

use std::{fs, io::Write, path::Path};

use rand::RngCore;

/// File in the data directory holding the token signing key (hex, 256 bits).
pub const SIGNING_KEY_FILE: &str = "signing.key";

pub fn load_or_create_signing_key(data_dir: &Path) -> std::io::Result<Vec<u8>> {
    let path = data_dir.join(SIGNING_KEY_FILE);
    match fs::read_to_string(&path) {
        Ok(text) => decode_hex(text.trim()).ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "{} is not a hex key; delete it to make a new one (this signs everyone out)",
                    path.display()
                ),
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut key = vec![0u8; 32];
            rand::rng().fill_bytes(&mut key);
            let mut opts = fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            let mut f = opts.open(&path)?;
            f.write_all(encode_hex(&key).as_bytes())?;
            f.sync_all()?;
            Ok(key)
        }
        Err(e) => Err(e),
    }
}

fn encode_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 || s.len() < 32 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_made_once_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let a = load_or_create_signing_key(dir.path()).unwrap();
        let b = load_or_create_signing_key(dir.path()).unwrap();
        assert_eq!(a.len(), 32);
        assert_eq!(a, b);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.path().join(SIGNING_KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_damaged_key_file_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(SIGNING_KEY_FILE), "not hex").unwrap();
        let err = load_or_create_signing_key(dir.path()).unwrap_err();
        assert!(err.to_string().contains("delete it"), "{err}");
    }
}
