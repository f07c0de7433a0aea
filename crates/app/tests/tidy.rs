#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Tidy checks of the workspace's structure (rust-analyzer style): the
//! invariants ARCHITECTURE.md states and that can be checked mechanically.

use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Every `.rs` file under `dir`, recursively: (path, text).
fn rust_files(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).unwrap();
                out.push((p, text));
            }
        }
    }
    assert!(!out.is_empty(), "no Rust files under {}", dir.display());
    out
}

/// The app crate knows nothing about HTTP: no HTTP server or HTML crate in
/// its normal dependency tree (`cargo tree -p qiantang-app -e normal`).
#[test]
fn the_app_crate_does_not_depend_on_http_or_html() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .current_dir(workspace())
        .args([
            "tree",
            "-p",
            "qiantang-app",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--offline",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8_lossy(&out.stdout);
    assert!(
        tree.contains("qiantang-app"),
        "unexpected cargo tree output"
    );
    for banned in ["axum ", "axum-core ", "maud ", "tower-http ", "hyper "] {
        assert!(
            !tree.lines().any(|l| l.starts_with(banned)),
            "qiantang-app depends on {banned}"
        );
    }
}

/// Handlers, pages and the CLI never touch the stores: they call services.
#[test]
fn handlers_pages_and_cli_never_touch_stores() {
    let ws = workspace();
    for dir in ["crates/hub/src", "crates/cli/src"] {
        for (path, text) in rust_files(&ws.join(dir)) {
            for needle in ["stores()", "stores_for_tests()", "qiantang_store::Stores"] {
                assert!(
                    !text.contains(needle),
                    "{} uses {needle}: call an application service instead",
                    path.display()
                );
            }
        }
    }
}

/// In the app crate, JSON wire shapes are built only in DTO modules
/// (`dto.rs`, `*/dto.rs`); services return typed values.
#[test]
fn app_services_build_no_json_outside_dto_modules() {
    let ws = workspace();
    for (path, text) in rust_files(&ws.join("crates/app/src")) {
        if path.file_name().is_some_and(|n| n == "dto.rs") {
            continue;
        }
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        assert!(
            !code.contains("json!("),
            "{} builds JSON with json!: move the wire shape into a dto module",
            path.display()
        );
    }
}

/// The module graph of one crate: `crate::a::b` and `super::` references
/// resolved to files; a loop is a module that imports a module that
/// imports it back (directly or through others).
fn module_graph(src: &Path) -> Vec<(String, Vec<String>)> {
    let files = rust_files(src);
    let module_of = |p: &Path| -> String {
        let rel = p.strip_prefix(src).unwrap().with_extension("");
        let mut parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        if parts
            .last()
            .is_some_and(|l| l == "mod" || l == "lib" || l == "main")
        {
            parts.pop();
        }
        parts.join("::")
    };
    let modules: Vec<String> = files.iter().map(|(p, _)| module_of(p)).collect();
    let resolve = |path: &str| -> Option<String> {
        // The longest known module that prefixes `path`.
        let mut best: Option<&String> = None;
        for m in &modules {
            if m.is_empty() {
                continue;
            }
            if (path == m || path.starts_with(&format!("{m}::")))
                && best.is_none_or(|b| m.len() > b.len())
            {
                best = Some(m);
            }
        }
        best.cloned()
    };
    let mut graph = Vec::new();
    for (p, text) in &files {
        let me = module_of(p);
        let mut deps = Vec::new();
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for line in code.lines() {
            let line = line.trim();
            if line.starts_with("//") {
                continue;
            }
            let mut rest = line;
            while let Some(i) = rest.find("crate::") {
                let tail = &rest[i + "crate::".len()..];
                let path: String = tail
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                    .collect();
                if let Some(m) = resolve(path.trim_end_matches(':')) {
                    deps.push(m);
                }
                rest = tail;
            }
            if let Some(tail) = line.strip_prefix("use super::") {
                let parent = me.rsplit_once("::").map(|(a, _)| a).unwrap_or("");
                let path: String = tail
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                    .collect();
                let full = if parent.is_empty() {
                    path.trim_end_matches(':').to_string()
                } else {
                    format!("{parent}::{}", path.trim_end_matches(':'))
                };
                match resolve(&full) {
                    Some(m) => deps.push(m),
                    None if !parent.is_empty() => deps.push(parent.to_string()),
                    None => {}
                }
            }
        }
        deps.retain(|d| d != &me && !me.starts_with(&format!("{d}::")) || d.is_empty());
        deps.retain(|d| !d.is_empty() && d != &me);
        deps.sort();
        deps.dedup();
        graph.push((me, deps));
    }
    graph
}

/// No import loops between the modules of any crate of the workspace.
#[test]
fn no_import_loops_in_the_workspace() {
    let ws = workspace();
    let mut loops = Vec::new();
    for e in std::fs::read_dir(ws.join("crates")).unwrap() {
        let src = e.unwrap().path().join("src");
        if !src.is_dir() {
            continue;
        }
        let graph = module_graph(&src);
        let deps = |m: &str| -> Vec<String> {
            graph
                .iter()
                .find(|(n, _)| n == m)
                .map(|(_, d)| d.clone())
                .unwrap_or_default()
        };
        for (m, direct) in &graph {
            // Depth-first search from each direct dependency back to `m`.
            let mut stack: Vec<Vec<String>> = direct.iter().map(|d| vec![d.clone()]).collect();
            let mut seen = std::collections::HashSet::new();
            while let Some(path) = stack.pop() {
                let last = path.last().cloned().unwrap_or_default();
                if &last == m {
                    loops.push(format!("{}: {m} -> {}", src.display(), path.join(" -> ")));
                    break;
                }
                if !seen.insert(last.clone()) {
                    continue;
                }
                for d in deps(&last) {
                    let mut p = path.clone();
                    p.push(d);
                    stack.push(p);
                }
            }
        }
    }
    assert!(loops.is_empty(), "import loops:\n{}", loops.join("\n"));
}
