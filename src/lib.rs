#![doc = include_str!("../README.md")]
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
pub mod redact;
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
