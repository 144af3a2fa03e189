//! The fixed vocabularies of the domain, with their Vietnamese labels and the spellings
//! officials use in rosters (matched without diacritics or case).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::text;

/// A closed vocabulary: stored as `as_str`, shown as `label_vi`, read from many spellings.
pub trait Vocab: Sized + Copy + 'static {
    const ALL: &'static [Self];
    fn as_str(self) -> &'static str;
    fn label_vi(self) -> &'static str;
    /// Extra spellings accepted on input, already folded (lower case, no diacritics).
    fn aliases(self) -> &'static [&'static str] {
        &[]
    }
    /// The [`words`] of every spelling of every value (stored word, Vietnamese label,
    /// aliases), values in `ALL`'s order, worked out once ([`spelling_table`]).
    fn spellings() -> &'static [(Self, Vec<String>)];

    /// Reads the stored word, the Vietnamese label or an alias, as officials write them: with
    /// or without diacritics, in any case, words in any order, abbreviations expanded ("CA
    /// xã", "ĐTN", "VH-XH"), and a list of names of one value ("Bưu điện, viễn thông") read
    /// as that value. `None` when nothing matches or the parts name different values.
    fn parse(input: &str) -> Option<Self> {
        // The stored word itself, as every row read back holds: no folding. (Reading a
        // country's memberships spent a tenth of its time folding every spelling.)
        if let Some(v) = Self::ALL.iter().copied().find(|v| v.as_str() == input) {
            return Some(v);
        }
        let matches =
            |wanted: &[String]| Self::spellings().iter().find(|(_, w)| w == wanted).map(|(v, _)| *v);
        let whole = words(input);
        if whole.is_empty() {
            return None;
        }
        if let Some(v) = matches(&whole) {
            return Some(v);
        }
        // "Bưu điện, viễn thông": every part must name the same value.
        let mut found = None;
        let mut parts = 0;
        for part in split_parts(input) {
            let w = words(&part);
            if w.is_empty() {
                continue;
            }
            parts += 1;
            let v = matches(&w)?;
            if found.is_some_and(|f: Self| f.as_str() != v.as_str()) {
                return None;
            }
            found = Some(v);
        }
        if parts > 1 { found } else { None }
    }

    /// Every accepted value, as "Vietnamese label (stored word)", for error messages.
    fn expected() -> String {
        Self::ALL.iter().map(|v| format!("{} ({})", v.label_vi(), v.as_str())).collect::<Vec<_>>().join(", ")
    }
}

/// The [`words`] of every spelling of every value of `V` (stored word, Vietnamese label,
/// aliases), values in `V::ALL`'s order: what each vocabulary's [`Vocab::spellings`] keeps,
/// so that [`Vocab::parse`] does not fold them all again for every cell. Folding them for each
/// cell read was a fifth of the national roster import's time (perf, docs/BENCHMARKS.md).
fn spelling_table<V: Vocab>() -> Vec<(V, Vec<String>)> {
    V::ALL
        .iter()
        .flat_map(|&v| {
            std::iter::once(v.as_str())
                .chain(std::iter::once(v.label_vi()))
                .chain(v.aliases().iter().copied())
                .map(move |spelling| (v, words(spelling)))
        })
        .collect()
}

/// Abbreviations officials write in rosters, folded, with the words they stand for.
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("ca", "cong an"),
    ("dtn", "doan thanh nien"),
    ("tn", "thanh nien"),
    ("tncs", "thanh nien cong san"),
    ("hlhpn", "hoi lien hiep phu nu"),
    ("lhpn", "lien hiep phu nu"),
    ("hpn", "hoi phu nu"),
    ("pn", "phu nu"),
    ("hnd", "hoi nong dan"),
    ("nd", "nong dan"),
    ("hccb", "hoi cuu chien binh"),
    ("ubnd", "uy ban nhan dan"),
    ("ubmttq", "uy ban mat tran to quoc"),
    ("vh", "van hoa"),
    ("xh", "xa hoi"),
    ("vhxh", "van hoa xa hoi"),
    ("gv", "giao vien"),
    ("tnv", "tinh nguyen vien"),
    ("dn", "doanh nghiep"),
    ("bc", "buu chinh"),
    ("vt", "vien thong"),
    ("tdp", "to dan pho"),
];

/// The words of a spelling, compared as a sorted list: folded (no diacritics, lower case),
/// punctuation as spaces, abbreviations expanded, "Đoàn Thanh niên Cộng sản Hồ Chí Minh"
/// style suffixes kept, and a trailing "xã"/"phường"/"thị trấn" dropped ("Đoàn Thanh niên
/// xã" is the commune's Youth Union).
fn words(s: &str) -> Vec<String> {
    let folded: String = text::fold(s).chars().map(|c| if c.is_alphanumeric() { c } else { ' ' }).collect();
    let mut out: Vec<String> = Vec::new();
    for token in folded.split_whitespace() {
        match ABBREVIATIONS.iter().find(|(abbr, _)| *abbr == token) {
            Some((_, full)) => out.extend(full.split(' ').map(str::to_string)),
            None => out.push(token.to_string()),
        }
    }
    if out.len() > 1 {
        if out.ends_with(&["thi".to_string(), "tran".to_string()]) {
            out.truncate(out.len() - 2);
        } else if matches!(out.last().map(String::as_str), Some("xa" | "phuong")) {
            out.pop();
        }
    }
    out.sort();
    out
}

/// The parts of a list written in one cell: "A, B", "A; B", "A / B", "A - B", "A và B".
fn split_parts(s: &str) -> Vec<String> {
    let folded = text::fold(s);
    folded
        .split([',', ';', '/', '&', '+', '-'])
        .flat_map(|p| p.split(" va ").map(str::to_string).collect::<Vec<_>>())
        .collect()
}

macro_rules! vocab {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $word:literal, $label:literal, [$($alias:literal),*];)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl Vocab for $name {
            const ALL: &'static [Self] = &[$($name::$variant),+];
            fn as_str(self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }
            fn label_vi(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }
            fn aliases(self) -> &'static [&'static str] {
                match self { $($name::$variant => &[$($alias),*]),+ }
            }
            fn spellings() -> &'static [(Self, Vec<String>)] {
                static TABLE: std::sync::OnceLock<Vec<($name, Vec<String>)>> = std::sync::OnceLock::new();
                TABLE.get_or_init(spelling_table::<$name>)
            }
        }
    };
}

vocab! {
    /// A team's life cycle.
    TeamStatus {
        Active = "active", "Đang hoạt động", ["hoat dong"];
        Suspended = "suspended", "Tạm ngừng hoạt động", ["tam ngung", "tam dung"];
        Dissolved = "dissolved", "Đã giải thể", ["giai the"];
    }
}

vocab! {
    /// A member's place in the team.
    Position {
        Leader = "leader", "Tổ trưởng", ["to truong", "truong"];
        Deputy = "deputy", "Tổ phó", ["to pho", "pho"];
        Member = "member", "Thành viên", ["tv", "to vien"];
    }
}

vocab! {
    Gender {
        Male = "male", "Nam", ["m"];
        Female = "female", "Nữ", ["f"];
        Other = "other", "Khác", [];
    }
}

vocab! {
    /// Where a member comes from; locality rules (plugins) check the mix.
    Affiliation {
        CommuneLeadership = "commune_leadership", "Lãnh đạo UBND xã", ["lanh dao xa", "lanh dao ubnd", "chu tich ubnd xa", "pho chu tich ubnd xa", "lanh dao"];
        CommunePolice = "commune_police", "Công an xã", ["cong an", "cong an khu vuc", "cong an vien"];
        CulturalSocialOfficer = "cultural_social_officer", "Công chức Văn hóa - Xã hội", ["cong chuc van hoa xa hoi", "van hoa xa hoi", "vh xh", "cong chuc vh xh"];
        YouthUnion = "youth_union", "Đoàn Thanh niên", ["doan thanh nien", "doan tn", "doan vien", "chi doan"];
        WomensUnion = "womens_union", "Hội Liên hiệp Phụ nữ", ["hoi phu nu", "hoi lhpn", "phu nu"];
        FarmersUnion = "farmers_union", "Hội Nông dân", ["nong dan"];
        VeteransAssociation = "veterans_association", "Hội Cựu chiến binh", ["cuu chien binh", "hoi ccb", "ccb"];
        FatherlandFront = "fatherland_front", "Mặt trận Tổ quốc", ["mttq", "mat tran"];
        VillageHead = "village_head", "Trưởng thôn, tổ trưởng tổ dân phố", ["truong thon", "truong khoi", "to truong to dan pho", "truong ban cong tac mat tran"];
        TelecomPostal = "telecom_postal", "Doanh nghiệp viễn thông, bưu chính", ["vien thong", "buu chinh", "buu dien", "viettel", "vnpt", "mobifone", "doanh nghiep cong nghe so"];
        Teacher = "teacher", "Giáo viên", ["giao vien"];
        Volunteer = "volunteer", "Tình nguyện viên", ["tinh nguyen vien", "nguoi dan"];
        Other = "other", "Khác", [];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_words_labels_and_aliases() {
        assert_eq!(Position::parse("Tổ trưởng"), Some(Position::Leader));
        assert_eq!(Position::parse("leader"), Some(Position::Leader));
        assert_eq!(Gender::parse("Nữ"), Some(Gender::Female));
        assert_eq!(Gender::parse("NAM"), Some(Gender::Male));
        assert_eq!(Affiliation::parse("Đoàn Thanh niên"), Some(Affiliation::YouthUnion));
        // Written with an eth (Windows-1258 text read as Windows-1252): the same value.
        assert_eq!(Affiliation::parse("\u{00D0}oàn Thanh niên"), Some(Affiliation::YouthUnion));
        assert_eq!(Affiliation::parse("youth_union"), Some(Affiliation::YouthUnion));
        assert_eq!(Affiliation::parse("Công an xã"), Some(Affiliation::CommunePolice));
        assert_eq!(Affiliation::parse("VNPT"), Some(Affiliation::TelecomPostal));
        assert_eq!(
            Affiliation::parse("Công chức Văn hóa - Xã hội"),
            Some(Affiliation::CulturalSocialOfficer)
        );
        assert_eq!(Affiliation::parse("Công chức VH-XH"), Some(Affiliation::CulturalSocialOfficer));
        assert_eq!(TeamStatus::parse("giải thể"), Some(TeamStatus::Dissolved));
        assert_eq!(Position::parse("captain"), None);
        assert!(Position::expected().contains("deputy"));
    }

    /// Issue 10, fault 12: the labels as officials actually write them.
    #[test]
    fn reads_officials_spellings_of_affiliations() {
        use Affiliation as A;
        let cases = [
            ("Bưu điện, viễn thông", A::TelecomPostal),
            ("viễn thông, bưu chính", A::TelecomPostal),
            ("Bưu chính - Viễn thông", A::TelecomPostal),
            ("DOANH NGHIEP VIEN THONG, BUU CHINH", A::TelecomPostal),
            ("CA xã", A::CommunePolice),
            ("ca xa", A::CommunePolice),
            ("Công an", A::CommunePolice),
            ("ĐTN", A::YouthUnion),
            ("Đoàn TN", A::YouthUnion),
            ("Đoàn Thanh niên xã", A::YouthUnion),
            ("Thanh niên, Đoàn", A::YouthUnion),
            ("Hội LHPN", A::WomensUnion),
            ("Hội Liên hiệp phụ nữ xã", A::WomensUnion),
            ("HND", A::FarmersUnion),
            ("Hội CCB", A::VeteransAssociation),
            ("Cựu chiến binh", A::VeteransAssociation),
            ("MTTQ", A::FatherlandFront),
            ("Công chức VH-XH", A::CulturalSocialOfficer),
            ("Xã hội - Văn hóa", A::CulturalSocialOfficer),
            ("Lãnh đạo UBND", A::CommuneLeadership),
            ("tổ trưởng tổ dân phố, trưởng thôn", A::VillageHead),
            ("GV", A::Teacher),
        ];
        for (input, want) in cases {
            assert_eq!(Affiliation::parse(input), Some(want), "{input}");
        }
        // Parts that name different values are not guessed at.
        assert_eq!(Affiliation::parse("Công an, Đoàn Thanh niên"), None);
        assert_eq!(Affiliation::parse("Hội"), None);
        assert_eq!(Affiliation::parse(""), None);
        // The refusal lists every accepted value, in Vietnamese with the stored word.
        let expected = Affiliation::expected();
        for v in Affiliation::ALL {
            assert!(expected.contains(v.label_vi()) && expected.contains(v.as_str()), "{expected}");
        }
    }
}
