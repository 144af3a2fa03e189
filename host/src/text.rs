//! Vietnamese text: names are stored in Unicode NFC (input from old systems often arrives in
//! NFD), and searched through a folded key without diacritics, so "tay son" finds "Tây Sơn".

use unicode_normalization::UnicodeNormalization;

/// NFC, trimmed, with runs of white space collapsed to one space.
pub fn clean(input: &str) -> String {
    let nfc: String = input.nfc().collect();
    nfc.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Lower case, diacritics removed (đ becomes d), white space collapsed: the search key.
/// The SDK's own, so plugins compare names exactly as the host searches them.
pub use sohoa_sdk::text::fold;

/// Escapes `%`, `_` and `\` for a `LIKE ... ESCAPE '\'` pattern.
pub fn like_escape(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for c in input.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_normalises_to_nfc_and_collapses_spaces() {
        let nfd = "Nguye\u{302}\u{303}n  Va\u{306}n   An "; // "Nguyễn Văn An" decomposed
        let cleaned = clean(nfd);
        assert_eq!(cleaned, "Nguyễn Văn An");
        assert_eq!(cleaned.chars().count(), 13);
    }

    #[test]
    fn fold_strips_diacritics_and_case() {
        assert_eq!(fold("Huyện Tây Sơn"), "huyen tay son");
        assert_eq!(fold("Đặng Thị Ánh"), "dang thi anh");
        assert_eq!(fold("Nguye\u{302}\u{303}n"), fold("Nguyễn"));
    }

    #[test]
    fn like_escape_protects_wildcards() {
        assert_eq!(like_escape("50%_a\\"), "50\\%\\_a\\\\");
    }
}
