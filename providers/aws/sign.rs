//! Request signing for AWS.
//!
//! The provider signs nothing itself: every request goes through the
//! official `aws-sdk-*` crates, which sign with SigV4 (and SigV4a where a
//! service needs it) through `aws-sigv4`, including presigned S3 URLs
//! (`Storage::presign`). This module therefore exports nothing but the
//! name of the scheme, for logs and docs.
//!
//! SigV4 test vectors (the AWS `aws-sig-v4-test-suite` and botocore's
//! signer) belong with the simulator's SigV4 *verifier*, which is where this
//! project checks signatures it did not produce.

/// The signature scheme the SDK uses for every AWS call.
pub const SCHEME: &str = "AWS4-HMAC-SHA256";
