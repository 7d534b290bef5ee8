//! Value tests: number formatting and string-to-number conversion, dates included.

use super::*;

#[test]
fn numbers_format_like_xpath_string() {
    let cases: &[(f64, &str)] = &[
        (3.0, "3"),
        (-0.0, "0"),
        (2.5, "2.5"),
        (0.1 + 0.2, "0.30000000000000004"),
        (1e21, "1000000000000000000000"),
        (1e-7, "0.0000001"),
        (f64::NAN, "NaN"),
        (f64::INFINITY, "Infinity"),
        (f64::NEG_INFINITY, "-Infinity"),
    ];
    for (n, want) in cases {
        assert_eq!(format_number(*n), *want);
    }
}

#[test]
fn strings_convert_to_numbers() {
    let utc = FixedOffset::east_opt(0).unwrap_or_else(|| unreachable!());
    let cases: &[(&str, f64)] = &[
        ("12", 12.0),
        (" -3.5 ", -3.5),
        (".5", 0.5),
        ("5.", 5.0),
        ("1970-01-02", 1.0),
        ("2020-01-01", 18262.0),
        ("1970-01-01T12:00:00Z", 0.0),
        ("1970-01-02T02:00:00.000+02:00", 1.0),
        ("1970-01-01T06:00", 0.0),
        ("1970-01-01T23:30-0130", 1.0),
    ];
    for (s, want) in cases {
        assert_eq!(str_to_number(s, utc), *want, "{s}");
    }
    for s in [
        "",
        "abc",
        "1e3",
        "+1",
        "1.2.3",
        "-",
        ".",
        "2020-13-01",
        "0x10",
        "2020-01-01T10:00+aé1",
        "2020-01-01T10:00Zx",
    ] {
        assert!(str_to_number(s, utc).is_nan(), "{s}");
    }
}
