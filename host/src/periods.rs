//! Reporting periods (kỳ báo cáo), as DHIS2 names them: a period type (month, quarter,
//! half-year, year), one period of it ("2022-Q3"), and the days whose figures it covers under
//! a cut-off rule.
//!
//! Identifiers, one spelling each: `2022-07` (month), `2022-Q3` (quarter), `2022-H1`
//! (half-year), `2022` (year).
//!
//! Cut-off rules:
//! - [`CutOff::Calendar`]: the calendar period (2022-Q3 is 01/07/2022 to 30/09/2022).
//! - [`CutOff::Decree092019`]: Article 12 of Decree 09/2019/NĐ-CP on the reporting regime of
//!   state administrative bodies ("thời gian chốt số liệu báo cáo định kỳ"): a monthly report
//!   covers the 15th of the month before to the 14th of its month; a quarterly one the 15th of
//!   the month before the quarter to the 14th of its last month; the first half-year 15
//!   December of the year before to 14 June, the second 15 June to 14 December; a year 15
//!   December of the year before to 14 December.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How often a report is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PeriodType {
    Month,
    Quarter,
    HalfYear,
    Year,
}

impl PeriodType {
    /// Months in one period: 1, 3, 6 or 12.
    pub fn months(self) -> u32 {
        match self {
            PeriodType::Month => 1,
            PeriodType::Quarter => 3,
            PeriodType::HalfYear => 6,
            PeriodType::Year => 12,
        }
    }

    /// "month (e.g. 2022-07)": the type and how its periods are written, for messages.
    pub fn example(self) -> &'static str {
        match self {
            PeriodType::Month => "month (e.g. 2022-07)",
            PeriodType::Quarter => "quarter (e.g. 2022-Q3)",
            PeriodType::HalfYear => "half-year (e.g. 2022-H1)",
            PeriodType::Year => "year (e.g. 2022)",
        }
    }

    /// "tháng", "quý", "6 tháng", "năm".
    pub fn label_vi(self) -> &'static str {
        match self {
            PeriodType::Month => "tháng",
            PeriodType::Quarter => "quý",
            PeriodType::HalfYear => "6 tháng",
            PeriodType::Year => "năm",
        }
    }
}

/// Which days a period's figures cover (see the module's documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CutOff {
    #[default]
    Calendar,
    /// Article 12 of Decree 09/2019/NĐ-CP: from the 15th of the month before the period to the
    /// 14th of its last month.
    #[serde(rename = "decree_09_2019")]
    Decree092019,
}

/// One period of a period type, with the days it covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Period {
    /// `2022-07`, `2022-Q3`, `2022-H1` or `2022`.
    pub id: String,
    pub period_type: PeriodType,
    /// The first and last day whose figures count (inclusive), by the cut-off rule.
    pub start: NaiveDate,
    pub end: NaiveDate,
}

/// A period identifier that is not one of the four spellings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{0}' is not a period; write 2022-07 (month), 2022-Q3 (quarter), 2022-H1 (half-year) or 2022 (year)"
)]
pub struct BadPeriod(pub String);

/// The years a period may fall in: wide enough for any report, narrow enough that every date
/// computed from one exists.
const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

impl Period {
    /// Reads a period identifier under `cut_off`. Errors: [`BadPeriod`] for anything but the
    /// four canonical spellings (`2022-7`, `2022-q3`, `2022-Q5` are refused) or a year outside
    /// 2000-2100.
    pub fn parse(id: &str, cut_off: CutOff) -> Result<Period, BadPeriod> {
        let bad = || BadPeriod(id.to_string());
        let (year, rest) = match id.split_once('-') {
            Some((y, r)) => (y, Some(r)),
            None => (id, None),
        };
        if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let year: i32 = year.parse().map_err(|_| bad())?;
        if !YEARS.contains(&year) {
            return Err(bad());
        }
        let number = |digits: &str, max: u32| {
            digits
                .bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| digits.parse::<u32>().ok())
                .flatten()
                .filter(|n| (1..=max).contains(n))
        };
        let (period_type, first_month) = match rest {
            None => (PeriodType::Year, 1),
            Some(r) if r.len() == 2 && r.starts_with('Q') => {
                (PeriodType::Quarter, 3 * (number(&r[1..], 4).ok_or_else(bad)? - 1) + 1)
            }
            Some(r) if r.len() == 2 && r.starts_with('H') => {
                (PeriodType::HalfYear, 6 * (number(&r[1..], 2).ok_or_else(bad)? - 1) + 1)
            }
            Some(r) if r.len() == 2 => (PeriodType::Month, number(r, 12).ok_or_else(bad)?),
            Some(_) => return Err(bad()),
        };
        let (start, end) = range(year, first_month, period_type.months(), cut_off);
        Ok(Period { id: id.to_string(), period_type, start, end })
    }

    /// The period's year and its first month (1-12).
    fn first_month(&self) -> (i32, u32) {
        let year: i32 = self.id[..4].parse().expect("parsed");
        let month = match self.period_type {
            PeriodType::Year => 1,
            PeriodType::Month => self.id[5..].parse().expect("parsed"),
            PeriodType::Quarter => 3 * (self.id[6..].parse::<u32>().expect("parsed") - 1) + 1,
            PeriodType::HalfYear => 6 * (self.id[6..].parse::<u32>().expect("parsed") - 1) + 1,
        };
        (year, month)
    }

    /// The period before this one, of the same type, under `cut_off`: 2022-Q1 gives 2021-Q4.
    /// None before 2000.
    pub fn previous(&self, cut_off: CutOff) -> Option<Period> {
        let (year, month) = self.first_month();
        let index = year * 12 + month as i32 - 1 - self.period_type.months() as i32;
        Period::parse(&id_at(self.period_type, index), cut_off).ok()
    }

    /// The period of `period_type` whose counted days include `date` under `cut_off`:
    /// 20/09/2022 is in 2022-Q3 by the calendar and in 2022-Q4 under Decree 09/2019 (whose
    /// third quarter ends on 14/09). None outside the years 2000-2100.
    pub fn containing(date: NaiveDate, period_type: PeriodType, cut_off: CutOff) -> Option<Period> {
        let mut index = date.year() * 12 + date.month0() as i32;
        if cut_off == CutOff::Decree092019 && date.day() >= 15 {
            index += 1;
        }
        Period::parse(&id_at(period_type, index), cut_off).ok()
    }

    /// The day a report for this period is due: `deadline_days` after its last counted day.
    pub fn deadline(&self, deadline_days: u16) -> NaiveDate {
        self.end + chrono::Duration::days(i64::from(deadline_days))
    }

    /// "tháng 7 năm 2022", "quý III năm 2022", "6 tháng đầu năm 2022", "năm 2022".
    pub fn label_vi(&self) -> String {
        let (year, month) = self.first_month();
        match self.period_type {
            PeriodType::Month => format!("tháng {month} năm {year}"),
            PeriodType::Quarter => {
                format!("quý {} năm {year}", ["I", "II", "III", "IV"][(month as usize - 1) / 3])
            }
            PeriodType::HalfYear if month == 1 => format!("6 tháng đầu năm {year}"),
            PeriodType::HalfYear => format!("6 tháng cuối năm {year}"),
            PeriodType::Year => format!("năm {year}"),
        }
    }
}

/// The identifier of the period of `period_type` holding the month `index` (year * 12 +
/// month - 1).
fn id_at(period_type: PeriodType, index: i32) -> String {
    let (year, month) = (index.div_euclid(12), index.rem_euclid(12) as u32 + 1);
    match period_type {
        PeriodType::Year => format!("{year}"),
        PeriodType::Month => format!("{year}-{month:02}"),
        PeriodType::Quarter => format!("{year}-Q{}", (month - 1) / 3 + 1),
        PeriodType::HalfYear => format!("{year}-H{}", (month - 1) / 6 + 1),
    }
}

/// The first and last counted day of `months` months from `year`-`first_month`.
fn range(year: i32, first_month: u32, months: u32, cut_off: CutOff) -> (NaiveDate, NaiveDate) {
    let month_start = |index: i32| {
        NaiveDate::from_ymd_opt(index.div_euclid(12), index.rem_euclid(12) as u32 + 1, 1).expect("a month")
    };
    let first = year * 12 + first_month as i32 - 1;
    let last = first + months as i32 - 1;
    match cut_off {
        CutOff::Calendar => (month_start(first), month_start(last + 1).pred_opt().expect("a day")),
        CutOff::Decree092019 => (
            month_start(first - 1).with_day(15).expect("the 15th"),
            month_start(last).with_day(14).expect("the 14th"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn days(id: &str, cut_off: CutOff) -> (NaiveDate, NaiveDate) {
        let p = Period::parse(id, cut_off).unwrap();
        (p.start, p.end)
    }

    #[test]
    fn calendar_periods_cover_their_months() {
        use CutOff::Calendar as C;
        assert_eq!(days("2022-07", C), (d("2022-07-01"), d("2022-07-31")));
        assert_eq!(days("2024-02", C), (d("2024-02-01"), d("2024-02-29")));
        assert_eq!(days("2022-Q3", C), (d("2022-07-01"), d("2022-09-30")));
        assert_eq!(days("2022-Q4", C), (d("2022-10-01"), d("2022-12-31")));
        assert_eq!(days("2022-H2", C), (d("2022-07-01"), d("2022-12-31")));
        assert_eq!(days("2022", C), (d("2022-01-01"), d("2022-12-31")));
    }

    /// Article 12 of Decree 09/2019/NĐ-CP, one case per clause.
    #[test]
    fn decree_09_2019_runs_from_the_15th_before_to_the_14th() {
        use CutOff::Decree092019 as D;
        // Clause 1: a month, from the 15th of the month before to the 14th of the month.
        assert_eq!(days("2022-07", D), (d("2022-06-15"), d("2022-07-14")));
        assert_eq!(days("2023-01", D), (d("2022-12-15"), d("2023-01-14")));
        // Clause 2: a quarter, from the 15th of the month before it to the 14th of its last month.
        assert_eq!(days("2022-Q3", D), (d("2022-06-15"), d("2022-09-14")));
        assert_eq!(days("2022-Q1", D), (d("2021-12-15"), d("2022-03-14")));
        // Clause 3: the half-years, 15/12 of the year before to 14/6, then 15/6 to 14/12.
        assert_eq!(days("2022-H1", D), (d("2021-12-15"), d("2022-06-14")));
        assert_eq!(days("2022-H2", D), (d("2022-06-15"), d("2022-12-14")));
        // Clause 4: a year, 15/12 of the year before to 14/12.
        assert_eq!(days("2022", D), (d("2021-12-15"), d("2022-12-14")));
    }

    #[test]
    fn only_the_four_spellings_are_periods() {
        for bad in [
            "2022-7",
            "2022-q3",
            "2022-Q5",
            "2022-Q0",
            "2022-H3",
            "2022-13",
            "2022-00",
            "22-Q1",
            "1999",
            "2101-01",
            "2022-",
            "",
            "2022-Q3 ",
            "２０２２",
        ] {
            assert_eq!(Period::parse(bad, CutOff::Calendar), Err(BadPeriod(bad.into())), "{bad}");
        }
    }

    #[test]
    fn previous_periods_cross_years_and_deadlines_count_from_the_cut_off() {
        let prev =
            |id: &str| Period::parse(id, CutOff::Calendar).unwrap().previous(CutOff::Calendar).unwrap().id;
        assert_eq!(prev("2022-Q1"), "2021-Q4");
        assert_eq!(prev("2022-01"), "2021-12");
        assert_eq!(prev("2022-H1"), "2021-H2");
        assert_eq!(prev("2022-H2"), "2022-H1");
        assert_eq!(prev("2022"), "2021");
        assert!(Period::parse("2000-01", CutOff::Calendar).unwrap().previous(CutOff::Calendar).is_none());
        let q3 = Period::parse("2022-Q3", CutOff::Decree092019).unwrap();
        assert_eq!(q3.deadline(4), d("2022-09-18"));
        assert_eq!(q3.label_vi(), "quý III năm 2022");
        assert_eq!(Period::parse("2022-H1", CutOff::Calendar).unwrap().label_vi(), "6 tháng đầu năm 2022");
    }

    #[test]
    fn a_day_falls_in_one_period_of_each_type_by_the_cut_off() {
        let at = |date: &str, t: PeriodType, c: CutOff| Period::containing(d(date), t, c).unwrap().id;
        use CutOff::{Calendar as C, Decree092019 as D};
        use PeriodType::*;
        assert_eq!(at("2022-09-20", Quarter, C), "2022-Q3");
        assert_eq!(at("2022-09-20", Quarter, D), "2022-Q4");
        assert_eq!(at("2022-09-14", Quarter, D), "2022-Q3");
        assert_eq!(at("2022-12-15", Year, D), "2023");
        assert_eq!(at("2022-12-15", Month, D), "2023-01");
        assert_eq!(at("2022-06-14", HalfYear, D), "2022-H1");
        assert_eq!(at("2022-06-15", HalfYear, D), "2022-H2");
        assert_eq!(at("2024-02-29", Month, C), "2024-02");
        // Every day of a period is in it, under both rules.
        for cut_off in [C, D] {
            let q = Period::parse("2022-Q1", cut_off).unwrap();
            let mut day = q.start;
            while day <= q.end {
                assert_eq!(Period::containing(day, Quarter, cut_off).unwrap(), q);
                day = day.succ_opt().unwrap();
            }
        }
        assert!(Period::containing(d("2100-12-20"), Month, D).is_none());
    }
}
