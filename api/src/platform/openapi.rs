//! The OpenAPI 3.1 document. Paths and their schemas are collected by utoipa-actix-web
//! from the very `service(...)` registrations in [`crate::routes::configure`]; this file
//! adds what is global: info, the bearer scheme, tags and the shared error schema.

use utoipa::{
    Modify, OpenApi,
    openapi::{
        self, HttpMethod,
        security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    },
};

use crate::platform::error::{FieldError, Problem};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "vbp: national volume-based procurement",
        description = "Sealed bidding, evaluation, award, contracts, orders and direct settlement \
                       for centralized volume-based procurement of drugs and medical consumables.\n\n\
                       Every `/api/v1` route except login needs `Authorization: Bearer <token>`. \
                       Errors are RFC 9457 `application/problem+json` documents (`Problem`). \
                       Money is an exact decimal string; times are RFC 3339 UTC.\n\n\
                       Each operation declares the roles it admits as the scopes of its `bearer` \
                       requirement (none listed: every signed-in role; others get 403) and, in \
                       `x-scope`, what it may show or change: `public` (no token), `all` (whatever \
                       the role may see), `self` (the caller's own session, account or key share), \
                       `own_org` (a supplier's own bids, offers and bars), `own_province` (a \
                       buyer's own province), `party` (contracts the caller is party to).",
        license(name = "Apache-2.0")
    ),
    modifiers(&BearerAuth),
    components(schemas(Problem, FieldError)),
    tags(
        (name = "system", description = "Health, readiness and metrics"),
        (name = "auth", description = "Login, logout and the current user"),
        (name = "orgs", description = "Organisations (admin)"),
        (name = "users", description = "Users (admin)"),
        (name = "reference", description = "Reference data: provinces"),
        (name = "audit", description = "The audit log and its hash chain (auditor)"),
        (name = "rounds", description = "Tender rounds: lots, demand, publication, cancellation"),
        (name = "bids", description = "Sealed bids, receipts, the frozen register, opening-key shares and the opening"),
        (name = "jobs", description = "The job queue: mail and other side effects (admin)"),
        (name = "catalog", description = "The national catalog: drugs and consumables, NHSA codes, ceilings; CSV import and export"),
        (name = "award", description = "Evaluation, revival offers, award, published results and the OCDS 1.1 public record"),
        (name = "contracts", description = "Contracts per lot, winner and province; supply failures, backup takeover and supplier bars"),
        (name = "orders", description = "After the award: quotas, orders, deliveries with traceability codes, acceptance, progress and supply problems"),
        (name = "oversight", description = "Shortage early warning, price monitoring and the public price index, complaints against published results"),
        (name = "settlement", description = "Direct settlement by insurers: province settings, prepayments and fund ledgers, batches and payment orders, payments, the 30-day clock, statements and disputes, retained savings"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, api: &mut openapi::OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Final touches once every path is collected: the statuses every route of a kind can
/// answer, whatever its handler does, added where the handler's own list lacks them.
///
/// * any route: 400 (a query string that does not decode, a refused cross-origin request),
///   413 (a JSON body over 1 MiB) and 422 (a NUL in the path or the query string);
/// * any `/api/v1` route: 503 (the database is unreachable or busy);
/// * a route with a bearer token: 401;
/// * a path parameter: 404 (no such thing, or a malformed id) and 422 (a NUL character);
/// * query parameters: 400 (a query string that cannot be read) and 422 (a NUL character,
///   a value out of range);
/// * a JSON body: 400 (not JSON), 413 (over 1 MiB), 415 (not sent as JSON) and 422;
///   a CSV body: 413, 415 and 422.
pub fn finish(mut api: openapi::OpenApi) -> openapi::OpenApi {
    use utoipa::openapi::path::ParameterIn;
    for (route, item) in api.paths.paths.iter_mut() {
        let api_v1 = route.starts_with("/api/v1/");
        for op in operations_mut(item) {
            let params = op.parameters.as_deref().unwrap_or_default();
            let has = |place: ParameterIn| {
                params.iter().any(|p| {
                    std::mem::discriminant(&p.parameter_in) == std::mem::discriminant(&place)
                })
            };
            let (path, query) = (has(ParameterIn::Path), has(ParameterIn::Query));
            let body = op
                .request_body
                .as_ref()
                .map(|b| b.content.keys().any(|t| t.contains("json")));
            let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
            let mut add = |status: &str, description: &str| {
                op.responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| problem_response(description));
            };
            if secured {
                add("401", "Not authenticated");
            }
            if path {
                add("404", "Not found (or a malformed id in the path)");
                add("422", "A path segment holds a NUL character");
            }
            if query {
                add(
                    "400",
                    "The query string cannot be read (a value of the wrong type or encoding)",
                );
                add(
                    "422",
                    "A query parameter is out of range or holds a NUL character",
                );
            }
            match body {
                Some(true) => {
                    add("400", "The body is not valid JSON");
                    add("413", "The body is larger than 1 MiB");
                    add("415", "The body was not sent as application/json");
                    add("422", "Invalid input");
                }
                Some(false) => {
                    add("413", "The body is too large");
                    add("415", "The body is not of the documented type");
                    add("422", "Invalid input");
                }
                None => {}
            }
            // whatever the route: a query string that does not decode or a browser's request
            // from a foreign origin (400), a JSON body over 1 MiB (413), a NUL in the path
            // or the query string (422)
            add(
                "400",
                "The request cannot be read (a query string that does not decode, or a cross-origin request from an origin not allowed)",
            );
            add("413", "A JSON body larger than 1 MiB");
            add("422", "A NUL character in the path or the query string");
            if api_v1 {
                add("503", "The database is unreachable or busy: retry shortly");
            }
        }
    }
    unique_operation_ids(&mut api);
    api
}

/// Makes every `operationId` unique, as OpenAPI requires and client generators rely on:
/// handlers of different features share names (`list`, `get`), so an id used more than
/// once takes its first tag as a prefix (`orders_list`, `rounds_list`).
fn unique_operation_ids(api: &mut openapi::OpenApi) {
    let mut count = std::collections::HashMap::<String, usize>::new();
    for item in api.paths.paths.values_mut() {
        for op in operations_mut(item) {
            if let Some(id) = &op.operation_id {
                *count.entry(id.clone()).or_default() += 1;
            }
        }
    }
    for item in api.paths.paths.values_mut() {
        for op in operations_mut(item) {
            let Some(id) = op.operation_id.clone() else {
                continue;
            };
            if count.get(&id).copied().unwrap_or(0) > 1 {
                let tag = op
                    .tags
                    .as_ref()
                    .and_then(|t| t.first())
                    .map(|t| {
                        t.to_ascii_lowercase()
                            .replace(|c: char| !c.is_ascii_alphanumeric(), "_")
                    })
                    .unwrap_or_else(|| "op".into());
                op.operation_id = Some(format!("{tag}_{id}"));
            }
        }
    }
}

/// The operations of a path, whatever their method.
fn operations_mut(
    item: &mut openapi::PathItem,
) -> impl Iterator<Item = &mut openapi::path::Operation> {
    [
        &mut item.get,
        &mut item.post,
        &mut item.put,
        &mut item.patch,
        &mut item.delete,
    ]
    .into_iter()
    .flatten()
}

fn problem_response(description: &str) -> openapi::RefOr<openapi::Response> {
    openapi::ResponseBuilder::new()
        .description(description)
        .content(
            crate::platform::error::PROBLEM_JSON,
            openapi::ContentBuilder::new()
                .schema(Some(openapi::Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
        .into()
}

/// Path templates and their methods, from the OpenAPI document: tells a 405 from a 404.
pub struct RouteTable {
    routes: Vec<(Vec<String>, Vec<&'static str>)>,
}

fn method_name(m: &HttpMethod) -> &'static str {
    match m {
        HttpMethod::Get => "GET",
        HttpMethod::Post => "POST",
        HttpMethod::Put => "PUT",
        HttpMethod::Delete => "DELETE",
        HttpMethod::Options => "OPTIONS",
        HttpMethod::Head => "HEAD",
        HttpMethod::Patch => "PATCH",
        HttpMethod::Trace => "TRACE",
    }
}

impl RouteTable {
    pub fn new(api: &openapi::OpenApi) -> Self {
        let routes = api
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let segments = path.split('/').map(str::to_owned).collect();
                let methods = [
                    (HttpMethod::Get, item.get.is_some()),
                    (HttpMethod::Post, item.post.is_some()),
                    (HttpMethod::Put, item.put.is_some()),
                    (HttpMethod::Patch, item.patch.is_some()),
                    (HttpMethod::Delete, item.delete.is_some()),
                ]
                .iter()
                .filter(|(_, present)| *present)
                .map(|(m, _)| method_name(m))
                .collect();
                (segments, methods)
            })
            .collect();
        Self { routes }
    }

    /// The methods served at `path`, when some template matches it.
    pub fn methods_for(&self, path: &str) -> Option<Vec<&'static str>> {
        let parts: Vec<&str> = path.split('/').collect();
        let mut found: Vec<&'static str> = self
            .routes
            .iter()
            .filter(|(template, _)| {
                template.len() == parts.len()
                    && template.iter().zip(&parts).all(|(t, p)| {
                        (t.starts_with('{') && t.ends_with('}') && !p.is_empty()) || t == p
                    })
            })
            .flat_map(|(_, methods)| methods.iter().copied())
            .collect();
        found.sort_unstable();
        found.dedup();
        (!found.is_empty()).then_some(found)
    }
}
