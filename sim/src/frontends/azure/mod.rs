//! The `azure` frontend (placeholder).
//!
//! The provider work for `azure` replaces this module with the cloud's wire
//! protocol: a type implementing [`crate::Frontend`] (host matching,
//! signature verification, the vendor's JSON/XML shapes, pagination, error
//! bodies and throttle signal) returned by [`frontends`]. Until then the
//! feature compiles and contributes no frontend: requests for its hosts get
//! the sim's "no frontend" 404, and the estate can still be seeded with
//! `azure` accounts.

use std::sync::Arc;

use crate::Frontend;

/// The frontends this module contributes (none yet).
pub fn frontends() -> Vec<Arc<dyn Frontend>> {
    Vec::new()
}
