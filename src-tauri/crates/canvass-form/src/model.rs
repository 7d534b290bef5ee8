//! The questionnaire model that both importers produce and the runtime interprets.
//!
//! The model is a flat arena of nodes (`Questionnaire::nodes`, index 0 is the root element) so that
//! the runtime and the dependency graph can refer to nodes by index without lifetimes. Paths are
//! template paths without repeat indices (`/data/member/age`), as pyxform names them.

use std::collections::BTreeMap;

use crate::diagnostic::Location;
use crate::expr::Expr;

/// Index of a node in `Questionnaire::nodes`.
pub type NodeIndex = usize;

/// A text in every language it was written in; the key is the language name as written in the
/// column suffix (`English (en)`), or `default` for a column without a suffix, as pyxform does.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Text(pub BTreeMap<String, String>);

/// The language key used for text columns without a `::Language` suffix.
pub const DEFAULT_LANGUAGE_KEY: &str = "default";

impl Text {
    /// True when no language has text.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The text in `language`, falling back to `fallback` (the form's default language), then to the
    /// unsuffixed column, then to any language, so a missing translation still shows something.
    pub fn get(&self, language: Option<&str>, fallback: Option<&str>) -> Option<&str> {
        language
            .and_then(|l| self.0.get(l))
            .or_else(|| fallback.and_then(|l| self.0.get(l)))
            .or_else(|| self.0.get(DEFAULT_LANGUAGE_KEY))
            .or_else(|| self.0.values().next())
            .map(String::as_str)
    }
}

/// A parsed expression together with its source and what it reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Expression {
    /// The expression as written by the author.
    pub source: String,
    pub expr: Expr,
    /// Template paths of the nodes it reads (`${name}` references and resolvable XPath paths).
    pub deps: Vec<String>,
    /// True when it reads something no static path describes (`//x`, `current()`, `ancestor::`),
    /// so the runtime must re-evaluate it after every change.
    pub dynamic: bool,
}

/// A question's `default`.
#[derive(Debug, Clone, PartialEq)]
pub enum DefaultValue {
    /// Written into the blank instance as is.
    Literal(String),
    /// Evaluated once, when the record is created or the repeat instance is added.
    Dynamic(Expression),
}

/// The most instances a counted repeat gets: a larger fixed `repeat_count` is an import error,
/// and a computed count is held to it, so that a typo cannot make an interview build a billion
/// nodes.
pub const MAX_REPEAT_INSTANCES: u32 = 10_000;

/// How many instances a repeat has.
#[derive(Debug, Clone, PartialEq)]
pub enum RepeatCount {
    /// The interviewer adds and removes instances.
    User,
    /// A fixed `repeat_count`.
    Fixed(u32),
    /// A `repeat_count` expression (`jr:count`), re-evaluated as answers change.
    Dynamic(Expression),
}

/// Question types, named as XLSForm names them.
#[derive(Debug, Clone, PartialEq)]
pub enum QuestionType {
    Text,
    Integer,
    Decimal,
    Range {
        start: f64,
        end: f64,
        step: f64,
    },
    SelectOne,
    SelectMultiple,
    Rank,
    Note,
    Acknowledge,
    Date,
    Time,
    DateTime,
    Calculate,
    Hidden,
    Geopoint,
    Geotrace,
    Geoshape,
    Image,
    Audio,
    BackgroundAudio,
    Video,
    File,
    Barcode,
    Start,
    End,
    Today,
    DeviceId,
    Username,
    PhoneNumber,
    Email,
    SubscriberId,
    SimSerial,
    Audit,
    /// An XForm `meta/instanceID` or similar model-only value with no control.
    ModelValue,
}

impl QuestionType {
    /// The XForms data type the value is stored as (`replay-format.md` `type`).
    pub fn data_type(&self) -> &'static str {
        use QuestionType::*;
        match self {
            Integer => "int",
            Decimal => "decimal",
            Range { start, end, step } => {
                if [start, end, step].iter().all(|v| v.fract() == 0.0) {
                    "int"
                } else {
                    "decimal"
                }
            }
            Date | Today => "date",
            Time => "time",
            DateTime | Start | End => "dateTime",
            Geopoint => "geopoint",
            Geotrace => "geotrace",
            Geoshape => "geoshape",
            Image | Audio | BackgroundAudio | Video | File | Audit => "binary",
            Barcode => "barcode",
            _ => "string",
        }
    }

    /// True for the select family, which offers choices.
    pub fn has_choices(&self) -> bool {
        matches!(
            self,
            QuestionType::SelectOne | QuestionType::SelectMultiple | QuestionType::Rank
        )
    }

    /// The preload a metadata type gets (`replay-format.md` `preload`).
    pub fn preload(&self) -> Option<&'static str> {
        match self {
            QuestionType::Start => Some("timestamp:start"),
            QuestionType::End => Some("timestamp:end"),
            QuestionType::Today => Some("date:today"),
            QuestionType::DeviceId => Some("property:deviceid"),
            QuestionType::Username => Some("property:username"),
            QuestionType::PhoneNumber => Some("property:phonenumber"),
            QuestionType::Email => Some("property:email"),
            QuestionType::SubscriberId => Some("property:subscriberid"),
            QuestionType::SimSerial => Some("property:simserial"),
            _ => None,
        }
    }
}

/// What a node is.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// The root element (`/data`).
    Root,
    Group {
        field_list: bool,
    },
    Repeat {
        count: RepeatCount,
    },
    Question(QuestionType),
}

/// Where a select's choices come from.
#[derive(Debug, Clone, PartialEq)]
pub struct ChoiceSource {
    /// The choice list (XLSForm `list_name`, or the XForm secondary instance id).
    pub list: String,
    /// Predicate evaluated with each choice item as context (XLSForm `choice_filter`).
    pub filter: Option<Expression>,
}

/// The bind expressions of a node.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Binds {
    pub relevant: Option<Expression>,
    pub constraint: Option<Expression>,
    pub required: Option<Expression>,
    pub calculation: Option<Expression>,
    pub read_only: Option<Expression>,
    pub default: Option<DefaultValue>,
    /// Template paths of the questions whose change runs `calculation` (XLSForm `trigger`).
    pub trigger: Vec<String>,
}

/// One node of the questionnaire tree.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub name: String,
    /// Template path, `/data/group/q`.
    pub path: String,
    pub kind: NodeKind,
    pub parent: Option<NodeIndex>,
    pub children: Vec<NodeIndex>,
    pub label: Text,
    pub hint: Text,
    pub guidance_hint: Text,
    pub constraint_message: Text,
    pub required_message: Text,
    /// CATI: the exact text the interviewer reads to the respondent.
    pub read_aloud: Text,
    /// CATI: instructions for the interviewer only, never read out.
    pub instructions: Text,
    /// The XLSForm column `canvass::metric`: what a dashboard reads this question as
    /// (`nps`, `csat`, `ces`, `segment` or `wave`), lower-cased; `None` when unset.
    pub metric: Option<String>,
    pub binds: Binds,
    pub choices: Option<ChoiceSource>,
    pub appearance: Option<String>,
    /// `parameters` as `key=value` pairs (`randomize`, `seed`, `start`...).
    pub parameters: BTreeMap<String, String>,
    /// `seed=${x}` parsed as an expression when `randomize=true`.
    pub seed: Option<Expression>,
    /// Where the node was defined, for runtime messages that point back at the form.
    pub location: Location,
    /// For an interviewer-controlled repeat of an XForm: how many instances the form's primary
    /// instance holds when the interview starts (its non-template elements), and how many a new
    /// instance of the enclosing repeat brings (those inside that repeat's `jr:template`). `None`
    /// is one, what pyxform writes for an XLSForm.
    pub initial_instances: Option<(u32, u32)>,
}

impl Node {
    /// A blank node of `kind` named `name`; the importer fills in the rest.
    pub fn new(name: impl Into<String>, kind: NodeKind, location: Location) -> Node {
        Node {
            name: name.into(),
            path: String::new(),
            kind,
            parent: None,
            children: Vec::new(),
            label: Text::default(),
            hint: Text::default(),
            guidance_hint: Text::default(),
            constraint_message: Text::default(),
            required_message: Text::default(),
            read_aloud: Text::default(),
            metric: None,
            instructions: Text::default(),
            binds: Binds::default(),
            choices: None,
            appearance: None,
            parameters: BTreeMap::new(),
            seed: None,
            location,
            initial_instances: None,
        }
    }

    /// The question type, if the node is a question.
    pub fn question_type(&self) -> Option<&QuestionType> {
        match &self.kind {
            NodeKind::Question(t) => Some(t),
            _ => None,
        }
    }

    /// True for repeats.
    pub fn is_repeat(&self) -> bool {
        matches!(self.kind, NodeKind::Repeat { .. })
    }

    /// True for nodes that hold a value (questions), false for the root, groups and repeats.
    pub fn is_leaf(&self) -> bool {
        matches!(self.kind, NodeKind::Question(_))
    }

    /// Every expression bound to the node, for dependency analysis.
    pub fn expressions(&self) -> Vec<&Expression> {
        let b = &self.binds;
        let mut out: Vec<&Expression> = [
            &b.relevant,
            &b.constraint,
            &b.required,
            &b.calculation,
            &b.read_only,
        ]
        .into_iter()
        .flatten()
        .collect();
        if let Some(DefaultValue::Dynamic(e)) = &b.default {
            out.push(e);
        }
        if let NodeKind::Repeat {
            count: RepeatCount::Dynamic(e),
        } = &self.kind
        {
            out.push(e);
        }
        if let Some(f) = self.choices.as_ref().and_then(|c| c.filter.as_ref()) {
            out.push(f);
        }
        if let Some(s) = &self.seed {
            out.push(s);
        }
        out
    }
}

/// One choice of a choice list.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    /// The stored value.
    pub name: String,
    pub label: Text,
    /// Other columns (`state`, `district`...) that choice filters refer to by bare name.
    pub extra: BTreeMap<String, String>,
}

/// A named list of choices.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChoiceList {
    pub name: String,
    pub choices: Vec<Choice>,
}

/// A whole form.
#[derive(Debug, Clone, PartialEq)]
pub struct Questionnaire {
    /// `form_id` setting, else the file stem.
    pub id: String,
    pub version: Option<String>,
    pub title: String,
    /// Root element name (`data` unless the settings `name` says otherwise).
    pub root_name: String,
    pub default_language: Option<String>,
    /// Every language a text column is written in, in first-seen order.
    pub languages: Vec<String>,
    /// The settings sheet (or XForm header facts) as key/value pairs.
    pub settings: BTreeMap<String, String>,
    /// The node arena; index 0 is the root element.
    pub nodes: Vec<Node>,
    pub choice_lists: BTreeMap<String, ChoiceList>,
    /// `instance_name` setting.
    pub instance_name: Option<Expression>,
}

impl Questionnaire {
    /// The node with template path `path`.
    pub fn find(&self, path: &str) -> Option<NodeIndex> {
        self.nodes.iter().position(|n| n.path == path)
    }

    /// The nodes named `name` (an XLSForm `${name}` must match exactly one).
    pub fn by_name(&self, name: &str) -> Vec<NodeIndex> {
        (0..self.nodes.len())
            .filter(|&i| i != 0 && self.nodes[i].name == name)
            .collect()
    }

    /// Node indices in document order (pre-order from the root).
    pub fn document_order(&self) -> Vec<NodeIndex> {
        let mut out = Vec::with_capacity(self.nodes.len());
        let mut stack = vec![0];
        while let Some(i) = stack.pop() {
            out.push(i);
            if let Some(n) = self.nodes.get(i) {
                stack.extend(n.children.iter().rev());
            }
        }
        out
    }

    /// True when `ancestor` is `node` or one of its ancestors.
    pub fn is_ancestor_or_self(&self, ancestor: NodeIndex, node: NodeIndex) -> bool {
        let mut cur = Some(node);
        while let Some(c) = cur {
            if c == ancestor {
                return true;
            }
            cur = self.nodes.get(c).and_then(|n| n.parent);
        }
        false
    }

    /// The number of questions (leaves), for sanity checks.
    pub fn question_count(&self) -> usize {
        self.nodes.iter().filter(|n| n.is_leaf()).count()
    }
}
