//! Browser tests: the real `sohoa demo` server, driven through headless Chromium by chromedriver
//! (Debian's `chromium` and `chromium-driver`; `.ci/run` installs them), as the officials would
//! use it: sign in, find a team failing its composition check, fix it; bind another plugin to a
//! district and see that district's findings change; at 360 px wide nothing overflows.
//!
//! Screenshots go to `target/screenshots/` (or `$SOHOA_SCREENSHOTS`, e.g. `docs/screenshots`).
//! Without chromedriver the test says so and passes, unless `SOHOA_REQUIRE_BROWSER` is set, as
//! `.ci/run` does: in CI a missing browser is a failure.

mod common;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use fantoccini::{Client, ClientBuilder, Locator};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
const PASSWORD: &str = "Demo@TaySon-2022";

struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn chromedriver() -> Option<Driver> {
    if !PathBuf::from(CHROMEDRIVER).is_file() {
        assert!(
            std::env::var_os("SOHOA_REQUIRE_BROWSER").is_none(),
            "{CHROMEDRIVER} is missing: apt-get install chromium chromium-driver"
        );
        eprintln!(
            "skipping the browser tests: {CHROMEDRIVER} is not installed (apt-get install chromium chromium-driver)"
        );
        return None;
    }
    let port = free_port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let url = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    while reqwest::get(format!("{url}/status")).await.is_err() {
        assert!(started.elapsed() < Duration::from_secs(30), "chromedriver did not answer within 30 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Some(Driver { child, url })
}

async fn browser(driver: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": CHROMIUM,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-extensions", "--no-first-run",
                     "--window-size=1280,900", "--lang=vi-VN"]
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector).capabilities(caps).connect(&driver.url).await.expect("a Chromium session")
}

fn screenshots() -> PathBuf {
    let dir = std::env::var_os("SOHOA_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    std::fs::write(screenshots().join(format!("{name}.png")), png).unwrap();
}

/// The text of the first element matching `css`, waiting for it to appear (after a click the
/// next page may still be loading).
async fn text(c: &Client, css: &str) -> String {
    c.wait()
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .unwrap()
}

async fn sign_in(c: &Client, base: &str, user: &str) {
    c.goto(&format!("{base}/login")).await.unwrap();
    c.find(Locator::Css("input[name=username]")).await.unwrap().send_keys(user).await.unwrap();
    c.find(Locator::Css("input[name=password]")).await.unwrap().send_keys(PASSWORD).await.unwrap();
    c.find(Locator::Css("form[action='/login'] button")).await.unwrap().click().await.unwrap();
    // Only the home page has this section.
    c.wait().for_element(Locator::Css("section[aria-labelledby=failing]")).await.unwrap();
    assert!(c.current_url().await.unwrap().path().starts_with("/home"), "signed in as {user}");
}

async fn sign_out(c: &Client) {
    c.find(Locator::Css("form[action='/logout'] button")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Css("form[action='/login']")).await.unwrap();
}

/// Nothing on the page is wider than the window.
async fn fits(c: &Client) -> bool {
    let v =
        c.execute("return document.documentElement.scrollWidth <= window.innerWidth;", vec![]).await.unwrap();
    v.as_bool().unwrap_or(false)
}

/// The findings shown on a team page, by code.
async fn finding_codes(c: &Client) -> Vec<String> {
    let mut codes = Vec::new();
    for f in c.find_all(Locator::Css(".finding")).await.unwrap() {
        codes.push(f.attr("data-code").await.unwrap().unwrap_or_default());
    }
    codes
}

#[tokio::test]
async fn officials_fix_a_team_and_administrators_change_the_rules() {
    let Some(driver) = chromedriver().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = sohoa(dir.path());
    cmd.args(["demo", "--listen", "127.0.0.1:0", "--shared-data"]).arg(shared_data());
    let server = start(cmd);
    let base = server.url.clone();
    let c = browser(&driver).await;

    // Signing in: Vietnamese by default, with correct diacritics.
    c.goto(&base).await.unwrap();
    c.wait().for_element(Locator::Css("form[action='/login']")).await.unwrap();
    assert_eq!(
        c.find(Locator::Css("html")).await.unwrap().attr("lang").await.unwrap().as_deref(),
        Some("vi")
    );
    assert_eq!(text(&c, "h1").await, "Đăng nhập sohoa");
    shot(&c, "01-dang-nhap").await;

    // A wrong password is refused in Vietnamese.
    c.find(Locator::Css("input[name=username]")).await.unwrap().send_keys("tayson.vhtt").await.unwrap();
    c.find(Locator::Css("input[name=password]")).await.unwrap().send_keys("sai mật khẩu").await.unwrap();
    c.find(Locator::Css("form[action='/login'] button")).await.unwrap().click().await.unwrap();
    assert!(text(&c, ".flash.error").await.contains("không đúng"));

    // The Culture and Information officer of Tây Sơn sees the teams failing their check.
    sign_in(&c, &base, "tayson.vhtt").await;
    let failing = text(&c, "section[aria-labelledby=failing]").await;
    assert!(failing.contains("Tây Giang"), "{failing}");
    shot(&c, "02-trang-chu").await;

    // Xã Tây Giang's team has no commune police officer; Plan 77 requires one.
    let mut team_link = None;
    for a in c.find_all(Locator::Css("section[aria-labelledby=failing] a")).await.unwrap() {
        if a.text().await.unwrap().ends_with("xã Tây Giang") {
            team_link = Some(a);
        }
    }
    team_link.expect("Tây Giang's commune team is listed as failing").click().await.unwrap();
    c.wait().for_element(Locator::Css(".finding")).await.unwrap();
    let team_url = c.current_url().await.unwrap();
    assert!(finding_codes(&c).await.contains(&"thieu-cong-an-xa".to_string()));
    let rule = text(&c, "section[aria-labelledby=check]").await;
    assert!(rule.contains("binh-dinh-ke-hoach-77"), "the plugin's name and version are shown: {rule}");
    shot(&c, "03-to-chua-dat").await;

    // Adding the commune police officer fixes it.
    let form = c.form(Locator::Css("#add-member")).await.unwrap();
    form.set_by_name("full_name", "Trần Văn Công").await.unwrap();
    form.set_by_name("birth_year", "1990").await.unwrap();
    form.set_by_name("affiliation", "commune_police").await.unwrap();
    form.submit().await.unwrap();
    c.wait().for_element(Locator::Css(".flash")).await.unwrap();
    assert_eq!(text(&c, ".flash").await, "Đã thêm thành viên.");
    assert!(!finding_codes(&c).await.contains(&"thieu-cong-an-xa".to_string()), "the finding is gone");
    assert!(text(&c, "table.members").await.contains("Trần Văn Công"));
    shot(&c, "04-da-bo-sung").await;

    // The quarterly report: the host's counts beside a grid of figures, laid out per Decree 30.
    c.goto(&format!("{base}/units/547")).await.unwrap();
    c.find(Locator::Css("a[href='/units/547/report?template=binh-dinh-bao-cao-quy']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Css("form[action='/units/547/report']")).await.unwrap();
    let form = c.form(Locator::Css("form[action='/units/547/report']")).await.unwrap();
    form.set_by_name("period", "2022-Q3").await.unwrap();
    form.set_by_name("issued_on", "05/10/2022").await.unwrap();
    form.set_by_name("v.21808.ho_duoc_huong_dan", "1.234").await.unwrap();
    form.set_by_name("v.21808.tk_vneid", "800").await.unwrap();
    shot(&c, "13-lap-bao-cao").await;
    form.submit().await.unwrap();
    let sheet = text(&c, "article.sheet").await;
    assert!(sheet.contains("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"), "{sheet}");
    assert!(sheet.contains("Tây Sơn, ngày 05 tháng 10 năm 2022") && sheet.contains("1.234"), "{sheet}");
    shot(&c, "14-bao-cao-html").await;

    // The tree is searchable without diacritics.
    c.goto(&format!("{base}/units?q=tay%20giang")).await.unwrap();
    let results = text(&c, "#results").await;
    assert!(results.contains("Xã Tây Giang"), "{results}");
    shot(&c, "05-tim-don-vi").await;

    // The dashboard draws its charts.
    c.goto(&format!("{base}/dashboard")).await.unwrap();
    assert!(c.find_all(Locator::Css(".chart svg rect")).await.unwrap().len() > 10);
    shot(&c, "06-so-lieu").await;

    // At 360 px wide, nothing overflows.
    c.set_window_size(360, 800).await.unwrap();
    for (path, name) in [
        ("/home", "07-dien-thoai-trang-chu"),
        (team_url.path(), "08-dien-thoai-to"),
        ("/dashboard", "09-dien-thoai-so-lieu"),
        ("/units", "10-dien-thoai-don-vi"),
    ] {
        c.goto(&format!("{base}{path}")).await.unwrap();
        assert!(fits(&c).await, "{path} overflows at 360 px");
        shot(&c, name).await;
    }
    c.set_window_size(1280, 900).await.unwrap();

    // English on request.
    c.goto(&format!("{base}/home")).await.unwrap();
    c.find(Locator::LinkText("English")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Css("html[lang=en]")).await.unwrap();
    assert!(text(&c, "h1").await.starts_with("Hello"));
    c.find(Locator::LinkText("Tiếng Việt")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Css("html[lang=vi]")).await.unwrap();
    sign_out(&c).await;

    // The Home Affairs office scores the teams of the emulation campaign.
    sign_in(&c, &base, "tayson.noivu").await;
    c.goto(&format!("{base}/units/547/commendations")).await.unwrap();
    let first = |field: &str| format!("tbody tr:first-child input[name$='.{field}']");
    for (field, value) in [
        ("ho_gia_dinh", "200"),
        ("ho_duoc_huong_dan", "130"),
        ("tk_vneid", "110"),
        ("ho_so_dvc_truc_tuyen", "44"),
        ("bao_cao_phai_nop", "4"),
        ("bao_cao_dung_han", "4"),
    ] {
        c.find(Locator::Css(&first(field))).await.unwrap().send_keys(value).await.unwrap();
    }
    // A second team that guided few households.
    for (field, value) in [("ho_gia_dinh", "300"), ("ho_duoc_huong_dan", "30")] {
        let css = format!("tbody tr:nth-child(2) input[name$='.{field}']");
        c.find(Locator::Css(&css)).await.unwrap().send_keys(value).await.unwrap();
    }
    c.find(Locator::Css("input[name=period]")).await.unwrap().send_keys("2022").await.unwrap();
    c.find(Locator::Css("form[action='/units/547/commendations'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let results = text(&c, "section[aria-labelledby=results]").await;
    assert!(results.contains("Bằng khen") && results.contains("Không đề xuất"), "{results}");
    shot(&c, "17-thi-dua").await;
    sign_out(&c).await;

    // The provincial administrator binds Tuyên Quang's rules to Tây Sơn district, and Tây Sơn's
    // teams are judged by them from then on.
    sign_in(&c, &base, "tinh.admin").await;
    c.goto(&format!("{base}/plugins")).await.unwrap();
    let form = c.form(Locator::Css("form[action='/plugins/bind']")).await.unwrap();
    form.set_by_name("unit_code", "547").await.unwrap();
    form.set_by_name("kind", "composition").await.unwrap();
    form.set_by_name("plugin", "tuyen-quang-2025@1.0.0").await.unwrap();
    form.submit().await.unwrap();
    c.wait().for_element(Locator::Css(".flash")).await.unwrap();
    assert_eq!(text(&c, ".flash").await, "Đã áp dụng quy tắc cho đơn vị.");
    assert!(text(&c, "section[aria-labelledby=bindings]").await.contains("tuyen-quang-2025"));
    shot(&c, "11-plugin").await;

    c.goto(team_url.as_str()).await.unwrap();
    let rule = text(&c, "section[aria-labelledby=check]").await;
    assert!(rule.contains("tuyen-quang-2025"), "{rule}");
    assert!(!rule.contains("binh-dinh-ke-hoach-77"), "{rule}");
    shot(&c, "12-quy-tac-moi").await;

    c.close().await.unwrap();
    drop(server);
}
