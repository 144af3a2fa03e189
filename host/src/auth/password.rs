//! Passwords: argon2id hashes (the PHC string keeps the parameters) and a strength floor.

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::error::{Error, Result};

/// Fewer characters than this are refused outright.
pub const MIN_LENGTH: usize = 10;

/// Password hashes computed at once, at most: one fewer than the machine's cores (at least
/// one). Each is argon2id's default (19 MiB of memory, tens of milliseconds of CPU), so a burst
/// of sign-ins never takes every core from the requests being served, nor allocates without
/// bound: the sign-ins queue instead. (On two cores, 24 sign-ins at once while `/health` was
/// asked every 10 ms: on the async workers, a probe waited up to 54-90 ms; with both cores
/// for the hashes, 31-41 ms; with one, 24-39 ms.)
static SLOTS: LazyLock<std::sync::Arc<tokio::sync::Semaphore>> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::sync::Arc::new(tokio::sync::Semaphore::new(cores.saturating_sub(1).max(1)))
});

/// Runs password work on tokio's blocking pool, a [`SLOTS`] permit held until it ends. On an
/// async worker, each sign-in held the worker for the whole hash, and every request queued on
/// that worker waited with it. Errors: 500 if the blocking task panicked.
async fn off_the_workers<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    let permit = SLOTS
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| Error::Internal("the password queue is closed".into()))?;
    tokio::task::spawn_blocking(move || {
        let done = work();
        drop(permit);
        done
    })
    .await
    .map_err(|e| Error::Internal(format!("password work: {e}")))
}

/// The argon2id hash of `password` (a PHC string, its salt and parameters inside), computed
/// off the async workers. Errors: 500 if hashing fails.
pub async fn hash(password: &str) -> Result<String> {
    let password = password.to_string();
    off_the_workers(move || hash_now(&password)).await?
}

/// Whether `password` matches the PHC string `hash` (false for a malformed hash), checked off
/// the async workers. Errors: 500 if the check could not run.
pub async fn verify(password: &str, hash: &str) -> Result<bool> {
    let (password, hash) = (password.to_string(), hash.to_string());
    off_the_workers(move || verify_now(&password, &hash)).await
}

/// Verifies against a throwaway hash, so that an unknown username takes as long as a wrong
/// password and does not reveal which accounts exist.
pub async fn verify_nothing(password: &str) -> Result<()> {
    static DUMMY: LazyLock<String> =
        LazyLock::new(|| hash_now("an unguessable dummy password").unwrap_or_default());
    let password = password.to_string();
    off_the_workers(move || {
        let _ = verify_now(&password, &DUMMY);
    })
    .await
}

/// A password sent for an account, hashed before the write transaction that stores it begins:
/// argon2id takes tens of milliseconds of a core (and may queue for a [`SLOTS`] permit behind
/// a burst of sign-ins), and inside the transaction it held the writers' lock all that time.
/// Made by [`Hashed::of`]; [`crate::users::create`] and [`crate::users::update`] check its
/// strength against the account's names and store its hash.
pub struct Hashed {
    plain: String,
    /// The PHC string; `None` for a password too short to pass [`check_strength`], not worth
    /// hashing.
    phc: Option<String>,
}

impl Hashed {
    /// `plain` (as sent) and its hash, computed off the async workers. Errors: 500 if hashing
    /// fails.
    pub async fn of(plain: &str) -> Result<Hashed> {
        let phc = if plain.chars().count() < MIN_LENGTH { None } else { Some(hash(plain).await?) };
        Ok(Hashed { plain: plain.to_string(), phc })
    }

    /// The password as sent, for [`check_strength`].
    pub fn plain(&self) -> &str {
        &self.plain
    }

    /// The hash to store, once [`check_strength`] passed. Errors: 500 for a password that was
    /// not hashed (one too short to pass the check).
    pub fn phc(&self) -> Result<&str> {
        self.phc
            .as_deref()
            .ok_or_else(|| Error::Internal("a password too short to hash was about to be stored".into()))
    }
}

impl std::fmt::Debug for Hashed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hashed(..)")
    }
}

fn hash_now(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(format!("hashing a password: {e}")))
}

fn verify_now(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// Refuses short or guessable passwords (zxcvbn score below 3, i.e. under 10^8 guesses),
/// counting the username and display name as things an attacker would try first.
pub fn check_strength(password: &str, username: &str, display_name: &str) -> Result<()> {
    if password.is_empty() {
        return Err(Error::field("password", "is required"));
    }
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
        let a = hash_now("Tổ công nghệ số 2022!").unwrap();
        let b = hash_now("Tổ công nghệ số 2022!").unwrap();
        assert!(a.starts_with("$argon2id$"), "{a}");
        assert_ne!(a, b, "each hash has its own salt");
        assert!(verify_now("Tổ công nghệ số 2022!", &a));
        assert!(!verify_now("to cong nghe so 2022!", &a));
        assert!(!verify_now("anything", "not a hash"));
    }

    /// Checking passwords leaves the async worker free: on a runtime of one thread, a task
    /// that ticks every millisecond keeps ticking while eight sign-ins' hashes are checked.
    /// With the hashes checked on the worker itself (as they were), it ticked at most once in
    /// the ~0.2 s they took: every other request on that worker waited as long.
    #[test]
    fn password_checks_leave_the_async_worker_free() {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        runtime.block_on(async {
            let stored = hash("Tổ công nghệ số 2022!").await.unwrap();
            let ticks = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let ticker = {
                let ticks = ticks.clone();
                tokio::spawn(async move {
                    loop {
                        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                        ticks.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }
                })
            };
            tokio::task::yield_now().await;
            let started = std::time::Instant::now();
            let checks = (0..8).map(|_| verify("Tổ công nghệ số 2022!", &stored));
            let answers = futures::future::join_all(checks).await;
            assert!(answers.iter().all(|a| matches!(a, Ok(true))), "{answers:?}");
            let ticked = ticks.load(std::sync::atomic::Ordering::SeqCst);
            ticker.abort();
            assert!(
                ticked >= 10,
                "the worker ticked {ticked} times in {:?} of password checks",
                started.elapsed()
            );
        });
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
