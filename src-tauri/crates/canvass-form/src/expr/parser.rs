//! Pratt parser for ODK XPath: tokens in, `Expr` tree plus diagnostics out.
//!
//! The parser never fails. Where the input is wrong it records a `Diagnostic` with the byte span of
//! the offending text, inserts an `ExprKind::Error` node and carries on, so the importer can report
//! every problem of a spreadsheet cell at once. Nesting is bounded by `MAX_DEPTH` so hostile input
//! cannot overflow the stack of the parser or of the evaluator that walks the tree afterwards.

use super::ast::{Axis, BinOp, Expr, ExprKind, NodeTest, PathStart, Span, Step};
use super::error::Diagnostic;
use super::lexer::{lex, Token, TokenKind};

/// Deepest nesting of sub-expressions accepted; real forms stay far below this.
pub const MAX_DEPTH: usize = 200;

/// Right binding power of unary minus: it binds tighter than `*` but looser than `|` and paths,
/// so `-a | b` is `-(a | b)` as XPath 1.0's grammar says.
const PREFIX_MINUS_BP: u8 = 13;

/// The binary operator table: operator, left and right binding power (higher binds tighter).
/// Precedence follows XPath 1.0: or < and < equality < relational < additive < multiplicative
/// < unary minus < union < path; all binary operators are left-associative.
fn infix_power(kind: &TokenKind) -> Option<(BinOp, u8, u8)> {
    Some(match kind {
        TokenKind::Or => (BinOp::Or, 1, 2),
        TokenKind::And => (BinOp::And, 3, 4),
        TokenKind::Eq => (BinOp::Eq, 5, 6),
        TokenKind::Neq => (BinOp::Neq, 5, 6),
        TokenKind::Lt => (BinOp::Lt, 7, 8),
        TokenKind::Le => (BinOp::Le, 7, 8),
        TokenKind::Gt => (BinOp::Gt, 7, 8),
        TokenKind::Ge => (BinOp::Ge, 7, 8),
        TokenKind::Plus => (BinOp::Add, 9, 10),
        TokenKind::Minus => (BinOp::Sub, 9, 10),
        TokenKind::Mul => (BinOp::Mul, 11, 12),
        TokenKind::Div => (BinOp::Div, 11, 12),
        TokenKind::Mod => (BinOp::Mod, 11, 12),
        TokenKind::Pipe => (BinOp::Union, 15, 16),
        _ => return None,
    })
}

/// Parses `src` into a tree and the list of lexical and syntax diagnostics.
pub fn parse(src: &str) -> (Expr, Vec<Diagnostic>) {
    let (tokens, diags) = lex(src);
    let mut p = Parser {
        tokens,
        pos: 0,
        diags,
        depth: 0,
        prev_end: 0,
        bailed: false,
    };
    if matches!(p.peek(), TokenKind::Eof) {
        let end = src.len();
        p.report(Diagnostic::error(end..end, "empty expression"));
        return (
            Expr {
                kind: ExprKind::Error,
                span: end..end,
            },
            p.diags,
        );
    }
    let expr = p.expr_bp(0);
    if !matches!(p.peek(), TokenKind::Eof) {
        let tok = p.token().clone();
        p.report(Diagnostic::error(
            tok.span.start..src.len(),
            format!("unexpected {} after the expression", tok.kind.describe()),
        ));
    }
    (expr, p.diags)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    diags: Vec<Diagnostic>,
    depth: usize,
    prev_end: usize,
    /// Set once nesting exceeded `MAX_DEPTH`; later diagnostics would only be echoes of that one.
    bailed: bool,
}

/// The node types that look like function calls but are node tests.
fn is_node_type(name: &str) -> bool {
    matches!(name, "node" | "text")
}

impl Parser {
    fn report(&mut self, diag: Diagnostic) {
        if !self.bailed {
            self.diags.push(diag);
        }
    }

    fn token(&self) -> &Token {
        // The lexer always ends the list with `Eof` and `bump` never moves past it, so the index
        // is in range; falling back to the last token keeps this total anyway.
        let i = self.pos.min(self.tokens.len().saturating_sub(1));
        &self.tokens[i]
    }

    fn peek(&self) -> &TokenKind {
        &self.token().kind
    }

    fn peek_nth(&self, n: usize) -> &TokenKind {
        let i = (self.pos + n).min(self.tokens.len().saturating_sub(1));
        &self.tokens[i].kind
    }

    fn bump(&mut self) -> Token {
        let tok = self.token().clone();
        if !matches!(tok.kind, TokenKind::Eof) {
            self.pos += 1;
            self.prev_end = tok.span.end;
        }
        tok
    }

    fn error_node(&self, span: Span) -> Expr {
        Expr {
            kind: ExprKind::Error,
            span,
        }
    }

    /// Reports nesting beyond `MAX_DEPTH` once and skips the rest of the input, so the tree stays
    /// shallow enough for recursive evaluation, printing and dropping.
    fn too_deep(&mut self) -> Span {
        let start = self.token().span.start;
        let end = self.tokens.last().map_or(start, |t| t.span.end);
        self.report(Diagnostic::error(
            start..end,
            format!("expression nests deeper than {MAX_DEPTH} levels"),
        ));
        // Skipping to the end avoids one diagnostic per remaining token.
        self.bailed = true;
        self.pos = self.tokens.len().saturating_sub(1);
        start..end
    }

    fn expr_bp(&mut self, min_bp: u8) -> Expr {
        if self.depth >= MAX_DEPTH {
            let span = self.too_deep();
            return self.error_node(span);
        }
        self.depth += 1;
        let mut lhs = self.prefix();
        // Each loop turn nests the tree one level deeper on its left spine (`1 + 1 + 1 ...`), so
        // it counts against the same depth budget as recursion does.
        let mut spine = 0;
        while let Some((op, lbp, rbp)) = infix_power(self.peek()) {
            if lbp < min_bp {
                break;
            }
            spine += 1;
            if self.depth + spine >= MAX_DEPTH {
                self.too_deep();
                break;
            }
            self.bump();
            let rhs = self.expr_bp(rbp);
            let span = lhs.span.start..rhs.span.end.max(lhs.span.end);
            lhs = Expr {
                kind: ExprKind::Binary {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                span,
            };
        }
        self.depth -= 1;
        lhs
    }

    fn prefix(&mut self) -> Expr {
        let tok = self.token().clone();
        match &tok.kind {
            TokenKind::Minus => {
                self.bump();
                let operand = self.expr_bp(PREFIX_MINUS_BP);
                let span = tok.span.start..operand.span.end.max(tok.span.end);
                Expr {
                    kind: ExprKind::Neg(Box::new(operand)),
                    span,
                }
            }
            TokenKind::Number(_)
            | TokenKind::Literal(_)
            | TokenKind::Ref(_)
            | TokenKind::LParen => self.filter_expr(),
            TokenKind::Name(n)
                if matches!(self.peek_nth(1), TokenKind::LParen) && !is_node_type(n) =>
            {
                self.filter_expr()
            }
            TokenKind::Slash => {
                self.bump();
                let steps = if self.starts_step() {
                    self.relative_steps()
                } else {
                    Vec::new()
                };
                Expr {
                    kind: ExprKind::Path {
                        start: PathStart::Root,
                        steps,
                    },
                    span: tok.span.start..self.prev_end,
                }
            }
            TokenKind::DoubleSlash => {
                self.bump();
                let mut steps = vec![descendant_or_self(tok.span.clone())];
                if self.starts_step() {
                    steps.extend(self.relative_steps());
                } else {
                    self.expected_step(&tok);
                }
                Expr {
                    kind: ExprKind::Path {
                        start: PathStart::Root,
                        steps,
                    },
                    span: tok.span.start..self.prev_end,
                }
            }
            _ if self.starts_step() => {
                let steps = self.relative_steps();
                Expr {
                    kind: ExprKind::Path {
                        start: PathStart::Context,
                        steps,
                    },
                    span: tok.span.start..self.prev_end,
                }
            }
            TokenKind::Error => {
                // The lexer already reported this text.
                self.bump();
                self.error_node(tok.span)
            }
            other => {
                // The token is left in place: an operator can still be parsed as infix around the
                // error node, and closing brackets are needed by the enclosing construct.
                self.report(Diagnostic::error(
                    tok.span.clone(),
                    format!("expected an expression, found {}", other.describe()),
                ));
                self.error_node(tok.span.start..tok.span.start)
            }
        }
    }

    fn starts_step(&self) -> bool {
        matches!(
            self.peek(),
            TokenKind::Dot
                | TokenKind::DotDot
                | TokenKind::At
                | TokenKind::Axis(_)
                | TokenKind::Name(_)
                | TokenKind::Star
                | TokenKind::PrefixStar(_)
        )
    }

    fn expected_step(&mut self, after: &Token) {
        let here = self.token().span.clone();
        self.report(Diagnostic::error(
            here,
            format!("expected a path step after {}", after.kind.describe()),
        ));
    }

    /// Primary expression, then predicates, then an optional `/`-continued path.
    fn filter_expr(&mut self) -> Expr {
        let primary = self.primary();
        let start = primary.span.start;
        let predicates = self.predicates();
        let base = if predicates.is_empty() {
            primary
        } else {
            Expr {
                kind: ExprKind::Filter {
                    base: Box::new(primary),
                    predicates,
                },
                span: start..self.prev_end,
            }
        };
        if !matches!(self.peek(), TokenKind::Slash | TokenKind::DoubleSlash) {
            return base;
        }
        let mut steps = Vec::new();
        self.continue_path(&mut steps);
        Expr {
            kind: ExprKind::Path {
                start: PathStart::Expr(Box::new(base)),
                steps,
            },
            span: start..self.prev_end,
        }
    }

    fn primary(&mut self) -> Expr {
        let tok = self.bump();
        match tok.kind {
            TokenKind::Number(n) => Expr {
                kind: ExprKind::Number(n),
                span: tok.span,
            },
            TokenKind::Literal(s) => Expr {
                kind: ExprKind::Literal(s),
                span: tok.span,
            },
            TokenKind::Ref(n) => Expr {
                kind: ExprKind::Ref(n),
                span: tok.span,
            },
            TokenKind::LParen => {
                let inner = self.expr_bp(0);
                if matches!(self.peek(), TokenKind::RParen) {
                    self.bump();
                } else {
                    self.report(Diagnostic::error(tok.span.clone(), "unclosed `(`"));
                }
                // Parentheses only group; the node keeps the inner kind but covers the brackets.
                Expr {
                    kind: inner.kind,
                    span: tok.span.start..self.prev_end,
                }
            }
            TokenKind::Name(name) => {
                // `prefix` only sends a name here when a `(` follows.
                let open = self.bump();
                let mut args = Vec::new();
                if matches!(self.peek(), TokenKind::RParen) {
                    self.bump();
                } else {
                    loop {
                        args.push(self.expr_bp(0));
                        match self.peek() {
                            TokenKind::Comma => {
                                self.bump();
                            }
                            TokenKind::RParen => {
                                self.bump();
                                break;
                            }
                            _ => {
                                self.report(Diagnostic::error(
                                    open.span.clone(),
                                    format!("unclosed `(` in call to `{name}`"),
                                ));
                                break;
                            }
                        }
                    }
                }
                Expr {
                    kind: ExprKind::Call { name, args },
                    span: tok.span.start..self.prev_end,
                }
            }
            // `prefix` only calls `filter_expr` for the token kinds above.
            _ => self.error_node(tok.span),
        }
    }

    fn predicates(&mut self) -> Vec<Expr> {
        let mut preds = Vec::new();
        while matches!(self.peek(), TokenKind::LBracket) {
            let open = self.bump();
            preds.push(self.expr_bp(0));
            if matches!(self.peek(), TokenKind::RBracket) {
                self.bump();
            } else {
                self.report(Diagnostic::error(open.span, "unclosed `[`"));
                break;
            }
        }
        preds
    }

    fn relative_steps(&mut self) -> Vec<Step> {
        let mut steps = vec![self.step()];
        self.continue_path(&mut steps);
        steps
    }

    /// Parses `(/ step | // step)*`.
    fn continue_path(&mut self, steps: &mut Vec<Step>) {
        while matches!(self.peek(), TokenKind::Slash | TokenKind::DoubleSlash) {
            let sep = self.bump();
            if sep.kind == TokenKind::DoubleSlash {
                steps.push(descendant_or_self(sep.span.clone()));
            }
            if !self.starts_step() {
                self.expected_step(&sep);
                break;
            }
            steps.push(self.step());
        }
    }

    fn step(&mut self) -> Step {
        let tok = self.bump();
        let (axis, test) = match &tok.kind {
            TokenKind::Dot => {
                return Step {
                    axis: Axis::SelfAxis,
                    test: NodeTest::Node,
                    predicates: self.predicates(),
                    span: tok.span.start..self.prev_end,
                }
            }
            TokenKind::DotDot => {
                return Step {
                    axis: Axis::Parent,
                    test: NodeTest::Node,
                    predicates: self.predicates(),
                    span: tok.span.start..self.prev_end,
                }
            }
            TokenKind::At => (Axis::Attribute, self.node_test()),
            TokenKind::Axis(name) => {
                let axis = Axis::from_name(name).unwrap_or_else(|| {
                    self.report(Diagnostic::error(
                        tok.span.clone(),
                        format!("axis `{name}` is not supported"),
                    ));
                    Axis::Child
                });
                (axis, self.node_test())
            }
            _ => {
                // Put the name back and read it as a node test.
                self.pos -= 1;
                (Axis::Child, self.node_test())
            }
        };
        let predicates = self.predicates();
        Step {
            axis,
            test,
            predicates,
            span: tok.span.start..self.prev_end,
        }
    }

    fn node_test(&mut self) -> NodeTest {
        let tok = self.token().clone();
        match &tok.kind {
            TokenKind::Name(n) => {
                self.bump();
                if is_node_type(n) && matches!(self.peek(), TokenKind::LParen) {
                    self.bump();
                    if matches!(self.peek(), TokenKind::RParen) {
                        self.bump();
                    } else {
                        self.report(Diagnostic::error(
                            tok.span.clone(),
                            format!("`{n}()` takes no arguments"),
                        ));
                    }
                    return if n == "node" {
                        NodeTest::Node
                    } else {
                        NodeTest::Text
                    };
                }
                NodeTest::Name(n.clone())
            }
            TokenKind::Star => {
                self.bump();
                NodeTest::Any
            }
            TokenKind::PrefixStar(p) => {
                self.bump();
                NodeTest::AnyPrefixed(p.clone())
            }
            // After `@` or `axis::`, a `*` is lexed as a name test, so only real errors land here.
            other => {
                self.report(Diagnostic::error(
                    tok.span.clone(),
                    format!("expected a node name, found {}", other.describe()),
                ));
                NodeTest::Any
            }
        }
    }
}

fn descendant_or_self(span: Span) -> Step {
    Step {
        axis: Axis::DescendantOrSelf,
        test: NodeTest::Node,
        predicates: Vec::new(),
        span,
    }
}

#[cfg(test)]
mod tests;
