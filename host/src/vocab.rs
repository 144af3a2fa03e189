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

    /// Reads the stored word, the Vietnamese label or an alias.
    fn parse(input: &str) -> Option<Self> {
        let wanted = key(input);
        Self::ALL.iter().copied().find(|v| {
            wanted == key(v.as_str())
                || wanted == key(v.label_vi())
                || v.aliases().iter().any(|a| wanted == key(a))
        })
    }

    /// The accepted stored words, for error messages.
    fn expected() -> String {
        Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
    }
}

/// How spellings are compared: folded, with `_`, `-` and runs of spaces as one space.
fn key(s: &str) -> String {
    text::fold(&s.replace(['_', '-'], " "))
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
}
