//! CBS 2017-03-12: cloud disks.

use serde_json::{Value, json};

use super::cvm::disk_type;
use super::errors::ApiError;
use super::params::page;
use super::{Call, Handled, Outcome, plain_time, tag_filter_ok, tag_list};
use crate::estate::{ChargeType, Filter, NewVolume, PageReq, Tags, Volume, VolumeState};

pub(crate) fn handle(c: &Call, action: &str) -> Outcome {
    Some(match action {
        "DescribeDisks" => describe_disks(c),
        "CreateDisks" => create_disks(c),
        "AttachDisks" => attach_disks(c),
        "DetachDisks" => detach_disks(c),
        "TerminateDisks" => terminate_disks(c),
        _ => return None,
    })
}

type R = Result<Value, Handled>;

fn state(v: &Volume) -> &'static str {
    match v.state {
        VolumeState::Creating | VolumeState::Available => "UNATTACHED",
        VolumeState::Attaching => "ATTACHING",
        VolumeState::InUse => "ATTACHED",
        VolumeState::Detaching => "DETACHING",
    }
}

fn charge(c: ChargeType) -> &'static str {
    match c {
        ChargeType::PrePaid => "PREPAID",
        _ => "POSTPAID_BY_HOUR",
    }
}

fn render(v: &Volume) -> Value {
    let attached = v.instance_id.is_some() && v.state != VolumeState::Detaching;
    json!({
        "DiskId": v.id,
        "DiskUsage": if v.is_system { "SYSTEM_DISK" } else { "DATA_DISK" },
        "DiskChargeType": charge(v.charge_type),
        "Portable": !v.is_system,
        "Placement": {"Zone": v.zone, "ProjectId": 0},
        "SnapshotAbility": true,
        "DiskName": v.name,
        "DiskSize": v.size_gib,
        "DiskState": state(v),
        "DiskType": disk_type(&v.volume_type),
        "Attached": attached,
        "InstanceId": v.instance_id.clone().unwrap_or_default(),
        "InstanceIdList": v.instance_id.iter().collect::<Vec<_>>(),
        "CreateTime": plain_time(&v.created_at),
        "DeadlineTime": "",
        "Encrypt": false,
        "Tags": tag_list(&v.tags),
        "DeleteWithInstance": v.is_system,
        "RenewFlag": "",
        "Rollbacking": false,
        "RollbackPercent": 0,
        "Migrating": false,
        "MigratePercent": 0,
        "Shareable": false,
        "SnapshotCount": 0,
        "SnapshotSize": 0,
        "BackupDisk": false,
        "AutoSnapshotPolicyIds": [],
        "InstanceType": "CVM",
        "DeleteSnapshot": 0,
        "AttachMode": "",
    })
}

fn describe_disks(c: &Call) -> R {
    let scope = c.scope()?;
    let (offset, limit) = c.params.offset_limit(20)?;
    let ids = c.params.strings("DiskIds");
    let filters = c.params.filters();
    let all = c.estate().volumes(
        &scope,
        &Filter {
            ids,
            ..Filter::default()
        },
        &PageReq::All,
    )?;
    let mut matched = Vec::new();
    'disk: for v in all.items {
        // CBS lists a disk once its creation finished.
        if v.state == VolumeState::Creating {
            continue;
        }
        for (n, vals) in &filters {
            let has = |x: &str| vals.iter().any(|y| y == x);
            let ok = match tag_filter_ok(&v.tags, n, vals) {
                Some(ok) => ok,
                None => match n.as_str() {
                    "disk-id" => has(&v.id),
                    "disk-usage" => has(if v.is_system {
                        "SYSTEM_DISK"
                    } else {
                        "DATA_DISK"
                    }),
                    "disk-charge-type" => has(charge(v.charge_type)),
                    "portable" => has(if v.is_system { "FALSE" } else { "TRUE" }),
                    "project-id" => has("0"),
                    "instance-id" => v.instance_id.as_deref().is_some_and(has),
                    "disk-name" => has(&v.name),
                    "zone" => has(&v.zone),
                    "disk-state" => has(state(&v)),
                    "disk-type" => has(&disk_type(&v.volume_type)),
                    "disk-size" => has(&v.size_gib.to_string()),
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
                continue 'disk;
            }
        }
        matched.push(v);
    }
    let (items, total) = page(matched, offset, limit);
    let set: Vec<Value> = items.iter().map(render).collect();
    Ok(json!({"TotalCount": total, "DiskSet": set}))
}

fn create_disks(c: &Call) -> R {
    let scope = c.scope()?;
    let p = &c.params;
    let zone = p.obj("Placement").req_str("Zone")?;
    let dtype = p.req_str("DiskType")?;
    let charge = match p.req_str("DiskChargeType")?.as_str() {
        "POSTPAID_BY_HOUR" => ChargeType::PostPaid,
        "PREPAID" => ChargeType::PrePaid,
        o => {
            return Err(ApiError::invalid_value(&format!(
                "DiskChargeType `{o}` is not supported."
            ))
            .into());
        }
    };
    let size = p
        .u64("DiskSize")?
        .ok_or_else(|| ApiError::missing("DiskSize"))?;
    if !(10..=32_000).contains(&size) {
        return Err(ApiError::new(
            "InvalidParameterValue.Range",
            "DiskSize must be between 10 and 32000 GB.",
        )
        .into());
    }
    let count = p.u64("DiskCount")?.unwrap_or(1);
    if count == 0 || count > 50 {
        return Err(
            ApiError::new("InvalidParameterValue.Range", "DiskCount must be 1 to 50.").into(),
        );
    }
    let tags: Tags = p.tags("Tags").into_iter().collect();
    let token = p.str("ClientToken");
    let mut ids = Vec::new();
    for n in 0..count {
        let v = c.estate().create_volume(
            &scope,
            NewVolume {
                name: p.str("DiskName").unwrap_or_default(),
                zone: Some(zone.clone()),
                size_gib: size,
                volume_type: Some(dtype.clone()),
                charge_type: charge,
                tags: tags.clone(),
                client_token: token.as_ref().map(|t| {
                    if n == 0 {
                        t.clone()
                    } else {
                        format!("{t}#{n}")
                    }
                }),
            },
        )?;
        ids.push(v.id);
    }
    Ok(json!({"DiskIdSet": ids}))
}

fn disk_ids(c: &Call) -> Result<Vec<String>, ApiError> {
    let ids = c.params.strings("DiskIds");
    if ids.is_empty() {
        return Err(ApiError::missing("DiskIds"));
    }
    if ids.len() > 100 {
        return Err(ApiError::new(
            "InvalidParameterValue.LimitExceeded",
            "At most 100 disk ids may be given.",
        ));
    }
    Ok(ids)
}

fn attach_disks(c: &Call) -> R {
    let scope = c.scope()?;
    let ids = disk_ids(c)?;
    let instance = c.params.req_str("InstanceId")?;
    c.estate().instance(&scope, &instance)?;
    for id in &ids {
        c.estate().volume(&scope, id)?;
    }
    for id in &ids {
        c.estate().attach_volume(&scope, id, &instance)?;
    }
    Ok(json!({}))
}

fn detach_disks(c: &Call) -> R {
    let scope = c.scope()?;
    let ids = disk_ids(c)?;
    let instance = c.params.str("InstanceId");
    let mut pairs = Vec::new();
    for id in &ids {
        let v = c.estate().volume(&scope, id)?;
        let holder = match (&instance, &v.instance_id) {
            (Some(i), _) => i.clone(),
            (None, Some(h)) => h.clone(),
            (None, None) => {
                return Err(ApiError::new(
                    "UnsupportedOperation.StateError",
                    &format!("The disk `{id}` is not attached."),
                )
                .into());
            }
        };
        pairs.push((id.clone(), holder));
    }
    for (id, holder) in &pairs {
        c.estate().detach_volume(&scope, id, holder)?;
    }
    Ok(json!({}))
}

fn terminate_disks(c: &Call) -> R {
    let scope = c.scope()?;
    let ids = disk_ids(c)?;
    for id in &ids {
        c.estate().volume(&scope, id)?;
    }
    for id in &ids {
        c.estate().delete_volume(&scope, id)?;
    }
    Ok(json!({}))
}
