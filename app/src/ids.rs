//! Record ids the app makes, and the one stable hash (FNV-1a) where a checksum or a
//! repeatable pseudo-random number is enough (never for secrets).

/// Characters of an id: lower-case letters and digits.
const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
/// Length of a new id: 20 characters, about 103 bits of randomness.
pub const ID_LEN: usize = 20;

/// A fresh random record id (accounts, sessions, interviews…).
#[cfg(feature = "ssr")]
pub fn new_id() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..ID_LEN)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// An id as people send it back: what [`new_id`] makes (or the 32 hex digits of accounts made
/// before ids were one format). Anything else is a 404 without a query.
pub fn check_id(id: &str) -> Result<(), crate::AppError> {
    if (ID_LEN..=32).contains(&id.len()) && id.bytes().all(|b| ALPHABET.contains(&b)) {
        Ok(())
    } else {
        Err(crate::AppError::NotFound)
    }
}

/// FNV-1a of `bytes`, starting from `seed` mixed into the offset basis.
pub fn fnv1a(seed: u64, bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325 ^ seed;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_checked_by_shape() {
        assert!(check_id("abcdefghij0123456789").is_ok());
        assert!(check_id(&"a1".repeat(16)).is_ok());
        for bad in [
            "",
            "short",
            "ABCDEFGHIJ0123456789",
            "abcdefghij012345678!",
            &"a".repeat(33),
        ] {
            assert_eq!(check_id(bad), Err(crate::AppError::NotFound), "{bad}");
        }
    }

    #[test]
    fn fnv1a_matches_the_reference_values() {
        assert_eq!(fnv1a(0, b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a(0, b"a"), 0xaf63dc4c8601ec8c);
    }
}
