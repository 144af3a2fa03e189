//! The compiled-code cache: `<data_dir>/plugin-cache/<component sha256>-<engine hash>.cwasm`.
//!
//! A cached artifact is native code that wasmtime loads without checking it, so it is never
//! trusted for being in the right folder. Each file holds a 32-byte tag, then the artifact; the
//! tag is HMAC-SHA256, keyed with this installation's secret (`<data_dir>/plugin-cache.key`,
//! 32 random bytes made on first use, readable by the host's user only), over the component's
//! sha256, the engine's compatibility hash and the artifact. An entry whose tag does not match
//! (changed bytes, a file copied from elsewhere, a truncated write) is not loaded: the component
//! is compiled again from its sha256-checked bytes, the entry rewritten, and the event logged.
//! Writes go to a temporary file renamed into place, so a crash never leaves half an entry.

use std::io::Write;
use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The length of the tag in front of every entry.
const TAG: usize = 32;

/// One component's entry for one engine configuration.
pub struct Entry {
    path: PathBuf,
    key: Option<Vec<u8>>,
    context: Vec<u8>,
}

impl Entry {
    /// The entry of the component with content hash `sha256` (hex) for the engine whose
    /// compatibility hash is `engine`, in the cache folder `dir`. Without a readable or
    /// creatable key the cache is off (every load compiles), which is slower but safe.
    pub fn new(dir: &Path, sha256: &str, engine: u64) -> Entry {
        let key = installation_key(dir);
        if key.is_none() {
            tracing::warn!(dir = %dir.display(), "no key for the plugin cache; compiling every time");
        }
        Entry {
            path: dir.join(format!("{sha256}-{engine:016x}.cwasm")),
            key,
            context: format!("sohoa plugin cache v1\n{sha256}\n{engine:016x}\n").into_bytes(),
        }
    }

    /// The keyed hash of `artifact` in this entry's context; None without a key.
    fn mac(&self, artifact: &[u8]) -> Option<Hmac<Sha256>> {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.key.as_deref()?).ok()?;
        mac.update(&self.context);
        mac.update(artifact);
        Some(mac)
    }

    /// The artifact, when the entry exists and its tag verifies; None otherwise (a tampered
    /// entry is logged, then ignored, and the caller compiles afresh).
    pub fn read(&self) -> Option<Vec<u8>> {
        self.key.as_ref()?;
        let bytes = std::fs::read(&self.path).ok()?;
        let verified = bytes.len() > TAG && {
            let (tag, artifact) = bytes.split_at(TAG);
            // Constant-time comparison, as a tag check should be.
            self.mac(artifact).is_some_and(|mac| mac.verify_slice(tag).is_ok())
        };
        if verified {
            Some(bytes[TAG..].to_vec())
        } else {
            tracing::warn!(path = %self.path.display(), "plugin cache entry failed its integrity check; compiling again");
            None
        }
    }

    /// Stores `artifact` with its tag, atomically (temporary file, then rename). Failures
    /// only cost a compile next time, so they are logged, not returned.
    pub fn write(&self, artifact: &[u8]) {
        let Some(tag) = self.mac(artifact).map(|mac| mac.finalize().into_bytes()) else { return };
        let tmp = self.path.with_extension(format!("tmp{}", std::process::id()));
        let written = std::fs::File::create(&tmp).and_then(|mut f| {
            f.write_all(&tag)?;
            f.write_all(artifact)?;
            f.sync_all()
        });
        if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, &self.path)) {
            let _ = std::fs::remove_file(&tmp);
            tracing::warn!(path = %self.path.display(), error = %e, "cannot write the plugin cache entry");
        }
    }
}

impl Entry {
    /// Deletes the entry, if there is one.
    pub fn remove(&self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// This installation's cache key, next to the cache folder (not inside it), made on first use.
fn installation_key(dir: &Path) -> Option<Vec<u8>> {
    let path = dir.with_extension("key");
    if let Ok(key) = std::fs::read(&path)
        && key.len() == 32
    {
        return Some(key);
    }
    let key: [u8; 32] = rand::random();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(&path).and_then(|mut f| f.write_all(&key).and_then(|()| f.sync_all())) {
        Ok(()) => Some(key.to_vec()),
        // Another process made it first: use theirs.
        Err(_) => std::fs::read(&path).ok().filter(|k| k.len() == 32),
    }
}
