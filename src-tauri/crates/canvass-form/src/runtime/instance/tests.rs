//! Runtime tests: incremental updates agree with the full pass on corpus forms under random
//! answers, and relevance, required, constraint, defaults, repeats, choices and piping behave as
//! ODK specifies.

use super::*;
use crate::import::{import_xform, import_xlsform};

use crate::test_util::ctx;

fn load(name: &str) -> Questionnaire {
    let bytes = std::fs::read(format!(
        "{}/test_data/forms/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let imp = if name.ends_with(".xml") {
        import_xform(&bytes, name)
    } else {
        import_xlsform(&bytes, name)
    };
    imp.form.unwrap()
}

/// A small deterministic generator so the sequences are reproducible without a dependency.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

fn random_value(inst: &Instance, id: NodeId, ty: &QuestionType, rng: &mut Lcg) -> String {
    match ty {
        QuestionType::Integer => (rng.next(30) as i64 - 3).to_string(),
        QuestionType::Decimal => format!("{}.5", rng.next(100)),
        QuestionType::Range { start, .. } => format!("{}", start + rng.next(5) as f64),
        QuestionType::SelectOne => {
            let c = inst.choices_of(id);
            c.get(rng.next(c.len() + 1)).cloned().unwrap_or_default()
        }
        QuestionType::SelectMultiple | QuestionType::Rank => {
            let c = inst.choices_of(id);
            c.into_iter()
                .filter(|_| rng.next(2) == 0)
                .collect::<Vec<_>>()
                .join(" ")
        }
        QuestionType::Date => format!(
            "20{:02}-0{}-1{}",
            rng.next(30),
            1 + rng.next(9),
            rng.next(10)
        ),
        QuestionType::Time => "10:30:00.000+00:00".into(),
        QuestionType::DateTime => "2024-05-01T10:30:00.000+00:00".into(),
        QuestionType::Acknowledge => "OK".into(),
        QuestionType::Geopoint => "1.5 2.5 0 5".into(),
        _ => ["", "yes", "no", "1", "abc"][rng.next(5)].to_string(),
    }
}

fn assert_oracle(inst: &Instance, what: &str) {
    let mut full = inst.clone();
    full.recompute_all();
    let a = inst.snapshot();
    let b = full.snapshot();
    assert_eq!(a.len(), b.len(), "{what}: node count");
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x, y, "{what}: incremental and full pass disagree");
    }
}

/// The changes between two snapshots: new or differing rows, then rows that vanished.
fn snapshot_diff(before: &[NodeState], after: &[NodeState]) -> Changes {
    let old: std::collections::HashMap<&str, &NodeState> =
        before.iter().map(|s| (s.path.as_str(), s)).collect();
    let new: std::collections::HashSet<&str> = after.iter().map(|s| s.path.as_str()).collect();
    Changes {
        paths: after
            .iter()
            .filter(|s| old.get(s.path.as_str()).is_none_or(|o| *o != *s))
            .map(|s| s.path.clone())
            .collect(),
        removed: before
            .iter()
            .filter(|s| !new.contains(s.path.as_str()))
            .map(|s| s.path.clone())
            .collect(),
    }
}

fn random_session(name: &str, steps: usize, seed: u64) {
    let mut inst = Instance::new(load(name), ctx());
    assert_oracle(&inst, &format!("{name} after load"));
    let mut rng = Lcg(seed);
    for step in 0..steps {
        let nodes = inst.all_nodes();
        let id = nodes[rng.next(nodes.len())];
        let Some(m) = inst.model_of(id) else { continue };
        let model = inst.form().nodes[m].clone();
        let path = inst.path_of_node(id);
        let result = match &model.kind {
            NodeKind::Repeat {
                count: RepeatCount::User,
            } => {
                if rng.next(3) == 0 {
                    // `remove_repeat` compares only the renumbered rows and the touched ones; it
                    // must say exactly what a whole-form snapshot diff says.
                    let before = inst.snapshot();
                    let r = inst.remove_repeat(&path);
                    if let Ok(ch) = &r {
                        assert_eq!(
                            *ch,
                            snapshot_diff(&before, &inst.snapshot()),
                            "{name} step {step}: remove_repeat {path}"
                        );
                    }
                    r
                } else {
                    let range = path
                        .rsplit_once('[')
                        .map_or(path.clone(), |(p, _)| p.to_string());
                    // `add_repeat` reports from pre-images of what it touched; it must say exactly
                    // what a whole-form snapshot diff says.
                    let before = inst.snapshot();
                    let r = inst.add_repeat(&range);
                    if let Ok(ch) = &r {
                        assert_eq!(
                            *ch,
                            snapshot_diff(&before, &inst.snapshot()),
                            "{name} step {step}: add_repeat {range}"
                        );
                    }
                    r
                }
            }
            NodeKind::Question(ty) => {
                let v = random_value(&inst, id, ty, &mut rng);
                let before = inst.snapshot();
                let r = inst.set_answer(&path, &v);
                if let Ok(ch) = &r {
                    // Every row that is new or differs is reported, and every vanished row lies
                    // under a reported removed instance.
                    let after = inst.snapshot();
                    let old: std::collections::HashMap<&str, &NodeState> =
                        before.iter().map(|s| (s.path.as_str(), s)).collect();
                    for s in &after {
                        if old.get(s.path.as_str()).is_none_or(|o| *o != s) {
                            assert!(
                                ch.paths.contains(&s.path),
                                "{name} step {step}: {} not reported in {ch:?}",
                                s.path
                            );
                        }
                    }
                    let new: std::collections::HashSet<&str> =
                        after.iter().map(|s| s.path.as_str()).collect();
                    for s in before.iter().filter(|s| !new.contains(s.path.as_str())) {
                        assert!(
                            ch.removed
                                .iter()
                                .any(|r| s.path == *r || s.path.starts_with(&format!("{r}/"))),
                            "{name} step {step}: {} gone",
                            s.path
                        );
                    }
                }
                r
            }
            _ => continue,
        };
        // Read-only targets are refused; everything else must apply.
        if let Err(e) = &result {
            assert!(
                matches!(e, Error::ReadOnly(_)),
                "{name} step {step} {path}: {e}"
            );
        }
        assert_oracle(&inst, &format!("{name} step {step} ({path})"));
    }
    let errors: Vec<String> = inst
        .eval_errors()
        .iter()
        .map(|e| {
            format!(
                "{e}: {:?}",
                std::error::Error::source(e).map(|s| s.to_string())
            )
        })
        .collect();
    assert!(errors.is_empty(), "{name}: {errors:#?}");
}

#[test]
fn incremental_matches_full_pass_on_corpus_forms() {
    for (name, steps) in [
        ("px_tutorial.xls", 60),
        ("px_xlsform_spec_test.xlsx", 80),
        ("px_choice_filter_test.xlsx", 40),
        ("px_cascading_select.xls", 40),
        ("wf_all_question_types.xlsx", 80),
        ("vm_liberia_std_form.xlsx", 60),
        ("wf_socio_economic_survey.xlsx", 80),
        ("wf_relevant_calculate_group.xml", 40),
        ("wf_complex_repeats.xml", 60),
        ("wf_nested_repeat.xml", 40),
        ("wf_three_level_cascading_select.xml", 40),
        ("vm_liberia_coverage_round2_xform.xml", 80),
        // Not wf_child_vaccination_vol_tool*.xml: its household `jr:count` reads `flatcount`, which
        // counts the households, a cycle with no fixed point that a reactive engine cannot settle.
        ("wf_validation.xml", 30),
        ("co_all_widgets.xml", 60),
        ("wf_who_verbal_autopsy.xlsx", 60),
        ("wf_ifrc_distribution_site_assessment.xls", 60),
        ("co_fieldlist_updates.xml", 60),
    ] {
        for seed in [1, 2] {
            random_session(name, steps, seed);
        }
    }
}

fn form(survey: &[&[&str]], choices: &[&[&str]]) -> Instance {
    let mut sheets: Vec<(&str, &[&[&str]])> = vec![("survey", survey)];
    if !choices.is_empty() {
        sheets.push(("choices", choices));
    }
    let imp = import_xlsform(&crate::test_util::workbook(&sheets), "t.xlsx");
    assert!(imp.is_clean(), "{:#?}", imp.diagnostics);
    Instance::new(imp.form.unwrap(), ctx())
}

fn st(inst: &Instance, path: &str) -> NodeState {
    inst.node_state(path).unwrap()
}

const HEAD: &[&str] = &[
    "type",
    "name",
    "label",
    "relevant",
    "required",
    "constraint",
    "calculation",
    "default",
    "read_only",
    "repeat_count",
    "trigger",
    "choice_filter",
    "parameters",
    "label::French (fr)",
];

#[test]
fn relevance_required_constraint_and_read_only() {
    let mut i = form(
        &[
            HEAD,
            &[
                "integer",
                "age",
                "Age",
                "",
                "yes",
                ". >= 0 and . < 120",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ],
            &[
                "begin group",
                "adult",
                "Adult",
                "${age} >= 18",
                "",
                "",
                "",
                "",
                "yes",
                "",
                "",
                "",
                "",
                "",
            ],
            &[
                "text", "job", "Job", "", "yes", "", "", "", "", "", "", "", "", "",
            ],
            &[
                "end group",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ],
            &[
                "note", "n", "Note", "", "", "", "", "", "", "", "", "", "", "",
            ],
            &[
                "calculate",
                "double",
                "",
                "",
                "",
                "",
                "${age} * 2",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ],
        ],
        &[],
    );
    let age = st(&i, "/data/age");
    assert!(
        age.required && !age.required_ok && age.constraint_ok,
        "blank never violates a constraint"
    );
    assert!(!st(&i, "/data/adult/job").relevant);
    assert!(
        st(&i, "/data/adult/job").required_ok,
        "not relevant, so not required-invalid"
    );
    let ch = i.set_answer("/data/age", "200").unwrap();
    assert!(!st(&i, "/data/age").constraint_ok);
    assert!(
        ch.paths.contains(&"/data/adult/job".to_string())
            && ch.paths.contains(&"/data/double".to_string()),
        "{ch:?}"
    );
    let ch = i.set_answer("/data/age", "30").unwrap();
    assert_eq!(ch.paths, ["/data/age", "/data/double"]);
    assert!(st(&i, "/data/age").constraint_ok && st(&i, "/data/age").required_ok);
    let job = st(&i, "/data/adult/job");
    assert!(
        job.relevant && job.read_only,
        "relevance and read-only inherit from the group"
    );
    assert!(st(&i, "/data/n").read_only);
    assert_eq!(st(&i, "/data/double").value, "60");
    assert!(matches!(
        i.set_answer("/data/n", "x"),
        Err(Error::ReadOnly(_))
    ));
    assert!(matches!(
        i.set_answer("/data/adult/job", "x"),
        Err(Error::ReadOnly(_))
    ));
    assert!(matches!(
        i.set_answer("/data/nope", "x"),
        Err(Error::UnknownPath(_))
    ));
    assert!(matches!(
        i.set_answer("/data/adult", "x"),
        Err(Error::NotAQuestion(_))
    ));
}

#[test]
fn non_relevant_values_are_kept_but_read_blank_and_left_out_of_the_record() {
    let mut i = form(
        &[
            HEAD,
            &[
                "select_one yn",
                "has",
                "Has?",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ],
            &[
                "integer",
                "n",
                "N",
                "${has} = 'y'",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ],
            &[
                "calculate",
                "c",
                "",
                "",
                "",
                "",
                "concat('n=', ${n})",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ],
        ],
        &[
            &["list_name", "name", "label"],
            &["yn", "y", "Yes"],
            &["yn", "n", "No"],
        ],
    );
    i.set_answer("/data/has", "y").unwrap();
    i.set_answer("/data/n", "007").unwrap();
    assert_eq!(
        st(&i, "/data/n").value,
        "7",
        "numbers are stored canonically"
    );
    assert_eq!(st(&i, "/data/c").value, "n=7");
    i.set_answer("/data/has", "n").unwrap();
    assert_eq!(st(&i, "/data/n").value, "");
    assert_eq!(st(&i, "/data/c").value, "n=");
    assert!(!i.record().iter().any(|(p, _)| p == "/data/n"));
    i.set_answer("/data/has", "y").unwrap();
    assert_eq!(st(&i, "/data/n").value, "7", "the entered value returns");
}

#[test]
fn defaults_apply_once_and_time_comes_from_the_context() {
    let mut i = form(
        &[
            HEAD,
            &[
                "integer", "a", "A", "", "", "", "", "5", "", "", "", "", "", "",
            ],
            &[
                "date", "d", "D", "", "", "", "", "today()", "", "", "", "", "", "",
            ],
            &[
                "integer", "b", "B", "", "", "", "", "${a} + 1", "", "", "", "", "", "",
            ],
            &[
                "today", "td", "", "", "", "", "", "", "", "", "", "", "", "",
            ],
        ],
        &[],
    );
    assert_eq!(st(&i, "/data/a").value, "5");
    assert_eq!(st(&i, "/data/d").value, "2025-01-15");
    assert_eq!(st(&i, "/data/b").value, "6");
    assert_eq!(st(&i, "/data/td").value, "2025-01-15");
    i.set_answer("/data/a", "10").unwrap();
    assert_eq!(
        st(&i, "/data/b").value,
        "6",
        "a dynamic default is not re-evaluated"
    );
    assert!(st(&i, "/data/meta/instanceID").value.starts_with("uuid:"));
}

#[test]
fn repeats_resolve_siblings_in_the_same_instance() {
    let mut i = form(
        &[
            HEAD,
            &[
                "begin repeat",
                "m",
                "Member",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ],
            &[
                "integer", "age", "Age", "", "", "", "", "", "", "", "", "", "", "",
            ],
            &[
                "text",
                "kid",
                "Kid",
                "${age} < 18",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ],
            &[
                "calculate",
                "pos",
                "",
                "",
                "",
                "",
                "position(..)",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ],
            &[
                "end repeat",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ],
            &[
                "calculate",
                "total",
                "",
                "",
                "",
                "",
                "count(${m})",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ],
            &[
                "calculate",
                "kids",
                "",
                "",
                "",
                "",
                "count(${m}[age < 18])",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ],
        ],
        &[],
    );
    assert_eq!(
        st(&i, "/data/total").value,
        "1",
        "an interviewer-controlled repeat starts with one instance"
    );
    i.add_repeat("/data/m").unwrap();
    i.add_repeat("/data/m").unwrap();
    i.set_answer("/data/m[1]/age", "40").unwrap();
    i.set_answer("/data/m[2]/age", "10").unwrap();
    i.set_answer("/data/m[3]/age", "5").unwrap();
    assert!(!st(&i, "/data/m[1]/kid").relevant && st(&i, "/data/m[2]/kid").relevant);
    assert_eq!(st(&i, "/data/kids").value, "2");
    assert_eq!(st(&i, "/data/m[3]/pos").value, "3");
    i.remove_repeat("/data/m[2]").unwrap();
    assert_eq!(
        (
            st(&i, "/data/total").value.as_str(),
            st(&i, "/data/kids").value.as_str()
        ),
        ("2", "1")
    );
    assert_eq!(
        st(&i, "/data/m[2]/age").value,
        "5",
        "later instances renumber down"
    );
    assert_eq!(st(&i, "/data/m[2]/pos").value, "2");
    assert!(i.node_state("/data/m[3]").is_err());
    assert!(matches!(
        i.add_repeat("/data/total"),
        Err(Error::NotARepeat(_))
    ));
    assert_oracle(&i, "repeats");
}

#[test]
fn repeat_count_follows_its_expression() {
    let mut i = form(
        &[
            HEAD,
            &[
                "integer", "n", "N", "", "", "", "", "", "", "", "", "", "", "",
            ],
            &[
                "begin repeat",
                "m",
                "Member",
                "",
                "",
                "",
                "",
                "",
                "",
                "${n}",
                "",
                "",
                "",
                "",
            ],
            &[
                "text", "nm", "Name", "", "", "", "", "x", "", "", "", "", "", "",
            ],
            &[
                "end repeat",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ],
        ],
        &[],
    );
    assert!(i.node_state("/data/m[1]").is_err());
    i.set_answer("/data/n", "3").unwrap();
    assert_eq!(
        st(&i, "/data/m[3]/nm").value,
        "x",
        "defaults apply to counted instances"
    );
    i.set_answer("/data/n", "1").unwrap();
    assert!(i.node_state("/data/m[2]").is_err());
    assert!(matches!(i.add_repeat("/data/m"), Err(Error::NotARepeat(_))));
    assert_oracle(&i, "counted repeat");
}

#[test]
fn choice_filters_randomize_and_labels() {
    let mut i = form(
        &[
            HEAD,
            &[
                "select_one state",
                "state",
                "State",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "État",
            ],
            &[
                "select_one city",
                "city",
                "City in ${state}",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "state = ${state}",
                "",
                "Ville de ${state}",
            ],
            &[
                "select_multiple city",
                "shuf",
                "Shuffled",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "randomize=true seed=7",
                "",
            ],
            &[
                "calculate",
                "cl",
                "",
                "",
                "",
                "",
                "jr:choice-name(${state}, '${state}')",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ],
        ],
        &[
            &["list_name", "name", "label", "label::French (fr)", "state"],
            &["state", "ca", "California", "Californie", ""],
            &["state", "ny", "New York", "New York", ""],
            &["city", "la", "LA", "LA", "ca"],
            &["city", "sf", "SF", "SF", "ca"],
            &["city", "nyc", "NYC", "NYC", "ny"],
        ],
    );
    assert!(i.choices("/data/city").unwrap().is_empty());
    i.set_answer("/data/state", "ca").unwrap();
    assert_eq!(i.choices("/data/city").unwrap(), ["la", "sf"]);
    assert_eq!(i.label("/data/city").unwrap(), "City in ca");
    assert_eq!(st(&i, "/data/cl").value, "California");
    i.set_language(Some("French (fr)".into()));
    assert_eq!(i.label("/data/city").unwrap(), "Ville de ca");
    let shuffled = i.choices("/data/shuf").unwrap();
    assert_eq!(
        shuffled,
        crate::expr::functions::shuffle(vec!["la".to_string(), "sf".into(), "nyc".into()], 7)
    );
    assert_eq!(
        shuffled,
        i.choices("/data/shuf").unwrap(),
        "a seeded order is stable"
    );
    let mut sorted = shuffled.clone();
    sorted.sort();
    assert_eq!(sorted, ["la", "nyc", "sf"]);
}

#[test]
fn trigger_runs_the_calculation_only_when_its_question_changes() {
    let mut i = form(
        &[
            HEAD,
            &[
                "integer", "a", "A", "", "", "", "", "", "", "", "", "", "", "",
            ],
            &[
                "integer", "b", "B", "", "", "", "", "", "", "", "", "", "", "",
            ],
            &[
                "integer",
                "t",
                "T",
                "",
                "",
                "",
                "${a} + ${b}",
                "",
                "",
                "",
                "${a}",
                "",
                "",
                "",
            ],
        ],
        &[],
    );
    i.set_answer("/data/b", "1").unwrap();
    assert_eq!(st(&i, "/data/t").value, "");
    i.set_answer("/data/a", "2").unwrap();
    assert_eq!(st(&i, "/data/t").value, "3");
    i.set_answer("/data/t", "9").unwrap();
    i.set_answer("/data/b", "5").unwrap();
    assert_eq!(
        st(&i, "/data/t").value,
        "9",
        "a user edit survives until the trigger changes"
    );
    i.set_answer("/data/a", "0").unwrap();
    assert_eq!(st(&i, "/data/t").value, "5");
}

#[test]
fn corpus_dependencies_are_static_and_edits_stay_local() {
    for name in [
        "wf_who_verbal_autopsy.xlsx",
        "vm_liberia_coverage_round2_xform.xml",
        "wf_eimci_dtree.xml",
        "co_all_widgets.xml",
        "wf_socio_economic_survey.xlsx",
    ] {
        let f = load(name);
        let dynamic: Vec<String> = f
            .nodes
            .iter()
            .flat_map(|n| {
                n.expressions()
                    .into_iter()
                    .filter(|e| e.dynamic)
                    .map(|e| e.source.clone())
            })
            .collect();
        assert!(dynamic.is_empty(), "{name}: {dynamic:?}");
    }
    // Answering one question of a 560-node form re-evaluates a handful of nodes, not the form.
    let mut i = Instance::new(load("wf_who_verbal_autopsy.xlsx"), ctx());
    let leaf = i
        .all_nodes()
        .into_iter()
        .find(|&id| {
            i.model_of(id).is_some_and(|m| {
                matches!(i.form().nodes[m].question_type(), Some(QuestionType::Text))
            })
        })
        .unwrap();
    let path = i.path_of_node(leaf);
    let before = i.evaluation_count();
    i.set_answer(&path, "hello").unwrap();
    let used = i.evaluation_count() - before;
    assert!(used < 50, "{path}: {used} evaluations");
}

/// A roster with in-member dependents, cross-member aggregates inside and outside the repeat, and
/// five members.
fn roster() -> Instance {
    let mut i = form(
        &[
            HEAD,
            &[
                "begin repeat",
                "m",
                "Member",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ],
            &[
                "integer", "age", "Age", "", "", "", "", "", "", "", "", "", "", "",
            ],
            &[
                "text",
                "school",
                "School",
                "${age} < 18",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ],
            &[
                "calculate",
                "months",
                "",
                "",
                "",
                "",
                "${age} * 12",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ],
            &[
                "calculate",
                "older",
                "",
                "",
                "",
                "",
                "count(/data/m[age > 25])",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ],
            &[
                "calculate",
                "share",
                "",
                "",
                "",
                "",
                "${age} div sum(../../m/age)",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ],
            &[
                "end repeat",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ],
            &[
                "calculate",
                "total",
                "",
                "",
                "",
                "",
                "sum(${months})",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ],
            &[
                "calculate",
                "n",
                "",
                "",
                "",
                "",
                "count(${m})",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ],
        ],
        &[],
    );
    for _ in 0..4 {
        i.add_repeat("/data/m").unwrap();
    }
    for k in 1..=5 {
        i.set_answer(&format!("/data/m[{k}]/age"), &(k * 10).to_string())
            .unwrap();
    }
    i
}

#[test]
fn an_answer_in_one_member_leaves_the_other_members_alone() {
    let mut i = roster();
    let before = i.instance_evaluations;
    i.set_answer("/data/m[3]/age", "12").unwrap();
    let used = i.instance_evaluations - before;
    // age, school, months of member 3; older and share of all five (they read every member);
    // total. Re-running school and months for all five members would take eight more.
    assert!(used <= 14, "{used} instance evaluations");
    assert!(st(&i, "/data/m[3]/school").relevant && !st(&i, "/data/m[2]/school").relevant);
    assert_eq!(st(&i, "/data/m[3]/months").value, "144");
    assert_eq!(st(&i, "/data/m[2]/months").value, "240");
    assert_oracle(&i, "one member");
    // Adding a member evaluates the new member and what reads across members, not every
    // member's in-member dependents again.
    let before = i.instance_evaluations;
    i.add_repeat("/data/m").unwrap();
    let used = i.instance_evaluations - before;
    assert!(used <= 20, "{used} instance evaluations for add_repeat");
    let ch = i.remove_repeat("/data/m[2]").unwrap();
    assert!(
        ch.paths.contains(&"/data/m[2]/age".to_string())
            && ch.removed.contains(&"/data/m[6]".to_string()),
        "{ch:?}"
    );
    assert_oracle(&i, "add and remove");
}

#[test]
fn cross_member_aggregates_still_update() {
    let mut i = roster();
    assert_eq!(st(&i, "/data/total").value, "1800");
    assert_eq!(st(&i, "/data/m[1]/older").value, "3");
    i.set_answer("/data/m[5]/age", "0").unwrap();
    // `sum(${months})` outside, an absolute path and a relative path climbing out of the
    // member inside: every member sees the change.
    assert_eq!(st(&i, "/data/total").value, "1200");
    assert_eq!(st(&i, "/data/m[1]/older").value, "2");
    assert_eq!(st(&i, "/data/m[1]/share").value, "0.1");
    let ch = i.add_repeat("/data/m").unwrap();
    assert_eq!(st(&i, "/data/n").value, "6");
    assert!(
        ch.paths.contains(&"/data/n".to_string())
            && ch.paths.contains(&"/data/m[6]/age".to_string()),
        "{ch:?}"
    );
    assert_oracle(&i, "aggregates");
}

#[test]
fn scoped_reads_tell_bounded_from_cross_instance_reads() {
    let i = roster();
    let f = i.form();
    let idx = |p: &str| f.find(p).unwrap();
    let scope = |s: &str, t: &str| {
        let (s, t) = (idx(s), idx(t));
        let j = i.dependents[s].iter().position(|&x| x == t).unwrap();
        i.scopes[s][j]
    };
    let m = Some(idx("/data/m"));
    assert_eq!(scope("/data/m/age", "/data/m/school"), m);
    assert_eq!(scope("/data/m/age", "/data/m/months"), m);
    assert_eq!(
        scope("/data/m", "/data/m/age"),
        m,
        "inherited relevance stays in the instance"
    );
    assert_eq!(
        scope("/data/m/age", "/data/m/older"),
        None,
        "an absolute path reads every member"
    );
    assert_eq!(
        scope("/data/m/age", "/data/m/share"),
        None,
        "../../m climbs out of the member"
    );
    assert_eq!(scope("/data/m/months", "/data/total"), None);
}

#[test]
fn repeat_edits_report_what_a_snapshot_diff_reports() {
    // Removals in the middle renumber later members, which the cheap path of `remove_repeat`
    // must report row by row; a nested repeat renumbers whole subtrees.
    let mut i = form(
        &[
            HEAD,
            &[
                "begin repeat",
                "h",
                "Household",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ],
            &[
                "integer", "size", "Size", "", "", "", "", "", "", "", "", "", "", "",
            ],
            &[
                "begin repeat",
                "m",
                "Member",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ],
            &[
                "integer", "age", "Age", "", "", ". < 120", "", "", "", "", "", "", "", "",
            ],
            &[
                "text",
                "school",
                "School",
                "${age} < 18",
                "${age} < 10",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ],
            &[
                "calculate",
                "pos",
                "",
                "",
                "",
                "",
                "position(..)",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ],
            &[
                "calculate",
                "rel",
                "",
                "",
                "",
                "",
                "${age} div ${size}",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ],
            &[
                "end repeat",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ],
            &[
                "calculate",
                "n",
                "",
                "",
                "",
                "",
                "count(${m})",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ],
            &[
                "end repeat",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ],
            &[
                "calculate",
                "total",
                "",
                "",
                "",
                "",
                "sum(${age})",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ],
        ],
        &[],
    );
    let mut rng = Lcg(11);
    let mut removals = 0;
    for step in 0..150 {
        let nodes = i.all_nodes();
        let id = nodes[rng.next(nodes.len())];
        let path = i.path_of_node(id);
        let Some(m) = i.model_of(id) else { continue };
        let before = i.snapshot();
        let ch = match &i.form().nodes[m].kind {
            // Removing the last household would leave nothing to add to.
            NodeKind::Repeat { .. } if rng.next(2) == 0 && path != "/data/h[1]" => {
                removals += 1;
                i.remove_repeat(&path).unwrap()
            }
            NodeKind::Repeat { .. } => i
                .add_repeat(path.rsplit_once('[').map_or(path.as_str(), |(p, _)| p))
                .unwrap(),
            NodeKind::Question(QuestionType::Integer) => {
                i.set_answer(&path, &rng.next(30).to_string()).unwrap();
                continue;
            }
            _ => continue,
        };
        assert_eq!(
            ch,
            snapshot_diff(&before, &i.snapshot()),
            "step {step}: {path}"
        );
        assert_oracle(&i, &format!("step {step}"));
    }
    assert!(removals >= 10, "only {removals} removals");
}

/// An XForm's primary instance decides how many instances an interviewer-controlled repeat starts
/// with, and a new outer instance brings the nested instances its template holds (none when the
/// template only has the nested template), as ODK's web engine builds them.
#[test]
fn repeats_start_as_the_primary_instance_and_templates_say() {
    let inst = Instance::new(load("wf_complex_repeats.xml"), ctx());
    assert!(inst.find("/data/repeat_with_label[2]").is_some());
    assert!(inst.find("/data/repeat_with_label[3]").is_none());
    assert!(inst.find("/data/repeat_without_anything[1]").is_some());
    let mut inst = Instance::new(load("wf_nested_repeat.xml"), ctx());
    assert!(inst
        .find("/data/person_repeat[1]/language_repeat[1]")
        .is_some());
    inst.add_repeat("/data/person_repeat").unwrap();
    assert!(inst.find("/data/person_repeat[2]").is_some());
    assert!(inst
        .find("/data/person_repeat[2]/language_repeat[1]")
        .is_none());
    inst.add_repeat("/data/person_repeat[2]/language_repeat")
        .unwrap();
    assert!(inst
        .find("/data/person_repeat[2]/language_repeat[1]")
        .is_some());
}

/// `once(random())` draws its own number in every repeat instance; a fixed draw (conformance
/// replays) makes every `random()` that number.
#[test]
fn random_draws_differ_between_repeat_instances_unless_fixed() {
    let form = load("vm_liberia_coverage_round2_xform.xml");
    let rand = |inst: &Instance| -> Vec<String> {
        inst.all_nodes()
            .into_iter()
            .map(|id| inst.state_of(id))
            .filter(|s| s.path.ends_with("/guard/rand"))
            .map(|s| s.value)
            .collect()
    };
    let grow = |inst: &mut Instance| {
        inst.set_answer("/liberiaCoverage/consent2", "1").unwrap();
        inst.set_answer("/liberiaCoverage/mother_data/ch", "3")
            .unwrap();
    };
    let mut inst = Instance::new(form.clone(), ctx());
    grow(&mut inst);
    let draws = rand(&inst);
    assert_eq!(draws.len(), 3, "{draws:?}");
    assert!(draws[0] != draws[1] && draws[1] != draws[2], "{draws:?}");
    let mut fixed = Instance::with_fixed_random(form, ctx(), 0.25);
    grow(&mut fixed);
    assert!(
        rand(&fixed).iter().all(|v| v == "0.25"),
        "{:?}",
        rand(&fixed)
    );
}

/// Decimals and geopoints are stored as ODK's engines write doubles (`8.0`), so that a `string`
/// calculate copying them reads the same as in ODK.
#[test]
fn decimals_and_geopoints_are_stored_as_odk_writes_doubles() {
    assert_eq!(normalize(&QuestionType::Decimal, "8"), "8.0");
    assert_eq!(normalize(&QuestionType::Decimal, " 17.80 "), "17.8");
    assert_eq!(normalize(&QuestionType::Decimal, "abc"), "");
    assert_eq!(normalize(&QuestionType::Integer, "7.0"), "7");
    assert_eq!(
        normalize(&QuestionType::Geopoint, "65.62800 9.87800 0 10"),
        "65.628 9.878 0.0 10.0"
    );
    assert_eq!(normalize(&QuestionType::Geopoint, "1 x"), "1 x");
}
