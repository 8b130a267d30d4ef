//! Serde helpers of the accounts file: friendlier type errors, scalar
//! provider options, and masking of secret-looking values.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};

use crate::model::ProviderKind;

/// `provider = "aliyun"`: every name [`ProviderKind`]'s `FromStr` knows.
pub(super) fn provider<'de, D: Deserializer<'de>>(d: D) -> Result<ProviderKind, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = ProviderKind;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a provider name (alibaba, huawei, tencent, aws, azure, openstack)")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<ProviderKind, E> {
            v.parse::<ProviderKind>()
                .map_err(|e| E::custom(e.message().to_string()))
        }
    }
    d.deserialize_str(V)
}

/// A list of strings, with the error `expected an array of strings`.
pub(super) fn string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an array of strings")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<String>, A::Error> {
            let mut out = Vec::new();
            while let Some(s) = seq.next_element::<String>()? {
                out.push(s);
            }
            Ok(out)
        }
    }
    d.deserialize_seq(V)
}

/// One option value: a string, integer, float or boolean, kept as a string.
struct Scalar(String);

impl<'de> serde::Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, number or boolean")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// `[account.options]`: a table of scalars.
pub(super) fn options<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, String>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = BTreeMap<String, String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a table of strings, numbers or booleans")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some((k, Scalar(v))) = map.next_entry::<String, Scalar>()? {
                out.insert(k, v);
            }
            Ok(out)
        }
    }
    d.deserialize_map(V)
}

/// Whether a provider option key names a secret (`password`, `token`,
/// `client_secret`, `account_key`, ...); its value is then masked.
pub fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    [
        "secret",
        "password",
        "passwd",
        "token",
        "private_key",
        "account_key",
        "api_key",
        "sas",
        "credential",
    ]
    .iter()
    .any(|w| k.contains(w))
}

fn masked<'a>(key: &str, value: &'a str) -> &'a str {
    if is_secret_key(key) { "***" } else { value }
}

/// Debug view of options with secret-looking values masked.
pub(super) struct RedactedOptions<'a>(pub &'a BTreeMap<String, String>);

impl fmt::Debug for RedactedOptions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.0.iter().map(|(k, v)| (k, masked(k, v))))
            .finish()
    }
}

pub(super) fn ser_options<S: Serializer>(
    options: &BTreeMap<String, String>,
    s: S,
) -> Result<S::Ok, S::Error> {
    let mut m = s.serialize_map(Some(options.len()))?;
    for (k, v) in options {
        m.serialize_entry(k, masked(k, v))?;
    }
    m.end()
}

/// A URL with its password (if any) replaced by `***`. Text that does not
/// parse as a URL but has a user-info part is masked entirely.
pub fn redact_url(text: &str) -> String {
    match url::Url::parse(text) {
        Ok(mut u) => {
            if u.password().is_some() && u.set_password(Some("***")).is_err() {
                return "***".to_string();
            }
            u.to_string()
        }
        Err(_) if text.contains('@') => "***".to_string(),
        Err(_) => text.to_string(),
    }
}

pub(super) fn ser_proxy<S: Serializer>(proxy: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    match proxy {
        Some(p) => s.serialize_some(&redact_url(p)),
        None => s.serialize_none(),
    }
}
