//! What a provider frontend implements, and the helpers every frontend uses.
//!
//! The server reads the whole request, routes it to a [`Frontend`] (by Host
//! header, or by the port it arrived on), asks the frontend for the action
//! name and whether it mutates (for faults and the request log), applies the
//! configured faults, then lets the frontend verify the signature and handle
//! the request against the [`Estate`]. Frontends are synchronous: the estate
//! is in memory and bodies are buffered.

use std::fmt;
use std::net::SocketAddr;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};

use crate::clock::Clock;
use crate::estate::{AuthIdentity, Estate};

/// A buffered HTTP request as a frontend sees it.
#[derive(Clone)]
pub struct SimRequest {
    /// Method.
    pub method: Method,
    /// Request target (path and query).
    pub uri: Uri,
    /// Headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
    /// Host header without the port, lower case (empty when absent).
    pub host: String,
    /// Whether it arrived on the frontend's own port (Host not used to route).
    pub via_frontend_port: bool,
    /// `http` or `https`.
    pub scheme: &'static str,
    /// The local socket address it arrived on.
    pub local_addr: SocketAddr,
}

impl fmt::Debug for SimRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimRequest")
            .field("method", &self.method)
            .field("host", &self.host)
            .field("path", &self.uri.path())
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

impl SimRequest {
    /// A request for tests of frontends (no network).
    pub fn new(
        method: Method,
        host: &str,
        path_and_query: &str,
        headers: HeaderMap,
        body: Bytes,
    ) -> Self {
        SimRequest {
            method,
            uri: path_and_query
                .parse()
                .unwrap_or_else(|_| Uri::from_static("/")),
            headers,
            body,
            host: host.to_ascii_lowercase(),
            via_frontend_port: false,
            scheme: "http",
            local_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        }
    }

    /// The path, still percent-encoded.
    pub fn path(&self) -> &str {
        self.uri.path()
    }

    /// The raw query string (no `?`), still encoded.
    pub fn raw_query(&self) -> &str {
        self.uri.query().unwrap_or("")
    }

    /// Decoded query pairs in order (`+` is a space).
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        parse_urlencoded(self.raw_query())
    }

    /// The first query parameter with this name, decoded.
    pub fn query(&self, name: &str) -> Option<String> {
        self.query_pairs()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// A header as text (`None` when absent or not visible ASCII).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body parsed as `application/x-www-form-urlencoded`.
    pub fn form(&self) -> Vec<(String, String)> {
        std::str::from_utf8(&self.body)
            .map(parse_urlencoded)
            .unwrap_or_default()
    }

    /// A parameter from the query, or else from a form body.
    pub fn param(&self, name: &str) -> Option<String> {
        self.query(name).or_else(|| {
            self.form()
                .into_iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v)
        })
    }

    /// The body parsed as JSON.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }

    /// The body as UTF-8 text.
    pub fn body_text(&self) -> Option<&str> {
        std::str::from_utf8(&self.body).ok()
    }
}

/// A response a frontend builds.
#[derive(Debug, Clone, PartialEq)]
pub struct SimResponse {
    /// Status.
    pub status: StatusCode,
    /// Headers (Content-Length is set by the server).
    pub headers: HeaderMap,
    /// Body.
    pub body: Bytes,
}

impl SimResponse {
    /// A response with a body and no headers.
    pub fn new(status: StatusCode, body: impl Into<Bytes>) -> Self {
        SimResponse {
            status,
            headers: HeaderMap::new(),
            body: body.into(),
        }
    }

    /// An empty response.
    pub fn empty(status: StatusCode) -> Self {
        SimResponse::new(status, Bytes::new())
    }

    /// A JSON response (`application/json`).
    pub fn json(status: StatusCode, value: &serde_json::Value) -> Self {
        SimResponse::new(status, value.to_string()).with_header("content-type", "application/json")
    }

    /// An XML response (`application/xml`); `body` should come from [`Xml`].
    pub fn xml(status: StatusCode, body: impl Into<String>) -> Self {
        SimResponse::new(status, body.into()).with_header("content-type", "application/xml")
    }

    /// A plain-text response.
    pub fn text(status: StatusCode, body: impl Into<String>) -> Self {
        SimResponse::new(status, body.into())
            .with_header("content-type", "text/plain; charset=utf-8")
    }

    /// Add (append) a header; invalid names or values are skipped.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        if let (Ok(n), Ok(v)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            self.headers.append(n, v);
        }
        self
    }

    /// The content type, if set.
    pub fn content_type(&self) -> Option<&str> {
        self.headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
    }
}

/// What a frontend may use while handling a request.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The shared estate.
    pub estate: Estate,
    /// The sim clock (also the estate's clock).
    pub clock: Clock,
    /// Whether the server speaks HTTPS.
    pub tls: bool,
    /// The main listening address.
    pub addr: SocketAddr,
}

impl Ctx {
    /// The sim's "now" (may be skewed by tests).
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Find the account and secret of an access key id for `provider`.
    pub fn auth(&self, provider: &str, access_key_id: &str) -> Option<AuthIdentity> {
        self.estate.find_access_key(provider, access_key_id)
    }

    /// A fresh request id (UUID), deterministic from the estate seed.
    pub fn request_id(&self) -> String {
        self.estate.request_id()
    }
}

/// A cloud's wire protocol over the estate.
///
/// Implementations live in `frontends/<provider>/`. Methods with defaults
/// may be left as they are.
pub trait Frontend: Send + Sync + 'static {
    /// The provider name (`tencent`, `alibaba`, ...), also the estate's
    /// provider key for this frontend's accounts.
    fn name(&self) -> &str;

    /// A unique id among the sim's frontends, for its own port
    /// (`aws-s3` when a cloud needs several frontends); the name by default.
    fn id(&self) -> &str {
        self.name()
    }

    /// Whether requests with this Host (lower case, no port) are for this frontend.
    fn matches_host(&self, host: &str) -> bool;

    /// DNS names (wildcards allowed) the sim's TLS certificate must cover for
    /// this frontend, given the estate's regions of the provider.
    fn cert_names(&self, regions: &[String]) -> Vec<String> {
        let _ = regions;
        Vec::new()
    }

    /// Install vendor id styles and the like into the estate (called once at
    /// start, before a generated estate is populated, so generated ids follow
    /// the vendor's style too).
    fn setup(&self, estate: &Estate) {
        let _ = estate;
    }

    /// The API action a request calls (`DescribeInstances`, `GET Object`, ...).
    fn action(&self, req: &SimRequest) -> String;

    /// Whether the action changes state.
    fn is_mutating(&self, req: &SimRequest, action: &str) -> bool;

    /// The time the client says it signed the request, if the protocol carries one.
    fn request_time(&self, req: &SimRequest) -> Option<DateTime<Utc>> {
        let _ = req;
        None
    }

    /// Check the signature; on failure, the cloud's real error response.
    #[allow(clippy::result_large_err)] // the error is the response itself, built once
    fn verify(&self, ctx: &Ctx, req: &SimRequest) -> Result<AuthIdentity, SimResponse>;

    /// Serve an authenticated request against the estate.
    fn handle(&self, ctx: &Ctx, req: &SimRequest, auth: &AuthIdentity) -> SimResponse;

    /// The cloud's throttle response for this request.
    fn throttle_response(&self, ctx: &Ctx, req: &SimRequest, action: &str) -> SimResponse;

    /// The cloud's generic internal-error (5xx) response.
    fn server_error_response(&self, ctx: &Ctx, req: &SimRequest, action: &str) -> SimResponse;

    /// The cloud's expired-signature / clock-skew error.
    fn expired_response(&self, ctx: &Ctx, req: &SimRequest, action: &str) -> SimResponse;
}

/// Decode `%XX` escapes (invalid escapes are kept as they are); with
/// `plus_as_space`, `+` becomes a space (form encoding).
pub fn percent_decode(s: &str, plus_as_space: bool) -> String {
    let s = if plus_as_space {
        s.replace('+', " ")
    } else {
        s.to_string()
    };
    percent_encoding::percent_decode_str(&s)
        .decode_utf8_lossy()
        .into_owned()
}

/// Percent-encode everything but RFC 3986 unreserved characters
/// (`A-Z a-z 0-9 - _ . ~`), the encoding most cloud signatures use.
pub fn percent_encode_strict(s: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(s, SET).to_string()
}

/// Parse `a=1&b=x%20y` into decoded pairs (`+` is a space).
pub fn parse_urlencoded(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (percent_decode(k, true), percent_decode(v, true)),
            None => (percent_decode(p, true), String::new()),
        })
        .collect()
}

/// Escape text for XML content and attribute values.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// A small XML writer: `Xml::new().open("A").elem("B", "x").close("A").finish()`.
#[derive(Debug, Default, Clone)]
pub struct Xml {
    buf: String,
}

impl Xml {
    /// A document starting with the XML declaration.
    pub fn new() -> Self {
        Xml {
            buf: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
        }
    }

    /// A fragment without declaration.
    pub fn fragment() -> Self {
        Xml::default()
    }

    /// `<tag>`.
    pub fn open(mut self, tag: &str) -> Self {
        self.buf.push('<');
        self.buf.push_str(tag);
        self.buf.push('>');
        self
    }

    /// `<tag a="v" ...>`.
    pub fn open_attrs(mut self, tag: &str, attrs: &[(&str, &str)]) -> Self {
        self.buf.push('<');
        self.buf.push_str(tag);
        for (k, v) in attrs {
            self.buf.push_str(&format!(" {k}=\"{}\"", xml_escape(v)));
        }
        self.buf.push('>');
        self
    }

    /// `</tag>`.
    pub fn close(mut self, tag: &str) -> Self {
        self.buf.push_str("</");
        self.buf.push_str(tag);
        self.buf.push('>');
        self
    }

    /// `<tag>text</tag>` with the text escaped.
    pub fn elem(self, tag: &str, text: &str) -> Self {
        let mut s = self.open(tag);
        s.buf.push_str(&xml_escape(text));
        s.close(tag)
    }

    /// `<tag>text</tag>` when `text` is `Some`.
    pub fn elem_opt(self, tag: &str, text: Option<&str>) -> Self {
        match text {
            Some(t) => self.elem(tag, t),
            None => self,
        }
    }

    /// Append raw, already-escaped XML.
    pub fn raw(mut self, xml: &str) -> Self {
        self.buf.push_str(xml);
        self
    }

    /// Build with a closure (for loops): `x.with(|x| items.fold(x, ...))`.
    pub fn with(self, f: impl FnOnce(Self) -> Self) -> Self {
        f(self)
    }

    /// The text.
    pub fn finish(self) -> String {
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_and_form_parsing() {
        let r = SimRequest::new(
            Method::POST,
            "Ecs.CN-Hangzhou.aliyuncs.com",
            "/?Action=DescribeInstances&Tag.1.Key=a%20b&x=1+2&flag",
            HeaderMap::new(),
            Bytes::from_static(b"Name=hello%2Fworld&Empty="),
        );
        assert_eq!(r.host, "ecs.cn-hangzhou.aliyuncs.com");
        assert_eq!(r.query("Action").as_deref(), Some("DescribeInstances"));
        assert_eq!(r.query("Tag.1.Key").as_deref(), Some("a b"));
        assert_eq!(r.query("x").as_deref(), Some("1 2"));
        assert_eq!(r.query("flag").as_deref(), Some(""));
        assert_eq!(r.param("Name").as_deref(), Some("hello/world"));
        assert_eq!(r.param("missing"), None);
        assert_eq!(percent_encode_strict("a b/~*"), "a%20b%2F~%2A");
    }

    #[test]
    fn xml_builder_escapes() {
        let x = Xml::fragment()
            .open_attrs("A", &[("k", "\"v\"")])
            .elem("B", "1 < 2 & 3")
            .elem_opt("C", None)
            .close("A")
            .finish();
        assert_eq!(x, "<A k=\"&quot;v&quot;\"><B>1 &lt; 2 &amp; 3</B></A>");
        let r = SimResponse::json(StatusCode::OK, &serde_json::json!({"a": 1}));
        assert_eq!(r.content_type(), Some("application/json"));
        assert_eq!(&r.body[..], b"{\"a\":1}");
    }
}
