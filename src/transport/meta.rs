//! Call metadata: what a call is, for the limiter, the tracing span, error
//! context and the read-only switch.

use std::borrow::Cow;

use crate::error::ErrorContext;
use crate::model::ProviderKind;

/// Describes one API call. Build it with [`CallMeta::read`] or
/// [`CallMeta::write`] and the `with_*`/[`idempotent`](CallMeta::idempotent)
/// modifiers.
///
/// ```
/// use multicloud::model::ProviderKind;
/// use multicloud::transport::CallMeta;
///
/// let meta = CallMeta::write(ProviderKind::Tencent, "cvm", "RunInstances")
///     .with_region("ap-guangzhou")
///     .idempotent(); // carries a ClientToken
/// assert!(meta.mutating && meta.retry_safe);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallMeta {
    /// Which cloud.
    pub provider: ProviderKind,
    /// Service within the cloud (`cvm`, `ecs`, `compute`, ...).
    pub service: Cow<'static, str>,
    /// API action (`DescribeInstances`, `GetObject`, ...).
    pub action: Cow<'static, str>,
    /// Region of the endpoint, `None` for global endpoints.
    pub region: Option<String>,
    /// Account label for the limiter key; empty means the transport's own.
    pub account: String,
    /// Whether the call changes anything (refused in read-only mode).
    pub mutating: bool,
    /// Whether the call may be sent again after it may have been processed:
    /// reads, deletes, PUT-by-name, creates carrying a client token. When
    /// `false`, the call is retried only after errors proving it was not
    /// processed (connect failures, throttling).
    pub retry_safe: bool,
}

impl CallMeta {
    /// A read: not mutating, safe to retry.
    pub fn read(
        provider: ProviderKind,
        service: impl Into<Cow<'static, str>>,
        action: impl Into<Cow<'static, str>>,
    ) -> Self {
        CallMeta {
            provider,
            service: service.into(),
            action: action.into(),
            region: None,
            account: String::new(),
            mutating: false,
            retry_safe: true,
        }
    }

    /// A mutating call, not safe to retry once it may have been processed
    /// (add [`idempotent`](CallMeta::idempotent) when it is).
    pub fn write(
        provider: ProviderKind,
        service: impl Into<Cow<'static, str>>,
        action: impl Into<Cow<'static, str>>,
    ) -> Self {
        CallMeta {
            mutating: true,
            retry_safe: false,
            ..CallMeta::read(provider, service, action)
        }
    }

    /// Set the endpoint region.
    pub fn with_region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Set the account label (else the transport's account label is used).
    pub fn with_account(mut self, account: impl Into<String>) -> Self {
        self.account = account.into();
        self
    }

    /// Mark the call safe to retry even after it may have been processed
    /// (deletes, PUT by name, creates with a client token).
    pub fn idempotent(mut self) -> Self {
        self.retry_safe = true;
        self
    }

    /// The error context of this call (provider, service, action, region).
    pub fn error_context(&self) -> ErrorContext {
        ErrorContext {
            provider: Some(self.provider.as_str().to_string()),
            service: Some(self.service.to_string()),
            action: Some(self.action.to_string()),
            region: self.region.clone(),
            ..ErrorContext::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors() {
        let r = CallMeta::read(ProviderKind::Aws, "ec2", "DescribeInstances");
        assert!(!r.mutating && r.retry_safe);
        let w = CallMeta::write(ProviderKind::Aws, "ec2", "RunInstances").with_region("us-east-1");
        assert!(w.mutating && !w.retry_safe);
        let ctx = w.error_context();
        assert_eq!(ctx.provider.as_deref(), Some("aws"));
        assert_eq!(ctx.action.as_deref(), Some("RunInstances"));
        assert_eq!(ctx.region.as_deref(), Some("us-east-1"));
        assert!(w.idempotent().retry_safe);
    }
}
