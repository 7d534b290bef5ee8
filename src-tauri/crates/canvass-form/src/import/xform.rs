//! XForm import: ODK XForm XML (as bytes) into a `Questionnaire` plus diagnostics.
//!
//! The primary instance gives the node tree, `<bind>` elements the expressions and data types, the
//! body the controls (which decide the question type), `<itext>` the translations and secondary
//! instances the choice lists of itemsets. Diagnostics name the element by its path
//! (`/h:html/h:head/model/bind[3]`).

use std::collections::{BTreeMap, HashMap};

use roxmltree::Node as XNode;

use super::{file_stem, parse_expression, Import, MAX_NESTING};
use crate::diagnostic::{Diagnostic, Location};
use crate::expr::ast::{ExprKind, PathStart};
use crate::model::{
    Choice, ChoiceList, ChoiceSource, DefaultValue, Node, NodeIndex, NodeKind, QuestionType,
    Questionnaire, RepeatCount, Text, DEFAULT_LANGUAGE_KEY,
};

/// Local name of an element.
fn local<'a>(n: &XNode<'a, '_>) -> &'a str {
    n.tag_name().name()
}

/// Whether `n` is a repeat template (`jr:template`).
fn is_template(n: &XNode<'_, '_>) -> bool {
    n.attributes().any(|a| a.name() == "template")
}

/// How many instances of repeat `name`, a child of `parent` (the first element of its kind), an
/// interview starts with and a new enclosing repeat instance brings: the non-template elements
/// found through non-template ancestors, and those found through templates (ODK's web engine
/// builds a new instance from its template, so a nested repeat there starts empty unless the
/// template holds an instance of it).
fn instance_counts(parent: &XNode<'_, '_>, name: &str) -> (u32, u32) {
    let count = |p: &XNode<'_, '_>| {
        elements(p)
            .filter(|e| local(e) == name && !is_template(e))
            .count() as u32
    };
    let here = count(parent);
    // The chain of element names from the primary instance's top element down to `parent`.
    let mut chain = Vec::new();
    let mut top = *parent;
    let mut in_template = false;
    let mut cur = Some(*parent);
    while let Some(e) = cur.filter(|e| e.is_element()) {
        in_template |= is_template(&e);
        if e.parent()
            .is_some_and(|p| p.is_element() && local(&p) == "instance")
        {
            top = e;
            break;
        }
        chain.push(local(&e));
        cur = e.parent();
    }
    // An interview starts with at least one instance, ready for the first answer (a form with
    // only a template starts empty in ODK's web engine: a known difference in the README).
    if !in_template {
        return (here.max(1), here);
    }
    // Down again through the first non-template element at every level.
    let mut at = Some(top);
    for step in chain.iter().rev() {
        at = at.and_then(|p| elements(&p).find(|e| local(e) == *step && !is_template(e)));
    }
    (at.map_or(0, |p| count(&p)).max(1), here)
}

/// The first attribute whose local name is `name`, whatever its namespace.
fn attr<'a>(n: &XNode<'a, '_>, name: &str) -> Option<&'a str> {
    n.attributes().find(|a| a.name() == name).map(|a| a.value())
}

fn elements<'a, 'i>(n: &XNode<'a, 'i>) -> impl Iterator<Item = XNode<'a, 'i>> {
    n.children().filter(|c| c.is_element())
}

/// The element's path with prefixes and 1-based positions among same-name siblings.
fn element_path(n: &XNode<'_, '_>) -> String {
    let mut parts = Vec::new();
    let mut cur = Some(*n);
    while let Some(e) = cur {
        if !e.is_element() {
            break;
        }
        let name = match e.tag_name().namespace().and_then(|ns| e.lookup_prefix(ns)) {
            Some(p) if !p.is_empty() => format!("{p}:{}", local(&e)),
            _ => local(&e).to_string(),
        };
        let same: Vec<XNode> = e
            .parent()
            .map(|p| {
                elements(&p)
                    .filter(|s| s.tag_name() == e.tag_name())
                    .collect()
            })
            .unwrap_or_default();
        if same.len() > 1 {
            let pos = same.iter().position(|s| *s == e).map_or(1, |i| i + 1);
            parts.push(format!("{name}[{pos}]"));
        } else {
            parts.push(name);
        }
        cur = e.parent();
    }
    parts.reverse();
    format!("/{}", parts.join("/"))
}

fn loc(n: &XNode<'_, '_>) -> Location {
    Location::Element {
        path: element_path(n),
    }
}

/// Text content of an element, with `<output value="x"/>` written as `${x}` for piping.
fn inline_text(n: &XNode<'_, '_>) -> String {
    inline_text_at(n, 0)
}

fn inline_text_at(n: &XNode<'_, '_>, depth: usize) -> String {
    let mut out = String::new();
    if depth > MAX_NESTING {
        return out;
    }
    for c in n.children() {
        if c.is_text() {
            out.push_str(c.text().unwrap_or(""));
        } else if c.is_element() && local(&c) == "output" {
            if let Some(v) = attr(&c, "value") {
                out.push_str(&format!("${{{}}}", v.trim()));
            }
        } else if c.is_element() {
            out.push_str(&inline_text_at(&c, depth + 1));
        }
    }
    out.trim().to_string()
}

/// Strips a `[...]` predicate and whitespace from a bind or control reference.
pub(crate) fn clean_ref(r: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for ch in r.trim().chars() {
        match ch {
            '[' => depth += 1,
            ']' => depth -= 1,
            _ if depth == 0 && !ch.is_whitespace() => out.push(ch),
            _ => {}
        }
    }
    out
}

/// Resolves `r` against `context` (a template path) the way XForm body refs nest.
fn absolute(r: &str, context: &str) -> String {
    let r = clean_ref(r);
    if r.starts_with('/') {
        return r;
    }
    let mut parts: Vec<&str> = context.split('/').filter(|s| !s.is_empty()).collect();
    for seg in r.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    format!("/{}", parts.join("/"))
}

struct Importer<'a> {
    diags: Vec<Diagnostic>,
    nodes: Vec<Node>,
    by_path: HashMap<String, NodeIndex>,
    /// itext id → language → text.
    itext: HashMap<String, BTreeMap<String, String>>,
    lists: BTreeMap<String, ChoiceList>,
    /// Bind data type and preload per node path.
    types: HashMap<String, (String, Option<String>, Option<String>)>,
    readonly_true: HashMap<String, bool>,
    secondary: HashMap<String, XNode<'a, 'a>>,
    repeats: HashMap<String, Option<(String, Location)>>,
}

/// Imports an ODK XForm. `file_name` supplies the form id when the root element has none.
pub fn import_xform(bytes: &[u8], file_name: &str) -> Import {
    super::guarded(|| import_document(bytes, file_name))
}

fn import_document(bytes: &[u8], file_name: &str) -> Import {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => return fail(format!("the file is not UTF-8 text: {e}")),
    };
    let doc = match roxmltree::Document::parse(text) {
        Ok(d) => d,
        Err(e) => return fail(format!("not well-formed XML: {e}")),
    };
    build(&doc, file_name)
}

fn fail(message: String) -> Import {
    Import {
        form: None,
        diagnostics: vec![Diagnostic::error(Location::Form, message)],
    }
}

fn build<'a>(doc: &'a roxmltree::Document<'a>, file_name: &str) -> Import {
    let html = doc.root_element();
    let find = |parent: Option<XNode<'a, 'a>>, name: &str| {
        parent.and_then(|p| elements(&p).find(|c| local(c) == name))
    };
    let head = find(Some(html), "head");
    let body = find(Some(html), "body");
    let model = find(head, "model");
    let Some(model) = model else {
        return fail("the XForm has no `<model>` in `<h:head>`".into());
    };
    let instances: Vec<XNode> = elements(&model)
        .filter(|c| local(c) == "instance")
        .collect();
    let Some(primary) = instances
        .iter()
        .find(|i| attr(i, "id").is_none())
        .or(instances.first())
        .and_then(|i| elements(i).next())
    else {
        return fail("the XForm model has no primary instance".into());
    };
    let mut imp = Importer {
        diags: Vec::new(),
        nodes: Vec::new(),
        by_path: HashMap::new(),
        itext: HashMap::new(),
        lists: BTreeMap::new(),
        types: HashMap::new(),
        readonly_true: HashMap::new(),
        secondary: HashMap::new(),
        repeats: HashMap::new(),
    };
    for i in &instances {
        if let Some(id) = attr(i, "id") {
            if attr(i, "src").is_some() {
                imp.diags.push(Diagnostic::warning(loc(i), format!("secondary instance `{id}` comes from an attachment, which the import does not read")));
            }
            if let Some(root) = elements(i).next() {
                imp.secondary.insert(id.to_string(), root);
            }
        }
    }
    // Translations.
    let mut languages = Vec::new();
    let mut default_language = None;
    if let Some(itext) = elements(&model).find(|c| local(c) == "itext") {
        for tr in elements(&itext).filter(|c| local(c) == "translation") {
            let lang = attr(&tr, "lang")
                .unwrap_or(DEFAULT_LANGUAGE_KEY)
                .to_string();
            if attr(&tr, "default").is_some() && default_language.is_none() {
                default_language = Some(lang.clone());
            }
            languages.push(lang.clone());
            for t in elements(&tr).filter(|c| local(c) == "text") {
                let Some(id) = attr(&t, "id") else { continue };
                // The plain `<value>` (no `form`) is the text; media forms are not texts.
                let value = elements(&t)
                    .find(|v| local(v) == "value" && attr(v, "form").is_none())
                    .or_else(|| elements(&t).find(|v| local(v) == "value"));
                if let Some(v) = value {
                    imp.itext
                        .entry(id.to_string())
                        .or_default()
                        .insert(lang.clone(), inline_text(&v));
                }
            }
        }
    }
    // The node tree from the primary instance.
    let root_name = local(&primary).to_string();
    let mut root = Node::new(root_name.clone(), NodeKind::Root, loc(&primary));
    root.path = format!("/{root_name}");
    imp.by_path.insert(root.path.clone(), 0);
    imp.nodes.push(root);
    // Repeats and control kinds come from the body, so read it before typing the leaves.
    let mut controls: HashMap<String, (XNode, String)> = HashMap::new();
    if let Some(b) = body {
        imp.scan_body(&b, &format!("/{root_name}"), &mut controls, 0);
    }
    // Binds, by node path.
    let binds: Vec<XNode> = elements(&model).filter(|c| local(c) == "bind").collect();
    for b in &binds {
        if let Some(ns) = attr(b, "nodeset").or_else(|| attr(b, "ref")) {
            let p = absolute(ns, &format!("/{root_name}"));
            imp.types.insert(
                p.clone(),
                (
                    attr(b, "type").unwrap_or("string").to_string(),
                    attr(b, "preload").map(str::to_string),
                    attr(b, "preloadParams").map(str::to_string),
                ),
            );
            if attr(b, "readonly").is_some_and(|r| r.trim() == "true()") {
                imp.readonly_true.insert(p, true);
            }
        }
    }
    imp.instance_tree(&primary, 0, &controls, 0);
    for b in &binds {
        imp.bind(b, &root_name);
    }
    // Dynamic defaults from `setvalue` actions on first load / new repeat.
    for sv in html
        .descendants()
        .filter(|d| d.is_element() && local(d) == "setvalue")
    {
        let ev = attr(&sv, "event").unwrap_or("");
        if !(ev.contains("odk-instance-first-load") || ev.contains("odk-new-repeat")) {
            continue;
        }
        let (Some(r), Some(v)) = (attr(&sv, "ref"), attr(&sv, "value")) else {
            continue;
        };
        let p = absolute(r, &format!("/{root_name}"));
        let l = loc(&sv);
        if let Some(&i) = imp.by_path.get(&p) {
            if let Some(e) = parse_expression(v, &l, &mut imp.diags) {
                imp.nodes[i].binds.default = Some(DefaultValue::Dynamic(e));
            }
        }
    }
    let title = find(head, "title")
        .map(|t| inline_text(&t))
        .unwrap_or_default();
    let id = attr(&primary, "id")
        .map(str::to_string)
        .unwrap_or_else(|| file_stem(file_name));
    let mut settings = BTreeMap::new();
    settings.insert("form_id".to_string(), id.clone());
    settings.insert("form_title".to_string(), title.clone());
    let version = attr(&primary, "version").map(str::to_string);
    if let Some(v) = &version {
        settings.insert("version".into(), v.clone());
    }
    if languages.len() == 1 && languages[0] == DEFAULT_LANGUAGE_KEY {
        languages.clear();
    }
    let mut form = Questionnaire {
        id,
        version,
        title,
        root_name,
        default_language: default_language.or_else(|| languages.first().cloned()),
        languages,
        settings,
        nodes: imp.nodes,
        choice_lists: imp.lists,
        instance_name: None,
    };
    crate::runtime::deps::resolve_all(&mut form);
    for cycle in crate::runtime::deps::calculation_cycles(&form) {
        let paths: Vec<&str> = cycle
            .iter()
            .filter_map(|&i| form.nodes.get(i).map(|n| n.path.as_str()))
            .collect();
        let l = cycle
            .first()
            .and_then(|&i| form.nodes.get(i))
            .map(|n| n.location.clone())
            .unwrap_or_default();
        imp.diags.push(Diagnostic::error(
            l,
            format!("calculations form a cycle: {}", paths.join(" -> ")),
        ));
    }
    Import {
        form: Some(form),
        diagnostics: imp.diags,
    }
}

impl<'a> Importer<'a> {
    /// A label-like child (`label`, `hint`) as a translated text.
    fn text_of(&self, parent: &XNode<'_, '_>, child: &str) -> Text {
        let Some(el) = elements(parent).find(|c| local(c) == child) else {
            return Text::default();
        };
        self.text_value(attr(&el, "ref"), &inline_text(&el))
    }

    /// A text given either inline or as `jr:itext('id')`.
    fn text_value(&self, reference: Option<&str>, inline: &str) -> Text {
        if let Some(id) = reference.and_then(itext_id) {
            if let Some(t) = self.itext.get(id) {
                return Text(t.clone());
            }
        }
        if inline.is_empty() {
            Text::default()
        } else {
            Text(
                [(DEFAULT_LANGUAGE_KEY.to_string(), inline.to_string())]
                    .into_iter()
                    .collect(),
            )
        }
    }

    /// Records repeats and controls by absolute path, recursing through groups.
    fn scan_body(
        &mut self,
        el: &XNode<'a, 'a>,
        context: &str,
        controls: &mut HashMap<String, (XNode<'a, 'a>, String)>,
        depth: usize,
    ) {
        if depth > MAX_NESTING {
            self.diags.push(Diagnostic::error(
                loc(el),
                format!("the body nests deeper than {MAX_NESTING} levels"),
            ));
            return;
        }
        for c in elements(el) {
            let name = local(&c);
            match name {
                "group" => {
                    let ctx = attr(&c, "ref")
                        .map(|r| absolute(r, context))
                        .unwrap_or_else(|| context.to_string());
                    if attr(&c, "ref").is_some() {
                        controls.insert(ctx.clone(), (c, "group".into()));
                    }
                    self.scan_body(&c, &ctx, controls, depth + 1);
                }
                "repeat" => {
                    let Some(ns) = attr(&c, "nodeset") else {
                        continue;
                    };
                    let p = absolute(ns, context);
                    let count = attr(&c, "count").map(|e| (e.to_string(), loc(&c)));
                    self.repeats.insert(p.clone(), count);
                    controls.entry(p.clone()).or_insert((c, "repeat".into()));
                    self.scan_body(&c, &p, controls, depth + 1);
                }
                "input" | "select1" | "select" | "rank" | "upload" | "trigger" | "range"
                | "odk:rank" => {
                    if let Some(r) = attr(&c, "ref").or_else(|| attr(&c, "bind")) {
                        controls.insert(absolute(r, context), (c, name.to_string()));
                    }
                }
                _ => {}
            }
        }
    }

    fn instance_tree(
        &mut self,
        el: &XNode<'a, 'a>,
        parent: NodeIndex,
        controls: &HashMap<String, (XNode<'a, 'a>, String)>,
        depth: usize,
    ) {
        if depth > MAX_NESTING {
            self.diags.push(Diagnostic::error(
                loc(el),
                format!("the primary instance nests deeper than {MAX_NESTING} levels"),
            ));
            return;
        }
        let mut seen: Vec<&str> = Vec::new();
        for c in elements(el) {
            let name = local(&c);
            // Repeat instances and templates repeat the same element; the first describes them all.
            if seen.contains(&name) {
                continue;
            }
            seen.push(name);
            let path = format!("{}/{name}", self.nodes[parent].path);
            let has_children = elements(&c).next().is_some();
            let control = controls.get(&path);
            let kind = if let Some(count) = self.repeats.get(&path) {
                NodeKind::Repeat {
                    count: self.repeat_count(count.clone()),
                }
            } else if has_children {
                let field_list = control
                    .and_then(|(x, _)| attr(x, "appearance"))
                    .is_some_and(|a| a.split_whitespace().any(|w| w == "field-list"));
                NodeKind::Group { field_list }
            } else {
                NodeKind::Question(self.question_type(&path, control))
            };
            let mut node = Node::new(
                name,
                kind,
                control.map(|(x, _)| loc(x)).unwrap_or_else(|| loc(&c)),
            );
            node.path = path.clone();
            node.parent = Some(parent);
            let value = c.text().map(str::trim).unwrap_or("");
            if !has_children && !value.is_empty() && !self.repeats.contains_key(&path) {
                node.binds.default = Some(DefaultValue::Literal(value.to_string()));
            }
            if let Some((x, _)) = control {
                node.label = self.text_of(x, "label");
                node.hint = self.text_of(x, "hint");
                node.appearance = attr(x, "appearance").map(str::to_string);
                for k in ["start", "end", "step"] {
                    if let Some(v) = attr(x, k) {
                        node.parameters.insert(k.into(), v.to_string());
                    }
                }
                if let Some(NodeKind::Question(QuestionType::Range { .. })) = Some(&node.kind) {
                    let num = |k: &str, d: f64| {
                        node.parameters
                            .get(k)
                            .and_then(|v| v.parse().ok())
                            .unwrap_or(d)
                    };
                    node.kind = NodeKind::Question(QuestionType::Range {
                        start: num("start", 0.0),
                        end: num("end", 10.0),
                        step: num("step", 1.0),
                    });
                }
                if node.question_type().is_some_and(QuestionType::has_choices) {
                    node.choices = self.choices(x, &path);
                }
            }
            if matches!(
                node.kind,
                NodeKind::Repeat {
                    count: RepeatCount::User
                }
            ) {
                node.initial_instances = Some(instance_counts(el, name));
            }
            let idx = self.nodes.len();
            self.by_path.insert(path, idx);
            self.nodes.push(node);
            self.nodes[parent].children.push(idx);
            if has_children {
                self.instance_tree(&c, idx, controls, depth + 1);
            }
        }
    }

    fn repeat_count(&mut self, count: Option<(String, Location)>) -> RepeatCount {
        match count {
            None => RepeatCount::User,
            Some((src, l)) => match src.trim().parse::<u32>() {
                Ok(n) if n > crate::model::MAX_REPEAT_INSTANCES => {
                    self.diags.push(Diagnostic::error(
                        l,
                        format!(
                            "jr:count {n} is more than the {} instances a repeat may have",
                            crate::model::MAX_REPEAT_INSTANCES
                        ),
                    ));
                    RepeatCount::Fixed(0)
                }
                Ok(n) => RepeatCount::Fixed(n),
                Err(_) => parse_expression(&src, &l, &mut self.diags)
                    .map_or(RepeatCount::User, RepeatCount::Dynamic),
            },
        }
    }

    fn question_type(&self, path: &str, control: Option<&(XNode, String)>) -> QuestionType {
        let (ty, preload, params) = self
            .types
            .get(path)
            .cloned()
            .unwrap_or_else(|| ("string".into(), None, None));
        let ty = ty.rsplit(':').next().unwrap_or("string").to_string();
        let by_data = |ty: &str| match ty {
            "int" | "integer" => QuestionType::Integer,
            "decimal" => QuestionType::Decimal,
            "date" => QuestionType::Date,
            "time" => QuestionType::Time,
            "dateTime" => QuestionType::DateTime,
            "geopoint" => QuestionType::Geopoint,
            "geotrace" => QuestionType::Geotrace,
            "geoshape" => QuestionType::Geoshape,
            "barcode" => QuestionType::Barcode,
            "binary" => QuestionType::File,
            _ => QuestionType::Text,
        };
        match control.map(|(x, k)| (x, k.as_str())) {
            Some((_, "select1")) => QuestionType::SelectOne,
            Some((_, "select")) => QuestionType::SelectMultiple,
            Some((_, "rank")) | Some((_, "odk:rank")) => QuestionType::Rank,
            Some((_, "trigger")) => QuestionType::Acknowledge,
            Some((_, "range")) => QuestionType::Range {
                start: 0.0,
                end: 10.0,
                step: 1.0,
            },
            Some((x, "upload")) => match attr(x, "mediatype").unwrap_or("") {
                m if m.starts_with("image") => QuestionType::Image,
                m if m.starts_with("audio") => QuestionType::Audio,
                m if m.starts_with("video") => QuestionType::Video,
                _ => QuestionType::File,
            },
            Some((_, _)) => {
                if ty == "string" && self.readonly_true.get(path).copied().unwrap_or(false) {
                    QuestionType::Note
                } else {
                    by_data(&ty)
                }
            }
            None => match (preload.as_deref(), params.as_deref()) {
                (Some("timestamp"), Some("start")) => QuestionType::Start,
                (Some("timestamp"), Some("end")) => QuestionType::End,
                (Some("date"), Some("today")) => QuestionType::Today,
                (Some("property"), Some("deviceid")) => QuestionType::DeviceId,
                (Some("property"), Some("username")) => QuestionType::Username,
                (Some("property"), Some("phonenumber")) => QuestionType::PhoneNumber,
                (Some("property"), Some("email")) => QuestionType::Email,
                (Some("property"), Some("subscriberid")) => QuestionType::SubscriberId,
                (Some("property"), Some("simserial")) => QuestionType::SimSerial,
                _ if path.ends_with("/meta/instanceID")
                    || path.ends_with("/meta/instanceName")
                    || path.ends_with("/meta/deprecatedID") =>
                {
                    QuestionType::ModelValue
                }
                _ => QuestionType::Hidden,
            },
        }
    }

    /// The choices of a select: inline `<item>`s become a list named after the question; an
    /// `<itemset>` over `instance('x')/root/item[filter]` uses list `x` with that filter.
    fn choices(&mut self, control: &XNode<'a, 'a>, path: &str) -> Option<ChoiceSource> {
        if let Some(is) = elements(control).find(|c| local(c) == "itemset") {
            let l = loc(&is);
            let nodeset = attr(&is, "nodeset").unwrap_or("");
            let value_ref = elements(&is)
                .find(|c| local(c) == "value")
                .and_then(|v| attr(&v, "ref"))
                .unwrap_or("name")
                .trim()
                .to_string();
            let label_ref = elements(&is)
                .find(|c| local(c) == "label")
                .and_then(|v| attr(&v, "ref"))
                .unwrap_or("label")
                .trim()
                .to_string();
            let (expr, _) = crate::expr::parse(nodeset);
            let mut list = None;
            let mut filter_src = None;
            if let ExprKind::Path {
                start: PathStart::Expr(base),
                steps,
            } = &expr.kind
            {
                if let ExprKind::Call { name, args } = &base.kind {
                    if name == "instance" {
                        if let Some(ExprKind::Literal(id)) = args.first().map(|a| &a.kind) {
                            list = Some(id.clone());
                        }
                    }
                }
                if let Some(last) = steps.last() {
                    if last.predicates.len() == 1 {
                        filter_src = nodeset
                            .get(last.predicates[0].span.clone())
                            .map(str::to_string);
                    }
                }
            }
            let Some(list) = list else {
                self.diags.push(Diagnostic::error(l, format!("itemset `{nodeset}` is not of the form `instance('list')/root/item[filter]`")));
                return None;
            };
            if !self.lists.contains_key(&list) {
                let cl = self.secondary_list(&list, &value_ref, &label_ref);
                match cl {
                    Some(cl) => {
                        self.lists.insert(list.clone(), cl);
                    }
                    None => {
                        self.diags.push(Diagnostic::error(
                            l.clone(),
                            format!(
                                "itemset refers to instance `{list}`, which the form does not have"
                            ),
                        ));
                    }
                }
            }
            let filter = filter_src.and_then(|src| parse_expression(&src, &l, &mut self.diags));
            return Some(ChoiceSource { list, filter });
        }
        let mut cl = ChoiceList {
            name: path.to_string(),
            choices: Vec::new(),
        };
        for item in elements(control).filter(|c| local(c) == "item") {
            let value = elements(&item)
                .find(|c| local(c) == "value")
                .map(|v| inline_text(&v))
                .unwrap_or_default();
            cl.choices.push(Choice {
                name: value,
                label: self.text_of(&item, "label"),
                extra: BTreeMap::new(),
            });
        }
        self.lists.insert(path.to_string(), cl);
        Some(ChoiceSource {
            list: path.to_string(),
            filter: None,
        })
    }

    /// A secondary instance's items as a choice list; every child element becomes a column.
    fn secondary_list(&self, id: &str, value_ref: &str, label_ref: &str) -> Option<ChoiceList> {
        let root = self.secondary.get(id)?;
        let mut cl = ChoiceList {
            name: id.to_string(),
            choices: Vec::new(),
        };
        for item in elements(root) {
            let mut extra = BTreeMap::new();
            for c in elements(&item) {
                extra.insert(local(&c).to_string(), inline_text(&c));
            }
            let name = extra.get(value_ref).cloned().unwrap_or_default();
            let label = match label_ref
                .strip_prefix("jr:itext(")
                .and_then(|r| r.strip_suffix(')'))
            {
                Some(inner) => {
                    let id = extra.get(inner.trim()).cloned().unwrap_or_default();
                    self.itext
                        .get(&id)
                        .map(|t| Text(t.clone()))
                        .unwrap_or_default()
                }
                None => {
                    self.text_value(None, extra.get(label_ref).map(String::as_str).unwrap_or(""))
                }
            };
            cl.choices.push(Choice { name, label, extra });
        }
        Some(cl)
    }

    fn bind(&mut self, b: &XNode<'a, 'a>, root_name: &str) {
        let l = loc(b);
        let Some(ns) = attr(b, "nodeset").or_else(|| attr(b, "ref")) else {
            self.diags
                .push(Diagnostic::error(l, "`<bind>` has no nodeset"));
            return;
        };
        let p = absolute(ns, &format!("/{root_name}"));
        let Some(&idx) = self.by_path.get(&p) else {
            self.diags.push(Diagnostic::error(
                l,
                format!("`<bind>` nodeset `{ns}` is not in the primary instance"),
            ));
            return;
        };
        let expr = |name: &str, diags: &mut Vec<Diagnostic>| {
            attr(b, name).and_then(|src| parse_expression(src, &l, diags))
        };
        let relevant = expr("relevant", &mut self.diags);
        let constraint = expr("constraint", &mut self.diags);
        let required = expr("required", &mut self.diags);
        let calculation = expr("calculate", &mut self.diags);
        let read_only = expr("readonly", &mut self.diags);
        let cmsg = attr(b, "constraintMsg").map(|m| self.text_value(Some(m), m));
        let rmsg = attr(b, "requiredMsg").map(|m| self.text_value(Some(m), m));
        let Some(node) = self.nodes.get_mut(idx) else {
            return;
        };
        let binds = &mut node.binds;
        binds.relevant = relevant.or(binds.relevant.take());
        binds.constraint = constraint.or(binds.constraint.take());
        binds.required = required.or(binds.required.take());
        binds.calculation = calculation.or(binds.calculation.take());
        binds.read_only = read_only.or(binds.read_only.take());
        if let Some(m) = cmsg {
            node.constraint_message = m;
        }
        if let Some(m) = rmsg {
            node.required_message = m;
        }
        if let NodeKind::Question(QuestionType::Hidden) = node.kind {
            if node.binds.calculation.is_some() {
                node.kind = NodeKind::Question(QuestionType::Calculate);
            }
        }
    }
}

/// The id in `jr:itext('id')`.
fn itext_id(r: &str) -> Option<&str> {
    let inner = r
        .trim()
        .strip_prefix("jr:itext(")?
        .strip_suffix(')')?
        .trim();
    inner
        .strip_prefix('\'')
        .and_then(|s| s.strip_suffix('\''))
        .or_else(|| inner.strip_prefix('"').and_then(|s| s.strip_suffix('"')))
}

#[cfg(test)]
mod tests;
