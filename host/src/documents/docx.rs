//! The DOCX layout (docx-rs): A4 portrait, Times New Roman, margins 20/15/20/30 mm (top,
//! right, bottom, left), sizes as Decree 30/2020's appendix gives them.

use docx_rs::{
    AlignmentType, BorderType, Docx, LineSpacing, PageMargin, Paragraph, ParagraphBorder,
    ParagraphBorderPosition, ParagraphBorders, Run, RunFonts, SpecialIndentType, Table, TableCell, TableRow,
    WidthType,
};

use super::{Letter, MOTTO, NATIONAL_TITLE};
use crate::plugins::types as model;

/// Twips (1/1440 inch) per millimetre.
const MM: f64 = 56.692;
const A4: (u32, u32) = (11906, 16838);
const MARGIN_TOP: f64 = 20.0;
const MARGIN_BOTTOM: f64 = 20.0;
const MARGIN_LEFT: f64 = 30.0;
const MARGIN_RIGHT: f64 = 15.0;
/// Font sizes in half-points.
const BODY: usize = 28;
const HEAD: usize = 26;
const TITLE: usize = 24;
const TABLE: usize = 24;
const RECIPIENTS_LABEL: usize = 24;
const RECIPIENTS: usize = 22;

fn twips(mm: f64) -> i32 {
    (mm * MM).round() as i32
}

fn text_width() -> usize {
    A4.0 as usize - twips(MARGIN_LEFT) as usize - twips(MARGIN_RIGHT) as usize
}

fn run(text: &str, size: usize) -> Run {
    Run::new().add_text(text).size(size)
}

fn centred(run: Run) -> Paragraph {
    Paragraph::new().add_run(run).align(AlignmentType::Center)
}

/// A short centred rule: an empty paragraph with a bottom border, narrowed by indents.
fn rule(cell_width: usize, share: f64) -> Paragraph {
    let indent = ((cell_width as f64) * (1.0 - share) / 2.0) as i32;
    let border = ParagraphBorder::new(ParagraphBorderPosition::Bottom).val(BorderType::Single).size(6);
    // A 2-point paragraph, so the rule sits right under the line above it.
    Paragraph::new()
        .add_run(run("", 4))
        .size(4)
        .indent(Some(indent), None, Some(indent), None)
        .set_borders(ParagraphBorders::with_empty().set(border))
}

fn cell(width: usize, paragraphs: Vec<Paragraph>) -> TableCell {
    paragraphs.into_iter().fold(TableCell::new().width(width, WidthType::Dxa), |c, p| c.add_paragraph(p))
}

/// Issuer and number on the left, national title, motto and date on the right.
fn header(letter: &Letter) -> Table {
    let total = text_width();
    // The national title (12 pt bold) must fit on one line on the right.
    let left = total * 36 / 100;
    let right = total - left;
    let (parent, issuer) = letter.issuer_lines();
    let mut l = Vec::new();
    if let Some(parent) = parent {
        l.push(centred(run(&parent.to_uppercase(), HEAD)));
    }
    l.push(centred(run(&issuer.to_uppercase(), HEAD).bold()));
    l.push(rule(left, 0.35));
    l.push(centred(run(&letter.doc.number, HEAD)).line_spacing(LineSpacing::new().before(120)));
    let r = vec![
        centred(run(NATIONAL_TITLE, TITLE).bold()),
        centred(run(MOTTO, BODY).bold()),
        rule(right, 0.62),
        centred(run(&letter.place_date(), BODY).italic()).line_spacing(LineSpacing::new().before(120)),
    ];
    Table::without_borders(vec![TableRow::new(vec![cell(left, l), cell(right, r)])])
        .set_grid(vec![left, right])
        .width(total, WidthType::Dxa)
}

/// Data tables: bordered, header bold and centred, numbers right-aligned, last row (totals) bold.
fn data_table(t: &model::Table) -> Table {
    let total = text_width();
    let columns = t.header.len().max(1);
    // TT is narrow, the unit name wide, the figures share the rest.
    let widths: Vec<usize> = match columns {
        1 => vec![total],
        2 => vec![total / 6, total - total / 6],
        n => {
            let tt = total * 6 / 100;
            let name = total * 26 / 100;
            let rest = (total - tt - name) / (n - 2);
            std::iter::once(tt).chain(std::iter::once(name)).chain(std::iter::repeat_n(rest, n - 2)).collect()
        }
    };
    let head = TableRow::new(
        t.header.iter().zip(&widths).map(|(h, w)| cell(*w, vec![centred(run(h, TABLE).bold())])).collect(),
    );
    let last = t.rows.len().saturating_sub(1);
    let rows = t.rows.iter().enumerate().map(|(i, row)| {
        TableRow::new(
            row.iter()
                .zip(&widths)
                .map(|(c, w)| {
                    let r = if i == last { run(c, TABLE).bold() } else { run(c, TABLE) };
                    let align = if crate::text::parse_number(c).is_some() || c == "-" {
                        AlignmentType::Right
                    } else {
                        AlignmentType::Left
                    };
                    cell(*w, vec![Paragraph::new().add_run(r).align(align)])
                })
                .collect(),
        )
    });
    Table::new(std::iter::once(head).chain(rows).collect()).set_grid(widths).width(total, WidthType::Dxa)
}

/// Recipients on the left, signature on the right.
fn footer(letter: &Letter) -> Table {
    let total = text_width();
    let half = total / 2;
    let mut l = Vec::new();
    if let Some(recipients) = letter.recipients() {
        l.push(Paragraph::new().add_run(run("Nơi nhận:", RECIPIENTS_LABEL).bold().italic()));
        l.extend(recipients.iter().map(|r| Paragraph::new().add_run(run(&format!("- {r}"), RECIPIENTS))));
    }
    let mut r = Vec::new();
    if let Some(s) = letter.signature() {
        r.push(centred(run(&s.authority.to_uppercase(), BODY).bold()));
        if !s.title.is_empty() {
            r.push(centred(run(&s.title.to_uppercase(), BODY).bold()));
        }
        // Room for the signature and the seal.
        r.extend((0..4).map(|_| Paragraph::new()));
        r.push(centred(run(&s.name, BODY).bold()));
    }
    if l.is_empty() {
        l.push(Paragraph::new());
    }
    if r.is_empty() {
        r.push(Paragraph::new());
    }
    Table::without_borders(vec![TableRow::new(vec![cell(half, l), cell(total - half, r)])])
        .set_grid(vec![half, total - half])
        .width(total, WidthType::Dxa)
}

pub fn build(letter: &Letter) -> Result<Vec<u8>, String> {
    let fonts = RunFonts::new().ascii("Times New Roman").hi_ansi("Times New Roman").cs("Times New Roman");
    let mut docx = Docx::new()
        .page_size(A4.0, A4.1)
        .page_margin(
            PageMargin::new()
                .top(twips(MARGIN_TOP))
                .bottom(twips(MARGIN_BOTTOM))
                .left(twips(MARGIN_LEFT))
                .right(twips(MARGIN_RIGHT)),
        )
        .default_fonts(fonts)
        .default_size(BODY)
        .add_table(header(letter))
        .add_paragraph(Paragraph::new())
        .add_paragraph(centred(run(&letter.doc.title, BODY).bold()))
        .add_paragraph(centred(run(&letter.doc.subject, BODY).bold()))
        .add_paragraph(rule(text_width(), 0.25))
        .add_paragraph(Paragraph::new());
    for block in letter.body() {
        docx = match block {
            model::Block::Heading(t) => {
                docx.add_paragraph(Paragraph::new().add_run(run(t, BODY).bold()).keep_next(true))
            }
            model::Block::Paragraph(t) => {
                docx.add_paragraph(Paragraph::new().add_run(run(t, BODY)).align(AlignmentType::Both).indent(
                    None,
                    Some(SpecialIndentType::FirstLine(twips(10.0))),
                    None,
                    None,
                ))
            }
            model::Block::Table(t) => docx.add_table(data_table(t)).add_paragraph(Paragraph::new()),
            model::Block::Signature(_) | model::Block::Recipients(_) => docx,
        };
    }
    docx = docx.add_paragraph(Paragraph::new()).add_table(footer(letter));
    let mut out = std::io::Cursor::new(Vec::new());
    docx.build().pack(&mut out).map_err(|e| format!("writing DOCX: {e}"))?;
    Ok(out.into_inner())
}
