//! The normalized model: one set of types for every cloud.
//!
//! Every type is `Serialize + Deserialize + Clone + Debug`; enums are
//! `#[non_exhaustive]` so new variants are not breaking changes. Every
//! resource keeps its `provider`, `region`, native `id`, `name` and `tags`;
//! states keep the cloud's raw string beside the normalized value, so no
//! information is lost in the mapping.

mod billing;
mod compute;
mod geo;
mod iam;
mod network;
mod storage;

pub use billing::*;
pub use compute::*;
pub use geo::*;
pub use iam::*;
pub use network::*;
pub use storage::*;

/// Resource tags (labels), sorted by key.
pub type Tags = std::collections::BTreeMap<String, String>;

/// A point in time, always in UTC.
pub type Timestamp = chrono::DateTime<chrono::Utc>;
