//! # multicloud
//!
//! One normalized, async model over six clouds — Alibaba Cloud, Huawei Cloud,
//! Tencent Cloud, AWS, Azure and OpenStack — for multi-cloud management
//! tools: inventory, cost, provisioning and IAM across many accounts.
//!
//! Providers are compiled in by Cargo features (`alibaba`, `huawei`,
//! `tencent`, `aws`, `azure`, `openstack`, `full`) and reached through the
//! object-safe traits [`Provider`], [`Compute`], [`Network`], [`Storage`],
//! [`Billing`] and [`Iam`]. Every list is a stream that fetches every page;
//! every failure is an [`Error`] with a normalized [`ErrorKind`].
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod cloud;
pub mod config;
pub mod credentials;
pub mod endpoint;
pub mod error;
pub mod fanout;
pub mod model;
pub mod paging;
pub mod traits;
pub mod transport;

pub use cloud::Cloud;
pub use error::{Error, ErrorContext, ErrorKind, Result};
pub use traits::{Billing, Capabilities, Compute, Iam, Network, Provider, ResultStream, Storage};

#[cfg(feature = "alibaba")]
#[path = "../providers/alibaba/mod.rs"]
pub mod alibaba;
#[cfg(feature = "aws")]
#[path = "../providers/aws/mod.rs"]
pub mod aws;
#[cfg(feature = "azure")]
#[path = "../providers/azure/mod.rs"]
pub mod azure;
#[cfg(feature = "huawei")]
#[path = "../providers/huawei/mod.rs"]
pub mod huawei;
#[cfg(feature = "openstack")]
#[path = "../providers/openstack/mod.rs"]
pub mod openstack;
#[cfg(feature = "tencent")]
#[path = "../providers/tencent/mod.rs"]
pub mod tencent;
