//! Alibaba Cloud (Aliyun) and Apsara Stack: ECS, VPC, OSS, RAM, BSS and STS.
//!
//! This round holds the parts that send no HTTP, as pure, tested code:
//! request signing ([`sign`]), credentials and endpoints ([`config`]), error
//! parsing and classification ([`client`]), wire types, state mapping,
//! conversions into the normalized model and request-parameter builders
//! ([`compute`], [`network`], [`storage`], [`billing`], [`iam`]). The
//! `Provider` implementation that wires them to the shared transport comes
//! next. See `docs/providers/alibaba.md`.

pub mod billing;
pub mod client;
pub mod compute;
pub mod config;
pub mod iam;
pub mod network;
pub mod sign;
pub mod storage;
pub mod wire;
