//! Test helpers: small XLSForm workbooks built in memory, and corpus file access.

use rust_xlsxwriter::Workbook;

/// An .xlsx workbook with the given sheets, each a table of rows (the first row is the header).
pub fn workbook(sheets: &[(&str, &[&[&str]])]) -> Vec<u8> {
    let mut wb = Workbook::new();
    for (name, rows) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(*name).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                if !cell.is_empty() {
                    ws.write_string(r as u32, c as u16, *cell).unwrap();
                }
            }
        }
    }
    wb.save_to_buffer().unwrap()
}

/// Bytes of a corpus form in `test_data/forms`.
pub fn corpus(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/test_data/forms/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// The clock and seed every test uses.
pub fn ctx() -> crate::expr::Context {
    crate::expr::Context {
        now: chrono::DateTime::parse_from_rfc3339("2025-01-15T10:00:00+00:00").unwrap(),
        random_seed: 42,
        language: None,
    }
}
