//! Reading and validating an assignment list (CSV or XLSX) before anything is stored.
//!
//! The first row is the header: `id`, `interviewer`, `address`, `target`, `due`
//! (in any order, any case), an optional `area`, and then preload columns,
//! whose values the questionnaire reads as `${case.NAME}`. Every data row is
//! checked and every problem is reported with its row and column; a file with
//! any problem imports nothing.

use std::collections::HashMap;
use std::io::Cursor;

use calamine::{Data, Reader};
use chrono::NaiveDate;
use serde::Serialize;

/// Columns every assignment file must have.
pub const REQUIRED_COLUMNS: [&str; 5] = ["id", "interviewer", "address", "target", "due"];

/// The largest target accepted: more interviews than any household or business contact yields.
const MAX_TARGET: i64 = 1000;

/// One problem in an assignment file, located by spreadsheet row (the header is row 1) and column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportProblem {
    /// 1-based row as a spreadsheet shows it; 0 for a problem with the whole file.
    pub row: usize,
    /// The column's header, or empty for a problem with the whole file or row.
    pub column: String,
    pub message: String,
}

impl std::fmt::Display for ImportProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.row, self.column.is_empty()) {
            (0, true) => write!(f, "{}", self.message),
            (0, false) => write!(f, "column `{}`: {}", self.column, self.message),
            (r, true) => write!(f, "row {r}: {}", self.message),
            (r, false) => write!(f, "row {r} column `{}`: {}", self.column, self.message),
        }
    }
}

/// One valid assignment read from a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedAssignment {
    pub row: usize,
    pub id: String,
    pub interviewer: String,
    pub address: String,
    pub area: String,
    pub target: i64,
    pub due: Option<String>,
    /// Preload values in column order.
    pub preload: Vec<(String, String)>,
}

/// The cells of a file as text: the header row and the data rows with their spreadsheet row numbers.
struct Table {
    header: Vec<String>,
    rows: Vec<(usize, Vec<String>)>,
}

/// Reads and checks an assignment file; `Err` lists every problem found.
pub fn parse(bytes: &[u8], file_name: &str) -> Result<Vec<ParsedAssignment>, Vec<ImportProblem>> {
    let table = read_table(bytes, file_name).map_err(|p| vec![p])?;
    validate(&table)
}

fn whole_file(message: String) -> ImportProblem {
    ImportProblem {
        row: 0,
        column: String::new(),
        message,
    }
}

fn read_table(bytes: &[u8], file_name: &str) -> Result<Table, ImportProblem> {
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "csv" => read_csv(bytes),
        "xlsx" | "xlsm" | "xls" | "ods" => read_workbook(bytes),
        _ => Err(whole_file(format!(
            "`{file_name}` is neither .csv nor .xlsx; save the assignment list as one of them"
        ))),
    }
}

fn read_csv(bytes: &[u8]) -> Result<Table, ImportProblem> {
    // Spreadsheet programs often start a UTF-8 CSV with a byte-order mark.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut header = None;
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| ImportProblem {
            row: i + 1,
            column: String::new(),
            message: format!("cannot read this line as CSV: {e}"),
        })?;
        let cells: Vec<String> = record.iter().map(|c| c.trim().to_owned()).collect();
        if header.is_none() {
            header = Some(cells);
        } else {
            rows.push((i + 1, cells));
        }
    }
    Ok(Table {
        header: header.ok_or_else(|| whole_file("the file is empty: no header row".into()))?,
        rows,
    })
}

fn read_workbook(bytes: &[u8]) -> Result<Table, ImportProblem> {
    let mut workbook = calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|e| whole_file(format!("cannot read the workbook: {e}")))?;
    let first = workbook
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| whole_file("the workbook has no sheets".into()))?;
    let range = workbook
        .worksheet_range(&first)
        .map_err(|e| whole_file(format!("cannot read sheet `{first}`: {e}")))?;
    // Spreadsheet row numbers: the range may start below row 1 when the top rows are blank.
    let start_row = range.start().map_or(0, |(r, _)| r as usize);
    let start_col = range.start().map_or(0, |(_, c)| c as usize);
    let mut header = None;
    let mut rows = Vec::new();
    for (i, row) in range.rows().enumerate() {
        let mut cells: Vec<String> = vec![String::new(); start_col];
        cells.extend(row.iter().map(cell_text));
        if header.is_none() {
            header = Some(cells);
        } else {
            rows.push((start_row + i + 1, cells));
        }
    }
    Ok(Table {
        header: header
            .ok_or_else(|| whole_file(format!("sheet `{first}` is empty: no header row")))?,
        rows,
    })
}

/// A cell as the text a person sees: whole numbers without `.0`, dates as `YYYY-MM-DD`.
fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) => s.trim().to_owned(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
        Data::DateTime(dt) => {
            let (y, m, d, h, min, s, _) = dt.to_ymd_hms_milli();
            if (h, min, s) == (0, 0, 0) {
                format!("{y:04}-{m:02}-{d:02}")
            } else {
                format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}")
            }
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
    }
}

/// A name usable in `${case.NAME}`: a letter or `_` first, then letters, digits, `_`, `-`, `.`.
fn is_preload_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

fn validate(table: &Table) -> Result<Vec<ParsedAssignment>, Vec<ImportProblem>> {
    let mut problems = Vec::new();
    let mut columns: HashMap<String, usize> = HashMap::new();
    let mut preload_cols = Vec::new();
    for (i, raw) in table.header.iter().enumerate() {
        let name = raw.trim();
        if name.is_empty() {
            continue;
        }
        let key = name.to_lowercase();
        let reserved = REQUIRED_COLUMNS.contains(&key.as_str()) || key == "area";
        let column_key = if reserved { key } else { name.to_owned() };
        if columns.insert(column_key.clone(), i).is_some() {
            problems.push(ImportProblem {
                row: 1,
                column: name.to_owned(),
                message: "this column appears twice in the header".into(),
            });
        } else if !reserved {
            if !is_preload_name(name) {
                problems.push(ImportProblem {
                    row: 1,
                    column: name.to_owned(),
                    message: "a preload column name must start with a letter and hold only letters, digits, `_`, `-` or `.`, so forms can read it as ${case.NAME}".into(),
                });
            }
            preload_cols.push((name.to_owned(), i));
        }
    }
    for c in REQUIRED_COLUMNS {
        if !columns.contains_key(c) {
            problems.push(ImportProblem {
                row: 1,
                column: c.to_owned(),
                message: format!(
                    "the header row has no `{c}` column (needed: {})",
                    REQUIRED_COLUMNS.join(", ")
                ),
            });
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    // Every required column was found above, so these lookups succeed; 0 is never used.
    let col = |name: &str| columns.get(name).copied().unwrap_or(0);
    let (c_id, c_int, c_addr, c_target, c_due) = (
        col("id"),
        col("interviewer"),
        col("address"),
        col("target"),
        col("due"),
    );
    let c_area = columns.get("area").copied();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::new();
    for (row, cells) in &table.rows {
        let cell = |i: usize| cells.get(i).map(|s| s.trim()).unwrap_or("");
        if cells.iter().all(|c| c.trim().is_empty()) {
            // Blank lines between blocks of a spreadsheet are layout, not assignments.
            continue;
        }
        let mut bad = |column: &str, message: String| {
            problems.push(ImportProblem {
                row: *row,
                column: column.to_owned(),
                message,
            })
        };
        let id = cell(c_id);
        if id.is_empty() {
            bad("id", "the id is missing".into());
        } else if let Some(first) = seen.get(id) {
            bad(
                "id",
                format!("id `{id}` appears again (first on row {first})"),
            );
        } else {
            seen.insert(id.to_owned(), *row);
        }
        let address = cell(c_addr);
        if address.is_empty() {
            bad("address", "the address is missing".into());
        }
        let target_text = cell(c_target);
        let target = match target_text.parse::<i64>() {
            Ok(t) if (1..=MAX_TARGET).contains(&t) => Some(t),
            _ if target_text.is_empty() => {
                bad("target", "the target is missing".into());
                None
            }
            _ => {
                bad(
                    "target",
                    format!("`{target_text}` is not a whole number from 1 to {MAX_TARGET}"),
                );
                None
            }
        };
        let due_text = cell(c_due);
        let due = if due_text.is_empty() {
            Some(None)
        } else {
            match NaiveDate::parse_from_str(due_text, "%Y-%m-%d") {
                Ok(d) => Some(Some(d.format("%Y-%m-%d").to_string())),
                Err(_) => {
                    bad(
                        "due",
                        format!(
                            "`{due_text}` is not a date; write it as YYYY-MM-DD, e.g. 2026-12-31"
                        ),
                    );
                    None
                }
            }
        };
        if let (Some(target), Some(due), false) = (target, due, id.is_empty()) {
            out.push(ParsedAssignment {
                row: *row,
                id: id.to_owned(),
                interviewer: cell(c_int).to_owned(),
                address: address.to_owned(),
                area: c_area.map(cell).unwrap_or("").to_owned(),
                target,
                due,
                preload: preload_cols
                    .iter()
                    .map(|(name, i)| (name.clone(), cell(*i).to_owned()))
                    .collect(),
            });
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    if out.is_empty() {
        return Err(vec![whole_file(
            "the file has a header but no assignments".into(),
        )]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(csv: &str) -> Vec<String> {
        parse(csv.as_bytes(), "a.csv")
            .unwrap_err()
            .iter()
            .map(|p| p.to_string())
            .collect()
    }

    #[test]
    fn a_good_file_reads_with_preload_columns_in_order() {
        let rows = parse(
            "\u{feff}ID,interviewer,address,target,due,area,hh_head,phone\nA1,olena,1 Main St,2,2026-12-01,North,Petro,555\n,,,,,,,\nA2,olena,2 Main St,1,,South,Ivan,\n"
                .as_bytes(),
            "list.csv",
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].row, 2);
        assert_eq!(rows[1].row, 4);
        assert_eq!(rows[0].area, "North");
        assert_eq!(rows[0].due.as_deref(), Some("2026-12-01"));
        assert_eq!(rows[1].due, None);
        assert_eq!(
            rows[0].preload,
            vec![
                ("hh_head".to_owned(), "Petro".to_owned()),
                ("phone".to_owned(), "555".to_owned())
            ]
        );
    }

    #[test]
    fn every_bad_row_is_named_with_row_and_column() {
        let got = problems(
            "id,interviewer,address,target,due\nA1,o,x,1,2026-01-01\n,o,x,1,\nA1,o,x,1,\nA3,o,x,two,\nA4,o,x,1,31/02/2026\nA5,o,,0,\n",
        );
        assert_eq!(
            got,
            vec![
                "row 3 column `id`: the id is missing",
                "row 4 column `id`: id `A1` appears again (first on row 2)",
                "row 5 column `target`: `two` is not a whole number from 1 to 1000",
                "row 6 column `due`: `31/02/2026` is not a date; write it as YYYY-MM-DD, e.g. 2026-12-31",
                "row 7 column `address`: the address is missing",
                "row 7 column `target`: `0` is not a whole number from 1 to 1000",
            ]
        );
    }

    #[test]
    fn header_problems_are_reported_before_rows() {
        let got = problems("id,address,target,due,id,bad name\nA1,x,1,\n");
        assert_eq!(
            got,
            vec![
                "row 1 column `id`: this column appears twice in the header",
                "row 1 column `bad name`: a preload column name must start with a letter and hold only letters, digits, `_`, `-` or `.`, so forms can read it as ${case.NAME}",
                "row 1 column `interviewer`: the header row has no `interviewer` column (needed: id, interviewer, address, target, due)",
            ]
        );
        assert_eq!(
            parse(b"id", "x.txt").unwrap_err()[0].to_string(),
            "`x.txt` is neither .csv nor .xlsx; save the assignment list as one of them"
        );
    }
}
