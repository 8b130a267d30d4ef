//! Network: VPCs, subnets, security groups and rules, public IPs.

use serde::{Deserialize, Serialize};

use super::{ProviderKind, Tags, Timestamp};

/// A virtual private cloud (VPC, virtual network).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vpc {
    /// Which cloud.
    pub provider: ProviderKind,
    /// Region id.
    pub region: String,
    /// Native id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Primary IPv4 CIDR block.
    pub cidr: Option<String>,
    /// Whether it is the region's default VPC.
    pub is_default: bool,
    /// The cloud's state string, where it has one.
    pub raw_state: Option<String>,
    /// When it was created.
    pub created_at: Option<Timestamp>,
    /// Tags.
    pub tags: Tags,
}

/// A subnet (Alibaba: VSwitch).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subnet {
    /// Which cloud.
    pub provider: ProviderKind,
    /// Region id.
    pub region: String,
    /// Zone id, where subnets are zonal.
    pub zone: Option<String>,
    /// Native id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Parent VPC id.
    pub vpc_id: String,
    /// IPv4 CIDR block.
    pub cidr: String,
    /// Free addresses, where reported.
    pub available_ips: Option<u64>,
    /// The cloud's state string, where it has one.
    pub raw_state: Option<String>,
    /// When it was created.
    pub created_at: Option<Timestamp>,
    /// Tags.
    pub tags: Tags,
}

/// Traffic direction of a rule.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Inbound to the group's members.
    Ingress,
    /// Outbound from the group's members.
    Egress,
}

/// What a rule does with matching traffic.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleAction {
    /// Let it through.
    Allow,
    /// Drop it (not every cloud supports deny rules).
    Deny,
}

/// IP protocol of a rule.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    /// Every protocol.
    All,
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
    /// ICMP (IPv4).
    Icmp,
    /// ICMPv6.
    Icmpv6,
    /// Another protocol, by its number or the cloud's name.
    Other(String),
}

/// An inclusive port range; `None` on a rule means all ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PortRange {
    /// First port.
    pub from: u16,
    /// Last port (equal to `from` for one port).
    pub to: u16,
}

impl PortRange {
    /// One port.
    pub fn single(port: u16) -> Self {
        PortRange {
            from: port,
            to: port,
        }
    }

    /// Every port (1-65535).
    pub fn all() -> Self {
        PortRange { from: 1, to: 65535 }
    }
}

/// Who the rule admits or targets.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Peer {
    /// An IPv4 or IPv6 CIDR block.
    Cidr(String),
    /// Members of another security group.
    SecurityGroup(String),
    /// A cloud-specific peer (prefix list, address set, service tag).
    Other(String),
}

/// A security group rule.
///
/// **Priority rule**: `priority` is `Some(n)` on clouds whose rules have an
/// order, and a lower `n` is evaluated first on every cloud. Alibaba and
/// Huawei priorities (1-100) and Azure NSG priorities (100-4096) are kept
/// as they are; Tencent's zero-based `PolicyIndex` becomes `index + 1`.
/// Clouds where rules are an unordered allow-set (AWS, OpenStack) report
/// `None`. See `docs/decisions/0004-security-rule-priority.md`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityRule {
    /// Native rule id, where the cloud gives rules ids.
    pub id: Option<String>,
    /// Inbound or outbound.
    pub direction: Direction,
    /// Allow or deny.
    pub action: RuleAction,
    /// IP protocol.
    pub protocol: Protocol,
    /// Port range; `None` means all ports (or not applicable, for ICMP).
    pub ports: Option<PortRange>,
    /// Source (ingress) or destination (egress).
    pub peer: Peer,
    /// Normalized priority: lower is evaluated first.
    pub priority: Option<u32>,
    /// Description.
    pub description: Option<String>,
}

/// A security group (firewall) with its rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityGroup {
    /// Which cloud.
    pub provider: ProviderKind,
    /// Region id.
    pub region: String,
    /// Native id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// VPC it belongs to, where groups are VPC-scoped.
    pub vpc_id: Option<String>,
    /// Its rules (both directions).
    pub rules: Vec<SecurityRule>,
    /// When it was created.
    pub created_at: Option<Timestamp>,
    /// Tags.
    pub tags: Tags,
}

/// Normalized public IP state.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PublicIpState {
    /// Being allocated.
    Allocating,
    /// Allocated and unbound.
    Available,
    /// Bound to an instance or interface.
    InUse,
    /// Being released.
    Releasing,
    /// Failed.
    Error,
    /// A value the SDK does not know; see the raw state.
    Unknown,
}

/// An elastic / floating public IP.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicIp {
    /// Which cloud.
    pub provider: ProviderKind,
    /// Region id.
    pub region: String,
    /// Native allocation id.
    pub id: String,
    /// Display name, where the cloud has one.
    pub name: Option<String>,
    /// The address.
    pub address: String,
    /// Normalized state.
    pub state: PublicIpState,
    /// The cloud's own state string (or a derived one where the cloud has none).
    pub raw_state: String,
    /// Instance it is bound to.
    pub instance_id: Option<String>,
    /// Bandwidth cap in Mbit/s, where the cloud sets one.
    pub bandwidth_mbps: Option<u32>,
    /// Billing model.
    pub charge_type: super::ChargeType,
    /// When it was allocated.
    pub created_at: Option<Timestamp>,
    /// Tags.
    pub tags: Tags,
}

/// What VPC to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct VpcSpec {
    /// Region.
    pub region: String,
    /// Display name.
    pub name: String,
    /// IPv4 CIDR block.
    pub cidr: String,
    /// Tags.
    pub tags: Tags,
    /// Idempotency token, where the cloud takes one.
    pub client_token: Option<String>,
}

/// What subnet to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SubnetSpec {
    /// Region.
    pub region: String,
    /// Zone (required by most clouds).
    pub zone: Option<String>,
    /// Parent VPC.
    pub vpc_id: String,
    /// Display name.
    pub name: String,
    /// IPv4 CIDR block, inside the VPC's.
    pub cidr: String,
    /// Tags.
    pub tags: Tags,
    /// Idempotency token, where the cloud takes one.
    pub client_token: Option<String>,
}

/// What security group to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SecurityGroupSpec {
    /// Region.
    pub region: String,
    /// VPC, where groups are VPC-scoped.
    pub vpc_id: Option<String>,
    /// Display name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Tags.
    pub tags: Tags,
    /// Idempotency token, where the cloud takes one.
    pub client_token: Option<String>,
}

/// What public IP to allocate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PublicIpSpec {
    /// Region.
    pub region: String,
    /// Display name, where supported.
    pub name: Option<String>,
    /// Bandwidth cap in Mbit/s, where the cloud sets one.
    pub bandwidth_mbps: Option<u32>,
    /// Tags.
    pub tags: Tags,
    /// Idempotency token, where the cloud takes one.
    pub client_token: Option<String>,
}

/// A region-scoped list query for network resources.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ListNetwork {
    /// Region to list.
    pub region: String,
    /// Only these ids (all when empty).
    pub ids: Vec<String>,
    /// Only children of this VPC (subnets, security groups).
    pub vpc_id: Option<String>,
    /// Only resources carrying all of these tags.
    pub tags: Tags,
    /// Page size override.
    pub page_size: Option<u32>,
}
