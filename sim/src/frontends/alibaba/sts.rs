//! STS 2015-04-01.

use serde_json::json;

use super::{R, Rpc, TempCredential, iso};
use crate::estate::SecretString;
use crate::frontend::SimResponse;

pub(super) fn handle(rpc: &Rpc) -> SimResponse {
    let r = match rpc.action.as_str() {
        "GetCallerIdentity" => Ok(caller(rpc)),
        "AssumeRole" => assume_role(rpc),
        other => Err(rpc.err(
            404,
            "InvalidApi.NotFound",
            &format!("Specified api is not found, please check your url and method. ({other})"),
        )),
    };
    r.unwrap_or_else(|e| e)
}

fn caller(rpc: &Rpc) -> SimResponse {
    let account = &rpc.auth.account;
    if let Some(c) = rpc.sts.get(&rpc.auth.access_key_id) {
        let role_id = rpc
            .ctx
            .estate
            .iam(super::NAME, account, |i| {
                i.roles.get(&c.role).map(|r| r.id.clone())
            })
            .ok()
            .flatten()
            .unwrap_or_default();
        return rpc.ok(json!({
            "AccountId": account,
            "IdentityType": "AssumedRoleUser",
            "Arn": format!("acs:ram::{account}:assumed-role/{}/{}", c.role.to_lowercase(), c.session),
            "PrincipalId": format!("{role_id}:{}", c.session),
            "RoleId": role_id,
            "UserId": "",
        }));
    }
    match &rpc.auth.user {
        Some(u) => {
            let uid = rpc
                .ctx
                .estate
                .user(super::NAME, account, u)
                .map(|x| x.id)
                .unwrap_or_default();
            rpc.ok(json!({
                "AccountId": account,
                "IdentityType": "RAMUser",
                "Arn": format!("acs:ram::{account}:user/{u}"),
                "PrincipalId": uid,
                "UserId": uid,
                "RoleId": "",
            }))
        }
        None => rpc.ok(json!({
            "AccountId": account,
            "IdentityType": "Account",
            "Arn": format!("acs:ram::{account}:root"),
            "PrincipalId": account,
            "UserId": account,
            "RoleId": "",
        })),
    }
}

fn assume_role(rpc: &Rpc) -> R<SimResponse> {
    let arn = rpc.need("RoleArn")?;
    let session = rpc.need("RoleSessionName")?;
    let duration: i64 = rpc.num("DurationSeconds")?.unwrap_or(3600);
    if !(900..=43200).contains(&duration) {
        return Err(rpc.err(
            400,
            "InvalidParameter.DurationSeconds",
            "The parameter DurationSeconds is wrong, the range is 900 to 43200 seconds.",
        ));
    }
    // acs:ram::{account}:role/{name}
    let (account, role) = arn
        .strip_prefix("acs:ram::")
        .and_then(|r| r.split_once(":role/"))
        .map(|(a, n)| (a.to_string(), n.to_string()))
        .ok_or_else(|| {
            rpc.err(
                400,
                "InvalidParameter.RoleArn",
                "The parameter RoleArn is wrongly formed.",
            )
        })?;
    let role_rec = rpc
        .ctx
        .estate
        .iam(super::NAME, &account, |i| {
            i.roles
                .values()
                .find(|r| r.name.eq_ignore_ascii_case(&role))
                .cloned()
        })
        .ok()
        .flatten()
        .ok_or_else(|| {
            rpc.err(
                404,
                "EntityNotExist.Role",
                "The role not exists: acs:ram::*:role/*.",
            )
        })?;
    let rid = rpc.ctx.request_id().replace('-', "");
    let ak = format!("STS.{}", &rid[..rid.len().min(24)]);
    let secret = rpc.ctx.request_id().replace('-', "");
    let token = format!("CAIS{}{}", rpc.ctx.request_id().replace('-', ""), rid);
    let expires = rpc.ctx.now() + chrono::Duration::seconds(duration);
    rpc.sts.insert(
        ak.clone(),
        TempCredential {
            account: account.clone(),
            secret: SecretString(secret.clone()),
            token: SecretString(token.clone()),
            expires,
            role: role_rec.name.clone(),
            session: session.clone(),
        },
    );
    Ok(rpc.ok(json!({
        "Credentials": {
            "AccessKeyId": ak,
            "AccessKeySecret": secret,
            "SecurityToken": token,
            "Expiration": iso(expires),
        },
        "AssumedRoleUser": {
            "Arn": format!("acs:ram::{account}:assumed-role/{}/{session}", role_rec.name.to_lowercase()),
            "AssumedRoleId": format!("{}:{session}", role_rec.id),
        },
    })))
}
