//! Pages as the server renders them: the right page, status and headers for each visitor.

use crate::support;

use app::domain::{Role, Section};
use support::TestApp;

#[sqlx::test(migrations = false)]
async fn an_anonymous_visitor_is_sent_to_sign_in_and_back(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool).await;
    let res = app
        .browser()
        .get(app.url("/dashboard"))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection(), "{}", res.status());
    assert_eq!(res.headers()["location"], "/login?next=/dashboard");
}

#[sqlx::test(migrations = false)]
async fn the_sign_in_page_renders_the_form(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool).await;
    let res = app.browser().get(app.url("/login")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains(r#"name="email""#));
    assert!(html.contains(r#"name="password""#));
}

#[sqlx::test(migrations = false)]
async fn a_customer_opening_an_admin_url_gets_a_403_page(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool).await;
    let customer = app.signed_in(Role::Customer).await;
    let res = customer.get(app.url("/admin")).send().await.unwrap();
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("403: not for your role"));
}

#[sqlx::test(migrations = false)]
async fn each_role_lands_on_its_home_and_sees_only_its_navigation(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool).await;
    for role in Role::ALL {
        let client = app.signed_in(role).await;
        let res = client.get(app.url("/")).send().await.unwrap();
        assert_eq!(res.headers()["location"], role.home().path(), "{role}");

        let html = client
            .get(app.url(role.home().path()))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        for section in Section::ALL {
            let link = format!(r#"href="{}""#, section.path());
            let shown = html.contains(&link) && html.contains(section.label());
            assert_eq!(shown, role.may_open(section), "{role} and {section:?}");
        }
    }
}

#[sqlx::test(migrations = false)]
async fn an_unknown_path_gets_a_404_page(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool).await;
    let res = app
        .browser()
        .get(app.url("/no/such/page"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert!(res.text().await.unwrap().contains("404: page not found"));
}

#[sqlx::test(migrations = false)]
async fn pages_carry_the_security_headers_and_a_nonce_policy(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool).await;
    let res = app.browser().get(app.url("/login")).send().await.unwrap();
    let h = res.headers().clone();
    let csp = h["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("script-src 'self' 'nonce-"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "strict-origin-when-cross-origin");
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap()
        .to_string();
    let html = res.text().await.unwrap();
    assert!(
        html.contains(&format!(r#"nonce="{nonce}""#)),
        "the hydration script carries the nonce"
    );
}

#[sqlx::test(migrations = false)]
async fn every_response_has_a_request_id_and_keeps_one_given_by_a_proxy(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool).await;
    let res = app.browser().get(app.url("/healthz")).send().await.unwrap();
    assert!(!res.headers()["x-request-id"].is_empty());
    let res = app
        .browser()
        .get(app.url("/healthz"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "abc-123");
}
