//! Vietnamese text helpers: the same rules the host applies.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Unicode NFC, the form sohoa stores names in.
pub fn nfc(input: &str) -> String {
    input.nfc().collect()
}

/// Lower case without diacritics (đ becomes d): for comparing names loosely.
pub fn fold(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for c in input.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        match c {
            'đ' | 'Đ' => out.push('d'),
            c => out.extend(c.to_lowercase()),
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The given name: the last word of a Vietnamese full name ("Nguyễn Văn An" gives "An").
pub fn given_name(full_name: &str) -> &str {
    full_name.split_whitespace().last().unwrap_or("")
}

/// Numbers as Vietnamese documents write them: `1.234.567` (dots group thousands).
pub fn number(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(nfc("Nguye\u{302}\u{303}n"), "Nguyễn");
        assert_eq!(fold("Đoàn Thanh niên"), "doan thanh nien");
        assert_eq!(given_name("Nguyễn Văn An"), "An");
        assert_eq!(number(1234567), "1.234.567");
        assert_eq!(number(12), "12");
        assert_eq!(number(-1000), "-1.000");
    }
}
