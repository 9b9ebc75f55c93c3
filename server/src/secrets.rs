//! Secrets that are not configured are generated on first start and kept in the data
//! directory, readable by the owner only (0600).

use std::{fs, io::Write, path::Path};

use rand::RngCore;

/// File in the data directory holding the token signing key (hex, 256 bits).
pub const SIGNING_KEY_FILE: &str = "signing.key";

pub fn load_or_create_signing_key(data_dir: &Path) -> std::io::Result<Vec<u8>> {
    let path = data_dir.join(SIGNING_KEY_FILE);
    let damaged = || {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "{} is not a hex key; delete it to make a new one (this signs everyone out)",
                path.display()
            ),
        )
    };
    match fs::read(&path) {
        Ok(bytes) => String::from_utf8(bytes)
            .ok()
            .and_then(|t| decode_hex(t.trim()))
            .ok_or_else(damaged),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut key = vec![0u8; 32];
            rand::rng().fill_bytes(&mut key);
            write_private(&path, encode_hex(&key).as_bytes())?;
            Ok(key)
        }
        Err(e) => Err(e),
    }
}

/// A random token kept in a file of the data directory (made on first use, 0600).
pub fn load_or_create_token(data_dir: &Path, file: &str) -> std::io::Result<String> {
    let path = data_dir.join(file);
    match fs::read_to_string(&path) {
        Ok(text) if text.trim().len() >= 16 && text.trim().is_ascii() => {
            Ok(text.trim().to_string())
        }
        Ok(_) => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{} is damaged; delete it to make a new one", path.display()),
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut bytes = [0u8; 20];
            rand::rng().fill_bytes(&mut bytes);
            let token = encode_hex(&bytes);
            write_private(&path, token.as_bytes())?;
            Ok(token)
        }
        Err(e) => Err(e),
    }
}

/// Creates a file readable by the owner only.
pub fn write_private(path: &Path, content: &[u8]) -> std::io::Result<()> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(content)?;
    f.sync_all()
}

/// Creates the data directory readable by the owner only (0700), and tightens an existing
/// one that others could read: it holds the database and the keys.
pub fn prepare_data_dir(dir: &Path) -> std::io::Result<()> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        b.mode(0o700);
        b.create(dir)?;
        let mode = fs::metadata(dir)?.permissions().mode();
        if mode & 0o077 != 0 {
            fs::set_permissions(dir, fs::Permissions::from_mode(mode & 0o700))?;
        }
        Ok(())
    }
    #[cfg(not(unix))]
    b.create(dir)
}

/// Removes group and other permissions from everything under `dir` (the storage engine sets
/// its write-ahead-log folder to 0750 itself; inside the 0700 data directory nobody else can
/// reach it anyway, but nothing in there is for anyone else).
pub fn tighten_tree(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = fs::symlink_metadata(dir)?;
        if meta.file_type().is_symlink() {
            return Ok(());
        }
        let mode = meta.permissions().mode();
        if mode & 0o077 != 0 {
            fs::set_permissions(dir, fs::Permissions::from_mode(mode & !0o077))?;
        }
        if meta.is_dir() {
            for e in fs::read_dir(dir)?.flatten() {
                tighten_tree(&e.path())?;
            }
        }
    }
    Ok(())
}

pub fn encode_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || s.len() < 32 || !s.is_ascii() {
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
        // Non-ASCII text and bytes that are not UTF-8 get the same clear error, not a panic.
        for damaged in ["é".repeat(40).into_bytes(), vec![0xff; 64]] {
            fs::write(dir.path().join(SIGNING_KEY_FILE), damaged).unwrap();
            let err = load_or_create_signing_key(dir.path()).unwrap_err();
            assert!(err.to_string().contains("delete it"), "{err}");
        }
    }

    #[test]
    fn the_data_directory_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let inner = dir.path().join("a/b");
        prepare_data_dir(&inner).unwrap();
        assert_eq!(
            fs::metadata(&inner).unwrap().permissions().mode() & 0o777,
            0o700
        );
        fs::set_permissions(&inner, fs::Permissions::from_mode(0o755)).unwrap();
        prepare_data_dir(&inner).unwrap();
        assert_eq!(
            fs::metadata(&inner).unwrap().permissions().mode() & 0o777,
            0o700
        );
        let t = load_or_create_token(&inner, "t").unwrap();
        assert_eq!(t, load_or_create_token(&inner, "t").unwrap());
        assert_eq!(
            fs::metadata(inner.join("t")).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
}
