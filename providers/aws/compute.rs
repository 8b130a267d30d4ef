//! EC2 compute: instances, EBS volumes, images, instance types.

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    BlockDeviceMapping, EbsBlockDevice, Filter, InstanceType as Ec2InstanceType, Placement,
    ResourceType, Tag, TagSpecification, VolumeType,
};

use super::AwsProvider;
use super::client::{ec2_tags, failed, new_client_token, paged, parse_ts, sdk_error, ts};
use crate::error::{Error, ErrorKind, Result};
use crate::model::{
    ChargeType, Image, ImageOwner, Instance, InstanceSpec, InstanceState, InstanceType, ListImages,
    ListInstances, ListVolumes, ProviderKind, StopOptions, Tags, Volume, VolumeAttachment,
    VolumeSpec, VolumeState,
};
use crate::traits::{Compute, ResultStream};

/// EC2 `InstanceState.Name` to the normalized state (EC2 API reference,
/// `InstanceState`: pending | running | shutting-down | terminated |
/// stopping | stopped).
pub fn instance_state(raw: &str) -> InstanceState {
    match raw {
        "pending" => InstanceState::Pending,
        "running" => InstanceState::Running,
        "shutting-down" => InstanceState::Terminating,
        "terminated" => InstanceState::Terminated,
        "stopping" => InstanceState::Stopping,
        "stopped" => InstanceState::Stopped,
        _ => InstanceState::Unknown,
    }
}

/// EBS `Volume.State` (creating | available | in-use | deleting | deleted |
/// error), refined by the attachment state (attaching | detaching) for a
/// volume in use.
pub fn volume_state(raw: &str, attachment: Option<&str>) -> VolumeState {
    match (raw, attachment) {
        ("in-use", Some("attaching")) => VolumeState::Attaching,
        ("in-use", Some("detaching")) => VolumeState::Detaching,
        ("creating", _) => VolumeState::Creating,
        ("available", _) => VolumeState::Available,
        ("in-use", _) => VolumeState::InUse,
        ("deleting", _) | ("deleted", _) => VolumeState::Deleting,
        ("error", _) => VolumeState::Error,
        _ => VolumeState::Unknown,
    }
}

/// `DescribeInstances` page size bounds (the API accepts 5..=1000).
const INSTANCE_PAGE: (u32, u32) = (5, 1000);
/// `DescribeVolumes` page size bounds (5..=500).
const VOLUME_PAGE: (u32, u32) = (5, 500);
/// `DescribeImages` page size bounds (5..=1000).
const IMAGE_PAGE: (u32, u32) = (5, 1000);
/// `DescribeInstanceTypes` page size bounds (5..=100).
const TYPE_PAGE: (u32, u32) = (5, 100);

/// Page size asked for when the caller names none. The EC2 maximum (1,000)
/// makes answers of several megabytes of XML, parsed whole by the SDK; 200
/// keeps a listing's memory small (see BENCHMARKS.md) for 5x the requests,
/// well inside EC2's request limits.
pub(crate) const DEFAULT_PAGE: u32 = 200;

pub(crate) fn page(size: Option<u32>, bounds: (u32, u32)) -> i32 {
    size.unwrap_or(DEFAULT_PAGE.min(bounds.1))
        .clamp(bounds.0, bounds.1) as i32
}

pub(crate) fn tag_filters(tags: &Tags) -> Vec<Filter> {
    tags.iter()
        .map(|(k, v)| {
            Filter::builder()
                .name(format!("tag:{k}"))
                .values(v.clone())
                .build()
        })
        .collect()
}

/// `Filter` `name` = the ids, `None` when there are none. Listing by ids
/// goes through filters rather than the `*Ids` parameters, which fail the
/// whole call with `*.NotFound` when one id is unknown.
pub(crate) fn id_filter(name: &str, ids: &[String]) -> Option<Filter> {
    (!ids.is_empty()).then(|| {
        Filter::builder()
            .name(name)
            .set_values(Some(ids.to_vec()))
            .build()
    })
}

pub(crate) fn tag_spec(
    rt: ResourceType,
    name: Option<&str>,
    tags: &Tags,
) -> Option<TagSpecification> {
    let mut all: Vec<Tag> = tags
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect();
    if let Some(n) = name.filter(|n| !n.is_empty())
        && !tags.contains_key("Name")
    {
        all.push(Tag::builder().key("Name").value(n).build());
    }
    if all.is_empty() {
        return None;
    }
    Some(
        TagSpecification::builder()
            .resource_type(rt)
            .set_tags(Some(all))
            .build(),
    )
}

/// [`tag_spec`] plus the create marker ([`MARKER_TAG`](super::create::MARKER_TAG) = `marker`).
pub(crate) fn marked_spec(
    rt: ResourceType,
    name: Option<&str>,
    tags: &Tags,
    marker: &str,
) -> TagSpecification {
    let mut all = tags.clone();
    if let Some(n) = name.filter(|n| !n.is_empty()) {
        all.entry("Name".into()).or_insert_with(|| n.to_string());
    }
    all.insert(super::create::MARKER_TAG.into(), marker.into());
    let tags: Vec<Tag> = all
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect();
    TagSpecification::builder()
        .resource_type(rt)
        .set_tags(Some(tags))
        .build()
}

/// The `tag:` filter finding the resource of one create.
pub(crate) fn marker_filter(marker: &str) -> Filter {
    Filter::builder()
        .name(format!("tag:{}", super::create::MARKER_TAG))
        .values(marker)
        .build()
}

pub(crate) fn name_tag(tags: &Tags) -> String {
    tags.get("Name").cloned().unwrap_or_default()
}

/// Normalize one EC2 instance.
pub(crate) fn instance_from(region: &str, i: &aws_sdk_ec2::types::Instance) -> Instance {
    let tags = ec2_tags(i.tags());
    let raw = i
        .state()
        .and_then(|s| s.name())
        .map(|n| n.as_str().to_string())
        .unwrap_or_default();
    let state = instance_state(&raw);
    let mut private_ips = Vec::new();
    let mut public_ips = Vec::new();
    for ni in i.network_interfaces() {
        for p in ni.private_ip_addresses() {
            if let Some(a) = p.private_ip_address()
                && !private_ips.iter().any(|x| x == a)
            {
                private_ips.push(a.to_string());
            }
            if let Some(a) = p.association().and_then(|a| a.public_ip())
                && !public_ips.iter().any(|x| x == a)
            {
                public_ips.push(a.to_string());
            }
        }
        for v6 in ni.ipv6_addresses() {
            if let Some(a) = v6.ipv6_address() {
                private_ips.push(a.to_string());
            }
        }
    }
    if let Some(a) = i.private_ip_address()
        && !private_ips.iter().any(|x| x == a)
    {
        private_ips.insert(0, a.to_string());
    }
    if let Some(a) = i.public_ip_address()
        && !public_ips.iter().any(|x| x == a)
    {
        public_ips.insert(0, a.to_string());
    }
    let vcpus = i.cpu_options().and_then(|c| {
        let cores = u32::try_from(c.core_count()?).ok()?;
        let threads = u32::try_from(c.threads_per_core().unwrap_or(1)).ok()?;
        Some(cores * threads)
    });
    let charge_type = match i.instance_lifecycle().map(|l| l.as_str()) {
        Some("spot") => ChargeType::Spot,
        Some("capacity-block") => ChargeType::PrePaid,
        _ => ChargeType::PostPaid,
    };
    Instance {
        provider: ProviderKind::Aws,
        region: region.to_string(),
        zone: i
            .placement()
            .and_then(|p| p.availability_zone())
            .map(str::to_string),
        id: i.instance_id().unwrap_or_default().to_string(),
        name: name_tag(&tags),
        stopped_charging: (state == InstanceState::Stopped).then_some(true),
        state,
        raw_state: raw,
        instance_type: i.instance_type().map(|t| t.as_str().to_string()),
        vcpus,
        memory_mib: None,
        image_id: i.image_id().map(str::to_string),
        private_ips,
        public_ips,
        vpc_id: i.vpc_id().map(str::to_string),
        subnet_id: i.subnet_id().map(str::to_string),
        security_group_ids: i
            .security_groups()
            .iter()
            .filter_map(|g| g.group_id().map(str::to_string))
            .collect(),
        charge_type,
        created_at: ts(i.launch_time()),
        expires_at: None,
        tags,
    }
}

/// Device names EBS suggests for data volumes on Linux (`/dev/sd[f-p]`).
const DATA_DEVICES: [&str; 11] = [
    "/dev/sdf", "/dev/sdg", "/dev/sdh", "/dev/sdi", "/dev/sdj", "/dev/sdk", "/dev/sdl", "/dev/sdm",
    "/dev/sdn", "/dev/sdo", "/dev/sdp",
];

/// Root device names EC2 uses by default; a volume attached there is the
/// instance's system disk.
const ROOT_DEVICES: [&str; 3] = ["/dev/sda1", "/dev/xvda", "/dev/sda"];

/// Normalize one EBS volume.
pub(crate) fn volume_from(region: &str, v: &aws_sdk_ec2::types::Volume) -> Volume {
    let tags = ec2_tags(v.tags());
    let raw = v
        .state()
        .map(|s| s.as_str().to_string())
        .unwrap_or_default();
    let att_state = v
        .attachments()
        .first()
        .and_then(|a| a.state())
        .map(|s| s.as_str());
    let attachments: Vec<VolumeAttachment> = v
        .attachments()
        .iter()
        .filter_map(|a| {
            Some(VolumeAttachment {
                instance_id: a.instance_id()?.to_string(),
                device: a.device().map(str::to_string),
            })
        })
        .collect();
    let is_system = attachments.iter().any(|a| {
        a.device
            .as_deref()
            .is_some_and(|d| ROOT_DEVICES.contains(&d))
    });
    Volume {
        provider: ProviderKind::Aws,
        region: region.to_string(),
        zone: v.availability_zone().map(str::to_string),
        id: v.volume_id().unwrap_or_default().to_string(),
        name: name_tag(&tags),
        size_gib: v.size().and_then(|s| u64::try_from(s).ok()).unwrap_or(0),
        volume_type: v.volume_type().map(|t| t.as_str().to_string()),
        state: volume_state(&raw, att_state),
        raw_state: raw,
        is_system,
        attachments,
        charge_type: ChargeType::PostPaid,
        created_at: ts(v.create_time()),
        tags,
    }
}

fn image_from(region: &str, owner: ImageOwner, i: &aws_sdk_ec2::types::Image) -> Image {
    let root = i.root_device_name();
    let size = i
        .block_device_mappings()
        .iter()
        .find(|m| root.is_some() && m.device_name() == root)
        .or_else(|| i.block_device_mappings().first())
        .and_then(|m| m.ebs())
        .and_then(|e| e.volume_size())
        .and_then(|s| u64::try_from(s).ok());
    Image {
        provider: ProviderKind::Aws,
        region: region.to_string(),
        id: i.image_id().unwrap_or_default().to_string(),
        name: i.name().unwrap_or_default().to_string(),
        owner,
        os: i
            .platform_details()
            .map(str::to_string)
            .or_else(|| i.platform().map(|p| p.as_str().to_string())),
        architecture: i.architecture().map(|a| a.as_str().to_string()),
        size_gib: size,
        raw_state: i
            .state()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        created_at: parse_ts(i.creation_date()),
        tags: ec2_tags(i.tags()),
    }
}

fn instance_type_from(
    region: &str,
    t: &aws_sdk_ec2::types::InstanceTypeInfo,
) -> Option<InstanceType> {
    let id = t.instance_type()?.as_str().to_string();
    let gpus = t.gpu_info().map(|g| {
        g.gpus()
            .iter()
            .map(|d| d.count().and_then(|c| u32::try_from(c).ok()).unwrap_or(0))
            .sum()
    });
    Some(InstanceType {
        provider: ProviderKind::Aws,
        region: region.to_string(),
        family: id.split('.').next().map(str::to_string),
        id,
        vcpus: t
            .v_cpu_info()
            .and_then(|v| v.default_v_cpus())
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or(0),
        memory_mib: t
            .memory_info()
            .and_then(|m| m.size_in_mib())
            .and_then(|m| u64::try_from(m).ok())
            .unwrap_or(0),
        gpus,
        zones: Vec::new(),
    })
}

#[async_trait]
impl Compute for AwsProvider {
    /// EC2 `DescribeInstances`, MaxResults 200 unless the query names a page size (5 to 1000), every page.
    fn instances<'a>(&'a self, q: &'a ListInstances) -> ResultStream<'a, Instance> {
        let client = self.ec2(&q.region);
        paged(move |token| {
            let client = client.clone();
            async move {
                self.throttle(&q.region, "DescribeInstances", false).await;
                let mut f = tag_filters(&q.tags);
                f.extend(id_filter("instance-id", &q.ids));
                let mut req = client
                    .describe_instances()
                    .set_filters(Some(f).filter(|f| !f.is_empty()))
                    .set_next_token(token);
                // Ids as a filter, not `instance_ids`: an unknown id is then
                // simply absent instead of failing the whole list.
                req = req.max_results(page(q.page_size, INSTANCE_PAGE));
                let out = req
                    .send()
                    .await
                    .map_err(|e| sdk_error("ec2", "DescribeInstances", Some(&q.region), e))?;
                let items = out
                    .reservations()
                    .iter()
                    .flat_map(|r| r.instances())
                    .map(|i| instance_from(&q.region, i))
                    .collect();
                Ok((items, out.next_token().map(str::to_string)))
            }
        })
    }

    async fn instance(&self, region: &str, id: &str) -> Result<Instance> {
        self.throttle(region, "DescribeInstances", false).await;
        let out = self
            .ec2(region)
            .describe_instances()
            .instance_ids(id)
            .send()
            .await
            .map_err(|e| sdk_error("ec2", "DescribeInstances", Some(region), e))?;
        out.reservations()
            .iter()
            .flat_map(|r| r.instances())
            .find(|i| i.instance_id() == Some(id))
            .map(|i| instance_from(region, i))
            .ok_or_else(|| {
                Error::not_found(format!("instance {id} not found"))
                    .with_provider("aws")
                    .with_service("ec2")
                    .with_action("DescribeInstances")
                    .with_region(region)
            })
    }

    /// EC2 `RunInstances` with a `ClientToken` (generated when the spec has
    /// none; the SDK resends the same request, token included, on retries).
    async fn create_instance(&self, spec: &InstanceSpec) -> Result<Instance> {
        self.guard("ec2", "RunInstances")?;
        self.throttle(&spec.region, "RunInstances", true).await;
        let region = spec.region.as_str();
        let client = self.ec2(region);
        let token = spec.client_token.clone().unwrap_or_else(new_client_token);
        let mut req = client
            .run_instances()
            .image_id(&spec.image_id)
            .instance_type(Ec2InstanceType::from(spec.instance_type.as_str()))
            .min_count(1)
            .max_count(1)
            .client_token(token)
            .set_subnet_id(spec.subnet_id.clone())
            .set_key_name(spec.key_name.clone())
            .set_tag_specifications(
                tag_spec(ResourceType::Instance, Some(&spec.name), &spec.tags).map(|t| vec![t]),
            );
        if !spec.security_group_ids.is_empty() {
            req = req.set_security_group_ids(Some(spec.security_group_ids.clone()));
        }
        if let Some(z) = &spec.zone {
            req = req.placement(Placement::builder().availability_zone(z).build());
        }
        if let Some(ud) = &spec.user_data {
            req = req.user_data(aws_smithy_types::base64::encode(ud.as_bytes()));
        }
        if let Some(gib) = spec.system_disk_gib {
            // The root device's name comes from the image.
            let img = client
                .describe_images()
                .image_ids(&spec.image_id)
                .send()
                .await
                .map_err(|e| sdk_error("ec2", "DescribeImages", Some(region), e))?;
            let root = img
                .images()
                .first()
                .and_then(|i| i.root_device_name())
                .ok_or_else(|| {
                    Error::not_found(format!("image {} not found", spec.image_id))
                        .with_provider("aws")
                        .with_region(region)
                })?;
            req = req.block_device_mappings(
                BlockDeviceMapping::builder()
                    .device_name(root)
                    .ebs(EbsBlockDevice::builder().volume_size(gib as i32).build())
                    .build(),
            );
        }
        let out = req
            .send()
            .await
            .map_err(|e| sdk_error("ec2", "RunInstances", Some(region), e))?;
        out.instances()
            .first()
            .map(|i| instance_from(region, i))
            .ok_or_else(|| {
                Error::decode("RunInstances returned no instance")
                    .with_provider("aws")
                    .with_region(region)
            })
    }

    /// EC2 `StartInstances`.
    async fn start_instance(&self, region: &str, id: &str) -> Result<()> {
        self.guard("ec2", "StartInstances")?;
        self.throttle(region, "StartInstances", true).await;
        self.ec2(region)
            .start_instances()
            .instance_ids(id)
            .send()
            .await
            .map_err(|e| sdk_error("ec2", "StartInstances", Some(region), e))?;
        Ok(())
    }

    /// EC2 `StopInstances` (`Force` from `opts.force`). A stopped EC2
    /// instance is never billed for compute, so `stop_charging` needs nothing.
    async fn stop_instance(&self, region: &str, id: &str, opts: StopOptions) -> Result<()> {
        self.guard("ec2", "StopInstances")?;
        self.throttle(region, "StopInstances", true).await;
        self.ec2(region)
            .stop_instances()
            .instance_ids(id)
            .force(opts.force)
            .send()
            .await
            .map_err(|e| sdk_error("ec2", "StopInstances", Some(region), e))?;
        Ok(())
    }

    /// EC2 `RebootInstances`.
    async fn reboot_instance(&self, region: &str, id: &str) -> Result<()> {
        self.guard("ec2", "RebootInstances")?;
        self.throttle(region, "RebootInstances", true).await;
        self.ec2(region)
            .reboot_instances()
            .instance_ids(id)
            .send()
            .await
            .map_err(|e| sdk_error("ec2", "RebootInstances", Some(region), e))?;
        Ok(())
    }

    /// EC2 `TerminateInstances`; a missing instance is `Ok`.
    async fn delete_instance(&self, region: &str, id: &str) -> Result<()> {
        self.guard("ec2", "TerminateInstances")?;
        self.throttle(region, "TerminateInstances", true).await;
        match self
            .ec2(region)
            .terminate_instances()
            .instance_ids(id)
            .send()
            .await
            .map_err(|e| sdk_error("ec2", "TerminateInstances", Some(region), e))
        {
            Ok(_) => Ok(()),
            Err(e) if e.has_code(&["InvalidInstanceID.NotFound"]) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// EC2 `DescribeVolumes`, MaxResults 200 unless the query names a page size (API maximum 500), every page.
    fn volumes<'a>(&'a self, q: &'a ListVolumes) -> ResultStream<'a, Volume> {
        let client = self.ec2(&q.region);
        paged(move |token| {
            let client = client.clone();
            async move {
                self.throttle(&q.region, "DescribeVolumes", false).await;
                let mut filters = tag_filters(&q.tags);
                if let Some(i) = &q.instance_id {
                    filters.push(
                        Filter::builder()
                            .name("attachment.instance-id")
                            .values(i)
                            .build(),
                    );
                }
                filters.extend(id_filter("volume-id", &q.ids));
                let mut req = client
                    .describe_volumes()
                    .set_filters(Some(filters).filter(|f| !f.is_empty()))
                    .set_next_token(token);
                // Ids as a filter, not `volume_ids`: an unknown id is then
                // simply absent instead of failing the whole list.
                req = req.max_results(page(q.page_size, VOLUME_PAGE));
                let out = req
                    .send()
                    .await
                    .map_err(|e| sdk_error("ec2", "DescribeVolumes", Some(&q.region), e))?;
                let items = out
                    .volumes()
                    .iter()
                    .map(|v| volume_from(&q.region, v))
                    .collect();
                Ok((items, out.next_token().map(str::to_string)))
            }
        })
    }

    async fn volume(&self, region: &str, id: &str) -> Result<Volume> {
        self.throttle(region, "DescribeVolumes", false).await;
        let out = self
            .ec2(region)
            .describe_volumes()
            .volume_ids(id)
            .send()
            .await
            .map_err(|e| sdk_error("ec2", "DescribeVolumes", Some(region), e))?;
        out.volumes()
            .iter()
            .find(|v| v.volume_id() == Some(id))
            .map(|v| volume_from(region, v))
            .ok_or_else(|| {
                Error::not_found(format!("volume {id} not found"))
                    .with_provider("aws")
                    .with_region(region)
            })
    }

    /// EC2 `CreateVolume` with a `ClientToken` (the caller's or a fresh
    /// UUID, the same on every attempt) and the same value as create marker
    /// tag: an unanswered attempt is followed by `DescribeVolumes` for the
    /// marker before the resend (see `create.rs`); needs `spec.zone`.
    async fn create_volume(&self, spec: &VolumeSpec) -> Result<Volume> {
        self.guard("ec2", "CreateVolume")?;
        let region = spec.region.as_str();
        let zone = spec.zone.as_deref().ok_or_else(|| {
            Error::invalid_argument("EBS volumes need an availability zone (VolumeSpec::zone)")
                .with_provider("aws")
        })?;
        let size = i32::try_from(spec.size_gib)
            .map_err(|_| Error::invalid_argument("volume size too large").with_provider("aws"))?;
        let token = spec.client_token.clone().unwrap_or_else(new_client_token);
        let client = self.ec2(region);
        let send = || async {
            self.throttle(region, "CreateVolume", true).await;
            client
                .create_volume()
                .availability_zone(zone)
                .size(size)
                .set_volume_type(spec.volume_type.as_deref().map(VolumeType::from))
                .client_token(&token)
                .set_tag_specifications(Some(vec![marked_spec(
                    ResourceType::Volume,
                    Some(&spec.name),
                    &spec.tags,
                    &token,
                )]))
                .customize()
                .config_override(super::create::ec2_single_attempt())
                .send()
                .await
                .map(Ok)
                .map_err(|e| sdk_error("ec2", "CreateVolume", Some(region), e))
        };
        let find = || async {
            self.throttle(region, "DescribeVolumes", false).await;
            let out = client
                .describe_volumes()
                .filters(marker_filter(&token))
                .send()
                .await
                .map_err(|e| sdk_error("ec2", "DescribeVolumes", Some(region), e))?;
            // Found, not sent: the volume itself (boxed: `Err` is the rare arm).
            Ok(out
                .volumes()
                .first()
                .map(|v| Err(Box::new(volume_from(region, v)))))
        };
        let out = match super::create::create_once(self.max_attempts(), true, send, find).await? {
            Ok(out) => out,
            Err(found) => return Ok(*found),
        };
        let tags = ec2_tags(out.tags());
        let raw = out
            .state()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default();
        Ok(Volume {
            provider: ProviderKind::Aws,
            region: region.to_string(),
            zone: out.availability_zone().map(str::to_string),
            id: out.volume_id().unwrap_or_default().to_string(),
            name: name_tag(&tags),
            size_gib: out
                .size()
                .and_then(|s| u64::try_from(s).ok())
                .unwrap_or(spec.size_gib),
            volume_type: out.volume_type().map(|t| t.as_str().to_string()),
            state: volume_state(&raw, None),
            raw_state: raw,
            is_system: false,
            attachments: Vec::new(),
            charge_type: ChargeType::PostPaid,
            created_at: ts(out.create_time()),
            tags,
        })
    }

    /// EC2 `AttachVolume` at the first free `/dev/sd[f-p]` device of the
    /// instance (read with `DescribeInstances`).
    async fn attach_volume(&self, region: &str, volume_id: &str, instance_id: &str) -> Result<()> {
        self.guard("ec2", "AttachVolume")?;
        self.throttle(region, "AttachVolume", true).await;
        self.throttle(region, "DescribeInstances", false).await;
        let client = self.ec2(region);
        let out = client
            .describe_instances()
            .instance_ids(instance_id)
            .send()
            .await
            .map_err(|e| sdk_error("ec2", "DescribeInstances", Some(region), e))?;
        let used: Vec<String> = out
            .reservations()
            .iter()
            .flat_map(|r| r.instances())
            .flat_map(|i| i.block_device_mappings())
            .filter_map(|m| m.device_name().map(str::to_string))
            .collect();
        let device = DATA_DEVICES
            .iter()
            .find(|d| {
                let xvd = d.replace("/dev/sd", "/dev/xvd");
                !used.iter().any(|u| u == *d || *u == xvd)
            })
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::QuotaExceeded,
                    format!("instance {instance_id} has no free device name in /dev/sd[f-p]"),
                )
                .with_provider("aws")
                .with_region(region)
            })?;
        client
            .attach_volume()
            .volume_id(volume_id)
            .instance_id(instance_id)
            .device(*device)
            .send()
            .await
            .map_err(|e| sdk_error("ec2", "AttachVolume", Some(region), e))?;
        Ok(())
    }

    /// EC2 `DetachVolume`.
    async fn detach_volume(&self, region: &str, volume_id: &str, instance_id: &str) -> Result<()> {
        self.guard("ec2", "DetachVolume")?;
        self.throttle(region, "DetachVolume", true).await;
        self.ec2(region)
            .detach_volume()
            .volume_id(volume_id)
            .instance_id(instance_id)
            .send()
            .await
            .map_err(|e| sdk_error("ec2", "DetachVolume", Some(region), e))?;
        Ok(())
    }

    /// EC2 `DeleteVolume`; a missing volume is `Ok`.
    async fn delete_volume(&self, region: &str, id: &str) -> Result<()> {
        self.guard("ec2", "DeleteVolume")?;
        self.throttle(region, "DeleteVolume", true).await;
        match self
            .ec2(region)
            .delete_volume()
            .volume_id(id)
            .send()
            .await
            .map_err(|e| sdk_error("ec2", "DeleteVolume", Some(region), e))
        {
            Ok(_) => Ok(()),
            Err(e) if e.has_code(&["InvalidVolume.NotFound"]) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// EC2 `DescribeImages`: own (`Owners=self`), shared (`ExecutableUsers=self`)
    /// or public (`Owners=amazon`), MaxResults 200 by default (up to 1000), every page.
    fn images<'a>(&'a self, q: &'a ListImages) -> ResultStream<'a, Image> {
        let client = self.ec2(&q.region);
        let owner = q.owner;
        if !matches!(
            owner,
            ImageOwner::Own | ImageOwner::Shared | ImageOwner::Public
        ) {
            return failed(Error::unsupported("unknown image owner").with_provider("aws"));
        }
        paged(move |token| {
            let client = client.clone();
            async move {
                self.throttle(&q.region, "DescribeImages", false).await;
                let mut req = client
                    .describe_images()
                    .set_filters(id_filter("image-id", &q.ids).map(|f| vec![f]))
                    .set_next_token(token);
                req = match owner {
                    ImageOwner::Shared => req.executable_users("self"),
                    ImageOwner::Public => req.owners("amazon"),
                    _ => req.owners("self"),
                };
                // Ids as a filter, not `image_ids`: an unknown id is then
                // simply absent instead of failing the whole list.
                req = req.max_results(page(q.page_size, IMAGE_PAGE));
                let out = req
                    .send()
                    .await
                    .map_err(|e| sdk_error("ec2", "DescribeImages", Some(&q.region), e))?;
                let items = out
                    .images()
                    .iter()
                    .map(|i| image_from(&q.region, owner, i))
                    .collect();
                Ok((items, out.next_token().map(str::to_string)))
            }
        })
    }

    /// EC2 `DescribeInstanceTypes`, MaxResults 100, every page.
    fn instance_types<'a>(&'a self, region: &'a str) -> ResultStream<'a, InstanceType> {
        let client = self.ec2(region);
        paged(move |token| {
            let client = client.clone();
            async move {
                self.throttle(region, "DescribeInstanceTypes", false).await;
                let out = client
                    .describe_instance_types()
                    .max_results(page(None, TYPE_PAGE))
                    .set_next_token(token)
                    .send()
                    .await
                    .map_err(|e| sdk_error("ec2", "DescribeInstanceTypes", Some(region), e))?;
                let items = out
                    .instance_types()
                    .iter()
                    .filter_map(|t| instance_type_from(region, t))
                    .collect();
                Ok((items, out.next_token().map(str::to_string)))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_states() {
        let table = [
            ("pending", InstanceState::Pending),
            ("running", InstanceState::Running),
            ("shutting-down", InstanceState::Terminating),
            ("terminated", InstanceState::Terminated),
            ("stopping", InstanceState::Stopping),
            ("stopped", InstanceState::Stopped),
            ("rebooting", InstanceState::Unknown),
            ("", InstanceState::Unknown),
        ];
        for (raw, want) in table {
            assert_eq!(instance_state(raw), want, "{raw}");
        }
    }

    #[test]
    fn volume_states() {
        let table = [
            ("creating", None, VolumeState::Creating),
            ("available", None, VolumeState::Available),
            ("in-use", Some("attached"), VolumeState::InUse),
            ("in-use", None, VolumeState::InUse),
            ("in-use", Some("attaching"), VolumeState::Attaching),
            ("in-use", Some("detaching"), VolumeState::Detaching),
            ("deleting", None, VolumeState::Deleting),
            ("deleted", None, VolumeState::Deleting),
            ("error", None, VolumeState::Error),
            ("optimizing", None, VolumeState::Unknown),
        ];
        for (raw, att, want) in table {
            assert_eq!(volume_state(raw, att), want, "{raw} {att:?}");
        }
    }

    #[test]
    fn raw_state_is_kept_and_stopped_charging_set() {
        let i = aws_sdk_ec2::types::Instance::builder()
            .instance_id("i-1")
            .state(
                aws_sdk_ec2::types::InstanceState::builder()
                    .name(aws_sdk_ec2::types::InstanceStateName::Stopped)
                    .code(80)
                    .build(),
            )
            .tags(Tag::builder().key("Name").value("web").build())
            .build();
        let n = instance_from("eu-west-1", &i);
        assert_eq!(n.raw_state, "stopped");
        assert_eq!(n.state, InstanceState::Stopped);
        assert_eq!(n.stopped_charging, Some(true));
        assert_eq!(n.name, "web");
    }

    #[test]
    fn page_sizes_are_clamped_to_the_api_bounds() {
        assert_eq!(page(None, INSTANCE_PAGE), 200);
        assert_eq!(page(Some(1000), INSTANCE_PAGE), 1000);
        assert_eq!(page(Some(1), INSTANCE_PAGE), 5);
        assert_eq!(page(Some(5000), VOLUME_PAGE), 500);
        assert_eq!(page(Some(7), TYPE_PAGE), 7);
    }
}
