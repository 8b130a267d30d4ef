//! Instances, volumes, images and instance types.

use chrono::Duration;

use super::common::{Held, list_stored, listed, lookup, lookup_mut};
use super::model::*;
use super::{
    Estate, EstateError, EstateResult, Filter, Listed, Listing, PageReq, Scope, find_region,
    find_region_mut, paginate,
};

/// The state an instance stored as `state` since `since` has at `now`;
/// `None` once a terminated instance is gone.
pub(crate) fn effective_instance(
    mut state: InstanceState,
    mut since: Time,
    now: Time,
    t: &Timings,
) -> Option<(InstanceState, Time)> {
    loop {
        let (delay, next) = match state {
            InstanceState::Pending => (t.create_ms, InstanceState::Running),
            InstanceState::Starting => (t.start_ms, InstanceState::Running),
            InstanceState::Stopping => (t.stop_ms, InstanceState::Stopped),
            InstanceState::Rebooting => (t.reboot_ms, InstanceState::Running),
            InstanceState::Terminating => (t.terminate_ms, InstanceState::Terminated),
            InstanceState::Terminated => {
                let gone = since + ms(t.gone_ms);
                return if now >= gone {
                    None
                } else {
                    Some((state, since))
                };
            }
            InstanceState::Running | InstanceState::Stopped => return Some((state, since)),
        };
        let at = since + ms(delay);
        if now >= at {
            state = next;
            since = at;
        } else {
            return Some((state, since));
        }
    }
}

/// The state a volume stored as `state` since `since` has at `now`.
pub(crate) fn effective_volume(
    mut state: VolumeState,
    mut since: Time,
    now: Time,
    t: &Timings,
) -> (VolumeState, Time) {
    loop {
        let (delay, next) = match state {
            VolumeState::Creating => (t.volume_create_ms, VolumeState::Available),
            VolumeState::Attaching => (t.attach_ms, VolumeState::InUse),
            VolumeState::Detaching => (t.detach_ms, VolumeState::Available),
            VolumeState::Available | VolumeState::InUse => return (state, since),
        };
        let at = since + ms(delay);
        if now >= at {
            state = next;
            since = at;
        } else {
            return (state, since);
        }
    }
}

fn ms(v: u64) -> Duration {
    Duration::milliseconds(i64::try_from(v).unwrap_or(i64::MAX / 2))
}

/// Store every advanced state in a region and drop gone instances.
pub(crate) fn settle_region(r: &mut RegionState, now: Time, t: &Timings) {
    r.instances.retain(
        |_, i| match effective_instance(i.state, i.state_since, now, t) {
            Some((s, since)) => {
                i.state = s;
                i.state_since = since;
                true
            }
            None => false,
        },
    );
    for v in r.volumes.values_mut() {
        let (s, since) = effective_volume(v.state, v.state_since, now, t);
        v.state = s;
        v.state_since = since;
        if s == VolumeState::Available {
            v.instance_id = None;
            v.device = None;
        }
    }
}

fn view_instance(i: &Instance, now: Time, t: &Timings) -> Option<Instance> {
    let (s, since) = effective_instance(i.state, i.state_since, now, t)?;
    let mut out = i.clone();
    out.state = s;
    out.state_since = since;
    Some(out)
}

fn view_volume(v: &Volume, now: Time, t: &Timings) -> Volume {
    let (s, since) = effective_volume(v.state, v.state_since, now, t);
    let mut out = v.clone();
    out.state = s;
    out.state_since = since;
    if s == VolumeState::Available {
        out.instance_id = None;
        out.device = None;
    }
    out
}

listed!(Instance, name => some(name), zone => some(zone), vpc => opt(vpc_id));
listed!(Volume, name => some(name), zone => some(zone), instance => opt(instance_id));
listed!(Image, name => some(name));

impl Listed for InstanceType {
    fn key(&self) -> &str {
        &self.id
    }
}

/// What instance to create.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewInstance {
    /// Display name.
    pub name: String,
    /// Zone; the subnet's zone or the region's first zone when `None`.
    pub zone: Option<String>,
    /// Instance type; must be offered in the region.
    pub instance_type: String,
    /// Image id; must exist in the region.
    pub image_id: String,
    /// Subnet (its VPC becomes the instance's).
    pub subnet_id: Option<String>,
    /// Security groups; each must exist.
    pub security_group_ids: Vec<String>,
    /// System disk size (default 40 GiB).
    pub system_disk_gib: Option<u64>,
    /// System disk type (default `ssd`).
    pub system_disk_type: Option<String>,
    /// Key pair name.
    pub key_name: Option<String>,
    /// User data.
    pub user_data: Option<String>,
    /// Billing model.
    pub charge_type: ChargeType,
    /// Tags.
    pub tags: Tags,
    /// Idempotency token.
    pub client_token: Option<String>,
}

/// What volume to create.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewVolume {
    /// Display name.
    pub name: String,
    /// Zone; the region's first zone when `None`.
    pub zone: Option<String>,
    /// Size, GiB (at least 1).
    pub size_gib: u64,
    /// Type (default `ssd`).
    pub volume_type: Option<String>,
    /// Billing model.
    pub charge_type: ChargeType,
    /// Tags.
    pub tags: Tags,
    /// Idempotency token.
    pub client_token: Option<String>,
}

fn state_name<T: std::fmt::Debug>(s: T) -> String {
    format!("{s:?}").to_lowercase()
}

fn ipv4(cidr: &str) -> Option<(u32, u32)> {
    let (addr, len) = cidr.split_once('/')?;
    let ip: std::net::Ipv4Addr = addr.parse().ok()?;
    let len: u32 = len.parse().ok()?;
    if len > 32 {
        return None;
    }
    Some((u32::from(ip), len))
}

/// The zone a new record goes to: `zone`, or the region's first; it must
/// be one of the region's.
pub(crate) fn region_zone(r: &RegionState, zone: Option<String>) -> EstateResult<String> {
    let zone = zone
        .or_else(|| r.zones.first().cloned())
        .unwrap_or_default();
    if r.zones.contains(&zone) {
        Ok(zone)
    } else {
        Err(EstateError::not_found(ResourceKind::Zone, zone))
    }
}

/// A private address in `cidr` (or 172.16.0.0/12), the `n`th host.
pub(crate) fn host_in(cidr: Option<&str>, n: u64) -> String {
    let (base, len) = cidr.and_then(ipv4).unwrap_or((0xAC10_0000, 12));
    let size = if len >= 32 { 1 } else { 1u64 << (32 - len) };
    let off = if size > 8 { 4 + n % (size - 8) } else { 0 };
    let ip = std::net::Ipv4Addr::from(base.wrapping_add(off as u32));
    ip.to_string()
}

impl Estate {
    // ----- instances -----

    /// Instances matching `filter`, one page, with states advanced to now.
    /// Terminated instances are listed until they are gone.
    pub fn instances(
        &self,
        scope: &Scope,
        filter: &Filter,
        page: &PageReq,
    ) -> EstateResult<Listing<Instance>> {
        self.view_region(scope, |r, now, t| {
            let live = r.instances.values().filter(|i| {
                filter.matches(*i) && effective_instance(i.state, i.state_since, now, t).is_some()
            });
            paginate(
                live,
                |i| &i.id,
                page,
                |i| view_instance(i, now, t).unwrap_or_else(|| i.clone()),
            )
        })
    }

    /// One instance; `NotFound` when missing or gone.
    pub fn instance(&self, scope: &Scope, id: &str) -> EstateResult<Instance> {
        self.get_in(scope, id, view_instance)
    }

    /// Create an instance (state `Pending`) with its system disk. With a
    /// client token already used in this scope, returns the first instance.
    pub fn create_instance(&self, scope: &Scope, spec: NewInstance) -> EstateResult<Instance> {
        self.create_in(scope, spec.client_token.clone(), true, |d, now| {
            self.build_instance(d, scope, spec, now)
        })
    }

    /// Validate a new instance and make it; its system disk is stored here.
    fn build_instance(
        &self,
        d: &mut EstateData,
        scope: &Scope,
        spec: NewInstance,
        now: Time,
    ) -> EstateResult<(String, Instance)> {
        let r = find_region(d, scope)?;
        if spec.name.is_empty() {
            return Err(EstateError::InvalidArgument(
                "instance name is empty".into(),
            ));
        }
        let ty = r
            .instance_types
            .iter()
            .find(|x| x.id == spec.instance_type)
            .cloned()
            .ok_or_else(|| {
                EstateError::not_found(ResourceKind::InstanceType, &spec.instance_type)
            })?;
        if !r.images.contains_key(&spec.image_id) {
            return Err(EstateError::not_found(ResourceKind::Image, &spec.image_id));
        }
        let subnet = match &spec.subnet_id {
            Some(s) => Some(
                r.subnets
                    .get(s)
                    .cloned()
                    .ok_or_else(|| EstateError::not_found(ResourceKind::Subnet, s))?,
            ),
            None => None,
        };
        for sg in &spec.security_group_ids {
            let g = lookup::<SecurityGroup, _>(r, sg)?;
            if let (Some(gv), Some(sn)) = (&g.vpc_id, &subnet) {
                if gv != &sn.vpc_id {
                    return Err(EstateError::InvalidArgument(format!(
                        "security group {sg} belongs to vpc {gv}, subnet {} to {}",
                        sn.id, sn.vpc_id
                    )));
                }
            }
        }
        let zone = match (&spec.zone, &subnet) {
            (Some(z), Some(s)) if z != &s.zone => {
                return Err(EstateError::InvalidArgument(format!(
                    "zone {z} differs from subnet {}'s zone {}",
                    s.id, s.zone
                )));
            }
            (Some(z), _) => z.clone(),
            (None, Some(s)) => s.zone.clone(),
            (None, None) => r.zones.first().cloned().unwrap_or_default(),
        };
        if !r.zones.contains(&zone) {
            return Err(EstateError::not_found(ResourceKind::Zone, zone));
        }
        let in_subnet = r
            .instances
            .values()
            .filter(|i| i.subnet_id == spec.subnet_id)
            .count() as u64;
        let private_ip = host_in(subnet.as_ref().map(|s| s.cidr.as_str()), in_subnet);
        let id = self.fresh_id::<Instance>(d, scope)?;
        let disk_id = self.next_id(d, &scope.provider, ResourceKind::Volume);
        let inst = Instance {
            id: id.clone(),
            name: spec.name,
            zone: zone.clone(),
            instance_type: ty.id,
            vcpus: ty.vcpus,
            memory_mib: ty.memory_mib,
            image_id: spec.image_id,
            vpc_id: subnet.as_ref().map(|s| s.vpc_id.clone()),
            subnet_id: spec.subnet_id,
            security_group_ids: spec.security_group_ids,
            private_ip,
            charge_type: spec.charge_type,
            state: InstanceState::Pending,
            state_since: now,
            stopped_charging: false,
            created_at: now,
            expires_at: None,
            key_name: spec.key_name,
            user_data: spec.user_data,
            tags: spec.tags,
        };
        let disk = Volume {
            id: disk_id.clone(),
            name: format!("{}-system", inst.name),
            zone,
            size_gib: spec.system_disk_gib.unwrap_or(40),
            volume_type: spec.system_disk_type.unwrap_or_else(|| "ssd".into()),
            state: VolumeState::InUse,
            state_since: now,
            is_system: true,
            instance_id: Some(id.clone()),
            device: Some("/dev/vda".into()),
            charge_type: spec.charge_type,
            created_at: now,
            tags: Tags::new(),
        };
        find_region_mut(d, scope)?.volumes.insert(disk_id, disk);
        Ok((id, inst))
    }

    /// A new id for a `T` not yet used in the scope's region.
    fn fresh_id<T: Held<RegionState>>(
        &self,
        d: &mut EstateData,
        scope: &Scope,
    ) -> EstateResult<String> {
        let mut id = self.next_id(d, &scope.provider, T::KIND);
        while T::map(find_region(d, scope)?).contains_key(&id) {
            id = self.next_id(d, &scope.provider, T::KIND);
        }
        Ok(id)
    }

    fn instance_op(
        &self,
        scope: &Scope,
        id: &str,
        f: impl FnOnce(&mut RegionState, Time) -> EstateResult<()>,
    ) -> EstateResult<()> {
        self.change_region(scope, true, |r, now| {
            if !r.instances.contains_key(id) {
                return Err(EstateError::not_found(ResourceKind::Instance, id));
            }
            f(r, now)
        })
    }

    /// Move an instance that is `from` to `to` (at now), then `also`;
    /// any other state is `InvalidState`.
    fn transition(
        &self,
        scope: &Scope,
        id: &str,
        (from, to): (InstanceState, InstanceState),
        verb: &str,
        also: impl FnOnce(&mut Instance),
    ) -> EstateResult<()> {
        self.instance_op(scope, id, |r, now| {
            let i = lookup_mut::<Instance, _>(r, id)?;
            if i.state != from {
                return Err(EstateError::invalid_state(
                    ResourceKind::Instance,
                    id,
                    state_name(i.state),
                    format!("only a {} instance can be {verb}", state_name(from)),
                ));
            }
            i.state = to;
            i.state_since = now;
            also(i);
            Ok(())
        })
    }

    /// Start a stopped instance (`Stopped` -> `Starting` -> `Running`).
    pub fn start_instance(&self, scope: &Scope, id: &str) -> EstateResult<()> {
        let states = (InstanceState::Stopped, InstanceState::Starting);
        self.transition(scope, id, states, "started", |i| i.stopped_charging = false)
    }

    /// Stop a running instance (`Running` -> `Stopping` -> `Stopped`).
    pub fn stop_instance(&self, scope: &Scope, id: &str, stop_charging: bool) -> EstateResult<()> {
        let states = (InstanceState::Running, InstanceState::Stopping);
        self.transition(scope, id, states, "stopped", |i| {
            i.stopped_charging = stop_charging
        })
    }

    /// Reboot a running instance (`Running` -> `Rebooting` -> `Running`).
    pub fn reboot_instance(&self, scope: &Scope, id: &str) -> EstateResult<()> {
        let states = (InstanceState::Running, InstanceState::Rebooting);
        self.transition(scope, id, states, "rebooted", |_| {})
    }

    /// Delete an instance (`Terminating` -> `Terminated` -> gone). Allowed
    /// when `Running` or `Stopped`; a second delete while it terminates is
    /// `Ok`. Its system disk is deleted, data disks detached, public IPs
    /// unbound. Missing (or gone) instances are `NotFound`.
    pub fn delete_instance(&self, scope: &Scope, id: &str) -> EstateResult<()> {
        self.instance_op(scope, id, |r, now| {
            let i = lookup_mut::<Instance, _>(r, id)?;
            match i.state {
                InstanceState::Terminating | InstanceState::Terminated => return Ok(()),
                InstanceState::Running | InstanceState::Stopped => {}
                other => {
                    return Err(EstateError::invalid_state(
                        ResourceKind::Instance,
                        id,
                        state_name(other),
                        "an instance in transition cannot be deleted",
                    ));
                }
            }
            i.state = InstanceState::Terminating;
            i.state_since = now;
            r.volumes
                .retain(|_, v| !(v.is_system && v.instance_id.as_deref() == Some(id)));
            for v in r.volumes.values_mut() {
                if v.instance_id.as_deref() == Some(id) {
                    v.instance_id = None;
                    v.device = None;
                    v.state = VolumeState::Available;
                    v.state_since = now;
                }
            }
            for ip in r.public_ips.values_mut() {
                if ip.instance_id.as_deref() == Some(id) {
                    ip.instance_id = None;
                }
            }
            Ok(())
        })
    }

    /// Replace an instance's tags (`None` value removes a key).
    pub fn tag_instance(
        &self,
        scope: &Scope,
        id: &str,
        changes: &[(String, Option<String>)],
    ) -> EstateResult<()> {
        self.instance_op(scope, id, |r, _| {
            apply_tags(&mut lookup_mut::<Instance, _>(r, id)?.tags, changes);
            Ok(())
        })
    }

    // ----- volumes -----

    /// Volumes matching `filter` (with `instance_id`: attached to it), one page.
    pub fn volumes(
        &self,
        scope: &Scope,
        filter: &Filter,
        page: &PageReq,
    ) -> EstateResult<Listing<Volume>> {
        let mut f = filter.clone();
        let want_instance = f.instance_id.take();
        self.view_region(scope, |r, now, t| {
            let items = r.volumes.values().filter(|v| {
                f.matches(*v)
                    && match &want_instance {
                        None => true,
                        Some(w) => view_volume(v, now, t).instance_id.as_ref() == Some(w),
                    }
            });
            paginate(items, |v| &v.id, page, |v| view_volume(v, now, t))
        })
    }

    /// One volume.
    pub fn volume(&self, scope: &Scope, id: &str) -> EstateResult<Volume> {
        self.get_in(scope, id, |v, now, t| Some(view_volume(v, now, t)))
    }

    /// Create a data volume (`Creating` -> `Available`); idempotent by token.
    pub fn create_volume(&self, scope: &Scope, spec: NewVolume) -> EstateResult<Volume> {
        self.create_in(scope, spec.client_token, true, |d, now| {
            if spec.size_gib == 0 {
                return Err(EstateError::InvalidArgument(
                    "volume size must be at least 1 GiB".into(),
                ));
            }
            let zone = region_zone(find_region(d, scope)?, spec.zone)?;
            let id = self.fresh_id::<Volume>(d, scope)?;
            let v = Volume {
                id: id.clone(),
                name: spec.name,
                zone,
                size_gib: spec.size_gib,
                volume_type: spec.volume_type.unwrap_or_else(|| "ssd".into()),
                state: VolumeState::Creating,
                state_since: now,
                is_system: false,
                instance_id: None,
                device: None,
                charge_type: spec.charge_type,
                created_at: now,
                tags: spec.tags,
            };
            Ok((id, v))
        })
    }

    /// Attach an available volume to a live instance in the same zone
    /// (`Attaching` -> `InUse`). A volume attached elsewhere is `InUse`.
    pub fn attach_volume(
        &self,
        scope: &Scope,
        volume_id: &str,
        instance_id: &str,
    ) -> EstateResult<()> {
        self.change_region(scope, true, |r, now| {
            let inst = lookup::<Instance, _>(r, instance_id)?;
            if matches!(
                inst.state,
                InstanceState::Terminating | InstanceState::Terminated | InstanceState::Pending
            ) {
                return Err(EstateError::invalid_state(
                    ResourceKind::Instance,
                    instance_id,
                    state_name(inst.state),
                    "volumes attach to running or stopped instances",
                ));
            }
            let inst_zone = inst.zone.clone();
            let used: Vec<String> = r
                .volumes
                .values()
                .filter(|v| v.instance_id.as_deref() == Some(instance_id))
                .filter_map(|v| v.device.clone())
                .collect();
            let v = lookup_mut::<Volume, _>(r, volume_id)?;
            if let Some(holder) = &v.instance_id {
                return Err(EstateError::in_use(ResourceKind::Volume, volume_id, holder));
            }
            if v.state != VolumeState::Available {
                return Err(EstateError::invalid_state(
                    ResourceKind::Volume,
                    volume_id,
                    state_name(v.state),
                    "only an available volume can be attached",
                ));
            }
            if v.zone != inst_zone {
                return Err(EstateError::InvalidArgument(format!(
                    "volume {volume_id} is in zone {}, instance {instance_id} in {inst_zone}",
                    v.zone
                )));
            }
            let device = (b'b'..=b'z')
                .map(|c| format!("/dev/vd{}", c as char))
                .find(|d| !used.contains(d))
                .unwrap_or_else(|| "/dev/vdz".into());
            v.instance_id = Some(instance_id.into());
            v.device = Some(device);
            v.state = VolumeState::Attaching;
            v.state_since = now;
            Ok(())
        })
    }

    /// Detach a data volume from the instance it is attached to
    /// (`Detaching` -> `Available`).
    pub fn detach_volume(
        &self,
        scope: &Scope,
        volume_id: &str,
        instance_id: &str,
    ) -> EstateResult<()> {
        self.change_region(scope, true, |r, now| {
            let v = lookup_mut::<Volume, _>(r, volume_id)?;
            let refuse = |message: String| {
                let state = state_name(v.state);
                Err(EstateError::invalid_state(
                    ResourceKind::Volume,
                    volume_id,
                    state,
                    message,
                ))
            };
            if v.instance_id.as_deref() != Some(instance_id) || v.state == VolumeState::Detaching {
                return refuse(format!("not attached to {instance_id}"));
            }
            if v.is_system {
                return refuse("a system disk cannot be detached".into());
            }
            v.state = VolumeState::Detaching;
            v.state_since = now;
            Ok(())
        })
    }

    /// Delete an unattached volume.
    pub fn delete_volume(&self, scope: &Scope, id: &str) -> EstateResult<()> {
        self.remove_in::<Volume>(scope, id, true, |_, v| {
            if let Some(holder) = &v.instance_id {
                return Err(EstateError::in_use(ResourceKind::Volume, id, holder));
            }
            if v.state == VolumeState::Creating {
                return Err(EstateError::invalid_state(
                    ResourceKind::Volume,
                    id,
                    "creating",
                    "a volume being created cannot be deleted",
                ));
            }
            Ok(())
        })
    }

    // ----- images and types -----

    /// Images matching `filter` (and `owner` when given), one page.
    pub fn images(
        &self,
        scope: &Scope,
        owner: Option<ImageOwner>,
        filter: &Filter,
        page: &PageReq,
    ) -> EstateResult<Listing<Image>> {
        self.with_region(scope, |r| {
            let owned = r.images.values();
            let owned = owned.filter(|i| owner.is_none_or(|o| o == i.owner));
            list_stored(owned, filter, page)
        })
    }

    /// Instance types offered in a region, one page (in offer order).
    pub fn instance_types(
        &self,
        scope: &Scope,
        filter: &Filter,
        page: &PageReq,
    ) -> EstateResult<Listing<InstanceType>> {
        self.with_region(scope, |r| {
            let mut v: Vec<&InstanceType> = r.instance_types.iter().collect();
            v.sort_by(|a, b| a.id.cmp(&b.id));
            list_stored(v.into_iter(), filter, page)
        })
    }
}

/// Apply tag changes: `Some` sets, `None` removes.
pub(crate) fn apply_tags(tags: &mut Tags, changes: &[(String, Option<String>)]) {
    for (k, v) in changes {
        match v {
            Some(v) => {
                tags.insert(k.clone(), v.clone());
            }
            None => {
                tags.remove(k);
            }
        }
    }
}
