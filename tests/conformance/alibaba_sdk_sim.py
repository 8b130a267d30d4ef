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


def config():
    return open_api_models.Config(
        access_key_id=AK,
        access_key_secret=SK,
        endpoint=RPC,
        protocol="http",
        region_id=REGION,
    )


def runtime():
    return util_models.RuntimeOptions(autoretry=False, max_attempts=0)


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

    # OSS (V1 and V4 signatures, path-style on the sim's OSS port).
    for label, auth in (("v1", oss2.Auth(AK, SK)), ("v4", oss2.AuthV4(AK, SK))):
        kw = {"region": REGION} if label == "v4" else {}
        service = oss2.Service(auth, f"http://{OSS}", **kw)
        name = f"sdk-conf-{label}"
        bucket = oss2.Bucket(auth, f"http://{OSS}", name, **kw)
        bucket.create_bucket()
        names = [b.name for b in oss2.BucketIterator(service)]
        check(f"oss[{label}] list buckets", name in names, f"buckets={names}")
        for i in range(5):
            bucket.put_object(f"dir/obj-{i}.txt", f"hello {i}".encode())
        data = bucket.get_object("dir/obj-3.txt").read()
        check(f"oss[{label}] get object", data == b"hello 3", f"data={data!r}")
        keys = [o.key for o in oss2.ObjectIteratorV2(bucket, prefix="dir/", max_keys=2)]
        check(f"oss[{label}] list objects v2 (paged)", len(keys) == 5, f"keys={keys}")
        url = bucket.sign_url("GET", "dir/obj-1.txt", 60)
        import urllib.request
        with urllib.request.urlopen(url) as r:
            check(f"oss[{label}] presigned GET", r.read() == b"hello 1")
        for k in keys:
            bucket.delete_object(k)
        bucket.delete_bucket()
        check(f"oss[{label}] delete bucket", True)

    print(f"alibaba SDK conformance: {len(checks)} checks passed")


if __name__ == "__main__":
    try:
        main()
    except Exception:
        traceback.print_exc()
        print(f"alibaba SDK conformance FAILED after {len(checks)} checks", file=sys.stderr)
        sys.exit(1)
