//! Compute: instances, volumes, images, instance types.

use std::time::Duration;

use async_trait::async_trait;

use super::ResultStream;
use crate::error::{Error, ErrorKind, Result};
use crate::model::{
    Image, Instance, InstanceSpec, InstanceState, InstanceType, ListImages, ListInstances,
    ListVolumes, StopOptions, Volume, VolumeSpec, VolumeState, WaitOptions,
};

/// Virtual machines and block storage of one cloud account.
#[async_trait]
pub trait Compute: Send + Sync {
    /// Every instance matching the query, page by page.
    fn instances<'a>(&'a self, q: &'a ListInstances) -> ResultStream<'a, Instance>;

    /// One instance; `NotFound` when it does not exist.
    async fn instance(&self, region: &str, id: &str) -> Result<Instance>;

    /// Create one instance. Idempotent with the same `client_token`.
    async fn create_instance(&self, spec: &InstanceSpec) -> Result<Instance>;

    /// Start a stopped instance.
    async fn start_instance(&self, region: &str, id: &str) -> Result<()>;

    /// Stop a running instance.
    async fn stop_instance(&self, region: &str, id: &str, opts: StopOptions) -> Result<()>;

    /// Reboot a running instance.
    async fn reboot_instance(&self, region: &str, id: &str) -> Result<()>;

    /// Delete (terminate) an instance. A missing instance is `Ok`.
    async fn delete_instance(&self, region: &str, id: &str) -> Result<()>;

    /// Every volume matching the query.
    fn volumes<'a>(&'a self, q: &'a ListVolumes) -> ResultStream<'a, Volume>;

    /// One volume; `NotFound` when it does not exist.
    async fn volume(&self, region: &str, id: &str) -> Result<Volume>;

    /// Create a volume. Idempotent with the same `client_token`.
    async fn create_volume(&self, spec: &VolumeSpec) -> Result<Volume>;

    /// Attach a volume to an instance.
    async fn attach_volume(&self, region: &str, volume_id: &str, instance_id: &str) -> Result<()>;

    /// Detach a volume from the instance it is attached to.
    async fn detach_volume(&self, region: &str, volume_id: &str, instance_id: &str) -> Result<()>;

    /// Delete a volume. A missing volume is `Ok`.
    async fn delete_volume(&self, region: &str, id: &str) -> Result<()>;

    /// Images matching the query.
    fn images<'a>(&'a self, q: &'a ListImages) -> ResultStream<'a, Image>;

    /// Instance types offered in a region.
    fn instance_types<'a>(&'a self, region: &'a str) -> ResultStream<'a, InstanceType>;

    /// Poll an instance until `done` holds for it, or the wait times out
    /// (`Timeout`). A `NotFound` while waiting for `Terminated` counts as done
    /// and returns `Ok(None)`.
    async fn wait_for_instance(
        &self,
        region: &str,
        id: &str,
        done: &(dyn for<'x> Fn(&'x Instance) -> bool + Send + Sync),
        opts: WaitOptions,
    ) -> Result<Option<Instance>> {
        let deadline = tokio::time::Instant::now() + Duration::from_millis(opts.timeout_ms);
        let mut interval = opts.interval_ms.max(1);
        loop {
            match self.instance(region, id).await {
                Ok(i) if done(&i) => return Ok(Some(i)),
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(e),
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Err(Error::new(
                    ErrorKind::Timeout,
                    format!("instance {id} did not reach the wanted state in time"),
                )
                .with_region(region));
            }
            let sleep = Duration::from_millis(interval).min(deadline - now);
            tokio::time::sleep(sleep).await;
            interval = (interval * 2).min(opts.max_interval_ms.max(1));
        }
    }

    /// Wait until the instance is in `state` (see [`Compute::wait_for_instance`]).
    async fn wait_until_instance(
        &self,
        region: &str,
        id: &str,
        state: InstanceState,
        opts: WaitOptions,
    ) -> Result<Option<Instance>> {
        self.wait_for_instance(region, id, &move |i: &Instance| i.state == state, opts)
            .await
    }

    /// Poll a volume until it is in `state`, or time out.
    async fn wait_until_volume(
        &self,
        region: &str,
        id: &str,
        state: VolumeState,
        opts: WaitOptions,
    ) -> Result<Volume> {
        let deadline = tokio::time::Instant::now() + Duration::from_millis(opts.timeout_ms);
        let mut interval = opts.interval_ms.max(1);
        loop {
            let v = self.volume(region, id).await?;
            if v.state == state {
                return Ok(v);
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Err(Error::new(
                    ErrorKind::Timeout,
                    format!("volume {id} did not reach {state:?} in time"),
                )
                .with_region(region));
            }
            tokio::time::sleep(Duration::from_millis(interval).min(deadline - now)).await;
            interval = (interval * 2).min(opts.max_interval_ms.max(1));
        }
    }
}
