//! The data export: a study's tables from its interviews' final values, and the driver that streams them into a writer.
//!
//! The export streams: interviews come from a [`RecordSource`] a page at a
//! time and each interview's values are turned into rows and handed to the
//! writer at once, so memory stays flat however large the study is. Each
//! interview's final record comes from the engine (`Instance::record`), which
//! leaves out answers that are no longer relevant; a form with no `relevant`,
//! `calculate` or `default` binds cannot hide or add anything, so its stored
//! answers are the record and the engine is skipped (the fast path the
//! benchmark measures).
//!
//! Layout follows ODK Central: one table for the top level, keyed by the
//! interview id, and one table per repeat with `parent_key` and `key`
//! (`<interview id>/member[2]`). A `select_multiple` question gives its
//! space-separated codes plus one 0/1 column per choice.

mod sav;
mod spool;
mod stata;
mod xlsx;
mod xml;

use std::collections::HashMap;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use canvass_form::model::{NodeKind, QuestionType};
use canvass_form::Questionnaire;

use crate::error::Error;

/// The formats of `canvass export data --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataFormat {
    Csv,
    Xlsx,
    Sav,
    Dta,
    Jsonl,
    /// ODK submission XML, one file per interview.
    Xml,
}

impl DataFormat {
    /// Parses the CLI name: `csv`, `xlsx`, `sav`, `dta`, `jsonl` or `xml`.
    pub fn parse(name: &str) -> Option<DataFormat> {
        match name {
            "csv" => Some(DataFormat::Csv),
            "xlsx" => Some(DataFormat::Xlsx),
            "sav" => Some(DataFormat::Sav),
            "dta" => Some(DataFormat::Dta),
            "jsonl" => Some(DataFormat::Jsonl),
            "xml" => Some(DataFormat::Xml),
            _ => None,
        }
    }
}

/// What to export and how.
#[derive(Debug, Clone, PartialEq)]
pub struct DataExportOptions {
    pub study: String,
    pub format: DataFormat,
    /// Choice labels instead of codes in CSV, XLSX and JSON Lines (`.sav` and `.dta` always
    /// store codes with value labels).
    pub labels: bool,
    /// Language of labels, as named in the form; `None` is the form's default.
    pub language: Option<String>,
    /// Statuses to take; empty means the source's default (`completed` on a device; on the
    /// server every interview the supervisors have not sent back).
    pub statuses: Vec<String>,
    /// Inclusive lower bound on completion time (last change for unfinished work), Unix ms.
    pub from_ms: Option<i64>,
    /// Exclusive upper bound on the same time, Unix ms.
    pub to_ms: Option<i64>,
}

impl DataExportOptions {
    /// Completed interviews of `study` in `format`, codes, default language.
    pub fn new(study: &str, format: DataFormat) -> DataExportOptions {
        DataExportOptions {
            study: study.to_owned(),
            format,
            labels: false,
            language: None,
            statuses: Vec::new(),
            from_ms: None,
            to_ms: None,
        }
    }
}

/// What a data export wrote.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DataExportSummary {
    pub files: Vec<PathBuf>,
    pub interviews: usize,
    /// Rows written over every table (top level and repeats).
    pub rows: usize,
    /// Non-empty answers written.
    pub answers: usize,
    /// Text values cut to the longest string the format holds (`.sav` 255 bytes, `.dta` 2045).
    pub truncated: usize,
}

impl DataExportSummary {
    /// What the command lines print after an export into `dir`: the counts, and a
    /// warning line when text values were cut.
    pub fn report(&self, dir: &Path) -> String {
        let mut text = format!(
            "exported {} interviews ({} rows, {} answers) to {} file(s) in {}\n",
            self.interviews,
            self.rows,
            self.answers,
            self.files.len(),
            dir.display()
        );
        if self.truncated > 0 {
            text.push_str(&format!(
                "warning: {} text values were longer than the format holds and were cut\n",
                self.truncated
            ));
        }
        text
    }
}

/// Interviews a source should read per page; each page reports progress and may be cancelled.
pub const PAGE: usize = 500;

/// How a column's values are typed and shown.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ColKind {
    /// Key, status or timestamp columns the export adds.
    Meta,
    Text,
    Number,
    /// A `select_one`; `numeric` when every code is an integer, so `.sav`/`.dta` store numbers.
    SelectOne {
        list: String,
        numeric: bool,
    },
    SelectMultiple {
        list: String,
    },
    /// The 0/1 column of one choice of the `select_multiple` in column `of`.
    Choice {
        of: usize,
        code: String,
    },
}

/// One column of a table.
#[derive(Debug, Clone)]
pub(crate) struct Column {
    /// Header in CSV, XLSX and JSON (`group-question`, `question/choice`).
    pub name: String,
    /// Variable name in `.sav` and `.dta`: letters, digits and `_`, at most 32 bytes, unique.
    pub var: String,
    /// Variable label: the question's label in the chosen language.
    pub label: String,
    pub kind: ColKind,
}

impl Column {
    /// True for columns stored as numbers in `.sav` and `.dta`.
    pub(crate) fn numeric(&self) -> bool {
        matches!(
            self.kind,
            ColKind::Number | ColKind::Choice { .. } | ColKind::SelectOne { numeric: true, .. }
        )
    }
}

/// One table: the top level or one repeat.
#[derive(Debug, Clone)]
pub(crate) struct Level {
    /// `""` for the top level, else the repeat's path below the root joined by `-`.
    pub name: String,
    /// Template path of the repeat, or of the root.
    pub path: String,
    pub parent: Option<usize>,
    pub columns: Vec<Column>,
}

/// The tables of a study and the choice labels of its lists.
#[derive(Debug, Clone)]
pub(crate) struct Schema {
    pub study: String,
    pub title: String,
    pub levels: Vec<Level>,
    /// Template path of a question (or repeat, with `usize::MAX`) to its level and column.
    pub lookup: HashMap<String, (usize, usize)>,
    /// Choice list name to `(code, label)` in the chosen language.
    pub choices: HashMap<String, Vec<(String, String)>>,
}

/// Columns every top-level table starts with.
const MAIN_META: [&str; 5] = [
    "interview_id",
    "status",
    "created_at",
    "updated_at",
    "completed_at",
];
/// Columns every repeat table starts with.
const REPEAT_META: [&str; 2] = ["parent_key", "key"];

impl Schema {
    pub(crate) fn build(form: &Questionnaire, language: Option<&str>) -> Schema {
        let lang_fallback = form.default_language.as_deref();
        let mut choices = HashMap::new();
        for (name, list) in &form.choice_lists {
            choices.insert(
                name.clone(),
                list.choices
                    .iter()
                    .map(|c| {
                        let label = c.label.get(language, lang_fallback).unwrap_or(&c.name);
                        (c.name.clone(), label.to_owned())
                    })
                    .collect(),
            );
        }
        let meta = |names: &[&str]| -> Vec<Column> {
            names
                .iter()
                .map(|n| Column {
                    name: (*n).to_owned(),
                    var: (*n).to_owned(),
                    label: String::new(),
                    kind: ColKind::Meta,
                })
                .collect()
        };
        let mut levels = vec![Level {
            name: String::new(),
            path: format!("/{}", form.root_name),
            parent: None,
            columns: meta(&MAIN_META),
        }];
        let mut lookup = HashMap::new();
        // Level of each node index, filled in document order (parents come first).
        let mut level_of: HashMap<usize, usize> = HashMap::new();
        level_of.insert(0, 0);
        let root_prefix = format!("/{}/", form.root_name);
        for idx in form.document_order() {
            let node = &form.nodes[idx];
            let Some(parent) = node.parent else { continue };
            let parent_level = level_of.get(&parent).copied().unwrap_or(0);
            let rel = |from: &str| -> String {
                node.path
                    .strip_prefix(from)
                    .unwrap_or(&node.path)
                    .trim_matches('/')
                    .replace('/', "-")
            };
            match &node.kind {
                NodeKind::Repeat { .. } => {
                    let name = rel(&root_prefix);
                    levels.push(Level {
                        name,
                        path: node.path.clone(),
                        parent: Some(parent_level),
                        columns: meta(&REPEAT_META),
                    });
                    let l = levels.len() - 1;
                    level_of.insert(idx, l);
                    lookup.insert(node.path.clone(), (l, usize::MAX));
                }
                NodeKind::Group { .. } | NodeKind::Root => {
                    level_of.insert(idx, parent_level);
                }
                NodeKind::Question(ty) => {
                    if matches!(ty, QuestionType::Note) {
                        continue;
                    }
                    let l = parent_level;
                    let name = rel(&levels[l].path);
                    let label = node
                        .label
                        .get(language, lang_fallback)
                        .unwrap_or_default()
                        .to_owned();
                    let list = node.choices.as_ref().map(|c| c.list.clone());
                    let kind = match (ty, list) {
                        (QuestionType::SelectOne, Some(list)) => {
                            let numeric =
                                choices
                                    .get(&list)
                                    .is_some_and(|cs: &Vec<(String, String)>| {
                                        !cs.is_empty()
                                            && cs.iter().all(|(c, _)| c.parse::<i32>().is_ok())
                                    });
                            ColKind::SelectOne { list, numeric }
                        }
                        (QuestionType::SelectMultiple, Some(list)) => {
                            ColKind::SelectMultiple { list }
                        }
                        (
                            QuestionType::Integer
                            | QuestionType::Decimal
                            | QuestionType::Range { .. },
                            _,
                        ) => ColKind::Number,
                        _ => ColKind::Text,
                    };
                    let columns = &mut levels[l].columns;
                    columns.push(Column {
                        name: name.clone(),
                        var: node.name.clone(),
                        label: label.clone(),
                        kind: kind.clone(),
                    });
                    let col = columns.len() - 1;
                    lookup.insert(node.path.clone(), (l, col));
                    if let ColKind::SelectMultiple { list } = &kind {
                        for (code, clabel) in choices.get(list).into_iter().flatten() {
                            columns.push(Column {
                                name: format!("{name}/{code}"),
                                var: format!("{}_{code}", node.name),
                                label: format!("{label}: {clabel}"),
                                kind: ColKind::Choice {
                                    of: col,
                                    code: code.clone(),
                                },
                            });
                        }
                    }
                }
            }
        }
        for level in &mut levels {
            let mut seen = std::collections::HashSet::new();
            for c in &mut level.columns {
                c.var = unique_var(&c.var, &mut seen);
            }
        }
        Schema {
            study: form.id.clone(),
            title: form.title.clone(),
            levels,
            lookup,
            choices,
        }
    }

    /// The file stem of a level's table: `<study>` or `<study>-<repeat>`.
    pub(crate) fn stem(&self, level: usize) -> String {
        let name = &self.levels[level].name;
        if name.is_empty() {
            self.study.clone()
        } else {
            format!("{}-{name}", self.study)
        }
    }

    /// The label of choice `code` in `list`, or the code itself when the list lacks it.
    pub(crate) fn choice_label<'a>(&'a self, list: &str, code: &'a str) -> &'a str {
        self.choices
            .get(list)
            .and_then(|cs| cs.iter().find(|(c, _)| c == code))
            .map(|(_, l)| l.as_str())
            .unwrap_or(code)
    }

    /// A cell as CSV, XLSX and JSON show it: the code, or its label when `labels` is set.
    pub(crate) fn shown(&self, level: usize, col: usize, value: &str, labels: bool) -> String {
        if !labels || value.is_empty() {
            return value.to_owned();
        }
        match &self.levels[level].columns[col].kind {
            ColKind::SelectOne { list, .. } => self.choice_label(list, value).to_owned(),
            ColKind::SelectMultiple { list } => value
                .split(' ')
                .map(|c| self.choice_label(list, c))
                .collect::<Vec<_>>()
                .join("; "),
            _ => value.to_owned(),
        }
    }
}

/// A Stata- and SPSS-safe variable name, unique within `seen`.
fn unique_var(name: &str, seen: &mut std::collections::HashSet<String>) -> String {
    let mut base: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if !base.starts_with(|c: char| c.is_ascii_alphabetic()) {
        base.insert(0, 'v');
    }
    base.truncate(28);
    let mut candidate = base.clone();
    let mut n = 1;
    while !seen.insert(candidate.to_ascii_lowercase()) {
        n += 1;
        candidate = format!("{base}_{n}");
    }
    candidate
}

/// One row of a table.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    /// Repeat positions along the path, to order rows as the interview had them.
    order: Vec<usize>,
    /// True when the store marks this instance as added on purpose (Alt+A): such a
    /// member stays in the data even with every answer empty, as it would in ODK.
    kept: bool,
    pub cells: Vec<String>,
}

/// One interview as rows of every table.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    /// Rows per level; level 0 holds exactly one row.
    pub rows: Vec<Vec<Row>>,
    /// The interview's form version and final values, for writers that keep the
    /// instance's shape (XML); only filled when the writer asks, so the tabular
    /// exports pay nothing for it.
    pub source: Option<Source>,
}

/// What a record was built from.
#[derive(Debug, Clone)]
pub(crate) struct Source {
    /// The form version the interview was taken on.
    pub form: Arc<Questionnaire>,
    /// Final `(instance path, value)` pairs.
    pub values: Vec<(String, String)>,
    /// True when `values` hold every relevant leaf (the engine's record); false when they
    /// are the stored answers of a form that hides nothing.
    pub complete: bool,
}

/// Builds an interview's rows from its final `(instance path, value)` pairs.
pub(crate) fn record_of(schema: &Schema, row: &Meta, values: Vec<(String, String)>) -> Record {
    let mut rows: Vec<Vec<Row>> = schema.levels.iter().map(|_| Vec::new()).collect();
    let mut main = vec![String::new(); schema.levels[0].columns.len()];
    main[0] = row.id.clone();
    main[1] = row.status.clone();
    main[2] = utc(row.created_at);
    main[3] = utc(row.updated_at);
    main[4] = row.completed_at.map(utc).unwrap_or_default();
    rows[0].push(Row {
        order: Vec::new(),
        kept: true,
        cells: main,
    });
    // Repeat-instance prefix (`/data/member[2]`) to its row index in its level.
    let mut instances: HashMap<String, usize> = HashMap::new();
    let mut template = String::new();
    for (path, value) in values {
        // Most answers sit outside repeats, and their path is already the template path.
        let key: &str = if path.contains('[') {
            template.clear();
            strip_positions(&path, &mut template);
            &template
        } else {
            &path
        };
        let Some(&(level, col)) = schema.lookup.get(key) else {
            continue;
        };
        let target = if level == 0 {
            0
        } else {
            let prefix = if col == usize::MAX {
                path.as_str()
            } else {
                repeat_prefix(&path)
            };
            match instances.get(prefix) {
                Some(&i) => i,
                None => {
                    let mut cells = vec![String::new(); schema.levels[level].columns.len()];
                    let parent = repeat_prefix(&prefix[..prefix.rfind('[').unwrap_or(0)]);
                    cells[0] = if parent.is_empty() {
                        row.id.clone()
                    } else {
                        format!("{}/{}", row.id, below_root(parent))
                    };
                    cells[1] = format!("{}/{}", row.id, below_root(prefix));
                    rows[level].push(Row {
                        order: positions(prefix),
                        kept: false,
                        cells,
                    });
                    let i = rows[level].len() - 1;
                    instances.insert(prefix.to_owned(), i);
                    i
                }
            }
        };
        if col == usize::MAX {
            // The value-less row the store writes for an added instance.
            rows[level][target].kept = true;
            continue;
        }
        let cells = &mut rows[level][target].cells;
        if let ColKind::SelectMultiple { .. } = schema.levels[level].columns[col].kind {
            let chosen: Vec<&str> = value.split_whitespace().collect();
            for (c, column) in schema.levels[level]
                .columns
                .iter()
                .enumerate()
                .skip(col + 1)
            {
                match &column.kind {
                    ColKind::Choice { of, code } if *of == col => {
                        cells[c] = if value.is_empty() {
                            String::new()
                        } else if chosen.contains(&code.as_str()) {
                            "1".to_owned()
                        } else {
                            "0".to_owned()
                        };
                    }
                    _ => break,
                }
            }
        }
        cells[col] = value;
    }
    // A repeat instance with no answer that nobody added (the engine's first,
    // untouched instance) is no data: drop it unless a deeper repeat row hangs
    // from it. A member added on purpose and left empty stays, because the
    // interviewer said it exists. Deeper levels come later, so walk backwards.
    let mut needed: std::collections::HashSet<String> = std::collections::HashSet::new();
    for level in rows.iter_mut().skip(1).rev() {
        let meta = REPEAT_META.len();
        level.retain(|r| {
            r.kept || r.cells[meta..].iter().any(|c| !c.is_empty()) || needed.contains(&r.cells[1])
        });
        needed.extend(level.iter().map(|r| r.cells[0].clone()));
        level.sort_by(|a, b| a.order.cmp(&b.order));
    }
    Record { rows, source: None }
}

/// `/data/member[2]` to `member[2]`: a key's part below the root element.
fn below_root(path: &str) -> &str {
    let p = path.trim_start_matches('/');
    p.split_once('/').map(|(_, rest)| rest).unwrap_or("")
}

/// `/data/member[2]/age` to `/data/member/age`, appended to `out`.
fn strip_positions(path: &str, out: &mut String) {
    let mut skip = false;
    for ch in path.chars() {
        match ch {
            '[' => skip = true,
            ']' => skip = false,
            c if !skip => out.push(c),
            _ => {}
        }
    }
}

/// The path up to and including its last repeat position: `/data/member[2]/age` gives `/data/member[2]`.
fn repeat_prefix(path: &str) -> &str {
    match path.rfind(']') {
        Some(i) => &path[..=i],
        None => "",
    }
}

/// The repeat positions along a path: `/data/hh[1]/member[3]` gives `[1, 3]`.
fn positions(path: &str) -> Vec<usize> {
    path.split('[')
        .skip(1)
        .filter_map(|s| s.split(']').next().and_then(|n| n.parse().ok()))
        .collect()
}

/// Unix ms as `2026-11-22T09:00:00.000Z`.
fn utc(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_default()
}

/// True when nothing in the form can hide a stored answer or add one the store lacks:
/// no relevance, calculation or default, and no value the engine fills in itself
/// (metadata preloads and model-only values such as `meta/instanceID`).
pub fn record_is_stored_answers(form: &Questionnaire) -> bool {
    form.nodes.iter().all(|n| {
        n.binds.relevant.is_none()
            && n.binds.calculation.is_none()
            && n.binds.default.is_none()
            && n.question_type()
                .is_none_or(|t| t.preload().is_none() && !matches!(t, QuestionType::ModelValue))
    })
}

/// A writer of one format.
pub(crate) trait Sink {
    /// True when the writer needs [`Record::source`].
    fn needs_source(&self) -> bool {
        false
    }
    fn interview(&mut self, schema: &Schema, record: &Record) -> std::io::Result<()>;
    /// Finishes the files; returns `(part path, final path)` pairs to rename into place.
    fn finish(self: Box<Self>, schema: &Schema) -> std::io::Result<Vec<(PathBuf, PathBuf)>>;
    /// Values cut to fit the format.
    fn truncated(&self) -> usize {
        0
    }
}

/// One table as the `.sav` and `.dta` writers see it.
pub(crate) struct Table<'a> {
    pub schema: &'a Schema,
    pub level: &'a Level,
    /// Longest value in bytes of each text column.
    pub widths: &'a [usize],
    pub rows: usize,
    /// The file label: the form title, and the repeat for a repeat table.
    pub label: &'a str,
}

/// Where a file is written until the export succeeds.
pub(crate) fn part_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".part");
    PathBuf::from(s)
}

/// Creates `out_dir/<stem>.<ext>.part` for writing.
pub(crate) fn create(
    out_dir: &Path,
    stem: &str,
    ext: &str,
) -> std::io::Result<(PathBuf, BufWriter<std::fs::File>)> {
    let path = out_dir.join(format!("{stem}.{ext}"));
    let file = std::fs::File::create(part_path(&path))?;
    Ok((path, BufWriter::with_capacity(1 << 16, file)))
}

/// CSV: one file per level.
struct CsvSink {
    labels: bool,
    files: Vec<(PathBuf, csv::Writer<BufWriter<std::fs::File>>)>,
}

impl CsvSink {
    fn new(schema: &Schema, out_dir: &Path, labels: bool) -> std::io::Result<CsvSink> {
        let mut files = Vec::new();
        for (l, level) in schema.levels.iter().enumerate() {
            let (path, w) = create(out_dir, &schema.stem(l), "csv")?;
            let mut w = csv::WriterBuilder::new()
                .terminator(csv::Terminator::Any(b'\n'))
                .from_writer(w);
            w.write_record(level.columns.iter().map(|c| c.name.as_str()))
                .map_err(crate::csv_io)?;
            files.push((path, w));
        }
        Ok(CsvSink { labels, files })
    }
}

impl Sink for CsvSink {
    fn interview(&mut self, schema: &Schema, record: &Record) -> std::io::Result<()> {
        for (l, rows) in record.rows.iter().enumerate() {
            let w = &mut self.files[l].1;
            for row in rows {
                if self.labels {
                    let shown: Vec<String> = row
                        .cells
                        .iter()
                        .enumerate()
                        .map(|(c, v)| schema.shown(l, c, v, true))
                        .collect();
                    w.write_record(&shown).map_err(crate::csv_io)?;
                } else {
                    w.write_record(&row.cells).map_err(crate::csv_io)?;
                }
            }
        }
        Ok(())
    }

    fn finish(self: Box<Self>, _schema: &Schema) -> std::io::Result<Vec<(PathBuf, PathBuf)>> {
        let mut out = Vec::new();
        for (path, w) in self.files {
            let mut inner = w
                .into_inner()
                .map_err(|e| std::io::Error::other(e.to_string()))?;
            inner.flush()?;
            out.push((part_path(&path), path));
        }
        Ok(out)
    }
}

/// JSON Lines: one object per interview, repeats nested as arrays under their names.
struct JsonlSink {
    labels: bool,
    path: PathBuf,
    w: BufWriter<std::fs::File>,
}

impl JsonlSink {
    /// Writes one row as a JSON object, columns in table order, its repeats nested as arrays.
    fn object(
        &self,
        out: &mut Vec<u8>,
        schema: &Schema,
        record: &Record,
        level: usize,
        row: &Row,
    ) -> std::io::Result<()> {
        out.push(b'{');
        let mut first = true;
        let mut key = |out: &mut Vec<u8>, name: &str| -> std::io::Result<()> {
            if !first {
                out.push(b',');
            }
            first = false;
            serde_json::to_writer(&mut *out, name)?;
            out.push(b':');
            Ok(())
        };
        let cols = &schema.levels[level].columns;
        for (c, col) in cols.iter().enumerate() {
            if matches!(col.kind, ColKind::Choice { .. }) || (level > 0 && c == 0) {
                continue;
            }
            key(out, &col.name)?;
            let v = &row.cells[c];
            let number = matches!(col.kind, ColKind::Number)
                .then(|| v.parse::<serde_json::Number>().ok())
                .flatten();
            if v.is_empty() {
                out.extend_from_slice(b"null");
            } else if let Some(n) = number {
                serde_json::to_writer(&mut *out, &n)?;
            } else {
                serde_json::to_writer(&mut *out, &schema.shown(level, c, v, self.labels))?;
            }
        }
        let own_key = &row.cells[if level == 0 { 0 } else { 1 }];
        for (child, l) in schema.levels.iter().enumerate() {
            if l.parent != Some(level) {
                continue;
            }
            let name = l.name.rsplit('-').next().unwrap_or(&l.name);
            key(out, name)?;
            out.push(b'[');
            let children = record.rows[child].iter().filter(|r| &r.cells[0] == own_key);
            for (n, r) in children.enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                self.object(out, schema, record, child, r)?;
            }
            out.push(b']');
        }
        out.push(b'}');
        Ok(())
    }
}

impl Sink for JsonlSink {
    fn interview(&mut self, schema: &Schema, record: &Record) -> std::io::Result<()> {
        let mut line = Vec::with_capacity(1024);
        self.object(&mut line, schema, record, 0, &record.rows[0][0])?;
        line.push(b'\n');
        self.w.write_all(&line)
    }

    fn finish(mut self: Box<Self>, _schema: &Schema) -> std::io::Result<Vec<(PathBuf, PathBuf)>> {
        self.w.flush()?;
        Ok(vec![(part_path(&self.path), self.path)])
    }
}

/// What the export needs to know of an interview besides its answers: the top table's key and meta columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    /// The interview id (a UUID), the key of every row the interview gives.
    pub id: String,
    /// The status column: `completed`, `in_progress`... on a device; the review state on the server.
    pub status: String,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms of the last change.
    pub updated_at: i64,
    /// Unix ms; `None` for unfinished work.
    pub completed_at: Option<i64>,
    /// The questionnaire version the interview was taken on, as [`RecordSource::form`] knows it.
    pub questionnaire_version: String,
}

/// One interview as a source hands it over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interview {
    pub meta: Meta,
    /// Stored `(instance path, value)` pairs, ordered by path. A value-less pair whose
    /// path ends in `]` marks a repeat instance added on purpose (a device's store writes
    /// one); values the engine would hide are left out of the export.
    pub answers: Vec<(String, String)>,
}

/// Where an export reads its interviews from: a device's store or the server's records.
///
/// The source applies the export's filters (status, dates) itself; the driver
/// writes every interview it is handed, in the order it is handed them.
pub trait RecordSource {
    /// The source's own error; the driver's [`Error`]s convert into it, so a caller
    /// sees one error type whatever failed.
    type Error: From<Error>;
    /// How many interviews the pages will hold in all, for progress.
    fn count(&mut self) -> Result<usize, Self::Error>;
    /// The next page of interviews (about [`PAGE`]); an empty page ends the export.
    fn next_page(&mut self) -> Result<Vec<Interview>, Self::Error>;
    /// The study's form of `version`, or `None` when the source does not hold it. Called
    /// once per version the interviews name.
    fn form(&mut self, version: &str) -> Result<Option<Arc<Questionnaire>>, Self::Error>;
}

/// Exports every interview `source` hands over into `out_dir`, laid out by `newest` (the
/// study's newest version names the columns; older versions' answers land by path).
///
/// `progress(done, total)` is called before the first page and after every page; when it
/// returns false the export stops with [`Error::Cancelled`]. On any error the partial files
/// are removed, so nothing half-written is left behind.
pub fn export<S: RecordSource>(
    source: &mut S,
    newest: &Questionnaire,
    options: &DataExportOptions,
    out_dir: &Path,
    progress: &mut dyn FnMut(usize, usize) -> bool,
) -> Result<DataExportSummary, S::Error> {
    if let Some(lang) = &options.language {
        if !newest.languages.contains(lang) {
            return Err(Error::UnknownLanguage {
                language: lang.clone(),
                available: newest.languages.clone(),
            }
            .into());
        }
    }
    let schema = Schema::build(newest, options.language.as_deref());
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source: std::io::Error| Error::Write {
            path: path.clone(),
            source,
        }
    };
    std::fs::create_dir_all(out_dir).map_err(io(out_dir))?;
    let total = source.count()?;
    if !progress(0, total) {
        return Err(Error::Cancelled.into());
    }
    let mut sink: Box<dyn Sink> = match options.format {
        DataFormat::Csv => {
            Box::new(CsvSink::new(&schema, out_dir, options.labels).map_err(io(out_dir))?)
        }
        DataFormat::Jsonl => {
            let (path, w) = create(out_dir, &schema.study, "jsonl").map_err(io(out_dir))?;
            Box::new(JsonlSink {
                labels: options.labels,
                path,
                w,
            })
        }
        DataFormat::Xlsx => {
            Box::new(xlsx::XlsxSink::new(&schema, out_dir, options.labels).map_err(io(out_dir))?)
        }
        DataFormat::Sav => Box::new(
            spool::SpoolSink::new(&schema, out_dir, spool::Target::Sav).map_err(io(out_dir))?,
        ),
        DataFormat::Dta => Box::new(
            spool::SpoolSink::new(&schema, out_dir, spool::Target::Dta).map_err(io(out_dir))?,
        ),
        DataFormat::Xml => Box::new(xml::XmlSink::new(&schema, out_dir).map_err(io(out_dir))?),
    };
    let result = run(source, &schema, sink.as_mut(), total, progress, out_dir);
    let mut summary = match result {
        Ok(s) => s,
        Err(e) => {
            // Nothing half-written is left: the writer's part files go with the sink.
            let parts = sink.finish(&schema).unwrap_or_default();
            for (part, _) in parts {
                let _ = std::fs::remove_file(part);
            }
            if options.format == DataFormat::Xml {
                // Only removed when empty, so submissions of an earlier export stay.
                let _ = std::fs::remove_dir(xml::XmlSink::folder(&schema, out_dir));
            }
            return Err(e);
        }
    };
    summary.truncated = sink.truncated();
    let renames = sink.finish(&schema).map_err(io(out_dir))?;
    for (part, path) in renames {
        std::fs::rename(&part, &path).map_err(io(&path))?;
        summary.files.push(path);
    }
    Ok(summary)
}

/// The export loop: pages of interviews, each rebuilt and handed to `sink`.
fn run<S: RecordSource>(
    source: &mut S,
    schema: &Schema,
    sink: &mut dyn Sink,
    total: usize,
    progress: &mut dyn FnMut(usize, usize) -> bool,
    out_dir: &Path,
) -> Result<DataExportSummary, S::Error> {
    let io = |source: std::io::Error| Error::Write {
        path: out_dir.to_owned(),
        source,
    };
    let mut summary = DataExportSummary {
        files: Vec::new(),
        interviews: 0,
        rows: 0,
        answers: 0,
        truncated: 0,
    };
    let mut form_cache: HashMap<String, (Arc<Questionnaire>, bool)> = HashMap::new();
    loop {
        let page = source.next_page()?;
        if page.is_empty() {
            break;
        }
        for Interview { meta, answers } in page {
            let version = &meta.questionnaire_version;
            if !form_cache.contains_key(version) {
                let Some(form) = source.form(version)? else {
                    return Err(Error::VersionMissing {
                        interview: meta.id.clone(),
                        study: schema.study.clone(),
                        version: version.clone(),
                    }
                    .into());
                };
                let plain = record_is_stored_answers(&form);
                form_cache.insert(version.clone(), (form, plain));
            }
            let (form, plain) = &form_cache[version];
            let values = final_values(form, *plain, &meta, answers);
            summary.answers += values.iter().filter(|(_, v)| !v.is_empty()).count();
            let kept = sink.needs_source().then(|| values.clone());
            let mut record = record_of(schema, &meta, values);
            record.source = kept.map(|values| Source {
                form: form.clone(),
                values,
                complete: !*plain,
            });
            summary.rows += record.rows.iter().map(Vec::len).sum::<usize>();
            sink.interview(schema, &record).map_err(io)?;
            summary.interviews += 1;
        }
        if !progress(summary.interviews, total) {
            return Err(Error::Cancelled.into());
        }
    }
    Ok(summary)
}

/// An interview's final `(instance path, value)` pairs: its stored answers when the form
/// hides nothing (`plain`), else the engine's record with the store's marks of added
/// repeat instances.
fn final_values(
    form: &Questionnaire,
    plain: bool,
    meta: &Meta,
    answers: Vec<(String, String)>,
) -> Vec<(String, String)> {
    if plain {
        // Empty rows mark repeat instances; they make rows but are not answers.
        return answers;
    }
    let now = meta.completed_at.unwrap_or(meta.updated_at);
    let ctx = canvass_form::rebuild::context(now, 0, &meta.id, None);
    let mut record = canvass_form::rebuild::rebuild(form, ctx, &answers).record();
    // The engine's record holds leaves only; carry over the store's marks of
    // added instances, but only for instances the record still holds (a
    // repeat that relevance hides has no leaves and stays out).
    let marks: Vec<(String, String)> = answers
        .iter()
        .filter(|(p, v)| v.is_empty() && p.ends_with(']'))
        .filter(|(p, _)| {
            let under = format!("{p}/");
            record.iter().any(|(leaf, _)| leaf.starts_with(&under))
        })
        .cloned()
        .collect();
    record.extend(marks);
    record
}
