//! The one error shape, with the right status, for every kind of bad request.

use axum::body::Body;
use axum::http::{Request, header};
use serde_json::json;

use crate::harness::{each_backend, each_backend_with};

#[tokio::test]
async fn malformed_requests_get_the_error_shape() {
    each_backend(|app| async move {
        app.seed_units().await;
        let req = Request::post("/api/v1/teams")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{\"unit_code\": "))
            .unwrap();
        let r = app.request(req).await;
        assert_eq!(r.status, 400, "{}: {:?}", app.backend, r.body);
        assert_eq!(r.code(), "bad_request");
        assert!(r.body["error"]["message"].is_string());

        let req = Request::post("/api/v1/teams")
            .header(header::CONTENT_TYPE, "text/plain")
            .body(Body::from("{}"))
            .unwrap();
        let r = app.request(req).await;
        assert_eq!(r.status, 415);
        assert_eq!(r.code(), "unsupported_media_type");

        let r = app.get("/api/v1/nothing-here").await;
        assert_eq!(r.status, 404);
        assert_eq!(r.code(), "not_found");

        let r = app.send_json("DELETE", "/api/v1/teams", json!({})).await;
        r.assert_error(405, "method_not_allowed");

        let r = app.get("/api/v1/teams?unti=547").await;
        assert_eq!(r.status, 400, "a misspelt filter is refused, not ignored");
        assert!(r.body["error"]["message"].as_str().unwrap().contains("unti"));

        let r = app.get("/api/v1/teams?per_page=100000").await;
        assert_eq!(r.status, 400);
        let r = app.get("/api/v1/units?as_of=yesterday").await;
        assert_eq!(r.status, 400);
        assert!(r.body["error"]["message"].as_str().unwrap().contains("as_of"));
        let r = app.get("/api/v1/teams/abc").await;
        assert_eq!(r.status, 400);
    })
    .await;
}

#[tokio::test]
async fn oversized_bodies_get_413_and_nothing_is_written() {
    each_backend_with(vec![("server.body_limit_bytes", "2048".into())], |app| async move {
        app.seed_units().await;
        let big = "x".repeat(4096);
        let r = app
            .post(
                "/api/v1/teams",
                json!({"unit_code": "21835", "decision_number": "1", "decision_date": "2022-06-01", "decision_signer": big}),
            )
            .await;
        assert_eq!(r.status, 413, "{}: {:?}", app.backend, r.body);
        assert_eq!(r.code(), "payload_too_large");
        let r = app.post_bytes("/api/v1/teams/import", "text/csv", vec![b'a'; 4096]).await;
        assert_eq!(r.status, 413);
        assert_eq!(app.count("teams").await, 0);
    })
    .await;
}

/// Pseudo-random bytes (xorshift), the same on every run.
fn noise(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// What the framework decides before or around a handler (body limits, content types, the
/// extractors' parsing, unknown routes and methods) answers in the same shape as the handlers:
/// JSON, the right status, a code, and a message that says what to change.
#[tokio::test]
async fn framework_rejections_get_the_error_shape() {
    let limits =
        vec![("server.body_limit_bytes", "2048".into()), ("plugins.max_component_bytes", "65536".into())];
    each_backend_with(limits, |app| async move {
        app.seed_units().await;
        let big = "x".repeat(4096);
        let r = app.post("/api/v1/teams", json!({"unit_code": "21835", "decision_signer": big})).await;
        r.assert_error(413, "payload_too_large");
        assert!(r.message().contains("2 KiB (2048 bytes)"), "the limit is named: {}", r.message());
        let r = app.post_bytes("/api/v1/teams/import", "text/csv", vec![b'a'; 4096]).await;
        r.assert_error(413, "payload_too_large");
        assert!(r.message().contains("2048 bytes"), "{}", r.message());

        // Components have their own limit, larger than the general one here.
        let r = app.post_bytes("/api/v1/plugins", "application/wasm", vec![0; 65537]).await;
        r.assert_error(413, "payload_too_large");
        assert!(r.message().contains("64 KiB (65536 bytes)"), "{}", r.message());
        let r = app.post("/api/v1/plugins", json!({"plugin_id": "x"})).await;
        r.assert_error(415, "unsupported_media_type");
        assert!(r.message().contains("application/wasm"), "the expected type is named: {}", r.message());
        let r = app.post_bytes("/api/v1/plugins", "application/octet-stream", noise(32 * 1024)).await;
        r.assert_error(422, "plugin_invalid");
        assert!(r.message().contains("not a WebAssembly component"), "{}", r.message());
        assert_eq!(app.count("plugins").await, 0);

        let r = app.send_json("PUT", "/api/v1/teams/1", json!({})).await;
        r.assert_error(405, "method_not_allowed");
        assert!(r.headers.contains_key(header::ALLOW), "405 says what is allowed");
        app.get("/api/v1/no/such/route").await.assert_error(404, "not_found");
        app.get("/api/v1/teams?page=abc").await.assert_error(400, "bad_request");
        app.get("/api/v1/teams?page=0").await.assert_error(400, "bad_request");
        app.get("/api/v1/teams/abc").await.assert_error(400, "bad_request");
        app.post_bytes("/api/v1/teams", "application/json", b"{".to_vec())
            .await
            .assert_error(400, "bad_request");
        let r = app.post("/api/v1/teams", json!({"unit_code": 21835})).await;
        r.assert_error(422, "validation_failed");
        assert_eq!(r.fields(), ["unit_code"]);
        app.post_bytes("/api/v1/teams", "text/plain", b"{}".to_vec())
            .await
            .assert_error(415, "unsupported_media_type");
        let req = Request::post("/api/v1/teams").body(Body::from("{}")).unwrap();
        app.request(req).await.assert_error(415, "unsupported_media_type");
        assert_eq!(app.count("teams").await, 0);
    })
    .await;
}

#[tokio::test]
async fn health_and_openapi() {
    each_backend(|app| async move {
        // Both answer without signing in.
        let app = app.anonymous();
        let r = app.get("/health").await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body["status"], "ok");
        assert!(r.body["database"].as_str().unwrap().starts_with(app.app().backend));

        let r = app.get("/api/v1/openapi.json").await;
        assert_eq!(r.status, 200);
        assert!(r.body["openapi"].as_str().unwrap().starts_with("3."));
        let paths = r.body["paths"].as_object().unwrap();
        for p in [
            "/health",
            "/api/v1/units",
            "/api/v1/units/{code}",
            "/api/v1/units/{code}/close",
            "/api/v1/teams",
            "/api/v1/teams/{id}",
            "/api/v1/teams/import",
            "/api/v1/members",
            "/api/v1/members/{id}",
            "/api/v1/people/{id}",
        ] {
            assert!(paths.contains_key(p), "OpenAPI lacks {p}");
        }
        assert!(r.body["components"]["schemas"]["ErrorBody"].is_object());

        // The database going away turns health to 503.
        app.app().db.pool.close().await;
        let r = app.get("/health").await;
        assert_eq!(r.status, 503);
    })
    .await;
}

/// Text with control characters or direction overrides (a NUL that ends a string in other
/// tools, U+202E that shows "Tổ 1" as another name) is refused at the boundary, in JSON at
/// any depth and in form bodies with 422 naming the field, in query strings with 400; nothing
/// is written. Zero-width characters are dropped, so a name made only of them is blank.
#[tokio::test]
async fn control_and_direction_characters_are_refused_wherever_text_arrives() {
    each_backend(|app| async move {
        app.seed_units().await;
        let body = |unit: &str, name: &str| {
            json!({"unit_code": unit, "name": name, "decision_number": "125/QĐ-UBND",
                   "decision_date": "2022-06-15", "decision_signer": "Nguyễn Văn Hùng"})
        };
        for (name, code) in [("Tổ\u{0}", "U+0000"), ("Tổ \u{202E}1 thôn", "U+202E"), ("\u{2066}Tổ", "U+2066")]
        {
            let r = app.post("/api/v1/teams", body("21835", name)).await;
            assert_eq!(r.status, 422, "{}: {name:?} {:?}", app.backend, r.body);
            assert_eq!(r.fields(), vec!["name".to_string()], "{:?}", r.body);
            assert!(r.message().contains(code), "{}", r.message());
        }
        // Deep in a document, and in an object's key.
        let r = app.post("/api/v1/teams", json!({"unit_code": "21835", "x": [{"y\u{7}": 1}]})).await;
        assert_eq!((r.status.as_u16(), r.fields()), (422, vec!["x[0].y\u{7}".to_string()]), "{:?}", r.body);
        // In the query string, part of the address: a malformed request.
        let r = app.get("/api/v1/teams?unit=547&q=T%E1%BB%95%00").await;
        r.assert_error(400, "bad_request");
        assert!(
            r.message().contains("query parameter 'q'") && r.message().contains("U+0000"),
            "{}",
            r.message()
        );
        assert_eq!(app.count("teams").await, 0, "nothing was written");
        // A form body is screened under any type axum reads as a form, before any handler (a
        // page that does not exist answers 404 otherwise).
        for kind in ["application/x-www-form-urlencoded, charset=utf-8", "application/x-www-form-urlencodedX"]
        {
            let form = Request::post("/no-such-page")
                .header(header::CONTENT_TYPE, kind)
                .body(Body::from("username=vhtt%E2%80%AE&password=x"))
                .unwrap();
            assert_eq!(app.request(form).await.status, 422, "{kind}");
        }

        // Zero-width characters are dropped (a name of only them is blank, as a required field
        // of only spaces is).
        let r = app.post("/api/v1/teams", body("21835", "Tổ\u{200B} số\u{FEFF} 1")).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        assert_eq!(r.body["name"], "Tổ số 1");
        // Line breaks and tabs are text.
        let r = app.post("/api/v1/teams", body("21820", "Tổ\tsố\r\n2")).await;
        assert_eq!((r.status.as_u16(), &r.body["name"]), (201, &json!("Tổ số 2")), "{:?}", r.body);
    })
    .await;
}

/// Files do not pass the request screening, so their text is held to the same rule when read
/// (`csvfile::screen`, and each XLSX cell): a roster whose third line holds a direction
/// override is refused naming the line, and nothing of the file is written.
#[tokio::test]
async fn a_roster_row_with_a_direction_override_is_refused_with_its_row() {
    each_backend(|app| async move {
        app.seed_units().await;
        let csv = "Mã đơn vị,Số quyết định,Ngày quyết định,Người ký,Họ và tên,Giới tính,Năm sinh,Số điện thoại,\
                   Chức vụ trong tổ,Thành phần,Ngày tham gia\n\
                   21808,7/QĐ-UBND,01/07/2022,Nguyễn Văn Hùng,Lê Thị Hoa,Nữ,1995,0910000001,Thành viên,Hội Phụ nữ,02/07/2022\n\
                   21808,7/QĐ-UBND,01/07/2022,Nguyễn Văn Hùng,Trần \u{202E}Văn Ba,Nam,1990,0910000002,Thành viên,Hội Phụ nữ,02/07/2022\n";
        let r = app.post_bytes("/api/v1/teams/import", "text/csv", csv.as_bytes().to_vec()).await;
        assert_eq!(r.status, 422, "{}: {:?}", app.backend, r.body);
        r.assert_error(422, "validation_failed");
        assert_eq!(r.fields(), vec!["file".to_string()], "{:?}", r.body);
        assert!(r.message().contains("line 3") && r.message().contains("U+202E"), "{}", r.message());
        assert_eq!((app.count("teams").await, app.count("memberships").await), (0, 0));
    })
    .await;
}

/// Every answer carries the security headers (OWASP ASVS 14.4): a Content-Security-Policy
/// allowing only the app's own scripts and styles and no framing, nosniff, a same-origin
/// referrer, and `no-store` wherever the answer did not say it may be cached; answers that
/// chose their own (the public page's and static files' caching, a document's policy) keep it.
#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    each_backend(|app| async move {
        app.seed_units().await;
        let admin = app.admin().await;
        let header = |h: &axum::http::HeaderMap, name: &str| {
            h.get(name).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
        };
        let mut answers = Vec::new();
        for uri in ["/login", "/api/v1/auth/me", "/api/v1/teams/999999", "/no-such-page", "/api/v1/units/547"]
        {
            answers.push((uri, admin.get_file(uri).await.1));
        }
        let anonymous = app.anonymous().get("/api/v1/auth/me").await;
        answers.push(("/api/v1/auth/me (anonymous, 401)", anonymous.headers));
        for (uri, h) in &answers {
            let csp = header(h, "content-security-policy");
            assert!(
                csp.contains("default-src 'self'")
                    && csp.contains("frame-ancestors 'none'")
                    && !csp.contains("unsafe"),
                "{uri}: {csp}"
            );
            assert_eq!(header(h, "x-content-type-options"), "nosniff", "{uri}");
            assert_eq!(header(h, "x-frame-options"), "DENY", "{uri}");
            assert_eq!(header(h, "referrer-policy"), "same-origin", "{uri}");
            assert_eq!(header(h, "cache-control"), "no-store", "{uri}");
        }
        // A page answering a form may be shown again by the Back button, from the browser's own
        // cache only.
        let form = Request::post("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from("username=x&password=y"))
            .unwrap();
        let r = app.request(form).await;
        assert_eq!(header(&r.headers, "cache-control"), "private, no-cache");
        assert!(header(&r.headers, "content-security-policy").contains("frame-ancestors 'none'"));
        let (_, css, _) = admin.get_file("/static/app.css").await;
        assert_eq!(header(&css, "cache-control"), "public, max-age=3600");
        let (_, public, _) = app.anonymous().get_file("/public/547").await;
        assert_eq!(header(&public, "cache-control"), "public, max-age=300");
        assert!(header(&public, "content-security-policy").contains("frame-ancestors 'none'"));
    })
    .await;
}

#[tokio::test]
async fn a_record_given_as_an_array_is_refused_and_writes_nothing() {
    each_backend(|app| async move {
        app.seed_units().await;
        // serde would read these as the fields in order: a team in 21835 named "Tổ 1".
        let team = json!(["21835", "Tổ 1", "125/QĐ-UBND", "2022-06-15", "Nguyễn Văn Hùng"]);
        let r = app.post("/api/v1/teams", team.clone()).await;
        r.assert_error(422, "validation_failed");
        assert_eq!(r.fields(), ["body"], "{}: {:?}", app.backend, r.body);
        assert_eq!(app.count("teams").await, 0);
        let r = app
            .post(
                "/api/v1/teams",
                json!({"unit_code": "21835", "decision_number": "1/QĐ",
            "decision_date": "2022-06-15", "decision_signer": "A"}),
            )
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        let uri = format!("/api/v1/teams/{}", r.body["id"]);
        let r = app.patch(&uri, json!(["Tổ khác"])).await;
        assert_eq!((r.status.as_u16(), r.fields()), (422, vec!["body".to_string()]), "{:?}", r.body);
        assert_ne!(app.get(&uri).await.body["name"], "Tổ khác");
        // Any other JSON value is no record either, and said so in the same words; JSON that
        // does not parse is a 400.
        for body in ["\"Tổ 1\"", "1", "null", "true", " [ ] "] {
            let req = Request::post("/api/v1/teams")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body))
                .unwrap();
            let r = app.request(req).await;
            assert_eq!(
                (r.status.as_u16(), r.fields()),
                (422, vec!["body".to_string()]),
                "{body}: {:?}",
                r.body
            );
            assert!(!r.message().contains("struct"), "{body}: {}", r.message());
        }
        let req = Request::post("/api/v1/teams")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("["))
            .unwrap();
        app.request(req).await.assert_error(400, "bad_request");
        assert_eq!(app.count("teams").await, 1);

        // A list of records inside a body: each item is an object too.
        let users = app.count("users").await;
        let r = app
            .post(
                "/api/v1/users",
                json!({"username": "vh.array", "display_name": "A", "password": "Mật khẩu mới thật dài 2027",
                   "roles": [{"role": "viewer", "unit_code": "547"}, ["viewer", "547", null]]}),
            )
            .await;
        // The second item, counted from 0 as in JSON paths.
        assert_eq!((r.status.as_u16(), r.fields()), (422, vec!["roles[1]".to_string()]), "{:?}", r.body);
        assert!(r.message().contains("must be a JSON object"), "{:?}", r.body);
        assert_eq!(app.count("users").await, users);
        // The same roles as objects are taken: the check refuses the shape, not the content.
        let r = app
            .post(
                "/api/v1/users",
                json!({"username": "vh.array", "display_name": "A", "password": "Mật khẩu mới thật dài 2027",
                   "roles": [{"role": "viewer", "unit_code": "547"}]}),
            )
            .await;
        assert_eq!(r.status, 201, "{}: {:?}", app.backend, r.body);
    })
    .await;
}

/// A field of the wrong JSON type is a 422 naming the field in JSON's words, whatever serde
/// calls it: a rule's `kind` given as a list was a 400 "malformed JSON body ... expected
/// ident" (serde_json files an enum given no string under syntax errors), and a record given
/// as a number said "expected struct NewRole". Nothing is written.
#[tokio::test]
async fn a_field_of_the_wrong_json_type_is_named_in_jsons_words() {
    each_backend(|app| async move {
        app.seed_units().await;
        for kind in [json!(["report"]), json!(7), json!(null), json!(true)] {
            let body = json!({"kind": kind, "plugin_id": "binh-dinh-ke-hoach-77", "version": "1.0.0"});
            let r = app.post("/api/v1/units/547/plugins", body).await;
            assert_eq!((r.status.as_u16(), r.fields()), (422, vec!["kind".to_string()]), "{kind}: {:?}", r.body);
            let said = r.body["error"]["details"][0]["message"].as_str().unwrap_or_default().to_string();
            assert!(!said.contains("ident") && !said.contains("line 1"), "{kind}: {said}");
            assert!(said.contains("accepted words"), "{kind}: {said}");
        }
        assert_eq!(app.count("plugin_bindings").await, 0, "{}", app.backend);

        let users = app.count("users").await;
        let r = app
            .post(
                "/api/v1/users",
                json!({"username": "vh.so", "display_name": "A", "password": "Mật khẩu mới thật dài 2027", "roles": [5]}),
            )
            .await;
        assert_eq!(r.status, 422, "{:?}", r.body);
        assert!(!r.body.to_string().contains("struct"), "{:?}", r.body);
        assert_eq!(app.count("users").await, users);
        // JSON that does not parse is still malformed: 400.
        let req = Request::post("/api/v1/units/547/plugins")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{\"kind\": [\"report\""))
            .unwrap();
        app.request(req).await.assert_error(400, "bad_request");
    })
    .await;
}

/// serde's words do not reach clients: each field is named, its type said in JSON's words,
/// what was sent quoted short; a path or query that does not parse says the same. (helper-19
/// met "expected i64", "missing field `kind`" under "body", "Cannot parse `abc` to a `i64`".)
#[tokio::test]
async fn a_request_that_does_not_parse_is_answered_in_the_fields_words() {
    each_backend(|app| async move {
        app.seed_units().await;
        let message = |r: &crate::harness::Reply| {
            (r.fields(), r.body["error"]["details"][0]["message"].as_str().unwrap_or_default().to_string())
        };
        let fields = |f: &[&str]| f.iter().map(|s| s.to_string()).collect::<Vec<_>>();

        let r = app.post("/api/v1/members", json!({"team_id": "12", "full_name": "Lê Thị Hoa"})).await;
        assert_eq!(r.status, 422, "{}", app.backend);
        assert_eq!(
            message(&r),
            (fields(&["team_id"]), "must be a whole number (got the string \"12\")".into())
        );

        let r = app.post("/api/v1/units/547/plugins", json!({"plugin_id": "binh-dinh-ke-hoach-77"})).await;
        assert_eq!(message(&r), (fields(&["kind"]), "is required".into()), "{:?}", r.body);

        let r = app.post("/api/v1/units/547/plugins", json!({"kind": "report", "colour": "đỏ"})).await;
        assert_eq!(r.status, 422);
        let (named, said) = message(&r);
        assert_eq!(named, fields(&["colour"]));
        assert!(said.starts_with("is not a field here (the fields are kind, plugin_id"), "{said}");

        let long = "x".repeat(3000);
        let r = app.post("/api/v1/units/547/plugins", json!({"kind": long})).await;
        let (named, said) = message(&r);
        assert_eq!(named, fields(&["kind"]));
        assert!(said.starts_with("must be one of ") && said.chars().count() < 200, "{said}");

        let r = app
            .post(
                "/api/v1/users",
                json!({"username": "vh.so", "display_name": "A", "password": "Mật khẩu mới thật dài 2027",
                       "roles": [{"role": "viewer", "unit_code": "547"}, {"unit_code": "547"}]}),
            )
            .await;
        assert_eq!(message(&r), (fields(&["roles[1].role"]), "is required".into()), "{:?}", r.body);

        let r = app.get("/api/v1/teams/abc").await;
        r.assert_error(400, "bad_request");
        assert_eq!(r.message(), "invalid path: must be a whole number (got \"abc\")");
        let r = app.get("/api/v1/teams?per_page=nhiều").await;
        r.assert_error(400, "bad_request");
        assert_eq!(r.message(), "invalid query string: per_page: must be a whole number");
        // A form's empty choice of unit narrows nothing (the web list reads it so); an unknown
        // code of 3,000 characters is quoted short.
        assert_eq!(app.get("/api/v1/teams?unit=").await.status, 200);
        let r = app.get(&format!("/api/v1/teams?unit={}", "9".repeat(3000))).await;
        r.assert_error(404, "not_found");
        assert!(r.message().chars().count() < 100, "{}", r.message());
        assert_eq!(app.count("plugin_bindings").await + app.count("memberships").await, 0);
    })
    .await;
}

/// What helper-20 sent after the first fix: malformed JSON after a wrong field is still
/// malformed (400), a key holding a space or of thousands of characters is named (cut), a
/// role's checks name `roles[i]`, and no answer echoes thousands of characters of input.
#[tokio::test]
async fn malformed_or_huge_input_is_answered_short_and_in_the_right_words() {
    each_backend(|app| async move {
        app.seed_units().await;
        let raw = |body: &'static [u8]| {
            Request::post("/api/v1/users")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body))
                .unwrap()
        };
        // A wrong field before trailing garbage, invalid UTF-8, a broken escape, an array
        // with garbage after it: malformed JSON, 400.
        for body in [
            &b"{\"username\":5} garbage"[..],
            b"{\"username\":\"ab\xff\xfecd\"}",
            b"{\"username\":\"\\ud800\"}",
            b"[1,2] x",
        ] {
            let r = app.request(raw(body)).await;
            assert_eq!(r.status, 400, "{}: {:?}: {:?}", app.backend, String::from_utf8_lossy(body), r.body);
        }
        let long_key = "k".repeat(3000);
        let mut body = serde_json::Map::new();
        body.insert(long_key.clone(), json!(1));
        let r = app.post("/api/v1/users", serde_json::Value::Object(body)).await;
        assert_eq!(r.status, 422);
        assert!(r.body.to_string().len() < 1000, "{}", r.body.to_string().len());
        let r = app
            .post(
                "/api/v1/users",
                json!({"username": "vh.so", "display_name": "A", "password": "Mật khẩu mới thật dài 2027",
                       "roles": [{"role": "viewer", "unit_code": "547"}, {"role": "viewer", "unit_code": "547", "my field": 1}]}),
            )
            .await;
        let field = r.fields();
        assert_eq!(field, ["roles[1].my field"], "{:?}", r.body);
        let bogus = "x".repeat(3000);
        let r = app
            .post(
                "/api/v1/users",
                json!({"username": "vh.so", "display_name": "A", "password": "Mật khẩu mới thật dài 2027",
                       "roles": [{"role": "viewer", "unit_code": "547"}, {"role": bogus, "unit_code": "547"}]}),
            )
            .await;
        assert_eq!(r.fields(), ["roles[1].role"], "{:?}", r.body);
        assert!(r.body.to_string().len() < 1000, "{}", r.body.to_string().len());
        let r = app
            .post(
                "/api/v1/users",
                json!({"username": "vh.so", "display_name": "A", "password": "Mật khẩu mới thật dài 2027",
                       "roles": [{"role": "viewer"}]}),
            )
            .await;
        assert_eq!(r.fields(), ["roles[0].unit_code"], "{:?}", r.body);
        assert_eq!(r.body["error"]["details"][0]["message"], "is required");
        // Checks after parsing quote short too; a query parameter's name with a space is named.
        let r = app.get(&format!("/api/v1/teams?status={}", "z".repeat(3000))).await;
        assert!(r.body.to_string().len() < 1200, "{}", r.body.to_string().len());
        let r = app.get("/api/v1/teams?my%20param=1").await;
        assert!(r.message().starts_with("invalid query string: my param: is not a field here"), "{}", r.message());
        let r = app.get("/api/v1/teams/99999999999999999999").await;
        assert_eq!(r.message(), "invalid path: 99999999999999999999 is out of range");
        let r = app.admin().await.delete("/api/v1/users/1/roles/xyz").await;
        assert_eq!(r.message(), "invalid path: part 2 must be a whole number (got \"xyz\")");
        // A missing password is required, not short; a rule switched off takes no parameters.
        let r = app
            .post(
                "/api/v1/users",
                json!({"username": "vh.so", "display_name": "A", "roles": [{"role": "viewer", "unit_code": "547"}]}),
            )
            .await;
        assert_eq!((r.fields(), r.body["error"]["details"][0]["message"].as_str()), (vec!["password".to_string()], Some("is required")));
        let r = app.post("/api/v1/units/547/plugins", json!({"kind": "composition", "params": {"a": [1, 2]}})).await;
        assert_eq!((r.status.as_u16(), r.fields()), (422, vec!["params".to_string()]), "{:?}", r.body);
        assert_eq!(app.count("plugin_bindings").await, 0);
        assert_eq!(app.count("users").await, 1, "{}", app.backend);
    })
    .await;
}
