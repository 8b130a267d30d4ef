//! Keeping credentials out of `Debug` output: which header and query names
//! carry one (a session token, a signature, an `Authorization` value) and
//! name/value lists with those values masked. Providers use these for their
//! signing inputs and results; the model uses them for presigned requests.

/// What a masked value prints as.
pub const MASK: &str = "***";

/// Whether a header or query parameter named `name` carries a credential:
/// `Authorization`, or any name containing `token`, `signature` or
/// `security` (case-insensitive). This covers every cloud's session-token
/// header (`x-acs-security-token`, `x-oss-security-token`,
/// `x-cos-security-token`, `x-tc-token`, `X-Amz-Security-Token`,
/// `security-token`) and signature parameter (`Signature`,
/// `x-oss-signature`, `q-signature`, `X-Amz-Signature`); it errs towards
/// masking (`SignatureNonce` is masked too).
pub fn is_credential_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n == "authorization"
        || ["token", "signature", "security"]
            .iter()
            .any(|w| n.contains(w))
}

/// `pairs` with the values of credential names replaced by [`MASK`].
pub fn masked_pairs<'a, K, V>(
    pairs: impl IntoIterator<Item = (&'a K, &'a V)>,
) -> Vec<(&'a str, &'a str)>
where
    K: AsRef<str> + ?Sized + 'a,
    V: AsRef<str> + ?Sized + 'a,
{
    pairs
        .into_iter()
        .map(|(k, v)| {
            let k = k.as_ref();
            (
                k,
                if is_credential_name(k) {
                    MASK
                } else {
                    v.as_ref()
                },
            )
        })
        .collect()
}

/// A `name=value&name=value` text (a query string, or each line of a
/// signed `HttpString`) with the values of credential names masked.
pub fn masked_query(text: &str) -> String {
    text.split('\n')
        .map(|line| {
            line.split('&')
                .map(|kv| match kv.split_once('=') {
                    Some((k, _)) if is_credential_name(k) => format!("{k}={MASK}"),
                    _ => kv.to_string(),
                })
                .collect::<Vec<_>>()
                .join("&")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_clouds_token_and_signature_names_are_credentials() {
        for n in [
            "Authorization",
            "x-acs-security-token",
            "x-oss-security-token",
            "security-token",
            "x-cos-security-token",
            "X-TC-Token",
            "X-Amz-Security-Token",
            "Signature",
            "x-oss-signature",
            "q-signature",
            "X-Amz-Signature",
        ] {
            assert!(is_credential_name(n), "{n}");
        }
        for n in ["Content-Type", "Host", "x-oss-date", "q-ak", "Expires"] {
            assert!(!is_credential_name(n), "{n}");
        }
    }

    #[test]
    fn masking_keeps_names_and_other_values() {
        let pairs = [
            ("host".to_string(), "h".to_string()),
            ("x-tc-token".to_string(), "TOK".to_string()),
        ];
        let shown = masked_pairs(pairs.iter().map(|(k, v)| (k, v)));
        assert_eq!(shown, [("host", "h"), ("x-tc-token", MASK)]);
        assert_eq!(
            masked_query("a=1&q-signature=SIG\nx-cos-security-token=TOK&b=2"),
            "a=1&q-signature=***\nx-cos-security-token=***&b=2"
        );
    }
}
