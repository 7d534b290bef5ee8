//! Reading and checking a case list (CSV or XLSX) before anything is stored.
//!
//! Columns: `id`, `phone` (and `phone2`, `phone3`, ...), `name`, `timezone`,
//! `priority`, then any others, which become the case's preload values. Every
//! row is checked and every problem is reported with its row and column; a list
//! with any problem imports nothing. The checks are pure functions over rows, so
//! CAPI assignment lists can reuse [`read_table`] and [`RowProblem`].

use std::collections::{BTreeMap, HashMap};
use std::io::Cursor;

use calamine::{Data, Reader};
use chrono_tz::Tz;
use serde::Serialize;

/// One problem in an input table, located by 1-based row (the header is row 1) and column name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowProblem {
    pub row: usize,
    pub column: String,
    pub message: String,
}

impl std::fmt::Display for RowProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "row {} column `{}`: {}",
            self.row, self.column, self.message
        )
    }
}

/// A table read from a file: its header and its data rows as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Reads a CSV (UTF-8, optional BOM) or the first sheet of an XLSX/XLS workbook,
/// chosen by the file name's extension.
pub fn read_table(bytes: &[u8], file_name: &str) -> Result<Table, String> {
    let lower = file_name.to_ascii_lowercase();
    if lower.ends_with(".xlsx") || lower.ends_with(".xls") || lower.ends_with(".xlsm") {
        read_workbook(bytes)
    } else {
        read_csv(bytes)
    }
}

fn read_csv(bytes: &[u8]) -> Result<Table, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut all = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let rec = rec.map_err(|e| format!("row {}: not valid CSV: {e}", i + 1))?;
        all.push(rec.iter().map(|s| s.trim().to_owned()).collect::<Vec<_>>());
    }
    split_header(all)
}

fn read_workbook(bytes: &[u8]) -> Result<Table, String> {
    let mut wb = calamine::open_workbook_auto_from_rs(Cursor::new(bytes.to_vec()))
        .map_err(|e| format!("not a readable workbook: {e}"))?;
    let range = wb
        .worksheet_range_at(0)
        .ok_or("the workbook has no sheet")?
        .map_err(|e| format!("cannot read the first sheet: {e}"))?;
    let all = range
        .rows()
        .map(|r| r.iter().map(cell_text).collect::<Vec<_>>())
        .collect();
    split_header(all)
}

/// A cell as text; whole numbers lose Excel's `.0` so ids and phones stay as typed.
fn cell_text(d: &Data) -> String {
    match d {
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Empty => String::new(),
        other => other.to_string().trim().to_owned(),
    }
}

fn split_header(mut all: Vec<Vec<String>>) -> Result<Table, String> {
    // Trailing blank lines (common in spreadsheets) are not rows.
    while all.last().is_some_and(|r| r.iter().all(String::is_empty)) {
        all.pop();
    }
    if all.is_empty() {
        return Err("the file is empty: expected a header row with `id` and `phone`".into());
    }
    let header = all
        .remove(0)
        .into_iter()
        .map(|h| h.trim().to_owned())
        .collect();
    Ok(Table { header, rows: all })
}

/// A checked case ready to store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportedCase {
    pub id: String,
    pub name: String,
    pub phones: Vec<String>,
    pub timezone: String,
    pub priority: i64,
    pub preload: BTreeMap<String, String>,
}

/// Checks a phone number: digits with optional `+` prefix and the usual
/// separators (space, `-`, `.`, parentheses), 7 to 15 digits (E.164's maximum).
/// Returns the number with separators removed.
pub fn check_phone(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        match c {
            '+' if i == 0 => out.push('+'),
            '0'..='9' => out.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return Err(format!("`{raw}` is not a phone number (unexpected `{c}`)")),
        }
    }
    let digits = out.chars().filter(char::is_ascii_digit).count();
    if !(7..=15).contains(&digits) {
        return Err(format!(
            "`{raw}` is not a phone number (it has {digits} digits; 7 to 15 expected)"
        ));
    }
    Ok(out)
}

/// Checks an IANA time zone name such as `Europe/Kyiv`.
pub fn check_timezone(raw: &str) -> Result<Tz, String> {
    raw.parse::<Tz>()
        .map_err(|_| format!("`{raw}` is not an IANA time zone (e.g. Europe/Kyiv)"))
}

fn is_phone_column(h: &str) -> bool {
    h == "phone"
        || h.strip_prefix("phone")
            .is_some_and(|n| n.parse::<u32>().is_ok())
}

/// Checks every row of a case list; returns the cases, or every problem found.
///
/// A row without a `timezone` value takes the zone its first phone number
/// settles ([`super::phone_zone`]), else `default_timezone`; with neither, the
/// row's `timezone` column is reported.
pub fn check_cases(
    table: &Table,
    default_timezone: Option<&str>,
) -> Result<Vec<ImportedCase>, Vec<RowProblem>> {
    let mut problems = Vec::new();
    // Reserved column names match in any case; preload names keep the case they were written in.
    let col = |name: &str| {
        table
            .header
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
    };
    let id_col = col("id");
    let phone_cols: Vec<usize> = table
        .header
        .iter()
        .enumerate()
        .filter(|(_, h)| is_phone_column(&h.to_ascii_lowercase()))
        .map(|(i, _)| i)
        .collect();
    for (needed, present) in [("id", id_col.is_some()), ("phone", !phone_cols.is_empty())] {
        if !present {
            problems.push(RowProblem {
                row: 1,
                column: needed.into(),
                message: format!("the header has no `{needed}` column"),
            });
        }
    }
    let mut seen_header: HashMap<&str, usize> = HashMap::new();
    for (i, h) in table.header.iter().enumerate() {
        if h.is_empty() {
            continue;
        }
        if seen_header.insert(h.as_str(), i).is_some() {
            problems.push(RowProblem {
                row: 1,
                column: h.clone(),
                message: format!("the column `{h}` appears twice"),
            });
        }
    }
    if let Some(tz) = default_timezone {
        if let Err(m) = check_timezone(tz) {
            problems.push(RowProblem {
                row: 1,
                column: "timezone".into(),
                message: format!("the default time zone {m}"),
            });
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    // Both are Some: checked just above.
    let id_col = id_col.unwrap_or(0);
    let (name_col, tz_col, prio_col) = (col("name"), col("timezone"), col("priority"));
    let reserved = |i: usize| {
        i == id_col
            || phone_cols.contains(&i)
            || Some(i) == name_col
            || Some(i) == tz_col
            || Some(i) == prio_col
    };
    let mut first_row_of: HashMap<String, usize> = HashMap::new();
    let mut cases = Vec::new();
    for (r, cells) in table.rows.iter().enumerate() {
        let row = r + 2;
        let get = |i: usize| cells.get(i).map(String::as_str).unwrap_or("").trim();
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let mut bad = |column: &str, message: String| {
            problems.push(RowProblem {
                row,
                column: column.into(),
                message,
            })
        };
        let id = get(id_col).to_owned();
        if id.is_empty() {
            bad("id", "the case id is missing".into());
        } else if let Some(first) = first_row_of.get(&id) {
            bad(
                "id",
                format!("the case id `{id}` already appears in row {first}"),
            );
        } else {
            first_row_of.insert(id.clone(), row);
        }
        let mut phones = Vec::new();
        for &pc in &phone_cols {
            let v = get(pc);
            if v.is_empty() {
                continue;
            }
            match check_phone(v) {
                Ok(p) => phones.push(p),
                Err(m) => bad(&table.header[pc], m),
            }
        }
        if phones.is_empty() && phone_cols.iter().all(|&pc| get(pc).is_empty()) {
            bad("phone", "the case has no phone number".into());
        }
        let tz_raw = tz_col.map(get).filter(|v| !v.is_empty());
        // Without a zone on the row, the first number written in international
        // form may settle it; otherwise the study's default applies.
        let from_phone = || match phones.first() {
            Some(p) => super::phone_zone::zone_for_phone(p),
            None => Err("the case has no phone number".to_owned()),
        };
        let timezone = match tz_raw {
            Some(v) => match check_timezone(v) {
                Ok(tz) => tz.name().to_owned(),
                Err(m) => {
                    bad("timezone", m);
                    String::new()
                }
            },
            None => match (from_phone(), default_timezone) {
                (Ok(zone), _) => zone.to_owned(),
                (Err(_), Some(d)) => d.to_owned(),
                (Err(why), None) => {
                    bad(
                        "timezone",
                        format!(
                            "the time zone is missing, the phone number does not settle it ({why}), and the study has no default (pass --timezone)"
                        ),
                    );
                    String::new()
                }
            },
        };
        let priority = match prio_col.map(get).filter(|v| !v.is_empty()) {
            None => 50,
            Some(v) => match v.parse::<i64>() {
                Ok(p) if (0..=100).contains(&p) => p,
                _ => {
                    bad(
                        "priority",
                        format!("`{v}` is not a whole number from 0 to 100"),
                    );
                    50
                }
            },
        };
        let preload = table
            .header
            .iter()
            .enumerate()
            .filter(|(i, h)| !reserved(*i) && !h.is_empty())
            .map(|(i, h)| (h.clone(), get(i).to_owned()))
            .collect();
        cases.push(ImportedCase {
            name: name_col.map(get).unwrap_or("").to_owned(),
            id,
            phones,
            timezone,
            priority,
            preload,
        });
    }
    if table.rows.is_empty() {
        problems.push(RowProblem {
            row: 2,
            column: "id".into(),
            message: "the list has no cases".into(),
        });
    }
    if problems.is_empty() {
        Ok(cases)
    } else {
        Err(problems)
    }
}
