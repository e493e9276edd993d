//! The shape of `api/src` (docs/architecture.md): `platform/` is what every feature
//! stands on and imports no feature; a feature imports the platform and, where it must,
//! another feature's `queries` or `service`, never `cli`, `demo` or the route table.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

/// The top-level modules of `api/src` that are features (one folder each).
const FEATURES: &[&str] = &[
    "accounts",
    "admin",
    "award",
    "bids",
    "catalog",
    "contracts",
    "orders",
    "rounds",
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../api/src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without its comments (line comments and doc comments; the source
/// has no block comments), so a doc link naming a feature is not an import.
fn code(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| match l.find("//") {
            // a `//` inside a string literal (a URL) is kept: only a line whose code part
            // has an even number of quotes before it is cut there
            Some(i) if l[..i].matches('"').count() % 2 == 0 => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every `crate::name` in `code`, by name: the top-level module it reaches into.
fn crate_paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        let before = rest[..i].chars().last();
        rest = &rest[i + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if rest.starts_with('{') {
            // a use group: `crate::{a::x, b}` names each of its top-level members
            let end = rest.find("};").unwrap_or(rest.len());
            let mut depth = 0;
            let mut item = String::new();
            for c in rest[1..end].chars() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.push(head(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
            if !item.trim().is_empty() {
                out.push(head(&item));
            }
        } else {
            out.push(head(rest));
        }
    }
    out
}

fn head(path: &str) -> String {
    path.trim()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

#[test]
fn the_platform_imports_no_feature() {
    let mut files = Vec::new();
    rust_files(&src().join("platform"), &mut files);
    assert!(files.len() > 20, "platform/ holds {} files", files.len());
    let mut offences = Vec::new();
    for f in &files {
        let code = code(f);
        for name in crate_paths(&code) {
            if name != "platform" {
                offences.push(format!("{}: crate::{name}", f.display()));
            }
        }
        // `super::` out of platform/ would reach the crate root
        if f.parent() == Some(&src().join("platform")) && code.contains("super::super::") {
            offences.push(format!("{}: super::super", f.display()));
        }
    }
    assert!(
        offences.is_empty(),
        "platform/ may import only platform/:\n{}",
        offences.join("\n")
    );
}

#[test]
fn features_import_no_cli_demo_or_route_table() {
    for feature in FEATURES {
        let mut files = Vec::new();
        rust_files(&src().join(feature), &mut files);
        assert!(!files.is_empty(), "no feature folder {feature}");
        for f in &files {
            for name in crate_paths(&code(f)) {
                assert!(
                    !["cli", "demo", "routes", "build_app", "job_registry"]
                        .contains(&name.as_str()),
                    "{} imports crate::{name}",
                    f.display()
                );
            }
        }
    }
}

#[test]
fn the_check_sees_an_import_of_a_feature() {
    // the scanner itself: a planted import is found, a doc link is not
    let planted = "//! see [`crate::rounds::service`]\nuse crate::{\n    platform::db,\n    rounds::queries::Round,\n};\nfn f() { crate::award::service::x(); }\n";
    let tmp = std::env::temp_dir().join(format!("vbp-arch-{}.rs", std::process::id()));
    std::fs::write(&tmp, planted).unwrap();
    let names = crate_paths(&code(&tmp));
    std::fs::remove_file(&tmp).unwrap();
    assert_eq!(names, ["platform", "rounds", "award"]);
}

/// The specific problem codes given in `code`: the first argument of `rule(`,
/// `conflict(` and `with_code(` when it is a string literal.
fn problem_codes(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    for call in ["rule(", "conflict(", "with_code("] {
        let mut rest = code;
        while let Some(i) = rest.find(call) {
            let before = rest[..i].chars().last();
            rest = &rest[i + call.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let arg = rest.trim_start();
            if let Some(lit) = arg.strip_prefix('"') {
                let end = lit.find('"').unwrap();
                out.push(lit[..end].to_owned());
            }
        }
    }
    out
}

#[test]
fn problem_code_scanner_finds_codes_over_lines() {
    let code = "ApiError::rule(\n    \"round_not_open\",\n    x)\n.with_code(\"bid_above_ceiling\")\nfn conflict(code: &str)\nmy_rule(\"no\")";
    assert_eq!(
        problem_codes(code),
        ["round_not_open", "bid_above_ceiling"].map(String::from)
    );
}

#[test]
fn every_problem_code_is_documented() {
    let docs = std::fs::read_to_string(src().join("../../docs/api.md")).unwrap();
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut seen = 0;
    for file in &files {
        for c in problem_codes(&code(file)) {
            assert!(
                c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_'),
                "{}: code {c:?} is not snake_case",
                file.display()
            );
            assert!(
                docs.contains(&format!("| `{c}` |")),
                "{}: problem code `{c}` is not in docs/api.md's table",
                file.display()
            );
            seen += 1;
        }
    }
    assert!(seen > 30, "only {seen} codes found: the scanner is broken");
}

/// The handlers in `code` that read through the replica (`ReadDb` among their
/// arguments), by name, each with whether its `#[utoipa::path]` parameters list `MinLsn`
/// (else the OpenAPI document would not tell a client about the `VBP-Min-LSN` header
/// the route honours).
fn replica_routes(code: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    for chunk in code.split("#[utoipa::path(").skip(1) {
        let Some(at) = chunk.find("async fn ") else {
            continue;
        };
        let (attribute, handler) = chunk.split_at(at);
        let signature = &handler[..handler.find('{').unwrap_or(handler.len())];
        if signature.contains("ReadDb") {
            let name = signature["async fn ".len()..]
                .split(['(', '<'])
                .next()
                .unwrap_or_default();
            out.push((name.trim().to_owned(), attribute.contains("MinLsn")));
        }
    }
    out
}

#[test]
fn every_route_reading_the_replica_declares_its_min_lsn_header() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let routes: Vec<(String, bool)> = files
        .iter()
        .flat_map(|f| replica_routes(&code(f)))
        .collect();
    assert!(routes.len() >= 7, "the scan found only {routes:?}");
    let missing: Vec<&String> = routes
        .iter()
        .filter(|(_, ok)| !ok)
        .map(|(n, _)| n)
        .collect();
    assert!(
        missing.is_empty(),
        "routes reading the replica without MinLsn in params(...): {missing:?}"
    );
}

#[test]
fn the_min_lsn_check_sees_a_route_without_it() {
    let planted = "#[utoipa::path(get, path = \"/x/{id}\", params(MinLsn))]\n#[get(\"/x/{id}\")]\npub async fn with_it(db: ReadDb) -> R {}\n\
                   #[utoipa::path(get, path = \"/y\", params(Pagination))]\n#[get(\"/y\")]\npub async fn without_it(\n    _u: AuthUser,\n    db: ReadDb,\n) -> R {}\n\
                   #[utoipa::path(post, path = \"/z\")]\n#[post(\"/z\")]\npub async fn writes(db: DbConn) -> R {}\n";
    assert_eq!(
        replica_routes(planted),
        [
            ("with_it".to_owned(), true),
            ("without_it".to_owned(), false)
        ]
    );
}
