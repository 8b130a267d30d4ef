//! Shared helpers for Tencent Cloud wire types: lenient scalars, times,
//! tags, money and request-parameter pieces.
//!
//! The API reference types many fields loosely in practice: ids are
//! numbers in one response and strings in the next (`ProjectId`, `PolicyId`,
//! `CreateMode`), lists come back as `null`, amounts are strings or floats.
//! These helpers accept every such form so that a response never fails to
//! parse over a field the SDK does not even use.

use std::str::FromStr;

use chrono::{FixedOffset, NaiveDateTime, TimeZone, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};

use crate::model::{Tags, Timestamp};

/// Deserialize `null` (or an absent field, with `#[serde(default)]`) as the
/// type's default. For lists the API may return as `null`.
pub fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A scalar that may arrive as a string, a number or a boolean (or `null`),
/// kept as its string form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Loose(pub Option<String>);

impl Loose {
    /// The value as a string slice, if any (empty strings count as none).
    pub fn as_str(&self) -> Option<&str> {
        self.0.as_deref().filter(|s| !s.is_empty())
    }

    /// The value as an owned string, if any.
    pub fn to_opt(&self) -> Option<String> {
        self.as_str().map(str::to_string)
    }

    /// The value parsed as an unsigned integer, if it is one.
    pub fn as_u64(&self) -> Option<u64> {
        self.as_str().and_then(|s| s.trim().parse().ok())
    }

    /// The value as a decimal number (plain or scientific notation).
    pub fn as_decimal(&self) -> Option<Decimal> {
        self.as_str().and_then(parse_decimal)
    }
}

impl<'de> Deserialize<'de> for Loose {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Loose(match Value::deserialize(d)? {
            Value::Null => None,
            Value::String(s) => Some(s),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            other => Some(other.to_string()),
        }))
    }
}

/// Parse a decimal from its plain or scientific string form.
pub fn parse_decimal(s: &str) -> Option<Decimal> {
    let s = s.trim();
    Decimal::from_str(s)
        .ok()
        .or_else(|| Decimal::from_scientific(s).ok())
}

/// An amount in fen (cents, 1/100 yuan) as a decimal amount in yuan.
pub fn cents_to_yuan(cents: Decimal) -> Decimal {
    (cents / Decimal::ONE_HUNDRED).normalize()
}

/// China Standard Time, the zone of Tencent Cloud's zone-less timestamps.
fn cst() -> Option<FixedOffset> {
    FixedOffset::east_opt(8 * 3600)
}

/// Parse a Tencent Cloud timestamp.
///
/// Accepts RFC 3339 (`2020-09-22T00:00:00+00:00`, `2016-12-02T00:22:40Z`,
/// used by CVM and VPC addresses) and the zone-less
/// `YYYY-MM-DD HH:MM:SS` form (CBS, VPC, CAM, Billing), which the consoles
/// show in Beijing time and is read as UTC+8. Empty or unparseable values
/// give `None`.
pub fn parse_time(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    if s.is_empty() || s.starts_with("0000") {
        return None;
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(s, fmt) {
            return cst()
                .and_then(|tz| tz.from_local_datetime(&naive).single())
                .map(|t| t.with_timezone(&Utc));
        }
    }
    None
}

/// Parse an optional timestamp field.
pub fn opt_time(s: &Option<String>) -> Option<Timestamp> {
    s.as_deref().and_then(parse_time)
}

/// A `{Key, Value}` tag (CVM, CBS, VPC, CAM).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Tag {
    /// Tag key.
    #[serde(rename = "Key", default)]
    pub key: Loose,
    /// Tag value.
    #[serde(rename = "Value", default)]
    pub value: Loose,
}

/// Tags as the normalized sorted map (empty keys dropped).
pub fn tags_to_map(tags: &[Tag]) -> Tags {
    tags.iter()
        .filter_map(|t| {
            t.key
                .to_opt()
                .map(|k| (k, t.value.0.clone().unwrap_or_default()))
        })
        .collect()
}

/// A trimmed non-empty string, or `None`.
pub fn non_empty(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The largest page size of the Offset/Limit APIs (CVM, CBS, VPC).
pub const MAX_LIMIT: u32 = 100;

/// Clamp a requested page size to `1..=max`, defaulting to `max`.
pub fn page_size(requested: Option<u32>, max: u32) -> u32 {
    requested.map_or(max, |n| n.clamp(1, max))
}

/// A `{"Name": ..., "Values": [...]}` filter.
pub fn filter(name: &str, values: &[String]) -> Value {
    json!({ "Name": name, "Values": values })
}

/// `tag:<key>` filters for every tag (the CVM/CBS/VPC tag filter syntax).
pub fn tag_filters(tags: &Tags) -> Vec<Value> {
    tags.iter()
        .map(|(k, v)| filter(&format!("tag:{k}"), std::slice::from_ref(v)))
        .collect()
}

/// Tags as a `[{"Key", "Value"}]` list.
pub fn tag_list(tags: &Tags) -> Vec<Value> {
    tags.iter()
        .map(|(k, v)| json!({ "Key": k, "Value": v }))
        .collect()
}

/// Standard base64 (RFC 4648, with padding), for `UserData`.
pub fn base64_encode(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let idx = [(n >> 18) & 63, (n >> 12) & 63, (n >> 6) & 63, n & 63];
        for (i, ix) in idx.iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[*ix as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A page of an Offset/Limit (or Page/Rp) list response: its items and the
/// total the API reports, for the shared pagers.
pub trait OffsetPage {
    /// The item type.
    type Item;
    /// `TotalCount` / `TotalNum` / `Total`, when the response carries it.
    fn total(&self) -> Option<u64>;
    /// The items of this page.
    fn into_items(self) -> Vec<Self::Item>;
}

/// Implement [`OffsetPage`] for a response type from its total and list fields.
macro_rules! offset_page {
    ($resp:ty, $item:ty, $total:ident, $list:ident) => {
        impl $crate::tencent::wire::OffsetPage for $resp {
            type Item = $item;
            fn total(&self) -> Option<u64> {
                self.$total
            }
            fn into_items(self) -> Vec<$item> {
                self.$list
            }
        }
    };
}
pub(crate) use offset_page;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loose_accepts_every_scalar() {
        let v: Vec<Loose> = serde_json::from_str(r#"["a", 12, 1.5, true, null, ""]"#).unwrap();
        assert_eq!(v[0].as_str(), Some("a"));
        assert_eq!(v[1].as_u64(), Some(12));
        assert_eq!(v[2].as_decimal(), Decimal::from_str("1.5").ok());
        assert_eq!(v[3].as_str(), Some("true"));
        assert_eq!(v[4].as_str(), None);
        assert_eq!(v[5].as_str(), None);
    }

    #[test]
    fn times() {
        let t = parse_time("2020-09-22T00:00:00+00:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2020-09-22T00:00:00+00:00");
        let t = parse_time("2016-12-02T00:22:40Z").unwrap();
        assert_eq!(t.to_rfc3339(), "2016-12-02T00:22:40+00:00");
        // Zone-less times are Beijing time.
        let t = parse_time("2018-09-26 17:36:07").unwrap();
        assert_eq!(t.to_rfc3339(), "2018-09-26T09:36:07+00:00");
        assert!(parse_time("").is_none());
        assert!(parse_time("0000-00-00 00:00:00").is_none());
        assert!(parse_time("yesterday").is_none());
    }

    #[test]
    fn money() {
        assert_eq!(
            cents_to_yuan(Decimal::from(10000000000i64)).to_string(),
            "100000000"
        );
        assert_eq!(cents_to_yuan(Decimal::from(12345)).to_string(), "123.45");
        assert_eq!(parse_decimal("1e3"), Some(Decimal::from(1000)));
        assert_eq!(parse_decimal("x"), None);
    }

    #[test]
    fn base64() {
        assert_eq!(base64_encode(b""), "");
        assert_eq!(base64_encode(b"f"), "Zg==");
        assert_eq!(base64_encode(b"fo"), "Zm8=");
        assert_eq!(base64_encode(b"foo"), "Zm9v");
        assert_eq!(
            base64_encode(b"#!/bin/sh\necho hi\n"),
            "IyEvYmluL3NoCmVjaG8gaGkK"
        );
    }

    #[test]
    fn helpers() {
        assert_eq!(page_size(None, 100), 100);
        assert_eq!(page_size(Some(0), 100), 1);
        assert_eq!(page_size(Some(500), 100), 100);
        let mut tags = Tags::new();
        tags.insert("env".into(), "prod".into());
        assert_eq!(
            tag_filters(&tags),
            vec![json!({"Name": "tag:env", "Values": ["prod"]})]
        );
        assert_eq!(
            tag_list(&tags),
            vec![json!({"Key": "env", "Value": "prod"})]
        );
        let parsed: Vec<Tag> =
            serde_json::from_str(r#"[{"Key":"a","Value":"b"},{"Key":"","Value":"x"}]"#).unwrap();
        assert_eq!(tags_to_map(&parsed).len(), 1);
    }
}
