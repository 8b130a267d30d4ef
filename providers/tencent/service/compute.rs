//! `Compute` over CVM (instances, images, instance types) and CBS (disks).

use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use serde_json::json;

use super::super::TencentProvider;
use super::super::client::{CallKind, client_token};
use super::super::compute::*;
use super::super::network::DescribeSubnetsResponse;
use super::super::wire::{MAX_LIMIT, page_size};
use crate::error::{Error, ErrorKind, Result};
use crate::model::{
    Image, Instance, InstanceSpec, InstanceState, InstanceType, ListImages, ListInstances,
    ListVolumes, StopOptions, Volume, VolumeSpec,
};
use crate::traits::{Compute, ResultStream};

/// Tries of the describe that follows a create (the new resource may take
/// a moment to show in Describe* calls), and the pause between them.
const CREATE_VISIBILITY_TRIES: u32 = 10;
const CREATE_VISIBILITY_PAUSE: Duration = Duration::from_millis(200);

fn not_found(what: &str, id: &str, region: &str) -> Error {
    Error::not_found(format!("Tencent Cloud {what} `{id}` not found"))
        .with_provider("tencent")
        .with_region(region)
}

/// `Ok` for a NotFound error (deletes of missing resources).
pub(crate) fn ok_if_missing(r: Result<()>) -> Result<()> {
    match r {
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// Retry `get` while it says NotFound, a bounded number of times (the
/// resource a create just made may not be listed yet).
pub(crate) async fn visible<T, F, Fut>(mut get: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let mut tries = 0;
    loop {
        tries += 1;
        match get().await {
            Err(e) if e.kind() == ErrorKind::NotFound && tries < CREATE_VISIBILITY_TRIES => {
                tokio::time::sleep(CREATE_VISIBILITY_PAUSE * tries).await;
            }
            other => return other,
        }
    }
}

impl TencentProvider {
    async fn instance_opt(&self, region: &str, id: &str) -> Result<Option<Instance>> {
        let r: DescribeInstancesResponse = self
            .read(
                "cvm",
                "DescribeInstances",
                Some(region),
                json!({ "InstanceIds": [id], "Offset": 0, "Limit": 1 }),
            )
            .await?;
        Ok(r.instance_set
            .iter()
            .find(|i| i.instance_id == id)
            .map(|i| instance_from_wire(region, i)))
    }

    async fn subnet_vpc(&self, region: &str, subnet_id: &str) -> Result<String> {
        let r: DescribeSubnetsResponse = self
            .read(
                "vpc",
                "DescribeSubnets",
                Some(region),
                json!({ "SubnetIds": [subnet_id], "Offset": "0", "Limit": "1" }),
            )
            .await?;
        r.subnet_set
            .iter()
            .find(|s| s.subnet_id == subnet_id)
            .map(|s| s.vpc_id.clone())
            .ok_or_else(|| not_found("subnet", subnet_id, region))
    }

    async fn instance_action(
        &self,
        action: &'static str,
        region: &str,
        params: serde_json::Value,
        kind: CallKind,
    ) -> Result<()> {
        let _: serde_json::Value = self
            .client
            .call("cvm", action, Some(region), params, kind)
            .await?;
        Ok(())
    }
}

#[async_trait]
impl Compute for TencentProvider {
    fn instances<'a>(&'a self, q: &'a ListInstances) -> ResultStream<'a, Instance> {
        let region = q.region.as_str();
        self.offset_list::<DescribeInstancesResponse, _, _, _>(
            "cvm",
            "DescribeInstances",
            Some(region),
            page_size(q.page_size, MAX_LIMIT),
            move |offset, _| Ok(describe_instances_params(q, offset)),
            move |i| Ok(instance_from_wire(region, &i)),
        )
    }

    async fn instance(&self, region: &str, id: &str) -> Result<Instance> {
        self.instance_opt(region, id)
            .await?
            .ok_or_else(|| not_found("instance", id, region))
    }

    async fn create_instance(&self, spec: &InstanceSpec) -> Result<Instance> {
        let region = spec.region.as_str();
        let token = client_token(spec.client_token.as_deref());
        let vpc = match spec.subnet_id.as_deref().filter(|s| !s.is_empty()) {
            Some(sn) => Some(self.subnet_vpc(region, sn).await?),
            None => None,
        };
        let params = run_instances_params(spec, vpc.as_deref(), &token);
        let r: RunInstancesResponse = self
            .client
            .call(
                "cvm",
                "RunInstances",
                Some(region),
                params,
                CallKind::Idempotent,
            )
            .await?;
        let id = r
            .instance_id_set
            .first()
            .cloned()
            .ok_or_else(|| Error::decode("RunInstances returned no InstanceId"))?;
        visible(|| self.instance(region, &id)).await
    }

    async fn start_instance(&self, region: &str, id: &str) -> Result<()> {
        self.instance_action(
            "StartInstances",
            region,
            start_instances_params(&[id]),
            CallKind::Write,
        )
        .await
    }

    async fn stop_instance(&self, region: &str, id: &str, opts: StopOptions) -> Result<()> {
        self.instance_action(
            "StopInstances",
            region,
            stop_instances_params(&[id], opts),
            CallKind::Write,
        )
        .await
    }

    async fn reboot_instance(&self, region: &str, id: &str) -> Result<()> {
        self.instance_action(
            "RebootInstances",
            region,
            reboot_instances_params(&[id]),
            CallKind::Write,
        )
        .await
    }

    async fn delete_instance(&self, region: &str, id: &str) -> Result<()> {
        let r = self
            .instance_action(
                "TerminateInstances",
                region,
                terminate_instances_params(&[id]),
                CallKind::Idempotent,
            )
            .await;
        match r {
            Err(e) if e.kind() == ErrorKind::Conflict => {
                // Already being terminated (a repeated delete): done.
                match self.instance_opt(region, id).await? {
                    None => Ok(()),
                    Some(i)
                        if matches!(
                            i.state,
                            InstanceState::Terminating | InstanceState::Terminated
                        ) =>
                    {
                        Ok(())
                    }
                    Some(_) => Err(e),
                }
            }
            other => ok_if_missing(other),
        }
    }

    fn volumes<'a>(&'a self, q: &'a ListVolumes) -> ResultStream<'a, Volume> {
        let region = q.region.as_str();
        self.offset_list::<DescribeDisksResponse, _, _, _>(
            "cbs",
            "DescribeDisks",
            Some(region),
            page_size(q.page_size, MAX_LIMIT),
            move |offset, _| Ok(describe_disks_params(q, offset)),
            move |d| Ok(volume_from_wire(region, &d)),
        )
    }

    async fn volume(&self, region: &str, id: &str) -> Result<Volume> {
        let r: DescribeDisksResponse = self
            .read(
                "cbs",
                "DescribeDisks",
                Some(region),
                json!({ "DiskIds": [id], "Offset": 0, "Limit": 1 }),
            )
            .await?;
        r.disk_set
            .iter()
            .find(|d| d.disk_id == id)
            .map(|d| volume_from_wire(region, d))
            .ok_or_else(|| not_found("disk", id, region))
    }

    async fn create_volume(&self, spec: &VolumeSpec) -> Result<Volume> {
        if spec.zone.as_deref().is_none_or(str::is_empty) {
            return Err(Error::invalid_argument(
                "Tencent Cloud disks are zonal: VolumeSpec.zone is required",
            ));
        }
        let region = spec.region.as_str();
        let token = client_token(spec.client_token.as_deref());
        let r: CreateDisksResponse = self
            .client
            .call(
                "cbs",
                "CreateDisks",
                Some(region),
                create_disks_params(spec, &token),
                CallKind::Idempotent,
            )
            .await?;
        let id = r
            .disk_id_set
            .first()
            .cloned()
            .ok_or_else(|| Error::decode("CreateDisks returned no DiskId"))?;
        visible(|| self.volume(region, &id)).await
    }

    async fn attach_volume(&self, region: &str, volume_id: &str, instance_id: &str) -> Result<()> {
        let _: serde_json::Value = self
            .client
            .call(
                "cbs",
                "AttachDisks",
                Some(region),
                attach_disks_params(&[volume_id], instance_id),
                CallKind::Write,
            )
            .await?;
        Ok(())
    }

    async fn detach_volume(&self, region: &str, volume_id: &str, instance_id: &str) -> Result<()> {
        let instance = Some(instance_id).filter(|i| !i.is_empty());
        let _: serde_json::Value = self
            .client
            .call(
                "cbs",
                "DetachDisks",
                Some(region),
                detach_disks_params(&[volume_id], instance),
                CallKind::Write,
            )
            .await?;
        Ok(())
    }

    async fn delete_volume(&self, region: &str, id: &str) -> Result<()> {
        let r: Result<serde_json::Value> = self
            .client
            .call(
                "cbs",
                "TerminateDisks",
                Some(region),
                terminate_disks_params(&[id]),
                CallKind::Idempotent,
            )
            .await;
        ok_if_missing(r.map(|_| ()))
    }

    fn images<'a>(&'a self, q: &'a ListImages) -> ResultStream<'a, Image> {
        let region = q.region.as_str();
        self.offset_list::<DescribeImagesResponse, _, _, _>(
            "cvm",
            "DescribeImages",
            Some(region),
            page_size(q.page_size, MAX_LIMIT),
            move |offset, _| Ok(describe_images_params(q, offset)),
            move |i| Ok(image_from_wire(region, &i)),
        )
    }

    fn instance_types<'a>(&'a self, region: &'a str) -> ResultStream<'a, InstanceType> {
        // DescribeInstanceTypeConfigs is not paged: one call, rows merged
        // per type.
        futures::stream::once(async move {
            let r: DescribeInstanceTypeConfigsResponse = self
                .read(
                    "cvm",
                    "DescribeInstanceTypeConfigs",
                    Some(region),
                    describe_instance_type_configs_params(None),
                )
                .await?;
            Ok::<_, Error>(instance_types_from_wire(
                region,
                &r.instance_type_config_set,
            ))
        })
        .flat_map(|r| match r {
            Ok(v) => futures::stream::iter(v.into_iter().map(Ok)).boxed(),
            Err(e) => futures::stream::iter([Err(e)]).boxed(),
        })
        .boxed()
    }
}
