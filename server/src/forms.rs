//! Checking and compiling a questionnaire file before it is published to devices.
//!
//! The server runs the same importer as the devices (`canvass-form`), so a form
//! a device would refuse is never published, whether it comes from the command
//! line or over HTTP. A published version carries the file as uploaded (devices
//! install from it) and a compiled summary of the model: every node's path,
//! kind, data type and labels, and the choice lists. Supervisor and HQ tools
//! read that summary to name columns and values without an importer of their own.

use std::collections::BTreeMap;

use base64::Engine as _;
use canvass_form::model::{NodeKind, Text};
use canvass_form::Questionnaire;
use canvass_protocol::QuestionnaireVersion;
use serde_json::{json, Value};

/// Why a file could not be published; every problem the importer found, each naming where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub file_name: String,
    pub problems: Vec<String>,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} was not published; it has errors:\n{}",
            self.file_name,
            self.problems.join("\n")
        )
    }
}

/// Imports `bytes` as the file `file_name` and builds the version to publish.
///
/// The version string is the form's own (`settings` `version`), or "1" when the
/// form has none, the way ODK Central numbers an unversioned first upload.
pub fn compile(bytes: &[u8], file_name: &str) -> Result<QuestionnaireVersion, Refused> {
    let imported = canvass_form::import_form(bytes, file_name);
    let problems: Vec<String> = imported.errors().map(|d| d.to_string()).collect();
    let form = match imported.form {
        Some(form) if problems.is_empty() => form,
        Some(_) => {
            return Err(Refused {
                file_name: file_name.to_owned(),
                problems,
            })
        }
        None => {
            return Err(Refused {
                file_name: file_name.to_owned(),
                problems: if problems.is_empty() {
                    vec!["the file could not be read as a form".to_owned()]
                } else {
                    problems
                },
            })
        }
    };
    Ok(QuestionnaireVersion {
        questionnaire_id: form.id.clone(),
        version: form.version.clone().unwrap_or_else(|| "1".to_owned()),
        definition: summary(&form),
        file_name: Some(file_name.to_owned()),
        source_base64: Some(base64::engine::general_purpose::STANDARD.encode(bytes)),
    })
}

/// The compiled model as JSON: what a reader needs to label data, without the expressions.
pub fn summary(form: &Questionnaire) -> Value {
    let nodes: Vec<Value> = form
        .document_order()
        .into_iter()
        .filter_map(|i| {
            let n = &form.nodes[i];
            let (kind, data_type) = match &n.kind {
                NodeKind::Root => return None,
                NodeKind::Group { field_list } => {
                    (if *field_list { "field-list" } else { "group" }, None)
                }
                NodeKind::Repeat { .. } => ("repeat", None),
                NodeKind::Question(q) => ("question", Some(q.data_type())),
            };
            Some(json!({
                "path": n.path,
                "name": n.name,
                "kind": kind,
                "type": data_type,
                "label": texts(&n.label),
                "list": n.choices.as_ref().map(|c| c.list.clone()),
            }))
        })
        .collect();
    let lists: BTreeMap<&str, Vec<Value>> = form
        .choice_lists
        .iter()
        .map(|(name, list)| {
            let choices = list
                .choices
                .iter()
                .map(|c| json!({ "name": c.name, "label": texts(&c.label) }))
                .collect();
            (name.as_str(), choices)
        })
        .collect();
    json!({
        "title": form.title,
        "root": form.root_name,
        "default_language": form.default_language,
        "languages": form.languages,
        "questions": form.question_count(),
        "nodes": nodes,
        "choice_lists": lists,
    })
}

fn texts(t: &Text) -> &BTreeMap<String, String> {
    &t.0
}

#[cfg(test)]
mod tests {
    use super::*;

    const FORM: &str = r#"<?xml version="1.0"?>
<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml" xmlns:jr="http://openrosa.org/javarosa">
  <h:head>
    <h:title>Pets</h:title>
    <model>
      <instance>
        <data id="pets" version="3">
          <name/>
          <kind/>
          <meta><instanceID/></meta>
        </data>
      </instance>
      <bind nodeset="/data/name" type="string" required="true()"/>
      <bind nodeset="/data/kind" type="string"/>
      <bind nodeset="/data/meta/instanceID" type="string" readonly="true()" jr:preload="uid"/>
    </model>
  </h:head>
  <h:body>
    <input ref="/data/name"><label>Name</label></input>
    <select1 ref="/data/kind"><label>Kind</label>
      <item><label>Cat</label><value>cat</value></item>
      <item><label>Dog</label><value>dog</value></item>
    </select1>
  </h:body>
</h:html>"#;

    #[test]
    fn a_good_form_compiles_with_its_own_id_and_version_and_a_model_summary() {
        let v = compile(FORM.as_bytes(), "pets.xml").expect("the form is valid");
        assert_eq!(
            (v.questionnaire_id.as_str(), v.version.as_str()),
            ("pets", "3")
        );
        assert_eq!(v.definition["title"], "Pets");
        let nodes = v.definition["nodes"].as_array().unwrap();
        let name = nodes.iter().find(|n| n["path"] == "/data/name").unwrap();
        assert_eq!(
            (&name["kind"], &name["type"]),
            (&json!("question"), &json!("string"))
        );
        assert!(nodes
            .iter()
            .any(|n| n["path"] == "/data/kind" && n["list"].is_string()));
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(v.source_base64.unwrap())
            .unwrap();
        assert_eq!(decoded, FORM.as_bytes());
    }

    #[test]
    fn a_broken_form_is_refused_with_every_problem_named() {
        let broken = FORM.replace(r#"required="true()""#, r#"required="true(""#);
        let e = compile(broken.as_bytes(), "pets.xml").unwrap_err();
        assert_eq!(e.file_name, "pets.xml");
        assert!(!e.problems.is_empty());
        assert!(e.to_string().contains("pets.xml was not published"));
        let e = compile(b"not a form", "pets.txt").unwrap_err();
        assert!(!e.problems.is_empty(), "{e}");
    }
}
