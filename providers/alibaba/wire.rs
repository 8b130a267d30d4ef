//! Serde helpers shared by the Alibaba wire types.
//!
//! Alibaba's JSON is loose: the same field is a number in one API and a
//! string in another (and in the docs' examples), lists come wrapped
//! (`{"Instances":{"Instance":[...]}}`), and fields come and go between API
//! versions. These helpers make every field optional and lenient, so an
//! absent or oddly typed field never fails a whole page.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::model::Tags;

/// RPC request parameters, in insertion order (the signer sorts them).
pub type Params = Vec<(String, String)>;

/// Append `key=value`.
pub fn push(p: &mut Params, key: &str, value: impl ToString) {
    p.push((key.to_string(), value.to_string()));
}

/// Append `key=value` when `value` is `Some` and not empty.
pub fn push_opt<T: ToString>(p: &mut Params, key: &str, value: Option<T>) {
    if let Some(v) = value {
        let s = v.to_string();
        if !s.is_empty() {
            p.push((key.to_string(), s));
        }
    }
}

/// Append tags as `Tag.N.Key` / `Tag.N.Value` (1-based), the RPC flattening.
pub fn push_tags(p: &mut Params, tags: &Tags) {
    for (i, (k, v)) in tags.iter().enumerate() {
        push(p, &format!("Tag.{}.Key", i + 1), k);
        push(p, &format!("Tag.{}.Value", i + 1), v);
    }
}

/// Append a list as `Name.N` (1-based), the RPC flattening of repeat lists.
pub fn push_list(p: &mut Params, name: &str, items: &[String]) {
    for (i, v) in items.iter().enumerate() {
        push(p, &format!("{name}.{}", i + 1), v);
    }
}

/// A JSON array string (`["a","b"]`), the form some RPC list filters take
/// (`InstanceIds`, `DiskIds`, `SecurityGroupIds`).
pub fn json_array(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".to_string())
}

/// Decode a JSON response body into `T`, as a [`crate::ErrorKind::Decode`]
/// error (with the action named) when it does not fit. The error names the
/// position only, never a value from the body (AssumeRole bodies hold keys).
pub fn decode<T: for<'de> Deserialize<'de>>(action: &str, body: &[u8]) -> Result<T> {
    serde_json::from_slice(body).map_err(|e| {
        Error::decode(format!(
            "{action}: response does not match the vendor's shape ({:?} error at line {} column {})",
            e.classify(),
            e.line(),
            e.column()
        ))
        .with_provider("alibaba")
        .with_action(action)
    })
}

fn value_to_string(v: Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        other => Some(other.to_string()),
    }
}

/// A string, or a number/bool rendered as one; `null` and absent are `None`.
pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    Ok(v.and_then(value_to_string))
}

/// An integer from a number or a numeric string; anything else is `None`.
pub fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    Ok(match v {
        Some(Value::Number(n)) => n
            .as_u64()
            .or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)),
        Some(Value::String(s)) => s.trim().parse::<u64>().ok(),
        _ => None,
    })
}

/// A float from a number or a numeric string; anything else is `None`.
pub fn opt_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    Ok(match v {
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
        _ => None,
    })
}

/// A boolean from `true`/`false`, `"true"`/`"false"` or 0/1.
pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    Ok(match v {
        Some(Value::Bool(b)) => Some(b),
        Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        Some(Value::Number(n)) => n.as_u64().map(|x| x != 0),
        _ => None,
    })
}

/// A money amount from a string (`"10,000.00"` included) or a number, kept
/// exact: numbers go through their shortest decimal rendering, never through
/// float arithmetic.
pub fn opt_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    Ok(match v {
        Some(Value::Number(n)) => parse_decimal(&n.to_string()),
        Some(Value::String(s)) => parse_decimal(&s),
        _ => None,
    })
}

/// Parse a decimal, ignoring thousands separators and surrounding spaces.
pub fn parse_decimal(s: &str) -> Option<Decimal> {
    let cleaned: String = s.trim().chars().filter(|c| *c != ',').collect();
    if cleaned.is_empty() {
        return None;
    }
    cleaned
        .parse::<Decimal>()
        .ok()
        .or_else(|| Decimal::from_scientific(&cleaned).ok())
}

/// A list that may be absent, `null`, a single object, or an array; items
/// that do not fit `T` are skipped rather than failing the page.
pub fn lenient_vec<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: for<'a> Deserialize<'a>,
{
    let v = Option::<Value>::deserialize(d)?;
    Ok(match v {
        Some(Value::Array(items)) => items
            .into_iter()
            .filter_map(|i| serde_json::from_value(i).ok())
            .collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(other) => serde_json::from_value(other).ok().into_iter().collect(),
    })
}

/// A list of strings that may be absent, a single string, or an array.
pub fn string_vec<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    Ok(match v {
        Some(Value::Array(items)) => items.into_iter().filter_map(value_to_string).collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(other) => value_to_string(other).into_iter().collect(),
    })
}

/// Parse the time formats Alibaba APIs use: RFC 3339 (`2015-01-23T12:33:18Z`,
/// `2014-02-17T18:12:43.000Z`), ECS's minute precision (`2017-12-10T04:04Z`),
/// and a bare date (`2021-01-01`, taken as midnight UTC).
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%dT%H:%MZ", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d %H:%M:%S"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(t.and_utc());
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

/// [`parse_time`] over an optional string.
pub fn time_of(s: &Option<String>) -> Option<DateTime<Utc>> {
    s.as_deref().and_then(parse_time)
}

/// An ECS-style tag (`TagKey`/`TagValue`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct EcsTag {
    /// Tag key.
    #[serde(rename = "TagKey", default, deserialize_with = "opt_string")]
    pub key: Option<String>,
    /// Tag value.
    #[serde(rename = "TagValue", default, deserialize_with = "opt_string")]
    pub value: Option<String>,
}

/// `{"Tag":[...]}` of ECS-style tags.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct EcsTags {
    /// The tags.
    #[serde(rename = "Tag", default, deserialize_with = "lenient_vec")]
    pub tag: Vec<EcsTag>,
}

impl EcsTags {
    /// As normalized tags (entries without a key are dropped).
    pub fn to_tags(&self) -> Tags {
        self.tag
            .iter()
            .filter_map(|t| {
                t.key
                    .clone()
                    .map(|k| (k, t.value.clone().unwrap_or_default()))
            })
            .collect()
    }
}

/// A VPC-style tag (`Key`/`Value`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct KvTag {
    /// Tag key.
    #[serde(rename = "Key", default, deserialize_with = "opt_string")]
    pub key: Option<String>,
    /// Tag value.
    #[serde(rename = "Value", default, deserialize_with = "opt_string")]
    pub value: Option<String>,
}

/// `{"Tag":[...]}` of VPC-style tags.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct KvTags {
    /// The tags.
    #[serde(rename = "Tag", default, deserialize_with = "lenient_vec")]
    pub tag: Vec<KvTag>,
}

impl KvTags {
    /// As normalized tags (entries without a key are dropped).
    pub fn to_tags(&self) -> Tags {
        self.tag
            .iter()
            .filter_map(|t| {
                t.key
                    .clone()
                    .map(|k| (k, t.value.clone().unwrap_or_default()))
            })
            .collect()
    }
}

/// `{"IpAddress":[...]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct IpAddressSet {
    /// The addresses.
    #[serde(rename = "IpAddress", default, deserialize_with = "string_vec")]
    pub ip_address: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Probe {
        #[serde(default, deserialize_with = "opt_u64")]
        n: Option<u64>,
        #[serde(default, deserialize_with = "opt_string")]
        s: Option<String>,
        #[serde(default, deserialize_with = "opt_decimal")]
        d: Option<Decimal>,
        #[serde(default, deserialize_with = "opt_bool")]
        b: Option<bool>,
        #[serde(default, deserialize_with = "lenient_vec")]
        v: Vec<EcsTag>,
    }

    #[test]
    fn lenient_fields() {
        let p: Probe = serde_json::from_str(
            r#"{"n":"42","s":7,"d":"10,000.50","b":"true","v":{"TagKey":"k"}}"#,
        )
        .unwrap();
        assert_eq!(p.n, Some(42));
        assert_eq!(p.s.as_deref(), Some("7"));
        assert_eq!(p.d, Some(Decimal::new(1000050, 2)));
        assert_eq!(p.b, Some(true));
        assert_eq!(p.v.len(), 1);
        let p: Probe = serde_json::from_str(r#"{"n":"x","d":0.1,"v":null}"#).unwrap();
        assert_eq!(p.n, None);
        assert_eq!(p.d, Some(Decimal::new(1, 1)));
        assert!(p.v.is_empty());
        let p: Probe = serde_json::from_str("{}").unwrap();
        assert_eq!((p.n, p.s, p.d, p.b), (None, None, None, None));
    }

    #[test]
    fn decode_errors_do_not_echo_values() {
        #[derive(Debug, Deserialize)]
        struct S {
            #[serde(rename = "AccessKeySecret")]
            _secret: String,
        }
        let e = decode::<S>("AssumeRole", br#"{"AccessKeySecret": 12345678}"#).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Decode);
        assert!(!e.to_string().contains("12345678"), "{e}");
        assert_eq!(e.context().action.as_deref(), Some("AssumeRole"));
    }

    #[test]
    fn times() {
        use chrono::TimeZone;
        let t = |y, mo, d, h, mi, s| Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap();
        assert_eq!(
            parse_time("2017-12-10T04:04Z"),
            Some(t(2017, 12, 10, 4, 4, 0))
        );
        assert_eq!(
            parse_time("2015-01-23T12:33:18Z"),
            Some(t(2015, 1, 23, 12, 33, 18))
        );
        assert_eq!(
            parse_time("2014-02-17T18:12:43.000Z"),
            Some(t(2014, 2, 17, 18, 12, 43))
        );
        assert_eq!(parse_time("2021-01-01"), Some(t(2021, 1, 1, 0, 0, 0)));
        assert_eq!(parse_time(""), None);
        assert_eq!(parse_time("soon"), None);
    }

    #[test]
    fn params() {
        let mut p = Params::new();
        let mut tags = Tags::new();
        tags.insert("env".into(), "prod".into());
        push_tags(&mut p, &tags);
        push_list(&mut p, "SecurityGroupIds", &["sg-1".into(), "sg-2".into()]);
        push_opt(&mut p, "Empty", Some(""));
        push_opt::<String>(&mut p, "None", None);
        assert_eq!(
            p,
            vec![
                ("Tag.1.Key".to_string(), "env".to_string()),
                ("Tag.1.Value".into(), "prod".into()),
                ("SecurityGroupIds.1".into(), "sg-1".into()),
                ("SecurityGroupIds.2".into(), "sg-2".into()),
            ]
        );
        assert_eq!(
            json_array(&["i-1".into(), "i-2".into()]),
            r#"["i-1","i-2"]"#
        );
    }
}
