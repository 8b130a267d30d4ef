//! CVM (2017-03-12) and CBS (2017-03-12): state mapping, response wire
//! types, conversions into the normalized model, and request parameters.
//!
//! Field names are those of `tencentcloud-sdk-python-cvm` / `-cbs`
//! `models.py`. Every field is optional or defaulted: unknown fields are
//! ignored and absent ones do not fail parsing.

use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use serde::Deserialize;
use serde_json::{Value, json};

use super::TencentProvider;
use super::client::{CallKind, client_token};
use super::network::DescribeSubnetsResponse;
use super::wire::{
    Loose, MAX_LIMIT, Tag, base64_encode, filter, non_empty, null_default, opt_time, page_size,
    tag_filters, tag_list, tags_to_map,
};
use crate::error::{Error, ErrorKind, Result};
use crate::model::{
    ChargeType, Image, ImageOwner, Instance, InstanceSpec, InstanceState, InstanceType, ListImages,
    ListInstances, ListVolumes, ProviderKind, Region, StopOptions, Volume, VolumeAttachment,
    VolumeSpec, VolumeState, Zone,
};
use crate::traits::{Compute, ResultStream};

// ---------------------------------------------------------------------------
// States
// ---------------------------------------------------------------------------

/// Every `InstanceState` value the CVM API documents (实例状态表,
/// `InstanceStatus`), in its order.
pub const INSTANCE_STATES: [&str; 15] = [
    "PENDING",
    "LAUNCH_FAILED",
    "RUNNING",
    "STOPPED",
    "STARTING",
    "STOPPING",
    "REBOOTING",
    "SHUTDOWN",
    "TERMINATING",
    "ENTER_RESCUE_MODE",
    "RESCUE_MODE",
    "EXIT_RESCUE_MODE",
    "ENTER_SERVICE_LIVE_MIGRATE",
    "SERVICE_LIVE_MIGRATE",
    "EXIT_SERVICE_LIVE_MIGRATE",
];

/// Map a CVM `InstanceState` to the normalized state.
///
/// `SHUTDOWN` ("stopped, to be destroyed": an expired or isolated instance)
/// is `Stopped`; `LAUNCH_FAILED` is `Error`. Entering and leaving rescue
/// mode reboot the instance (`Rebooting`); while in rescue mode its own
/// system is not running (`Suspended`). During a live migration the instance
/// keeps running (`Running`). Unknown values are `Unknown`.
pub fn instance_state(raw: &str) -> InstanceState {
    match raw {
        "PENDING" => InstanceState::Pending,
        "LAUNCH_FAILED" => InstanceState::Error,
        "RUNNING" => InstanceState::Running,
        "STOPPED" | "SHUTDOWN" => InstanceState::Stopped,
        "STARTING" => InstanceState::Starting,
        "STOPPING" => InstanceState::Stopping,
        "REBOOTING" | "ENTER_RESCUE_MODE" | "EXIT_RESCUE_MODE" => InstanceState::Rebooting,
        "RESCUE_MODE" => InstanceState::Suspended,
        "TERMINATING" => InstanceState::Terminating,
        "ENTER_SERVICE_LIVE_MIGRATE" | "SERVICE_LIVE_MIGRATE" | "EXIT_SERVICE_LIVE_MIGRATE" => {
            InstanceState::Running
        }
        _ => InstanceState::Unknown,
    }
}

/// `StopChargingMode` as `stopped_charging`: `STOP_CHARGING` → `Some(true)`,
/// `KEEP_CHARGING` → `Some(false)`, `NOT_APPLICABLE` (not stopped, or not
/// eligible) and anything else → `None`.
pub fn stopped_charging(mode: Option<&str>) -> Option<bool> {
    match mode {
        Some("STOP_CHARGING") => Some(true),
        Some("KEEP_CHARGING") => Some(false),
        _ => None,
    }
}

/// Every `DiskState` value the CBS API documents.
pub const DISK_STATES: [&str; 8] = [
    "UNATTACHED",
    "ATTACHING",
    "ATTACHED",
    "DETACHING",
    "EXPANDING",
    "ROLLBACKING",
    "TORECYCLE",
    "DUMPING",
];

/// Map a CBS `DiskState` to the normalized volume state.
///
/// `ROLLBACKING` (restoring a snapshot) and `DUMPING` (copying the disk)
/// keep the disk busy without changing its attachment: they map to
/// `InUse` when the disk is attached and `Available` otherwise, so a wait
/// for "available" does not end early on an attached disk. `TORECYCLE`
/// (expired, in the recycle bin, to be destroyed) is `Deleting`.
pub fn volume_state(raw: &str, attached: bool) -> VolumeState {
    match raw {
        "UNATTACHED" => VolumeState::Available,
        "ATTACHING" => VolumeState::Attaching,
        "ATTACHED" => VolumeState::InUse,
        "DETACHING" => VolumeState::Detaching,
        "EXPANDING" => VolumeState::Resizing,
        "ROLLBACKING" | "DUMPING" => {
            if attached {
                VolumeState::InUse
            } else {
                VolumeState::Available
            }
        }
        "TORECYCLE" => VolumeState::Deleting,
        _ => VolumeState::Unknown,
    }
}

/// Map `InstanceChargeType` / `DiskChargeType` to the billing model:
/// `PREPAID` → prepaid, `POSTPAID_BY_HOUR` → postpaid, `SPOTPAID` → spot;
/// `CDHPAID`/`CDCPAID` (billed through a dedicated host or cluster) and
/// others → unknown.
pub fn charge_type(raw: Option<&str>) -> ChargeType {
    match raw {
        Some("PREPAID") => ChargeType::PrePaid,
        Some("POSTPAID_BY_HOUR") => ChargeType::PostPaid,
        Some("SPOTPAID") => ChargeType::Spot,
        _ => ChargeType::Unknown,
    }
}

// ---------------------------------------------------------------------------
// Wire types
// ---------------------------------------------------------------------------

/// `DescribeRegions` response.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DescribeRegionsResponse {
    /// `TotalCount`.
    #[serde(rename = "TotalCount", default)]
    pub total_count: Option<u64>,
    /// `RegionSet`.
    #[serde(rename = "RegionSet", default, deserialize_with = "null_default")]
    pub region_set: Vec<RegionInfo>,
    /// `RequestId`.
    #[serde(rename = "RequestId", default)]
    pub request_id: Option<String>,
}

/// `RegionInfo`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RegionInfo {
    /// `Region` (`ap-guangzhou`).
    #[serde(rename = "Region", default)]
    pub region: String,
    /// `RegionName` (display name).
    #[serde(rename = "RegionName", default)]
    pub region_name: Option<String>,
    /// `RegionState` (`AVAILABLE`).
    #[serde(rename = "RegionState", default)]
    pub region_state: Option<String>,
}

/// `DescribeZones` response.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DescribeZonesResponse {
    /// `TotalCount`.
    #[serde(rename = "TotalCount", default)]
    pub total_count: Option<u64>,
    /// `ZoneSet`.
    #[serde(rename = "ZoneSet", default, deserialize_with = "null_default")]
    pub zone_set: Vec<ZoneInfo>,
    /// `RequestId`.
    #[serde(rename = "RequestId", default)]
    pub request_id: Option<String>,
}

/// `ZoneInfo`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ZoneInfo {
    /// `Zone` (`ap-guangzhou-3`).
    #[serde(rename = "Zone", default)]
    pub zone: String,
    /// `ZoneName`.
    #[serde(rename = "ZoneName", default)]
    pub zone_name: Option<String>,
    /// `ZoneId` (numeric string).
    #[serde(rename = "ZoneId", default)]
    pub zone_id: Loose,
    /// `ZoneState` (`AVAILABLE`, `UNAVAILABLE`).
    #[serde(rename = "ZoneState", default)]
    pub zone_state: Option<String>,
}

/// `DescribeInstances` response.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DescribeInstancesResponse {
    /// `TotalCount`.
    #[serde(rename = "TotalCount", default)]
    pub total_count: Option<u64>,
    /// `InstanceSet`.
    #[serde(rename = "InstanceSet", default, deserialize_with = "null_default")]
    pub instance_set: Vec<CvmInstance>,
    /// `RequestId`.
    #[serde(rename = "RequestId", default)]
    pub request_id: Option<String>,
}

/// CVM `Placement`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CvmPlacement {
    /// `Zone`.
    #[serde(rename = "Zone", default)]
    pub zone: Option<String>,
    /// `ProjectId`.
    #[serde(rename = "ProjectId", default)]
    pub project_id: Loose,
}

/// CVM `SystemDisk` / `DataDisk`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CvmDisk {
    /// `DiskType`.
    #[serde(rename = "DiskType", default)]
    pub disk_type: Option<String>,
    /// `DiskId`.
    #[serde(rename = "DiskId", default)]
    pub disk_id: Option<String>,
    /// `DiskSize` in GiB.
    #[serde(rename = "DiskSize", default)]
    pub disk_size: Option<u64>,
}

/// CVM `VirtualPrivateCloud`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CvmVirtualPrivateCloud {
    /// `VpcId`.
    #[serde(rename = "VpcId", default)]
    pub vpc_id: Option<String>,
    /// `SubnetId`.
    #[serde(rename = "SubnetId", default)]
    pub subnet_id: Option<String>,
}

/// CVM `InternetAccessible`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CvmInternetAccessible {
    /// `InternetChargeType`.
    #[serde(rename = "InternetChargeType", default)]
    pub internet_charge_type: Option<String>,
    /// `InternetMaxBandwidthOut` in Mbit/s.
    #[serde(rename = "InternetMaxBandwidthOut", default)]
    pub internet_max_bandwidth_out: Option<u64>,
}

/// CVM `Instance`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CvmInstance {
    /// `Placement`.
    #[serde(rename = "Placement", default, deserialize_with = "null_default")]
    pub placement: CvmPlacement,
    /// `InstanceId`.
    #[serde(rename = "InstanceId", default)]
    pub instance_id: String,
    /// `InstanceType`.
    #[serde(rename = "InstanceType", default)]
    pub instance_type: Option<String>,
    /// `CPU` cores.
    #[serde(rename = "CPU", default)]
    pub cpu: Option<u32>,
    /// `Memory` in GiB.
    #[serde(rename = "Memory", default)]
    pub memory: Option<u64>,
    /// `RestrictState` (`NORMAL`, `EXPIRED`, `PROTECTIVELY_ISOLATED`).
    #[serde(rename = "RestrictState", default)]
    pub restrict_state: Option<String>,
    /// `InstanceName`.
    #[serde(rename = "InstanceName", default)]
    pub instance_name: Option<String>,
    /// `InstanceChargeType`.
    #[serde(rename = "InstanceChargeType", default)]
    pub instance_charge_type: Option<String>,
    /// `SystemDisk`.
    #[serde(rename = "SystemDisk", default)]
    pub system_disk: Option<CvmDisk>,
    /// `DataDisks`.
    #[serde(rename = "DataDisks", default, deserialize_with = "null_default")]
    pub data_disks: Vec<CvmDisk>,
    /// `PrivateIpAddresses`.
    #[serde(
        rename = "PrivateIpAddresses",
        default,
        deserialize_with = "null_default"
    )]
    pub private_ip_addresses: Vec<String>,
    /// `PublicIpAddresses`.
    #[serde(
        rename = "PublicIpAddresses",
        default,
        deserialize_with = "null_default"
    )]
    pub public_ip_addresses: Vec<String>,
    /// `InternetAccessible`.
    #[serde(rename = "InternetAccessible", default)]
    pub internet_accessible: Option<CvmInternetAccessible>,
    /// `VirtualPrivateCloud`.
    #[serde(rename = "VirtualPrivateCloud", default)]
    pub virtual_private_cloud: Option<CvmVirtualPrivateCloud>,
    /// `ImageId`.
    #[serde(rename = "ImageId", default)]
    pub image_id: Option<String>,
    /// `RenewFlag`.
    #[serde(rename = "RenewFlag", default)]
    pub renew_flag: Option<String>,
    /// `CreatedTime` (ISO 8601, UTC).
    #[serde(rename = "CreatedTime", default)]
    pub created_time: Option<String>,
    /// `ExpiredTime` (prepaid instances).
    #[serde(rename = "ExpiredTime", default)]
    pub expired_time: Option<String>,
    /// `OsName`.
    #[serde(rename = "OsName", default)]
    pub os_name: Option<String>,
    /// `SecurityGroupIds`.
    #[serde(
        rename = "SecurityGroupIds",
        default,
        deserialize_with = "null_default"
    )]
    pub security_group_ids: Vec<String>,
    /// `InstanceState`.
    #[serde(rename = "InstanceState", default)]
    pub instance_state: Option<String>,
    /// `Tags`.
    #[serde(rename = "Tags", default, deserialize_with = "null_default")]
    pub tags: Vec<Tag>,
    /// `StopChargingMode`.
    #[serde(rename = "StopChargingMode", default)]
    pub stop_charging_mode: Option<String>,
    /// `Uuid`.
    #[serde(rename = "Uuid", default)]
    pub uuid: Option<String>,
    /// `LatestOperation`.
    #[serde(rename = "LatestOperation", default)]
    pub latest_operation: Option<String>,
    /// `LatestOperationState`.
    #[serde(rename = "LatestOperationState", default)]
    pub latest_operation_state: Option<String>,
    /// `IPv6Addresses`.
    #[serde(rename = "IPv6Addresses", default, deserialize_with = "null_default")]
    pub ipv6_addresses: Vec<String>,
}

/// `DescribeImages` response.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DescribeImagesResponse {
    /// `TotalCount`.
    #[serde(rename = "TotalCount", default)]
    pub total_count: Option<u64>,
    /// `ImageSet`.
    #[serde(rename = "ImageSet", default, deserialize_with = "null_default")]
    pub image_set: Vec<CvmImage>,
    /// `RequestId`.
    #[serde(rename = "RequestId", default)]
    pub request_id: Option<String>,
}

/// CVM `Image`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CvmImage {
    /// `ImageId`.
    #[serde(rename = "ImageId", default)]
    pub image_id: String,
    /// `OsName`.
    #[serde(rename = "OsName", default)]
    pub os_name: Option<String>,
    /// `ImageType` (`PUBLIC_IMAGE`, `PRIVATE_IMAGE`, `SHARED_IMAGE`).
    #[serde(rename = "ImageType", default)]
    pub image_type: Option<String>,
    /// `CreatedTime`.
    #[serde(rename = "CreatedTime", default)]
    pub created_time: Option<String>,
    /// `ImageName`.
    #[serde(rename = "ImageName", default)]
    pub image_name: Option<String>,
    /// `ImageDescription`.
    #[serde(rename = "ImageDescription", default)]
    pub image_description: Option<String>,
    /// `ImageSize` in GiB.
    #[serde(rename = "ImageSize", default)]
    pub image_size: Option<u64>,
    /// `Architecture`.
    #[serde(rename = "Architecture", default)]
    pub architecture: Option<String>,
    /// `ImageState` (`CREATING`, `NORMAL`, `CREATEFAILED`, `SYNCING`,
    /// `IMPORTING`, `IMPORTFAILED`).
    #[serde(rename = "ImageState", default)]
    pub image_state: Option<String>,
    /// `Platform`.
    #[serde(rename = "Platform", default)]
    pub platform: Option<String>,
    /// `Tags`.
    #[serde(rename = "Tags", default, deserialize_with = "null_default")]
    pub tags: Vec<Tag>,
}

/// `DescribeInstanceTypeConfigs` response.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DescribeInstanceTypeConfigsResponse {
    /// `InstanceTypeConfigSet`.
    #[serde(
        rename = "InstanceTypeConfigSet",
        default,
        deserialize_with = "null_default"
    )]
    pub instance_type_config_set: Vec<InstanceTypeConfig>,
    /// `RequestId`.
    #[serde(rename = "RequestId", default)]
    pub request_id: Option<String>,
}

/// `InstanceTypeConfig`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct InstanceTypeConfig {
    /// `Zone`.
    #[serde(rename = "Zone", default)]
    pub zone: Option<String>,
    /// `InstanceType`.
    #[serde(rename = "InstanceType", default)]
    pub instance_type: String,
    /// `InstanceFamily`.
    #[serde(rename = "InstanceFamily", default)]
    pub instance_family: Option<String>,
    /// `GPU`.
    #[serde(rename = "GPU", default)]
    pub gpu: Option<u32>,
    /// `CPU`.
    #[serde(rename = "CPU", default)]
    pub cpu: Option<u32>,
    /// `Memory` in GiB.
    #[serde(rename = "Memory", default)]
    pub memory: Option<u64>,
    /// `GpuCount` (may be fractional for vGPU types).
    #[serde(rename = "GpuCount", default)]
    pub gpu_count: Loose,
}

/// `DescribeDisks` response.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DescribeDisksResponse {
    /// `TotalCount`.
    #[serde(rename = "TotalCount", default)]
    pub total_count: Option<u64>,
    /// `DiskSet`.
    #[serde(rename = "DiskSet", default, deserialize_with = "null_default")]
    pub disk_set: Vec<CbsDisk>,
    /// `RequestId`.
    #[serde(rename = "RequestId", default)]
    pub request_id: Option<String>,
}

/// CBS `Placement`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CbsPlacement {
    /// `Zone`.
    #[serde(rename = "Zone", default)]
    pub zone: Option<String>,
    /// `ProjectId`.
    #[serde(rename = "ProjectId", default)]
    pub project_id: Loose,
}

/// CBS `Disk`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CbsDisk {
    /// `DiskId`.
    #[serde(rename = "DiskId", default)]
    pub disk_id: String,
    /// `DiskName`.
    #[serde(rename = "DiskName", default)]
    pub disk_name: Option<String>,
    /// `DiskType` (`CLOUD_PREMIUM`, `CLOUD_SSD`, ...).
    #[serde(rename = "DiskType", default)]
    pub disk_type: Option<String>,
    /// `DiskState`.
    #[serde(rename = "DiskState", default)]
    pub disk_state: Option<String>,
    /// `DiskSize` in GiB.
    #[serde(rename = "DiskSize", default)]
    pub disk_size: Option<u64>,
    /// `DiskUsage` (`SYSTEM_DISK`, `DATA_DISK`).
    #[serde(rename = "DiskUsage", default)]
    pub disk_usage: Option<String>,
    /// `DiskChargeType`.
    #[serde(rename = "DiskChargeType", default)]
    pub disk_charge_type: Option<String>,
    /// `Attached`.
    #[serde(rename = "Attached", default)]
    pub attached: Option<bool>,
    /// `InstanceId` (attached instance, empty when none).
    #[serde(rename = "InstanceId", default)]
    pub instance_id: Option<String>,
    /// `InstanceIdList` (shareable disks may have several).
    #[serde(rename = "InstanceIdList", default, deserialize_with = "null_default")]
    pub instance_id_list: Vec<String>,
    /// `Placement`.
    #[serde(rename = "Placement", default, deserialize_with = "null_default")]
    pub placement: CbsPlacement,
    /// `CreateTime` (Beijing time, zone-less).
    #[serde(rename = "CreateTime", default)]
    pub create_time: Option<String>,
    /// `DeadlineTime` (prepaid disks).
    #[serde(rename = "DeadlineTime", default)]
    pub deadline_time: Option<String>,
    /// `Portable`.
    #[serde(rename = "Portable", default)]
    pub portable: Option<bool>,
    /// `Encrypt`.
    #[serde(rename = "Encrypt", default)]
    pub encrypt: Option<bool>,
    /// `Tags`.
    #[serde(rename = "Tags", default, deserialize_with = "null_default")]
    pub tags: Vec<Tag>,
}

/// `RunInstances` response.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RunInstancesResponse {
    /// `InstanceIdSet`.
    #[serde(rename = "InstanceIdSet", default, deserialize_with = "null_default")]
    pub instance_id_set: Vec<String>,
    /// `RequestId`.
    #[serde(rename = "RequestId", default)]
    pub request_id: Option<String>,
}

/// `CreateDisks` response.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CreateDisksResponse {
    /// `DiskIdSet`.
    #[serde(rename = "DiskIdSet", default, deserialize_with = "null_default")]
    pub disk_id_set: Vec<String>,
    /// `RequestId`.
    #[serde(rename = "RequestId", default)]
    pub request_id: Option<String>,
}

// ---------------------------------------------------------------------------
// Conversions
// ---------------------------------------------------------------------------

/// A region from `RegionInfo`; `AVAILABLE` means enabled.
pub fn region_from_wire(r: &RegionInfo) -> Region {
    Region {
        provider: ProviderKind::Tencent,
        id: r.region.clone(),
        name: non_empty(&r.region_name),
        endpoint: None,
        enabled: r.region_state.as_deref().is_none_or(|s| s == "AVAILABLE"),
    }
}

/// A zone from `ZoneInfo`; `AVAILABLE` means it accepts resources.
pub fn zone_from_wire(region: &str, z: &ZoneInfo) -> Zone {
    Zone {
        provider: ProviderKind::Tencent,
        region: region.to_string(),
        id: z.zone.clone(),
        name: non_empty(&z.zone_name),
        available: z.zone_state.as_deref() == Some("AVAILABLE"),
    }
}

/// A normalized instance from a CVM `Instance` listed in `region`.
///
/// `stopped_charging` is set only for stopped instances (from
/// `StopChargingMode`); memory GiB becomes MiB.
pub fn instance_from_wire(region: &str, i: &CvmInstance) -> Instance {
    let raw_state = i.instance_state.clone().unwrap_or_default();
    let state = instance_state(&raw_state);
    let vpc = i.virtual_private_cloud.clone().unwrap_or_default();
    let mut private_ips = i.private_ip_addresses.clone();
    private_ips.extend(i.ipv6_addresses.iter().cloned());
    Instance {
        provider: ProviderKind::Tencent,
        region: region.to_string(),
        zone: non_empty(&i.placement.zone),
        id: i.instance_id.clone(),
        name: i.instance_name.clone().unwrap_or_default(),
        state,
        stopped_charging: if state == InstanceState::Stopped {
            stopped_charging(i.stop_charging_mode.as_deref())
        } else {
            None
        },
        raw_state,
        instance_type: non_empty(&i.instance_type),
        vcpus: i.cpu,
        memory_mib: i.memory.map(|g| g.saturating_mul(1024)),
        image_id: non_empty(&i.image_id),
        private_ips,
        public_ips: i.public_ip_addresses.clone(),
        vpc_id: non_empty(&vpc.vpc_id),
        subnet_id: non_empty(&vpc.subnet_id),
        security_group_ids: i.security_group_ids.clone(),
        charge_type: charge_type(i.instance_charge_type.as_deref()),
        created_at: opt_time(&i.created_time),
        expires_at: opt_time(&i.expired_time),
        tags: tags_to_map(&i.tags),
    }
}

/// Whose image an `ImageType` denotes.
pub fn image_owner(image_type: Option<&str>) -> ImageOwner {
    match image_type {
        Some("PUBLIC_IMAGE") => ImageOwner::Public,
        Some("SHARED_IMAGE") => ImageOwner::Shared,
        _ => ImageOwner::Own,
    }
}

/// A normalized image from a CVM `Image`.
pub fn image_from_wire(region: &str, i: &CvmImage) -> Image {
    Image {
        provider: ProviderKind::Tencent,
        region: region.to_string(),
        id: i.image_id.clone(),
        name: i.image_name.clone().unwrap_or_default(),
        owner: image_owner(i.image_type.as_deref()),
        os: non_empty(&i.os_name).or_else(|| non_empty(&i.platform)),
        architecture: non_empty(&i.architecture),
        size_gib: i.image_size,
        raw_state: i.image_state.clone().unwrap_or_default(),
        created_at: opt_time(&i.created_time),
        tags: tags_to_map(&i.tags),
    }
}

/// Normalized instance types from `InstanceTypeConfig` rows (one row per
/// type and zone): rows of the same type are merged, their zones collected.
/// Output is sorted by type name.
pub fn instance_types_from_wire(region: &str, rows: &[InstanceTypeConfig]) -> Vec<InstanceType> {
    let mut by_type: std::collections::BTreeMap<String, InstanceType> = Default::default();
    for r in rows {
        if r.instance_type.is_empty() {
            continue;
        }
        let entry = by_type
            .entry(r.instance_type.clone())
            .or_insert_with(|| InstanceType {
                provider: ProviderKind::Tencent,
                region: region.to_string(),
                id: r.instance_type.clone(),
                vcpus: r.cpu.unwrap_or(0),
                memory_mib: r.memory.unwrap_or(0).saturating_mul(1024),
                gpus: r.gpu.filter(|g| *g > 0),
                family: non_empty(&r.instance_family),
                zones: Vec::new(),
            });
        if let Some(z) = non_empty(&r.zone) {
            if !entry.zones.contains(&z) {
                entry.zones.push(z);
            }
        }
    }
    let mut out: Vec<InstanceType> = by_type.into_values().collect();
    for t in &mut out {
        t.zones.sort();
    }
    out
}

/// A normalized volume from a CBS `Disk`.
pub fn volume_from_wire(region: &str, d: &CbsDisk) -> Volume {
    let raw_state = d.disk_state.clone().unwrap_or_default();
    let mut instances: Vec<String> = d.instance_id_list.clone();
    if let Some(id) = non_empty(&d.instance_id) {
        if !instances.contains(&id) {
            instances.insert(0, id);
        }
    }
    let attached = d.attached.unwrap_or(!instances.is_empty());
    Volume {
        provider: ProviderKind::Tencent,
        region: region.to_string(),
        zone: non_empty(&d.placement.zone),
        id: d.disk_id.clone(),
        name: d.disk_name.clone().unwrap_or_default(),
        size_gib: d.disk_size.unwrap_or(0),
        volume_type: non_empty(&d.disk_type),
        state: volume_state(&raw_state, attached),
        raw_state,
        is_system: d.disk_usage.as_deref() == Some("SYSTEM_DISK"),
        attachments: if attached {
            instances
                .into_iter()
                .map(|instance_id| VolumeAttachment {
                    instance_id,
                    device: None,
                })
                .collect()
        } else {
            Vec::new()
        },
        charge_type: charge_type(d.disk_charge_type.as_deref()),
        created_at: opt_time(&d.create_time),
        tags: tags_to_map(&d.tags),
    }
}

// ---------------------------------------------------------------------------
// Request parameters
// ---------------------------------------------------------------------------

/// `DescribeInstances` parameters for one page. The API forbids
/// `InstanceIds` together with `Filters`: ids win, tags become `tag:<key>`
/// filters otherwise.
pub fn describe_instances_params(q: &ListInstances, offset: u64) -> Value {
    let limit = page_size(q.page_size, MAX_LIMIT);
    if !q.ids.is_empty() {
        return json!({ "InstanceIds": q.ids, "Offset": offset, "Limit": limit });
    }
    let mut p = json!({ "Offset": offset, "Limit": limit });
    let filters = tag_filters(&q.tags);
    if !filters.is_empty() {
        p["Filters"] = Value::Array(filters);
    }
    p
}

/// `RunInstances` parameters for one instance.
///
/// `vpc_id` is required with `subnet_id` (the API takes both in
/// `VirtualPrivateCloud`); `client_token` (at most 64 ASCII characters)
/// makes a retried call return the first call's instance. Pay-as-you-go.
pub fn run_instances_params(
    spec: &InstanceSpec,
    vpc_id: Option<&str>,
    client_token: &str,
) -> Value {
    let mut p = json!({
        "InstanceChargeType": "POSTPAID_BY_HOUR",
        "InstanceType": spec.instance_type,
        "ImageId": spec.image_id,
        "InstanceCount": 1,
        "ClientToken": client_token,
    });
    if !spec.name.is_empty() {
        p["InstanceName"] = json!(spec.name);
    }
    if let Some(zone) = &spec.zone {
        p["Placement"] = json!({ "Zone": zone });
    }
    if let Some(size) = spec.system_disk_gib {
        p["SystemDisk"] = json!({ "DiskSize": size });
    }
    if let (Some(vpc), Some(subnet)) = (vpc_id, &spec.subnet_id) {
        p["VirtualPrivateCloud"] = json!({ "VpcId": vpc, "SubnetId": subnet });
    }
    if !spec.security_group_ids.is_empty() {
        p["SecurityGroupIds"] = json!(spec.security_group_ids);
    }
    if let Some(key) = &spec.key_name {
        p["LoginSettings"] = json!({ "KeyIds": [key] });
    }
    if let Some(ud) = &spec.user_data {
        p["UserData"] = json!(base64_encode(ud.as_bytes()));
    }
    if !spec.tags.is_empty() {
        p["TagSpecification"] =
            json!([{ "ResourceType": "instance", "Tags": tag_list(&spec.tags) }]);
    }
    p
}

/// `StartInstances` parameters.
pub fn start_instances_params(ids: &[&str]) -> Value {
    json!({ "InstanceIds": ids })
}

/// `StopInstances` parameters: `StopType` `HARD` when forced, else
/// `SOFT` (a guest shutdown that never turns into a forced one: `SOFT_FIRST`
/// would fall back to a hard stop, which is what `force` asks for);
/// `StoppedMode` `STOP_CHARGING` when asked (pay-as-you-go instances only),
/// else `KEEP_CHARGING`.
pub fn stop_instances_params(ids: &[&str], opts: StopOptions) -> Value {
    json!({
        "InstanceIds": ids,
        "StopType": if opts.force { "HARD" } else { "SOFT" },
        "StoppedMode": if opts.stop_charging { "STOP_CHARGING" } else { "KEEP_CHARGING" },
    })
}

/// `RebootInstances` parameters (`StopType` `SOFT_FIRST`).
pub fn reboot_instances_params(ids: &[&str]) -> Value {
    json!({ "InstanceIds": ids, "StopType": "SOFT_FIRST" })
}

/// `TerminateInstances` parameters.
pub fn terminate_instances_params(ids: &[&str]) -> Value {
    json!({ "InstanceIds": ids })
}

/// `DescribeImages` parameters for one page. `ImageIds` and `Filters` are
/// exclusive; the owner becomes an `image-type` filter.
pub fn describe_images_params(q: &ListImages, offset: u64) -> Value {
    let limit = page_size(q.page_size, MAX_LIMIT);
    if !q.ids.is_empty() {
        return json!({ "ImageIds": q.ids, "Offset": offset, "Limit": limit });
    }
    let image_type = match q.owner {
        ImageOwner::Public => "PUBLIC_IMAGE",
        ImageOwner::Shared => "SHARED_IMAGE",
        _ => "PRIVATE_IMAGE",
    };
    json!({
        "Filters": [filter("image-type", &[image_type.to_string()])],
        "Offset": offset,
        "Limit": limit,
    })
}

/// `DescribeInstanceTypeConfigs` parameters (optionally one zone). Not paged.
pub fn describe_instance_type_configs_params(zone: Option<&str>) -> Value {
    match zone {
        Some(z) => json!({ "Filters": [filter("zone", &[z.to_string()])] }),
        None => json!({}),
    }
}

/// `DescribeDisks` parameters for one page. `DiskIds` and `Filters` are
/// exclusive: ids win; otherwise `instance-id` and `tag:<key>` filters.
pub fn describe_disks_params(q: &ListVolumes, offset: u64) -> Value {
    let limit = page_size(q.page_size, MAX_LIMIT);
    if !q.ids.is_empty() {
        return json!({ "DiskIds": q.ids, "Offset": offset, "Limit": limit });
    }
    let mut filters = Vec::new();
    if let Some(i) = &q.instance_id {
        filters.push(filter("instance-id", std::slice::from_ref(i)));
    }
    filters.extend(tag_filters(&q.tags));
    let mut p = json!({ "Offset": offset, "Limit": limit });
    if !filters.is_empty() {
        p["Filters"] = Value::Array(filters);
    }
    p
}

/// `CreateDisks` parameters for one pay-as-you-go data disk
/// (`CLOUD_PREMIUM` unless a type is given) with its `ClientToken`.
pub fn create_disks_params(spec: &VolumeSpec, client_token: &str) -> Value {
    let mut p = json!({
        "Placement": { "Zone": spec.zone.clone().unwrap_or_default() },
        "DiskChargeType": "POSTPAID_BY_HOUR",
        "DiskType": spec.volume_type.clone().unwrap_or_else(|| "CLOUD_PREMIUM".into()),
        "DiskSize": spec.size_gib,
        "DiskCount": 1,
        "ClientToken": client_token,
    });
    if !spec.name.is_empty() {
        p["DiskName"] = json!(spec.name);
    }
    if !spec.tags.is_empty() {
        p["Tags"] = Value::Array(tag_list(&spec.tags));
    }
    p
}

/// `AttachDisks` parameters.
pub fn attach_disks_params(disk_ids: &[&str], instance_id: &str) -> Value {
    json!({ "DiskIds": disk_ids, "InstanceId": instance_id })
}

/// `DetachDisks` parameters (the instance is optional for the API).
pub fn detach_disks_params(disk_ids: &[&str], instance_id: Option<&str>) -> Value {
    let mut p = json!({ "DiskIds": disk_ids });
    if let Some(i) = instance_id {
        p["InstanceId"] = json!(i);
    }
    p
}

/// `TerminateDisks` parameters.
pub fn terminate_disks_params(disk_ids: &[&str]) -> Value {
    json!({ "DiskIds": disk_ids })
}

super::wire::offset_page!(DescribeRegionsResponse, RegionInfo, total_count, region_set);
super::wire::offset_page!(DescribeZonesResponse, ZoneInfo, total_count, zone_set);
super::wire::offset_page!(
    DescribeInstancesResponse,
    CvmInstance,
    total_count,
    instance_set
);
super::wire::offset_page!(DescribeImagesResponse, CvmImage, total_count, image_set);
super::wire::offset_page!(DescribeDisksResponse, CbsDisk, total_count, disk_set);

// ---------------------------------------------------------------------------
// The trait implementation
// ---------------------------------------------------------------------------

// `Compute` over CVM (instances, images, instance types) and CBS (disks).

/// Tries of the describe that follows a create (the new resource may take
/// a moment to show in Describe* calls), and the pause between them.
const CREATE_VISIBILITY_TRIES: u32 = 10;
const CREATE_VISIBILITY_PAUSE: Duration = Duration::from_millis(200);

fn not_found(what: &str, id: &str, region: &str) -> Error {
    Error::not_found(format!("Tencent Cloud {what} `{id}` not found"))
        .with_provider("tencent")
        .with_region(region)
}

pub(crate) use crate::error::ok_if_gone;

/// `TerminateInstances`: the instance does not exist (CVM error codes).
pub const INSTANCE_GONE: &[&str] = &[
    "InvalidInstanceId.NotFound",
    "ResourceNotFound.InvalidInstanceIdNotFound",
];

/// `TerminateDisks`: the disk does not exist (CBS error codes).
pub const DISK_GONE: &[&str] = &["InvalidDiskId.NotFound"];

/// Retry `get` while it says NotFound, a bounded number of times (the
/// resource a create just made may not be listed yet). When it never shows,
/// the error says the create succeeded (`Unavailable`, with the new id), so
/// the caller does not take it for a failed create.
pub(crate) async fn visible<T, F, Fut>(created: &str, mut get: F) -> Result<T>
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
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Err(Error::new(
                    ErrorKind::Unavailable,
                    format!(
                        "`{created}` was created but is not listed yet; look it up again later"
                    ),
                )
                .with_context_defaults(e.context()));
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
        let size = page_size(q.page_size, MAX_LIMIT);
        let parts = super::id_chunks(q, &q.ids, |p, ids| p.ids = ids);
        self.chunked(parts, move |part| {
            self.offset_list::<DescribeInstancesResponse, _, _, _>(
                "cvm",
                "DescribeInstances",
                Some(region),
                size,
                move |offset, _| Ok(describe_instances_params(&part, offset)),
                move |i| Ok(instance_from_wire(region, &i)),
            )
        })
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
        visible(&id, || self.instance(region, &id)).await
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
            other => ok_if_gone(other, INSTANCE_GONE),
        }
    }

    fn volumes<'a>(&'a self, q: &'a ListVolumes) -> ResultStream<'a, Volume> {
        let region = q.region.as_str();
        let size = page_size(q.page_size, MAX_LIMIT);
        let parts = super::id_chunks(q, &q.ids, |p, ids| p.ids = ids);
        self.chunked(parts, move |part| {
            self.offset_list::<DescribeDisksResponse, _, _, _>(
                "cbs",
                "DescribeDisks",
                Some(region),
                size,
                move |offset, _| Ok(describe_disks_params(&part, offset)),
                move |d| Ok(volume_from_wire(region, &d)),
            )
        })
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
        visible(&id, || self.volume(region, &id)).await
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
        ok_if_gone(r.map(|_| ()), DISK_GONE)
    }

    fn images<'a>(&'a self, q: &'a ListImages) -> ResultStream<'a, Image> {
        let region = q.region.as_str();
        let size = page_size(q.page_size, MAX_LIMIT);
        let parts = super::id_chunks(q, &q.ids, |p, ids| p.ids = ids);
        self.chunked(parts, move |part| {
            self.offset_list::<DescribeImagesResponse, _, _, _>(
                "cvm",
                "DescribeImages",
                Some(region),
                size,
                move |offset, _| Ok(describe_images_params(&part, offset)),
                move |i| Ok(image_from_wire(region, &i)),
            )
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn visible_retries_then_says_created() {
        let calls = std::sync::atomic::AtomicU32::new(0);
        let r: Result<u32> = visible("ins-1", || async {
            let n = calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            if n < 3 {
                Err(Error::not_found("not yet"))
            } else {
                Ok(n)
            }
        })
        .await;
        assert_eq!(r.unwrap(), 3);
        let r: Result<u32> = visible("ins-2", || async { Err(Error::not_found("never")) }).await;
        let e = r.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unavailable);
        assert!(e.message().contains("ins-2"));
        let r: Result<u32> = visible("x", || async { Err(Error::invalid_argument("bad")) }).await;
        assert_eq!(r.unwrap_err().kind(), ErrorKind::InvalidArgument);
    }

    #[test]
    fn every_documented_instance_state() {
        let table: [(&str, InstanceState); 15] = [
            ("PENDING", InstanceState::Pending),
            ("LAUNCH_FAILED", InstanceState::Error),
            ("RUNNING", InstanceState::Running),
            ("STOPPED", InstanceState::Stopped),
            ("STARTING", InstanceState::Starting),
            ("STOPPING", InstanceState::Stopping),
            ("REBOOTING", InstanceState::Rebooting),
            ("SHUTDOWN", InstanceState::Stopped),
            ("TERMINATING", InstanceState::Terminating),
            ("ENTER_RESCUE_MODE", InstanceState::Rebooting),
            ("RESCUE_MODE", InstanceState::Suspended),
            ("EXIT_RESCUE_MODE", InstanceState::Rebooting),
            ("ENTER_SERVICE_LIVE_MIGRATE", InstanceState::Running),
            ("SERVICE_LIVE_MIGRATE", InstanceState::Running),
            ("EXIT_SERVICE_LIVE_MIGRATE", InstanceState::Running),
        ];
        for ((raw, want), documented) in table.iter().zip(INSTANCE_STATES) {
            assert_eq!(*raw, documented, "table follows the documented order");
            assert_eq!(instance_state(raw), *want, "{raw}");
        }
        assert_eq!(instance_state("running"), InstanceState::Unknown);
        assert_eq!(instance_state("SOMETHING_NEW"), InstanceState::Unknown);
    }

    #[test]
    fn stop_charging_modes() {
        assert_eq!(stopped_charging(Some("STOP_CHARGING")), Some(true));
        assert_eq!(stopped_charging(Some("KEEP_CHARGING")), Some(false));
        assert_eq!(stopped_charging(Some("NOT_APPLICABLE")), None);
        assert_eq!(stopped_charging(None), None);
    }

    #[test]
    fn raw_state_is_kept_and_charging_only_when_stopped() {
        let mut i = CvmInstance {
            instance_id: "ins-1".into(),
            instance_state: Some("STOPPED".into()),
            stop_charging_mode: Some("STOP_CHARGING".into()),
            memory: Some(4),
            ..Default::default()
        };
        let n = instance_from_wire("ap-guangzhou", &i);
        assert_eq!(n.raw_state, "STOPPED");
        assert_eq!(n.stopped_charging, Some(true));
        assert_eq!(n.memory_mib, Some(4096));
        i.instance_state = Some("RUNNING".into());
        assert_eq!(instance_from_wire("r", &i).stopped_charging, None);
        i.instance_state = Some("BRAND_NEW".into());
        let n = instance_from_wire("r", &i);
        assert_eq!(n.state, InstanceState::Unknown);
        assert_eq!(n.raw_state, "BRAND_NEW");
    }

    #[test]
    fn every_documented_disk_state() {
        let table: [(&str, bool, VolumeState); 10] = [
            ("UNATTACHED", false, VolumeState::Available),
            ("ATTACHING", false, VolumeState::Attaching),
            ("ATTACHED", true, VolumeState::InUse),
            ("DETACHING", true, VolumeState::Detaching),
            ("EXPANDING", true, VolumeState::Resizing),
            ("ROLLBACKING", false, VolumeState::Available),
            ("TORECYCLE", false, VolumeState::Deleting),
            ("DUMPING", false, VolumeState::Available),
            ("ROLLBACKING", true, VolumeState::InUse),
            ("DUMPING", true, VolumeState::InUse),
        ];
        for (raw, attached, want) in table {
            assert_eq!(
                volume_state(raw, attached),
                want,
                "{raw} attached={attached}"
            );
        }
        for s in DISK_STATES {
            assert_ne!(volume_state(s, false), VolumeState::Unknown, "{s}");
        }
        assert_eq!(volume_state("NEW", false), VolumeState::Unknown);
        let d = CbsDisk {
            disk_id: "disk-1".into(),
            disk_state: Some("NEW".into()),
            ..Default::default()
        };
        assert_eq!(volume_from_wire("r", &d).raw_state, "NEW");
    }

    #[test]
    fn charge_types() {
        assert_eq!(charge_type(Some("PREPAID")), ChargeType::PrePaid);
        assert_eq!(charge_type(Some("POSTPAID_BY_HOUR")), ChargeType::PostPaid);
        assert_eq!(charge_type(Some("SPOTPAID")), ChargeType::Spot);
        assert_eq!(charge_type(Some("CDHPAID")), ChargeType::Unknown);
        assert_eq!(charge_type(None), ChargeType::Unknown);
    }

    #[test]
    fn list_params() {
        let mut q = ListInstances {
            region: "ap-guangzhou".into(),
            ..Default::default()
        };
        assert_eq!(
            describe_instances_params(&q, 0),
            json!({"Offset": 0, "Limit": 100})
        );
        q.page_size = Some(1);
        q.tags.insert("env".into(), "prod".into());
        assert_eq!(
            describe_instances_params(&q, 7),
            json!({"Offset": 7, "Limit": 1, "Filters": [{"Name": "tag:env", "Values": ["prod"]}]})
        );
        q.ids = vec!["ins-1".into()];
        assert_eq!(
            describe_instances_params(&q, 0),
            json!({"InstanceIds": ["ins-1"], "Offset": 0, "Limit": 1})
        );
        let v = ListVolumes {
            instance_id: Some("ins-1".into()),
            page_size: Some(1000),
            ..Default::default()
        };
        assert_eq!(
            describe_disks_params(&v, 100),
            json!({"Offset": 100, "Limit": 100, "Filters": [{"Name": "instance-id", "Values": ["ins-1"]}]})
        );
        let i = ListImages {
            owner: ImageOwner::Public,
            ..Default::default()
        };
        assert_eq!(
            describe_images_params(&i, 0),
            json!({"Filters": [{"Name": "image-type", "Values": ["PUBLIC_IMAGE"]}], "Offset": 0, "Limit": 100})
        );
        assert_eq!(
            describe_instance_type_configs_params(Some("ap-guangzhou-6")),
            json!({"Filters": [{"Name": "zone", "Values": ["ap-guangzhou-6"]}]})
        );
    }

    #[test]
    fn mutating_params() {
        let mut spec = InstanceSpec {
            region: "ap-guangzhou".into(),
            zone: Some("ap-guangzhou-3".into()),
            name: "web-1".into(),
            instance_type: "S5.MEDIUM4".into(),
            image_id: "img-9qabwvbn".into(),
            subnet_id: Some("subnet-1".into()),
            security_group_ids: vec!["sg-1".into()],
            system_disk_gib: Some(50),
            key_name: Some("skey-1".into()),
            user_data: Some("#!/bin/sh\necho hi\n".into()),
            ..Default::default()
        };
        spec.tags.insert("env".into(), "prod".into());
        let p = run_instances_params(&spec, Some("vpc-1"), "tok-123");
        assert_eq!(
            p,
            json!({
                "InstanceChargeType": "POSTPAID_BY_HOUR",
                "InstanceType": "S5.MEDIUM4",
                "ImageId": "img-9qabwvbn",
                "InstanceCount": 1,
                "ClientToken": "tok-123",
                "InstanceName": "web-1",
                "Placement": {"Zone": "ap-guangzhou-3"},
                "SystemDisk": {"DiskSize": 50},
                "VirtualPrivateCloud": {"VpcId": "vpc-1", "SubnetId": "subnet-1"},
                "SecurityGroupIds": ["sg-1"],
                "LoginSettings": {"KeyIds": ["skey-1"]},
                "UserData": "IyEvYmluL3NoCmVjaG8gaGkK",
                "TagSpecification": [{"ResourceType": "instance", "Tags": [{"Key": "env", "Value": "prod"}]}],
            })
        );
        assert_eq!(
            stop_instances_params(
                &["ins-1"],
                StopOptions {
                    force: true,
                    stop_charging: true
                }
            ),
            json!({"InstanceIds": ["ins-1"], "StopType": "HARD", "StoppedMode": "STOP_CHARGING"})
        );
        assert_eq!(
            stop_instances_params(&["ins-1"], StopOptions::default()),
            json!({"InstanceIds": ["ins-1"], "StopType": "SOFT", "StoppedMode": "KEEP_CHARGING"})
        );
        assert_eq!(
            start_instances_params(&["a"]),
            json!({"InstanceIds": ["a"]})
        );
        assert_eq!(
            reboot_instances_params(&["a"]),
            json!({"InstanceIds": ["a"], "StopType": "SOFT_FIRST"})
        );
        assert_eq!(
            terminate_instances_params(&["a"]),
            json!({"InstanceIds": ["a"]})
        );
        let vs = VolumeSpec {
            zone: Some("ap-guangzhou-3".into()),
            name: "data".into(),
            size_gib: 20,
            ..Default::default()
        };
        assert_eq!(
            create_disks_params(&vs, "t"),
            json!({"Placement": {"Zone": "ap-guangzhou-3"}, "DiskChargeType": "POSTPAID_BY_HOUR",
                   "DiskType": "CLOUD_PREMIUM", "DiskSize": 20, "DiskCount": 1, "ClientToken": "t", "DiskName": "data"})
        );
        assert_eq!(
            attach_disks_params(&["d"], "i"),
            json!({"DiskIds": ["d"], "InstanceId": "i"})
        );
        assert_eq!(detach_disks_params(&["d"], None), json!({"DiskIds": ["d"]}));
        assert_eq!(terminate_disks_params(&["d"]), json!({"DiskIds": ["d"]}));
    }
}
