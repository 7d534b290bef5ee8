//! Bad input, fuzzed: random bytes and seeded random mutations of the real corpus forms go through
//! the XLSForm importer (.xlsx bytes, and workbooks rebuilt with mutated cells), the XForm importer
//! and the expression parser and evaluator. Nothing may panic or run away (inputs and walks are
//! bounded by size and step budgets, never by a clock), and every rejected form comes with an
//! error diagnostic saying why. A walk through every mutated form that still loads exercises the
//! runtime on what the importer accepted.
//!
//! The generator is a fixed-seed xorshift, so a failure names its seed and case and reproduces.
//! Case counts keep the whole file to seconds in a debug build.

use std::io::Cursor;

use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
use canvass_form::expr::{self, Context};
use canvass_form::{import_form, Instance};

use crate::support::repo_root;

const FORMS: &str = "src-tauri/crates/canvass-form/test_data/forms";

/// xorshift64*: small, seedable and good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }
}

fn ctx() -> Context {
    Context {
        now: chrono::DateTime::parse_from_rfc3339("2025-01-15T10:00:00+00:00")
            .expect("a fixed instant"),
        random_seed: 7,
        language: None,
    }
}

/// Pieces that make mutations reach deep into the parsers: XPath syntax, XLSForm references,
/// XML markup, huge and odd numbers, and text that is not ASCII.
const TOKENS: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    "/",
    "//",
    "..",
    ".",
    "@",
    "*",
    "|",
    "+",
    "-",
    "div",
    "mod",
    "and",
    "or",
    "=",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    ",",
    "'",
    "\"",
    "${",
    "}",
    "${a}",
    "${q",
    "$",
    "::",
    "instance('x')/root/item",
    "current()",
    "position()",
    "last()",
    "count(",
    "sum(",
    "concat(",
    "if(",
    "selected(",
    "once(",
    "random()",
    "uuid()",
    "date(",
    "format-date(",
    "regex(",
    "substr(",
    "indexed-repeat(",
    "jr:choice-name(",
    "pulldata(",
    "not(",
    "true()",
    "1e308",
    "-0",
    "99999999999",
    "0.0000001",
    "NaN",
    "Infinity",
    "\u{0}",
    "é",
    "日本",
    "\u{202e}",
    "<",
    ">",
    "&amp;",
    "&#0;",
    "&bogus;",
    "</",
    "<![CDATA[",
    "]]>",
    "<!--",
    "jr:template=\"\"",
    "nodeset=\"/\"",
    "<bind",
    "<repeat",
    "<group",
    "<instance>",
    "begin group",
    "end group",
    "begin repeat",
    "end repeat",
    "select_one",
    "select_multiple",
    "calculate",
    "integer",
    "1000000000",
    "field-list",
    "table-list",
    "randomize=true",
];

/// One random XPath-ish expression of at most `len` tokens.
fn random_expression(rng: &mut Rng, len: usize) -> String {
    let mut s = String::new();
    for _ in 0..rng.below(len + 1) {
        match rng.below(4) {
            0 => s.push_str(&rng.below(1000).to_string()),
            1 => s.push_str(rng.pick(&["a", "q", "x", "name", "data", "item", "value"])),
            _ => s.push_str(rng.pick(TOKENS)),
        }
        if rng.below(3) == 0 {
            s.push(' ');
        }
    }
    s
}

/// A byte-level mutation of `good`: flips, cuts, duplicated spans and inserted tokens.
fn mutate_bytes(rng: &mut Rng, good: &[u8]) -> Vec<u8> {
    let mut b = good.to_vec();
    for _ in 0..1 + rng.below(4) {
        if b.is_empty() {
            break;
        }
        let at = rng.below(b.len());
        match rng.below(5) {
            0 => b[at] ^= 1 << rng.below(8),
            1 => {
                let end = (at + rng.below(64)).min(b.len());
                b.drain(at..end);
            }
            2 => {
                let end = (at + rng.below(256)).min(b.len());
                let span = b[at..end].to_vec();
                b.splice(at..at, span);
            }
            3 => {
                let t = rng.pick(TOKENS).as_bytes().to_vec();
                b.splice(at..at, t);
            }
            _ => b.truncate(at),
        }
    }
    b
}

fn corpus(ext: &[&str]) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(repo_root().join(FORMS))
        .expect("the corpus folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .is_some_and(|x| ext.contains(&x.to_string_lossy().as_ref()))
        })
        .map(|p| {
            let name = p
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            (name, std::fs::read(&p).expect("a corpus form"))
        })
        .collect();
    out.sort();
    out
}

/// Imports `bytes`; a rejection must carry an error, and a form that loads is walked a little.
fn check_import(bytes: &[u8], name: &str, seed: u64, what: &str) {
    let import = import_form(bytes, name);
    match &import.form {
        None => assert!(
            import.errors().next().is_some(),
            "{what}: {name} rejected without an error diagnostic: {:?}",
            import.diagnostics
        ),
        // A walk, bounded by the walker's own step budget, through what was accepted; the largest
        // corpus forms are left out, to keep a debug run to seconds.
        Some(form) if import.is_clean() && form.nodes.len() <= 300 => {
            let walk = canvass_form::fill::random_walk(form, seed, ctx());
            assert!(walk["steps"].is_array(), "{what}: {name}: {walk}");
        }
        Some(_) => {}
    }
    for d in &import.diagnostics {
        assert!(
            !d.message.is_empty(),
            "{what}: {name}: a diagnostic without a message"
        );
    }
}

#[test]
fn random_bytes_are_rejected_with_a_diagnostic() {
    let mut rng = Rng::new(1);
    let prefixes: [&[u8]; 5] = [
        b"",
        b"PK\x03\x04",
        &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1],
        b"<?xml version=\"1.0\"?><h:html",
        b"\xEF\xBB\xBF<",
    ];
    for case in 0..300 {
        let mut bytes = rng.pick(&prefixes).to_vec();
        for _ in 0..rng.below(2048) {
            bytes.push(rng.next() as u8);
        }
        let name = rng.pick(&["f.xlsx", "f.xls", "f.xml", "f.txt", "f"]);
        let import = import_form(&bytes, name);
        assert!(
            import.form.is_none() || import.is_clean(),
            "case {case}: a form with errors must not be offered: {:?}",
            import.diagnostics
        );
        if import.form.is_none() {
            assert!(
                import.errors().next().is_some(),
                "case {case}: {name} rejected without an error"
            );
        }
    }
}

#[test]
fn mutated_xforms_never_panic() {
    let mut rng = Rng::new(2);
    for (name, good) in corpus(&["xml"]) {
        for case in 0..12 {
            let bad = mutate_bytes(&mut rng, &good);
            check_import(&bad, &name, case, &format!("xml case {case}"));
        }
    }
}

#[test]
fn damaged_xlsx_bytes_never_panic() {
    let mut rng = Rng::new(3);
    for (name, good) in corpus(&["xlsx", "xls"]) {
        for case in 0..10 {
            let bad = mutate_bytes(&mut rng, &good);
            check_import(&bad, &name, case, &format!("bytes case {case}"));
        }
    }
}

/// Reads every sheet of a workbook as text cells.
fn read_sheets(bytes: &[u8]) -> Vec<(String, Vec<Vec<String>>)> {
    let Ok(mut wb) = open_workbook_from_rs::<Xlsx<_>, _>(Cursor::new(bytes.to_vec())) else {
        return Vec::new();
    };
    let names = wb.sheet_names().to_vec();
    names
        .into_iter()
        .filter_map(|n| {
            let range = wb.worksheet_range(&n).ok()?;
            let rows = range
                .rows()
                .map(|r| {
                    r.iter()
                        .map(|c| match c {
                            Data::Empty => String::new(),
                            other => other.to_string(),
                        })
                        .collect()
                })
                .collect();
            Some((n, rows))
        })
        .collect()
}

fn write_sheets(sheets: &[(String, Vec<Vec<String>>)]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    for (name, rows) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(name).expect("a corpus sheet name");
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                if !cell.is_empty() {
                    ws.write_string(r as u32, c as u16, cell)
                        .expect("a cell inside the sheet");
                }
            }
        }
    }
    wb.save_to_buffer().expect("an in-memory workbook")
}

/// Workbooks rebuilt from the corpus with mutated cells (types, names, expressions, counts,
/// choice lists, deleted and duplicated rows) reach past the zip layer into the XLSForm rules.
#[test]
fn xlsforms_with_mutated_cells_never_panic() {
    let mut rng = Rng::new(4);
    for (name, good) in corpus(&["xlsx"]) {
        let sheets = read_sheets(&good);
        assert!(!sheets.is_empty(), "{name} reads back");
        // The one very large workbook gets fewer cases, to keep a debug run to seconds.
        let cases = if good.len() > 300_000 { 2 } else { 8 };
        for case in 0..cases {
            let mut s = sheets.clone();
            for _ in 0..1 + rng.below(6) {
                let si = rng.below(s.len());
                let rows = &mut s[si].1;
                if rows.len() < 2 {
                    continue;
                }
                let r = 1 + rng.below(rows.len() - 1);
                match rng.below(6) {
                    0 => {
                        rows.remove(r);
                    }
                    1 => {
                        let dup = rows[r].clone();
                        rows.insert(r, dup);
                    }
                    _ => {
                        let row = &mut rows[r];
                        if row.is_empty() {
                            continue;
                        }
                        let c = rng.below(row.len());
                        row[c] = match rng.below(3) {
                            0 => random_expression(&mut rng, 8),
                            1 => format!("{}{}", row[c], rng.pick(TOKENS)),
                            _ => rng.pick(TOKENS).to_string(),
                        };
                    }
                }
            }
            let bytes = write_sheets(&s);
            check_import(&bytes, &name, case, &format!("cells case {case}"));
        }
    }
}

/// Random token soup through the parser, and whatever parses through the evaluator against a
/// real interview, from every kind of node; deep nesting hits the parser's and evaluator's
/// depth limits rather than the stack.
#[test]
fn random_expressions_parse_and_evaluate_without_panics() {
    let mut rng = Rng::new(5);
    let bytes = std::fs::read(repo_root().join(FORMS).join("wf_complex_repeats.xml"))
        .expect("a corpus form");
    let form = import_form(&bytes, "wf_complex_repeats.xml")
        .form
        .expect("the form loads");
    let inst = Instance::new(form, ctx());
    let nodes = inst.all_nodes();
    let mut sources: Vec<String> = (0..1500).map(|_| random_expression(&mut rng, 24)).collect();
    for depth in [150, 250, 5000] {
        sources.push(format!("{}1{}", "(".repeat(depth), ")".repeat(depth)));
        sources.push(format!("{}1", "-".repeat(depth)));
        sources.push(format!("{}1{}", "concat(".repeat(depth), ")".repeat(depth)));
        sources.push("a/".repeat(depth) + "a");
        sources.push("1 + ".repeat(depth) + "1");
    }
    for (i, src) in sources.iter().enumerate() {
        let (e, diags) = expr::parse(src);
        for d in &diags {
            assert!(!d.message.is_empty(), "case {i}: `{src}`");
        }
        if diags.is_empty() {
            let at = rng.pick(&nodes);
            // The result may be an evaluation error; it must not be a panic.
            let _ = expr::eval_string(&e, &inst, at, &ctx());
        }
    }
}

/// Found by the mutations above: a fixed repeat count of a billion made the interview build a
/// billion instances (a hang, then out of memory). Both importers now refuse it at the place it
/// is written, and the runtime holds any count to the same limit.
#[test]
fn a_huge_fixed_repeat_count_is_an_import_error_not_a_hang() {
    let sheets = vec![(
        "survey".to_string(),
        vec![
            vec![
                "type".into(),
                "name".into(),
                "label".into(),
                "repeat_count".into(),
            ],
            vec![
                "begin repeat".into(),
                "r".into(),
                "R".into(),
                "1000000000".into(),
            ],
            vec!["text".into(), "q".into(), "Q".into(), String::new()],
            vec![
                "end repeat".into(),
                String::new(),
                String::new(),
                String::new(),
            ],
        ],
    )];
    let import = import_form(&write_sheets(&sheets), "huge.xlsx");
    let errors: Vec<String> = import.errors().map(|d| d.to_string()).collect();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("repeat_count 1000000000") && e.contains("row 2")),
        "{errors:?}"
    );
    let xml = r#"<?xml version="1.0"?>
<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml" xmlns:jr="http://openrosa.org/javarosa">
<h:head><h:title>t</h:title><model><instance><data id="t"><r><q/></r></data></instance>
<bind nodeset="/data/r/q" type="string"/></model></h:head>
<h:body><group ref="/data/r"><repeat nodeset="/data/r" jr:count="1000000000">
<input ref="/data/r/q"><label>q</label></input></repeat></group></h:body></h:html>"#;
    let import = import_form(xml.as_bytes(), "huge.xml");
    let errors: Vec<String> = import.errors().map(|d| d.to_string()).collect();
    assert!(
        errors.iter().any(|e| e.contains("jr:count 1000000000")),
        "{errors:?}"
    );
}
