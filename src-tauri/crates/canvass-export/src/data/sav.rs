//! SPSS system files (`.sav`), uncompressed, written to the published layout of the format.
//!
//! What is written: the file header, one variable record per variable (with
//! continuation records for text wider than 8 bytes), its label, value labels
//! for numeric `select_one` questions, the machine-integer record saying
//! UTF-8 (code page 65001), the long-variable-names record, the encoding
//! record, and then the cases, 8 bytes per numeric value (missing is
//! -DBL_MAX, SPSS's system-missing) and text padded with spaces to 8 bytes.
//! Text longer than 255 bytes would need the very-long-string record; it is
//! cut to 255 bytes instead and counted in the export summary.

use std::io::Write;

use super::spool::cut;
use super::{ColKind, Table};

/// SPSS's system-missing value.
const SYSMIS: f64 = -f64::MAX;

fn i32le(w: &mut dyn Write, v: i32) -> std::io::Result<()> {
    w.write_all(&v.to_le_bytes())
}

/// `text` padded with spaces (or cut) to exactly `n` bytes.
fn padded(w: &mut dyn Write, text: &[u8], n: usize) -> std::io::Result<()> {
    let t = cut(text, n);
    w.write_all(t)?;
    w.write_all(&vec![b' '; n - t.len()])
}

/// 8-byte segments a text variable of `width` bytes takes.
fn segments(width: usize) -> usize {
    width.div_ceil(8)
}

pub(crate) fn write(
    w: &mut dyn Write,
    table: &Table<'_>,
    cells: &mut Vec<Vec<u8>>,
    next_row: &mut dyn FnMut(&mut Vec<Vec<u8>>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let cols = &table.level.columns;
    let width = |c: usize| table.widths[c].clamp(1, 255);
    let case_size: usize = (0..cols.len())
        .map(|c| {
            if cols[c].numeric() {
                1
            } else {
                segments(width(c))
            }
        })
        .sum();

    // File header record.
    w.write_all(b"$FL2")?;
    padded(w, b"@(#) SPSS DATA FILE - Canvass", 60)?;
    i32le(w, 2)?; // layout code
    i32le(w, case_size as i32)?;
    i32le(w, 0)?; // no compression
    i32le(w, 0)?; // no weight variable
    i32le(w, table.rows as i32)?;
    w.write_all(&100f64.to_le_bytes())?; // compression bias
                                         // A fixed creation stamp keeps exports of the same data byte-identical.
    w.write_all(b"01 Jan 70")?;
    w.write_all(b"00:00:00")?;
    padded(w, table.label.as_bytes(), 64)?;
    w.write_all(&[0; 3])?;

    // Variable records; dictionary indexes count continuation records too.
    let mut index = Vec::with_capacity(cols.len());
    let mut next_index = 1;
    for (c, col) in cols.iter().enumerate() {
        index.push(next_index);
        let numeric = col.numeric();
        i32le(w, 2)?;
        i32le(w, if numeric { 0 } else { width(c) as i32 })?;
        let label = cut(col.label.as_bytes(), 255);
        i32le(w, i32::from(!label.is_empty()))?;
        i32le(w, 0)?; // no missing-value codes
        let format = if numeric {
            let decimals = if matches!(col.kind, ColKind::Number) {
                2
            } else {
                0
            };
            (5 << 16) | (8 << 8) | decimals
        } else {
            (1 << 16) | ((width(c) as i32) << 8)
        };
        i32le(w, format)?;
        i32le(w, format)?;
        padded(w, short_name(c).as_bytes(), 8)?;
        if !label.is_empty() {
            i32le(w, label.len() as i32)?;
            w.write_all(label)?;
            w.write_all(&vec![0; label.len().next_multiple_of(4) - label.len()])?;
        }
        next_index += 1;
        if !numeric {
            for _ in 1..segments(width(c)) {
                i32le(w, 2)?;
                i32le(w, -1)?;
                for _ in 0..4 {
                    i32le(w, 0)?;
                }
                w.write_all(b"        ")?;
                next_index += 1;
            }
        }
    }

    // Value labels of numeric select_one questions (codes known to be integers).
    for (c, col) in cols.iter().enumerate() {
        let ColKind::SelectOne {
            list,
            numeric: true,
        } = &col.kind
        else {
            continue;
        };
        let Some(choices) = table.schema.choices.get(list) else {
            continue;
        };
        i32le(w, 3)?;
        i32le(w, choices.len() as i32)?;
        for (code, label) in choices {
            let value: f64 = code.parse().unwrap_or(SYSMIS);
            w.write_all(&value.to_le_bytes())?;
            let label = cut(label.as_bytes(), 120);
            w.write_all(&[label.len() as u8])?;
            w.write_all(label)?;
            let used = 1 + label.len();
            w.write_all(&vec![b' '; used.next_multiple_of(8) - used])?;
        }
        i32le(w, 4)?;
        i32le(w, 1)?;
        i32le(w, index[c])?;
    }

    // Machine integer info: version 20.0.0, IEEE floats, little-endian, UTF-8.
    for v in [7, 3, 4, 8, 20, 0, 0, -1, 1, 1, 2, 65001] {
        i32le(w, v)?;
    }
    // Machine floating-point info: system-missing, highest, lowest.
    for v in [7, 4, 8, 3] {
        i32le(w, v)?;
    }
    for v in [SYSMIS, f64::MAX, -f64::MAX] {
        w.write_all(&v.to_le_bytes())?;
    }
    // Long variable names.
    let names: Vec<String> = cols
        .iter()
        .enumerate()
        .map(|(c, col)| format!("{}={}", short_name(c), col.var))
        .collect();
    let names = names.join("\t");
    for v in [7, 13, 1, names.len() as i32] {
        i32le(w, v)?;
    }
    w.write_all(names.as_bytes())?;
    // Character encoding.
    for v in [7, 20, 1, 5] {
        i32le(w, v)?;
    }
    w.write_all(b"UTF-8")?;
    // End of dictionary.
    i32le(w, 999)?;
    i32le(w, 0)?;

    for _ in 0..table.rows {
        next_row(cells)?;
        for (c, col) in cols.iter().enumerate() {
            let cell = &cells[c];
            if col.numeric() {
                let v = std::str::from_utf8(cell)
                    .ok()
                    .and_then(|s| s.parse::<f64>().ok())
                    .unwrap_or(SYSMIS);
                w.write_all(&v.to_le_bytes())?;
            } else {
                padded(w, cell, segments(width(c)) * 8)?;
            }
        }
    }
    Ok(())
}

/// The 8-byte short name of column `c`; the long-names record maps it to the real one.
fn short_name(c: usize) -> String {
    format!("V{}", c + 1)
}
