//! Repository rules checked as tests: dependency direction, where SQL, SQLite, HTTP and Tauri may appear,
//! `//!` headers on every source file, the only UI file that calls `invoke`, and the migration list.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::support::repo_root;

/// Internal crates each package may depend on (style: dependency direction).
const ALLOWED: &[(&str, &[&str])] = &[
    ("canvass-form", &[]),
    ("canvass-export", &["canvass-form"]),
    ("canvass-protocol", &[]),
    ("canvass-store", &["canvass-form"]),
    ("canvass-sync", &["canvass-store", "canvass-protocol"]),
    (
        "canvass-app",
        &[
            "canvass-form",
            "canvass-store",
            "canvass-sync",
            "canvass-protocol",
            "canvass-export",
        ],
    ),
    ("canvass-cli", &["canvass-app", "canvass-form"]),
    ("canvass-desktop", &["canvass-app"]),
    (
        "canvass-server",
        &["canvass-protocol", "canvass-form", "canvass-export"],
    ),
];

/// External crates that only one package may use: (crate, the packages allowed).
const CONFINED: &[(&str, &[&str])] = &[
    ("rusqlite", &["canvass-store", "canvass-server"]),
    ("reqwest", &["canvass-sync"]),
    ("tauri", &["canvass-desktop"]),
    ("tauri-build", &["canvass-desktop"]),
    ("tauri-plugin-dialog", &["canvass-desktop"]),
];

/// Every package manifest: the root (desktop) and each crate under src-tauri/crates and server/.
fn manifests() -> Vec<PathBuf> {
    let root = repo_root();
    let mut out = vec![root.join("Cargo.toml")];
    for dir in [root.join("src-tauri/crates"), root.to_path_buf()] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let m = e.path().join("Cargo.toml");
            if m.is_file() && (dir != root || e.file_name() == "server") {
                out.push(m);
            }
        }
    }
    out.sort();
    out
}

/// (package name, names of normal and build dependencies) of a manifest; dev-dependencies are for tests and free.
fn package_deps(manifest: &Path) -> (String, BTreeSet<String>) {
    let doc: toml::Value = toml::from_str(&std::fs::read_to_string(manifest).unwrap()).unwrap();
    let name = doc["package"]["name"].as_str().unwrap().to_owned();
    let mut deps = BTreeSet::new();
    // Platform-specific tables (`[target.'cfg(...)'.dependencies]`) count too.
    let mut tables: Vec<&toml::Value> = vec![&doc];
    if let Some(targets) = doc.get("target").and_then(|t| t.as_table()) {
        tables.extend(targets.values());
    }
    for scope in tables {
        for table in ["dependencies", "build-dependencies"] {
            if let Some(t) = scope.get(table).and_then(|t| t.as_table()) {
                deps.extend(t.keys().cloned());
            }
        }
    }
    (name, deps)
}

#[test]
fn internal_dependencies_follow_the_allowed_direction() {
    let mut seen = 0;
    for manifest in manifests() {
        let (name, deps) = package_deps(&manifest);
        let allowed = ALLOWED
            .iter()
            .find(|(p, _)| *p == name)
            .unwrap_or_else(|| panic!("{name} is not in the dependency table of tests/it/tidy.rs"))
            .1;
        for dep in deps.iter().filter(|d| d.starts_with("canvass-")) {
            assert!(
                allowed.contains(&dep.as_str()),
                "{name} must not depend on {dep} (see README, Architecture)"
            );
        }
        for (krate, owners) in CONFINED {
            if deps.contains(*krate) {
                assert!(
                    owners.contains(&name.as_str()),
                    "{name} must not depend on {krate}"
                );
            }
        }
        seen += 1;
    }
    assert!(
        seen >= 5,
        "expected the desktop package and at least four crates, found {seen}"
    );
}

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n == "target") {
                continue;
            }
            out.extend(rust_files(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out.sort();
    out
}

fn all_sources() -> Vec<PathBuf> {
    let root = repo_root();
    ["src-tauri", "server", "tests"]
        .iter()
        .flat_map(|d| rust_files(&root.join(d)))
        .collect()
}

#[test]
fn every_rust_file_opens_with_a_doc_line() {
    let files = all_sources();
    assert!(files.len() > 10, "found only {} source files", files.len());
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(
            text.starts_with("//!"),
            "{} must open with a `//!` line saying what it is",
            f.display()
        );
    }
}

/// Words that only appear in SQL text.
const SQL_MARKERS: &[&str] = &[
    "SELECT ",
    "INSERT INTO",
    "UPDATE ",
    "DELETE FROM",
    "CREATE TABLE",
    "CREATE INDEX",
    "PRAGMA ",
    "BEGIN IMMEDIATE",
];

#[test]
fn only_the_store_and_the_server_contain_sql() {
    let root = repo_root();
    for f in rust_files(&root.join("src-tauri")) {
        let rel = f
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if rel.starts_with("src-tauri/crates/canvass-store/") {
            continue;
        }
        for (n, line) in std::fs::read_to_string(&f).unwrap().lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            for m in SQL_MARKERS {
                assert!(
                    !code.contains(m),
                    "{rel}:{}: SQL belongs in canvass-store: {line}",
                    n + 1
                );
            }
        }
    }
}

#[test]
fn only_the_desktop_package_uses_tauri_and_only_the_store_uses_rusqlite_in_code() {
    let root = repo_root();
    for f in rust_files(&root.join("src-tauri/crates")) {
        let rel = f
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(
            !text.contains("tauri::"),
            "{rel}: only the desktop package knows Tauri"
        );
        assert!(
            !text.contains("reqwest::") || rel.contains("/canvass-sync/"),
            "{rel}: only canvass-sync makes HTTP calls"
        );
        if !rel.contains("/canvass-store/") {
            assert!(
                !text.contains("rusqlite::"),
                "{rel}: only canvass-store talks to SQLite"
            );
        }
    }
}

#[test]
fn only_api_js_calls_invoke() {
    let mut checked = 0;
    for p in crate::ui_strings::ui_files() {
        if p.file_name().is_some_and(|n| n != "api.js") {
            let text = std::fs::read_to_string(&p).unwrap();
            assert!(
                !text.contains("__TAURI__") && !text.contains("invoke("),
                "{} must call Rust through api.js",
                p.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 5);
}

#[test]
fn the_migration_list_equals_the_migrations_folder() {
    let dir = repo_root().join("migrations");
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .map(|p| {
            (
                p.file_stem().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    let listed: Vec<(String, String)> = canvass_store::MIGRATIONS
        .iter()
        .map(|m| (m.name.to_owned(), m.sql.to_owned()))
        .collect();
    assert_eq!(
        listed, files,
        "canvass-store's MIGRATIONS must list migrations/ in order"
    );
    for (i, (name, _)) in files.iter().enumerate() {
        assert!(
            name.starts_with(&format!("{:04}_", i + 1)),
            "{name}: migration N must be named NNNN_ with N = {}",
            i + 1
        );
    }
}

#[test]
fn the_readme_documents_the_architecture_rules() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    for needle in [
        "## Architecture",
        "Only `canvass-store` contains SQL",
        "same SQLite transaction",
        "does no I/O",
    ] {
        assert!(readme.contains(needle), "README.md must say: {needle}");
    }
}

/// Calls that reach the outside world: files, sockets, environment, processes, the clock, OS randomness.
const IO_MARKERS: &[&str] = &[
    "std::fs",
    "std::net",
    "std::env",
    "std::process",
    "std::io::stdin",
    "File::",
    "TcpStream",
    "Utc::now",
    "Local::now",
    "SystemTime",
    "Instant::now",
    "thread_rng",
    "getrandom",
    "tokio",
    "async fn",
];

#[test]
fn the_engine_does_no_io() {
    let root = repo_root();
    let files = rust_files(&root.join("src-tauri/crates/canvass-form/src"));
    assert!(!files.is_empty());
    // Test modules may read their fixture files; library code may not.
    let is_test = |f: &Path| {
        f.file_name()
            .is_some_and(|n| n == "tests.rs" || n == "test_util.rs")
    };
    for f in files.into_iter().filter(|f| !is_test(f)) {
        let rel = f.strip_prefix(root).unwrap().display().to_string();
        for (n, line) in std::fs::read_to_string(&f).unwrap().lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            for m in IO_MARKERS {
                assert!(
                    !code.contains(m),
                    "{rel}:{}: canvass-form must not do I/O or read the clock: {line}",
                    n + 1
                );
            }
        }
    }
}
