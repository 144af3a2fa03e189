//! Passwords: argon2id hashes (the PHC string keeps the parameters) and a strength floor.

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::error::{Error, Result};

/// Fewer characters than this are refused outright.
pub const MIN_LENGTH: usize = 10;

pub fn hash(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(format!("hashing a password: {e}")))
}

pub fn verify(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// Verifies against a throwaway hash, so that an unknown username takes as long as a wrong
/// password and does not reveal which accounts exist.
pub fn verify_nothing(password: &str) {
    static DUMMY: LazyLock<String> =
        LazyLock::new(|| hash("an unguessable dummy password").unwrap_or_default());
    let _ = verify(password, &DUMMY);
}

/// Refuses short or guessable passwords (zxcvbn score below 3, i.e. under 10^8 guesses),
/// counting the username and display name as things an attacker would try first.
pub fn check_strength(password: &str, username: &str, display_name: &str) -> Result<()> {
    if password.chars().count() < MIN_LENGTH {
        return Err(Error::field("password", format!("must be at least {MIN_LENGTH} characters")));
    }
    let estimate = zxcvbn::zxcvbn(password, &[username, display_name]);
    if (estimate.score() as u8) < 3 {
        let hint = estimate
            .feedback()
            .and_then(|f| f.warning().map(|w| w.to_string()))
            .unwrap_or_else(|| "add more words or characters".to_string());
        return Err(Error::field("password", format!("is too easy to guess: {hint}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_salted_and_verify() {
        let a = hash("Tổ công nghệ số 2022!").unwrap();
        let b = hash("Tổ công nghệ số 2022!").unwrap();
        assert!(a.starts_with("$argon2id$"), "{a}");
        assert_ne!(a, b, "each hash has its own salt");
        assert!(verify("Tổ công nghệ số 2022!", &a));
        assert!(!verify("to cong nghe so 2022!", &a));
        assert!(!verify("anything", "not a hash"));
    }

    #[test]
    fn weak_passwords_are_refused() {
        assert!(check_strength("short", "an", "An").is_err());
        assert!(check_strength("password123", "an", "An").is_err());
        assert!(check_strength("nguyenvanan1", "nguyenvanan", "Nguyễn Văn An").is_err());
        assert!(check_strength("Demo@TaySon-2022", "tayson.vhtt", "Phòng VH&TT").is_ok());
        assert!(check_strength("bốn con mèo nhảy qua rào", "an", "An").is_ok());
    }
}
