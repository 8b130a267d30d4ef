"""Sign requests with botocore's own SigV4 signers and print them as JSON.

Used by sim/tests/aws_sigv4.rs: every request printed here must pass the
simulator's SigV4 verifier. The clock is fixed (SIM_SIGN_TIME, default
2026-01-15T10:20:30Z) so the Rust side can set the sim clock to match.

Signers: botocore.auth.SigV4Auth (EC2/IAM/STS/CE style: header auth, body
hashed, path normalized and encoded twice), S3SigV4Auth (path as sent,
x-amz-content-sha256, optionally UNSIGNED-PAYLOAD), SigV4QueryAuth and
S3SigV4QueryAuth (presigned query). Credentials come from AWS_ACCESS_KEY_ID /
AWS_SECRET_ACCESS_KEY; a third of the cases add a session token.
"""

import base64
import datetime
import json
import os
import sys
from unittest import mock
from urllib.parse import urlsplit

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

WHEN = datetime.datetime.strptime(
    os.environ.get("SIM_SIGN_TIME", "2026-01-15T10:20:30Z"), "%Y-%m-%dT%H:%M:%SZ"
).replace(tzinfo=datetime.timezone.utc)
KEY = os.environ["AWS_ACCESS_KEY_ID"]
SECRET = os.environ["AWS_SECRET_ACCESS_KEY"]
TOKEN = "FQoGZXIvYXdzEXAMPLE//token+with/odd=chars"

PATHS = ["/", "/a/b", "/ሴ", "/with space/x", "/a/./b/../c", "/key%2Fslash", "/~user/file.txt", "/x+y/(1)!*'"]
QUERIES = [
    "",
    "Action=DescribeInstances&Version=2016-11-15",
    "b=2&a=1&a=0",
    "q=caf%C3%A9&empty=&flag",
    "reserved=%21%2A%27%28%29%3B%3A%40%26%3D%2B%24%2C%2F%3F%23%5B%5D",
    "space=a%20b&tilde=~x&plus=%2B",
    "list-type=2&prefix=photos%2F2024%2F&delimiter=%2F&max-keys=5",
]
BODIES = [
    b"",
    b'{"TimePeriod":{"Start":"2026-01-01","End":"2026-02-01"},"Granularity":"MONTHLY"}',
    bytes(range(256)),
    b"Action=ListUsers&Version=2010-05-08&PathPrefix=%2F",
    "ünïcödé body ሴ".encode(),
]
EXTRA = [
    {},
    {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AWSInsightsIndexService.GetCostAndUsage"},
    {"X-Amz-Meta-Note": "  spaced   out  value ", "Content-Type": "text/plain"},
    {"amz-sdk-invocation-id": "0f3c2d1e-1111-2222-3333-444455556666", "amz-sdk-request": "attempt=1; max=3"},
    {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
]
SERVICES = [("ec2", "us-west-2"), ("iam", "us-east-1"), ("sts", "eu-west-1"), ("ce", "us-east-1"), ("s3", "ap-southeast-1")]


def host_for(service, region):
    if service == "iam":
        return "iam.amazonaws.com"
    if service == "ce":
        return "ce.us-east-1.amazonaws.com"
    if service == "s3":
        return f"s3.{region}.amazonaws.com"
    return f"{service}.{region}.amazonaws.com"


def quote_path(p):
    from urllib.parse import quote
    return quote(p, safe="/~%+()!*'")


def main():
    cases = []
    n = 0
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=WHEN):
        for i in range(72):
            service, region = SERVICES[i % len(SERVICES)]
            path = PATHS[i % len(PATHS)]
            query = QUERIES[(i // 2) % len(QUERIES)]
            body = BODIES[(i // 3) % len(BODIES)]
            extra = EXTRA[(i // 5) % len(EXTRA)]
            method = "POST" if (i % 4 in (1, 2) and body) else ("PUT" if service == "s3" and body else "GET")
            presign = i % 7 == 3
            if presign:
                method = "GET"
            if method == "GET":
                body = b""
            token = TOKEN if i % 3 == 0 else None
            unsigned = service == "s3" and i % 6 == 1
            creds = Credentials(KEY, SECRET, token)
            host = host_for(service, region)
            url = f"https://{host}{quote_path(path)}" + (f"?{query}" if query else "")
            req = AWSRequest(method=method, url=url, data=body, headers=dict(extra))
            if service == "s3":
                if presign:
                    signer = botocore.auth.S3SigV4QueryAuth(creds, service, region, expires=900)
                    kind = "s3-presigned"
                else:
                    signer = botocore.auth.S3SigV4Auth(creds, service, region)
                    kind = "s3"
                    if unsigned:
                        req.context["payload_signing_enabled"] = False
                        kind = "s3-unsigned"
            else:
                if presign:
                    signer = botocore.auth.SigV4QueryAuth(creds, service, region, expires=900)
                    kind = "presigned"
                else:
                    signer = botocore.auth.SigV4Auth(creds, service, region)
                    kind = "header"
            signer.add_auth(req)
            prepared = req.prepare()
            parts = urlsplit(prepared.url)
            headers = [["Host", parts.netloc]] + [[k, v] for k, v in prepared.headers.items()]
            raw = prepared.body or b""
            if isinstance(raw, str):
                raw = raw.encode()
            cases.append({
                "name": f"{n:02}-{kind}-{service}-{method}",
                "kind": kind,
                "service": service,
                "method": method,
                "host": parts.netloc,
                "path_and_query": parts.path + (f"?{parts.query}" if parts.query else ""),
                "headers": headers,
                "body_b64": base64.b64encode(raw).decode(),
                "session_token": token,
            })
            n += 1
    json.dump({"time": WHEN.strftime("%Y-%m-%dT%H:%M:%SZ"), "cases": cases}, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
