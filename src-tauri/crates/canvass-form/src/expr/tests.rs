//! Evaluation tests: tables of `(expression, expected string value)` over one fixture document,
//! plus error cases and a no-panic property test over random token soup.

use super::error::EvalError;
use super::eval::{eval, Context, Document};
use super::parser::parse;
use super::testdoc::TestDoc;

/// The fixture every table runs against.
fn fixture() -> TestDoc {
    TestDoc::new(&[
        ("/data/a", "3"),
        ("/data/b", "4"),
        ("/data/empty", ""),
        ("/data/name", "Ada Lovelace"),
        ("/data/dob", "2000-02-29"),
        ("/data/visit", "2025-01-15T08:30:00.000+02:00"),
        ("/data/fruits", "apple banana cherry"),
        ("/data/q", "b"),
        ("/data/country", "us"),
        ("/data/yn1", "yes"),
        ("/data/yn2", "no"),
        ("/data/yn3", "yes"),
        ("/data/loc", "0 0 0 0"),
        ("/data/loc2", "0 1 0 0"),
        ("/data/shape", "0 0;0 1;1 1;1 0;0 0"),
        ("/data/w/@lang", "en"),
        ("/data/rep[1]/age", "10"),
        ("/data/rep[1]/pets", "1"),
        ("/data/rep[1]/pname", "ann"),
        ("/data/rep[2]/age", "30"),
        ("/data/rep[2]/pets", "2"),
        ("/data/rep[2]/pname", "bob"),
        ("/data/rep[3]/age", "20"),
        ("/data/rep[3]/pets", ""),
        ("/data/rep[3]/pname", "cy"),
        ("/data/hh[1]/member[1]/m", "x11"),
        ("/data/hh[1]/member[2]/m", "x12"),
        ("/data/hh[2]/member[1]/m", "x21"),
        ("instance(states)/root/item[1]/name", "ny"),
        ("instance(states)/root/item[1]/label", "New York"),
        ("instance(states)/root/item[1]/country", "us"),
        ("instance(states)/root/item[2]/name", "on"),
        ("instance(states)/root/item[2]/label", "Ontario"),
        ("instance(states)/root/item[2]/country", "ca"),
        ("instance(states)/root/item[3]/name", "ca"),
        ("instance(states)/root/item[3]/label", "California"),
        ("instance(states)/root/item[3]/country", "us"),
    ])
    .with_labels(&[("q", "a", "Alpha"), ("q", "b", "Beta")])
}

fn context() -> Context {
    Context {
        now: chrono::DateTime::parse_from_rfc3339("2025-01-15T10:00:00+02:00")
            .expect("valid fixture time"),
        random_seed: 42,
        language: None,
    }
}

/// Evaluates `src` with `at` as the context node and returns the XPath string value.
fn give_at(doc: &TestDoc, at: &str, src: &str) -> Result<String, EvalError> {
    let (expr, diags) = parse(src);
    assert!(diags.is_empty(), "{src}: {diags:?}");
    eval(&expr, doc, doc.node(at), &context()).map(|v| v.to_str(doc))
}

/// Runs a table of `(expression, expected)` rows with `/data` as the context node.
fn give(rows: &[(&str, &str)]) {
    give_rows_at("/data", rows);
}

fn give_rows_at(at: &str, rows: &[(&str, &str)]) {
    let doc = fixture();
    let mut failures = Vec::new();
    for (src, want) in rows {
        match give_at(&doc, at, src) {
            Ok(got) if got == *want => {}
            other => failures.push(format!("{src}: want {want:?}, got {other:?}")),
        }
    }
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
}

#[test]
fn arithmetic_and_coercion() {
    give(&[
        ("1 + 2 * 3", "7"),
        ("${a} + ${b}", "7"),
        ("${a} * ${empty}", "NaN"),
        ("1 div 0", "Infinity"),
        ("-1 div 0", "-Infinity"),
        ("0 div 0", "NaN"),
        ("7 mod 3", "1"),
        ("-7 mod 3", "-1"),
        ("7.5 mod 2", "1.5"),
        ("10 div 4", "2.5"),
        ("0.1 + 0.2", "0.30000000000000004"),
        ("2 * 1000000000000000000000", "2000000000000000000000"),
        ("-${a}", "-3"),
        ("- - 2", "2"),
        ("2 - -2", "4"),
        ("'' = 0", "false"),
        ("'' != 0", "true"),
        ("number('')", "NaN"),
        ("'abc' < 1", "false"),
        ("'abc' >= 1", "false"),
        ("'2' = 2", "true"),
        ("'2.0' = '2'", "false"),
        ("true() = 'false'", "true"),
        ("1 = true()", "true"),
        ("0 = false()", "true"),
        ("1 < 2 < 3", "true"),
        ("3 > 2 > 1", "false"),
        ("${a} = 3", "true"),
        ("${a} = '3'", "true"),
        ("${a} > '2'", "true"),
        ("${empty} = ''", "true"),
        ("${empty} = 0", "false"),
        ("${empty} + 1", "NaN"),
        ("1 = 1 and 1 = 2", "false"),
        ("1 = 2 or 2 = 2", "true"),
    ]);
}

#[test]
fn node_set_comparisons_are_existential() {
    give(&[
        ("${rep}/age = 30", "true"),
        ("${rep}/age = 99", "false"),
        ("${rep}/age != 10", "true"),
        ("${rep}/age > 25", "true"),
        ("${rep}/age < 5", "false"),
        ("/data/rep/age = /data/rep/pets", "false"),
        ("/data/rep[2]/pets = /data/rep/pets", "true"),
        ("/data/nothing = ''", "false"),
        ("/data/nothing != ''", "false"),
        ("/data/rep = true()", "true"),
        ("/data/nothing = false()", "true"),
        ("'bob' = /data/rep/pname", "true"),
        ("25 < /data/rep/age", "true"),
    ]);
}

#[test]
fn control_and_conversion_functions() {
    give(&[
        ("if(${a} = 3, 'x', 'y')", "x"),
        ("if(string(${empty}), 'x', 'y')", "y"),
        ("if(1 = 2, 1 div 0, 'lazy')", "lazy"),
        ("coalesce(${empty}, 'z')", "z"),
        ("coalesce(${a}, 'z')", "3"),
        ("coalesce('', '')", ""),
        ("once(1 + 1)", "2"),
        ("true()", "true"),
        ("false()", "false"),
        ("not(0)", "true"),
        ("not('a')", "false"),
        ("boolean(0)", "false"),
        ("boolean('0')", "true"),
        ("boolean(/data/nothing)", "false"),
        ("boolean(${empty})", "false"),
        ("boolean(${a})", "true"),
        ("boolean(${rep})", "true"),
        ("if(${empty}, 'x', 'y')", "y"),
        ("not(${empty})", "true"),
        ("count(/data/rep[pets])", "2"),
        ("boolean-from-string('true')", "true"),
        ("boolean-from-string('1')", "true"),
        ("boolean-from-string('TRUE')", "true"),
        ("boolean-from-string('yes')", "false"),
        ("number('12')", "12"),
        ("number(' 4 ')", "4"),
        ("number(true())", "1"),
        ("number('1e3')", "NaN"),
        ("number('2000-01-02')", "10958"),
        ("string(1.50)", "1.5"),
        ("string(true())", "true"),
        ("string(/data/rep/age)", "10"),
        ("int(3.7)", "3"),
        ("int(-3.7)", "-3"),
        ("int('x')", "NaN"),
        ("round(2.5)", "3"),
        ("round(-2.5)", "-2"),
        ("round(1.005, 2)", "1.01"),
        ("round(1234.5678, 2)", "1234.57"),
        ("round(1234, -2)", "1200"),
        ("round(-2.5, 0)", "-3"),
        ("round(2.345, 1)", "2.3"),
        ("round(0.04, 1)", "0"),
        ("round(1 div 0, 2)", "Infinity"),
        ("checklist(1, 2, ${yn1}, ${yn2}, ${yn3})", "true"),
        ("checklist(3, -1, ${yn1}, ${yn2}, ${yn3})", "false"),
        ("checklist(-1, 1, ${yn1}, ${yn2}, ${yn3})", "false"),
        ("checklist(-1, -1)", "true"),
        (
            "weighted-checklist(3, -1, ${yn1}, 2, ${yn2}, 5, ${yn3}, 1)",
            "true",
        ),
        (
            "weighted-checklist(4, -1, ${yn1}, 2, ${yn2}, 5, ${yn3}, 1)",
            "false",
        ),
    ]);
}

#[test]
fn once_keeps_an_existing_value() {
    give_rows_at(
        "/data/a",
        &[("once(99)", "3"), (". * 2", "6"), ("string-length()", "1")],
    );
    give_rows_at("/data/empty", &[("once(99)", "99")]);
}

#[test]
fn select_functions() {
    give(&[
        ("selected(${fruits}, 'banana')", "true"),
        ("selected('a b c', 'b')", "true"),
        ("selected('a b c', 'd')", "false"),
        ("selected('ab c', 'a')", "false"),
        ("selected(' a  b ', ' b')", "true"),
        ("selected-at('a b c', 0)", "a"),
        ("selected-at('a b c', 2)", "c"),
        ("selected-at('a b c', 3)", ""),
        ("selected-at('a b c', -1)", ""),
        ("count-selected(${fruits})", "3"),
        ("count-selected('')", "0"),
        ("jr:choice-name(${q}, '${q}')", "Beta"),
        ("jr:choice-name('a', '/data/q')", "Alpha"),
        ("jr:choice-name(/data/q, ' /data/q ')", "Beta"),
        ("jr:choice-name('zz', '${q}')", ""),
        ("join(', ', ${rep}/pname)", "ann, bob, cy"),
        ("join('-', 'a', 'b')", "a-b"),
    ]);
}

#[test]
fn node_sets_and_repeats() {
    give(&[
        ("count(${rep})", "3"),
        ("count(${rep}[age > 15])", "2"),
        ("count(/data/rep)", "3"),
        ("count(/data/nothing)", "0"),
        ("sum(${rep}/age)", "60"),
        ("sum(${rep}/pets)", "NaN"),
        ("sum(/data/nothing)", "0"),
        ("max(${rep}/age)", "30"),
        ("min(${rep}/age)", "10"),
        ("max(${rep}/pets)", "NaN"),
        ("max(/data/nothing)", "NaN"),
        ("max(1, 5, 3)", "5"),
        ("min(${a}, ${b})", "3"),
        ("count-non-empty(${rep}/pets)", "2"),
        ("position(/data/rep[2])", "2"),
        ("/data/rep[position() = last()]/pname", "cy"),
        ("/data/rep[last()]/age", "20"),
        ("/data/rep[2]/pname", "bob"),
        ("${rep}[2]/pname", "bob"),
        ("/data/rep[age > 15][1]/pname", "bob"),
        ("/data/rep[2]/age/../pname", "bob"),
        ("count(//age)", "3"),
        ("count(/data/rep[1]/*)", "3"),
        ("count(/data/hh//m)", "3"),
        ("/data/rep[3]/preceding-sibling::rep[1]/pname", "bob"),
        ("count(/data/rep[1]/following-sibling::rep)", "2"),
        ("count(/data/rep[1]/age/ancestor::*)", "2"),
        ("count(/data/a | /data/b | /data/a)", "2"),
        ("(/data/b | /data/a)[1]", "4"),
        ("name(/data/rep[1])", "rep"),
        ("local-name(/data/w/@lang)", "lang"),
        ("/data/w/@lang", "en"),
        ("count(/data/w/@*)", "1"),
        ("/data/a/text()", "3"),
        ("indexed-repeat(${age}, ${rep}, 2)", "30"),
        ("indexed-repeat(/data/rep/pname, /data/rep, 3)", "cy"),
        ("indexed-repeat(${m}, ${hh}, 1, ${member}, 2)", "x12"),
        ("indexed-repeat(${m}, ${hh}, 2, ${member}, 1)", "x21"),
        ("indexed-repeat(${age}, ${rep}, 9)", ""),
        ("join(' ', randomize(${rep}/pname, 42))", "ann bob cy"),
    ]);
}

#[test]
fn secondary_instance_lookups() {
    give(&[
        ("instance('states')/root/item[name = 'on']/label", "Ontario"),
        (
            "count(instance('states')/root/item[country = ${country}])",
            "2",
        ),
        (
            "instance('states')/root/item[country = current()/country]/label",
            "New York",
        ),
        (
            "join(' ', instance('states')/root/item[country = /data/country]/name)",
            "ny ca",
        ),
        ("instance('states')/root/item[last()]/label", "California"),
    ]);
}

#[test]
fn relative_paths_inside_a_repeat_instance() {
    give_rows_at(
        "/data/rep[2]/age",
        &[
            ("../pname", "bob"),
            ("${pname}", "bob"),
            ("position(..)", "2"),
            (". + 1", "31"),
            ("count(../../rep)", "3"),
            ("current()/../pets", "2"),
            ("${pets} + ${a}", "5"),
            ("count(${rep})", "3"),
            ("indexed-repeat(${pname}, ${rep}, 1)", "ann"),
        ],
    );
}

#[test]
fn string_functions() {
    give(&[
        ("concat('a', ${a}, 1.5, true())", "a31.5true"),
        ("concat(${rep}/pname)", "annbobcy"),
        ("concat()", ""),
        ("contains(${name}, 'Love')", "true"),
        ("starts-with(${name}, 'Ada')", "true"),
        ("ends-with(${name}, 'lace')", "true"),
        ("ends-with(${name}, 'Ada')", "false"),
        ("substr('hello', 1, 3)", "el"),
        ("substr('hello', 2)", "llo"),
        ("substr('hello', -3)", "llo"),
        ("substr('hello', 3, 1)", ""),
        ("substr('hello', 0, 99)", "hello"),
        ("substr('héllo', 1, 2)", "é"),
        ("substring('12345', 2, 3)", "234"),
        ("substring('12345', 1.5, 2.6)", "234"),
        ("substring('12345', 0, 3)", "12"),
        ("substring('12345', 0 div 0, 3)", ""),
        ("substring('12345', -42, 1 div 0)", "12345"),
        ("substring-before('1999/04/01', '/')", "1999"),
        ("substring-after('1999/04/01', '/')", "04/01"),
        ("substring-after('abc', '')", "abc"),
        ("substring-before('abc', 'x')", ""),
        ("string-length('héllo')", "5"),
        ("normalize-space('  a   b  ')", "a b"),
        ("translate('bar', 'abc', 'ABC')", "BAr"),
        ("translate('--aaa--', 'abc-', 'ABC')", "AAA"),
        ("regex('0712345678', '[0-9]{10}')", "true"),
        ("regex('071234567a', '[0-9]{10}')", "false"),
        ("regex('x0712345678', '[0-9]{10}')", "false"),
        ("regex(${name}, '[A-Z][a-z]+ [A-Z].*')", "true"),
        ("string-length(uuid())", "36"),
        ("substr(uuid(), 14, 15)", "4"),
        ("string-length(uuid(8))", "8"),
        (
            "digest('abc', 'MD5', 'hex')",
            "900150983cd24fb0d6963f7d28e17f72",
        ),
        (
            "digest('abc', 'SHA-1', 'hex')",
            "a9993e364706816aba3e25717850c26c9cd0d89d",
        ),
        (
            "digest('abc', 'SHA-256', 'hex')",
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        ),
        (
            "digest('abc', 'SHA-256')",
            "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=",
        ),
        ("string-length(digest('abc', 'SHA-512', 'hex'))", "128"),
        ("base64-decode('SGVsbG8=')", "Hello"),
        ("base64-decode('***')", ""),
    ]);
}

#[test]
fn math_functions() {
    give(&[
        ("abs(-2)", "2"),
        ("pow(2, 10)", "1024"),
        ("log(1)", "0"),
        ("log10(1000)", "3"),
        ("exp(0)", "1"),
        ("exp10(2)", "100"),
        ("sqrt(16)", "4"),
        ("sqrt(-1)", "NaN"),
        ("sin(0)", "0"),
        ("cos(0)", "1"),
        ("tan(0)", "0"),
        ("asin(1)", "1.5707963267948966"),
        ("acos(1)", "0"),
        ("atan(0)", "0"),
        ("atan2(1, 1)", "0.7853981633974483"),
        ("pi()", "3.141592653589793"),
        ("floor(-1.5)", "-2"),
        ("ceiling(1.2)", "2"),
        ("random() >= 0 and random() < 1", "true"),
    ]);
}

#[test]
fn date_and_time_functions() {
    give(&[
        ("today()", "2025-01-15"),
        ("now()", "2025-01-15T10:00:00.000+02:00"),
        ("date(0)", "1970-01-01"),
        ("date(18262)", "2020-01-01"),
        ("date(18262.9)", "2020-01-01"),
        ("date('2020-03-01')", "2020-03-01"),
        ("date(${visit})", "2025-01-15"),
        ("date('junk')", ""),
        ("date(${empty})", ""),
        ("date('2020-03-01') - date('2020-02-01')", "29"),
        ("date(date('2020-03-01') - 1)", "2020-02-29"),
        ("today() - ${dob}", "9087"),
        ("int((today() - ${dob}) div 365.25)", "24"),
        ("${dob} < today()", "true"),
        ("${dob} > '1999-12-31'", "true"),
        ("${dob} = '2000-02-29'", "true"),
        ("today() > 20000", "true"),
        ("today() = 20103", "true"),
        ("${visit} = 20103", "true"),
        ("now() - ${visit}", "0"),
        (
            "decimal-date-time(now()) - decimal-date-time(${visit})",
            "0.0625",
        ),
        ("decimal-date-time('1970-01-02T00:00:00Z')", "1"),
        ("decimal-date-time('1970-01-01T12:00:00.000+00:00')", "0.5"),
        ("decimal-date-time('1970-01-02')", "1"),
        ("decimal-date-time(${visit})", "20103.270833333332"),
        ("decimal-date-time(${empty})", "NaN"),
        ("decimal-time('12:00:00.000+02:00')", "0.5"),
        ("decimal-time('06:00:00')", "0.25"),
        ("decimal-time('18:00:00.000Z')", "0.8333333333333334"),
        ("date-time(0.5)", "1970-01-01T14:00:00.000+02:00"),
        ("date-time('2020-01-01')", "2020-01-01T00:00:00.000+02:00"),
        ("date-time(${visit})", "2025-01-15T08:30:00.000+02:00"),
        (
            "format-date(${dob}, '%Y/%m/%d %e %n %b %a %y')",
            "2000/02/29 29 2 Feb Tue 00",
        ),
        ("format-date('2025-01-05', '%e/%n 100%%')", "5/1 100%"),
        ("format-date(${empty}, '%Y')", ""),
        ("format-date(0, '%Y-%m-%d')", "1970-01-01"),
        (
            "format-date-time(${visit}, '%H:%M:%S.%3 %h')",
            "08:30:00.000 8",
        ),
        ("format-date-time('2025-01-15T06:30:00Z', '%H:%M')", "08:30"),
        ("format-date-time(now(), '%Y-%m-%d %H')", "2025-01-15 10"),
    ]);
}

#[test]
fn geo_functions() {
    give(&[
        ("round(distance('0 0 0 0;0 1 0 0'), 2)", "111318.85"),
        ("round(distance(${loc}, ${loc2}), 2)", "111318.85"),
        ("distance(${empty})", "NaN"),
        ("distance('0 0')", "0"),
        ("round(area(${shape}), 0)", "12391256136"),
        ("area('0 0;0 1')", "0"),
        ("geofence('0.5 0.5', ${shape})", "true"),
        ("geofence('2 2', ${shape})", "false"),
        ("intersects('0 0;1 1;0 1;1 0')", "true"),
        ("intersects(${shape})", "false"),
    ]);
}

#[test]
fn randomize_matches_javarosa_park_miller_order() {
    let doc = TestDoc::new(&[
        ("/data/l[1]", "a"),
        ("/data/l[2]", "b"),
        ("/data/l[3]", "c"),
        ("/data/l[4]", "d"),
        ("/data/l[5]", "e"),
        ("/data/l[6]", "f"),
        ("/data/l[7]", "g"),
        ("/data/l[8]", "h"),
    ]);
    let rows = [
        ("join('', randomize(/data/l, 1))", "gfeachbd"),
        ("join('', randomize(/data/l, -5))", "dcabfgeh"),
        ("join('', randomize(/data/l, 1.9))", "gfeachbd"),
    ];
    for (src, want) in rows {
        assert_eq!(give_at(&doc, "/data", src).as_deref(), Ok(want), "{src}");
    }
    let unseeded =
        give_at(&doc, "/data", "join('', randomize(/data/l))").expect("randomize evaluates");
    let mut letters: Vec<char> = unseeded.chars().collect();
    letters.sort_unstable();
    assert_eq!(letters.into_iter().collect::<String>(), "abcdefgh");
}

#[test]
fn random_and_uuid_are_deterministic_given_the_seed() {
    let doc = fixture();
    let a = give_at(&doc, "/data", "concat(random(), uuid())");
    let b = give_at(&doc, "/data", "concat(random(), uuid())");
    assert_eq!(a, b);
    let other = Context {
        random_seed: 43,
        ..context()
    };
    let (expr, _) = parse("concat(random(), uuid())");
    let c = eval(&expr, &doc, doc.root(), &other).map(|v| v.to_str(&doc));
    assert_ne!(a, c);
    let two = give_at(&doc, "/data", "random() = random()");
    assert_eq!(two.as_deref(), Ok("false"));
}

#[test]
fn evaluation_errors_name_the_problem() {
    let doc = fixture();
    let cases: &[(&str, EvalError)] = &[
        ("count('x')", EvalError::NotANodeSet("count()".into())),
        ("1 | 2", EvalError::NotANodeSet("`|`".into())),
        ("'a'/b", EvalError::NotANodeSet("a path".into())),
        ("foo(1)", EvalError::UnknownFunction("foo".into())),
        (
            "if(1, 2)",
            EvalError::Arity {
                name: "if".into(),
                expected: "3".into(),
                got: 2,
            },
        ),
        (
            "indexed-repeat(${age}, ${rep}, 1, ${rep})",
            EvalError::Arity {
                name: "indexed-repeat".into(),
                expected: "3, 5 or 7".into(),
                got: 4,
            },
        ),
        ("${nope}", EvalError::UnknownReference("nope".into())),
        (
            "instance('nope')/root",
            EvalError::UnknownInstance("nope".into()),
        ),
        (
            "regex('a', '(')",
            EvalError::BadArgument {
                function: "regex".into(),
                message: "unclosed group".into(),
            },
        ),
        (
            "digest('a', 'CRC')",
            EvalError::BadArgument {
                function: "digest".into(),
                message: "unknown algorithm `CRC`".into(),
            },
        ),
    ];
    for (src, want) in cases {
        assert_eq!(give_at(&doc, "/data", src).as_ref(), Err(want), "{src}");
    }
    let (expr, _) = parse("1 +");
    assert_eq!(
        eval(&expr, &doc, doc.root(), &context()),
        Err(EvalError::Syntax(3..3))
    );
}

#[test]
fn function_registry_answers_the_importer() {
    use super::functions::{
        arity, call_names_all_dispatch, check_call, is_known_function, FUNCTIONS,
    };
    assert!(is_known_function("jr:choice-name"));
    assert!(is_known_function("format-date-time"));
    assert!(!is_known_function("pulldata"));
    assert!(!is_known_function("choice-name"));
    assert_eq!(arity("round").map(|a| (a.min, a.max)), Some((1, Some(2))));
    assert_eq!(arity("concat").map(|a| a.max), Some(None));
    assert_eq!(
        check_call("foo", 0).map_err(|e| e.to_string()),
        Err("function `foo` is not supported".to_string())
    );
    assert!(check_call("weighted-checklist", 3).is_err());
    assert!(check_call("weighted-checklist", 4).is_ok());
    assert_eq!(FUNCTIONS.len(), call_names_all_dispatch());
}

/// Feeds the parser and evaluator 20,000 pseudo-random token strings; neither may panic.
#[test]
fn random_token_soup_never_panics() {
    const ALPHABET: &[&str] = &[
        "1",
        "2.5",
        ".5",
        "0",
        "'a'",
        "\"b\"",
        "'",
        "\"",
        "${a}",
        "${rep}",
        "${age}",
        "${",
        "}",
        "$x",
        "a",
        "age",
        "rep",
        "data",
        "jr:choice-name",
        "instance('states')",
        "root",
        "item",
        "name",
        "+",
        "-",
        "*",
        "div",
        "mod",
        "and",
        "or",
        "=",
        "!=",
        "<",
        "<=",
        ">",
        ">=",
        "|",
        "/",
        "//",
        ".",
        "..",
        "@",
        "@lang",
        "[",
        "]",
        "(",
        ")",
        ",",
        " ",
        "count(",
        "if(",
        "concat(",
        "substr(",
        "regex(",
        "format-date(",
        "round(",
        "selected(",
        "indexed-repeat(",
        "randomize(",
        "date(",
        "sum(",
        "position()",
        "last()",
        "current()",
        "::",
        "child::",
        "text()",
        "node()",
        "#",
        "é",
        "uuid(",
        "digest(",
        "distance(",
        "area(",
    ];
    struct XorShift(u64);
    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }
    let doc = fixture();
    let ctx = context();
    let mut rng = XorShift(0x2545_F491_4F6C_DD1D);
    let mut clean = 0;
    for _ in 0..20_000 {
        let len = 1 + (rng.next() % 12) as usize;
        let src: String = (0..len)
            .map(|_| ALPHABET[(rng.next() % ALPHABET.len() as u64) as usize])
            .collect();
        let (expr, diags) = parse(&src);
        for d in &diags {
            assert!(
                d.span.start <= d.span.end && d.span.end <= src.len(),
                "{src}: bad span {d:?}"
            );
        }
        if diags.is_empty() {
            clean += 1;
        }
        let _ = expr.to_string();
        let _ = eval(&expr, &doc, doc.node("/data/rep[2]/age"), &ctx);
    }
    // The soup must exercise the evaluator on well-formed input too, not only error paths.
    assert!(clean > 1_000, "only {clean} clean parses");
}

#[test]
fn document_default_position_counts_same_name_siblings() {
    let doc = fixture();
    assert_eq!(doc.position(doc.node("/data/rep[3]")), 3);
    assert_eq!(doc.position(doc.node("/data/a")), 1);
}
