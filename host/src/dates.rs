//! Dates as Vietnamese officials write them (`dd/mm/yyyy`) and as machines do (`yyyy-mm-dd`).
//! Storage and the JSON API use ISO 8601; people see `dd/mm/yyyy`.

use chrono::{Datelike, NaiveDate};

/// Parses `yyyy-mm-dd`, `dd/mm/yyyy` or `d/m/yyyy` (also with `-` or `.` between day and month).
pub fn parse(input: &str) -> Option<NaiveDate> {
    let s = input.trim();
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(d);
    }
    let parts: Vec<&str> = s.split(['/', '-', '.']).collect();
    if parts.len() == 3 && parts[2].len() == 4 && parts[0].len() <= 2 && parts[1].len() <= 2 {
        let (d, m, y) = (parts[0].parse().ok()?, parts[1].parse().ok()?, parts[2].parse().ok()?);
        return NaiveDate::from_ymd_opt(y, m, d);
    }
    None
}

/// `05/07/2022`: how dates read for people.
pub fn display(date: NaiveDate) -> String {
    format!("{:02}/{:02}/{:04}", date.day(), date.month(), date.year())
}

/// How dates are stored and exchanged.
pub fn iso(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// Today in Viet Nam (UTC+7): "as of today" must not flip at 7 in the morning.
pub fn today() -> NaiveDate {
    let vn = chrono::FixedOffset::east_opt(7 * 3600).expect("valid offset");
    chrono::Utc::now().with_timezone(&vn).date_naive()
}

/// The day in Viet Nam (UTC+7) of a stored instant (`2026-11-30T20:00:00Z`, as
/// [`crate::db::now`] writes them), as people read it: `01/12/2026`. None when `stamp` is not
/// an RFC 3339 instant. Instants are stored in UTC; every date shown is Viet Nam's, so that a
/// plugin installed at 03:00 on 1 December in Hà Nội does not read 30/11.
pub fn display_instant(stamp: &str) -> Option<String> {
    day_of_instant(stamp).map(display)
}

/// The day in Viet Nam (UTC+7) of a stored instant; None when `stamp` is not RFC 3339.
/// `2026-11-30T20:00:00Z` is 01/12/2026 there.
pub fn day_of_instant(stamp: &str) -> Option<NaiveDate> {
    let vn = chrono::FixedOffset::east_opt(7 * 3600).expect("valid offset");
    let at = chrono::DateTime::parse_from_rfc3339(stamp.trim()).ok()?;
    Some(at.with_timezone(&vn).date_naive())
}

/// Today in Viet Nam as stored (`yyyy-mm-dd`): the default "as of" of queries and checks.
pub fn today_iso() -> String {
    iso(today())
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Issue 16: every day from 1900 to 2200 reads back from `dd/mm/yyyy`, `d/m/yyyy` and
        /// ISO; any other text is None or a real date, never a panic.
        #[test]
        fn dates_read_back_in_every_written_form(days in 0i64..(300 * 366)) {
            let date = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap() + chrono::Duration::days(days);
            proptest::prop_assert_eq!(parse(&display(date)), Some(date));
            proptest::prop_assert_eq!(parse(&iso(date)), Some(date));
            let short = format!("{}/{}/{}", date.day(), date.month(), date.year());
            proptest::prop_assert_eq!(parse(&short), Some(date));
            proptest::prop_assert_eq!(parse(&format!(" {}.{}.{} ", date.day(), date.month(), date.year())), Some(date));
        }

        #[test]
        fn any_text_is_a_date_or_none(text in ".{0,16}") {
            let _ = parse(&text);
        }
    }

    #[test]
    fn parses_both_forms_and_rejects_impossible_dates() {
        let d = NaiveDate::from_ymd_opt(2022, 7, 5).unwrap();
        assert_eq!(parse("2022-07-05"), Some(d));
        assert_eq!(parse("05/07/2022"), Some(d));
        assert_eq!(parse("5/7/2022"), Some(d));
        assert_eq!(parse("05.07.2022"), Some(d));
        assert_eq!(parse("31/02/2022"), None);
        assert_eq!(parse("2022-02-30"), None);
        assert_eq!(parse("tomorrow"), None);
        assert_eq!(display(d), "05/07/2022");
        assert_eq!(iso(d), "2022-07-05");
    }

    #[test]
    fn instants_read_as_the_day_in_viet_nam() {
        // 20:00 UTC on 30 November is 03:00 on 1 December in Viet Nam.
        assert_eq!(display_instant("2026-11-30T20:00:00Z").as_deref(), Some("01/12/2026"));
        assert_eq!(display_instant("2026-11-30T16:59:59Z").as_deref(), Some("30/11/2026"));
        assert_eq!(display_instant("2026-11-30T17:00:00Z").as_deref(), Some("01/12/2026"));
        assert_eq!(display_instant("2026-12-01T03:00:00+07:00").as_deref(), Some("01/12/2026"));
        assert_eq!(display_instant("hôm qua"), None);
    }
}
