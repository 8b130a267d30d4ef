//! VPCs, subnets, security groups and rules, public IPs.

use super::compute::settle_region;
use super::model::*;
use super::{
    Estate, EstateError, EstateResult, Filter, Listed, Listing, PageReq, Scope, find_region,
    find_region_mut, paginate, token_get, token_put,
};

impl Listed for Vpc {
    fn key(&self) -> &str {
        &self.id
    }
    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }
    fn name(&self) -> Option<&str> {
        Some(&self.name)
    }
    fn vpc(&self) -> Option<&str> {
        Some(&self.id)
    }
}

impl Listed for Subnet {
    fn key(&self) -> &str {
        &self.id
    }
    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }
    fn name(&self) -> Option<&str> {
        Some(&self.name)
    }
    fn zone(&self) -> Option<&str> {
        Some(&self.zone)
    }
    fn vpc(&self) -> Option<&str> {
        Some(&self.vpc_id)
    }
}

impl Listed for SecurityGroup {
    fn key(&self) -> &str {
        &self.id
    }
    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }
    fn name(&self) -> Option<&str> {
        Some(&self.name)
    }
    fn vpc(&self) -> Option<&str> {
        self.vpc_id.as_deref()
    }
}

impl Listed for PublicIp {
    fn key(&self) -> &str {
        &self.id
    }
    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }
    fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    fn instance(&self) -> Option<&str> {
        self.instance_id.as_deref()
    }
}

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

fn valid_cidr(c: &str) -> bool {
    match c.split_once('/') {
        Some((a, l)) => {
            a.parse::<std::net::Ipv4Addr>().is_ok() && l.parse::<u8>().is_ok_and(|l| l <= 32)
        }
        None => false,
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
        let d = self.inner.data.read();
        let r = find_region(&d, scope)?;
        Ok(paginate(
            r.vpcs.values().filter(|v| filter.matches(*v)),
            |v| &v.id,
            page,
            Vpc::clone,
        ))
    }

    /// Create a VPC.
    pub fn create_vpc(&self, scope: &Scope, spec: NewVpc) -> EstateResult<Vpc> {
        let now = self.now();
        let mut d = self.inner.data.write();
        let r = find_region_mut(&mut d, scope)?;
        if let Some(id) = token_get(r, ResourceKind::Vpc, &spec.client_token) {
            if let Some(v) = r.vpcs.get(&id) {
                return Ok(v.clone());
            }
        }
        if !valid_cidr(&spec.cidr) {
            return Err(EstateError::InvalidArgument(format!(
                "bad CIDR {}",
                spec.cidr
            )));
        }
        let id = self.next_id(&mut d, &scope.provider, ResourceKind::Vpc);
        let v = Vpc {
            id: id.clone(),
            name: spec.name,
            cidr: spec.cidr,
            is_default: false,
            created_at: now,
            tags: spec.tags,
        };
        let r = find_region_mut(&mut d, scope)?;
        token_put(r, ResourceKind::Vpc, &spec.client_token, &id);
        r.vpcs.insert(id, v.clone());
        Ok(v)
    }

    /// Delete a VPC; fails while subnets or security groups are in it.
    pub fn delete_vpc(&self, scope: &Scope, id: &str) -> EstateResult<()> {
        let mut d = self.inner.data.write();
        let r = find_region_mut(&mut d, scope)?;
        if !r.vpcs.contains_key(id) {
            return Err(EstateError::not_found(ResourceKind::Vpc, id));
        }
        if let Some(s) = r.subnets.values().find(|s| s.vpc_id == id) {
            return Err(EstateError::DependencyViolation {
                kind: ResourceKind::Vpc,
                id: id.into(),
                dependent: ResourceKind::Subnet,
                dependent_id: s.id.clone(),
            });
        }
        if let Some(g) = r
            .security_groups
            .values()
            .find(|g| g.vpc_id.as_deref() == Some(id))
        {
            return Err(EstateError::DependencyViolation {
                kind: ResourceKind::Vpc,
                id: id.into(),
                dependent: ResourceKind::SecurityGroup,
                dependent_id: g.id.clone(),
            });
        }
        r.vpcs.remove(id);
        Ok(())
    }

    /// Subnets, one page.
    pub fn subnets(
        &self,
        scope: &Scope,
        filter: &Filter,
        page: &PageReq,
    ) -> EstateResult<Listing<Subnet>> {
        let d = self.inner.data.read();
        let r = find_region(&d, scope)?;
        Ok(paginate(
            r.subnets.values().filter(|v| filter.matches(*v)),
            |v| &v.id,
            page,
            Subnet::clone,
        ))
    }

    /// Create a subnet in a VPC.
    pub fn create_subnet(&self, scope: &Scope, spec: NewSubnet) -> EstateResult<Subnet> {
        let now = self.now();
        let mut d = self.inner.data.write();
        let r = find_region_mut(&mut d, scope)?;
        if let Some(id) = token_get(r, ResourceKind::Subnet, &spec.client_token) {
            if let Some(v) = r.subnets.get(&id) {
                return Ok(v.clone());
            }
        }
        if !r.vpcs.contains_key(&spec.vpc_id) {
            return Err(EstateError::not_found(ResourceKind::Vpc, &spec.vpc_id));
        }
        if !valid_cidr(&spec.cidr) {
            return Err(EstateError::InvalidArgument(format!(
                "bad CIDR {}",
                spec.cidr
            )));
        }
        let zone = spec
            .zone
            .clone()
            .or_else(|| r.zones.first().cloned())
            .unwrap_or_default();
        if !r.zones.contains(&zone) {
            return Err(EstateError::not_found(ResourceKind::Zone, zone));
        }
        let id = self.next_id(&mut d, &scope.provider, ResourceKind::Subnet);
        let s = Subnet {
            id: id.clone(),
            name: spec.name,
            vpc_id: spec.vpc_id,
            zone,
            cidr: spec.cidr,
            created_at: now,
            tags: spec.tags,
        };
        let r = find_region_mut(&mut d, scope)?;
        token_put(r, ResourceKind::Subnet, &spec.client_token, &id);
        r.subnets.insert(id, s.clone());
        Ok(s)
    }

    /// Delete a subnet; fails while live instances are in it.
    pub fn delete_subnet(&self, scope: &Scope, id: &str) -> EstateResult<()> {
        let now = self.now();
        let mut d = self.inner.data.write();
        let t = d.timings;
        let r = find_region_mut(&mut d, scope)?;
        settle_region(r, now, &t);
        if !r.subnets.contains_key(id) {
            return Err(EstateError::not_found(ResourceKind::Subnet, id));
        }
        if let Some(i) = r
            .instances
            .values()
            .find(|i| i.subnet_id.as_deref() == Some(id) && i.state != InstanceState::Terminated)
        {
            return Err(EstateError::DependencyViolation {
                kind: ResourceKind::Subnet,
                id: id.into(),
                dependent: ResourceKind::Instance,
                dependent_id: i.id.clone(),
            });
        }
        r.subnets.remove(id);
        Ok(())
    }

    /// Security groups, one page.
    pub fn security_groups(
        &self,
        scope: &Scope,
        filter: &Filter,
        page: &PageReq,
    ) -> EstateResult<Listing<SecurityGroup>> {
        let d = self.inner.data.read();
        let r = find_region(&d, scope)?;
        Ok(paginate(
            r.security_groups.values().filter(|v| filter.matches(*v)),
            |v| &v.id,
            page,
            SecurityGroup::clone,
        ))
    }

    /// One security group.
    pub fn security_group(&self, scope: &Scope, id: &str) -> EstateResult<SecurityGroup> {
        let d = self.inner.data.read();
        find_region(&d, scope)?
            .security_groups
            .get(id)
            .cloned()
            .ok_or_else(|| EstateError::not_found(ResourceKind::SecurityGroup, id))
    }

    /// Create a security group.
    pub fn create_security_group(
        &self,
        scope: &Scope,
        spec: NewSecurityGroup,
    ) -> EstateResult<SecurityGroup> {
        let now = self.now();
        let mut d = self.inner.data.write();
        let r = find_region_mut(&mut d, scope)?;
        if let Some(id) = token_get(r, ResourceKind::SecurityGroup, &spec.client_token) {
            if let Some(v) = r.security_groups.get(&id) {
                return Ok(v.clone());
            }
        }
        if let Some(v) = &spec.vpc_id {
            if !r.vpcs.contains_key(v) {
                return Err(EstateError::not_found(ResourceKind::Vpc, v));
            }
        }
        if r.security_groups
            .values()
            .any(|g| g.name == spec.name && g.vpc_id == spec.vpc_id)
        {
            return Err(EstateError::AlreadyExists {
                kind: ResourceKind::SecurityGroup,
                id: spec.name,
            });
        }
        let id = self.next_id(&mut d, &scope.provider, ResourceKind::SecurityGroup);
        let g = SecurityGroup {
            id: id.clone(),
            name: spec.name,
            description: spec.description,
            vpc_id: spec.vpc_id,
            rules: Vec::new(),
            created_at: now,
            tags: spec.tags,
        };
        let r = find_region_mut(&mut d, scope)?;
        token_put(r, ResourceKind::SecurityGroup, &spec.client_token, &id);
        r.security_groups.insert(id, g.clone());
        Ok(g)
    }

    /// Delete a security group; fails while a live instance uses it.
    pub fn delete_security_group(&self, scope: &Scope, id: &str) -> EstateResult<()> {
        let now = self.now();
        let mut d = self.inner.data.write();
        let t = d.timings;
        let r = find_region_mut(&mut d, scope)?;
        settle_region(r, now, &t);
        if !r.security_groups.contains_key(id) {
            return Err(EstateError::not_found(ResourceKind::SecurityGroup, id));
        }
        if let Some(i) = r.instances.values().find(|i| {
            i.security_group_ids.iter().any(|g| g == id) && i.state != InstanceState::Terminated
        }) {
            return Err(EstateError::DependencyViolation {
                kind: ResourceKind::SecurityGroup,
                id: id.into(),
                dependent: ResourceKind::Instance,
                dependent_id: i.id.clone(),
            });
        }
        r.security_groups.remove(id);
        Ok(())
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
            let g = r
                .security_groups
                .get(group_id)
                .ok_or_else(|| EstateError::not_found(ResourceKind::SecurityGroup, group_id))?;
            if g.rules.iter().any(|x| same_rule(x, &rule)) {
                return Err(EstateError::AlreadyExists {
                    kind: ResourceKind::SecurityRule,
                    id: group_id.into(),
                });
            }
            if let Peer::SecurityGroup(p) = &rule.peer {
                if !r.security_groups.contains_key(p) {
                    return Err(EstateError::not_found(ResourceKind::SecurityGroup, p));
                }
            }
        }
        rule.id = self.next_id(&mut d, &scope.provider, ResourceKind::SecurityRule);
        let r = find_region_mut(&mut d, scope)?;
        if let Some(g) = r.security_groups.get_mut(group_id) {
            g.rules.push(rule.clone());
        }
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
        let mut d = self.inner.data.write();
        let r = find_region_mut(&mut d, scope)?;
        let g = r
            .security_groups
            .get_mut(group_id)
            .ok_or_else(|| EstateError::not_found(ResourceKind::SecurityGroup, group_id))?;
        let before = g.rules.len();
        if rule.id.is_empty() {
            g.rules.retain(|x| !same_rule(x, rule));
        } else {
            g.rules.retain(|x| x.id != rule.id);
        }
        if g.rules.len() == before {
            return Err(EstateError::not_found(
                ResourceKind::SecurityRule,
                rule.id.clone(),
            ));
        }
        Ok(())
    }

    /// Public IPs, one page.
    pub fn public_ips(
        &self,
        scope: &Scope,
        filter: &Filter,
        page: &PageReq,
    ) -> EstateResult<Listing<PublicIp>> {
        let d = self.inner.data.read();
        let r = find_region(&d, scope)?;
        Ok(paginate(
            r.public_ips.values().filter(|v| filter.matches(*v)),
            |v| &v.id,
            page,
            PublicIp::clone,
        ))
    }

    /// Allocate a public IP (a deterministic address from the id stream).
    pub fn allocate_public_ip(&self, scope: &Scope, spec: NewPublicIp) -> EstateResult<PublicIp> {
        let now = self.now();
        let mut d = self.inner.data.write();
        let r = find_region_mut(&mut d, scope)?;
        if let Some(id) = token_get(r, ResourceKind::PublicIp, &spec.client_token) {
            if let Some(v) = r.public_ips.get(&id) {
                return Ok(v.clone());
            }
        }
        let id = self.next_id(&mut d, &scope.provider, ResourceKind::PublicIp);
        let address = self.next_with(&mut d, |g| {
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
        let r = find_region_mut(&mut d, scope)?;
        token_put(r, ResourceKind::PublicIp, &spec.client_token, &id);
        r.public_ips.insert(id, ip.clone());
        Ok(ip)
    }

    /// Bind an unbound public IP to a live instance.
    pub fn associate_public_ip(
        &self,
        scope: &Scope,
        ip_id: &str,
        instance_id: &str,
    ) -> EstateResult<()> {
        let now = self.now();
        let mut d = self.inner.data.write();
        let t = d.timings;
        let r = find_region_mut(&mut d, scope)?;
        settle_region(r, now, &t);
        match r.instances.get(instance_id) {
            None => return Err(EstateError::not_found(ResourceKind::Instance, instance_id)),
            Some(i)
                if matches!(
                    i.state,
                    InstanceState::Terminating | InstanceState::Terminated
                ) =>
            {
                return Err(EstateError::InvalidState {
                    kind: ResourceKind::Instance,
                    id: instance_id.into(),
                    state: format!("{:?}", i.state).to_lowercase(),
                    message: "cannot bind an address to a deleted instance".into(),
                });
            }
            Some(_) => {}
        }
        let ip = r
            .public_ips
            .get_mut(ip_id)
            .ok_or_else(|| EstateError::not_found(ResourceKind::PublicIp, ip_id))?;
        if let Some(holder) = &ip.instance_id {
            if holder == instance_id {
                return Ok(());
            }
            return Err(EstateError::InUse {
                kind: ResourceKind::PublicIp,
                id: ip_id.into(),
                by: holder.clone(),
            });
        }
        ip.instance_id = Some(instance_id.into());
        Ok(())
    }

    /// Unbind a public IP; unbound already is `InvalidState`.
    pub fn disassociate_public_ip(&self, scope: &Scope, ip_id: &str) -> EstateResult<()> {
        let mut d = self.inner.data.write();
        let r = find_region_mut(&mut d, scope)?;
        let ip = r
            .public_ips
            .get_mut(ip_id)
            .ok_or_else(|| EstateError::not_found(ResourceKind::PublicIp, ip_id))?;
        if ip.instance_id.is_none() {
            return Err(EstateError::InvalidState {
                kind: ResourceKind::PublicIp,
                id: ip_id.into(),
                state: "available".into(),
                message: "the address is not bound".into(),
            });
        }
        ip.instance_id = None;
        Ok(())
    }

    /// Release an unbound public IP.
    pub fn release_public_ip(&self, scope: &Scope, ip_id: &str) -> EstateResult<()> {
        let mut d = self.inner.data.write();
        let r = find_region_mut(&mut d, scope)?;
        let ip = r
            .public_ips
            .get(ip_id)
            .ok_or_else(|| EstateError::not_found(ResourceKind::PublicIp, ip_id))?;
        if let Some(holder) = &ip.instance_id {
            return Err(EstateError::InUse {
                kind: ResourceKind::PublicIp,
                id: ip_id.into(),
                by: holder.clone(),
            });
        }
        r.public_ips.remove(ip_id);
        Ok(())
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

fn same_rule(a: &SecurityRule, b: &SecurityRule) -> bool {
    a.direction == b.direction
        && a.action == b.action
        && a.protocol == b.protocol
        && a.port_from == b.port_from
        && a.port_to == b.port_to
        && a.peer == b.peer
}
