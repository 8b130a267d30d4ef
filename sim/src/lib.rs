//! # multicloud-sim
//!
//! A local, wire-level simulator of six clouds (Alibaba, Huawei, Tencent,
//! AWS, Azure, OpenStack) for testing multi-cloud tools: one in-memory
//! [`Estate`] of accounts and resources, served over HTTP(S) by provider
//! [`Frontend`]s that speak each cloud's protocol, with fault injection
//! ([`Faults`]) and a request log ([`RequestLog`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), multicloud_sim::SimError> {
//! let sim = multicloud_sim::Sim::builder()
//!     .seed(42)
//!     .providers(&["tencent", "alibaba"])
//!     .regions(2)
//!     .instances_per_region(200)
//!     .start()
//!     .await?;
//! println!("{}", sim.accounts_toml());
//! sim.shutdown().await;
//! # Ok(()) }
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod clock;
pub mod estate;
pub mod faults;
pub mod frontend;
pub mod frontends;
pub mod log;
mod server;
mod sim;
pub mod tls;

pub use clock::Clock;
pub use estate::{Estate, EstateError, Filter, GenConfig, PageReq, Scope};
pub use faults::{Decision, FaultConfig, FaultRule, Faults};
pub use frontend::{Ctx, Frontend, SimRequest, SimResponse, Xml};
pub use log::{FaultKind, LoggedRequest, RequestLog};
pub use server::MALFORMED_BODY;
pub use sim::{Sim, SimBuilder, SimError, SimHandle};
