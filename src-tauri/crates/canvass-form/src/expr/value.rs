//! XPath values and the XPath 1.0 conversion and comparison rules, with ODK's date extensions.
//!
//! Instance values are strings; dates travel as `YYYY-MM-DD` strings and dateTimes as ISO 8601
//! strings with an offset, exactly as ODK stores them. ODK makes dates behave as numbers of days in
//! arithmetic and relational comparisons, so `to_num` turns a date string into days since
//! 1970-01-01 and a dateTime into the days of its date on the device clock, as JavaRosa does. Equality of two strings
//! stays a string comparison, as in JavaRosa for values typed as strings.

use chrono::{
    DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike,
};

use super::ast::BinOp;
use super::eval::Document;

/// An opaque handle to a node of the caller's document model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub u32);

/// A member of a node-set: an element of the caller's tree or one of its attributes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NodeRef {
    Element(NodeId),
    /// Attribute `name` of element `owner`; the engine creates these for the `@` axis so callers
    /// need not allocate ids for attributes.
    Attribute {
        owner: NodeId,
        name: String,
    },
}

/// An XPath value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    String(String),
    Number(f64),
    Boolean(bool),
    /// Nodes in the order the engine produced them: document order for paths over a tree that
    /// lists children in order, first-operand-first for unions.
    NodeSet(Vec<NodeRef>),
}

const SECONDS_PER_DAY: f64 = 86_400.0;

impl Value {
    /// Builds a string value.
    pub fn str(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    /// `boolean()` as JavaRosa computes it: a non-empty string, a number neither zero nor NaN.
    ///
    /// A node-set of one node is first unpacked to that node's value (JavaRosa's `unpack`), so a
    /// blank question is false, as in ODK Collect; XPath 1.0 would call any non-empty node-set
    /// true. An empty node-set is false, and a node-set of several nodes is true (where JavaRosa
    /// raises "this field is repeated"), keeping XPath's existence test for repeats working.
    pub fn to_bool(&self, doc: &dyn Document) -> bool {
        match self {
            Value::String(s) => !s.is_empty(),
            Value::Number(n) => *n != 0.0 && !n.is_nan(),
            Value::Boolean(b) => *b,
            Value::NodeSet(ns) => match ns.as_slice() {
                [] => false,
                [only] => !node_string(doc, only).is_empty(),
                _ => true,
            },
        }
    }

    /// XPath `string()`: a node-set gives its first node's value, or `""` when empty.
    pub fn to_str(&self, doc: &dyn Document) -> String {
        match self {
            Value::String(s) => s.clone(),
            Value::Number(n) => format_number(*n),
            Value::Boolean(b) => if *b { "true" } else { "false" }.to_string(),
            Value::NodeSet(ns) => ns.first().map(|n| node_string(doc, n)).unwrap_or_default(),
        }
    }

    /// XPath `number()` extended with ODK's date-to-days rule; `tz` interprets offset-less dateTimes.
    pub fn to_num(&self, doc: &dyn Document, tz: FixedOffset) -> f64 {
        match self {
            Value::Number(n) => *n,
            Value::Boolean(b) => f64::from(u8::from(*b)),
            Value::String(s) => str_to_number(s, tz),
            Value::NodeSet(_) => str_to_number(&self.to_str(doc), tz),
        }
    }
}

/// The string value of one node: the element's text or the attribute's value.
pub fn node_string(doc: &dyn Document, node: &NodeRef) -> String {
    match node {
        NodeRef::Element(id) => doc.value(*id),
        NodeRef::Attribute { owner, name } => doc.attribute(*owner, name).unwrap_or_default(),
    }
}

/// The number value of one node, as `str_to_number(&node_string(..))` but without copying a
/// stored leaf value.
pub fn node_number(doc: &dyn Document, node: &NodeRef, tz: FixedOffset) -> f64 {
    match node {
        NodeRef::Element(id) => match doc.value_str(*id) {
            Some(s) => str_to_number(s, tz),
            None => str_to_number(&doc.value(*id), tz),
        },
        other => str_to_number(&node_string(doc, other), tz),
    }
}

/// Formats a number as XPath `string()` does: integers without a fraction, no exponent,
/// `NaN`, `Infinity`, `-Infinity`, and negative zero as `0`.
pub fn format_number(n: f64) -> String {
    if n.is_nan() {
        "NaN".into()
    } else if n.is_infinite() {
        if n > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else if n == 0.0 {
        "0".into()
    } else {
        // Rust's `Display` for f64 prints the shortest round-tripping decimal without an exponent,
        // which is exactly XPath's requirement.
        format!("{n}")
    }
}

/// XPath's Number production: optional minus, digits with an optional fraction, surrounding
/// whitespace allowed. Anything else (including exponents and `+`) is not a number.
pub fn parse_xpath_number(s: &str) -> Option<f64> {
    let t = s.trim();
    let body = t.strip_prefix('-').unwrap_or(t);
    let mut digits = 0;
    let mut dots = 0;
    for c in body.chars() {
        match c {
            '0'..='9' => digits += 1,
            '.' => dots += 1,
            _ => return None,
        }
    }
    if digits == 0 || dots > 1 {
        return None;
    }
    t.parse::<f64>().ok()
}

/// Converts a string to a number: an XPath number, else a date or dateTime as days, else NaN.
pub fn str_to_number(s: &str, tz: FixedOffset) -> f64 {
    if let Some(n) = parse_xpath_number(s) {
        return n;
    }
    let t = s.trim();
    if let Some(d) = parse_date(t) {
        return date_to_days(d);
    }
    if let Some(dt) = parse_date_time(t, tz) {
        // JavaRosa's `toNumeric` turns a dateTime into whole days of its date on the device
        // clock (`daysSinceEpoch`); only `decimal-date-time()` keeps the time of day.
        return date_to_days(dt.with_timezone(&tz).date_naive());
    }
    f64::NAN
}

fn epoch() -> NaiveDate {
    NaiveDate::default()
}

/// Days from 1970-01-01 to `d` (whole days, calendar arithmetic, no time zone).
pub fn date_to_days(d: NaiveDate) -> f64 {
    (d - epoch()).num_days() as f64
}

/// Fractional days from 1970-01-01T00:00:00Z to the instant `dt`.
pub fn date_time_to_days(dt: &DateTime<FixedOffset>) -> f64 {
    dt.timestamp_millis() as f64 / (SECONDS_PER_DAY * 1000.0)
}

/// The calendar date `days` whole days after 1970-01-01 (the fraction is dropped, rounding down).
pub fn days_to_date(days: f64) -> Option<NaiveDate> {
    if !days.is_finite() || days.abs() > 1.0e8 {
        return None;
    }
    epoch().checked_add_signed(chrono::TimeDelta::try_days(days.floor() as i64)?)
}

/// The instant `days` fractional days after 1970-01-01T00:00Z, shown in offset `tz`.
pub fn days_to_date_time(days: f64, tz: FixedOffset) -> Option<DateTime<FixedOffset>> {
    if !days.is_finite() || days.abs() > 1.0e8 {
        return None;
    }
    let ms = (days * SECONDS_PER_DAY * 1000.0).round() as i64;
    tz.timestamp_millis_opt(ms).single()
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y: i32 = digits(&s[0..4])?;
    let m: u32 = digits(&s[5..7])?;
    let d: u32 = digits(&s[8..10])?;
    NaiveDate::from_ymd_opt(y, m, d)
}

fn digits<T: std::str::FromStr>(s: &str) -> Option<T> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Parses `HH:MM[:SS[.fff]]` followed by an optional `Z` or `±hh[:mm]` offset.
pub fn parse_time(s: &str) -> Option<(NaiveTime, Option<FixedOffset>)> {
    let split = s.find(['Z', '+', '-']).unwrap_or(s.len());
    let (clock, zone) = s.split_at(split);
    let mut parts = clock.split(':');
    let h: u32 = digits(parts.next()?)?;
    let m: u32 = digits(parts.next()?)?;
    let (sec, nanos) = match parts.next() {
        None => (0, 0),
        Some(sec) => {
            let (whole, frac) = sec.split_once('.').unwrap_or((sec, ""));
            let secs: u32 = digits(whole)?;
            let nanos = if frac.is_empty() {
                0
            } else {
                let padded: String = frac.chars().chain(std::iter::repeat('0')).take(9).collect();
                digits::<u32>(&padded)?
            };
            (secs, nanos)
        }
    };
    if parts.next().is_some() {
        return None;
    }
    let time = NaiveTime::from_hms_nano_opt(h, m, sec, nanos)?;
    let offset = match zone {
        "" => None,
        "Z" => Some(FixedOffset::east_opt(0)?),
        z => {
            let (sign, rest) = match (z.strip_prefix('+'), z.strip_prefix('-')) {
                (Some(rest), _) => (1, rest),
                (_, Some(rest)) => (-1, rest),
                _ => return None,
            };
            // Only ASCII digits and `:` may follow, which also keeps the byte slicing below on
            // character boundaries.
            if !rest.bytes().all(|b| b.is_ascii_digit() || b == b':') {
                return None;
            }
            let (hh, mm) = match rest.split_once(':') {
                Some((h, m)) => (digits::<i32>(h)?, digits::<i32>(m)?),
                None if rest.len() == 4 => (digits::<i32>(&rest[..2])?, digits::<i32>(&rest[2..])?),
                None => (digits::<i32>(rest)?, 0),
            };
            Some(FixedOffset::east_opt(sign * (hh * 3600 + mm * 60))?)
        }
    };
    Some((time, offset))
}

/// Parses an ISO dateTime `YYYY-MM-DDTHH:MM[:SS[.fff]][offset]`; without an offset the time is
/// taken to be in `tz`, the device's zone.
pub fn parse_date_time(s: &str, tz: FixedOffset) -> Option<DateTime<FixedOffset>> {
    let (date, time) = s.split_once('T')?;
    let date = parse_date(date)?;
    let (time, offset) = parse_time(time)?;
    let naive = NaiveDateTime::new(date, time);
    offset.unwrap_or(tz).from_local_datetime(&naive).single()
}

/// Formats a date as ODK stores it: `YYYY-MM-DD`.
pub fn format_date(d: NaiveDate) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
}

/// Formats a dateTime as ODK stores it: `YYYY-MM-DDTHH:MM:SS.sss+hh:mm`.
pub fn format_date_time(dt: &DateTime<FixedOffset>) -> String {
    let off = dt.offset().local_minus_utc();
    let sign = if off < 0 { '-' } else { '+' };
    let off = off.abs();
    format!(
        "{}T{:02}:{:02}:{:02}.{:03}{}{:02}:{:02}",
        format_date(dt.date_naive()),
        dt.hour(),
        dt.minute(),
        dt.second(),
        dt.timestamp_subsec_millis().min(999),
        sign,
        off / 3600,
        (off % 3600) / 60
    )
}

/// XPath 1.0 section 3.4 comparison of two values, existential over node-sets.
pub fn compare(op: BinOp, a: &Value, b: &Value, doc: &dyn Document, tz: FixedOffset) -> bool {
    match (a, b) {
        (Value::NodeSet(x), Value::NodeSet(y)) => {
            let ys: Vec<Value> = y
                .iter()
                .map(|n| Value::String(node_string(doc, n)))
                .collect();
            x.iter().any(|n| {
                let xv = Value::String(node_string(doc, n));
                ys.iter().any(|yv| compare_atoms(op, &xv, yv, tz))
            })
        }
        (Value::NodeSet(_), Value::Boolean(_)) | (Value::Boolean(_), Value::NodeSet(_)) => {
            compare_atoms(
                op,
                &Value::Boolean(a.to_bool(doc)),
                &Value::Boolean(b.to_bool(doc)),
                tz,
            )
        }
        (Value::NodeSet(x), other) => x
            .iter()
            .any(|n| compare_atoms(op, &Value::String(node_string(doc, n)), other, tz)),
        (other, Value::NodeSet(y)) => y
            .iter()
            .any(|n| compare_atoms(op, other, &Value::String(node_string(doc, n)), tz)),
        _ => compare_atoms(op, a, b, tz),
    }
}

/// `boolean()` of a value that is not a node-set.
fn atom_bool(v: &Value) -> bool {
    match v {
        Value::String(s) => !s.is_empty(),
        Value::Number(n) => *n != 0.0 && !n.is_nan(),
        Value::Boolean(b) => *b,
        Value::NodeSet(ns) => !ns.is_empty(),
    }
}

/// Compares two non-node-set values. Equality prefers booleans, then numbers, then strings;
/// relational operators always compare numbers.
fn compare_atoms(op: BinOp, a: &Value, b: &Value, tz: FixedOffset) -> bool {
    let num = |v: &Value| match v {
        Value::Number(n) => *n,
        Value::Boolean(b) => f64::from(u8::from(*b)),
        Value::String(s) => str_to_number(s, tz),
        Value::NodeSet(_) => f64::NAN,
    };
    match op {
        BinOp::Eq | BinOp::Neq => {
            let equal = match (a, b) {
                (Value::Boolean(x), Value::Boolean(y)) => x == y,
                (Value::Boolean(x), other) | (other, Value::Boolean(x)) => *x == atom_bool(other),
                (Value::Number(_), _) | (_, Value::Number(_)) => num(a) == num(b),
                (Value::String(x), Value::String(y)) => x == y,
                _ => false,
            };
            if op == BinOp::Eq {
                equal
            } else {
                !equal
            }
        }
        BinOp::Lt => num(a) < num(b),
        BinOp::Le => num(a) <= num(b),
        BinOp::Gt => num(a) > num(b),
        BinOp::Ge => num(a) >= num(b),
        _ => false,
    }
}

#[cfg(test)]
mod tests;
