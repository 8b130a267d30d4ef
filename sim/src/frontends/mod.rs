//! Provider frontends, each behind the Cargo feature of its name.
//!
//! Each provider module exposes `pub fn frontends() -> Vec<Arc<dyn Frontend>>`
//! (a cloud may need several, e.g. compute and object storage with different
//! host patterns); [`compiled_in`] collects them. [`testing`] is a tiny JSON
//! frontend for the simulator's own tests; it is always compiled but only
//! served when added explicitly.

use std::sync::Arc;

use crate::Frontend;

#[cfg(feature = "alibaba")]
pub mod alibaba;
#[cfg(feature = "aws")]
pub mod aws;
#[cfg(feature = "azure")]
pub mod azure;
#[cfg(feature = "huawei")]
pub mod huawei;
#[cfg(feature = "openstack")]
pub mod openstack;
#[cfg(feature = "tencent")]
pub mod tencent;
pub mod testing;

/// Every frontend compiled into this build (by feature), in a stable order.
pub fn compiled_in() -> Vec<Arc<dyn Frontend>> {
    #[allow(unused_mut)]
    let mut v: Vec<Arc<dyn Frontend>> = Vec::new();
    #[cfg(feature = "alibaba")]
    v.extend(alibaba::frontends());
    #[cfg(feature = "huawei")]
    v.extend(huawei::frontends());
    #[cfg(feature = "tencent")]
    v.extend(tencent::frontends());
    #[cfg(feature = "aws")]
    v.extend(aws::frontends());
    #[cfg(feature = "azure")]
    v.extend(azure::frontends());
    #[cfg(feature = "openstack")]
    v.extend(openstack::frontends());
    v
}

/// Names of the providers whose features are enabled in this build (whether
/// or not their frontend exists yet).
pub fn compiled_in_providers() -> Vec<&'static str> {
    [
        ("alibaba", cfg!(feature = "alibaba")),
        ("huawei", cfg!(feature = "huawei")),
        ("tencent", cfg!(feature = "tencent")),
        ("aws", cfg!(feature = "aws")),
        ("azure", cfg!(feature = "azure")),
        ("openstack", cfg!(feature = "openstack")),
    ]
    .into_iter()
    .filter_map(|(n, on)| on.then_some(n))
    .collect()
}
