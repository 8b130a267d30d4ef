//! VPCs, subnets, security groups and rules, public IPs.

use super::common::as_stored;
use super::common::{listed, lookup, lookup_mut, remove_matching};
use super::compute::region_zone;
use super::model::*;
use super::{
    Estate, EstateError, EstateResult, Filter, Listing, PageReq, Scope, find_region,
    find_region_mut,
};

listed!(Vpc, name => some(name), vpc => some(id));
listed!(Subnet, name => some(name), zone => some(zone), vpc => some(vpc_id));
listed!(SecurityGroup, name => some(name), vpc => opt(vpc_id));
listed!(PublicIp, name => opt(name), instance => opt(instance_id));

/// What VPC to create.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewVpc {
    /// Name.
    pub name: String,
    /// IPv4 CIDR.
    pub cidr: String,
    /// Tags.
    pub tags: Tags,
    /// Idempotency token.
    pub client_token: Option<String>,
}

/// What subnet to create.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewSubnet {
    /// Parent VPC.
    pub vpc_id: String,
    /// Name.
    pub name: String,
    /// Zone (region's first when `None`).
    pub zone: Option<String>,
    /// IPv4 CIDR.
    pub cidr: String,
    /// Tags.
    pub tags: Tags,
    /// Idempotency token.
    pub client_token: Option<String>,
}

/// What security group to create.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewSecurityGroup {
    /// VPC, when VPC-scoped.
    pub vpc_id: Option<String>,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Tags.
    pub tags: Tags,
    /// Idempotency token.
    pub client_token: Option<String>,
}

/// What public IP to allocate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewPublicIp {
    /// Name.
    pub name: Option<String>,
    /// Bandwidth cap, Mbit/s.
    pub bandwidth_mbps: Option<u32>,
    /// Billing model.
    pub charge_type: ChargeType,
    /// Tags.
    pub tags: Tags,
    /// Idempotency token.
    pub client_token: Option<String>,
}

fn check_cidr(c: &str) -> EstateResult<()> {
    let valid = match c.split_once('/') {
        Some((a, l)) => {
            a.parse::<std::net::Ipv4Addr>().is_ok() && l.parse::<u8>().is_ok_and(|l| l <= 32)
        }
        None => false,
    };
    if valid {
        Ok(())
    } else {
        Err(EstateError::InvalidArgument(format!("bad CIDR {c}")))
    }
}

impl Estate {
    /// VPCs, one page.
    pub fn vpcs(
        &self,
        scope: &Scope,
        filter: &Filter,
        page: &PageReq,
    ) -> EstateResult<Listing<Vpc>> {
        self.list_in(scope, filter, page)
    }

    /// Create a VPC.
    pub fn create_vpc(&self, scope: &Scope, spec: NewVpc) -> EstateResult<Vpc> {
        self.create_in(scope, spec.client_token, false, |d, now| {
            check_cidr(&spec.cidr)?;
            let id = self.next_id(d, &scope.provider, ResourceKind::Vpc);
            let v = Vpc {
                id: id.clone(),
                name: spec.name,
                cidr: spec.cidr,
                is_default: false,
                created_at: now,
                tags: spec.tags,
            };
            Ok((id, v))
        })
    }

    /// Delete a VPC; fails while subnets or security groups are in it.
    pub fn delete_vpc(&self, scope: &Scope, id: &str) -> EstateResult<()> {
        self.remove_in::<Vpc>(scope, id, false, |r, _| {
            let held = |dependent, dependent_id: &str| {
                EstateError::dependency(ResourceKind::Vpc, id, dependent, dependent_id)
            };
            if let Some(s) = r.subnets.values().find(|s| s.vpc_id == id) {
                return Err(held(ResourceKind::Subnet, &s.id));
            }
            let mut groups = r.security_groups.values();
            match groups.find(|g| g.vpc_id.as_deref() == Some(id)) {
                Some(g) => Err(held(ResourceKind::SecurityGroup, &g.id)),
                None => Ok(()),
            }
        })
    }

    /// Subnets, one page.
    pub fn subnets(
        &self,
        scope: &Scope,
        filter: &Filter,
        page: &PageReq,
    ) -> EstateResult<Listing<Subnet>> {
        self.list_in(scope, filter, page)
    }

    /// Create a subnet in a VPC.
    pub fn create_subnet(&self, scope: &Scope, spec: NewSubnet) -> EstateResult<Subnet> {
        self.create_in(scope, spec.client_token, false, |d, now| {
            let r = find_region(d, scope)?;
            if !r.vpcs.contains_key(&spec.vpc_id) {
                return Err(EstateError::not_found(ResourceKind::Vpc, &spec.vpc_id));
            }
            check_cidr(&spec.cidr)?;
            let zone = region_zone(r, spec.zone)?;
            let id = self.next_id(d, &scope.provider, ResourceKind::Subnet);
            let s = Subnet {
                id: id.clone(),
                name: spec.name,
                vpc_id: spec.vpc_id,
                zone,
                cidr: spec.cidr,
                created_at: now,
                tags: spec.tags,
            };
            Ok((id, s))
        })
    }

    /// Delete a subnet; fails while live instances are in it.
    pub fn delete_subnet(&self, scope: &Scope, id: &str) -> EstateResult<()> {
        self.remove_in::<Subnet>(scope, id, true, |r, _| {
            live_user(r, ResourceKind::Subnet, id, |i| {
                i.subnet_id.as_deref() == Some(id)
            })
        })
    }

    /// Security groups, one page.
    pub fn security_groups(
        &self,
        scope: &Scope,
        filter: &Filter,
        page: &PageReq,
    ) -> EstateResult<Listing<SecurityGroup>> {
        self.list_in(scope, filter, page)
    }

    /// One security group.
    pub fn security_group(&self, scope: &Scope, id: &str) -> EstateResult<SecurityGroup> {
        self.get_in(scope, id, as_stored)
    }

    /// Create a security group.
    pub fn create_security_group(
        &self,
        scope: &Scope,
        spec: NewSecurityGroup,
    ) -> EstateResult<SecurityGroup> {
        self.create_in(scope, spec.client_token, false, |d, now| {
            let r = find_region(d, scope)?;
            if let Some(v) = &spec.vpc_id {
                if !r.vpcs.contains_key(v) {
                    return Err(EstateError::not_found(ResourceKind::Vpc, v));
                }
            }
            if r.security_groups
                .values()
                .any(|g| g.name == spec.name && g.vpc_id == spec.vpc_id)
            {
                return Err(EstateError::already_exists(
                    ResourceKind::SecurityGroup,
                    spec.name,
                ));
            }
            let id = self.next_id(d, &scope.provider, ResourceKind::SecurityGroup);
            let g = SecurityGroup {
                id: id.clone(),
                name: spec.name,
                description: spec.description,
                vpc_id: spec.vpc_id,
                rules: Vec::new(),
                created_at: now,
                tags: spec.tags,
            };
            Ok((id, g))
        })
    }

    /// Delete a security group; fails while a live instance uses it.
    pub fn delete_security_group(&self, scope: &Scope, id: &str) -> EstateResult<()> {
        self.remove_in::<SecurityGroup>(scope, id, true, |r, _| {
            live_user(r, ResourceKind::SecurityGroup, id, |i| {
                i.security_group_ids.iter().any(|g| g == id)
            })
        })
    }

    /// Add a rule (its `id` is replaced by a fresh one). An identical rule
    /// (same direction, action, protocol, ports, peer) is `AlreadyExists`.
    pub fn authorize_rule(
        &self,
        scope: &Scope,
        group_id: &str,
        mut rule: SecurityRule,
    ) -> EstateResult<SecurityRule> {
        let mut d = self.inner.data.write();
        {
            let r = find_region(&d, scope)?;
            let g = lookup::<SecurityGroup, _>(r, group_id)?;
            if g.rules.iter().any(|x| same_rule(x, &rule)) {
                return Err(EstateError::already_exists(
                    ResourceKind::SecurityRule,
                    group_id,
                ));
            }
            if let Peer::SecurityGroup(p) = &rule.peer {
                lookup::<SecurityGroup, _>(r, p)?;
            }
        }
        rule.id = self.next_id(&mut d, &scope.provider, ResourceKind::SecurityRule);
        let r = find_region_mut(&mut d, scope)?;
        lookup_mut::<SecurityGroup, _>(r, group_id)?
            .rules
            .push(rule.clone());
        Ok(rule)
    }

    /// Remove a rule, by id when `rule.id` is not empty, otherwise by
    /// direction, protocol, ports and peer. A missing rule is `NotFound`.
    pub fn revoke_rule(
        &self,
        scope: &Scope,
        group_id: &str,
        rule: &SecurityRule,
    ) -> EstateResult<()> {
        self.change_region(scope, false, |r, _| {
            let g = lookup_mut::<SecurityGroup, _>(r, group_id)?;
            let removed = if rule.id.is_empty() {
                remove_matching(&mut g.rules, |x| same_rule(x, rule))
            } else {
                remove_matching(&mut g.rules, |x| x.id == rule.id)
            };
            if !removed {
                return Err(EstateError::not_found(
                    ResourceKind::SecurityRule,
                    rule.id.clone(),
                ));
            }
            Ok(())
        })
    }

    /// Public IPs, one page.
    pub fn public_ips(
        &self,
        scope: &Scope,
        filter: &Filter,
        page: &PageReq,
    ) -> EstateResult<Listing<PublicIp>> {
        self.list_in(scope, filter, page)
    }

    /// Allocate a public IP (a deterministic address from the id stream).
    pub fn allocate_public_ip(&self, scope: &Scope, spec: NewPublicIp) -> EstateResult<PublicIp> {
        self.create_in(scope, spec.client_token, false, |d, now| {
            let id = self.next_id(d, &scope.provider, ResourceKind::PublicIp);
            let address = self.next_with(d, |g| {
                format!(
                    "{}.{}.{}.{}",
                    g.range(20, 220),
                    g.range(0, 256),
                    g.range(0, 256),
                    g.range(1, 255)
                )
            });
            let ip = PublicIp {
                id: id.clone(),
                address,
                name: spec.name,
                bandwidth_mbps: spec.bandwidth_mbps,
                instance_id: None,
                charge_type: spec.charge_type,
                created_at: now,
                tags: spec.tags,
            };
            Ok((id, ip))
        })
    }

    /// Bind an unbound public IP to a live instance.
    pub fn associate_public_ip(
        &self,
        scope: &Scope,
        ip_id: &str,
        instance_id: &str,
    ) -> EstateResult<()> {
        self.change_region(scope, true, |r, _| {
            match r.instances.get(instance_id) {
                None => return Err(EstateError::not_found(ResourceKind::Instance, instance_id)),
                Some(i)
                    if matches!(
                        i.state,
                        InstanceState::Terminating | InstanceState::Terminated
                    ) =>
                {
                    return Err(EstateError::invalid_state(
                        ResourceKind::Instance,
                        instance_id,
                        format!("{:?}", i.state).to_lowercase(),
                        "cannot bind an address to a deleted instance",
                    ));
                }
                Some(_) => {}
            }
            let ip = lookup_mut::<PublicIp, _>(r, ip_id)?;
            if let Some(holder) = &ip.instance_id {
                if holder == instance_id {
                    return Ok(());
                }
                return Err(EstateError::in_use(ResourceKind::PublicIp, ip_id, holder));
            }
            ip.instance_id = Some(instance_id.into());
            Ok(())
        })
    }

    /// Unbind a public IP; unbound already is `InvalidState`.
    pub fn disassociate_public_ip(&self, scope: &Scope, ip_id: &str) -> EstateResult<()> {
        self.change_region(scope, false, |r, _| {
            let ip = lookup_mut::<PublicIp, _>(r, ip_id)?;
            if ip.instance_id.is_none() {
                return Err(EstateError::invalid_state(
                    ResourceKind::PublicIp,
                    ip_id,
                    "available",
                    "the address is not bound",
                ));
            }
            ip.instance_id = None;
            Ok(())
        })
    }

    /// Release an unbound public IP.
    pub fn release_public_ip(&self, scope: &Scope, ip_id: &str) -> EstateResult<()> {
        self.remove_in::<PublicIp>(scope, ip_id, false, |_, ip| match &ip.instance_id {
            Some(holder) => Err(EstateError::in_use(ResourceKind::PublicIp, ip_id, holder)),
            None => Ok(()),
        })
    }

    /// Public addresses bound to an instance.
    pub fn instance_public_ips(
        &self,
        scope: &Scope,
        instance_id: &str,
    ) -> EstateResult<Vec<String>> {
        let d = self.inner.data.read();
        let r = find_region(&d, scope)?;
        Ok(r.public_ips
            .values()
            .filter(|ip| ip.instance_id.as_deref() == Some(instance_id))
            .map(|ip| ip.address.clone())
            .collect())
    }
}

/// `DependencyViolation` when a live (not terminated) instance `uses` the
/// `kind` record `id`.
fn live_user(
    r: &RegionState,
    kind: ResourceKind,
    id: &str,
    uses: impl Fn(&Instance) -> bool,
) -> EstateResult<()> {
    let mut live = r.instances.values();
    match live.find(|i| uses(i) && i.state != InstanceState::Terminated) {
        Some(i) => Err(EstateError::dependency(
            kind,
            id,
            ResourceKind::Instance,
            &i.id,
        )),
        None => Ok(()),
    }
}

fn same_rule(a: &SecurityRule, b: &SecurityRule) -> bool {
    a.direction == b.direction
        && a.action == b.action
        && a.protocol == b.protocol
        && a.port_from == b.port_from
        && a.port_to == b.port_to
        && a.peer == b.peer
}
