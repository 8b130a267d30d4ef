//! The provider: one account of one cloud.

use std::fmt::Debug;

use async_trait::async_trait;

use super::{Billing, Capabilities, Compute, Iam, Network, Storage};
use crate::error::Result;
use crate::model::{Account, ProviderKind, Region, Zone};
use crate::transport::TransportStats;

/// One account of one cloud, with its five service areas.
///
/// Obtain one with [`Cloud::connect`](crate::Cloud::connect) or a provider
/// module's builder. Cheap to share: wrap it in an `Arc`.
#[async_trait]
pub trait Provider: Send + Sync + Debug {
    /// Which cloud.
    fn kind(&self) -> ProviderKind;

    /// The account's name in the accounts file (or a default label).
    fn name(&self) -> &str;

    /// What this provider implements.
    fn capabilities(&self) -> &Capabilities;

    /// The identity the credentials act as. Memoized after the first call.
    async fn account(&self) -> Result<Account>;

    /// Regions, discovered from the cloud and cached, with a static fallback
    /// when discovery fails; filtered by the account's region include/exclude.
    async fn regions(&self) -> Result<Vec<Region>>;

    /// Zones of one region.
    async fn zones(&self, region: &str) -> Result<Vec<Zone>>;

    /// Compute service, if implemented.
    fn compute(&self) -> Option<&dyn Compute>;

    /// Network service, if implemented.
    fn network(&self) -> Option<&dyn Network>;

    /// Object storage service, if implemented.
    fn storage(&self) -> Option<&dyn Storage>;

    /// Billing service, if implemented.
    fn billing(&self) -> Option<&dyn Billing>;

    /// IAM service, if implemented.
    fn iam(&self) -> Option<&dyn Iam>;

    /// The counters of this provider's HTTP layer so far: attempts, retries,
    /// responses the cloud throttled, and the client-side rate limiter's
    /// waits. Progress reports use it to show throttle waits. `None` when the
    /// provider keeps no counters.
    fn transport_stats(&self) -> Option<TransportStats> {
        None
    }
}
