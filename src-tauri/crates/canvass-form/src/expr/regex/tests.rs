//! Regex tests: full-match behaviour, linear work on long input, rejected patterns.

use super::Regex;

#[test]
fn full_match_table() {
    let cases: &[(&str, &str, bool)] = &[
        ("[0-9]{10}", "0712345678", true),
        ("[0-9]{10}", "071234567", false),
        ("[0-9]{10}", "07123456789", false),
        ("^\\d+$", "123", true),
        ("a", "ba", false),
        ("a|ab", "ab", true),
        ("(ab)*c", "ababc", true),
        ("(?:ab)+", "", false),
        ("[^a-c]+", "xyz", true),
        ("[^a-c]+", "xaz", false),
        ("\\w+@\\w+\\.com", "me@site.com", true),
        ("colou?r", "color", true),
        ("a{2,3}", "aaaa", false),
        ("a{2,}", "aaaa", true),
        (".*", "", true),
        ("[a-]+", "a-a", true),
        ("\\s*x\\S", " \txy", true),
        ("(a*)*b", "aaaaaaaaaaaaaaaaaaaaaaaaab", true),
        ("a.*z", &"a".repeat(50_000), false),
    ];
    for (re, text, want) in cases {
        let r = Regex::new(re).unwrap();
        assert_eq!(r.full_match(text).unwrap(), *want, "{re} ~ {text}");
    }
}

#[test]
fn long_inputs_stay_bounded() {
    let long = "ab".repeat(50_000);
    assert!(Regex::new(".*").unwrap().full_match(&long).unwrap());
    // The `regex` crate matches in linear time, so even a nested repeat over long input completes.
    assert!(Regex::new("(ab)*").unwrap().full_match(&long).unwrap());
    assert!(Regex::new("(a|b)*c")
        .unwrap()
        .full_match(&"ab".repeat(20))
        .is_ok());
}

#[test]
fn bad_patterns_are_errors() {
    for re in ["(", "[a", "*a", "a{2,1}", "\\", "a)", "\\k", "a)|(b"] {
        assert!(Regex::new(re).is_err(), "{re}");
    }
}
