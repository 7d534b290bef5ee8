//! Stata `.dta` files, format 118 (Stata 14 and later), written to Stata's published description of the format.
//!
//! What is written: the header, the map of section offsets, variable types
//! (`double` for numbers, `str1`..`str2045` for text), names, formats,
//! value-label names, variable labels, the rows, and value-label tables for
//! numeric `select_one` questions. Strings are UTF-8 as format 118 requires.
//! Text longer than 2045 bytes would need `strL`; it is cut instead and counted.

use std::io::Write;

use super::spool::cut;
use super::{ColKind, Table};

/// Stata's `.` for doubles.
const MISSING: [u8; 8] = 0x7FE0_0000_0000_0000u64.to_le_bytes();
const DOUBLE: u16 = 65526;

/// `text` null-padded (or cut at a character boundary) to exactly `n` bytes.
fn fixed(out: &mut Vec<u8>, text: &str, n: usize) {
    let t = cut(text.as_bytes(), n - 1);
    out.extend_from_slice(t);
    out.resize(out.len() + n - t.len(), 0);
}

pub(crate) fn write(
    w: &mut dyn Write,
    table: &Table<'_>,
    cells: &mut Vec<Vec<u8>>,
    next_row: &mut dyn FnMut(&mut Vec<Vec<u8>>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let cols = &table.level.columns;
    let k = cols.len();
    let width = |c: usize| table.widths[c].clamp(1, 2045);
    let labelled = |c: usize| -> Option<&Vec<(String, String)>> {
        match &cols[c].kind {
            ColKind::SelectOne {
                list,
                numeric: true,
            } => table.schema.choices.get(list),
            _ => None,
        }
    };

    // Everything up to <data> is built in memory: it is small and its offsets go in the map.
    let mut h: Vec<u8> = Vec::new();
    let mut map = [0u64; 14];
    h.extend_from_slice(b"<stata_dta><header><release>118</release><byteorder>LSF</byteorder><K>");
    h.extend_from_slice(&(k as u16).to_le_bytes());
    h.extend_from_slice(b"</K><N>");
    h.extend_from_slice(&(table.rows as u64).to_le_bytes());
    h.extend_from_slice(b"</N><label>");
    let label = cut(table.label.as_bytes(), 320);
    h.extend_from_slice(&(label.len() as u16).to_le_bytes());
    h.extend_from_slice(label);
    h.extend_from_slice(b"</label><timestamp>");
    // A fixed stamp keeps exports of the same data byte-identical.
    h.push(17);
    h.extend_from_slice(b"01 Jan 1970 00:00");
    h.extend_from_slice(b"</timestamp></header>");
    map[1] = h.len() as u64;
    let map_at = h.len() + "<map>".len();
    h.extend_from_slice(b"<map>");
    h.extend_from_slice(&[0; 14 * 8]);
    h.extend_from_slice(b"</map>");
    map[2] = h.len() as u64;
    h.extend_from_slice(b"<variable_types>");
    for (c, col) in cols.iter().enumerate() {
        let t = if col.numeric() {
            DOUBLE
        } else {
            width(c) as u16
        };
        h.extend_from_slice(&t.to_le_bytes());
    }
    h.extend_from_slice(b"</variable_types>");
    map[3] = h.len() as u64;
    h.extend_from_slice(b"<varnames>");
    for col in cols {
        fixed(&mut h, &col.var, 129);
    }
    h.extend_from_slice(b"</varnames>");
    map[4] = h.len() as u64;
    h.extend_from_slice(b"<sortlist>");
    h.extend_from_slice(&vec![0; 2 * (k + 1)]);
    h.extend_from_slice(b"</sortlist>");
    map[5] = h.len() as u64;
    h.extend_from_slice(b"<formats>");
    for (c, col) in cols.iter().enumerate() {
        let f = if col.numeric() {
            "%10.0g".to_owned()
        } else {
            format!("%{}s", width(c).min(244))
        };
        fixed(&mut h, &f, 57);
    }
    h.extend_from_slice(b"</formats>");
    map[6] = h.len() as u64;
    h.extend_from_slice(b"<value_label_names>");
    for (c, col) in cols.iter().enumerate() {
        fixed(
            &mut h,
            if labelled(c).is_some() { &col.var } else { "" },
            129,
        );
    }
    h.extend_from_slice(b"</value_label_names>");
    map[7] = h.len() as u64;
    h.extend_from_slice(b"<variable_labels>");
    for col in cols {
        fixed(&mut h, &col.label, 321);
    }
    h.extend_from_slice(b"</variable_labels>");
    map[8] = h.len() as u64;
    h.extend_from_slice(b"<characteristics></characteristics>");
    map[9] = h.len() as u64;
    h.extend_from_slice(b"<data>");
    let row_len: usize = (0..k)
        .map(|c| if cols[c].numeric() { 8 } else { width(c) })
        .sum();
    let data_end = h.len() as u64 + (row_len * table.rows) as u64 + "</data>".len() as u64;
    map[10] = data_end;

    let mut tail: Vec<u8> = Vec::new();
    tail.extend_from_slice(b"<strls></strls>");
    map[11] = data_end + tail.len() as u64;
    tail.extend_from_slice(b"<value_labels>");
    for (c, col) in cols.iter().enumerate() {
        let Some(choices) = labelled(c) else { continue };
        let mut text: Vec<u8> = Vec::new();
        let mut offsets = Vec::new();
        let mut values = Vec::new();
        for (code, label) in choices {
            offsets.push(text.len() as i32);
            values.push(code.parse::<i32>().unwrap_or_default());
            text.extend_from_slice(cut(label.as_bytes(), 32000));
            text.push(0);
        }
        let n = choices.len();
        tail.extend_from_slice(b"<lbl>");
        tail.extend_from_slice(&((8 + 8 * n + text.len()) as i32).to_le_bytes());
        fixed(&mut tail, &col.var, 129);
        tail.extend_from_slice(&[0; 3]);
        tail.extend_from_slice(&(n as i32).to_le_bytes());
        tail.extend_from_slice(&(text.len() as i32).to_le_bytes());
        for o in offsets {
            tail.extend_from_slice(&o.to_le_bytes());
        }
        for v in values {
            tail.extend_from_slice(&v.to_le_bytes());
        }
        tail.extend_from_slice(&text);
        tail.extend_from_slice(b"</lbl>");
    }
    tail.extend_from_slice(b"</value_labels>");
    map[12] = data_end + tail.len() as u64;
    tail.extend_from_slice(b"</stata_dta>");
    map[13] = data_end + tail.len() as u64;
    for (i, v) in map.iter().enumerate() {
        h[map_at + 8 * i..map_at + 8 * i + 8].copy_from_slice(&v.to_le_bytes());
    }

    w.write_all(&h)?;
    let mut pad = Vec::new();
    for _ in 0..table.rows {
        next_row(cells)?;
        for (c, col) in cols.iter().enumerate() {
            let cell = &cells[c];
            if col.numeric() {
                match std::str::from_utf8(cell)
                    .ok()
                    .and_then(|s| s.parse::<f64>().ok())
                {
                    Some(v) => w.write_all(&v.to_le_bytes())?,
                    None => w.write_all(&MISSING)?,
                }
            } else {
                let t = cut(cell, width(c));
                w.write_all(t)?;
                pad.resize(width(c) - t.len(), 0);
                w.write_all(&pad)?;
            }
        }
    }
    w.write_all(b"</data>")?;
    w.write_all(&tail)
}
