//! `/docs`: the API reference, rendered here from the OpenAPI document the
//! engine serves at `/openapi.json`. A page of plain HTML: it needs no
//! script, nothing from another site, and stays within the pages' size
//! budget (the interactive viewers weigh 200 KB to 1 MB compressed). The
//! page's frame is in the reader's language; the descriptions themselves
//! come from the code's documentation, in English.

use std::sync::LazyLock;

use axum::response::Html;
use maud::{Markup, PreEscaped, html};
use serde_json::Value;

use super::i18n::Lang;
use super::layout;

/// The methods an operation can have, in the order the page lists them.
const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// `GET /docs`.
pub async fn page(lang: Lang) -> Html<&'static str> {
    static PAGES: LazyLock<[String; 2]> = LazyLock::new(|| {
        let document = serde_json::to_value(crate::openapi()).unwrap_or_default();
        Lang::ALL.map(|lang| render(lang, &document).into_string())
    });
    Html(PAGES[lang as usize].as_str())
}

/// One operation of the document.
struct Operation<'a> {
    method: &'a str,
    path: &'a str,
    body: &'a Value,
}

impl Operation<'_> {
    fn anchor(&self) -> String {
        match self.body["operationId"].as_str() {
            Some(id) => format!("op-{id}"),
            None => format!("op-{}-{}", self.method, self.path.replace(['/', '{', '}'], "-")),
        }
    }
}

fn render(lang: Lang, document: &Value) -> Markup {
    let mut operations: Vec<Operation> = Vec::new();
    for (path, item) in document["paths"].as_object().into_iter().flatten() {
        for method in METHODS {
            if let Some(body) = item.get(method) {
                operations.push(Operation { method, path, body });
            }
        }
    }
    let tags: Vec<(&str, &str)> = document["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|tag| Some((tag["name"].as_str()?, tag["description"].as_str().unwrap_or_default())))
        .collect();
    let tagged = |name: &str| -> Vec<&Operation> {
        operations.iter().filter(|op| op.body["tags"].get(0).and_then(Value::as_str) == Some(name)).collect()
    };
    let schemas = document["components"]["schemas"].as_object();
    let title = lang.t("docs-title");
    let body = html! {
        h1 { (title) }
        p { (lang.t("docs-intro")) " " a href="/openapi.json" { "openapi.json" } "." }
        nav.toc aria-labelledby="toc" {
            h2 #toc { (lang.t("docs-contents")) }
            ul {
                @for (name, description) in &tags {
                    li { a href={ "#tag-" (name) } { (name) } " — " span lang="en" { (description) } }
                }
                li { a href="#schemas" { (lang.t("docs-schemas")) } }
            }
        }
        @for (name, description) in &tags {
            section aria-labelledby={ "tag-" (name) } {
                h2 #{ "tag-" (name) } { (name) }
                p lang="en" { (description) }
                @for operation in tagged(name) {
                    (operation_section(lang, operation))
                }
            }
        }
        section aria-labelledby="schemas" {
            h2 #schemas { (lang.t("docs-schemas")) }
            @for (name, schema) in schemas.into_iter().flatten() {
                (schema_section(lang, name, schema))
            }
        }
    };
    layout::page(lang, &title, body)
}

fn operation_section(lang: Lang, operation: &Operation) -> Markup {
    let body = operation.body;
    let anchor = operation.anchor();
    let parameters = body["parameters"].as_array().filter(|list| !list.is_empty());
    let signed_in = body["security"].as_array().and_then(|list| list.first()).and_then(Value::as_object);
    html! {
        article.operation aria-labelledby=(anchor) {
            h3 #(anchor) {
                span.method { (operation.method.to_uppercase()) } " " code { (operation.path) }
            }
            @if let Some(summary) = body["summary"].as_str() { p.summary lang="en" { (summary) } }
            @if let Some(description) = body["description"].as_str() { div lang="en" { (markdown(description)) } }
            p.auth {
                @match signed_in.and_then(|scheme| scheme.keys().next()) {
                    Some(scheme) if scheme == "api_key" => (lang.t("docs-auth-api-key")),
                    Some(_) => (lang.t("docs-auth-bearer")),
                    None => (lang.t("docs-auth-none")),
                }
            }
            @if let Some(parameters) = parameters {
                h4 { (lang.t("docs-parameters")) }
                table {
                    thead { tr {
                        th scope="col" { (lang.t("docs-name")) } th scope="col" { (lang.t("docs-in")) }
                        th scope="col" { (lang.t("docs-type")) } th scope="col" { (lang.t("docs-description")) }
                    } }
                    tbody { @for parameter in parameters { tr {
                        td { code { (parameter["name"].as_str().unwrap_or_default()) }
                            @if parameter["required"].as_bool() == Some(true) { " " (required(lang)) } }
                        td { (parameter["in"].as_str().unwrap_or_default()) }
                        td { (type_of(&parameter["schema"])) }
                        td lang="en" { (parameter["description"].as_str().unwrap_or_default()) }
                    } } }
                }
            }
            @if let Some(request) = body["requestBody"].as_object() {
                h4 { (lang.t("docs-request-body")) }
                ul { @for (media_type, content) in request.get("content").and_then(Value::as_object).into_iter().flatten() {
                    li { code { (media_type) } ": " (type_of(&content["schema"])) }
                } }
            }
            h4 { (lang.t("docs-responses")) }
            table {
                thead { tr {
                    th scope="col" { (lang.t("docs-status")) } th scope="col" { (lang.t("docs-description")) }
                    th scope="col" { (lang.t("docs-body")) }
                } }
                tbody { @for (status, response) in body["responses"].as_object().into_iter().flatten() { tr {
                    td { (status) }
                    td lang="en" { (response["description"].as_str().unwrap_or_default()) }
                    td { @for (media_type, content) in response["content"].as_object().into_iter().flatten() {
                        code { (media_type) } ": " (type_of(&content["schema"])) br;
                    } }
                } } }
            }
        }
    }
}

fn schema_section(lang: Lang, name: &str, schema: &Value) -> Markup {
    let properties = schema["properties"].as_object().filter(|properties| !properties.is_empty());
    let required_fields: Vec<&str> =
        schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    html! {
        article.schema aria-labelledby={ "schema-" (name) } {
            h3 #{ "schema-" (name) } { code { (name) } }
            @if let Some(description) = schema["description"].as_str() { div lang="en" { (markdown(description)) } }
            @if let Some(properties) = properties {
                table {
                    thead { tr {
                        th scope="col" { (lang.t("docs-field")) } th scope="col" { (lang.t("docs-type")) }
                        th scope="col" { (lang.t("docs-description")) }
                    } }
                    tbody { @for (field, property) in properties { tr {
                        td { code { (field) } @if required_fields.contains(&field.as_str()) { " " (required(lang)) } }
                        td { (type_of(property)) }
                        td lang="en" { @if let Some(text) = property["description"].as_str() { (markdown(text)) } }
                    } } }
                }
            } @else {
                p { (lang.t("docs-type")) ": " (type_of(schema)) }
            }
        }
    }
}

/// The mark of a parameter or field that must be given.
fn required(lang: Lang) -> Markup {
    html! { span.required { "(" (lang.t("docs-required")) ")" } }
}

/// A schema's type in a few words, its named parts linked to their sections.
fn type_of(schema: &Value) -> Markup {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.rsplit('/').next().unwrap_or(reference);
        return html! { a href={ "#schema-" (name) } { (name) } };
    }
    for (key, joiner) in [("oneOf", " | "), ("anyOf", " | "), ("allOf", " & ")] {
        if let Some(parts) = schema[key].as_array() {
            return html! { @for (index, part) in parts.iter().enumerate() {
                @if index > 0 { (joiner) } (type_of(part))
            } };
        }
    }
    let names: Vec<&str> = match &schema["type"] {
        Value::String(name) => vec![name.as_str()],
        Value::Array(names) => names.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let values: Vec<String> = schema["enum"].as_array().into_iter().flatten().map(Value::to_string).collect();
    html! {
        @for (index, name) in names.iter().enumerate() {
            @if index > 0 { " | " }
            @if *name == "array" { "array of " (type_of(&schema["items"])) } @else { (name) }
        }
        @if names.is_empty() && values.is_empty() { "any" }
        @if let Some(format) = schema["format"].as_str() { " (" (format) ")" }
        @if !values.is_empty() { " " span.values { "∈ {" (values.join(", ")) "}" } }
    }
}

/// The code's documentation is Markdown (CommonMark); it is the engine's own text, not a visitor's.
fn markdown(text: &str) -> Markup {
    let mut html = String::with_capacity(text.len() * 2);
    pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new(text));
    PreEscaped(html)
}
