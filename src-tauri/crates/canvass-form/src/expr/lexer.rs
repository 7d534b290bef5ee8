//! Hand-written lexer for ODK XPath expressions.
//!
//! Produces a flat token list, each token with its byte span, always ending in `Eof`. Lexing never
//! fails: unknown characters and unterminated literals become `Error` tokens plus a diagnostic, so
//! the parser can report everything in one pass. The lexer applies XPath 1.0 section 3.7's rule that
//! decides whether `*`, `and`, `or`, `div` and `mod` are operators or names.

use std::ops::Range;

use super::error::Diagnostic;

/// One lexical token.
#[derive(Debug, Clone, PartialEq)]
pub enum TokenKind {
    /// A numeric literal such as `12`, `3.5` or `.5`.
    Number(f64),
    /// A string literal without its quotes.
    Literal(String),
    /// A name or QName such as `age`, `jr:choice-name`, `first-name` or `a.b`.
    Name(String),
    /// An XLSForm reference `${name}`, kept whole so the importer can resolve it.
    Ref(String),
    /// `*` used as a name test (any element).
    Star,
    /// `prefix:*` used as a name test.
    PrefixStar(String),
    /// `axis::` (the axis name without the colons).
    Axis(String),
    Plus,
    Minus,
    /// `*` used as multiplication.
    Mul,
    Div,
    Mod,
    And,
    Or,
    Eq,
    Neq,
    Lt,
    Le,
    Gt,
    Ge,
    Pipe,
    Slash,
    DoubleSlash,
    Dot,
    DotDot,
    At,
    LBracket,
    RBracket,
    LParen,
    RParen,
    Comma,
    /// Text that could not be lexed; a diagnostic was already emitted.
    Error,
    Eof,
}

/// A token with its byte span in the source.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Range<usize>,
}

/// Splits `src` into tokens, collecting lexical problems as diagnostics.
pub fn lex(src: &str) -> (Vec<Token>, Vec<Diagnostic>) {
    let mut lx = Lexer {
        src,
        pos: 0,
        tokens: Vec::new(),
        diags: Vec::new(),
    };
    lx.run();
    (lx.tokens, lx.diags)
}

impl TokenKind {
    /// A short human description used in parser diagnostics.
    pub fn describe(&self) -> String {
        match self {
            TokenKind::Number(n) => format!("number `{n}`"),
            TokenKind::Literal(s) => format!("string '{s}'"),
            TokenKind::Name(n) => format!("name `{n}`"),
            TokenKind::Ref(n) => format!("`${{{n}}}`"),
            TokenKind::Star | TokenKind::Mul => "`*`".into(),
            TokenKind::PrefixStar(p) => format!("`{p}:*`"),
            TokenKind::Axis(a) => format!("`{a}::`"),
            TokenKind::Plus => "`+`".into(),
            TokenKind::Minus => "`-`".into(),
            TokenKind::Div => "`div`".into(),
            TokenKind::Mod => "`mod`".into(),
            TokenKind::And => "`and`".into(),
            TokenKind::Or => "`or`".into(),
            TokenKind::Eq => "`=`".into(),
            TokenKind::Neq => "`!=`".into(),
            TokenKind::Lt => "`<`".into(),
            TokenKind::Le => "`<=`".into(),
            TokenKind::Gt => "`>`".into(),
            TokenKind::Ge => "`>=`".into(),
            TokenKind::Pipe => "`|`".into(),
            TokenKind::Slash => "`/`".into(),
            TokenKind::DoubleSlash => "`//`".into(),
            TokenKind::Dot => "`.`".into(),
            TokenKind::DotDot => "`..`".into(),
            TokenKind::At => "`@`".into(),
            TokenKind::LBracket => "`[`".into(),
            TokenKind::RBracket => "`]`".into(),
            TokenKind::LParen => "`(`".into(),
            TokenKind::RParen => "`)`".into(),
            TokenKind::Comma => "`,`".into(),
            TokenKind::Error => "invalid text".into(),
            TokenKind::Eof => "end of expression".into(),
        }
    }

    /// True for the tokens XPath 1.0 section 3.7 calls "Operator".
    fn is_operator(&self) -> bool {
        matches!(
            self,
            TokenKind::And
                | TokenKind::Or
                | TokenKind::Mod
                | TokenKind::Div
                | TokenKind::Mul
                | TokenKind::Slash
                | TokenKind::DoubleSlash
                | TokenKind::Pipe
                | TokenKind::Plus
                | TokenKind::Minus
                | TokenKind::Eq
                | TokenKind::Neq
                | TokenKind::Lt
                | TokenKind::Le
                | TokenKind::Gt
                | TokenKind::Ge
        )
    }
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    tokens: Vec<Token>,
    diags: Vec<Diagnostic>,
}

fn is_name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-' || c == '.'
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn peek_at(&self, byte_offset: usize) -> Option<char> {
        self.src
            .get(self.pos + byte_offset..)
            .and_then(|s| s.chars().next())
    }

    fn push(&mut self, kind: TokenKind, start: usize) {
        self.tokens.push(Token {
            kind,
            span: start..self.pos,
        });
    }

    /// XPath 1.0 section 3.7: when a preceding token exists and is not `@`, `::`, `(`, `[`, `,` or an
    /// operator, a `*` is multiplication and an NCName is an operator name.
    fn operator_expected(&self) -> bool {
        match self.tokens.last() {
            None => false,
            Some(t) => {
                !matches!(
                    t.kind,
                    TokenKind::At
                        | TokenKind::Axis(_)
                        | TokenKind::LParen
                        | TokenKind::LBracket
                        | TokenKind::Comma
                ) && !t.kind.is_operator()
            }
        }
    }

    fn run(&mut self) {
        while let Some(c) = self.peek() {
            let start = self.pos;
            if c.is_whitespace() {
                self.pos += c.len_utf8();
                continue;
            }
            if c.is_ascii_digit()
                || (c == '.' && self.peek_at(1).is_some_and(|d| d.is_ascii_digit()))
            {
                self.number(start);
                continue;
            }
            if c == '\'' || c == '"' {
                self.literal(c, start);
                continue;
            }
            if c == '$' {
                self.reference(start);
                continue;
            }
            if is_name_start(c) {
                self.name(start);
                continue;
            }
            let two = self.src.get(self.pos..self.pos + 2).unwrap_or("");
            let (kind, len) = match (c, two) {
                (_, "!=") => (TokenKind::Neq, 2),
                (_, "<=") => (TokenKind::Le, 2),
                (_, ">=") => (TokenKind::Ge, 2),
                (_, "//") => (TokenKind::DoubleSlash, 2),
                (_, "..") => (TokenKind::DotDot, 2),
                ('+', _) => (TokenKind::Plus, 1),
                ('-', _) => (TokenKind::Minus, 1),
                ('*', _) => (
                    if self.operator_expected() {
                        TokenKind::Mul
                    } else {
                        TokenKind::Star
                    },
                    1,
                ),
                ('=', _) => (TokenKind::Eq, 1),
                ('<', _) => (TokenKind::Lt, 1),
                ('>', _) => (TokenKind::Gt, 1),
                ('|', _) => (TokenKind::Pipe, 1),
                ('/', _) => (TokenKind::Slash, 1),
                ('.', _) => (TokenKind::Dot, 1),
                ('@', _) => (TokenKind::At, 1),
                ('[', _) => (TokenKind::LBracket, 1),
                (']', _) => (TokenKind::RBracket, 1),
                ('(', _) => (TokenKind::LParen, 1),
                (')', _) => (TokenKind::RParen, 1),
                (',', _) => (TokenKind::Comma, 1),
                _ => {
                    self.pos += c.len_utf8();
                    self.diags.push(Diagnostic::error(
                        start..self.pos,
                        format!("unexpected character `{c}`"),
                    ));
                    self.push(TokenKind::Error, start);
                    continue;
                }
            };
            self.pos += len;
            self.push(kind, start);
        }
        let end = self.src.len();
        self.tokens.push(Token {
            kind: TokenKind::Eof,
            span: end..end,
        });
    }

    fn number(&mut self, start: usize) {
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        if self.peek() == Some('.') && self.peek_at(1) != Some('.') {
            self.pos += 1;
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.pos += 1;
            }
        }
        // The scanned text is only ASCII digits with at most one dot and at least one digit, which
        // `f64::from_str` always accepts; NaN is a harmless fallback that keeps this path panic-free.
        let value = self.src[start..self.pos].parse::<f64>().unwrap_or(f64::NAN);
        self.push(TokenKind::Number(value), start);
    }

    fn literal(&mut self, quote: char, start: usize) {
        self.pos += 1;
        match self.src[self.pos..].find(quote) {
            Some(len) => {
                let text = self.src[self.pos..self.pos + len].to_string();
                self.pos += len + 1;
                self.push(TokenKind::Literal(text), start);
            }
            None => {
                self.pos = self.src.len();
                self.diags.push(Diagnostic::error(
                    start..self.pos,
                    "unterminated string literal",
                ));
                self.push(TokenKind::Error, start);
            }
        }
    }

    fn reference(&mut self, start: usize) {
        if self.peek_at(1) == Some('{') {
            let body = self.pos + 2;
            match self.src[body..].find('}') {
                Some(len) => {
                    let name = self.src[body..body + len].trim().to_string();
                    self.pos = body + len + 1;
                    let valid = name.chars().next().is_some_and(is_name_start)
                        && name.chars().all(is_name_char);
                    if valid {
                        self.push(TokenKind::Ref(name), start);
                    } else {
                        self.diags.push(Diagnostic::error(
                            start..self.pos,
                            format!("`${{{name}}}` is not a valid question name"),
                        ));
                        self.push(TokenKind::Error, start);
                    }
                }
                None => {
                    self.pos = self.src.len();
                    self.diags.push(Diagnostic::error(
                        start..self.pos,
                        "unterminated `${` reference",
                    ));
                    self.push(TokenKind::Error, start);
                }
            }
        } else {
            // XPath `$var` variables have no meaning in XForms, so they are rejected here rather than
            // silently evaluated to an empty node-set.
            self.pos += 1;
            while self.peek().is_some_and(is_name_char) {
                self.pos += self.peek().map_or(1, char::len_utf8);
            }
            self.diags.push(Diagnostic::error(
                start..self.pos,
                "XPath variables (`$name`) are not supported; use `${name}`",
            ));
            self.push(TokenKind::Error, start);
        }
    }

    fn ncname(&mut self) {
        while let Some(c) = self.peek() {
            if !is_name_char(c) {
                break;
            }
            self.pos += c.len_utf8();
        }
    }

    fn name(&mut self, start: usize) {
        let operator_expected = self.operator_expected();
        self.ncname();
        let local = &self.src[start..self.pos];
        if operator_expected {
            let op = match local {
                "and" => Some(TokenKind::And),
                "or" => Some(TokenKind::Or),
                "div" => Some(TokenKind::Div),
                "mod" => Some(TokenKind::Mod),
                _ => None,
            };
            if let Some(op) = op {
                self.push(op, start);
                return;
            }
        }
        // `name::` is an axis specifier.
        if self.src[self.pos..].starts_with("::") {
            let axis = local.to_string();
            self.pos += 2;
            self.push(TokenKind::Axis(axis), start);
            return;
        }
        // `prefix:local` or `prefix:*` form a QName only when nothing separates the parts.
        if self.peek() == Some(':') {
            match self.peek_at(1) {
                Some('*') => {
                    let prefix = local.to_string();
                    self.pos += 2;
                    self.push(TokenKind::PrefixStar(prefix), start);
                    return;
                }
                Some(c) if is_name_start(c) => {
                    self.pos += 1;
                    self.ncname();
                }
                _ => {}
            }
        }
        let name = self.src[start..self.pos].to_string();
        self.push(TokenKind::Name(name), start);
    }
}

#[cfg(test)]
mod tests;
