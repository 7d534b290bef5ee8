//! Quota cells: ODK expressions over a respondent's answers and `${case.NAME}` preload values.
//!
//! A cell is evaluated by the engine's own evaluator over a flat document of
//! named values, so quota conditions follow ODK semantics exactly (`${age} >= 18
//! and ${case.region} = 'north'`). A value that is not known yet (an answer
//! before the screener) is blank, so a preload-only check never guesses answers.

use std::collections::BTreeMap;

use canvass_form::expr::{self, Context, Document, Expr, NodeId, Severity};
use chrono::DateTime;

/// A parsed quota condition.
#[derive(Debug, Clone)]
pub struct Condition {
    pub source: String,
    expr: Expr,
}

/// Parses a quota condition; `Err` carries the parser's messages.
pub fn parse_condition(source: &str) -> Result<Condition, String> {
    let (expr, diags) = expr::parse(source);
    let errors: Vec<String> = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.message.clone())
        .collect();
    if errors.is_empty() {
        Ok(Condition {
            source: source.to_owned(),
            expr,
        })
    } else {
        Err(format!("`{source}`: {}", errors.join("; ")))
    }
}

/// Named values as an XPath document: `/data/<name>` for each, found by `${name}`.
struct Values<'a> {
    names: Vec<&'a str>,
    values: Vec<&'a str>,
}

const ROOT: NodeId = NodeId(0);
const DATA: NodeId = NodeId(1);

impl Document for Values<'_> {
    fn root(&self) -> NodeId {
        ROOT
    }
    fn parent(&self, n: NodeId) -> Option<NodeId> {
        match n.0 {
            0 => None,
            1 => Some(ROOT),
            _ => Some(DATA),
        }
    }
    fn children(&self, n: NodeId, name: Option<&str>) -> Vec<NodeId> {
        match n.0 {
            0 if name.is_none_or(|x| x == "data") => vec![DATA],
            1 => (0..self.names.len())
                .filter(|&i| name.is_none_or(|x| x == self.names[i]))
                .map(|i| NodeId(i as u32 + 2))
                .collect(),
            _ => Vec::new(),
        }
    }
    fn name(&self, n: NodeId) -> String {
        match n.0 {
            0 => String::new(),
            1 => "data".into(),
            k => self
                .names
                .get(k as usize - 2)
                .copied()
                .unwrap_or("")
                .to_owned(),
        }
    }
    fn attribute(&self, _n: NodeId, _name: &str) -> Option<String> {
        None
    }
    fn value(&self, n: NodeId) -> String {
        match n.0 {
            0 | 1 => String::new(),
            k => self
                .values
                .get(k as usize - 2)
                .copied()
                .unwrap_or("")
                .to_owned(),
        }
    }
    fn resolve_ref(&self, name: &str, _context: NodeId) -> Option<Vec<NodeId>> {
        // An unknown name is a blank value, not an error: the screener may not have run yet.
        Some(
            self.names
                .iter()
                .position(|n| *n == name)
                .map(|i| vec![NodeId(i as u32 + 2)])
                .unwrap_or_default(),
        )
    }
    fn instance_root(&self, _id: &str) -> Option<NodeId> {
        None
    }
}

/// Whether the values fall in the cell. Answers are keyed by question name,
/// preload values by `case.NAME`. An evaluation error counts as "not in the cell".
pub fn in_cell(cond: &Condition, values: &BTreeMap<String, String>, now_ms: i64) -> bool {
    let doc = Values {
        names: values.keys().map(String::as_str).collect(),
        values: values.values().map(String::as_str).collect(),
    };
    let ctx = Context {
        now: DateTime::from_timestamp_millis(now_ms)
            .unwrap_or_default()
            .fixed_offset(),
        random_seed: 0,
        language: None,
    };
    expr::eval_bool(&cond.expr, &doc, DATA, &ctx).unwrap_or(false)
}

/// A case's preload values under their `case.NAME` keys.
pub fn preload_values(preload: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    preload
        .iter()
        .map(|(k, v)| (format!("case.{k}"), v.clone()))
        .collect()
}
