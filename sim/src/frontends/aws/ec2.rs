//! EC2 2016-11-15 (Query protocol, XML answers in the EC2 namespace with
//! `requestId`): instances, volumes, images, instance types, VPCs, subnets,
//! security groups, Elastic IPs, tags.

use http::StatusCode;
use sha2::{Digest, Sha256};

use super::errors::{AwsError, ec2_from_estate};
use super::{Call, NAME, iso};
use crate::estate::{
    ChargeType, Direction, EstateResult, Filter, ImageOwner, Instance, InstanceState, Listing,
    NewInstance, NewPublicIp, NewSecurityGroup, NewSubnet, NewVolume, NewVpc, PageReq, Peer,
    ResourceKind, RuleAction, Scope, SecurityGroup, SecurityRule, Tags, Volume, VolumeState,
};
use crate::frontend::{SimResponse, Xml};

const NS: &str = "http://ec2.amazonaws.com/doc/2016-11-15/";

type R = Result<SimResponse, AwsError>;

fn ok(c: &Call, action: &str, body: Xml) -> R {
    Ok(SimResponse::xml(
        StatusCode::OK,
        Xml::new()
            .open_attrs(&format!("{action}Response"), &[("xmlns", NS)])
            .elem("requestId", &c.ctx.request_id())
            .raw(&body.finish())
            .close(&format!("{action}Response"))
            .finish(),
    ))
}

fn est<T>(r: Result<T, crate::estate::EstateError>) -> Result<T, AwsError> {
    r.map_err(|e| ec2_from_estate(&e))
}

pub(crate) fn handle(c: &Call, action: &str) -> R {
    if c.get("DryRun") == Some("true") {
        return Err(AwsError::new(
            412,
            "DryRunOperation",
            "Request would have succeeded, but DryRun flag is set.",
        ));
    }
    match action {
        "DescribeRegions" => describe_regions(c),
        "DescribeAvailabilityZones" => describe_zones(c),
        "DescribeInstances" => describe_instances(c),
        "RunInstances" => run_instances(c),
        "StartInstances" | "StopInstances" | "TerminateInstances" => change_state(c, action),
        "RebootInstances" => reboot(c),
        "DescribeVolumes" => describe_volumes(c),
        "CreateVolume" => create_volume(c),
        "AttachVolume" | "DetachVolume" => attach_detach(c, action),
        "DeleteVolume" => {
            let s = c.scope()?;
            est(c.estate().delete_volume(&s, c.req("VolumeId")?))?;
            ok(c, action, Xml::fragment().elem("return", "true"))
        }
        "DescribeImages" => describe_images(c),
        "DescribeInstanceTypes" => describe_instance_types(c),
        "DescribeVpcs" => describe_vpcs(c),
        "CreateVpc" => create_vpc(c),
        "DeleteVpc" => {
            let s = c.scope()?;
            est(c.estate().delete_vpc(&s, c.req("VpcId")?))?;
            ok(c, action, Xml::fragment().elem("return", "true"))
        }
        "DescribeSubnets" => describe_subnets(c),
        "CreateSubnet" => create_subnet(c),
        "DeleteSubnet" => {
            let s = c.scope()?;
            est(c.estate().delete_subnet(&s, c.req("SubnetId")?))?;
            ok(c, action, Xml::fragment().elem("return", "true"))
        }
        "DescribeSecurityGroups" => describe_sgs(c),
        "DescribeSecurityGroupRules" => describe_sg_rules(c),
        "CreateSecurityGroup" => create_sg(c),
        "DeleteSecurityGroup" => {
            let s = c.scope()?;
            let id = group_id(c, &s)?;
            est(c.estate().delete_security_group(&s, &id))?;
            ok(c, action, Xml::fragment().elem("return", "true"))
        }
        "AuthorizeSecurityGroupIngress"
        | "AuthorizeSecurityGroupEgress"
        | "RevokeSecurityGroupIngress"
        | "RevokeSecurityGroupEgress" => change_rules(c, action),
        "DescribeAddresses" => describe_addresses(c),
        "AllocateAddress" => allocate_address(c),
        "AssociateAddress" => associate_address(c),
        "DisassociateAddress" => disassociate_address(c),
        "ReleaseAddress" => {
            let s = c.scope()?;
            est(c.estate().release_public_ip(&s, c.req("AllocationId")?))?;
            ok(c, action, Xml::fragment().elem("return", "true"))
        }
        "CreateTags" => create_tags(c),
        _ => Err(AwsError::new(
            400,
            "InvalidAction",
            &format!("The action {action} is not valid for this web service."),
        )),
    }
}

// ----- helpers -----

fn tag_set(x: Xml, tags: &Tags) -> Xml {
    if tags.is_empty() {
        return x;
    }
    x.open("tagSet")
        .with(|x| {
            tags.iter().fold(x, |x, (k, v)| {
                x.open("item").elem("key", k).elem("value", v).close("item")
            })
        })
        .close("tagSet")
}

/// Tags of `TagSpecification.N` for `resource_type`.
fn tag_specs(c: &Call, resource_type: &str) -> Tags {
    let mut tags = Tags::new();
    for n in c.indexes("TagSpecification") {
        let p = format!("TagSpecification.{n}");
        if c.get(&format!("{p}.ResourceType")).unwrap_or(resource_type) != resource_type {
            continue;
        }
        for m in c.indexes(&format!("{p}.Tag")) {
            if let Some(k) = c.get(&format!("{p}.Tag.{m}.Key")) {
                let v = c.get(&format!("{p}.Tag.{m}.Value")).unwrap_or("");
                tags.insert(k.to_string(), v.to_string());
            }
        }
    }
    tags
}

/// Parse `MaxResults` within `lo..=hi`; `None` when absent.
fn max_results(c: &Call, lo: usize, hi: usize) -> Result<Option<usize>, AwsError> {
    match c.get("MaxResults") {
        None => Ok(None),
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (lo..=hi).contains(&n) => Ok(Some(n)),
            _ => Err(AwsError::invalid(&format!(
                "Value ( {v} ) for parameter maxResults is invalid. Expecting a value between {lo} and {hi}."
            ))),
        },
    }
}

/// What a Describe* lists: found, sorted and paged by its id.
trait Listed {
    fn id(&self) -> &str;
}

macro_rules! listed_by_id_field {
    ($($t:ty),*) => {
        $(impl Listed for $t {
            fn id(&self) -> &str {
                &self.id
            }
        })*
    };
}

listed_by_id_field!(
    Instance,
    Volume,
    crate::estate::Image,
    crate::estate::InstanceType,
    crate::estate::Vpc,
    crate::estate::Subnet,
    SecurityGroup,
    crate::estate::PublicIp
);

/// A security group rule with its group's id.
impl Listed for (String, SecurityRule) {
    fn id(&self) -> &str {
        &self.1.id
    }
}

/// Page already-filtered items (sorted by id) with an opaque `NextToken`.
fn page<T: Listed>(
    c: &Call,
    items: Vec<T>,
    limit: Option<usize>,
) -> Result<(Vec<T>, Option<String>), AwsError> {
    let start = match c.get("NextToken") {
        None | Some("") => 0,
        Some(t) => {
            let after = decode_token(t).ok_or_else(|| {
                AwsError::new(400, "InvalidNextToken", "The token is invalid or expired.")
            })?;
            items.partition_point(|i| i.id() <= after.as_str())
        }
    };
    let Some(limit) = limit else {
        return Ok((items.into_iter().skip(start).collect(), None));
    };
    let rest: Vec<T> = items.into_iter().skip(start).collect();
    let more = rest.len() > limit;
    let page: Vec<T> = rest.into_iter().take(limit).collect();
    let next = if more {
        page.last().map(|i| encode_token(i.id()))
    } else {
        None
    };
    Ok((page, next))
}

/// The `Filter.N.Name` / `Filter.N.Value.M` pairs of a Describe* request;
/// an item is kept when every filter holds.
struct Filters(Vec<(String, Vec<String>)>);

impl Filters {
    /// Whether every filter holds by `field(name, values)`, which answers
    /// `true` for names it does not know.
    fn all(&self, field: impl Fn(&str, &[String]) -> bool) -> bool {
        self.0.iter().all(|(n, v)| field(n, v))
    }

    /// [`Filters::all`], with `tag:<key>`, `tag-key` and `tag-value` checked
    /// against `tags` before `field`.
    fn all_tagged(&self, tags: &Tags, field: impl Fn(&str, &[String]) -> bool) -> bool {
        self.all(|n, v| tag_match(tags, n, v).unwrap_or_else(|| field(n, v)))
    }
}

/// What a Describe* request asks for: the ids (or names) it lists as
/// `<Param>.N`, its `MaxResults` and its filters.
struct Describe {
    ids: Vec<String>,
    limit: Option<usize>,
    filters: Filters,
}

impl Describe {
    /// The `id_param.N` list, `MaxResults` within `5..=max` (`None` for an
    /// action without paging, whose `MaxResults` is not read), the filters.
    fn parse(c: &Call, id_param: &str, max: Option<usize>) -> Result<Self, AwsError> {
        let ids = c.list(id_param);
        let limit = match max {
            Some(hi) => max_results(c, 5, hi)?,
            None => None,
        };
        let filters = Filters(c.filters());
        Ok(Self {
            ids,
            limit,
            filters,
        })
    }

    /// Every item of an estate listing, narrowed to the requested ids when
    /// there are any.
    fn fetch<T>(
        &self,
        list: impl FnOnce(&Filter, &PageReq) -> EstateResult<Listing<T>>,
    ) -> Result<Vec<T>, AwsError> {
        let filter = Filter {
            ids: self.ids.clone(),
            ..Filter::default()
        };
        Ok(est(list(&filter, &PageReq::All))?.items)
    }

    /// `code` (400) with `message(id)` for the first requested id that is
    /// not among `found`.
    fn require_all<T: Listed>(
        &self,
        found: &[T],
        code: &str,
        message: impl Fn(&str) -> String,
    ) -> Result<(), AwsError> {
        match (self.ids.iter()).find(|want| !found.iter().any(|f| f.id() == want.as_str())) {
            Some(missing) => Err(AwsError::new(400, code, &message(missing))),
            None => Ok(()),
        }
    }

    /// The items `keep` accepts, paged by `NextToken` and `MaxResults`.
    fn page<T: Listed>(
        &self,
        c: &Call,
        items: Vec<T>,
        keep: impl Fn(&T) -> bool,
    ) -> Result<(Vec<T>, Option<String>), AwsError> {
        let kept = items.into_iter().filter(|i| keep(i)).collect();
        page(c, kept, self.limit)
    }
}

/// `action`'s answer listing `items` in `<set>` (each written by `item`),
/// then `nextToken` when there is a next page.
fn listing<T>(
    c: &Call,
    action: &str,
    set: &str,
    items: &[T],
    next: Option<String>,
    item: impl Fn(Xml, &T) -> Xml,
) -> R {
    let x = Xml::fragment()
        .open(set)
        .with(|x| items.iter().fold(x, item))
        .close(set)
        .elem_opt("nextToken", next.as_deref());
    ok(c, action, x)
}

fn encode_token(id: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("v1:{id}"))
}

fn decode_token(t: &str) -> Option<String> {
    use base64::Engine;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(t.trim())
        .ok()?;
    String::from_utf8(raw)
        .ok()?
        .strip_prefix("v1:")
        .map(str::to_string)
}

fn tag_match(tags: &Tags, name: &str, values: &[String]) -> Option<bool> {
    if let Some(k) = name.strip_prefix("tag:") {
        return Some(
            tags.get(k)
                .is_some_and(|v| values.iter().any(|w| glob(w, v))),
        );
    }
    match name {
        "tag-key" => Some(tags.keys().any(|k| values.contains(k))),
        "tag-value" => Some(tags.values().any(|v| values.contains(v))),
        _ => None,
    }
}

/// EC2 filter values allow `*` and `?` wildcards.
fn glob(pattern: &str, text: &str) -> bool {
    crate::faults::glob(pattern, text)
}

fn any_glob(values: &[String], v: &str) -> bool {
    values.iter().any(|w| glob(w, v))
}

fn reservation_id(instance_id: &str) -> String {
    let h = hex::encode(Sha256::digest(instance_id.as_bytes()));
    format!("r-{}", &h[..17])
}

fn state_of(s: InstanceState) -> (u32, &'static str) {
    match s {
        InstanceState::Pending | InstanceState::Starting => (0, "pending"),
        InstanceState::Running | InstanceState::Rebooting => (16, "running"),
        InstanceState::Terminating => (32, "shutting-down"),
        InstanceState::Terminated => (48, "terminated"),
        InstanceState::Stopping => (64, "stopping"),
        InstanceState::Stopped => (80, "stopped"),
    }
}

fn state_xml(x: Xml, tag: &str, s: InstanceState) -> Xml {
    let (code, name) = state_of(s);
    x.open(tag)
        .elem("code", &code.to_string())
        .elem("name", name)
        .close(tag)
}

fn aws_volume_type(t: &str) -> &str {
    match t {
        "ssd" => "gp3",
        "hdd" => "st1",
        other => other,
    }
}

fn estate_volume_type(t: &str) -> String {
    match t {
        "gp2" | "gp3" | "io1" | "io2" => "ssd".into(),
        "st1" | "sc1" | "standard" => "hdd".into(),
        other => other.into(),
    }
}

fn region_zones(c: &Call, s: &Scope) -> Vec<String> {
    c.estate()
        .regions(NAME, &s.account)
        .ok()
        .and_then(|v| v.into_iter().find(|(r, _)| *r == s.region))
        .map(|(_, z)| z)
        .unwrap_or_default()
}

fn zone_name(region: &str, z: &str) -> String {
    if z.starts_with(region) {
        z.to_string()
    } else {
        format!("{region}{z}")
    }
}

fn zone_id(region: &str, z: &str) -> String {
    let short: String = region
        .split('-')
        .map(|p| p.chars().next().unwrap_or('x'))
        .collect();
    let n = z
        .chars()
        .last()
        .map(|ch| (ch as u8).wrapping_sub(b'a') + 1)
        .unwrap_or(1);
    format!("{short}{}-az{n}", region.chars().last().unwrap_or('1'))
}

// ----- regions and zones -----

fn describe_regions(c: &Call) -> R {
    let regions = c.estate().regions(NAME, c.account()).unwrap_or_default();
    let q = Describe::parse(c, "RegionName", None)?;
    let regions: Vec<_> = regions
        .into_iter()
        .filter(|(r, _)| q.ids.is_empty() || q.ids.contains(r))
        .filter(|(r, _)| {
            q.filters.all(|n, v| match n {
                "region-name" => any_glob(v, r),
                "endpoint" => any_glob(v, &format!("ec2.{r}.amazonaws.com")),
                "opt-in-status" => v.iter().any(|s| s == "opt-in-not-required"),
                _ => true,
            })
        })
        .collect();
    listing(
        c,
        "DescribeRegions",
        "regionInfo",
        &regions,
        None,
        |x, (r, _)| {
            x.open("item")
                .elem("regionName", r)
                .elem("regionEndpoint", &format!("ec2.{r}.amazonaws.com"))
                .elem("optInStatus", "opt-in-not-required")
                .close("item")
        },
    )
}

fn describe_zones(c: &Call) -> R {
    let s = c.scope()?;
    let q = Describe::parse(c, "ZoneName", None)?;
    let zones: Vec<String> = region_zones(c, &s)
        .iter()
        .map(|z| zone_name(&s.region, z))
        .filter(|z| q.ids.is_empty() || q.ids.contains(z))
        .filter(|z| {
            q.filters.all(|n, v| match n {
                "zone-name" => any_glob(v, z),
                "region-name" => any_glob(v, &s.region),
                "state" => v.iter().any(|x| x == "available"),
                _ => true,
            })
        })
        .collect();
    let action = "DescribeAvailabilityZones";
    listing(c, action, "availabilityZoneInfo", &zones, None, |x, z| {
        x.open("item")
            .elem("optInStatus", "opt-in-not-required")
            .raw("<messageSet/>")
            .elem("regionName", &s.region)
            .elem("zoneName", z)
            .elem("zoneId", &zone_id(&s.region, z))
            .elem("groupName", &s.region)
            .elem("networkBorderGroup", &s.region)
            .elem("zoneType", "availability-zone")
            .elem("zoneState", "available")
            .close("item")
    })
}

// ----- instances -----

fn instance_item(c: &Call, s: &Scope, i: &Instance) -> Xml {
    let public = c.estate().instance_public_ips(s, &i.id).unwrap_or_default();
    let vols: Vec<Volume> = c
        .estate()
        .volumes(
            s,
            &Filter {
                instance_id: Some(i.id.clone()),
                ..Filter::default()
            },
            &PageReq::All,
        )
        .map(|l| l.items)
        .unwrap_or_default();
    let sgs: Vec<(String, String)> = i
        .security_group_ids
        .iter()
        .map(|g| {
            let name = c
                .estate()
                .security_group(s, g)
                .map(|sg| sg.name)
                .unwrap_or_default();
            (g.clone(), name)
        })
        .collect();
    let zone = zone_name(&s.region, &i.zone);
    let dns = format!(
        "ip-{}.{}.compute.internal",
        i.private_ip.replace('.', "-"),
        s.region
    );
    let gone = i.state == InstanceState::Terminated;
    let mut x = Xml::fragment()
        .open("item")
        .elem("instanceId", &i.id)
        .elem("imageId", &i.image_id);
    x = state_xml(x, "instanceState", i.state)
        .elem("privateDnsName", if gone { "" } else { &dns })
        .elem("dnsName", "")
        .elem_opt("keyName", i.key_name.as_deref())
        .elem("amiLaunchIndex", "0")
        .elem("instanceType", &i.instance_type)
        .elem("launchTime", &iso(&i.created_at))
        .open("placement")
        .elem("availabilityZone", &zone)
        .elem("groupName", "")
        .elem("tenancy", "default")
        .close("placement")
        .open("monitoring")
        .elem("state", "disabled")
        .close("monitoring");
    if !gone {
        x = x
            .elem_opt("subnetId", i.subnet_id.as_deref())
            .elem_opt("vpcId", i.vpc_id.as_deref())
            .elem("privateIpAddress", &i.private_ip)
            .elem_opt("ipAddress", public.first().map(String::as_str));
    }
    x = x
        .open("groupSet")
        .with(|x| {
            sgs.iter().fold(x, |x, (id, name)| {
                x.open("item")
                    .elem("groupId", id)
                    .elem("groupName", name)
                    .close("item")
            })
        })
        .close("groupSet")
        .elem("architecture", "x86_64")
        .elem("rootDeviceType", "ebs")
        .elem("rootDeviceName", "/dev/xvda")
        .open("blockDeviceMapping")
        .with(|x| {
            vols.iter().fold(x, |x, v| {
                x.open("item")
                    .elem(
                        "deviceName",
                        v.device.as_deref().unwrap_or(if v.is_system {
                            "/dev/xvda"
                        } else {
                            "/dev/sdf"
                        }),
                    )
                    .open("ebs")
                    .elem("volumeId", &v.id)
                    .elem("status", attach_status(v.state))
                    .elem("attachTime", &iso(&v.state_since))
                    .elem(
                        "deleteOnTermination",
                        if v.is_system { "true" } else { "false" },
                    )
                    .close("ebs")
                    .close("item")
            })
        })
        .close("blockDeviceMapping")
        .elem("virtualizationType", "hvm")
        .elem("hypervisor", "xen");
    if i.charge_type == ChargeType::Spot {
        x = x.elem("instanceLifecycle", "spot");
    }
    x = tag_set(x, &i.tags);
    x.open("cpuOptions")
        .elem("coreCount", &(i.vcpus.div_ceil(2)).to_string())
        .elem("threadsPerCore", if i.vcpus > 1 { "2" } else { "1" })
        .close("cpuOptions")
        .close("item")
}

fn reservation(c: &Call, s: &Scope, instances: &[Instance], rid: &str) -> Xml {
    Xml::fragment()
        .elem("reservationId", rid)
        .elem("ownerId", c.account())
        .raw("<groupSet/>")
        .open("instancesSet")
        .with(|x| {
            instances
                .iter()
                .fold(x, |x, i| x.raw(&instance_item(c, s, i).finish()))
        })
        .close("instancesSet")
}

fn instance_filter_ok(i: &Instance, region: &str, filters: &Filters) -> bool {
    filters.all_tagged(&i.tags, |n, v| match n {
        "instance-id" => any_glob(v, &i.id),
        "instance-state-name" => any_glob(v, state_of(i.state).1),
        "instance-state-code" => v.contains(&state_of(i.state).0.to_string()),
        "instance-type" => any_glob(v, &i.instance_type),
        "availability-zone" => any_glob(v, &zone_name(region, &i.zone)),
        "vpc-id" => i.vpc_id.as_deref().is_some_and(|x| any_glob(v, x)),
        "subnet-id" => i.subnet_id.as_deref().is_some_and(|x| any_glob(v, x)),
        "image-id" => any_glob(v, &i.image_id),
        "private-ip-address" => any_glob(v, &i.private_ip),
        "key-name" => i.key_name.as_deref().is_some_and(|x| any_glob(v, x)),
        "instance.group-id" => i.security_group_ids.iter().any(|g| any_glob(v, g)),
        _ => true,
    })
}

fn describe_instances(c: &Call) -> R {
    let s = c.scope()?;
    let q = Describe::parse(c, "InstanceId", Some(1000))?;
    if q.limit.is_some() && !q.ids.is_empty() {
        return Err(AwsError::new(
            400,
            "InvalidParameterCombination",
            "The parameter instancesSet cannot be used with the parameter maxResults",
        ));
    }
    let all = q.fetch(|f, p| c.estate().instances(&s, f, p))?;
    q.require_all(&all, "InvalidInstanceID.NotFound", |id| {
        format!("The instance ID '{id}' does not exist")
    })?;
    let (items, next) = q.page(c, all, |i| instance_filter_ok(i, &s.region, &q.filters))?;
    listing(
        c,
        "DescribeInstances",
        "reservationSet",
        &items,
        next,
        |x, i| {
            let rid = reservation_id(&i.id);
            x.open("item")
                .raw(&reservation(c, &s, std::slice::from_ref(i), &rid).finish())
                .close("item")
        },
    )
}

fn run_instances(c: &Call) -> R {
    let s = c.scope()?;
    let image = c.req("ImageId")?;
    let min: usize = c
        .req("MinCount")?
        .parse()
        .map_err(|_| AwsError::invalid("MinCount"))?;
    let max: usize = c
        .req("MaxCount")?
        .parse()
        .map_err(|_| AwsError::invalid("MaxCount"))?;
    if min == 0 || max < min || max > 100 {
        return Err(AwsError::invalid(
            "MinCount must be at least 1 and MaxCount at least MinCount (at most 100).",
        ));
    }
    let tags = tag_specs(c, "instance");
    let token = c.get("ClientToken").map(str::to_string);
    let instance_type = c.get("InstanceType").unwrap_or("m1.small").to_string();
    let mut sg_ids = c.list("SecurityGroupId");
    if sg_ids.is_empty() {
        let names = c.list("SecurityGroup");
        if !names.is_empty() {
            let all = est(c
                .estate()
                .security_groups(&s, &Filter::default(), &PageReq::All))?
            .items;
            for n in names {
                let g = all.iter().find(|g| g.name == n).ok_or_else(|| {
                    AwsError::new(
                        400,
                        "InvalidGroup.NotFound",
                        &format!("The security group '{n}' does not exist"),
                    )
                })?;
                sg_ids.push(g.id.clone());
            }
        }
    }
    let mut created = Vec::new();
    for n in 0..max {
        let spec = NewInstance {
            // EC2 names are the `Name` tag (rendered from the tags only);
            // the estate wants a display name for every instance.
            name: tags
                .get("Name")
                .filter(|n| !n.is_empty())
                .cloned()
                .unwrap_or_else(|| format!("{instance_type}-{n}")),
            zone: c
                .get("Placement.AvailabilityZone")
                .map(|z| z.strip_prefix(s.region.as_str()).unwrap_or(z).to_string()),
            instance_type: instance_type.clone(),
            image_id: image.to_string(),
            subnet_id: c.get("SubnetId").map(str::to_string),
            security_group_ids: sg_ids.clone(),
            key_name: c.get("KeyName").map(str::to_string),
            user_data: c.get("UserData").map(str::to_string),
            charge_type: if c.get("InstanceMarketOptions.MarketType") == Some("spot") {
                ChargeType::Spot
            } else {
                ChargeType::PostPaid
            },
            tags: tags.clone(),
            client_token: token.as_ref().map(|t| format!("{t}#{n}")),
            ..NewInstance::default()
        };
        // Zones in the estate are bare suffixes or full names; try both.
        let spec = match &spec.zone {
            Some(z) if !region_zones(c, &s).contains(z) => NewInstance {
                zone: Some(zone_name(&s.region, z)),
                ..spec
            },
            _ => spec,
        };
        created.push(est(c.estate().create_instance(&s, spec))?);
    }
    let rid = created
        .first()
        .map(|i| reservation_id(&i.id))
        .unwrap_or_default();
    ok(c, "RunInstances", reservation(c, &s, &created, &rid))
}

fn change_state(c: &Call, action: &str) -> R {
    let s = c.scope()?;
    let ids = c.list("InstanceId");
    if ids.is_empty() {
        return Err(AwsError::missing("InstanceId"));
    }
    let mut before = Vec::new();
    for id in &ids {
        before.push(est(c.estate().instance(&s, id))?);
    }
    // EC2 shows a rebooting instance as running and lets TerminateInstances
    // supersede any transition; the estate keeps those transitions, so settle
    // them first (reboot -> running for stop/terminate; pending/stopping ->
    // running/stopped for terminate).
    for b in &before {
        let settled = match (action, b.state) {
            ("StopInstances" | "TerminateInstances", InstanceState::Rebooting) => {
                Some(InstanceState::Running)
            }
            ("TerminateInstances", InstanceState::Pending | InstanceState::Starting) => {
                Some(InstanceState::Running)
            }
            ("TerminateInstances", InstanceState::Stopping) => Some(InstanceState::Stopped),
            _ => None,
        };
        if let Some(state) = settled {
            settle(c, &s, &b.id, state);
        }
    }
    for id in &ids {
        let r = match action {
            "StartInstances" => c.estate().start_instance(&s, id),
            "StopInstances" => c.estate().stop_instance(&s, id, false),
            _ => c.estate().delete_instance(&s, id),
        };
        match r {
            Ok(()) => {}
            // Already in the target state: AWS answers with the current state.
            Err(crate::estate::EstateError::InvalidState { .. })
                if matches!(
                    (action, before.iter().find(|i| &i.id == id).map(|i| i.state)),
                    (
                        "StartInstances",
                        Some(
                            InstanceState::Running
                                | InstanceState::Pending
                                | InstanceState::Starting
                        )
                    ) | (
                        "StopInstances",
                        Some(InstanceState::Stopped | InstanceState::Stopping)
                    ) | (
                        "TerminateInstances",
                        Some(InstanceState::Terminated | InstanceState::Terminating)
                    )
                ) => {}
            Err(e) => return Err(ec2_from_estate(&e)),
        }
    }
    let x = Xml::fragment()
        .open("instancesSet")
        .with(|x| {
            before.iter().fold(x, |x, b| {
                let now = c
                    .estate()
                    .instance(&s, &b.id)
                    .map(|i| i.state)
                    .unwrap_or(InstanceState::Terminated);
                let x = x.open("item").elem("instanceId", &b.id);
                let x = state_xml(x, "currentState", now);
                state_xml(x, "previousState", b.state).close("item")
            })
        })
        .close("instancesSet");
    ok(c, action, x)
}

/// Put an instance into a settled state now (through the estate's data).
fn settle(c: &Call, s: &Scope, id: &str, state: InstanceState) {
    let now = c.ctx.now();
    c.estate().write(|d| {
        if let Some(i) = d
            .accounts
            .iter_mut()
            .find(|a| a.provider == s.provider && a.id == s.account)
            .and_then(|a| a.regions.get_mut(&s.region))
            .and_then(|r| r.instances.get_mut(id))
        {
            i.state = state;
            i.state_since = now;
        }
    });
}

fn reboot(c: &Call) -> R {
    let s = c.scope()?;
    let ids = c.list("InstanceId");
    if ids.is_empty() {
        return Err(AwsError::missing("InstanceId"));
    }
    for id in &ids {
        est(c.estate().instance(&s, id))?;
    }
    for id in &ids {
        est(c.estate().reboot_instance(&s, id))?;
    }
    ok(c, "RebootInstances", Xml::fragment().elem("return", "true"))
}

// ----- volumes -----

fn attach_status(v: VolumeState) -> &'static str {
    match v {
        VolumeState::Attaching => "attaching",
        VolumeState::Detaching => "detaching",
        VolumeState::InUse => "attached",
        _ => "detached",
    }
}

fn volume_status(v: VolumeState) -> &'static str {
    match v {
        VolumeState::Creating => "creating",
        VolumeState::Available => "available",
        _ => "in-use",
    }
}

fn volume_fields(x: Xml, v: &Volume, region: &str) -> Xml {
    x.elem("volumeId", &v.id)
        .elem("size", &v.size_gib.to_string())
        .elem("snapshotId", "")
        .elem("availabilityZone", &zone_name(region, &v.zone))
        .elem("status", volume_status(v.state))
        .elem("createTime", &iso(&v.created_at))
}

fn describe_volumes(c: &Call) -> R {
    let s = c.scope()?;
    let q = Describe::parse(c, "VolumeId", Some(500))?;
    let all = q.fetch(|f, p| c.estate().volumes(&s, f, p))?;
    q.require_all(&all, "InvalidVolume.NotFound", |id| {
        format!("The volume '{id}' does not exist.")
    })?;
    let (items, next) = q.page(c, all, |v| {
        q.filters.all_tagged(&v.tags, |n, vals| match n {
            "volume-id" => any_glob(vals, &v.id),
            "status" => any_glob(vals, volume_status(v.state)),
            "attachment.instance-id" => v.instance_id.as_deref().is_some_and(|i| any_glob(vals, i)),
            "availability-zone" => any_glob(vals, &zone_name(&s.region, &v.zone)),
            "volume-type" => any_glob(vals, aws_volume_type(&v.volume_type)),
            _ => true,
        })
    })?;
    listing(c, "DescribeVolumes", "volumeSet", &items, next, |x, v| {
        let x = volume_fields(x.open("item"), v, &s.region).open("attachmentSet");
        let x = match &v.instance_id {
            Some(i) => x
                .open("item")
                .elem("volumeId", &v.id)
                .elem("instanceId", i)
                .elem("device", v.device.as_deref().unwrap_or("/dev/sdf"))
                .elem("status", attach_status(v.state))
                .elem("attachTime", &iso(&v.state_since))
                .elem(
                    "deleteOnTermination",
                    if v.is_system { "true" } else { "false" },
                )
                .close("item"),
            None => x,
        };
        let x = x
            .close("attachmentSet")
            .elem("volumeType", aws_volume_type(&v.volume_type))
            .elem("encrypted", "false")
            .elem("multiAttachEnabled", "false");
        tag_set(x, &v.tags).close("item")
    })
}

fn create_volume(c: &Call) -> R {
    let s = c.scope()?;
    let zone = c.req("AvailabilityZone")?;
    let size: u64 = c
        .req("Size")?
        .parse()
        .map_err(|_| AwsError::invalid("Size must be an integer"))?;
    let zones = region_zones(c, &s);
    let zone = if zones.iter().any(|z| z == zone) {
        zone.to_string()
    } else {
        zones
            .iter()
            .find(|z| zone_name(&s.region, z) == zone)
            .cloned()
            .ok_or_else(|| {
                AwsError::new(
                    400,
                    "InvalidZone.NotFound",
                    &format!("The zone '{zone}' does not exist."),
                )
            })?
    };
    let tags = tag_specs(c, "volume");
    let v = est(c.estate().create_volume(
        &s,
        NewVolume {
            name: tags.get("Name").cloned().unwrap_or_default(),
            zone: Some(zone),
            size_gib: size,
            volume_type: c.get("VolumeType").map(estate_volume_type),
            tags,
            client_token: c.get("ClientToken").map(str::to_string),
            ..NewVolume::default()
        },
    ))?;
    let x = volume_fields(Xml::fragment(), &v, &s.region)
        .elem("volumeType", aws_volume_type(&v.volume_type))
        .elem("encrypted", "false")
        .elem("multiAttachEnabled", "false");
    ok(c, "CreateVolume", tag_set(x, &v.tags))
}

fn attach_detach(c: &Call, action: &str) -> R {
    let s = c.scope()?;
    let vid = c.req("VolumeId")?;
    let iid = if action == "AttachVolume" {
        let iid = c.req("InstanceId")?.to_string();
        c.req("Device")?;
        est(c.estate().attach_volume(&s, vid, &iid))?;
        iid
    } else {
        let v = est(c.estate().volume(&s, vid))?;
        let iid = match (c.get("InstanceId"), v.instance_id) {
            (Some(i), _) => i.to_string(),
            (None, Some(i)) => i,
            (None, None) => {
                return Err(AwsError::new(
                    400,
                    "IncorrectState",
                    &format!("Volume '{vid}' is in the 'available' state."),
                ));
            }
        };
        est(c.estate().detach_volume(&s, vid, &iid))?;
        iid
    };
    let v = est(c.estate().volume(&s, vid))?;
    let x = Xml::fragment()
        .elem("volumeId", vid)
        .elem("instanceId", &iid)
        .elem(
            "device",
            v.device
                .as_deref()
                .or(c.get("Device"))
                .unwrap_or("/dev/sdf"),
        )
        .elem("status", attach_status(v.state))
        .elem("attachTime", &iso(&v.state_since));
    ok(c, action, x)
}

// ----- images and types -----

/// One `imagesSet` item.
fn image_item(x: Xml, c: &Call, i: &crate::estate::Image) -> Xml {
    let owner = match i.owner {
        ImageOwner::Own => c.account().to_string(),
        ImageOwner::System => "137112412989".to_string(),
        ImageOwner::Shared => "123456789012".to_string(),
    };
    let x = x
        .open("item")
        .elem("imageId", &i.id)
        .elem("imageLocation", &format!("{owner}/{}", i.name))
        .elem("imageState", "available")
        .elem("imageOwnerId", &owner)
        .elem("creationDate", &iso(&i.created_at))
        .elem(
            "isPublic",
            if i.owner == ImageOwner::System {
                "true"
            } else {
                "false"
            },
        )
        .elem(
            "architecture",
            if i.architecture == "arm64" {
                "arm64"
            } else {
                "x86_64"
            },
        )
        .elem("imageType", "machine")
        .elem_opt(
            "imageOwnerAlias",
            (i.owner == ImageOwner::System).then_some("amazon"),
        )
        .elem("name", &i.name)
        .elem("description", &i.os)
        .elem("rootDeviceType", "ebs")
        .elem("rootDeviceName", "/dev/xvda")
        .open("blockDeviceMapping")
        .open("item")
        .elem("deviceName", "/dev/xvda")
        .open("ebs")
        .elem("volumeSize", &i.size_gib.to_string())
        .elem("deleteOnTermination", "true")
        .close("ebs")
        .close("item")
        .close("blockDeviceMapping")
        .elem("virtualizationType", "hvm")
        .elem("hypervisor", "xen")
        .elem(
            "platformDetails",
            if i.os.to_lowercase().contains("windows") {
                "Windows"
            } else {
                "Linux/UNIX"
            },
        );
    tag_set(x, &i.tags).close("item")
}

fn describe_images(c: &Call) -> R {
    let s = c.scope()?;
    let owners = c.list("Owner");
    let exec = c.list("ExecutableBy");
    let q = Describe::parse(c, "ImageId", Some(1000))?;
    let all = q.fetch(|f, p| c.estate().images(&s, None, f, p))?;
    let (items, next) = q.page(c, all, |i| {
        let owner_ok = owners.is_empty()
            || owners.iter().any(|o| match o.as_str() {
                "self" => i.owner == ImageOwner::Own,
                "amazon" => i.owner == ImageOwner::System,
                a if a == c.account() => i.owner == ImageOwner::Own,
                _ => false,
            });
        let exec_ok = exec.is_empty()
            || exec.iter().any(|e| match e.as_str() {
                "self" => i.owner == ImageOwner::Shared || i.owner == ImageOwner::Own,
                "all" => i.owner == ImageOwner::System,
                _ => false,
            });
        owner_ok
            && exec_ok
            && q.filters.all_tagged(&i.tags, |n, v| match n {
                "name" => any_glob(v, &i.name),
                "image-id" => any_glob(v, &i.id),
                "architecture" => any_glob(v, &i.architecture),
                "state" => any_glob(v, "available"),
                _ => true,
            })
    })?;
    listing(c, "DescribeImages", "imagesSet", &items, next, |x, i| {
        image_item(x, c, i)
    })
}

/// One `instanceTypeSet` item.
fn instance_type_item(x: Xml, t: &crate::estate::InstanceType) -> Xml {
    let x = x
        .open("item")
        .elem("instanceType", &t.id)
        .elem("currentGeneration", "true")
        .open("vCpuInfo")
        .elem("defaultVCpus", &t.vcpus.to_string())
        .close("vCpuInfo")
        .open("memoryInfo")
        .elem("sizeInMiB", &t.memory_mib.to_string())
        .close("memoryInfo");
    let x = if t.gpus > 0 {
        x.open("gpuInfo")
            .open("gpus")
            .open("item")
            .elem("count", &t.gpus.to_string())
            .close("item")
            .close("gpus")
            .close("gpuInfo")
    } else {
        x
    };
    x.close("item")
}

fn describe_instance_types(c: &Call) -> R {
    let s = c.scope()?;
    let q = Describe::parse(c, "InstanceType", Some(100))?;
    let all = q.fetch(|f, p| c.estate().instance_types(&s, f, p))?;
    let (items, next) = q.page(c, all, |t| {
        q.filters.all(|n, v| match n {
            "instance-type" => any_glob(v, &t.id),
            "vcpu-info.default-vcpus" => v.contains(&t.vcpus.to_string()),
            "memory-info.size-in-mib" => v.contains(&t.memory_mib.to_string()),
            _ => true,
        })
    })?;
    let action = "DescribeInstanceTypes";
    listing(
        c,
        action,
        "instanceTypeSet",
        &items,
        next,
        instance_type_item,
    )
}

// ----- VPCs and subnets -----

fn vpc_fields(x: Xml, c: &Call, v: &crate::estate::Vpc) -> Xml {
    let x = x
        .elem("vpcId", &v.id)
        .elem("state", "available")
        .elem("cidrBlock", &v.cidr)
        .elem("dhcpOptionsId", "dopt-00000000")
        .elem("instanceTenancy", "default")
        .elem("isDefault", if v.is_default { "true" } else { "false" })
        .elem("ownerId", c.account())
        .open("cidrBlockAssociationSet")
        .open("item")
        .elem(
            "associationId",
            &format!("vpc-cidr-assoc-{}", v.id.trim_start_matches("vpc-")),
        )
        .elem("cidrBlock", &v.cidr)
        .open("cidrBlockState")
        .elem("state", "associated")
        .close("cidrBlockState")
        .close("item")
        .close("cidrBlockAssociationSet");
    tag_set(x, &v.tags)
}

fn describe_vpcs(c: &Call) -> R {
    let s = c.scope()?;
    let q = Describe::parse(c, "VpcId", Some(1000))?;
    let all = q.fetch(|f, p| c.estate().vpcs(&s, f, p))?;
    q.require_all(&all, "InvalidVpcID.NotFound", |id| {
        format!("The vpc ID '{id}' does not exist")
    })?;
    let (items, next) = q.page(c, all, |v| {
        q.filters.all_tagged(&v.tags, |n, vals| match n {
            "vpc-id" => any_glob(vals, &v.id),
            "cidr" | "cidr-block" => any_glob(vals, &v.cidr),
            "is-default" => vals.contains(&v.is_default.to_string()),
            "state" => any_glob(vals, "available"),
            _ => true,
        })
    })?;
    listing(c, "DescribeVpcs", "vpcSet", &items, next, |x, v| {
        vpc_fields(x.open("item"), c, v).close("item")
    })
}

fn create_vpc(c: &Call) -> R {
    let s = c.scope()?;
    let cidr = c.req("CidrBlock")?;
    let tags = tag_specs(c, "vpc");
    let v = est(c.estate().create_vpc(
        &s,
        NewVpc {
            name: tags.get("Name").cloned().unwrap_or_default(),
            cidr: cidr.to_string(),
            tags,
            client_token: c.get("ClientToken").map(str::to_string),
        },
    ))?;
    ok(
        c,
        "CreateVpc",
        vpc_fields(Xml::fragment().open("vpc"), c, &v).close("vpc"),
    )
}

fn subnet_fields(x: Xml, c: &Call, s: &Scope, n: &crate::estate::Subnet) -> Xml {
    let avail = n
        .cidr
        .split_once('/')
        .and_then(|(_, l)| l.parse::<u32>().ok())
        .filter(|l| *l <= 30)
        .map(|l| (1u64 << (32 - l)) - 5)
        .unwrap_or(0);
    let zone = zone_name(&s.region, &n.zone);
    let x = x
        .elem("subnetId", &n.id)
        .elem("state", "available")
        .elem("vpcId", &n.vpc_id)
        .elem("cidrBlock", &n.cidr)
        .elem("availableIpAddressCount", &avail.to_string())
        .elem("availabilityZone", &zone)
        .elem("availabilityZoneId", &zone_id(&s.region, &zone))
        .elem("defaultForAz", "false")
        .elem("mapPublicIpOnLaunch", "false")
        .elem("ownerId", c.account())
        .elem(
            "subnetArn",
            &format!("arn:aws:ec2:{}:{}:subnet/{}", s.region, c.account(), n.id),
        );
    tag_set(x, &n.tags)
}

fn describe_subnets(c: &Call) -> R {
    let s = c.scope()?;
    let q = Describe::parse(c, "SubnetId", Some(1000))?;
    let all = q.fetch(|f, p| c.estate().subnets(&s, f, p))?;
    q.require_all(&all, "InvalidSubnetID.NotFound", |id| {
        format!("The subnet ID '{id}' does not exist")
    })?;
    let (items, next) = q.page(c, all, |n| {
        q.filters.all_tagged(&n.tags, |f, vals| match f {
            "subnet-id" => any_glob(vals, &n.id),
            "vpc-id" => any_glob(vals, &n.vpc_id),
            "availability-zone" => any_glob(vals, &zone_name(&s.region, &n.zone)),
            "cidr-block" => any_glob(vals, &n.cidr),
            _ => true,
        })
    })?;
    listing(c, "DescribeSubnets", "subnetSet", &items, next, |x, n| {
        subnet_fields(x.open("item"), c, &s, n).close("item")
    })
}

fn create_subnet(c: &Call) -> R {
    let s = c.scope()?;
    let tags = tag_specs(c, "subnet");
    let zone = c.get("AvailabilityZone").map(|z| {
        region_zones(c, &s)
            .into_iter()
            .find(|x| x == z || zone_name(&s.region, x) == z)
            .unwrap_or_else(|| z.to_string())
    });
    let n = est(c.estate().create_subnet(
        &s,
        NewSubnet {
            vpc_id: c.req("VpcId")?.to_string(),
            name: tags.get("Name").cloned().unwrap_or_default(),
            zone,
            cidr: c.req("CidrBlock")?.to_string(),
            tags,
            client_token: None,
        },
    ))?;
    ok(
        c,
        "CreateSubnet",
        subnet_fields(Xml::fragment().open("subnet"), c, &s, &n).close("subnet"),
    )
}

// ----- security groups -----

fn group_id(c: &Call, s: &Scope) -> Result<String, AwsError> {
    if let Some(id) = c.get("GroupId") {
        return Ok(id.to_string());
    }
    let name = c.req("GroupName")?;
    est(c
        .estate()
        .security_groups(s, &Filter::default(), &PageReq::All))?
    .items
    .into_iter()
    .find(|g| g.name == name)
    .map(|g| g.id)
    .ok_or_else(|| {
        AwsError::new(
            400,
            "InvalidGroup.NotFound",
            &format!("The security group '{name}' does not exist"),
        )
    })
}

fn proto_name(p: &str) -> String {
    match p.to_ascii_lowercase().as_str() {
        "all" | "-1" => "-1".into(),
        "6" => "tcp".into(),
        "17" => "udp".into(),
        "1" => "icmp".into(),
        other => other.into(),
    }
}

fn permissions(x: Xml, tag: &str, rules: &[&SecurityRule], owner: &str) -> Xml {
    let x = x.open(tag);
    let x = rules.iter().fold(x, |x, r| {
        let x = x
            .open("item")
            .elem("ipProtocol", &proto_name(&r.protocol))
            .elem_opt("fromPort", r.port_from.map(|p| p.to_string()).as_deref())
            .elem_opt("toPort", r.port_to.map(|p| p.to_string()).as_deref());
        let x = match &r.peer {
            Peer::SecurityGroup(g) => x
                .open("groups")
                .open("item")
                .elem_opt("description", r.description.as_deref())
                .elem("userId", owner)
                .elem("groupId", g)
                .close("item")
                .close("groups")
                .raw("<ipRanges/>"),
            Peer::Cidr(cidr) => x.raw("<groups/>").open("ipRanges").open("item").with(|x| {
                x.elem_opt("description", r.description.as_deref())
                    .elem("cidrIp", cidr)
            }),
        };
        let x = if matches!(r.peer, Peer::Cidr(_)) {
            x.close("item").close("ipRanges")
        } else {
            x
        };
        x.raw("<ipv6Ranges/><prefixListIds/>").close("item")
    });
    x.close(tag)
}

fn sg_item(x: Xml, c: &Call, s: &Scope, g: &SecurityGroup) -> Xml {
    let ing: Vec<&SecurityRule> = g
        .rules
        .iter()
        .filter(|r| r.direction == Direction::Ingress && r.action == RuleAction::Allow)
        .collect();
    let eg: Vec<&SecurityRule> = g
        .rules
        .iter()
        .filter(|r| r.direction == Direction::Egress && r.action == RuleAction::Allow)
        .collect();
    let x = x
        .elem("ownerId", c.account())
        .elem("groupId", &g.id)
        .elem("groupName", &g.name)
        .elem("groupDescription", g.description.as_deref().unwrap_or(""))
        .elem_opt("vpcId", g.vpc_id.as_deref())
        .elem(
            "securityGroupArn",
            &format!(
                "arn:aws:ec2:{}:{}:security-group/{}",
                s.region,
                c.account(),
                g.id
            ),
        );
    let x = permissions(x, "ipPermissions", &ing, c.account());
    let x = permissions(x, "ipPermissionsEgress", &eg, c.account());
    tag_set(x, &g.tags)
}

fn describe_sgs(c: &Call) -> R {
    let s = c.scope()?;
    let names = c.list("GroupName");
    let q = Describe::parse(c, "GroupId", Some(1000))?;
    let all = q.fetch(|f, p| c.estate().security_groups(&s, f, p))?;
    q.require_all(&all, "InvalidGroup.NotFound", |id| {
        format!("The security group '{id}' does not exist")
    })?;
    let (items, next) = q.page(c, all, |g| {
        (names.is_empty() || names.contains(&g.name))
            && q.filters.all_tagged(&g.tags, |f, vals| match f {
                "group-id" => any_glob(vals, &g.id),
                "group-name" => any_glob(vals, &g.name),
                "vpc-id" => g.vpc_id.as_deref().is_some_and(|v| any_glob(vals, v)),
                _ => true,
            })
    })?;
    listing(
        c,
        "DescribeSecurityGroups",
        "securityGroupInfo",
        &items,
        next,
        |x, g| sg_item(x.open("item"), c, &s, g).close("item"),
    )
}

fn rule_item(x: Xml, c: &Call, group: &str, r: &SecurityRule) -> Xml {
    let x = x
        .open("item")
        .elem("securityGroupRuleId", &r.id)
        .elem("groupId", group)
        .elem("groupOwnerId", c.account())
        .elem(
            "isEgress",
            if r.direction == Direction::Egress {
                "true"
            } else {
                "false"
            },
        )
        .elem("ipProtocol", &proto_name(&r.protocol))
        .elem(
            "fromPort",
            &r.port_from.map(i64::from).unwrap_or(-1).to_string(),
        )
        .elem(
            "toPort",
            &r.port_to.map(i64::from).unwrap_or(-1).to_string(),
        );
    let x = match &r.peer {
        Peer::Cidr(cidr) => x.elem("cidrIpv4", cidr),
        Peer::SecurityGroup(g) => x
            .open("referencedGroupInfo")
            .elem("groupId", g)
            .elem("userId", c.account())
            .close("referencedGroupInfo"),
    };
    x.elem_opt("description", r.description.as_deref())
        .close("item")
}

fn describe_sg_rules(c: &Call) -> R {
    let s = c.scope()?;
    let q = Describe::parse(c, "SecurityGroupRuleId", Some(1000))?;
    let groups = est(c
        .estate()
        .security_groups(&s, &Filter::default(), &PageReq::All))?
    .items;
    let mut rules: Vec<(String, SecurityRule)> = groups
        .iter()
        .flat_map(|g| g.rules.iter().map(|r| (g.id.clone(), r.clone())))
        .filter(|(_, r)| r.action == RuleAction::Allow)
        .collect();
    rules.sort_by(|a, b| a.1.id.cmp(&b.1.id));
    let (items, next) = q.page(c, rules, |(g, r)| {
        (q.ids.is_empty() || q.ids.contains(&r.id))
            && q.filters.all(|f, vals| match f {
                "group-id" => any_glob(vals, g),
                "security-group-rule-id" => any_glob(vals, &r.id),
                _ => true,
            })
    })?;
    listing(
        c,
        "DescribeSecurityGroupRules",
        "securityGroupRuleSet",
        &items,
        next,
        |x, (g, r)| rule_item(x, c, g, r),
    )
}

fn create_sg(c: &Call) -> R {
    let s = c.scope()?;
    let name = c.req("GroupName")?;
    let desc = c.req("GroupDescription")?;
    let tags = tag_specs(c, "security-group");
    let g = est(c.estate().create_security_group(
        &s,
        NewSecurityGroup {
            vpc_id: c.get("VpcId").map(str::to_string),
            name: name.to_string(),
            description: Some(desc.to_string()),
            tags,
            client_token: None,
        },
    ))?;
    let x = Xml::fragment()
        .elem("return", "true")
        .elem("groupId", &g.id);
    let x = tag_set(x, &g.tags).elem(
        "securityGroupArn",
        &format!(
            "arn:aws:ec2:{}:{}:security-group/{}",
            s.region,
            c.account(),
            g.id
        ),
    );
    ok(c, "CreateSecurityGroup", x)
}

/// The rules an Authorize/Revoke request describes.
fn requested_rules(c: &Call, dir: Direction) -> Result<Vec<SecurityRule>, AwsError> {
    let port = |v: Option<&str>| -> Result<Option<u16>, AwsError> {
        match v {
            None => Ok(None),
            Some("-1") => Ok(None),
            Some(p) => p
                .parse::<u16>()
                .map(Some)
                .map_err(|_| AwsError::invalid(&format!("Invalid port {p}"))),
        }
    };
    let mk = |proto: &str, from: Option<u16>, to: Option<u16>, peer: Peer, desc: Option<&str>| {
        SecurityRule {
            id: String::new(),
            direction: dir,
            action: RuleAction::Allow,
            protocol: proto_name(proto),
            port_from: from,
            port_to: to,
            peer,
            priority: None,
            description: desc.map(str::to_string),
        }
    };
    let mut out = Vec::new();
    if let Some(proto) = c.get("IpProtocol") {
        let (from, to) = (port(c.get("FromPort"))?, port(c.get("ToPort"))?);
        if let Some(cidr) = c.get("CidrIp") {
            out.push(mk(proto, from, to, Peer::Cidr(cidr.into()), None));
        }
    }
    for n in c.indexes("IpPermissions") {
        let p = format!("IpPermissions.{n}");
        let proto = c.get(&format!("{p}.IpProtocol")).unwrap_or("-1");
        let from = port(c.get(&format!("{p}.FromPort")))?;
        let to = port(c.get(&format!("{p}.ToPort")))?;
        for m in c.indexes(&format!("{p}.IpRanges")) {
            if let Some(cidr) = c.get(&format!("{p}.IpRanges.{m}.CidrIp")) {
                let d = c.get(&format!("{p}.IpRanges.{m}.Description"));
                out.push(mk(proto, from, to, Peer::Cidr(cidr.into()), d));
            }
        }
        for m in c.indexes(&format!("{p}.Groups")) {
            if let Some(g) = c.get(&format!("{p}.Groups.{m}.GroupId")) {
                let d = c.get(&format!("{p}.Groups.{m}.Description"));
                out.push(mk(proto, from, to, Peer::SecurityGroup(g.into()), d));
            }
        }
    }
    if out.is_empty() {
        return Err(AwsError::missing("IpPermissions"));
    }
    Ok(out)
}

fn change_rules(c: &Call, action: &str) -> R {
    let s = c.scope()?;
    let gid = group_id(c, &s)?;
    let dir = if action.ends_with("Egress") {
        Direction::Egress
    } else {
        Direction::Ingress
    };
    let rules = requested_rules(c, dir)?;
    if action.starts_with("Authorize") {
        let mut added = Vec::new();
        for r in rules {
            added.push(est(c.estate().authorize_rule(&s, &gid, r))?);
        }
        let x = Xml::fragment()
            .elem("return", "true")
            .open("securityGroupRuleSet")
            .with(|x| added.iter().fold(x, |x, r| rule_item(x, c, &gid, r)))
            .close("securityGroupRuleSet");
        ok(c, action, x)
    } else {
        let g = est(c.estate().security_group(&s, &gid))?;
        for want in &rules {
            let found = g.rules.iter().find(|r| {
                r.direction == want.direction
                    && proto_name(&r.protocol) == want.protocol
                    && r.port_from == want.port_from
                    && r.port_to == want.port_to
                    && r.peer == want.peer
            });
            let Some(found) = found else {
                return Err(AwsError::new(
                    400,
                    "InvalidPermission.NotFound",
                    "The specified rule does not exist in this security group.",
                ));
            };
            est(c.estate().revoke_rule(&s, &gid, found))?;
        }
        ok(c, action, Xml::fragment().elem("return", "true"))
    }
}

// ----- addresses -----

fn association_id(alloc: &str) -> String {
    format!("eipassoc-{}", alloc.trim_start_matches("eipalloc-"))
}

fn describe_addresses(c: &Call) -> R {
    let s = c.scope()?;
    let ips = c.list("PublicIp");
    let q = Describe::parse(c, "AllocationId", None)?;
    let all = q.fetch(|f, p| c.estate().public_ips(&s, f, p))?;
    q.require_all(&all, "InvalidAllocationID.NotFound", |id| {
        format!("The allocation ID '{id}' does not exist")
    })?;
    let items: Vec<_> = all
        .into_iter()
        .filter(|a| ips.is_empty() || ips.contains(&a.address))
        .filter(|a| {
            q.filters.all_tagged(&a.tags, |f, vals| match f {
                "allocation-id" => any_glob(vals, &a.id),
                "public-ip" => any_glob(vals, &a.address),
                "instance-id" => a.instance_id.as_deref().is_some_and(|i| any_glob(vals, i)),
                "domain" => vals.iter().any(|v| v == "vpc"),
                _ => true,
            })
        })
        .collect();
    listing(
        c,
        "DescribeAddresses",
        "addressesSet",
        &items,
        None,
        |x, a| {
            let x = x
                .open("item")
                .elem("publicIp", &a.address)
                .elem("allocationId", &a.id)
                .elem("domain", "vpc")
                .elem_opt("instanceId", a.instance_id.as_deref())
                .elem_opt(
                    "associationId",
                    a.instance_id
                        .as_ref()
                        .map(|_| association_id(&a.id))
                        .as_deref(),
                )
                .elem("publicIpv4Pool", "amazon")
                .elem("networkBorderGroup", &s.region);
            tag_set(x, &a.tags).close("item")
        },
    )
}

fn allocate_address(c: &Call) -> R {
    let s = c.scope()?;
    let tags = tag_specs(c, "elastic-ip");
    let a = est(c.estate().allocate_public_ip(
        &s,
        NewPublicIp {
            name: tags.get("Name").cloned(),
            tags,
            ..NewPublicIp::default()
        },
    ))?;
    let x = Xml::fragment()
        .elem("publicIp", &a.address)
        .elem("domain", "vpc")
        .elem("allocationId", &a.id)
        .elem("publicIpv4Pool", "amazon")
        .elem("networkBorderGroup", &s.region);
    ok(c, "AllocateAddress", x)
}

fn find_allocation(c: &Call, s: &Scope, public_ip: &str) -> Result<String, AwsError> {
    est(c.estate().public_ips(s, &Filter::default(), &PageReq::All))?
        .items
        .into_iter()
        .find(|a| a.address == public_ip)
        .map(|a| a.id)
        .ok_or_else(|| {
            AwsError::new(
                400,
                "InvalidAddress.NotFound",
                &format!("Address '{public_ip}' not found."),
            )
        })
}

fn associate_address(c: &Call) -> R {
    let s = c.scope()?;
    let alloc = match c.get("AllocationId") {
        Some(a) => a.to_string(),
        None => find_allocation(c, &s, c.req("PublicIp")?)?,
    };
    let inst = c.req("InstanceId")?;
    let current = est(c.estate().public_ips(
        &s,
        &Filter {
            ids: vec![alloc.clone()],
            ..Filter::default()
        },
        &PageReq::All,
    ))?
    .items;
    let Some(ip) = current.first() else {
        return Err(ec2_from_estate(&crate::estate::EstateError::NotFound {
            kind: ResourceKind::PublicIp,
            id: alloc,
        }));
    };
    if ip.instance_id.is_some() && c.get("AllowReassociation") == Some("true") {
        est(c.estate().disassociate_public_ip(&s, &alloc))?;
    }
    est(c.estate().associate_public_ip(&s, &alloc, inst))?;
    let x = Xml::fragment()
        .elem("return", "true")
        .elem("associationId", &association_id(&alloc));
    ok(c, "AssociateAddress", x)
}

fn disassociate_address(c: &Call) -> R {
    let s = c.scope()?;
    let alloc = match (c.get("AssociationId"), c.get("PublicIp")) {
        (Some(a), _) => format!(
            "eipalloc-{}",
            a.strip_prefix("eipassoc-").ok_or_else(|| AwsError::new(
                400,
                "InvalidAssociationID.NotFound",
                &format!("The association ID '{a}' does not exist"),
            ))?
        ),
        (None, Some(ip)) => find_allocation(c, &s, ip)?,
        (None, None) => return Err(AwsError::missing("AssociationId")),
    };
    est(c.estate().disassociate_public_ip(&s, &alloc)).map_err(|e| {
        if matches!(e.code.as_str(), "InvalidAllocationID.NotFound") {
            AwsError::new(
                400,
                "InvalidAssociationID.NotFound",
                "The association ID does not exist",
            )
        } else {
            e
        }
    })?;
    ok(
        c,
        "DisassociateAddress",
        Xml::fragment().elem("return", "true"),
    )
}

// ----- tags -----

fn create_tags(c: &Call) -> R {
    let s = c.scope()?;
    let ids = c.list("ResourceId");
    if ids.is_empty() {
        return Err(AwsError::missing("ResourceId"));
    }
    let mut changes = Vec::new();
    for n in c.indexes("Tag") {
        if let Some(k) = c.get(&format!("Tag.{n}.Key")) {
            let v = c.get(&format!("Tag.{n}.Value")).unwrap_or("");
            changes.push((k.to_string(), v.to_string()));
        }
    }
    for id in &ids {
        if id.starts_with("i-") {
            let ch: Vec<(String, Option<String>)> = changes
                .iter()
                .map(|(k, v)| (k.clone(), Some(v.clone())))
                .collect();
            est(c.estate().tag_instance(&s, id, &ch))?;
            continue;
        }
        let found = c.estate().write(|d| {
            let Some(r) = d
                .accounts
                .iter_mut()
                .find(|a| a.provider == NAME && a.id == s.account)
                .and_then(|a| a.regions.get_mut(&s.region))
            else {
                return false;
            };
            let tags = if let Some(v) = r.volumes.get_mut(id) {
                &mut v.tags
            } else if let Some(v) = r.vpcs.get_mut(id) {
                &mut v.tags
            } else if let Some(v) = r.subnets.get_mut(id) {
                &mut v.tags
            } else if let Some(v) = r.security_groups.get_mut(id) {
                &mut v.tags
            } else if let Some(v) = r.public_ips.get_mut(id) {
                &mut v.tags
            } else if let Some(v) = r.images.get_mut(id) {
                &mut v.tags
            } else {
                return false;
            };
            for (k, v) in &changes {
                tags.insert(k.clone(), v.clone());
            }
            true
        });
        if !found {
            return Err(AwsError::new(
                400,
                "InvalidID",
                &format!("The ID '{id}' is not valid"),
            ));
        }
    }
    ok(c, "CreateTags", Xml::fragment().elem("return", "true"))
}
