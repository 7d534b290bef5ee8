//! Two-step writing for `.sav` and `.dta`, whose headers must state each text column's width before any row.
//!
//! Rows go to a spool file beside the output as they stream in (each cell a
//! little-endian u32 length and its bytes) while the longest value of every
//! text column is tracked; `finish` then writes the header with those widths
//! and copies the rows across. Memory holds one row at a time.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use super::{create, part_path, Record, Schema, Sink};

/// Which file format the spool turns into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    Sav,
    Dta,
}

impl Target {
    /// The longest text value the format holds without extensions this writer leaves out.
    fn max_width(self) -> usize {
        match self {
            Target::Sav => 255,
            Target::Dta => 2045,
        }
    }
}

struct LevelSpool {
    path: PathBuf,
    spool: PathBuf,
    w: BufWriter<File>,
    rows: usize,
    /// Longest value in bytes of each text column (after cutting to the format's limit).
    widths: Vec<usize>,
}

/// Writes `.sav` or `.dta` files, one per level.
pub(crate) struct SpoolSink {
    target: Target,
    levels: Vec<LevelSpool>,
    truncated: usize,
}

impl SpoolSink {
    pub(crate) fn new(
        schema: &Schema,
        out_dir: &Path,
        target: Target,
    ) -> std::io::Result<SpoolSink> {
        let ext = match target {
            Target::Sav => "sav",
            Target::Dta => "dta",
        };
        let mut levels = Vec::new();
        for (l, level) in schema.levels.iter().enumerate() {
            let (path, w) = create(out_dir, &schema.stem(l), &format!("{ext}.spool"))?;
            levels.push(LevelSpool {
                path: out_dir.join(format!("{}.{ext}", schema.stem(l))),
                spool: part_path(&out_dir.join(path.file_name().unwrap_or_default())),
                w,
                rows: 0,
                widths: vec![1; level.columns.len()],
            });
        }
        Ok(SpoolSink {
            target,
            levels,
            truncated: 0,
        })
    }
}

/// The longest prefix of `s` that fits `max` bytes without splitting a character.
pub(crate) fn cut(s: &[u8], max: usize) -> &[u8] {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    // UTF-8 continuation bytes are 0b10xxxxxx; back off to a character start.
    while end > 0 && (s[end] & 0xC0) == 0x80 {
        end -= 1;
    }
    &s[..end]
}

impl Sink for SpoolSink {
    fn interview(&mut self, schema: &Schema, record: &Record) -> std::io::Result<()> {
        let max = self.target.max_width();
        for (l, rows) in record.rows.iter().enumerate() {
            let spool = &mut self.levels[l];
            let cols = &schema.levels[l].columns;
            for row in rows {
                for (c, cell) in row.cells.iter().enumerate() {
                    let bytes = cell.as_bytes();
                    if !cols[c].numeric() {
                        if bytes.len() > max {
                            self.truncated += 1;
                        }
                        let n = cut(bytes, max).len();
                        spool.widths[c] = spool.widths[c].max(n);
                    }
                    spool.w.write_all(&(bytes.len() as u32).to_le_bytes())?;
                    spool.w.write_all(bytes)?;
                }
                spool.rows += 1;
            }
        }
        Ok(())
    }

    fn finish(self: Box<Self>, schema: &Schema) -> std::io::Result<Vec<(PathBuf, PathBuf)>> {
        let mut out = Vec::new();
        for (l, mut spool) in self.levels.into_iter().enumerate() {
            spool.w.flush()?;
            drop(spool.w);
            let result = (|| -> std::io::Result<()> {
                let level = &schema.levels[l];
                let mut r = BufReader::with_capacity(1 << 16, File::open(&spool.spool)?);
                let mut w =
                    BufWriter::with_capacity(1 << 16, File::create(part_path(&spool.path))?);
                let label = if level.name.is_empty() {
                    schema.title.clone()
                } else {
                    format!("{}: {}", schema.title, level.name)
                };
                let table = super::Table {
                    schema,
                    level,
                    widths: &spool.widths,
                    rows: spool.rows,
                    label: &label,
                };
                let mut cells: Vec<Vec<u8>> = vec![Vec::new(); level.columns.len()];
                let mut next_row = |cells: &mut Vec<Vec<u8>>| -> std::io::Result<()> {
                    for cell in cells.iter_mut() {
                        let mut len = [0u8; 4];
                        r.read_exact(&mut len)?;
                        cell.resize(u32::from_le_bytes(len) as usize, 0);
                        r.read_exact(cell)?;
                    }
                    Ok(())
                };
                match self.target {
                    Target::Sav => super::sav::write(&mut w, &table, &mut cells, &mut next_row)?,
                    Target::Dta => super::stata::write(&mut w, &table, &mut cells, &mut next_row)?,
                }
                w.flush()
            })();
            let _ = std::fs::remove_file(&spool.spool);
            result?;
            out.push((part_path(&spool.path), spool.path));
        }
        Ok(out)
    }

    fn truncated(&self) -> usize {
        self.truncated
    }
}
