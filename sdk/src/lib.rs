//! sohoa's plugin SDK: the crate plugin authors depend on.
//!
//! The plugin platform work fills this crate (WIT interface in `sdk/wit/`, rule traits, the
//! registration macro). Until then it offers the Vietnamese text helper plugins will need.

use unicode_normalization::UnicodeNormalization;

/// Unicode NFC, the form sohoa stores names in.
pub fn nfc(input: &str) -> String {
    input.nfc().collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn nfc_composes() {
        assert_eq!(super::nfc("Nguye\u{302}\u{303}n"), "Nguyễn");
    }
}
