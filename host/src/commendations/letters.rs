//! The proposal (Tờ trình) and the decision (Quyết định khen thưởng) of a campaign as official
//! documents in the Decree 30/2020 layout ([`crate::documents`] lays them out).
//!
//! Both are made from what is stored (the campaign, its proposal and the decided lines), so
//! they are re-made identical at any later time. The host writes them: the plugin interface
//! has no hook for them yet (a `render-commendation` hook is for a later interface version).

use chrono::NaiveDate;

use super::campaigns::Campaign;
use super::proposals::Proposal;
use crate::documents::Letter;
use crate::error::{Error, Result};
use crate::plugins::types::{Block, Document, Signature, Table};

/// Which document of a campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Which {
    /// The Home Affairs office's Tờ trình to the People's Committee.
    Proposal,
    /// The Chairman's Quyết định khen thưởng (approved lines only).
    Decision,
}

/// "Huyện Tây Sơn" → "UBND HUYỆN TÂY SƠN".
fn committee(unit_name: &str) -> String {
    format!("UBND {}", unit_name.to_uppercase())
}

/// "Huyện Tây Sơn" → "Tây Sơn": the place of the date line.
fn place(unit_name: &str) -> String {
    for prefix in ["Huyện ", "Thị xã ", "Thành phố ", "Quận ", "Tỉnh ", "Xã ", "Phường ", "Thị trấn "]
    {
        if let Some(rest) = unit_name.strip_prefix(prefix) {
            return rest.to_string();
        }
    }
    unit_name.to_string()
}

fn day_of(stamp: &str) -> Option<NaiveDate> {
    crate::dates::parse(stamp.get(..10)?)
}

fn lines_table(proposal: &Proposal, approved_only: bool) -> Table {
    let rows = proposal
        .lines
        .iter()
        .filter(|l| !approved_only || l.outcome == "approved")
        .enumerate()
        .map(|(i, l)| {
            let who = if l.kind == "team" { "Tập thể" } else { "Cá nhân" };
            let score = l
                .score
                .as_deref()
                .and_then(|s| s.parse::<f64>().ok())
                .map(|s| sohoa_sdk::text::decimal(s, 1))
                .unwrap_or_default();
            vec![
                (i + 1).to_string(),
                l.name.clone(),
                l.unit_name.clone(),
                who.to_string(),
                score,
                l.award.clone(),
            ]
        })
        .collect();
    Table {
        header: ["STT", "Tập thể, cá nhân", "Đơn vị", "Loại", "Điểm", "Hình thức khen thưởng"]
            .map(String::from)
            .to_vec(),
        rows,
    }
}

/// The document `which` of `campaign`. Errors: 409 when it does not exist yet (no proposal, or
/// no decision).
pub fn letter(campaign: &Campaign, which: Which) -> Result<Letter> {
    let proposal = campaign
        .proposal
        .as_ref()
        .ok_or_else(|| Error::Conflict(format!("campaign {} has no proposal yet", campaign.id)))?;
    let issuer = committee(&campaign.unit_name);
    let period = crate::periods::Period::parse(&campaign.period, crate::periods::CutOff::Calendar)
        .map(|p| p.label_vi())
        .unwrap_or_else(|_| campaign.period.clone());
    match which {
        Which::Proposal => {
            let date = day_of(&proposal.proposed_at).unwrap_or_else(crate::dates::today);
            let mut blocks = vec![
                Block::Paragraph(format!("Kính gửi: Chủ tịch Ủy ban nhân dân {}.", campaign.unit_name)),
                Block::Paragraph(format!(
                    "Căn cứ Luật Thi đua, khen thưởng số 06/2022/QH15 ngày 15 tháng 6 năm 2022; căn cứ kết quả \
                     chấm điểm phong trào \"{}\" {period} theo tiêu chí đã ban hành, Phòng Nội vụ phối hợp với \
                     Phòng Văn hóa và Thông tin đề nghị khen thưởng các tập thể, cá nhân sau:",
                    campaign.name
                )),
                Block::Table(lines_table(proposal, false)),
                Block::Heading("Thành tích".into()),
            ];
            for l in &proposal.lines {
                blocks.push(Block::Paragraph(format!("{}: {}", l.name, l.justification)));
            }
            blocks.push(Block::Paragraph(proposal.justification.clone()));
            blocks.push(Block::Paragraph(
                "Kính trình Chủ tịch Ủy ban nhân dân huyện xem xét, quyết định./.".into(),
            ));
            blocks.push(Block::Recipients(vec![
                "Như trên;".into(),
                "Phòng Văn hóa và Thông tin (phối hợp);".into(),
                "Lưu: VT, NV.".into(),
            ]));
            blocks.push(Block::Signature(Signature {
                authority: "TRƯỞNG PHÒNG".into(),
                title: String::new(),
                name: proposal.proposed_by.clone(),
            }));
            Ok(Letter {
                doc: Document {
                    issuer: format!("{issuer}\nPHÒNG NỘI VỤ"),
                    number: format!("Số: {}/TTr-NV", proposal.id),
                    title: "TỜ TRÌNH".into(),
                    subject: format!("Về việc đề nghị khen thưởng trong phong trào \"{}\"", campaign.name),
                    blocks,
                },
                place: place(&campaign.unit_name),
                date,
            })
        }
        Which::Decision => {
            let (Some(number), Some(date)) = (&proposal.decision_number, &proposal.decision_date) else {
                return Err(Error::Conflict(format!(
                    "the proposal of campaign {} is not decided yet",
                    campaign.id
                )));
            };
            let date = crate::dates::parse(date).unwrap_or_else(crate::dates::today);
            let approved = proposal.lines.iter().filter(|l| l.outcome == "approved").count();
            let mut blocks = vec![
                Block::Heading(format!("CHỦ TỊCH ỦY BAN NHÂN DÂN {}", campaign.unit_name.to_uppercase())),
                Block::Paragraph("Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;".into()),
                Block::Paragraph("Căn cứ Luật Thi đua, khen thưởng số 06/2022/QH15 ngày 15 tháng 6 năm 2022;".into()),
                Block::Paragraph(format!(
                    "Xét Tờ trình số {}/TTr-NV của Phòng Nội vụ về việc đề nghị khen thưởng trong phong trào \"{}\".",
                    proposal.id, campaign.name
                )),
                Block::Heading("QUYẾT ĐỊNH:".into()),
                Block::Paragraph(format!(
                    "Điều 1. Khen thưởng {approved} tập thể, cá nhân có thành tích xuất sắc trong phong trào \"{}\" \
                     {period} (danh sách kèm theo).",
                    campaign.name
                )),
                Block::Table(lines_table(proposal, true)),
                Block::Paragraph(
                    "Điều 2. Quyết định này có hiệu lực kể từ ngày ký. Chánh Văn phòng HĐND và UBND huyện, Trưởng \
                     Phòng Nội vụ, Trưởng Phòng Văn hóa và Thông tin và các tập thể, cá nhân có tên tại Điều 1 \
                     chịu trách nhiệm thi hành Quyết định này./."
                        .into(),
                ),
                Block::Recipients(vec!["Như Điều 2;".into(), "Lưu: VT, NV.".into()]),
                Block::Signature(Signature {
                    authority: "CHỦ TỊCH".into(),
                    title: String::new(),
                    name: proposal.decided_by.clone().unwrap_or_default(),
                }),
            ];
            if approved == 0 {
                blocks.retain(|b| !matches!(b, Block::Table(_)));
            }
            Ok(Letter {
                doc: Document {
                    issuer,
                    number: format!("Số: {number}"),
                    title: "QUYẾT ĐỊNH".into(),
                    subject: format!("Về việc khen thưởng trong phong trào \"{}\"", campaign.name),
                    blocks,
                },
                place: place(&campaign.unit_name),
                date,
            })
        }
    }
}

/// The document `which` of campaign `id`, checked readable by `scope`, with the accounts
/// that proposed and decided named by their display names. Errors: as [`letter`], and 404
/// for a campaign the caller cannot read.
pub async fn document(
    conn: &mut sqlx::AnyConnection,
    scope: Option<&crate::auth::Principal>,
    id: i64,
    which: Which,
) -> Result<Letter> {
    let mut campaign = super::campaigns::get(conn, scope, id).await?;
    if let Some(proposal) = campaign.proposal.as_mut() {
        proposal.proposed_by = display_name(conn, &proposal.proposed_by).await?;
        if let Some(by) = &proposal.decided_by {
            proposal.decided_by = Some(display_name(conn, by).await?);
        }
    }
    letter(&campaign, which)
}

/// The display name of account `username`; the name itself for a command-line actor.
pub(crate) async fn display_name(conn: &mut sqlx::AnyConnection, username: &str) -> Result<String> {
    Ok(sqlx::query_scalar::<_, String>("SELECT display_name FROM users WHERE username = $1")
        .bind(username)
        .fetch_optional(&mut *conn)
        .await?
        .unwrap_or_else(|| username.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issuer_and_place_come_from_the_units_name() {
        assert_eq!(committee("Huyện Tây Sơn"), "UBND HUYỆN TÂY SƠN");
        assert_eq!(place("Huyện Tây Sơn"), "Tây Sơn");
        assert_eq!(place("Thị xã An Nhơn"), "An Nhơn");
        assert_eq!(place("Hoài Ân"), "Hoài Ân");
    }
}
