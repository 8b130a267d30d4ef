//! Credential providers that need HTTP: the CVM instance role (metadata
//! service) and STS `AssumeRole`, plus [`credential_provider`], which picks
//! the source an account's `credentials` section names.
//!
//! Temporary credentials are wrapped in a [`CachingProvider`], which
//! refreshes them five minutes before they expire (the vendor SDKs refresh
//! at 300 s as well: a signature with an expired token fails).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;

use super::client::{CallKind, TencentClient};
use super::config::{self, Endpoints};
use super::iam::{AssumeRoleResponse, assume_role_params, credentials_from_assume_role};
use crate::config::{AccountConfig, CredentialConfig, CredentialSourceKind};
use crate::credentials::{
    CachingProvider, CredentialProvider, Credentials, Secret, StaticCredentials,
};
use crate::error::{Error, ErrorKind, Result};
use crate::transport::Transport;

/// The CVM metadata service's base URL (vendor SDK `CVMRoleCredential`).
pub const METADATA_URL: &str = "http://metadata.tencentyun.com/latest/meta-data/";

/// Default lifetime asked of `AssumeRole` (the vendor SDK's default).
pub const ASSUME_ROLE_DURATION_SECS: u32 = 7200;

/// The STS region the vendor SDK uses when none is given.
pub const STS_DEFAULT_REGION: &str = "ap-guangzhou";

/// The signer's credentials as core credentials.
pub fn core_credentials(c: config::Credentials) -> Credentials {
    Credentials {
        access_key_id: c.secret_id,
        secret: c.secret_key,
        session_token: c.token,
        expires_at: c.expires_at,
    }
}

/// The body of `cam/security-credentials/<role>`.
#[derive(Debug, Deserialize)]
struct MetadataCredentials {
    #[serde(rename = "Code", default)]
    code: Option<String>,
    #[serde(rename = "TmpSecretId", default)]
    tmp_secret_id: String,
    #[serde(rename = "TmpSecretKey", default)]
    tmp_secret_key: Secret,
    #[serde(rename = "Token", default)]
    token: Secret,
    #[serde(rename = "ExpiredTime", default)]
    expired_time: Option<i64>,
}

/// Parse the metadata service's credential document (`Code` must be
/// `Success`; `ExpiredTime` is Unix seconds).
pub fn parse_metadata_credentials(body: &[u8]) -> Result<Credentials> {
    let m: MetadataCredentials = serde_json::from_slice(body).map_err(|e| {
        Error::decode(format!(
            "CVM role credentials are not the expected JSON: {e}"
        ))
    })?;
    if m.code.as_deref() != Some("Success") {
        return Err(Error::new(
            ErrorKind::Unauthenticated,
            format!(
                "the CVM metadata service refused role credentials (Code {:?})",
                m.code.unwrap_or_default()
            ),
        ));
    }
    if m.tmp_secret_id.is_empty() || m.tmp_secret_key.is_empty() || m.token.is_empty() {
        return Err(Error::decode("CVM role credentials are empty"));
    }
    let mut c = Credentials::new(m.tmp_secret_id, m.tmp_secret_key).with_session_token(m.token);
    if let Some(t) = m
        .expired_time
        .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
    {
        c = c.with_expiry(t);
    }
    Ok(c)
}

/// Credentials of the CAM role bound to the CVM instance this runs on,
/// from the metadata service. The role name is asked of the service when
/// not given.
#[derive(Debug, Clone)]
pub struct MetadataRoleProvider {
    client: reqwest::Client,
    base_url: String,
    role: Option<String>,
}

impl MetadataRoleProvider {
    /// A provider reading `base_url` (normally [`METADATA_URL`]) through `client`.
    pub fn new(client: reqwest::Client, base_url: impl Into<String>, role: Option<String>) -> Self {
        let mut base_url = base_url.into();
        if !base_url.ends_with('/') {
            base_url.push('/');
        }
        MetadataRoleProvider {
            client,
            base_url,
            role: role.filter(|r| !r.trim().is_empty()),
        }
    }

    async fn get(&self, url: &str) -> Result<bytes::Bytes> {
        let unavailable = |e: String| {
            Error::new(
                ErrorKind::Unavailable,
                format!("CVM metadata service: {e} (is this a CVM instance with a role?)"),
            )
        };
        let r = self
            .client
            .get(url)
            .timeout(Duration::from_secs(2))
            .send()
            .await
            .map_err(|e| unavailable(e.without_url().to_string()))?;
        let status = r.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Err(Error::new(
                ErrorKind::Unauthenticated,
                "the CVM instance has no CAM role bound (metadata answered 404)",
            ));
        }
        if !status.is_success() {
            return Err(unavailable(format!("HTTP {}", status.as_u16())));
        }
        r.bytes()
            .await
            .map_err(|e| unavailable(e.without_url().to_string()))
    }
}

#[async_trait]
impl CredentialProvider for MetadataRoleProvider {
    async fn credentials(&self) -> Result<Credentials> {
        let list = format!("{}cam/security-credentials/", self.base_url);
        let role = match &self.role {
            Some(r) => r.clone(),
            None => {
                let body = self.get(&list).await?;
                String::from_utf8_lossy(&body)
                    .lines()
                    .map(str::trim)
                    .find(|l| !l.is_empty())
                    .map(str::to_string)
                    .ok_or_else(|| {
                        Error::new(
                            ErrorKind::Unauthenticated,
                            "the CVM instance has no CAM role bound",
                        )
                    })?
            }
        };
        let url = format!("{list}{}", super::sign::cos_encode(&role));
        parse_metadata_credentials(&self.get(&url).await?)
    }
}

/// Credentials of a CAM role assumed through STS `AssumeRole`, signed
/// with a base credential source.
#[derive(Debug, Clone)]
pub struct AssumeRoleProvider {
    sts: TencentClient,
    role_arn: String,
    session_name: String,
    duration_secs: u32,
    external_id: Option<String>,
    region: String,
}

impl AssumeRoleProvider {
    /// Assume `role_arn` (`qcs::cam::uin/<owner>:roleName/<name>`) with the
    /// base credentials of `sts`.
    pub fn new(sts: TencentClient, role_arn: impl Into<String>) -> Self {
        AssumeRoleProvider {
            sts,
            role_arn: role_arn.into(),
            session_name: "multicloud".into(),
            duration_secs: ASSUME_ROLE_DURATION_SECS,
            external_id: None,
            region: STS_DEFAULT_REGION.into(),
        }
    }

    /// The `RoleSessionName`.
    pub fn session_name(mut self, name: impl Into<String>) -> Self {
        self.session_name = name.into();
        self
    }

    /// The `ExternalId` the role's trust policy asks for.
    pub fn external_id(mut self, id: Option<String>) -> Self {
        self.external_id = id;
        self
    }

    /// Lifetime of the temporary credentials (seconds).
    pub fn duration_secs(mut self, secs: u32) -> Self {
        self.duration_secs = secs;
        self
    }

    /// The STS endpoint region.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
        self
    }
}

#[async_trait]
impl CredentialProvider for AssumeRoleProvider {
    async fn credentials(&self) -> Result<Credentials> {
        let params = assume_role_params(
            &self.role_arn,
            &self.session_name,
            self.duration_secs,
            self.external_id.as_deref(),
        );
        // AssumeRole changes nothing in the account: a read for the
        // read-only switch, and safe to retry.
        let r: AssumeRoleResponse = self
            .sts
            .call(
                "sts",
                "AssumeRole",
                Some(&self.region),
                params,
                CallKind::Read,
            )
            .await?;
        Ok(core_credentials(credentials_from_assume_role(
            &r,
            &self.role_arn,
        )?))
    }
}

/// The credential provider an account's `credentials` section names:
/// environment, profile file or static keys (resolved once, as the vendor
/// SDKs do); the CVM instance role (`instance_metadata`, role name in
/// `role_arn` or asked of the metadata service; `options.metadata_url`
/// overrides the service's URL); or `assume_role` (`role_arn`,
/// `role_session_name`, `external_id`, signed with the `base` source or the
/// default chain). Temporary credentials are cached and refreshed before
/// they expire.
pub fn credential_provider(
    account: &AccountConfig,
    cfg: &CredentialConfig,
    transport: &Transport,
    endpoints: &Endpoints,
) -> Result<Arc<dyn CredentialProvider>> {
    match cfg.source {
        CredentialSourceKind::InstanceMetadata => {
            let url = account
                .option("metadata_url")
                .unwrap_or(METADATA_URL)
                .to_string();
            let role = cfg.role_arn.clone().map(|r| {
                // Accept a full role ARN too: the name follows `roleName/`.
                r.rsplit_once("roleName/")
                    .map(|(_, n)| n.to_string())
                    .unwrap_or(r)
            });
            let p = MetadataRoleProvider::new(transport.client().clone(), url, role);
            Ok(Arc::new(CachingProvider::new(p)))
        }
        CredentialSourceKind::AssumeRole => {
            let role_arn = cfg
                .role_arn
                .clone()
                .filter(|r| !r.is_empty())
                .ok_or_else(|| {
                    Error::config(format!(
                        "account `{}`: credentials.source = \"assume_role\" needs role_arn",
                        account.name
                    ))
                })?;
            let base_cfg = cfg.base.as_deref().cloned().unwrap_or_default();
            if base_cfg.source == CredentialSourceKind::AssumeRole && base_cfg.base.is_none() {
                return Err(Error::config(format!(
                    "account `{}`: the base of assume_role cannot itself be assume_role without a base",
                    account.name
                )));
            }
            let base = credential_provider(account, &base_cfg, transport, endpoints)?;
            let sts = TencentClient::new(transport.clone(), base, endpoints.clone());
            let mut p = AssumeRoleProvider::new(sts, role_arn)
                .external_id(cfg.external_id.clone())
                .region(
                    account
                        .option("sts_region")
                        .unwrap_or(STS_DEFAULT_REGION)
                        .to_string(),
                );
            if let Some(n) = cfg.role_session_name.clone().filter(|n| !n.is_empty()) {
                p = p.session_name(n);
            }
            Ok(Arc::new(CachingProvider::new(p)))
        }
        _ => {
            let c = config::resolve_credentials(cfg)?;
            Ok(Arc::new(StaticCredentials::new(core_credentials(c))))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_document() {
        let body = br#"{"TmpSecretId":"AKIDtmp","TmpSecretKey":"sk","ExpiredTime":1615590047,"Expiration":"2021-03-12T23:00:47Z","Token":"tok","Code":"Success"}"#;
        let c = parse_metadata_credentials(body).unwrap();
        assert_eq!(c.access_key_id, "AKIDtmp");
        assert_eq!(c.secret.expose(), "sk");
        assert_eq!(c.session_token.as_ref().map(Secret::expose), Some("tok"));
        assert_eq!(c.expires_at.unwrap().timestamp(), 1615590047);
        let e = parse_metadata_credentials(br#"{"Code":"Failed"}"#).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unauthenticated);
        assert_eq!(
            parse_metadata_credentials(b"<html>").unwrap_err().kind(),
            ErrorKind::Decode
        );
    }

    /// A metadata service on a local port: the role list, then the role's
    /// credentials expiring `ttl` seconds from now. Counts requests.
    async fn metadata_server(ttl: i64) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let h = hits.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut s, _)) = l.accept().await else {
                    return;
                };
                h.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let mut buf = vec![0u8; 4096];
                let n = s.read(&mut buf).await.unwrap_or(0);
                let req = String::from_utf8_lossy(&buf[..n]).to_string();
                let path = req.split_whitespace().nth(1).unwrap_or("").to_string();
                let body = if path.ends_with("/security-credentials/") {
                    "cvm-role".to_string()
                } else if path.ends_with("/security-credentials/cvm-role") {
                    let exp = chrono::Utc::now().timestamp() + ttl;
                    format!(
                        r#"{{"TmpSecretId":"AKIDtmp","TmpSecretKey":"sk","ExpiredTime":{exp},"Token":"tok","Code":"Success"}}"#
                    )
                } else {
                    String::new()
                };
                let status = if body.is_empty() {
                    "404 Not Found"
                } else {
                    "200 OK"
                };
                let resp = format!(
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(resp.as_bytes()).await;
            }
        });
        (format!("http://{addr}/latest/meta-data/"), hits)
    }

    #[tokio::test]
    async fn metadata_role_is_discovered_cached_and_refreshed() {
        let (url, hits) = metadata_server(3600).await;
        let p = CachingProvider::new(MetadataRoleProvider::new(
            reqwest::Client::new(),
            &url,
            None,
        ));
        let c = p.credentials().await.unwrap();
        assert_eq!(c.access_key_id, "AKIDtmp");
        assert_eq!(c.session_token.as_ref().map(Secret::expose), Some("tok"));
        // Role list + credentials; the second call is served from the cache.
        assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 2);
        p.credentials().await.unwrap();
        assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 2);

        // Credentials inside the refresh margin (5 min) are fetched again.
        let (url, hits) = metadata_server(60).await;
        let p = CachingProvider::new(MetadataRoleProvider::new(
            reqwest::Client::new(),
            &url,
            Some("cvm-role".into()),
        ));
        p.credentials().await.unwrap();
        p.credentials().await.unwrap();
        assert_eq!(
            hits.load(std::sync::atomic::Ordering::SeqCst),
            2,
            "refreshed"
        );

        // An unknown role: the service answers 404.
        let p = MetadataRoleProvider::new(reqwest::Client::new(), &url, Some("other".into()));
        let e = p.credentials().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unauthenticated);
    }

    #[test]
    fn account_sources() {
        use crate::model::ProviderKind;
        let mut a = AccountConfig::new("x", ProviderKind::Tencent);
        a.credentials = CredentialConfig {
            source: CredentialSourceKind::AssumeRole,
            ..CredentialConfig::default()
        };
        let t = Transport::from_account(&a).unwrap();
        let e = credential_provider(&a, &a.credentials, &t, &Endpoints::default()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(e.message().contains("role_arn"));
        a.credentials = CredentialConfig::with_static("AKID", "key");
        let p = credential_provider(&a, &a.credentials, &t, &Endpoints::default()).unwrap();
        assert!(!format!("{p:?}").contains("key\""));
        a.credentials.source = CredentialSourceKind::InstanceMetadata;
        assert!(credential_provider(&a, &a.credentials, &t, &Endpoints::default()).is_ok());
    }
}
