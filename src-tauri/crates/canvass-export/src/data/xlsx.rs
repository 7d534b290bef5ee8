//! XLSX: one sheet per table plus a `labels` sheet, written with rust_xlsxwriter in constant-memory mode.
//!
//! Constant-memory worksheets flush each row to a temporary file as it is
//! written, so a large study does not build up in memory.

use std::path::{Path, PathBuf};

use rust_xlsxwriter::{Workbook, XlsxError};

use super::{part_path, ColKind, Record, Schema, Sink};

/// The most rows a worksheet holds.
const MAX_ROWS: u32 = 1_048_576;

pub(crate) struct XlsxSink {
    labels: bool,
    path: PathBuf,
    book: Workbook,
    /// Next row per data sheet; sheet `l` of the workbook is level `l`.
    next: Vec<u32>,
}

fn xerr(e: XlsxError) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// A sheet name within Excel's 31 characters, free of the characters it forbids.
fn sheet_name(name: &str) -> String {
    name.chars()
        .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
        .take(31)
        .collect()
}

impl XlsxSink {
    pub(crate) fn new(schema: &Schema, out_dir: &Path, labels: bool) -> std::io::Result<XlsxSink> {
        let mut book = Workbook::new();
        for (l, level) in schema.levels.iter().enumerate() {
            let name = if l == 0 {
                "data".to_owned()
            } else {
                level.name.clone()
            };
            let sheet = book.add_worksheet_with_constant_memory().map_err(xerr)?;
            sheet.set_name(sheet_name(&name)).map_err(xerr)?;
            for (c, col) in level.columns.iter().enumerate() {
                sheet.write_string(0, c as u16, &col.name).map_err(xerr)?;
            }
        }
        let sheet = book.add_worksheet_with_constant_memory().map_err(xerr)?;
        sheet.set_name("labels").map_err(xerr)?;
        let mut r = 0;
        for (i, h) in ["table", "column", "label", "list", "code", "choice label"]
            .iter()
            .enumerate()
        {
            sheet.write_string(r, i as u16, *h).map_err(xerr)?;
        }
        for (l, level) in schema.levels.iter().enumerate() {
            for col in &level.columns {
                if matches!(col.kind, ColKind::Meta) {
                    continue;
                }
                r += 1;
                sheet.write_string(r, 0, schema.stem(l)).map_err(xerr)?;
                sheet.write_string(r, 1, &col.name).map_err(xerr)?;
                sheet.write_string(r, 2, &col.label).map_err(xerr)?;
            }
        }
        let mut lists: Vec<_> = schema.choices.iter().collect();
        lists.sort_by(|a, b| a.0.cmp(b.0));
        for (list, choices) in lists {
            for (code, label) in choices {
                r += 1;
                sheet.write_string(r, 3, list).map_err(xerr)?;
                sheet.write_string(r, 4, code).map_err(xerr)?;
                sheet.write_string(r, 5, label).map_err(xerr)?;
            }
        }
        Ok(XlsxSink {
            labels,
            path: out_dir.join(format!("{}.xlsx", schema.study)),
            book,
            next: vec![1; schema.levels.len()],
        })
    }
}

impl Sink for XlsxSink {
    fn interview(&mut self, schema: &Schema, record: &Record) -> std::io::Result<()> {
        for (l, rows) in record.rows.iter().enumerate() {
            let sheet = self.book.worksheet_from_index(l).map_err(xerr)?;
            for row in rows {
                let r = self.next[l];
                if r >= MAX_ROWS {
                    return Err(std::io::Error::other(format!(
                        "sheet {} would pass Excel's {MAX_ROWS} rows; export CSV instead",
                        schema.stem(l)
                    )));
                }
                for (c, v) in row.cells.iter().enumerate() {
                    if v.is_empty() {
                        continue;
                    }
                    let col = &schema.levels[l].columns[c];
                    let number = matches!(col.kind, ColKind::Number | ColKind::Choice { .. })
                        .then(|| v.parse::<f64>().ok())
                        .flatten();
                    match number {
                        Some(n) => sheet.write_number(r, c as u16, n),
                        None => sheet.write_string(r, c as u16, schema.shown(l, c, v, self.labels)),
                    }
                    .map_err(xerr)?;
                }
                self.next[l] += 1;
            }
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>, _schema: &Schema) -> std::io::Result<Vec<(PathBuf, PathBuf)>> {
        let part = part_path(&self.path);
        self.book.save(&part).map_err(xerr)?;
        Ok(vec![(part, self.path)])
    }
}
