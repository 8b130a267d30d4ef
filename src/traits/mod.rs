//! The service traits every provider implements.
//!
//! All traits are object-safe (`async-trait`), so a tool can hold
//! `Arc<dyn Provider>` values for many clouds and accounts at once. Lists
//! return streams ([`ResultStream`]) that fetch pages as they are consumed, so
//! memory stays bounded however large the estate.

mod billing;
mod capabilities;
mod compute;
mod iam;
mod network;
mod provider;
mod storage;

pub use billing::Billing;
pub use capabilities::Capabilities;
pub use compute::Compute;
pub use iam::Iam;
pub use network::Network;
pub use provider::Provider;
pub use storage::Storage;

/// A boxed stream of results: the return type of every list operation.
pub type ResultStream<'a, T> = futures::stream::BoxStream<'a, crate::Result<T>>;
