//! A small backtracking regular-expression matcher for ODK's `regex()` function.
//!
//! ODK's `regex(s, re)` is true only when the whole string matches (Java `String.matches`). This
//! supports the part of Java's syntax that form constraints use: literals, `.`, classes with
//! ranges and negation, `\d \w \s` and their negations, anchors, groups, `(?:...)`, alternation
//! and the quantifiers `* + ? {n} {n,} {n,m}` (lazy forms accepted; laziness cannot change whether
//! a full match exists). Matching runs under a step budget so a pathological pattern ends with an
//! error instead of hanging the form.

/// A compiled pattern.
#[derive(Debug, Clone)]
pub struct Regex {
    alternatives: Vec<Vec<Node>>,
}

#[derive(Debug, Clone)]
enum Node {
    Char(char),
    Any,
    Class { items: Vec<ClassItem>, negated: bool },
    Start,
    End,
    Group(Vec<Vec<Node>>),
    Repeat { node: Box<Node>, min: usize, max: usize },
}

#[derive(Debug, Clone)]
enum ClassItem {
    Range(char, char),
    Digit(bool),
    Word(bool),
    Space(bool),
}

/// Why a pattern could not be compiled or matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegexError(pub String);

const STEP_BUDGET: u32 = 1_000_000;
/// Deepest chain of pending continuations; each level costs a few stack frames, so this keeps the
/// matcher well inside a 2 MiB thread stack. Single-character repeats (`.*`, `\d{10}`) loop
/// instead of recursing, so only long runs of groups approach it.
const MAX_MATCH_DEPTH: usize = 2_000;
const MAX_REPEAT: usize = 10_000;

impl Regex {
    /// Compiles `pattern`.
    pub fn new(pattern: &str) -> Result<Regex, RegexError> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut p = Parser { chars, pos: 0, depth: 0 };
        let alternatives = p.alternatives()?;
        if p.pos < p.chars.len() {
            return Err(RegexError(format!("unmatched `)` at {}", p.pos)));
        }
        Ok(Regex { alternatives })
    }

    /// True when the whole of `text` matches.
    pub fn full_match(&self, text: &str) -> Result<bool, RegexError> {
        let input: Vec<char> = text.chars().collect();
        let m = Matcher { input: &input, steps: std::cell::Cell::new(0), depth: std::cell::Cell::new(0) };
        let len = input.len();
        let found = m.alternatives(&self.alternatives, 0, &mut |end| end == len);
        if m.steps.get() > STEP_BUDGET || m.depth.get() > MAX_MATCH_DEPTH {
            return Err(RegexError("pattern too complex to evaluate".into()));
        }
        Ok(found)
    }
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn alternatives(&mut self) -> Result<Vec<Vec<Node>>, RegexError> {
        self.depth += 1;
        if self.depth > 50 {
            return Err(RegexError("groups nested too deeply".into()));
        }
        let mut alts = vec![self.sequence()?];
        while self.peek() == Some('|') {
            self.pos += 1;
            alts.push(self.sequence()?);
        }
        self.depth -= 1;
        Ok(alts)
    }

    fn sequence(&mut self) -> Result<Vec<Node>, RegexError> {
        let mut seq = Vec::new();
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            let atom = self.atom()?;
            seq.push(self.quantified(atom)?);
        }
        Ok(seq)
    }

    fn atom(&mut self) -> Result<Node, RegexError> {
        let Some(c) = self.peek() else { return Err(RegexError("unexpected end of pattern".into())) };
        self.pos += 1;
        Ok(match c {
            '.' => Node::Any,
            '^' => Node::Start,
            '$' => Node::End,
            '(' => {
                if self.chars.get(self.pos..self.pos + 2) == Some(&['?', ':']) {
                    self.pos += 2;
                }
                let alts = self.alternatives()?;
                if self.peek() != Some(')') {
                    return Err(RegexError("unclosed group".into()));
                }
                self.pos += 1;
                Node::Group(alts)
            }
            '[' => self.class()?,
            '\\' => match self.escape()? {
                Ok(ch) => Node::Char(ch),
                Err(item) => Node::Class { items: vec![item], negated: false },
            },
            '*' | '+' | '?' | '{' => return Err(RegexError(format!("nothing to repeat before `{c}`"))),
            other => Node::Char(other),
        })
    }

    /// Reads an escape after `\`: a literal character or a class shorthand.
    fn escape(&mut self) -> Result<Result<char, ClassItem>, RegexError> {
        let Some(c) = self.peek() else { return Err(RegexError("pattern ends with `\\`".into())) };
        self.pos += 1;
        Ok(match c {
            'd' => Err(ClassItem::Digit(true)),
            'D' => Err(ClassItem::Digit(false)),
            'w' => Err(ClassItem::Word(true)),
            'W' => Err(ClassItem::Word(false)),
            's' => Err(ClassItem::Space(true)),
            'S' => Err(ClassItem::Space(false)),
            't' => Ok('\t'),
            'n' => Ok('\n'),
            'r' => Ok('\r'),
            c if c.is_alphanumeric() => return Err(RegexError(format!("escape `\\{c}` is not supported"))),
            c => Ok(c),
        })
    }

    fn class(&mut self) -> Result<Node, RegexError> {
        let negated = self.peek() == Some('^');
        if negated {
            self.pos += 1;
        }
        let mut items = Vec::new();
        let mut first = true;
        loop {
            let Some(c) = self.peek() else { return Err(RegexError("unclosed `[`".into())) };
            if c == ']' && !first {
                self.pos += 1;
                break;
            }
            first = false;
            self.pos += 1;
            let lo = if c == '\\' {
                match self.escape()? {
                    Ok(ch) => ch,
                    Err(item) => {
                        items.push(item);
                        continue;
                    }
                }
            } else {
                c
            };
            if self.peek() == Some('-') && self.chars.get(self.pos + 1).is_some_and(|n| *n != ']') {
                self.pos += 1;
                let Some(mut hi) = self.peek() else { return Err(RegexError("unclosed `[`".into())) };
                self.pos += 1;
                if hi == '\\' {
                    match self.escape()? {
                        Ok(ch) => hi = ch,
                        Err(_) => return Err(RegexError("class shorthand cannot end a range".into())),
                    }
                }
                if hi < lo {
                    return Err(RegexError(format!("invalid range `{lo}-{hi}`")));
                }
                items.push(ClassItem::Range(lo, hi));
            } else {
                items.push(ClassItem::Range(lo, lo));
            }
        }
        Ok(Node::Class { items, negated })
    }

    fn number(&mut self) -> Option<usize> {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        self.chars[start..self.pos].iter().collect::<String>().parse().ok()
    }

    fn quantified(&mut self, atom: Node) -> Result<Node, RegexError> {
        let (min, max) = match self.peek() {
            Some('*') => (0, usize::MAX),
            Some('+') => (1, usize::MAX),
            Some('?') => (0, 1),
            Some('{') => {
                self.pos += 1;
                let min = self.number().ok_or_else(|| RegexError("expected a number after `{`".into()))?;
                let max = if self.peek() == Some(',') {
                    self.pos += 1;
                    if self.peek() == Some('}') {
                        usize::MAX
                    } else {
                        self.number().ok_or_else(|| RegexError("expected a number after `,`".into()))?
                    }
                } else {
                    min
                };
                if self.peek() != Some('}') || max < min || min > MAX_REPEAT || (max != usize::MAX && max > MAX_REPEAT) {
                    return Err(RegexError("invalid `{}` quantifier".into()));
                }
                (min, max)
            }
            _ => return Ok(atom),
        };
        self.pos += 1;
        if self.peek() == Some('?') {
            self.pos += 1;
        }
        if matches!(atom, Node::Start | Node::End) {
            return Ok(atom);
        }
        Ok(Node::Repeat { node: Box::new(atom), min, max })
    }
}

struct Matcher<'a> {
    input: &'a [char],
    steps: std::cell::Cell<u32>,
    depth: std::cell::Cell<usize>,
}

impl Matcher<'_> {
    fn tick(&self) -> bool {
        let n = self.steps.get() + 1;
        self.steps.set(n);
        n <= STEP_BUDGET
    }

    fn alternatives(&self, alts: &[Vec<Node>], i: usize, k: &mut dyn FnMut(usize) -> bool) -> bool {
        alts.iter().any(|seq| self.sequence(seq, i, k))
    }

    fn sequence(&self, seq: &[Node], i: usize, k: &mut dyn FnMut(usize) -> bool) -> bool {
        match seq.split_first() {
            None => k(i),
            Some((first, rest)) => self.node(first, i, &mut |j| self.sequence(rest, j, k)),
        }
    }

    fn node(&self, node: &Node, i: usize, k: &mut dyn FnMut(usize) -> bool) -> bool {
        if !self.tick() {
            return false;
        }
        let depth = self.depth.get();
        if depth >= MAX_MATCH_DEPTH {
            // Record the overflow (depth above the limit) so `full_match` reports it as an error.
            self.depth.set(MAX_MATCH_DEPTH + 1);
            return false;
        }
        self.depth.set(depth + 1);
        let found = self.node_inner(node, i, k);
        if self.depth.get() <= MAX_MATCH_DEPTH {
            self.depth.set(depth);
        }
        found
    }

    fn node_inner(&self, node: &Node, i: usize, k: &mut dyn FnMut(usize) -> bool) -> bool {
        match node {
            Node::Start => i == 0 && k(i),
            Node::End => i == self.input.len() && k(i),
            Node::Group(alts) => self.alternatives(alts, i, k),
            Node::Repeat { node, min, max } => match &**node {
                single @ (Node::Char(_) | Node::Any | Node::Class { .. }) => self.repeat_single(single, *min, *max, i, k),
                _ => self.repeat(node, *min, *max, 0, i, k),
            },
            single => self.single(single, i) && k(i + 1),
        }
    }

    /// True when the one-character node `node` matches the character at `i`.
    fn single(&self, node: &Node, i: usize) -> bool {
        let Some(c) = self.input.get(i).copied() else { return false };
        match node {
            Node::Char(want) => c == *want,
            Node::Any => c != '\n',
            Node::Class { items, negated } => items.iter().any(|it| class_matches(it, c)) != *negated,
            _ => false,
        }
    }

    /// Greedy repeat of a one-character node without recursion: count the run, then offer the
    /// continuation each length from longest to shortest.
    fn repeat_single(&self, node: &Node, min: usize, max: usize, i: usize, k: &mut dyn FnMut(usize) -> bool) -> bool {
        let mut run = 0;
        while run < max && self.single(node, i + run) {
            run += 1;
        }
        if run < min {
            return false;
        }
        (min..=run).rev().any(|n| self.tick() && k(i + n))
    }

    fn repeat(&self, node: &Node, min: usize, max: usize, count: usize, i: usize, k: &mut dyn FnMut(usize) -> bool) -> bool {
        if count < max {
            // Greedy: try one more repetition first. A repetition that consumed nothing once the
            // minimum is met would loop forever, so it is refused.
            let more = self.node(node, i, &mut |j| {
                if j == i && count >= min {
                    return false;
                }
                self.repeat(node, min, max, count + 1, j, k)
            });
            if more {
                return true;
            }
        }
        count >= min && k(i)
    }
}

fn class_matches(item: &ClassItem, c: char) -> bool {
    match item {
        ClassItem::Range(lo, hi) => (*lo..=*hi).contains(&c),
        ClassItem::Digit(yes) => c.is_ascii_digit() == *yes,
        ClassItem::Word(yes) => (c.is_ascii_alphanumeric() || c == '_') == *yes,
        ClassItem::Space(yes) => matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0B' | '\x0C') == *yes,
    }
}

#[cfg(test)]
mod tests;
