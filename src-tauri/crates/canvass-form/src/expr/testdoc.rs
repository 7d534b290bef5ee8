//! In-memory `Document` for tests, built from `(path, value)` pairs.
//!
//! Paths look like `/data/rep[2]/age` (1-based index among same-name siblings, created on demand),
//! `/data/w/@lang` for attributes and `instance(id)/root/item[1]/name` for secondary instances.
//! `${name}` resolves ODK-style: to the nodes of that name under the nearest ancestor of the context
//! that contains any, so a sibling in the same repeat instance wins over the other instances.

use super::eval::Document;
use super::value::NodeId;

#[derive(Debug, Clone)]
struct Node {
    name: String,
    parent: Option<NodeId>,
    children: Vec<NodeId>,
    value: String,
    attrs: Vec<(String, String)>,
}

/// A small tree with a primary instance (node 0 is its document node) and secondary instances.
#[derive(Debug, Clone)]
pub struct TestDoc {
    nodes: Vec<Node>,
    instances: Vec<(String, NodeId)>,
    /// `(question name, choice, label)` triples for `jr:choice-name`.
    labels: Vec<(String, String, String)>,
}

impl TestDoc {
    /// Builds a document from `(path, value)` pairs.
    pub fn new(entries: &[(&str, &str)]) -> TestDoc {
        let mut doc = TestDoc {
            nodes: vec![Self::blank("#document", None)],
            instances: Vec::new(),
            labels: Vec::new(),
        };
        for (path, value) in entries {
            doc.set(path, value);
        }
        doc
    }

    /// Adds choice labels for `jr:choice-name`.
    pub fn with_labels(mut self, labels: &[(&str, &str, &str)]) -> TestDoc {
        self.labels = labels
            .iter()
            .map(|(q, c, l)| (q.to_string(), c.to_string(), l.to_string()))
            .collect();
        self
    }

    fn blank(name: &str, parent: Option<NodeId>) -> Node {
        Node {
            name: name.to_string(),
            parent,
            children: Vec::new(),
            value: String::new(),
            attrs: Vec::new(),
        }
    }

    fn get(&self, id: NodeId) -> &Node {
        &self.nodes[id.0 as usize]
    }

    fn set(&mut self, path: &str, value: &str) {
        let (mut cur, rest) = match path.strip_prefix("instance(") {
            Some(r) => {
                let (id, rest) = r.split_once(')').expect("instance path has `)`");
                let root = match self.instance_root(id) {
                    Some(root) => root,
                    None => {
                        let root = self.push(Self::blank("#document", None));
                        self.instances.push((id.to_string(), root));
                        root
                    }
                };
                (root, rest)
            }
            None => (NodeId(0), path),
        };
        for seg in rest.split('/').filter(|s| !s.is_empty()) {
            if let Some(attr) = seg.strip_prefix('@') {
                self.nodes[cur.0 as usize]
                    .attrs
                    .push((attr.to_string(), value.to_string()));
                return;
            }
            let (name, index) = match seg.split_once('[') {
                Some((n, i)) => (
                    n,
                    i.trim_end_matches(']')
                        .parse::<usize>()
                        .expect("numeric index"),
                ),
                None => (seg, 1),
            };
            loop {
                let same = self.children(cur, Some(name));
                if same.len() >= index {
                    cur = same[index - 1];
                    break;
                }
                let child = self.push(Self::blank(name, Some(cur)));
                self.nodes[cur.0 as usize].children.push(child);
            }
        }
        self.nodes[cur.0 as usize].value = value.to_string();
    }

    fn push(&mut self, node: Node) -> NodeId {
        self.nodes.push(node);
        NodeId(self.nodes.len() as u32 - 1)
    }

    /// The node at `path` (same syntax as `new`, elements only); panics if absent, as tests want.
    pub fn node(&self, path: &str) -> NodeId {
        let mut cur = NodeId(0);
        for seg in path.split('/').filter(|s| !s.is_empty()) {
            let (name, index) = match seg.split_once('[') {
                Some((n, i)) => (
                    n,
                    i.trim_end_matches(']')
                        .parse::<usize>()
                        .expect("numeric index"),
                ),
                None => (seg, 1),
            };
            cur = self.children(cur, Some(name))[index - 1];
        }
        cur
    }

    fn is_under(&self, n: NodeId, ancestor: NodeId) -> bool {
        let mut cur = self.get(n).parent;
        while let Some(p) = cur {
            if p == ancestor {
                return true;
            }
            cur = self.get(p).parent;
        }
        false
    }

    fn in_primary(&self, n: NodeId) -> bool {
        n == NodeId(0) || self.is_under(n, NodeId(0))
    }
}

impl Document for TestDoc {
    fn root(&self) -> NodeId {
        NodeId(0)
    }

    fn parent(&self, n: NodeId) -> Option<NodeId> {
        self.get(n).parent
    }

    fn children(&self, n: NodeId, name: Option<&str>) -> Vec<NodeId> {
        self.get(n)
            .children
            .iter()
            .copied()
            .filter(|c| name.is_none_or(|want| self.get(*c).name == want))
            .collect()
    }

    fn name(&self, n: NodeId) -> String {
        self.get(n).name.clone()
    }

    fn attribute(&self, n: NodeId, name: &str) -> Option<String> {
        self.get(n)
            .attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }

    fn attribute_names(&self, n: NodeId) -> Vec<String> {
        self.get(n).attrs.iter().map(|(k, _)| k.clone()).collect()
    }

    fn value(&self, n: NodeId) -> String {
        self.get(n).value.clone()
    }

    fn resolve_ref(&self, name: &str, context: NodeId) -> Option<Vec<NodeId>> {
        let all: Vec<NodeId> = (1..self.nodes.len() as u32)
            .map(NodeId)
            .filter(|id| self.get(*id).name == name && self.in_primary(*id))
            .collect();
        if all.is_empty() {
            return None;
        }
        // Walk up from the context: the first ancestor (or the context itself) containing nodes of
        // that name bounds the answer, which is ODK's "same repeat instance" rule.
        let mut anc = if context == NodeId(0) {
            None
        } else {
            Some(context)
        };
        while let Some(a) = anc {
            let under: Vec<NodeId> = all
                .iter()
                .copied()
                .filter(|n| self.is_under(*n, a))
                .collect();
            if !under.is_empty() {
                return Some(under);
            }
            anc = self.get(a).parent;
        }
        Some(all)
    }

    fn instance_root(&self, id: &str) -> Option<NodeId> {
        self.instances
            .iter()
            .find(|(k, _)| k == id)
            .map(|(_, n)| *n)
    }

    fn choice_label(
        &self,
        question: &str,
        choice: &str,
        _language: Option<&str>,
        _context: NodeId,
    ) -> Option<String> {
        // Accept both `${q}` and `/data/.../q` spellings of the question.
        let q = question.trim_start_matches("${").trim_end_matches('}');
        let q = q.rsplit('/').next().unwrap_or(q);
        self.labels
            .iter()
            .find(|(lq, lc, _)| lq == q && lc == choice)
            .map(|(_, _, l)| l.clone())
    }
}
