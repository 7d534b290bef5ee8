//! XLSForm import: an .xlsx or .xls workbook (as bytes) into a `Questionnaire` plus diagnostics.
//!
//! Every diagnostic names the sheet, the 1-based spreadsheet row and the column header, because
//! authors fix their forms in the spreadsheet. Semantics follow pyxform where the XLSForm spec is
//! silent (see `shared/reference/xlsform-odk-semantics.md`).

use std::collections::{BTreeMap, HashMap};
use std::io::Cursor;

use calamine::{Data, Reader};

use super::{file_stem, is_valid_name, parse_expression, Import, MAX_NESTING};
use crate::diagnostic::{Diagnostic, Location};
use crate::expr::ast::Span;
use crate::model::{
    Choice, ChoiceList, ChoiceSource, DefaultValue, Expression, Node, NodeIndex, NodeKind,
    QuestionType, Questionnaire, RepeatCount, Text, DEFAULT_LANGUAGE_KEY,
};

/// Text columns that may carry a `::Language` suffix.
const TRANSLATABLE: &[&str] = &[
    "label",
    "hint",
    "guidance_hint",
    "constraint_message",
    "required_message",
    "image",
    "audio",
    "video",
    "big-image",
    "read_aloud",
    "instructions",
];

/// Processing stops after this many adjacent blank rows, as pyxform does.
const MAX_BLANK_ROWS: usize = 20;

/// One column of a sheet: the header as written, and its meaning.
#[derive(Debug, Clone)]
struct Column {
    header: String,
    /// Canonical column name after aliases (`relevant`, `label`...).
    base: String,
    /// Language suffix, for translatable columns.
    lang: Option<String>,
}

/// One non-blank data row.
#[derive(Debug, Clone)]
struct Row {
    /// 1-based spreadsheet row number.
    number: u32,
    /// Non-empty cells by column position.
    cells: Vec<(usize, String)>,
}

/// A sheet read into columns and rows.
#[derive(Debug, Clone)]
struct Sheet {
    name: String,
    columns: Vec<Column>,
    rows: Vec<Row>,
}

impl Sheet {
    fn has(&self, base: &str) -> bool {
        self.columns.iter().any(|c| c.base == base)
    }

    /// The untranslated cell `base` of `row`, with its header.
    fn get<'a>(&'a self, row: &'a Row, base: &str) -> Option<(&'a str, &'a str)> {
        row.cells.iter().find_map(|(i, v)| {
            let c = self.columns.get(*i)?;
            (c.base == base && c.lang.is_none()).then_some((v.as_str(), c.header.as_str()))
        })
    }

    /// Every language's text of column `base` in `row`.
    fn text(&self, row: &Row, base: &str, unsuffixed: &str) -> Text {
        let mut t = Text::default();
        for (i, v) in &row.cells {
            if let Some(c) = self.columns.get(*i) {
                if c.base == base {
                    t.0.insert(
                        c.lang.clone().unwrap_or_else(|| unsuffixed.to_string()),
                        v.clone(),
                    );
                }
            }
        }
        t
    }

    fn cell(&self, row: &Row, header: &str) -> Location {
        Location::Cell {
            sheet: self.name.clone(),
            row: row.number,
            column: header.to_string(),
        }
    }
}

/// Canonical name of a header (lower-cased, aliases applied) and its language suffix.
fn classify(header: &str) -> Column {
    let h = header.trim();
    let lower = h.to_lowercase();
    if let Some(base) = alias(&lower) {
        return Column {
            header: h.to_string(),
            base: base.to_string(),
            lang: None,
        };
    }
    let stripped = lower.strip_prefix("media::").unwrap_or(&lower);
    let offset = lower.len() - stripped.len();
    let (base, lang) = match stripped.split_once("::") {
        Some((b, _)) => (
            b.trim().to_string(),
            Some(h[offset + b.len() + 2..].trim().to_string()),
        ),
        None => match stripped.split_once(':') {
            // Old forms wrote `label:English`; only translatable columns take this reading, so that
            // `jr:count`-style names keep their meaning.
            Some((b, _)) if TRANSLATABLE.contains(&alias(b.trim()).unwrap_or(b.trim())) => (
                b.trim().to_string(),
                Some(h[offset + b.len() + 1..].trim().to_string()),
            ),
            _ => (stripped.trim().to_string(), None),
        },
    };
    let base = alias(&base).map(str::to_string).unwrap_or(base);
    let lang = lang.filter(|l| !l.is_empty() && TRANSLATABLE.contains(&base.as_str()));
    Column {
        header: h.to_string(),
        base,
        lang,
    }
}

/// pyxform's column aliases.
fn alias(lower: &str) -> Option<&'static str> {
    // pyxform reads `bind:relevant`, `bind::relevant`, `control:appearance` and the like as the
    // bind or control attribute itself (older forms, such as its own tutorial, use them).
    for prefix in [
        "bind::",
        "bind:",
        "control::",
        "control:",
        "body::",
        "body:",
    ] {
        if let Some(attr) = lower.strip_prefix(prefix) {
            return match attr {
                "relevant" | "constraint" | "required" | "calculate" | "readonly"
                | "appearance" | "jr:count" | "jr:constraintmsg" | "jr:requiredmsg" => alias(attr),
                _ => None,
            };
        }
    }
    Some(match lower {
        "relevance" | "bind::relevant" | "relevant" => "relevant",
        "constraint message"
        | "constraint_message"
        | "jr:constraintmsg"
        | "bind::jr:constraintmsg" => "constraint_message",
        "required message" | "required_message" | "jr:requiredmsg" | "bind::jr:requiredmsg" => {
            "required_message"
        }
        "bind::constraint" | "constraint" => "constraint",
        "bind::required" | "required" => "required",
        "bind::calculate" | "calculation" | "calculate" => "calculation",
        "bind::readonly" | "readonly" | "read_only" | "read only" => "read_only",
        "control::appearance" | "body::appearance" | "appearance" => "appearance",
        "repeat count" | "repeat_count" | "jr:count" | "count" | "control::jr:count" => {
            "repeat_count"
        }
        "choice filter" | "choice_filter" => "choice_filter",
        "guidance hint" | "guidance_hint" => "guidance_hint",
        "interviewer_note" | "instructions" => "instructions",
        "read aloud" | "read_aloud" => "read_aloud",
        "canvass::metric" => "metric",
        "caption" | "label" => "label",
        "list name" | "list_name" => "list_name",
        "value" | "name" => "name",
        "default" => "default",
        "trigger" => "trigger",
        "parameters" => "parameters",
        "type" => "type",
        "hint" => "hint",
        _ => return None,
    })
}

/// Cell contents as the string pyxform would see: integral floats without `.0`.
fn cell_string(d: &Data) -> String {
    match d {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) => s.trim().to_string(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 1e15 {
                format!("{}", *f as i64)
            } else {
                f.to_string()
            }
        }
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(dt) => dt.as_f64().to_string(),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
    }
}

/// Reads a worksheet range into a `Sheet`: the first row is the header.
fn read_sheet(name: &str, range: &calamine::Range<Data>) -> Sheet {
    let start_row = range.start().map_or(0, |(r, _)| r);
    let start_col = range.start().map_or(0, |(_, c)| c) as usize;
    let mut rows_iter = range.rows().enumerate();
    let mut columns = Vec::new();
    // Headers sit in the first non-blank row.
    for (_, r) in rows_iter.by_ref() {
        if r.iter().any(|c| !cell_string(c).is_empty()) {
            // Leading empty columns of the used range still count for positions.
            columns = (0..start_col)
                .map(|_| classify(""))
                .chain(r.iter().map(|c| classify(&cell_string(c))))
                .collect();
            break;
        }
    }
    let mut rows = Vec::new();
    let mut blank_run = 0;
    for (i, r) in rows_iter {
        let cells: Vec<(usize, String)> = r
            .iter()
            .enumerate()
            .map(|(j, c)| (start_col + j, cell_string(c)))
            .filter(|(j, v)| {
                !v.is_empty()
                    && columns
                        .get(*j)
                        .is_some_and(|c: &Column| !c.header.is_empty())
            })
            .collect();
        if cells.is_empty() {
            blank_run += 1;
            if blank_run >= MAX_BLANK_ROWS {
                break;
            }
            continue;
        }
        blank_run = 0;
        rows.push(Row {
            number: start_row + i as u32 + 1,
            cells,
        });
    }
    Sheet {
        name: name.to_string(),
        columns,
        rows,
    }
}

/// A parsed `type` cell.
enum TypeCell {
    BeginGroup,
    EndGroup,
    BeginRepeat,
    EndRepeat,
    Question {
        ty: QuestionType,
        list: Option<String>,
        from_file: bool,
        or_other: bool,
    },
    Unsupported(String),
    Unknown(String),
}

fn parse_type(raw: &str) -> TypeCell {
    let words: Vec<&str> = raw.split_whitespace().collect();
    let joined = words.join(" ");
    let lower = joined.to_lowercase();
    // Old forms write metadata as `uri:deviceid`.
    let lower = lower
        .strip_prefix("uri:")
        .map(str::to_string)
        .unwrap_or(lower);
    let q = |ty| TypeCell::Question {
        ty,
        list: None,
        from_file: false,
        or_other: false,
    };
    match lower.as_str() {
        "begin group" | "begin_group" => return TypeCell::BeginGroup,
        "end group" | "end_group" => return TypeCell::EndGroup,
        "begin repeat" | "begin_repeat" | "begin looped group" => return TypeCell::BeginRepeat,
        "end repeat" | "end_repeat" | "end looped group" => return TypeCell::EndRepeat,
        "text" | "string" => return q(QuestionType::Text),
        "integer" | "int" => return q(QuestionType::Integer),
        "decimal" => return q(QuestionType::Decimal),
        "range" => {
            return q(QuestionType::Range {
                start: 0.0,
                end: 10.0,
                step: 1.0,
            })
        }
        "note" => return q(QuestionType::Note),
        "acknowledge" | "trigger" => return q(QuestionType::Acknowledge),
        "date" => return q(QuestionType::Date),
        "time" => return q(QuestionType::Time),
        "datetime" => return q(QuestionType::DateTime),
        "calculate" => return q(QuestionType::Calculate),
        "hidden" => return q(QuestionType::Hidden),
        "geopoint" | "gps" | "location" => return q(QuestionType::Geopoint),
        "geotrace" => return q(QuestionType::Geotrace),
        "geoshape" => return q(QuestionType::Geoshape),
        "image" | "photo" => return q(QuestionType::Image),
        "audio" => return q(QuestionType::Audio),
        "background-audio" => return q(QuestionType::BackgroundAudio),
        "video" => return q(QuestionType::Video),
        "file" => return q(QuestionType::File),
        "barcode" => return q(QuestionType::Barcode),
        "start" => return q(QuestionType::Start),
        "end" => return q(QuestionType::End),
        "today" => return q(QuestionType::Today),
        "deviceid" | "imei" => return q(QuestionType::DeviceId),
        "username" => return q(QuestionType::Username),
        "phonenumber" => return q(QuestionType::PhoneNumber),
        "email" => return q(QuestionType::Email),
        "subscriberid" => return q(QuestionType::SubscriberId),
        "simserial" => return q(QuestionType::SimSerial),
        "audit" => return q(QuestionType::Audit),
        "xml-external" | "csv-external" | "osm" | "start-geopoint" => {
            return TypeCell::Unsupported(joined)
        }
        _ => {}
    }
    let select = |prefix: &str| {
        lower
            .strip_prefix(prefix)
            .and_then(|_| joined.get(prefix.len()..))
            .map(|r| r.trim().to_string())
    };
    let (ty, rest, from_file) = if let Some(r) = select("select_one_from_file ") {
        (QuestionType::SelectOne, r, true)
    } else if let Some(r) = select("select_multiple_from_file ") {
        (QuestionType::SelectMultiple, r, true)
    } else if let Some(r) = select("select_one ")
        .or_else(|| select("select one from "))
        .or_else(|| select("select one "))
    {
        (QuestionType::SelectOne, r, false)
    } else if let Some(r) = select("select_multiple ")
        .or_else(|| select("select multiple from "))
        .or_else(|| select("select all that apply from "))
        .or_else(|| select("select multiple "))
        .or_else(|| select("select all that apply "))
    {
        (QuestionType::SelectMultiple, r, false)
    } else if let Some(r) = select("rank ") {
        (QuestionType::Rank, r, false)
    } else if lower.starts_with("select_one_external") || lower.starts_with("select one external") {
        return TypeCell::Unsupported(joined);
    } else {
        return TypeCell::Unknown(joined);
    };
    let (list, or_other) = match rest
        .strip_suffix(" or_other")
        .or_else(|| rest.strip_suffix(" or specify other"))
    {
        Some(l) => (l.trim().to_string(), true),
        None => (rest, false),
    };
    if list.is_empty() || list.contains(' ') {
        return TypeCell::Unknown(joined);
    }
    TypeCell::Question {
        ty,
        list: Some(list),
        from_file,
        or_other,
    }
}

/// `key=value` pairs separated by spaces or commas; spaces around `=` are allowed.
fn parse_parameters(raw: &str) -> BTreeMap<String, String> {
    // pyxform separates parameters with spaces, commas or semicolons (`start=1;end=10;step=1`).
    let mut normalized = raw.replace([',', ';'], " ");
    while normalized.contains(" =") || normalized.contains("= ") {
        normalized = normalized.replace(" =", "=").replace("= ", "=");
    }
    normalized
        .split_whitespace()
        .filter_map(|kv| {
            kv.split_once('=')
                .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_string()))
        })
        .collect()
}

/// True when a `default` cell is an expression evaluated once rather than a literal, following
/// pyxform: references, function calls and paths make it dynamic; dates and plain words do not.
fn default_is_dynamic(src: &str) -> bool {
    if src.contains("${") || src.starts_with('/') {
        return true;
    }
    let bytes = src.as_bytes();
    // A function call: a name directly followed by `(`.
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'('
            && i > 0
            && (bytes[i - 1].is_ascii_alphanumeric()
                || bytes[i - 1] == b'-'
                || bytes[i - 1] == b'_')
        {
            return true;
        }
    }
    false
}

/// State of one import.
struct Importer {
    diags: Vec<Diagnostic>,
    nodes: Vec<Node>,
    /// `${name}` references to check once all names are known: (name, span, expression, cell).
    refs: Vec<(String, Span, String, Location)>,
    /// Trigger names per node, resolved to paths after the tree is built.
    triggers: Vec<(NodeIndex, Vec<String>, Location)>,
    /// Select lists to check against the choices sheet: (list, node, cell).
    lists: Vec<(String, NodeIndex, Location, bool)>,
    unsuffixed: String,
}

/// Imports an XLSForm workbook (.xlsx or .xls, detected from the bytes). `file_name` supplies the
/// form id when the settings do not, and appears in no path: the caller did the reading.
pub fn import_xlsform(bytes: &[u8], file_name: &str) -> Import {
    super::guarded(|| import_workbook(bytes, file_name))
}

fn import_workbook(bytes: &[u8], file_name: &str) -> Import {
    let mut diags = Vec::new();
    let mut workbook = match calamine::open_workbook_auto_from_rs(Cursor::new(bytes)) {
        Ok(w) => w,
        Err(e) => {
            diags.push(Diagnostic::error(
                Location::Form,
                format!("not a readable .xlsx or .xls workbook: {e}"),
            ));
            return Import {
                form: None,
                diagnostics: diags,
            };
        }
    };
    let names = workbook.sheet_names();
    let mut sheet = |wanted: &str| -> Option<Sheet> {
        let name = names
            .iter()
            .find(|n| n.trim().eq_ignore_ascii_case(wanted))?;
        match workbook.worksheet_range(name) {
            Ok(r) => Some(read_sheet(name, &r)),
            Err(e) => {
                diags.push(Diagnostic::error(
                    Location::Sheet {
                        sheet: name.clone(),
                    },
                    format!("cannot read sheet: {e}"),
                ));
                None
            }
        }
    };
    let survey = sheet("survey");
    let choices = sheet("choices");
    let settings = sheet("settings");
    let Some(survey) = survey else {
        diags.push(Diagnostic::error(
            Location::Form,
            "the workbook has no `survey` sheet",
        ));
        return Import {
            form: None,
            diagnostics: diags,
        };
    };
    build(survey, choices, settings, file_name, diags)
}

fn build(
    survey: Sheet,
    choices: Option<Sheet>,
    settings: Option<Sheet>,
    file_name: &str,
    diags: Vec<Diagnostic>,
) -> Import {
    // Settings: headers in the first row, values in the first data row.
    let mut settings_map = BTreeMap::new();
    if let Some(s) = &settings {
        if let Some(row) = s.rows.first() {
            for (i, v) in &row.cells {
                if let Some(c) = s.columns.get(*i) {
                    settings_map.insert(c.header.to_lowercase(), v.clone());
                }
            }
        }
    }
    let root_name = settings_map
        .get("name")
        .filter(|n| is_valid_name(n))
        .cloned()
        .unwrap_or_else(|| "data".to_string());
    let default_language = settings_map.get("default_language").cloned();
    let unsuffixed = default_language
        .clone()
        .unwrap_or_else(|| DEFAULT_LANGUAGE_KEY.to_string());
    let mut imp = Importer {
        diags,
        nodes: Vec::new(),
        refs: Vec::new(),
        triggers: Vec::new(),
        lists: Vec::new(),
        unsuffixed,
    };
    for col in ["type", "name"] {
        if !survey.has(col) {
            imp.diags.push(Diagnostic::error(
                Location::Sheet {
                    sheet: survey.name.clone(),
                },
                format!("the survey sheet has no `{col}` column"),
            ));
        }
    }
    if !survey.has("label") {
        imp.diags.push(Diagnostic::warning(
            Location::Sheet {
                sheet: survey.name.clone(),
            },
            "the survey sheet has no `label` column",
        ));
    }
    let mut root = Node::new(
        root_name.clone(),
        NodeKind::Root,
        Location::Sheet {
            sheet: survey.name.clone(),
        },
    );
    root.path = format!("/{root_name}");
    imp.nodes.push(root);
    if survey.has("type") && survey.has("name") {
        imp.survey(&survey);
    }
    imp.add_meta(
        &survey.name,
        settings_map.get("instance_name").map(String::as_str),
    );
    let lists = choices
        .as_ref()
        .map(|c| imp.choices(c, &settings_map))
        .unwrap_or_default();
    let lists = imp.check_lists(lists);
    imp.resolve_names();
    let instance_name = settings_map.get("instance_name").and_then(|src| {
        let loc = settings
            .as_ref()
            .and_then(|s| s.rows.first().map(|r| s.cell(r, "instance_name")))
            .unwrap_or_default();
        let e = parse_expression(src, &loc, &mut imp.diags);
        imp.collect_refs(e.as_ref(), &loc);
        e
    });
    imp.check_refs();

    let mut languages: Vec<String> = Vec::new();
    let mut note_lang = |t: &Text| {
        for k in t.0.keys() {
            if !languages.contains(k) {
                languages.push(k.clone());
            }
        }
    };
    for n in &imp.nodes {
        for t in [
            &n.label,
            &n.hint,
            &n.guidance_hint,
            &n.constraint_message,
            &n.required_message,
            &n.read_aloud,
            &n.instructions,
        ] {
            note_lang(t);
        }
    }
    for l in lists.values() {
        for c in &l.choices {
            note_lang(&c.label);
        }
    }
    if languages.len() == 1 && languages[0] == DEFAULT_LANGUAGE_KEY {
        languages.clear();
    }
    // A translated column missing for one of the form's languages falls back to the default
    // language; say so once per column rather than once per cell.
    let named: Vec<&String> = languages
        .iter()
        .filter(|l| l.as_str() != DEFAULT_LANGUAGE_KEY)
        .collect();
    for sheet in std::iter::once(&survey).chain(choices.as_ref()) {
        let mut present: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for c in &sheet.columns {
            if let Some(l) = &c.lang {
                present.entry(c.base.as_str()).or_default().push(l.as_str());
            }
        }
        for (base, langs) in present {
            for l in named.iter().filter(|l| !langs.contains(&l.as_str())) {
                imp.diags.push(Diagnostic::warning(
                    Location::Sheet {
                        sheet: sheet.name.clone(),
                    },
                    format!("no `{base}::{l}` column: {l} shows the default language's {base}"),
                ));
            }
        }
    }
    let id = settings_map
        .get("form_id")
        .or_else(|| settings_map.get("id_string"))
        .cloned()
        .unwrap_or_else(|| file_stem(file_name));
    let mut form = Questionnaire {
        title: settings_map
            .get("form_title")
            .cloned()
            .unwrap_or_else(|| id.clone()),
        id,
        version: settings_map.get("version").cloned(),
        root_name,
        default_language,
        languages,
        settings: settings_map,
        nodes: imp.nodes,
        choice_lists: lists,
        instance_name,
    };
    crate::runtime::deps::resolve_all(&mut form);
    for cycle in crate::runtime::deps::calculation_cycles(&form) {
        let names: Vec<&str> = cycle
            .iter()
            .filter_map(|&i| form.nodes.get(i).map(|n| n.name.as_str()))
            .collect();
        let first = cycle.first().and_then(|&i| form.nodes.get(i));
        let loc = match first.map(|n| &n.location) {
            Some(Location::Cell { sheet, row, .. }) => Location::Cell {
                sheet: sheet.clone(),
                row: *row,
                column: "calculation".into(),
            },
            Some(other) => other.clone(),
            None => Location::Form,
        };
        imp.diags.push(Diagnostic::error(
            loc,
            format!(
                "calculations form a cycle: {} -> {}",
                names.join(" -> "),
                names.first().unwrap_or(&"")
            ),
        ));
    }
    Import {
        form: Some(form),
        diagnostics: imp.diags,
    }
}

impl Importer {
    fn add_node(&mut self, parent: NodeIndex, mut node: Node) -> NodeIndex {
        let idx = self.nodes.len();
        node.parent = Some(parent);
        node.path = format!(
            "{}/{}",
            self.nodes.get(parent).map_or("", |p| p.path.as_str()),
            node.name
        );
        if let Some(p) = self.nodes.get_mut(parent) {
            p.children.push(idx);
        }
        self.nodes.push(node);
        idx
    }

    /// pyxform always adds `meta/instanceID` (the record's `uuid:` id) unless the form has `meta`.
    /// With an `instance_name` setting it also adds `meta/instanceName` calculated from it.
    fn add_meta(&mut self, sheet: &str, instance_name: Option<&str>) {
        let has_meta = self.nodes.first().is_some_and(|r| {
            r.children
                .iter()
                .any(|&c| self.nodes.get(c).is_some_and(|n| n.name == "meta"))
        });
        if has_meta {
            return;
        }
        let l = Location::Sheet {
            sheet: sheet.to_string(),
        };
        let meta = self.add_node(
            0,
            Node::new("meta", NodeKind::Group { field_list: false }, l.clone()),
        );
        let mut id = Node::new(
            "instanceID",
            NodeKind::Question(QuestionType::ModelValue),
            l.clone(),
        );
        // pyxform binds it `readonly="true()"`: the record's id is never typed over.
        id.binds.read_only = crate::expr::parse("true()").0.into_expression("true()");
        self.add_node(meta, id);
        if let Some(src) = instance_name {
            let mut name = Node::new(
                "instanceName",
                NodeKind::Question(QuestionType::Calculate),
                l.clone(),
            );
            name.binds.calculation = parse_expression(src, &l, &mut self.diags);
            self.collect_refs(name.binds.calculation.as_ref(), &l);
            self.add_node(meta, name);
        }
    }

    fn collect_refs(&mut self, e: Option<&Expression>, loc: &Location) {
        if let Some(e) = e {
            for (name, span) in crate::expr::references(&e.expr) {
                self.refs.push((name, span, e.source.clone(), loc.clone()));
            }
        }
    }

    fn expression(&mut self, sheet: &Sheet, row: &Row, base: &str) -> Option<Expression> {
        let (src, header) = sheet.get(row, base)?;
        let loc = sheet.cell(row, header);
        let e = parse_expression(src, &loc, &mut self.diags);
        self.collect_refs(e.as_ref(), &loc);
        e
    }

    /// `yes`/`true` → `true()`, `no`/`false` → nothing, else an expression.
    fn flag(&mut self, sheet: &Sheet, row: &Row, base: &str) -> Option<Expression> {
        let (src, _) = sheet.get(row, base)?;
        match src.to_lowercase().as_str() {
            "yes" | "true" | "true()" | "1" => {
                crate::expr::parse("true()").0.into_expression("true()")
            }
            "no" | "false" | "false()" | "0" => None,
            _ => self.expression(sheet, row, base),
        }
    }

    fn survey(&mut self, sheet: &Sheet) {
        // Open groups and repeats: (node, row of the `begin`, is repeat).
        let mut stack: Vec<(NodeIndex, u32, bool)> = Vec::new();
        // Names per parent, to report siblings with the same name.
        let mut sibling_names: HashMap<(NodeIndex, String), u32> = HashMap::new();
        // `table-list` groups that already have their header row (see below).
        let mut table_headers: std::collections::HashSet<NodeIndex> = Default::default();
        for row in &sheet.rows {
            let parent = stack.last().map_or(0, |s| s.0);
            let ty_cell = sheet.get(row, "type");
            let name_cell = sheet.get(row, "name");
            let Some((ty_raw, ty_header)) = ty_cell else {
                if let Some((_, h)) = name_cell {
                    self.diags.push(Diagnostic::error(
                        sheet.cell(row, h).clone(),
                        "the row has a name but no type",
                    ));
                }
                continue;
            };
            let ty_loc = sheet.cell(row, ty_header);
            let parsed = parse_type(ty_raw);
            match &parsed {
                TypeCell::EndGroup | TypeCell::EndRepeat => {
                    let want_repeat = matches!(parsed, TypeCell::EndRepeat);
                    match stack.pop() {
                        Some((_, _, is_repeat)) if is_repeat == want_repeat => {}
                        Some((_, begin, is_repeat)) => {
                            let opened = if is_repeat {
                                "begin repeat"
                            } else {
                                "begin group"
                            };
                            self.diags.push(Diagnostic::error(
                                ty_loc,
                                format!("`{ty_raw}` closes the `{opened}` of row {begin}"),
                            ));
                        }
                        None => self.diags.push(Diagnostic::error(
                            ty_loc,
                            format!("`{ty_raw}` without a matching begin"),
                        )),
                    }
                    continue;
                }
                TypeCell::Unknown(t) => {
                    self.diags.push(Diagnostic::error(
                        ty_loc,
                        format!("unknown question type `{t}`"),
                    ));
                    continue;
                }
                TypeCell::Unsupported(t) => {
                    self.diags.push(Diagnostic::error(
                        ty_loc,
                        format!("question type `{t}` is not supported"),
                    ));
                    continue;
                }
                _ => {}
            }
            // pyxform names a nameless note `generated_note_name_ROW`; Canvass does the same, so
            // its paths are the ones ODK tools give that note.
            let generated;
            let name_cell = match name_cell {
                None if matches!(
                    &parsed,
                    TypeCell::Question {
                        ty: QuestionType::Note,
                        ..
                    }
                ) =>
                {
                    generated = format!("generated_note_name_{}", row.number);
                    Some((generated.as_str(), "name"))
                }
                other => other,
            };
            let Some((name, name_header)) = name_cell else {
                self.diags.push(Diagnostic::error(
                    sheet.cell(row, "name"),
                    format!("a `{ty_raw}` row needs a name"),
                ));
                if matches!(parsed, TypeCell::BeginGroup | TypeCell::BeginRepeat) {
                    // Keep the nesting balanced so later rows are not misreported.
                    stack.push((parent, row.number, matches!(parsed, TypeCell::BeginRepeat)));
                }
                continue;
            };
            let name_loc = sheet.cell(row, name_header);
            if !is_valid_name(name) {
                self.diags.push(Diagnostic::error(
                    name_loc.clone(),
                    format!("`{name}` is not a valid name: start with a letter or `_`, then letters, digits, `-`, `_` or `.`"),
                ));
            }
            if let Some(first) = sibling_names.insert((parent, name.to_string()), row.number) {
                self.diags.push(Diagnostic::error(
                    name_loc.clone(),
                    format!("`{name}` is already used in the same group at row {first}"),
                ));
            }
            let kind = match &parsed {
                TypeCell::BeginGroup => {
                    let field_list = sheet.get(row, "appearance").is_some_and(|(a, _)| {
                        a.split_whitespace()
                            .any(|w| w == "field-list" || w == "table-list")
                    });
                    NodeKind::Group { field_list }
                }
                TypeCell::BeginRepeat => {
                    let count = match sheet.get(row, "repeat_count") {
                        None => RepeatCount::User,
                        Some((c, h)) => match c.parse::<u32>() {
                            Ok(n) if n > crate::model::MAX_REPEAT_INSTANCES => {
                                self.diags.push(Diagnostic::error(
                                    sheet.cell(row, h),
                                    format!(
                                        "repeat_count {n} is more than the {} instances a repeat may have",
                                        crate::model::MAX_REPEAT_INSTANCES
                                    ),
                                ));
                                RepeatCount::Fixed(0)
                            }
                            Ok(n) => RepeatCount::Fixed(n),
                            Err(_) => match self.expression(sheet, row, "repeat_count") {
                                Some(e) => RepeatCount::Dynamic(e),
                                None => RepeatCount::User,
                            },
                        },
                    };
                    // pyxform gives a count that is not a plain `${name}` its own read-only
                    // calculate, `NAME_count`, just before the repeat; Canvass adds the same node
                    // so that data and paths match what ODK tools produce.
                    if let Some((c, h)) = sheet.get(row, "repeat_count") {
                        let c = c.trim();
                        let plain =
                            c.starts_with("${") && c.ends_with('}') && c.matches('{').count() == 1;
                        let loc = sheet.cell(row, h);
                        if !plain {
                            let mut calc = Node::new(
                                format!("{name}_count"),
                                NodeKind::Question(QuestionType::Calculate),
                                loc.clone(),
                            );
                            calc.binds.calculation = parse_expression(c, &loc, &mut self.diags);
                            self.collect_refs(calc.binds.calculation.as_ref(), &loc);
                            calc.binds.read_only =
                                crate::expr::parse("true()").0.into_expression("true()");
                            self.add_node(parent, calc);
                        }
                    }
                    NodeKind::Repeat { count }
                }
                TypeCell::Question { ty, .. } => NodeKind::Question(ty.clone()),
                _ => continue,
            };
            let mut node = Node::new(name, kind, name_loc.clone());
            let u = self.unsuffixed.clone();
            node.label = sheet.text(row, "label", &u);
            node.hint = sheet.text(row, "hint", &u);
            node.guidance_hint = sheet.text(row, "guidance_hint", &u);
            node.constraint_message = sheet.text(row, "constraint_message", &u);
            node.required_message = sheet.text(row, "required_message", &u);
            node.read_aloud = sheet.text(row, "read_aloud", &u);
            node.instructions = sheet.text(row, "instructions", &u);
            if let Some((m, h)) = sheet.get(row, "metric") {
                let m = m.trim().to_ascii_lowercase();
                if !["nps", "csat", "ces", "segment", "wave"].contains(&m.as_str()) {
                    self.diags.push(Diagnostic::warning(
                        sheet.cell(row, h),
                        format!("unknown canvass::metric `{m}` is ignored (expected nps, csat, ces, segment or wave)"),
                    ));
                } else {
                    node.metric = Some(m);
                }
            }
            node.appearance = sheet.get(row, "appearance").map(|(a, _)| a.to_string());
            if let Some((a, h)) = sheet.get(row, "appearance") {
                for word in a.split_whitespace().filter(|w| !known_appearance(w)) {
                    self.diags.push(Diagnostic::warning(
                        sheet.cell(row, h),
                        format!("unknown appearance `{word}` is ignored"),
                    ));
                }
            }
            // Piped `${name}` references in texts must name questions, like those in expressions.
            for (i, v) in &row.cells {
                let Some(c) = sheet.columns.get(*i) else {
                    continue;
                };
                if !TRANSLATABLE.contains(&c.base.as_str()) || !v.contains("${") {
                    continue;
                }
                let loc = sheet.cell(row, &c.header);
                let mut offset = 0;
                for name in trigger_names(v) {
                    let at = v[offset..].find("${").map_or(0, |p| p + offset);
                    offset = at + 2;
                    self.refs.push((name, at..at + 2, v.clone(), loc.clone()));
                }
            }
            if let Some((p, _)) = sheet.get(row, "parameters") {
                node.parameters = parse_parameters(p);
            }
            node.binds.relevant = self.expression(sheet, row, "relevant");
            node.binds.constraint = self.expression(sheet, row, "constraint");
            node.binds.required = self.flag(sheet, row, "required");
            node.binds.read_only = self.flag(sheet, row, "read_only");
            node.binds.calculation = self.expression(sheet, row, "calculation");
            if let Some((d, _)) = sheet.get(row, "default") {
                node.binds.default = if default_is_dynamic(d) {
                    self.expression(sheet, row, "default")
                        .map(DefaultValue::Dynamic)
                } else {
                    Some(DefaultValue::Literal(d.to_string()))
                };
            }
            if let Some((t, h)) = sheet.get(row, "trigger") {
                let names = trigger_names(t);
                let loc = sheet.cell(row, h);
                if names.is_empty() {
                    self.diags.push(Diagnostic::error(
                        loc,
                        format!("trigger `{t}` must list `${{name}}` references"),
                    ));
                } else {
                    self.triggers.push((self.nodes.len(), names, loc));
                }
            }
            let mut other_of = None;
            if let TypeCell::Question {
                ty,
                list,
                from_file,
                or_other,
            } = &parsed
            {
                if let QuestionType::Range { .. } = ty {
                    let num = |k: &str, d: f64| {
                        node.parameters
                            .get(k)
                            .and_then(|v| v.parse::<f64>().ok())
                            .unwrap_or(d)
                    };
                    node.kind = NodeKind::Question(QuestionType::Range {
                        // pyxform's defaults: start 1, end 10, step 1.
                        start: num("start", 1.0),
                        end: num("end", 10.0),
                        step: num("step", 1.0),
                    });
                }
                let table_list = self.nodes.get(parent).is_some_and(|p| {
                    p.appearance
                        .as_deref()
                        .is_some_and(|a| a.split_whitespace().any(|w| w == "table-list"))
                });
                if let (Some(list), true) = (list, table_list) {
                    // pyxform heads a `table-list` group with a select of the same list named
                    // `reserved_name_for_field_list_labels_ROW` (the first select's row), shown as
                    // the table's column labels; Canvass adds the same node, so that data and paths
                    // match what ODK tools produce.
                    if table_headers.insert(parent)
                        && matches!(ty, QuestionType::SelectOne | QuestionType::SelectMultiple)
                    {
                        let mut header = Node::new(
                            format!("reserved_name_for_field_list_labels_{}", row.number),
                            NodeKind::Question(ty.clone()),
                            ty_loc.clone(),
                        );
                        header.label = Text(
                            [(self.unsuffixed.clone(), " ".to_string())]
                                .into_iter()
                                .collect(),
                        );
                        header.appearance = Some("label".into());
                        header.choices = Some(ChoiceSource {
                            list: list.clone(),
                            filter: None,
                        });
                        self.lists.push((
                            list.clone(),
                            self.nodes.len(),
                            ty_loc.clone(),
                            *from_file,
                        ));
                        self.add_node(parent, header);
                    }
                    if node.appearance.is_none() {
                        node.appearance = Some("list-nolabel".into());
                    }
                }
                if let Some(list) = list {
                    let filter = if *from_file {
                        None
                    } else {
                        self.expression(sheet, row, "choice_filter")
                    };
                    node.choices = Some(ChoiceSource {
                        list: list.clone(),
                        filter,
                    });
                    self.lists
                        .push((list.clone(), self.nodes.len(), ty_loc.clone(), *from_file));
                    if *or_other {
                        other_of = Some(list.clone());
                    }
                }
                if node
                    .parameters
                    .get("randomize")
                    .is_some_and(|v| v == "true")
                {
                    if let Some(seed) = node.parameters.get("seed").cloned() {
                        let loc = sheet.cell(row, "parameters");
                        node.seed = parse_expression(&seed, &loc, &mut self.diags);
                        self.collect_refs(node.seed.as_ref(), &loc);
                    }
                }
            }
            if let NodeKind::Question(QuestionType::Calculate) = node.kind {
                if node.binds.calculation.is_none() && sheet.get(row, "calculation").is_none() {
                    self.diags.push(Diagnostic::error(
                        sheet.cell(row, "calculation"),
                        format!("calculate `{name}` has no calculation"),
                    ));
                }
            }
            let is_container = matches!(parsed, TypeCell::BeginGroup | TypeCell::BeginRepeat);
            let is_repeat = matches!(parsed, TypeCell::BeginRepeat);
            if is_container && stack.len() >= MAX_NESTING {
                self.diags.push(Diagnostic::error(
                    ty_loc,
                    format!("groups and repeats nest deeper than {MAX_NESTING} levels"),
                ));
                // Keep the nesting balanced without adding the node.
                stack.push((parent, row.number, is_repeat));
                continue;
            }
            let idx = self.add_node(parent, node);
            if is_container {
                stack.push((idx, row.number, is_repeat));
            }
            if let Some(list) = other_of {
                // `or_other` adds an `other` choice (in `check_lists`) and a text question asked when
                // it is selected, named as pyxform names it.
                let mut other = Node::new(
                    format!("{name}_other"),
                    NodeKind::Question(QuestionType::Text),
                    name_loc.clone(),
                );
                other.label = Text(
                    [(self.unsuffixed.clone(), "Specify other.".to_string())]
                        .into_iter()
                        .collect(),
                );
                let src = format!("selected(${{{name}}}, 'other')");
                other.binds.relevant = parse_expression(&src, &name_loc, &mut self.diags);
                self.lists.push((list, usize::MAX, name_loc.clone(), false));
                self.add_node(parent, other);
            }
        }
        for (_, begin, is_repeat) in stack {
            let what = if is_repeat {
                "begin repeat"
            } else {
                "begin group"
            };
            self.diags.push(Diagnostic::error(
                Location::Cell {
                    sheet: sheet.name.clone(),
                    row: begin,
                    column: "type".into(),
                },
                format!("`{what}` has no matching end"),
            ));
        }
    }

    fn choices(
        &mut self,
        sheet: &Sheet,
        settings: &BTreeMap<String, String>,
    ) -> BTreeMap<String, ChoiceList> {
        let mut lists: BTreeMap<String, ChoiceList> = BTreeMap::new();
        for col in ["list_name", "name"] {
            if !sheet.has(col) {
                self.diags.push(Diagnostic::error(
                    Location::Sheet {
                        sheet: sheet.name.clone(),
                    },
                    format!("the choices sheet has no `{col}` column"),
                ));
                return lists;
            }
        }
        let allow_dupes = settings
            .get("allow_choice_duplicates")
            .is_some_and(|v| v.eq_ignore_ascii_case("yes") || v.eq_ignore_ascii_case("true"));
        for row in &sheet.rows {
            let Some((list, _)) = sheet.get(row, "list_name") else {
                continue;
            };
            let Some((name, name_header)) = sheet.get(row, "name") else {
                self.diags.push(Diagnostic::error(
                    sheet.cell(row, "name"),
                    format!("a choice of list `{list}` has no name"),
                ));
                continue;
            };
            let entry = lists.entry(list.to_string()).or_insert_with(|| ChoiceList {
                name: list.to_string(),
                choices: Vec::new(),
            });
            if !allow_dupes && entry.choices.iter().any(|c| c.name == name) {
                self.diags.push(Diagnostic::error(
                    sheet.cell(row, name_header),
                    format!("choice `{name}` appears twice in list `{list}`"),
                ));
            }
            let mut extra = BTreeMap::new();
            for (i, v) in &row.cells {
                if let Some(c) = sheet.columns.get(*i) {
                    if c.lang.is_none()
                        && !matches!(c.base.as_str(), "list_name" | "name" | "label")
                        && !TRANSLATABLE.contains(&c.base.as_str())
                    {
                        extra.insert(c.header.clone(), v.clone());
                    }
                }
            }
            entry.choices.push(Choice {
                name: name.to_string(),
                label: sheet.text(row, "label", &self.unsuffixed),
                extra,
            });
        }
        lists
    }

    /// Reports selects whose list is missing and adds the `other` choice for `or_other`.
    fn check_lists(
        &mut self,
        mut lists: BTreeMap<String, ChoiceList>,
    ) -> BTreeMap<String, ChoiceList> {
        for (list, node, loc, from_file) in std::mem::take(&mut self.lists) {
            if from_file {
                lists.entry(list.clone()).or_insert_with(|| ChoiceList {
                    name: list.clone(),
                    choices: Vec::new(),
                });
                self.diags.push(Diagnostic::warning(
                    loc,
                    format!(
                        "choices come from the attachment `{list}`, which the import does not read"
                    ),
                ));
                continue;
            }
            match lists.get_mut(&list) {
                Some(l) if node == usize::MAX => {
                    if !l.choices.iter().any(|c| c.name == "other") {
                        let label = Text(
                            [(self.unsuffixed.clone(), "Other".to_string())]
                                .into_iter()
                                .collect(),
                        );
                        l.choices.push(Choice {
                            name: "other".into(),
                            label,
                            extra: BTreeMap::new(),
                        });
                    }
                }
                Some(_) => {}
                None if node == usize::MAX => {}
                None => self.diags.push(Diagnostic::error(
                    loc,
                    format!("choice list `{list}` is not in the choices sheet"),
                )),
            }
        }
        lists
    }

    /// Resolves trigger names to paths.
    fn resolve_names(&mut self) {
        for (node, names, loc) in std::mem::take(&mut self.triggers) {
            let mut paths = Vec::new();
            for n in names {
                let found: Vec<&Node> = self.nodes.iter().skip(1).filter(|x| x.name == n).collect();
                match found.as_slice() {
                    [one] => paths.push(one.path.clone()),
                    [] => self.diags.push(Diagnostic::error(
                        loc.clone(),
                        format!("trigger `${{{n}}}` does not name a question"),
                    )),
                    _ => self.diags.push(Diagnostic::error(
                        loc.clone(),
                        format!(
                            "trigger `${{{n}}}` is ambiguous: several questions are named `{n}`"
                        ),
                    )),
                }
            }
            if let Some(x) = self.nodes.get_mut(node) {
                x.binds.trigger = paths;
            }
        }
    }

    /// Reports `${name}` references that name no node or several.
    fn check_refs(&mut self) {
        let mut count: HashMap<&str, usize> = HashMap::new();
        for n in self.nodes.iter().skip(1) {
            *count.entry(n.name.as_str()).or_default() += 1;
        }
        let mut out = Vec::new();
        for (name, span, src, loc) in &self.refs {
            // `${case.NAME}` reads a preload value of the interview's case, not a question.
            if name.starts_with(crate::runtime::PRELOAD_PREFIX)
                && !count.contains_key(name.as_str())
            {
                continue;
            }
            match count.get(name.as_str()).copied().unwrap_or(0) {
                1 => {}
                0 => out.push(Diagnostic::error(
                    loc.clone(),
                    format!("`${{{name}}}` at character {} of `{src}` does not name a question", span.start + 1),
                )),
                _ => out.push(Diagnostic::error(
                    loc.clone(),
                    format!("`${{{name}}}` in `{src}` is ambiguous: several questions are named `{name}`"),
                )),
            }
        }
        self.diags.extend(out);
    }
}

/// Appearances ODK clients know; anything else is ignored with a warning.
fn known_appearance(word: &str) -> bool {
    const KNOWN: &[&str] = &[
        "multiline",
        "minimal",
        "quick",
        "no-calendar",
        "month-year",
        "year",
        "horizontal",
        "horizontal-compact",
        "likert",
        "compact",
        "quickcompact",
        "label",
        "list-nolabel",
        "list",
        "field-list",
        "table-list",
        "signature",
        "draw",
        "annotate",
        "map",
        "quick map",
        "rating",
        "numbers",
        "thousands-sep",
        "url",
        "masked",
        "hidden-answer",
        "new",
        "new-front",
        "new-rear",
        "selfie",
        "distress",
        "placement-map",
        "maps",
        "counter",
        "bearing",
        "spinner",
        "picker",
        "autocomplete",
        "columns",
        "columns-pack",
        "no-buttons",
        "image-map",
        "ethiopian",
        "coptic",
        "islamic",
        "bikram-sambat",
        "myanmar",
        "persian",
        "vertical",
        "no-ticks",
        "front",
        "search",
        "buddhist",
        "printer",
    ];
    let w = word.to_lowercase();
    KNOWN.contains(&w.as_str())
        || w.starts_with("columns-")
        || w.starts_with("compact-")
        || w.starts_with("ex:")
        || w.starts_with("printer:")
        || w.starts_with("search(")
        || w.starts_with("theme-")
        || (w.len() > 1 && w.starts_with('w') && w[1..].chars().all(|c| c.is_ascii_digit()))
}

/// The names in a trigger cell such as `${a} ${b}`.
fn trigger_names(cell: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = cell;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        out.push(after[..end].trim().to_string());
        rest = &after[end + 1..];
    }
    out
}

/// Turns a parser result into an `Expression` for a built-in constant such as `true()`.
trait IntoExpression {
    fn into_expression(self, src: &str) -> Option<Expression>;
}

impl IntoExpression for crate::expr::Expr {
    fn into_expression(self, src: &str) -> Option<Expression> {
        Some(Expression {
            source: src.to_string(),
            expr: self,
            deps: Vec::new(),
            dynamic: false,
        })
    }
}

#[cfg(test)]
mod tests;
