//! RAM 2015-05-01.

use serde_json::{Value, json};

use super::{R, Rpc, decode_token, encode_token, iso};
use crate::estate::{NewIamUser, Policy, PolicyKind, Principal, User};
use crate::frontend::SimResponse;

pub(super) fn handle(rpc: &Rpc) -> SimResponse {
    let r = match rpc.action.as_str() {
        "ListUsers" => list_users(rpc),
        "GetUser" => get_user(rpc),
        "CreateUser" => create_user(rpc),
        "DeleteUser" => rpc.need("UserName").and_then(|n| {
            rpc.ctx
                .estate
                .delete_user(super::NAME, &rpc.auth.account, &n, false)
                .map(|_| rpc.ok(json!({})))
                .map_err(|e| rpc.estate_err(&e))
        }),
        "ListGroups" => list_groups(rpc),
        "ListGroupsForUser" => groups_for_user(rpc),
        "AddUserToGroup" => membership(rpc, true),
        "RemoveUserFromGroup" => membership(rpc, false),
        "ListRoles" => list_roles(rpc),
        "ListPolicies" => list_policies(rpc),
        "ListPoliciesForUser" => policies_for(rpc, "UserName", Principal::User),
        "ListPoliciesForGroup" => policies_for(rpc, "GroupName", Principal::Group),
        "ListPoliciesForRole" => policies_for(rpc, "RoleName", Principal::Role),
        "AttachPolicyToUser" => attach(rpc, "UserName", Principal::User, true),
        "DetachPolicyFromUser" => attach(rpc, "UserName", Principal::User, false),
        "AttachPolicyToGroup" => attach(rpc, "GroupName", Principal::Group, true),
        "DetachPolicyFromGroup" => attach(rpc, "GroupName", Principal::Group, false),
        "AttachPolicyToRole" => attach(rpc, "RoleName", Principal::Role, true),
        "DetachPolicyFromRole" => attach(rpc, "RoleName", Principal::Role, false),
        "ListAccessKeys" => list_access_keys(rpc),
        "DeleteAccessKey" => delete_access_key(rpc),
        other => Err(rpc.err(
            404,
            "InvalidApi.NotFound",
            &format!("Specified api is not found, please check your url and method. ({other})"),
        )),
    };
    r.unwrap_or_else(|e| e)
}

/// Marker/MaxItems paging (MaxItems 1..=1000, default 100; pages are
/// shorter under the estate's page cap).
fn marker_page(rpc: &Rpc, items: Vec<Value>, list: &str, item: &str) -> R<SimResponse> {
    let max: usize = rpc.num("MaxItems")?.unwrap_or(100);
    if max == 0 || max > 1000 {
        return Err(rpc.err(
            400,
            "InvalidParameter.MaxItems",
            "The parameter - MaxItems is invalid.",
        ));
    }
    let offset = match rpc.p("Marker") {
        None => 0,
        Some(m) => decode_token(&m).ok_or_else(|| {
            rpc.err(
                400,
                "InvalidParameter.Marker",
                "The parameter - Marker is invalid.",
            )
        })?,
    };
    let total = items.len();
    let take = rpc.ctx.estate.capped_page(max);
    let page: Vec<Value> = items.into_iter().skip(offset).take(take).collect();
    let end = offset + page.len();
    let mut v = json!({list: {item: page}, "IsTruncated": end < total});
    if end < total {
        v["Marker"] = json!(encode_token(end));
    }
    Ok(rpc.ok(v))
}

fn render_user(u: &User) -> Value {
    let mut v = render_new_user(u);
    v["UpdateDate"] = json!(iso(u.created_at));
    v
}

/// A user as `CreateUser` returns it (no `UpdateDate`).
fn render_new_user(u: &User) -> Value {
    json!({
        "UserId": u.id,
        "UserName": u.name,
        "DisplayName": u.display_name.clone().unwrap_or_else(|| u.name.clone()),
        "Email": u.email.clone().unwrap_or_default(),
        "MobilePhone": "",
        "Comments": "",
        "CreateDate": iso(u.created_at),
    })
}

fn list_users(rpc: &Rpc) -> R<SimResponse> {
    let users = rpc
        .ctx
        .estate
        .users(super::NAME, &rpc.auth.account)
        .map_err(|e| rpc.estate_err(&e))?;
    marker_page(
        rpc,
        users.iter().map(render_user).collect(),
        "Users",
        "User",
    )
}

fn get_user(rpc: &Rpc) -> R<SimResponse> {
    let n = rpc.need("UserName")?;
    let u = rpc
        .ctx
        .estate
        .user(super::NAME, &rpc.auth.account, &n)
        .map_err(|e| rpc.estate_err(&e))?;
    Ok(rpc.ok(json!({"User": render_user(&u)})))
}

fn create_user(rpc: &Rpc) -> R<SimResponse> {
    let u = rpc
        .ctx
        .estate
        .create_user(
            super::NAME,
            &rpc.auth.account,
            NewIamUser {
                name: rpc.need("UserName")?,
                display_name: rpc.p("DisplayName"),
                email: rpc.p("Email"),
                tags: Default::default(),
            },
        )
        .map_err(|e| rpc.estate_err(&e))?;
    Ok(rpc.ok(json!({"User": render_new_user(&u)})))
}

fn list_groups(rpc: &Rpc) -> R<SimResponse> {
    let groups = rpc
        .ctx
        .estate
        .iam(super::NAME, &rpc.auth.account, |i| {
            i.groups.values().cloned().collect::<Vec<_>>()
        })
        .map_err(|e| rpc.estate_err(&e))?;
    let items = groups
        .iter()
        .map(|g| {
            json!({
                "GroupId": g.id,
                "GroupName": g.name,
                "Comments": g.description.clone().unwrap_or_default(),
                "CreateDate": iso(g.created_at),
                "UpdateDate": iso(g.created_at),
            })
        })
        .collect();
    marker_page(rpc, items, "Groups", "Group")
}

/// `ListGroupsForUser`: one page, `{"Groups":{"Group":[...]}}` with
/// `GroupId`, `GroupName`, `Comments`, `JoinDate` (the estate keeps no join
/// time; the later of the user's and the group's creation stands in).
fn groups_for_user(rpc: &Rpc) -> R<SimResponse> {
    let n = rpc.need("UserName")?;
    let (user, groups) = rpc
        .ctx
        .estate
        .iam(super::NAME, &rpc.auth.account, |i| {
            i.users.get(&n).cloned().map(|u| {
                let gs: Vec<_> = u
                    .groups
                    .iter()
                    .filter_map(|g| i.groups.get(g).cloned())
                    .collect();
                (u, gs)
            })
        })
        .map_err(|e| rpc.estate_err(&e))?
        .ok_or_else(|| {
            rpc.estate_err(&crate::estate::EstateError::not_found(
                crate::estate::ResourceKind::User,
                &n,
            ))
        })?;
    let items: Vec<Value> = groups
        .iter()
        .map(|g| {
            json!({
                "GroupId": g.id,
                "GroupName": g.name,
                "Comments": g.description.clone().unwrap_or_default(),
                "JoinDate": iso(g.created_at.max(user.created_at)),
            })
        })
        .collect();
    Ok(rpc.ok(json!({"Groups": {"Group": items}})))
}

/// `AddUserToGroup` / `RemoveUserFromGroup` (`UserName`, `GroupName`);
/// both answer `{"RequestId"}` only.
fn membership(rpc: &Rpc, add: bool) -> R<SimResponse> {
    let user = rpc.need("UserName")?;
    let group = rpc.need("GroupName")?;
    let e = &rpc.ctx.estate;
    let r = if add {
        e.add_user_to_group(super::NAME, &rpc.auth.account, &user, &group)
    } else {
        e.remove_user_from_group(super::NAME, &rpc.auth.account, &user, &group)
    };
    r.map_err(|e| rpc.estate_err(&e))?;
    Ok(rpc.ok(json!({})))
}

fn list_roles(rpc: &Rpc) -> R<SimResponse> {
    let roles = rpc
        .ctx
        .estate
        .iam(super::NAME, &rpc.auth.account, |i| {
            i.roles.values().cloned().collect::<Vec<_>>()
        })
        .map_err(|e| rpc.estate_err(&e))?;
    let items = roles
        .iter()
        .map(|r| {
            json!({
                "RoleId": r.id,
                "RoleName": r.name,
                "Arn": format!("acs:ram::{}:role/{}", rpc.auth.account, r.name.to_lowercase()),
                "Description": r.description.clone().unwrap_or_default(),
                "MaxSessionDuration": 3600,
                "CreateDate": iso(r.created_at),
                "UpdateDate": iso(r.created_at),
            })
        })
        .collect();
    marker_page(rpc, items, "Roles", "Role")
}

fn kind_str(k: PolicyKind) -> &'static str {
    match k {
        PolicyKind::System => "System",
        PolicyKind::Custom => "Custom",
    }
}

fn list_policies(rpc: &Rpc) -> R<SimResponse> {
    let (policies, attachments) = rpc
        .ctx
        .estate
        .iam(super::NAME, &rpc.auth.account, |i| {
            (
                i.policies.values().cloned().collect::<Vec<_>>(),
                i.attachments.clone(),
            )
        })
        .map_err(|e| rpc.estate_err(&e))?;
    let want = rpc.p("PolicyType");
    let items = policies
        .iter()
        .filter(|p| want.as_deref().is_none_or(|w| w == kind_str(p.kind)))
        .map(|p| {
            json!({
                "PolicyName": p.name,
                "PolicyType": kind_str(p.kind),
                "Description": p.description.clone().unwrap_or_default(),
                "DefaultVersion": "v1",
                "AttachmentCount": attachments.iter().filter(|a| a.policy == p.name).count(),
                "CreateDate": iso(p.created_at),
                "UpdateDate": iso(p.created_at),
            })
        })
        .collect();
    marker_page(rpc, items, "Policies", "Policy")
}

fn render_attached(p: &Policy) -> Value {
    json!({
        "PolicyName": p.name,
        "PolicyType": kind_str(p.kind),
        "Description": p.description.clone().unwrap_or_default(),
        "DefaultVersion": "v1",
        "AttachDate": iso(p.created_at),
    })
}

fn policies_for(rpc: &Rpc, param: &str, mk: fn(String) -> Principal) -> R<SimResponse> {
    let n = rpc.need(param)?;
    let ps = rpc
        .ctx
        .estate
        .attached_policies(super::NAME, &rpc.auth.account, &mk(n))
        .map_err(|e| rpc.estate_err(&e))?;
    Ok(rpc.ok(json!({"Policies": {"Policy": ps.iter().map(render_attached).collect::<Vec<_>>()}})))
}

/// `AttachPolicyTo{User,Group,Role}` / `DetachPolicyFrom{User,Group,Role}`:
/// `PolicyType`, `PolicyName` and the principal's `UserName`, `GroupName`
/// or `RoleName` (alibabacloud-ram20150501 request models); the answer is
/// `{"RequestId"}` only.
fn attach(rpc: &Rpc, param: &str, mk: fn(String) -> Principal, on: bool) -> R<SimResponse> {
    let who = rpc.need(param)?;
    let policy = rpc.need("PolicyName")?;
    rpc.need("PolicyType")?;
    let e = &rpc.ctx.estate;
    let p = mk(who);
    let r = if on {
        e.attach_policy(super::NAME, &rpc.auth.account, &p, &policy)
    } else {
        e.detach_policy(super::NAME, &rpc.auth.account, &p, &policy)
    };
    r.map_err(|e| rpc.estate_err(&e))?;
    Ok(rpc.ok(json!({})))
}

fn list_access_keys(rpc: &Rpc) -> R<SimResponse> {
    let name = rpc.p("UserName").or_else(|| rpc.auth.user.clone());
    let keys: Vec<Value> = match name {
        Some(n) => {
            let u = rpc
                .ctx
                .estate
                .user(super::NAME, &rpc.auth.account, &n)
                .map_err(|e| rpc.estate_err(&e))?;
            u.access_keys
                .iter()
                .map(|k| {
                    json!({
                        "AccessKeyId": k.id,
                        "Status": if k.active { "Active" } else { "Inactive" },
                        "CreateDate": iso(k.created_at),
                    })
                })
                .collect()
        }
        None => vec![json!({
            "AccessKeyId": rpc.auth.access_key_id,
            "Status": "Active",
            "CreateDate": "",
        })],
    };
    Ok(rpc.ok(json!({"AccessKeys": {"AccessKey": keys}})))
}

/// `DeleteAccessKey` (`UserAccessKeyId`, and `UserName`, without which the
/// caller's own user is meant); answers `{"RequestId"}` only.
fn delete_access_key(rpc: &Rpc) -> R<SimResponse> {
    let key = rpc.need("UserAccessKeyId")?;
    let user = match rpc.p("UserName").or_else(|| rpc.auth.user.clone()) {
        Some(u) => u,
        None => rpc.need("UserName")?,
    };
    rpc.ctx
        .estate
        .delete_access_key(super::NAME, &rpc.auth.account, &user, &key)
        .map_err(|e| rpc.estate_err(&e))?;
    Ok(rpc.ok(json!({})))
}
