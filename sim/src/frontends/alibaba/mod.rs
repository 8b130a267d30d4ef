//! The Alibaba Cloud frontends: the RPC APIs (ECS 2014-05-26, VPC
//! 2016-04-28, RAM 2015-05-01, BSS OpenAPI 2017-12-14, STS 2015-04-01) and
//! OSS.
//!
//! - [`AlibabaRpc`] (id `alibaba`) serves `ecs[.{region}].aliyuncs.com`,
//!   `vpc[.{region}].aliyuncs.com`, `ram.aliyuncs.com`,
//!   `business[.ap-southeast-1].aliyuncs.com`, `sts[.{region}].aliyuncs.com`.
//!   The service is chosen by the API version (`x-acs-version` header or
//!   `Version` parameter), else by host. Requests are signed with
//!   ACS3-HMAC-SHA256 or the older HMAC-SHA1 RPC signature; parameters come
//!   from the query and a form body; answers are the vendor's JSON.
//! - [`AlibabaOss`] (id `alibaba-oss`) serves `oss-{region}.aliyuncs.com`
//!   and `{bucket}.oss-{region}.aliyuncs.com` (path style `/{bucket}/{key}`
//!   on its own port or a bare host), signed with OSS V1 or V4, header or
//!   presigned query.
//!
//! Temporary credentials from STS `AssumeRole` are kept by the frontends
//! (shared by both) and accepted with their security token.

// Handlers return the vendor's error response itself as their error, built once.
#![allow(clippy::result_large_err)]

pub mod errors;
pub mod sign;

mod bss;
mod ecs;
mod oss;
mod ram;
mod sts;
mod vpc;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use http::StatusCode;
use parking_lot::Mutex;
use serde_json::Value;

use crate::estate::ids::IdFn;
use crate::estate::{AuthIdentity, Estate, EstateError, ResourceKind, Scope, SecretString, Tags};
use crate::frontend::{Ctx, Frontend, SimRequest, SimResponse};

pub use oss::AlibabaOss;

/// Provider name.
pub const NAME: &str = "alibaba";

/// How far a request time may be from the server's, in seconds (15 minutes).
pub const MAX_SKEW_SECS: i64 = 15 * 60;

/// The frontends of this module: RPC APIs and OSS.
pub fn frontends() -> Vec<Arc<dyn Frontend>> {
    let sts = Arc::new(StsStore::default());
    vec![
        Arc::new(AlibabaRpc { sts: sts.clone() }),
        Arc::new(AlibabaOss::new(sts)),
    ]
}

/// The vendor id style: `i-` + 20 lower-case alphanumerics, `d-`, `m-`,
/// `sg-`, `vpc-`/`vsw-`/`eip-` + 21, RAM ids of digits, `LTAI` access keys.
pub fn id_fn() -> IdFn {
    use ResourceKind as K;
    Arc::new(|kind, rng| match kind {
        K::Instance => format!("i-{}", rng.lower_alnum(20)),
        K::Volume => format!("d-{}", rng.lower_alnum(20)),
        K::Image => format!("m-{}", rng.lower_alnum(20)),
        K::Vpc => format!("vpc-{}", rng.lower_alnum(21)),
        K::Subnet => format!("vsw-{}", rng.lower_alnum(21)),
        K::SecurityGroup => format!("sg-{}", rng.lower_alnum(20)),
        K::SecurityRule => format!("sgr-{}", rng.lower_alnum(20)),
        K::PublicIp => format!("eip-{}", rng.lower_alnum(21)),
        K::Account | K::User => rng.digits(16),
        K::Group => format!("g-{}", rng.lower_alnum(20)),
        K::Role => rng.digits(19),
        K::Policy => rng.lower_alnum(20),
        K::AccessKey => format!("LTAI{}", rng.mixed_alnum(20)),
        K::Upload => rng.hex(32).to_uppercase(),
        _ => rng.uuid().to_uppercase(),
    })
}

/// An RPC service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// ECS 2014-05-26.
    Ecs,
    /// VPC 2016-04-28.
    Vpc,
    /// RAM 2015-05-01.
    Ram,
    /// BSS OpenAPI 2017-12-14.
    Bss,
    /// STS 2015-04-01.
    Sts,
}

impl Service {
    /// The API version.
    pub fn version(self) -> &'static str {
        match self {
            Service::Ecs => "2014-05-26",
            Service::Vpc => "2016-04-28",
            Service::Ram => "2015-05-01",
            Service::Bss => "2017-12-14",
            Service::Sts => "2015-04-01",
        }
    }

    /// The product code (used in `Recommend` links).
    pub fn product(self) -> &'static str {
        match self {
            Service::Ecs => "Ecs",
            Service::Vpc => "Vpc",
            Service::Ram => "Ram",
            Service::Bss => "BssOpenApi",
            Service::Sts => "Sts",
        }
    }

    fn default_host(self) -> &'static str {
        match self {
            Service::Ecs => "ecs.aliyuncs.com",
            Service::Vpc => "vpc.aliyuncs.com",
            Service::Ram => "ram.aliyuncs.com",
            Service::Bss => "business.aliyuncs.com",
            Service::Sts => "sts.aliyuncs.com",
        }
    }

    /// The service of an API version.
    pub fn from_version(v: &str) -> Option<Service> {
        [
            Service::Ecs,
            Service::Vpc,
            Service::Ram,
            Service::Bss,
            Service::Sts,
        ]
        .into_iter()
        .find(|s| s.version() == v)
    }

    /// The service and region of a host name.
    pub fn from_host(host: &str) -> Option<(Service, Option<String>)> {
        let rest = host.strip_suffix(".aliyuncs.com")?;
        let (svc, region) = match rest.split_once('.') {
            Some((s, r)) => (s, Some(r.to_string())),
            None => match rest.split_once('-') {
                Some((s, r)) if s == "ecs" || s == "vpc" => (s, Some(r.to_string())),
                _ => (rest, None),
            },
        };
        let s = match svc {
            "ecs" => Service::Ecs,
            "vpc" => Service::Vpc,
            "ram" => Service::Ram,
            "business" => Service::Bss,
            "sts" => Service::Sts,
            _ => return None,
        };
        let region = match s {
            Service::Ram | Service::Bss => None,
            _ => region,
        };
        Some((s, region))
    }
}

/// A temporary credential issued by `AssumeRole`.
#[derive(Debug, Clone)]
pub struct TempCredential {
    /// Account the role belongs to.
    pub account: String,
    /// Secret.
    pub secret: SecretString,
    /// Security token.
    pub token: SecretString,
    /// Expiry.
    pub expires: DateTime<Utc>,
    /// Role name.
    pub role: String,
    /// Session name.
    pub session: String,
}

/// Temporary credentials by access key id.
#[derive(Debug, Default)]
pub struct StsStore {
    creds: Mutex<HashMap<String, TempCredential>>,
}

impl StsStore {
    /// Remember a credential.
    pub fn insert(&self, access_key_id: String, c: TempCredential) {
        self.creds.lock().insert(access_key_id, c);
    }

    /// Look one up.
    pub fn get(&self, access_key_id: &str) -> Option<TempCredential> {
        self.creds.lock().get(access_key_id).cloned()
    }
}

/// Why a credential lookup failed: `(status, code, message)`.
pub(crate) type AuthFail = (u16, &'static str, &'static str);

/// Find the identity of an access key, checking an STS token when given.
pub(crate) fn lookup_key(
    ctx: &Ctx,
    sts: &StsStore,
    access_key_id: &str,
    token: Option<&str>,
) -> Result<AuthIdentity, AuthFail> {
    if let Some(c) = sts.get(access_key_id) {
        let Some(t) = token else {
            return Err((
                400,
                "InvalidSecurityToken.MismatchWithAccessKey",
                "Specified SecurityToken mismatch with the AccessKey.",
            ));
        };
        if !sign::same(t, c.token.expose()) {
            return Err((
                400,
                "InvalidSecurityToken.MismatchWithAccessKey",
                "Specified SecurityToken mismatch with the AccessKey.",
            ));
        }
        if c.expires <= ctx.now() {
            return Err((
                400,
                "InvalidSecurityToken.Expired",
                "Specified SecurityToken is expired.",
            ));
        }
        return Ok(AuthIdentity {
            provider: NAME.into(),
            account: c.account,
            access_key_id: access_key_id.into(),
            secret: c.secret,
            user: None,
        });
    }
    ctx.auth(NAME, access_key_id).ok_or((
        404,
        "InvalidAccessKeyId.NotFound",
        "Specified access key is not found.",
    ))
}

/// Parse `2023-10-26T10:22:32Z` (and RFC 3339 in general).
pub(crate) fn parse_iso(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.with_timezone(&Utc))
        .or_else(|| {
            NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%SZ")
                .ok()
                .map(|n| Utc.from_utc_datetime(&n))
        })
}

/// ISO 8601 UTC as Alibaba writes it: `2023-10-26T10:22:32Z`.
pub(crate) fn iso(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// ECS/VPC creation time style: `2023-10-26T10:22Z`.
pub(crate) fn iso_minutes(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%MZ").to_string()
}

/// The RPC frontend (ECS, VPC, RAM, BSS, STS).
#[derive(Debug, Clone)]
pub struct AlibabaRpc {
    sts: Arc<StsStore>,
}

impl AlibabaRpc {
    /// A frontend with its own store of STS credentials.
    pub fn new() -> Self {
        AlibabaRpc {
            sts: Arc::new(StsStore::default()),
        }
    }

    fn service(req: &SimRequest) -> Option<Service> {
        req.header("x-acs-version")
            .map(str::to_string)
            .or_else(|| req.param("Version"))
            .and_then(|v| Service::from_version(&v))
            .or_else(|| Service::from_host(&req.host).map(|(s, _)| s))
    }

    fn host_for(req: &SimRequest, service: Service) -> String {
        if req.host.ends_with(".aliyuncs.com") {
            req.host.clone()
        } else {
            service.default_host().to_string()
        }
    }

    fn error(
        &self,
        ctx: &Ctx,
        req: &SimRequest,
        status: u16,
        code: &str,
        message: &str,
    ) -> SimResponse {
        let service = Self::service(req).unwrap_or(Service::Ecs);
        errors::rpc_error(
            &ctx.request_id().to_uppercase(),
            &Self::host_for(req, service),
            service.product(),
            status,
            code,
            message,
        )
    }
}

impl Default for AlibabaRpc {
    fn default() -> Self {
        AlibabaRpc::new()
    }
}

/// All request parameters: query, then form body.
pub(crate) fn all_params(req: &SimRequest) -> Vec<(String, String)> {
    let mut v = req.query_pairs();
    let form = req
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    if form {
        v.extend(req.form());
    }
    v
}

const MUTATING_PREFIXES: &[&str] = &[
    "Run",
    "Create",
    "Delete",
    "Start",
    "Stop",
    "Reboot",
    "Attach",
    "Detach",
    "Authorize",
    "Revoke",
    "Allocate",
    "Associate",
    "Unassociate",
    "Release",
    "Modify",
    "Update",
    "Put",
    "Assume",
    "Add",
    "Remove",
    "Set",
    "Tag",
    "Untag",
    "Abort",
    "Complete",
    "Copy",
    "Upload",
    "Initiate",
    "Append",
];

/// Whether an action name changes state.
pub(crate) fn mutating_action(action: &str) -> bool {
    MUTATING_PREFIXES.iter().any(|p| action.starts_with(p))
}

impl Frontend for AlibabaRpc {
    fn name(&self) -> &str {
        NAME
    }

    fn matches_host(&self, host: &str) -> bool {
        Service::from_host(host).is_some()
    }

    fn cert_names(&self, regions: &[String]) -> Vec<String> {
        let mut v: Vec<String> = [
            "ecs.aliyuncs.com",
            "vpc.aliyuncs.com",
            "ram.aliyuncs.com",
            "business.aliyuncs.com",
            "business.ap-southeast-1.aliyuncs.com",
            "sts.aliyuncs.com",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for r in regions {
            for s in ["ecs", "vpc", "sts"] {
                v.push(format!("{s}.{r}.aliyuncs.com"));
            }
        }
        v
    }

    fn setup(&self, estate: &Estate) {
        estate.set_id_fn(NAME, id_fn());
    }

    fn action(&self, req: &SimRequest) -> String {
        req.header("x-acs-action")
            .map(str::to_string)
            .or_else(|| req.param("Action"))
            .unwrap_or_else(|| format!("{} {}", req.method, req.path()))
    }

    fn is_mutating(&self, _req: &SimRequest, action: &str) -> bool {
        mutating_action(action)
    }

    fn region(&self, req: &SimRequest) -> Option<String> {
        req.param("RegionId")
            .or_else(|| Service::from_host(&req.host).and_then(|(_, r)| r))
            .filter(|r| !r.is_empty())
    }

    fn request_time(&self, req: &SimRequest) -> Option<DateTime<Utc>> {
        req.header("x-acs-date")
            .map(str::to_string)
            .or_else(|| req.param("Timestamp"))
            .and_then(|s| parse_iso(&s))
    }

    fn verify(&self, ctx: &Ctx, req: &SimRequest) -> Result<AuthIdentity, SimResponse> {
        let fail = |(s, c, m): AuthFail| self.error(ctx, req, s, c, m);
        let params = all_params(req);
        let param = |n: &str| params.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
        if let Some(auth) = req.header("authorization") {
            let Some(a) = sign::parse_acs3(auth) else {
                return Err(fail((
                    400,
                    "IncompleteSignature",
                    "The request signature does not conform to Aliyun standards.",
                )));
            };
            let token = req.header("x-acs-security-token");
            let id = lookup_key(ctx, &self.sts, &a.access_key_id, token).map_err(fail)?;
            let Some(t) = self.request_time(req) else {
                return Err(fail((
                    400,
                    "InvalidTimeStamp.Format",
                    "Specified time stamp or date value is not well formatted.",
                )));
            };
            if (t - ctx.now()).num_seconds().abs() > MAX_SKEW_SECS {
                return Err(self.expired_response(ctx, req, ""));
            }
            let want = sign::acs3_expected(req, &a, id.secret.expose());
            if !sign::same(&want, &a.signature) {
                return Err(fail((
                    400,
                    "SignatureDoesNotMatch",
                    "Specified signature is not matched with our calculation.",
                )));
            }
            return Ok(id);
        }
        let Some(sig) = param("Signature") else {
            return Err(fail((
                400,
                "MissingSignature",
                "Signature is mandatory for this action.",
            )));
        };
        if param("SignatureMethod").as_deref() != Some("HMAC-SHA1") {
            return Err(fail((
                400,
                "InvalidSignatureMethod",
                "Specified signature method is not valid.",
            )));
        }
        let Some(ak) = param("AccessKeyId") else {
            return Err(fail((
                400,
                "MissingAccessKeyId",
                "AccessKeyId is mandatory for this action.",
            )));
        };
        let token = param("SecurityToken");
        let id = lookup_key(ctx, &self.sts, &ak, token.as_deref()).map_err(fail)?;
        let Some(t) = self.request_time(req) else {
            return Err(fail((
                400,
                "MissingTimestamp",
                "Timestamp is mandatory for this action.",
            )));
        };
        if (t - ctx.now()).num_seconds().abs() > MAX_SKEW_SECS {
            return Err(self.expired_response(ctx, req, ""));
        }
        let rest: Vec<(String, String)> = params
            .into_iter()
            .filter(|(k, _)| k != "Signature")
            .collect();
        let want = sign::rpc_v1_signature(req.method.as_str(), &rest, id.secret.expose());
        if !sign::same(&want, &sig) {
            return Err(fail((
                400,
                "SignatureDoesNotMatch",
                "Specified signature is not matched with our calculation.",
            )));
        }
        Ok(id)
    }

    fn handle(&self, ctx: &Ctx, req: &SimRequest, auth: &AuthIdentity) -> SimResponse {
        let Some(service) = Self::service(req) else {
            return self.error(
                ctx,
                req,
                400,
                "InvalidVersion",
                "Specified parameter Version is not valid.",
            );
        };
        let rpc = Rpc {
            ctx,
            req,
            auth,
            service,
            action: self.action(req),
            params: all_params(req),
            rid: ctx.request_id().to_uppercase(),
            host: Self::host_for(req, service),
            sts: &self.sts,
        };
        match service {
            Service::Ecs => ecs::handle(&rpc),
            Service::Vpc => vpc::handle(&rpc),
            Service::Ram => ram::handle(&rpc),
            Service::Bss => bss::handle(&rpc),
            Service::Sts => sts::handle(&rpc),
        }
    }

    fn throttle_response(&self, ctx: &Ctx, req: &SimRequest, _action: &str) -> SimResponse {
        self.error(
            ctx,
            req,
            400,
            "Throttling.User",
            "Request was denied due to user flow control.",
        )
    }

    fn server_error_response(&self, ctx: &Ctx, req: &SimRequest, _action: &str) -> SimResponse {
        self.error(
            ctx,
            req,
            500,
            "InternalError",
            "The request processing has failed due to some unknown error, exception or failure.",
        )
    }

    fn expired_response(&self, ctx: &Ctx, req: &SimRequest, _action: &str) -> SimResponse {
        self.error(
            ctx,
            req,
            400,
            "InvalidTimeStamp.Expired",
            "Specified time stamp or date value is expired.",
        )
    }
}

/// One RPC call being served.
pub(crate) struct Rpc<'a> {
    pub ctx: &'a Ctx,
    pub req: &'a SimRequest,
    pub auth: &'a AuthIdentity,
    pub service: Service,
    pub action: String,
    pub params: Vec<(String, String)>,
    pub rid: String,
    pub host: String,
    pub sts: &'a StsStore,
}

/// Result of a handler step: an error is the response.
pub(crate) type R<T> = Result<T, SimResponse>;

impl Rpc<'_> {
    /// A non-empty parameter.
    pub fn p(&self, name: &str) -> Option<String> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    }

    /// A required parameter.
    pub fn need(&self, name: &str) -> R<String> {
        self.p(name).ok_or_else(|| self.missing(name))
    }

    /// The documented `Missing{Name}` error (400).
    pub fn missing(&self, name: &str) -> SimResponse {
        self.err(
            400,
            &format!("Missing{name}"),
            &format!("{name} is mandatory for this action."),
        )
    }

    /// The documented `Invalid{Name}` error (400).
    pub fn invalid(&self, name: &str) -> SimResponse {
        self.err(
            400,
            &format!("Invalid{name}"),
            &format!("Specified parameter {name} is not valid."),
        )
    }

    /// A boolean parameter (`true`/`false`).
    pub fn flag(&self, name: &str) -> bool {
        self.p(name).is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }

    /// A number parameter.
    pub fn num<T: std::str::FromStr>(&self, name: &str) -> R<Option<T>> {
        match self.p(name) {
            None => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| self.invalid(name)),
        }
    }

    /// A list parameter: a JSON array string (`["a","b"]`) or `Name.1`, `Name.2`, ...
    pub fn list(&self, name: &str) -> R<Vec<String>> {
        if let Some(v) = self.p(name) {
            return serde_json::from_str::<Vec<String>>(&v).map_err(|_| self.invalid(name));
        }
        let prefix = format!("{name}.");
        let mut v: Vec<(usize, String)> = self
            .params
            .iter()
            .filter_map(|(k, val)| {
                k.strip_prefix(&prefix)
                    .and_then(|n| n.parse::<usize>().ok())
                    .map(|n| (n, val.clone()))
            })
            .collect();
        v.sort();
        Ok(v.into_iter().map(|(_, s)| s).collect())
    }

    /// Indexed records: `Name.N.Field` -> one map per N, in order.
    pub fn records(&self, name: &str) -> Vec<HashMap<String, String>> {
        let prefix = format!("{name}.");
        let mut by: std::collections::BTreeMap<usize, HashMap<String, String>> =
            std::collections::BTreeMap::new();
        for (k, v) in &self.params {
            if let Some(rest) = k.strip_prefix(&prefix) {
                if let Some((n, field)) = rest.split_once('.') {
                    if let Ok(n) = n.parse::<usize>() {
                        by.entry(n)
                            .or_default()
                            .insert(field.to_string(), v.clone());
                    }
                }
            }
        }
        by.into_values().collect()
    }

    /// `Tag.N.Key` / `Tag.N.Value`.
    pub fn tags(&self) -> Tags {
        self.records("Tag")
            .into_iter()
            .filter_map(|m| {
                let k = m.get("Key")?.clone();
                Some((k, m.get("Value").cloned().unwrap_or_default()))
            })
            .collect()
    }

    /// The region: `RegionId`, else the host's, else the account's first.
    pub fn region(&self) -> String {
        if let Some(r) = self.p("RegionId") {
            return r;
        }
        if let Some((_, Some(r))) = Service::from_host(&self.req.host) {
            return r;
        }
        self.ctx
            .estate
            .regions(NAME, &self.auth.account)
            .ok()
            .and_then(|v| v.into_iter().next().map(|(r, _)| r))
            .unwrap_or_else(|| "cn-hangzhou".into())
    }

    /// The scope of the call.
    pub fn scope(&self) -> Scope {
        Scope::new(NAME, &self.auth.account, self.region())
    }

    /// A success body (adds `RequestId`).
    pub fn ok(&self, mut v: Value) -> SimResponse {
        if let Some(o) = v.as_object_mut() {
            o.insert("RequestId".into(), Value::String(self.rid.clone()));
        }
        SimResponse::json(StatusCode::OK, &v).with_header("x-acs-request-id", &self.rid)
    }

    /// An error body.
    pub fn err(&self, status: u16, code: &str, message: &str) -> SimResponse {
        errors::rpc_error(
            &self.rid,
            &self.host,
            self.service.product(),
            status,
            code,
            message,
        )
    }

    /// An estate error in this API's words.
    pub fn estate_err(&self, e: &EstateError) -> SimResponse {
        if let EstateError::NotFound {
            kind: ResourceKind::Region,
            ..
        } = e
        {
            return self.err(
                404,
                "InvalidRegionId.NotFound",
                "The specified RegionId does not exist.",
            );
        }
        let (s, c, m) = errors::rpc_code(e);
        self.err(s, &c, &m)
    }

    /// `PageNumber` (from 1) and `PageSize` (1..=max, default `default`).
    pub fn page(&self, default: usize, max: usize) -> R<(usize, usize)> {
        let n: usize = self.num("PageNumber")?.unwrap_or(1);
        let size: usize = self.num("PageSize")?.unwrap_or(default);
        if n == 0 {
            return Err(self.invalid("PageNumber"));
        }
        if size == 0 || size > max {
            return Err(self.invalid("PageSize"));
        }
        Ok((n, size))
    }

    /// `NextToken` + `MaxResults`: `(offset, limit)`, `None` when neither is
    /// given; the limit is shortened by the estate's page cap (token
    /// listings may answer fewer items than asked; page-number listings are
    /// never capped, as their offsets follow from the page size). The token is an opaque form of the next item's offset. How
    /// `MaxResults` is bounded depends on the API ([`Bounds`]).
    pub fn token_page(&self, default: usize, bounds: Bounds) -> R<Option<(usize, usize)>> {
        let token = self.p("NextToken");
        let mr: Option<usize> = self.num("MaxResults")?;
        if token.is_none() && mr.is_none() {
            return Ok(None);
        }
        let limit = match (mr, bounds) {
            (None, _) => default,
            (Some(n), Bounds::Clamp(lo, hi)) => n.clamp(lo, hi),
            (Some(n), Bounds::Reject(hi)) if n >= 1 && n <= hi => n,
            (Some(_), Bounds::Reject(_)) => return Err(self.invalid("MaxResults")),
        };
        let offset = match token {
            None => 0,
            Some(t) => decode_token(&t).ok_or_else(|| self.invalid("NextToken"))?,
        };
        Ok(Some((offset, self.ctx.estate.capped_page(limit))))
    }
}

/// How an API bounds `MaxResults`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Bounds {
    /// Values outside `lo..=hi` are replaced by the nearer bound
    /// (`DescribeInstances`: 10..=100, `DescribeDisks`: 10..=500).
    Clamp(usize, usize),
    /// Values outside `1..=hi` are `InvalidMaxResults`.
    Reject(usize),
}

/// An opaque next token for an offset.
pub(crate) fn encode_token(offset: usize) -> String {
    format!(
        "{offset:08x}{:08x}",
        (offset as u32).wrapping_mul(2_654_435_761)
    )
}

/// The offset of a next token.
pub(crate) fn decode_token(t: &str) -> Option<usize> {
    if t.len() != 16 || !t.is_ascii() {
        return None;
    }
    let off = usize::from_str_radix(&t[..8], 16).ok()?;
    (encode_token(off) == t).then_some(off)
}

/// Next token after a page, when more follow.
pub(crate) fn next_token(offset: usize, count: usize, total: usize) -> Option<String> {
    (offset + count < total && count > 0).then(|| encode_token(offset + count))
}

/// Tags as ECS writes them: `{"Tag":[{"TagKey","TagValue"}]}`.
pub(crate) fn ecs_tags(t: &Tags) -> Value {
    serde_json::json!({"Tag": t.iter().map(|(k, v)| serde_json::json!({"TagKey": k, "TagValue": v})).collect::<Vec<_>>()})
}

/// Tags as VPC writes them: `{"Tag":[{"Key","Value"}]}`.
pub(crate) fn kv_tags(t: &Tags) -> Value {
    serde_json::json!({"Tag": t.iter().map(|(k, v)| serde_json::json!({"Key": k, "Value": v})).collect::<Vec<_>>()})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_versions_route() {
        assert_eq!(
            Service::from_host("ecs.cn-hangzhou.aliyuncs.com"),
            Some((Service::Ecs, Some("cn-hangzhou".into())))
        );
        assert_eq!(
            Service::from_host("ecs.aliyuncs.com"),
            Some((Service::Ecs, None))
        );
        assert_eq!(
            Service::from_host("business.ap-southeast-1.aliyuncs.com"),
            Some((Service::Bss, None))
        );
        assert_eq!(
            Service::from_host("sts.cn-beijing.aliyuncs.com"),
            Some((Service::Sts, Some("cn-beijing".into())))
        );
        assert_eq!(Service::from_host("oss-cn-hangzhou.aliyuncs.com"), None);
        assert_eq!(Service::from_host("example.com"), None);
        assert_eq!(Service::from_version("2016-04-28"), Some(Service::Vpc));
        assert!(mutating_action("RunInstances") && !mutating_action("DescribeInstances"));
        let t = encode_token(42);
        assert_eq!(decode_token(&t), Some(42));
        assert_eq!(decode_token("garbage"), None);
        assert_eq!(decode_token("ééééééééé"), None);
        assert_eq!(next_token(0, 10, 10), None);
        assert_eq!(
            next_token(0, 10, 11).and_then(|t| decode_token(&t)),
            Some(10)
        );
    }
}
