//! Bulk unit imports: the national registry and the 2025 reform of Bình Định.

use std::path::PathBuf;

use serde_json::json;
use sohoa::audit::Actor;
use sohoa::units::{self, UnitSource};

use crate::harness::each_backend;
use crate::teams::team;

fn shared(file: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data").join(file);
    assert!(
        path.is_file(),
        "{} is missing: the tests read the shared reference data beside the repository",
        path.display()
    );
    path
}

#[tokio::test]
async fn national_import_loads_every_commune_and_is_idempotent() {
    let source = UnitSource::read(&shared("vn-admin-units-2022-04.json")).unwrap();
    assert_eq!(source.units.len(), 63 + 705 + 10_599);
    each_backend(move |app| {
        let units = source.units.clone();
        async move {
            let mut tx = app.db.begin_write().await.unwrap();
            let first =
                units::import_units(&mut tx, &Actor::system("test"), &units, None, &|_, _| {}).await.unwrap();
            tx.commit().await.unwrap();
            assert_eq!(first.created, 11_367, "{}", app.backend);

            let r = app.get("/api/v1/units?level=commune&per_page=1").await;
            assert_eq!(r.body["total"], 10_599);
            let r = app.get("/api/v1/units?level=province&per_page=1").await;
            assert_eq!(r.body["total"], 63);
            let r = app.get("/api/v1/units?unit=547&level=commune").await;
            assert_eq!(r.body["total"], 15, "Tây Sơn has 15 communes");
            let r = app.get("/api/v1/units/01").await;
            assert_eq!(r.body["name"], "Thành phố Hà Nội");
            assert_eq!(r.body["level"], "province");

            let mut tx = app.db.begin_write().await.unwrap();
            let second =
                units::import_units(&mut tx, &Actor::system("test"), &units, None, &|_, _| {}).await.unwrap();
            tx.commit().await.unwrap();
            assert_eq!(second.created, 0);
            assert_eq!(second.unchanged, 11_367);
            assert!(second.differing.is_empty());
            assert_eq!(app.count("unit_versions").await, 11_367, "importing twice changes nothing");
        }
    })
    .await;
}

#[tokio::test]
async fn a_bad_csv_row_stops_the_whole_import() {
    each_backend(|app| async move {
        let csv = "code,name,type,parent_code\n52,Tỉnh Bình Định,Tỉnh,\n547,Huyện Tây Sơn,Huyện,52\n\n21808,Thị trấn Phú Phong,Thị trấn,999\n";
        let source = UnitSource::from_csv(csv.as_bytes()).unwrap();
        let mut tx = app.db.begin_write().await.unwrap();
        let err = units::import_units(&mut tx, &Actor::system("test"), &source.units, None, &|_, _| {}).await.unwrap_err();
        drop(tx);
        let sohoa::error::Error::Validation(problems) = err else { panic!("expected a validation error") };
        assert_eq!(problems.len(), 1, "{}", app.backend);
        assert_eq!(problems[0].row, Some(5), "the line number, counting the blank line");
        assert_eq!(problems[0].field, "parent_code");
        assert_eq!(app.count("units").await, 0);

        let unknown_type = UnitSource::from_csv(b"code,name,type,parent_code\n1,X,Bang,\n").unwrap_err();
        assert!(unknown_type.to_string().contains("level"));
    })
    .await;
}

#[tokio::test]
async fn reform_2025_closes_districts_merges_communes_and_keeps_history() {
    let source = UnitSource::read(&shared("binh-dinh-2022-with-2025-mapping.json")).unwrap();
    assert_eq!(source.units.len(), 1 + 11 + 159);
    each_backend(move |app| {
        let units = source.units.clone();
        let mapping = source.reform_2025.clone().unwrap();
        async move {
            let mut tx = app.db.begin_write().await.unwrap();
            units::import_units(&mut tx, &Actor::system("test"), &units, None, &|_, _| {}).await.unwrap();
            tx.commit().await.unwrap();
            // Data recorded before the reform: a team in Bình Tường and one in a village of it.
            app.post("/api/v1/units", json!({"code": "21835-01", "name": "Thôn Phú Thịnh", "unit_type": "Thôn", "parent_code": "21835"}))
                .await;
            let commune_team = team(&app, "21835", "2022-06-15").await;
            team(&app, "21835-01", "2022-07-01").await;

            let mut tx = app.db.begin_write().await.unwrap();
            let r = units::apply_2025_reform(&mut tx, &Actor::system("test"), "52", &mapping).await.unwrap();
            tx.commit().await.unwrap();
            assert!(!r.already_applied, "{}", app.backend);
            assert_eq!(r.districts_closed, 11);
            assert_eq!(r.communes_created, 58);
            assert_eq!(r.communes_merged + r.communes_split + r.communes_kept.len(), 159);
            assert_eq!(r.villages_moved, 1);

            let before = app.get("/api/v1/units?parent=52&as_of=2025-06-30").await;
            assert_eq!(before.body["total"], 11, "eleven districts until 30/06/2025");
            let tay_son = app.get("/api/v1/units?parent=547&as_of=30/06/2025").await;
            assert_eq!(tay_son.body["total"], 15);
            let after = app.get("/api/v1/units?parent=52&as_of=2025-07-01&level=district").await;
            assert_eq!(after.body["total"], 0, "no districts from 01/07/2025");
            let communes = app.get("/api/v1/units?parent=52&as_of=2025-07-01").await;
            assert_eq!(communes.body["total"], 58 + r.communes_kept.len() as i64);

            let binh_tuong = app.get("/api/v1/units/21835").await;
            assert_eq!(binh_tuong.body["in_effect"], false);
            assert_eq!(binh_tuong.body["valid_to"], "2025-07-01");
            assert_eq!(binh_tuong.body["successors"][0]["name"], "Xã Bình Phú");
            assert_eq!(binh_tuong.body["path"][1]["code"], "547", "its path as it was");
            let binh_phu_code = binh_tuong.body["successors"][0]["code"].as_str().unwrap().to_string();
            let binh_phu = app.get(&format!("/api/v1/units/{binh_phu_code}")).await;
            let preds: Vec<&str> =
                binh_phu.body["predecessors"].as_array().unwrap().iter().map(|p| p["code"].as_str().unwrap()).collect();
            assert_eq!(preds, ["21835", "21841", "21850"], "Bình Tường, Vĩnh An and Tây Phú became Bình Phú");
            let village = app.get("/api/v1/units/21835-01").await;
            assert_eq!(village.body["parent_code"], binh_phu_code, "the village moved to the new commune");

            // The commune's team went on serving Bình Phú from 01/07/2025; history intact:
            // the 2024 tree still finds both teams under Bình Tường and Tây Sơn.
            let t = app.get(&format!("/api/v1/teams/{}", commune_team["id"])).await;
            assert_eq!(t.body["unit_code"], binh_phu_code, "{}", app.backend);
            let r = app.get("/api/v1/teams?unit=547&as_of=2024-01-01").await;
            assert_eq!(r.body["total"], 2);
            let r = app.get("/api/v1/teams?unit=21835&as_of=2025-06-30").await;
            assert_eq!(r.body["total"], 2, "both served Bình Tường until the reform");
            let r = app.get(&format!("/api/v1/teams?unit={binh_phu_code}")).await;
            assert_eq!(r.body["total"], 2, "today both teams serve Bình Phú: {:?}", r.body);
            let r = app.get(&format!("/api/v1/teams?unit={binh_phu_code}&as_of=2025-06-30")).await;
            assert_eq!(r.body["total"], 0, "Bình Phú did not exist before the reform");
            // A member joining after the reform is counted under the new commune.
            let m = app
                .post(
                    "/api/v1/members",
                    json!({"team_id": commune_team["id"], "full_name": "Võ Thị Hạnh", "gender": "Nữ", "birth_year": 1996,
                           "position": "Thành viên", "affiliation": "Đoàn Thanh niên", "joined_on": "2025-08-01"}),
                )
                .await;
            assert_eq!(m.status, 201, "{:?}", m.body);
            let province: i64 =
                sqlx::query_scalar("SELECT id FROM units WHERE code = '52'").fetch_one(&app.db.pool).await.unwrap();
            let mut conn = app.db.pool.acquire().await.unwrap();
            let lines = sohoa::teams::stats::by_child(&mut conn, province, "2025-09-01").await.unwrap();
            let line = lines.iter().find(|l| l.unit_code == binh_phu_code).expect("a line for Bình Phú");
            assert_eq!((line.teams, line.members), (2, 1), "{}", app.backend);
            let old = sohoa::teams::stats::by_child(&mut conn, province, "2025-06-30").await.unwrap();
            let tay_son = old.iter().find(|l| l.unit_code == "547").expect("Tây Sơn before the reform");
            assert_eq!(tay_son.teams, 2, "{}", app.backend);
            drop(conn);

            let mut tx = app.db.begin_write().await.unwrap();
            let again = units::apply_2025_reform(&mut tx, &Actor::system("test"), "52", &mapping).await.unwrap();
            tx.commit().await.unwrap();
            assert!(again.already_applied, "applying twice changes nothing");
        }
    })
    .await;
}
