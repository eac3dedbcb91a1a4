//! Every answer the API tests read is checked against the OpenAPI document
//! that `booking_http::openapi()` generates: its status must be one the
//! operation documents, and its body must match that answer's schema, with
//! no field missing and none added.

use std::sync::LazyLock;

use reqwest::header::{CONTENT_TYPE, HeaderMap};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The document, with every object schema closed: a field the schema does
/// not name fails the check. (The served document stays open, so clients
/// may accept fields added later.)
static DOCUMENT: LazyLock<Value> = LazyLock::new(|| {
    let mut document = serde_json::to_value(booking_http::openapi()).unwrap();
    close_objects(&mut document["components"]);
    document
});

fn close_objects(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                map.insert("additionalProperties".into(), Value::Bool(false));
            }
            map.values_mut().for_each(close_objects);
        }
        Value::Array(items) => items.iter_mut().for_each(close_objects),
        _ => {}
    }
}

/// The operation of `method` on `path`, if the document has one. A path
/// the document names as it is (`/api/admin/events/preview/`) goes before
/// a template it is also an instance of (`/api/admin/events/{event_id}/`),
/// as the router picks it.
fn operation(method: &Method, path: &str) -> Option<&'static Value> {
    let paths = DOCUMENT["paths"].as_object()?;
    let item = paths.get(path).or_else(|| {
        paths
            .iter()
            .find(|(template, _)| matches(template, path))
            .map(|(_, item)| item)
    })?;
    item.get(method.as_str().to_ascii_lowercase())
}

/// The document's operations under `prefix`, each as its method and path
/// template.
pub fn operations_under(prefix: &str) -> Vec<(Method, String)> {
    let mut operations = Vec::new();
    for (path, item) in DOCUMENT["paths"].as_object().unwrap() {
        if !path.starts_with(prefix) {
            continue;
        }
        for method in item.as_object().unwrap().keys() {
            operations.push((method.to_ascii_uppercase().parse().unwrap(), path.clone()));
        }
    }
    operations
}

/// Whether `path` is an instance of `template` (`/api/events/{event_id}/`).
fn matches(template: &str, path: &str) -> bool {
    let template: Vec<&str> = template.split('/').collect();
    let path: Vec<&str> = path.split('/').collect();
    template.len() == path.len()
        && template
            .iter()
            .zip(&path)
            .all(|(t, p)| t == p || (t.starts_with('{') && !p.is_empty()))
}

/// Checks one answer of the API, to `method` on `path`, against the
/// document; panics with what differs.
pub fn check(method: &Method, path: &str, status: StatusCode, headers: &HeaderMap, body: &Value) {
    let preflight = headers.contains_key("access-control-allow-methods");
    if !path.starts_with("/api/") || status.is_redirection() || preflight {
        return;
    }
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type.starts_with("text/event-stream") {
        return;
    }
    let operation = operation(method, path);
    if content_type.starts_with("text/csv") {
        // A file, not JSON: its status and type must be the documented ones.
        let documented = operation
            .map(|o| &o["responses"][status.as_str()]["content"])
            .and_then(Value::as_object)
            .is_some_and(|content| content.contains_key("text/csv"));
        assert!(
            documented,
            "{method} {path} answered {status} with CSV, which it does not document"
        );
        return;
    }
    assert!(
        content_type.starts_with("application/json"),
        "{path} answered {status} with {content_type:?}, not JSON: {body}"
    );
    if operation.is_some_and(|o| o["operationId"] == "document") {
        return; // The document itself: an OpenAPI document, not checked here.
    }
    let schema = match operation {
        // A wrong method, or a path the API does not have: an error.
        _ if status == StatusCode::METHOD_NOT_ALLOWED => error_schema(),
        None => {
            assert!(
                status.is_client_error(),
                "{path} is not documented: {status} {body}"
            );
            error_schema()
        }
        Some(operation) => {
            let response = &operation["responses"][status.as_str()];
            assert!(
                response.is_object(),
                "{path} answered {status}, which its operation does not document: {body}"
            );
            response["content"]["application/json"]["schema"].clone()
        }
    };
    validate(&schema, body, &format!("{path} answered {status} with"));
}

/// Checks `value` against the document's component schema `name`.
pub fn check_component(name: &str, value: &Value) {
    let schema = json!({ "$ref": format!("#/components/schemas/{name}") });
    validate(&schema, value, &format!("a {name}"));
}

/// Checks `value` against `schema`, resolved in the document.
fn validate(schema: &Value, body: &Value, what: &str) {
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "allOf": [schema],
        "components": DOCUMENT["components"],
    });
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&root)
        .unwrap_or_else(|e| panic!("the schema for {what} does not compile: {e}"));
    let errors: Vec<String> = validator
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} a body that does not match the OpenAPI document:\n  {}\nbody: {body}",
        errors.join("\n  ")
    );
}

fn error_schema() -> Value {
    json!({ "$ref": "#/components/schemas/Error" })
}
