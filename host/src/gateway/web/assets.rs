//! The page's front end, embedded in the binary (`include_str!`), so `astra run` needs
//! nothing else and the page fetches nothing from the internet: one HTML page, one
//! style sheet and plain scripts (the charts are drawn on canvases by `charts.js`).
//! Every answer carries a content security policy that allows this origin only.

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// `(name, content type, body)` of every file under `/assets/`.
const FILES: &[(&str, &str, &str)] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_str!("assets/app.css"),
    ),
    ("common.js", JS, include_str!("assets/common.js")),
    ("charts.js", JS, include_str!("assets/charts.js")),
    ("chat.js", JS, include_str!("assets/chat.js")),
    ("dashboard.js", JS, include_str!("assets/dashboard.js")),
    ("bench.js", JS, include_str!("assets/bench.js")),
    ("app.js", JS, include_str!("assets/app.js")),
    ("icon.svg", "image/svg+xml", include_str!("assets/icon.svg")),
];

const JS: &str = "text/javascript; charset=utf-8";
const INDEX: &str = include_str!("assets/index.html");

/// Only this origin: no CDN, no inline script, no framing.
const POLICY: &str = "default-src 'self'; connect-src 'self'; img-src 'self' data:; \
                      style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'";

fn page(content_type: &'static str, body: &'static str) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

pub async fn index() -> Response {
    page("text/html; charset=utf-8", INDEX)
}

pub async fn file(Path(name): Path<String>) -> Response {
    match FILES.iter().find(|(n, _, _)| *n == name) {
        Some((_, content_type, body)) => page(content_type, body),
        None => (StatusCode::NOT_FOUND, "no such file").into_response(),
    }
}
