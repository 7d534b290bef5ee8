//! Item validation for `POST /v1/batches`: pure checks that turn a wire item into a record or a reason.
//!
//! An item is `invalid` (and never stored) when its id is not a UUID, its kind
//! is unknown, its hash is not 64 lowercase hex characters or is not the
//! SHA-256 of the payload bytes received, or its payload is not a JSON object
//! whose `id` (when present) equals the item id. One invalid item never fails
//! the others.

use canvass_protocol::Item;
use sha2::{Digest, Sha256};

use crate::auth::hex;
use crate::db::NewRecord;

/// Record kinds the server stores.
pub const KINDS: &[&str] = &[
    "interview",
    "call_attempt",
    "appointment",
    "visit",
    "consent",
];

/// Checks one item; `Err` carries the reason sent back with status `invalid`.
pub fn check_item(item: &Item) -> Result<NewRecord, String> {
    let id =
        uuid::Uuid::parse_str(&item.id).map_err(|_| format!("id {:?} is not a UUID", item.id))?;
    // Devices make UUID v7 (time-ordered); anything else is a client bug worth refusing loudly.
    if id.get_version_num() != 7 {
        return Err(format!("id {} is not a UUID v7", item.id));
    }
    if !KINDS.contains(&item.kind.as_str()) {
        return Err(format!("unknown kind {:?}", item.kind));
    }
    let h = &item.payload_hash;
    if h.len() != 64
        || !h
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err("payload_hash must be 64 lowercase hex characters (SHA-256)".into());
    }
    let text = item.payload.get();
    if hex(&Sha256::digest(text.as_bytes())) != *h {
        return Err("payload_hash is not the SHA-256 of the payload as sent".into());
    }
    // Only the top level matters here, so the payload is walked, not built into a tree:
    // at 100 interviews x 200 answers a batch, building a `Value` per item was most of the handler's time.
    let head: Head = serde_json::from_str(text).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => "payload must be a JSON object".to_owned(),
        _ => format!("payload is not JSON: {e}"),
    })?;
    if let Some(inner) = head.id {
        if inner.as_deref() != Some(item.id.as_str()) {
            return Err("payload id differs from the item id".into());
        }
    }
    Ok(NewRecord {
        id: item.id.clone(),
        kind: item.kind.clone(),
        payload: text.to_owned(),
        payload_hash: h.clone(),
    })
}

/// The top level of a payload: it must be a JSON object; its `id`, when present, is kept
/// (`Some(None)` for an `id` that is not a string). Every other member is skipped unbuilt.
struct Head {
    id: Option<Option<String>>,
}

impl<'de> serde::Deserialize<'de> for Head {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Head, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Head;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Head, A::Error> {
                let mut id = None;
                while let Some(key) = m.next_key::<std::borrow::Cow<'de, str>>()? {
                    if key == "id" {
                        let v: serde_json::Value = m.next_value()?;
                        id = Some(v.as_str().map(str::to_owned));
                    } else {
                        m.next_value::<serde::de::IgnoredAny>()?;
                    }
                }
                Ok(Head { id })
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V7: &str = "019a8d7e-1c2b-7a3d-9f00-0123456789ab";

    fn item(id: &str, kind: &str, payload: &str, hash: Option<&str>) -> Item {
        Item {
            id: id.into(),
            kind: kind.into(),
            payload: serde_json::value::RawValue::from_string(payload.into()).unwrap(),
            payload_hash: hash
                .map(str::to_owned)
                .unwrap_or_else(|| hex(&Sha256::digest(payload.as_bytes()))),
        }
    }

    #[test]
    fn a_well_formed_item_passes_with_its_bytes_untouched() {
        let p = format!(r#"{{"id":"{V7}",  "b":1,"a":2}}"#);
        let r = check_item(&item(V7, "interview", &p, None)).unwrap();
        assert_eq!(r.payload, p);
    }

    #[test]
    fn each_defect_has_its_own_reason() {
        let p = format!(r#"{{"id":"{V7}"}}"#);
        let cases = [
            (item("nope", "interview", &p, None), "not a UUID"),
            (
                item(
                    "019a8d7e-1c2b-4a3d-9f00-0123456789ab",
                    "interview",
                    "{}",
                    None,
                ),
                "not a UUID v7",
            ),
            (item(V7, "selfie", &p, None), "unknown kind"),
            (item(V7, "interview", &p, Some("ABC")), "64 lowercase hex"),
            (
                item(V7, "interview", &p, Some(&"0".repeat(64))),
                "not the SHA-256",
            ),
            (item(V7, "interview", "[1]", None), "JSON object"),
            (
                item(V7, "interview", r#"{"id":"other"}"#, None),
                "differs from the item id",
            ),
        ];
        for (it, want) in cases {
            let got = check_item(&it).unwrap_err();
            assert!(got.contains(want), "{got:?} should say {want:?}");
        }
    }
}
