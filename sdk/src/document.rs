//! Building documents (reports) as structure; the host lays them out per Decree 30/2020.

use crate::{Block, Document, Signature, Table};

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
