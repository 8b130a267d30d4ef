//! ECS (2014-05-26): regions, zones, instances, disks, images, instance types.
//!
//! Wire types for the responses (field names as in the vendor's
//! `alibabacloud-ecs20140526` models), the state mappings, conversions into
//! the normalized model, and builders of the request parameters (names as
//! the vendor's SDK sends them).

use base64::Engine;
use serde::Deserialize;

use super::ecs::page_size;
use super::rpc::{
    counted_answer, entries, nonempty, params_of, push_comma_ids, push_json_ids, push_page,
    region_or,
};
use super::wire::{
    EcsTags, IpAddressSet, Params, lenient_vec, opt_bool, opt_f64, opt_string, opt_u64, push,
    push_list, push_opt, push_tags, string_vec, time_of,
};
use crate::model::{
    ChargeType, Image, ImageOwner, Instance, InstanceSpec, InstanceState, InstanceType, ListImages,
    ListInstances, ListVolumes, ProviderKind, Region, StopOptions, Volume, VolumeAttachment,
    VolumeSpec, VolumeState, Zone,
};

/// ECS API version.
pub const ECS_VERSION: &str = "2014-05-26";
/// Largest `PageSize` / `MaxResults` of ECS list calls.
pub const ECS_MAX_PAGE_SIZE: u32 = 100;

// ---------------------------------------------------------------- states

/// Map an ECS instance `Status` to the normalized state. The documented
/// values are `Pending`, `Running`, `Starting`, `Stopping` and `Stopped`
/// (DescribeInstances / DescribeInstanceStatus); anything else is `Unknown`.
pub fn instance_state(status: &str) -> InstanceState {
    match status {
        "Pending" => InstanceState::Pending,
        "Running" => InstanceState::Running,
        "Starting" => InstanceState::Starting,
        "Stopping" => InstanceState::Stopping,
        "Stopped" => InstanceState::Stopped,
        _ => InstanceState::Unknown,
    }
}

/// Whether a stopped instance stopped charging, from `StoppedMode`:
/// `StopCharging` is `Some(true)`, `KeepCharging` is `Some(false)`,
/// `Not-applicable` (and absent or unknown values) is `None`. Only stopping
/// or stopped instances report it; for others the answer is `None`.
pub fn stopped_charging(state: InstanceState, stopped_mode: Option<&str>) -> Option<bool> {
    if !matches!(state, InstanceState::Stopped | InstanceState::Stopping) {
        return None;
    }
    match stopped_mode {
        Some("StopCharging") => Some(true),
        Some("KeepCharging") => Some(false),
        _ => None,
    }
}

/// Map an ECS disk `Status` to the normalized state. Documented values:
/// `In_use`, `Available`, `Attaching`, `Detaching`, `Creating`, `ReIniting`.
/// `ReIniting` (the disk is being re-initialized to its image or snapshot)
/// is normalized as `Creating`: it is being rebuilt and not usable yet.
pub fn volume_state(status: &str) -> VolumeState {
    match status {
        "In_use" => VolumeState::InUse,
        "Available" => VolumeState::Available,
        "Attaching" => VolumeState::Attaching,
        "Detaching" => VolumeState::Detaching,
        "Creating" | "ReIniting" => VolumeState::Creating,
        _ => VolumeState::Unknown,
    }
}

/// The billing model from ECS's `InstanceChargeType` / `DiskChargeType`
/// (`PrePaid`, `PostPaid`) and `SpotStrategy` (`NoSpot`,
/// `SpotWithPriceLimit`, `SpotAsPriceGo`).
pub fn charge_type(charge: Option<&str>, spot_strategy: Option<&str>) -> ChargeType {
    match (charge, spot_strategy) {
        (_, Some("SpotWithPriceLimit" | "SpotAsPriceGo")) => ChargeType::Spot,
        (Some("PrePaid"), _) => ChargeType::PrePaid,
        (Some("PostPaid"), _) => ChargeType::PostPaid,
        _ => ChargeType::Unknown,
    }
}

// ---------------------------------------------------------------- regions

/// One region of `DescribeRegions`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RegionWire {
    /// Region id.
    #[serde(rename = "RegionId", default, deserialize_with = "opt_string")]
    pub region_id: Option<String>,
    /// Localized name.
    #[serde(rename = "LocalName", default, deserialize_with = "opt_string")]
    pub local_name: Option<String>,
    /// ECS endpoint of the region.
    #[serde(rename = "RegionEndpoint", default, deserialize_with = "opt_string")]
    pub region_endpoint: Option<String>,
    /// `available` or `soldOut`.
    #[serde(rename = "Status", default, deserialize_with = "opt_string")]
    pub status: Option<String>,
}

/// `{"Region":[...]}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RegionsWire {
    /// The regions.
    #[serde(rename = "Region", default, deserialize_with = "lenient_vec")]
    pub region: Vec<RegionWire>,
}

/// The `DescribeRegions` response.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DescribeRegionsResponse {
    /// Request id.
    #[serde(rename = "RequestId", default, deserialize_with = "opt_string")]
    pub request_id: Option<String>,
    /// The regions.
    #[serde(rename = "Regions", default)]
    pub regions: RegionsWire,
}

impl DescribeRegionsResponse {
    /// As normalized regions (entries without an id are skipped). A region
    /// is enabled unless its status says `soldOut`.
    pub fn to_regions(&self) -> Vec<Region> {
        self.regions
            .region
            .iter()
            .filter_map(|r| {
                let id = nonempty(&r.region_id)?;
                Some(Region {
                    provider: ProviderKind::Alibaba,
                    id,
                    name: r.local_name.clone(),
                    endpoint: r.region_endpoint.clone(),
                    enabled: r.status.as_deref() != Some("soldOut"),
                })
            })
            .collect()
    }
}

/// `{"ResourceTypes":[...]}` of a zone.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ZoneResourceCreation {
    /// Resource types creatable in the zone (`Instance`, `Disk`, ...).
    #[serde(rename = "ResourceTypes", default, deserialize_with = "string_vec")]
    pub resource_types: Vec<String>,
}

/// `{"InstanceTypes":[...]}` of a zone.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ZoneInstanceTypes {
    /// Instance types offered in the zone.
    #[serde(rename = "InstanceTypes", default, deserialize_with = "string_vec")]
    pub instance_types: Vec<String>,
}

/// One zone of `DescribeZones`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ZoneWire {
    /// Zone id.
    #[serde(rename = "ZoneId", default, deserialize_with = "opt_string")]
    pub zone_id: Option<String>,
    /// Localized name.
    #[serde(rename = "LocalName", default, deserialize_with = "opt_string")]
    pub local_name: Option<String>,
    /// `AvailabilityZone` or `CloudBox`.
    #[serde(rename = "ZoneType", default, deserialize_with = "opt_string")]
    pub zone_type: Option<String>,
    /// What can be created.
    #[serde(rename = "AvailableResourceCreation", default)]
    pub available_resource_creation: Option<ZoneResourceCreation>,
    /// Instance types offered.
    #[serde(rename = "AvailableInstanceTypes", default)]
    pub available_instance_types: Option<ZoneInstanceTypes>,
}

/// `{"Zone":[...]}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ZonesWire {
    /// The zones.
    #[serde(rename = "Zone", default, deserialize_with = "lenient_vec")]
    pub zone: Vec<ZoneWire>,
}

/// The `DescribeZones` response.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DescribeZonesResponse {
    /// Request id.
    #[serde(rename = "RequestId", default, deserialize_with = "opt_string")]
    pub request_id: Option<String>,
    /// The zones.
    #[serde(rename = "Zones", default)]
    pub zones: ZonesWire,
}

impl DescribeZonesResponse {
    /// As normalized zones of `region`. A zone is available when it lists
    /// `Instance` among its creatable resources (or lists none at all).
    pub fn to_zones(&self, region: &str) -> Vec<Zone> {
        self.zones
            .zone
            .iter()
            .filter_map(|z| {
                let id = nonempty(&z.zone_id)?;
                let available = match &z.available_resource_creation {
                    Some(c) if !c.resource_types.is_empty() => {
                        c.resource_types.iter().any(|t| t == "Instance")
                    }
                    _ => true,
                };
                Some(Zone {
                    provider: ProviderKind::Alibaba,
                    region: region.to_string(),
                    id,
                    name: z.local_name.clone(),
                    available,
                })
            })
            .collect()
    }
}

// ---------------------------------------------------------------- instances

/// `VpcAttributes` of an instance.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct VpcAttributesWire {
    /// VPC id.
    #[serde(rename = "VpcId", default, deserialize_with = "opt_string")]
    pub vpc_id: Option<String>,
    /// VSwitch id.
    #[serde(rename = "VSwitchId", default, deserialize_with = "opt_string")]
    pub vswitch_id: Option<String>,
    /// Private addresses.
    #[serde(rename = "PrivateIpAddress", default)]
    pub private_ip_address: IpAddressSet,
    /// NAT address.
    #[serde(rename = "NatIpAddress", default, deserialize_with = "opt_string")]
    pub nat_ip_address: Option<String>,
}

/// `EipAddress` of an instance.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct InstanceEipWire {
    /// EIP allocation id.
    #[serde(rename = "AllocationId", default, deserialize_with = "opt_string")]
    pub allocation_id: Option<String>,
    /// The address.
    #[serde(rename = "IpAddress", default, deserialize_with = "opt_string")]
    pub ip_address: Option<String>,
}

/// `{"SecurityGroupId":[...]}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SecurityGroupIdsWire {
    /// Group ids.
    #[serde(rename = "SecurityGroupId", default, deserialize_with = "string_vec")]
    pub security_group_id: Vec<String>,
}

/// One private IP of a network interface.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PrivateIpSetWire {
    /// The address.
    #[serde(rename = "PrivateIpAddress", default, deserialize_with = "opt_string")]
    pub private_ip_address: Option<String>,
    /// Whether it is the primary address.
    #[serde(rename = "Primary", default, deserialize_with = "opt_bool")]
    pub primary: Option<bool>,
}

/// `{"PrivateIpSet":[...]}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PrivateIpSetsWire {
    /// The addresses.
    #[serde(rename = "PrivateIpSet", default, deserialize_with = "lenient_vec")]
    pub private_ip_set: Vec<PrivateIpSetWire>,
}

/// One network interface of an instance.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NetworkInterfaceWire {
    /// ENI id.
    #[serde(
        rename = "NetworkInterfaceId",
        default,
        deserialize_with = "opt_string"
    )]
    pub network_interface_id: Option<String>,
    /// `Primary` or `Secondary`.
    #[serde(rename = "Type", default, deserialize_with = "opt_string")]
    pub kind: Option<String>,
    /// Primary private address.
    #[serde(rename = "PrimaryIpAddress", default, deserialize_with = "opt_string")]
    pub primary_ip_address: Option<String>,
    /// All private addresses.
    #[serde(rename = "PrivateIpSets", default)]
    pub private_ip_sets: PrivateIpSetsWire,
}

/// `{"NetworkInterface":[...]}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NetworkInterfacesWire {
    /// The interfaces.
    #[serde(rename = "NetworkInterface", default, deserialize_with = "lenient_vec")]
    pub network_interface: Vec<NetworkInterfaceWire>,
}

/// One instance of `DescribeInstances`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct InstanceWire {
    /// Instance id.
    #[serde(rename = "InstanceId", default, deserialize_with = "opt_string")]
    pub instance_id: Option<String>,
    /// Name.
    #[serde(rename = "InstanceName", default, deserialize_with = "opt_string")]
    pub instance_name: Option<String>,
    /// Region id.
    #[serde(rename = "RegionId", default, deserialize_with = "opt_string")]
    pub region_id: Option<String>,
    /// Zone id.
    #[serde(rename = "ZoneId", default, deserialize_with = "opt_string")]
    pub zone_id: Option<String>,
    /// `Pending`, `Running`, `Starting`, `Stopping`, `Stopped`.
    #[serde(rename = "Status", default, deserialize_with = "opt_string")]
    pub status: Option<String>,
    /// `KeepCharging`, `StopCharging`, `Not-applicable`.
    #[serde(rename = "StoppedMode", default, deserialize_with = "opt_string")]
    pub stopped_mode: Option<String>,
    /// Instance type (`ecs.g5.large`).
    #[serde(rename = "InstanceType", default, deserialize_with = "opt_string")]
    pub instance_type: Option<String>,
    /// Instance type family (`ecs.g5`).
    #[serde(
        rename = "InstanceTypeFamily",
        default,
        deserialize_with = "opt_string"
    )]
    pub instance_type_family: Option<String>,
    /// vCPUs.
    #[serde(rename = "Cpu", default, deserialize_with = "opt_u64")]
    pub cpu: Option<u64>,
    /// Memory in MiB.
    #[serde(rename = "Memory", default, deserialize_with = "opt_u64")]
    pub memory: Option<u64>,
    /// Image id.
    #[serde(rename = "ImageId", default, deserialize_with = "opt_string")]
    pub image_id: Option<String>,
    /// Classic-network private addresses.
    #[serde(rename = "InnerIpAddress", default)]
    pub inner_ip_address: IpAddressSet,
    /// Public addresses assigned by ECS.
    #[serde(rename = "PublicIpAddress", default)]
    pub public_ip_address: IpAddressSet,
    /// The bound EIP.
    #[serde(rename = "EipAddress", default)]
    pub eip_address: Option<InstanceEipWire>,
    /// VPC placement.
    #[serde(rename = "VpcAttributes", default)]
    pub vpc_attributes: Option<VpcAttributesWire>,
    /// Network interfaces.
    #[serde(rename = "NetworkInterfaces", default)]
    pub network_interfaces: NetworkInterfacesWire,
    /// Security groups.
    #[serde(rename = "SecurityGroupIds", default)]
    pub security_group_ids: SecurityGroupIdsWire,
    /// `PrePaid` or `PostPaid`.
    #[serde(
        rename = "InstanceChargeType",
        default,
        deserialize_with = "opt_string"
    )]
    pub instance_charge_type: Option<String>,
    /// `NoSpot`, `SpotWithPriceLimit`, `SpotAsPriceGo`.
    #[serde(rename = "SpotStrategy", default, deserialize_with = "opt_string")]
    pub spot_strategy: Option<String>,
    /// Creation time (`2017-12-10T04:04Z`).
    #[serde(rename = "CreationTime", default, deserialize_with = "opt_string")]
    pub creation_time: Option<String>,
    /// Subscription expiry.
    #[serde(rename = "ExpiredTime", default, deserialize_with = "opt_string")]
    pub expired_time: Option<String>,
    /// Host name.
    #[serde(rename = "HostName", default, deserialize_with = "opt_string")]
    pub host_name: Option<String>,
    /// OS name.
    #[serde(rename = "OSName", default, deserialize_with = "opt_string")]
    pub os_name: Option<String>,
    /// Tags.
    #[serde(rename = "Tags", default)]
    pub tags: EcsTags,
}

impl InstanceWire {
    /// As a normalized instance; `None` when the entry has no id.
    /// `region` is used when the entry does not name its own.
    pub fn to_instance(&self, region: &str) -> Option<Instance> {
        let id = nonempty(&self.instance_id)?;
        let raw = self.status.clone().unwrap_or_default();
        let state = instance_state(&raw);
        let mut private_ips: Vec<String> = Vec::new();
        if let Some(v) = &self.vpc_attributes {
            private_ips.extend(v.private_ip_address.ip_address.iter().cloned());
        }
        for nic in &self.network_interfaces.network_interface {
            for ip in nic
                .private_ip_sets
                .private_ip_set
                .iter()
                .filter_map(|s| s.private_ip_address.clone())
                .chain(nic.primary_ip_address.clone())
            {
                if !private_ips.contains(&ip) {
                    private_ips.push(ip);
                }
            }
        }
        for ip in &self.inner_ip_address.ip_address {
            if !private_ips.contains(ip) {
                private_ips.push(ip.clone());
            }
        }
        let mut public_ips: Vec<String> = self.public_ip_address.ip_address.clone();
        if let Some(ip) = self
            .eip_address
            .as_ref()
            .and_then(|e| nonempty(&e.ip_address))
        {
            if !public_ips.contains(&ip) {
                public_ips.push(ip);
            }
        }
        let charge = charge_type(
            self.instance_charge_type.as_deref(),
            self.spot_strategy.as_deref(),
        );
        Some(Instance {
            provider: ProviderKind::Alibaba,
            region: region_or(&self.region_id, region).to_string(),
            zone: nonempty(&self.zone_id),
            id,
            name: self.instance_name.clone().unwrap_or_default(),
            state,
            stopped_charging: stopped_charging(state, self.stopped_mode.as_deref()),
            raw_state: raw,
            instance_type: self.instance_type.clone(),
            vcpus: self.cpu.and_then(|c| u32::try_from(c).ok()),
            memory_mib: self.memory,
            image_id: nonempty(&self.image_id),
            private_ips,
            public_ips,
            vpc_id: self
                .vpc_attributes
                .as_ref()
                .and_then(|v| nonempty(&v.vpc_id)),
            subnet_id: self
                .vpc_attributes
                .as_ref()
                .and_then(|v| nonempty(&v.vswitch_id)),
            security_group_ids: self.security_group_ids.security_group_id.clone(),
            charge_type: charge,
            created_at: time_of(&self.creation_time),
            // Pay-as-you-go instances carry a far-future placeholder.
            expires_at: if charge == ChargeType::PrePaid {
                time_of(&self.expired_time)
            } else {
                None
            },
            tags: self.tags.to_tags(),
        })
    }
}

/// `{"Instance":[...]}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct InstancesWire {
    /// The instances.
    #[serde(rename = "Instance", default, deserialize_with = "lenient_vec")]
    pub instance: Vec<InstanceWire>,
}

counted_answer! {
    /// The `DescribeInstances` response (`TotalCount` comes with
    /// `PageNumber` paging only).
    pub struct DescribeInstancesResponse {
        /// Token of the next page (NextToken paging); empty or absent at the end.
        #[serde(rename = "NextToken", default, deserialize_with = "opt_string")]
        pub next_token: Option<String>,
        /// The instances.
        #[serde(rename = "Instances", default)]
        pub instances: InstancesWire,
    }
}

impl DescribeInstancesResponse {
    /// As normalized instances (entries without an id are skipped).
    pub fn to_instances(&self, region: &str) -> Vec<Instance> {
        entries(&self.instances.instance, region, InstanceWire::to_instance)
    }
}

// ---------------------------------------------------------------- disks

/// One attachment of a disk.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DiskAttachmentWire {
    /// Instance id.
    #[serde(rename = "InstanceId", default, deserialize_with = "opt_string")]
    pub instance_id: Option<String>,
    /// Device name.
    #[serde(rename = "Device", default, deserialize_with = "opt_string")]
    pub device: Option<String>,
    /// Attach time.
    #[serde(rename = "AttachedTime", default, deserialize_with = "opt_string")]
    pub attached_time: Option<String>,
}

/// `{"Attachment":[...]}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DiskAttachmentsWire {
    /// The attachments.
    #[serde(rename = "Attachment", default, deserialize_with = "lenient_vec")]
    pub attachment: Vec<DiskAttachmentWire>,
}

/// One disk of `DescribeDisks`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DiskWire {
    /// Disk id.
    #[serde(rename = "DiskId", default, deserialize_with = "opt_string")]
    pub disk_id: Option<String>,
    /// Name.
    #[serde(rename = "DiskName", default, deserialize_with = "opt_string")]
    pub disk_name: Option<String>,
    /// Region id.
    #[serde(rename = "RegionId", default, deserialize_with = "opt_string")]
    pub region_id: Option<String>,
    /// Zone id.
    #[serde(rename = "ZoneId", default, deserialize_with = "opt_string")]
    pub zone_id: Option<String>,
    /// Size in GiB.
    #[serde(rename = "Size", default, deserialize_with = "opt_u64")]
    pub size: Option<u64>,
    /// Category (`cloud_essd`, ...).
    #[serde(rename = "Category", default, deserialize_with = "opt_string")]
    pub category: Option<String>,
    /// `In_use`, `Available`, `Attaching`, `Detaching`, `Creating`, `ReIniting`.
    #[serde(rename = "Status", default, deserialize_with = "opt_string")]
    pub status: Option<String>,
    /// `system` or `data`.
    #[serde(rename = "Type", default, deserialize_with = "opt_string")]
    pub kind: Option<String>,
    /// Instance it is attached to.
    #[serde(rename = "InstanceId", default, deserialize_with = "opt_string")]
    pub instance_id: Option<String>,
    /// Device name.
    #[serde(rename = "Device", default, deserialize_with = "opt_string")]
    pub device: Option<String>,
    /// Attachments (multi-attach disks have several).
    #[serde(rename = "Attachments", default)]
    pub attachments: DiskAttachmentsWire,
    /// `PrePaid` or `PostPaid`.
    #[serde(rename = "DiskChargeType", default, deserialize_with = "opt_string")]
    pub disk_charge_type: Option<String>,
    /// Creation time.
    #[serde(rename = "CreationTime", default, deserialize_with = "opt_string")]
    pub creation_time: Option<String>,
    /// Tags.
    #[serde(rename = "Tags", default)]
    pub tags: EcsTags,
}

impl DiskWire {
    /// As a normalized volume; `None` when the entry has no id.
    pub fn to_volume(&self, region: &str) -> Option<Volume> {
        let id = nonempty(&self.disk_id)?;
        let raw = self.status.clone().unwrap_or_default();
        let mut attachments: Vec<VolumeAttachment> = self
            .attachments
            .attachment
            .iter()
            .filter_map(|a| {
                Some(VolumeAttachment {
                    instance_id: nonempty(&a.instance_id)?,
                    device: nonempty(&a.device),
                })
            })
            .collect();
        if attachments.is_empty() {
            if let Some(inst) = nonempty(&self.instance_id) {
                attachments.push(VolumeAttachment {
                    instance_id: inst,
                    device: nonempty(&self.device),
                });
            }
        }
        Some(Volume {
            provider: ProviderKind::Alibaba,
            region: region_or(&self.region_id, region).to_string(),
            zone: nonempty(&self.zone_id),
            id,
            name: self.disk_name.clone().unwrap_or_default(),
            size_gib: self.size.unwrap_or(0),
            volume_type: self.category.clone(),
            state: volume_state(&raw),
            raw_state: raw,
            is_system: self.kind.as_deref() == Some("system"),
            attachments,
            charge_type: charge_type(self.disk_charge_type.as_deref(), None),
            created_at: time_of(&self.creation_time),
            tags: self.tags.to_tags(),
        })
    }
}

/// `{"Disk":[...]}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DisksWire {
    /// The disks.
    #[serde(rename = "Disk", default, deserialize_with = "lenient_vec")]
    pub disk: Vec<DiskWire>,
}

counted_answer! {
    /// The `DescribeDisks` response.
    pub struct DescribeDisksResponse {
        /// Next-page token.
        #[serde(rename = "NextToken", default, deserialize_with = "opt_string")]
        pub next_token: Option<String>,
        /// The disks.
        #[serde(rename = "Disks", default)]
        pub disks: DisksWire,
    }
}

impl DescribeDisksResponse {
    /// As normalized volumes.
    pub fn to_volumes(&self, region: &str) -> Vec<Volume> {
        entries(&self.disks.disk, region, DiskWire::to_volume)
    }
}

// ---------------------------------------------------------------- images

/// One image of `DescribeImages`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ImageWire {
    /// Image id.
    #[serde(rename = "ImageId", default, deserialize_with = "opt_string")]
    pub image_id: Option<String>,
    /// Name.
    #[serde(rename = "ImageName", default, deserialize_with = "opt_string")]
    pub image_name: Option<String>,
    /// `system`, `self`, `others`, `marketplace`.
    #[serde(rename = "ImageOwnerAlias", default, deserialize_with = "opt_string")]
    pub image_owner_alias: Option<String>,
    /// OS name (localized).
    #[serde(rename = "OSName", default, deserialize_with = "opt_string")]
    pub os_name: Option<String>,
    /// OS name in English.
    #[serde(rename = "OSNameEn", default, deserialize_with = "opt_string")]
    pub os_name_en: Option<String>,
    /// `linux` or `windows`.
    #[serde(rename = "OSType", default, deserialize_with = "opt_string")]
    pub os_type: Option<String>,
    /// Distribution (`CentOS`).
    #[serde(rename = "Platform", default, deserialize_with = "opt_string")]
    pub platform: Option<String>,
    /// `x86_64`, `i386`, `arm64`.
    #[serde(rename = "Architecture", default, deserialize_with = "opt_string")]
    pub architecture: Option<String>,
    /// Size in GiB.
    #[serde(rename = "Size", default, deserialize_with = "opt_u64")]
    pub size: Option<u64>,
    /// `Available`, `Creating`, `UnAvailable`, `CreateFailed`, ...
    #[serde(rename = "Status", default, deserialize_with = "opt_string")]
    pub status: Option<String>,
    /// Creation time.
    #[serde(rename = "CreationTime", default, deserialize_with = "opt_string")]
    pub creation_time: Option<String>,
    /// Tags.
    #[serde(rename = "Tags", default)]
    pub tags: EcsTags,
}

impl ImageWire {
    /// As a normalized image; `None` when the entry has no id.
    pub fn to_image(&self, region: &str) -> Option<Image> {
        let id = nonempty(&self.image_id)?;
        let owner = match self.image_owner_alias.as_deref() {
            Some("self") => ImageOwner::Own,
            Some("others") => ImageOwner::Shared,
            _ => ImageOwner::Public,
        };
        Some(Image {
            provider: ProviderKind::Alibaba,
            region: region.to_string(),
            id,
            name: self.image_name.clone().unwrap_or_default(),
            owner,
            os: nonempty(&self.os_name_en).or_else(|| self.os_name.clone()),
            architecture: self.architecture.clone(),
            size_gib: self.size,
            raw_state: self.status.clone().unwrap_or_default(),
            created_at: time_of(&self.creation_time),
            tags: self.tags.to_tags(),
        })
    }
}

/// `{"Image":[...]}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ImagesWire {
    /// The images.
    #[serde(rename = "Image", default, deserialize_with = "lenient_vec")]
    pub image: Vec<ImageWire>,
}

counted_answer! {
    /// The `DescribeImages` response.
    pub struct DescribeImagesResponse {
        /// Region id.
        #[serde(rename = "RegionId", default, deserialize_with = "opt_string")]
        pub region_id: Option<String>,
        /// The images.
        #[serde(rename = "Images", default)]
        pub images: ImagesWire,
    }
}

impl DescribeImagesResponse {
    /// As normalized images.
    pub fn to_images(&self, region: &str) -> Vec<Image> {
        let region = region_or(&self.region_id, region);
        entries(&self.images.image, region, ImageWire::to_image)
    }
}

// ---------------------------------------------------------------- instance types

/// One instance type of `DescribeInstanceTypes`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct InstanceTypeWire {
    /// Type name (`ecs.g6.large`).
    #[serde(rename = "InstanceTypeId", default, deserialize_with = "opt_string")]
    pub instance_type_id: Option<String>,
    /// vCPUs.
    #[serde(rename = "CpuCoreCount", default, deserialize_with = "opt_u64")]
    pub cpu_core_count: Option<u64>,
    /// Memory in GiB (may be fractional, e.g. 0.5).
    #[serde(rename = "MemorySize", default, deserialize_with = "opt_f64")]
    pub memory_size: Option<f64>,
    /// GPUs.
    #[serde(rename = "GPUAmount", default, deserialize_with = "opt_u64")]
    pub gpu_amount: Option<u64>,
    /// Family (`ecs.g6`).
    #[serde(
        rename = "InstanceTypeFamily",
        default,
        deserialize_with = "opt_string"
    )]
    pub instance_type_family: Option<String>,
}

impl InstanceTypeWire {
    /// As a normalized instance type; `None` without an id.
    pub fn to_instance_type(&self, region: &str) -> Option<InstanceType> {
        let id = nonempty(&self.instance_type_id)?;
        let memory_mib = self
            .memory_size
            .filter(|m| m.is_finite() && *m >= 0.0)
            .map(|m| (m * 1024.0).round() as u64)
            .unwrap_or(0);
        Some(InstanceType {
            provider: ProviderKind::Alibaba,
            region: region.to_string(),
            id,
            vcpus: self
                .cpu_core_count
                .and_then(|c| u32::try_from(c).ok())
                .unwrap_or(0),
            memory_mib,
            gpus: self
                .gpu_amount
                .and_then(|g| u32::try_from(g).ok())
                .filter(|g| *g > 0),
            family: self.instance_type_family.clone(),
            zones: Vec::new(),
        })
    }
}

/// `{"InstanceType":[...]}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct InstanceTypesWire {
    /// The types.
    #[serde(rename = "InstanceType", default, deserialize_with = "lenient_vec")]
    pub instance_type: Vec<InstanceTypeWire>,
}

/// The `DescribeInstanceTypes` response.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DescribeInstanceTypesResponse {
    /// Request id.
    #[serde(rename = "RequestId", default, deserialize_with = "opt_string")]
    pub request_id: Option<String>,
    /// Next-page token.
    #[serde(rename = "NextToken", default, deserialize_with = "opt_string")]
    pub next_token: Option<String>,
    /// The types.
    #[serde(rename = "InstanceTypes", default)]
    pub instance_types: InstanceTypesWire,
}

impl DescribeInstanceTypesResponse {
    /// As normalized instance types.
    pub fn to_instance_types(&self, region: &str) -> Vec<InstanceType> {
        entries(
            &self.instance_types.instance_type,
            region,
            InstanceTypeWire::to_instance_type,
        )
    }
}

// ---------------------------------------------------------------- request builders

/// `DescribeRegions` parameters.
pub fn describe_regions_params(accept_language: Option<&str>) -> Params {
    let mut p = Params::new();
    push_opt(&mut p, "AcceptLanguage", accept_language);
    p
}

/// `DescribeZones` parameters.
pub fn describe_zones_params(region: &str) -> Params {
    params_of([("RegionId", region)])
}

/// Filters of `DescribeInstances` shared by both paging styles.
fn describe_instances_filters(q: &ListInstances) -> Params {
    let mut p = params_of([("RegionId", &q.region)]);
    push_json_ids(&mut p, "InstanceIds", &q.ids);
    push_tags(&mut p, &q.tags);
    p
}

/// `DescribeInstances` parameters, page-number style (`PageNumber` from 1,
/// `PageSize` up to 100); the response's `TotalCount` allows fetching the
/// remaining pages concurrently.
pub fn describe_instances_params(q: &ListInstances, page_number: u32) -> Params {
    let mut p = describe_instances_filters(q);
    push_page(&mut p, page_number, q.page_size, ECS_MAX_PAGE_SIZE);
    p
}

/// `DescribeInstances` parameters, token style (`MaxResults` up to 100,
/// `NextToken` from the previous page).
pub fn describe_instances_token_params(q: &ListInstances, next_token: Option<&str>) -> Params {
    let mut p = describe_instances_filters(q);
    push(
        &mut p,
        "MaxResults",
        page_size(q.page_size, ECS_MAX_PAGE_SIZE),
    );
    push_opt(&mut p, "NextToken", next_token);
    p
}

/// `DescribeInstances` with `DryRun=true`: the permission probe behind an
/// empty first page (see `client::is_dry_run_allowed`).
pub fn describe_instances_dry_run_params(region: &str) -> Params {
    params_of([("RegionId", region), ("DryRun", "true")])
}

/// `RunInstances` parameters for one pay-as-you-go instance. The
/// `client_token` must stay the same across retries of the same create.
pub fn run_instances_params(spec: &InstanceSpec, client_token: &str) -> Params {
    let mut p = Params::new();
    push(&mut p, "RegionId", &spec.region);
    push_opt(&mut p, "ZoneId", spec.zone.as_deref());
    push(&mut p, "ImageId", &spec.image_id);
    push(&mut p, "InstanceType", &spec.instance_type);
    push_opt(&mut p, "InstanceName", Some(spec.name.as_str()));
    push_opt(&mut p, "VSwitchId", spec.subnet_id.as_deref());
    push_list(&mut p, "SecurityGroupIds", &spec.security_group_ids);
    push_opt(&mut p, "SystemDisk.Size", spec.system_disk_gib);
    push_opt(&mut p, "KeyPairName", spec.key_name.as_deref());
    if let Some(ud) = &spec.user_data {
        push(
            &mut p,
            "UserData",
            base64::engine::general_purpose::STANDARD.encode(ud.as_bytes()),
        );
    }
    push(&mut p, "InstanceChargeType", "PostPaid");
    push(&mut p, "Amount", 1);
    push_tags(&mut p, &spec.tags);
    push(&mut p, "ClientToken", client_token);
    p
}

/// `StartInstance` parameters.
pub fn start_instance_params(instance_id: &str) -> Params {
    params_of([("InstanceId", instance_id)])
}

/// `StopInstance` parameters: `ForceStop` and `StoppedMode`
/// (`StopCharging` when asked to stop billing, else `KeepCharging`).
pub fn stop_instance_params(instance_id: &str, opts: StopOptions) -> Params {
    let mut p = Params::new();
    push(&mut p, "InstanceId", instance_id);
    push(&mut p, "ForceStop", opts.force);
    push(
        &mut p,
        "StoppedMode",
        if opts.stop_charging {
            "StopCharging"
        } else {
            "KeepCharging"
        },
    );
    p
}

/// `RebootInstance` parameters.
pub fn reboot_instance_params(instance_id: &str, force: bool) -> Params {
    params_of([
        ("InstanceId", instance_id),
        ("ForceStop", &force.to_string()),
    ])
}

/// `DeleteInstance` parameters; `force` also deletes a running instance.
pub fn delete_instance_params(instance_id: &str, force: bool) -> Params {
    params_of([("InstanceId", instance_id), ("Force", &force.to_string())])
}

/// `DescribeDisks` parameters (page-number style, `PageSize` up to 100).
pub fn describe_disks_params(q: &ListVolumes, page_number: u32) -> Params {
    let mut p = params_of([("RegionId", &q.region)]);
    push_json_ids(&mut p, "DiskIds", &q.ids);
    push_opt(&mut p, "InstanceId", q.instance_id.as_deref());
    push_tags(&mut p, &q.tags);
    push_page(&mut p, page_number, q.page_size, ECS_MAX_PAGE_SIZE);
    p
}

/// `CreateDisk` parameters (`DiskCategory` defaults to the cloud's when the
/// spec names no type).
pub fn create_disk_params(spec: &VolumeSpec, client_token: &str) -> Params {
    let mut p = Params::new();
    push(&mut p, "RegionId", &spec.region);
    push_opt(&mut p, "ZoneId", spec.zone.as_deref());
    push_opt(&mut p, "DiskName", Some(spec.name.as_str()));
    push(&mut p, "Size", spec.size_gib);
    push_opt(&mut p, "DiskCategory", spec.volume_type.as_deref());
    push_tags(&mut p, &spec.tags);
    push(&mut p, "ClientToken", client_token);
    p
}

/// `AttachDisk` parameters.
pub fn attach_disk_params(instance_id: &str, disk_id: &str) -> Params {
    params_of([("InstanceId", instance_id), ("DiskId", disk_id)])
}

/// `DetachDisk` parameters.
pub fn detach_disk_params(instance_id: &str, disk_id: &str) -> Params {
    params_of([("InstanceId", instance_id), ("DiskId", disk_id)])
}

/// `DeleteDisk` parameters.
pub fn delete_disk_params(disk_id: &str) -> Params {
    params_of([("DiskId", disk_id)])
}

/// `DescribeImages` parameters (page-number style, `PageSize` up to 100).
pub fn describe_images_params(q: &ListImages, page_number: u32) -> Params {
    let mut p = params_of([("RegionId", &q.region)]);
    push_comma_ids(&mut p, "ImageId", &q.ids);
    let alias = match q.owner {
        ImageOwner::Own => "self",
        ImageOwner::Shared => "others",
        _ => "system",
    };
    push(&mut p, "ImageOwnerAlias", alias);
    push_page(&mut p, page_number, q.page_size, ECS_MAX_PAGE_SIZE);
    p
}

/// `DescribeInstanceTypes` parameters (token style).
pub fn describe_instance_types_params(next_token: Option<&str>) -> Params {
    let mut p = Params::new();
    push_opt(&mut p, "NextToken", next_token);
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every documented ECS instance status and disk status.
    #[test]
    fn instance_states_table() {
        let table = [
            ("Pending", InstanceState::Pending),
            ("Running", InstanceState::Running),
            ("Starting", InstanceState::Starting),
            ("Stopping", InstanceState::Stopping),
            ("Stopped", InstanceState::Stopped),
            ("Deleted", InstanceState::Unknown),
            ("", InstanceState::Unknown),
        ];
        for (raw, want) in table {
            assert_eq!(instance_state(raw), want, "{raw}");
        }
    }

    #[test]
    fn stopped_mode_table() {
        use InstanceState::*;
        let table = [
            (Stopped, Some("StopCharging"), Some(true)),
            (Stopped, Some("KeepCharging"), Some(false)),
            (Stopped, Some("Not-applicable"), None),
            (Stopped, None, None),
            (Stopping, Some("StopCharging"), Some(true)),
            (Running, Some("KeepCharging"), None),
            (Running, Some("StopCharging"), None),
        ];
        for (state, mode, want) in table {
            assert_eq!(stopped_charging(state, mode), want, "{state:?} {mode:?}");
        }
    }

    #[test]
    fn volume_states_table() {
        let table = [
            ("In_use", VolumeState::InUse),
            ("Available", VolumeState::Available),
            ("Attaching", VolumeState::Attaching),
            ("Detaching", VolumeState::Detaching),
            ("Creating", VolumeState::Creating),
            ("ReIniting", VolumeState::Creating),
            ("Expired", VolumeState::Unknown),
        ];
        for (raw, want) in table {
            assert_eq!(volume_state(raw), want, "{raw}");
        }
    }

    #[test]
    fn charge_types() {
        assert_eq!(
            charge_type(Some("PrePaid"), Some("NoSpot")),
            ChargeType::PrePaid
        );
        assert_eq!(
            charge_type(Some("PostPaid"), Some("NoSpot")),
            ChargeType::PostPaid
        );
        assert_eq!(
            charge_type(Some("PostPaid"), Some("SpotAsPriceGo")),
            ChargeType::Spot
        );
        assert_eq!(
            charge_type(Some("PostPaid"), Some("SpotWithPriceLimit")),
            ChargeType::Spot
        );
        assert_eq!(charge_type(None, None), ChargeType::Unknown);
    }

    #[test]
    fn absent_fields_parse() {
        let r: DescribeInstancesResponse =
            serde_json::from_str(r#"{"Instances":{"Instance":[{"InstanceId":"i-1"},{}]}}"#)
                .unwrap();
        let v = r.to_instances("cn-hangzhou");
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].state, InstanceState::Unknown);
        assert_eq!(v[0].region, "cn-hangzhou");
        let r: DescribeInstancesResponse = serde_json::from_str("{}").unwrap();
        assert!(r.to_instances("x").is_empty());
        let r: DescribeDisksResponse = serde_json::from_str(r#"{"Disks":{}}"#).unwrap();
        assert!(r.to_volumes("x").is_empty());
    }

    #[test]
    fn builders() {
        let mut spec = InstanceSpec {
            region: "cn-hangzhou".into(),
            zone: Some("cn-hangzhou-g".into()),
            name: "web-1".into(),
            instance_type: "ecs.g6.large".into(),
            image_id: "m-1".into(),
            subnet_id: Some("vsw-1".into()),
            security_group_ids: vec!["sg-1".into(), "sg-2".into()],
            system_disk_gib: Some(40),
            user_data: Some("#!/bin/sh".into()),
            ..Default::default()
        };
        spec.tags.insert("env".into(), "prod".into());
        let p = run_instances_params(&spec, "tok-1");
        let get = |k: &str| p.iter().find(|(a, _)| a == k).map(|(_, v)| v.as_str());
        assert_eq!(get("ClientToken"), Some("tok-1"));
        assert_eq!(get("SecurityGroupIds.2"), Some("sg-2"));
        assert_eq!(get("SystemDisk.Size"), Some("40"));
        assert_eq!(get("UserData"), Some("IyEvYmluL3No"));
        assert_eq!(get("Tag.1.Key"), Some("env"));
        assert_eq!(get("VSwitchId"), Some("vsw-1"));
        assert_eq!(get("KeyPairName"), None);

        let p = stop_instance_params(
            "i-1",
            StopOptions {
                force: true,
                stop_charging: true,
            },
        );
        assert!(p.contains(&("ForceStop".into(), "true".into())));
        assert!(p.contains(&("StoppedMode".into(), "StopCharging".into())));

        let q = ListInstances {
            region: "cn-hangzhou".into(),
            ids: vec!["i-1".into()],
            page_size: Some(1000),
            ..Default::default()
        };
        let p = describe_instances_params(&q, 3);
        assert!(p.contains(&("PageSize".into(), "100".into())));
        assert!(p.contains(&("PageNumber".into(), "3".into())));
        assert!(p.contains(&("InstanceIds".into(), r#"["i-1"]"#.into())));
        let p = describe_instances_token_params(&q, Some("tok"));
        assert!(p.contains(&("MaxResults".into(), "100".into())));
        assert!(p.contains(&("NextToken".into(), "tok".into())));
        let q = ListInstances {
            page_size: Some(0),
            ..q
        };
        assert!(describe_instances_params(&q, 0).contains(&("PageSize".into(), "1".into())));
    }
}
