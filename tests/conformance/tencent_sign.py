"""Sign requests with Tencent Cloud's official Python SDKs.

Reads {"cases": [...]} as JSON on stdin and prints {"results": [...]} on
stdout, one result per case, in order. Every signature comes from the
vendor's own code paths, with the clock patched to the case's timestamp:

* ``tc3_raw``  -> ``AbstractClient._get_tc3_signature`` (tencentcloud-sdk-python-common)
  over an arbitrary method/query/content type/body;
* ``tc3_build`` -> ``AbstractClient._build_req_with_tc3_signature``: the SDK
  builds the whole request (headers, query string or JSON body) and signs it;
* ``cos``      -> ``qcloud_cos.cos_auth.CosS3Auth`` (cos-python-sdk-v5), the
  ``Authorization`` header of a COS XML request;
* ``cos_presign`` -> ``CosS3Client.get_presigned_url``.

Used by tests/tencent_sign_conformance.rs; pinned versions in
requirements-tencent.txt.
"""

import json
import sys
from unittest import mock

from tencentcloud.common import abstract_client
from tencentcloud.common.abstract_client import AbstractClient
from tencentcloud.common.credential import Credential
from tencentcloud.common.http.request import RequestInternal
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile

import qcloud_cos.cos_auth as cos_auth
from qcloud_cos import CosConfig, CosS3Client


def make_client(case):
    class Client(AbstractClient):
        _apiVersion = case.get("version", "2017-03-12")
        _endpoint = case["host"]
        _service = case["service"]

    hp = HttpProfile()
    hp.endpoint = case["host"]
    hp.reqMethod = case.get("method", "POST")
    profile = ClientProfile(httpProfile=hp)
    profile.disable_region_breaker = True
    profile.language = case.get("language")
    profile.unsignedPayload = bool(case.get("unsigned", False))
    cred = Credential(case["secret_id"], case["secret_key"], case.get("token") or None)
    return Client(cred, case.get("region") or None, profile)


def tc3_raw(case):
    client = make_client(case)
    payload = bytes.fromhex(case["payload_hex"])
    req = RequestInternal(case["host"], case["method"], "/")
    req.header["Content-Type"] = case["content_type"]
    req.header["Host"] = case["host"]
    req.header["X-TC-Timestamp"] = str(case["timestamp"])
    if case.get("unsigned"):
        req.header["X-TC-Content-SHA256"] = "UNSIGNED-PAYLOAD"
    if case["method"] == "GET":
        req.data = case["query"]
    else:
        req.data = payload
    from datetime import datetime, timezone
    date = datetime.fromtimestamp(case["timestamp"], timezone.utc).strftime("%Y-%m-%d")
    sig = client._get_tc3_signature({}, req, date, case["service"], case["secret_key"])
    return {"signature": sig}


def tc3_build(case):
    client = make_client(case)
    if case["method"] == "GET":
        params = dict(case["params"])  # ordered pairs of strings
    else:
        params = json.loads(case["params_json"])
    req = RequestInternal(case["host"], case["method"], "/")
    with mock.patch.object(abstract_client.time, "time", return_value=case["timestamp"]):
        client._build_req_with_tc3_signature(case["action"], params, req)
    data = req.data
    if isinstance(data, bytes):
        data = data.decode("utf-8")
    headers = {k: v for k, v in req.header.items() if k != "X-TC-RequestClient"}
    return {"headers": headers, "data": data}


def cos(case):
    conf = CosConfig(Region=case["region"], SecretId=case["secret_id"], SecretKey=case["secret_key"])

    class R:
        pass

    r = R()
    r.method = case["method"]
    r.url = "https://%s/%s" % (case["host"], case["key"])
    r.headers = dict(case["headers"])
    params = dict(case["params"])
    with mock.patch.object(cos_auth.time, "time", return_value=case["now"]):
        auth = cos_auth.CosS3Auth(conf, case["key"], params, case["expire"])
        auth(r)
    return {"authorization": r.headers["Authorization"]}


def cos_presign(case):
    conf = CosConfig(Region=case["region"], SecretId=case["secret_id"], SecretKey=case["secret_key"])
    client = CosS3Client(conf)
    with mock.patch.object(cos_auth.time, "time", return_value=case["now"]):
        url = client.get_presigned_url(
            Bucket=case["bucket"],
            Key=case["key"],
            Method=case["method"],
            Expired=case["expire"],
            Params=dict(case["params"]),
            Headers=dict(case["headers"]),
        )
    return {"url": url}


KINDS = {"tc3_raw": tc3_raw, "tc3_build": tc3_build, "cos": cos, "cos_presign": cos_presign}


def main():
    doc = json.load(sys.stdin)
    out = []
    for case in doc["cases"]:
        try:
            out.append(KINDS[case["kind"]](case))
        except Exception as e:  # report, never hide, a failing case
            out.append({"error": "%s: %s" % (type(e).__name__, e)})
    json.dump({"results": out}, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
