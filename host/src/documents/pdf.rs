//! The PDF layout: the HTML layout ([`super::html`], A4 with the Decree 30/2020 margins in its
//! print style sheet) printed by headless Chromium.
//!
//! Why Chromium: the HTML layout is already the one officials preview and print from the
//! browser, so printing it gives the same page without a second layout to keep in step; Debian
//! ships Chromium (the browser tests use it), and printing with it is what its own developers
//! maintain. The alternatives weighed: LibreOffice converting the DOCX (a second, heavier
//! program, 300 MB installed) and Typst as a library (a third layout to write, hundreds of
//! crates in the build, fonts to bundle). The cost: PDF needs Chromium installed on the server
//! (`documents.chromium`), each PDF starts a browser (about a second), and a PDF is not
//! byte-identical from one print to the next (Chromium stamps the time in it); the DOCX, XLSX
//! and HTML are.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::Letter;

/// How PDFs are printed: the Chromium program (a name looked up on PATH, or a path; empty
/// when PDF is switched off) and how long one print may take.
#[derive(Debug, Clone)]
pub struct Printer {
    pub program: String,
    pub timeout: Duration,
}

/// Why no PDF came out.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// The server has no Chromium (or PDF is switched off): the other formats still work.
    #[error("PDF is not available on this server: {0}; download the DOCX instead")]
    Unavailable(String),
    #[error("printing the PDF failed: {0}")]
    Failed(String),
}

/// Prints `letter` to PDF bytes.
pub fn build(letter: &Letter, printer: &Printer) -> Result<Vec<u8>, PdfError> {
    if printer.program.trim().is_empty() {
        return Err(PdfError::Unavailable("documents.chromium is empty".into()));
    }
    let dir = tempfile::tempdir().map_err(|e| PdfError::Failed(format!("a temporary folder: {e}")))?;
    let page = dir.path().join("letter.html");
    let out = dir.path().join("letter.pdf");
    std::fs::write(&page, super::html::page(letter)).map_err(|e| PdfError::Failed(e.to_string()))?;
    let mut child = Command::new(&printer.program)
        .args(args(dir.path(), &page, &out))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                PdfError::Unavailable(format!("'{}' (documents.chromium) was not found", printer.program))
            }
            _ => PdfError::Failed(format!("starting {}: {e}", printer.program)),
        })?;
    let started = Instant::now();
    let status = loop {
        match child.try_wait().map_err(|e| PdfError::Failed(e.to_string()))? {
            Some(status) => break status,
            None if started.elapsed() > printer.timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(PdfError::Failed(format!(
                    "Chromium took longer than {} ms",
                    printer.timeout.as_millis()
                )));
            }
            None => std::thread::sleep(Duration::from_millis(25)),
        }
    };
    let bytes = std::fs::read(&out).unwrap_or_default();
    if !status.success() || !bytes.starts_with(b"%PDF") {
        return Err(PdfError::Failed(format!("Chromium ended with {status} and no PDF")));
    }
    Ok(bytes)
}

fn args(dir: &Path, page: &Path, out: &Path) -> Vec<String> {
    vec![
        "--headless".into(),
        // The server's own file, printed in a throwaway profile; the sandbox cannot start as
        // root in containers, and the page runs no script.
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-extensions".into(),
        "--no-first-run".into(),
        "--no-pdf-header-footer".into(),
        format!("--user-data-dir={}", dir.join("profile").display()),
        format!("--print-to-pdf={}", out.display()),
        format!("file://{}", page.display()),
    ]
}
