//! The network parts of the credential chain: the ECS RAM role from the
//! instance metadata service and STS `AssumeRole` (the `RamRoleArn` CLI
//! modes and `credentials.source = "assume_role"`), as
//! [`CredentialProvider`]s wrapped in [`CachingProvider`] so that temporary
//! keys are refreshed five minutes before they expire.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;

use super::client::{AlibabaClient, CallKind};
use super::config::{AssumeRoleSpec, CredentialSource, Service};
use super::iam::{AssumeRoleResponse, assume_role_params};
use super::sign::Credentials as SignCredentials;
use super::wire::{self, opt_string};
use crate::credentials::{
    CachingProvider, CredentialProvider, Credentials, Secret, StaticCredentials,
};
use crate::error::{Error, ErrorKind, Result};

/// The ECS instance metadata service.
pub const METADATA_BASE: &str = "http://100.100.100.200";
/// IMDSv2 token request path.
pub const METADATA_TOKEN_PATH: &str = "/latest/api/token";
/// RAM role credentials path (the role name is appended).
pub const METADATA_ROLE_PATH: &str = "/latest/meta-data/ram/security-credentials/";
/// Header asking for a metadata token of that many seconds.
pub const METADATA_TOKEN_TTL_HEADER: &str = "X-aliyun-ecs-metadata-token-ttl-seconds";
/// Header carrying the metadata token.
pub const METADATA_TOKEN_HEADER: &str = "X-aliyun-ecs-metadata-token";
/// Environment variable: `true` forbids falling back to IMDSv1 (no token).
pub const ENV_IMDSV1_DISABLED: &str = "ALIBABA_CLOUD_IMDSV1_DISABLED";

/// The SDK's credentials from the signer's (long-lived or STS keys).
pub fn to_sdk_credentials(c: &SignCredentials) -> Credentials {
    let mut out = Credentials::new(c.access_key_id.clone(), c.access_key_secret.clone());
    if let Some(t) = c.security_token.clone().filter(|t| !t.is_empty()) {
        out = out.with_session_token(t);
    }
    out
}

/// The metadata service's answer for a role.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct EcsRoleCredentialsWire {
    /// `Success` when the keys are valid.
    #[serde(rename = "Code", default, deserialize_with = "opt_string")]
    pub code: Option<String>,
    /// Temporary AccessKey id.
    #[serde(rename = "AccessKeyId", default, deserialize_with = "opt_string")]
    pub access_key_id: Option<String>,
    /// Temporary AccessKey secret.
    #[serde(rename = "AccessKeySecret", default)]
    pub access_key_secret: Option<Secret>,
    /// Security token.
    #[serde(rename = "SecurityToken", default)]
    pub security_token: Option<Secret>,
    /// Expiry (`2017-11-01T05:20:01Z`).
    #[serde(rename = "Expiration", default, deserialize_with = "opt_string")]
    pub expiration: Option<String>,
}

fn temporary(
    what: &str,
    id: Option<String>,
    secret: Option<Secret>,
    token: Option<Secret>,
    expiration: Option<String>,
) -> Result<Credentials> {
    let id = id
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Error::decode(format!("{what}: no AccessKeyId in the answer")))?;
    let secret = secret
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Error::decode(format!("{what}: no AccessKeySecret in the answer")))?;
    let mut c = Credentials::new(id, secret);
    if let Some(t) = token.filter(|t| !t.is_empty()) {
        c = c.with_session_token(t);
    }
    if let Some(t) = expiration.as_deref().and_then(wire::parse_time) {
        c = c.with_expiry(t);
    }
    Ok(c)
}

impl EcsRoleCredentialsWire {
    /// As SDK credentials; an error when the service says it failed.
    pub fn to_credentials(&self) -> Result<Credentials> {
        if let Some(code) = self.code.as_deref().filter(|c| *c != "Success") {
            return Err(Error::new(
                ErrorKind::Unauthenticated,
                format!("ECS metadata service refused the role credentials ({code})"),
            ));
        }
        temporary(
            "ECS metadata",
            self.access_key_id.clone(),
            self.access_key_secret.clone(),
            self.security_token.clone(),
            self.expiration.clone(),
        )
    }
}

/// Credentials of the ECS instance's RAM role, from the metadata service.
/// Uses an IMDSv2 token (`PUT /latest/api/token`) and falls back to plain
/// requests when the service offers none (unless
/// `ALIBABA_CLOUD_IMDSV1_DISABLED=true`). The role name is discovered when
/// not configured. Wrap it in [`CachingProvider`].
#[derive(Debug, Clone)]
pub struct EcsRamRoleProvider {
    client: reqwest::Client,
    base: String,
    role_name: Option<String>,
    imds_v1_allowed: bool,
}

impl EcsRamRoleProvider {
    /// The provider for `role_name` (discovered when `None`) at the real
    /// metadata address.
    pub fn new(role_name: Option<String>) -> Result<Self> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(1))
            .timeout(Duration::from_secs(5))
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::config(format!("cannot build the metadata client: {e}")))?;
        Ok(EcsRamRoleProvider {
            client,
            base: METADATA_BASE.to_string(),
            role_name: role_name.filter(|r| !r.is_empty()),
            imds_v1_allowed: !std::env::var(ENV_IMDSV1_DISABLED)
                .is_ok_and(|v| v.trim().eq_ignore_ascii_case("true")),
        })
    }

    /// Talk to another metadata address (tests).
    pub fn with_base(mut self, base: impl Into<String>) -> Self {
        self.base = base.into().trim_end_matches('/').to_string();
        self
    }

    /// Whether plain (token-less) metadata requests are allowed.
    pub fn with_imds_v1(mut self, allowed: bool) -> Self {
        self.imds_v1_allowed = allowed;
        self
    }

    fn unavailable(what: &str, e: impl std::fmt::Display) -> Error {
        Error::new(
            ErrorKind::Unavailable,
            format!("ECS metadata service: {what}: {e}"),
        )
    }

    async fn token(&self) -> Result<Option<String>> {
        let r = self
            .client
            .put(format!("{}{METADATA_TOKEN_PATH}", self.base))
            .header(METADATA_TOKEN_TTL_HEADER, "21600")
            .send()
            .await;
        match r {
            Ok(r) if r.status().is_success() => {
                let t = r
                    .text()
                    .await
                    .map_err(|e| Self::unavailable("reading the token", e))?;
                Ok(Some(t.trim().to_string()).filter(|t| !t.is_empty()))
            }
            _ if self.imds_v1_allowed => Ok(None),
            Ok(r) => Err(Self::unavailable(
                "no metadata token and IMDSv1 is disabled",
                r.status(),
            )),
            Err(e) => Err(Self::unavailable(
                "no metadata token and IMDSv1 is disabled",
                e.without_url(),
            )),
        }
    }

    async fn get(&self, path: &str, token: Option<&str>) -> Result<String> {
        let mut rb = self.client.get(format!("{}{path}", self.base));
        if let Some(t) = token {
            rb = rb.header(METADATA_TOKEN_HEADER, t);
        }
        let r = rb
            .send()
            .await
            .map_err(|e| Self::unavailable("request failed", e.without_url()))?;
        let status = r.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Err(Error::new(
                ErrorKind::Unauthenticated,
                "ECS metadata service: the instance has no such RAM role",
            ));
        }
        if !status.is_success() {
            return Err(Self::unavailable("answered", status));
        }
        r.text()
            .await
            .map_err(|e| Self::unavailable("reading the answer", e))
    }
}

#[async_trait]
impl CredentialProvider for EcsRamRoleProvider {
    async fn credentials(&self) -> Result<Credentials> {
        let token = self.token().await?;
        let role = match &self.role_name {
            Some(r) => r.clone(),
            None => {
                let names = self.get(METADATA_ROLE_PATH, token.as_deref()).await?;
                names
                    .lines()
                    .map(str::trim)
                    .find(|l| !l.is_empty())
                    .map(str::to_string)
                    .ok_or_else(|| {
                        Error::new(
                            ErrorKind::Unauthenticated,
                            "ECS metadata service: the instance has no RAM role attached",
                        )
                    })?
            }
        };
        let path = format!("{METADATA_ROLE_PATH}{}", super::sign::percent_encode(&role));
        let body = self.get(&path, token.as_deref()).await?;
        let w: EcsRoleCredentialsWire = wire::decode("EcsRamRole", body.as_bytes())?;
        w.to_credentials()
    }
}

/// Temporary credentials of a RAM role from STS `AssumeRole`, signed with
/// the base credentials (which may themselves be temporary). Wrap it in
/// [`CachingProvider`].
#[derive(Debug, Clone)]
pub struct AssumeRoleProvider {
    sts: AlibabaClient,
    role: AssumeRoleSpec,
}

impl AssumeRoleProvider {
    /// Assume `role` through `sts` (a client signing with the base credentials).
    pub fn new(sts: AlibabaClient, role: AssumeRoleSpec) -> Self {
        AssumeRoleProvider { sts, role }
    }
}

#[async_trait]
impl CredentialProvider for AssumeRoleProvider {
    async fn credentials(&self) -> Result<Credentials> {
        let params = assume_role_params(
            &self.role.role_arn,
            &self.role.session_name,
            self.role.duration_secs,
            self.role.external_id.as_deref(),
        );
        // Reads nothing and changes nothing in the account: safe to retry,
        // and allowed in read-only mode.
        let r: AssumeRoleResponse = self
            .sts
            .call(
                Service::Sts,
                "AssumeRole",
                self.role.sts_region.as_deref(),
                &params,
                CallKind::Read,
            )
            .await?;
        let c = r.credentials.ok_or_else(|| {
            Error::decode("AssumeRole: no Credentials in the answer").with_provider("alibaba")
        })?;
        temporary(
            "AssumeRole",
            c.access_key_id,
            c.access_key_secret,
            c.security_token,
            c.expiration,
        )
    }
}

/// The credential provider for a source: static keys as they are, the ECS
/// role and AssumeRole cached and refreshed before expiry. `client` gives
/// the transport and endpoints STS is called through.
pub fn provider_for(
    source: &CredentialSource,
    client: &AlibabaClient,
) -> Result<Arc<dyn CredentialProvider>> {
    Ok(match source {
        CredentialSource::Static(c) => Arc::new(StaticCredentials::new(to_sdk_credentials(c))),
        CredentialSource::EcsRamRole { role_name } => Arc::new(CachingProvider::new(
            EcsRamRoleProvider::new(role_name.clone())?,
        )),
        CredentialSource::AssumeRole { base, role } => {
            let base = provider_for(base, client)?;
            Arc::new(CachingProvider::new(AssumeRoleProvider::new(
                client.with_credentials(base),
                role.clone(),
            )))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_answer() {
        let body = br#"{"AccessKeyId":"STS.id","AccessKeySecret":"sec","Expiration":"2017-11-01T05:20:01Z","SecurityToken":"tok","LastUpdated":"2017-10-31T23:20:01Z","Code":"Success"}"#;
        let w: EcsRoleCredentialsWire = wire::decode("x", body).unwrap();
        let c = w.to_credentials().unwrap();
        assert_eq!(c.access_key_id, "STS.id");
        assert_eq!(c.secret.expose(), "sec");
        assert_eq!(c.session_token.as_ref().map(|t| t.expose()), Some("tok"));
        assert_eq!(
            c.expires_at.map(|t| t.to_rfc3339()),
            Some("2017-11-01T05:20:01+00:00".to_string())
        );
        assert!(!format!("{w:?}").contains("sec\""));
        let bad: EcsRoleCredentialsWire = wire::decode("x", br#"{"Code":"Failed"}"#).unwrap();
        assert_eq!(
            bad.to_credentials().unwrap_err().kind(),
            ErrorKind::Unauthenticated
        );
        let empty: EcsRoleCredentialsWire = wire::decode("x", br#"{"Code":"Success"}"#).unwrap();
        assert_eq!(
            empty.to_credentials().unwrap_err().kind(),
            ErrorKind::Decode
        );
    }

    #[test]
    fn static_conversion_keeps_token() {
        let s = SignCredentials::new("AK", "SK").with_security_token("T");
        let c = to_sdk_credentials(&s);
        assert_eq!(c.access_key_id, "AK");
        assert_eq!(
            c.session_token.map(|t| t.expose().to_string()),
            Some("T".into())
        );
        let back = super::super::client::signing_credentials(&to_sdk_credentials(&s));
        assert_eq!(back, s);
    }
}
