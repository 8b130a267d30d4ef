//! A small JSON frontend for the simulator's own tests.
//!
//! Provider name `testing`; hosts `testing.sim` and `*.testing.sim`.
//! Requests carry the action in the `x-sim-action` header (or an `Action`
//! query parameter), the signing time in `x-sim-date` (Unix seconds) and
//! `authorization: SIM <access key id>:<signature>` where the signature is
//! the hex HMAC-SHA256, keyed by the secret, of
//! `"<METHOD>\n<path>\n<x-sim-date>"` (see [`sign`]). Actions:
//!
//! - `Hello` -> `{"hello": "world", "account": <id>}`
//! - `ListInstances` (`region`, `offset`, `limit`) -> `{"total", "items": [{"id","name","state"}]}`
//! - `GetInstance` (`region`, `id`), `DeleteInstance` (`region`, `id`)
//! - `CreateInstance` (`region`, `name`, `token`) -> `{"id": ...}`
//!
//! Errors are `{"error": {"code": ..., "message": ...}}` with a status:
//! `Throttled` 429 (with `Retry-After: 1`), `ServiceUnavailable` 503,
//! `RequestExpired` 401, `MissingAuth`/`InvalidAccessKeyId` 401,
//! `SignatureDoesNotMatch` 403, `NotFound` 404, `Conflict` 409, `BadRequest` 400.

use chrono::{DateTime, TimeZone, Utc};
use hmac::{Hmac, Mac};
use http::StatusCode;
use serde_json::json;
use sha2::Sha256;

use crate::estate::{AuthIdentity, EstateError, Filter, NewInstance, PageReq, Scope};
use crate::frontend::{Ctx, Frontend, SimRequest, SimResponse};

/// The provider name of the testing frontend.
pub const NAME: &str = "testing";

/// The testing frontend.
#[derive(Debug, Default, Clone, Copy)]
pub struct TestingFrontend;

impl TestingFrontend {
    /// The frontend.
    pub fn new() -> Self {
        TestingFrontend
    }
}

/// The signature the testing frontend expects.
pub fn sign(method: &str, path: &str, date: &str, secret: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(format!("{method}\n{path}\n{date}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The `authorization` header value for a request.
pub fn authorization(
    method: &str,
    path: &str,
    date: &str,
    access_key_id: &str,
    secret: &str,
) -> String {
    format!("SIM {access_key_id}:{}", sign(method, path, date, secret))
}

fn error(status: StatusCode, code: &str, message: &str) -> SimResponse {
    SimResponse::json(
        status,
        &json!({"error": {"code": code, "message": message}}),
    )
}

fn estate_error(e: &EstateError) -> SimResponse {
    let (status, code) = match e {
        EstateError::NotFound { .. } => (StatusCode::NOT_FOUND, "NotFound"),
        EstateError::AlreadyExists { .. } => (StatusCode::CONFLICT, "AlreadyExists"),
        EstateError::InvalidArgument(_) => (StatusCode::BAD_REQUEST, "BadRequest"),
        _ => (StatusCode::CONFLICT, "Conflict"),
    };
    error(status, code, &e.to_string())
}

impl Frontend for TestingFrontend {
    fn name(&self) -> &str {
        NAME
    }

    fn matches_host(&self, host: &str) -> bool {
        host == "testing.sim" || host.ends_with(".testing.sim")
    }

    fn cert_names(&self, _regions: &[String]) -> Vec<String> {
        vec!["testing.sim".into(), "*.testing.sim".into()]
    }

    fn action(&self, req: &SimRequest) -> String {
        req.header("x-sim-action")
            .map(str::to_string)
            .or_else(|| req.query("Action"))
            .unwrap_or_else(|| format!("{} {}", req.method, req.path()))
    }

    fn is_mutating(&self, req: &SimRequest, action: &str) -> bool {
        ["Create", "Delete", "Start", "Stop", "Put", "Update"]
            .iter()
            .any(|p| action.starts_with(p))
            || !matches!(req.method, http::Method::GET | http::Method::HEAD)
    }

    fn request_time(&self, req: &SimRequest) -> Option<DateTime<Utc>> {
        let secs: i64 = req.header("x-sim-date")?.parse().ok()?;
        Utc.timestamp_opt(secs, 0).single()
    }

    fn verify(&self, ctx: &Ctx, req: &SimRequest) -> Result<AuthIdentity, SimResponse> {
        let Some(auth) = req.header("authorization") else {
            return Err(error(
                StatusCode::UNAUTHORIZED,
                "MissingAuth",
                "no authorization header",
            ));
        };
        let Some((ak, sig)) = auth.strip_prefix("SIM ").and_then(|s| s.split_once(':')) else {
            return Err(error(
                StatusCode::UNAUTHORIZED,
                "MissingAuth",
                "bad authorization header",
            ));
        };
        let Some(id) = ctx.auth(NAME, ak) else {
            return Err(error(
                StatusCode::UNAUTHORIZED,
                "InvalidAccessKeyId",
                "unknown access key",
            ));
        };
        let date = req.header("x-sim-date").unwrap_or("");
        let want = sign(req.method.as_str(), req.path(), date, id.secret.expose());
        if want != sig {
            return Err(error(
                StatusCode::FORBIDDEN,
                "SignatureDoesNotMatch",
                "signature mismatch",
            ));
        }
        Ok(id)
    }

    fn handle(&self, ctx: &Ctx, req: &SimRequest, auth: &AuthIdentity) -> SimResponse {
        let action = self.action(req);
        let p = |n: &str| req.param(n).unwrap_or_default();
        let scope = Scope::new(NAME, &auth.account, p("region"));
        let e = &ctx.estate;
        match action.as_str() {
            "Hello" => SimResponse::json(
                StatusCode::OK,
                &json!({"hello": "world", "account": auth.account}),
            ),
            "ListInstances" => {
                let offset = p("offset").parse().unwrap_or(0);
                let limit = p("limit").parse().unwrap_or(100);
                match e.instances(
                    &scope,
                    &Filter::default(),
                    &PageReq::Offset { offset, limit },
                ) {
                    Ok(l) => SimResponse::json(
                        StatusCode::OK,
                        &json!({
                            "total": l.total,
                            "items": l.items.iter().map(|i| json!({
                                "id": i.id, "name": i.name, "state": format!("{:?}", i.state).to_lowercase()
                            })).collect::<Vec<_>>()
                        }),
                    ),
                    Err(err) => estate_error(&err),
                }
            }
            "GetInstance" => match e.instance(&scope, &p("id")) {
                Ok(i) => SimResponse::json(
                    StatusCode::OK,
                    &json!({"id": i.id, "name": i.name, "state": format!("{:?}", i.state).to_lowercase()}),
                ),
                Err(err) => estate_error(&err),
            },
            "CreateInstance" => {
                let first = e.with_region(&scope, |r| {
                    (
                        r.images.keys().next().cloned().unwrap_or_default(),
                        r.instance_types
                            .first()
                            .map(|t| t.id.clone())
                            .unwrap_or_default(),
                    )
                });
                let (image_id, instance_type) = match first {
                    Ok(x) => x,
                    Err(err) => return estate_error(&err),
                };
                let spec = NewInstance {
                    name: p("name"),
                    image_id,
                    instance_type,
                    client_token: req.param("token"),
                    ..NewInstance::default()
                };
                match e.create_instance(&scope, spec) {
                    Ok(i) => SimResponse::json(StatusCode::OK, &json!({"id": i.id})),
                    Err(err) => estate_error(&err),
                }
            }
            "DeleteInstance" => match e.delete_instance(&scope, &p("id")) {
                Ok(()) => SimResponse::json(StatusCode::OK, &json!({"deleted": true})),
                Err(err) => estate_error(&err),
            },
            other => error(
                StatusCode::BAD_REQUEST,
                "UnknownAction",
                &format!("unknown action {other}"),
            ),
        }
    }

    fn throttle_response(&self, _ctx: &Ctx, _req: &SimRequest, _action: &str) -> SimResponse {
        error(StatusCode::TOO_MANY_REQUESTS, "Throttled", "rate exceeded")
            .with_header("retry-after", "1")
    }

    fn server_error_response(&self, _ctx: &Ctx, _req: &SimRequest, _action: &str) -> SimResponse {
        error(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            "try again",
        )
    }

    fn expired_response(&self, ctx: &Ctx, _req: &SimRequest, _action: &str) -> SimResponse {
        error(
            StatusCode::UNAUTHORIZED,
            "RequestExpired",
            &format!(
                "request time too far from server time {}",
                ctx.now().timestamp()
            ),
        )
    }
}
