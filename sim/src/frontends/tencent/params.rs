//! Request parameters of API 3.0 calls: a JSON body (POST) or flattened
//! `Name.N.Field=value` pairs (GET query or form body), read the same way.

use serde_json::{Map, Value};

use super::errors::ApiError;

/// The parameters of one call, as a JSON object.
#[derive(Debug, Clone, Default)]
pub(crate) struct Params(pub(crate) Value);

/// Most items one page may hold (`Limit` above this is rejected).
pub(crate) const MAX_LIMIT: u64 = 100;

impl Params {
    /// Parameters from a JSON body.
    pub(crate) fn from_json(body: &[u8]) -> Result<Self, ApiError> {
        if body.iter().all(|b| b.is_ascii_whitespace()) {
            return Ok(Params(Value::Object(Map::new())));
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(v @ Value::Object(_)) => Ok(Params(v)),
            _ => Err(ApiError::new(
                "InvalidParameter",
                "The request body is not a JSON object.",
            )),
        }
    }

    /// Parameters from flattened pairs (`Filters.0.Values.1=x`).
    pub(crate) fn from_pairs(pairs: &[(String, String)]) -> Self {
        let mut root = Value::Object(Map::new());
        for (k, v) in pairs {
            let segs: Vec<&str> = k.split('.').collect();
            insert(&mut root, &segs, v);
        }
        Params(root)
    }

    fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }

    /// A string (numbers and booleans are written as text).
    pub(crate) fn str(&self, key: &str) -> Option<String> {
        match self.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// A required string.
    pub(crate) fn req_str(&self, key: &str) -> Result<String, ApiError> {
        self.str(key)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| ApiError::missing(key))
    }

    /// An unsigned integer (a JSON number or numeric text).
    pub(crate) fn u64(&self, key: &str) -> Result<Option<u64>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) => n.as_u64().map(Some).ok_or_else(|| bad_int(key)),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| bad_int(key)),
            Some(_) => Err(bad_int(key)),
        }
    }

    /// A boolean (`true`/`false`, or `1`/`0`).
    pub(crate) fn bool(&self, key: &str) -> Option<bool> {
        match self.get(key)? {
            Value::Bool(b) => Some(*b),
            Value::Number(n) => Some(n.as_i64() != Some(0)),
            Value::String(s) => Some(s == "true" || s == "TRUE" || s == "1"),
            _ => None,
        }
    }

    /// A list of strings (a single string counts as a list of one).
    pub(crate) fn strings(&self, key: &str) -> Vec<String> {
        match self.get(key) {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|v| match v {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .collect(),
            Some(Value::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        }
    }

    /// A nested object (empty when absent).
    pub(crate) fn obj(&self, key: &str) -> Params {
        match self.get(key) {
            Some(v @ Value::Object(_)) => Params(v.clone()),
            _ => Params::default(),
        }
    }

    /// A list of nested objects.
    pub(crate) fn list(&self, key: &str) -> Vec<Params> {
        match self.get(key) {
            Some(Value::Array(a)) => a
                .iter()
                .filter(|v| v.is_object())
                .map(|v| Params(v.clone()))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// `Filters` as (name, values) pairs.
    pub(crate) fn filters(&self) -> Vec<(String, Vec<String>)> {
        self.list("Filters")
            .into_iter()
            .filter_map(|f| Some((f.str("Name")?, f.strings("Values"))))
            .collect()
    }

    /// `Tags` (or another key) as `[{Key, Value}]` pairs.
    pub(crate) fn tags(&self, key: &str) -> Vec<(String, String)> {
        self.list(key)
            .into_iter()
            .filter_map(|t| Some((t.str("Key")?, t.str("Value").unwrap_or_default())))
            .collect()
    }

    /// `Offset` and `Limit` with the API's default limit; `Limit` over 100
    /// is `InvalidParameterValue.Range` as on the real API.
    pub(crate) fn offset_limit(&self, default_limit: u64) -> Result<(usize, usize), ApiError> {
        self.offset_limit_max(default_limit, MAX_LIMIT)
    }

    /// [`Params::offset_limit`] for the APIs whose documented maximum is not
    /// 100 (Billing `DescribeBillDetail`: 300).
    pub(crate) fn offset_limit_max(
        &self,
        default_limit: u64,
        max: u64,
    ) -> Result<(usize, usize), ApiError> {
        let offset = self.u64("Offset")?.unwrap_or(0);
        let limit = self.u64("Limit")?.unwrap_or(default_limit);
        if limit > max {
            return Err(ApiError::new(
                "InvalidParameterValue.Range",
                &format!("The value of `Limit` {limit} is out of range [0, {max}]."),
            ));
        }
        Ok((to_usize(offset), to_usize(limit)))
    }

    /// CAM's `Page` (1-based) and `Rp` (page size, at most `max`).
    pub(crate) fn page_rp(&self, max: u64) -> Result<(usize, usize), ApiError> {
        let page = self.u64("Page")?.unwrap_or(1).max(1);
        let rp = self.u64("Rp")?.unwrap_or(20);
        if rp == 0 || rp > max {
            return Err(ApiError::new(
                "InvalidParameter.ParamError",
                &format!("Rp must be in [1, {max}]."),
            ));
        }
        let rp = to_usize(rp);
        Ok((to_usize(page - 1).saturating_mul(rp), rp))
    }
}

fn to_usize(v: u64) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX)
}

fn bad_int(key: &str) -> ApiError {
    ApiError::new(
        "InvalidParameterValue",
        &format!("The value of `{key}` is not a valid integer."),
    )
}

/// One page out of `items`: (page, total).
pub(crate) fn page<T>(items: Vec<T>, offset: usize, limit: usize) -> (Vec<T>, usize) {
    let total = items.len();
    let page = items.into_iter().skip(offset).take(limit).collect();
    (page, total)
}

fn insert(node: &mut Value, segs: &[&str], v: &str) {
    let Some((first, rest)) = segs.split_first() else {
        return;
    };
    if let Ok(i) = first.parse::<usize>() {
        if !node.is_array() {
            *node = Value::Array(Vec::new());
        }
        if let Value::Array(a) = node {
            if i > 10_000 {
                return;
            }
            while a.len() <= i {
                a.push(Value::Null);
            }
            if rest.is_empty() {
                a[i] = Value::String(v.to_string());
            } else {
                insert(&mut a[i], rest, v);
            }
        }
    } else {
        if !node.is_object() {
            *node = Value::Object(Map::new());
        }
        if let Value::Object(m) = node {
            if rest.is_empty() {
                m.insert((*first).to_string(), Value::String(v.to_string()));
            } else {
                insert(
                    m.entry((*first).to_string()).or_insert(Value::Null),
                    rest,
                    v,
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flattened_pairs_nest() {
        let p = Params::from_pairs(&[
            ("InstanceIds.0".into(), "ins-1".into()),
            ("InstanceIds.1".into(), "ins-2".into()),
            ("Filters.0.Name".into(), "zone".into()),
            ("Filters.0.Values.0".into(), "ap-guangzhou-3".into()),
            ("Placement.Zone".into(), "z".into()),
            ("Limit".into(), "5".into()),
        ]);
        assert_eq!(p.strings("InstanceIds"), vec!["ins-1", "ins-2"]);
        assert_eq!(
            p.filters(),
            vec![("zone".to_string(), vec!["ap-guangzhou-3".to_string()])]
        );
        assert_eq!(p.obj("Placement").str("Zone").as_deref(), Some("z"));
        assert_eq!(p.offset_limit(20).unwrap(), (0, 5));
    }

    #[test]
    fn limit_over_100_is_rejected() {
        let p = Params::from_json(br#"{"Limit": 101, "Offset": "3"}"#).unwrap();
        assert_eq!(
            p.offset_limit(20).unwrap_err().code,
            "InvalidParameterValue.Range"
        );
        let p = Params::from_json(br#"{"Limit": 100, "Offset": "3"}"#).unwrap();
        assert_eq!(p.offset_limit(20).unwrap(), (3, 100));
        assert!(Params::from_json(b"[1]").is_err());
        assert_eq!(page(vec![1, 2, 3, 4, 5], 3, 10), (vec![4, 5], 5));
    }
}
