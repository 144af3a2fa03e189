//! Building documents (reports) as structure; the host lays them out per Decree 30/2020.

use crate::{Block, Document, PluginError, Signature, Table};

/// A reporting period as the host passes it: `2022-Q3` (a quarter) or `2022-07` (a month).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Quarter { year: u16, quarter: u8 },
    Month { year: u16, month: u8 },
}

impl Period {
    pub fn parse(text: &str) -> Result<Period, PluginError> {
        let bad =
            || PluginError::Failed(format!("kỳ báo cáo '{text}' không hợp lệ (ví dụ: 2022-Q3 hoặc 2022-07)"));
        let (year, rest) = text.trim().split_once('-').ok_or_else(bad)?;
        let year: u16 = year.parse().map_err(|_| bad())?;
        if let Some(q) = rest.strip_prefix('Q').or_else(|| rest.strip_prefix('q')) {
            let quarter: u8 = q.parse().map_err(|_| bad())?;
            return if (1..=4).contains(&quarter) {
                Ok(Period::Quarter { year, quarter })
            } else {
                Err(bad())
            };
        }
        let month: u8 = rest.parse().map_err(|_| bad())?;
        if (1..=12).contains(&month) { Ok(Period::Month { year, month }) } else { Err(bad()) }
    }

    /// `quý III năm 2022` or `tháng 7 năm 2022`, as a document's subject says it.
    pub fn vietnamese(&self) -> String {
        match self {
            Period::Quarter { year, quarter } => {
                format!("quý {} năm {year}", crate::text::roman(*quarter as u32))
            }
            Period::Month { year, month } => format!("tháng {month} năm {year}"),
        }
    }
}

/// Builds a [`Document`] block by block.
pub struct DocumentBuilder {
    doc: Document,
}

impl DocumentBuilder {
    pub fn new(issuer: &str, number: &str, title: &str, subject: &str) -> Self {
        DocumentBuilder {
            doc: Document {
                issuer: issuer.into(),
                number: number.into(),
                title: title.into(),
                subject: subject.into(),
                blocks: Vec::new(),
            },
        }
    }

    pub fn heading(mut self, text: &str) -> Self {
        self.doc.blocks.push(Block::Heading(text.into()));
        self
    }

    pub fn paragraph(mut self, text: &str) -> Self {
        self.doc.blocks.push(Block::Paragraph(text.into()));
        self
    }

    pub fn table(mut self, header: &[&str], rows: Vec<Vec<String>>) -> Self {
        let header = header.iter().map(|h| h.to_string()).collect();
        self.doc.blocks.push(Block::Table(Table { header, rows }));
        self
    }

    pub fn signature(mut self, authority: &str, title: &str, name: &str) -> Self {
        let sig = Signature { authority: authority.into(), title: title.into(), name: name.into() };
        self.doc.blocks.push(Block::Signature(sig));
        self
    }

    pub fn recipients(mut self, list: &[&str]) -> Self {
        self.doc.blocks.push(Block::Recipients(list.iter().map(|r| r.to_string()).collect()));
        self
    }

    pub fn build(self) -> Document {
        self.doc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods() {
        assert_eq!(Period::parse("2022-Q3").unwrap(), Period::Quarter { year: 2022, quarter: 3 });
        assert_eq!(Period::parse("2022-07").unwrap().vietnamese(), "tháng 7 năm 2022");
        assert_eq!(Period::parse("2022-Q3").unwrap().vietnamese(), "quý III năm 2022");
        assert!(Period::parse("2022-Q5").is_err());
        assert!(Period::parse("2022-13").is_err());
        assert!(Period::parse("quý 3").is_err());
    }
}
