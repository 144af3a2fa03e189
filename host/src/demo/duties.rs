//! The other offices' duties in the demo, on top of Tây Sơn's 2022 reports
//! ([`super::seed_reports`]), through the same services as the API:
//! - the campaign "Thi đua chuyển đổi số cộng đồng năm 2022" evaluated from the stored
//!   quarterly reports (households per commune as base figures), its proposal co-signed and
//!   decided (one line rejected with a reason), the awards on the teams' records;
//! - two Youth Union nominations: one accepted into Bình Tường's team, one declined;
//! - three guidance documents (a DOCX letter, a PDF, a link) and Tây Sơn's management group
//!   with its focal point (and Hoài Ân's, so the province sees two districts).
//!
//! The services stamp the present; the demo moves the campaign's stamps to January 2023, when
//! such a campaign is decided (the audit trail keeps the day the demo was made).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{TAY_SON, day, demo_figures};
use crate::audit::Actor;
use crate::commendations::campaigns::{self, NewCampaign};
use crate::commendations::proposals::{self, LineDecision, NewDecision, NewProposal};
use crate::db::Db;
use crate::error::Result;
use crate::guidance::{GuidanceMeta, Store};
use crate::management::NewGroupMember;
use crate::nominations::{Answer, NewNomination};
use crate::units::UnitFilter;

/// Hoài Ân district, the province's second district in the demo's management groups.
const HOAI_AN: &str = "544";

/// What [`seed_duties`] made.
#[derive(Debug, Default, Clone)]
pub struct DutiesSeeded {
    pub campaign_id: i64,
    pub awards: usize,
    pub nominations: usize,
    pub guidance: usize,
    pub group: usize,
}

/// Seeds the campaign, nominations, guidance documents and management groups (see the module
/// docs). Needs the reports seeded and the bundled plugins bound.
pub async fn seed_duties(
    db: &Db,
    runtime: &Arc<crate::plugins::Runtime>,
    data_dir: &std::path::Path,
) -> Result<DutiesSeeded> {
    let mut seeded = DutiesSeeded::default();
    let home_affairs = Actor::system("tayson.noivu");
    let culture = Actor::system("tayson.vhtt");
    let leader = Actor::system("tayson.lanhdao");
    let youth = Actor::system("tayson.doan");

    // Households per commune (the statistics office's figures): the ratio of households guided
    // to households differs from commune to commune, so the scores do too.
    let mut conn = db.pool.acquire().await?;
    let filter =
        UnitFilter { as_of: "2022-12-31".into(), parent: Some(TAY_SON.into()), ..Default::default() };
    let (communes, _) = crate::units::list(&mut conn, &filter, 100, 0).await?;
    drop(conn);
    let mut codes: Vec<String> = communes.into_iter().map(|c| c.code).collect();
    codes.sort();
    let mut base = BTreeMap::new();
    for (i, code) in codes.iter().enumerate() {
        let guided = demo_figures(i, 3)["ho_duoc_huong_dan"] + demo_figures(i, 4)["ho_duoc_huong_dan"];
        let per_hundred = 30.0 + 5.0 * ((i * 7) % 15) as f64;
        base.insert(
            code.clone(),
            BTreeMap::from([("ho_gia_dinh".to_string(), (guided * 100.0 / per_hundred).round())]),
        );
    }
    let campaign = campaigns::create(
        db,
        None,
        &home_affairs,
        TAY_SON,
        NewCampaign {
            name: "Thi đua chuyển đổi số cộng đồng năm 2022".into(),
            period: "2022".into(),
            template: super::DEMO_REPORT.into(),
            base_figures: base,
        },
    )
    .await?;
    seeded.campaign_id = campaign.id;
    campaigns::evaluate(db, runtime, None, &home_affairs, campaign.id).await?;
    let proposal = NewProposal {
        justification:
            "Các tổ có tỷ lệ hộ được hướng dẫn, tài khoản định danh điện tử và hồ sơ dịch vụ công trực \
                        tuyến cao nhất huyện, báo cáo đầy đủ, đúng hạn."
                .into(),
        lines: Vec::new(),
    };
    let made = proposals::propose(db, None, &home_affairs, campaign.id, proposal).await?;
    let proposal_id = made.proposal.as_ref().map(|p| p.id).unwrap_or_default();
    restamp(db, "UPDATE proposals SET proposed_at = $1 WHERE id = $2", "2023-01-05T02:30:00Z", proposal_id)
        .await?;
    restamp(db, "UPDATE campaigns SET evaluated_at = $1 WHERE id = $2", "2023-01-04T03:00:00Z", campaign.id)
        .await?;
    proposals::cosign(db, None, &culture, campaign.id).await?;
    restamp(db, "UPDATE proposals SET cosigned_at = $1 WHERE id = $2", "2023-01-09T08:15:00Z", proposal_id)
        .await?;
    // The leadership approves all but the last line, which was already commended for 2022.
    let lines = made.proposal.map(|p| p.lines).unwrap_or_default();
    let count = lines.len();
    let decisions = lines
        .iter()
        .enumerate()
        .map(|(i, l)| LineDecision {
            line_id: l.id,
            approve: i + 1 < count || count == 1,
            reason: (i + 1 == count && count > 1).then(|| {
                "Tổ đã được Chủ tịch UBND tỉnh tặng Bằng khen cùng thành tích trong năm 2022.".to_string()
            }),
        })
        .collect();
    let decided = proposals::decide(
        db,
        None,
        &leader,
        campaign.id,
        NewDecision {
            decision_number: "125/QĐ-UBND".into(),
            decision_date: "2023-01-16".into(),
            lines: decisions,
        },
    )
    .await?;
    restamp(db, "UPDATE proposals SET decided_at = $1 WHERE id = $2", "2023-01-16T09:00:00Z", proposal_id)
        .await?;
    seeded.awards =
        decided.proposal.map(|p| p.lines.iter().filter(|l| l.awarded()).count()).unwrap_or_default();

    // Two nominations: one accepted into Bình Tường's own team, one declined.
    let binh_tuong_team = {
        let mut conn = db.pool.acquire().await?;
        super::first_team_of(&mut conn, "21835").await?
    };
    let accepted = crate::nominations::nominate(
        db,
        None,
        &youth,
        "21835",
        NewNomination {
            full_name: "Đặng Thị Thu Trang".into(),
            gender: "female".into(),
            birth_year: i64::from(chrono::Datelike::year(&crate::dates::today())) - 24,
            phone: Some("0905123789".into()),
            email: Some("thutrang.doan@example.vn".into()),
            skills: vec!["VNeID".into(), "Dịch vụ công trực tuyến".into(), "Thanh toán số".into()],
            team_id: binh_tuong_team,
            note: "Bí thư chi đoàn thôn, đã dự tập huấn chuyển đổi số của Tỉnh đoàn.".into(),
        },
    )
    .await?;
    let commune = Actor::system("binhtuong.xa");
    crate::nominations::answer(
        db,
        runtime,
        None,
        &commune,
        accepted.id,
        Answer { accept: true, team_id: None, joined_on: None, reason: None },
    )
    .await?;
    let other = codes.iter().find(|c| c.as_str() != "21835").cloned().unwrap_or_else(|| "21835".into());
    let declined = crate::nominations::nominate(
        db,
        None,
        &youth,
        &other,
        NewNomination {
            full_name: "Lê Minh Khoa".into(),
            gender: "male".into(),
            birth_year: i64::from(chrono::Datelike::year(&crate::dates::today())) - 21,
            phone: Some("0935456123".into()),
            email: None,
            skills: vec!["Thương mại điện tử".into()],
            team_id: None,
            note: String::new(),
        },
    )
    .await?;
    crate::nominations::answer(
        db,
        runtime,
        None,
        &Actor::system("UBND xã"),
        declined.id,
        Answer {
            accept: false,
            team_id: None,
            joined_on: None,
            reason: Some(
                "Bạn đang học đại học ở Quy Nhơn, chỉ về xã dịp hè; xã đề nghị giới thiệu lại vào tháng 6."
                    .into(),
            ),
        },
    )
    .await?;
    seeded.nominations = 2;

    // Three guidance documents for Tây Sơn's communes and villages.
    let store = Store::for_instance(db, data_dir);
    let letter = guidance_letter();
    let docx = crate::documents::render(
        &letter,
        crate::documents::Format::Docx,
        &crate::documents::pdf::Printer {
            program: String::new(),
            timeout: std::time::Duration::from_secs(1),
        },
    )
    .map_err(|e| crate::error::Error::Internal(e.to_string()))?;
    let documents: [(GuidanceMeta, Vec<u8>); 3] = [
        (
            GuidanceMeta {
                title: "Hướng dẫn hoạt động Tổ công nghệ số cộng đồng năm 2023".into(),
                file_name: Some("huong-dan-to-cnscd-2023.docx".into()),
                valid_from: Some("2023-01-03".into()),
                ..Default::default()
            },
            docx,
        ),
        (
            GuidanceMeta {
                title: "Cẩm nang kích hoạt tài khoản định danh điện tử mức 2".into(),
                file_name: Some("cam-nang-vneid-muc-2.pdf".into()),
                levels: Some("commune,village".into()),
                valid_from: Some("2022-10-01".into()),
                ..Default::default()
            },
            minimal_pdf("Cam nang kich hoat VNeID muc 2"),
        ),
        (
            GuidanceMeta {
                title: "Cổng Dịch vụ công quốc gia: hướng dẫn nộp hồ sơ trực tuyến".into(),
                link: Some("https://dichvucong.gov.vn/p/home/dvc-huong-dan-chung.html".into()),
                roles: Some("team_leader,commune_officer".into()),
                valid_from: Some("2022-08-15".into()),
                ..Default::default()
            },
            Vec::new(),
        ),
    ];
    for (meta, bytes) in documents {
        crate::guidance::publish(db, &store, None, &culture, TAY_SON, meta, &bytes).await?;
        seeded.guidance += 1;
    }

    // The management groups of Tây Sơn and Hoài Ân.
    let people: [(&str, &str, &str, &str, &str, bool); 4] = [
        (
            TAY_SON,
            "Nguyễn Thị Hồng Nhung",
            "Tổ trưởng, đầu mối",
            "Phòng Văn hóa và Thông tin",
            "0256385210",
            true,
        ),
        (TAY_SON, "Trần Văn Quang", "Thành viên", "Phòng Nội vụ", "0256385221", false),
        (TAY_SON, "Phạm Minh Tuấn", "Thành viên", "Huyện đoàn Tây Sơn", "0256385232", false),
        (HOAI_AN, "Võ Thị Kim Liên", "Tổ trưởng, đầu mối", "Phòng Văn hóa và Thông tin", "0256387410", true),
    ];
    for (unit, name, title, office, phone, focal) in people {
        let input = NewGroupMember {
            full_name: name.into(),
            title: title.into(),
            office: office.into(),
            phone: Some(phone.into()),
            email: None,
            focal_point: focal,
            from_date: Some("2022-08-01".into()),
            until_date: None,
        };
        crate::management::add(db, None, &Actor::system("sohoa demo"), unit, input).await?;
        seeded.group += 1;
    }
    Ok(seeded)
}

async fn restamp(db: &Db, sql: &str, stamp: &str, id: i64) -> Result<()> {
    sqlx::query(sql).bind(stamp).bind(id).execute(&db.pool).await?;
    Ok(())
}

/// The district's guidance letter, laid out as the host lays out any official document.
fn guidance_letter() -> crate::documents::Letter {
    use crate::plugins::types::{Block, Document, Signature};
    crate::documents::Letter {
        doc: Document {
            issuer: "UBND HUYỆN TÂY SƠN\nPHÒNG VĂN HÓA VÀ THÔNG TIN".into(),
            number: "Số: 05/HD-VHTT".into(),
            title: "HƯỚNG DẪN".into(),
            subject: "Hoạt động của Tổ công nghệ số cộng đồng năm 2023".into(),
            blocks: vec![
                Block::Heading("1. Nhiệm vụ trọng tâm".into()),
                Block::Paragraph(
                    "Hướng dẫn người dân cài đặt, kích hoạt tài khoản định danh điện tử, sử dụng dịch vụ công trực \
                     tuyến và thanh toán không dùng tiền mặt; báo cáo kết quả hằng quý đúng hạn."
                        .into(),
                ),
                Block::Heading("2. Chế độ báo cáo".into()),
                Block::Paragraph("UBND các xã, thị trấn gửi báo cáo quý trên hệ thống trước ngày 18 tháng cuối quý.".into()),
                Block::Recipients(vec!["UBND các xã, thị trấn;".into(), "Lưu: VT.".into()]),
                Block::Signature(Signature {
                    authority: "TRƯỞNG PHÒNG".into(),
                    title: String::new(),
                    name: "Nguyễn Thị Hồng Nhung".into(),
                }),
            ],
        },
        place: "Tây Sơn".into(),
        date: day("2023-01-03"),
    }
}

/// A one-page PDF saying `text` (ASCII), with a correct cross-reference table.
fn minimal_pdf(text: &str) -> Vec<u8> {
    let stream = format!("BT /F1 18 Tf 72 720 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_string(),
        format!("<< /Length {} >>\nstream\n{stream}\nendstream", stream.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1)
            .as_bytes(),
    );
    out
}
