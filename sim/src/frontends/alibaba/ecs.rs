//! ECS 2014-05-26.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::{Bounds, R, Rpc, ecs_tags, iso_minutes, next_token};
use crate::estate::{
    ChargeType, Direction, EstateError, Filter, ImageOwner, Instance, InstanceState, NewInstance,
    NewSecurityGroup, NewVolume, PageReq, Peer, ResourceKind, RuleAction, SecurityRule, Volume,
    VolumeState,
};
use crate::frontend::SimResponse;

pub(super) fn handle(rpc: &Rpc) -> SimResponse {
    let r = match rpc.action.as_str() {
        "DescribeRegions" => describe_regions(rpc, "ecs"),
        "DescribeZones" => describe_zones(rpc),
        "DescribeInstances" => describe_instances(rpc),
        "RunInstances" => run_instances(rpc),
        "StartInstance" => instance_op(rpc, |e, s, id| e.start_instance(s, id)),
        "StopInstance" => {
            let charging = rpc.p("StoppedMode").as_deref() == Some("StopCharging");
            instance_op(rpc, move |e, s, id| e.stop_instance(s, id, charging))
        }
        "RebootInstance" => instance_op(rpc, |e, s, id| e.reboot_instance(s, id)),
        "DeleteInstance" => delete_instance(rpc),
        "DescribeDisks" => describe_disks(rpc),
        "CreateDisk" => create_disk(rpc),
        "AttachDisk" => disk_op(rpc, true),
        "DetachDisk" => disk_op(rpc, false),
        "DeleteDisk" => delete_disk(rpc),
        "DescribeImages" => describe_images(rpc),
        "DescribeInstanceTypes" => describe_instance_types(rpc),
        "DescribeSecurityGroups" => describe_security_groups(rpc),
        "DescribeSecurityGroupAttribute" => describe_sg_attribute(rpc),
        "CreateSecurityGroup" => create_security_group(rpc),
        "DeleteSecurityGroup" => rpc.need("SecurityGroupId").and_then(|id| {
            rpc.ctx
                .estate
                .delete_security_group(&rpc.scope(), &id)
                .map(|_| rpc.ok(json!({})))
                .map_err(|e| rpc.estate_err(&e))
        }),
        "AuthorizeSecurityGroup" => sg_rules(rpc, Direction::Ingress, true),
        "AuthorizeSecurityGroupEgress" => sg_rules(rpc, Direction::Egress, true),
        "RevokeSecurityGroup" => sg_rules(rpc, Direction::Ingress, false),
        "RevokeSecurityGroupEgress" => sg_rules(rpc, Direction::Egress, false),
        other => Err(rpc.err(
            404,
            "InvalidApi.NotFound",
            &format!("Specified api is not found, please check your url and method. ({other})"),
        )),
    };
    r.unwrap_or_else(|e| e)
}

/// DescribeRegions of ECS or VPC (`endpoint_prefix` names the host).
pub(super) fn describe_regions(rpc: &Rpc, endpoint_prefix: &str) -> R<SimResponse> {
    let regions = rpc
        .ctx
        .estate
        .regions(super::NAME, &rpc.auth.account)
        .map_err(|e| rpc.estate_err(&e))?;
    let items: Vec<Value> = regions
        .iter()
        .map(|(r, _)| {
            let mut v = json!({
                "RegionId": r,
                "LocalName": r,
                "RegionEndpoint": format!("{endpoint_prefix}.{r}.aliyuncs.com"),
            });
            // Only ECS reports a status.
            if endpoint_prefix == "ecs" {
                v["Status"] = json!("available");
            }
            v
        })
        .collect();
    Ok(rpc.ok(json!({"Regions": {"Region": items}})))
}

fn describe_zones(rpc: &Rpc) -> R<SimResponse> {
    let scope = rpc.scope();
    let (zones, types) = rpc
        .ctx
        .estate
        .with_region(&scope, |r| {
            (
                r.zones.clone(),
                r.instance_types
                    .iter()
                    .map(|t| t.id.clone())
                    .collect::<Vec<_>>(),
            )
        })
        .map_err(|e| rpc.estate_err(&e))?;
    let items: Vec<Value> = zones
        .iter()
        .map(|z| {
            json!({
                "ZoneId": z,
                "LocalName": z,
                "ZoneType": "AvailabilityZone",
                "AvailableInstanceTypes": {"InstanceTypes": types},
                "AvailableDiskCategories": {"DiskCategories": ["cloud_essd", "cloud_efficiency", "cloud_ssd"]},
                "AvailableVolumeCategories": {"VolumeCategories": ["cloud_essd", "cloud_efficiency", "cloud_ssd"]},
                "AvailableResourceCreation": {"ResourceTypes": ["Instance", "Disk", "VSwitch"]},
            })
        })
        .collect();
    Ok(rpc.ok(json!({"Zones": {"Zone": items}})))
}

fn status(s: InstanceState) -> &'static str {
    match s {
        InstanceState::Pending => "Pending",
        InstanceState::Starting | InstanceState::Rebooting => "Starting",
        InstanceState::Running => "Running",
        InstanceState::Stopping | InstanceState::Terminating => "Stopping",
        InstanceState::Stopped | InstanceState::Terminated => "Stopped",
    }
}

fn charge(c: ChargeType) -> &'static str {
    match c {
        ChargeType::PrePaid => "PrePaid",
        _ => "PostPaid",
    }
}

fn render_instance(region: &str, i: &Instance, eips: &HashMap<String, Value>) -> Value {
    let family = i
        .instance_type
        .rsplit_once('.')
        .map(|(f, _)| f.to_string())
        .unwrap_or_default();
    let stopped_mode = match i.state {
        InstanceState::Stopped if i.stopped_charging => "StopCharging",
        InstanceState::Stopped => "KeepCharging",
        _ => "Not-applicable",
    };
    let eip = eips.get(&i.id).cloned().unwrap_or_else(
        || json!({"AllocationId": "", "IpAddress": "", "Bandwidth": 0, "InternetChargeType": ""}),
    );
    json!({
        "InstanceId": i.id,
        "InstanceName": i.name,
        "HostName": i.name,
        "Description": "",
        "RegionId": region,
        "ZoneId": i.zone,
        "InstanceType": i.instance_type,
        "InstanceTypeFamily": family,
        "Cpu": i.vcpus,
        "Memory": i.memory_mib,
        "ImageId": i.image_id,
        "OSName": "",
        "OSType": "linux",
        "Status": status(i.state),
        "CreationTime": iso_minutes(i.created_at),
        "StartTime": iso_minutes(i.state_since),
        "ExpiredTime": i.expires_at.map(iso_minutes).unwrap_or_else(|| "2099-12-31T15:59Z".into()),
        "InstanceChargeType": charge(i.charge_type),
        "InternetChargeType": "PayByTraffic",
        "InternetMaxBandwidthIn": -1,
        "InternetMaxBandwidthOut": 0,
        "InstanceNetworkType": "vpc",
        "IoOptimized": true,
        "StoppedMode": stopped_mode,
        "SpotStrategy": if i.charge_type == ChargeType::Spot { "SpotAsPriceGo" } else { "NoSpot" },
        "DeletionProtection": false,
        "KeyPairName": i.key_name.clone().unwrap_or_default(),
        "VpcAttributes": {
            "VpcId": i.vpc_id.clone().unwrap_or_default(),
            "VSwitchId": i.subnet_id.clone().unwrap_or_default(),
            "PrivateIpAddress": {"IpAddress": [i.private_ip]},
            "NatIpAddress": "",
        },
        "InnerIpAddress": {"IpAddress": []},
        "PublicIpAddress": {"IpAddress": []},
        "EipAddress": eip,
        "SecurityGroupIds": {"SecurityGroupId": i.security_group_ids},
        "NetworkInterfaces": {"NetworkInterface": [{
            "NetworkInterfaceId": format!("eni-{}", i.id.trim_start_matches("i-")),
            "PrimaryIpAddress": i.private_ip,
            "Type": "Primary",
        }]},
        "OperationLocks": {"LockReason": []},
        "Tags": ecs_tags(&i.tags),
    })
}

fn eip_map(rpc: &Rpc) -> HashMap<String, Value> {
    rpc.ctx
        .estate
        .public_ips(&rpc.scope(), &Filter::default(), &PageReq::All)
        .map(|l| {
            l.items
                .into_iter()
                .filter_map(|ip| {
                    let inst = ip.instance_id.clone()?;
                    Some((
                        inst,
                        json!({
                            "AllocationId": ip.id,
                            "IpAddress": ip.address,
                            "Bandwidth": ip.bandwidth_mbps.unwrap_or(5),
                            "InternetChargeType": "PayByTraffic",
                            "IsSupportUnassociate": true,
                        }),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Paging of a filtered list: page-number mode or token mode.
struct Paged<T> {
    items: Vec<T>,
    total: usize,
    page_number: usize,
    page_size: usize,
    next: Option<String>,
    token_mode: bool,
}

fn paged<T: Clone>(
    rpc: &Rpc,
    all: Vec<T>,
    default: usize,
    max: usize,
    token_bounds: Bounds,
) -> R<Paged<T>> {
    let total = all.len();
    if let Some((offset, limit)) = rpc.token_page(default, token_bounds)? {
        let items: Vec<T> = all.into_iter().skip(offset).take(limit).collect();
        let next = next_token(offset, items.len(), total);
        return Ok(Paged {
            items,
            total,
            page_number: 1,
            page_size: limit,
            next,
            token_mode: true,
        });
    }
    let (n, size) = rpc.page(default, max)?;
    let offset = (n - 1).saturating_mul(size);
    let items: Vec<T> = all.into_iter().skip(offset).take(size).collect();
    Ok(Paged {
        items,
        total,
        page_number: n,
        page_size: size,
        next: None,
        token_mode: false,
    })
}

fn page_body(p: &Paged<Value>, list: &str, item: &str, mut extra: Value) -> Value {
    let o = extra.as_object_mut();
    let mut v = json!({
        list: {item: p.items},
        "TotalCount": p.total,
        "PageNumber": p.page_number,
        "PageSize": p.page_size,
    });
    if p.token_mode {
        v["NextToken"] = json!(p.next.clone().unwrap_or_default());
    }
    if let (Some(m), Some(e)) = (v.as_object_mut(), o) {
        for (k, val) in e.iter() {
            m.insert(k.clone(), val.clone());
        }
    }
    v
}

fn describe_instances(rpc: &Rpc) -> R<SimResponse> {
    let scope = rpc.scope();
    let ids = rpc.list("InstanceIds")?;
    let filter = Filter {
        ids,
        tags: rpc.tags(),
        name: rpc.p("InstanceName"),
        zone: rpc.p("ZoneId"),
        vpc_id: rpc.p("VpcId"),
        instance_id: None,
    };
    let all = rpc
        .ctx
        .estate
        .instances(&scope, &filter, &PageReq::All)
        .map_err(|e| rpc.estate_err(&e))?;
    let want_status = rpc.p("Status");
    let vsw = rpc.p("VSwitchId");
    let sg = rpc.p("SecurityGroupId");
    let ty = rpc.p("InstanceType");
    let items: Vec<Instance> = all
        .items
        .into_iter()
        .filter(|i| {
            !matches!(
                i.state,
                InstanceState::Terminating | InstanceState::Terminated
            )
        })
        .filter(|i| want_status.as_deref().is_none_or(|s| s == status(i.state)))
        .filter(|i| vsw.is_none() || i.subnet_id == vsw)
        .filter(|i| sg.as_ref().is_none_or(|g| i.security_group_ids.contains(g)))
        .filter(|i| ty.as_ref().is_none_or(|t| &i.instance_type == t))
        .collect();
    let p = paged(rpc, items, 10, 100, Bounds::Clamp(10, 100))?;
    let eips = eip_map(rpc);
    let rendered = Paged {
        items: p
            .items
            .iter()
            .map(|i| render_instance(&scope.region, i, &eips))
            .collect(),
        total: p.total,
        page_number: p.page_number,
        page_size: p.page_size,
        next: p.next,
        token_mode: p.token_mode,
    };
    Ok(rpc.ok(page_body(&rendered, "Instances", "Instance", json!({}))))
}

fn run_instances(rpc: &Rpc) -> R<SimResponse> {
    let scope = rpc.scope();
    let image_id = rpc.need("ImageId")?;
    let instance_type = rpc.need("InstanceType")?;
    let amount: usize = rpc.num("Amount")?.unwrap_or(1);
    if amount == 0 || amount > 100 {
        return Err(rpc.invalid("Amount"));
    }
    let mut sgs = rpc.list("SecurityGroupIds")?;
    if let Some(s) = rpc.p("SecurityGroupId") {
        sgs.insert(0, s);
    }
    let charge_type = match rpc.p("InstanceChargeType").as_deref() {
        Some("PrePaid") => ChargeType::PrePaid,
        _ if rpc.p("SpotStrategy").is_some_and(|s| s != "NoSpot") => ChargeType::Spot,
        _ => ChargeType::PostPaid,
    };
    let base_name = rpc
        .p("InstanceName")
        .or_else(|| rpc.p("HostName"))
        .unwrap_or_else(|| "ecs-instance".into());
    let token = rpc.p("ClientToken");
    let mut ids = Vec::new();
    for n in 0..amount {
        let spec = NewInstance {
            name: base_name.clone(),
            zone: rpc.p("ZoneId"),
            instance_type: instance_type.clone(),
            image_id: image_id.clone(),
            subnet_id: rpc.p("VSwitchId"),
            security_group_ids: sgs.clone(),
            system_disk_gib: rpc.num("SystemDisk.Size")?,
            system_disk_type: rpc.p("SystemDisk.Category"),
            key_name: rpc.p("KeyPairName"),
            user_data: rpc.p("UserData"),
            charge_type,
            tags: rpc.tags(),
            client_token: token.as_ref().map(|t| {
                if n == 0 {
                    t.clone()
                } else {
                    format!("{t}#{n}")
                }
            }),
        };
        let i = rpc
            .ctx
            .estate
            .create_instance(&scope, spec)
            .map_err(|e| rpc.estate_err(&e))?;
        ids.push(i.id);
    }
    Ok(rpc.ok(json!({
        "InstanceIdSets": {"InstanceIdSet": ids},
        "OrderId": "",
        "TradePrice": 0.0,
    })))
}

fn instance_op(
    rpc: &Rpc,
    f: impl FnOnce(
        &crate::estate::Estate,
        &crate::estate::Scope,
        &str,
    ) -> crate::estate::EstateResult<()>,
) -> R<SimResponse> {
    let id = rpc.need("InstanceId")?;
    f(&rpc.ctx.estate, &rpc.scope(), &id).map_err(|e| rpc.estate_err(&e))?;
    Ok(rpc.ok(json!({})))
}

fn delete_instance(rpc: &Rpc) -> R<SimResponse> {
    let id = rpc.need("InstanceId")?;
    let scope = rpc.scope();
    let i = rpc
        .ctx
        .estate
        .instance(&scope, &id)
        .map_err(|e| rpc.estate_err(&e))?;
    if matches!(
        i.state,
        InstanceState::Terminating | InstanceState::Terminated
    ) {
        return Err(rpc.err(
            404,
            "InvalidInstanceId.NotFound",
            "The specified InstanceId does not exist.",
        ));
    }
    if i.state != InstanceState::Stopped && !rpc.flag("Force") {
        return Err(rpc.err(
            403,
            "IncorrectInstanceStatus",
            "The current status of the resource does not support this operation.",
        ));
    }
    rpc.ctx
        .estate
        .delete_instance(&scope, &id)
        .map_err(|e| rpc.estate_err(&e))?;
    Ok(rpc.ok(json!({})))
}

fn disk_category(v: &Volume) -> String {
    match v.volume_type.as_str() {
        "ssd" => "cloud_essd".into(),
        "hdd" => "cloud_efficiency".into(),
        other => other.into(),
    }
}

fn disk_status(s: VolumeState) -> &'static str {
    match s {
        VolumeState::Creating => "Creating",
        VolumeState::Available => "Available",
        VolumeState::Attaching => "Attaching",
        VolumeState::InUse => "In_use",
        VolumeState::Detaching => "Detaching",
    }
}

fn render_disk(region: &str, v: &Volume) -> Value {
    json!({
        "DiskId": v.id,
        "DiskName": v.name,
        "Description": "",
        "RegionId": region,
        "ZoneId": v.zone,
        "Size": v.size_gib,
        "Category": disk_category(v),
        "Type": if v.is_system { "system" } else { "data" },
        "Status": disk_status(v.state),
        "InstanceId": v.instance_id.clone().unwrap_or_default(),
        "Device": v.device.clone().unwrap_or_default(),
        "CreationTime": iso_minutes(v.created_at),
        "AttachedTime": if v.instance_id.is_some() { iso_minutes(v.state_since) } else { String::new() },
        "DiskChargeType": charge(v.charge_type),
        "Portable": !v.is_system,
        "DeleteWithInstance": v.is_system,
        "Encrypted": false,
        "Tags": ecs_tags(&v.tags),
        "OperationLocks": {"OperationLock": []},
    })
}

fn describe_disks(rpc: &Rpc) -> R<SimResponse> {
    let scope = rpc.scope();
    let filter = Filter {
        ids: rpc.list("DiskIds")?,
        tags: rpc.tags(),
        name: rpc.p("DiskName"),
        zone: rpc.p("ZoneId"),
        vpc_id: None,
        instance_id: rpc.p("InstanceId"),
    };
    let all = rpc
        .ctx
        .estate
        .volumes(&scope, &filter, &PageReq::All)
        .map_err(|e| rpc.estate_err(&e))?;
    let dtype = rpc.p("DiskType").filter(|t| t != "all");
    let st = rpc.p("Status").filter(|s| s != "All");
    let items: Vec<Value> = all
        .items
        .iter()
        .filter(|v| {
            dtype
                .as_deref()
                .is_none_or(|t| (t == "system") == v.is_system)
        })
        .filter(|v| st.as_deref().is_none_or(|s| s == disk_status(v.state)))
        .map(|v| render_disk(&scope.region, v))
        .collect();
    let p = paged(rpc, items, 10, 100, Bounds::Clamp(10, 500))?;
    Ok(rpc.ok(page_body(&p, "Disks", "Disk", json!({}))))
}

fn create_disk(rpc: &Rpc) -> R<SimResponse> {
    let scope = rpc.scope();
    let size: u64 = rpc.num("Size")?.unwrap_or(20);
    let inst = rpc.p("InstanceId");
    let zone = match (&inst, rpc.p("ZoneId")) {
        (_, Some(z)) => Some(z),
        (Some(i), None) => Some(
            rpc.ctx
                .estate
                .instance(&scope, i)
                .map_err(|e| rpc.estate_err(&e))?
                .zone,
        ),
        (None, None) => {
            return Err(rpc.missing("ZoneId"));
        }
    };
    let v = rpc
        .ctx
        .estate
        .create_volume(
            &scope,
            NewVolume {
                name: rpc.p("DiskName").unwrap_or_default(),
                zone,
                size_gib: size,
                volume_type: Some(
                    rpc.p("DiskCategory")
                        .unwrap_or_else(|| "cloud_efficiency".into()),
                ),
                charge_type: ChargeType::PostPaid,
                tags: rpc.tags(),
                client_token: rpc.p("ClientToken"),
            },
        )
        .map_err(|e| rpc.estate_err(&e))?;
    if let Some(i) = inst {
        rpc.ctx
            .estate
            .attach_volume(&scope, &v.id, &i)
            .map_err(|e| rpc.estate_err(&e))?;
    }
    Ok(rpc.ok(json!({"DiskId": v.id, "OrderId": ""})))
}

fn disk_op(rpc: &Rpc, attach: bool) -> R<SimResponse> {
    let disk = rpc.need("DiskId")?;
    let inst = rpc.need("InstanceId")?;
    let scope = rpc.scope();
    let e = &rpc.ctx.estate;
    let r = if attach {
        e.attach_volume(&scope, &disk, &inst)
    } else {
        e.detach_volume(&scope, &disk, &inst)
    };
    r.map_err(|e| rpc.estate_err(&e))?;
    Ok(rpc.ok(json!({})))
}

/// DeleteDisk; the API reference says a DiskId that does not exist is
/// ignored, so a missing disk is a success.
fn delete_disk(rpc: &Rpc) -> R<SimResponse> {
    let disk = rpc.need("DiskId")?;
    match rpc.ctx.estate.delete_volume(&rpc.scope(), &disk) {
        Ok(())
        | Err(EstateError::NotFound {
            kind: ResourceKind::Volume,
            ..
        }) => Ok(rpc.ok(json!({}))),
        Err(e) => Err(rpc.estate_err(&e)),
    }
}

fn describe_images(rpc: &Rpc) -> R<SimResponse> {
    let scope = rpc.scope();
    let owner = match rpc.p("ImageOwnerAlias").as_deref() {
        Some("system") => Some(ImageOwner::System),
        Some("self") => Some(ImageOwner::Own),
        Some("others") => Some(ImageOwner::Shared),
        _ => None,
    };
    let ids: Vec<String> = rpc
        .p("ImageId")
        .map(|s| s.split(',').map(|x| x.trim().to_string()).collect())
        .unwrap_or_default();
    let filter = Filter {
        ids,
        tags: rpc.tags(),
        name: rpc.p("ImageName"),
        ..Filter::default()
    };
    let all = rpc
        .ctx
        .estate
        .images(&scope, owner, &filter, &PageReq::All)
        .map_err(|e| rpc.estate_err(&e))?;
    let arch = rpc.p("Architecture");
    let items: Vec<Value> = all
        .items
        .iter()
        .filter(|i| arch.as_ref().is_none_or(|a| &i.architecture == a))
        .map(|i| {
            let alias = match i.owner {
                ImageOwner::System => "system",
                ImageOwner::Own => "self",
                ImageOwner::Shared => "others",
            };
            json!({
                "ImageId": i.id,
                "ImageName": i.name,
                "ImageOwnerAlias": alias,
                "OSName": i.os,
                "OSNameEn": i.os,
                "OSType": if i.os.to_lowercase().contains("windows") { "windows" } else { "linux" },
                "Platform": i.os.split_whitespace().next().unwrap_or(""),
                "Architecture": i.architecture,
                "Size": i.size_gib,
                "Status": "Available",
                "CreationTime": super::iso(i.created_at),
                "IsPublic": i.owner == ImageOwner::System,
                "Usage": "none",
                "Tags": ecs_tags(&i.tags),
            })
        })
        .collect();
    let p = paged(rpc, items, 10, 100, Bounds::Reject(100))?;
    Ok(rpc.ok(page_body(
        &p,
        "Images",
        "Image",
        json!({"RegionId": scope.region}),
    )))
}

fn describe_instance_types(rpc: &Rpc) -> R<SimResponse> {
    let scope = rpc.scope();
    let all = rpc
        .ctx
        .estate
        .instance_types(&scope, &Filter::default(), &PageReq::All)
        .map_err(|e| rpc.estate_err(&e))?;
    let want = rpc.list("InstanceTypes")?;
    let fam = rpc.p("InstanceTypeFamily");
    let items: Vec<Value> = all
        .items
        .iter()
        .filter(|t| want.is_empty() || want.contains(&t.id))
        .filter(|t| fam.as_ref().is_none_or(|f| &t.family == f))
        .map(|t| {
            json!({
                "InstanceTypeId": t.id,
                "InstanceTypeFamily": t.family,
                "CpuCoreCount": t.vcpus,
                "MemorySize": t.memory_mib as f64 / 1024.0,
                "GPUAmount": t.gpus,
                "GPUSpec": "",
                "CpuArchitecture": "X86",
                "InstanceCategory": "General-purpose",
            })
        })
        .collect();
    let total = items.len();
    let (offset, limit) = rpc
        .token_page(1600, Bounds::Reject(1600))?
        .unwrap_or((0, rpc.ctx.estate.capped_page(1600)));
    let page: Vec<Value> = items.into_iter().skip(offset).take(limit).collect();
    let next = next_token(offset, page.len(), total).unwrap_or_default();
    Ok(rpc.ok(json!({"InstanceTypes": {"InstanceType": page}, "NextToken": next})))
}

fn render_sg(g: &crate::estate::SecurityGroup) -> Value {
    json!({
        "SecurityGroupId": g.id,
        "SecurityGroupName": g.name,
        "Description": g.description.clone().unwrap_or_default(),
        "VpcId": g.vpc_id.clone().unwrap_or_default(),
        "CreationTime": super::iso(g.created_at),
        "SecurityGroupType": "normal",
        "ServiceManaged": false,
        "RuleCount": g.rules.len(),
        "Tags": ecs_tags(&g.tags),
    })
}

fn describe_security_groups(rpc: &Rpc) -> R<SimResponse> {
    let scope = rpc.scope();
    let mut ids = rpc.list("SecurityGroupIds")?;
    if let Some(id) = rpc.p("SecurityGroupId") {
        ids.push(id);
    }
    let filter = Filter {
        ids,
        tags: rpc.tags(),
        name: rpc.p("SecurityGroupName"),
        vpc_id: rpc.p("VpcId"),
        ..Filter::default()
    };
    let all = rpc
        .ctx
        .estate
        .security_groups(&scope, &filter, &PageReq::All)
        .map_err(|e| rpc.estate_err(&e))?;
    let items: Vec<Value> = all.items.iter().map(render_sg).collect();
    let p = paged(rpc, items, 10, 50, Bounds::Reject(100))?;
    Ok(rpc.ok(page_body(
        &p,
        "SecurityGroups",
        "SecurityGroup",
        json!({"RegionId": scope.region}),
    )))
}

fn render_rule(r: &SecurityRule) -> Value {
    let ports = match (r.port_from, r.port_to) {
        (Some(a), Some(b)) => format!("{a}/{b}"),
        (Some(a), None) => format!("{a}/{a}"),
        _ => "-1/-1".into(),
    };
    let (cidr, group) = match &r.peer {
        Peer::Cidr(c) => (c.clone(), String::new()),
        Peer::SecurityGroup(g) => (String::new(), g.clone()),
    };
    let ingress = r.direction == Direction::Ingress;
    json!({
        "SecurityGroupRuleId": r.id,
        "Direction": if ingress { "ingress" } else { "egress" },
        "IpProtocol": r.protocol.to_uppercase(),
        "PortRange": ports,
        "SourceCidrIp": if ingress { cidr.clone() } else { String::new() },
        "DestCidrIp": if ingress { String::new() } else { cidr },
        "SourceGroupId": if ingress { group.clone() } else { String::new() },
        "DestGroupId": if ingress { String::new() } else { group },
        "Policy": if r.action == RuleAction::Allow { "Accept" } else { "Drop" },
        "Priority": r.priority.unwrap_or(1).to_string(),
        "Description": r.description.clone().unwrap_or_default(),
        "NicType": "intranet",
        "CreateTime": "",
    })
}

fn describe_sg_attribute(rpc: &Rpc) -> R<SimResponse> {
    let id = rpc.need("SecurityGroupId")?;
    let scope = rpc.scope();
    let g = rpc
        .ctx
        .estate
        .security_group(&scope, &id)
        .map_err(|e| rpc.estate_err(&e))?;
    let dir = rpc.p("Direction").unwrap_or_else(|| "all".into());
    let perms: Vec<Value> = g
        .rules
        .iter()
        .filter(|r| match dir.as_str() {
            "ingress" => r.direction == Direction::Ingress,
            "egress" => r.direction == Direction::Egress,
            _ => true,
        })
        .map(render_rule)
        .collect();
    Ok(rpc.ok(json!({
        "SecurityGroupId": g.id,
        "SecurityGroupName": g.name,
        "Description": g.description.clone().unwrap_or_default(),
        "VpcId": g.vpc_id.clone().unwrap_or_default(),
        "RegionId": scope.region,
        "InnerAccessPolicy": "Accept",
        "Permissions": {"Permission": perms},
    })))
}

fn create_security_group(rpc: &Rpc) -> R<SimResponse> {
    let g = rpc
        .ctx
        .estate
        .create_security_group(
            &rpc.scope(),
            NewSecurityGroup {
                vpc_id: rpc.p("VpcId"),
                name: rpc.p("SecurityGroupName").unwrap_or_default(),
                description: rpc.p("Description"),
                tags: rpc.tags(),
                client_token: rpc.p("ClientToken"),
            },
        )
        .map_err(|e| rpc.estate_err(&e))?;
    Ok(rpc.ok(json!({"SecurityGroupId": g.id})))
}

/// Parse one rule from a map of fields (legacy top-level or `Permissions.N.*`).
fn parse_rule(rpc: &Rpc, m: &HashMap<String, String>, dir: Direction) -> R<SecurityRule> {
    let get = |k: &str| m.get(k).filter(|v| !v.is_empty()).cloned();
    let bad = |n: &str| rpc.invalid(n);
    let protocol = get("IpProtocol")
        .ok_or_else(|| rpc.missing("IpProtocol"))?
        .to_lowercase();
    let (port_from, port_to) = match get("PortRange") {
        None => (None, None),
        Some(pr) => {
            let (a, b) = pr.split_once('/').ok_or_else(|| bad("PortRange"))?;
            let a: i32 = a.trim().parse().map_err(|_| bad("PortRange"))?;
            let b: i32 = b.trim().parse().map_err(|_| bad("PortRange"))?;
            if a < 0 || b < 0 {
                (None, None)
            } else {
                (
                    Some(u16::try_from(a).map_err(|_| bad("PortRange"))?),
                    Some(u16::try_from(b).map_err(|_| bad("PortRange"))?),
                )
            }
        }
    };
    let (cidr_key, group_key) = match dir {
        Direction::Ingress => ("SourceCidrIp", "SourceGroupId"),
        Direction::Egress => ("DestCidrIp", "DestGroupId"),
    };
    let peer = match (get(cidr_key), get(group_key)) {
        (Some(c), _) => Peer::Cidr(c),
        (None, Some(g)) => Peer::SecurityGroup(g),
        (None, None) => Peer::Cidr("0.0.0.0/0".into()),
    };
    let action = match get("Policy").map(|p| p.to_lowercase()).as_deref() {
        Some("drop") => RuleAction::Deny,
        _ => RuleAction::Allow,
    };
    let priority = match get("Priority") {
        None => Some(1),
        Some(p) => Some(p.parse().map_err(|_| bad("Priority"))?),
    };
    Ok(SecurityRule {
        id: String::new(),
        direction: dir,
        action,
        protocol,
        port_from,
        port_to,
        peer,
        priority,
        description: get("Description"),
    })
}

fn sg_rules(rpc: &Rpc, dir: Direction, authorize: bool) -> R<SimResponse> {
    let gid = rpc.need("SecurityGroupId")?;
    let scope = rpc.scope();
    let e = &rpc.ctx.estate;
    if !authorize {
        let ids = rpc.list("SecurityGroupRuleId")?;
        if !ids.is_empty() {
            for id in ids {
                let r = SecurityRule {
                    id,
                    direction: dir,
                    action: RuleAction::Allow,
                    protocol: String::new(),
                    port_from: None,
                    port_to: None,
                    peer: Peer::Cidr(String::new()),
                    priority: None,
                    description: None,
                };
                e.revoke_rule(&scope, &gid, &r)
                    .map_err(|e| rpc.estate_err(&e))?;
            }
            return Ok(rpc.ok(json!({})));
        }
    }
    let mut maps = rpc.records("Permissions");
    if maps.is_empty() {
        maps.push(rpc.params.iter().cloned().collect());
    }
    for m in &maps {
        let rule = parse_rule(rpc, m, dir)?;
        if authorize {
            e.authorize_rule(&scope, &gid, rule)
                .map_err(|e| rpc.estate_err(&e))?;
        } else {
            e.revoke_rule(&scope, &gid, &rule)
                .map_err(|e| rpc.estate_err(&e))?;
        }
    }
    Ok(rpc.ok(json!({})))
}
