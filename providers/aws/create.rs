//! Creates that are neither lost nor duplicated when an answer is lost.
//!
//! Of the EC2 creates, only `RunInstances` and `CreateVolume` take a
//! `ClientToken` (the `aws-sdk-ec2` input builders: `CreateVpc`,
//! `CreateSubnet`, `CreateSecurityGroup` and `AllocateAddress` have none),
//! IAM `CreateUser` and S3 `CreateBucket` neither. So a create is tagged
//! with a marker ([`MARKER_TAG`] = a fresh UUID, or the caller's client
//! token) and sent without the SDK's own retries; when its answer does not
//! arrive (connection closed, timeout, 5xx) the provider first looks for
//! the resource carrying that marker and returns it, and only resends when
//! nothing carries it. A name conflict after an unanswered attempt also
//! resolves to the resource carrying the marker.

use std::future::Future;
use std::time::Duration;

use aws_smithy_types::retry::RetryConfig;

use crate::error::{Error, ErrorKind, Result};
use crate::transport::settings::{DEFAULT_BACKOFF_BASE, DEFAULT_BACKOFF_CAP};

/// Tag key of the create marker. Hidden from the normalized tags.
pub const MARKER_TAG: &str = "multicloud:create-token";

/// The retry config of one create attempt: none (the loop in [`create_once`]
/// decides).
pub(crate) fn no_sdk_retry() -> RetryConfig {
    RetryConfig::disabled()
}

/// An EC2 config override making one call a single attempt.
pub(crate) fn ec2_single_attempt() -> aws_sdk_ec2::config::Builder {
    aws_sdk_ec2::config::Builder::default().retry_config(no_sdk_retry())
}

/// Whether a failed attempt may have been applied by the cloud: no answer
/// (connection closed, timed out) or a server error that is not a throttle.
pub(crate) fn maybe_applied(e: &Error) -> bool {
    match e.http_status() {
        None => matches!(e.kind(), ErrorKind::Unavailable | ErrorKind::Timeout),
        Some(s) => s >= 500 && e.kind() != ErrorKind::Throttled,
    }
}

fn retryable(e: &Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::Throttled | ErrorKind::Unavailable | ErrorKind::Timeout
    )
}

/// Backoff before attempt `n + 1`: the transport's full-jitter backoff with
/// its default base and cap (the SDK's own retry settings do not apply here).
fn backoff(n: u32) -> Duration {
    crate::transport::Backoff::new(DEFAULT_BACKOFF_BASE, DEFAULT_BACKOFF_CAP)
        .delay(n.saturating_sub(1))
}

/// Send a create at most `attempts` times. `send` makes one attempt (the
/// SDK's own retries off); `find` looks for the resource carrying this
/// create's marker. After an attempt that may have been applied, and after
/// a name conflict that follows one, `find` runs first and its resource
/// is the result. `resend_safe` (the create carries a `ClientToken`) lets
/// the loop resend when the lookup itself fails; otherwise the create's
/// error is returned rather than risking a second resource.
pub(crate) async fn create_once<T, S, SF, F, FF>(
    attempts: u32,
    resend_safe: bool,
    mut send: S,
    mut find: F,
) -> Result<T>
where
    S: FnMut() -> SF,
    SF: Future<Output = Result<T>>,
    F: FnMut() -> FF,
    FF: Future<Output = Result<Option<T>>>,
{
    let attempts = attempts.max(1);
    let mut unanswered = false;
    let mut n = 0u32;
    loop {
        n += 1;
        let e = match send().await {
            Ok(v) => return Ok(v),
            Err(e) => e,
        };
        let maybe = maybe_applied(&e);
        if maybe || (unanswered && e.kind() == ErrorKind::AlreadyExists) {
            match find().await {
                Ok(Some(v)) => return Ok(v),
                Ok(None) => {}
                Err(_) if resend_safe => {}
                Err(lookup) => {
                    tracing::warn!(error = %lookup, "lookup after an unanswered create failed");
                    return Err(e.with_attempts(n));
                }
            }
        }
        unanswered |= maybe;
        if n >= attempts || !retryable(&e) {
            return Err(e.with_attempts(n));
        }
        tokio::time::sleep(backoff(n)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn lost() -> Error {
        Error::new(ErrorKind::Unavailable, "connection closed")
    }

    #[tokio::test(start_paused = true)]
    async fn lost_answer_is_found_not_resent() {
        let sent = AtomicU32::new(0);
        let r = create_once(
            5,
            false,
            || async {
                sent.fetch_add(1, Ordering::SeqCst);
                Err::<u32, _>(lost())
            },
            || async { Ok(Some(7)) },
        )
        .await;
        assert_eq!(r.unwrap(), 7);
        assert_eq!(sent.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn conflict_after_a_lost_answer_resolves_by_marker() {
        let sent = AtomicU32::new(0);
        let looked = AtomicU32::new(0);
        let r = create_once(
            5,
            false,
            || async {
                let n = sent.fetch_add(1, Ordering::SeqCst);
                Err::<u32, _>(if n == 0 {
                    lost()
                } else {
                    Error::new(ErrorKind::AlreadyExists, "dup")
                })
            },
            || async {
                // not visible yet the first time
                let n = looked.fetch_add(1, Ordering::SeqCst);
                Ok((n > 0).then_some(9))
            },
        )
        .await;
        assert_eq!(r.unwrap(), 9);
        assert_eq!(sent.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn failed_lookup_does_not_resend_unless_safe() {
        for (safe, want_sent) in [(false, 1), (true, 3)] {
            let sent = AtomicU32::new(0);
            let r = create_once(
                3,
                safe,
                || async {
                    sent.fetch_add(1, Ordering::SeqCst);
                    Err::<u32, _>(lost())
                },
                || async { Err(Error::new(ErrorKind::Unavailable, "lookup")) },
            )
            .await;
            assert_eq!(r.unwrap_err().kind(), ErrorKind::Unavailable);
            assert_eq!(sent.load(Ordering::SeqCst), want_sent, "safe={safe}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_plain_conflict_is_returned() {
        let r = create_once(
            5,
            false,
            || async { Err::<u32, _>(Error::new(ErrorKind::AlreadyExists, "dup")) },
            || async { Ok(Some(1)) },
        )
        .await;
        assert_eq!(r.unwrap_err().kind(), ErrorKind::AlreadyExists);
    }
}
