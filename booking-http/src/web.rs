//! The web app: static files embedded in the binary, served at `/`.
//! It is plain HTML, CSS and ES modules (no build step); it talks to the
//! server only through the API. The box office's pages are a module and a
//! style sheet of their own (`admin.js`, `admin.css`), which the page
//! fetches only when a staff user opens them, so a customer's page stays
//! small.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

const INDEX: &str = include_str!("../web/index.html");
const SCRIPT: &str = include_str!("../web/app.js");
const STYLE: &str = include_str!("../web/app.css");
const ICON: &str = include_str!("../web/favicon.svg");
const ADMIN_SCRIPT: &str = include_str!("../web/admin.js");
const ADMIN_STYLE: &str = include_str!("../web/admin.css");

/// Only our own origin's scripts, styles and API; no inline code, no frames.
const CSP: &str = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// The routes of the web app.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(index))
        .route(
            "/app.js",
            get(|| async { asset("text/javascript; charset=utf-8", SCRIPT) }),
        )
        .route(
            "/app.css",
            get(|| async { asset("text/css; charset=utf-8", STYLE) }),
        )
        .route(
            "/admin.js",
            get(|| async { asset("text/javascript; charset=utf-8", ADMIN_SCRIPT) }),
        )
        .route(
            "/admin.css",
            get(|| async { asset("text/css; charset=utf-8", ADMIN_STYLE) }),
        )
        // Linked from the page; browsers that ask for /favicon.ico get it too.
        .route("/favicon.svg", get(|| async { asset(SVG, ICON) }))
        .route("/favicon.ico", get(|| async { asset(SVG, ICON) }))
}

async fn index() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        INDEX,
    )
}

const SVG: &str = "image/svg+xml";

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
}
