//! The AWS frontends: the Query/JSON APIs (EC2, IAM, STS, Cost Explorer)
//! and S3.
//!
//! **APIs** ([`AwsApi`], id `aws`): hosts `ec2.{region}.amazonaws.com`,
//! `iam.amazonaws.com`, `sts.amazonaws.com`, `sts.{region}.amazonaws.com`,
//! `ce.us-east-1.amazonaws.com` (and the `.amazonaws.com.cn` forms), or any
//! host on its own port, where the service and region come from the SigV4
//! credential scope. EC2 (2016-11-15), IAM (2010-05-08) and STS (2011-06-15)
//! speak the Query protocol (form-encoded `Action=...&Version=...`, XML
//! answers); Cost Explorer speaks JSON 1.1 (`X-Amz-Target:
//! AWSInsightsIndexService.<Op>`). Actions:
//!
//! - EC2: DescribeRegions, DescribeAvailabilityZones, DescribeInstances
//!   (MaxResults/NextToken, filters `instance-id`, `instance-state-name`,
//!   `availability-zone`, `instance-type`, `vpc-id`, `tag:<key>`, `tag-key`),
//!   RunInstances (ClientToken, TagSpecification), StartInstances,
//!   StopInstances, RebootInstances, TerminateInstances, DescribeVolumes,
//!   CreateVolume (ClientToken), AttachVolume, DetachVolume, DeleteVolume,
//!   DescribeImages (Owner, ExecutableBy), DescribeInstanceTypes,
//!   DescribeVpcs, CreateVpc, DeleteVpc, DescribeSubnets, CreateSubnet,
//!   DeleteSubnet, DescribeSecurityGroups, DescribeSecurityGroupRules,
//!   CreateSecurityGroup, DeleteSecurityGroup, Authorize/Revoke
//!   SecurityGroupIngress/Egress, DescribeAddresses, AllocateAddress,
//!   AssociateAddress, DisassociateAddress, ReleaseAddress, CreateTags.
//! - IAM: ListUsers, GetUser, CreateUser, DeleteUser, ListGroups, ListRoles,
//!   ListPolicies, ListAttachedUserPolicies, ListAttachedGroupPolicies,
//!   ListAttachedRolePolicies, AttachUserPolicy, DetachUserPolicy,
//!   ListAccessKeys, DeleteAccessKey, ListGroupsForUser, RemoveUserFromGroup.
//! - STS: GetCallerIdentity, AssumeRole (the temporary credentials are then
//!   accepted with `X-Amz-Security-Token` here and by S3).
//! - Cost Explorer: GetCostAndUsage, GetCostAndUsageWithResources.
//!
//! **S3** ([`AwsS3`], id `aws-s3`): see [`s3`].
//!
//! Signatures are SigV4 ([`sigv4`]): header or presigned query, session
//! tokens of `AssumeRole` credentials (`X-Amz-Security-Token`), S3's
//! `x-amz-content-sha256` (`UNSIGNED-PAYLOAD`, `STREAMING-*` with
//! `aws-chunked` bodies). Requests more than 15 minutes off the sim clock are
//! refused (`RequestExpired`, `SignatureDoesNotMatch`, `RequestTimeTooSkewed`,
//! `InvalidSignatureException` by protocol). SigV2 is not accepted: boto3
//! needs `signature_version="s3v4"` to presign S3 URLs for a custom endpoint.
//!
//! **Using the vendor SDKs**: point each client's endpoint URL at the
//! frontend's own port (`http://{frontend_addr("aws")}` for EC2, IAM, STS
//! and Cost Explorer, `http://{frontend_addr("aws-s3")}` with path-style
//! addressing for S3), or send the real host names to the main port (S3
//! virtual-hosted style works there). Checked with boto3 and, by hand, with
//! aws-sdk-rust (S3 incl. `aws-chunked` trailer uploads, STS, IAM, CE, EC2).

mod ce;
mod ec2;
mod errors;
mod iam;
pub mod s3;
pub mod sigv4;
mod sts;

use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::estate::{AuthIdentity, Estate, Scope};
use crate::frontend::{Ctx, Frontend, SimRequest, SimResponse};

use errors::{AwsError, Protocol};
pub use s3::AwsS3;
pub(crate) use sts::TempCreds;

/// The provider name.
pub const NAME: &str = "aws";

/// Largest accepted difference between `X-Amz-Date` and the server clock.
pub const MAX_SKEW_SECS: i64 = 15 * 60;

/// The frontends this module contributes: the APIs and S3, sharing the
/// temporary credentials STS hands out.
pub fn frontends() -> Vec<Arc<dyn Frontend>> {
    let temp = TempCreds::default();
    vec![
        Arc::new(AwsApi::with_temp(temp.clone())),
        Arc::new(AwsS3::with_temp(temp)),
    ]
}

/// Strip `.amazonaws.com` or `.amazonaws.com.cn`.
pub(crate) fn strip_aws_suffix(host: &str) -> Option<&str> {
    host.strip_suffix(".amazonaws.com")
        .or_else(|| host.strip_suffix(".amazonaws.com.cn"))
}

/// The service and region a host names (`ec2.us-west-2` → ec2, us-west-2).
fn host_service(host: &str) -> Option<(&'static str, Option<String>)> {
    let rest = strip_aws_suffix(host)?;
    let mut parts = rest.split('.');
    let svc = match parts.next()? {
        "ec2" => "ec2",
        "iam" => "iam",
        "sts" => "sts",
        "ce" => "ce",
        _ => return None,
    };
    let region = parts.next().map(str::to_string);
    if parts.next().is_some() {
        return None;
    }
    Some((svc, region))
}

/// The region of a request, for region-scoped fault rules: the SigV4
/// credential scope's region (header or presigned query).
pub(crate) fn request_region(req: &SimRequest) -> Option<String> {
    req.header("authorization")
        .and_then(sigv4::parse_authorization)
        .or_else(|| sigv4::parse_presigned(&req.query_pairs()))
        .map(|a| a.region)
}

/// The time of `X-Amz-Date` (header or presigned query), `YYYYMMDD'T'HHMMSS'Z'`.
/// Without `X-Amz-Date`, SigV4 signs the `Date` header's time (RFC 1123).
pub(crate) fn amz_date(req: &SimRequest) -> Option<String> {
    req.header("x-amz-date")
        .map(str::to_string)
        .or_else(|| req.query("X-Amz-Date"))
        .or_else(|| {
            let d = DateTime::parse_from_rfc2822(req.header("date")?.trim()).ok()?;
            Some(d.with_timezone(&Utc).format("%Y%m%dT%H%M%SZ").to_string())
        })
}

/// Parse an `X-Amz-Date` value.
pub(crate) fn parse_amz_date(s: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(s.trim(), "%Y%m%dT%H%M%SZ")
        .ok()
        .map(|t| t.and_utc())
}

/// ISO 8601 with milliseconds, as AWS renders timestamps in XML.
pub(crate) fn iso(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Why a signature check failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AuthFailure {
    /// No signature at all.
    Missing,
    /// Unparsable signature or date.
    Malformed(String),
    /// Unknown access key id.
    UnknownKey,
    /// Temporary credential without (or with a wrong) session token.
    BadToken,
    /// Signature mismatch.
    BadSignature {
        /// What the server built (returned by S3 in its error body).
        string_to_sign: String,
        /// The canonical request.
        canonical_request: String,
    },
    /// Request time too far from the server clock.
    Skewed {
        /// The request's time.
        request_time: String,
    },
    /// Presigned URL past its expiry.
    PresignExpired,
    /// `x-amz-content-sha256` does not match the body.
    ContentSha256Mismatch,
}

/// Verify a SigV4 request (header or presigned); `s3` picks S3's path rules.
pub(crate) fn verify_request(
    ctx: &Ctx,
    req: &SimRequest,
    temp: &TempCreds,
    s3: bool,
) -> Result<AuthIdentity, AuthFailure> {
    let (auth, date) = if let Some(h) = req.header("authorization") {
        let a = sigv4::parse_authorization(h)
            .ok_or_else(|| AuthFailure::Malformed("Authorization header is malformed".into()))?;
        let d =
            amz_date(req).ok_or_else(|| AuthFailure::Malformed("X-Amz-Date is missing".into()))?;
        (a, d)
    } else if req.query("X-Amz-Algorithm").is_some() {
        let a = sigv4::parse_presigned(&req.query_pairs())
            .ok_or_else(|| AuthFailure::Malformed("presigned query is malformed".into()))?;
        let d = req
            .query("X-Amz-Date")
            .ok_or_else(|| AuthFailure::Malformed("X-Amz-Date is missing".into()))?;
        (a, d)
    } else {
        return Err(AuthFailure::Missing);
    };
    let time = parse_amz_date(&date)
        .ok_or_else(|| AuthFailure::Malformed("X-Amz-Date is not a valid date".into()))?;
    let token = req
        .header("x-amz-security-token")
        .map(str::to_string)
        .or_else(|| req.query("X-Amz-Security-Token"));
    let identity = match temp.lookup(ctx, &auth.access_key_id) {
        Some((id, want)) => {
            if token.as_deref() != Some(want.as_str()) {
                return Err(AuthFailure::BadToken);
            }
            id
        }
        None => {
            let id = ctx
                .auth(NAME, &auth.access_key_id)
                .ok_or(AuthFailure::UnknownKey)?;
            if token.is_some() {
                return Err(AuthFailure::BadToken);
            }
            id
        }
    };
    if auth.presigned {
        let expires: i64 = req
            .query("X-Amz-Expires")
            .and_then(|e| e.parse().ok())
            .unwrap_or(604_800);
        if (ctx.now() - time).num_seconds() > expires {
            return Err(AuthFailure::PresignExpired);
        }
    } else if (time - ctx.now()).num_seconds().abs() > MAX_SKEW_SECS {
        return Err(AuthFailure::Skewed { request_time: date });
    }
    let payload_hash = match req.header("x-amz-content-sha256") {
        Some(h) => {
            let h = h.trim().to_string();
            if h.len() == 64
                && h.bytes().all(|b| b.is_ascii_hexdigit())
                && !sigv4::same(&h.to_ascii_lowercase(), &sigv4::sha256_hex(&req.body))
            {
                return Err(AuthFailure::ContentSha256Mismatch);
            }
            h
        }
        None if auth.presigned && s3 => "UNSIGNED-PAYLOAD".to_string(),
        None => sigv4::sha256_hex(&req.body),
    };
    let mut headers: Vec<(String, String)> = req
        .headers
        .iter()
        .filter_map(|(n, v)| Some((n.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect();
    if !headers.iter().any(|(n, _)| n == "host") {
        headers.push(("host".into(), req.host.clone()));
    }
    let input = sigv4::CanonicalInput {
        method: req.method.as_str(),
        path: req.path(),
        query: req.raw_query(),
        headers: &headers,
        payload_hash: &payload_hash,
        s3,
    };
    let bad = |v: Option<&sigv4::Verification>| AuthFailure::BadSignature {
        string_to_sign: v.map(|v| v.string_to_sign.clone()).unwrap_or_default(),
        canonical_request: v.map(|v| v.canonical_request.clone()).unwrap_or_default(),
    };
    let Some(v) = sigv4::expected_signature(&auth, identity.secret.expose(), &date, &input) else {
        return Err(bad(None));
    };
    if !sigv4::same(&v.expected, &auth.signature) || !date.starts_with(&auth.date) {
        return Err(bad(Some(&v)));
    }
    if payload_hash.starts_with("STREAMING-AWS4-HMAC-SHA256-PAYLOAD") {
        let ok = sigv4::decode_chunked(&req.body).is_some_and(|c| {
            let key = sigv4::signing_key(
                identity.secret.expose(),
                &auth.date,
                &auth.region,
                &auth.service,
            );
            sigv4::verify_chunks(&c, &key, &date, &auth.scope(), &auth.signature)
        });
        if !ok {
            return Err(bad(Some(&v)));
        }
    }
    Ok(identity)
}

/// The query/JSON API frontend (EC2, IAM, STS, Cost Explorer).
#[derive(Debug, Default, Clone)]
pub struct AwsApi {
    temp: TempCreds,
}

impl AwsApi {
    /// A frontend with its own store of temporary credentials.
    pub fn new() -> Self {
        AwsApi::default()
    }

    pub(crate) fn with_temp(temp: TempCreds) -> Self {
        AwsApi { temp }
    }

    /// The service (`ec2`, `iam`, `sts`, `ce`) and region of a request.
    fn route(&self, req: &SimRequest) -> (Option<&'static str>, Option<String>) {
        let scope = req
            .header("authorization")
            .and_then(sigv4::parse_authorization)
            .or_else(|| sigv4::parse_presigned(&req.query_pairs()));
        let (mut svc, mut region) = match host_service(&req.host) {
            Some((s, r)) => (Some(s), r),
            None => (None, None),
        };
        if svc.is_none() {
            svc = match scope.as_ref().map(|a| a.service.as_str()) {
                Some("ec2") => Some("ec2"),
                Some("iam") => Some("iam"),
                Some("sts") => Some("sts"),
                Some("ce") => Some("ce"),
                _ if req
                    .header("x-amz-target")
                    .is_some_and(|t| t.starts_with("AWSInsightsIndexService.")) =>
                {
                    Some("ce")
                }
                _ => None,
            };
        }
        if region.is_none() {
            region = scope.map(|a| a.region);
        }
        (svc, region)
    }

    fn protocol(&self, req: &SimRequest) -> Protocol {
        match self.route(req).0 {
            Some("ec2") => Protocol::Ec2,
            Some("iam") => Protocol::Iam,
            Some("ce") => Protocol::Json,
            _ => Protocol::Sts,
        }
    }
}

/// Everything an action handler needs.
pub(crate) struct Call<'a> {
    pub(crate) ctx: &'a Ctx,
    pub(crate) auth: &'a AuthIdentity,
    pub(crate) params: Vec<(String, String)>,
    pub(crate) region: String,
    pub(crate) temp: &'a TempCreds,
    pub(crate) access_key_id: String,
}

impl Call<'_> {
    pub(crate) fn estate(&self) -> &Estate {
        &self.ctx.estate
    }

    pub(crate) fn account(&self) -> &str {
        &self.auth.account
    }

    /// A parameter.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A required parameter.
    pub(crate) fn req(&self, name: &str) -> Result<&str, AwsError> {
        self.get(name)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| AwsError::missing(name))
    }

    /// `prefix.1`, `prefix.2`, ... in numeric order.
    pub(crate) fn list(&self, prefix: &str) -> Vec<String> {
        let mut v: Vec<(u32, String)> = self
            .params
            .iter()
            .filter_map(|(k, val)| {
                let n = k.strip_prefix(prefix)?.strip_prefix('.')?;
                Some((n.parse().ok()?, val.clone()))
            })
            .collect();
        v.sort_by_key(|(n, _)| *n);
        v.into_iter().map(|(_, s)| s).collect()
    }

    /// The indexes `N` of `prefix.N.<anything>`, sorted.
    pub(crate) fn indexes(&self, prefix: &str) -> Vec<u32> {
        let mut v: Vec<u32> = self
            .params
            .iter()
            .filter_map(|(k, _)| {
                let rest = k.strip_prefix(prefix)?.strip_prefix('.')?;
                rest.split('.').next()?.parse().ok()
            })
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// `Filter.N.Name` / `Filter.N.Value.M` pairs.
    pub(crate) fn filters(&self) -> Vec<(String, Vec<String>)> {
        self.indexes("Filter")
            .into_iter()
            .filter_map(|n| {
                let name = self.get(&format!("Filter.{n}.Name"))?.to_string();
                Some((name, self.list(&format!("Filter.{n}.Value"))))
            })
            .collect()
    }

    /// The regional scope; `InvalidParameterValue` for a region the account lacks.
    pub(crate) fn scope(&self) -> Result<Scope, AwsError> {
        let known = self
            .estate()
            .regions(NAME, self.account())
            .map(|v| v.iter().any(|(r, _)| *r == self.region))
            .unwrap_or(false);
        if !known {
            return Err(AwsError::new(
                401,
                "AuthFailure",
                &format!(
                    "AWS was not able to validate the provided access credentials for region {}.",
                    self.region
                ),
            ));
        }
        Ok(Scope::new(NAME, self.account(), self.region.clone()))
    }
}

impl Frontend for AwsApi {
    fn name(&self) -> &str {
        NAME
    }

    fn id(&self) -> &str {
        NAME
    }

    fn matches_host(&self, host: &str) -> bool {
        host_service(host).is_some()
    }

    fn cert_names(&self, regions: &[String]) -> Vec<String> {
        let mut v = vec![
            "iam.amazonaws.com".to_string(),
            "sts.amazonaws.com".to_string(),
            "ce.us-east-1.amazonaws.com".to_string(),
        ];
        for r in regions {
            v.push(format!("ec2.{r}.amazonaws.com"));
            v.push(format!("sts.{r}.amazonaws.com"));
        }
        v
    }

    fn setup(&self, estate: &Estate) {
        // i-, vol-, ami-, vpc-, subnet-, sg-, eipalloc- + 17 hex; 12-digit
        // accounts; AKIA keys (the built-in `aws` id style).
        estate.set_id_fn(NAME, crate::estate::ids::default_id_fn(NAME));
    }

    fn action(&self, req: &SimRequest) -> String {
        if let Some(t) = req.header("x-amz-target") {
            return t.rsplit('.').next().unwrap_or(t).to_string();
        }
        req.param("Action").unwrap_or_else(|| "Unknown".into())
    }

    fn is_mutating(&self, _req: &SimRequest, action: &str) -> bool {
        !["Describe", "List", "Get"]
            .iter()
            .any(|p| action.starts_with(p))
    }

    fn region(&self, req: &SimRequest) -> Option<String> {
        request_region(req)
    }

    fn request_time(&self, req: &SimRequest) -> Option<DateTime<Utc>> {
        parse_amz_date(&amz_date(req)?)
    }

    fn verify(&self, ctx: &Ctx, req: &SimRequest) -> Result<AuthIdentity, SimResponse> {
        let proto = self.protocol(req);
        match verify_request(ctx, req, &self.temp, false) {
            Ok(id) => Ok(id),
            Err(f) => Err(errors::render(
                ctx,
                proto,
                &errors::auth_error(proto, &f, ctx),
            )),
        }
    }

    fn handle(&self, ctx: &Ctx, req: &SimRequest, auth: &AuthIdentity) -> SimResponse {
        let (svc, region) = self.route(req);
        let proto = self.protocol(req);
        let params = if req.method == http::Method::GET {
            req.query_pairs()
        } else {
            let mut p = req.query_pairs();
            if proto != Protocol::Json {
                p.extend(req.form());
            }
            p
        };
        let access_key_id = req
            .header("authorization")
            .and_then(sigv4::parse_authorization)
            .or_else(|| sigv4::parse_presigned(&req.query_pairs()))
            .map(|a| a.access_key_id)
            .unwrap_or_default();
        let call = Call {
            ctx,
            auth,
            params,
            region: region.unwrap_or_else(|| "us-east-1".into()),
            temp: &self.temp,
            access_key_id,
        };
        let action = self.action(req);
        let out = match svc {
            Some("ec2") => {
                check_version(&call, "2016-11-15").and_then(|_| ec2::handle(&call, &action))
            }
            Some("iam") => {
                check_version(&call, "2010-05-08").and_then(|_| iam::handle(&call, &action))
            }
            Some("sts") => {
                check_version(&call, "2011-06-15").and_then(|_| sts::handle(&call, &action))
            }
            Some("ce") => ce::handle(&call, &action, req),
            _ => Err(AwsError::new(
                400,
                "InvalidAction",
                "The service could not be determined from the host or the signature.",
            )),
        };
        match out {
            Ok(r) => r,
            Err(e) => errors::render(ctx, proto, &e),
        }
    }

    fn throttle_response(&self, ctx: &Ctx, req: &SimRequest, _action: &str) -> SimResponse {
        let proto = self.protocol(req);
        let e = match proto {
            Protocol::Ec2 => AwsError::new(503, "RequestLimitExceeded", "Request limit exceeded."),
            Protocol::Json => AwsError::new(400, "ThrottlingException", "Rate exceeded"),
            _ => AwsError::new(400, "Throttling", "Rate exceeded"),
        };
        errors::render(ctx, proto, &e)
    }

    fn server_error_response(&self, ctx: &Ctx, req: &SimRequest, _action: &str) -> SimResponse {
        let proto = self.protocol(req);
        let e = match proto {
            Protocol::Ec2 => AwsError::new(
                500,
                "InternalError",
                "An internal error has occurred. Retry your request, but if the problem persists, contact us.",
            ),
            _ => AwsError::new(503, "ServiceUnavailable", "Service is unavailable."),
        };
        errors::render(ctx, proto, &e)
    }

    fn expired_response(&self, ctx: &Ctx, req: &SimRequest, _action: &str) -> SimResponse {
        let proto = self.protocol(req);
        let f = AuthFailure::Skewed {
            request_time: amz_date(req).unwrap_or_default(),
        };
        errors::render(ctx, proto, &errors::auth_error(proto, &f, ctx))
    }
}

/// The Query protocol's `Version` must be the service's.
fn check_version(call: &Call, want: &str) -> Result<(), AwsError> {
    match call.get("Version") {
        Some(v) if v == want => Ok(()),
        Some(v) => Err(AwsError::new(
            400,
            "InvalidParameterValue",
            &format!("Invalid Version '{v}'; expected {want}."),
        )),
        None => Err(AwsError::missing("Version")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        assert_eq!(
            host_service("ec2.us-west-2.amazonaws.com"),
            Some(("ec2", Some("us-west-2".into())))
        );
        assert_eq!(host_service("iam.amazonaws.com"), Some(("iam", None)));
        assert_eq!(
            host_service("sts.cn-north-1.amazonaws.com.cn"),
            Some(("sts", Some("cn-north-1".into())))
        );
        assert_eq!(host_service("s3.amazonaws.com"), None);
        assert_eq!(host_service("a.b.ec2.amazonaws.com"), None);
        assert_eq!(
            parse_amz_date("20150830T123600Z").map(|t| iso(&t)),
            Some("2015-08-30T12:36:00.000Z".into())
        );
    }
}
