//! Vietnamese text helpers: the same rules the host applies.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Unicode NFC, the form sohoa stores names in.
pub fn nfc(input: &str) -> String {
    input.nfc().collect()
}

/// Lower case without diacritics (đ becomes d): for comparing names loosely. The eths Ð and ð
/// become d too: they are what Đ and đ turn into when Windows-1258 text is read as
/// Windows-1252, and look the same.
pub fn fold(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for c in input.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        match c {
            'đ' | 'Đ' | 'ð' | 'Ð' => out.push('d'),
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

/// A decimal as Vietnamese documents write it: `1.234,5` (comma before the decimals), with
/// `decimals` digits after it; whole numbers print without a comma.
pub fn decimal(x: f64, decimals: usize) -> String {
    let scale = 10f64.powi(decimals as i32);
    let rounded = (x * scale).round() / scale;
    let whole = rounded.trunc();
    let frac = ((rounded - whole).abs() * scale).round() as u64;
    let sign = if rounded < 0.0 && whole == 0.0 { "-" } else { "" };
    let head = format!("{sign}{}", number(whole as i64));
    if decimals == 0 || frac == 0 { head } else { format!("{head},{frac:0decimals$}") }
}

/// A unit name inside a sentence: "Huyện Tây Sơn" reads "huyện Tây Sơn" after "Toàn" or "UBND".
pub fn in_sentence(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Roman numerals for quarters and section numbers (I to XX is all a document needs).
pub fn roman(n: u32) -> String {
    const UNITS: [&str; 10] = ["", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX"];
    let tens = "X".repeat((n / 10) as usize);
    format!("{tens}{}", UNITS[(n % 10) as usize])
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
        assert_eq!(decimal(1234.56, 1), "1.234,6");
        assert_eq!(decimal(85.0, 1), "85");
        assert_eq!(decimal(-0.25, 2), "-0,25");
        assert_eq!(roman(3), "III");
        assert_eq!(in_sentence("Huyện Tây Sơn"), "huyện Tây Sơn");
        assert_eq!(in_sentence("Đà Nẵng"), "đà Nẵng");
        assert_eq!(roman(14), "XIV");
    }
}
