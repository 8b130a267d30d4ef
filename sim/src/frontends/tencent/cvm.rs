//! CVM 2017-03-12: regions, zones, instances, images, instance types.

use serde_json::{Value, json};

use super::errors::ApiError;
use super::params::page;
use super::{Call, Handled, NAME, Outcome, iso, tag_filter_ok, tag_list};
use crate::estate::{
    ChargeType, EstateError, Filter, ImageOwner, Instance, InstanceState, NewInstance, PageReq,
    ResourceKind, Scope, Tags,
};

pub(crate) fn handle(c: &Call, action: &str) -> Outcome {
    Some(match action {
        "DescribeRegions" => describe_regions(c),
        "DescribeZones" => describe_zones(c),
        "DescribeInstances" => describe_instances(c),
        "RunInstances" => run_instances(c),
        "StartInstances" => instance_op(c, Op::Start),
        "StopInstances" => instance_op(c, Op::Stop),
        "RebootInstances" => instance_op(c, Op::Reboot),
        "TerminateInstances" => instance_op(c, Op::Terminate),
        "DescribeImages" => describe_images(c),
        "DescribeInstanceTypeConfigs" => describe_instance_type_configs(c),
        _ => return None,
    })
}

type R = Result<Value, Handled>;

/// Display names of the regions the generator uses.
pub(crate) fn region_name(region: &str) -> String {
    match region {
        "ap-guangzhou" => "华南地区(广州)",
        "ap-shanghai" => "华东地区(上海)",
        "ap-beijing" => "华北地区(北京)",
        "ap-chengdu" => "西南地区(成都)",
        "ap-nanjing" => "华东地区(南京)",
        "ap-hongkong" => "港澳台地区(中国香港)",
        "ap-singapore" => "亚太东南(新加坡)",
        other => other,
    }
    .to_string()
}

fn zone_info(region: &str, zone: &str) -> Value {
    let prefix = match region {
        "ap-guangzhou" => 100,
        "ap-shanghai" => 200,
        "ap-beijing" => 800,
        "ap-chengdu" => 160,
        "ap-nanjing" => 330,
        _ => 900,
    };
    let n: u32 = zone
        .rsplit('-')
        .next()
        .and_then(|x| x.parse().ok())
        .unwrap_or(1);
    let city = region_name(region);
    let city = city
        .split_once('(')
        .map(|(_, c)| c.trim_end_matches(')').to_string())
        .unwrap_or(city);
    json!({
        "Zone": zone,
        "ZoneName": format!("{city}{n}区"),
        "ZoneId": (prefix * 1000 + n).to_string(),
        "ZoneState": "AVAILABLE",
    })
}

fn describe_regions(c: &Call) -> R {
    let regions = c.estate().regions(NAME, c.account())?;
    let set: Vec<Value> = regions
        .iter()
        .map(
            |(r, _)| json!({"Region": r, "RegionName": region_name(r), "RegionState": "AVAILABLE"}),
        )
        .collect();
    Ok(json!({"TotalCount": set.len(), "RegionSet": set}))
}

fn describe_zones(c: &Call) -> R {
    let scope = c.scope()?;
    let zones = c.estate().with_region(&scope, |r| r.zones.clone())?;
    let set: Vec<Value> = zones.iter().map(|z| zone_info(&scope.region, z)).collect();
    Ok(json!({"TotalCount": set.len(), "ZoneSet": set}))
}

/// CVM state names.
pub(crate) fn state_name(s: InstanceState) -> &'static str {
    match s {
        InstanceState::Pending => "PENDING",
        InstanceState::Starting => "STARTING",
        InstanceState::Running => "RUNNING",
        InstanceState::Stopping => "STOPPING",
        InstanceState::Stopped => "STOPPED",
        InstanceState::Rebooting => "REBOOTING",
        InstanceState::Terminating | InstanceState::Terminated => "TERMINATING",
    }
}

/// CVM charge type names.
pub(crate) fn charge_name(c: ChargeType) -> &'static str {
    match c {
        ChargeType::PostPaid => "POSTPAID_BY_HOUR",
        ChargeType::PrePaid => "PREPAID",
        ChargeType::Spot => "SPOTPAID",
    }
}

fn parse_charge(s: Option<String>) -> Result<ChargeType, ApiError> {
    match s.as_deref() {
        None | Some("POSTPAID_BY_HOUR") => Ok(ChargeType::PostPaid),
        Some("PREPAID") => Ok(ChargeType::PrePaid),
        Some("SPOTPAID") => Ok(ChargeType::Spot),
        Some(o) => Err(ApiError::invalid_value(&format!(
            "InstanceChargeType `{o}` is not supported."
        ))),
    }
}

/// CBS disk type of an estate volume type.
pub(crate) fn disk_type(t: &str) -> String {
    match t {
        "ssd" => "CLOUD_SSD".into(),
        "hdd" => "CLOUD_BASIC".into(),
        "premium" => "CLOUD_PREMIUM".into(),
        other if other.starts_with("CLOUD_") || other.starts_with("LOCAL_") => other.into(),
        _ => "CLOUD_PREMIUM".into(),
    }
}

fn render_instance(c: &Call, scope: &Scope, i: &Instance) -> Value {
    let vols = c
        .estate()
        .volumes(
            scope,
            &Filter {
                instance_id: Some(i.id.clone()),
                ..Filter::default()
            },
            &PageReq::All,
        )
        .map(|l| l.items)
        .unwrap_or_default();
    let system = vols.iter().find(|v| v.is_system);
    let data: Vec<Value> = vols
        .iter()
        .filter(|v| !v.is_system)
        .map(|v| {
            json!({"DiskSize": v.size_gib, "DiskType": disk_type(&v.volume_type), "DiskId": v.id,
                   "DeleteWithInstance": false, "Encrypt": false})
        })
        .collect();
    let public = c
        .estate()
        .instance_public_ips(scope, &i.id)
        .unwrap_or_default();
    let os = c
        .estate()
        .with_region(scope, |r| r.images.get(&i.image_id).map(|im| im.os.clone()))
        .ok()
        .flatten()
        .unwrap_or_default();
    let stop_mode = match (i.state, i.stopped_charging) {
        (InstanceState::Stopped, true) => "STOP_CHARGING",
        (InstanceState::Stopped, false) => "KEEP_CHARGING",
        _ => "NOT_APPLICABLE",
    };
    json!({
        "Placement": {"Zone": i.zone, "ProjectId": 0, "HostIds": null, "HostId": null},
        "InstanceId": i.id,
        "Uuid": i.id,
        "InstanceType": i.instance_type,
        "CPU": i.vcpus,
        "Memory": i.memory_mib / 1024,
        "RestrictState": "NORMAL",
        "InstanceName": i.name,
        "InstanceChargeType": charge_name(i.charge_type),
        "SystemDisk": system.map(|v| json!({"DiskType": disk_type(&v.volume_type), "DiskId": v.id, "DiskSize": v.size_gib})),
        "DataDisks": if data.is_empty() { Value::Null } else { Value::Array(data) },
        "PrivateIpAddresses": [i.private_ip],
        "PublicIpAddresses": if public.is_empty() { Value::Null } else { json!(public) },
        "InternetAccessible": {"InternetChargeType": "TRAFFIC_POSTPAID_BY_HOUR", "InternetMaxBandwidthOut": if public.is_empty() { 0 } else { 1 }, "PublicIpAssigned": !public.is_empty()},
        "VirtualPrivateCloud": {"VpcId": i.vpc_id.clone().unwrap_or_default(), "SubnetId": i.subnet_id.clone().unwrap_or_default(), "AsVpcGateway": false},
        "ImageId": i.image_id,
        "RenewFlag": if i.charge_type == ChargeType::PrePaid { json!("NOTIFY_AND_MANUAL_RENEW") } else { Value::Null },
        "CreatedTime": iso(&i.created_at),
        "ExpiredTime": i.expires_at.as_ref().map(iso),
        "OsName": os,
        "SecurityGroupIds": i.security_group_ids,
        "LoginSettings": {"KeyIds": i.key_name.as_ref().map(|k| vec![k.clone()]).unwrap_or_default()},
        "InstanceState": state_name(i.state),
        "Tags": tag_list(&i.tags),
        "StopChargingMode": stop_mode,
        "LatestOperation": null,
        "LatestOperationState": null,
        "LatestOperationRequestId": null,
        "DisasterRecoverGroupId": "",
        "IPv6Addresses": null,
        "CamRoleName": "",
        "HpcClusterId": "",
        "RdmaIpAddresses": null,
        "IsolatedSource": "NOTISOLATED",
        "DisableApiTermination": false,
        "DefaultLoginUser": "root",
        "DefaultLoginPort": 22,
    })
}

fn instance_filter(
    c: &Call,
    scope: &Scope,
    i: &Instance,
    name: &str,
    values: &[String],
) -> Result<bool, ApiError> {
    if let Some(ok) = tag_filter_ok(&i.tags, name, values) {
        return Ok(ok);
    }
    let has = |v: &str| values.iter().any(|x| x == v);
    Ok(match name {
        "zone" => has(&i.zone),
        "project-id" => has("0"),
        "vpc-id" => i.vpc_id.as_deref().is_some_and(has),
        "subnet-id" => i.subnet_id.as_deref().is_some_and(has),
        "instance-id" | "uuid" => has(&i.id),
        "security-group-id" => i.security_group_ids.iter().any(|g| has(g)),
        "instance-name" => has(&i.name),
        "instance-charge-type" => has(charge_name(i.charge_type)),
        "instance-state" => has(state_name(i.state)),
        "private-ip-address" => has(&i.private_ip),
        "public-ip-address" => c
            .estate()
            .instance_public_ips(scope, &i.id)
            .unwrap_or_default()
            .iter()
            .any(|a| has(a)),
        "image-id" => has(&i.image_id),
        "instance-type" => has(&i.instance_type),
        other => {
            return Err(ApiError::new(
                "InvalidFilter",
                &format!("The filter `{other}` is not supported."),
            ));
        }
    })
}

fn describe_instances(c: &Call) -> R {
    let scope = c.scope()?;
    let (offset, limit) = c.params.offset_limit(20)?;
    let ids = c.params.strings("InstanceIds");
    let filters = c.params.filters();
    if !ids.is_empty() && !filters.is_empty() {
        return Err(ApiError::new(
            "InvalidParameter",
            "`InstanceIds` and `Filters` cannot be given together.",
        )
        .into());
    }
    if ids.len() > 100 {
        return Err(ApiError::new(
            "InvalidParameterValue.LimitExceeded",
            "At most 100 instance ids may be given.",
        )
        .into());
    }
    let all = c.estate().instances(
        &scope,
        &Filter {
            ids,
            ..Filter::default()
        },
        &PageReq::All,
    )?;
    let mut matched = Vec::new();
    for i in all.items {
        if i.state == InstanceState::Terminated {
            continue; // gone from the API as soon as it is terminated
        }
        let mut ok = true;
        for (n, v) in &filters {
            if !instance_filter(c, &scope, &i, n, v)? {
                ok = false;
                break;
            }
        }
        if ok {
            matched.push(i);
        }
    }
    let (items, total) = page(matched, offset, limit);
    let set: Vec<Value> = items
        .iter()
        .map(|i| render_instance(c, &scope, i))
        .collect();
    Ok(json!({"TotalCount": total, "InstanceSet": set}))
}

fn run_instances(c: &Call) -> R {
    let scope = c.scope()?;
    let p = &c.params;
    if p.bool("DryRun") == Some(true) {
        return Err(ApiError::new("DryRunOperation", "The dry run succeeded.").into());
    }
    let image_id = p.req_str("ImageId")?;
    let placement = p.obj("Placement");
    let zone = placement.req_str("Zone")?;
    let instance_type = p.str("InstanceType").unwrap_or_else(|| "S5.SMALL2".into());
    let count = p.u64("InstanceCount")?.unwrap_or(1);
    if count == 0 || count > 100 {
        return Err(ApiError::new(
            "InvalidParameterValue.Range",
            "InstanceCount must be between 1 and 100.",
        )
        .into());
    }
    let vpc = p.obj("VirtualPrivateCloud");
    let subnet_id = vpc.str("SubnetId").filter(|s| !s.is_empty());
    if let (Some(v), Some(s)) = (vpc.str("VpcId"), &subnet_id) {
        let parent = c
            .estate()
            .with_region(&scope, |r| r.subnets.get(s).map(|x| x.vpc_id.clone()))?;
        if parent.as_deref() != Some(v.as_str()) {
            return Err(ApiError::new(
                "InvalidParameterValue.InvalidVpcIdSubnetIdNotFound",
                &format!("The subnet `{s}` does not exist in VPC `{v}`."),
            )
            .into());
        }
    }
    let system = p.obj("SystemDisk");
    let mut tags = Tags::new();
    for spec in p.list("TagSpecification") {
        if spec.str("ResourceType").as_deref() == Some("instance") {
            for (k, v) in spec.tags("Tags") {
                tags.insert(k, v);
            }
        }
    }
    let base_name = p.str("InstanceName").unwrap_or_else(|| "未命名".into());
    let token = p.str("ClientToken");
    let charge = parse_charge(p.str("InstanceChargeType"))?;
    let key = p.obj("LoginSettings").strings("KeyIds").into_iter().next();
    let mut ids = Vec::new();
    for n in 0..count {
        let name = if count > 1 {
            format!("{base_name}{}", n + 1)
        } else {
            base_name.clone()
        };
        let spec = NewInstance {
            name,
            zone: Some(zone.clone()),
            instance_type: instance_type.clone(),
            image_id: image_id.clone(),
            subnet_id: subnet_id.clone(),
            security_group_ids: p.strings("SecurityGroupIds"),
            system_disk_gib: system.u64("DiskSize")?,
            system_disk_type: system.str("DiskType"),
            key_name: key.clone(),
            user_data: p.str("UserData"),
            charge_type: charge,
            tags: tags.clone(),
            client_token: token.as_ref().map(|t| {
                if n == 0 {
                    t.clone()
                } else {
                    format!("{t}#{n}")
                }
            }),
        };
        let inst = c.estate().create_instance(&scope, spec)?;
        if token.is_none() || !data_disks_exist(c, &scope, &inst.id) {
            create_data_disks(c, &scope, &inst, &p.list("DataDisks"))?;
        }
        ids.push(inst.id);
    }
    Ok(json!({"InstanceIdSet": ids}))
}

fn data_disks_exist(c: &Call, scope: &Scope, id: &str) -> bool {
    c.estate()
        .with_region(scope, |r| {
            r.volumes
                .values()
                .any(|v| !v.is_system && v.instance_id.as_deref() == Some(id))
        })
        .unwrap_or(false)
}

/// `DataDisks` of `RunInstances`: created with the instance and attached to it.
fn create_data_disks(
    c: &Call,
    scope: &Scope,
    inst: &Instance,
    disks: &[super::params::Params],
) -> Result<(), Handled> {
    for (n, d) in disks.iter().enumerate() {
        let size = d
            .u64("DiskSize")?
            .ok_or_else(|| ApiError::missing("DataDisks.DiskSize"))?;
        let v = c.estate().create_volume(
            scope,
            crate::estate::NewVolume {
                name: d
                    .str("DiskName")
                    .unwrap_or_else(|| format!("{}-data{}", inst.name, n + 1)),
                zone: Some(inst.zone.clone()),
                size_gib: size,
                volume_type: Some(d.str("DiskType").unwrap_or_else(|| "CLOUD_PREMIUM".into())),
                charge_type: inst.charge_type,
                tags: Tags::new(),
                client_token: None,
            },
        )?;
        // Attached from the start (the estate's attach wants a booted instance).
        let device = format!(
            "/dev/vd{}",
            (b'b' + u8::try_from(n % 24).unwrap_or(0)) as char
        );
        let now = c.ctx.now();
        c.estate().write(|data| {
            if let Some(vol) = data
                .accounts
                .iter_mut()
                .filter(|a| a.provider == scope.provider && a.id == scope.account)
                .filter_map(|a| a.regions.get_mut(&scope.region))
                .find_map(|r| r.volumes.get_mut(&v.id))
            {
                vol.instance_id = Some(inst.id.clone());
                vol.device = Some(device.clone());
                vol.state = crate::estate::VolumeState::InUse;
                vol.state_since = now;
            }
        });
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum Op {
    Start,
    Stop,
    Reboot,
    Terminate,
}

fn instance_op(c: &Call, op: Op) -> R {
    let scope = c.scope()?;
    let ids = c.params.strings("InstanceIds");
    if ids.is_empty() {
        return Err(ApiError::missing("InstanceIds").into());
    }
    if ids.len() > 100 {
        return Err(ApiError::new(
            "InvalidParameterValue.LimitExceeded",
            "At most 100 instance ids may be given.",
        )
        .into());
    }
    let stop_charging = match c.params.str("StoppedMode").as_deref() {
        None | Some("KEEP_CHARGING") => false,
        Some("STOP_CHARGING") => true,
        Some(o) => {
            return Err(
                ApiError::invalid_value(&format!("StoppedMode `{o}` is not supported.")).into(),
            );
        }
    };
    if let Some(t) = c.params.str("StopType") {
        if !["SOFT", "HARD", "SOFT_FIRST"].contains(&t.as_str()) {
            return Err(
                ApiError::invalid_value(&format!("StopType `{t}` is not supported.")).into(),
            );
        }
    }
    // Every id must exist (and not be gone) before anything changes.
    for id in &ids {
        let i = c.estate().instance(&scope, id)?;
        if i.state == InstanceState::Terminated {
            return Err(EstateError::NotFound {
                kind: ResourceKind::Instance,
                id: id.clone(),
            }
            .into());
        }
    }
    for id in &ids {
        match op {
            Op::Start => c.estate().start_instance(&scope, id)?,
            Op::Stop => c.estate().stop_instance(&scope, id, stop_charging)?,
            Op::Reboot => c.estate().reboot_instance(&scope, id)?,
            Op::Terminate => c.estate().delete_instance(&scope, id)?,
        }
    }
    Ok(json!({}))
}

fn platform(os: &str) -> &'static str {
    let l = os.to_ascii_lowercase();
    if l.contains("windows") {
        "Windows"
    } else if l.contains("ubuntu") {
        "Ubuntu"
    } else if l.contains("centos") {
        "CentOS"
    } else if l.contains("debian") {
        "Debian"
    } else {
        "Other"
    }
}

fn image_type(o: ImageOwner) -> &'static str {
    match o {
        ImageOwner::System => "PUBLIC_IMAGE",
        ImageOwner::Own => "PRIVATE_IMAGE",
        ImageOwner::Shared => "SHARED_IMAGE",
    }
}

fn describe_images(c: &Call) -> R {
    let scope = c.scope()?;
    let (offset, limit) = c.params.offset_limit(20)?;
    let ids = c.params.strings("ImageIds");
    let filters = c.params.filters();
    if !ids.is_empty() && !filters.is_empty() {
        return Err(ApiError::new(
            "InvalidParameter.InvalidParameterCoexistImageIdsFilters",
            "`ImageIds` and `Filters` cannot be given together.",
        )
        .into());
    }
    let all = c.estate().images(
        &scope,
        None,
        &Filter {
            ids,
            ..Filter::default()
        },
        &PageReq::All,
    )?;
    let mut matched = Vec::new();
    'img: for im in all.items {
        for (n, v) in &filters {
            let has = |x: &str| v.iter().any(|y| y == x);
            let ok = match tag_filter_ok(&im.tags, n, v) {
                Some(ok) => ok,
                None => match n.as_str() {
                    "image-id" => has(&im.id),
                    "image-type" => has(image_type(im.owner)),
                    "image-name" => has(&im.name),
                    "platform" => has(platform(&im.os)),
                    "instance-type" => true,
                    other => {
                        return Err(ApiError::new(
                            "InvalidFilter",
                            &format!("The filter `{other}` is not supported."),
                        )
                        .into());
                    }
                },
            };
            if !ok {
                continue 'img;
            }
        }
        matched.push(im);
    }
    let (items, total) = page(matched, offset, limit);
    let set: Vec<Value> = items
        .iter()
        .map(|im| {
            json!({
                "ImageId": im.id,
                "OsName": im.os,
                "ImageType": image_type(im.owner),
                "CreatedTime": iso(&im.created_at),
                "ImageName": im.name,
                "ImageDescription": im.name,
                "ImageSize": im.size_gib,
                "Architecture": if im.architecture == "arm64" { "arm" } else { "x86_64" },
                "ImageState": "NORMAL",
                "Platform": platform(&im.os),
                "ImageCreator": if im.owner == ImageOwner::System { "" } else { c.account() },
                "ImageSource": if im.owner == ImageOwner::System { "OFFICIAL" } else { "CREATE_IMAGE" },
                "SyncPercent": null,
                "IsSupportCloudinit": true,
                "SnapshotSet": null,
                "Tags": tag_list(&im.tags),
                "LicenseType": "TencentCloud",
            })
        })
        .collect();
    Ok(json!({"ImageSet": set, "TotalCount": total}))
}

fn describe_instance_type_configs(c: &Call) -> R {
    let scope = c.scope()?;
    let (zones, types) = c
        .estate()
        .with_region(&scope, |r| (r.zones.clone(), r.instance_types.clone()))?;
    let filters = c.params.filters();
    let mut set = Vec::new();
    for z in &zones {
        'ty: for t in &types {
            for (n, v) in &filters {
                let ok = match n.as_str() {
                    "zone" => v.contains(z),
                    "instance-family" => v.contains(&t.family),
                    "instance-type" => v.contains(&t.id),
                    other => {
                        return Err(ApiError::new(
                            "InvalidFilter",
                            &format!("The filter `{other}` is not supported."),
                        )
                        .into());
                    }
                };
                if !ok {
                    continue 'ty;
                }
            }
            set.push(json!({
                "Zone": z,
                "InstanceType": t.id,
                "InstanceFamily": t.family,
                "GPU": t.gpus,
                "CPU": t.vcpus,
                "Memory": t.memory_mib / 1024,
                "FPGA": 0,
                "GpuCount": t.gpus,
            }));
        }
    }
    Ok(json!({"InstanceTypeConfigSet": set}))
}
