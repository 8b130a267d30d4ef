//! Tencent Cloud provider (CVM, CBS, VPC, COS, CAM, Billing, STS).
//!
//! This round holds the parts that send no HTTP: the request signers
//! ([`sign`]), error parsing and classification ([`client`]), credentials and
//! endpoint resolution ([`config`]), the wire types of every API the provider
//! calls with their conversions into the normalized model and the request
//! parameter builders ([`compute`], [`network`], [`storage`], [`iam`],
//! [`billing`]). See `docs/providers/tencent.md`.

pub mod billing;
pub mod client;
pub mod compute;
pub mod config;
pub mod iam;
pub mod network;
pub mod sign;
pub mod storage;
pub mod wire;
