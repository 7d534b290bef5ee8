//! The ODK XPath function library.
//!
//! Every supported function is listed once in `FUNCTIONS` with its arity, which is what
//! `is_known_function` and `arity` answer from, so the importer can reject an unknown function or
//! a wrong argument count at import time. Arguments arrive unevaluated: `if`, `once`, `coalesce`
//! and `indexed-repeat` decide themselves what to evaluate, and ODK's conversions (`string()`,
//! `number()`, `boolean()`) are applied per argument as each function's semantics require.

use base64::Engine as _;
use chrono::{DateTime, Datelike, FixedOffset, NaiveTime, TimeZone, Timelike};
use md5::Digest as _;

use super::ast::{Expr, ExprKind};
use super::error::EvalError;
use super::eval::{Evaluator, Focus};
use super::regex::Regex;
use super::value::{
    date_time_to_days, date_to_days, days_to_date, days_to_date_time, format_date,
    format_date_time, node_string, parse_date, parse_date_time, parse_time, parse_xpath_number,
    str_to_number, NodeId, NodeRef, Value,
};

/// Arity of a function: minimum and maximum argument counts (`None` = unbounded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arity {
    pub min: usize,
    pub max: Option<usize>,
}

const fn a(min: usize, max: usize) -> Arity {
    Arity {
        min,
        max: Some(max),
    }
}

const fn at_least(min: usize) -> Arity {
    Arity { min, max: None }
}

/// Every function the engine implements, with its arity.
pub const FUNCTIONS: &[(&str, Arity)] = &[
    // Control flow, logic and conversions.
    ("if", a(3, 3)),
    ("coalesce", a(2, 2)),
    ("once", a(1, 1)),
    ("true", a(0, 0)),
    ("false", a(0, 0)),
    ("not", a(1, 1)),
    ("boolean", a(1, 1)),
    ("boolean-from-string", a(1, 1)),
    ("number", a(0, 1)),
    ("string", a(0, 1)),
    ("int", a(1, 1)),
    ("checklist", at_least(2)),
    ("weighted-checklist", at_least(2)),
    // Selects.
    ("selected", a(2, 2)),
    ("selected-at", a(2, 2)),
    ("count-selected", a(1, 1)),
    ("jr:choice-name", a(2, 2)),
    ("jr:itext", a(1, 1)),
    ("join", at_least(1)),
    // Node-sets and repeats.
    ("count", a(1, 1)),
    ("count-non-empty", a(1, 1)),
    ("sum", a(1, 1)),
    ("max", at_least(1)),
    ("min", at_least(1)),
    ("position", a(0, 1)),
    ("last", a(0, 0)),
    ("current", a(0, 0)),
    ("instance", a(1, 1)),
    ("indexed-repeat", a(3, 7)),
    ("name", a(0, 1)),
    ("local-name", a(0, 1)),
    ("randomize", a(1, 2)),
    // Strings.
    ("concat", at_least(0)),
    ("contains", a(2, 2)),
    ("starts-with", a(2, 2)),
    ("ends-with", a(2, 2)),
    ("substr", a(2, 3)),
    ("substring", a(2, 3)),
    ("substring-before", a(2, 2)),
    ("substring-after", a(2, 2)),
    ("string-length", a(0, 1)),
    ("normalize-space", a(0, 1)),
    ("translate", a(3, 3)),
    ("regex", a(2, 2)),
    ("uuid", a(0, 1)),
    ("digest", a(2, 3)),
    ("base64-decode", a(1, 1)),
    // Maths.
    ("round", a(1, 2)),
    ("floor", a(1, 1)),
    ("ceiling", a(1, 1)),
    ("abs", a(1, 1)),
    ("pow", a(2, 2)),
    ("log", a(1, 1)),
    ("log10", a(1, 1)),
    ("exp", a(1, 1)),
    ("exp10", a(1, 1)),
    ("sqrt", a(1, 1)),
    ("sin", a(1, 1)),
    ("cos", a(1, 1)),
    ("tan", a(1, 1)),
    ("asin", a(1, 1)),
    ("acos", a(1, 1)),
    ("atan", a(1, 1)),
    ("atan2", a(2, 2)),
    ("pi", a(0, 0)),
    ("random", a(0, 0)),
    // Dates and times.
    ("today", a(0, 0)),
    ("now", a(0, 0)),
    ("date", a(1, 1)),
    ("date-time", a(1, 1)),
    ("decimal-date-time", a(1, 1)),
    ("decimal-time", a(1, 1)),
    ("format-date", a(2, 2)),
    ("format-date-time", a(2, 2)),
    // Geography.
    ("distance", at_least(1)),
    ("area", a(1, 1)),
    ("geofence", a(2, 2)),
    ("intersects", a(1, 1)),
];

/// True if the engine implements `name` (with its prefix, e.g. `jr:choice-name`).
pub fn is_known_function(name: &str) -> bool {
    arity(name).is_some()
}

/// Accepted argument counts of `name`, or `None` for an unknown function.
pub fn arity(name: &str) -> Option<Arity> {
    FUNCTIONS.iter().find(|(n, _)| *n == name).map(|(_, a)| *a)
}

/// Checks a call's argument count, for the importer; `Ok` for a known function called correctly.
pub fn check_call(name: &str, argc: usize) -> Result<(), EvalError> {
    let ar = arity(name).ok_or_else(|| EvalError::UnknownFunction(name.to_string()))?;
    let too_many = ar.max.is_some_and(|m| argc > m);
    // indexed-repeat takes the target plus (repeat, index) pairs, so only odd counts are valid;
    // weighted-checklist takes (response, weight) pairs after min and max.
    let bad_shape = (name == "indexed-repeat" && argc.is_multiple_of(2))
        || (name == "weighted-checklist" && !argc.is_multiple_of(2));
    if argc < ar.min || too_many || bad_shape {
        let expected = match (name, ar.max) {
            ("indexed-repeat", _) => "3, 5 or 7".to_string(),
            ("weighted-checklist", _) => "2 plus pairs of".to_string(),
            (_, Some(m)) if m == ar.min => m.to_string(),
            (_, Some(m)) => format!("{} to {m}", ar.min),
            (_, None) => format!("at least {}", ar.min),
        };
        return Err(EvalError::Arity {
            name: name.to_string(),
            expected,
            got: argc,
        });
    }
    Ok(())
}

/// Number of `FUNCTIONS` entries whose name the dispatcher recognises; tests compare it with the
/// table length so the two cannot drift apart.
#[cfg(test)]
pub(super) fn call_names_all_dispatch() -> usize {
    use super::eval::Document as _;
    use super::testdoc::TestDoc;
    let doc = TestDoc::new(&[("/data/x", "")]);
    let ctx = super::eval::Context {
        now: DateTime::parse_from_rfc3339("2025-01-15T10:00:00+02:00").unwrap_or_default(),
        random_seed: 1,
        language: None,
    };
    FUNCTIONS
        .iter()
        .filter(|(name, ar)| {
            let argc = if *name == "weighted-checklist" {
                2
            } else {
                ar.min.max(usize::from(*name == "indexed-repeat") * 3)
            };
            let args = vec![
                Expr {
                    kind: ExprKind::Literal("1".into()),
                    span: 0..0
                };
                argc
            ];
            let expr = Expr {
                kind: ExprKind::Call {
                    name: name.to_string(),
                    args,
                },
                span: 0..0,
            };
            !matches!(
                super::eval::eval(&expr, &doc, doc.root(), &ctx),
                Err(EvalError::UnknownFunction(_))
            )
        })
        .count()
}

/// Evaluates a call of `name` with unevaluated `args`.
pub(super) fn call(
    ev: &Evaluator<'_>,
    name: &str,
    args: &[Expr],
    focus: &Focus,
) -> Result<Value, EvalError> {
    check_call(name, args.len())?;
    // One function per group keeps each stack frame small: a single match over every function
    // made one frame per nested call large enough to overflow a 2 MiB stack in debug builds.
    let index_of = |n: &str| FUNCTIONS.iter().position(|(f, _)| *f == n);
    let group = index_of(name).map_or(usize::MAX, |i| {
        GROUP_FIRST
            .iter()
            .filter(|first| index_of(first).is_some_and(|g| g <= i))
            .count()
    });
    match group {
        1 => control(ev, name, args, focus),
        2 => selects(ev, name, args, focus),
        3 => nodesets(ev, name, args, focus),
        4 => strings(ev, name, args, focus),
        5 => substrings(ev, name, args, focus),
        6 => codecs(ev, name, args, focus),
        7 => maths(ev, name, args, focus),
        8 => dates(ev, name, args, focus),
        9 => geo(ev, name, args, focus),
        // `check_call` accepted the name, so it is in `FUNCTIONS`; the registry test checks that
        // every listed name reaches its group.
        _ => Err(EvalError::UnknownFunction(name.to_string())),
    }
}

/// The first function of each group in `FUNCTIONS`, in table order; a function belongs to the
/// last group starting at or before it.
const GROUP_FIRST: [&str; 9] = [
    "if", "selected", "count", "concat", "substr", "regex", "round", "today", "distance",
];

/// Result of a numeric function.
fn num(x: f64) -> Result<Value, EvalError> {
    Ok(Value::Number(x))
}

#[inline(never)]
fn control(
    ev: &Evaluator<'_>,
    name: &str,
    args: &[Expr],
    focus: &Focus,
) -> Result<Value, EvalError> {
    let f = Args { ev, args, focus };
    match name {
        "if" => {
            if f.bool(0)? {
                f.val(1)
            } else {
                f.val(2)
            }
        }
        "coalesce" => {
            let first = f.str(0)?;
            Ok(Value::String(if first.is_empty() {
                f.str(1)?
            } else {
                first
            }))
        }
        "once" => {
            // ODK 9.8: keep the bound node's value once it has one, so `once(now())` is stable.
            let current = ev.doc.value(ev.current);
            if current.is_empty() {
                f.val(0)
            } else {
                Ok(Value::String(current))
            }
        }
        "true" => Ok(Value::Boolean(true)),
        "false" => Ok(Value::Boolean(false)),
        "not" => Ok(Value::Boolean(!f.bool(0)?)),
        "boolean" => Ok(Value::Boolean(f.bool(0)?)),
        "boolean-from-string" => {
            let s = f.str(0)?;
            Ok(Value::Boolean(s.eq_ignore_ascii_case("true") || s == "1"))
        }
        "number" => num(if args.is_empty() {
            f.context_value().to_num(ev.doc, ev.tz())
        } else {
            f.num(0)?
        }),
        "string" => Ok(Value::String(if args.is_empty() {
            f.context_string()
        } else {
            f.str(0)?
        })),
        "int" => num(f.num(0)?.trunc()),
        "checklist" => {
            let (min, max) = (f.num(0)?, f.num(1)?);
            let mut count = 0.0;
            for i in 2..args.len() {
                count += f.strings(i)?.iter().filter(|s| s.as_str() == "yes").count() as f64;
            }
            Ok(Value::Boolean(within(count, min, max)))
        }
        "weighted-checklist" => {
            let (min, max) = (f.num(0)?, f.num(1)?);
            let mut total = 0.0;
            for pair in (2..args.len()).step_by(2) {
                let responses = f.strings(pair)?;
                let weights = f.strings(pair + 1)?;
                for (r, w) in responses.iter().zip(weights.iter()) {
                    if r == "yes" {
                        total += str_to_number(w, ev.tz());
                    }
                }
            }
            Ok(Value::Boolean(within(total, min, max)))
        }
        _ => Err(EvalError::UnknownFunction(name.to_string())),
    }
}

#[inline(never)]
fn selects(
    ev: &Evaluator<'_>,
    name: &str,
    args: &[Expr],
    focus: &Focus,
) -> Result<Value, EvalError> {
    let f = Args { ev, args, focus };
    match name {
        "selected" => {
            let list = f.str(0)?;
            let wanted = f.str(1)?;
            let wanted = wanted.trim();
            Ok(Value::Boolean(list.split_whitespace().any(|c| c == wanted)))
        }
        "selected-at" => {
            let list = f.str(0)?;
            let n = f.num(1)?;
            let item = if n.is_finite() && n >= 0.0 {
                list.split_whitespace().nth(n.trunc() as usize)
            } else {
                None
            };
            Ok(Value::String(item.unwrap_or("").to_string()))
        }
        "count-selected" => num(f.str(0)?.split_whitespace().count() as f64),
        "jr:itext" => {
            // Translated text by itext id (pyxform's choice labels), blank when the form has none.
            let id = f.str(0)?;
            Ok(Value::String(
                ev.doc
                    .itext(&id, ev.ctx.language.as_deref())
                    .unwrap_or_default(),
            ))
        }
        "jr:choice-name" => {
            let choice = f.str(0)?;
            let question = match &args[1].kind {
                // A bare `${q}` (not the quoted form) still names the question.
                ExprKind::Ref(n) => format!("${{{n}}}"),
                // pyxform writes the path with padding (`' /data/q '`), which names the same question.
                _ => f.str(1)?.trim().to_string(),
            };
            let label =
                ev.doc
                    .choice_label(&question, &choice, ev.ctx.language.as_deref(), ev.current);
            Ok(Value::String(label.unwrap_or_default()))
        }
        "join" => {
            let sep = f.str(0)?;
            let mut parts = Vec::new();
            for i in 1..args.len() {
                parts.extend(f.strings(i)?);
            }
            Ok(Value::String(parts.join(&sep)))
        }
        _ => Err(EvalError::UnknownFunction(name.to_string())),
    }
}

#[inline(never)]
fn nodesets(
    ev: &Evaluator<'_>,
    name: &str,
    args: &[Expr],
    focus: &Focus,
) -> Result<Value, EvalError> {
    let f = Args { ev, args, focus };
    match name {
        "count" => num(f.nodes(0, "count()")?.len() as f64),
        "count-non-empty" => {
            let nodes = f.nodes(0, "count-non-empty()")?;
            num(nodes
                .iter()
                .filter(|n| !node_string(ev.doc, n).is_empty())
                .count() as f64)
        }
        "sum" => {
            let nodes = f.nodes(0, "sum()")?;
            num(nodes
                .iter()
                .map(|n| crate::expr::value::node_number(ev.doc, n, ev.tz()))
                .sum())
        }
        "max" | "min" => {
            let mut values = Vec::new();
            for i in 0..args.len() {
                match f.val(i)? {
                    Value::NodeSet(ns) => values.extend(
                        ns.iter()
                            .map(|n| str_to_number(&node_string(ev.doc, n), ev.tz())),
                    ),
                    other => values.push(other.to_num(ev.doc, ev.tz())),
                }
            }
            // Blanks are NaN, and one NaN makes the result NaN, as in JavaRosa; an empty set too.
            if values.is_empty() || values.iter().any(|v| v.is_nan()) {
                return num(f64::NAN);
            }
            let pick = if name == "max" { f64::max } else { f64::min };
            num(values.into_iter().fold(
                if name == "max" {
                    f64::NEG_INFINITY
                } else {
                    f64::INFINITY
                },
                pick,
            ))
        }
        "position" => {
            if args.is_empty() {
                return num(focus.position as f64);
            }
            let nodes = f.nodes(0, "position()")?;
            num(match nodes.first() {
                Some(NodeRef::Element(id)) => ev.doc.position(*id) as f64,
                Some(NodeRef::Attribute { .. }) => 1.0,
                None => f64::NAN,
            })
        }
        "last" => num(focus.size as f64),
        "current" => Ok(Value::NodeSet(vec![NodeRef::Element(ev.current)])),
        "instance" => {
            let id = f.str(0)?;
            let root = ev
                .doc
                .instance_root(&id)
                .ok_or(EvalError::UnknownInstance(id))?;
            Ok(Value::NodeSet(vec![NodeRef::Element(root)]))
        }
        "indexed-repeat" => indexed_repeat(&f),
        "name" | "local-name" => {
            let node = if args.is_empty() {
                Some(focus.node.clone())
            } else {
                f.nodes(0, "name()")?.into_iter().next()
            };
            let full = match node {
                Some(NodeRef::Element(id)) => ev.doc.name(id),
                Some(NodeRef::Attribute { name, .. }) => name,
                None => String::new(),
            };
            let local = if name == "local-name" {
                full.rsplit(':').next().unwrap_or("").to_string()
            } else {
                full
            };
            Ok(Value::String(local))
        }
        "randomize" => {
            let nodes = f.nodes(0, "randomize()")?;
            let seed = if args.len() == 2 {
                // Java's double-to-long cast truncates toward zero and maps NaN to 0; `as` does the same.
                f.num(1)? as i64
            } else {
                ev.next_random() as i64
            };
            Ok(Value::NodeSet(shuffle(nodes, seed)))
        }
        _ => Err(EvalError::UnknownFunction(name.to_string())),
    }
}

#[inline(never)]
fn strings(
    ev: &Evaluator<'_>,
    name: &str,
    args: &[Expr],
    focus: &Focus,
) -> Result<Value, EvalError> {
    let f = Args { ev, args, focus };
    match name {
        "concat" => {
            let mut out = String::new();
            for i in 0..args.len() {
                out.extend(f.strings(i)?);
            }
            Ok(Value::String(out))
        }
        "contains" => Ok(Value::Boolean(f.str(0)?.contains(&f.str(1)?))),
        "starts-with" => Ok(Value::Boolean(f.str(0)?.starts_with(&f.str(1)?))),
        "ends-with" => Ok(Value::Boolean(f.str(0)?.ends_with(&f.str(1)?))),
        _ => Err(EvalError::UnknownFunction(name.to_string())),
    }
}

#[inline(never)]
fn substrings(
    ev: &Evaluator<'_>,
    name: &str,
    args: &[Expr],
    focus: &Focus,
) -> Result<Value, EvalError> {
    let f = Args { ev, args, focus };
    match name {
        "substr" => {
            let chars: Vec<char> = f.str(0)?.chars().collect();
            let len = chars.len() as i64;
            let mut start = java_int(f.num(1)?);
            let mut end = if args.len() == 3 {
                java_int(f.num(2)?)
            } else {
                len
            };
            // JavaRosa counts negative positions from the end of the string.
            if start < 0 {
                start += len;
            }
            if end < 0 {
                end += len;
            }
            let start = start.clamp(0, len);
            let end = end.clamp(0, len);
            Ok(Value::String(if start < end {
                chars[start as usize..end as usize].iter().collect()
            } else {
                String::new()
            }))
        }
        "substring" => {
            // XPath 1.0: 1-based, rounded, keeps characters whose position p satisfies
            // round(start) <= p < round(start) + round(length).
            let s = f.str(0)?;
            let start = xpath_round(f.num(1)?);
            let end = if args.len() == 3 {
                start + xpath_round(f.num(2)?)
            } else {
                f64::INFINITY
            };
            Ok(Value::String(
                s.chars()
                    .enumerate()
                    .filter(|(i, _)| {
                        let p = (*i + 1) as f64;
                        p >= start && p < end
                    })
                    .map(|(_, c)| c)
                    .collect(),
            ))
        }
        "substring-before" => {
            let (s, t) = (f.str(0)?, f.str(1)?);
            Ok(Value::String(
                s.find(&t).map(|i| s[..i].to_string()).unwrap_or_default(),
            ))
        }
        "substring-after" => {
            let (s, t) = (f.str(0)?, f.str(1)?);
            Ok(Value::String(
                s.find(&t)
                    .map(|i| s[i + t.len()..].to_string())
                    .unwrap_or_default(),
            ))
        }
        "string-length" => {
            let s = if args.is_empty() {
                f.context_string()
            } else {
                f.str(0)?
            };
            num(s.chars().count() as f64)
        }
        "normalize-space" => {
            let s = if args.is_empty() {
                f.context_string()
            } else {
                f.str(0)?
            };
            Ok(Value::String(
                s.split_whitespace().collect::<Vec<_>>().join(" "),
            ))
        }
        "translate" => {
            let (s, from, to) = (f.str(0)?, f.str(1)?, f.str(2)?);
            let from: Vec<char> = from.chars().collect();
            let to: Vec<char> = to.chars().collect();
            let out = s
                .chars()
                .filter_map(|c| match from.iter().position(|x| *x == c) {
                    Some(i) => to.get(i).copied(),
                    None => Some(c),
                })
                .collect();
            Ok(Value::String(out))
        }
        _ => Err(EvalError::UnknownFunction(name.to_string())),
    }
}

#[inline(never)]
fn codecs(
    ev: &Evaluator<'_>,
    name: &str,
    args: &[Expr],
    focus: &Focus,
) -> Result<Value, EvalError> {
    let f = Args { ev, args, focus };
    match name {
        "regex" => {
            let (s, re) = (f.str(0)?, f.str(1)?);
            let bad = |e: super::regex::RegexError| EvalError::BadArgument {
                function: "regex".into(),
                message: e.0,
            };
            let re = Regex::new(&re).map_err(bad)?;
            Ok(Value::Boolean(re.full_match(&s).map_err(bad)?))
        }
        "uuid" => {
            if args.is_empty() {
                Ok(Value::String(uuid_v4(ev.next_random(), ev.next_random())))
            } else {
                let n = f.num(0)?;
                let len = if n.is_finite() && n > 0.0 {
                    (n as usize).min(4096)
                } else {
                    0
                };
                const ALPHABET: &[u8] =
                    b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyz";
                Ok(Value::String(
                    (0..len)
                        .map(|_| {
                            ALPHABET[(ev.next_random() % ALPHABET.len() as u64) as usize] as char
                        })
                        .collect(),
                ))
            }
        }
        "digest" => {
            let data = f.str(0)?;
            let algorithm = f.str(1)?;
            let encoding = if args.len() == 3 {
                f.str(2)?
            } else {
                "base64".to_string()
            };
            digest(&data, &algorithm, &encoding)
        }
        "base64-decode" => {
            let s = f.str(0)?;
            // Invalid base64 or non-UTF-8 bytes give a blank, like other unusable input.
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(s.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok());
            Ok(Value::String(decoded.unwrap_or_default()))
        }
        _ => Err(EvalError::UnknownFunction(name.to_string())),
    }
}

#[inline(never)]
fn maths(ev: &Evaluator<'_>, name: &str, args: &[Expr], focus: &Focus) -> Result<Value, EvalError> {
    let f = Args { ev, args, focus };
    match name {
        "round" => {
            let x = f.num(0)?;
            if args.len() == 1 {
                num(xpath_round(x))
            } else {
                num(round_half_up(x, f.num(1)?))
            }
        }
        "floor" => num(f.num(0)?.floor()),
        "ceiling" => num(f.num(0)?.ceil()),
        "abs" => num(f.num(0)?.abs()),
        "pow" => num(f.num(0)?.powf(f.num(1)?)),
        "log" => num(f.num(0)?.ln()),
        "log10" => num(f.num(0)?.log10()),
        "exp" => num(f.num(0)?.exp()),
        "exp10" => num(10f64.powf(f.num(0)?)),
        "sqrt" => num(f.num(0)?.sqrt()),
        "sin" => num(f.num(0)?.sin()),
        "cos" => num(f.num(0)?.cos()),
        "tan" => num(f.num(0)?.tan()),
        "asin" => num(f.num(0)?.asin()),
        "acos" => num(f.num(0)?.acos()),
        "atan" => num(f.num(0)?.atan()),
        "atan2" => num(f.num(0)?.atan2(f.num(1)?)),
        "pi" => num(std::f64::consts::PI),
        "random" => match ev.doc.fixed_random() {
            Some(x) => num(x),
            None => num((ev.next_random() >> 11) as f64 / (1u64 << 53) as f64),
        },
        _ => Err(EvalError::UnknownFunction(name.to_string())),
    }
}

#[inline(never)]
fn dates(ev: &Evaluator<'_>, name: &str, args: &[Expr], focus: &Focus) -> Result<Value, EvalError> {
    let f = Args { ev, args, focus };
    match name {
        "today" => Ok(Value::String(format_date(ev.ctx.now.date_naive()))),
        "now" => Ok(Value::String(format_date_time(&ev.ctx.now))),
        "date" => {
            let v = f.val(0)?;
            let date = match &v {
                Value::Number(n) => days_to_date(*n),
                Value::Boolean(_) => None,
                _ => {
                    let s = v.to_str(ev.doc);
                    let s = s.trim();
                    parse_date(s)
                        .or_else(|| parse_date_time(s, ev.tz()).map(|dt| dt.date_naive()))
                        .or_else(|| parse_xpath_number(s).and_then(days_to_date))
                }
            };
            Ok(Value::String(date.map(format_date).unwrap_or_default()))
        }
        "date-time" => Ok(Value::String(
            f.date_time(0)?
                .map(|dt| format_date_time(&dt))
                .unwrap_or_default(),
        )),
        "decimal-date-time" => {
            let v = f.val(0)?;
            num(match &v {
                Value::Number(n) => *n,
                _ => {
                    let s = v.to_str(ev.doc);
                    let s = s.trim();
                    match parse_date(s) {
                        Some(d) => date_to_days(d),
                        None => parse_date_time(s, ev.tz())
                            .map(|dt| date_time_to_days(&dt))
                            .unwrap_or(f64::NAN),
                    }
                }
            })
        }
        "decimal-time" => {
            let s = f.str(0)?;
            let s = s.trim();
            let tz = ev.tz();
            let time = parse_date_time(s, tz)
                .map(|dt| dt.with_timezone(&tz).time())
                .or_else(|| {
                    parse_time(s).and_then(|(t, off)| match off {
                        // A time with an offset is shown on the device clock, as ODK does.
                        Some(off) => {
                            let secs = i64::from(t.num_seconds_from_midnight())
                                - i64::from(off.local_minus_utc())
                                + i64::from(tz.local_minus_utc());
                            NaiveTime::from_num_seconds_from_midnight_opt(
                                secs.rem_euclid(86_400) as u32,
                                t.nanosecond(),
                            )
                        }
                        None => Some(t),
                    })
                });
            num(time.map_or(f64::NAN, |t| {
                (f64::from(t.num_seconds_from_midnight()) + f64::from(t.nanosecond()) / 1e9)
                    / 86_400.0
            }))
        }
        "format-date" | "format-date-time" => {
            let fmt = f.str(1)?;
            Ok(Value::String(
                f.date_time(0)?
                    .map(|dt| format_odk(&dt, &fmt))
                    .unwrap_or_default(),
            ))
        }
        _ => Err(EvalError::UnknownFunction(name.to_string())),
    }
}

#[inline(never)]
fn geo(ev: &Evaluator<'_>, name: &str, args: &[Expr], focus: &Focus) -> Result<Value, EvalError> {
    let f = Args { ev, args, focus };
    match name {
        "distance" => {
            // One argument is a trace, shape or node-set of points; several are points in order.
            let mut all = Vec::new();
            for i in 0..args.len() {
                match f.points(i)? {
                    Some(p) => all.extend(p),
                    None => return num(f64::NAN),
                }
            }
            num(all.windows(2).map(|w| haversine(w[0], w[1])).sum())
        }
        "area" => num(f.points(0)?.map_or(f64::NAN, |p| spherical_area(&p))),
        "geofence" => {
            let point = f.points(0)?;
            let shape = f.points(1)?;
            Ok(Value::Boolean(match (point.as_deref(), shape) {
                (Some([p]), Some(shape)) => point_in_polygon(*p, &shape),
                _ => false,
            }))
        }
        "intersects" => Ok(Value::Boolean(
            f.points(0)?.is_some_and(|p| self_intersects(&p)),
        )),
        _ => Err(EvalError::UnknownFunction(name.to_string())),
    }
}

/// Argument access for one call.
struct Args<'e, 'a> {
    ev: &'e Evaluator<'a>,
    args: &'e [Expr],
    focus: &'e Focus,
}

impl Args<'_, '_> {
    fn val(&self, i: usize) -> Result<Value, EvalError> {
        self.ev.eval(&self.args[i], self.focus)
    }
    fn str(&self, i: usize) -> Result<String, EvalError> {
        self.ev.string(&self.args[i], self.focus)
    }
    fn num(&self, i: usize) -> Result<f64, EvalError> {
        self.ev.num(&self.args[i], self.focus)
    }
    fn bool(&self, i: usize) -> Result<bool, EvalError> {
        self.ev.bool(&self.args[i], self.focus)
    }
    fn strings(&self, i: usize) -> Result<Vec<String>, EvalError> {
        self.ev.strings(&self.args[i], self.focus)
    }
    fn nodes(&self, i: usize, what: &str) -> Result<Vec<NodeRef>, EvalError> {
        self.ev.nodes(&self.args[i], self.focus, what)
    }
    fn context_value(&self) -> Value {
        Value::NodeSet(vec![self.focus.node.clone()])
    }
    fn context_string(&self) -> String {
        node_string(self.ev.doc, &self.focus.node)
    }

    /// Reads argument `i` as a dateTime: numbers are days since the epoch, dates are midnight in
    /// the device zone, dateTimes are shown in the device zone; blanks and junk give `None`.
    fn date_time(&self, i: usize) -> Result<Option<DateTime<FixedOffset>>, EvalError> {
        let tz = self.ev.tz();
        let v = self.val(i)?;
        Ok(match &v {
            Value::Number(n) => number_to_date_time(*n, tz),
            Value::Boolean(_) => None,
            _ => {
                let s = v.to_str(self.ev.doc);
                let s = s.trim();
                if let Some(d) = parse_date(s) {
                    d.and_hms_opt(0, 0, 0)
                        .and_then(|naive| tz.from_local_datetime(&naive).single())
                } else if let Some(dt) = parse_date_time(s, tz) {
                    Some(dt.with_timezone(&tz))
                } else {
                    parse_xpath_number(s).and_then(|n| number_to_date_time(n, tz))
                }
            }
        })
    }

    /// Reads geo points: each node of a multi-node set is one point, otherwise the string is a
    /// `;`-separated list of `lat lon [alt [acc]]`. `None` when any point is malformed or blank.
    fn points(&self, i: usize) -> Result<Option<Vec<(f64, f64)>>, EvalError> {
        let texts = self.strings(i)?;
        let mut out = Vec::new();
        for text in texts {
            for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
                let mut nums = part.split_whitespace().map(parse_xpath_number);
                match (nums.next().flatten(), nums.next().flatten()) {
                    (Some(lat), Some(lon)) => out.push((lat, lon)),
                    _ => return Ok(None),
                }
            }
        }
        Ok(if out.is_empty() { None } else { Some(out) })
    }
}

/// Numbers given where a date is expected are days since the epoch; ODK treats whole numbers as
/// calendar dates (midnight on the device clock), fractions as instants.
fn number_to_date_time(n: f64, tz: FixedOffset) -> Option<DateTime<FixedOffset>> {
    if n.fract() == 0.0 {
        days_to_date(n)?
            .and_hms_opt(0, 0, 0)
            .and_then(|naive| tz.from_local_datetime(&naive).single())
    } else {
        days_to_date_time(n, tz)
    }
}

fn within(count: f64, min: f64, max: f64) -> bool {
    // A negative bound disables that side of the check (ODK: -1 means "no limit").
    (min < 0.0 || count >= min) && (max < 0.0 || count <= max)
}

/// Java's `(int) double` cast: truncation, NaN to 0, saturation at the ends.
fn java_int(x: f64) -> i64 {
    x as i64
}

/// XPath 1.0 `round()`: nearest integer, halves toward positive infinity.
fn xpath_round(x: f64) -> f64 {
    if x.is_finite() {
        (x + 0.5).floor()
    } else {
        x
    }
}

/// ODK `round(x, places)`: decimal rounding, halves away from zero, done on the shortest decimal
/// representation of `x` (as JavaRosa does via `BigDecimal`) so `round(1.005, 2)` is 1.01.
fn round_half_up(x: f64, places: f64) -> f64 {
    if !x.is_finite() || places.is_nan() || x == 0.0 {
        return x;
    }
    let places = places.trunc().clamp(-400.0, 400.0) as i64;
    // `{:e}` prints the shortest round-tripping mantissa, e.g. "1.005e0".
    let sci = format!("{:e}", x.abs());
    let Some((mantissa, exp)) = sci.split_once('e') else {
        return x;
    };
    let Ok(exp) = exp.parse::<i64>() else {
        return x;
    };
    let digits: Vec<u8> = mantissa
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| b - b'0')
        .collect();
    let keep = exp + 1 + places;
    if keep < 0 {
        return 0.0 * x.signum();
    }
    let keep = keep as usize;
    if keep >= digits.len() {
        return x;
    }
    let mut kept: u128 = 0;
    for d in &digits[..keep] {
        kept = kept.saturating_mul(10).saturating_add(u128::from(*d));
    }
    if digits[keep] >= 5 {
        kept += 1;
    }
    let scale = exp + 1 - keep as i64;
    format!("{kept}e{scale}")
        .parse::<f64>()
        .map_or(x, |v| v * x.signum())
}

fn indexed_repeat(f: &Args<'_, '_>) -> Result<Value, EvalError> {
    let ev = f.ev;
    // `${name}` arguments mean every instance here, not the one nearest the bound node, so they
    // are resolved from the document root (which is inside no repeat).
    let all = |i: usize| -> Result<Vec<NodeRef>, EvalError> {
        match &f.args[i].kind {
            ExprKind::Ref(name) => {
                let nodes = ev
                    .doc
                    .resolve_ref(name, ev.doc.root())
                    .ok_or_else(|| EvalError::UnknownReference(name.clone()))?;
                Ok(nodes.into_iter().map(NodeRef::Element).collect())
            }
            _ => f.nodes(i, "indexed-repeat()"),
        }
    };
    let mut scope: Option<NodeId> = None;
    for pair in (1..f.args.len()).step_by(2) {
        let instances: Vec<NodeId> = all(pair)?
            .into_iter()
            .filter_map(|n| match n {
                NodeRef::Element(id) => Some(id),
                NodeRef::Attribute { .. } => None,
            })
            .filter(|id| scope.is_none_or(|s| is_under(ev, *id, s)))
            .collect();
        let index = f.num(pair + 1)?;
        if !(index >= 1.0 && index <= instances.len() as f64) {
            return Ok(Value::NodeSet(Vec::new()));
        }
        scope = Some(instances[index as usize - 1]);
    }
    let target = all(0)?.into_iter().find(|n| match (n, scope) {
        (NodeRef::Element(id), Some(s)) => is_under(ev, *id, s),
        _ => false,
    });
    Ok(Value::NodeSet(target.into_iter().collect()))
}

fn is_under(ev: &Evaluator<'_>, node: NodeId, ancestor: NodeId) -> bool {
    let mut cur = ev.doc.parent(node);
    while let Some(p) = cur {
        if p == ancestor {
            return true;
        }
        cur = ev.doc.parent(p);
    }
    false
}

/// JavaRosa's seeded shuffle for `randomize()`: the "inside-out" Fisher–Yates driven by the
/// Park–Miller generator (`org.javarosa.xform.parse.ParkMiller`, `FisherYates`), computed in f64
/// exactly as the Java code does so that orders match ODK Collect.
pub fn shuffle<T: Clone>(items: Vec<T>, seed: i64) -> Vec<T> {
    const MODULUS: f64 = 2_147_483_647.0;
    const MULTIPLIER: f64 = 16_807.0;
    let mut state = (seed as f64) % MODULUS;
    if state <= 0.0 {
        state += MODULUS - 1.0;
    }
    let mut next_double = || {
        state = (state * MULTIPLIER) % MODULUS;
        // Java's `next(32)` returns the state as an int; `nextDouble` maps it into [0, 1).
        let int = state as i32;
        (f64::from(int) - 1.0) / (MODULUS - 1.0)
    };
    let mut result: Vec<Option<T>> = vec![None; items.len()];
    for (i, item) in items.into_iter().enumerate() {
        let j = ((next_double() * (i as f64 + 1.0)) as usize).min(i);
        if j != i {
            result[i] = result[j].take();
        }
        result[j] = Some(item);
    }
    result.into_iter().flatten().collect()
}

/// A version 4 UUID built from two caller-seeded random words.
fn uuid_v4(hi: u64, lo: u64) -> String {
    let hi = (hi & !0xF000) | 0x4000;
    let lo = (lo & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xFFFF,
        hi & 0xFFFF,
        lo >> 48,
        lo & 0xFFFF_FFFF_FFFF
    )
}

fn digest(data: &str, algorithm: &str, encoding: &str) -> Result<Value, EvalError> {
    let bytes = data.as_bytes();
    let hash: Vec<u8> = match algorithm.to_ascii_uppercase().as_str() {
        "MD5" => md5::Md5::digest(bytes).to_vec(),
        "SHA-1" => sha1::Sha1::digest(bytes).to_vec(),
        "SHA-256" => sha2::Sha256::digest(bytes).to_vec(),
        "SHA-384" => sha2::Sha384::digest(bytes).to_vec(),
        "SHA-512" => sha2::Sha512::digest(bytes).to_vec(),
        other => {
            return Err(EvalError::BadArgument {
                function: "digest".into(),
                message: format!("unknown algorithm `{other}`"),
            })
        }
    };
    let text = match encoding.to_ascii_lowercase().as_str() {
        "base64" => base64::engine::general_purpose::STANDARD.encode(&hash),
        "hex" => hash.iter().map(|b| format!("{b:02x}")).collect(),
        other => {
            return Err(EvalError::BadArgument {
                function: "digest".into(),
                message: format!("unknown encoding `{other}`"),
            })
        }
    };
    Ok(Value::String(text))
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/// ODK's `format-date` patterns. Month and day names are English: the engine has no locale data.
fn format_odk(dt: &DateTime<FixedOffset>, fmt: &str) -> String {
    let mut out = String::new();
    let mut chars = fmt.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let Some(spec) = chars.next() else {
            out.push('%');
            break;
        };
        match spec {
            'Y' => out.push_str(&format!("{:04}", dt.year())),
            'y' => out.push_str(&format!("{:02}", dt.year().rem_euclid(100))),
            'm' => out.push_str(&format!("{:02}", dt.month())),
            'n' => out.push_str(&dt.month().to_string()),
            'b' => out.push_str(MONTHS[dt.month0() as usize % 12]),
            'd' => out.push_str(&format!("{:02}", dt.day())),
            'e' => out.push_str(&dt.day().to_string()),
            'a' => out.push_str(WEEKDAYS[dt.weekday().num_days_from_sunday() as usize % 7]),
            'H' => out.push_str(&format!("{:02}", dt.hour())),
            'h' => out.push_str(&dt.hour().to_string()),
            'M' => out.push_str(&format!("{:02}", dt.minute())),
            'S' => out.push_str(&format!("{:02}", dt.second())),
            '3' => out.push_str(&format!("{:03}", dt.timestamp_subsec_millis().min(999))),
            '%' => out.push('%'),
            other => {
                out.push('%');
                out.push(other);
            }
        }
    }
    out
}

/// Earth radius JavaRosa's `GeoUtils` uses, in metres.
const EARTH_RADIUS: f64 = 6_378_100.0;

fn haversine(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lat1, lat2) = (a.0.to_radians(), b.0.to_radians());
    let dlat = lat2 - lat1;
    let dlon = (b.1 - a.1).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS * h.sqrt().atan2((1.0 - h).sqrt())
}

/// Area of a polygon on the sphere (Chamberlain and Duquette's formula, as JavaRosa's `GeoUtils`).
/// A repeated closing point adds nothing, so geoshapes can be passed as stored.
fn spherical_area(p: &[(f64, f64)]) -> f64 {
    let n = p.len();
    if n < 3 {
        return 0.0;
    }
    let mut sum = 0.0;
    for i in 0..n {
        let lower = p[i];
        let middle = p[(i + 1) % n];
        let upper = p[(i + 2) % n];
        sum += (upper.1.to_radians() - lower.1.to_radians()) * middle.0.to_radians().sin();
    }
    (sum * EARTH_RADIUS * EARTH_RADIUS / 2.0).abs()
}

/// Ray casting in the lat/lon plane, as ODK's `geofence` does.
fn point_in_polygon(pt: (f64, f64), poly: &[(f64, f64)]) -> bool {
    let (y, x) = pt;
    let mut inside = false;
    let n = poly.len();
    for i in 0..n {
        let (yi, xi) = poly[i];
        let (yj, xj) = poly[(i + n - 1) % n];
        if (yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi {
            inside = !inside;
        }
    }
    inside
}

/// True when two non-adjacent segments of the trace cross (planar test).
fn self_intersects(p: &[(f64, f64)]) -> bool {
    let segs: Vec<((f64, f64), (f64, f64))> = p.windows(2).map(|w| (w[0], w[1])).collect();
    let closed = p.len() > 3 && p.first() == p.last();
    for i in 0..segs.len() {
        for j in i + 2..segs.len() {
            // In a closed shape the last segment touches the first at the shared point.
            if closed && i == 0 && j == segs.len() - 1 {
                continue;
            }
            if segments_cross(segs[i], segs[j]) {
                return true;
            }
        }
    }
    false
}

fn segments_cross(a: ((f64, f64), (f64, f64)), b: ((f64, f64), (f64, f64))) -> bool {
    let orient = |p: (f64, f64), q: (f64, f64), r: (f64, f64)| {
        (q.0 - p.0) * (r.1 - p.1) - (q.1 - p.1) * (r.0 - p.0)
    };
    let d1 = orient(b.0, b.1, a.0);
    let d2 = orient(b.0, b.1, a.1);
    let d3 = orient(a.0, a.1, b.0);
    let d4 = orient(a.0, a.1, b.1);
    ((d1 > 0.0) != (d2 > 0.0))
        && ((d3 > 0.0) != (d4 > 0.0))
        && d1 != 0.0
        && d2 != 0.0
        && d3 != 0.0
        && d4 != 0.0
}
