//! EC2 networking: VPCs, subnets, security groups and their rules,
//! elastic IPs.

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    DomainType, Filter, IpPermission, IpRange, Ipv6Range, PrefixListId, ResourceType,
    UserIdGroupPair,
};

use super::AwsProvider;
use super::client::{ec2_tags, new_client_token, ok_if_gone, paged, sdk_error};
use super::compute::{id_filter, marked_spec, marker_filter, name_tag, page, tag_filters};
use super::create::{create_once, ec2_single_attempt};
use crate::error::{Error, Result};
use crate::model::{
    ChargeType, Direction, ListNetwork, Peer, PortRange, Protocol, ProviderKind, PublicIp,
    PublicIpSpec, PublicIpState, RuleAction, SecurityGroup, SecurityGroupSpec, SecurityRule,
    Subnet, SubnetSpec, Vpc, VpcSpec,
};
use crate::traits::{Network, ResultStream};

/// Page bounds of `DescribeVpcs`, `DescribeSubnets`, `DescribeSecurityGroups`
/// (5..=1000).
const NET_PAGE: (u32, u32) = (5, 1000);

/// An elastic IP's state. EC2 `Address` has no state field: an address
/// with an `AssociationId` is bound (`associated` → `InUse`), one without is
/// free (`unassociated` → `Available`). Returns the derived raw value too.
pub fn public_ip_state(association_id: Option<&str>) -> (PublicIpState, &'static str) {
    match association_id {
        Some(a) if !a.is_empty() => (PublicIpState::InUse, "associated"),
        _ => (PublicIpState::Available, "unassociated"),
    }
}

fn vpc_from(region: &str, v: &aws_sdk_ec2::types::Vpc) -> Vpc {
    let tags = ec2_tags(v.tags());
    Vpc {
        provider: ProviderKind::Aws,
        region: region.to_string(),
        id: v.vpc_id().unwrap_or_default().to_string(),
        name: name_tag(&tags),
        cidr: v.cidr_block().map(str::to_string),
        is_default: v.is_default().unwrap_or(false),
        raw_state: v.state().map(|s| s.as_str().to_string()),
        created_at: None,
        tags,
    }
}

fn subnet_from(region: &str, s: &aws_sdk_ec2::types::Subnet) -> Subnet {
    let tags = ec2_tags(s.tags());
    Subnet {
        provider: ProviderKind::Aws,
        region: region.to_string(),
        zone: s.availability_zone().map(str::to_string),
        id: s.subnet_id().unwrap_or_default().to_string(),
        name: name_tag(&tags),
        vpc_id: s.vpc_id().unwrap_or_default().to_string(),
        cidr: s.cidr_block().unwrap_or_default().to_string(),
        available_ips: s
            .available_ip_address_count()
            .and_then(|n| u64::try_from(n).ok()),
        raw_state: s.state().map(|x| x.as_str().to_string()),
        created_at: None,
        tags,
    }
}

/// EC2 `IpProtocol` (name or number; `-1` for all) to the model.
pub fn protocol_from(p: &str) -> Protocol {
    match p.to_ascii_lowercase().as_str() {
        "-1" | "all" => Protocol::All,
        "tcp" | "6" => Protocol::Tcp,
        "udp" | "17" => Protocol::Udp,
        "icmp" | "1" => Protocol::Icmp,
        "icmpv6" | "58" => Protocol::Icmpv6,
        other => Protocol::Other(other.to_string()),
    }
}

fn protocol_to(p: &Protocol) -> String {
    match p {
        Protocol::All => "-1".into(),
        Protocol::Tcp => "tcp".into(),
        Protocol::Udp => "udp".into(),
        Protocol::Icmp => "icmp".into(),
        Protocol::Icmpv6 => "icmpv6".into(),
        Protocol::Other(s) => s.clone(),
    }
}

/// Expand one `IpPermission` into one rule per peer. TCP/UDP port ranges
/// become `ports`; ICMP type/code and "all protocols" have `ports: None`.
pub fn rules_from_permission(dir: Direction, p: &IpPermission) -> Vec<SecurityRule> {
    let protocol = protocol_from(p.ip_protocol().unwrap_or("-1"));
    let ports = match (&protocol, p.from_port(), p.to_port()) {
        (Protocol::Tcp | Protocol::Udp, Some(f), Some(t)) if f >= 0 && t >= 0 => Some(PortRange {
            from: u16::try_from(f).unwrap_or(0),
            to: u16::try_from(t).unwrap_or(u16::MAX),
        }),
        _ => None,
    };
    let rule = |peer: Peer, description: Option<&str>| SecurityRule {
        id: None,
        direction: dir,
        action: RuleAction::Allow,
        protocol: protocol.clone(),
        ports,
        peer,
        priority: None,
        description: description.map(str::to_string),
    };
    let mut out = Vec::new();
    for r in p.ip_ranges() {
        if let Some(c) = r.cidr_ip() {
            out.push(rule(Peer::Cidr(c.to_string()), r.description()));
        }
    }
    for r in p.ipv6_ranges() {
        if let Some(c) = r.cidr_ipv6() {
            out.push(rule(Peer::Cidr(c.to_string()), r.description()));
        }
    }
    for g in p.user_id_group_pairs() {
        if let Some(id) = g.group_id() {
            out.push(rule(Peer::SecurityGroup(id.to_string()), g.description()));
        }
    }
    for l in p.prefix_list_ids() {
        if let Some(id) = l.prefix_list_id() {
            out.push(rule(Peer::Other(id.to_string()), l.description()));
        }
    }
    out
}

/// One rule as an `IpPermission` for authorize/revoke.
pub fn permission_from_rule(rule: &SecurityRule) -> Result<IpPermission> {
    if rule.action != RuleAction::Allow {
        return Err(Error::unsupported(
            "AWS security groups hold allow rules only (use network ACLs for deny)",
        )
        .with_provider("aws"));
    }
    let (from, to) = match (&rule.protocol, rule.ports) {
        (Protocol::Tcp | Protocol::Udp, Some(p)) => (i32::from(p.from), i32::from(p.to)),
        (Protocol::Tcp | Protocol::Udp, None) => (0, 65535),
        _ => (-1, -1),
    };
    let mut b = IpPermission::builder()
        .ip_protocol(protocol_to(&rule.protocol))
        .from_port(from)
        .to_port(to);
    let desc = rule.description.clone();
    b = match &rule.peer {
        Peer::Cidr(c) if c.contains(':') => b.ipv6_ranges(
            Ipv6Range::builder()
                .cidr_ipv6(c)
                .set_description(desc)
                .build(),
        ),
        Peer::Cidr(c) => b.ip_ranges(IpRange::builder().cidr_ip(c).set_description(desc).build()),
        Peer::SecurityGroup(g) => b.user_id_group_pairs(
            UserIdGroupPair::builder()
                .group_id(g)
                .set_description(desc)
                .build(),
        ),
        Peer::Other(p) => b.prefix_list_ids(
            PrefixListId::builder()
                .prefix_list_id(p)
                .set_description(desc)
                .build(),
        ),
    };
    Ok(b.build())
}

fn group_from(region: &str, g: &aws_sdk_ec2::types::SecurityGroup) -> SecurityGroup {
    let mut rules = Vec::new();
    for p in g.ip_permissions() {
        rules.extend(rules_from_permission(Direction::Ingress, p));
    }
    for p in g.ip_permissions_egress() {
        rules.extend(rules_from_permission(Direction::Egress, p));
    }
    SecurityGroup {
        provider: ProviderKind::Aws,
        region: region.to_string(),
        id: g.group_id().unwrap_or_default().to_string(),
        name: g.group_name().unwrap_or_default().to_string(),
        description: g.description().map(str::to_string),
        vpc_id: g.vpc_id().map(str::to_string),
        rules,
        created_at: None,
        tags: ec2_tags(g.tags()),
    }
}

fn address_from(region: &str, a: &aws_sdk_ec2::types::Address) -> PublicIp {
    let tags = ec2_tags(a.tags());
    let (state, raw) = public_ip_state(a.association_id());
    PublicIp {
        provider: ProviderKind::Aws,
        region: region.to_string(),
        id: a
            .allocation_id()
            .or(a.public_ip())
            .unwrap_or_default()
            .to_string(),
        name: tags.get("Name").cloned(),
        address: a.public_ip().unwrap_or_default().to_string(),
        state,
        raw_state: raw.to_string(),
        instance_id: a
            .instance_id()
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        bandwidth_mbps: None,
        charge_type: ChargeType::PostPaid,
        created_at: None,
        tags,
    }
}

fn vpc_filter(q: &ListNetwork) -> Vec<Filter> {
    let mut f = tag_filters(&q.tags);
    if let Some(v) = &q.vpc_id {
        f.push(Filter::builder().name("vpc-id").values(v).build());
    }
    f
}

#[async_trait]
impl Network for AwsProvider {
    /// EC2 `DescribeVpcs`, MaxResults 200 unless the query names a page size (API maximum 1000), every page.
    fn vpcs<'a>(&'a self, q: &'a ListNetwork) -> ResultStream<'a, Vpc> {
        let client = self.ec2(&q.region);
        paged(move |token| {
            let client = client.clone();
            async move {
                self.throttle(&q.region, "DescribeVpcs", false).await;
                let mut f = tag_filters(&q.tags);
                f.extend(id_filter("vpc-id", &q.ids));
                let mut req = client
                    .describe_vpcs()
                    .set_filters(Some(f).filter(|f| !f.is_empty()))
                    .set_next_token(token);
                // Ids as a filter, not `vpc_ids`: an unknown id is then
                // simply absent instead of failing the whole list.
                req = req.max_results(page(q.page_size, NET_PAGE));
                let out = req
                    .send()
                    .await
                    .map_err(|e| sdk_error("ec2", "DescribeVpcs", Some(&q.region), e))?;
                let items = out.vpcs().iter().map(|v| vpc_from(&q.region, v)).collect();
                Ok((items, out.next_token().map(str::to_string)))
            }
        })
    }

    /// EC2 `CreateVpc` (Name tag from `spec.name`), tagged with a create
    /// marker: an unanswered attempt is followed by `DescribeVpcs` for the
    /// marker before any resend (see `create.rs`).
    async fn create_vpc(&self, spec: &VpcSpec) -> Result<Vpc> {
        self.guard("ec2", "CreateVpc")?;
        let region = spec.region.as_str();
        let marker = new_client_token();
        let client = self.ec2(region);
        let send = || async {
            self.throttle(region, "CreateVpc", true).await;
            let out = client
                .create_vpc()
                .cidr_block(&spec.cidr)
                .set_tag_specifications(Some(vec![marked_spec(
                    ResourceType::Vpc,
                    Some(&spec.name),
                    &spec.tags,
                    &marker,
                )]))
                .customize()
                .config_override(ec2_single_attempt())
                .send()
                .await
                .map_err(|e| sdk_error("ec2", "CreateVpc", Some(region), e))?;
            out.vpc()
                .map(|v| vpc_from(region, v))
                .ok_or_else(|| Error::decode("CreateVpc returned no VPC").with_provider("aws"))
        };
        let find = || async {
            self.throttle(region, "DescribeVpcs", false).await;
            let out = client
                .describe_vpcs()
                .filters(marker_filter(&marker))
                .send()
                .await
                .map_err(|e| sdk_error("ec2", "DescribeVpcs", Some(region), e))?;
            Ok(out.vpcs().first().map(|v| vpc_from(region, v)))
        };
        create_once(self.max_attempts(), false, send, find).await
    }

    /// EC2 `DeleteVpc`; `DependencyViolation` is `Conflict`, missing is `Ok`.
    async fn delete_vpc(&self, region: &str, id: &str) -> Result<()> {
        self.guard("ec2", "DeleteVpc")?;
        self.throttle(region, "DeleteVpc", true).await;
        ok_if_gone(
            self.ec2(region)
                .delete_vpc()
                .vpc_id(id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| sdk_error("ec2", "DeleteVpc", Some(region), e)),
            &["InvalidVpcID.NotFound"],
        )
    }

    /// EC2 `DescribeSubnets`, MaxResults 200 unless the query names a page size (API maximum 1000), every page.
    fn subnets<'a>(&'a self, q: &'a ListNetwork) -> ResultStream<'a, Subnet> {
        let client = self.ec2(&q.region);
        paged(move |token| {
            let client = client.clone();
            async move {
                self.throttle(&q.region, "DescribeSubnets", false).await;
                let mut f = vpc_filter(q);
                f.extend(id_filter("subnet-id", &q.ids));
                let mut req = client
                    .describe_subnets()
                    .set_filters(Some(f).filter(|f| !f.is_empty()))
                    .set_next_token(token);
                // Ids as a filter, not `subnet_ids`: an unknown id is then
                // simply absent instead of failing the whole list.
                req = req.max_results(page(q.page_size, NET_PAGE));
                let out = req
                    .send()
                    .await
                    .map_err(|e| sdk_error("ec2", "DescribeSubnets", Some(&q.region), e))?;
                let items = out
                    .subnets()
                    .iter()
                    .map(|s| subnet_from(&q.region, s))
                    .collect();
                Ok((items, out.next_token().map(str::to_string)))
            }
        })
    }

    /// EC2 `CreateSubnet`, tagged with a create marker: an unanswered
    /// attempt is followed by `DescribeSubnets` for the marker before any
    /// resend (see `create.rs`).
    async fn create_subnet(&self, spec: &SubnetSpec) -> Result<Subnet> {
        self.guard("ec2", "CreateSubnet")?;
        let region = spec.region.as_str();
        let marker = new_client_token();
        let client = self.ec2(region);
        let send = || async {
            self.throttle(region, "CreateSubnet", true).await;
            let out = client
                .create_subnet()
                .vpc_id(&spec.vpc_id)
                .cidr_block(&spec.cidr)
                .set_availability_zone(spec.zone.clone())
                .set_tag_specifications(Some(vec![marked_spec(
                    ResourceType::Subnet,
                    Some(&spec.name),
                    &spec.tags,
                    &marker,
                )]))
                .customize()
                .config_override(ec2_single_attempt())
                .send()
                .await
                .map_err(|e| sdk_error("ec2", "CreateSubnet", Some(region), e))?;
            out.subnet().map(|s| subnet_from(region, s)).ok_or_else(|| {
                Error::decode("CreateSubnet returned no subnet").with_provider("aws")
            })
        };
        let find = || async {
            self.throttle(region, "DescribeSubnets", false).await;
            let out = client
                .describe_subnets()
                .filters(marker_filter(&marker))
                .send()
                .await
                .map_err(|e| sdk_error("ec2", "DescribeSubnets", Some(region), e))?;
            Ok(out.subnets().first().map(|s| subnet_from(region, s)))
        };
        create_once(self.max_attempts(), false, send, find).await
    }

    /// EC2 `DeleteSubnet`; missing is `Ok`.
    async fn delete_subnet(&self, region: &str, id: &str) -> Result<()> {
        self.guard("ec2", "DeleteSubnet")?;
        self.throttle(region, "DeleteSubnet", true).await;
        ok_if_gone(
            self.ec2(region)
                .delete_subnet()
                .subnet_id(id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| sdk_error("ec2", "DeleteSubnet", Some(region), e)),
            &["InvalidSubnetID.NotFound"],
        )
    }

    /// EC2 `DescribeSecurityGroups`, MaxResults 200 by default (up to 1000), every page; rules come
    /// from each group's `IpPermissions` / `IpPermissionsEgress` (no extra call).
    fn security_groups<'a>(&'a self, q: &'a ListNetwork) -> ResultStream<'a, SecurityGroup> {
        let client = self.ec2(&q.region);
        paged(move |token| {
            let client = client.clone();
            async move {
                self.throttle(&q.region, "DescribeSecurityGroups", false)
                    .await;
                let mut f = vpc_filter(q);
                f.extend(id_filter("group-id", &q.ids));
                let mut req = client
                    .describe_security_groups()
                    .set_filters(Some(f).filter(|f| !f.is_empty()))
                    .set_next_token(token);
                // Ids as a filter, not `group_ids`: an unknown id is then
                // simply absent instead of failing the whole list.
                req = req.max_results(page(q.page_size, NET_PAGE));
                let out = req
                    .send()
                    .await
                    .map_err(|e| sdk_error("ec2", "DescribeSecurityGroups", Some(&q.region), e))?;
                let items = out
                    .security_groups()
                    .iter()
                    .map(|g| group_from(&q.region, g))
                    .collect();
                Ok((items, out.next_token().map(str::to_string)))
            }
        })
    }

    async fn security_group(&self, region: &str, id: &str) -> Result<SecurityGroup> {
        self.throttle(region, "DescribeSecurityGroups", false).await;
        let out = self
            .ec2(region)
            .describe_security_groups()
            .group_ids(id)
            .send()
            .await
            .map_err(|e| sdk_error("ec2", "DescribeSecurityGroups", Some(region), e))?;
        out.security_groups()
            .iter()
            .find(|g| g.group_id() == Some(id))
            .map(|g| group_from(region, g))
            .ok_or_else(|| {
                Error::not_found(format!("security group {id} not found"))
                    .with_provider("aws")
                    .with_region(region)
            })
    }

    /// EC2 `CreateSecurityGroup` (the description defaults to the name: EC2
    /// requires one), tagged with a create marker, then
    /// `DescribeSecurityGroups` for its default rules. An unanswered attempt
    /// is followed by `DescribeSecurityGroups` for the marker before any
    /// resend, and an `InvalidGroup.Duplicate` after one resolves to the
    /// group carrying the marker (see `create.rs`).
    async fn create_security_group(&self, spec: &SecurityGroupSpec) -> Result<SecurityGroup> {
        self.guard("ec2", "CreateSecurityGroup")?;
        let region = spec.region.as_str();
        let desc = spec
            .description
            .clone()
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| spec.name.clone());
        let marker = new_client_token();
        let client = self.ec2(region);
        let send = || async {
            self.throttle(region, "CreateSecurityGroup", true).await;
            let out = client
                .create_security_group()
                .group_name(&spec.name)
                .description(&desc)
                .set_vpc_id(spec.vpc_id.clone())
                .set_tag_specifications(Some(vec![marked_spec(
                    ResourceType::SecurityGroup,
                    None,
                    &spec.tags,
                    &marker,
                )]))
                .customize()
                .config_override(ec2_single_attempt())
                .send()
                .await
                .map_err(|e| sdk_error("ec2", "CreateSecurityGroup", Some(region), e))?;
            out.group_id().map(str::to_string).ok_or_else(|| {
                Error::decode("CreateSecurityGroup returned no GroupId").with_provider("aws")
            })
        };
        let find = || async {
            self.throttle(region, "DescribeSecurityGroups", false).await;
            let out = client
                .describe_security_groups()
                .filters(marker_filter(&marker))
                .send()
                .await
                .map_err(|e| sdk_error("ec2", "DescribeSecurityGroups", Some(region), e))?;
            Ok(out
                .security_groups()
                .first()
                .and_then(|g| g.group_id().map(str::to_string)))
        };
        let id = create_once(self.max_attempts(), false, send, find).await?;
        self.security_group(region, &id).await
    }

    /// EC2 `DeleteSecurityGroup`; missing is `Ok`.
    async fn delete_security_group(&self, region: &str, id: &str) -> Result<()> {
        self.guard("ec2", "DeleteSecurityGroup")?;
        self.throttle(region, "DeleteSecurityGroup", true).await;
        ok_if_gone(
            self.ec2(region)
                .delete_security_group()
                .group_id(id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| sdk_error("ec2", "DeleteSecurityGroup", Some(region), e)),
            &["InvalidGroup.NotFound"],
        )
    }

    /// EC2 `AuthorizeSecurityGroupIngress` / `AuthorizeSecurityGroupEgress`.
    async fn authorize_rule(
        &self,
        region: &str,
        group_id: &str,
        rule: &SecurityRule,
    ) -> Result<()> {
        let action = match rule.direction {
            Direction::Egress => "AuthorizeSecurityGroupEgress",
            _ => "AuthorizeSecurityGroupIngress",
        };
        self.guard("ec2", action)?;
        self.throttle(region, action, true).await;
        let perm = permission_from_rule(rule)?;
        let client = self.ec2(region);
        match rule.direction {
            Direction::Egress => client
                .authorize_security_group_egress()
                .group_id(group_id)
                .ip_permissions(perm)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| sdk_error("ec2", action, Some(region), e)),
            _ => client
                .authorize_security_group_ingress()
                .group_id(group_id)
                .ip_permissions(perm)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| sdk_error("ec2", action, Some(region), e)),
        }
    }

    /// EC2 `RevokeSecurityGroupIngress` / `RevokeSecurityGroupEgress`, by
    /// `SecurityGroupRuleIds` when the rule has an id, else by permission.
    /// A rule that is not there is `Ok`.
    async fn revoke_rule(&self, region: &str, group_id: &str, rule: &SecurityRule) -> Result<()> {
        let action = match rule.direction {
            Direction::Egress => "RevokeSecurityGroupEgress",
            _ => "RevokeSecurityGroupIngress",
        };
        self.guard("ec2", action)?;
        self.throttle(region, action, true).await;
        let client = self.ec2(region);
        let perm = match &rule.id {
            Some(_) => None,
            None => Some(permission_from_rule(rule)?),
        };
        let r = match rule.direction {
            Direction::Egress => client
                .revoke_security_group_egress()
                .group_id(group_id)
                .set_security_group_rule_ids(rule.id.clone().map(|i| vec![i]))
                .set_ip_permissions(perm.map(|p| vec![p]))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| sdk_error("ec2", action, Some(region), e)),
            _ => client
                .revoke_security_group_ingress()
                .group_id(group_id)
                .set_security_group_rule_ids(rule.id.clone().map(|i| vec![i]))
                .set_ip_permissions(perm.map(|p| vec![p]))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| sdk_error("ec2", action, Some(region), e)),
        };
        match r {
            Err(e) if e.code() == Some("InvalidPermission.NotFound") => Ok(()),
            other => other,
        }
    }

    /// EC2 `DescribeAddresses` (not paginated by the API).
    fn public_ips<'a>(&'a self, q: &'a ListNetwork) -> ResultStream<'a, PublicIp> {
        let client = self.ec2(&q.region);
        paged(move |_token| {
            let client = client.clone();
            async move {
                self.throttle(&q.region, "DescribeAddresses", false).await;
                let mut f = tag_filters(&q.tags);
                f.extend(id_filter("allocation-id", &q.ids));
                let out = client
                    .describe_addresses()
                    .set_filters(Some(f).filter(|f| !f.is_empty()))
                    .send()
                    .await
                    .map_err(|e| sdk_error("ec2", "DescribeAddresses", Some(&q.region), e))?;
                let items = out
                    .addresses()
                    .iter()
                    .map(|a| address_from(&q.region, a))
                    .collect();
                Ok((items, None))
            }
        })
    }

    /// EC2 `AllocateAddress` (`Domain=vpc`), tagged with a create marker:
    /// an unanswered attempt is followed by `DescribeAddresses` for the
    /// marker before any resend (see `create.rs`).
    async fn allocate_public_ip(&self, spec: &PublicIpSpec) -> Result<PublicIp> {
        self.guard("ec2", "AllocateAddress")?;
        let region = spec.region.as_str();
        let marker = new_client_token();
        let client = self.ec2(region);
        let send = || async {
            self.throttle(region, "AllocateAddress", true).await;
            client
                .allocate_address()
                .domain(DomainType::Vpc)
                .set_tag_specifications(Some(vec![marked_spec(
                    ResourceType::ElasticIp,
                    spec.name.as_deref(),
                    &spec.tags,
                    &marker,
                )]))
                .customize()
                .config_override(ec2_single_attempt())
                .send()
                .await
                .map(Ok)
                .map_err(|e| sdk_error("ec2", "AllocateAddress", Some(region), e))
        };
        let find = || async {
            self.throttle(region, "DescribeAddresses", false).await;
            let out = client
                .describe_addresses()
                .filters(marker_filter(&marker))
                .send()
                .await
                .map_err(|e| sdk_error("ec2", "DescribeAddresses", Some(region), e))?;
            Ok(out
                .addresses()
                .first()
                .map(|a| Err(Box::new(address_from(region, a)))))
        };
        let out = match create_once(self.max_attempts(), false, send, find).await? {
            Ok(out) => out,
            Err(found) => return Ok(*found),
        };
        let (state, raw) = public_ip_state(None);
        let mut tags = spec.tags.clone();
        if let Some(n) = &spec.name {
            tags.entry("Name".into()).or_insert_with(|| n.clone());
        }
        Ok(PublicIp {
            provider: ProviderKind::Aws,
            region: spec.region.clone(),
            id: out
                .allocation_id()
                .or(out.public_ip())
                .unwrap_or_default()
                .to_string(),
            name: spec.name.clone(),
            address: out.public_ip().unwrap_or_default().to_string(),
            state,
            raw_state: raw.to_string(),
            instance_id: None,
            bandwidth_mbps: None,
            charge_type: ChargeType::PostPaid,
            created_at: None,
            tags,
        })
    }

    /// EC2 `AssociateAddress` by allocation id.
    async fn associate_public_ip(
        &self,
        region: &str,
        ip_id: &str,
        instance_id: &str,
    ) -> Result<()> {
        self.guard("ec2", "AssociateAddress")?;
        self.throttle(region, "AssociateAddress", true).await;
        self.ec2(region)
            .associate_address()
            .allocation_id(ip_id)
            .instance_id(instance_id)
            .send()
            .await
            .map_err(|e| sdk_error("ec2", "AssociateAddress", Some(region), e))?;
        Ok(())
    }

    /// EC2 `DescribeAddresses` for the association id, then
    /// `DisassociateAddress`; an unbound address is `Ok`.
    async fn disassociate_public_ip(&self, region: &str, ip_id: &str) -> Result<()> {
        self.guard("ec2", "DisassociateAddress")?;
        self.throttle(region, "DescribeAddresses", false).await;
        self.throttle(region, "DisassociateAddress", true).await;
        let client = self.ec2(region);
        let out = client
            .describe_addresses()
            .allocation_ids(ip_id)
            .send()
            .await
            .map_err(|e| sdk_error("ec2", "DescribeAddresses", Some(region), e))?;
        let Some(assoc) = out
            .addresses()
            .iter()
            .find_map(|a| a.association_id().filter(|s| !s.is_empty()))
        else {
            return Ok(());
        };
        client
            .disassociate_address()
            .association_id(assoc)
            .send()
            .await
            .map_err(|e| sdk_error("ec2", "DisassociateAddress", Some(region), e))?;
        Ok(())
    }

    /// EC2 `ReleaseAddress`; missing is `Ok`.
    async fn release_public_ip(&self, region: &str, ip_id: &str) -> Result<()> {
        self.guard("ec2", "ReleaseAddress")?;
        self.throttle(region, "ReleaseAddress", true).await;
        ok_if_gone(
            self.ec2(region)
                .release_address()
                .allocation_id(ip_id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| sdk_error("ec2", "ReleaseAddress", Some(region), e)),
            &["InvalidAllocationID.NotFound"],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_ip_states() {
        assert_eq!(
            public_ip_state(Some("eipassoc-1")),
            (PublicIpState::InUse, "associated")
        );
        assert_eq!(
            public_ip_state(None),
            (PublicIpState::Available, "unassociated")
        );
        assert_eq!(
            public_ip_state(Some("")),
            (PublicIpState::Available, "unassociated")
        );
    }

    #[test]
    fn protocols() {
        for (raw, want) in [
            ("-1", Protocol::All),
            ("tcp", Protocol::Tcp),
            ("6", Protocol::Tcp),
            ("udp", Protocol::Udp),
            ("17", Protocol::Udp),
            ("icmp", Protocol::Icmp),
            ("icmpv6", Protocol::Icmpv6),
            ("58", Protocol::Icmpv6),
            ("50", Protocol::Other("50".into())),
        ] {
            assert_eq!(protocol_from(raw), want, "{raw}");
        }
    }

    #[test]
    fn rule_round_trip() {
        let rule = SecurityRule {
            id: None,
            direction: Direction::Ingress,
            action: RuleAction::Allow,
            protocol: Protocol::Tcp,
            ports: Some(PortRange { from: 22, to: 22 }),
            peer: Peer::Cidr("10.0.0.0/8".into()),
            priority: None,
            description: Some("ssh".into()),
        };
        let p = permission_from_rule(&rule).unwrap();
        assert_eq!(p.ip_protocol(), Some("tcp"));
        assert_eq!((p.from_port(), p.to_port()), (Some(22), Some(22)));
        assert_eq!(
            rules_from_permission(Direction::Ingress, &p),
            vec![rule.clone()]
        );

        let deny = SecurityRule {
            action: RuleAction::Deny,
            ..rule.clone()
        };
        assert_eq!(
            permission_from_rule(&deny).unwrap_err().kind(),
            crate::ErrorKind::Unsupported
        );
        let all = SecurityRule {
            protocol: Protocol::All,
            ports: None,
            peer: Peer::SecurityGroup("sg-1".into()),
            description: None,
            direction: Direction::Egress,
            ..rule
        };
        let p = permission_from_rule(&all).unwrap();
        assert_eq!(p.ip_protocol(), Some("-1"));
        assert_eq!(rules_from_permission(Direction::Egress, &p), vec![all]);
    }
}
