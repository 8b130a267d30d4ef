//! Alibaba Cloud (Aliyun) and Apsara Stack: ECS, VPC, OSS, RAM, BSS and STS.
//!
//! This module holds, as pure and tested code, everything of the provider
//! that sends no HTTP:
//!
//! * [`sign`]: ACS3-HMAC-SHA256 for the RPC APIs, OSS V4 and V1 signatures
//!   (header and presigned URL), checked against the vendor's published
//!   examples and its Python SDK signers;
//! * [`config`]: credential sources (environment, `aliyun` CLI profiles,
//!   ECS RAM role, AssumeRole) and endpoint resolution with Apsara Stack
//!   overrides;
//! * [`client`]: error body parsing and code classification;
//! * [`compute`], [`network`], [`storage`], [`iam`], [`billing`]: wire
//!   types with the vendor's field names, state mappings, conversions into
//!   the normalized model and request-parameter builders;
//! * [`wire`]: the lenient serde helpers they share.
//!
//! The `Provider` implementation that wires these to the shared transport
//! comes next; see `docs/providers/alibaba.md`.

pub mod billing;
pub mod client;
pub mod compute;
pub mod config;
pub mod iam;
pub mod network;
pub mod sign;
pub mod storage;
pub mod wire;
