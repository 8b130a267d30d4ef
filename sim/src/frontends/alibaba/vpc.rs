//! VPC 2016-04-28.

use serde_json::{Value, json};

use super::{R, Rpc, iso, kv_tags};
use crate::estate::{ChargeType, Filter, NewPublicIp, NewSubnet, NewVpc, PageReq};
use crate::frontend::SimResponse;

pub(super) fn handle(rpc: &Rpc) -> SimResponse {
    let r = match rpc.action.as_str() {
        "DescribeRegions" => super::ecs::describe_regions(rpc, "vpc"),
        "DescribeVpcs" => describe_vpcs(rpc),
        "CreateVpc" => create_vpc(rpc),
        "DeleteVpc" => rpc.need("VpcId").and_then(|id| {
            rpc.ctx
                .estate
                .delete_vpc(&rpc.scope(), &id)
                .map(|_| rpc.ok(json!({})))
                .map_err(|e| rpc.estate_err(&e))
        }),
        "DescribeVSwitches" => describe_vswitches(rpc),
        "CreateVSwitch" => create_vswitch(rpc),
        "DeleteVSwitch" => rpc.need("VSwitchId").and_then(|id| {
            rpc.ctx
                .estate
                .delete_subnet(&rpc.scope(), &id)
                .map(|_| rpc.ok(json!({})))
                .map_err(|e| rpc.estate_err(&e))
        }),
        "DescribeEipAddresses" => describe_eips(rpc),
        "AllocateEipAddress" => allocate_eip(rpc),
        "AssociateEipAddress" => {
            let (id, inst) = match (rpc.need("AllocationId"), rpc.need("InstanceId")) {
                (Ok(a), Ok(b)) => (a, b),
                (Err(e), _) | (_, Err(e)) => return e,
            };
            rpc.ctx
                .estate
                .associate_public_ip(&rpc.scope(), &id, &inst)
                .map(|_| rpc.ok(json!({})))
                .map_err(|e| rpc.estate_err(&e))
        }
        "UnassociateEipAddress" => rpc.need("AllocationId").and_then(|id| {
            rpc.ctx
                .estate
                .disassociate_public_ip(&rpc.scope(), &id)
                .map(|_| rpc.ok(json!({})))
                .map_err(|e| rpc.estate_err(&e))
        }),
        "ReleaseEipAddress" => rpc.need("AllocationId").and_then(|id| {
            rpc.ctx
                .estate
                .release_public_ip(&rpc.scope(), &id)
                .map(|_| rpc.ok(json!({})))
                .map_err(|e| rpc.estate_err(&e))
        }),
        other => Err(rpc.err(
            404,
            "InvalidApi.NotFound",
            &format!("Specified api is not found, please check your url and method. ({other})"),
        )),
    };
    r.unwrap_or_else(|e| e)
}

fn page_of(rpc: &Rpc, items: Vec<Value>, list: &str, item: &str) -> R<SimResponse> {
    let (n, size) = rpc.page(10, 50)?;
    let total = items.len();
    let page: Vec<Value> = items
        .into_iter()
        .skip((n - 1).saturating_mul(size))
        .take(size)
        .collect();
    Ok(rpc.ok(json!({
        list: {item: page},
        "TotalCount": total,
        "PageNumber": n,
        "PageSize": size,
    })))
}

fn describe_vpcs(rpc: &Rpc) -> R<SimResponse> {
    let scope = rpc.scope();
    let ids: Vec<String> = rpc
        .p("VpcId")
        .map(|s| s.split(',').map(|x| x.trim().to_string()).collect())
        .unwrap_or_default();
    let filter = Filter {
        ids,
        tags: rpc.tags(),
        name: rpc.p("VpcName"),
        ..Filter::default()
    };
    let e = &rpc.ctx.estate;
    let vpcs = e
        .vpcs(&scope, &filter, &PageReq::All)
        .map_err(|e| rpc.estate_err(&e))?;
    let subnets = e
        .subnets(&scope, &Filter::default(), &PageReq::All)
        .map_err(|e| rpc.estate_err(&e))?;
    let default_only = rpc.p("IsDefault").map(|v| v == "true");
    let items: Vec<Value> = vpcs
        .items
        .iter()
        .filter(|v| default_only.is_none_or(|d| d == v.is_default))
        .map(|v| {
            let vsw: Vec<&str> = subnets
                .items
                .iter()
                .filter(|s| s.vpc_id == v.id)
                .map(|s| s.id.as_str())
                .collect();
            json!({
                "VpcId": v.id,
                "VpcName": v.name,
                "CidrBlock": v.cidr,
                "IsDefault": v.is_default,
                "Status": "Available",
                "RegionId": scope.region,
                "CreationTime": iso(v.created_at),
                "Description": "",
                "OwnerId": rpc.auth.account.parse::<i64>().unwrap_or(0),
                "VRouterId": format!("vrt-{}", v.id.trim_start_matches("vpc-")),
                "VSwitchIds": {"VSwitchId": vsw},
                "RouterTableIds": {"RouterTableIds": []},
                "NatGatewayIds": {"NatGatewayIds": []},
                "UserCidrs": {"UserCidr": []},
                "SecondaryCidrBlocks": {"SecondaryCidrBlock": []},
                "Tags": kv_tags(&v.tags),
                "ResourceGroupId": "",
            })
        })
        .collect();
    page_of(rpc, items, "Vpcs", "Vpc")
}

fn create_vpc(rpc: &Rpc) -> R<SimResponse> {
    let v = rpc
        .ctx
        .estate
        .create_vpc(
            &rpc.scope(),
            NewVpc {
                name: rpc.p("VpcName").unwrap_or_default(),
                cidr: rpc.p("CidrBlock").unwrap_or_else(|| "172.16.0.0/12".into()),
                tags: rpc.tags(),
                client_token: rpc.p("ClientToken"),
            },
        )
        .map_err(|e| rpc.estate_err(&e))?;
    Ok(rpc.ok(json!({
        "VpcId": v.id,
        "VRouterId": format!("vrt-{}", v.id.trim_start_matches("vpc-")),
        "RouteTableId": format!("vtb-{}", v.id.trim_start_matches("vpc-")),
        "ResourceGroupId": "",
    })))
}

fn describe_vswitches(rpc: &Rpc) -> R<SimResponse> {
    let scope = rpc.scope();
    let ids: Vec<String> = rpc
        .p("VSwitchId")
        .map(|s| s.split(',').map(|x| x.trim().to_string()).collect())
        .unwrap_or_default();
    let filter = Filter {
        ids,
        tags: rpc.tags(),
        name: rpc.p("VSwitchName"),
        zone: rpc.p("ZoneId"),
        vpc_id: rpc.p("VpcId"),
        instance_id: None,
    };
    let subnets = rpc
        .ctx
        .estate
        .subnets(&scope, &filter, &PageReq::All)
        .map_err(|e| rpc.estate_err(&e))?;
    let items: Vec<Value> = subnets
        .items
        .iter()
        .map(|s| {
            json!({
                "VSwitchId": s.id,
                "VSwitchName": s.name,
                "VpcId": s.vpc_id,
                "ZoneId": s.zone,
                "CidrBlock": s.cidr,
                "Status": "Available",
                "IsDefault": false,
                "AvailableIpAddressCount": 252,
                "CreationTime": iso(s.created_at),
                "Description": "",
                "OwnerId": rpc.auth.account.parse::<i64>().unwrap_or(0),
                "ShareType": "",
                "Tags": kv_tags(&s.tags),
            })
        })
        .collect();
    page_of(rpc, items, "VSwitches", "VSwitch")
}

fn create_vswitch(rpc: &Rpc) -> R<SimResponse> {
    let s = rpc
        .ctx
        .estate
        .create_subnet(
            &rpc.scope(),
            NewSubnet {
                vpc_id: rpc.need("VpcId")?,
                name: rpc.p("VSwitchName").unwrap_or_default(),
                zone: Some(rpc.need("ZoneId")?),
                cidr: rpc.need("CidrBlock")?,
                tags: rpc.tags(),
                client_token: rpc.p("ClientToken"),
            },
        )
        .map_err(|e| rpc.estate_err(&e))?;
    Ok(rpc.ok(json!({"VSwitchId": s.id})))
}

fn describe_eips(rpc: &Rpc) -> R<SimResponse> {
    let scope = rpc.scope();
    let ids: Vec<String> = rpc
        .p("AllocationId")
        .map(|s| s.split(',').map(|x| x.trim().to_string()).collect())
        .unwrap_or_default();
    let filter = Filter {
        ids,
        tags: rpc.tags(),
        instance_id: rpc.p("AssociatedInstanceId"),
        ..Filter::default()
    };
    let ips = rpc
        .ctx
        .estate
        .public_ips(&scope, &filter, &PageReq::All)
        .map_err(|e| rpc.estate_err(&e))?;
    let addr = rpc.p("EipAddress");
    let st = rpc.p("Status");
    let items: Vec<Value> = ips
        .items
        .iter()
        .filter(|ip| addr.as_ref().is_none_or(|a| &ip.address == a))
        .filter(|ip| {
            st.as_deref().is_none_or(|s| {
                (s == "InUse") == ip.instance_id.is_some()
            })
        })
        .map(|ip| {
            json!({
                "AllocationId": ip.id,
                "IpAddress": ip.address,
                "Name": ip.name.clone().unwrap_or_default(),
                "Bandwidth": ip.bandwidth_mbps.unwrap_or(5).to_string(),
                "Status": if ip.instance_id.is_some() { "InUse" } else { "Available" },
                "InstanceId": ip.instance_id.clone().unwrap_or_default(),
                "InstanceType": if ip.instance_id.is_some() { "EcsInstance" } else { "" },
                "InstanceRegionId": if ip.instance_id.is_some() { scope.region.clone() } else { String::new() },
                "RegionId": scope.region,
                "AllocationTime": iso(ip.created_at),
                "ChargeType": if ip.charge_type == ChargeType::PrePaid { "PrePaid" } else { "PostPaid" },
                "InternetChargeType": "PayByTraffic",
                "ISP": "BGP",
                "Netmode": "public",
                "Description": "",
                "OperationLocks": {"LockReason": []},
                "Tags": kv_tags(&ip.tags),
            })
        })
        .collect();
    page_of(rpc, items, "EipAddresses", "EipAddress")
}

fn allocate_eip(rpc: &Rpc) -> R<SimResponse> {
    let ip = rpc
        .ctx
        .estate
        .allocate_public_ip(
            &rpc.scope(),
            NewPublicIp {
                name: rpc.p("Name"),
                bandwidth_mbps: rpc.num("Bandwidth")?,
                charge_type: if rpc.p("InstanceChargeType").as_deref() == Some("PrePaid") {
                    ChargeType::PrePaid
                } else {
                    ChargeType::PostPaid
                },
                tags: rpc.tags(),
                client_token: rpc.p("ClientToken"),
            },
        )
        .map_err(|e| rpc.estate_err(&e))?;
    Ok(rpc.ok(json!({
        "AllocationId": ip.id,
        "EipAddress": ip.address,
        "ResourceGroupId": "",
    })))
}
