//! Compute: instances, volumes, images and instance types.

use serde::{Deserialize, Serialize};

use super::{ProviderKind, Tags, Timestamp};

/// Normalized instance (VM) state. See DESIGN §4 for the per-cloud table;
/// the raw value is always kept in [`Instance::raw_state`].
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstanceState {
    /// Being created.
    Pending,
    /// Booting after a start.
    Starting,
    /// Running.
    Running,
    /// Shutting down after a stop.
    Stopping,
    /// Stopped (see `stopped_charging` for whether it still bills).
    Stopped,
    /// Rebooting.
    Rebooting,
    /// Paused or suspended (memory kept).
    Suspended,
    /// Being deleted.
    Terminating,
    /// Deleted (still visible for a while on some clouds).
    Terminated,
    /// Failed.
    Error,
    /// A value the SDK does not know; see the raw state.
    Unknown,
}

impl InstanceState {
    /// Whether the state will change without further action (a wait can end).
    pub fn is_transitional(self) -> bool {
        matches!(
            self,
            InstanceState::Pending
                | InstanceState::Starting
                | InstanceState::Stopping
                | InstanceState::Rebooting
                | InstanceState::Terminating
        )
    }
}

/// How a resource is paid for.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChargeType {
    /// Pay as you go (postpaid, on demand).
    PostPaid,
    /// Subscription (prepaid, reserved for a period).
    PrePaid,
    /// Spot or preemptible capacity.
    Spot,
    /// Not reported or not known.
    Unknown,
}

/// A virtual machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instance {
    /// Which cloud.
    pub provider: ProviderKind,
    /// Region id.
    pub region: String,
    /// Zone id, where the cloud places instances in zones.
    pub zone: Option<String>,
    /// Native instance id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Normalized state.
    pub state: InstanceState,
    /// The cloud's own state string, unchanged.
    pub raw_state: String,
    /// For stopped instances: whether compute is still billed
    /// (`Some(true)` means it stopped charging). `None` when not applicable.
    pub stopped_charging: Option<bool>,
    /// Instance type / flavor / size name.
    pub instance_type: Option<String>,
    /// Virtual CPUs.
    pub vcpus: Option<u32>,
    /// Memory in MiB.
    pub memory_mib: Option<u64>,
    /// Image the instance was created from.
    pub image_id: Option<String>,
    /// Private IPv4/IPv6 addresses.
    pub private_ips: Vec<String>,
    /// Public addresses (including elastic IPs bound to it).
    pub public_ips: Vec<String>,
    /// VPC / virtual network id.
    pub vpc_id: Option<String>,
    /// Subnet / VSwitch id.
    pub subnet_id: Option<String>,
    /// Security group ids.
    pub security_group_ids: Vec<String>,
    /// Billing model.
    pub charge_type: ChargeType,
    /// When it was created.
    pub created_at: Option<Timestamp>,
    /// When a subscription expires.
    pub expires_at: Option<Timestamp>,
    /// Tags.
    pub tags: Tags,
}

/// What to create.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct InstanceSpec {
    /// Region to create in.
    pub region: String,
    /// Zone, when the cloud needs one.
    pub zone: Option<String>,
    /// Display name.
    pub name: String,
    /// Instance type / flavor.
    pub instance_type: String,
    /// Image id.
    pub image_id: String,
    /// Subnet to place the primary interface in.
    pub subnet_id: Option<String>,
    /// Security groups to join.
    pub security_group_ids: Vec<String>,
    /// System disk size in GiB (cloud default when `None`).
    pub system_disk_gib: Option<u32>,
    /// Key pair name, where the cloud supports key pairs.
    pub key_name: Option<String>,
    /// User data (cloud-init), plain text; providers encode it as needed.
    pub user_data: Option<String>,
    /// Tags to set at creation.
    pub tags: Tags,
    /// Idempotency token. The same token makes a retried create return the
    /// first create's instance instead of a second instance. Providers fill
    /// one in when it is `None`, and keep it unchanged across retries.
    pub client_token: Option<String>,
}

/// How to stop an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct StopOptions {
    /// Power off without a guest shutdown.
    pub force: bool,
    /// Release compute so it stops billing (Azure deallocate, Alibaba
    /// `StopCharging`, Tencent `STOP_CHARGING`) where the cloud supports it.
    pub stop_charging: bool,
}

/// Which instances to list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ListInstances {
    /// Region to list.
    pub region: String,
    /// Only these ids (all when empty).
    pub ids: Vec<String>,
    /// Only instances carrying all of these tags.
    pub tags: Tags,
    /// Page size override; providers use the largest the API allows by default.
    pub page_size: Option<u32>,
}

/// Normalized block volume (disk) state.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VolumeState {
    /// Being created.
    Creating,
    /// Ready and unattached.
    Available,
    /// Attached to an instance.
    InUse,
    /// Being attached.
    Attaching,
    /// Being detached.
    Detaching,
    /// Being resized.
    Resizing,
    /// Being deleted.
    Deleting,
    /// Failed.
    Error,
    /// A value the SDK does not know; see the raw state.
    Unknown,
}

/// Where a volume is attached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumeAttachment {
    /// Instance id.
    pub instance_id: String,
    /// Device name inside the guest, where reported (`/dev/vdb`).
    pub device: Option<String>,
}

/// A block storage volume (disk).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Volume {
    /// Which cloud.
    pub provider: ProviderKind,
    /// Region id.
    pub region: String,
    /// Zone id.
    pub zone: Option<String>,
    /// Native volume id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Size in GiB.
    pub size_gib: u64,
    /// Volume type / category (`gp3`, `cloud_essd`, `CLOUD_PREMIUM`, ...).
    pub volume_type: Option<String>,
    /// Normalized state.
    pub state: VolumeState,
    /// The cloud's own state string.
    pub raw_state: String,
    /// Whether this is an instance's system (boot) disk.
    pub is_system: bool,
    /// Attachments (one on most clouds).
    pub attachments: Vec<VolumeAttachment>,
    /// Billing model.
    pub charge_type: ChargeType,
    /// When it was created.
    pub created_at: Option<Timestamp>,
    /// Tags.
    pub tags: Tags,
}

/// What volume to create.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct VolumeSpec {
    /// Region.
    pub region: String,
    /// Zone (required by most clouds).
    pub zone: Option<String>,
    /// Display name.
    pub name: String,
    /// Size in GiB.
    pub size_gib: u64,
    /// Volume type; cloud default when `None`.
    pub volume_type: Option<String>,
    /// Tags.
    pub tags: Tags,
    /// Idempotency token, as for instances.
    pub client_token: Option<String>,
}

/// Which volumes to list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ListVolumes {
    /// Region to list.
    pub region: String,
    /// Only these ids (all when empty).
    pub ids: Vec<String>,
    /// Only volumes attached to this instance.
    pub instance_id: Option<String>,
    /// Only volumes carrying all of these tags.
    pub tags: Tags,
    /// Page size override.
    pub page_size: Option<u32>,
}

/// Whose images to list.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ImageOwner {
    /// Images the account owns.
    #[default]
    Own,
    /// Images shared with the account.
    Shared,
    /// The cloud's public images.
    Public,
}

/// Which images to list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ListImages {
    /// Region to list.
    pub region: String,
    /// Whose images.
    pub owner: ImageOwner,
    /// Only these ids (all when empty).
    pub ids: Vec<String>,
    /// Page size override.
    pub page_size: Option<u32>,
}

/// A machine image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Image {
    /// Which cloud.
    pub provider: ProviderKind,
    /// Region id.
    pub region: String,
    /// Native image id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Who owns it.
    pub owner: ImageOwner,
    /// OS family/name as the cloud reports it.
    pub os: Option<String>,
    /// CPU architecture (`x86_64`, `arm64`).
    pub architecture: Option<String>,
    /// Size in GiB, where reported.
    pub size_gib: Option<u64>,
    /// The cloud's state string (`Available`, `NORMAL`, `available`, ...).
    pub raw_state: String,
    /// When it was created.
    pub created_at: Option<Timestamp>,
    /// Tags.
    pub tags: Tags,
}

/// An instance type (size, flavor, SKU).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceType {
    /// Which cloud.
    pub provider: ProviderKind,
    /// Region the type was listed in.
    pub region: String,
    /// Native name (`t3.micro`, `ecs.g7.large`, `S5.MEDIUM4`).
    pub id: String,
    /// Virtual CPUs.
    pub vcpus: u32,
    /// Memory in MiB.
    pub memory_mib: u64,
    /// GPUs, where reported.
    pub gpus: Option<u32>,
    /// Family (`t3`, `ecs.g7`, `S5`), where reported.
    pub family: Option<String>,
    /// Zones offering it, where reported.
    pub zones: Vec<String>,
}

/// States to wait for, used by the `wait_until_*` helpers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitOptions {
    /// Give up after this many milliseconds.
    pub timeout_ms: u64,
    /// First delay between polls, in milliseconds (doubles up to `max_interval_ms`).
    pub interval_ms: u64,
    /// Largest delay between polls, in milliseconds.
    pub max_interval_ms: u64,
}

impl Default for WaitOptions {
    fn default() -> Self {
        WaitOptions {
            timeout_ms: 600_000,
            interval_ms: 500,
            max_interval_ms: 10_000,
        }
    }
}
