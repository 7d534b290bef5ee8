//! Parser snapshot tests: each case pairs source text with the S-expression the tree prints as.

use super::parse;
use crate::expr::error::Severity;

/// Asserts that every source parses without diagnostics into the expected S-expression.
fn check_all(cases: &[(&str, &str)]) {
    for (src, want) in cases {
        let (expr, diags) = parse(src);
        assert!(diags.is_empty(), "{src}: unexpected diagnostics {diags:?}");
        assert_eq!(expr.to_string(), *want, "source: {src}");
    }
}

#[test]
fn precedence_and_associativity() {
    check_all(&[
        ("1 + 2 * 3", "(+ 1 (* 2 3))"),
        ("(1 + 2) * 3", "(* (+ 1 2) 3)"),
        ("1 - 2 - 3", "(- (- 1 2) 3)"),
        ("8 div 4 div 2", "(div (div 8 4) 2)"),
        ("7 mod 3 + 1", "(+ (mod 7 3) 1)"),
        ("1 < 2 = 3 > 4", "(= (< 1 2) (> 3 4))"),
        ("a or b and c", "(or (path a) (and (path b) (path c)))"),
        ("a and b or c", "(or (and (path a) (path b)) (path c))"),
        ("1 = 1 and 2 != 3", "(and (= 1 1) (!= 2 3))"),
        ("1 <= 2 >= 0", "(>= (<= 1 2) 0)"),
        (
            "${a} + ${b} * 2 > 10 or ${c} = 'x'",
            "(or (> (+ ${a} (* ${b} 2)) 10) (= ${c} 'x'))",
        ),
    ]);
}

#[test]
fn unary_minus() {
    check_all(&[
        ("-1", "(neg 1)"),
        ("- -1", "(neg (neg 1))"),
        ("-2 * 3", "(* (neg 2) 3)"),
        ("3 - -2", "(- 3 (neg 2))"),
        ("-a | b", "(neg (| (path a) (path b)))"),
        ("1--1", "(- 1 (neg 1))"),
        ("-${x}", "(neg ${x})"),
    ]);
}

#[test]
fn operator_names_and_star_disambiguation() {
    check_all(&[
        ("div div div", "(div (path div) (path div))"),
        ("mod mod mod", "(mod (path mod) (path mod))"),
        ("and and or", "(and (path and) (path or))"),
        ("2*3", "(* 2 3)"),
        ("* * *", "(* (path *) (path *))"),
        ("a/* * 2", "(* (path a/*) 2)"),
        ("@* | *", "(| (path @*) (path *))"),
        ("count(*)", "(call count (path *))"),
        ("x - 1", "(- (path x) 1)"),
        ("x-1", "(path x-1)"),
    ]);
}

#[test]
fn paths_and_predicates() {
    check_all(&[
        ("/data/group/q", "(path /data/group/q)"),
        ("/", "(path /)"),
        (".", "(path .)"),
        ("..", "(path ..)"),
        ("../q", "(path ../q)"),
        ("../../age", "(path ../../age)"),
        ("./a/b", "(path ./a/b)"),
        ("//item", "(path //item)"),
        ("/data//q", "(path /data//q)"),
        ("@lang", "(path @lang)"),
        ("item[@lang = 'en']", "(path item[(= (path @lang) 'en')])"),
        ("a[1][2]/b", "(path a[1][2]/b)"),
        ("child::a/parent::node()", "(path a/..)"),
        (
            "ancestor-or-self::rep[1]",
            "(path ancestor-or-self::rep[1])",
        ),
        ("text()", "(path text())"),
        ("jr:x/y", "(path jr:x/y)"),
        (
            "/data/rep[position() = 2]/x",
            "(path /data/rep[(= (call position) 2)]/x)",
        ),
    ]);
}

#[test]
fn instance_lookups_refs_and_filters() {
    check_all(&[
        (
            "instance('list')/root/item[name = current()/../q]/label",
            "(path (call instance 'list')/root/item[(= (path name) (path (call current)/../q))]/label)",
        ),
        ("instance('c')/root/item[state=${state}]", "(path (call instance 'c')/root/item[(= (path state) ${state})])"),
        ("${people}[age < 18]/pet_count", "(path (filter ${people} [(< (path age) 18)])/pet_count)"),
        ("count(${people}[age >= 18])", "(call count (filter ${people} [(>= (path age) 18)]))"),
        ("(/data/a | /data/b)[1]", "(filter (| (path /data/a) (path /data/b)) [1])"),
        ("${rep}//x", "(path ${rep}//x)"),
    ]);
}

#[test]
fn function_calls() {
    check_all(&[
        ("true()", "(call true)"),
        ("if(${a} = 'x', 1, 2)", "(call if (= ${a} 'x') 1 2)"),
        (
            "jr:choice-name(${q}, '${q}')",
            "(call jr:choice-name ${q} '${q}')",
        ),
        (
            "concat('a', \"b'c\", 1, 2, 3)",
            "(call concat 'a' \"b'c\" 1 2 3)",
        ),
        (
            "format-date(today(), '%Y')",
            "(call format-date (call today) '%Y')",
        ),
        (
            "not(selected(., 'a'))",
            "(call not (call selected (path .) 'a'))",
        ),
        ("round(1.25, 1) + .5", "(+ (call round 1.25 1) 0.5)"),
    ]);
}

#[test]
fn spans_cover_nodes() {
    let (expr, _) = parse(" 1 + foo(2) ");
    assert_eq!(expr.span, 1..11);
    let (expr, _) = parse("(1)");
    assert_eq!(expr.span, 0..3);
    let (expr, _) = parse("/data/a[1]");
    assert_eq!(expr.span, 0..10);
}

/// One recovery case: source, printed tree, and the expected `(span, message)` diagnostics.
type RecoveryCase<'a> = (&'a str, &'a str, &'a [(std::ops::Range<usize>, &'a str)]);

/// Parses input that must produce diagnostics and checks the tree, messages and spans.
#[test]
fn error_recovery_reports_spans_and_keeps_going() {
    let cases: &[RecoveryCase] = &[
        ("", "(error)", &[(0..0, "empty expression")]),
        ("   ", "(error)", &[(3..3, "empty expression")]),
        ("(1 + 2", "(+ 1 2)", &[(0..1, "unclosed `(`")]),
        (
            "1 +",
            "(+ 1 (error))",
            &[(3..3, "expected an expression, found end of expression")],
        ),
        (
            "+ 1",
            "(+ (error) 1)",
            &[(0..1, "expected an expression, found `+`")],
        ),
        (
            "concat('a', 1",
            "(call concat 'a' 1)",
            &[(6..7, "unclosed `(` in call to `concat`")],
        ),
        (
            "f(1,)",
            "(call f 1 (error))",
            &[(4..5, "expected an expression, found `)`")],
        ),
        ("a[1", "(path a[1])", &[(1..2, "unclosed `[`")]),
        (
            "1 2",
            "1",
            &[(2..3, "unexpected number `2` after the expression")],
        ),
        ("1 )", "1", &[(2..3, "unexpected `)` after the expression")]),
        (
            "/data/",
            "(path /data)",
            &[(6..6, "expected a path step after `/`")],
        ),
        ("'abc", "(error)", &[(0..4, "unterminated string literal")]),
        (
            "1 = # 2",
            "(= 1 (error))",
            &[
                (4..5, "unexpected character `#`"),
                (6..7, "unexpected number `2` after the expression"),
            ],
        ),
        (
            "foo::a",
            "(path a)",
            &[(0..5, "axis `foo` is not supported")],
        ),
        (
            "1 + * 2",
            "(+ 1 (path *))",
            &[(6..7, "unexpected number `2` after the expression")],
        ),
    ];
    for (src, tree, want) in cases {
        let (expr, diags) = parse(src);
        assert_eq!(expr.to_string(), *tree, "tree of {src:?}");
        let got: Vec<_> = diags
            .iter()
            .map(|d| (d.span.clone(), d.message.as_str()))
            .collect();
        assert_eq!(&got, want, "diagnostics of {src:?}");
        assert!(diags.iter().all(|d| d.severity == Severity::Error));
    }
}

#[test]
fn deep_nesting_is_bounded() {
    let cases = [
        "(".repeat(5000) + "1" + &")".repeat(5000),
        "-".repeat(5000) + "1",
        "1".to_string() + &" + 1".repeat(5000),
        "a".to_string() + &"[b".repeat(5000),
        "f(".repeat(5000),
    ];
    for src in &cases {
        let (expr, diags) = parse(src);
        assert_eq!(diags.len(), 1, "{}", &src[..20]);
        assert!(diags[0].message.contains("nests deeper"));
        // Printing and dropping a tree recurse too; neither may overflow.
        let _ = expr.to_string();
    }
}

/// The largest trees the parser accepts must evaluate on a default 2 MiB test thread.
#[test]
fn deepest_accepted_trees_evaluate() {
    use crate::expr::eval::{eval, Context, Document};
    use crate::expr::testdoc::TestDoc;
    let doc = TestDoc::new(&[("/data/a", "1")]);
    let ctx = Context {
        now: chrono::DateTime::default(),
        random_seed: 0,
        language: None,
    };
    let n = super::MAX_DEPTH - 2;
    let cases = [
        ("1".to_string() + &" + 1".repeat(n - 1), n.to_string()),
        (
            "-".repeat(n - 1) + "1",
            if (n - 1).is_multiple_of(2) {
                "1".into()
            } else {
                "-1".into()
            },
        ),
        ("abs(".repeat(n / 2) + "1" + &")".repeat(n / 2), "1".into()),
        (
            "count(/data/a[. = ".repeat(n / 3) + "1" + &"])".repeat(n / 3),
            "1".into(),
        ),
    ];
    // Nested calls of one function from each dispatch group, each as deep as the parser allows.
    let nested = [
        ("abs(", ")", "1"),
        ("if(1, ", ", 2)", "1"),
        ("coalesce(", ", 2)", "1"),
        ("count-selected(", ")", "1"),
        ("max(", ", 0)", "1"),
        ("concat(", ", '')", "1"),
        ("substr(", ", 0)", "1"),
        ("digest(", ", 'MD5')", "t6E9mFBWt/S6+cKt2wcbqA=="),
        ("format-date(", ", '%Y')", "1975"),
        ("distance(", ")", "NaN"),
    ];
    let mut cases = cases.to_vec();
    for (open, close, want) in nested {
        cases.push((open.repeat(n) + "1" + &close.repeat(n), want.to_string()));
    }
    for (src, want) in &cases {
        let (expr, diags) = parse(src);
        assert!(diags.is_empty(), "{}: {diags:?}", &src[..20]);
        let got = eval(&expr, &doc, doc.root(), &ctx).map(|v| v.to_str(&doc));
        assert_eq!(got.as_deref(), Ok(want.as_str()), "{}", &src[..20]);
    }
}
