#!/usr/bin/env python3
"""AWS's official Python SDK (boto3/botocore) against the multicloud simulator.

Environment (set by sim/tests/aws_boto3_conformance.rs):
  SIM_AWS_API          host:port of the sim's AWS API frontend port (EC2, IAM, STS, CE)
  SIM_AWS_S3           host:port of the sim's S3 frontend port
  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION
  SIM_EXPECT_INSTANCES instances the region holds (DescribeInstances must page to it)
  SIM_ACCOUNT_ID       the account id GetCallerIdentity must answer

boto3's normal parsing and validation apply: any unexpected botocore
ClientError or ParamValidationError fails the run. Exits non-zero on any
failure; prints each check.
"""
import os
import sys
import urllib.request
import uuid

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

API = os.environ["SIM_AWS_API"]
S3 = os.environ["SIM_AWS_S3"]
REGION = os.environ["AWS_DEFAULT_REGION"]
EXPECT = int(os.environ["SIM_EXPECT_INSTANCES"])
ACCOUNT = os.environ["SIM_ACCOUNT_ID"]
OTHER = os.environ["SIM_OTHER_REGION"]

checks = 0


def ok(msg):
    global checks
    checks += 1
    print("ok  ", msg, flush=True)


def fail(msg):
    print("FAIL", msg, flush=True)
    sys.exit(1)


def expect(cond, msg):
    if not cond:
        fail(msg)
    ok(msg)


def expect_error(code, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except ClientError as e:
        got = e.response["Error"]["Code"]
        if got != code:
            fail(f"expected {code}, got {got}: {e}")
        ok(f"error {code} from {fn.__name__}")
        return e
    fail(f"expected {code} from {fn.__name__}, got success")


# SigV4 everywhere: with a custom endpoint botocore would presign S3 URLs
# with the legacy SigV2 scheme, which the sim does not accept.
# ----- strict wire check -----
# botocore's parsers silently skip element and key names its models do not
# define; this walks every raw response against the operation's output shape
# and fails on any name the model lacks (so the sim cannot invent fields).

unknown_names = []
walked = {"responses": 0}


def _xml_name(member_name, shape):
    return shape.serialization.get("name", member_name)


def _walk_xml(elem, shape, path):
    import xml.etree.ElementTree as ET  # noqa: F401
    tag = elem.tag.split("}")[-1]
    if shape.type_name == "structure":
        by_name = {}
        for m, ms in shape.members.items():
            if ms.serialization.get("location"):
                continue
            if ms.type_name == "list" and ms.serialization.get("flattened"):
                by_name[ms.member.serialization.get("name", _xml_name(m, ms))] = (ms.member, m)
            else:
                by_name[_xml_name(m, ms)] = (ms, m)
        for child in elem:
            ctag = child.tag.split("}")[-1]
            if ctag not in by_name:
                unknown_names.append(f"{path}/{ctag}")
                continue
            cshape, _ = by_name[ctag]
            _walk_xml(child, cshape, f"{path}/{ctag}")
    elif shape.type_name == "list":
        item = shape.member.serialization.get("name", "member")
        for child in elem:
            ctag = child.tag.split("}")[-1]
            if ctag != item and ctag not in ("item", "member"):
                unknown_names.append(f"{path}/{ctag}")
                continue
            _walk_xml(child, shape.member, f"{path}/{ctag}")
    elif len(elem):
        unknown_names.append(f"{path} (scalar with children)")


def _walk_json(value, shape, path):
    if shape.type_name == "structure" and isinstance(value, dict):
        for k, v in value.items():
            if k not in shape.members:
                unknown_names.append(f"{path}/{k}")
            else:
                _walk_json(v, shape.members[k], f"{path}/{k}")
    elif shape.type_name == "list" and isinstance(value, list):
        for v in value:
            _walk_json(v, shape.member, f"{path}[]")
    elif shape.type_name == "map" and isinstance(value, dict):
        for v in value.values():
            _walk_json(v, shape.value, f"{path}{{}}")


def strict_wire_check(http_response, model, **kwargs):
    import json
    import xml.etree.ElementTree as ET
    out = model.output_shape
    if out is None or model.has_streaming_output:
        return  # no shape, or a raw body (GetObject) that must stay unread
    if http_response.status_code >= 300 or not http_response.content:
        return
    proto = model.metadata["protocol"]
    walked["responses"] += 1
    op = model.name
    if proto == "json":
        _walk_json(json.loads(http_response.content), out, op)
        return
    payload = out.serialization.get("payload")
    if proto == "rest-xml" and payload and out.members[payload].type_name != "structure":
        return  # a raw body (GetObject)
    root = ET.fromstring(http_response.content)
    rtag = root.tag.split("}")[-1]
    if proto == "ec2":
        for child in root:
            ctag = child.tag.split("}")[-1]
            # `return` appears in the EC2 API reference's response examples
            # of CreateSecurityGroup and AssociateAddress, not in the model.
            if ctag == "requestId" or (ctag == "return" and op in ("CreateSecurityGroup", "AssociateAddress")):
                continue
            fake = ET.Element("x")
            fake.append(child)
            _walk_xml(fake, out, f"{op}")
    elif proto == "query":
        wrapper = out.serialization.get("resultWrapper")
        for child in root:
            ctag = child.tag.split("}")[-1]
            if ctag == "ResponseMetadata":
                continue
            if ctag != wrapper:
                unknown_names.append(f"{op}/{ctag}")
                continue
            _walk_xml(child, out, f"{op}/{ctag}")
    else:  # rest-xml
        if payload:
            ps = out.members[payload]
            if ps.type_name == "structure":
                _walk_xml(root, ps, f"{op}/{rtag}")
        elif rtag == "LocationConstraint":
            pass
        else:
            _walk_xml(root, out, f"{op}/{rtag}")


CFG = Config(retries={"max_attempts": 1, "mode": "standard"}, s3={"addressing_style": "path"},
             signature_version="s3v4")


def client(service, **kw):
    url = f"http://{S3}" if service == "s3" else f"http://{API}"
    region = kw.pop("region", "us-east-1" if service in ("iam", "ce") else REGION)
    cfg = CFG if service == "s3" else Config(retries={"max_attempts": 1, "mode": "standard"})
    c = boto3.client(service, endpoint_url=url, region_name=region, config=cfg, **kw)
    c.meta.events.register("after-call.*.*", strict_wire_check)
    return c


def check_ec2():
    ec2 = client("ec2")
    regions = [r["RegionName"] for r in ec2.describe_regions()["Regions"]]
    expect(REGION in regions and len(regions) >= 2, f"describe_regions lists {regions}")
    zones = ec2.describe_availability_zones()["AvailabilityZones"]
    expect(zones and all(z["State"] == "available" and z["RegionName"] == REGION for z in zones),
           f"describe_availability_zones: {[z['ZoneName'] for z in zones]}")

    # Paging: MaxResults 5 across several pages, total equals the estate.
    pages, ids = 0, []
    for page in ec2.get_paginator("describe_instances").paginate(PaginationConfig={"PageSize": 5}):
        pages += 1
        for r in page["Reservations"]:
            expect_r = r["ReservationId"].startswith("r-") and r["OwnerId"] == ACCOUNT
            if not expect_r:
                fail(f"bad reservation {r}")
            ids += [i["InstanceId"] for i in r["Instances"]]
    expect(len(ids) == EXPECT and len(set(ids)) == EXPECT and pages >= 3,
           f"describe_instances paged {pages} pages of 5 to {len(ids)} instances (estate {EXPECT})")
    one = ec2.describe_instances(InstanceIds=[ids[0]])["Reservations"][0]["Instances"][0]
    expect(one["InstanceId"] == ids[0] and one["State"]["Name"] in ("running", "stopped", "pending", "stopping")
           and isinstance(one["LaunchTime"].year, int) and one["Placement"]["AvailabilityZone"].startswith(REGION),
           f"describe_instances by id: {one['InstanceId']} {one['State']} {one['InstanceType']}")
    running = ec2.describe_instances(Filters=[{"Name": "instance-state-name", "Values": ["running"]}])
    states = {i["State"]["Name"] for r in running["Reservations"] for i in r["Instances"]}
    expect(states <= {"running"}, f"instance-state-name filter: {states}")
    expect_error("InvalidInstanceID.NotFound", ec2.describe_instances, InstanceIds=["i-0123456789abcdef0"])

    images = ec2.describe_images()["Images"]
    expect(images and all(i["ImageId"].startswith("ami-") for i in images), f"describe_images: {len(images)}")
    own = ec2.describe_images(Owners=["self"])["Images"]
    expect(all(i["OwnerId"] == ACCOUNT for i in own), f"describe_images Owners=self: {len(own)}")
    types = ec2.describe_instance_types()["InstanceTypes"]
    expect(types and all(t["VCpuInfo"]["DefaultVCpus"] > 0 and t["MemoryInfo"]["SizeInMiB"] > 0 for t in types),
           f"describe_instance_types: {[t['InstanceType'] for t in types]}")

    subnets = ec2.describe_subnets()["Subnets"]
    expect(subnets and all(s["SubnetId"].startswith("subnet-") for s in subnets), f"describe_subnets: {len(subnets)}")
    subnet = subnets[0]
    token = str(uuid.uuid4())
    run = lambda: ec2.run_instances(
        ImageId=images[0]["ImageId"], InstanceType=types[0]["InstanceType"], MinCount=1, MaxCount=1,
        SubnetId=subnet["SubnetId"], ClientToken=token,
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "boto3-conf"}]}])
    first = run()
    again = run()
    iid = first["Instances"][0]["InstanceId"]
    expect(iid.startswith("i-") and len(iid) == 19 and again["Instances"][0]["InstanceId"] == iid,
           f"run_instances {iid} (ClientToken idempotent)")
    tags = {t["Key"]: t["Value"] for t in first["Instances"][0].get("Tags", [])}
    expect(tags.get("Name") == "boto3-conf", "run_instances TagSpecification")
    tagged = ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": ["boto3-conf"]}])
    expect([i["InstanceId"] for r in tagged["Reservations"] for i in r["Instances"]] == [iid], "tag:Name filter")

    vol = ec2.create_volume(AvailabilityZone=one["Placement"]["AvailabilityZone"], Size=8, VolumeType="gp3",
                            ClientToken=str(uuid.uuid4()))
    expect(vol["VolumeId"].startswith("vol-") and vol["Size"] == 8, f"create_volume {vol['VolumeId']} {vol['State']}")
    ec2.get_waiter("volume_available").wait(VolumeIds=[vol["VolumeId"]], WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    ok("volume_available waiter")
    vols = []
    for page in ec2.get_paginator("describe_volumes").paginate(PaginationConfig={"PageSize": 5}):
        vols += page["Volumes"]
    expect(vol["VolumeId"] in [v["VolumeId"] for v in vols], f"describe_volumes paged: {len(vols)}")
    ec2.delete_volume(VolumeId=vol["VolumeId"])
    expect_error("InvalidVolume.NotFound", ec2.describe_volumes, VolumeIds=[vol["VolumeId"]])

    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]
    expect(vpc["VpcId"].startswith("vpc-") and vpc["CidrBlock"] == "10.42.0.0/16", f"create_vpc {vpc['VpcId']}")
    sn = ec2.create_subnet(VpcId=vpc["VpcId"], CidrBlock="10.42.1.0/24")["Subnet"]
    expect(sn["VpcId"] == vpc["VpcId"], f"create_subnet {sn['SubnetId']}")
    expect_error("DependencyViolation", ec2.delete_vpc, VpcId=vpc["VpcId"])
    sg = ec2.create_security_group(GroupName="conf-sg", Description="boto3", VpcId=vpc["VpcId"])["GroupId"]
    perm = [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}]
    auth = ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=perm)
    expect(auth["Return"] and auth["SecurityGroupRules"][0]["FromPort"] == 22, "authorize_security_group_ingress")
    g = ec2.describe_security_groups(GroupIds=[sg])["SecurityGroups"][0]
    expect(g["IpPermissions"][0]["IpRanges"][0]["CidrIp"] == "10.0.0.0/8", "describe_security_groups rules")
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [sg]}])["SecurityGroupRules"]
    expect(any(r["CidrIpv4"] == "10.0.0.0/8" and not r["IsEgress"] for r in rules), "describe_security_group_rules")
    ec2.revoke_security_group_ingress(GroupId=sg, IpPermissions=perm)
    g = ec2.describe_security_groups(GroupIds=[sg])["SecurityGroups"][0]
    expect(not g["IpPermissions"], "revoke_security_group_ingress")
    ec2.delete_security_group(GroupId=sg)
    expect_error("InvalidGroup.NotFound", ec2.describe_security_groups, GroupIds=[sg])
    ec2.delete_subnet(SubnetId=sn["SubnetId"])
    ec2.delete_vpc(VpcId=vpc["VpcId"])
    expect_error("InvalidVpcID.NotFound", ec2.describe_vpcs, VpcIds=[vpc["VpcId"]])

    eip = ec2.allocate_address(Domain="vpc")
    expect(eip["AllocationId"].startswith("eipalloc-"), f"allocate_address {eip['PublicIp']}")
    assoc = ec2.associate_address(AllocationId=eip["AllocationId"], InstanceId=iid)
    addr = ec2.describe_addresses(AllocationIds=[eip["AllocationId"]])["Addresses"][0]
    expect(addr.get("InstanceId") == iid and addr.get("AssociationId") == assoc["AssociationId"], "associate_address")
    ec2.disassociate_address(AssociationId=assoc["AssociationId"])
    ec2.release_address(AllocationId=eip["AllocationId"])
    expect_error("InvalidAllocationID.NotFound", ec2.describe_addresses, AllocationIds=[eip["AllocationId"]])

    ec2.get_waiter("instance_running").wait(InstanceIds=[iid], WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    ok("instance_running waiter")
    zone = first["Instances"][0]["Placement"]["AvailabilityZone"]
    dv = ec2.create_volume(AvailabilityZone=zone, Size=4)["VolumeId"]
    ec2.get_waiter("volume_available").wait(VolumeIds=[dv], WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    att = ec2.attach_volume(VolumeId=dv, InstanceId=iid, Device="/dev/sdf")
    expect(att["InstanceId"] == iid and att["State"] in ("attaching", "attached"), f"attach_volume: {att['State']}")
    ec2.get_waiter("volume_in_use").wait(VolumeIds=[dv], WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    expect_error("VolumeInUse", ec2.delete_volume, VolumeId=dv)
    det = ec2.detach_volume(VolumeId=dv)
    expect(det["State"] in ("detaching", "detached"), f"detach_volume: {det['State']}")
    ec2.get_waiter("volume_available").wait(VolumeIds=[dv], WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    ec2.delete_volume(VolumeId=dv)
    ok("volume attach/detach/delete cycle")
    vpcs = ec2.describe_vpcs()["Vpcs"]
    expect(vpcs and all(v["State"] == "available" for v in vpcs), f"describe_vpcs: {len(vpcs)}")
    sgs = ec2.describe_security_groups()["SecurityGroups"]
    expect(sgs and all(g["GroupId"].startswith("sg-") for g in sgs), f"describe_security_groups: {len(sgs)}")
    addrs = ec2.describe_addresses()["Addresses"]
    ok(f"describe_addresses: {len(addrs)}")
    ec2.create_tags(Resources=[iid], Tags=[{"Key": "env", "Value": "conf"}])
    stop = ec2.stop_instances(InstanceIds=[iid], Force=True)["StoppingInstances"][0]
    expect(stop["InstanceId"] == iid and stop["CurrentState"]["Name"] in ("stopping", "stopped"),
           f"stop_instances: {stop['PreviousState']['Name']} -> {stop['CurrentState']['Name']}")
    ec2.get_waiter("instance_stopped").wait(InstanceIds=[iid], WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    ok("instance_stopped waiter")
    start = ec2.start_instances(InstanceIds=[iid])["StartingInstances"][0]
    expect(start["PreviousState"]["Name"] == "stopped", f"start_instances -> {start['CurrentState']['Name']}")
    ec2.get_waiter("instance_running").wait(InstanceIds=[iid], WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    ec2.reboot_instances(InstanceIds=[iid])
    ok("reboot_instances")
    ec2.get_waiter("instance_running").wait(InstanceIds=[iid], WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    term = ec2.terminate_instances(InstanceIds=[iid])["TerminatingInstances"][0]
    expect(term["CurrentState"]["Name"] in ("shutting-down", "terminated"),
           f"terminate_instances: {term['CurrentState']['Name']}")


def check_s3():
    s3 = client("s3")
    buckets = s3.list_buckets()["Buckets"]
    expect(all("BucketRegion" in b for b in buckets), f"list_buckets: {[(b['Name'], b['BucketRegion']) for b in buckets]}")
    name = "conf-" + uuid.uuid4().hex[:12]
    client("s3", region=OTHER).create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": OTHER})
    loc = s3.get_bucket_location(Bucket=name)["LocationConstraint"]
    expect(loc == OTHER, f"create_bucket + get_bucket_location: {loc}")
    head = s3.head_bucket(Bucket=name)
    expect(head["ResponseMetadata"]["HTTPHeaders"].get("x-amz-bucket-region") == OTHER, "head_bucket region")
    listed = {b["Name"]: b["BucketRegion"] for b in s3.list_buckets()["Buckets"]}
    expect(listed.get(name) == OTHER, "list_buckets BucketRegion of the new bucket")
    page1 = s3.list_buckets(MaxBuckets=1)
    page2 = s3.list_buckets(MaxBuckets=1, ContinuationToken=page1["ContinuationToken"])
    expect(len(page1["Buckets"]) == 1 and page2["Buckets"][0]["Name"] > page1["Buckets"][0]["Name"],
           "list_buckets max-buckets / continuation-token")
    body = b"hello, simulated S3 " * 50
    put = s3.put_object(Bucket=name, Key="dir/a.txt", Body=body, ContentType="text/plain", Metadata={"k": "v"})
    expect(put["ETag"].startswith('"'), f"put_object etag {put['ETag']}")
    got = s3.get_object(Bucket=name, Key="dir/a.txt")
    expect(got["Body"].read() == body and got["Metadata"] == {"k": "v"} and got["ContentType"] == "text/plain",
           "get_object body, metadata, content type")
    rng = s3.get_object(Bucket=name, Key="dir/a.txt", Range="bytes=7-15")
    expect(rng["Body"].read() == body[7:16] and rng["ContentRange"] == f"bytes 7-15/{len(body)}"
           and rng["ResponseMetadata"]["HTTPStatusCode"] == 206, "get_object Range -> 206")
    h = s3.head_object(Bucket=name, Key="dir/a.txt")
    expect(h["ContentLength"] == len(body), "head_object length")
    expect_error("NoSuchKey", s3.get_object, Bucket=name, Key="missing")
    expect_error("404", s3.head_object, Bucket=name, Key="missing")
    for i in range(7):
        s3.put_object(Bucket=name, Key=f"dir/sub{i % 2}/f{i}", Body=b"x" * i)
    s3.copy_object(Bucket=name, Key="copy.txt", CopySource={"Bucket": name, "Key": "dir/a.txt"})
    expect(s3.get_object(Bucket=name, Key="copy.txt")["Body"].read() == body, "copy_object")
    keys, pages = [], 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name, PaginationConfig={"PageSize": 3}):
        pages += 1
        keys += [o["Key"] for o in page.get("Contents", [])]
        if page["KeyCount"] != len(page.get("Contents", [])):
            fail("KeyCount mismatch")
    expect(len(keys) == 9 and pages == 3 and keys == sorted(keys), f"list_objects_v2 paged: {pages} pages, {len(keys)} keys")
    v1 = []
    for page in s3.get_paginator("list_objects").paginate(Bucket=name, PaginationConfig={"PageSize": 4}):
        v1 += [o["Key"] for o in page.get("Contents", [])]
    expect(v1 == keys, "list_objects (v1) paged by marker")
    d = s3.list_objects_v2(Bucket=name, Prefix="dir/", Delimiter="/")
    expect([p["Prefix"] for p in d["CommonPrefixes"]] == ["dir/sub0/", "dir/sub1/"]
           and [o["Key"] for o in d["Contents"]] == ["dir/a.txt"], "list_objects_v2 delimiter")
    sa = s3.list_objects_v2(Bucket=name, StartAfter="dir/sub0/f6")
    expect([o["Key"] for o in sa.get("Contents", [])] == ["dir/sub1/f1", "dir/sub1/f3", "dir/sub1/f5"],
           "list_objects_v2 start-after")

    # Multipart.
    up = s3.create_multipart_upload(Bucket=name, Key="big.bin", ContentType="application/octet-stream")
    p1, p2 = os.urandom(5 * 1024 * 1024), os.urandom(1234)
    e1 = s3.upload_part(Bucket=name, Key="big.bin", UploadId=up["UploadId"], PartNumber=1, Body=p1)["ETag"]
    e2 = s3.upload_part(Bucket=name, Key="big.bin", UploadId=up["UploadId"], PartNumber=2, Body=p2)["ETag"]
    done = s3.complete_multipart_upload(Bucket=name, Key="big.bin", UploadId=up["UploadId"],
                                        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
    expect(done["ETag"].endswith('-2"'), f"complete_multipart_upload {done['ETag']}")
    expect(s3.get_object(Bucket=name, Key="big.bin")["Body"].read() == p1 + p2, "multipart object content")
    ab = s3.create_multipart_upload(Bucket=name, Key="aborted")
    s3.abort_multipart_upload(Bucket=name, Key="aborted", UploadId=ab["UploadId"])
    expect_error("NoSuchUpload", s3.upload_part, Bucket=name, Key="aborted", UploadId=ab["UploadId"], PartNumber=1, Body=b"x")

    # Presigned GET, fetched without the SDK.
    url = s3.generate_presigned_url("get_object", Params={"Bucket": name, "Key": "dir/a.txt"}, ExpiresIn=300)
    try:
        with urllib.request.urlopen(url) as r:
            expect(r.read() == body, "presigned GET via urllib")
    except urllib.error.HTTPError as e:
        fail(f"presigned GET {url}: {e.code} {e.read()!r}")
    bad = url.replace("X-Amz-Signature=", "X-Amz-Signature=0")
    try:
        urllib.request.urlopen(bad)
        fail("tampered presigned URL accepted")
    except urllib.error.HTTPError as e:
        expect(e.code == 403 and b"SignatureDoesNotMatch" in e.read(), "tampered presigned URL refused")

    expect_error("BucketNotEmpty", s3.delete_bucket, Bucket=name)
    s3.delete_object(Bucket=name, Key="big.bin")
    gone = s3.delete_objects(Bucket=name, Delete={"Objects": [{"Key": k} for k in keys]})
    expect(sorted(d["Key"] for d in gone["Deleted"]) == sorted(keys), "delete_objects")
    s3.delete_bucket(Bucket=name)
    expect_error("NoSuchBucket", s3.list_objects_v2, Bucket=name)


def check_iam_sts_ce():
    iam = client("iam")
    users = []
    for page in iam.get_paginator("list_users").paginate(PaginationConfig={"PageSize": 1}):
        users += page["Users"]
    expect(users and all(u["Arn"].startswith(f"arn:aws:iam::{ACCOUNT}:user/") for u in users),
           f"list_users paged by 1: {[u['UserName'] for u in users]}")
    iam.create_user(UserName="conf-user")
    pol = iam.list_policies(Scope="AWS", MaxItems=5)["Policies"]
    if pol:
        iam.attach_user_policy(UserName="conf-user", PolicyArn=pol[0]["Arn"])
        att = iam.list_attached_user_policies(UserName="conf-user")["AttachedPolicies"]
        expect([a["PolicyArn"] for a in att] == [pol[0]["Arn"]], "attach_user_policy + list_attached_user_policies")
        expect_error("DeleteConflict", iam.delete_user, UserName="conf-user")
        iam.detach_user_policy(UserName="conf-user", PolicyArn=pol[0]["Arn"])
    iam.delete_user(UserName="conf-user")
    expect_error("NoSuchEntity", iam.get_user, UserName="conf-user")
    groups = iam.list_groups()["Groups"]
    roles = iam.list_roles()["Roles"]
    ok(f"list_groups {len(groups)}, list_roles {len(roles)}")
    g4u = iam.list_groups_for_user(UserName=users[0]["UserName"])["Groups"]
    ok(f"list_groups_for_user: {[g['GroupName'] for g in g4u]}")
    if g4u:
        iam.remove_user_from_group(UserName=users[0]["UserName"], GroupName=g4u[0]["GroupName"])
        left = iam.list_groups_for_user(UserName=users[0]["UserName"])["Groups"]
        expect(g4u[0]["GroupName"] not in [g["GroupName"] for g in left], "remove_user_from_group")
    if groups:
        ok(f"list_attached_group_policies: {len(iam.list_attached_group_policies(GroupName=groups[0]['GroupName'])['AttachedPolicies'])}")
    if roles:
        ok(f"list_attached_role_policies: {len(iam.list_attached_role_policies(RoleName=roles[0]['RoleName'])['AttachedPolicies'])}")
    local = iam.list_policies(Scope="Local")["Policies"]
    expect(all(":aws:policy/" not in p["Arn"] for p in local), f"list_policies Scope=Local: {len(local)}")
    keys = iam.list_access_keys(UserName=users[0]["UserName"])["AccessKeyMetadata"]
    expect(all(k["Status"] in ("Active", "Inactive") for k in keys), f"list_access_keys: {len(keys)}")

    sts = client("sts")
    me = sts.get_caller_identity()
    expect(me["Account"] == ACCOUNT, f"get_caller_identity: {me['Arn']}")
    if roles:
        cred = sts.assume_role(RoleArn=roles[0]["Arn"], RoleSessionName="conf")["Credentials"]
        tmp = client("sts", aws_access_key_id=cred["AccessKeyId"], aws_secret_access_key=cred["SecretAccessKey"],
                     aws_session_token=cred["SessionToken"])
        who = tmp.get_caller_identity()
        expect(":assumed-role/" in who["Arn"] and who["Account"] == ACCOUNT, f"assume_role -> {who['Arn']}")
        s3t = client("s3", aws_access_key_id=cred["AccessKeyId"], aws_secret_access_key=cred["SecretAccessKey"],
                     aws_session_token=cred["SessionToken"])
        expect(isinstance(s3t.list_buckets()["Buckets"], list), "temporary credentials accepted by S3")

    ce = client("ce")
    import datetime
    today = datetime.date.today()
    start = (today.replace(day=1) - datetime.timedelta(days=40)).replace(day=1)
    r = ce.get_cost_and_usage(TimePeriod={"Start": start.isoformat(), "End": today.replace(day=1).isoformat()},
                              Granularity="MONTHLY", Metrics=["UnblendedCost", "NetUnblendedCost"],
                              GroupBy=[{"Type": "DIMENSION", "Key": "SERVICE"}])
    total = sum(float(g["Metrics"]["UnblendedCost"]["Amount"]) for t in r["ResultsByTime"] for g in t["Groups"])
    expect(total > 0 and all(g["Metrics"]["UnblendedCost"]["Unit"] == "USD" for t in r["ResultsByTime"] for g in t["Groups"]),
           f"get_cost_and_usage by SERVICE: {len(r['ResultsByTime'])} months, total {total:.2f}")
    d = ce.get_cost_and_usage(TimePeriod={"Start": start.isoformat(), "End": (start + datetime.timedelta(days=3)).isoformat()},
                              Granularity="DAILY", Metrics=["UnblendedCost"])
    expect(len(d["ResultsByTime"]) == 3 and "UnblendedCost" in d["ResultsByTime"][0]["Total"], "get_cost_and_usage DAILY")
    w = ce.get_cost_and_usage_with_resources(
        TimePeriod={"Start": start.isoformat(), "End": today.replace(day=1).isoformat()}, Granularity="MONTHLY",
        Metrics=["UnblendedCost"], Filter={"Dimensions": {"Key": "REGION", "Values": [REGION]}},
        GroupBy=[{"Type": "DIMENSION", "Key": "RESOURCE_ID"}])
    expect(any(t["Groups"] for t in w["ResultsByTime"]), "get_cost_and_usage_with_resources by RESOURCE_ID")


def main():
    check_ec2()
    check_s3()
    check_iam_sts_ce()
    if unknown_names:
        fail("names the botocore models do not define: " + ", ".join(sorted(set(unknown_names))))
    expect(walked["responses"] > 50, f"strict wire check: {walked['responses']} responses walked against the models")
    print("%d checks passed" % checks)


if __name__ == "__main__":
    main()
