//! End-to-end: start the real `sohoa` binary as a user would and talk to it over HTTP.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Instant;

mod common;

use common::*;

#[tokio::test]
async fn demo_serves_tay_son_teams() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = sohoa(dir.path());
    cmd.args(["demo", "--listen", "127.0.0.1:0", "--shared-data"]).arg(shared_data());
    let started = Instant::now();
    let server = start(cmd);
    assert!(server.url.starts_with("http://127.0.0.1:"), "{}", server.url);
    eprintln!("demo up in {:?}", started.elapsed());

    let client = reqwest::Client::new();
    let health: serde_json::Value =
        client.get(format!("{}/health", server.url)).send().await.unwrap().json().await.unwrap();
    assert_eq!(health["status"], "ok");

    let url = format!("{}/api/v1/teams?unit=547&per_page=500", server.url);
    let anonymous = client.get(&url).send().await.unwrap();
    assert_eq!(anonymous.status(), 401, "data needs signing in");

    // Sign in as the district's Culture and Information office with the demo password.
    let signed_in = client
        .post(format!("{}/api/v1/auth/login", server.url))
        .json(&serde_json::json!({"username": "tayson.vhtt", "password": "Demo@TaySon-2022"}))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 200);
    let set_cookie = signed_in.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    let cookie = set_cookie.split(';').next().unwrap().to_string();

    let teams: serde_json::Value =
        client.get(&url).header("cookie", &cookie).send().await.unwrap().json().await.unwrap();
    let items = teams["items"].as_array().unwrap();
    assert_eq!(teams["total"].as_i64().unwrap(), items.len() as i64);
    // One team per commune and one per village of Tây Sơn's 15 communes.
    let communes = items.iter().filter(|t| t["kind"] == "commune").count();
    assert_eq!(communes, 15);
    assert!(items.len() > 15 + 15 * 3, "village teams too: {}", items.len());
    assert!(
        items.iter().all(|t| t["unit_code"].as_str().unwrap().starts_with("218")),
        "only Tây Sơn's units"
    );
    assert!(items.iter().all(|t| t["member_count"].as_i64().unwrap() >= 2));

    let other = client.get(format!("{}/api/v1/teams?unit=540", server.url)).header("cookie", &cookie);
    let other: serde_json::Value = other.send().await.unwrap().json().await.unwrap();
    assert_eq!(other["total"], 0, "Quy Nhơn is outside Tây Sơn's scope (and has no demo teams)");

    // The same team data under two provinces' rules, through the API.
    let mut verdicts = Vec::new();
    for (user, unit) in [("tinh.admin", "21817"), ("danang.admin", "20293")] {
        let cookie = login(&client, &server.url, user).await;
        let listed = json(
            client.get(format!("{}/api/v1/teams?unit={unit}&sort=unit&per_page=50", server.url)),
            &cookie,
        )
        .await;
        let team = listed["items"].as_array().unwrap().last().unwrap()["id"].as_i64().unwrap();
        let detail = json(client.get(format!("{}/api/v1/teams/{team}", server.url)), &cookie).await;
        let shape: Vec<(String, String, i64)> = detail["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (m["position"].to_string(), m["affiliation"].to_string(), m["birth_year"].as_i64().unwrap())
            })
            .collect();
        let check = json(client.post(format!("{}/api/v1/teams/{team}/check", server.url)), &cookie).await;
        let codes: Vec<String> = check["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap().to_string())
            .collect();
        verdicts.push((shape, check["plugin"]["plugin_id"].as_str().unwrap().to_string(), codes));
    }
    let mut binh_dinh_shape = verdicts[0].0.clone();
    let mut da_nang_shape = verdicts[1].0.clone();
    binh_dinh_shape.sort();
    da_nang_shape.sort();
    assert_eq!(binh_dinh_shape, da_nang_shape, "the same positions, affiliations and ages");
    assert_eq!(verdicts[0].1, "binh-dinh-ke-hoach-77");
    assert!(verdicts[0].2.is_empty(), "complete under Plan 77: {:?}", verdicts[0].2);
    assert_eq!(verdicts[1].1, "da-nang-2025");
    assert_eq!(verdicts[1].2, ["thieu-thanh-vien", "thieu-cong-an-khu-vuc"], "Đà Nẵng asks for more");

    // The demo's reporting: Tây Sơn's 2022-Q3 report was compiled from 14 of 15 communes, and
    // its totals are the sums of the accepted communes' figures.
    let report = format!("{}/api/v1/units/547/compiled/binh-dinh-bao-cao-quy/2022-Q3", server.url);
    let report = json(client.get(&report), &cookie).await;
    assert_eq!(report["status"], "sent", "{report}");
    let c = &report["completeness"];
    assert_eq!((c["received"].as_u64(), c["expected"].as_u64()), (Some(14), Some(15)), "{c}");
    assert_eq!((c["late"].as_u64(), c["missing"].as_u64()), (Some(2), Some(1)));
    let mut sums = std::collections::BTreeMap::<String, f64>::new();
    for unit in report["units"].as_array().unwrap().iter().filter(|u| u["status"] == "accepted") {
        let code = unit["unit_code"].as_str().unwrap();
        let url = format!("{}/api/v1/units/{code}/submissions/binh-dinh-bao-cao-quy/2022-Q3", server.url);
        let submission = json(client.get(&url), &cookie).await;
        for (indicator, value) in submission["figures"].as_object().unwrap() {
            *sums.entry(indicator.clone()).or_default() += value.as_f64().unwrap();
        }
    }
    let totals: std::collections::BTreeMap<String, f64> =
        serde_json::from_value(report["totals"].clone()).unwrap();
    assert_eq!(totals, sums, "the district's totals are the communes' accepted figures added up");
    assert!(totals["ho_duoc_huong_dan"] > 0.0);
    let timeline: Vec<&str> =
        report["timeline"].as_array().unwrap().iter().map(|s| s["action"].as_str().unwrap()).collect();
    assert_eq!(timeline, ["compile", "approve", "send"]);

    the_other_offices_duties(&client, &server.url).await;

    // Signing out ends the session.
    let out = client
        .post(format!("{}/api/v1/auth/logout", server.url))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    let after = client.get(&url).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(after.status(), 401);
}

#[test]
fn units_import_twice_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("units.csv");
    std::fs::write(&csv, "code,name,type,parent_code\n52,Tỉnh Bình Định,Tỉnh,\n547,Huyện Tây Sơn,Huyện,52\n")
        .unwrap();
    let run = || sohoa(dir.path()).args(["units", "import"]).arg(&csv).output().unwrap();
    let first = run();
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    assert!(String::from_utf8_lossy(&first.stdout).contains("2 created"));
    let second = run();
    assert!(String::from_utf8_lossy(&second.stdout).contains("0 created, 2 unchanged"));
}

#[test]
fn roster_errors_name_rows_and_fail_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let units = dir.path().join("units.csv");
    std::fs::write(&units, "code,name,type,parent_code\n52,Tỉnh Bình Định,Tỉnh,\n547,Huyện Tây Sơn,Huyện,52\n21835,Xã Bình Tường,Xã,547\n").unwrap();
    assert!(sohoa(dir.path()).args(["units", "import"]).arg(&units).status().unwrap().success());
    let roster = dir.path().join("to.csv");
    std::fs::write(
        &roster,
        "Mã đơn vị,Số quyết định,Ngày quyết định,Người ký,Họ và tên,Giới tính,Năm sinh,Chức vụ trong tổ,Thành phần,Ngày tham gia\n\
         21835,12/QĐ-UBND,15/06/2022,Nguyễn Văn Hùng,Nguyễn Văn Hùng,Nam,1975,Tổ trưởng,Lãnh đạo UBND xã,15/06/2022\n\
         21835,12/QĐ-UBND,15/06/2022,Nguyễn Văn Hùng,Trần Thị Lan,Nữ,1997,Phó,Đoàn Thanh niên,32/06/2022\n",
    )
    .unwrap();
    let out = sohoa(dir.path()).args(["teams", "import"]).arg(&roster).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("row 3, joined_on"), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("nothing written"));

    let out = sohoa(dir.path()).args(["teams", "import", "--skip-invalid"]).arg(&roster).output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("members 1 new"));
}

/// Issue 10, fault 11: after `sohoa demo`, the documented commands with the same --data-dir
/// open the demo's database (and say so), and the demo never erases a database it did not make.
#[test]
fn the_demo_and_the_other_commands_share_one_database_per_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let demo =
        sohoa(dir.path()).args(["demo", "--no-serve", "--shared-data"]).arg(shared_data()).output().unwrap();
    assert!(demo.status.success(), "{}", String::from_utf8_lossy(&demo.stderr));
    let db = dir.path().join("sohoa.db");
    assert!(db.is_file(), "the demo writes <data-dir>/sohoa.db");
    assert!(!dir.path().join("demo.db").exists());

    // A roster for a Tây Sơn commune lands next to the demo's teams (a one-member team breaks
    // the province's Plan 77, so it needs a reason, as any write that breaks the rule does).
    let roster = dir.path().join("to.csv");
    std::fs::write(
        &roster,
        "Mã đơn vị,Tên tổ,Số quyết định,Ngày quyết định,Người ký,Họ và tên,Giới tính,Năm sinh,Chức vụ trong tổ,Thành phần,Ngày tham gia\n\
         21835,Tổ thử nghiệm,12/QĐ-UBND,15/06/2022,Nguyễn Văn Hùng,Nguyễn Văn Hùng,Nam,1975,Tổ trưởng,Lãnh đạo UBND xã,15/06/2022\n",
    )
    .unwrap();
    let out = sohoa(dir.path())
        .args(["teams", "import", "--override-reason", "tổ thử nghiệm"])
        .arg(&roster)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "unit 21835 is the demo's: {stderr}");
    assert!(
        stderr.contains(&format!("database: sqlite://{}", db.display())) && stderr.contains("(demo data)"),
        "{stderr}"
    );
    assert!(!dir.path().join("demo.db").exists());

    // The demo may recreate its own database...
    let again =
        sohoa(dir.path()).args(["demo", "--no-serve", "--shared-data"]).arg(shared_data()).output().unwrap();
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));

    // ...but not one holding an office's own data.
    let own = tempfile::tempdir().unwrap();
    let units = own.path().join("units.csv");
    std::fs::write(&units, "code,name,type,parent_code\n52,Tỉnh Bình Định,Tỉnh,\n").unwrap();
    assert!(sohoa(own.path()).args(["units", "import"]).arg(&units).status().unwrap().success());
    assert!(create_admin(own.path(), "Sở TT&TT Bình Định 2026!").status.success());
    let refused =
        sohoa(own.path()).args(["demo", "--no-serve", "--shared-data"]).arg(shared_data()).output().unwrap();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("would erase it"), "{stderr}");
    let out = sohoa(own.path()).args(["units", "import"]).arg(&units).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 unchanged"), "the office's data is still there");
}

#[test]
fn unknown_configuration_keys_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let out = sohoa(dir.path()).env("SOHOA__DATABASE__URLL", "x").arg("migrate").output().unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("urll"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let config = dir.path().join("bad.toml");
    std::fs::write(&config, "[server]\nlisten = \"127.0.0.1:0\"\nport = 80\n").unwrap();
    let out = sohoa(dir.path()).arg("--config").arg(&config).arg("migrate").output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("port") && stderr.contains("bad.toml"), "{stderr}");
}

/// `sohoa user create` of `admin`, province_admin of 52, with `password` on standard input.
fn create_admin(data_dir: &std::path::Path, password: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = sohoa(data_dir)
        .args(["user", "create", "--role", "province_admin", "--unit", "52", "--password-stdin", "admin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn user_create_from_the_command_line_checks_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let units = dir.path().join("units.csv");
    std::fs::write(&units, "code,name,type,parent_code\n52,Tỉnh Bình Định,Tỉnh,\n").unwrap();
    assert!(sohoa(dir.path()).args(["units", "import"]).arg(&units).status().unwrap().success());
    let create = |password: &str| create_admin(dir.path(), password);
    let weak = create("123456");
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("password: must be at least 10 characters"));
    let ok = create("Sở TT&TT Bình Định 2026!");
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("created user admin"));
    let again = create("Sở TT&TT Bình Định 2026!");
    assert!(String::from_utf8_lossy(&again.stderr).contains("taken"));
}

/// Sends a request with the session cookie and reads the JSON answer.
/// The demo's 2022 campaign ranks Tây Sơn's teams from the stored quarterly reports, its
/// approved awards are on the teams, the nominations and guidance are there, and no public page
/// shows personal data of any kind.
async fn the_other_offices_duties(client: &reqwest::Client, url: &str) {
    let admin = login(client, url, "tinh.admin").await;
    let campaigns = json(client.get(format!("{url}/api/v1/units/547/campaigns")), &admin).await;
    let campaign = &campaigns[0];
    assert_eq!(campaign["status"], "closed", "{campaign}");
    let results = campaign["evaluation"]["results"].as_array().unwrap();
    let teams: Vec<&serde_json::Value> = results.iter().filter(|r| r["kind"] == "team").collect();
    assert!(teams.len() > 15, "every active team of Tây Sơn is a candidate: {}", teams.len());
    let scores: Vec<f64> = teams.iter().map(|r| r["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "ranked best first: {scores:?}");
    assert!(scores[0] > scores[scores.len() - 1], "the scores differ: {scores:?}");
    // A commune team's figures are its commune's accepted Q3 and Q4 figures added up.
    let top = teams[0];
    let code = top["unit_code"].as_str().unwrap();
    let mut guided = 0.0;
    for q in ["2022-Q3", "2022-Q4"] {
        let s = json(
            client.get(format!("{url}/api/v1/units/{code}/submissions/binh-dinh-bao-cao-quy/{q}")),
            &admin,
        )
        .await;
        if s["status"] == "accepted" {
            guided += s["figures"]["ho_duoc_huong_dan"].as_f64().unwrap();
        }
    }
    assert_eq!(top["figures"]["ho_duoc_huong_dan"].as_f64(), Some(guided), "{top}");
    assert_eq!(top["figures"]["bao_cao_phai_nop"].as_f64(), Some(4.0), "four quarters of 2022 were due");
    let lines = campaign["proposal"]["lines"].as_array().unwrap();
    let approved: Vec<&serde_json::Value> = lines.iter().filter(|l| l["outcome"] == "approved").collect();
    assert!(!approved.is_empty() && lines.iter().any(|l| l["outcome"] == "rejected"), "{lines:?}");
    let awarded = approved[0]["subject_id"].as_i64().unwrap();
    let team = json(client.get(format!("{url}/api/v1/teams/{awarded}")), &admin).await;
    assert_eq!(team["commendations"][0]["decision_number"], "125/QĐ-UBND", "{}", team["commendations"]);

    let nominations = json(client.get(format!("{url}/api/v1/units/547/nominations")), &admin).await;
    let outcomes: Vec<&str> =
        nominations.as_array().unwrap().iter().map(|n| n["status"].as_str().unwrap()).collect();
    assert_eq!(outcomes.len(), 2);
    assert!(outcomes.contains(&"accepted") && outcomes.contains(&"declined"), "{outcomes:?}");
    let officer = login(client, url, "binhtuong.xa").await;
    let guidance = json(client.get(format!("{url}/api/v1/guidance")), &officer).await;
    assert!(guidance.as_array().unwrap().len() >= 3, "{guidance}");

    // Every public page: no phone, email, year of birth or name of a member not awarded.
    let mut members = Vec::new();
    for (unit, who) in [("52", &admin), ("48", &login(client, url, "danang.admin").await)] {
        for page in 1.. {
            let uri = format!("{url}/api/v1/members?unit={unit}&per_page=500&page={page}&include_left=true");
            let listed = json(client.get(uri), who).await;
            let items = listed["items"].as_array().unwrap().clone();
            if items.is_empty() {
                break;
            }
            members.extend(items);
        }
    }
    assert!(members.len() > 100, "the demo's members: {}", members.len());
    let awarded_names: Vec<String> =
        approved.iter().map(|l| l["name"].as_str().unwrap().to_string()).collect();
    let mut pages = vec!["52".to_string(), "547".to_string(), "48".to_string()];
    let communes = json(client.get(format!("{url}/api/v1/units?parent=547&per_page=100")), &admin).await;
    pages.extend(
        communes["items"].as_array().unwrap().iter().map(|u| u["code"].as_str().unwrap().to_string()),
    );
    let anonymous = reqwest::Client::new();
    let mut checked = 0;
    for code in &pages {
        let page = anonymous.get(format!("{url}/public/{code}")).send().await.unwrap();
        assert_eq!(page.status(), 200, "/public/{code}");
        assert!(page.headers()["cache-control"].to_str().unwrap().starts_with("public"));
        assert!(page.headers().get("set-cookie").is_none(), "no cookie on a public page");
        let html = page.text().await.unwrap();
        assert!(html.len() < 60_000, "/public/{code} is light: {} bytes", html.len());
        for m in &members {
            for field in ["phone", "email"] {
                if let Some(v) = m[field].as_str() {
                    assert!(!html.contains(v), "/public/{code} shows a {field}: {v}");
                }
            }
            let year = m["birth_year"].as_i64().unwrap().to_string();
            let shown = html.match_indices(&year).any(|(i, _)| {
                let before = html[..i].chars().last().unwrap_or(' ');
                let after = html[i + year.len()..].chars().next().unwrap_or(' ');
                !before.is_ascii_digit() && before != '.' && !after.is_ascii_digit()
            });
            assert!(!shown || year.as_str() >= "2022", "/public/{code} shows a year of birth: {year}");
            let name = m["full_name"].as_str().unwrap();
            if !awarded_names.iter().any(|a| a == name) {
                assert!(!html.contains(name), "/public/{code} names a member: {name}");
            }
        }
        checked += 1;
    }
    assert!(checked >= 18);
    let district = anonymous.get(format!("{url}/public/547")).send().await.unwrap().text().await.unwrap();
    assert!(
        district.contains("125&#x2f;QĐ-UBND") && district.contains(&awarded_names[0]),
        "awards are published"
    );
    // The key figures of the latest quarter with accepted reports (2022-Q4 in the demo).
    assert!(
        district.contains("quý IV năm 2022") && district.contains("Hộ gia đình được hướng dẫn"),
        "{district}"
    );
}

async fn json(request: reqwest::RequestBuilder, cookie: &str) -> serde_json::Value {
    request.header("cookie", cookie).send().await.unwrap().json().await.unwrap()
}

async fn login(client: &reqwest::Client, url: &str, username: &str) -> String {
    let r = client
        .post(format!("{url}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": username, "password": "Demo@TaySon-2022"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string()
}

/// The promise: a plugin made from the template, installed on a running host and bound
/// to Tây Sơn, changes Tây Sơn's findings at once and no other district's.
#[tokio::test]
async fn a_template_plugin_bound_to_tay_son_changes_its_findings_only() {
    let dir = tempfile::tempdir().unwrap();
    let crate_dir = dir.path().join("mau-thu");
    let new = sohoa(dir.path()).args(["plugin", "new", "mau-thu", "--dir"]).arg(&crate_dir).output().unwrap();
    assert!(new.status.success(), "{}", String::from_utf8_lossy(&new.stderr));
    let target = repo().join("target").join("wasm");
    let built = sohoa(dir.path())
        .args(["plugin", "build"])
        .arg(&crate_dir)
        .arg("--target-dir")
        .arg(&target)
        .output()
        .unwrap();
    assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
    let component = PathBuf::from(String::from_utf8_lossy(&built.stdout).trim().to_string());
    let tested = sohoa(dir.path())
        .args(["plugin", "test"])
        .arg(&crate_dir)
        .arg("--component")
        .arg(&component)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&tested.stdout);
    assert!(tested.status.success() && report.contains("3 passed, 0 failed"), "{report}");

    let mut cmd = sohoa(&dir.path().join("data"));
    cmd.args(["demo", "--listen", "127.0.0.1:0", "--shared-data"]).arg(shared_data());
    let server = start(cmd);
    let client = reqwest::Client::new();
    let admin = login(&client, &server.url, "tinh.admin").await;
    let get = |path: String, cookie: &str| {
        client.get(format!("{}{path}", server.url)).header("cookie", cookie.to_string()).send()
    };
    let post = |path: String, cookie: &str, body: serde_json::Value| {
        client.post(format!("{}{path}", server.url)).header("cookie", cookie.to_string()).json(&body).send()
    };

    // A Tây Sơn team (Tây Giang) and a new team in Quy Nhơn, another district.
    let teams: serde_json::Value =
        get("/api/v1/teams?unit=21820&sort=unit".into(), &admin).await.unwrap().json().await.unwrap();
    let tay_giang = teams["items"][0]["id"].as_i64().unwrap();
    let quy_nhon: serde_json::Value = post(
        "/api/v1/teams".into(),
        &admin,
        serde_json::json!({"unit_code": "21550", "decision_number": "3/QĐ-UBND", "decision_date": "2022-06-20", "decision_signer": "Chủ tịch UBND phường"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let quy_nhon = quy_nhon["id"].as_i64().unwrap();
    let check = |team: i64| post(format!("/api/v1/teams/{team}/check"), &admin, serde_json::json!({}));
    let before: serde_json::Value = check(tay_giang).await.unwrap().json().await.unwrap();
    assert_eq!(before["plugin"]["plugin_id"], "binh-dinh-ke-hoach-77", "{before}");
    assert_eq!(before["findings"][0]["code"], "thieu-cong-an-xa");

    let bytes = std::fs::read(&component).unwrap();
    let installed = client
        .post(format!("{}/api/v1/plugins", server.url))
        .header("cookie", &admin)
        .header("content-type", "application/wasm")
        .body(bytes)
        .send()
        .await
        .unwrap();
    assert_eq!(installed.status(), 201, "{}", installed.text().await.unwrap());
    let bound = post(
        "/api/v1/units/547/plugins".into(),
        &admin,
        serde_json::json!({"kind": "composition", "plugin_id": "mau-thu", "version": "0.1.0", "params": {"min_members": 8}}),
    )
    .await
    .unwrap();
    assert_eq!(bound.status(), 201, "{}", bound.text().await.unwrap());

    let after: serde_json::Value = check(tay_giang).await.unwrap().json().await.unwrap();
    assert_eq!(after["plugin"]["plugin_id"], "mau-thu", "at once, no restart: {after}");
    assert_eq!(after["plugin"]["bound_at"], "547");
    let codes: Vec<&str> =
        after["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["thieu-thanh-vien"], "the template's rule with min_members = 8");
    let other: serde_json::Value = check(quy_nhon).await.unwrap().json().await.unwrap();
    assert_eq!(other["plugin"]["plugin_id"], "binh-dinh-ke-hoach-77", "Quy Nhơn keeps the province's rule");
}

#[test]
fn the_report_template_builds_and_passes_its_fixtures() {
    let dir = tempfile::tempdir().unwrap();
    let crate_dir = dir.path().join("bao-cao-mau");
    let new = sohoa(dir.path())
        .args(["plugin", "new", "bao-cao-mau", "--kind", "report", "--dir"])
        .arg(&crate_dir)
        .output()
        .unwrap();
    assert!(new.status.success(), "{}", String::from_utf8_lossy(&new.stderr));
    assert!(crate_dir.join("fixtures/report.toml").is_file());
    let tested = sohoa(dir.path())
        .args(["plugin", "test"])
        .arg(&crate_dir)
        .arg("--target-dir")
        .arg(repo().join("target").join("wasm"))
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&tested.stdout);
    assert!(
        tested.status.success() && report.contains("3 passed, 0 failed"),
        "{report}{}",
        String::from_utf8_lossy(&tested.stderr)
    );
    // Commendation criteria have no template yet, and say where to start instead.
    let refused =
        sohoa(dir.path()).args(["plugin", "new", "thi-dua", "--kind", "commendation"]).output().unwrap();
    assert!(!refused.status.success());
}
