#!/usr/bin/env python3
"""Vendor SDK conformance: the official Alibaba Cloud Python SDKs against multicloud-sim.

Usage: alibaba_sdk_sim.py  (configuration from the environment)
  SIM_ALIBABA_RPC   host:port of the sim's Alibaba RPC frontend port
  SIM_ALIBABA_OSS   host:port of the sim's Alibaba OSS frontend port
  SIM_ALIBABA_AK / SIM_ALIBABA_SK  credentials of a seeded account
  SIM_ALIBABA_REGION  a region of that account
Exits non-zero on any failure (any SDK exception is a failure) and prints what it checked.
"""
import os
import sys
import traceback

from alibabacloud_tea_openapi import models as open_api_models
from alibabacloud_tea_util import models as util_models
from alibabacloud_ecs20140526.client import Client as EcsClient
from alibabacloud_ecs20140526 import models as ecs_models
from alibabacloud_vpc20160428.client import Client as VpcClient
from alibabacloud_vpc20160428 import models as vpc_models
from alibabacloud_ram20150501.client import Client as RamClient
from alibabacloud_ram20150501 import models as ram_models
from alibabacloud_sts20150401.client import Client as StsClient
from alibabacloud_bssopenapi20171214.client import Client as BssClient
from alibabacloud_bssopenapi20171214 import models as bss_models
import oss2
import importlib
import inspect
import re
from alibabacloud_tea_openapi.client import Client as OpenApiClient

# Every raw RPC response body, recorded to check it against the SDK's models
# strictly (field names and JSON types), beyond the SDK's lenient parsing.
RAW = []
_orig_call_api = OpenApiClient.call_api


def _recording_call_api(self, params, request, runtime):
    res = _orig_call_api(self, params, request, runtime)
    RAW.append((params.version, params.action, res.get("body")))
    return res


OpenApiClient.call_api = _recording_call_api

MODEL_PACKAGES = {
    "2014-05-26": "alibabacloud_ecs20140526",
    "2016-04-28": "alibabacloud_vpc20160428",
    "2015-05-01": "alibabacloud_ram20150501",
    "2017-12-14": "alibabacloud_bssopenapi20171214",
    "2015-04-01": "alibabacloud_sts20150401",
}


def _fields(cls):
    """JSON key -> (annotation, nested model class or None) from the model source."""
    src = inspect.getsource(cls.from_map)
    mod = importlib.import_module(cls.__module__.split(".")[0] + ".models")
    ann = {k: str(v.annotation) for k, v in inspect.signature(cls.__init__).parameters.items()}
    out = {}
    for block in re.split(r"\n\s*if m\.get\(", src)[1:]:
        key = re.match(r"'([^']+)'", block).group(1)
        attr = re.search(r"self\.(\w+)(?:\.append\(|\s*=)", block).group(1)
        sub = re.search(r"temp_model = (?:main_models\.)?(\w+)\(\)", block)
        out[key] = (ann.get(attr, "Any"), getattr(mod, sub.group(1)) if sub else None)
    return out


def strict(cls, value, path, errors):
    if not isinstance(value, dict):
        errors.append(f"{path}: expected an object, got {type(value).__name__}")
        return
    fields = _fields(cls)
    for key, v in value.items():
        if key not in fields:
            errors.append(f"{path}.{key}: not a field of {cls.__name__}")
            continue
        ann, sub = fields[key]
        p = f"{path}.{key}"
        if v is None:
            continue
        if ann.startswith("List["):
            if not isinstance(v, list):
                errors.append(f"{p}: expected a list ({ann}), got {type(v).__name__}")
                continue
            inner = ann[5:-1]
            for i, item in enumerate(v):
                if sub is not None:
                    strict(sub, item, f"{p}[{i}]", errors)
                else:
                    scalar(inner, item, f"{p}[{i}]", errors)
        elif sub is not None:
            strict(sub, v, p, errors)
        else:
            scalar(ann, v, p, errors)


def scalar(ann, v, path, errors):
    ok = {
        "str": lambda x: isinstance(x, str),
        "int": lambda x: isinstance(x, int) and not isinstance(x, bool),
        "float": lambda x: isinstance(x, (int, float)) and not isinstance(x, bool),
        "bool": lambda x: isinstance(x, bool),
    }.get(ann)
    if ok is not None and not ok(v):
        errors.append(f"{path}: expected {ann}, got {type(v).__name__} {v!r}")


def check_raw_responses():
    errors = []
    seen = set()
    for version, action, body in RAW:
        pkg = MODEL_PACKAGES[version]
        cls = getattr(importlib.import_module(pkg + ".models"), f"{action}ResponseBody")
        strict(cls, body, action, errors)
        seen.add(action)
    errors = list(dict.fromkeys(re.sub(r"\[\d+\]", "[]", e) for e in errors))
    check(f"raw responses match the SDK models strictly ({len(seen)} actions)", not errors,
          "\n  " + "\n  ".join(errors[:40]))

RPC = os.environ["SIM_ALIBABA_RPC"]
OSS = os.environ["SIM_ALIBABA_OSS"]
AK = os.environ["SIM_ALIBABA_AK"]
SK = os.environ["SIM_ALIBABA_SK"]
REGION = os.environ["SIM_ALIBABA_REGION"]

checks = []


def check(name, cond, detail=""):
    checks.append(name)
    status = "ok" if cond else "FAIL"
    print(f"[{status}] {name} {detail}", flush=True)
    if not cond:
        raise AssertionError(f"{name}: {detail}")


def config(ak=AK, sk=SK, token=None, algorithm=None):
    c = open_api_models.Config(
        access_key_id=ak,
        access_key_secret=sk,
        security_token=token,
        endpoint=RPC,
        protocol="http",
        region_id=REGION,
    )
    if algorithm:
        c.signature_algorithm = algorithm
    return c


def expect_error(name, code, fn):
    try:
        fn()
    except Exception as e:  # the SDK's ClientException / ServerException
        got = getattr(e, "code", "")
        check(name, got == code, f"code={got} status={getattr(e, 'status_code', '')}")
        return
    check(name, False, "no error raised")


def runtime():
    return util_models.RuntimeOptions(autoretry=False, max_attempts=0)


def more_rpc(rt):
    ecs = EcsClient(config())
    vpc = VpcClient(config())

    # The older HMAC-SHA1 RPC signature (signature_algorithm v2).
    old = EcsClient(config(algorithm="v2"))
    body = old.describe_instances_with_options(
        ecs_models.DescribeInstancesRequest(region_id=REGION, page_size=3), rt).body
    check("ecs (HMAC-SHA1 signature) DescribeInstances", len(body.instances.instance) == 3,
          f"total={body.total_count}")
    bad = EcsClient(config(sk=SK + "x"))
    expect_error("wrong secret is SignatureDoesNotMatch", "SignatureDoesNotMatch",
                 lambda: bad.describe_regions_with_options(ecs_models.DescribeRegionsRequest(), rt))
    unknown = EcsClient(config(ak="LTAIunknownunknownunkn"))
    expect_error("unknown key is InvalidAccessKeyId.NotFound", "InvalidAccessKeyId.NotFound",
                 lambda: unknown.describe_regions_with_options(ecs_models.DescribeRegionsRequest(), rt))
    expect_error("PageSize 101 is rejected", "InvalidPageSize",
                 lambda: ecs.describe_instances_with_options(
                     ecs_models.DescribeInstancesRequest(region_id=REGION, page_size=101), rt))

    # Zones.
    zones = ecs.describe_zones_with_options(ecs_models.DescribeZonesRequest(region_id=REGION), rt).body
    zone = zones.zones.zone[0].zone_id
    check("ecs.DescribeZones", len(zones.zones.zone) >= 1, f"zones={[z.zone_id for z in zones.zones.zone]}")

    vregions = vpc.describe_regions_with_options(vpc_models.DescribeRegionsRequest(), rt).body
    check("vpc.DescribeRegions", REGION in [r.region_id for r in vregions.regions.region])

    # VPC, vSwitch, dependency violation.
    v = vpc.create_vpc_with_options(vpc_models.CreateVpcRequest(
        region_id=REGION, cidr_block="10.50.0.0/16", vpc_name="sdk-vpc"), rt).body
    check("vpc.CreateVpc", v.vpc_id.startswith("vpc-"), v.vpc_id)
    sw = vpc.create_vswitch_with_options(vpc_models.CreateVSwitchRequest(
        region_id=REGION, vpc_id=v.vpc_id, zone_id=zone, cidr_block="10.50.1.0/24", v_switch_name="sdk-vsw"), rt).body
    check("vpc.CreateVSwitch", sw.v_switch_id.startswith("vsw-"), sw.v_switch_id)
    sws = vpc.describe_vswitches_with_options(vpc_models.DescribeVSwitchesRequest(
        region_id=REGION, vpc_id=v.vpc_id), rt).body
    check("vpc.DescribeVSwitches", sws.total_count == 1 and sws.v_switches.v_switch[0].zone_id == zone)
    expect_error("vpc.DeleteVpc with vswitch", "DependencyViolation.VSwitch",
                 lambda: vpc.delete_vpc_with_options(vpc_models.DeleteVpcRequest(region_id=REGION, vpc_id=v.vpc_id), rt))

    # Security group and rules.
    sg = ecs.create_security_group_with_options(ecs_models.CreateSecurityGroupRequest(
        region_id=REGION, vpc_id=v.vpc_id, security_group_name="sdk-sg", description="d"), rt).body
    check("ecs.CreateSecurityGroup", sg.security_group_id.startswith("sg-"), sg.security_group_id)
    ecs.authorize_security_group_with_options(ecs_models.AuthorizeSecurityGroupRequest(
        region_id=REGION, security_group_id=sg.security_group_id,
        permissions=[ecs_models.AuthorizeSecurityGroupRequestPermissions(
            ip_protocol="TCP", port_range="22/22", source_cidr_ip="10.0.0.0/8", policy="accept", priority="1")]), rt)
    ecs.authorize_security_group_egress_with_options(ecs_models.AuthorizeSecurityGroupEgressRequest(
        region_id=REGION, security_group_id=sg.security_group_id, ip_protocol="ALL", port_range="-1/-1",
        dest_cidr_ip="0.0.0.0/0"), rt)
    attr = ecs.describe_security_group_attribute_with_options(ecs_models.DescribeSecurityGroupAttributeRequest(
        region_id=REGION, security_group_id=sg.security_group_id), rt).body
    perms = attr.permissions.permission
    check("ecs.DescribeSecurityGroupAttribute", len(perms) == 2 and
          any(p.port_range == "22/22" and p.ip_protocol == "TCP" and p.direction == "ingress" for p in perms),
          f"perms={[(p.direction, p.ip_protocol, p.port_range) for p in perms]}")
    ecs.revoke_security_group_with_options(ecs_models.RevokeSecurityGroupRequest(
        region_id=REGION, security_group_id=sg.security_group_id, ip_protocol="TCP", port_range="22/22",
        source_cidr_ip="10.0.0.0/8"), rt)
    ecs.revoke_security_group_egress_with_options(ecs_models.RevokeSecurityGroupEgressRequest(
        region_id=REGION, security_group_id=sg.security_group_id, ip_protocol="ALL", port_range="-1/-1",
        dest_cidr_ip="0.0.0.0/0"), rt)
    attr = ecs.describe_security_group_attribute_with_options(ecs_models.DescribeSecurityGroupAttributeRequest(
        region_id=REGION, security_group_id=sg.security_group_id), rt).body
    check("ecs.RevokeSecurityGroup(Egress)", len(attr.permissions.permission) == 0)
    sgs = ecs.describe_security_groups_with_options(ecs_models.DescribeSecurityGroupsRequest(
        region_id=REGION, vpc_id=v.vpc_id), rt).body
    check("ecs.DescribeSecurityGroups", sgs.total_count == 1)

    # An instance in the new vSwitch, a disk and an EIP.
    img = ecs.describe_images_with_options(ecs_models.DescribeImagesRequest(region_id=REGION), rt).body
    itype = ecs.describe_instance_types_with_options(
        ecs_models.DescribeInstanceTypesRequest(), rt).body.instance_types.instance_type[0].instance_type_id
    iid = ecs.run_instances_with_options(ecs_models.RunInstancesRequest(
        region_id=REGION, image_id=img.images.image[0].image_id, instance_type=itype, v_switch_id=sw.v_switch_id,
        security_group_id=sg.security_group_id, instance_name="sdk-vm"), rt).body.instance_id_sets.instance_id_set[0]
    wait_status(ecs, rt, iid, "Running")
    ecs.stop_instance_with_options(ecs_models.StopInstanceRequest(instance_id=iid, stopped_mode="StopCharging"), rt)
    st = wait_status(ecs, rt, iid, "Stopped")
    check("ecs.StopInstance StopCharging", st.stopped_mode == "StopCharging", f"mode={st.stopped_mode}")
    expect_error("ecs.StopInstance of a stopped instance", "IncorrectInstanceStatus",
                 lambda: ecs.stop_instance_with_options(ecs_models.StopInstanceRequest(instance_id=iid), rt))
    ecs.start_instance_with_options(ecs_models.StartInstanceRequest(instance_id=iid), rt)
    wait_status(ecs, rt, iid, "Running")
    ecs.reboot_instance_with_options(ecs_models.RebootInstanceRequest(instance_id=iid), rt)
    wait_status(ecs, rt, iid, "Running")
    check("ecs.Start/Stop/RebootInstance", True)

    d = ecs.create_disk_with_options(ecs_models.CreateDiskRequest(
        region_id=REGION, zone_id=zone, size=40, disk_category="cloud_essd", disk_name="sdk-disk",
        client_token="sdk-disk-token"), rt).body
    d2 = ecs.create_disk_with_options(ecs_models.CreateDiskRequest(
        region_id=REGION, zone_id=zone, size=40, disk_category="cloud_essd", disk_name="sdk-disk",
        client_token="sdk-disk-token"), rt).body
    check("ecs.CreateDisk ClientToken", d.disk_id == d2.disk_id and d.disk_id.startswith("d-"), d.disk_id)
    time_wait(lambda: disk_status(ecs, rt, d.disk_id) == "Available")
    ecs.attach_disk_with_options(ecs_models.AttachDiskRequest(instance_id=iid, disk_id=d.disk_id), rt)
    time_wait(lambda: disk_status(ecs, rt, d.disk_id) == "In_use")
    check("ecs.AttachDisk", disk_status(ecs, rt, d.disk_id) == "In_use")
    ecs.detach_disk_with_options(ecs_models.DetachDiskRequest(instance_id=iid, disk_id=d.disk_id), rt)
    time_wait(lambda: disk_status(ecs, rt, d.disk_id) == "Available")
    ecs.delete_disk_with_options(ecs_models.DeleteDiskRequest(disk_id=d.disk_id), rt)
    # The API reference: "If the specified DiskId parameter does not exist, the request is ignored."
    ecs.delete_disk_with_options(ecs_models.DeleteDiskRequest(disk_id=d.disk_id), rt)
    check("ecs.DeleteDisk twice is ignored", disk_status(ecs, rt, d.disk_id) is None)

    eip = vpc.allocate_eip_address_with_options(vpc_models.AllocateEipAddressRequest(region_id=REGION, bandwidth="5"), rt).body
    check("vpc.AllocateEipAddress", eip.allocation_id.startswith("eip-") and eip.eip_address, eip.eip_address)
    vpc.associate_eip_address_with_options(vpc_models.AssociateEipAddressRequest(
        region_id=REGION, allocation_id=eip.allocation_id, instance_id=iid), rt)
    inst = ecs.describe_instances_with_options(ecs_models.DescribeInstancesRequest(
        region_id=REGION, instance_ids='["%s"]' % iid), rt).body.instances.instance[0]
    check("instance shows its EIP", inst.eip_address.ip_address == eip.eip_address, inst.eip_address.ip_address)
    eips = vpc.describe_eip_addresses_with_options(vpc_models.DescribeEipAddressesRequest(
        region_id=REGION, allocation_id=eip.allocation_id), rt).body
    check("vpc.DescribeEipAddresses", eips.eip_addresses.eip_address[0].instance_id == iid)
    vpc.unassociate_eip_address_with_options(vpc_models.UnassociateEipAddressRequest(
        region_id=REGION, allocation_id=eip.allocation_id, instance_id=iid), rt)
    vpc.release_eip_address_with_options(vpc_models.ReleaseEipAddressRequest(
        region_id=REGION, allocation_id=eip.allocation_id), rt)
    check("vpc.Unassociate/ReleaseEipAddress", True)

    ecs.delete_instance_with_options(ecs_models.DeleteInstanceRequest(instance_id=iid, force=True), rt)
    time_wait(lambda: not ecs.describe_instances_with_options(ecs_models.DescribeInstancesRequest(
        region_id=REGION, instance_ids='["%s"]' % iid), rt).body.instances.instance)
    # Deletion is asynchronous: the group stays in use until the instance is gone.
    for attempt in range(100):
        try:
            ecs.delete_security_group_with_options(ecs_models.DeleteSecurityGroupRequest(
                region_id=REGION, security_group_id=sg.security_group_id), rt)
            break
        except Exception as e:
            if getattr(e, "code", "") != "DependencyViolation" or attempt == 99:
                raise
            import time
            time.sleep(0.1)
    vpc.delete_vswitch_with_options(vpc_models.DeleteVSwitchRequest(region_id=REGION, v_switch_id=sw.v_switch_id), rt)
    vpc.delete_vpc_with_options(vpc_models.DeleteVpcRequest(region_id=REGION, vpc_id=v.vpc_id), rt)
    check("cleanup instance, security group, vswitch, vpc", True)

    # RAM.
    ram = RamClient(config())
    u = ram.create_user_with_options(ram_models.CreateUserRequest(user_name="sdk-user", display_name="SDK"), rt).body
    check("ram.CreateUser", u.user.user_name == "sdk-user", u.user.user_id)
    expect_error("ram.CreateUser twice", "EntityAlreadyExists.User",
                 lambda: ram.create_user_with_options(ram_models.CreateUserRequest(user_name="sdk-user"), rt))
    g = ram.get_user_with_options(ram_models.GetUserRequest(user_name="sdk-user"), rt).body
    check("ram.GetUser", g.user.display_name == "SDK")
    pols = ram.list_policies_with_options(ram_models.ListPoliciesRequest(max_items=1000), rt).body.policies.policy
    check("ram.ListPolicies", len(pols) >= 1, f"n={len(pols)}")
    ram.attach_policy_to_user_with_options(ram_models.AttachPolicyToUserRequest(
        policy_type=pols[0].policy_type, policy_name=pols[0].policy_name, user_name="sdk-user"), rt)
    attached = ram.list_policies_for_user_with_options(
        ram_models.ListPoliciesForUserRequest(user_name="sdk-user"), rt).body.policies.policy
    check("ram.ListPoliciesForUser", [p.policy_name for p in attached] == [pols[0].policy_name])
    expect_error("ram.DeleteUser with policy", "DeleteConflict.User.Policy",
                 lambda: ram.delete_user_with_options(ram_models.DeleteUserRequest(user_name="sdk-user"), rt))
    ram.detach_policy_from_user_with_options(ram_models.DetachPolicyFromUserRequest(
        policy_type=pols[0].policy_type, policy_name=pols[0].policy_name, user_name="sdk-user"), rt)
    ram.delete_user_with_options(ram_models.DeleteUserRequest(user_name="sdk-user"), rt)
    expect_error("ram.GetUser deleted", "EntityNotExist.User",
                 lambda: ram.get_user_with_options(ram_models.GetUserRequest(user_name="sdk-user"), rt))
    groups = ram.list_groups_with_options(ram_models.ListGroupsRequest(), rt).body
    roles = ram.list_roles_with_options(ram_models.ListRolesRequest(), rt).body.roles.role
    check("ram.ListGroups/ListRoles", groups.is_truncated is False and len(roles) >= 1, f"roles={len(roles)}")
    for_role = ram.list_policies_for_role_with_options(
        ram_models.ListPoliciesForRoleRequest(role_name=roles[0].role_name), rt).body.policies.policy
    check("ram.ListPoliciesForRole", isinstance(for_role, list), f"n={len(for_role)}")
    if groups.groups.group:
        for_group = ram.list_policies_for_group_with_options(
            ram_models.ListPoliciesForGroupRequest(group_name=groups.groups.group[0].group_name), rt).body
        check("ram.ListPoliciesForGroup", for_group.policies is not None)
    # A policy attached to and detached from a group and a role.
    group = groups.groups.group[0].group_name
    role = roles[0].role_name

    def names_for(kind):
        if kind == "group":
            b = ram.list_policies_for_group_with_options(
                ram_models.ListPoliciesForGroupRequest(group_name=group), rt).body
        else:
            b = ram.list_policies_for_role_with_options(
                ram_models.ListPoliciesForRoleRequest(role_name=role), rt).body
        return [p.policy_name for p in b.policies.policy]

    before = {"group": names_for("group"), "role": names_for("role")}
    pol = next(p for p in pols if p.policy_name not in before["group"] + before["role"])
    ram.attach_policy_to_group_with_options(ram_models.AttachPolicyToGroupRequest(
        policy_type=pol.policy_type, policy_name=pol.policy_name, group_name=group), rt)
    ram.attach_policy_to_role_with_options(ram_models.AttachPolicyToRoleRequest(
        policy_type=pol.policy_type, policy_name=pol.policy_name, role_name=role), rt)
    after = {"group": names_for("group"), "role": names_for("role")}
    for k in ("group", "role"):
        check(f"ram.AttachPolicyTo{k.title()} then ListPoliciesFor{k.title()}",
              sorted(after[k]) == sorted(before[k] + [pol.policy_name]),
              f"before={before[k]} after={after[k]}")
    ram.detach_policy_from_group_with_options(ram_models.DetachPolicyFromGroupRequest(
        policy_type=pol.policy_type, policy_name=pol.policy_name, group_name=group), rt)
    ram.detach_policy_from_role_with_options(ram_models.DetachPolicyFromRoleRequest(
        policy_type=pol.policy_type, policy_name=pol.policy_name, role_name=role), rt)
    for k in ("group", "role"):
        now = names_for(k)
        check(f"ram.DetachPolicyFrom{k.title()}", now == before[k], f"now={now}")
    keys = ram.list_access_keys_with_options(ram_models.ListAccessKeysRequest(), rt).body
    check("ram.ListAccessKeys", len(keys.access_keys.access_key) >= 1)

    # STS AssumeRole, then the temporary key with its token.
    from alibabacloud_sts20150401 import models as sts_models
    sts = StsClient(config())
    cred = sts.assume_role_with_options(sts_models.AssumeRoleRequest(
        role_arn=roles[0].arn, role_session_name="sdk-session", duration_seconds=900), rt).body.credentials
    check("sts.AssumeRole", cred.access_key_id.startswith("STS.") and cred.security_token, cred.access_key_id)
    tmp = StsClient(config(ak=cred.access_key_id, sk=cred.access_key_secret, token=cred.security_token))
    who = tmp.get_caller_identity_with_options(rt).body
    check("temporary key works with its token", who.identity_type == "AssumedRoleUser", who.arn)
    notoken = StsClient(config(ak=cred.access_key_id, sk=cred.access_key_secret))
    expect_error("temporary key without token", "InvalidSecurityToken.MismatchWithAccessKey",
                 lambda: notoken.get_caller_identity_with_options(rt))

    # BSS bill with NextToken paging.
    bss = BssClient(config())
    import datetime
    lines = 0
    cycles = []
    today = datetime.date.today().replace(day=1)
    for back in range(0, 3):
        m = (today.month - 1 - back) % 12 + 1
        y = today.year + ((today.month - 1 - back) // 12)
        cycles.append(f"{y:04d}-{m:02d}")
    for cycle in cycles:
        token = None
        while True:
            b = bss.describe_instance_bill_with_options(bss_models.DescribeInstanceBillRequest(
                billing_cycle=cycle, max_results=2, next_token=token), rt).body
            lines += len(b.data.items)
            token = b.data.next_token
            if not token:
                break
    check("bss.DescribeInstanceBill (NextToken)", lines >= 1, f"cycles={cycles} lines={lines}")
    return cred


def oss_v2_sdk():
    """The newer alibabacloud-oss-v2 SDK (its own V4 signer), path style."""
    import alibabacloud_oss_v2 as oss
    cfg = oss.config.load_default()
    cfg.credentials_provider = oss.credentials.StaticCredentialsProvider(AK, SK)
    cfg.region = REGION
    cfg.endpoint = f"http://{OSS}"
    cfg.use_path_style = True
    cfg.retry_max_attempts = 1
    client = oss.Client(cfg)
    name = "sdk-conf-ossv2"
    client.put_bucket(oss.PutBucketRequest(bucket=name))
    # The owner's PutBucket of its own bucket succeeds (OSS PutBucket
    # reference: later calls modify the bucket's metadata).
    again = client.put_bucket(oss.PutBucketRequest(bucket=name))
    check("oss-v2 put bucket again (owner)", again.status_code == 200, f"status={again.status_code}")
    for i in range(4):
        client.put_object(oss.PutObjectRequest(bucket=name, key=f"k/{i}", body=f"v{i}".encode()))
    got = client.get_object(oss.GetObjectRequest(bucket=name, key="k/2"))
    check("oss-v2 get object", got.body.read() == b"v2")
    keys = []
    for page in client.list_objects_v2_paginator().iter_page(
            oss.ListObjectsV2Request(bucket=name, prefix="k/", max_keys=3)):
        keys.extend(o.key for o in (page.contents or []))
    check("oss-v2 list objects v2 (paginator)", keys == [f"k/{i}" for i in range(4)], f"keys={keys}")
    buckets = []
    for page in client.list_buckets_paginator().iter_page(oss.ListBucketsRequest()):
        buckets.extend(b.name for b in (page.buckets or []))
    check("oss-v2 list buckets", name in buckets, f"buckets={buckets}")
    pre = client.presign(oss.GetObjectRequest(bucket=name, key="k/1"))
    import urllib.request
    with urllib.request.urlopen(pre.url) as r:
        check("oss-v2 presigned GET", r.read() == b"v1")
    for k in keys:
        client.delete_object(oss.DeleteObjectRequest(bucket=name, key=k))
    client.delete_bucket(oss.DeleteBucketRequest(bucket=name))
    check("oss-v2 delete bucket", True)


def time_wait(cond, tries=100):
    import time
    for _ in range(tries):
        if cond():
            return True
        time.sleep(0.05)
    return False


def wait_status(ecs, rt, iid, want):
    import time
    inst = None
    for _ in range(100):
        inst = ecs.describe_instances_with_options(ecs_models.DescribeInstancesRequest(
            region_id=REGION, instance_ids='["%s"]' % iid), rt).body.instances.instance[0]
        if inst.status == want:
            return inst
        time.sleep(0.05)
    check(f"instance {iid} becomes {want}", False, f"status={inst.status if inst else None}")


def disk_status(ecs, rt, did):
    ds = ecs.describe_disks_with_options(ecs_models.DescribeDisksRequest(
        region_id=REGION, disk_ids='["%s"]' % did), rt).body.disks.disk
    return ds[0].status if ds else None


def main():
    ecs = EcsClient(config())
    rt = runtime()

    # Regions.
    regions = ecs.describe_regions_with_options(ecs_models.DescribeRegionsRequest(), rt).body
    ids = [r.region_id for r in regions.regions.region]
    check("ecs.DescribeRegions", REGION in ids, f"regions={ids}")

    # Instances over several pages.
    seen = []
    page = 1
    total = None
    while True:
        body = ecs.describe_instances_with_options(
            ecs_models.DescribeInstancesRequest(region_id=REGION, page_number=page, page_size=7), rt
        ).body
        total = body.total_count
        got = body.instances.instance
        seen.extend(i.instance_id for i in got)
        if len(got) < 7:
            break
        page += 1
    check("ecs.DescribeInstances pages", page >= 3, f"pages={page}")
    check("ecs.DescribeInstances count == TotalCount", len(seen) == total and len(set(seen)) == total,
          f"seen={len(seen)} total={total}")

    # NextToken / MaxResults paging.
    token_seen = []
    token = None
    while True:
        body = ecs.describe_instances_with_options(
            ecs_models.DescribeInstancesRequest(region_id=REGION, max_results=9, next_token=token), rt
        ).body
        token_seen.extend(i.instance_id for i in body.instances.instance)
        token = body.next_token
        if not token:
            break
    check("ecs.DescribeInstances NextToken", sorted(token_seen) == sorted(seen), f"n={len(token_seen)}")

    # Filter by ids (JSON array string).
    body = ecs.describe_instances_with_options(
        ecs_models.DescribeInstancesRequest(region_id=REGION, instance_ids=str(seen[:2]).replace("'", '"')), rt
    ).body
    check("ecs.DescribeInstances InstanceIds", body.total_count == 2, f"total={body.total_count}")

    # Create and delete an instance.
    img = ecs.describe_images_with_options(ecs_models.DescribeImagesRequest(region_id=REGION), rt).body
    image_id = img.images.image[0].image_id
    types = ecs.describe_instance_types_with_options(ecs_models.DescribeInstanceTypesRequest(), rt).body
    itype = types.instance_types.instance_type[0].instance_type_id
    run = ecs.run_instances_with_options(
        ecs_models.RunInstancesRequest(
            region_id=REGION, image_id=image_id, instance_type=itype, instance_name="sdk-conformance",
            client_token="sdk-conformance-token", amount=1,
        ),
        rt,
    ).body
    new_ids = run.instance_id_sets.instance_id_set
    check("ecs.RunInstances", len(new_ids) == 1 and new_ids[0].startswith("i-"), f"ids={new_ids}")
    got = ecs.describe_instances_with_options(
        ecs_models.DescribeInstancesRequest(region_id=REGION, instance_ids='["%s"]' % new_ids[0]), rt
    ).body.instances.instance
    check("ecs.DescribeInstances new", len(got) == 1 and got[0].instance_name == "sdk-conformance",
          f"status={got[0].status if got else None}")
    import time
    status = got[0].status if got else None
    for _ in range(100):
        if status == "Running":
            break
        time.sleep(0.1)
        status = ecs.describe_instances_with_options(
            ecs_models.DescribeInstancesRequest(region_id=REGION, instance_ids='["%s"]' % new_ids[0]), rt
        ).body.instances.instance[0].status
    check("ecs instance becomes Running", status == "Running", f"status={status}")
    ecs.delete_instance_with_options(ecs_models.DeleteInstanceRequest(instance_id=new_ids[0], force=True), rt)
    check("ecs.DeleteInstance Force", True)
    try:
        ecs.delete_instance_with_options(ecs_models.DeleteInstanceRequest(instance_id=new_ids[0], force=True), rt)
        check("ecs.DeleteInstance twice is NotFound", False, "no error")
    except Exception as e:  # the SDK's ClientException
        code = getattr(e, "code", "")
        check("ecs.DeleteInstance twice is NotFound", code == "InvalidInstanceId.NotFound", f"code={code}")

    # Disks.
    disks = ecs.describe_disks_with_options(ecs_models.DescribeDisksRequest(region_id=REGION, page_size=5), rt).body
    check("ecs.DescribeDisks", disks.total_count >= len(disks.disks.disk), f"total={disks.total_count}")

    # VPC.
    vpc = VpcClient(config())
    vpcs = vpc.describe_vpcs_with_options(vpc_models.DescribeVpcsRequest(region_id=REGION), rt).body
    check("vpc.DescribeVpcs", vpcs.total_count == len(vpcs.vpcs.vpc) or vpcs.total_count > 10,
          f"total={vpcs.total_count}")

    # RAM users.
    ram = RamClient(config())
    users = []
    marker = None
    while True:
        b = ram.list_users_with_options(ram_models.ListUsersRequest(max_items=1, marker=marker), rt).body
        users.extend(u.user_name for u in b.users.user)
        if not b.is_truncated:
            break
        marker = b.marker
    check("ram.ListUsers", len(users) >= 1 and len(users) == len(set(users)), f"users={users}")

    # STS.
    sts = StsClient(config())
    me = sts.get_caller_identity_with_options(rt).body
    check("sts.GetCallerIdentity", bool(me.account_id), f"account={me.account_id}")

    # BSS.
    bss = BssClient(config())
    bal = bss.query_account_balance_with_options(rt).body
    check("bss.QueryAccountBalance", bal.success and bal.data.currency, f"currency={bal.data.currency}")

    cred = more_rpc(rt)

    # OSS with the temporary STS credentials (security token header).
    sts_auth = oss2.StsAuth(cred.access_key_id, cred.access_key_secret, cred.security_token)
    sts_names = [b.name for b in oss2.BucketIterator(oss2.Service(sts_auth, f"http://{OSS}"))]
    check("oss with STS credentials", len(sts_names) >= 1, f"buckets={sts_names}")
    bad_sts = oss2.StsAuth(cred.access_key_id, cred.access_key_secret, cred.security_token + "x")
    try:
        list(oss2.BucketIterator(oss2.Service(bad_sts, f"http://{OSS}")))
        check("oss with a wrong STS token is refused", False, "no error")
    except oss2.exceptions.ServerError as e:
        check("oss with a wrong STS token is refused", e.status == 403, f"status={e.status} code={e.code}")

    # OSS (V1 and V4 signatures, path-style on the sim's OSS port).
    for label, auth in (("v1", oss2.Auth(AK, SK)), ("v4", oss2.AuthV4(AK, SK))):
        kw = {"region": REGION} if label == "v4" else {}
        service = oss2.Service(auth, f"http://{OSS}", **kw)
        name = f"sdk-conf-{label}"
        bucket = oss2.Bucket(auth, f"http://{OSS}", name, **kw)
        bucket.create_bucket()
        names = [b.name for b in oss2.BucketIterator(service)]
        check(f"oss[{label}] list buckets", name in names, f"buckets={names}")
        paged = [b.name for b in oss2.BucketIterator(service, max_keys=1)]
        check(f"oss[{label}] list buckets paged (max-keys=1)", sorted(paged) == sorted(names), f"buckets={paged}")
        info = bucket.get_bucket_info()
        check(f"oss[{label}] bucket info", info.name == name and info.location == f"oss-{REGION}",
              f"location={info.location}")
        loc = bucket.get_bucket_location().location
        check(f"oss[{label}] bucket location", loc == f"oss-{REGION}", loc)
        for i in range(5):
            bucket.put_object(f"dir/obj-{i}.txt", f"hello {i}".encode())
        data = bucket.get_object("dir/obj-3.txt").read()
        check(f"oss[{label}] get object", data == b"hello 3", f"data={data!r}")
        keys = [o.key for o in oss2.ObjectIteratorV2(bucket, prefix="dir/", max_keys=2)]
        check(f"oss[{label}] list objects v2 (paged)", len(keys) == 5, f"keys={keys}")
        objs = list(oss2.ObjectIterator(bucket, prefix="dir/", max_keys=2))
        check(f"oss[{label}] list objects v1 (marker)", [o.key for o in objs] == keys
              and all(o.size == len(b"hello 0") for o in objs), f"sizes={[o.size for o in objs]}")
        top = list(oss2.ObjectIteratorV2(bucket, delimiter="/"))
        check(f"oss[{label}] delimiter gives common prefixes", [o.key for o in top if o.is_prefix()] == ["dir/"],
              f"entries={[o.key for o in top]}")
        url = bucket.sign_url("GET", "dir/obj-1.txt", 60)
        import urllib.request
        with urllib.request.urlopen(url) as r:
            check(f"oss[{label}] presigned GET", r.read() == b"hello 1")
        head = bucket.head_object("dir/obj-2.txt")
        check(f"oss[{label}] head object", head.etag and head.headers.get("x-oss-object-type") == "Normal"
              and head.content_length == len(b"hello 2"), f"etag={head.etag} length={head.content_length}")
        part = bucket.get_object("dir/obj-4.txt", byte_range=(0, 4)).read()
        check(f"oss[{label}] ranged get", part == b"hello", f"data={part!r}")
        bucket.copy_object(name, "dir/obj-0.txt", "copy/obj-0.txt")
        check(f"oss[{label}] copy object", bucket.get_object("copy/obj-0.txt").read() == b"hello 0")
        up = bucket.init_multipart_upload("big/object.bin").upload_id
        p1 = bucket.upload_part("big/object.bin", up, 1, b"a" * 100)
        p2 = bucket.upload_part("big/object.bin", up, 2, b"b" * 50)
        bucket.complete_multipart_upload("big/object.bin", up, [
            oss2.models.PartInfo(1, p1.etag), oss2.models.PartInfo(2, p2.etag)])
        big = bucket.get_object("big/object.bin").read()
        check(f"oss[{label}] multipart upload", big == b"a" * 100 + b"b" * 50, f"len={len(big)}")
        up2 = bucket.init_multipart_upload("big/aborted.bin").upload_id
        bucket.abort_multipart_upload("big/aborted.bin", up2)
        check(f"oss[{label}] abort multipart", True)
        try:
            bucket.get_object("missing/key")
            check(f"oss[{label}] NoSuchKey", False, "no error")
        except oss2.exceptions.NoSuchKey as e:
            check(f"oss[{label}] NoSuchKey", e.status == 404 and e.code == "NoSuchKey", f"status={e.status}")
        try:
            bucket.delete_bucket()
            check(f"oss[{label}] BucketNotEmpty", False, "no error")
        except oss2.exceptions.BucketNotEmpty as e:
            check(f"oss[{label}] BucketNotEmpty", e.status == 409)
        for k in keys + ["copy/obj-0.txt", "big/object.bin"]:
            bucket.delete_object(k)
        bucket.delete_bucket()
        check(f"oss[{label}] delete bucket", True)

    oss_v2_sdk()
    check_raw_responses()

    print(f"alibaba SDK conformance: {len(checks)} checks passed")


if __name__ == "__main__":
    try:
        main()
    except Exception:
        traceback.print_exc()
        print(f"alibaba SDK conformance FAILED after {len(checks)} checks", file=sys.stderr)
        sys.exit(1)
