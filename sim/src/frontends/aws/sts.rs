//! STS 2011-06-15: `GetCallerIdentity`, `AssumeRole`, and the store of the
//! temporary credentials it hands out (accepted with `X-Amz-Security-Token`
//! by the API frontend and by S3).

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use parking_lot::Mutex;

use super::errors::{AwsError, Protocol, query_ok};
use super::{Call, NAME, iso};
use crate::estate::{AuthIdentity, SecretString};
use crate::frontend::{Ctx, SimResponse, Xml};

#[derive(Clone)]
struct Temp {
    identity: AuthIdentity,
    token: String,
    expires: DateTime<Utc>,
    role: String,
    session_name: String,
    role_id: String,
}

/// Temporary credentials issued by `AssumeRole`.
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
    /// The identity and token of an unexpired temporary access key id.
    pub(crate) fn lookup(&self, ctx: &Ctx, key_id: &str) -> Option<(AuthIdentity, String)> {
        let m = self.inner.lock();
        let t = m.get(key_id)?;
        (t.expires > ctx.now()).then(|| (t.identity.clone(), t.token.clone()))
    }

    /// (role name, role id, session name) of a temporary key id.
    fn session(&self, key_id: &str) -> Option<(String, String, String)> {
        let m = self.inner.lock();
        let t = m.get(key_id)?;
        Some((t.role.clone(), t.role_id.clone(), t.session_name.clone()))
    }
}

pub(crate) fn handle(c: &Call, action: &str) -> Result<SimResponse, AwsError> {
    match action {
        "GetCallerIdentity" => Ok(caller_identity(c)),
        "AssumeRole" => assume_role(c),
        _ => Err(AwsError::new(
            400,
            "InvalidAction",
            &format!("Could not find operation {action} for version 2011-06-15"),
        )),
    }
}

fn caller_identity(c: &Call) -> SimResponse {
    let acct = c.account();
    let (user_id, arn) = if let Some((role, role_id, session)) = c.temp.session(&c.access_key_id) {
        (
            format!("{role_id}:{session}"),
            format!("arn:aws:sts::{acct}:assumed-role/{role}/{session}"),
        )
    } else {
        match &c.auth.user {
            None => (acct.to_string(), format!("arn:aws:iam::{acct}:root")),
            Some(name) => {
                let id = c
                    .estate()
                    .user(NAME, acct, name)
                    .map(|u| u.id)
                    .unwrap_or_default();
                (id, format!("arn:aws:iam::{acct}:user/{name}"))
            }
        }
    };
    let body = Xml::fragment()
        .elem("UserId", &user_id)
        .elem("Account", acct)
        .elem("Arn", &arn)
        .finish();
    query_ok(c.ctx, Protocol::Sts, "GetCallerIdentity", &body)
}

fn assume_role(c: &Call) -> Result<SimResponse, AwsError> {
    let arn = c.req("RoleArn")?;
    let session = c.req("RoleSessionName")?;
    let duration: i64 = match c.get("DurationSeconds") {
        None => 3600,
        Some(d) => d
            .parse()
            .ok()
            .filter(|d| (900..=43_200).contains(d))
            .ok_or_else(|| {
                AwsError::new(
                    400,
                    "ValidationError",
                    "1 validation error detected: Value at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
                )
            })?,
    };
    let (acct, role) = arn
        .strip_prefix("arn:aws:iam::")
        .or_else(|| arn.strip_prefix("arn:aws-cn:iam::"))
        .and_then(|r| r.split_once(":role/"))
        .ok_or_else(|| AwsError::new(400, "ValidationError", &format!("{arn} is invalid")))?;
    let role = role.rsplit('/').next().unwrap_or(role).to_string();
    let acct = acct.to_string();
    let role_id = c
        .estate()
        .iam(NAME, &acct, |i| i.roles.get(&role).map(|r| r.id.clone()))
        .ok()
        .flatten()
        .ok_or_else(|| {
            AwsError::new(
                403,
                "AccessDenied",
                &format!("User is not authorized to perform: sts:AssumeRole on resource: {arn}"),
            )
        })?;
    let Some(root) = c.estate().accounts(NAME).into_iter().find(|a| a.id == acct) else {
        return Err(AwsError::new(
            403,
            "AccessDenied",
            "Not authorized to assume this role",
        ));
    };
    let _ = root;
    let rid = c.ctx.request_id().replace('-', "");
    let key_id = format!("ASIA{}", rid[..16].to_uppercase());
    let secret = format!("{}{}", rid, &c.ctx.request_id().replace('-', "")[..8]);
    let token = format!("FwoGZXIvYXdzE{}", c.ctx.request_id().replace('-', ""));
    let expires = c.ctx.now() + Duration::seconds(duration);
    c.temp.inner.lock().insert(
        key_id.clone(),
        Temp {
            identity: AuthIdentity {
                provider: NAME.into(),
                account: acct.clone(),
                access_key_id: key_id.clone(),
                secret: SecretString(secret.clone()),
                user: None,
            },
            token: token.clone(),
            expires,
            role: role.clone(),
            session_name: session.to_string(),
            role_id: role_id.clone(),
        },
    );
    let body = Xml::fragment()
        .open("Credentials")
        .elem("AccessKeyId", &key_id)
        .elem("SecretAccessKey", &secret)
        .elem("SessionToken", &token)
        .elem("Expiration", &iso(&expires))
        .close("Credentials")
        .open("AssumedRoleUser")
        .elem("AssumedRoleId", &format!("{role_id}:{session}"))
        .elem(
            "Arn",
            &format!("arn:aws:sts::{acct}:assumed-role/{role}/{session}"),
        )
        .close("AssumedRoleUser")
        .finish();
    Ok(query_ok(c.ctx, Protocol::Sts, "AssumeRole", &body))
}
