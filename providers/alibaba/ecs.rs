//! [`Compute`] on ECS 2014-05-26.
//!
//! Lists use `PageNumber`/`PageSize` (100 at most, the API's maximum) with
//! the first page's `TotalCount`, so the remaining pages are fetched four
//! at a time ([`crate::paging::page_number_pager`], through the provider's
//! shared page-number listing). `DescribeInstances` also offers
//! `NextToken`/`MaxResults`, which cannot be fetched concurrently; the
//! page-number style is kept for that reason. `DescribeInstanceTypes` only
//! pages by `NextToken`.
//!
//! Creates send a `ClientToken` (the spec's, or a fresh one) that is the
//! same on every retry, so a create whose answer was lost and is sent again
//! returns the first create's resource; they are marked idempotent for the
//! transport. The new resource is then described, retrying briefly while
//! the API does not show it yet (eventual consistency).

use std::future::Future;
use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;

use super::AlibabaProvider;
use super::client::{CallKind, client_token};
use super::compute::{
    DescribeDisksResponse, DescribeImagesResponse, DescribeInstanceTypesResponse,
    DescribeInstancesResponse, attach_disk_params, create_disk_params, delete_disk_params,
    delete_instance_params, describe_instance_types_params, detach_disk_params,
    reboot_instance_params, run_instances_params, start_instance_params, stop_instance_params,
};
use super::config::Service;
use super::rpc::CreatedField;
use super::wire::{Params, opt_string, string_vec};
use crate::error::{Error, ErrorKind, Result};
use crate::model::{
    Image, Instance, InstanceSpec, InstanceType, ListImages, ListInstances, ListVolumes,
    StopOptions, Volume, VolumeSpec,
};
use crate::paging::{Page, token_pager};
use crate::traits::{Compute, ResultStream};

/// Pages fetched at once after the first page revealed the total.
pub const CONCURRENCY: usize = 4;

/// How long a new resource may stay invisible to its describe call.
pub const CREATE_VISIBILITY_ATTEMPTS: u32 = 6;

/// The page size of a list: the query's, else `max`, within `1..=max`.
pub fn page_size(requested: Option<u32>, max: u32) -> u32 {
    requested.unwrap_or(max).clamp(1, max)
}

// The codes (HTTP 404) by which each delete or release API says that the
// resource itself does not exist, from the vendor's error-code tables of
// those APIs; the simulator answers the same.

/// `DeleteInstance`: the instance does not exist.
pub const INSTANCE_GONE: &str = "InvalidInstanceId.NotFound";
/// `DeleteDisk`: the disk does not exist.
pub const DISK_GONE: &str = "InvalidDiskId.NotFound";
/// `DeleteSecurityGroup`: the group does not exist.
pub const SECURITY_GROUP_GONE: &str = "InvalidSecurityGroupId.NotFound";
/// `DeleteVpc`: the VPC does not exist.
pub const VPC_GONE: &str = "InvalidVpcId.NotFound";
/// `DeleteVSwitch`: the VSwitch does not exist.
pub const VSWITCH_GONE: &str = "InvalidVSwitchId.NotFound";
/// `ReleaseEipAddress`: the EIP does not exist.
pub const EIP_GONE: &str = "InvalidAllocationId.NotFound";

/// Whether `code` says that the resource a delete names is gone: one of
/// the ECS/VPC codes above, RAM's `EntityNotExist.*` (the user, group,
/// role, policy, access key or attachment) or OSS's `NoSuchBucket`,
/// `NoSuchKey`, `NoSuchUpload`, `NoSuchVersion`. Not a region, zone, image
/// or other parameter that does not exist (`InvalidRegionId.NotFound`,
/// `InvalidZoneId.NotFound`, ...): the request was wrong, nothing was deleted.
pub fn is_resource_gone(code: &str) -> bool {
    const CODES: &[&str] = &[
        INSTANCE_GONE,
        DISK_GONE,
        SECURITY_GROUP_GONE,
        VPC_GONE,
        VSWITCH_GONE,
        EIP_GONE,
        "NoSuchBucket",
        "NoSuchKey",
        "NoSuchUpload",
        "NoSuchVersion",
    ];
    code.starts_with("EntityNotExist") || CODES.iter().any(|c| c.eq_ignore_ascii_case(code))
}

pub use crate::error::ok_if_gone;

/// `Ok(())` when a delete failed only because its resource is gone, by any
/// of the codes [`is_resource_gone`] knows (for callers that do not name
/// their API's own code; prefer [`ok_if_gone`]).
pub fn ok_if_missing(r: Result<()>) -> Result<()> {
    match r {
        Err(e) if e.kind() == ErrorKind::NotFound && e.code().is_some_and(is_resource_gone) => {
            Ok(())
        }
        other => other,
    }
}

/// Describe a resource just created: `NotFound` is retried a few times with
/// a growing pause (100 ms, 200 ms, ...), as the describe APIs may lag the
/// create.
pub async fn eventually<T, F, Fut>(mut describe: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let mut delay = Duration::from_millis(100);
    let mut attempt = 1;
    loop {
        match describe().await {
            Err(e) if e.kind() == ErrorKind::NotFound && attempt < CREATE_VISIBILITY_ATTEMPTS => {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(2));
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// The `RunInstances` answer.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RunInstancesResponse {
    /// Request id.
    #[serde(rename = "RequestId", default, deserialize_with = "opt_string")]
    pub request_id: Option<String>,
    /// The new instances' ids.
    #[serde(rename = "InstanceIdSets", default)]
    pub instance_id_sets: InstanceIdSets,
}

/// `{"InstanceIdSet":[...]}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct InstanceIdSets {
    /// Ids.
    #[serde(rename = "InstanceIdSet", default, deserialize_with = "string_vec")]
    pub instance_id_set: Vec<String>,
}

/// The `CreateDisk` answer.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CreateDiskResponse {
    /// Request id.
    #[serde(rename = "RequestId", default, deserialize_with = "opt_string")]
    pub request_id: Option<String>,
    /// The new disk's id.
    #[serde(rename = "DiskId", default, deserialize_with = "opt_string")]
    pub disk_id: Option<String>,
}

// The id field of `CreateDiskResponse`, by its wire name.
const DISK_ID: CreatedField<CreateDiskResponse> = ("DiskId", |r| r.disk_id);

/// An answer whose body does not matter (only its status).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Ack {
    /// Request id.
    #[serde(rename = "RequestId", default, deserialize_with = "opt_string")]
    pub request_id: Option<String>,
}

impl AlibabaProvider {
    async fn instance_types_page(
        &self,
        region: &str,
        token: Option<String>,
    ) -> Result<Page<InstanceType>> {
        let p = describe_instance_types_params(token.as_deref());
        let r: DescribeInstanceTypesResponse = self
            .rpc(
                Service::Ecs,
                "DescribeInstanceTypes",
                region,
                &p,
                CallKind::Read,
            )
            .await?;
        Ok(Page::new(r.to_instance_types(region), r.next_token.clone()))
    }

    /// Whether the credentials may call `DescribeInstances` in `region`,
    /// by a `DryRun=true` request. `DescribeInstances` answers an empty
    /// list, not an error, to a caller without the permission; this probe
    /// tells "no instances" from "not allowed": `Ok(true)` when the dry run
    /// answers `DryRunOperation`, `Ok(false)` on a permission error.
    pub async fn can_describe_instances(&self, region: &str) -> Result<bool> {
        let p = super::compute::describe_instances_dry_run_params(region);
        match self
            .rpc_ack(
                Service::Ecs,
                "DescribeInstances",
                region,
                &p,
                CallKind::Read,
            )
            .await
        {
            Err(e) if e.code().is_some_and(super::client::is_dry_run_allowed) => Ok(true),
            Err(e) if e.kind() == ErrorKind::PermissionDenied => Ok(false),
            Err(e) => Err(e),
            // A server that ignores DryRun answered the listing itself.
            Ok(()) => Ok(true),
        }
    }

    async fn power(&self, action: &str, region: &str, p: Params) -> Result<()> {
        self.rpc_ack(Service::Ecs, action, region, &p, CallKind::Mutation)
            .await
    }
}

#[async_trait]
impl Compute for AlibabaProvider {
    fn instances<'a>(&'a self, q: &'a ListInstances) -> ResultStream<'a, Instance> {
        self.list::<DescribeInstancesResponse>(q)
    }

    async fn instance(&self, region: &str, id: &str) -> Result<Instance> {
        self.find::<DescribeInstancesResponse>(region, id).await
    }

    async fn create_instance(&self, spec: &InstanceSpec) -> Result<Instance> {
        let token = spec.client_token.clone().unwrap_or_else(client_token);
        let p = run_instances_params(spec, &token);
        let r: RunInstancesResponse = self
            .rpc(
                Service::Ecs,
                "RunInstances",
                &spec.region,
                &p,
                CallKind::Idempotent,
            )
            .await?;
        let id = r
            .instance_id_sets
            .instance_id_set
            .into_iter()
            .next()
            .ok_or_else(|| {
                Error::decode("RunInstances: no instance id in the answer").with_provider("alibaba")
            })?;
        eventually(|| self.instance(&spec.region, &id)).await
    }

    async fn start_instance(&self, region: &str, id: &str) -> Result<()> {
        self.power("StartInstance", region, start_instance_params(id))
            .await
    }

    async fn stop_instance(&self, region: &str, id: &str, opts: StopOptions) -> Result<()> {
        self.power("StopInstance", region, stop_instance_params(id, opts))
            .await
    }

    async fn reboot_instance(&self, region: &str, id: &str) -> Result<()> {
        self.power("RebootInstance", region, reboot_instance_params(id, false))
            .await
    }

    /// `DeleteInstance` with `Force=true`: a running instance is powered
    /// off and released in one call (as the console's "release" does). A
    /// missing instance is `Ok`.
    async fn delete_instance(&self, region: &str, id: &str) -> Result<()> {
        let p = delete_instance_params(id, true);
        self.rpc_delete(Service::Ecs, "DeleteInstance", region, &p, INSTANCE_GONE)
            .await
    }

    fn volumes<'a>(&'a self, q: &'a ListVolumes) -> ResultStream<'a, Volume> {
        self.list::<DescribeDisksResponse>(q)
    }

    async fn volume(&self, region: &str, id: &str) -> Result<Volume> {
        self.find::<DescribeDisksResponse>(region, id).await
    }

    async fn create_volume(&self, spec: &VolumeSpec) -> Result<Volume> {
        let token = spec.client_token.clone().unwrap_or_else(client_token);
        let p = create_disk_params(spec, &token);
        self.create_listed::<DescribeDisksResponse, _>("CreateDisk", &spec.region, &p, DISK_ID)
            .await
    }

    async fn attach_volume(&self, region: &str, volume_id: &str, instance_id: &str) -> Result<()> {
        self.power(
            "AttachDisk",
            region,
            attach_disk_params(instance_id, volume_id),
        )
        .await
    }

    async fn detach_volume(&self, region: &str, volume_id: &str, instance_id: &str) -> Result<()> {
        self.power(
            "DetachDisk",
            region,
            detach_disk_params(instance_id, volume_id),
        )
        .await
    }

    async fn delete_volume(&self, region: &str, id: &str) -> Result<()> {
        let p = delete_disk_params(id);
        self.rpc_delete(Service::Ecs, "DeleteDisk", region, &p, DISK_GONE)
            .await
    }

    fn images<'a>(&'a self, q: &'a ListImages) -> ResultStream<'a, Image> {
        self.list::<DescribeImagesResponse>(q)
    }

    fn instance_types<'a>(&'a self, region: &'a str) -> ResultStream<'a, InstanceType> {
        token_pager(None, move |token| self.instance_types_page(region, token))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_sizes_and_missing() {
        assert_eq!(page_size(None, 100), 100);
        assert_eq!(page_size(Some(0), 100), 1);
        assert_eq!(page_size(Some(500), 100), 100);
        assert_eq!(page_size(Some(7), 50), 7);
        let nf = |code: &str| Err(Error::not_found("x").with_code(code));
        assert!(ok_if_missing(nf("InvalidInstanceId.NotFound")).is_ok());
        assert!(ok_if_missing(nf("EntityNotExist.User.AccessKey")).is_ok());
        assert!(ok_if_missing(nf("NoSuchBucket")).is_ok());
        assert!(ok_if_missing(Ok(())).is_ok());
        assert_eq!(
            ok_if_missing(Err(Error::new(ErrorKind::Conflict, "x")))
                .unwrap_err()
                .kind(),
            ErrorKind::Conflict
        );
        // Not the resource: a wrong region or zone, or a bare 404.
        for r in [
            nf("InvalidRegionId.NotFound"),
            nf("InvalidZoneId.NotFound"),
            nf("InvalidParameter.NotFound"),
            Err(Error::not_found("bare 404")),
        ] {
            assert_eq!(ok_if_missing(r).unwrap_err().kind(), ErrorKind::NotFound);
        }
    }

    #[test]
    fn only_the_named_resource_gone_is_ok() {
        let nf = |code: &str| Err(Error::not_found("x").with_code(code));
        assert!(ok_if_gone(nf("InvalidVpcId.NotFound"), &[VPC_GONE]).is_ok());
        assert!(ok_if_gone(nf("InvalidAllocationID.NotFound"), &[EIP_GONE]).is_ok());
        // Another resource's code is no proof this one is gone.
        assert!(ok_if_gone(nf("InvalidVpcId.NotFound"), &[VSWITCH_GONE]).is_err());
        assert!(ok_if_gone(nf("InvalidRegionId.NotFound"), &[INSTANCE_GONE]).is_err());
        assert!(ok_if_gone(Err(Error::not_found("no code")), &[INSTANCE_GONE]).is_err());
        let e = ok_if_gone(
            Err(Error::new(ErrorKind::Conflict, "x").with_code(INSTANCE_GONE)),
            &[INSTANCE_GONE],
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict);
    }

    #[test]
    fn run_instances_answer() {
        // The vendor's documented RunInstances answer shape.
        let r: RunInstancesResponse = serde_json::from_str(
            r#"{"RequestId":"473469C7-AA6F-4DC5-B3DB-A3DC0DE3C83E","OrderId":"123456","TradePrice":0.165,"InstanceIdSets":{"InstanceIdSet":["i-bp67acfmxazb4pd2****"]}}"#,
        )
        .unwrap();
        assert_eq!(
            r.instance_id_sets.instance_id_set,
            ["i-bp67acfmxazb4pd2****"]
        );
        let d: CreateDiskResponse = serde_json::from_str(
            r#"{"RequestId":"r","DiskId":"d-bp131n0q38u3a4zi****","OrderId":"1"}"#,
        )
        .unwrap();
        assert_eq!(d.disk_id.as_deref(), Some("d-bp131n0q38u3a4zi****"));
    }

    #[tokio::test(start_paused = true)]
    async fn eventually_retries_not_found_only() {
        let mut n = 0;
        let r: Result<u32> = eventually(|| {
            n += 1;
            let k = n;
            async move {
                if k < 3 {
                    Err(Error::not_found("not yet"))
                } else {
                    Ok(k)
                }
            }
        })
        .await;
        assert_eq!(r.unwrap(), 3);
        let mut m = 0;
        let r: Result<u32> = eventually(|| {
            m += 1;
            async { Err(Error::new(ErrorKind::Conflict, "no")) }
        })
        .await;
        assert_eq!(r.unwrap_err().kind(), ErrorKind::Conflict);
        assert_eq!(m, 1);
        let mut k = 0;
        let r: Result<u32> = eventually(|| {
            k += 1;
            async { Err(Error::not_found("never")) }
        })
        .await;
        assert_eq!(r.unwrap_err().kind(), ErrorKind::NotFound);
        assert_eq!(k, CREATE_VISIBILITY_ATTEMPTS);
    }
}
