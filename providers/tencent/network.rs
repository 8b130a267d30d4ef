//! VPC (2017-03-12): VPCs, subnets, security groups and their policies,
//! elastic IPs. Wire types (field names from `tencentcloud-sdk-python-vpc`
//! `models.py`), EIP state mapping, conversions and request parameters.
//!
//! Note: `DescribeVpcs`, `DescribeSubnets` and `DescribeSecurityGroups` type
//! `Offset`/`Limit` as strings in the API reference; `DescribeAddresses`
//! types them as integers. The builders follow each.

use async_trait::async_trait;
use futures::StreamExt;
use serde::Deserialize;
use serde_json::{Value, json};

use super::TencentProvider;
use super::client::{CallKind, client_token};
use super::compute::{ok_if_gone, visible};
use super::wire::{
    Loose, MAX_LIMIT, Tag, filter, non_empty, null_default, opt_time, page_size, tag_filters,
    tag_list, tags_to_map,
};
use crate::error::{Error, ErrorKind, Result};
use crate::model::{
    ChargeType, Direction, ListNetwork, Peer, PortRange, Protocol, ProviderKind, PublicIp,
    PublicIpSpec, PublicIpState, RuleAction, SecurityGroup, SecurityGroupSpec, SecurityRule,
    Subnet, SubnetSpec, Vpc, VpcSpec,
};
use crate::traits::{Network, ResultStream};

// ---------------------------------------------------------------------------
// EIP states
// ---------------------------------------------------------------------------

/// Every `AddressStatus` value the VPC API documents.
pub const ADDRESS_STATES: [&str; 7] = [
    "CREATING",
    "BINDING",
    "BIND",
    "UNBINDING",
    "UNBIND",
    "OFFLINING",
    "BIND_ENI",
];

/// Map an EIP `AddressStatus` to the normalized state.
///
/// A state in flux maps to the state it is leaving, so that a wait for the
/// target state ends only when the change is done: `BINDING` is still
/// `Available`, `UNBINDING` still `InUse`. `BIND_ENI` (bound to an elastic
/// network interface that is not attached to an instance) is `InUse`;
/// `OFFLINING` (being released) is `Releasing`.
pub fn public_ip_state(raw: &str) -> PublicIpState {
    match raw {
        "CREATING" => PublicIpState::Allocating,
        "BINDING" | "UNBIND" => PublicIpState::Available,
        "BIND" | "UNBINDING" | "BIND_ENI" => PublicIpState::InUse,
        "OFFLINING" => PublicIpState::Releasing,
        _ => PublicIpState::Unknown,
    }
}

/// The billing model of an EIP's `InternetChargeType`.
pub fn address_charge_type(raw: Option<&str>) -> ChargeType {
    match raw {
        Some("BANDWIDTH_PREPAID_BY_MONTH") => ChargeType::PrePaid,
        Some("TRAFFIC_POSTPAID_BY_HOUR")
        | Some("BANDWIDTH_POSTPAID_BY_HOUR")
        | Some("BANDWIDTH_PACKAGE") => ChargeType::PostPaid,
        _ => ChargeType::Unknown,
    }
}

// ---------------------------------------------------------------------------
// Wire types
// ---------------------------------------------------------------------------

/// `DescribeVpcs` response.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DescribeVpcsResponse {
    /// `TotalCount`.
    #[serde(rename = "TotalCount", default)]
    pub total_count: Option<u64>,
    /// `VpcSet`.
    #[serde(rename = "VpcSet", default, deserialize_with = "null_default")]
    pub vpc_set: Vec<VpcInfo>,
    /// `RequestId`.
    #[serde(rename = "RequestId", default)]
    pub request_id: Option<String>,
}

/// VPC `Vpc`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct VpcInfo {
    /// `VpcName`.
    #[serde(rename = "VpcName", default)]
    pub vpc_name: Option<String>,
    /// `VpcId`.
    #[serde(rename = "VpcId", default)]
    pub vpc_id: String,
    /// `CidrBlock`.
    #[serde(rename = "CidrBlock", default)]
    pub cidr_block: Option<String>,
    /// `IsDefault`.
    #[serde(rename = "IsDefault", default)]
    pub is_default: Option<bool>,
    /// `CreatedTime`.
    #[serde(rename = "CreatedTime", default)]
    pub created_time: Option<String>,
    /// `Ipv6CidrBlock`.
    #[serde(rename = "Ipv6CidrBlock", default)]
    pub ipv6_cidr_block: Option<String>,
    /// `TagSet`.
    #[serde(rename = "TagSet", default, deserialize_with = "null_default")]
    pub tag_set: Vec<Tag>,
}

/// `DescribeSubnets` response.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DescribeSubnetsResponse {
    /// `TotalCount`.
    #[serde(rename = "TotalCount", default)]
    pub total_count: Option<u64>,
    /// `SubnetSet`.
    #[serde(rename = "SubnetSet", default, deserialize_with = "null_default")]
    pub subnet_set: Vec<SubnetInfo>,
    /// `NextToken` (token paging, not used: Offset/Limit is).
    #[serde(rename = "NextToken", default)]
    pub next_token: Option<String>,
    /// `RequestId`.
    #[serde(rename = "RequestId", default)]
    pub request_id: Option<String>,
}

/// VPC `Subnet`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SubnetInfo {
    /// `VpcId`.
    #[serde(rename = "VpcId", default)]
    pub vpc_id: String,
    /// `SubnetId`.
    #[serde(rename = "SubnetId", default)]
    pub subnet_id: String,
    /// `SubnetName`.
    #[serde(rename = "SubnetName", default)]
    pub subnet_name: Option<String>,
    /// `CidrBlock`.
    #[serde(rename = "CidrBlock", default)]
    pub cidr_block: Option<String>,
    /// `IsDefault`.
    #[serde(rename = "IsDefault", default)]
    pub is_default: Option<bool>,
    /// `Zone`.
    #[serde(rename = "Zone", default)]
    pub zone: Option<String>,
    /// `CreatedTime`.
    #[serde(rename = "CreatedTime", default)]
    pub created_time: Option<String>,
    /// `AvailableIpAddressCount`.
    #[serde(rename = "AvailableIpAddressCount", default)]
    pub available_ip_address_count: Option<u64>,
    /// `TotalIpAddressCount`.
    #[serde(rename = "TotalIpAddressCount", default)]
    pub total_ip_address_count: Option<u64>,
    /// `TagSet`.
    #[serde(rename = "TagSet", default, deserialize_with = "null_default")]
    pub tag_set: Vec<Tag>,
}

/// `DescribeSecurityGroups` response.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DescribeSecurityGroupsResponse {
    /// `SecurityGroupSet`.
    #[serde(
        rename = "SecurityGroupSet",
        default,
        deserialize_with = "null_default"
    )]
    pub security_group_set: Vec<SecurityGroupInfo>,
    /// `TotalCount`.
    #[serde(rename = "TotalCount", default)]
    pub total_count: Option<u64>,
    /// `RequestId`.
    #[serde(rename = "RequestId", default)]
    pub request_id: Option<String>,
}

/// VPC `SecurityGroup`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SecurityGroupInfo {
    /// `SecurityGroupId`.
    #[serde(rename = "SecurityGroupId", default)]
    pub security_group_id: String,
    /// `SecurityGroupName`.
    #[serde(rename = "SecurityGroupName", default)]
    pub security_group_name: Option<String>,
    /// `SecurityGroupDesc`.
    #[serde(rename = "SecurityGroupDesc", default)]
    pub security_group_desc: Option<String>,
    /// `ProjectId` (string or number).
    #[serde(rename = "ProjectId", default)]
    pub project_id: Loose,
    /// `IsDefault`.
    #[serde(rename = "IsDefault", default)]
    pub is_default: Option<bool>,
    /// `CreatedTime`.
    #[serde(rename = "CreatedTime", default)]
    pub created_time: Option<String>,
    /// `TagSet`.
    #[serde(rename = "TagSet", default, deserialize_with = "null_default")]
    pub tag_set: Vec<Tag>,
}

/// `DescribeSecurityGroupPolicies` response.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DescribeSecurityGroupPoliciesResponse {
    /// `SecurityGroupPolicySet`.
    #[serde(
        rename = "SecurityGroupPolicySet",
        default,
        deserialize_with = "null_default"
    )]
    pub security_group_policy_set: SecurityGroupPolicySet,
    /// `RequestId`.
    #[serde(rename = "RequestId", default)]
    pub request_id: Option<String>,
}

/// VPC `SecurityGroupPolicySet`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SecurityGroupPolicySet {
    /// `Version` (rule-set version, bumped on every change).
    #[serde(rename = "Version", default)]
    pub version: Loose,
    /// `Egress` rules, in evaluation order.
    #[serde(rename = "Egress", default, deserialize_with = "null_default")]
    pub egress: Vec<SecurityGroupPolicy>,
    /// `Ingress` rules, in evaluation order.
    #[serde(rename = "Ingress", default, deserialize_with = "null_default")]
    pub ingress: Vec<SecurityGroupPolicy>,
}

/// VPC `ServiceTemplateSpecification` (protocol/port template reference).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ServiceTemplateSpecification {
    /// `ServiceId`.
    #[serde(rename = "ServiceId", default)]
    pub service_id: Option<String>,
    /// `ServiceGroupId`.
    #[serde(rename = "ServiceGroupId", default)]
    pub service_group_id: Option<String>,
}

/// VPC `AddressTemplateSpecification` (address template reference).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AddressTemplateSpecification {
    /// `AddressId`.
    #[serde(rename = "AddressId", default)]
    pub address_id: Option<String>,
    /// `AddressGroupId`.
    #[serde(rename = "AddressGroupId", default)]
    pub address_group_id: Option<String>,
}

/// VPC `SecurityGroupPolicy`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SecurityGroupPolicy {
    /// `PolicyIndex` (zero-based position; changes when rules change).
    #[serde(rename = "PolicyIndex", default)]
    pub policy_index: Option<u32>,
    /// `Protocol` (`TCP`, `UDP`, `ICMP`, `ICMPv6`, `ALL`).
    #[serde(rename = "Protocol", default)]
    pub protocol: Option<String>,
    /// `Port` (`all`, one port, `from-to`, or `p1,p2,...`).
    #[serde(rename = "Port", default)]
    pub port: Option<String>,
    /// `ServiceTemplate`.
    #[serde(rename = "ServiceTemplate", default)]
    pub service_template: Option<ServiceTemplateSpecification>,
    /// `CidrBlock`.
    #[serde(rename = "CidrBlock", default)]
    pub cidr_block: Option<String>,
    /// `Ipv6CidrBlock`.
    #[serde(rename = "Ipv6CidrBlock", default)]
    pub ipv6_cidr_block: Option<String>,
    /// `SecurityGroupId` (peer group).
    #[serde(rename = "SecurityGroupId", default)]
    pub security_group_id: Option<String>,
    /// `AddressTemplate`.
    #[serde(rename = "AddressTemplate", default)]
    pub address_template: Option<AddressTemplateSpecification>,
    /// `Action` (`ACCEPT`, `DROP`).
    #[serde(rename = "Action", default)]
    pub action: Option<String>,
    /// `PolicyDescription`.
    #[serde(rename = "PolicyDescription", default)]
    pub policy_description: Option<String>,
    /// `ModifyTime`.
    #[serde(rename = "ModifyTime", default)]
    pub modify_time: Option<String>,
}

/// `DescribeAddresses` response.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DescribeAddressesResponse {
    /// `TotalCount`.
    #[serde(rename = "TotalCount", default)]
    pub total_count: Option<u64>,
    /// `AddressSet`.
    #[serde(rename = "AddressSet", default, deserialize_with = "null_default")]
    pub address_set: Vec<AddressInfo>,
    /// `RequestId`.
    #[serde(rename = "RequestId", default)]
    pub request_id: Option<String>,
}

/// VPC `Address` (EIP).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AddressInfo {
    /// `AddressId`.
    #[serde(rename = "AddressId", default)]
    pub address_id: String,
    /// `AddressName`.
    #[serde(rename = "AddressName", default)]
    pub address_name: Option<String>,
    /// `AddressStatus`.
    #[serde(rename = "AddressStatus", default)]
    pub address_status: Option<String>,
    /// `AddressIp`.
    #[serde(rename = "AddressIp", default)]
    pub address_ip: Option<String>,
    /// `InstanceId`.
    #[serde(rename = "InstanceId", default)]
    pub instance_id: Option<String>,
    /// `CreatedTime` (ISO 8601).
    #[serde(rename = "CreatedTime", default)]
    pub created_time: Option<String>,
    /// `NetworkInterfaceId`.
    #[serde(rename = "NetworkInterfaceId", default)]
    pub network_interface_id: Option<String>,
    /// `PrivateAddressIp`.
    #[serde(rename = "PrivateAddressIp", default)]
    pub private_address_ip: Option<String>,
    /// `AddressType` (`EIP`, `AnycastEIP`, ...).
    #[serde(rename = "AddressType", default)]
    pub address_type: Option<String>,
    /// `Bandwidth` in Mbit/s.
    #[serde(rename = "Bandwidth", default)]
    pub bandwidth: Option<u32>,
    /// `InternetChargeType`.
    #[serde(rename = "InternetChargeType", default)]
    pub internet_charge_type: Option<String>,
    /// `InstanceType` of the bound resource.
    #[serde(rename = "InstanceType", default)]
    pub instance_type: Option<String>,
    /// `TagSet`.
    #[serde(rename = "TagSet", default, deserialize_with = "null_default")]
    pub tag_set: Vec<Tag>,
}

/// `CreateVpc` response (`Vpc`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CreateVpcResponse {
    /// `Vpc`.
    #[serde(rename = "Vpc", default)]
    pub vpc: Option<VpcInfo>,
    /// `RequestId`.
    #[serde(rename = "RequestId", default)]
    pub request_id: Option<String>,
}

/// `CreateSubnet` response (`Subnet`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CreateSubnetResponse {
    /// `Subnet`.
    #[serde(rename = "Subnet", default)]
    pub subnet: Option<SubnetInfo>,
    /// `RequestId`.
    #[serde(rename = "RequestId", default)]
    pub request_id: Option<String>,
}

/// `CreateSecurityGroup` response (`SecurityGroup`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CreateSecurityGroupResponse {
    /// `SecurityGroup`.
    #[serde(rename = "SecurityGroup", default)]
    pub security_group: Option<SecurityGroupInfo>,
    /// `RequestId`.
    #[serde(rename = "RequestId", default)]
    pub request_id: Option<String>,
}

/// `AllocateAddresses` response.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AllocateAddressesResponse {
    /// `AddressSet` (allocated address ids).
    #[serde(rename = "AddressSet", default, deserialize_with = "null_default")]
    pub address_set: Vec<String>,
    /// `TaskId`.
    #[serde(rename = "TaskId", default)]
    pub task_id: Loose,
    /// `RequestId`.
    #[serde(rename = "RequestId", default)]
    pub request_id: Option<String>,
}

// ---------------------------------------------------------------------------
// Conversions
// ---------------------------------------------------------------------------

/// A normalized VPC.
pub fn vpc_from_wire(region: &str, v: &VpcInfo) -> Vpc {
    Vpc {
        provider: ProviderKind::Tencent,
        region: region.to_string(),
        id: v.vpc_id.clone(),
        name: v.vpc_name.clone().unwrap_or_default(),
        cidr: non_empty(&v.cidr_block),
        is_default: v.is_default.unwrap_or(false),
        raw_state: None,
        created_at: opt_time(&v.created_time),
        tags: tags_to_map(&v.tag_set),
    }
}

/// A normalized subnet.
pub fn subnet_from_wire(region: &str, s: &SubnetInfo) -> Subnet {
    Subnet {
        provider: ProviderKind::Tencent,
        region: region.to_string(),
        zone: non_empty(&s.zone),
        id: s.subnet_id.clone(),
        name: s.subnet_name.clone().unwrap_or_default(),
        vpc_id: s.vpc_id.clone(),
        cidr: s.cidr_block.clone().unwrap_or_default(),
        available_ips: s.available_ip_address_count,
        raw_state: None,
        created_at: opt_time(&s.created_time),
        tags: tags_to_map(&s.tag_set),
    }
}

/// Parse a policy's `Port` into port ranges: `None` for all ports (`all`,
/// `ALL`, empty or absent), one range for `80` or `8000-9000`, several for
/// a discrete list `22,80,443`. `Err` carries the text that is none of these.
pub fn parse_ports(port: Option<&str>) -> std::result::Result<Option<Vec<PortRange>>, String> {
    let p = port.map(str::trim).unwrap_or("");
    if p.is_empty() || p.eq_ignore_ascii_case("all") {
        return Ok(None);
    }
    let mut out = Vec::new();
    for part in p.split(',') {
        let part = part.trim();
        let range = match part.split_once('-') {
            Some((a, b)) => match (a.trim().parse::<u16>(), b.trim().parse::<u16>()) {
                (Ok(from), Ok(to)) if from <= to => PortRange { from, to },
                _ => return Err(p.to_string()),
            },
            None => match part.parse::<u16>() {
                Ok(n) => PortRange::single(n),
                Err(_) => return Err(p.to_string()),
            },
        };
        out.push(range);
    }
    Ok(Some(out))
}

fn protocol_from_wire(p: &SecurityGroupPolicy) -> Protocol {
    let raw = p.protocol.as_deref().map(str::trim).unwrap_or("");
    match raw.to_ascii_uppercase().as_str() {
        "TCP" => Protocol::Tcp,
        "UDP" => Protocol::Udp,
        "ICMP" => Protocol::Icmp,
        "ICMPV6" => Protocol::Icmpv6,
        "ALL" => Protocol::All,
        "" => {
            // A protocol/port template stands in for both.
            let t = p.service_template.clone().unwrap_or_default();
            match non_empty(&t.service_id).or_else(|| non_empty(&t.service_group_id)) {
                Some(id) => Protocol::Other(id),
                None => Protocol::All,
            }
        }
        _ => Protocol::Other(raw.to_string()),
    }
}

fn peer_from_wire(p: &SecurityGroupPolicy) -> Peer {
    if let Some(c) = non_empty(&p.cidr_block) {
        return Peer::Cidr(c);
    }
    if let Some(c) = non_empty(&p.ipv6_cidr_block) {
        return Peer::Cidr(c);
    }
    if let Some(g) = non_empty(&p.security_group_id) {
        return Peer::SecurityGroup(g);
    }
    let t = p.address_template.clone().unwrap_or_default();
    match non_empty(&t.address_id).or_else(|| non_empty(&t.address_group_id)) {
        Some(id) => Peer::Other(id),
        None => Peer::Other(String::new()),
    }
}

/// Normalized rules of one policy. A discrete port list (`22,80,443`)
/// yields one rule per port, all with the policy's priority. Priority is
/// `PolicyIndex + 1` (see [`SecurityRule`]); rules have no native id.
pub fn rules_from_policy(direction: Direction, p: &SecurityGroupPolicy) -> Vec<SecurityRule> {
    let protocol = protocol_from_wire(p);
    let action = match p.action.as_deref().map(str::to_ascii_uppercase).as_deref() {
        Some("DROP") => RuleAction::Deny,
        _ => RuleAction::Allow,
    };
    let base = SecurityRule {
        id: None,
        direction,
        action,
        protocol,
        ports: None,
        peer: peer_from_wire(p),
        priority: p.policy_index.map(|i| i.saturating_add(1)),
        description: non_empty(&p.policy_description),
    };
    match parse_ports(p.port.as_deref()) {
        Ok(None) => vec![base],
        Ok(Some(ranges)) => ranges
            .into_iter()
            .map(|r| SecurityRule {
                ports: Some(r),
                ..base.clone()
            })
            .collect(),
        // Unparseable port text: keep the rule, say so in the description
        // rather than claim it covers all ports.
        Err(text) => vec![SecurityRule {
            description: Some(match &base.description {
                Some(d) => format!("{d} (ports: {text})"),
                None => format!("ports: {text}"),
            }),
            protocol: Protocol::Other(format!("{}:{text}", p.protocol.clone().unwrap_or_default())),
            ..base
        }],
    }
}

/// All rules of a policy set, ingress then egress, each in index order.
pub fn rules_from_policy_set(set: &SecurityGroupPolicySet) -> Vec<SecurityRule> {
    let mut out = Vec::new();
    for p in &set.ingress {
        out.extend(rules_from_policy(Direction::Ingress, p));
    }
    for p in &set.egress {
        out.extend(rules_from_policy(Direction::Egress, p));
    }
    out
}

/// A normalized security group, with its rules when the policy set was read.
pub fn security_group_from_wire(
    region: &str,
    g: &SecurityGroupInfo,
    policies: Option<&SecurityGroupPolicySet>,
) -> SecurityGroup {
    SecurityGroup {
        provider: ProviderKind::Tencent,
        region: region.to_string(),
        id: g.security_group_id.clone(),
        name: g.security_group_name.clone().unwrap_or_default(),
        description: non_empty(&g.security_group_desc),
        vpc_id: None,
        rules: policies.map(rules_from_policy_set).unwrap_or_default(),
        created_at: opt_time(&g.created_time),
        tags: tags_to_map(&g.tag_set),
    }
}

/// A normalized public IP. `instance_id` is set only while the address is
/// bound (the API may report the last instance on an unbound address).
pub fn public_ip_from_wire(region: &str, a: &AddressInfo) -> PublicIp {
    let raw_state = a.address_status.clone().unwrap_or_default();
    let state = public_ip_state(&raw_state);
    PublicIp {
        provider: ProviderKind::Tencent,
        region: region.to_string(),
        id: a.address_id.clone(),
        name: non_empty(&a.address_name),
        address: a.address_ip.clone().unwrap_or_default(),
        state,
        raw_state,
        instance_id: if state == PublicIpState::InUse {
            non_empty(&a.instance_id)
        } else {
            None
        },
        bandwidth_mbps: a.bandwidth,
        charge_type: address_charge_type(a.internet_charge_type.as_deref()),
        created_at: opt_time(&a.created_time),
        tags: tags_to_map(&a.tag_set),
    }
}

// ---------------------------------------------------------------------------
// Request parameters
// ---------------------------------------------------------------------------

fn string_page(q: &ListNetwork, offset: u64) -> (String, String) {
    (
        offset.to_string(),
        page_size(q.page_size, MAX_LIMIT).to_string(),
    )
}

/// `DescribeVpcs` parameters (string `Offset`/`Limit`; `VpcIds` and
/// `Filters` are exclusive).
pub fn describe_vpcs_params(q: &ListNetwork, offset: u64) -> Value {
    let (o, l) = string_page(q, offset);
    if !q.ids.is_empty() {
        return json!({ "VpcIds": q.ids, "Offset": o, "Limit": l });
    }
    let mut p = json!({ "Offset": o, "Limit": l });
    let f = tag_filters(&q.tags);
    if !f.is_empty() {
        p["Filters"] = Value::Array(f);
    }
    p
}

/// `DescribeSubnets` parameters (string `Offset`/`Limit`; `vpc-id` and tag
/// filters unless ids are given).
pub fn describe_subnets_params(q: &ListNetwork, offset: u64) -> Value {
    let (o, l) = string_page(q, offset);
    if !q.ids.is_empty() {
        return json!({ "SubnetIds": q.ids, "Offset": o, "Limit": l });
    }
    let mut f = Vec::new();
    if let Some(v) = &q.vpc_id {
        f.push(filter("vpc-id", std::slice::from_ref(v)));
    }
    f.extend(tag_filters(&q.tags));
    let mut p = json!({ "Offset": o, "Limit": l });
    if !f.is_empty() {
        p["Filters"] = Value::Array(f);
    }
    p
}

/// `DescribeSecurityGroups` parameters (string `Offset`/`Limit`). Tencent
/// security groups are not VPC-scoped: `vpc_id` is ignored.
pub fn describe_security_groups_params(q: &ListNetwork, offset: u64) -> Value {
    let (o, l) = string_page(q, offset);
    if !q.ids.is_empty() {
        return json!({ "SecurityGroupIds": q.ids, "Offset": o, "Limit": l });
    }
    let mut p = json!({ "Offset": o, "Limit": l });
    let f = tag_filters(&q.tags);
    if !f.is_empty() {
        p["Filters"] = Value::Array(f);
    }
    p
}

/// `DescribeSecurityGroupPolicies` parameters (not paged).
pub fn describe_security_group_policies_params(security_group_id: &str) -> Value {
    json!({ "SecurityGroupId": security_group_id })
}

/// `DescribeAddresses` parameters (integer `Offset`/`Limit`).
pub fn describe_addresses_params(q: &ListNetwork, offset: u64) -> Value {
    let limit = page_size(q.page_size, MAX_LIMIT);
    if !q.ids.is_empty() {
        return json!({ "AddressIds": q.ids, "Offset": offset, "Limit": limit });
    }
    let mut p = json!({ "Offset": offset, "Limit": limit });
    let f = tag_filters(&q.tags);
    if !f.is_empty() {
        p["Filters"] = Value::Array(f);
    }
    p
}

/// `CreateVpc` parameters. The API takes no client token: a retried create
/// must first look for the VPC by name (see the provider docs).
pub fn create_vpc_params(spec: &VpcSpec) -> Value {
    let mut p = json!({ "VpcName": spec.name, "CidrBlock": spec.cidr });
    if !spec.tags.is_empty() {
        p["Tags"] = Value::Array(tag_list(&spec.tags));
    }
    p
}

/// `DeleteVpc` parameters.
pub fn delete_vpc_params(vpc_id: &str) -> Value {
    json!({ "VpcId": vpc_id })
}

/// `CreateSubnet` parameters (zone required by the API).
pub fn create_subnet_params(spec: &SubnetSpec) -> Result<Value> {
    let Some(zone) = spec.zone.as_deref().filter(|z| !z.is_empty()) else {
        return Err(Error::invalid_argument(
            "Tencent Cloud subnets are zonal: SubnetSpec.zone is required",
        ));
    };
    let mut p = json!({
        "VpcId": spec.vpc_id,
        "SubnetName": spec.name,
        "CidrBlock": spec.cidr,
        "Zone": zone,
    });
    if !spec.tags.is_empty() {
        p["Tags"] = Value::Array(tag_list(&spec.tags));
    }
    Ok(p)
}

/// `DeleteSubnet` parameters.
pub fn delete_subnet_params(subnet_id: &str) -> Value {
    json!({ "SubnetId": subnet_id })
}

/// `CreateSecurityGroup` parameters (`GroupDescription` is required by the
/// API; the name stands in when no description is given).
pub fn create_security_group_params(spec: &SecurityGroupSpec) -> Value {
    let mut p = json!({
        "GroupName": spec.name,
        "GroupDescription": spec.description.clone().unwrap_or_else(|| spec.name.clone()),
    });
    if !spec.tags.is_empty() {
        p["Tags"] = Value::Array(tag_list(&spec.tags));
    }
    p
}

/// `DeleteSecurityGroup` parameters.
pub fn delete_security_group_params(security_group_id: &str) -> Value {
    json!({ "SecurityGroupId": security_group_id })
}

/// One rule as a `SecurityGroupPolicy` request object (without
/// `PolicyIndex`). Rules whose peer is a template or whose protocol has no
/// Tencent name are `InvalidArgument`.
pub fn policy_from_rule(rule: &SecurityRule) -> Result<Value> {
    let protocol = match &rule.protocol {
        Protocol::All => "ALL".to_string(),
        Protocol::Tcp => "TCP".to_string(),
        Protocol::Udp => "UDP".to_string(),
        Protocol::Icmp => "ICMP".to_string(),
        Protocol::Icmpv6 => "ICMPv6".to_string(),
        other => {
            return Err(Error::invalid_argument(format!(
                "Tencent Cloud security group rules take TCP, UDP, ICMP, ICMPv6 or ALL, not {other:?}"
            )));
        }
    };
    let port = match (&rule.protocol, rule.ports) {
        (Protocol::Tcp | Protocol::Udp, Some(r)) if r.from == r.to => r.from.to_string(),
        (Protocol::Tcp | Protocol::Udp, Some(r)) => format!("{}-{}", r.from, r.to),
        _ => "ALL".to_string(),
    };
    let mut p = json!({
        "Protocol": protocol,
        "Port": port,
        "Action": if rule.action == RuleAction::Deny { "DROP" } else { "ACCEPT" },
    });
    match &rule.peer {
        Peer::Cidr(c) if c.contains(':') => p["Ipv6CidrBlock"] = json!(c),
        Peer::Cidr(c) => p["CidrBlock"] = json!(c),
        Peer::SecurityGroup(g) => p["SecurityGroupId"] = json!(g),
        other => {
            return Err(Error::invalid_argument(format!(
                "Tencent Cloud security group rules need a CIDR or security group peer, not {other:?}"
            )));
        }
    }
    if let Some(d) = &rule.description {
        p["PolicyDescription"] = json!(d);
    }
    Ok(p)
}

fn policy_set(rules: &[SecurityRule], with_index: bool) -> Result<Value> {
    let mut ingress = Vec::new();
    let mut egress = Vec::new();
    for r in rules {
        let mut p = policy_from_rule(r)?;
        if with_index {
            if let Some(prio) = r.priority.filter(|p| *p > 0) {
                p["PolicyIndex"] = json!(prio - 1);
            }
        }
        match r.direction {
            Direction::Ingress => ingress.push(p),
            _ => egress.push(p),
        }
    }
    let mut set = json!({});
    if !ingress.is_empty() {
        set["Ingress"] = Value::Array(ingress);
    }
    if !egress.is_empty() {
        set["Egress"] = Value::Array(egress);
    }
    Ok(set)
}

/// `CreateSecurityGroupPolicies` parameters. A rule's `priority` n becomes
/// `PolicyIndex` n-1 (insert at that position); without one the rule is
/// appended.
pub fn create_security_group_policies_params(
    security_group_id: &str,
    rules: &[SecurityRule],
) -> Result<Value> {
    Ok(json!({
        "SecurityGroupId": security_group_id,
        "SecurityGroupPolicySet": policy_set(rules, true)?,
    }))
}

/// `DeleteSecurityGroupPolicies` parameters, matching rules by content
/// (protocol, port, peer, action), not by index: indexes shift when rules
/// change.
pub fn delete_security_group_policies_params(
    security_group_id: &str,
    rules: &[SecurityRule],
) -> Result<Value> {
    Ok(json!({
        "SecurityGroupId": security_group_id,
        "SecurityGroupPolicySet": policy_set(rules, false)?,
    }))
}

/// `AllocateAddresses` parameters for one EIP with its `ClientToken`.
pub fn allocate_addresses_params(spec: &PublicIpSpec, client_token: &str) -> Value {
    let mut p = json!({ "AddressCount": 1, "ClientToken": client_token });
    if let Some(bw) = spec.bandwidth_mbps {
        p["InternetMaxBandwidthOut"] = json!(bw);
    }
    if let Some(n) = &spec.name {
        p["AddressName"] = json!(n);
    }
    if !spec.tags.is_empty() {
        p["Tags"] = Value::Array(tag_list(&spec.tags));
    }
    p
}

/// `AssociateAddress` parameters (bind to an instance's primary interface).
pub fn associate_address_params(address_id: &str, instance_id: &str) -> Value {
    json!({ "AddressId": address_id, "InstanceId": instance_id })
}

/// `DisassociateAddress` parameters.
pub fn disassociate_address_params(address_id: &str) -> Value {
    json!({ "AddressId": address_id })
}

/// `ReleaseAddresses` parameters.
pub fn release_addresses_params(address_ids: &[&str]) -> Value {
    json!({ "AddressIds": address_ids })
}

super::wire::offset_page!(DescribeVpcsResponse, VpcInfo, total_count, vpc_set);
super::wire::offset_page!(DescribeSubnetsResponse, SubnetInfo, total_count, subnet_set);
super::wire::offset_page!(
    DescribeSecurityGroupsResponse,
    SecurityGroupInfo,
    total_count,
    security_group_set
);
super::wire::offset_page!(
    DescribeAddressesResponse,
    AddressInfo,
    total_count,
    address_set
);

// ---------------------------------------------------------------------------
// The trait implementation
// ---------------------------------------------------------------------------

// `Network` over VPC (VPCs, subnets, security groups and their policies,
// EIPs).
//
// `CreateVpc`, `CreateSubnet` and `CreateSecurityGroup` take no client
// token: when such a create fails in a way that leaves its outcome unknown
// (`Unavailable`, `Timeout`: the response may have been lost), the
// provider looks for the resource by name (and CIDR) before giving up, so
// a lost response never leads to a blind second create.

/// `DeleteVpc`: the VPC does not exist (VPC error codes; the simulator
/// answers `ResourceNotFound`).
pub const VPC_GONE: &[&str] = &["ResourceNotFound", "InvalidVpcId.NotFound"];

/// `DeleteSubnet`: the subnet does not exist.
pub const SUBNET_GONE: &[&str] = &["ResourceNotFound"];

/// `DeleteSecurityGroup`: the group does not exist.
pub const SECURITY_GROUP_GONE: &[&str] = &["InvalidSecurityGroupID.NotFound", "ResourceNotFound"];

/// `ReleaseAddresses`: the EIP does not exist.
pub const ADDRESS_GONE: &[&str] = &[
    "InvalidAddressId.NotFound",
    "InvalidParameterValue.AddressNotFound",
];

fn outcome_unknown(e: &Error) -> bool {
    matches!(e.kind(), ErrorKind::Unavailable | ErrorKind::Timeout)
}

fn not_found(what: &str, id: &str, region: &str) -> Error {
    Error::not_found(format!("Tencent Cloud {what} `{id}` not found"))
        .with_provider("tencent")
        .with_region(region)
}

impl TencentProvider {
    async fn vpc_call(
        &self,
        action: &'static str,
        region: &str,
        params: Value,
        kind: CallKind,
    ) -> Result<Value> {
        self.client
            .call("vpc", action, Some(region), params, kind)
            .await
    }

    async fn with_rules(&self, mut g: SecurityGroup) -> Result<SecurityGroup> {
        let r: DescribeSecurityGroupPoliciesResponse = self
            .read(
                "vpc",
                "DescribeSecurityGroupPolicies",
                Some(&g.region),
                describe_security_group_policies_params(&g.id),
            )
            .await?;
        g.rules = rules_from_policy_set(&r.security_group_policy_set);
        Ok(g)
    }

    async fn find_vpc_by_name(&self, spec: &VpcSpec) -> Result<Option<Vpc>> {
        let r: DescribeVpcsResponse = self
            .read(
                "vpc",
                "DescribeVpcs",
                Some(&spec.region),
                json!({ "Filters": [filter("vpc-name", std::slice::from_ref(&spec.name))],
                        "Offset": "0", "Limit": MAX_LIMIT.to_string() }),
            )
            .await?;
        Ok(r.vpc_set
            .iter()
            .map(|v| vpc_from_wire(&spec.region, v))
            .find(|v| v.name == spec.name && v.cidr.as_deref() == Some(spec.cidr.as_str())))
    }

    async fn find_subnet_by_name(&self, spec: &SubnetSpec) -> Result<Option<Subnet>> {
        let r: DescribeSubnetsResponse = self
            .read(
                "vpc",
                "DescribeSubnets",
                Some(&spec.region),
                json!({ "Filters": [filter("vpc-id", std::slice::from_ref(&spec.vpc_id)),
                                    filter("subnet-name", std::slice::from_ref(&spec.name))],
                        "Offset": "0", "Limit": MAX_LIMIT.to_string() }),
            )
            .await?;
        Ok(r.subnet_set
            .iter()
            .map(|s| subnet_from_wire(&spec.region, s))
            .find(|s| s.name == spec.name && s.cidr == spec.cidr))
    }

    async fn find_group_by_name(&self, spec: &SecurityGroupSpec) -> Result<Option<SecurityGroup>> {
        let r: DescribeSecurityGroupsResponse = self
            .read(
                "vpc",
                "DescribeSecurityGroups",
                Some(&spec.region),
                json!({ "Filters": [filter("security-group-name", std::slice::from_ref(&spec.name))],
                        "Offset": "0", "Limit": MAX_LIMIT.to_string() }),
            )
            .await?;
        Ok(r.security_group_set
            .iter()
            .find(|g| g.security_group_name.as_deref() == Some(spec.name.as_str()))
            .map(|g| security_group_from_wire(&spec.region, g, None)))
    }

    async fn public_ip(&self, region: &str, id: &str) -> Result<PublicIp> {
        let r: DescribeAddressesResponse = self
            .read(
                "vpc",
                "DescribeAddresses",
                Some(region),
                json!({ "AddressIds": [id], "Offset": 0, "Limit": 1 }),
            )
            .await?;
        r.address_set
            .iter()
            .find(|a| a.address_id == id)
            .map(|a| public_ip_from_wire(region, a))
            .ok_or_else(|| not_found("EIP", id, region))
    }
}

#[async_trait]
impl Network for TencentProvider {
    fn vpcs<'a>(&'a self, q: &'a ListNetwork) -> ResultStream<'a, Vpc> {
        let region = q.region.as_str();
        let size = page_size(q.page_size, MAX_LIMIT);
        let parts = super::id_chunks(q, &q.ids, |p, ids| p.ids = ids);
        self.chunked(parts, move |part| {
            self.offset_list::<DescribeVpcsResponse, _, _, _>(
                "vpc",
                "DescribeVpcs",
                Some(region),
                size,
                move |offset, _| Ok(describe_vpcs_params(&part, offset)),
                move |v| Ok(vpc_from_wire(region, &v)),
            )
        })
    }

    async fn create_vpc(&self, spec: &VpcSpec) -> Result<Vpc> {
        let r = self
            .client
            .call::<CreateVpcResponse>(
                "vpc",
                "CreateVpc",
                Some(&spec.region),
                create_vpc_params(spec),
                CallKind::Write,
            )
            .await;
        match r {
            Ok(r) => r
                .vpc
                .map(|v| vpc_from_wire(&spec.region, &v))
                .ok_or_else(|| Error::decode("CreateVpc returned no Vpc")),
            Err(e) if outcome_unknown(&e) => match self.find_vpc_by_name(spec).await {
                Ok(Some(v)) => Ok(v),
                _ => Err(e),
            },
            Err(e) => Err(e),
        }
    }

    async fn delete_vpc(&self, region: &str, id: &str) -> Result<()> {
        let r = self
            .vpc_call(
                "DeleteVpc",
                region,
                delete_vpc_params(id),
                CallKind::Idempotent,
            )
            .await;
        ok_if_gone(r.map(|_| ()), VPC_GONE)
    }

    fn subnets<'a>(&'a self, q: &'a ListNetwork) -> ResultStream<'a, Subnet> {
        let region = q.region.as_str();
        let size = page_size(q.page_size, MAX_LIMIT);
        let parts = super::id_chunks(q, &q.ids, |p, ids| p.ids = ids);
        self.chunked(parts, move |part| {
            self.offset_list::<DescribeSubnetsResponse, _, _, _>(
                "vpc",
                "DescribeSubnets",
                Some(region),
                size,
                move |offset, _| Ok(describe_subnets_params(&part, offset)),
                move |s| Ok(subnet_from_wire(region, &s)),
            )
        })
    }

    async fn create_subnet(&self, spec: &SubnetSpec) -> Result<Subnet> {
        let params = create_subnet_params(spec)?;
        let r = self
            .client
            .call::<CreateSubnetResponse>(
                "vpc",
                "CreateSubnet",
                Some(&spec.region),
                params,
                CallKind::Write,
            )
            .await;
        match r {
            Ok(r) => r
                .subnet
                .map(|s| subnet_from_wire(&spec.region, &s))
                .ok_or_else(|| Error::decode("CreateSubnet returned no Subnet")),
            Err(e) if outcome_unknown(&e) => match self.find_subnet_by_name(spec).await {
                Ok(Some(s)) => Ok(s),
                _ => Err(e),
            },
            Err(e) => Err(e),
        }
    }

    async fn delete_subnet(&self, region: &str, id: &str) -> Result<()> {
        let r = self
            .vpc_call(
                "DeleteSubnet",
                region,
                delete_subnet_params(id),
                CallKind::Idempotent,
            )
            .await;
        ok_if_gone(r.map(|_| ()), SUBNET_GONE)
    }

    fn security_groups<'a>(&'a self, q: &'a ListNetwork) -> ResultStream<'a, SecurityGroup> {
        let region = q.region.as_str();
        let size = page_size(q.page_size, MAX_LIMIT);
        let parts = super::id_chunks(q, &q.ids, |p, ids| p.ids = ids);
        self.chunked(parts, move |part| {
            self.offset_list::<DescribeSecurityGroupsResponse, _, _, _>(
                "vpc",
                "DescribeSecurityGroups",
                Some(region),
                size,
                move |offset, _| Ok(describe_security_groups_params(&part, offset)),
                move |g| Ok(security_group_from_wire(region, &g, None)),
            )
        })
        .map(move |r| async move { self.with_rules(r?).await })
        .buffered(super::PAGE_CONCURRENCY)
        .boxed()
    }

    async fn security_group(&self, region: &str, id: &str) -> Result<SecurityGroup> {
        let r: Result<DescribeSecurityGroupsResponse> = self
            .read(
                "vpc",
                "DescribeSecurityGroups",
                Some(region),
                json!({ "SecurityGroupIds": [id], "Offset": "0", "Limit": "1" }),
            )
            .await;
        let r = match r {
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Err(not_found("security group", id, region));
            }
            other => other?,
        };
        let g = r
            .security_group_set
            .iter()
            .find(|g| g.security_group_id == id)
            .map(|g| security_group_from_wire(region, g, None))
            .ok_or_else(|| not_found("security group", id, region))?;
        self.with_rules(g).await
    }

    async fn create_security_group(&self, spec: &SecurityGroupSpec) -> Result<SecurityGroup> {
        let r = self
            .client
            .call::<CreateSecurityGroupResponse>(
                "vpc",
                "CreateSecurityGroup",
                Some(&spec.region),
                create_security_group_params(spec),
                CallKind::Write,
            )
            .await;
        let mut g = match r {
            Ok(r) => r
                .security_group
                .map(|g| security_group_from_wire(&spec.region, &g, None))
                .ok_or_else(|| Error::decode("CreateSecurityGroup returned no SecurityGroup"))?,
            Err(e) if outcome_unknown(&e) => match self.find_group_by_name(spec).await {
                Ok(Some(g)) => g,
                _ => return Err(e),
            },
            Err(e) => return Err(e),
        };
        // Tencent security groups are not VPC-scoped; keep what was asked.
        g.vpc_id = spec.vpc_id.clone();
        Ok(g)
    }

    async fn delete_security_group(&self, region: &str, id: &str) -> Result<()> {
        let r = self
            .vpc_call(
                "DeleteSecurityGroup",
                region,
                delete_security_group_params(id),
                CallKind::Idempotent,
            )
            .await;
        ok_if_gone(r.map(|_| ()), SECURITY_GROUP_GONE)
    }

    async fn authorize_rule(
        &self,
        region: &str,
        group_id: &str,
        rule: &SecurityRule,
    ) -> Result<()> {
        let params = create_security_group_policies_params(group_id, std::slice::from_ref(rule))?;
        self.vpc_call(
            "CreateSecurityGroupPolicies",
            region,
            params,
            CallKind::Write,
        )
        .await
        .map(|_| ())
    }

    async fn revoke_rule(&self, region: &str, group_id: &str, rule: &SecurityRule) -> Result<()> {
        let params = delete_security_group_policies_params(group_id, std::slice::from_ref(rule))?;
        self.vpc_call(
            "DeleteSecurityGroupPolicies",
            region,
            params,
            CallKind::Idempotent,
        )
        .await
        .map(|_| ())
    }

    fn public_ips<'a>(&'a self, q: &'a ListNetwork) -> ResultStream<'a, PublicIp> {
        let region = q.region.as_str();
        let size = page_size(q.page_size, MAX_LIMIT);
        let parts = super::id_chunks(q, &q.ids, |p, ids| p.ids = ids);
        self.chunked(parts, move |part| {
            self.offset_list::<DescribeAddressesResponse, _, _, _>(
                "vpc",
                "DescribeAddresses",
                Some(region),
                size,
                move |offset, _| Ok(describe_addresses_params(&part, offset)),
                move |a| Ok(public_ip_from_wire(region, &a)),
            )
        })
    }

    async fn allocate_public_ip(&self, spec: &PublicIpSpec) -> Result<PublicIp> {
        let token = client_token(spec.client_token.as_deref());
        let r: AllocateAddressesResponse = self
            .client
            .call(
                "vpc",
                "AllocateAddresses",
                Some(&spec.region),
                allocate_addresses_params(spec, &token),
                CallKind::Idempotent,
            )
            .await?;
        let id = r
            .address_set
            .first()
            .cloned()
            .ok_or_else(|| Error::decode("AllocateAddresses returned no AddressId"))?;
        visible(&id, || self.public_ip(&spec.region, &id)).await
    }

    async fn associate_public_ip(
        &self,
        region: &str,
        ip_id: &str,
        instance_id: &str,
    ) -> Result<()> {
        self.vpc_call(
            "AssociateAddress",
            region,
            associate_address_params(ip_id, instance_id),
            CallKind::Write,
        )
        .await
        .map(|_| ())
    }

    async fn disassociate_public_ip(&self, region: &str, ip_id: &str) -> Result<()> {
        self.vpc_call(
            "DisassociateAddress",
            region,
            disassociate_address_params(ip_id),
            CallKind::Write,
        )
        .await
        .map(|_| ())
    }

    async fn release_public_ip(&self, region: &str, ip_id: &str) -> Result<()> {
        let r = self
            .vpc_call(
                "ReleaseAddresses",
                region,
                release_addresses_params(&[ip_id]),
                CallKind::Idempotent,
            )
            .await;
        ok_if_gone(r.map(|_| ()), ADDRESS_GONE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_address_state() {
        let table: [(&str, PublicIpState); 7] = [
            ("CREATING", PublicIpState::Allocating),
            ("BINDING", PublicIpState::Available),
            ("BIND", PublicIpState::InUse),
            ("UNBINDING", PublicIpState::InUse),
            ("UNBIND", PublicIpState::Available),
            ("OFFLINING", PublicIpState::Releasing),
            ("BIND_ENI", PublicIpState::InUse),
        ];
        for ((raw, want), documented) in table.iter().zip(ADDRESS_STATES) {
            assert_eq!(*raw, documented);
            assert_eq!(public_ip_state(raw), *want, "{raw}");
        }
        assert_eq!(public_ip_state("bind"), PublicIpState::Unknown);
        let a = AddressInfo {
            address_id: "eip-1".into(),
            address_status: Some("NEW_STATE".into()),
            instance_id: Some("ins-1".into()),
            ..Default::default()
        };
        let n = public_ip_from_wire("r", &a);
        assert_eq!(n.raw_state, "NEW_STATE");
        assert_eq!(n.instance_id, None);
    }

    #[test]
    fn ports() {
        assert_eq!(parse_ports(Some("all")), Ok(None));
        assert_eq!(parse_ports(Some("ALL")), Ok(None));
        assert_eq!(parse_ports(None), Ok(None));
        assert_eq!(
            parse_ports(Some("80")),
            Ok(Some(vec![PortRange::single(80)]))
        );
        assert_eq!(
            parse_ports(Some("8000-9000")),
            Ok(Some(vec![PortRange {
                from: 8000,
                to: 9000
            }]))
        );
        assert_eq!(
            parse_ports(Some("22, 80,443")),
            Ok(Some(vec![
                PortRange::single(22),
                PortRange::single(80),
                PortRange::single(443)
            ]))
        );
        assert!(parse_ports(Some("9000-8000")).is_err());
        assert!(parse_ports(Some("http")).is_err());
    }

    #[test]
    fn policies_to_rules() {
        let p: SecurityGroupPolicy = serde_json::from_value(json!({
            "PolicyIndex": 0, "Protocol": "tcp", "Port": "22,3389", "CidrBlock": "10.0.0.0/8",
            "Action": "ACCEPT", "PolicyDescription": "admin"
        }))
        .unwrap();
        let rules = rules_from_policy(Direction::Ingress, &p);
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[0].priority, Some(1));
        assert_eq!(rules[0].protocol, Protocol::Tcp);
        assert_eq!(rules[1].ports, Some(PortRange::single(3389)));
        assert_eq!(rules[0].peer, Peer::Cidr("10.0.0.0/8".into()));
        let p: SecurityGroupPolicy = serde_json::from_value(json!({
            "PolicyIndex": 4, "Protocol": "ALL", "Port": "ALL", "SecurityGroupId": "sg-2", "Action": "DROP"
        }))
        .unwrap();
        let r = &rules_from_policy(Direction::Egress, &p)[0];
        assert_eq!(r.priority, Some(5));
        assert_eq!(r.action, RuleAction::Deny);
        assert_eq!(r.peer, Peer::SecurityGroup("sg-2".into()));
        assert_eq!(r.ports, None);
        let p: SecurityGroupPolicy = serde_json::from_value(json!({
            "PolicyIndex": 1, "Protocol": "TCP", "Port": "weird", "CidrBlock": "0.0.0.0/0", "Action": "ACCEPT"
        }))
        .unwrap();
        let r = &rules_from_policy(Direction::Ingress, &p)[0];
        assert_eq!(r.protocol, Protocol::Other("TCP:weird".into()));
        assert!(
            r.description
                .as_deref()
                .is_some_and(|d| d.contains("weird"))
        );
    }

    #[test]
    fn rules_to_policies_round_trip() {
        let rule = SecurityRule {
            id: None,
            direction: Direction::Ingress,
            action: RuleAction::Allow,
            protocol: Protocol::Tcp,
            ports: Some(PortRange { from: 80, to: 88 }),
            peer: Peer::Cidr("0.0.0.0/0".into()),
            priority: Some(3),
            description: Some("web".into()),
        };
        let egress = SecurityRule {
            direction: Direction::Egress,
            protocol: Protocol::All,
            ports: None,
            peer: Peer::Cidr("::/0".into()),
            priority: None,
            description: None,
            ..rule.clone()
        };
        let p =
            create_security_group_policies_params("sg-1", &[rule.clone(), egress.clone()]).unwrap();
        assert_eq!(
            p,
            json!({"SecurityGroupId": "sg-1", "SecurityGroupPolicySet": {
                "Ingress": [{"Protocol": "TCP", "Port": "80-88", "Action": "ACCEPT", "CidrBlock": "0.0.0.0/0",
                             "PolicyDescription": "web", "PolicyIndex": 2}],
                "Egress": [{"Protocol": "ALL", "Port": "ALL", "Action": "ACCEPT", "Ipv6CidrBlock": "::/0"}]
            }})
        );
        let d = delete_security_group_policies_params("sg-1", std::slice::from_ref(&rule)).unwrap();
        assert!(
            d["SecurityGroupPolicySet"]["Ingress"][0]
                .get("PolicyIndex")
                .is_none()
        );
        // Parse the request form back: same rule.
        let back: SecurityGroupPolicy =
            serde_json::from_value(p["SecurityGroupPolicySet"]["Ingress"][0].clone()).unwrap();
        assert_eq!(
            rules_from_policy(Direction::Ingress, &back),
            vec![rule.clone()]
        );
        let bad = SecurityRule {
            peer: Peer::Other("ipm-1".into()),
            ..rule
        };
        assert!(policy_from_rule(&bad).is_err());
    }

    #[test]
    fn list_and_mutating_params() {
        let q = ListNetwork {
            vpc_id: Some("vpc-1".into()),
            page_size: Some(1),
            ..Default::default()
        };
        assert_eq!(
            describe_subnets_params(&q, 3),
            json!({"Offset": "3", "Limit": "1", "Filters": [{"Name": "vpc-id", "Values": ["vpc-1"]}]})
        );
        assert_eq!(
            describe_vpcs_params(&ListNetwork::default(), 0),
            json!({"Offset": "0", "Limit": "100"})
        );
        assert_eq!(
            describe_security_groups_params(&q, 0),
            json!({"Offset": "0", "Limit": "1"})
        );
        assert_eq!(
            describe_addresses_params(&q, 2),
            json!({"Offset": 2, "Limit": 1})
        );
        let spec = SubnetSpec {
            vpc_id: "vpc-1".into(),
            name: "s".into(),
            cidr: "10.0.1.0/24".into(),
            ..Default::default()
        };
        assert!(create_subnet_params(&spec).is_err());
        let spec = SubnetSpec {
            zone: Some("ap-guangzhou-3".into()),
            ..spec
        };
        assert_eq!(
            create_subnet_params(&spec).unwrap(),
            json!({"VpcId": "vpc-1", "SubnetName": "s", "CidrBlock": "10.0.1.0/24", "Zone": "ap-guangzhou-3"})
        );
        let vs = VpcSpec {
            name: "v".into(),
            cidr: "10.0.0.0/16".into(),
            ..Default::default()
        };
        assert_eq!(
            create_vpc_params(&vs),
            json!({"VpcName": "v", "CidrBlock": "10.0.0.0/16"})
        );
        let sg = SecurityGroupSpec {
            name: "web".into(),
            ..Default::default()
        };
        assert_eq!(
            create_security_group_params(&sg),
            json!({"GroupName": "web", "GroupDescription": "web"})
        );
        let ip = PublicIpSpec {
            bandwidth_mbps: Some(10),
            name: Some("e".into()),
            ..Default::default()
        };
        assert_eq!(
            allocate_addresses_params(&ip, "tok"),
            json!({"AddressCount": 1, "ClientToken": "tok", "InternetMaxBandwidthOut": 10, "AddressName": "e"})
        );
        assert_eq!(
            associate_address_params("eip-1", "ins-1"),
            json!({"AddressId": "eip-1", "InstanceId": "ins-1"})
        );
        assert_eq!(
            disassociate_address_params("eip-1"),
            json!({"AddressId": "eip-1"})
        );
        assert_eq!(
            release_addresses_params(&["eip-1"]),
            json!({"AddressIds": ["eip-1"]})
        );
        assert_eq!(delete_vpc_params("v"), json!({"VpcId": "v"}));
        assert_eq!(delete_subnet_params("s"), json!({"SubnetId": "s"}));
        assert_eq!(
            delete_security_group_params("g"),
            json!({"SecurityGroupId": "g"})
        );
        assert_eq!(
            describe_security_group_policies_params("g"),
            json!({"SecurityGroupId": "g"})
        );
    }
}
