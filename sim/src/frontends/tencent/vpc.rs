//! VPC 2017-03-12: VPCs, subnets, security groups and their policies, EIPs.

use serde_json::{Value, json};

use super::errors::ApiError;
use super::params::{Params, page};
use super::{Call, Handled, Outcome, iso, plain_time, tag_filter_ok, tag_list};
use crate::estate::{
    ChargeType, Direction, Filter, NewPublicIp, NewSecurityGroup, NewSubnet, NewVpc, PageReq, Peer,
    RuleAction, SecurityGroup, SecurityRule, Tags,
};

pub(crate) fn handle(c: &Call, action: &str) -> Outcome {
    Some(match action {
        "DescribeVpcs" => describe_vpcs(c),
        "CreateVpc" => create_vpc(c),
        "DeleteVpc" => delete_vpc(c),
        "DescribeSubnets" => describe_subnets(c),
        "CreateSubnet" => create_subnet(c),
        "DeleteSubnet" => delete_subnet(c),
        "DescribeSecurityGroups" => describe_security_groups(c),
        "DescribeSecurityGroupPolicies" => describe_policies(c),
        "CreateSecurityGroup" => create_security_group(c),
        "DeleteSecurityGroup" => delete_security_group(c),
        "CreateSecurityGroupPolicies" => create_policies(c),
        "DeleteSecurityGroupPolicies" => delete_policies(c),
        "DescribeAddresses" => describe_addresses(c),
        "AllocateAddresses" => allocate_addresses(c),
        "AssociateAddress" => associate_address(c),
        "DisassociateAddress" => disassociate_address(c),
        "ReleaseAddresses" => release_addresses(c),
        _ => return None,
    })
}

type R = Result<Value, Handled>;

fn unsupported(name: &str) -> Handled {
    ApiError::new(
        "InvalidParameter.FilterInvalidKey",
        &format!("The filter `{name}` is not supported."),
    )
    .into()
}

/// Keep the items passing every filter; `field` answers a filter name with
/// the item's values (`None` for an unknown filter).
fn filtered<T>(
    items: Vec<T>,
    filters: &[(String, Vec<String>)],
    tags: impl Fn(&T) -> &Tags,
    field: impl Fn(&T, &str) -> Option<Vec<String>>,
) -> Result<Vec<T>, Handled> {
    let mut out = Vec::new();
    'item: for it in items {
        for (n, vals) in filters {
            let ok = match tag_filter_ok(tags(&it), n, vals) {
                Some(ok) => ok,
                None => match field(&it, n) {
                    Some(have) => have.iter().any(|h| vals.contains(h)),
                    None => return Err(unsupported(n)),
                },
            };
            if !ok {
                continue 'item;
            }
        }
        out.push(it);
    }
    Ok(out)
}

fn vpc_json(v: &crate::estate::Vpc) -> Value {
    json!({
        "VpcName": v.name, "VpcId": v.id, "CidrBlock": v.cidr, "IsDefault": v.is_default,
        "EnableMulticast": false, "CreatedTime": plain_time(&v.created_at),
        "DnsServerSet": ["183.60.83.19", "183.60.82.98"], "DomainName": "",
        "DhcpOptionsId": "", "EnableDhcp": true, "Ipv6CidrBlock": "",
        "TagSet": tag_list(&v.tags), "AssistantCidrSet": [],
    })
}

fn describe_vpcs(c: &Call) -> R {
    let scope = c.scope()?;
    let (offset, limit) = c.params.offset_limit(20)?;
    let all = c.estate().vpcs(
        &scope,
        &Filter {
            ids: c.params.strings("VpcIds"),
            ..Filter::default()
        },
        &PageReq::All,
    )?;
    let items = filtered(
        all.items,
        &c.params.filters(),
        |v| &v.tags,
        |v, n| {
            Some(match n {
                "vpc-name" => vec![v.name.clone()],
                "vpc-id" => vec![v.id.clone()],
                "is-default" => vec![v.is_default.to_string()],
                "cidr-block" => vec![v.cidr.clone()],
                _ => return None,
            })
        },
    )?;
    let (items, total) = page(items, offset, limit);
    Ok(json!({"TotalCount": total, "VpcSet": items.iter().map(vpc_json).collect::<Vec<_>>()}))
}

fn create_vpc(c: &Call) -> R {
    let scope = c.scope()?;
    let v = c.estate().create_vpc(
        &scope,
        NewVpc {
            name: c.params.req_str("VpcName")?,
            cidr: c.params.req_str("CidrBlock")?,
            tags: c.params.tags("Tags").into_iter().collect(),
            client_token: None,
        },
    )?;
    Ok(json!({"Vpc": vpc_json(&v)}))
}

fn delete_vpc(c: &Call) -> R {
    let scope = c.scope()?;
    c.estate().delete_vpc(&scope, &c.params.req_str("VpcId")?)?;
    Ok(json!({}))
}

fn cidr_size(cidr: &str) -> u64 {
    cidr.split_once('/')
        .and_then(|(_, l)| l.parse::<u32>().ok())
        .filter(|l| *l <= 32)
        .map(|l| 1u64 << (32 - l))
        .unwrap_or(0)
}

fn subnet_json(c: &Call, scope: &crate::estate::Scope, s: &crate::estate::Subnet) -> Value {
    let used = c
        .estate()
        .with_region(scope, |r| {
            r.instances
                .values()
                .filter(|i| i.subnet_id.as_deref() == Some(&s.id))
                .count() as u64
        })
        .unwrap_or(0);
    let total = cidr_size(&s.cidr).saturating_sub(3);
    json!({
        "VpcId": s.vpc_id, "SubnetId": s.id, "SubnetName": s.name, "CidrBlock": s.cidr,
        "IsDefault": false, "EnableBroadcast": false, "Zone": s.zone, "RouteTableId": "",
        "CreatedTime": plain_time(&s.created_at),
        "AvailableIpAddressCount": total.saturating_sub(used),
        "TotalIpAddressCount": total, "Ipv6CidrBlock": "", "NetworkAclId": "",
        "IsRemoteVpcSnat": false, "TagSet": tag_list(&s.tags), "CdcId": "", "IsCdcSubnet": 0,
    })
}

fn describe_subnets(c: &Call) -> R {
    let scope = c.scope()?;
    let (offset, limit) = c.params.offset_limit(20)?;
    let all = c.estate().subnets(
        &scope,
        &Filter {
            ids: c.params.strings("SubnetIds"),
            ..Filter::default()
        },
        &PageReq::All,
    )?;
    let items = filtered(
        all.items,
        &c.params.filters(),
        |s| &s.tags,
        |s, n| {
            Some(match n {
                "subnet-id" => vec![s.id.clone()],
                "vpc-id" => vec![s.vpc_id.clone()],
                "cidr-block" => vec![s.cidr.clone()],
                "is-default" => vec!["false".into()],
                "is-remote-vpc-snat" => vec!["false".into()],
                "subnet-name" => vec![s.name.clone()],
                "zone" => vec![s.zone.clone()],
                _ => return None,
            })
        },
    )?;
    let (items, total) = page(items, offset, limit);
    let set: Vec<Value> = items.iter().map(|s| subnet_json(c, &scope, s)).collect();
    Ok(json!({"TotalCount": total, "SubnetSet": set}))
}

fn create_subnet(c: &Call) -> R {
    let scope = c.scope()?;
    let s = c.estate().create_subnet(
        &scope,
        NewSubnet {
            vpc_id: c.params.req_str("VpcId")?,
            name: c.params.req_str("SubnetName")?,
            zone: Some(c.params.req_str("Zone")?),
            cidr: c.params.req_str("CidrBlock")?,
            tags: c.params.tags("Tags").into_iter().collect(),
            client_token: None,
        },
    )?;
    Ok(json!({"Subnet": subnet_json(c, &scope, &s)}))
}

fn delete_subnet(c: &Call) -> R {
    let scope = c.scope()?;
    c.estate()
        .delete_subnet(&scope, &c.params.req_str("SubnetId")?)?;
    Ok(json!({}))
}

fn sg_json(g: &SecurityGroup) -> Value {
    json!({
        "SecurityGroupId": g.id, "SecurityGroupName": g.name,
        "SecurityGroupDesc": g.description.clone().unwrap_or_default(),
        "ProjectId": "0", "IsDefault": false, "CreatedTime": plain_time(&g.created_at),
        "UpdateTime": plain_time(&g.created_at), "TagSet": tag_list(&g.tags),
    })
}

fn describe_security_groups(c: &Call) -> R {
    let scope = c.scope()?;
    let (offset, limit) = c.params.offset_limit(20)?;
    let all = c.estate().security_groups(
        &scope,
        &Filter {
            ids: c.params.strings("SecurityGroupIds"),
            ..Filter::default()
        },
        &PageReq::All,
    )?;
    let items = filtered(
        all.items,
        &c.params.filters(),
        |g| &g.tags,
        |g, n| {
            Some(match n {
                "security-group-id" => vec![g.id.clone()],
                "security-group-name" => vec![g.name.clone()],
                "project-id" => vec!["0".into()],
                _ => return None,
            })
        },
    )?;
    let (items, total) = page(items, offset, limit);
    Ok(
        json!({"SecurityGroupSet": items.iter().map(sg_json).collect::<Vec<_>>(), "TotalCount": total}),
    )
}

fn create_security_group(c: &Call) -> R {
    let scope = c.scope()?;
    let g = c.estate().create_security_group(
        &scope,
        NewSecurityGroup {
            vpc_id: None,
            name: c.params.req_str("GroupName")?,
            description: Some(c.params.req_str("GroupDescription")?),
            tags: c.params.tags("Tags").into_iter().collect(),
            client_token: None,
        },
    )?;
    Ok(json!({"SecurityGroup": sg_json(&g)}))
}

fn delete_security_group(c: &Call) -> R {
    let scope = c.scope()?;
    c.estate()
        .delete_security_group(&scope, &c.params.req_str("SecurityGroupId")?)?;
    Ok(json!({}))
}

fn port_text(r: &SecurityRule) -> String {
    match (r.port_from, r.port_to) {
        (Some(a), Some(b)) if a == b => a.to_string(),
        (Some(a), Some(b)) => format!("{a}-{b}"),
        (Some(a), None) => a.to_string(),
        _ => "ALL".into(),
    }
}

fn policy_json(r: &SecurityRule, index: usize) -> Value {
    let (cidr, sg) = match &r.peer {
        Peer::Cidr(c) => (c.clone(), String::new()),
        Peer::SecurityGroup(g) => (String::new(), g.clone()),
    };
    json!({
        "PolicyIndex": index,
        "Protocol": r.protocol.to_ascii_uppercase(),
        "Port": port_text(r),
        "ServiceTemplate": {"ServiceId": "", "ServiceGroupId": ""},
        "CidrBlock": cidr,
        "Ipv6CidrBlock": "",
        "SecurityGroupId": sg,
        "AddressTemplate": {"AddressId": "", "AddressGroupId": ""},
        "Action": match r.action { RuleAction::Allow => "ACCEPT", RuleAction::Deny => "DROP" },
        "PolicyDescription": r.description.clone().unwrap_or_default(),
        "ModifyTime": "",
    })
}

fn describe_policies(c: &Call) -> R {
    let scope = c.scope()?;
    let g = c
        .estate()
        .security_group(&scope, &c.params.req_str("SecurityGroupId")?)?;
    let by = |d: Direction| -> Vec<Value> {
        g.rules
            .iter()
            .filter(|r| r.direction == d)
            .enumerate()
            .map(|(i, r)| policy_json(r, i))
            .collect()
    };
    let ingress = by(Direction::Ingress);
    let egress = by(Direction::Egress);
    Ok(json!({"SecurityGroupPolicySet": {
        "Version": g.rules.len().to_string(),
        "Egress": egress,
        "Ingress": ingress,
        "PolicyStatistics": {"IngressIPv4TotalCount": ingress.len(), "IngressIPv6TotalCount": 0,
                             "EgressIPv4TotalCount": egress.len(), "EgressIPv6TotalCount": 0},
    }}))
}

fn parse_policy(p: &Params, d: Direction) -> Result<SecurityRule, ApiError> {
    let protocol = p
        .str("Protocol")
        .unwrap_or_else(|| "ALL".into())
        .to_ascii_lowercase();
    let port = p.str("Port").unwrap_or_else(|| "ALL".into());
    let (from, to) = if port.eq_ignore_ascii_case("ALL") || port.is_empty() {
        (None, None)
    } else if let Some((a, b)) = port.split_once('-') {
        let a: u16 = a.trim().parse().map_err(|_| bad_port(&port))?;
        let b: u16 = b.trim().parse().map_err(|_| bad_port(&port))?;
        (Some(a), Some(b))
    } else {
        let a: u16 = port.trim().parse().map_err(|_| bad_port(&port))?;
        (Some(a), Some(a))
    };
    let peer = match (
        p.str("CidrBlock").filter(|s| !s.is_empty()),
        p.str("SecurityGroupId").filter(|s| !s.is_empty()),
    ) {
        (Some(cidr), _) => Peer::Cidr(cidr),
        (None, Some(g)) => Peer::SecurityGroup(g),
        (None, None) => Peer::Cidr("0.0.0.0/0".into()),
    };
    let action = match p.str("Action").unwrap_or_else(|| "ACCEPT".into()).as_str() {
        "ACCEPT" => RuleAction::Allow,
        "DROP" => RuleAction::Deny,
        o => {
            return Err(ApiError::invalid_value(&format!(
                "Action `{o}` is not ACCEPT or DROP."
            )));
        }
    };
    Ok(SecurityRule {
        id: String::new(),
        direction: d,
        action,
        protocol,
        port_from: from,
        port_to: to,
        peer,
        priority: None,
        description: p.str("PolicyDescription"),
    })
}

fn bad_port(p: &str) -> ApiError {
    ApiError::new(
        "InvalidParameterValue.Range",
        &format!("The port `{p}` is invalid."),
    )
}

fn policy_sets(c: &Call) -> Vec<(Direction, Params)> {
    let set = c.params.obj("SecurityGroupPolicySet");
    let mut out = Vec::new();
    for p in set.list("Ingress") {
        out.push((Direction::Ingress, p));
    }
    for p in set.list("Egress") {
        out.push((Direction::Egress, p));
    }
    out
}

fn create_policies(c: &Call) -> R {
    let scope = c.scope()?;
    let gid = c.params.req_str("SecurityGroupId")?;
    c.estate().security_group(&scope, &gid)?;
    let sets = policy_sets(c);
    if sets.is_empty() {
        return Err(ApiError::missing("SecurityGroupPolicySet").into());
    }
    for (d, p) in sets {
        let rule = parse_policy(&p, d)?;
        c.estate().authorize_rule(&scope, &gid, rule)?;
    }
    Ok(json!({}))
}

fn delete_policies(c: &Call) -> R {
    let scope = c.scope()?;
    let gid = c.params.req_str("SecurityGroupId")?;
    let g = c.estate().security_group(&scope, &gid)?;
    let sets = policy_sets(c);
    if sets.is_empty() {
        return Err(ApiError::missing("SecurityGroupPolicySet").into());
    }
    let mut to_remove = Vec::new();
    for (d, p) in sets {
        if let Some(ix) = p.u64("PolicyIndex")? {
            let rule = g
                .rules
                .iter()
                .filter(|r| r.direction == d)
                .nth(usize::try_from(ix).unwrap_or(usize::MAX))
                .cloned()
                .ok_or_else(|| {
                    ApiError::new(
                        "InvalidParameterValue.Range",
                        &format!("The policy index {ix} does not exist."),
                    )
                })?;
            to_remove.push(rule);
        } else {
            to_remove.push(parse_policy(&p, d)?);
        }
    }
    for r in &to_remove {
        c.estate().revoke_rule(&scope, &gid, r)?;
    }
    Ok(json!({}))
}

fn address_json(ip: &crate::estate::PublicIp, private_ip: Option<String>) -> Value {
    json!({
        "AddressId": ip.id,
        "AddressName": ip.name.clone().unwrap_or_default(),
        "AddressStatus": if ip.instance_id.is_some() { "BIND" } else { "UNBIND" },
        "AddressIp": ip.address,
        "InstanceId": ip.instance_id,
        "CreatedTime": iso(&ip.created_at),
        "NetworkInterfaceId": null,
        "PrivateAddressIp": private_ip,
        "IsArrears": false,
        "IsBlocked": false,
        "IsEipDirectConnection": false,
        "AddressType": "EIP",
        "CascadeRelease": false,
        "InternetServiceProvider": "BGP",
        "LocalBgp": false,
        "Bandwidth": ip.bandwidth_mbps,
        "InternetChargeType": match ip.charge_type {
            ChargeType::PrePaid => "BANDWIDTH_PREPAID_BY_MONTH",
            _ => "TRAFFIC_POSTPAID_BY_HOUR",
        },
        "TagSet": tag_list(&ip.tags),
        "RenewFlag": "",
        "Egress": "center_egress1",
    })
}

fn describe_addresses(c: &Call) -> R {
    let scope = c.scope()?;
    let (offset, limit) = c.params.offset_limit(20)?;
    let all = c.estate().public_ips(
        &scope,
        &Filter {
            ids: c.params.strings("AddressIds"),
            ..Filter::default()
        },
        &PageReq::All,
    )?;
    let items = filtered(
        all.items,
        &c.params.filters(),
        |a| &a.tags,
        |a, n| {
            Some(match n {
                "address-id" => vec![a.id.clone()],
                "address-name" => a.name.iter().cloned().collect(),
                "address-ip" => vec![a.address.clone()],
                "address-status" => vec![
                    if a.instance_id.is_some() {
                        "BIND"
                    } else {
                        "UNBIND"
                    }
                    .into(),
                ],
                "instance-id" => a.instance_id.iter().cloned().collect(),
                "address-type" => vec!["EIP".into()],
                "is-arrears" => vec!["FALSE".into()],
                _ => return None,
            })
        },
    )?;
    let (items, total) = page(items, offset, limit);
    let set: Vec<Value> = items
        .iter()
        .map(|a| {
            let private = a
                .instance_id
                .as_ref()
                .and_then(|i| c.estate().instance(&scope, i).ok().map(|x| x.private_ip));
            address_json(a, private)
        })
        .collect();
    Ok(json!({"TotalCount": total, "AddressSet": set}))
}

fn allocate_addresses(c: &Call) -> R {
    let scope = c.scope()?;
    let p = &c.params;
    let count = p.u64("AddressCount")?.unwrap_or(1);
    if count == 0 || count > 100 {
        return Err(ApiError::new(
            "InvalidParameterValue.Range",
            "AddressCount must be 1 to 100.",
        )
        .into());
    }
    let bw = p.u64("InternetMaxBandwidthOut")?.unwrap_or(1);
    let token = p.str("ClientToken");
    let mut ids = Vec::new();
    for n in 0..count {
        let ip = c.estate().allocate_public_ip(
            &scope,
            NewPublicIp {
                name: p.str("AddressName"),
                bandwidth_mbps: Some(u32::try_from(bw).unwrap_or(u32::MAX)),
                charge_type: ChargeType::PostPaid,
                tags: p.tags("Tags").into_iter().collect(),
                client_token: token.as_ref().map(|t| {
                    if n == 0 {
                        t.clone()
                    } else {
                        format!("{t}#{n}")
                    }
                }),
            },
        )?;
        ids.push(ip.id);
    }
    let task = c.ctx.request_id();
    Ok(json!({"AddressSet": ids, "TaskId": task}))
}

fn associate_address(c: &Call) -> R {
    let scope = c.scope()?;
    let id = c.params.req_str("AddressId")?;
    let instance = c.params.req_str("InstanceId")?;
    c.estate().associate_public_ip(&scope, &id, &instance)?;
    Ok(json!({"TaskId": c.ctx.request_id()}))
}

fn disassociate_address(c: &Call) -> R {
    let scope = c.scope()?;
    c.estate()
        .disassociate_public_ip(&scope, &c.params.req_str("AddressId")?)?;
    Ok(json!({"TaskId": c.ctx.request_id()}))
}

fn release_addresses(c: &Call) -> R {
    let scope = c.scope()?;
    let ids = c.params.strings("AddressIds");
    if ids.is_empty() {
        return Err(ApiError::missing("AddressIds").into());
    }
    let all = c
        .estate()
        .public_ips(&scope, &Filter::default(), &PageReq::All)?;
    for id in &ids {
        if !all.items.iter().any(|a| &a.id == id) {
            return Err(ApiError::new(
                "InvalidAddressId.NotFound",
                &format!("The address `{id}` does not exist."),
            )
            .into());
        }
    }
    for id in &ids {
        c.estate().release_public_ip(&scope, id)?;
    }
    Ok(json!({"TaskId": c.ctx.request_id()}))
}
