//! Network: ECS security groups (2014-05-26) and VPC (2016-04-28) VPCs,
//! VSwitches and EIPs.
//!
//! Wire types (field names as in the vendor's `alibabacloud-ecs20140526` and
//! `alibabacloud-vpc20160428` models), the EIP state mapping, conversions
//! into the normalized model and request-parameter builders.

use serde::Deserialize;

use super::rpc::{
    counted_answer, entries, nonempty, params_of, push_comma_ids, push_json_ids, push_page,
    region_or,
};
use super::wire::{
    EcsTags, KvTags, Params, lenient_vec, opt_bool, opt_string, opt_u64, push, push_opt, push_tags,
    time_of,
};
use crate::model::{
    ChargeType, Direction, ListNetwork, Peer, PortRange, Protocol, ProviderKind, PublicIp,
    PublicIpSpec, PublicIpState, RuleAction, SecurityGroup, SecurityGroupSpec, SecurityRule,
    Subnet, SubnetSpec, Vpc, VpcSpec,
};

/// VPC API version.
pub const VPC_VERSION: &str = "2016-04-28";
/// Largest `PageSize` of `DescribeVpcs` and `DescribeVSwitches`.
pub const VPC_MAX_PAGE_SIZE: u32 = 50;
/// `PageSize` of `DescribeEipAddresses`: 50. The current API reference
/// allows 100, earlier versions of it (and the API versions deployed in
/// older Apsara Stack releases) 50; 50 is accepted by every version.
pub const EIP_MAX_PAGE_SIZE: u32 = 50;
/// Largest `PageSize` of `DescribeSecurityGroups`: the API reference gives
/// 50 for `PageSize` (100 applies to `MaxResults`, the token style).
pub const SECURITY_GROUP_MAX_PAGE_SIZE: u32 = 50;

// ---------------------------------------------------------------- EIP state

/// Map an EIP `Status` to the normalized state. Documented values:
/// `Associating`, `Unassociating`, `InUse`, `Available` (and `Releasing`).
/// The normalized model has no binding transitions: `Associating` maps to
/// `InUse` and `Unassociating` to `Available` (the state being entered);
/// the raw value keeps the difference.
pub fn public_ip_state(status: &str) -> PublicIpState {
    match status {
        "InUse" | "Associating" => PublicIpState::InUse,
        "Available" | "Unassociating" => PublicIpState::Available,
        "Releasing" => PublicIpState::Releasing,
        _ => PublicIpState::Unknown,
    }
}

// ---------------------------------------------------------------- security groups

/// One security group of `DescribeSecurityGroups`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SecurityGroupWire {
    /// Group id.
    #[serde(rename = "SecurityGroupId", default, deserialize_with = "opt_string")]
    pub security_group_id: Option<String>,
    /// Name.
    #[serde(rename = "SecurityGroupName", default, deserialize_with = "opt_string")]
    pub security_group_name: Option<String>,
    /// Description.
    #[serde(rename = "Description", default, deserialize_with = "opt_string")]
    pub description: Option<String>,
    /// VPC id.
    #[serde(rename = "VpcId", default, deserialize_with = "opt_string")]
    pub vpc_id: Option<String>,
    /// `normal` or `enterprise`.
    #[serde(rename = "SecurityGroupType", default, deserialize_with = "opt_string")]
    pub security_group_type: Option<String>,
    /// Creation time.
    #[serde(rename = "CreationTime", default, deserialize_with = "opt_string")]
    pub creation_time: Option<String>,
    /// Tags.
    #[serde(rename = "Tags", default)]
    pub tags: EcsTags,
}

impl SecurityGroupWire {
    /// As a normalized group with `rules` (list calls do not return rules;
    /// `DescribeSecurityGroupAttribute` does).
    pub fn to_security_group(
        &self,
        region: &str,
        rules: Vec<SecurityRule>,
    ) -> Option<SecurityGroup> {
        Some(SecurityGroup {
            provider: ProviderKind::Alibaba,
            region: region.to_string(),
            id: nonempty(&self.security_group_id)?,
            name: self.security_group_name.clone().unwrap_or_default(),
            description: nonempty(&self.description),
            vpc_id: nonempty(&self.vpc_id),
            rules,
            created_at: time_of(&self.creation_time),
            tags: self.tags.to_tags(),
        })
    }
}

/// `{"SecurityGroup":[...]}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SecurityGroupsWire {
    /// The groups.
    #[serde(rename = "SecurityGroup", default, deserialize_with = "lenient_vec")]
    pub security_group: Vec<SecurityGroupWire>,
}

counted_answer! {
    /// The `DescribeSecurityGroups` response.
    pub struct DescribeSecurityGroupsResponse {
        /// Region id.
        #[serde(rename = "RegionId", default, deserialize_with = "opt_string")]
        pub region_id: Option<String>,
        /// Next-page token.
        #[serde(rename = "NextToken", default, deserialize_with = "opt_string")]
        pub next_token: Option<String>,
        /// The groups.
        #[serde(rename = "SecurityGroups", default)]
        pub security_groups: SecurityGroupsWire,
    }
}

impl DescribeSecurityGroupsResponse {
    /// As normalized groups, without rules.
    pub fn to_security_groups(&self, region: &str) -> Vec<SecurityGroup> {
        let region = region_or(&self.region_id, region);
        entries(&self.security_groups.security_group, region, |g, r| {
            g.to_security_group(r, Vec::new())
        })
    }
}

/// One rule (`Permission`) of `DescribeSecurityGroupAttribute`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PermissionWire {
    /// Rule id.
    #[serde(
        rename = "SecurityGroupRuleId",
        default,
        deserialize_with = "opt_string"
    )]
    pub security_group_rule_id: Option<String>,
    /// `ingress` or `egress`.
    #[serde(rename = "Direction", default, deserialize_with = "opt_string")]
    pub direction: Option<String>,
    /// `Accept` or `Drop`.
    #[serde(rename = "Policy", default, deserialize_with = "opt_string")]
    pub policy: Option<String>,
    /// `TCP`, `UDP`, `ICMP`, `ICMPv6`, `GRE`, `ALL`.
    #[serde(rename = "IpProtocol", default, deserialize_with = "opt_string")]
    pub ip_protocol: Option<String>,
    /// `22/22`, `1/65535`, `-1/-1`.
    #[serde(rename = "PortRange", default, deserialize_with = "opt_string")]
    pub port_range: Option<String>,
    /// Priority, 1 (first) to 100.
    #[serde(rename = "Priority", default, deserialize_with = "opt_u64")]
    pub priority: Option<u64>,
    /// Source IPv4 CIDR (ingress).
    #[serde(rename = "SourceCidrIp", default, deserialize_with = "opt_string")]
    pub source_cidr_ip: Option<String>,
    /// Source IPv6 CIDR (ingress).
    #[serde(rename = "Ipv6SourceCidrIp", default, deserialize_with = "opt_string")]
    pub ipv6_source_cidr_ip: Option<String>,
    /// Source group (ingress).
    #[serde(rename = "SourceGroupId", default, deserialize_with = "opt_string")]
    pub source_group_id: Option<String>,
    /// Source prefix list (ingress).
    #[serde(
        rename = "SourcePrefixListId",
        default,
        deserialize_with = "opt_string"
    )]
    pub source_prefix_list_id: Option<String>,
    /// Destination IPv4 CIDR (egress).
    #[serde(rename = "DestCidrIp", default, deserialize_with = "opt_string")]
    pub dest_cidr_ip: Option<String>,
    /// Destination IPv6 CIDR (egress).
    #[serde(rename = "Ipv6DestCidrIp", default, deserialize_with = "opt_string")]
    pub ipv6_dest_cidr_ip: Option<String>,
    /// Destination group (egress).
    #[serde(rename = "DestGroupId", default, deserialize_with = "opt_string")]
    pub dest_group_id: Option<String>,
    /// Destination prefix list (egress).
    #[serde(rename = "DestPrefixListId", default, deserialize_with = "opt_string")]
    pub dest_prefix_list_id: Option<String>,
    /// Description.
    #[serde(rename = "Description", default, deserialize_with = "opt_string")]
    pub description: Option<String>,
}

/// Parse an ECS `PortRange` (`22/22`, `1/65535`); `-1/-1` and anything
/// unparsable mean "all / not applicable" (`None`).
pub fn parse_port_range(s: &str) -> Option<PortRange> {
    let (a, b) = s.trim().split_once('/')?;
    let from = a.trim().parse::<u16>().ok()?;
    let to = b.trim().parse::<u16>().ok()?;
    if from == 0 && to == 0 {
        return None;
    }
    Some(PortRange { from, to })
}

/// Map an ECS `IpProtocol` to the normalized protocol.
pub fn protocol_of(s: &str) -> Protocol {
    match s.to_ascii_uppercase().as_str() {
        "TCP" => Protocol::Tcp,
        "UDP" => Protocol::Udp,
        "ICMP" => Protocol::Icmp,
        "ICMPV6" => Protocol::Icmpv6,
        "ALL" | "" => Protocol::All,
        _ => Protocol::Other(s.to_string()),
    }
}

fn protocol_wire(p: &Protocol) -> String {
    match p {
        Protocol::Tcp => "TCP".into(),
        Protocol::Udp => "UDP".into(),
        Protocol::Icmp => "ICMP".into(),
        Protocol::Icmpv6 => "ICMPv6".into(),
        Protocol::All => "ALL".into(),
        Protocol::Other(s) => s.clone(),
    }
}

impl PermissionWire {
    /// As a normalized rule. Priority (1-100, lower first) is kept as is.
    pub fn to_rule(&self) -> SecurityRule {
        let direction = match self.direction.as_deref() {
            Some(d) if d.eq_ignore_ascii_case("egress") => Direction::Egress,
            _ => Direction::Ingress,
        };
        let action = match self.policy.as_deref() {
            Some(p) if p.eq_ignore_ascii_case("drop") => RuleAction::Deny,
            _ => RuleAction::Allow,
        };
        let protocol = protocol_of(self.ip_protocol.as_deref().unwrap_or("ALL"));
        let ports = match protocol {
            Protocol::Tcp | Protocol::Udp => self.port_range.as_deref().and_then(parse_port_range),
            _ => None,
        };
        let (cidr4, cidr6, group, prefix) = match direction {
            Direction::Egress => (
                &self.dest_cidr_ip,
                &self.ipv6_dest_cidr_ip,
                &self.dest_group_id,
                &self.dest_prefix_list_id,
            ),
            _ => (
                &self.source_cidr_ip,
                &self.ipv6_source_cidr_ip,
                &self.source_group_id,
                &self.source_prefix_list_id,
            ),
        };
        let peer = if let Some(c) = nonempty(cidr4) {
            Peer::Cidr(c)
        } else if let Some(c) = nonempty(cidr6) {
            Peer::Cidr(c)
        } else if let Some(g) = nonempty(group) {
            Peer::SecurityGroup(g)
        } else if let Some(p) = nonempty(prefix) {
            Peer::Other(p)
        } else {
            Peer::Cidr("0.0.0.0/0".into())
        };
        SecurityRule {
            id: nonempty(&self.security_group_rule_id),
            direction,
            action,
            protocol,
            ports,
            peer,
            priority: self.priority.and_then(|p| u32::try_from(p).ok()),
            description: nonempty(&self.description),
        }
    }
}

/// `{"Permission":[...]}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PermissionsWire {
    /// The rules.
    #[serde(rename = "Permission", default, deserialize_with = "lenient_vec")]
    pub permission: Vec<PermissionWire>,
}

/// The `DescribeSecurityGroupAttribute` response.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DescribeSecurityGroupAttributeResponse {
    /// Request id.
    #[serde(rename = "RequestId", default, deserialize_with = "opt_string")]
    pub request_id: Option<String>,
    /// Region id.
    #[serde(rename = "RegionId", default, deserialize_with = "opt_string")]
    pub region_id: Option<String>,
    /// Group id.
    #[serde(rename = "SecurityGroupId", default, deserialize_with = "opt_string")]
    pub security_group_id: Option<String>,
    /// Name.
    #[serde(rename = "SecurityGroupName", default, deserialize_with = "opt_string")]
    pub security_group_name: Option<String>,
    /// Description.
    #[serde(rename = "Description", default, deserialize_with = "opt_string")]
    pub description: Option<String>,
    /// VPC id.
    #[serde(rename = "VpcId", default, deserialize_with = "opt_string")]
    pub vpc_id: Option<String>,
    /// `Accept` or `Drop` between members.
    #[serde(rename = "InnerAccessPolicy", default, deserialize_with = "opt_string")]
    pub inner_access_policy: Option<String>,
    /// Next-page token of the rules.
    #[serde(rename = "NextToken", default, deserialize_with = "opt_string")]
    pub next_token: Option<String>,
    /// The rules.
    #[serde(rename = "Permissions", default)]
    pub permissions: PermissionsWire,
}

impl DescribeSecurityGroupAttributeResponse {
    /// The rules, normalized.
    pub fn to_rules(&self) -> Vec<SecurityRule> {
        self.permissions
            .permission
            .iter()
            .map(PermissionWire::to_rule)
            .collect()
    }

    /// As a normalized group with its rules.
    pub fn to_security_group(&self, region: &str) -> Option<SecurityGroup> {
        Some(SecurityGroup {
            provider: ProviderKind::Alibaba,
            region: region_or(&self.region_id, region).to_string(),
            id: nonempty(&self.security_group_id)?,
            name: self.security_group_name.clone().unwrap_or_default(),
            description: nonempty(&self.description),
            vpc_id: nonempty(&self.vpc_id),
            rules: self.to_rules(),
            created_at: None,
            tags: Default::default(),
        })
    }
}

// ---------------------------------------------------------------- VPCs and VSwitches

/// One VPC of `DescribeVpcs`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct VpcWire {
    /// VPC id.
    #[serde(rename = "VpcId", default, deserialize_with = "opt_string")]
    pub vpc_id: Option<String>,
    /// Name.
    #[serde(rename = "VpcName", default, deserialize_with = "opt_string")]
    pub vpc_name: Option<String>,
    /// Region id.
    #[serde(rename = "RegionId", default, deserialize_with = "opt_string")]
    pub region_id: Option<String>,
    /// IPv4 CIDR.
    #[serde(rename = "CidrBlock", default, deserialize_with = "opt_string")]
    pub cidr_block: Option<String>,
    /// Whether it is the default VPC.
    #[serde(rename = "IsDefault", default, deserialize_with = "opt_bool")]
    pub is_default: Option<bool>,
    /// `Pending` or `Available`.
    #[serde(rename = "Status", default, deserialize_with = "opt_string")]
    pub status: Option<String>,
    /// Creation time.
    #[serde(rename = "CreationTime", default, deserialize_with = "opt_string")]
    pub creation_time: Option<String>,
    /// Tags.
    #[serde(rename = "Tags", default)]
    pub tags: KvTags,
}

impl VpcWire {
    /// As a normalized VPC.
    pub fn to_vpc(&self, region: &str) -> Option<Vpc> {
        Some(Vpc {
            provider: ProviderKind::Alibaba,
            region: region_or(&self.region_id, region).to_string(),
            id: nonempty(&self.vpc_id)?,
            name: self.vpc_name.clone().unwrap_or_default(),
            cidr: nonempty(&self.cidr_block),
            is_default: self.is_default.unwrap_or(false),
            raw_state: nonempty(&self.status),
            created_at: time_of(&self.creation_time),
            tags: self.tags.to_tags(),
        })
    }
}

/// `{"Vpc":[...]}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct VpcsWire {
    /// The VPCs.
    #[serde(rename = "Vpc", default, deserialize_with = "lenient_vec")]
    pub vpc: Vec<VpcWire>,
}

counted_answer! {
    /// The `DescribeVpcs` response.
    pub struct DescribeVpcsResponse {
        /// The VPCs.
        #[serde(rename = "Vpcs", default)]
        pub vpcs: VpcsWire,
    }
}

impl DescribeVpcsResponse {
    /// As normalized VPCs.
    pub fn to_vpcs(&self, region: &str) -> Vec<Vpc> {
        entries(&self.vpcs.vpc, region, VpcWire::to_vpc)
    }
}

/// One VSwitch of `DescribeVSwitches`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct VSwitchWire {
    /// VSwitch id.
    #[serde(rename = "VSwitchId", default, deserialize_with = "opt_string")]
    pub vswitch_id: Option<String>,
    /// Name.
    #[serde(rename = "VSwitchName", default, deserialize_with = "opt_string")]
    pub vswitch_name: Option<String>,
    /// Parent VPC.
    #[serde(rename = "VpcId", default, deserialize_with = "opt_string")]
    pub vpc_id: Option<String>,
    /// Zone id.
    #[serde(rename = "ZoneId", default, deserialize_with = "opt_string")]
    pub zone_id: Option<String>,
    /// IPv4 CIDR.
    #[serde(rename = "CidrBlock", default, deserialize_with = "opt_string")]
    pub cidr_block: Option<String>,
    /// Free addresses.
    #[serde(
        rename = "AvailableIpAddressCount",
        default,
        deserialize_with = "opt_u64"
    )]
    pub available_ip_address_count: Option<u64>,
    /// `Pending` or `Available`.
    #[serde(rename = "Status", default, deserialize_with = "opt_string")]
    pub status: Option<String>,
    /// Creation time.
    #[serde(rename = "CreationTime", default, deserialize_with = "opt_string")]
    pub creation_time: Option<String>,
    /// Tags.
    #[serde(rename = "Tags", default)]
    pub tags: KvTags,
}

impl VSwitchWire {
    /// As a normalized subnet.
    pub fn to_subnet(&self, region: &str) -> Option<Subnet> {
        Some(Subnet {
            provider: ProviderKind::Alibaba,
            region: region.to_string(),
            zone: nonempty(&self.zone_id),
            id: nonempty(&self.vswitch_id)?,
            name: self.vswitch_name.clone().unwrap_or_default(),
            vpc_id: self.vpc_id.clone().unwrap_or_default(),
            cidr: self.cidr_block.clone().unwrap_or_default(),
            available_ips: self.available_ip_address_count,
            raw_state: nonempty(&self.status),
            created_at: time_of(&self.creation_time),
            tags: self.tags.to_tags(),
        })
    }
}

/// `{"VSwitch":[...]}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct VSwitchesWire {
    /// The VSwitches.
    #[serde(rename = "VSwitch", default, deserialize_with = "lenient_vec")]
    pub vswitch: Vec<VSwitchWire>,
}

counted_answer! {
    /// The `DescribeVSwitches` response.
    pub struct DescribeVSwitchesResponse {
        /// The VSwitches.
        #[serde(rename = "VSwitches", default)]
        pub vswitches: VSwitchesWire,
    }
}

impl DescribeVSwitchesResponse {
    /// As normalized subnets.
    pub fn to_subnets(&self, region: &str) -> Vec<Subnet> {
        entries(&self.vswitches.vswitch, region, VSwitchWire::to_subnet)
    }
}

// ---------------------------------------------------------------- EIPs

/// One EIP of `DescribeEipAddresses`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct EipAddressWire {
    /// Allocation id.
    #[serde(rename = "AllocationId", default, deserialize_with = "opt_string")]
    pub allocation_id: Option<String>,
    /// The address.
    #[serde(rename = "IpAddress", default, deserialize_with = "opt_string")]
    pub ip_address: Option<String>,
    /// Name.
    #[serde(rename = "Name", default, deserialize_with = "opt_string")]
    pub name: Option<String>,
    /// Region id.
    #[serde(rename = "RegionId", default, deserialize_with = "opt_string")]
    pub region_id: Option<String>,
    /// `Associating`, `Unassociating`, `InUse`, `Available`, `Releasing`.
    #[serde(rename = "Status", default, deserialize_with = "opt_string")]
    pub status: Option<String>,
    /// Bound resource id.
    #[serde(rename = "InstanceId", default, deserialize_with = "opt_string")]
    pub instance_id: Option<String>,
    /// Bound resource type (`EcsInstance`, `SlbInstance`, `Nat`, ...).
    #[serde(rename = "InstanceType", default, deserialize_with = "opt_string")]
    pub instance_type: Option<String>,
    /// Bandwidth cap in Mbit/s.
    #[serde(rename = "Bandwidth", default, deserialize_with = "opt_u64")]
    pub bandwidth: Option<u64>,
    /// `PostPaid` or `PrePaid`.
    #[serde(rename = "ChargeType", default, deserialize_with = "opt_string")]
    pub charge_type: Option<String>,
    /// `PayByBandwidth` or `PayByTraffic`.
    #[serde(
        rename = "InternetChargeType",
        default,
        deserialize_with = "opt_string"
    )]
    pub internet_charge_type: Option<String>,
    /// Allocation time.
    #[serde(rename = "AllocationTime", default, deserialize_with = "opt_string")]
    pub allocation_time: Option<String>,
    /// Tags.
    #[serde(rename = "Tags", default)]
    pub tags: KvTags,
}

impl EipAddressWire {
    /// As a normalized public IP.
    pub fn to_public_ip(&self, region: &str) -> Option<PublicIp> {
        let raw = self.status.clone().unwrap_or_default();
        Some(PublicIp {
            provider: ProviderKind::Alibaba,
            region: region_or(&self.region_id, region).to_string(),
            id: nonempty(&self.allocation_id)?,
            name: nonempty(&self.name),
            address: self.ip_address.clone().unwrap_or_default(),
            state: public_ip_state(&raw),
            raw_state: raw,
            instance_id: nonempty(&self.instance_id),
            bandwidth_mbps: self.bandwidth.and_then(|b| u32::try_from(b).ok()),
            charge_type: match self.charge_type.as_deref() {
                Some("PrePaid") => ChargeType::PrePaid,
                Some("PostPaid") => ChargeType::PostPaid,
                _ => ChargeType::Unknown,
            },
            created_at: time_of(&self.allocation_time),
            tags: self.tags.to_tags(),
        })
    }
}

/// `{"EipAddress":[...]}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct EipAddressesWire {
    /// The EIPs.
    #[serde(rename = "EipAddress", default, deserialize_with = "lenient_vec")]
    pub eip_address: Vec<EipAddressWire>,
}

counted_answer! {
    /// The `DescribeEipAddresses` response.
    pub struct DescribeEipAddressesResponse {
        /// The EIPs.
        #[serde(rename = "EipAddresses", default)]
        pub eip_addresses: EipAddressesWire,
    }
}

impl DescribeEipAddressesResponse {
    /// As normalized public IPs.
    pub fn to_public_ips(&self, region: &str) -> Vec<PublicIp> {
        entries(
            &self.eip_addresses.eip_address,
            region,
            EipAddressWire::to_public_ip,
        )
    }
}

// ---------------------------------------------------------------- request builders

/// `DescribeSecurityGroups` parameters (page-number style, up to 100).
pub fn describe_security_groups_params(q: &ListNetwork, page_number: u32) -> Params {
    let mut p = params_of([("RegionId", &q.region)]);
    push_json_ids(&mut p, "SecurityGroupIds", &q.ids);
    push_opt(&mut p, "VpcId", q.vpc_id.as_deref());
    push_tags(&mut p, &q.tags);
    push_page(
        &mut p,
        page_number,
        q.page_size,
        SECURITY_GROUP_MAX_PAGE_SIZE,
    );
    p
}

/// `DescribeSecurityGroupAttribute` parameters (all rules, both directions).
pub fn describe_security_group_attribute_params(region: &str, group_id: &str) -> Params {
    params_of([("RegionId", region), ("SecurityGroupId", group_id)])
}

/// `CreateSecurityGroup` parameters.
pub fn create_security_group_params(spec: &SecurityGroupSpec, client_token: &str) -> Params {
    let mut p = Params::new();
    push(&mut p, "RegionId", &spec.region);
    push_opt(&mut p, "VpcId", spec.vpc_id.as_deref());
    push_opt(&mut p, "SecurityGroupName", Some(spec.name.as_str()));
    push_opt(&mut p, "Description", spec.description.as_deref());
    push_tags(&mut p, &spec.tags);
    push(&mut p, "ClientToken", client_token);
    p
}

/// `DeleteSecurityGroup` parameters.
pub fn delete_security_group_params(region: &str, group_id: &str) -> Params {
    params_of([("RegionId", region), ("SecurityGroupId", group_id)])
}

fn permission_params(p: &mut Params, rule: &SecurityRule) {
    let pre = "Permissions.1.";
    let key = |k: &str| format!("{pre}{k}");
    push(p, &key("IpProtocol"), protocol_wire(&rule.protocol));
    let ports = match (&rule.protocol, rule.ports) {
        (Protocol::Tcp | Protocol::Udp, Some(r)) => format!("{}/{}", r.from, r.to),
        (Protocol::Tcp | Protocol::Udp, None) => "1/65535".to_string(),
        _ => "-1/-1".to_string(),
    };
    push(p, &key("PortRange"), ports);
    let egress = rule.direction == Direction::Egress;
    match &rule.peer {
        Peer::Cidr(c) => {
            let name = match (egress, c.contains(':')) {
                (false, false) => "SourceCidrIp",
                (false, true) => "Ipv6SourceCidrIp",
                (true, false) => "DestCidrIp",
                (true, true) => "Ipv6DestCidrIp",
            };
            push(p, &key(name), c);
        }
        Peer::SecurityGroup(g) => {
            push(
                p,
                &key(if egress {
                    "DestGroupId"
                } else {
                    "SourceGroupId"
                }),
                g,
            );
        }
        Peer::Other(prefix_list) => {
            push(
                p,
                &key(if egress {
                    "DestPrefixListId"
                } else {
                    "SourcePrefixListId"
                }),
                prefix_list,
            );
        }
    }
    push(
        p,
        &key("Policy"),
        if rule.action == RuleAction::Deny {
            "drop"
        } else {
            "accept"
        },
    );
    push_opt(p, &key("Priority"), rule.priority);
    push_opt(p, &key("Description"), rule.description.as_deref());
}

/// The action and parameters that add `rule` to a group:
/// `AuthorizeSecurityGroup` (ingress) or `AuthorizeSecurityGroupEgress`,
/// with the rule in the `Permissions.1.*` form.
pub fn authorize_security_group_params(
    region: &str,
    group_id: &str,
    rule: &SecurityRule,
    client_token: &str,
) -> (&'static str, Params) {
    let mut p = params_of([("RegionId", region), ("SecurityGroupId", group_id)]);
    permission_params(&mut p, rule);
    push(&mut p, "ClientToken", client_token);
    let action = if rule.direction == Direction::Egress {
        "AuthorizeSecurityGroupEgress"
    } else {
        "AuthorizeSecurityGroup"
    };
    (action, p)
}

/// The action and parameters that remove `rule`: `RevokeSecurityGroup` or
/// `RevokeSecurityGroupEgress`, by rule id when the rule has one
/// (`SecurityGroupRuleId.1`), else by its `Permissions.1.*` description.
pub fn revoke_security_group_params(
    region: &str,
    group_id: &str,
    rule: &SecurityRule,
) -> (&'static str, Params) {
    let mut p = params_of([("RegionId", region), ("SecurityGroupId", group_id)]);
    match &rule.id {
        Some(id) if !id.is_empty() => push(&mut p, "SecurityGroupRuleId.1", id),
        _ => permission_params(&mut p, rule),
    }
    let action = if rule.direction == Direction::Egress {
        "RevokeSecurityGroupEgress"
    } else {
        "RevokeSecurityGroup"
    };
    (action, p)
}

/// `DescribeVpcs` parameters (page-number style, `PageSize` up to 50;
/// up to 20 ids, comma-separated).
pub fn describe_vpcs_params(q: &ListNetwork, page_number: u32) -> Params {
    let mut p = params_of([("RegionId", &q.region)]);
    push_comma_ids(&mut p, "VpcId", &q.ids);
    push_tags(&mut p, &q.tags);
    push_page(&mut p, page_number, q.page_size, VPC_MAX_PAGE_SIZE);
    p
}

/// `CreateVpc` parameters.
pub fn create_vpc_params(spec: &VpcSpec, client_token: &str) -> Params {
    let mut p = Params::new();
    push(&mut p, "RegionId", &spec.region);
    push(&mut p, "CidrBlock", &spec.cidr);
    push_opt(&mut p, "VpcName", Some(spec.name.as_str()));
    push_tags(&mut p, &spec.tags);
    push(&mut p, "ClientToken", client_token);
    p
}

/// `DeleteVpc` parameters.
pub fn delete_vpc_params(region: &str, vpc_id: &str) -> Params {
    params_of([("RegionId", region), ("VpcId", vpc_id)])
}

/// `DescribeVSwitches` parameters (page-number style, `PageSize` up to 50).
/// The API filters by one `VSwitchId`; several ids are filtered client-side.
pub fn describe_vswitches_params(q: &ListNetwork, page_number: u32) -> Params {
    let mut p = params_of([("RegionId", &q.region)]);
    push_opt(&mut p, "VpcId", q.vpc_id.as_deref());
    if q.ids.len() == 1 {
        push(&mut p, "VSwitchId", &q.ids[0]);
    }
    push_tags(&mut p, &q.tags);
    push_page(&mut p, page_number, q.page_size, VPC_MAX_PAGE_SIZE);
    p
}

/// `CreateVSwitch` parameters.
pub fn create_vswitch_params(spec: &SubnetSpec, client_token: &str) -> Params {
    let mut p = Params::new();
    push(&mut p, "RegionId", &spec.region);
    push_opt(&mut p, "ZoneId", spec.zone.as_deref());
    push(&mut p, "VpcId", &spec.vpc_id);
    push(&mut p, "CidrBlock", &spec.cidr);
    push_opt(&mut p, "VSwitchName", Some(spec.name.as_str()));
    push_tags(&mut p, &spec.tags);
    push(&mut p, "ClientToken", client_token);
    p
}

/// `DeleteVSwitch` parameters.
pub fn delete_vswitch_params(region: &str, vswitch_id: &str) -> Params {
    params_of([("RegionId", region), ("VSwitchId", vswitch_id)])
}

/// `DescribeEipAddresses` parameters (page-number style, up to 100; up to
/// 50 allocation ids, comma-separated).
pub fn describe_eip_addresses_params(q: &ListNetwork, page_number: u32) -> Params {
    let mut p = params_of([("RegionId", &q.region)]);
    push_comma_ids(&mut p, "AllocationId", &q.ids);
    push_tags(&mut p, &q.tags);
    push_page(&mut p, page_number, q.page_size, EIP_MAX_PAGE_SIZE);
    p
}

/// `AllocateEipAddress` parameters (pay-as-you-go, billed by traffic).
pub fn allocate_eip_address_params(spec: &PublicIpSpec, client_token: &str) -> Params {
    let mut p = Params::new();
    push(&mut p, "RegionId", &spec.region);
    push_opt(&mut p, "Bandwidth", spec.bandwidth_mbps);
    push_opt(&mut p, "Name", spec.name.as_deref());
    push(&mut p, "InstanceChargeType", "PostPaid");
    push(&mut p, "InternetChargeType", "PayByTraffic");
    push_tags(&mut p, &spec.tags);
    push(&mut p, "ClientToken", client_token);
    p
}

/// The EIP and the ECS instance of an (un)association.
fn eip_binding_params(region: &str, allocation_id: &str, instance_id: &str) -> Params {
    params_of([
        ("RegionId", region),
        ("AllocationId", allocation_id),
        ("InstanceId", instance_id),
        ("InstanceType", "EcsInstance"),
    ])
}

/// `AssociateEipAddress` parameters for an ECS instance.
pub fn associate_eip_address_params(
    region: &str,
    allocation_id: &str,
    instance_id: &str,
) -> Params {
    eip_binding_params(region, allocation_id, instance_id)
}

/// `UnassociateEipAddress` parameters.
pub fn unassociate_eip_address_params(
    region: &str,
    allocation_id: &str,
    instance_id: &str,
) -> Params {
    eip_binding_params(region, allocation_id, instance_id)
}

/// `ReleaseEipAddress` parameters.
pub fn release_eip_address_params(region: &str, allocation_id: &str) -> Params {
    params_of([("RegionId", region), ("AllocationId", allocation_id)])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every documented EIP status.
    #[test]
    fn eip_states_table() {
        let table = [
            ("Associating", PublicIpState::InUse),
            ("Unassociating", PublicIpState::Available),
            ("InUse", PublicIpState::InUse),
            ("Available", PublicIpState::Available),
            ("Releasing", PublicIpState::Releasing),
            ("Frozen", PublicIpState::Unknown),
        ];
        for (raw, want) in table {
            assert_eq!(public_ip_state(raw), want, "{raw}");
        }
    }

    #[test]
    fn ports_and_protocols() {
        assert_eq!(parse_port_range("22/22"), Some(PortRange::single(22)));
        assert_eq!(parse_port_range("1/65535"), Some(PortRange::all()));
        assert_eq!(parse_port_range("-1/-1"), None);
        assert_eq!(parse_port_range("x"), None);
        assert_eq!(protocol_of("tcp"), Protocol::Tcp);
        assert_eq!(protocol_of("ICMPv6"), Protocol::Icmpv6);
        assert_eq!(protocol_of("GRE"), Protocol::Other("GRE".into()));
        assert_eq!(protocol_of("ALL"), Protocol::All);
    }

    #[test]
    fn rules_round_trip_to_params() {
        let rule = SecurityRule {
            id: None,
            direction: Direction::Egress,
            action: RuleAction::Deny,
            protocol: Protocol::Tcp,
            ports: Some(PortRange { from: 80, to: 443 }),
            peer: Peer::Cidr("2001:db8::/32".into()),
            priority: Some(5),
            description: Some("no web".into()),
        };
        let (action, p) = authorize_security_group_params("cn-hangzhou", "sg-1", &rule, "t");
        assert_eq!(action, "AuthorizeSecurityGroupEgress");
        for kv in [
            ("Permissions.1.IpProtocol", "TCP"),
            ("Permissions.1.PortRange", "80/443"),
            ("Permissions.1.Ipv6DestCidrIp", "2001:db8::/32"),
            ("Permissions.1.Policy", "drop"),
            ("Permissions.1.Priority", "5"),
            ("ClientToken", "t"),
        ] {
            assert!(
                p.contains(&(kv.0.to_string(), kv.1.to_string())),
                "{kv:?} in {p:?}"
            );
        }
        let with_id = SecurityRule {
            id: Some("sgr-1".into()),
            direction: Direction::Ingress,
            ..rule
        };
        let (action, p) = revoke_security_group_params("cn-hangzhou", "sg-1", &with_id);
        assert_eq!(action, "RevokeSecurityGroup");
        assert!(p.contains(&("SecurityGroupRuleId.1".into(), "sgr-1".into())));
        assert!(!p.iter().any(|(k, _)| k.starts_with("Permissions")));
    }

    /// Bodies shaped after the SDK models (`DescribeVpcsResponseBody`,
    /// `DescribeVSwitchesResponseBody` of alibabacloud-vpc20160428).
    #[test]
    fn vpcs_and_vswitches() {
        let r: DescribeVpcsResponse = serde_json::from_str(
            r#"{"TotalCount":2,"PageNumber":1,"PageSize":50,"RequestId":"r",
               "Vpcs":{"Vpc":[{"VpcId":"vpc-1","VpcName":"main","CidrBlock":"172.16.0.0/12",
               "IsDefault":true,"Status":"Available","RegionId":"cn-hangzhou",
               "CreationTime":"2018-04-18T15:02:37Z","Tags":{"Tag":[{"Key":"env","Value":"prod"}]}},
               {"VpcName":"no id"}]}}"#,
        )
        .unwrap();
        assert_eq!(r.total_count, Some(2));
        let v = r.to_vpcs("x");
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].region, "cn-hangzhou");
        assert!(v[0].is_default);
        assert_eq!(v[0].raw_state.as_deref(), Some("Available"));
        assert_eq!(v[0].tags.get("env").map(String::as_str), Some("prod"));
        let r: DescribeVSwitchesResponse = serde_json::from_str(
            r#"{"VSwitches":{"VSwitch":[{"VSwitchId":"vsw-1","VpcId":"vpc-1","ZoneId":"cn-hangzhou-b",
               "CidrBlock":"172.16.0.0/24","AvailableIpAddressCount":"250","Status":"Available"}]}}"#,
        )
        .unwrap();
        let s = r.to_subnets("cn-hangzhou");
        assert_eq!(s[0].available_ips, Some(250));
        assert_eq!(s[0].zone.as_deref(), Some("cn-hangzhou-b"));
        assert_eq!(s[0].vpc_id, "vpc-1");
        let q = ListNetwork {
            region: "cn-hangzhou".into(),
            ids: vec!["vpc-1".into(), "vpc-2".into()],
            page_size: Some(100),
            ..Default::default()
        };
        let p = describe_vpcs_params(&q, 2);
        assert!(p.contains(&("VpcId".into(), "vpc-1,vpc-2".into())));
        assert!(p.contains(&("PageSize".into(), "50".into())));
    }

    #[test]
    fn wire_rule_to_model() {
        let w: PermissionWire = serde_json::from_str(
            r#"{"Direction":"ingress","Policy":"Drop","IpProtocol":"ICMP","PortRange":"-1/-1",
                "SourceGroupId":"sg-2","Priority":"100"}"#,
        )
        .unwrap();
        let r = w.to_rule();
        assert_eq!(r.action, RuleAction::Deny);
        assert_eq!(r.protocol, Protocol::Icmp);
        assert_eq!(r.ports, None);
        assert_eq!(r.peer, Peer::SecurityGroup("sg-2".into()));
        assert_eq!(r.priority, Some(100));
    }
}
