//! ODK submission XML: one file per interview, shaped as ODK Collect submits it to Central.
//!
//! The root element is the form's instance root with the form's `id` and
//! `version` attributes; groups and repeat instances nest as elements in
//! document order; a `select_multiple` keeps its space-separated codes; and a
//! node that relevance hides is left out entirely, as JavaRosa prunes
//! non-relevant nodes from a submission. Every submission carries
//! `meta/instanceID`: the engine's `uuid:` value when the form defines it,
//! else `uuid:<interview id>` (interview ids are UUIDs).

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use canvass_form::model::NodeKind;
use canvass_form::Questionnaire;

use super::{part_path, Record, Schema, Sink};

/// Writes `<out>/<study>/<interview id>.xml`, each through a part file renamed at the end.
pub(crate) struct XmlSink {
    dir: PathBuf,
    files: Vec<PathBuf>,
}

impl XmlSink {
    pub(crate) fn new(schema: &Schema, out_dir: &Path) -> std::io::Result<XmlSink> {
        let dir = out_dir.join(&schema.study);
        std::fs::create_dir_all(&dir)?;
        Ok(XmlSink {
            dir,
            files: Vec::new(),
        })
    }

    /// The folder the submissions go to, removed by a failed export when left empty.
    pub(crate) fn folder(schema: &Schema, out_dir: &Path) -> PathBuf {
        out_dir.join(&schema.study)
    }
}

impl Sink for XmlSink {
    fn needs_source(&self) -> bool {
        true
    }

    fn interview(&mut self, _schema: &Schema, record: &Record) -> std::io::Result<()> {
        let Some(source) = &record.source else {
            return Err(std::io::Error::other(
                "the XML writer needs the interview's values",
            ));
        };
        let id = &record.rows[0][0].cells[0];
        let text = submission(id, &source.form, &source.values, source.complete, record);
        let path = self.dir.join(format!("{id}.xml"));
        let mut f = std::fs::File::create(part_path(&path))?;
        f.write_all(text.as_bytes())?;
        self.files.push(path);
        Ok(())
    }

    fn finish(self: Box<Self>, _schema: &Schema) -> std::io::Result<Vec<(PathBuf, PathBuf)>> {
        Ok(self.files.into_iter().map(|p| (part_path(&p), p)).collect())
    }
}

/// The submission of interview `id`. `values` are its final `(instance path, value)` pairs;
/// `complete` says they hold every relevant leaf (the engine's record), so a missing leaf is
/// hidden by relevance; otherwise they are the stored answers of a form that hides nothing,
/// and a missing leaf is an empty element. Repeat instances are those the record kept.
pub(crate) fn submission(
    id: &str,
    form: &Questionnaire,
    values: &[(String, String)],
    complete: bool,
    record: &Record,
) -> String {
    let by_path: HashMap<&str, &str> = values
        .iter()
        .map(|(p, v)| (p.as_str(), v.as_str()))
        .collect();
    let root = format!("/{}", form.root_name);
    // The record's repeat rows are keyed `<id>/member[2]`; their instance paths are `/data/member[2]`.
    let key_prefix = format!("{id}/");
    let instances: HashSet<String> = record
        .rows
        .iter()
        .skip(1)
        .flatten()
        .filter_map(|r| r.cells.get(1))
        .filter_map(|k| k.strip_prefix(&key_prefix))
        .map(|k| format!("{root}/{k}"))
        .collect();
    let walk = Walk {
        form,
        by_path: &by_path,
        complete,
        instances: &instances,
    };
    let mut out = String::from("<?xml version=\"1.0\"?>\n");
    out.push_str(&format!("<{} id=\"{}\"", form.root_name, escape(&form.id)));
    if let Some(v) = &form.version {
        out.push_str(&format!(" version=\"{}\"", escape(v)));
    }
    out.push('>');
    walk.children(0, &root, &mut out);
    if form.find(&format!("{root}/meta/instanceID")).is_none() {
        out.push_str(&format!(
            "<meta><instanceID>uuid:{}</instanceID></meta>",
            escape(id)
        ));
    }
    out.push_str(&format!("</{}>\n", form.root_name));
    out
}

struct Walk<'a> {
    form: &'a Questionnaire,
    by_path: &'a HashMap<&'a str, &'a str>,
    complete: bool,
    instances: &'a HashSet<String>,
}

impl Walk<'_> {
    /// Appends the elements of the children of node `idx`, which sits at instance path `at`.
    fn children(&self, idx: usize, at: &str, out: &mut String) {
        for &c in &self.form.nodes[idx].children {
            let node = &self.form.nodes[c];
            let name = &node.name;
            let path = format!("{at}/{name}");
            match &node.kind {
                NodeKind::Question(_) => match self.by_path.get(path.as_str()) {
                    Some(v) if !v.is_empty() => {
                        out.push_str(&format!("<{name}>{}</{name}>", escape(v)));
                    }
                    Some(_) => out.push_str(&format!("<{name}/>")),
                    None if !self.complete => out.push_str(&format!("<{name}/>")),
                    // Hidden by relevance: pruned, as JavaRosa does.
                    None => {}
                },
                NodeKind::Group { .. } | NodeKind::Root => {
                    let mut inner = String::new();
                    self.children(c, &path, &mut inner);
                    // A group whose every node is hidden is itself non-relevant.
                    if !inner.is_empty() {
                        out.push_str(&format!("<{name}>{inner}</{name}>"));
                    }
                }
                NodeKind::Repeat { .. } => {
                    let mut positions: Vec<usize> = self
                        .instances
                        .iter()
                        .filter_map(|i| i.strip_prefix(&path))
                        .filter_map(|rest| rest.strip_prefix('['))
                        .filter_map(|rest| rest.strip_suffix(']'))
                        .filter_map(|n| n.parse().ok())
                        .collect();
                    positions.sort_unstable();
                    for n in positions {
                        let instance = format!("{path}[{n}]");
                        out.push_str(&format!("<{name}>"));
                        self.children(c, &instance, out);
                        out.push_str(&format!("</{name}>"));
                    }
                }
            }
        }
    }
}

/// Escapes text for an element or a double-quoted attribute.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}
