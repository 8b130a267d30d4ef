//! The five service traits implemented on [`TencentProvider`](super::TencentProvider).

mod billing;
mod compute;
mod iam;
mod network;
mod storage;
