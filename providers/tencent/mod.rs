//! Tencent Cloud provider (CVM, CBS, VPC, COS, CAM, Billing, STS).
//!
//! This module holds the parts that send no HTTP, as pure, tested code:
//!
//! * [`sign`]: the TC3-HMAC-SHA256 signer of API 3.0 and the COS
//!   `q-sign-algorithm=sha1` signer (header and presigned URL);
//! * [`client`]: the API 3.0 response envelope, error parsing and the
//!   error-code classifier, and COS XML errors;
//! * [`config`]: credentials (environment, profile file), API versions,
//!   endpoint resolution with private-cloud (TCE) overrides;
//! * [`compute`], [`network`], [`storage`], [`iam`], [`billing`]: wire types
//!   of every API the provider calls (field names from the vendor's Python
//!   SDK models), native → normalized state mapping, conversions into the
//!   normalized model, and request-parameter builders;
//! * [`wire`]: lenient scalars, times, tags and money shared by the above.
//!
//! The trait implementations that send these requests through the shared
//! transport come next. See `docs/providers/tencent.md`.

pub mod billing;
pub mod client;
pub mod compute;
pub mod config;
pub mod iam;
pub mod network;
pub mod sign;
pub mod storage;
pub mod wire;
