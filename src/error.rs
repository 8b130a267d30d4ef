//! The one error type of the SDK.
//!
//! Every failure, whichever cloud it comes from, is an [`Error`] with a
//! normalized [`ErrorKind`] and the context a person needs to act on it: the
//! provider, service, action and region of the call, the HTTP status, the
//! cloud's raw error code and message, its request id, and how many attempts
//! were made. Errors never carry secrets: the constructors take only the
//! pieces above, never a request or its headers.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A `Result` whose error is the SDK's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `Ok(())` when a delete failed only because its resource is already gone:
/// a `NotFound` carrying one of `gone`, the resource's own not-found codes.
/// Any other error stays an error, even one of kind `NotFound` (a mistyped
/// region's code, a bare HTTP 404 from a wrong endpoint, a missing parent),
/// so a delete never reports success for something it did not find.
pub fn ok_if_gone(r: Result<()>, gone: &[&str]) -> Result<()> {
    match r {
        Err(e) if e.kind() == ErrorKind::NotFound && e.has_code(gone) => Ok(()),
        other => other,
    }
}

/// What went wrong, normalized over all clouds.
///
/// Provider classifiers map each cloud's codes to one of these; the mapping
/// tables live in each provider's `client.rs` and are table-tested.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The resource (or the parent it was looked up in) does not exist.
    NotFound,
    /// A resource with that name or client token already exists.
    AlreadyExists,
    /// The resource is busy or in the wrong state for the operation.
    Conflict,
    /// The credentials are missing, wrong, expired, or the signature failed.
    Unauthenticated,
    /// The caller is authenticated but not allowed to do this.
    PermissionDenied,
    /// The cloud asked us to slow down.
    Throttled,
    /// An account quota or capacity limit was reached.
    QuotaExceeded,
    /// The request itself is malformed or has a bad value.
    InvalidArgument,
    /// The cloud, or this SDK for that cloud, lacks the capability.
    Unsupported,
    /// The service is temporarily unavailable (5xx, connection failure).
    Unavailable,
    /// The call's deadline ran out, or a network timeout fired.
    Timeout,
    /// The response could not be decoded.
    Decode,
    /// The SDK's own configuration is wrong (bad accounts file, missing feature).
    Config,
    /// Anything else.
    Other,
}

impl ErrorKind {
    /// Whether a failed region discovery with this kind may be answered
    /// with the provider's static region list: only when the cloud could
    /// not answer (unavailable, timed out, throttled) or the policy lacks
    /// that one permission. Bad credentials, bad configuration and every
    /// other failure would fail later calls too, so they are returned.
    pub fn allows_static_regions(self) -> bool {
        matches!(
            self,
            ErrorKind::Unavailable
                | ErrorKind::Timeout
                | ErrorKind::Throttled
                | ErrorKind::PermissionDenied
        )
    }

    /// Whether a request that failed this way may succeed if sent again.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            ErrorKind::Throttled | ErrorKind::Unavailable | ErrorKind::Timeout
        )
    }

    /// A short, stable, lower-case name (`not_found`, `throttled`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "not_found",
            ErrorKind::AlreadyExists => "already_exists",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Unauthenticated => "unauthenticated",
            ErrorKind::PermissionDenied => "permission_denied",
            ErrorKind::Throttled => "throttled",
            ErrorKind::QuotaExceeded => "quota_exceeded",
            ErrorKind::InvalidArgument => "invalid_argument",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Decode => "decode",
            ErrorKind::Config => "config",
            ErrorKind::Other => "other",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where and how a failed call was made. Every field is optional because
/// errors can arise before a request exists (a bad config file, say).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorContext {
    /// Provider name (`tencent`, `aws`, ...).
    pub provider: Option<String>,
    /// Service within the provider (`cvm`, `ec2`, `oss`, ...).
    pub service: Option<String>,
    /// API action (`DescribeInstances`, `PutObject`, ...).
    pub action: Option<String>,
    /// Region the call was sent to.
    pub region: Option<String>,
    /// HTTP status of the last response, if one arrived.
    pub http_status: Option<u16>,
    /// The cloud's raw error code (`RequestLimitExceeded`, `NoSuchKey`, ...).
    pub code: Option<String>,
    /// The cloud's request id, for support tickets.
    pub request_id: Option<String>,
    /// How many attempts were made, retries included.
    pub attempts: u32,
}

/// The SDK's error: a kind, a message and the call's context, with the
/// underlying cause (if any) kept as `source()`.
pub struct Error {
    kind: ErrorKind,
    message: String,
    context: Box<ErrorContext>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Error {
    /// A new error of `kind` with a human-readable `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            context: Box::default(),
            source: None,
        }
    }

    /// Shorthand for an [`ErrorKind::Config`] error.
    pub fn config(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Config, message)
    }

    /// Shorthand for an [`ErrorKind::Unsupported`] error.
    pub fn unsupported(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unsupported, message)
    }

    /// Shorthand for an [`ErrorKind::InvalidArgument`] error.
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidArgument, message)
    }

    /// Shorthand for an [`ErrorKind::NotFound`] error.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }

    /// Shorthand for an [`ErrorKind::Decode`] error.
    pub fn decode(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Decode, message)
    }

    /// The normalized kind.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message, as the cloud or the SDK phrased it.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Where the call was made and what the cloud said.
    pub fn context(&self) -> &ErrorContext {
        &self.context
    }

    /// Mutable access to the context, for layers that add to it.
    pub fn context_mut(&mut self) -> &mut ErrorContext {
        &mut self.context
    }

    /// Whether sending the same request again may succeed.
    pub fn is_retryable(&self) -> bool {
        self.kind.is_retryable()
    }

    /// The provider's name, if known.
    pub fn provider(&self) -> Option<&str> {
        self.context.provider.as_deref()
    }

    /// The cloud's raw error code, if one was returned.
    pub fn code(&self) -> Option<&str> {
        self.context.code.as_deref()
    }

    /// Whether the cloud's code is one of `codes` (ASCII case ignored: some
    /// clouds spell one code differently across API versions, such as
    /// `InvalidVpcId` and `InvalidVpcID`). An error without a code has none.
    pub fn has_code(&self, codes: &[&str]) -> bool {
        self.code()
            .is_some_and(|c| codes.iter().any(|g| g.eq_ignore_ascii_case(c)))
    }

    /// The cloud's request id, if one was returned.
    pub fn request_id(&self) -> Option<&str> {
        self.context.request_id.as_deref()
    }

    /// The HTTP status of the last response, if one arrived.
    pub fn http_status(&self) -> Option<u16> {
        self.context.http_status
    }

    /// Number of attempts made (0 when no request was sent).
    pub fn attempts(&self) -> u32 {
        self.context.attempts
    }

    /// Attach the underlying cause.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// Set the provider name.
    pub fn with_provider(mut self, provider: impl Into<String>) -> Self {
        self.context.provider = Some(provider.into());
        self
    }

    /// Set the service name.
    pub fn with_service(mut self, service: impl Into<String>) -> Self {
        self.context.service = Some(service.into());
        self
    }

    /// Set the API action.
    pub fn with_action(mut self, action: impl Into<String>) -> Self {
        self.context.action = Some(action.into());
        self
    }

    /// Set the region.
    pub fn with_region(mut self, region: impl Into<String>) -> Self {
        self.context.region = Some(region.into());
        self
    }

    /// Set the HTTP status.
    pub fn with_http_status(mut self, status: u16) -> Self {
        self.context.http_status = Some(status);
        self
    }

    /// Set the cloud's raw error code.
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.context.code = Some(code.into());
        self
    }

    /// Set the cloud's request id.
    pub fn with_request_id(mut self, id: impl Into<String>) -> Self {
        self.context.request_id = Some(id.into());
        self
    }

    /// Set the attempt count.
    pub fn with_attempts(mut self, attempts: u32) -> Self {
        self.context.attempts = attempts;
        self
    }

    /// Fill in any context field that is still empty from `ctx`.
    pub fn with_context_defaults(mut self, ctx: &ErrorContext) -> Self {
        let c = &mut self.context;
        fill(&mut c.provider, &ctx.provider);
        fill(&mut c.service, &ctx.service);
        fill(&mut c.action, &ctx.action);
        fill(&mut c.region, &ctx.region);
        fill(&mut c.code, &ctx.code);
        fill(&mut c.request_id, &ctx.request_id);
        if c.http_status.is_none() {
            c.http_status = ctx.http_status;
        }
        if c.attempts == 0 {
            c.attempts = ctx.attempts;
        }
        self
    }
}

fn fill(slot: &mut Option<String>, from: &Option<String>) {
    if slot.is_none() {
        slot.clone_from(from);
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.kind)
            .field("message", &self.message)
            .field("context", &self.context);
        if let Some(s) = &self.source {
            d.field("source", &s.to_string());
        }
        d.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.context;
        write!(f, "{}", self.kind)?;
        let mut scope = Vec::new();
        for part in [&c.provider, &c.service, &c.action, &c.region]
            .into_iter()
            .flatten()
        {
            scope.push(part.as_str());
        }
        if !scope.is_empty() {
            write!(f, " [{}]", scope.join(" "))?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(code) = &c.code {
            write!(f, " (code {code}")?;
            if let Some(s) = c.http_status {
                write!(f, ", http {s}")?;
            }
            write!(f, ")")?;
        } else if let Some(s) = c.http_status {
            write!(f, " (http {s})")?;
        }
        if let Some(id) = &c.request_id {
            write!(f, " request-id={id}")?;
        }
        if c.attempts > 1 {
            write!(f, " after {} attempts", c.attempts)?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::new(ErrorKind::Decode, format!("invalid JSON: {e}")).with_source(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_resources_own_not_found_code_makes_a_delete_ok() {
        let gone = &["InvalidVpcId.NotFound"];
        let coded = |c: &str| Err(Error::not_found("x").with_code(c));
        assert!(ok_if_gone(coded("InvalidVpcId.NotFound"), gone).is_ok());
        assert!(ok_if_gone(coded("InvalidVpcID.NotFound"), gone).is_ok());
        assert!(ok_if_gone(coded("InvalidRegionId.NotFound"), gone).is_err());
        assert!(ok_if_gone(Err(Error::not_found("bare 404")), gone).is_err());
        assert!(ok_if_gone(Ok(()), gone).is_ok());
        assert!(!Error::not_found("x").has_code(gone));
        let conflict = Error::new(ErrorKind::Conflict, "x").with_code(gone[0]);
        assert!(ok_if_gone(Err(conflict), gone).is_err());
    }

    #[test]
    fn display_carries_context() {
        let e = Error::new(ErrorKind::Throttled, "slow down")
            .with_provider("tencent")
            .with_service("cvm")
            .with_action("DescribeInstances")
            .with_region("ap-guangzhou")
            .with_code("RequestLimitExceeded")
            .with_http_status(200)
            .with_request_id("abc-123")
            .with_attempts(4);
        let s = e.to_string();
        assert_eq!(
            s,
            "throttled [tencent cvm DescribeInstances ap-guangzhou]: slow down \
             (code RequestLimitExceeded, http 200) request-id=abc-123 after 4 attempts"
        );
        assert!(e.is_retryable());
        assert_eq!(e.code(), Some("RequestLimitExceeded"));
    }

    #[test]
    fn retryable_kinds() {
        for k in [
            ErrorKind::Throttled,
            ErrorKind::Unavailable,
            ErrorKind::Timeout,
        ] {
            assert!(k.is_retryable(), "{k}");
        }
        for k in [
            ErrorKind::NotFound,
            ErrorKind::AlreadyExists,
            ErrorKind::Conflict,
            ErrorKind::Unauthenticated,
            ErrorKind::PermissionDenied,
            ErrorKind::QuotaExceeded,
            ErrorKind::InvalidArgument,
            ErrorKind::Unsupported,
            ErrorKind::Decode,
            ErrorKind::Config,
            ErrorKind::Other,
        ] {
            assert!(!k.is_retryable(), "{k}");
        }
    }

    #[test]
    fn source_chain_is_kept() {
        let io = std::io::Error::other("socket closed");
        let e = Error::new(ErrorKind::Unavailable, "send failed").with_source(io);
        let src = std::error::Error::source(&e).map(|s| s.to_string());
        assert_eq!(src.as_deref(), Some("socket closed"));
    }

    #[test]
    fn context_defaults_do_not_overwrite() {
        let ctx = ErrorContext {
            provider: Some("aws".into()),
            action: Some("RunInstances".into()),
            attempts: 3,
            ..Default::default()
        };
        let e = Error::not_found("gone")
            .with_action("TerminateInstances")
            .with_context_defaults(&ctx);
        assert_eq!(e.provider(), Some("aws"));
        assert_eq!(e.context().action.as_deref(), Some("TerminateInstances"));
        assert_eq!(e.attempts(), 3);
    }
}
