//! Misbehaves on request: the `mode` parameter picks how. The host's tests install it and
//! check that each attack ends in a clear error while other requests are still served.

use sohoa_sdk::*;

pub struct Hostile;

fn spin(n: u64) -> u64 {
    // Opaque to the optimiser, so the loop is real.
    let mut x = n;
    loop {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        if x == 42 {
            return x;
        }
    }
}

#[inline(never)]
#[allow(unconditional_recursion)] // the point: it never returns
fn recurse(depth: u64, pad: [u64; 16]) -> u64 {
    let next = std::hint::black_box([pad[0].wrapping_add(depth); 16]);
    // Using `next` after the call keeps this frame alive: no tail call, a real stack overflow.
    let deeper = recurse(depth + 1, next);
    deeper.wrapping_add(std::hint::black_box(next)[(depth % 16) as usize])
}

impl Plugin for Hostile {
    fn metadata() -> Metadata {
        Metadata {
            id: "hostile".into(),
            version: "0.1.0".into(),
            name: "Plugin phá hoại (chỉ để kiểm thử)".into(),
            description:
                "team checks: loop, grow, recurse, panic, big-output, log-flood, log-empty, log-forge, remember, \
                          fail, slow, name-trap, or ok; reports: many-recipients, many-cells, many-blocks, big-table, or ok"
                    .into(),
            kinds: vec![RuleKind::Composition, RuleKind::Report],
            indicators: vec![],
            params: vec![ParamSpec {
                name: "mode".into(),
                description: "Cách phá hoại".into(),
                default_value: ParamValue::Text("ok".into()),
            }],
            report_form: None,
        }
    }

    fn check_teams(teams: Vec<Team>, _as_of: Date, params: Vec<Param>) -> Result<Vec<Finding>, PluginError> {
        let mode = Params(&params).text("mode")?;
        match mode.as_str() {
            "loop" => {
                let n = spin(teams.len() as u64);
                Ok(vec![Finding::error(&teams[0], "never", n.to_string())])
            }
            "grow" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 1 << 20]);
                    if hoard.len() == usize::MAX {
                        return Ok(vec![]);
                    }
                }
            }
            "recurse" => {
                let n = recurse(0, [teams.len() as u64; 16]);
                Ok(vec![Finding::error(&teams[0], "never", n.to_string())])
            }
            "panic" => panic!("cố ý gây lỗi"),
            "big-output" => {
                let long = "Lỗi rất dài. ".repeat(200);
                Ok((0..2000).map(|_| Finding::warning(&teams[0], "to-lon", long.clone())).collect())
            }
            "log-flood" => {
                for i in 0..10_000 {
                    log(LogLevel::Info, &format!("dòng nhật ký số {i}"));
                }
                Ok(vec![])
            }
            "log-empty" => {
                for _ in 0..100_000 {
                    log(LogLevel::Info, "");
                }
                Ok(vec![])
            }
            "log-forge" => {
                log(LogLevel::Info, "ok\n2026-11-30T00:00:00Z  INFO sohoa: forged");
                Ok(vec![])
            }
            "remember" => {
                // Looks for what an earlier call left in memory: a count in the data segment
                // and a marked block on the heap (a calloc'd block from fresh memory is not
                // cleared by the allocator, which trusts fresh pages to be zero). In a fresh,
                // wiped instance every call answers "calls=1 heap=clean".
                use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
                const MARK: u8 = 0xA5;
                static CALLS: AtomicU64 = AtomicU64::new(0);
                let calls = CALLS.fetch_add(1, Relaxed) + 1;
                let mut block = vec![0u8; 1 << 20];
                let heap = if block.contains(&MARK) { "marked" } else { "clean" };
                block.fill(MARK);
                std::hint::black_box(&block);
                Ok(vec![Finding::warning(&teams[0], "nho", format!("calls={calls} heap={heap}"))])
            }
            "fail" => Err(PluginError::Failed("từ chối xử lý".into())),
            "slow" => {
                // A bounded spin (tens of milliseconds) that succeeds: for overlapping calls.
                let mut x = teams.len() as u64;
                for i in 0..5_000_000u64 {
                    x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
                }
                Ok(vec![Finding::warning(&teams[0], "cham", x.to_string())])
            }
            "name-trap" => {
                // Crashes on one team's data only: a team named with BOOM.
                if teams.iter().any(|t| t.name.contains("BOOM")) {
                    panic!("không xử lý được tên tổ");
                }
                Ok(teams
                    .iter()
                    .map(|t| Finding::warning(t, "da-kiem-tra", format!("Đã kiểm tra {}", t.name)))
                    .collect())
            }
            _ => Ok(teams
                .iter()
                .map(|t| Finding::warning(t, "da-kiem-tra", format!("Đã kiểm tra {}", t.name)))
                .collect()),
        }
    }

    /// Documents of many (empty) elements, or a large legal one.
    fn render_report(input: ReportInput, params: Vec<Param>) -> Result<Document, PluginError> {
        let mode = Params(&params).text("mode")?;
        let empty = |n: usize| vec![String::new(); n];
        let blocks = match mode.as_str() {
            // One recipients block of 100,000 empty strings: 15.7 MB as DOCX before the caps.
            "many-recipients" => vec![Block::Recipients(empty(100_000))],
            // A table of 2000 rows of 30 empty cells: 60,030 cells.
            "many-cells" => vec![Block::Table(Table { header: empty(30), rows: vec![empty(30); 2000] })],
            "many-blocks" => vec![Block::Paragraph(String::new()); 100_000],
            // Large but within every default cap: 2000 rows of 10 cells (20,000 cells with the
            // header), 100 recipients, 500 blocks.
            "big-table" => {
                let header = (1..=10).map(|c| format!("Cột {c}")).collect();
                let rows = (1..2000).map(|r| (1..=10).map(|c| format!("{r}.{c}")).collect()).collect();
                let mut blocks = vec![
                    Block::Heading("I. SỐ LIỆU".into()),
                    Block::Table(Table { header, rows }),
                    Block::Recipients((1..=100).map(|i| format!("Nơi nhận số {i};")).collect()),
                    Block::Signature(Signature {
                        authority: "TM. ỦY BAN NHÂN DÂN".into(),
                        title: "CHỦ TỊCH".into(),
                        name: "Nguyễn Văn An".into(),
                    }),
                ];
                blocks.extend((blocks.len()..500).map(|i| Block::Paragraph(format!("Đoạn {i}."))));
                blocks
            }
            _ => vec![Block::Paragraph(format!("Báo cáo của {}.", input.unit_name))],
        };
        let text = |t: &str| if mode == "many-recipients" { String::new() } else { t.to_string() };
        Ok(Document {
            issuer: text("UBND HUYỆN THỬ"),
            number: text("Số: 1/BC-TEST"),
            title: text("BÁO CÁO"),
            subject: text("Thử sức chịu đựng"),
            blocks,
        })
    }
}

register_plugin!(Hostile);
