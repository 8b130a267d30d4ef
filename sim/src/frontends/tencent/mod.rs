//! The Tencent Cloud frontends: API 3.0 (CVM, CBS, VPC, CAM, Billing, STS)
//! and COS.
//!
//! **API 3.0** ([`TencentApi`], id `tencent`): hosts `{service}.tencentcloudapi.com`
//! and `{service}.{region}.tencentcloudapi.com`, or any host on its own port
//! (the service then comes from the credential scope of the signature).
//! Requests are POST with a JSON body or GET with flattened query
//! parameters, signed with TC3-HMAC-SHA256; the action is `X-TC-Action`,
//! the version `X-TC-Version`, the region `X-TC-Region`, a temporary
//! credential's token `X-TC-Token`. Every answer is HTTP 200 with
//! `{"Response": {..., "RequestId"}}`; errors carry `Response.Error.Code`.
//!
//! Legacy (v1, `Signature` parameter, HmacSHA1/HmacSHA256) requests are
//! verified too. Request names the vendor SDK's models do not define are
//! `UnknownParameter`. Actions:
//!
//! - CVM 2017-03-12: DescribeRegions, DescribeZones, DescribeInstances,
//!   RunInstances (ClientToken, DataDisks, TagSpecification), StartInstances,
//!   StopInstances (StopType, StoppedMode), RebootInstances,
//!   TerminateInstances, DescribeImages, DescribeInstanceTypeConfigs.
//! - CBS 2017-03-12: DescribeDisks, CreateDisks (ClientToken), AttachDisks,
//!   DetachDisks, TerminateDisks.
//! - VPC 2017-03-12: DescribeVpcs, CreateVpc, DeleteVpc, DescribeSubnets,
//!   CreateSubnet, DeleteSubnet, DescribeSecurityGroups,
//!   DescribeSecurityGroupPolicies, CreateSecurityGroup, DeleteSecurityGroup,
//!   CreateSecurityGroupPolicies, DeleteSecurityGroupPolicies,
//!   DescribeAddresses, AllocateAddresses, AssociateAddress,
//!   DisassociateAddress, ReleaseAddresses.
//! - CAM 2019-01-16: ListUsers, GetUser, AddUser, DeleteUser, ListGroups,
//!   DescribeRoleList, ListPolicies, ListAttachedUserAllPolicies,
//!   ListAttachedGroupPolicies, ListAttachedRolePolicies, AttachUserPolicy,
//!   DetachUserPolicy, ListAccessKeys.
//! - Billing 2018-07-09: DescribeAccountBalance, DescribeBillDetail.
//! - STS 2018-08-13: GetCallerIdentity, AssumeRole (the temporary credentials
//!   are then accepted here with `X-TC-Token` and by COS).
//!
//! List actions page with `Offset`/`Limit` (default 20, above 100 rejected)
//! and report `TotalCount`; CAM pages with `Page`/`Rp`.
//!
//! **COS** ([`TencentCos`], id `tencent-cos`): hosts
//! `{bucket}-{appid}.cos.{region}.myqcloud.com`, `cos.{region}.myqcloud.com`,
//! `service.cos.myqcloud.com` (and the `tencentcos.cn` forms), or any host on
//! its own port (path-style `/{bucket}-{appid}/key` there). XML API with the
//! `q-sign-algorithm=sha1` signature (Authorization header or presigned
//! query); errors are XML with an HTTP status. Operations: GET service,
//! PUT/DELETE/HEAD bucket, GET bucket (prefix, delimiter, marker, max-keys,
//! encoding-type), HEAD/GET (Range)/PUT/DELETE object, PUT with
//! `x-cos-copy-source`, POST `?delete`, multipart (`?uploads`,
//! `?partNumber&uploadId`, complete, abort).

mod billing;
mod cam;
mod cbs;
mod cos;
mod cvm;
mod errors;
mod known;
mod params;
mod sign;
mod sts;
mod vpc;

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;

use crate::estate::{AuthIdentity, Estate, Scope};
use crate::frontend::{Ctx, Frontend, SimRequest, SimResponse};

pub use cos::TencentCos;
use errors::{ApiError, ApiResult, Service, api_error, api_ok};
use params::Params;
pub(crate) use sts::TempCreds;

/// The provider name.
pub const NAME: &str = "tencent";

/// Largest difference between `X-TC-Timestamp` and the server clock.
pub const MAX_SKEW_SECS: i64 = 300;

/// The frontends this module contributes: API 3.0 and COS, sharing the
/// temporary credentials STS hands out.
pub fn frontends() -> Vec<Arc<dyn Frontend>> {
    let temp = TempCreds::default();
    vec![
        Arc::new(TencentApi::with_temp(temp.clone())),
        Arc::new(TencentCos::with_temp(temp)),
    ]
}

/// The API 3.0 frontend (CVM, CBS, VPC, CAM, Billing, STS).
#[derive(Debug, Default, Clone)]
pub struct TencentApi {
    temp: TempCreds,
}

impl TencentApi {
    /// A frontend with its own store of temporary credentials.
    pub fn new() -> Self {
        TencentApi::default()
    }

    pub(crate) fn with_temp(temp: TempCreds) -> Self {
        TencentApi { temp }
    }
}

/// API version of each service.
fn version_of(service: &str) -> Option<&'static str> {
    Some(match service {
        "cvm" | "cbs" | "vpc" => "2017-03-12",
        "cam" => "2019-01-16",
        "billing" => "2018-07-09",
        "sts" => "2018-08-13",
        _ => return None,
    })
}

/// The service of a host like `cvm.tencentcloudapi.com` or `cvm.ap-guangzhou.tencentcloudapi.com`.
fn host_service(host: &str) -> Option<&str> {
    let rest = host.strip_suffix(".tencentcloudapi.com")?;
    let svc = rest.split('.').next()?;
    (!svc.is_empty()).then_some(svc)
}

/// The region of a regional host (`cvm.ap-guangzhou.tencentcloudapi.com`).
fn host_region(host: &str) -> Option<&str> {
    let rest = host.strip_suffix(".tencentcloudapi.com")?;
    let (_, region) = rest.split_once('.')?;
    (!region.is_empty() && !region.contains('.')).then_some(region)
}

/// The service an action belongs to (for v1-signed calls on the frontend's
/// own port, where neither the host nor a credential scope names it).
fn service_of_action(action: &str) -> Option<&'static str> {
    const CVM: &[&str] = &[
        "DescribeRegions",
        "DescribeZones",
        "DescribeInstances",
        "RunInstances",
        "StartInstances",
        "StopInstances",
        "RebootInstances",
        "TerminateInstances",
        "DescribeImages",
        "DescribeInstanceTypeConfigs",
    ];
    const CBS: &[&str] = &[
        "DescribeDisks",
        "CreateDisks",
        "AttachDisks",
        "DetachDisks",
        "TerminateDisks",
    ];
    const CAM: &[&str] = &[
        "ListUsers",
        "GetUser",
        "AddUser",
        "DeleteUser",
        "ListGroups",
        "DescribeRoleList",
        "ListPolicies",
        "ListAttachedUserAllPolicies",
        "ListAttachedGroupPolicies",
        "ListAttachedRolePolicies",
        "AttachUserPolicy",
        "DetachUserPolicy",
        "ListAccessKeys",
    ];
    const BILLING: &[&str] = &["DescribeAccountBalance", "DescribeBillDetail"];
    const STS: &[&str] = &["GetCallerIdentity", "AssumeRole"];
    Some(if CVM.contains(&action) {
        "cvm"
    } else if CBS.contains(&action) {
        "cbs"
    } else if CAM.contains(&action) {
        "cam"
    } else if BILLING.contains(&action) {
        "billing"
    } else if STS.contains(&action) {
        "sts"
    } else if action.contains("Vpc")
        || action.contains("Subnet")
        || action.contains("SecurityGroup")
        || action.contains("Address")
    {
        "vpc"
    } else {
        return None;
    })
}

impl TencentApi {
    fn service(&self, req: &SimRequest) -> Option<String> {
        if let Some(s) = host_service(&req.host) {
            return Some(s.to_string());
        }
        req.header("authorization")
            .and_then(sign::parse_tc3)
            .map(|a| a.service)
            .or_else(|| service_of_action(&self.action(req)).map(str::to_string))
    }

    /// The parameters of a v1-signed call (query for GET, form body otherwise).
    fn v1_params(req: &SimRequest) -> Vec<(String, String)> {
        if req.method == http::Method::GET {
            req.query_pairs()
        } else {
            req.form()
        }
    }

    /// Find the caller's identity; checks the token of temporary credentials.
    #[allow(clippy::result_large_err)] // the error is the response itself
    fn identity(
        &self,
        ctx: &Ctx,
        secret_id: &str,
        token: Option<&str>,
    ) -> Result<AuthIdentity, SimResponse> {
        let fail = |code: &str, msg: &str| api_error(ctx, &ApiError::new(code, msg));
        match self.temp.lookup(ctx, secret_id) {
            Some((id, want)) => {
                if token != Some(want.as_str()) {
                    return Err(fail(
                        "AuthFailure.TokenFailure",
                        "The token of the temporary credential is invalid.",
                    ));
                }
                Ok(id)
            }
            None => ctx.auth(NAME, secret_id).ok_or_else(|| {
                fail(
                    "AuthFailure.SecretIdNotFound",
                    "The SecretId is not found, please ensure that your SecretId is correct.",
                )
            }),
        }
    }

    /// Verify a legacy (v1, `Signature` parameter) request.
    #[allow(clippy::result_large_err)] // the error is the response itself
    fn verify_v1(&self, ctx: &Ctx, req: &SimRequest) -> Result<AuthIdentity, SimResponse> {
        let fail = |code: &str, msg: &str| api_error(ctx, &ApiError::new(code, msg));
        let params = Self::v1_params(req);
        let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        let (Some(secret_id), Some(sig)) = (get("SecretId"), get("Signature")) else {
            return Err(fail(
                "MissingParameter",
                "The request is missing `SecretId` or `Signature`.",
            ));
        };
        let sha256 = match get("SignatureMethod") {
            None | Some("HmacSHA1") => false,
            Some("HmacSHA256") => true,
            Some(_) => {
                return Err(fail(
                    "InvalidParameterValue",
                    "SignatureMethod must be HmacSHA1 or HmacSHA256.",
                ));
            }
        };
        let Some(time) = self.request_time(req) else {
            return Err(fail(
                "MissingParameter",
                "The request is missing a valid `Timestamp`.",
            ));
        };
        let identity = self.identity(ctx, secret_id, get("Token"))?;
        if (time - ctx.now()).num_seconds().abs() > MAX_SKEW_SECS {
            return Err(self.expired_response(ctx, req, ""));
        }
        let host = req.header("host").unwrap_or(&req.host);
        let want = sign::v1_signature(
            req.method.as_str(),
            host,
            req.path(),
            &params,
            identity.secret.expose(),
            sha256,
        );
        if !sign::same(&want, sig) {
            return Err(fail(
                "AuthFailure.SignatureFailure",
                "The provided credentials could not be validated. Please check your signature is correct.",
            ));
        }
        Ok(identity)
    }
}

/// Everything an action handler needs.
pub(crate) struct Call<'a> {
    pub(crate) ctx: &'a Ctx,
    pub(crate) auth: &'a AuthIdentity,
    pub(crate) params: Params,
    pub(crate) region: Option<String>,
    pub(crate) temp: &'a TempCreds,
    pub(crate) session: Option<sts::Session>,
}

impl Call<'_> {
    pub(crate) fn estate(&self) -> &Estate {
        &self.ctx.estate
    }

    pub(crate) fn account(&self) -> &str {
        &self.auth.account
    }

    /// The scope of a regional call; `MissingParameter` without a region,
    /// `UnsupportedRegion` for one the account does not have.
    pub(crate) fn scope(&self) -> Result<Scope, ApiError> {
        let Some(region) = self.region.clone().filter(|r| !r.is_empty()) else {
            return Err(ApiError::missing("Region"));
        };
        let known = self
            .estate()
            .regions(NAME, self.account())
            .map(|v| v.iter().any(|(r, _)| *r == region))
            .unwrap_or(false);
        if !known {
            return Err(ApiError::new(
                "UnsupportedRegion",
                &format!("The region `{region}` is not supported."),
            ));
        }
        Ok(Scope::new(NAME, self.account(), region))
    }
}

/// Render a time as API 3.0 ISO 8601 (`2020-01-01T00:00:00Z`).
pub(crate) fn iso(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Render a time as `2020-01-01 00:00:00` (CBS, VPC, CAM).
pub(crate) fn plain_time(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Tags as `[{"Key", "Value"}]`.
pub(crate) fn tag_list(tags: &crate::estate::Tags) -> Value {
    Value::Array(
        tags.iter()
            .map(|(k, v)| serde_json::json!({"Key": k, "Value": v}))
            .collect(),
    )
}

/// Whether `tags` pass the tag filters (`tag-key`, `tag-value`, `tag:<key>`).
pub(crate) fn tag_filter_ok(
    tags: &crate::estate::Tags,
    name: &str,
    values: &[String],
) -> Option<bool> {
    if let Some(key) = name.strip_prefix("tag:") {
        return Some(tags.get(key).is_some_and(|v| values.contains(v)));
    }
    match name {
        "tag-key" => Some(tags.keys().any(|k| values.contains(k))),
        "tag-value" => Some(tags.values().any(|v| values.contains(v))),
        _ => None,
    }
}

impl Frontend for TencentApi {
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
        let mut v = vec!["*.tencentcloudapi.com".to_string()];
        v.extend(regions.iter().map(|r| format!("*.{r}.tencentcloudapi.com")));
        v
    }

    fn setup(&self, estate: &Estate) {
        // Vendor id styles: ins-, disk-, img-, vpc-, subnet-, sg-, eip- and
        // 8 characters of [0-9a-z]; accounts, users, keys as the default style.
        use crate::estate::ResourceKind as K;
        const STYLES: &[(K, &str)] = &[
            (K::Instance, "ins-"),
            (K::Volume, "disk-"),
            (K::Image, "img-"),
            (K::Vpc, "vpc-"),
            (K::Subnet, "subnet-"),
            (K::SecurityGroup, "sg-"),
            (K::SecurityRule, "sgr-"),
            (K::PublicIp, "eip-"),
        ];
        estate.set_id_fn(
            NAME,
            crate::estate::ids::prefixed(
                STYLES,
                b"0123456789abcdefghijklmnopqrstuvwxyz",
                8,
                crate::estate::ids::default_id_fn(NAME),
            ),
        );
    }

    fn action(&self, req: &SimRequest) -> String {
        req.header("x-tc-action")
            .map(str::to_string)
            .or_else(|| req.param("Action"))
            .unwrap_or_else(|| "Unknown".into())
    }

    fn is_mutating(&self, _req: &SimRequest, action: &str) -> bool {
        !["Describe", "List", "Get", "Inquiry", "Inquire"]
            .iter()
            .any(|p| action.starts_with(p))
    }

    fn request_time(&self, req: &SimRequest) -> Option<DateTime<Utc>> {
        let ts: i64 = req
            .header("x-tc-timestamp")
            .map(str::to_string)
            .or_else(|| req.param("Timestamp"))?
            .trim()
            .parse()
            .ok()?;
        Utc.timestamp_opt(ts, 0).single()
    }

    fn verify(&self, ctx: &Ctx, req: &SimRequest) -> Result<AuthIdentity, SimResponse> {
        let fail = |code: &str, msg: &str| api_error(ctx, &ApiError::new(code, msg));
        let Some(header) = req.header("authorization") else {
            if Self::v1_params(req).iter().any(|(k, _)| k == "Signature") {
                return self.verify_v1(ctx, req);
            }
            return Err(fail(
                "AuthFailure.InvalidAuthorization",
                "The Authorization header is missing.",
            ));
        };
        let Some(auth) = sign::parse_tc3(header) else {
            return Err(fail(
                "AuthFailure.InvalidAuthorization",
                "Authorization header format error.",
            ));
        };
        let Some(ts) = req.header("x-tc-timestamp") else {
            return Err(fail(
                "MissingParameter",
                "The request is missing a required parameter `Timestamp`.",
            ));
        };
        let Some(time) = self.request_time(req) else {
            return Err(fail(
                "InvalidParameter",
                "The value of `X-TC-Timestamp` is not a valid Unix time.",
            ));
        };
        let identity = self.identity(ctx, &auth.secret_id, req.header("x-tc-token"))?;
        if (time - ctx.now()).num_seconds().abs() > MAX_SKEW_SECS {
            return Err(self.expired_response(ctx, req, ""));
        }
        let canonical = sign::tc3_canonical_request(req, &auth);
        let want = sign::tc3_signature(
            identity.secret.expose(),
            &auth.date,
            &auth.service,
            ts.trim(),
            &canonical,
        );
        let date_ok = time.format("%Y-%m-%d").to_string() == auth.date;
        if !date_ok || !sign::same(&want, &auth.signature) {
            return Err(fail(
                "AuthFailure.SignatureFailure",
                "The provided credentials could not be validated. Please check your signature is correct.",
            ));
        }
        Ok(identity)
    }

    fn handle(&self, ctx: &Ctx, req: &SimRequest, auth: &AuthIdentity) -> SimResponse {
        match self.dispatch(ctx, req, auth) {
            Ok(v) => api_ok(ctx, v),
            Err(e) => api_error(ctx, &e),
        }
    }

    fn throttle_response(&self, ctx: &Ctx, _req: &SimRequest, action: &str) -> SimResponse {
        api_error(
            ctx,
            &ApiError::new(
                "RequestLimitExceeded",
                &format!("The request frequency of {action} exceeds the limit."),
            ),
        )
    }

    fn server_error_response(&self, ctx: &Ctx, _req: &SimRequest, _action: &str) -> SimResponse {
        api_error(
            ctx,
            &ApiError::new(
                "InternalError",
                "An internal error has occurred. Retry later.",
            ),
        )
    }

    fn expired_response(&self, ctx: &Ctx, _req: &SimRequest, _action: &str) -> SimResponse {
        api_error(
            ctx,
            &ApiError::new(
                "AuthFailure.SignatureExpire",
                &format!(
                    "Signature expired, timestamp and server time differ by more than five minutes (server time {}).",
                    ctx.now().timestamp()
                ),
            ),
        )
    }
}

impl TencentApi {
    fn dispatch(&self, ctx: &Ctx, req: &SimRequest, auth: &AuthIdentity) -> ApiResult {
        let action = self.action(req);
        let Some(service) = self.service(req) else {
            return Err(ApiError::new(
                "InvalidAction",
                "The service could not be determined from the host or the signature.",
            ));
        };
        let Some(version) = version_of(&service) else {
            return Err(ApiError::new(
                "InvalidAction",
                &format!("The service `{service}` is not simulated."),
            ));
        };
        let given_version = req
            .header("x-tc-version")
            .map(str::to_string)
            .or_else(|| req.param("Version"));
        if given_version.as_deref() != Some(version) {
            return Err(ApiError::new(
                "NoSuchVersion",
                &format!(
                    "The API version `{}` of `{service}` does not exist; use {version}.",
                    given_version.unwrap_or_default()
                ),
            ));
        }
        let params = if req.method == http::Method::GET {
            Params::from_pairs(&req.query_pairs())
        } else if req
            .header("content-type")
            .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
        {
            Params::from_pairs(&req.form())
        } else {
            Params::from_json(&req.body)?
        };
        if let serde_json::Value::Object(m) = &params.0 {
            if let Some(bad) = known::unknown(&service, &action, m.keys().map(String::as_str)) {
                return Err(ApiError::new(
                    "UnknownParameter",
                    &format!("The parameter `{bad}` is not recognized."),
                ));
            }
        }
        let region = req
            .header("x-tc-region")
            .map(str::to_string)
            .or_else(|| params.str("Region"))
            .or_else(|| host_region(&req.host).map(str::to_string));
        let session = self.temp.session(ctx, &auth.access_key_id);
        let call = Call {
            ctx,
            auth,
            params,
            region,
            temp: &self.temp,
            session,
        };
        let svc = match service.as_str() {
            "cvm" => Service::Cvm,
            "cbs" => Service::Cbs,
            "vpc" => Service::Vpc,
            "cam" => Service::Cam,
            "billing" => Service::Billing,
            _ => Service::Sts,
        };
        let out = match svc {
            Service::Cvm => cvm::handle(&call, &action),
            Service::Cbs => cbs::handle(&call, &action),
            Service::Vpc => vpc::handle(&call, &action),
            Service::Cam => cam::handle(&call, &action),
            Service::Billing => billing::handle(&call, &action),
            Service::Sts => sts::handle(&call, &action),
        };
        out.unwrap_or_else(|| {
            Err(Handled::Api(ApiError::new(
                "InvalidAction",
                &format!("The action `{action}` of `{service}` is not found."),
            )))
        })
        .map_err(|e| match e {
            Handled::Api(e) => e,
            Handled::Estate(e) => errors::from_estate(svc, &e),
        })
    }
}

/// An action's failure: already an API error, or an estate error to map.
pub(crate) enum Handled {
    /// An API error.
    Api(ApiError),
    /// An estate error (mapped with the service's codes).
    Estate(crate::estate::EstateError),
}

impl From<ApiError> for Handled {
    fn from(e: ApiError) -> Self {
        Handled::Api(e)
    }
}

impl From<crate::estate::EstateError> for Handled {
    fn from(e: crate::estate::EstateError) -> Self {
        Handled::Estate(e)
    }
}

/// What action handlers return: `None` for an unknown action.
pub(crate) type Outcome = Option<Result<Value, Handled>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        let f = TencentApi::new();
        assert!(f.matches_host("cvm.tencentcloudapi.com"));
        assert!(f.matches_host("cvm.ap-guangzhou.tencentcloudapi.com"));
        assert!(!f.matches_host("tencentcloudapi.com"));
        assert!(!f.matches_host("ecs.aliyuncs.com"));
        assert_eq!(host_service("vpc.tencentcloudapi.com"), Some("vpc"));
        assert_eq!(
            host_region("cvm.ap-shanghai.tencentcloudapi.com"),
            Some("ap-shanghai")
        );
        assert_eq!(host_region("cvm.tencentcloudapi.com"), None);
        assert_eq!(version_of("cam"), Some("2019-01-16"));
    }
}
