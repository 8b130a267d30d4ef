//! STS 2018-08-13: `GetCallerIdentity`, `AssumeRole`, and the store of the
//! temporary credentials it hands out (accepted with `X-TC-Token` by the
//! API frontend and `x-cos-security-token` by COS).

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use parking_lot::Mutex;
use serde_json::json;

use super::errors::ApiError;
use super::{Call, Handled, NAME, Outcome, iso};
use crate::estate::{AuthIdentity, EstateError, ResourceKind, SecretString};
use crate::frontend::Ctx;

/// Who a temporary credential stands for.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    /// Role id.
    pub(crate) role_id: String,
    /// Session name.
    pub(crate) session_name: String,
}

#[derive(Clone)]
struct Temp {
    identity: AuthIdentity,
    token: String,
    expires: DateTime<Utc>,
    session: Session,
}

/// Temporary credentials issued by `AssumeRole` (kept in the frontend; the
/// estate's access keys are permanent ones).
#[derive(Clone, Default)]
pub(crate) struct TempCreds {
    inner: Arc<Mutex<HashMap<String, Temp>>>,
}

impl std::fmt::Debug for TempCreds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the tokens or keys.
        f.debug_struct("TempCreds")
            .field("issued", &self.inner.lock().len())
            .finish()
    }
}

impl TempCreds {
    /// The identity and token of an unexpired temporary SecretId.
    pub(crate) fn lookup(&self, ctx: &Ctx, secret_id: &str) -> Option<(AuthIdentity, String)> {
        let m = self.inner.lock();
        let t = m.get(secret_id)?;
        (t.expires > ctx.now()).then(|| (t.identity.clone(), t.token.clone()))
    }

    /// The role session of a temporary SecretId.
    pub(crate) fn session(&self, ctx: &Ctx, secret_id: &str) -> Option<Session> {
        let m = self.inner.lock();
        let t = m.get(secret_id)?;
        (t.expires > ctx.now()).then(|| t.session.clone())
    }

    fn insert(&self, id: String, t: Temp) {
        self.inner.lock().insert(id, t);
    }
}

pub(crate) fn handle(c: &Call, action: &str) -> Outcome {
    Some(match action {
        "GetCallerIdentity" => Ok(caller_identity(c)),
        "AssumeRole" => assume_role(c),
        _ => return None,
    })
}

fn caller_identity(c: &Call) -> serde_json::Value {
    let owner = c.account();
    if let Some(s) = &c.session {
        return json!({
            "Arn": format!("qcs::sts:{owner}:assumed-role/{}/{}", s.role_id, s.session_name),
            "AccountId": owner,
            "UserId": format!("{}:{}", s.role_id, s.session_name),
            "PrincipalId": owner,
            "Type": "CAMRole",
        });
    }
    match &c.auth.user {
        None => json!({
            "Arn": format!("qcs::cam::uin/{owner}:uin/{owner}"),
            "AccountId": owner,
            "UserId": owner,
            "PrincipalId": owner,
            "Type": "RootAccount",
        }),
        Some(name) => {
            let uin = c
                .estate()
                .user(NAME, owner, name)
                .map(|u| u.id)
                .unwrap_or_default();
            json!({
                "Arn": format!("qcs::cam::uin/{owner}:uin/{uin}"),
                "AccountId": owner,
                "UserId": uin,
                "PrincipalId": uin,
                "Type": "CAMUser",
            })
        }
    }
}

fn assume_role(c: &Call) -> Result<serde_json::Value, Handled> {
    let arn = c.params.req_str("RoleArn")?;
    let session_name = c.params.req_str("RoleSessionName")?;
    let duration = c.params.u64("DurationSeconds")?.unwrap_or(7200);
    if !(900..=43_200).contains(&duration) {
        return Err(ApiError::new(
            "InvalidParameter.DurationSecondsError",
            "DurationSeconds must be between 900 and 43200.",
        )
        .into());
    }
    // qcs::cam::uin/<owner>:roleName/<name>  or  qcs::cam::uin/<owner>:role/<id>
    let parsed = arn
        .strip_prefix("qcs::cam::uin/")
        .and_then(|r| r.split_once(':'))
        .and_then(|(owner, res)| {
            let (kind, val) = res.split_once('/')?;
            Some((owner.to_string(), kind.to_string(), val.to_string()))
        });
    let Some((owner, kind, val)) = parsed else {
        return Err(ApiError::new("InvalidParameter.ParamError", "RoleArn is malformed.").into());
    };
    let estate = c.estate();
    let role = estate
        .iam(NAME, &owner, |i| {
            i.roles
                .values()
                .find(|r| match kind.as_str() {
                    "roleName" => r.name == val,
                    "role" => r.id == val,
                    _ => false,
                })
                .cloned()
        })
        .ok()
        .flatten()
        .ok_or(EstateError::NotFound {
            kind: ResourceKind::Role,
            id: arn.clone(),
        })?;
    let account = estate
        .accounts(NAME)
        .into_iter()
        .find(|a| a.id == owner)
        .ok_or(EstateError::NotFound {
            kind: ResourceKind::Account,
            id: owner.clone(),
        })?;
    let (secret_id, secret_key, token) = estate.write(|d| {
        (
            format!("AKID{}", estate.next_with(d, |r| r.mixed_alnum(32))),
            estate.next_with(d, |r| r.mixed_alnum(32)),
            estate.next_with(d, |r| r.mixed_alnum(96)),
        )
    });
    let expires = c.ctx.now() + Duration::seconds(i64::try_from(duration).unwrap_or(7200));
    c.temp.insert(
        secret_id.clone(),
        Temp {
            identity: AuthIdentity {
                provider: NAME.into(),
                account: account.id.clone(),
                access_key_id: secret_id.clone(),
                secret: SecretString(secret_key.clone()),
                user: None,
            },
            token: token.clone(),
            expires,
            session: Session {
                role_id: role.id.clone(),
                session_name,
            },
        },
    );
    Ok(json!({
        "Credentials": {"Token": token, "TmpSecretId": secret_id, "TmpSecretKey": secret_key},
        "ExpiredTime": expires.timestamp(),
        "Expiration": iso(&expires),
    }))
}
