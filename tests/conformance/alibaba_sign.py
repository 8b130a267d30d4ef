"""Sign requests with Alibaba Cloud's official Python SDK signers.

Reads a JSON array of cases on stdin and prints a JSON array of results, one
per case, in order. Used by tests/alibaba_sign_conformance.rs to check the
Rust signers in providers/alibaba/sign.rs against the vendor's own code:

* kind "acs3": alibabacloud_tea_openapi.utils.Utils.get_authorization (the
  function the tea-openapi client calls for ACS3-HMAC-SHA256), with the
  payload hashed by Utils.hash. The request headers are built as the SDK's
  client builds them; the signed set is the vendor's documented rule (host,
  content-type and every x-acs-* header).
* kinds "oss_v4_header" / "oss_v4_query": alibabacloud_oss_v2.signer.SignerV4.
* kinds "oss_v1_header" / "oss_v1_query": oss2.auth.ProviderAuth (V1), what
  oss2.Auth and oss2.StsAuth use.

Each case: kind, method, host, path, bucket, key, query ([[k, v], ...]),
headers ([[k, v], ...]), body_b64, ak, sk, token, date (unix seconds),
nonce, action, version, region, expires, additional_headers.
"""
import base64
import datetime
import json
import sys
from urllib.parse import parse_qsl, quote, urlencode, urlsplit


def acs3(case):
    from alibabacloud_tea_openapi.utils import Utils

    body = base64.b64decode(case.get("body_b64") or "")
    algo = "ACS3-HMAC-SHA256"
    payload = Utils.hash(body, algo).hex()
    when = datetime.datetime.fromtimestamp(case["date"], datetime.timezone.utc)
    headers = {
        "host": case["host"],
        "x-acs-version": case["version"],
        "x-acs-action": case["action"],
        "x-acs-date": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "x-acs-signature-nonce": case["nonce"],
    }
    for k, v in case.get("headers") or []:
        headers[k] = v
    headers["x-acs-content-sha256"] = payload
    if case.get("token"):
        headers["x-acs-accesskey-id"] = case["ak"]
        headers["x-acs-security-token"] = case["token"]
    signed = {
        k: v
        for k, v in headers.items()
        if k.lower() in ("host", "content-type") or k.lower().startswith("x-acs-")
    }

    class Req:
        pass

    req = Req()
    req.method = case["method"]
    req.pathname = case.get("path") or "/"
    req.query = {k: v for k, v in case.get("query") or []}
    req.headers = signed
    auth = Utils.get_authorization(req, algo, payload, case["ak"], case["sk"])
    return {"authorization": auth, "content_sha256": payload}


def _oss_url(case):
    host = case["host"]
    path = "/"
    if case.get("key") is not None:
        path = "/" + quote(case["key"])
    url = "https://" + host + path
    query = case.get("query") or []
    if query:
        # as alibabacloud_oss_v2._client builds the query
        url += "?" + urlencode([tuple(p) for p in query], quote_via=quote)
    return url


def oss_v4(case, query_auth):
    from alibabacloud_oss_v2.signer import SignerV4
    from alibabacloud_oss_v2.types import Credentials, HttpRequest, SigningContext

    req = HttpRequest(case["method"], _oss_url(case))
    for k, v in case.get("headers") or []:
        req.headers[k] = v
    when = datetime.datetime.fromtimestamp(case["date"], datetime.timezone.utc)
    ctx = SigningContext(
        product="oss",
        region=case["region"],
        bucket=case.get("bucket"),
        key=case.get("key"),
        request=req,
        credentials=Credentials(case["ak"], case["sk"], case.get("token") or None),
        signing_time=when,
        additional_headers=set(case.get("additional_headers") or []) or None,
    )
    if query_auth:
        ctx.auth_method_query = True
        ctx.expiration_time = when + datetime.timedelta(seconds=case["expires"])
    SignerV4().sign(ctx)
    if query_auth:
        q = dict(parse_qsl(urlsplit(req.url).query, keep_blank_values=True))
        return {"signature": q.get("x-oss-signature"), "query": q}
    return {"authorization": req.headers.get("Authorization")}


def oss_v1(case, query_auth):
    from oss2.http import Request

    from oss2.auth import ProviderAuth
    from oss2.credentials import StaticCredentialsProvider

    # oss2.Auth and oss2.StsAuth both sign V1 through ProviderAuth over a
    # StaticCredentialsProvider.
    auth = ProviderAuth(
        StaticCredentialsProvider(case["ak"], case["sk"], case.get("token") or "")
    )
    creds = auth.credentials_provider.get_credentials()
    params = {k: v for k, v in case.get("query") or []}
    req = Request(case["method"], _oss_url(case).split("?")[0], params=params,
                  headers=dict(case.get("headers") or []))
    bucket = case.get("bucket") or ""
    key = case.get("key") or ""
    # oss2.ProviderAuth._sign_request / _sign_url, with the date fixed
    # instead of read from the clock.
    make = auth._ProviderAuth__make_signature
    if query_auth:
        if creds.get_security_token():
            req.params["security-token"] = creds.get_security_token()
        req.headers["date"] = str(case["expires"])
        return {"signature": make(req, bucket, key, creds)}
    if creds.get_security_token():
        req.headers["x-oss-security-token"] = creds.get_security_token()
    req.headers["date"] = case["http_date"]
    sig = make(req, bucket, key, creds)
    return {"authorization": "OSS {0}:{1}".format(creds.get_access_key_id(), sig)}


def main():
    cases = json.load(sys.stdin)
    out = []
    for case in cases:
        kind = case["kind"]
        if kind == "acs3":
            out.append(acs3(case))
        elif kind == "oss_v4_header":
            out.append(oss_v4(case, False))
        elif kind == "oss_v4_query":
            out.append(oss_v4(case, True))
        elif kind == "oss_v1_header":
            out.append(oss_v1(case, False))
        elif kind == "oss_v1_query":
            out.append(oss_v1(case, True))
        else:
            raise SystemExit("unknown case kind: " + kind)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
