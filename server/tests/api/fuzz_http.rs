//! Damaged messages through the real ingest door, every format with its own authentication:
//! whatever the damage, never a 5xx, and every refusal of an authenticated sender is kept in the
//! inbox as rejected (nothing is lost, nothing crashes). The damage comes from the same
//! strategies the adapters' property tests use (`server::ingest::adapters::fuzzing`).

use crate::support::TestApp;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use reqwest::{Client, RequestBuilder, StatusCode};
use server::ingest::adapters::fuzzing::mutated;
use server::ingest::adapters::Format;
use server::ingest::setup::{create_connector, create_key, ConnectorSpec};
use server::signing;
use sqlx::PgPool;

/// Damaged messages sent per format.
const CASES_PER_FORMAT: usize = 60;

struct Door {
    format: Format,
    name: &'static str,
    kind: &'static str,
}

const DOORS: &[Door] = &[
    Door {
        format: Format::Canonical,
        name: "erp",
        kind: "erp",
    },
    Door {
        format: Format::Odoo,
        name: "odoo",
        kind: "erp",
    },
    Door {
        format: Format::MilepostWms,
        name: "rno",
        kind: "wms",
    },
    Door {
        format: Format::ShipHero,
        name: "shiphero",
        kind: "wms",
    },
    Door {
        format: Format::ShipBob,
        name: "shipbob",
        kind: "wms",
    },
    Door {
        format: Format::EasyPost,
        name: "easypost",
        kind: "carrier",
    },
    Door {
        format: Format::Shippo,
        name: "shippo",
        kind: "carrier",
    },
    Door {
        format: Format::AfterShip,
        name: "aftership",
        kind: "carrier",
    },
    Door {
        format: Format::X12,
        name: "nplt-edi",
        kind: "wms",
    },
];

/// The request for `body` as the format's sender would make it, properly authenticated.
fn request(
    app: &TestApp,
    client: &Client,
    door: &Door,
    credential: &str,
    n: usize,
    body: Vec<u8>,
) -> RequestBuilder {
    let webhook =
        |query: &str| client.post(app.url(&format!("/api/v1/webhooks/{}{query}", door.name)));
    let json = "application/json";
    match door.format {
        Format::Canonical => client
            .post(app.url("/api/v1/events"))
            .bearer_auth(credential)
            .header("content-type", "application/cloudevents+json"),
        Format::X12 => client
            .post(app.url(&format!("/api/v1/edi/{}", door.name)))
            .bearer_auth(credential)
            .header("content-type", "application/edi-x12"),
        Format::Odoo | Format::Shippo => {
            webhook(&format!("?token={credential}")).header("content-type", json)
        }
        Format::EasyPost => webhook("")
            .header("content-type", json)
            .header("x-hmac-signature", signing::easypost(credential, &body)),
        Format::AfterShip => webhook("").header("content-type", json).header(
            "aftership-hmac-sha256",
            signing::hmac_base64(credential, &body),
        ),
        Format::ShipHero => webhook("").header("content-type", json).header(
            "x-shiphero-webhook-signature",
            signing::hmac_base64(credential, &body),
        ),
        Format::MilepostWms | Format::ShipBob => {
            let id = format!("fuzz-{n}");
            let now = chrono::Utc::now().timestamp();
            webhook("")
                .header("content-type", json)
                .header("webhook-id", &id)
                .header("webhook-timestamp", now.to_string())
                .header(
                    "webhook-signature",
                    signing::standard_webhooks(credential, &id, now, &body),
                )
        }
    }
    .body(body)
}

#[sqlx::test(migrations = false)]
async fn damaged_messages_of_every_format_are_refused_and_kept_never_a_5xx(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let client = Client::new();
    let mut runner = TestRunner::deterministic();
    for door in DOORS {
        let created = create_connector(
            &app.pool,
            &ConnectorSpec {
                name: door.name,
                kind: door.kind,
                format: door.format.as_str(),
                types: vec![],
                time_zone: Some("America/Los_Angeles"),
                warehouse_code: Some("RNO"),
            },
        )
        .await
        .unwrap();
        let credential = match door.format {
            Format::Canonical | Format::X12 => {
                create_key(&app.pool, door.name, "fuzz").await.unwrap().key
            }
            Format::Odoo | Format::Shippo => created.url_token.clone().unwrap(),
            _ => created.signing_secret.clone().unwrap(),
        };
        let strategy = mutated(door.format);
        let (mut refused, mut accepted) = (0i64, 0);
        for n in 0..CASES_PER_FORMAT {
            let body = strategy.new_tree(&mut runner).unwrap().current();
            let res = request(&app, &client, door, &credential, n, body.clone())
                .send()
                .await
                .unwrap();
            let status = res.status();
            assert!(
                !status.is_server_error(),
                "{:?} case {n}: {status} {}\n{}",
                door.format,
                res.text().await.unwrap_or_default(),
                String::from_utf8_lossy(&body)
            );
            assert_ne!(
                status,
                StatusCode::UNAUTHORIZED,
                "{:?}: the sender is authenticated",
                door.format
            );
            if status == StatusCode::ACCEPTED {
                accepted += 1;
            } else {
                refused += 1;
            }
        }
        let kept: i64 = sqlx::query_scalar(
            "select count(*) from inbox_message m join connector c using (connector_id)
             where c.name = $1 and m.outcome = 'rejected'",
        )
        .bind(door.name)
        .fetch_one(&app.pool)
        .await
        .unwrap();
        assert_eq!(
            kept, refused,
            "{:?}: every refusal kept ({accepted} accepted)",
            door.format
        );
    }
}
