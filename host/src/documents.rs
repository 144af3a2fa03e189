//! Laying out a plugin's [`Document`](crate::plugins::types::Document) as an official document per Decree
//! 30/2020/NĐ-CP: HTML (preview in the browser), DOCX (to sign and file), XLSX (the table, for
//! people who keep working on the numbers) and PDF (the HTML printed, [`pdf`]).
//!
//! A plugin says *what* the document says (issuer, number, subject, blocks); the host owns *how*
//! it looks, so every locality's reports share one correct layout:
//! - top left: the issuing body in capitals (a two-line issuer, `"UBND HUYỆN X\nPHÒNG Y"`,
//!   prints the parent body upright and the issuer in bold), a short rule, then `Số: .../...`;
//! - top right: the national title and motto in bold, a rule, then the place and date in italics;
//! - the document type and its subject in bold, centred;
//! - the body: headings, justified paragraphs, bordered tables;
//! - bottom: recipients ("Nơi nhận:") on the left, the signature block on the right.

mod docx;
mod html;
pub mod pdf;
mod xlsx;

use chrono::{Datelike, NaiveDate};

use crate::plugins::types::{Block, Document, Signature};

pub const NATIONAL_TITLE: &str = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM";
pub const MOTTO: &str = "Độc lập - Tự do - Hạnh phúc";

/// A document with what the host adds to the plugin's content: where and when it is issued.
#[derive(Debug, Clone)]
pub struct Letter {
    pub doc: Document,
    /// Place name of the date line, e.g. "Tây Sơn".
    pub place: String,
    pub date: NaiveDate,
}

impl Letter {
    /// `Tây Sơn, ngày 05 tháng 10 năm 2022`: days below 10 and months 1-2 zero-padded.
    pub fn place_date(&self) -> String {
        let month = self.date.month();
        let month = if month <= 2 { format!("{month:02}") } else { month.to_string() };
        format!("{}, ngày {:02} tháng {month} năm {}", self.place, self.date.day(), self.date.year())
    }

    /// The issuer's lines: (parent body, issuing body). A one-line issuer has no parent.
    pub fn issuer_lines(&self) -> (Option<&str>, &str) {
        match self.doc.issuer.split_once('\n') {
            Some((parent, own)) => (Some(parent.trim()), own.trim()),
            None => (None, self.doc.issuer.trim()),
        }
    }

    /// The blocks of the body, without the closing recipients and signature (laid out together).
    pub fn body(&self) -> impl Iterator<Item = &Block> {
        self.doc.blocks.iter().filter(|b| !matches!(b, Block::Signature(_) | Block::Recipients(_)))
    }

    pub fn recipients(&self) -> Option<&[String]> {
        self.doc.blocks.iter().find_map(|b| match b {
            Block::Recipients(r) => Some(r.as_slice()),
            _ => None,
        })
    }

    pub fn signature(&self) -> Option<&Signature> {
        self.doc.blocks.iter().find_map(|b| match b {
            Block::Signature(s) => Some(s),
            _ => None,
        })
    }

    /// A file name for downloads: `bao-cao-quy-iii-nam-2022.docx`.
    pub fn file_stem(&self) -> String {
        let words = crate::text::fold(&format!("{} {}", self.doc.title, self.doc.subject));
        let slug: String =
            words.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect::<String>();
        let slug = slug.split('-').filter(|w| !w.is_empty()).collect::<Vec<_>>().join("-");
        slug.chars().take(80).collect()
    }
}

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Html,
    Docx,
    Xlsx,
    Pdf,
}

impl Format {
    /// `html`, `docx`, `xlsx` or `pdf`.
    pub fn parse(name: &str) -> Option<Format> {
        [Format::Html, Format::Docx, Format::Xlsx, Format::Pdf].into_iter().find(|f| f.extension() == name)
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Html => "text/html; charset=utf-8",
            Format::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Pdf => "application/pdf",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Html => "html",
            Format::Docx => "docx",
            Format::Xlsx => "xlsx",
            Format::Pdf => "pdf",
        }
    }
}

/// Lays the letter out in `format` (PDF through `printer`).
pub fn render(letter: &Letter, format: Format, printer: &pdf::Printer) -> Result<Vec<u8>, LayoutError> {
    match format {
        Format::Html => Ok(html::page(letter).into_bytes()),
        Format::Docx => docx::build(letter).map_err(LayoutError::Failed),
        Format::Xlsx => xlsx::build(letter).map_err(LayoutError::Failed),
        Format::Pdf => pdf::build(letter, printer).map_err(|e| match e {
            pdf::PdfError::Unavailable(_) => LayoutError::Unavailable(e.to_string()),
            pdf::PdfError::Failed(_) => LayoutError::Failed(e.to_string()),
        }),
    }
}

/// Lays documents out off the async workers: a layout is CPU work (a table of thousands of
/// cells takes a while as DOCX), so it runs on tokio's blocking pool, at most
/// `documents.layout_concurrency` at once. A layout waits for its turn at most
/// `documents.layout_wait_ms`, then gives up with [`LayoutError::Busy`]; parallel renders
/// queue instead of stalling the server (issue 11, fault 3: four parallel renders made
/// `/health` take 1.97 s).
pub struct Layouts {
    permits: std::sync::Arc<tokio::sync::Semaphore>,
    concurrency: usize,
    wait: std::time::Duration,
    printer: pdf::Printer,
}

/// Why a layout gave no file.
#[derive(Debug, thiserror::Error)]
pub enum LayoutError {
    #[error(
        "{running} documents are being laid out and this one waited {waited_ms} ms for its turn; try again in a moment"
    )]
    Busy { running: usize, waited_ms: u64 },
    /// This server cannot make the format (no Chromium for PDF).
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    Failed(String),
}

impl Layouts {
    pub fn new(concurrency: usize, wait: std::time::Duration) -> Self {
        let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(concurrency));
        let printer = pdf::Printer { program: String::new(), timeout: std::time::Duration::from_secs(20) };
        Layouts { permits, concurrency, wait, printer }
    }

    /// The same, printing PDFs with `printer`.
    pub fn with_printer(mut self, printer: pdf::Printer) -> Self {
        self.printer = printer;
        self
    }

    pub fn for_settings(settings: &crate::config::DocumentSettings) -> Self {
        Layouts::new(settings.layout_concurrency, std::time::Duration::from_millis(settings.layout_wait_ms))
            .with_printer(pdf::Printer {
                program: settings.chromium.clone(),
                timeout: std::time::Duration::from_millis(settings.pdf_timeout_ms),
            })
    }

    /// [`render`] on the blocking pool, once a permit is free. The permit goes with the
    /// layout, so a request given up on (its client gone, its deadline passed) still holds it
    /// until the layout really ends: never more than `concurrency` at once.
    pub async fn render(&self, letter: Letter, format: Format) -> Result<Vec<u8>, LayoutError> {
        let permit = tokio::time::timeout(self.wait, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| LayoutError::Busy {
                running: self.concurrency,
                waited_ms: self.wait.as_millis() as u64,
            })?
            .map_err(|_| LayoutError::Failed("the layout queue is closed".into()))?;
        let printer = self.printer.clone();
        tokio::task::spawn_blocking(move || {
            let bytes = render(&letter, format, &printer);
            drop(permit);
            bytes
        })
        .await
        .map_err(|e| LayoutError::Failed(format!("layout task: {e}")))?
    }
}

/// The document's words, one block per line, table cells joined by ` | `: for tests and for
/// `sohoa plugin test`'s expectations.
pub fn plain_text(doc: &Document) -> String {
    let mut out = vec![doc.issuer.clone(), doc.number.clone(), doc.title.clone(), doc.subject.clone()];
    for block in &doc.blocks {
        match block {
            Block::Heading(t) | Block::Paragraph(t) => out.push(t.clone()),
            Block::Table(t) => {
                out.push(t.header.join(" | "));
                out.extend(t.rows.iter().map(|r| r.join(" | ")));
            }
            Block::Signature(s) => out.push(format!("{} {} {}", s.authority, s.title, s.name)),
            Block::Recipients(r) => out.extend(r.iter().cloned()),
        }
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_pdf() -> pdf::Printer {
        pdf::Printer { program: String::new(), timeout: std::time::Duration::from_secs(1) }
    }

    pub(crate) fn sample() -> Letter {
        Letter {
            doc: Document {
                issuer: "UBND HUYỆN TÂY SƠN\nPHÒNG VĂN HÓA VÀ THÔNG TIN".into(),
                number: "Số:      /BC-VHTT".into(),
                title: "BÁO CÁO".into(),
                subject: "Kết quả hoạt động của Tổ công nghệ số cộng đồng quý III năm 2022".into(),
                blocks: vec![
                    Block::Paragraph("Thực hiện Kế hoạch số 77/KH-UBND <của tỉnh> & huyện".into()),
                    Block::Heading("I. TÌNH HÌNH TỔ CHỨC".into()),
                    Block::Table(crate::plugins::types::Table {
                        header: vec!["TT".into(), "Đơn vị".into(), "Số hộ".into()],
                        rows: vec![
                            vec!["1".into(), "Thị trấn Phú Phong".into(), "1.234".into()],
                            vec!["".into(), "Tổng cộng".into(), "1.234,5".into()],
                        ],
                    }),
                    Block::Recipients(vec!["UBND huyện (b/c);".into(), "Lưu: VT.".into()]),
                    Block::Signature(Signature {
                        authority: "KT. TRƯỞNG PHÒNG".into(),
                        title: "PHÓ TRƯỞNG PHÒNG".into(),
                        name: "Nguyễn Văn An".into(),
                    }),
                ],
            },
            place: "Tây Sơn".into(),
            date: NaiveDate::from_ymd_opt(2022, 2, 5).unwrap(),
        }
    }

    #[test]
    fn date_line_and_numbers() {
        let l = sample();
        assert_eq!(l.place_date(), "Tây Sơn, ngày 05 tháng 02 năm 2022");
        assert_eq!(l.issuer_lines(), (Some("UBND HUYỆN TÂY SƠN"), "PHÒNG VĂN HÓA VÀ THÔNG TIN"));
        assert_eq!(l.file_stem(), "bao-cao-ket-qua-hoat-dong-cua-to-cong-nghe-so-cong-dong-quy-iii-nam-2022");
    }

    #[test]
    fn every_format_renders() {
        let l = sample();
        let html = String::from_utf8(render(&l, Format::Html, &no_pdf()).unwrap()).unwrap();
        assert!(html.contains(NATIONAL_TITLE) && html.contains("&lt;của tỉnh&gt; &amp; huyện"), "{html}");
        let docx = render(&l, Format::Docx, &no_pdf()).unwrap();
        assert_eq!(&docx[..2], b"PK");
        let xlsx = render(&l, Format::Xlsx, &no_pdf()).unwrap();
        assert_eq!(&xlsx[..2], b"PK");
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config { cases: 64, ..Default::default() })]
        /// Issue 16: any text a plugin may put in a document (markup, control characters,
        /// long words, empty cells, ragged rows) lays out in every format without a panic, and
        /// HTML never carries it as markup.
        #[test]
        fn any_text_lays_out_in_every_format(
            texts in proptest::collection::vec(".{0,40}", 1..12),
            widths in proptest::collection::vec(0usize..6, 0..8),
        ) {
            let mut letter = sample();
            let t = |i: usize| texts[i % texts.len()].clone();
            letter.doc.issuer = format!("{}\n{}", t(0), t(1));
            letter.doc.subject = t(2);
            letter.place = t(3);
            letter.doc.blocks = vec![
                Block::Heading(t(4)),
                Block::Paragraph(format!("<script>{}</script>", t(5))),
                Block::Table(crate::plugins::types::Table {
                    header: (0..widths.first().copied().unwrap_or(0)).map(t).collect(),
                    rows: widths.iter().map(|w| (0..*w).map(|i| t(i + 6)).collect()).collect(),
                }),
                Block::Recipients(texts.clone()),
                Block::Signature(Signature { authority: t(7), title: t(8), name: t(9) }),
            ];
            let html = String::from_utf8(render(&letter, Format::Html, &no_pdf()).unwrap()).unwrap();
            proptest::prop_assert!(!html.contains("<script>"));
            for format in [Format::Docx, Format::Xlsx] {
                let bytes = render(&letter, format, &no_pdf()).unwrap();
                proptest::prop_assert_eq!(&bytes[..2], b"PK");
            }
        }
    }

    #[tokio::test]
    async fn layouts_queue_and_answer_busy_past_their_wait() {
        let layouts = Layouts::new(1, std::time::Duration::from_millis(50));
        let html = layouts.render(sample(), Format::Html).await.unwrap();
        assert!(String::from_utf8(html).unwrap().contains(NATIONAL_TITLE));
        // The one permit taken (a long layout running): the next one waits 50 ms, then is busy.
        let running = layouts.permits.clone().try_acquire_owned().unwrap();
        let started = std::time::Instant::now();
        let busy = layouts.render(sample(), Format::Docx).await.unwrap_err();
        assert!(started.elapsed() >= std::time::Duration::from_millis(50));
        assert!(matches!(busy, LayoutError::Busy { running: 1, waited_ms: 50 }), "{busy:?}");
        assert!(busy.to_string().contains("waited 50 ms"), "{busy}");
        // A layout that waits less than its bound goes ahead once the permit is back.
        let queued = layouts.render(sample(), Format::Xlsx);
        let release = async {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            drop(running);
        };
        let (xlsx, ()) = tokio::join!(queued, release);
        assert_eq!(&xlsx.unwrap()[..2], b"PK");
    }
}
