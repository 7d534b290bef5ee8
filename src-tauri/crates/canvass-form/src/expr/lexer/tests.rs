//! Lexer tests: token kinds, operator/name disambiguation, spans and lexical errors.

use super::*;

fn kinds(src: &str) -> Vec<TokenKind> {
    lex(src).0.into_iter().map(|t| t.kind).collect()
}

#[test]
fn star_and_operator_names_follow_xpath_disambiguation() {
    use TokenKind::*;
    let cases: &[(&str, Vec<TokenKind>)] = &[
        ("2 * 3", vec![Number(2.0), Mul, Number(3.0), Eof]),
        ("*", vec![Star, Eof]),
        ("a/*", vec![Name("a".into()), Slash, Star, Eof]),
        ("* * *", vec![Star, Mul, Star, Eof]),
        (
            "div div div",
            vec![Name("div".into()), Div, Name("div".into()), Eof],
        ),
        (
            "mod(1)",
            vec![Name("mod".into()), LParen, Number(1.0), RParen, Eof],
        ),
        (
            "a and b",
            vec![Name("a".into()), And, Name("b".into()), Eof],
        ),
        ("(or)", vec![LParen, Name("or".into()), RParen, Eof]),
    ];
    for (src, want) in cases {
        assert_eq!(&kinds(src), want, "{src}");
    }
}

#[test]
fn names_literals_numbers_and_refs() {
    use TokenKind::*;
    let cases: &[(&str, Vec<TokenKind>)] = &[
        ("jr:choice-name", vec![Name("jr:choice-name".into()), Eof]),
        ("first-name.x", vec![Name("first-name.x".into()), Eof]),
        ("${hh_id}", vec![Ref("hh_id".into()), Eof]),
        (
            "'it''s'",
            vec![Literal("it".into()), Literal("s".into()), Eof],
        ),
        ("\"a'b\"", vec![Literal("a'b".into()), Eof]),
        (".5 ..", vec![Number(0.5), DotDot, Eof]),
        ("1.", vec![Number(1.0), Eof]),
        (
            "child::a",
            vec![Axis("child".into()), Name("a".into()), Eof],
        ),
        (
            "a<=b!=c",
            vec![
                Name("a".into()),
                Le,
                Name("b".into()),
                Neq,
                Name("c".into()),
                Eof,
            ],
        ),
    ];
    for (src, want) in cases {
        assert_eq!(&kinds(src), want, "{src}");
    }
}

#[test]
fn spans_are_byte_ranges() {
    let (toks, diags) = lex("${a} + 'é'");
    assert!(diags.is_empty());
    let spans: Vec<_> = toks.iter().map(|t| t.span.clone()).collect();
    assert_eq!(spans, vec![0..4, 5..6, 7..11, 11..11]);
}

#[test]
fn bad_input_becomes_error_tokens_with_diagnostics() {
    let cases: &[(&str, std::ops::Range<usize>, &str)] = &[
        ("'abc", 0..4, "unterminated string literal"),
        ("1 # 2", 2..3, "unexpected character `#`"),
        ("${abc", 0..5, "unterminated `${` reference"),
        (
            "$x",
            0..2,
            "XPath variables (`$name`) are not supported; use `${name}`",
        ),
    ];
    for (src, span, msg) in cases {
        let (toks, diags) = lex(src);
        assert!(toks.iter().any(|t| t.kind == TokenKind::Error), "{src}");
        assert_eq!(diags.len(), 1, "{src}");
        assert_eq!(&diags[0].span, span, "{src}");
        assert_eq!(diags[0].message, *msg, "{src}");
    }
}
