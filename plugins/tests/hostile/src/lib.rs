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
                "loop, grow, recurse, panic, big-output, log-flood, log-empty, log-forge, fail, slow, or ok"
                    .into(),
            kinds: vec![RuleKind::Composition],
            indicators: vec![],
            params: vec![ParamSpec {
                name: "mode".into(),
                description: "Cách phá hoại".into(),
                default_value: ParamValue::Text("ok".into()),
            }],
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
            "fail" => Err(PluginError::Failed("từ chối xử lý".into())),
            "slow" => {
                // A bounded spin (tens of milliseconds) that succeeds: for overlapping calls.
                let mut x = teams.len() as u64;
                for i in 0..5_000_000u64 {
                    x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
                }
                Ok(vec![Finding::warning(&teams[0], "cham", x.to_string())])
            }
            _ => Ok(teams
                .iter()
                .map(|t| Finding::warning(t, "da-kiem-tra", format!("Đã kiểm tra {}", t.name)))
                .collect()),
        }
    }
}

register_plugin!(Hostile);
