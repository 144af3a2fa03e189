//! Who may do what, where.
//!
//! A user holds roles at units; a role at a unit covers the unit's subtree (a team leader's
//! covers one team for member changes). What each role may do is the one table in
//! [`grant`], and every check goes through [`Principal::authorize`] or [`Principal::roots`]:
//! - an object in a unit the caller cannot read answers 404, so existence does not leak;
//! - an object the caller can read but not change answers 403;
//! - lists only ever contain what the caller can read.
//!
//! Sessions (browser cookie) and API tokens are the same thing underneath: a random secret
//! whose SHA-256 is stored, with an expiry, and for tokens an optional read-only flag and unit.

pub mod password;
pub(crate) mod routes;
pub mod sessions;

pub use routes::routes;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use utoipa::ToSchema;

use crate::api::AppState;
use crate::audit::Actor;
use crate::error::{Error, Result};

/// The roles, named for the offices that hold them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Sở TT&TT: everything in the province, users and plugins included.
    ProvinceAdmin,
    /// Phòng Văn hóa và Thông tin: manages the district's teams and reports.
    DistrictCulture,
    /// Phòng Nội vụ: emulation and commendations; reads teams.
    DistrictHomeAffairs,
    /// Huyện đoàn: nominates young members; reads teams.
    DistrictYouthUnion,
    /// Lãnh đạo UBND huyện: approves the reports compiled for the district People's Committee.
    DistrictLeader,
    /// UBND xã: manages the teams of the commune and its villages.
    CommuneOfficer,
    /// Tổ trưởng: edits the members of their own team.
    TeamLeader,
    /// Reads the subtree.
    Viewer,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::ProvinceAdmin,
        Role::DistrictCulture,
        Role::DistrictHomeAffairs,
        Role::DistrictYouthUnion,
        Role::DistrictLeader,
        Role::CommuneOfficer,
        Role::TeamLeader,
        Role::Viewer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::ProvinceAdmin => "province_admin",
            Role::DistrictCulture => "district_culture",
            Role::DistrictHomeAffairs => "district_home_affairs",
            Role::DistrictYouthUnion => "district_youth_union",
            Role::DistrictLeader => "district_leader",
            Role::CommuneOfficer => "commune_officer",
            Role::TeamLeader => "team_leader",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            Role::ProvinceAdmin => "Quản trị cấp tỉnh (Sở TT&TT)",
            Role::DistrictCulture => "Phòng Văn hóa và Thông tin",
            Role::DistrictHomeAffairs => "Phòng Nội vụ",
            Role::DistrictYouthUnion => "Huyện đoàn",
            Role::DistrictLeader => "Lãnh đạo UBND huyện",
            Role::CommuneOfficer => "Cán bộ UBND xã",
            Role::TeamLeader => "Tổ trưởng",
            Role::Viewer => "Người xem",
        }
    }
}

/// What a request wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// See teams, members (without personal data) and their units.
    TeamsRead,
    /// Create and change teams; import rosters.
    TeamsWrite,
    /// Add and change members.
    MembersWrite,
    /// See members' phone, email and year of birth.
    PersonalRead,
    /// Change the administrative tree.
    UnitsWrite,
    /// Read the audit trail.
    AuditRead,
    /// Create users and assign roles.
    UsersManage,
    /// Install plugin components.
    PluginsInstall,
    /// Choose which plugin versions apply in the subtree.
    PluginsEnable,
    /// Render periodic reports with the templates enabled in the subtree; read stored
    /// submissions, compiled reports and completeness.
    ReportsIssue,
    /// Enter and submit a unit's figures for a period (the unit is the target).
    ReportsSubmit,
    /// Accept or return the submissions of the units below, open a closed form again for one
    /// of them, compile the report from the accepted figures and send it once approved; return
    /// a report sent up from below. The target is the unit that compiles (or receives).
    ReportsReview,
    /// Approve a compiled report for the People's Committee of its unit (the target).
    ReportsApprove,
    /// Score teams and members with the commendation criteria.
    CommendationsAssess,
    /// Organise emulation campaigns at the target unit: create, evaluate, propose awards.
    CampaignsManage,
    /// Co-sign a campaign's proposal (Culture and Information, with Home Affairs).
    ProposalsCosign,
    /// Approve or reject each line of a proposal and number the decision (the People's
    /// Committee of the campaign's unit).
    ProposalsDecide,
    /// Nominate a young person to the target unit (a commune) or one of its teams.
    NominationsMake,
    /// Accept or decline a nomination to the target unit.
    NominationsAnswer,
    /// Publish guidance documents for the units below the target.
    GuidanceManage,
    /// Record who sits in the target unit's management group.
    GroupManage,
}

impl Action {
    fn is_write(self) -> bool {
        // Rendering a report or an assessment stores nothing: a read-only token may do it.
        !matches!(
            self,
            Action::TeamsRead
                | Action::PersonalRead
                | Action::AuditRead
                | Action::ReportsIssue
                | Action::CommendationsAssess
        )
    }
}

/// How far a role's grant of an action reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    No,
    /// Everywhere in the subtree of the unit the role is held at.
    Subtree,
    /// Only the team named in the assignment.
    OwnTeam,
}

/// The permission table: the one place that says what each role may do.
pub fn grant(role: Role, action: Action) -> Reach {
    use Action::*;
    use Reach::*;
    use Role::*;
    match (role, action) {
        // The province administers everything in it, but signs no district's report: approval
        // is the district People's Committee's.
        (ProvinceAdmin, ReportsApprove | ProposalsDecide) => No,
        (ProvinceAdmin, _) => Subtree,
        (
            DistrictCulture | CommuneOfficer,
            TeamsRead | TeamsWrite | MembersWrite | PersonalRead | AuditRead,
        ) => Subtree,
        (DistrictCulture, PluginsEnable) => Subtree,
        (DistrictCulture | CommuneOfficer | DistrictLeader, ReportsIssue) => Subtree,
        // The commune enters its figures (the district office may enter them for it); the level
        // above reviews and compiles: the district office for communes, the commune for its
        // villages. A commune officer's grant reaches only compiling units in its own subtree,
        // so it cannot accept its own commune's figures.
        (DistrictCulture | CommuneOfficer, ReportsSubmit | ReportsReview) => Subtree,
        // The district leadership signs for the district People's Committee, the commune's
        // officers for the commune's (its villages' reports).
        (DistrictLeader | CommuneOfficer, ReportsApprove) => Subtree,
        // The Home Affairs office runs the emulation movement, with Culture and Information.
        (DistrictHomeAffairs | DistrictCulture, CommendationsAssess) => Subtree,
        // Home Affairs organises the campaign and proposes; Culture and Information co-signs;
        // the leadership decides for the People's Committee (the province does not).
        (DistrictHomeAffairs, CampaignsManage) => Subtree,
        (DistrictCulture, ProposalsCosign) => Subtree,
        (DistrictLeader, ProposalsDecide) => Subtree,
        // The Youth Union nominates; the commune answers (the district office may, for it).
        (DistrictYouthUnion, NominationsMake) => Subtree,
        (CommuneOfficer | DistrictCulture, NominationsAnswer) => Subtree,
        // Culture and Information guides the teams and keeps the management group.
        (DistrictCulture, GuidanceManage | GroupManage) => Subtree,
        (DistrictHomeAffairs | DistrictYouthUnion | DistrictLeader | Viewer, TeamsRead) => Subtree,
        (TeamLeader, TeamsRead) => Subtree,
        (TeamLeader, MembersWrite | PersonalRead) => OwnTeam,
        _ => No,
    }
}

/// A role held at a unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Assignment {
    pub id: i64,
    pub role: Role,
    #[serde(skip)]
    pub unit_id: i64,
    pub unit_code: String,
    pub unit_name: String,
    /// For a team leader: the team.
    pub team_id: Option<i64>,
}

/// The object a check is about: the unit it belongs to, and the team when there is one.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    pub unit_id: i64,
    pub team_id: Option<i64>,
}

/// The signed-in caller of a request.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub assignments: Vec<Assignment>,
    /// The session or token this request came with (logout revokes it).
    pub session_id: i64,
    /// A token limited to reading.
    pub read_only: bool,
    /// A token limited to this unit's subtree.
    pub token_unit: Option<i64>,
}

impl Principal {
    pub fn actor(&self) -> Actor {
        Actor { user_id: Some(self.user_id), name: self.username.clone() }
    }

    /// Whether the caller may do `action` on `target`.
    pub async fn can(&self, conn: &mut AnyConnection, action: Action, target: Target) -> Result<bool> {
        if self.read_only && action.is_write() {
            return Ok(false);
        }
        // No role of the user grants it anywhere: no need to place the target (a home page
        // asks this of each of a national viewer's 63 assignments).
        if self.assignments.iter().all(|a| grant(a.role, action) == Reach::No) {
            return Ok(false);
        }
        let chain = crate::units::ancestors_or_self(conn, target.unit_id, &crate::dates::today_iso()).await?;
        if let Some(limit) = self.token_unit
            && !chain.contains(&limit)
        {
            return Ok(false);
        }
        Ok(self.assignments.iter().any(|a| match grant(a.role, action) {
            Reach::No => false,
            Reach::Subtree => chain.contains(&a.unit_id),
            Reach::OwnTeam => target.team_id.is_some() && a.team_id == target.team_id,
        }))
    }

    /// Fails with 404 when the caller cannot even read the target, 403 when they can read it but
    /// not do `action`. `what` names the object in the 404 ("team 12").
    pub async fn authorize(
        &self,
        conn: &mut AnyConnection,
        action: Action,
        target: Target,
        what: &str,
    ) -> Result<()> {
        if !self.can(conn, Action::TeamsRead, target).await? {
            return Err(Error::NotFound(what.to_string()));
        }
        if action != Action::TeamsRead && !self.can(conn, action, target).await? {
            return Err(Error::Forbidden(format!("your roles do not allow this on {what}")));
        }
        Ok(())
    }

    /// [`authorize`](Self::authorize) for a unit named by its code; returns the unit's id.
    /// An unknown code answers 404 like a unit the caller cannot see.
    pub async fn authorize_unit(&self, conn: &mut AnyConnection, action: Action, code: &str) -> Result<i64> {
        let unit_id = crate::units::id_of(conn, code).await?;
        let target = Target { unit_id, team_id: None };
        self.authorize(conn, action, target, &format!("unit '{code}'")).await?;
        Ok(unit_id)
    }

    /// The units whose subtrees the caller may do `action` in, for filtering lists; narrowed to
    /// `within` (a unit code) when given. Empty when the caller may do it nowhere there.
    pub async fn roots(
        &self,
        conn: &mut AnyConnection,
        action: Action,
        within: Option<&str>,
    ) -> Result<Vec<i64>> {
        if self.read_only && action.is_write() {
            return Ok(Vec::new());
        }
        let date = crate::dates::today_iso();
        let mut roots: Vec<i64> = self
            .assignments
            .iter()
            .filter(|a| grant(a.role, action) == Reach::Subtree)
            .map(|a| a.unit_id)
            .collect();
        // Each limit's chain (the unit, then its ancestors); a unit named by code is found in
        // the same query as its chain.
        let mut limits = Vec::new();
        if let Some(t) = self.token_unit {
            limits.push(crate::units::ancestors_or_self(conn, t, &date).await?);
        }
        // A blank `unit=` (a form's empty choice) asks for no narrowing, as the web pages read it.
        if let Some(code) = within.map(str::trim).filter(|c| !c.is_empty()) {
            limits.push(crate::units::ancestors_or_self_of_code(conn, code, &date).await?);
        }
        // Narrow each root to each limit: keep the deeper of the two when one contains the other.
        for limit_chain in limits {
            let Some(&limit) = limit_chain.first() else { continue };
            let mut narrowed = Vec::new();
            for root in roots {
                if limit_chain.contains(&root) {
                    narrowed.push(limit);
                } else if crate::units::ancestors_or_self(conn, root, &date).await?.contains(&limit) {
                    narrowed.push(root);
                }
            }
            roots = narrowed;
        }
        roots.sort_unstable();
        roots.dedup();
        Ok(roots)
    }
}

/// The session cookie's name.
pub const COOKIE: &str = "sohoa_session";

/// The token of an `Authorization: Bearer …` header, trimmed. The scheme's name is matched
/// without regard to case (RFC 9110, 11.1: `bearer` is as good as `Bearer`).
pub fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim_start().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The secret a request carries: `Authorization: Bearer ...` or the session cookie.
pub fn credential(parts: &Parts) -> Option<String> {
    if let Some(token) = bearer(&parts.headers) {
        return Some(token.to_string());
    }
    parts
        .headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_string())
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let secret = credential(parts).ok_or_else(|| Error::Unauthorized("sign in first".into()))?;
        let mut conn = state.db.pool.acquire().await?;
        sessions::principal(&mut conn, &secret)
            .await?
            .ok_or_else(|| Error::Unauthorized("the session or token is invalid, expired or revoked".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_matches_the_offices() {
        assert_eq!(grant(Role::ProvinceAdmin, Action::UsersManage), Reach::Subtree);
        assert_eq!(grant(Role::DistrictCulture, Action::UsersManage), Reach::No);
        assert_eq!(grant(Role::DistrictCulture, Action::TeamsWrite), Reach::Subtree);
        assert_eq!(grant(Role::DistrictHomeAffairs, Action::TeamsWrite), Reach::No);
        assert_eq!(grant(Role::DistrictYouthUnion, Action::PersonalRead), Reach::No);
        assert_eq!(grant(Role::CommuneOfficer, Action::UnitsWrite), Reach::No);
        assert_eq!(grant(Role::TeamLeader, Action::MembersWrite), Reach::OwnTeam);
        assert_eq!(grant(Role::TeamLeader, Action::TeamsWrite), Reach::No);
        assert_eq!(grant(Role::Viewer, Action::PersonalRead), Reach::No);
        assert_eq!(grant(Role::DistrictCulture, Action::PluginsEnable), Reach::Subtree);
        assert_eq!(grant(Role::DistrictCulture, Action::PluginsInstall), Reach::No);
        assert_eq!(grant(Role::CommuneOfficer, Action::PluginsEnable), Reach::No);
        assert_eq!(grant(Role::CommuneOfficer, Action::ReportsIssue), Reach::Subtree);
        assert_eq!(grant(Role::DistrictHomeAffairs, Action::ReportsIssue), Reach::No);
        assert_eq!(grant(Role::DistrictHomeAffairs, Action::CommendationsAssess), Reach::Subtree);
        assert_eq!(grant(Role::CommuneOfficer, Action::CommendationsAssess), Reach::No);
        assert_eq!(grant(Role::DistrictLeader, Action::ReportsApprove), Reach::Subtree);
        assert_eq!(grant(Role::ProvinceAdmin, Action::ReportsApprove), Reach::No);
        assert_eq!(grant(Role::DistrictCulture, Action::ReportsApprove), Reach::No);
        assert_eq!(grant(Role::DistrictLeader, Action::ReportsReview), Reach::No);
        assert_eq!(grant(Role::TeamLeader, Action::ReportsSubmit), Reach::No);
        assert_eq!(grant(Role::Viewer, Action::ReportsSubmit), Reach::No);
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            assert_ne!(grant(role, Action::TeamsRead), Reach::No, "{role:?} reads its subtree");
        }
    }
}
