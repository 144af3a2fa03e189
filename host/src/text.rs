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

/// A number as Vietnamese write it (`1.234`, `12,5`, `-3`, or plain `1234`): table cells
/// going to spreadsheets, figures typed into forms. Anything else (`12.5`, which could mean
/// either) is not a number.
pub fn parse_number(cell: &str) -> Option<f64> {
    let s = cell.trim();
    let (sign, digits) = match s.strip_prefix('-') {
        Some(rest) => (-1.0, rest),
        None => (1.0, s),
    };
    let (whole, frac) = match digits.split_once(',') {
        Some((w, f)) => (w, Some(f)),
        None => (digits, None),
    };
    let groups: Vec<&str> = whole.split('.').collect();
    let grouped_ok = !groups[0].is_empty()
        && groups[0].len() <= 3
        && groups.iter().all(|g| g.chars().all(|c| c.is_ascii_digit()))
        && groups[1..].iter().all(|g| g.len() == 3);
    let plain_ok = groups.len() == 1 && !whole.is_empty() && whole.chars().all(|c| c.is_ascii_digit());
    if !(grouped_ok || plain_ok)
        || frac.is_some_and(|f| f.is_empty() || !f.chars().all(|c| c.is_ascii_digit()))
    {
        return None;
    }
    let text = format!("{}.{}", groups.concat(), frac.unwrap_or("0"));
    text.parse::<f64>().ok().map(|v| sign * v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_vietnamese_write_them() {
        assert_eq!(parse_number("1.234"), Some(1234.0));
        assert_eq!(parse_number(" 1234 "), Some(1234.0));
        assert_eq!(parse_number("1.234,5"), Some(1234.5));
        assert_eq!(parse_number("-12"), Some(-12.0));
        assert_eq!(parse_number("12.5"), None);
        assert_eq!(parse_number("Tổng"), None);
        assert_eq!(parse_number(""), None);
        assert_eq!(parse_number("-"), None);
    }

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
