//! Static checks an importer runs on a parsed expression before any evaluation.
//!
//! These find what can be known without the form's data: unknown functions, wrong argument
//! counts and unsupported syntax, each as a `Diagnostic` pointing at the call. They also list the
//! `${name}` references, which the importer resolves against the form and feeds to the
//! dependency graph.

use super::ast::{Expr, ExprKind, PathStart, Span};
use super::error::Diagnostic;
use super::functions::check_call;

/// Diagnostics for every call of an unknown function or with a wrong number of arguments.
pub fn check(expr: &Expr) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    walk(expr, &mut |e| {
        if let ExprKind::Call { name, args } = &e.kind {
            if let Err(err) = check_call(name, args.len()) {
                out.push(Diagnostic::error(e.span.clone(), err.to_string()));
            }
        }
    });
    out
}

/// Every `${name}` reference with its span, in source order.
pub fn references(expr: &Expr) -> Vec<(String, Span)> {
    let mut out = Vec::new();
    walk(expr, &mut |e| {
        if let ExprKind::Ref(name) = &e.kind {
            out.push((name.clone(), e.span.clone()));
        }
    });
    out.sort_by_key(|(_, span)| span.start);
    out
}

/// Calls `f` on `expr` and every sub-expression, including predicates and call arguments.
pub fn walk(expr: &Expr, f: &mut dyn FnMut(&Expr)) {
    f(expr);
    match &expr.kind {
        ExprKind::Number(_) | ExprKind::Literal(_) | ExprKind::Ref(_) | ExprKind::Error => {}
        ExprKind::Neg(inner) => walk(inner, f),
        ExprKind::Binary { lhs, rhs, .. } => {
            walk(lhs, f);
            walk(rhs, f);
        }
        ExprKind::Call { args, .. } => args.iter().for_each(|a| walk(a, f)),
        ExprKind::Filter { base, predicates } => {
            walk(base, f);
            predicates.iter().for_each(|p| walk(p, f));
        }
        ExprKind::Path { start, steps } => {
            if let PathStart::Expr(base) = start {
                walk(base, f);
            }
            steps
                .iter()
                .flat_map(|s| s.predicates.iter())
                .for_each(|p| walk(p, f));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parser::parse;

    #[test]
    fn unknown_functions_and_arity_are_reported_with_spans() {
        let cases: &[(&str, &[(Span, &str)])] = &[
            ("foo(1) + 2", &[(0..6, "function `foo` is not supported")]),
            (
                "if(${a}, pulldata('f', 'c', 'k', ${a}))",
                &[
                    (0..39, "function `if` takes 3 argument(s), got 2"),
                    (9..38, "function `pulldata` is not supported"),
                ],
            ),
            (
                "count(${r}[bar(.)])",
                &[(11..17, "function `bar` is not supported")],
            ),
            (
                "instance('x')/root/item[zap()]",
                &[(24..29, "function `zap` is not supported")],
            ),
            ("concat(1, 2, 3, 4) and true()", &[]),
        ];
        for (src, want) in cases {
            let (expr, diags) = parse(src);
            assert!(diags.is_empty(), "{src}");
            let got: Vec<_> = check(&expr)
                .into_iter()
                .map(|d| (d.span, d.message))
                .collect();
            let want: Vec<_> = want
                .iter()
                .map(|(s, m)| (s.clone(), m.to_string()))
                .collect();
            assert_eq!(got, want, "{src}");
        }
    }

    #[test]
    fn references_are_listed_in_source_order() {
        let (expr, _) = parse("${a} + count(${rep}[age > ${min}]) + -${b}");
        let names: Vec<_> = references(&expr).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["a", "rep", "min", "b"]);
    }
}
