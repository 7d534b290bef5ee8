//! UI text rules: every catalogue in `ui/i18n/` has each key in English, Ukrainian and Russian, every `t("key")` exists, and screens hard-code no words.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::support::repo_root;

/// The UI languages; each catalogue file must define all of them.
const LOCALES: &[&str] = &["en", "uk", "ru"];

/// Every `.js` and `.html` file under `ui/`, at any depth.
pub fn ui_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "js" || x == "html") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&repo_root().join("ui"), &mut out);
    out.sort();
    out
}

/// The keys per locale in one catalogue file, read from its `  en: {` … blocks.
///
/// Catalogues keep one fixed layout (locale at two spaces, keys at four, each
/// key quoted at the start of its line) so that this reading needs no JavaScript parser.
fn catalogue_keys(text: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut locale: Option<String> = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("  ") {
            if !rest.starts_with(' ') {
                let name = rest.split(':').next().unwrap_or("").trim();
                if rest.trim_end().ends_with('{') && LOCALES.contains(&name) {
                    locale = Some(name.to_string());
                    out.entry(name.to_string()).or_default();
                    continue;
                }
                if rest.starts_with('}') {
                    locale = None;
                    continue;
                }
            }
        }
        if let (Some(loc), Some(rest)) = (&locale, line.strip_prefix("    \"")) {
            if let Some(end) = rest.find("\":") {
                out.get_mut(loc).unwrap().insert(rest[..end].to_string());
            }
        }
    }
    out
}

fn all_keys() -> BTreeMap<String, BTreeSet<String>> {
    let mut all: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let dir = repo_root().join("ui").join("i18n");
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        let text = std::fs::read_to_string(e.path()).unwrap();
        for (loc, keys) in catalogue_keys(&text) {
            all.entry(loc).or_default().extend(keys);
        }
    }
    all
}

#[test]
fn every_catalogue_has_every_key_in_all_three_languages() {
    let dir = repo_root().join("ui").join("i18n");
    let mut files = 0;
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        let path = e.path();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("addMessages({"),
            "{}: a catalogue adds its messages with addMessages",
            path.display()
        );
        let keys = catalogue_keys(&text);
        let en = keys.get("en").cloned().unwrap_or_default();
        assert!(!en.is_empty(), "{}: no English keys found", path.display());
        for loc in LOCALES {
            let other = keys.get(*loc).cloned().unwrap_or_default();
            let missing: Vec<_> = en.difference(&other).collect();
            let extra: Vec<_> = other.difference(&en).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{}: locale {loc} lacks {missing:?} and has extra {extra:?}",
                path.display()
            );
        }
        files += 1;
    }
    assert!(files >= 1);
}

#[test]
fn every_key_the_ui_asks_for_exists() {
    let en = all_keys().remove("en").unwrap_or_default();
    let mut asked = 0;
    for path in ui_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        let mut rest = text.as_str();
        while let Some(i) = rest.find("t(\"") {
            // Only a call of `t` itself: the character before must not be part of a longer name.
            let before = rest[..i].chars().last();
            rest = &rest[i + 3..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.') {
                continue;
            }
            let key = &rest[..rest.find('"').unwrap_or(0)];
            assert!(
                en.contains(key),
                "{} asks for the message {key:?}, which no catalogue defines",
                path.display()
            );
            asked += 1;
        }
    }
    assert!(asked > 20, "found only {asked} t(\"…\") calls");
}

/// Text children written as string literals in `el(...)` calls: words there would escape translation.
fn literal_texts(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("el(\"") {
        rest = &rest[i + 4..];
        // Skip the tag name and the attribute object (one level of braces).
        let Some(tag_end) = rest.find('"') else {
            break;
        };
        // Keycaps (`kbd`) name keys as printed on every keyboard, so they are not translated.
        if &rest[..tag_end] == "kbd" {
            continue;
        }
        let after_tag = &rest[tag_end + 1..];
        let after_tag = after_tag.trim_start_matches([',', ' ']);
        if !after_tag.starts_with('{') {
            continue;
        }
        let mut depth = 0;
        let mut end = None;
        for (k, c) in after_tag.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(k);
                        break;
                    }
                }
                _ => {}
            }
        }
        let Some(end) = end else { break };
        let tail = after_tag[end + 1..].trim_start_matches([',', ' ']);
        if let Some(lit) = tail.strip_prefix('"') {
            let s = &lit[..lit.find('"').unwrap_or(0)];
            if s.chars().any(|c| c.is_alphabetic()) {
                found.push(s.to_string());
            }
        }
    }
    found
}

#[test]
fn screens_write_no_words_outside_the_catalogues() {
    let mut scanned = 0;
    for path in ui_files() {
        let rel = path
            .strip_prefix(repo_root())
            .unwrap()
            .to_string_lossy()
            .to_string();
        if !rel.ends_with(".js") || rel.contains("/i18n") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let words = literal_texts(&text);
        assert!(
            words.is_empty(),
            "{rel} writes untranslated text: {words:?}; add it to a catalogue in ui/i18n/"
        );
        for line in text.lines() {
            if let Some(i) = line.find("textContent = \"") {
                let lit = &line[i + 15..];
                let s = &lit[..lit.find('"').unwrap_or(0)];
                assert!(
                    !s.chars().any(|c| c.is_alphabetic()),
                    "{rel} sets untranslated text {s:?}"
                );
            }
        }
        scanned += 1;
    }
    assert!(scanned >= 5);
}

#[test]
fn the_literal_text_scanner_finds_words() {
    // The rule above is only as good as its scanner; prove it catches what it should.
    let found = literal_texts(
        r#"x = el("p", { class: "muted" }, "Hello there"); y = el("td", {}, t("k")); z = el("kbd", {}, "Esc");"#,
    );
    assert_eq!(found, vec!["Hello there".to_string()]);
}
