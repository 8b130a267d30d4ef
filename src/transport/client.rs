//! The HTTP client (reqwest with rustls) and the [`HttpSend`] seam that the
//! retry loop sends through.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

use super::resolve::ResolveOverride;
use super::settings::TransportSettings;
use crate::error::{Error, Result};

/// Builds the reqwest client from the settings: rustls, the connect
/// timeout, the read timeout as an idle-read timeout, no redirects (signed
/// requests are never replayed elsewhere; providers handle 3xx), the proxy,
/// the extra CA bundle and the resolve-override. With overrides and no
/// explicit proxy, the environment's proxy is ignored so that overridden
/// hosts really reach the given address.
pub fn build_client(settings: &TransportSettings) -> Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .connect_timeout(settings.connect_timeout)
        .read_timeout(settings.read_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .https_only(!settings.allow_http)
        .user_agent(concat!("multicloud-rust/", env!("CARGO_PKG_VERSION")));
    if let Some(proxy) = &settings.proxy {
        // The proxy URL may carry credentials: never echo it.
        let p = reqwest::Proxy::all(proxy.as_str())
            .map_err(|_| Error::config("transport proxy is not a valid URL"))?;
        builder = builder.proxy(p);
    }
    if let Some(path) = &settings.ca_file {
        let pem = std::fs::read(path).map_err(|e| {
            Error::config(format!("cannot read CA file {}: {e}", path.display())).with_source(e)
        })?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| Error::config(format!("CA file {} is not PEM: {e}", path.display())))?;
        if certs.is_empty() {
            return Err(Error::config(format!(
                "CA file {} holds no certificate",
                path.display()
            )));
        }
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    let resolve = ResolveOverride::from_map(&settings.resolve)?;
    if !resolve.is_empty() {
        builder = builder.dns_resolver(Arc::new(resolve));
        if settings.proxy.is_none() {
            builder = builder.no_proxy();
        }
    }
    builder
        .build()
        .map_err(|e| Error::config(format!("cannot build HTTP client: {e}")))
}

/// How sending a request failed, as far as retrying cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendErrorKind {
    /// No connection was made (DNS, refused, TLS handshake, connect
    /// timeout): the request was certainly not processed.
    Connect,
    /// The request may have been sent, and timed out.
    Timeout,
    /// Anything else (connection reset mid-request, protocol error): the
    /// request may have been processed.
    Other,
}

/// A failure to get a response at all. Its message never contains the URL
/// (query strings can carry tokens).
pub struct SendError {
    kind: SendErrorKind,
    source: Box<dyn std::error::Error + Send + Sync + 'static>,
}

impl SendError {
    /// A send error of `kind` caused by `source`.
    pub fn new(
        kind: SendErrorKind,
        source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> Self {
        SendError {
            kind,
            source: source.into(),
        }
    }

    /// The kind.
    pub fn kind(&self) -> SendErrorKind {
        self.kind
    }

    /// The cause, as an owned boxed error (for [`Error::with_source`]).
    pub fn into_source(self) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self.source
    }
}

impl From<reqwest::Error> for SendError {
    fn from(e: reqwest::Error) -> Self {
        let kind = if e.is_connect() {
            SendErrorKind::Connect
        } else if e.is_timeout() {
            SendErrorKind::Timeout
        } else {
            SendErrorKind::Other
        };
        SendError::new(kind, e.without_url())
    }
}

/// Errors of reqwest met outside the transport's own sending (building a
/// request in a provider's closure, reading a streamed body) as SDK errors:
/// builder errors are [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument),
/// status errors (`error_for_status`) per [`kind_for_status`](super::kind_for_status),
/// timeouts `Timeout`, body decoding `Decode`, the rest (connect, send)
/// `Unavailable`. The URL is stripped (query strings can carry
/// tokens).
impl From<reqwest::Error> for Error {
    fn from(e: reqwest::Error) -> Self {
        use crate::error::ErrorKind;
        let status_kind = e.status().and_then(super::classify::kind_for_status);
        let kind = if e.is_builder() {
            ErrorKind::InvalidArgument
        } else if let Some(kind) = status_kind {
            kind
        } else if e.is_timeout() {
            ErrorKind::Timeout
        } else if e.is_decode() {
            ErrorKind::Decode
        } else {
            ErrorKind::Unavailable
        };
        let e = e.without_url();
        Error::new(kind, format!("HTTP client: {e}")).with_source(e)
    }
}

impl fmt::Debug for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendError")
            .field("kind", &self.kind)
            .field("source", &self.source.to_string())
            .finish()
    }
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            SendErrorKind::Connect => "connect failed",
            SendErrorKind::Timeout => "timed out",
            SendErrorKind::Other => "send failed",
        };
        write!(f, "{what}: {}", self.source)?;
        let mut cause = self.source.source();
        while let Some(c) = cause {
            write!(f, ": {c}")?;
            cause = c.source();
        }
        Ok(())
    }
}

impl std::error::Error for SendError {}

/// Sends one request and returns the response head with its unread body.
/// The transport sends through [`ReqwestSender`]; tests (and recorders)
/// plug in their own.
#[async_trait]
pub trait HttpSend: Send + Sync + fmt::Debug {
    /// Send `request`.
    async fn send(&self, request: reqwest::Request) -> Result<reqwest::Response, SendError>;
}

/// [`HttpSend`] over a reqwest client.
#[derive(Debug, Clone)]
pub struct ReqwestSender {
    client: reqwest::Client,
}

impl ReqwestSender {
    /// Send through `client`.
    pub fn new(client: reqwest::Client) -> Self {
        ReqwestSender { client }
    }
}

#[async_trait]
impl HttpSend for ReqwestSender {
    async fn send(&self, request: reqwest::Request) -> Result<reqwest::Response, SendError> {
        self.client.execute(request).await.map_err(SendError::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn bad_proxy_and_ca_are_config_errors() {
        let s = TransportSettings {
            proxy: Some("http://user:hunter2@[bad".into()),
            ..Default::default()
        };
        let e = build_client(&s).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(!format!("{e} {e:?}").contains("hunter2"));

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "not a certificate").unwrap();
        let s = TransportSettings {
            ca_file: Some(path),
            ..Default::default()
        };
        assert_eq!(build_client(&s).unwrap_err().kind(), ErrorKind::Config);
        let s = TransportSettings {
            ca_file: Some(dir.path().join("missing.pem")),
            ..Default::default()
        };
        assert_eq!(build_client(&s).unwrap_err().kind(), ErrorKind::Config);
    }

    #[test]
    fn reqwest_builder_errors_convert_without_url() {
        let e = reqwest::Client::new()
            .get("https://example.com/?token=SECRET1")
            .header("bad header", "x")
            .build()
            .unwrap_err();
        let e = Error::from(e);
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(!format!("{e} {e:?}").contains("SECRET1"), "{e:?}");
    }

    #[test]
    fn default_client_builds() {
        build_client(&TransportSettings::default()).unwrap();
    }
}
