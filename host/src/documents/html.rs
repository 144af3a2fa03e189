//! The HTML layout: an A4 sheet on screen and on paper (print it from the browser).

use serde::Serialize;

use super::{Letter, MOTTO, NATIONAL_TITLE};
use crate::plugins::types as model;

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
enum Block<'a> {
    Heading { text: &'a str },
    Paragraph { text: &'a str },
    Table { header: &'a [String], rows: &'a [Vec<String>] },
}

/// Parsed once; every document renders from it.
static ENV: std::sync::LazyLock<minijinja::Environment<'static>> = std::sync::LazyLock::new(|| {
    let mut env = minijinja::Environment::new();
    env.add_template("document.html", include_str!("../../templates/document.html"))
        .expect("the document template parses");
    env
});

/// The whole page, with its own styles so a saved copy still looks right.
pub fn page(letter: &Letter) -> String {
    let body: Vec<Block> = letter
        .body()
        .filter_map(|b| match b {
            model::Block::Heading(t) => Some(Block::Heading { text: t }),
            model::Block::Paragraph(t) => Some(Block::Paragraph { text: t }),
            model::Block::Table(t) => Some(Block::Table { header: &t.header, rows: &t.rows }),
            _ => None,
        })
        .collect();
    let (parent, issuer) = letter.issuer_lines();
    let signature = letter
        .signature()
        .map(|s| serde_json::json!({ "authority": s.authority, "title": s.title, "name": s.name }));
    let context = minijinja::context! {
        national_title => NATIONAL_TITLE,
        motto => MOTTO,
        parent => parent,
        issuer => issuer,
        number => letter.doc.number,
        place_date => letter.place_date(),
        title => letter.doc.title,
        subject => letter.doc.subject,
        body => body,
        recipients => letter.recipients(),
        signature => signature,
    };
    ENV.get_template("document.html")
        .and_then(|t| t.render(context))
        .unwrap_or_else(|e| format!("<p>không trình bày được văn bản: {e}</p>"))
}
