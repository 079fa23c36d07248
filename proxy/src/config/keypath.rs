//! Which key a byte offset belongs to, as a path like `listen[0].server[1].weight`.
//!
//! Serde and TOML errors carry a byte span but no key path. To name the key, the text is
//! parsed a second time into a schema-free tree that records the span of every key. An error
//! spanning a table belongs to the first key inside its span (the table's own name in its
//! header); an error on a value belongs to the last key that starts before it (a value
//! always follows its key, and nothing but that value's own content lies between them).

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;
use std::ops::Range;
use toml::Spanned;

/// The path of the key an error at `span` of `text` is about, or `None` when the text is
/// not valid TOML (syntax errors) or the span precedes every key.
pub fn key_path_at(text: &str, span: Range<usize>) -> Option<String> {
    let root: Node = toml::from_str(text).ok()?;
    let mut keys = Vec::new();
    collect(&root, "", &mut keys);
    let inside = keys
        .iter()
        .filter(|(start, _)| span.contains(start))
        .min_by_key(|(start, _)| *start);
    let before = keys
        .iter()
        .filter(|(start, _)| *start <= span.start)
        .max_by_key(|(start, _)| *start);
    inside.or(before).map(|(_, path)| path.clone())
}

/// A TOML value with only its structure and the spans of its keys.
enum Node {
    Table(Vec<(Spanned<String>, Node)>),
    Array(Vec<Node>),
    Leaf,
}

/// Every key under `node` as `(start of the key, path)`.
fn collect(node: &Node, path: &str, keys: &mut Vec<(usize, String)>) {
    match node {
        Node::Leaf => {}
        Node::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                collect(item, &format!("{path}[{i}]"), keys);
            }
        }
        Node::Table(entries) => {
            for (key, value) in entries {
                // toml's datetime values arrive as a table with a private key.
                if key.get_ref().starts_with("$__toml_private") {
                    continue;
                }
                let key_path = if path.is_empty() {
                    key.get_ref().clone()
                } else {
                    format!("{path}.{}", key.get_ref())
                };
                collect(value, &key_path, keys);
                keys.push((key.span().start, key_path));
            }
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NodeVisitor;

        impl<'de> Visitor<'de> for NodeVisitor {
            type Value = Node;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any TOML value")
            }

            fn visit_bool<E>(self, _: bool) -> Result<Node, E> {
                Ok(Node::Leaf)
            }

            fn visit_i64<E>(self, _: i64) -> Result<Node, E> {
                Ok(Node::Leaf)
            }

            fn visit_u64<E>(self, _: u64) -> Result<Node, E> {
                Ok(Node::Leaf)
            }

            fn visit_f64<E>(self, _: f64) -> Result<Node, E> {
                Ok(Node::Leaf)
            }

            fn visit_str<E>(self, _: &str) -> Result<Node, E> {
                Ok(Node::Leaf)
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Node::Array(items))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Node::Table(entries))
            }
        }

        deserializer.deserialize_any(NodeVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "[global]\nmaxconn = 4\n\n[[listen]]\nname = \"a\"\nmysql_check.user = \"x\"\nbind = [\"1\", \"2\"]\n\n[[listen.server]]\nname = \"s1\"\n\n[[listen.server]]\nname = \"s2\"\nweight = \"3\"\n\n[[listen]]\nname = \"b\"\n";

    fn at(needle: &str) -> Option<String> {
        let start = TEXT.find(needle).unwrap();
        key_path_at(TEXT, start..start + needle.len())
    }

    #[test]
    fn finds_keys_values_and_indices() {
        assert_eq!(at("maxconn").as_deref(), Some("global.maxconn"));
        assert_eq!(at("4\n").as_deref(), Some("global.maxconn"));
        assert_eq!(at("user").as_deref(), Some("listen[0].mysql_check.user"));
        assert_eq!(at("\"2\"").as_deref(), Some("listen[0].bind"));
        assert_eq!(at("\"3\"").as_deref(), Some("listen[0].server[1].weight"));
        assert_eq!(at("\"b\"").as_deref(), Some("listen[1].name"));
    }

    #[test]
    fn a_table_span_is_about_the_table() {
        let text = "[listen]\nname = \"x\"\n";
        assert_eq!(key_path_at(text, 0..text.len()).as_deref(), Some("listen"));
    }

    #[test]
    fn nothing_for_invalid_toml_or_before_any_key() {
        assert_eq!(key_path_at("a = ", 0..1), None);
        assert_eq!(key_path_at("\n\na = 1", 0..1), None);
    }
}
