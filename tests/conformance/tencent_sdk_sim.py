#!/usr/bin/env python3
"""Tencent Cloud's official Python SDKs against the multicloud simulator.

Environment (set by sim/tests/tencent_sdk_conformance.rs):
  SIM_TENCENT_API   host:port of the sim's Tencent API 3.0 frontend port
  SIM_TENCENT_COS   host:port of the sim's COS frontend port
  TENCENTCLOUD_SECRET_ID, TENCENTCLOUD_SECRET_KEY, TENCENTCLOUD_REGION
  SIM_TENCENT_APPID the account's APPID (COS bucket suffix)
  SIM_MIN_INSTANCES instances the region is expected to hold (>= 3 pages)

Exits non-zero on any failure; prints each check.
"""
import os
import sys
import time
import uuid
import warnings

# A field the SDK's models do not know is a failure (the SDK warns
# "<names> fileds are useless." when a response carries one).
warnings.filterwarnings("error", message=".*fileds are useless.*")

from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.cvm.v20170312 import cvm_client, models as cvm_models
from tencentcloud.cam.v20190116 import cam_client, models as cam_models
from tencentcloud.cbs.v20170312 import cbs_client, models as cbs_models
from tencentcloud.vpc.v20170312 import vpc_client, models as vpc_models
from tencentcloud.billing.v20180709 import billing_client, models as billing_models
from tencentcloud.sts.v20180813 import sts_client, models as sts_models
from qcloud_cos import CosConfig, CosS3Client

API = os.environ["SIM_TENCENT_API"]
COS = os.environ["SIM_TENCENT_COS"]
SID = os.environ["TENCENTCLOUD_SECRET_ID"]
SKEY = os.environ["TENCENTCLOUD_SECRET_KEY"]
REGION = os.environ.get("TENCENTCLOUD_REGION", "ap-guangzhou")
APPID = os.environ["SIM_TENCENT_APPID"]
MIN_INSTANCES = int(os.environ.get("SIM_MIN_INSTANCES", "0"))

checks = 0


def ok(msg):
    global checks
    checks += 1
    print("ok  ", msg, flush=True)


def fail(msg):
    print("FAIL", msg, flush=True)
    sys.exit(1)


def profile(method="POST", sign="TC3-HMAC-SHA256"):
    hp = HttpProfile(endpoint=API, protocol="http", reqTimeout=30, reqMethod=method)
    return ClientProfile(httpProfile=hp, signMethod=sign)


cred = credential.Credential(SID, SKEY)
cvm = cvm_client.CvmClient(cred, REGION, profile())
cam = cam_client.CamClient(cred, "", profile())


def list_all_instances(limit):
    ids, offset, total = [], 0, None
    pages = 0
    while True:
        req = cvm_models.DescribeInstancesRequest()
        req.Offset = offset
        req.Limit = limit
        resp = cvm.DescribeInstances(req)
        pages += 1
        total = resp.TotalCount
        ids.extend(i.InstanceId for i in resp.InstanceSet)
        if not resp.InstanceSet or len(ids) >= total:
            break
        offset += limit
    return ids, total, pages


def main():
    # Regions.
    regions = cvm.DescribeRegions(cvm_models.DescribeRegionsRequest())
    names = [r.Region for r in regions.RegionSet]
    if REGION not in names or regions.TotalCount != len(names):
        fail("DescribeRegions: %r (TotalCount %s)" % (names, regions.TotalCount))
    ok("DescribeRegions lists %d regions incl. %s" % (len(names), REGION))

    # Instances across several pages.
    limit = 4
    ids, total, pages = list_all_instances(limit)
    if len(ids) != total or len(set(ids)) != total:
        fail("paging: got %d ids (%d unique), TotalCount %d" % (len(ids), len(set(ids)), total))
    if total < MIN_INSTANCES or pages < 3:
        fail("paging: only %d instances in %d pages" % (total, pages))
    ok("DescribeInstances: %d instances over %d pages of %d == TotalCount" % (total, pages, limit))

    # Create and delete an instance.
    zones = cvm.DescribeZones(cvm_models.DescribeZonesRequest()).ZoneSet
    images = cvm.DescribeImages(cvm_models.DescribeImagesRequest()).ImageSet
    treq = cvm_models.DescribeInstanceTypeConfigsRequest()
    types = cvm.DescribeInstanceTypeConfigs(treq).InstanceTypeConfigSet
    if not zones or not images or not types:
        fail("zones/images/types empty")
    ok("DescribeZones/DescribeImages/DescribeInstanceTypeConfigs: %d/%d/%d"
       % (len(zones), len(images), len(types)))
    run = cvm_models.RunInstancesRequest()
    run.Placement = cvm_models.Placement()
    run.Placement.Zone = zones[0].Zone
    run.ImageId = images[0].ImageId
    run.InstanceType = types[0].InstanceType
    run.InstanceName = "conformance"
    run.ClientToken = str(uuid.uuid4())
    created = cvm.RunInstances(run).InstanceIdSet
    if len(created) != 1:
        fail("RunInstances returned %r" % created)
    again = cvm.RunInstances(run).InstanceIdSet
    if again != created:
        fail("RunInstances with the same ClientToken made %r then %r" % (created, again))
    ok("RunInstances created %s (idempotent with ClientToken)" % created[0])
    dreq = cvm_models.DescribeInstancesRequest()
    dreq.InstanceIds = created
    got = cvm.DescribeInstances(dreq)
    if got.TotalCount != 1 or got.InstanceSet[0].InstanceName != "conformance":
        fail("DescribeInstances of the new instance: %s" % got.to_json_string())
    ok("DescribeInstances finds it (state %s)" % got.InstanceSet[0].InstanceState)
    for _ in range(50):
        st = cvm.DescribeInstances(dreq).InstanceSet[0].InstanceState
        if st == "RUNNING":
            break
        time.sleep(0.1)
    term = cvm_models.TerminateInstancesRequest()
    term.InstanceIds = created
    cvm.TerminateInstances(term)
    for _ in range(100):
        if cvm.DescribeInstances(dreq).TotalCount == 0:
            break
        time.sleep(0.1)
    else:
        fail("the terminated instance is still listed")
    ok("TerminateInstances: the instance is gone")
    # A missing instance is the documented error, parsed by the SDK.
    try:
        bad = cvm_models.StartInstancesRequest()
        bad.InstanceIds = ["ins-notthere"]
        cvm.StartInstances(bad)
        fail("StartInstances of a missing id succeeded")
    except TencentCloudSDKException as e:
        if e.get_code() != "InvalidInstanceId.NotFound":
            fail("missing instance gave %s" % e.get_code())
    ok("missing instance -> InvalidInstanceId.NotFound")

    # Users.
    users = cam.ListUsers(cam_models.ListUsersRequest()).Data
    if not users:
        fail("ListUsers returned no users")
    ok("ListUsers: %s" % ", ".join(u.Name for u in users))

    more_api_checks()

    # COS: put, get, list objects.
    host, port = COS.rsplit(":", 1)
    cfg = CosConfig(Region=REGION, SecretId=SID, SecretKey=SKEY, Scheme="http",
                    IP=host, Port=int(port), ServiceDomain=COS)
    cos = CosS3Client(cfg, retry=1)
    buckets = cos.list_buckets()["Buckets"]["Bucket"]
    if isinstance(buckets, dict):
        buckets = [buckets]
    ok("list_buckets: %s" % ", ".join(b["Name"] for b in buckets))
    bucket = "conformance-%s" % APPID
    cos.create_bucket(Bucket=bucket)
    ok("create_bucket %s" % bucket)
    for i in range(5):
        cos.put_object(Bucket=bucket, Key="dir/obj-%d.txt" % i, Body=b"hello %d" % i)
    body = cos.get_object(Bucket=bucket, Key="dir/obj-3.txt")["Body"].get_raw_stream().read()
    if body != b"hello 3":
        fail("get_object returned %r" % body)
    ok("put_object x5, get_object round trip")
    keys, marker = [], ""
    while True:
        page = cos.list_objects(Bucket=bucket, Prefix="dir/", MaxKeys=2, Marker=marker)
        keys.extend(c["Key"] for c in page.get("Contents", []))
        if page["IsTruncated"] != "true":
            break
        marker = page["NextMarker"]
    if keys != ["dir/obj-%d.txt" % i for i in range(5)]:
        fail("list_objects pages gave %r" % keys)
    ok("list_objects over pages of 2: %d keys" % len(keys))
    head = cos.head_object(Bucket=bucket, Key="dir/obj-0.txt")
    # The SDK returns the raw header dict; the sim sends lower-case names.
    head = {k.lower(): v for k, v in head.items()}
    if head.get("content-length") != "7":
        fail("head_object: %r" % head)
    # Presign offline with the real host names, then send it to the sim.
    signer = CosS3Client(CosConfig(Region=REGION, SecretId=SID, SecretKey=SKEY, Scheme="http"))
    url = signer.get_presigned_url(Bucket=bucket, Key="dir/obj-1.txt", Method="GET", Expired=300)
    import requests
    url = url.replace("http://%s.cos.%s.myqcloud.com" % (bucket, REGION), "http://%s" % COS)
    r = requests.get(url, headers={"Host": "%s.cos.%s.myqcloud.com" % (bucket, REGION)})
    if r.status_code != 200 or r.content != b"hello 1":
        fail("presigned GET: %s %r" % (r.status_code, r.content[:200]))
    ok("presigned GET")
    # Range, copy, multipart through the SDK.
    part = cos.get_object(Bucket=bucket, Key="dir/obj-2.txt", Range="bytes=0-4")["Body"].get_raw_stream().read()
    if part != b"hello":
        fail("ranged get_object: %r" % part)
    cos.copy_object(Bucket=bucket, Key="copy.txt",
                    CopySource={"Bucket": bucket, "Key": "dir/obj-4.txt", "Region": REGION})
    if cos.get_object(Bucket=bucket, Key="copy.txt")["Body"].get_raw_stream().read() != b"hello 4":
        fail("copy_object content")
    up = cos.create_multipart_upload(Bucket=bucket, Key="big.bin")["UploadId"]
    etags = []
    for n in (1, 2):
        r = cos.upload_part(Bucket=bucket, Key="big.bin", Body=bytes([64 + n]) * 1024, PartNumber=n, UploadId=up)
        # Header dicts keep the wire case; the sim's server sends lower-case
        # names (real COS sends "ETag"), so look the header up case-blind.
        etag = {k.lower(): v for k, v in r.items()}["etag"]
        etags.append({"PartNumber": n, "ETag": etag})
    cos.complete_multipart_upload(Bucket=bucket, Key="big.bin", UploadId=up, MultipartUpload={"Part": etags})
    if len(cos.get_object(Bucket=bucket, Key="big.bin")["Body"].get_raw_stream().read()) != 2048:
        fail("multipart object size")
    ok("ranged get, copy_object, multipart upload")
    keys += ["copy.txt", "big.bin"]
    cos.delete_object(Bucket=bucket, Key=keys[0])
    res = cos.delete_objects(Bucket=bucket, Delete={"Object": [{"Key": k} for k in keys[1:]], "Quiet": "false"})
    deleted = res.get("Deleted", [])
    if isinstance(deleted, dict):
        deleted = [deleted]
    if sorted(d["Key"] for d in deleted) != sorted(keys[1:]):
        fail("delete_objects: %r" % res)
    cos.delete_bucket(Bucket=bucket)
    ok("delete objects and bucket")
    print("%d checks passed" % checks)


def more_api_checks():
    """Every simulated API 3.0 read, parsed by the SDK models (unknown fields fail)."""
    cbs = cbs_client.CbsClient(cred, REGION, profile())
    vpc = vpc_client.VpcClient(cred, REGION, profile())
    billing = billing_client.BillingClient(cred, "", profile())
    sts = sts_client.StsClient(cred, REGION, profile())
    disks = cbs.DescribeDisks(cbs_models.DescribeDisksRequest())
    if disks.TotalCount < 1 or not disks.DiskSet[0].DiskId.startswith("disk-"):
        fail("DescribeDisks: %s" % disks.to_json_string())
    ok("DescribeDisks: %d disks" % disks.TotalCount)
    vpcs = vpc.DescribeVpcs(vpc_models.DescribeVpcsRequest())
    subnets = vpc.DescribeSubnets(vpc_models.DescribeSubnetsRequest())
    sgs = vpc.DescribeSecurityGroups(vpc_models.DescribeSecurityGroupsRequest())
    preq = vpc_models.DescribeSecurityGroupPoliciesRequest()
    preq.SecurityGroupId = sgs.SecurityGroupSet[0].SecurityGroupId
    pol = vpc.DescribeSecurityGroupPolicies(preq).SecurityGroupPolicySet
    addrs = vpc.DescribeAddresses(vpc_models.DescribeAddressesRequest())
    if not vpcs.VpcSet or not subnets.SubnetSet or not pol.Ingress:
        fail("VPC reads empty")
    ok("DescribeVpcs/Subnets/SecurityGroups/SecurityGroupPolicies/Addresses: %d/%d/%d/%d/%d"
       % (vpcs.TotalCount, subnets.TotalCount, sgs.TotalCount, len(pol.Ingress) + len(pol.Egress),
          addrs.TotalCount))
    # The same call with GET (flattened query parameters).
    vpc_get = vpc_client.VpcClient(cred, REGION, profile("GET"))
    greq = vpc_models.DescribeSubnetsRequest()
    greq.Filters = [vpc_models.Filter()]
    greq.Filters[0].Name = "vpc-id"
    greq.Filters[0].Values = [vpcs.VpcSet[0].VpcId]
    greq.Limit = "1"
    g = vpc_get.DescribeSubnets(greq)
    if len(g.SubnetSet) != 1 or g.SubnetSet[0].VpcId != vpcs.VpcSet[0].VpcId:
        fail("DescribeSubnets over GET: %s" % g.to_json_string())
    ok("DescribeSubnets over GET with Filters and Limit")
    # The legacy signature (v1), form POST and GET.
    for method, sign in (("POST", "HmacSHA256"), ("GET", "HmacSHA1")):
        legacy = cvm_client.CvmClient(cred, REGION, profile(method, sign))
        lreq = cvm_models.DescribeInstancesRequest()
        lreq.Limit = 2
        got = legacy.DescribeInstances(lreq)
        if len(got.InstanceSet) != 2:
            fail("v1 %s %s: %s" % (method, sign, got.to_json_string()))
    ok("legacy v1 signature (HmacSHA256 POST, HmacSHA1 GET)")
    groups = cam.ListGroups(cam_models.ListGroupsRequest())
    rreq = cam_models.DescribeRoleListRequest()
    rreq.Page, rreq.Rp = 1, 20
    roles = cam.DescribeRoleList(rreq)
    pols = cam.ListPolicies(cam_models.ListPoliciesRequest())
    users = cam.ListUsers(cam_models.ListUsersRequest()).Data
    areq = cam_models.ListAttachedUserAllPoliciesRequest()
    areq.TargetUin, areq.Rp, areq.Page, areq.AttachType = users[0].Uin, 20, 1, 0
    attached = cam.ListAttachedUserAllPolicies(areq)
    kreq = cam_models.ListAccessKeysRequest()
    kreq.TargetUin = users[0].Uin
    keys = cam.ListAccessKeys(kreq)
    rp = cam_models.ListAttachedRolePoliciesRequest()
    rp.Page, rp.Rp, rp.RoleName = 1, 20, roles.List[0].RoleName
    role_pols = cam.ListAttachedRolePolicies(rp)
    gp = cam_models.ListAttachedGroupPoliciesRequest()
    gp.TargetGroupId = groups.GroupInfo[0].GroupId
    group_pols = cam.ListAttachedGroupPolicies(gp)
    ok("CAM ListGroups/DescribeRoleList/ListPolicies/ListAttached*Policies/ListAccessKeys: %d/%d/%d/%d,%d,%d/%d"
       % (groups.TotalNum, roles.TotalNum, pols.TotalNum, attached.TotalNum, role_pols.TotalNum,
          group_pols.TotalNum, len(keys.AccessKeys)))
    bal = billing.DescribeAccountBalance(billing_models.DescribeAccountBalanceRequest())
    if not isinstance(bal.Balance, int):
        fail("Balance is not an integer: %r" % bal.Balance)
    breq = billing_models.DescribeBillDetailRequest()
    breq.Offset, breq.Limit = 0, 100
    breq.Month = time.strftime("%Y-%m", time.gmtime())
    bills = billing.DescribeBillDetail(breq)
    ok("DescribeAccountBalance %d cents, DescribeBillDetail %d lines" % (bal.Balance, len(bills.DetailSet)))
    me = sts.GetCallerIdentity(sts_models.GetCallerIdentityRequest())
    areq = sts_models.AssumeRoleRequest()
    areq.RoleArn, areq.RoleSessionName = roles.List[0].RoleArn, "conformance"
    tmp = sts.AssumeRole(areq).Credentials
    tcred = credential.Credential(tmp.TmpSecretId, tmp.TmpSecretKey, tmp.Token)
    who = sts_client.StsClient(tcred, REGION, profile()).GetCallerIdentity(sts_models.GetCallerIdentityRequest())
    if who.AccountId != me.AccountId or who.Type != "CAMRole":
        fail("temporary credentials: %s" % who.to_json_string())
    ok("GetCallerIdentity (%s), AssumeRole and a call with its temporary credentials" % me.Type)


if __name__ == "__main__":
    try:
        main()
    except TencentCloudSDKException as e:
        fail("SDK error: %s" % e)
    except Exception as e:  # any COS or transport error
        fail("%s: %s" % (type(e).__name__, e))
