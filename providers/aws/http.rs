//! The SDK's HTTP client replaced by the SDK-wide transport client
//! ([`crate::transport::build_client`]): every AWS service client sends
//! through the same reqwest/rustls stack as the other providers, so the
//! account's `transport.proxy`, `transport.ca_file`, `transport.resolve`
//! and connect/read timeouts apply to AWS too.
//!
//! Request bodies are buffered before sending (the provider already holds
//! at most one multipart part in memory, and a buffered body gives every
//! request a known length, aws-chunked S3 uploads included); response
//! bodies are streamed from reqwest into an [`SdkBody`] chunk by chunk.

use std::fmt;

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;
use aws_smithy_types::retry::ErrorKind as RetryKind;

use crate::config::AccountConfig;
use crate::error::Result;
use crate::transport::{TransportSettings, build_client};

/// The reqwest client of an account, as a smithy [`HttpClient`] and
/// [`HttpConnector`]. The connect and read timeouts are the reqwest
/// client's (built from the same `transport.connect_timeout_ms` /
/// `read_timeout_ms` fields the SDK's timeout config is built from).
#[derive(Clone)]
pub struct ReqwestConnector {
    client: reqwest::Client,
}

impl fmt::Debug for ReqwestConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The client may hold a proxy URL with credentials: print nothing of it.
        f.debug_struct("ReqwestConnector").finish_non_exhaustive()
    }
}

impl ReqwestConnector {
    /// Wrap an already-built reqwest client.
    pub fn new(client: reqwest::Client) -> Self {
        ReqwestConnector { client }
    }

    /// The client for an account: its `transport` settings (proxy, extra CA,
    /// resolve-override, timeouts), plain HTTP allowed only with
    /// `endpoints.allow_http`. Without `transport.ca_file`, the bundle named
    /// by `AWS_CA_BUNDLE` (the AWS SDKs' variable) is trusted besides the
    /// built-in roots.
    pub fn for_account(account: &AccountConfig) -> Result<Self> {
        let mut s = TransportSettings::from_config(&account.transport)?;
        if s.ca_file.is_none() {
            s.ca_file = std::env::var_os("AWS_CA_BUNDLE")
                .filter(|v| !v.is_empty())
                .map(std::path::PathBuf::from);
        }
        s.account = account.name.clone();
        s.allow_http = account.endpoints.allow_http;
        Ok(ReqwestConnector::new(build_client(&s)?))
    }

    /// As a shared smithy HTTP client, for `SdkConfig` / service configs.
    pub fn shared(self) -> SharedHttpClient {
        SharedHttpClient::new(self)
    }
}

impl HttpClient for ReqwestConnector {
    fn http_connector(
        &self,
        _settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

impl HttpConnector for ReqwestConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let client = self.client.clone();
        HttpConnectorFuture::new(async move { send(&client, request).await })
    }
}

/// Convert, send, convert back.
async fn send(
    client: &reqwest::Client,
    mut request: HttpRequest,
) -> std::result::Result<HttpResponse, ConnectorError> {
    let method = reqwest::Method::from_bytes(request.method().as_bytes())
        .map_err(|e| ConnectorError::user(Box::new(e)))?;
    let url = reqwest::Url::parse(request.uri()).map_err(|e| {
        // The URL may carry presigned query parameters: report only the cause.
        ConnectorError::user(format!("request URL does not parse: {e}").into())
    })?;
    let mut builder = client.request(method, url);
    for (name, value) in request.headers().iter() {
        builder = builder.header(name, value);
    }
    // Always read the body through (never just `SdkBody::bytes()`): the
    // SDK's stalled-stream protection wraps request bodies in a reader that
    // marks the upload complete only when polled to the end; an unpolled
    // in-memory body would count as a stalled upload once the response
    // takes longer than the grace period (5 s).
    let bytes = ByteStream::new(request.take_body())
        .collect()
        .await
        .map_err(|e| ConnectorError::user(Box::new(e)))?
        .into_bytes();
    let response = builder.body(bytes).send().await.map_err(connector_error)?;
    let status = StatusCode::try_from(response.status().as_u16())
        .map_err(|e| ConnectorError::other(Box::new(e), None))?;
    let headers = response.headers().clone();
    let http_response: http::Response<reqwest::Body> = response.into();
    let mut out = HttpResponse::new(status, SdkBody::from_body_1_x(http_response.into_body()));
    for (name, value) in headers.iter() {
        let Ok(v) = value.to_str() else {
            // Smithy headers are UTF-8; a non-UTF-8 value cannot be carried.
            continue;
        };
        out.headers_mut()
            .append(name.as_str().to_string(), v.to_string());
    }
    Ok(out)
}

/// reqwest's failure as a smithy connector error, URL stripped: builder
/// errors are the caller's (`user`), connect failures `io` (never sent,
/// retryable), timeouts `timeout`, the rest `other` as transient (the
/// connection broke; the SDK retries idempotent-safe attempts, and
/// `ClientToken`s make the mutating EC2 calls safe to resend).
fn connector_error(e: reqwest::Error) -> ConnectorError {
    let builder = e.is_builder();
    let connect = e.is_connect();
    let timeout = e.is_timeout();
    let e = Box::new(e.without_url());
    if builder {
        ConnectorError::user(e)
    } else if timeout {
        ConnectorError::timeout(e)
    } else if connect {
        ConnectorError::io(e).never_connected()
    } else {
        ConnectorError::other(e, Some(RetryKind::TransientError))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ProviderKind;

    fn account() -> AccountConfig {
        AccountConfig {
            name: "t".into(),
            provider: ProviderKind::Aws,
            credentials: Default::default(),
            regions: Default::default(),
            read_only: false,
            endpoints: Default::default(),
            transport: Default::default(),
            options: Default::default(),
        }
    }

    #[tokio::test]
    async fn plain_http_refused_without_allow_http() {
        let c = ReqwestConnector::for_account(&account()).unwrap();
        let req = HttpRequest::get("http://127.0.0.1:9/").unwrap();
        let e = c.call(req).await.unwrap_err();
        assert!(e.is_user(), "{e:?}");
    }

    #[tokio::test]
    async fn refused_connection_is_io_and_never_connected() {
        let mut a = account();
        a.endpoints.allow_http = true;
        let c = ReqwestConnector::for_account(&a).unwrap();
        // Bind then drop a listener so the port is very likely closed.
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let req = HttpRequest::get(format!("http://127.0.0.1:{port}/")).unwrap();
        let e = c.call(req).await.unwrap_err();
        assert!(e.is_io(), "{e:?}");
    }

    #[test]
    fn bad_proxy_is_a_config_error_without_echo() {
        let mut a = account();
        a.transport.proxy = Some("http://u:hunter2@[bad".into());
        let e = ReqwestConnector::for_account(&a).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Config);
        assert!(!format!("{e} {e:?}").contains("hunter2"));
    }
}
