//! CAM 2019-01-16: sub-users, groups, roles, policies, attachments, access keys.

use serde_json::{Value, json};

use super::errors::ApiError;
use super::params::page;
use super::{Call, Handled, NAME, Outcome, plain_time};
use crate::estate::{
    EstateError, IamState, NewIamUser, Policy, PolicyKind, Principal, ResourceKind, User,
};

pub(crate) fn handle(c: &Call, action: &str) -> Outcome {
    Some(match action {
        "ListUsers" => list_users(c),
        "GetUser" => get_user(c),
        "AddUser" => add_user(c),
        "DeleteUser" => delete_user(c),
        "ListGroups" => list_groups(c),
        "DescribeRoleList" => describe_roles(c),
        "ListPolicies" => list_policies(c),
        "ListAttachedUserAllPolicies" => attached_user_all(c),
        "ListAttachedGroupPolicies" => attached_group(c),
        "ListAttachedRolePolicies" => attached_role(c),
        "AttachUserPolicy" => attach_user(c, true),
        "DetachUserPolicy" => attach_user(c, false),
        "ListAccessKeys" => list_access_keys(c),
        _ => return None,
    })
}

type R = Result<Value, Handled>;

fn num(id: &str) -> Value {
    id.parse::<u64>()
        .map(Value::from)
        .unwrap_or_else(|_| Value::from(id))
}

fn user_json(u: &User) -> Value {
    json!({
        "Uin": num(&u.id), "Name": u.name, "Uid": num(&u.id),
        "Remark": u.display_name.clone().unwrap_or_default(),
        "ConsoleLogin": 0, "PhoneNum": "", "CountryCode": "",
        "Email": u.email.clone().unwrap_or_default(),
        "CreateTime": plain_time(&u.created_at),
        "NickName": u.display_name.clone().unwrap_or_default(),
    })
}

fn iam<T>(c: &Call, f: impl FnOnce(&IamState) -> T) -> Result<T, Handled> {
    Ok(c.estate().iam(NAME, c.account(), f)?)
}

fn list_users(c: &Call) -> R {
    let users = c.estate().users(NAME, c.account())?;
    Ok(json!({"Data": users.iter().map(user_json).collect::<Vec<_>>()}))
}

fn get_user(c: &Call) -> R {
    let u = c
        .estate()
        .user(NAME, c.account(), &c.params.req_str("Name")?)?;
    let mut v = user_json(&u);
    if let Value::Object(m) = &mut v {
        m.remove("CreateTime");
        m.remove("NickName");
        m.insert("RecentlyLoginIP".into(), json!(""));
        m.insert("RecentlyLoginTime".into(), json!(""));
    }
    Ok(v)
}

fn add_user(c: &Call) -> R {
    let name = c.params.req_str("Name")?;
    if name.len() > 64
        || !name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || "+=,.@_-".contains(ch))
    {
        return Err(ApiError::new(
            "InvalidParameter.UserNameIllegal",
            "The user name is illegal.",
        )
        .into());
    }
    let u = c.estate().create_user(
        NAME,
        c.account(),
        NewIamUser {
            name: name.clone(),
            display_name: c.params.str("Remark"),
            email: c.params.str("Email"),
            tags: Default::default(),
        },
    )?;
    let (sid, skey) = if c.params.u64("UseApi")?.unwrap_or(0) == 1 {
        let k = c.estate().create_access_key(NAME, c.account(), &name)?;
        (k.id, k.secret.expose().to_string())
    } else {
        (String::new(), String::new())
    };
    Ok(json!({
        "Uin": num(&u.id), "Name": u.name, "Password": "", "SecretId": sid, "SecretKey": skey,
        "Uid": num(&u.id),
    }))
}

fn delete_user(c: &Call) -> R {
    let name = c.params.req_str("Name")?;
    let u = c.estate().user(NAME, c.account(), &name)?;
    if c.params.u64("Force")?.unwrap_or(0) != 1 && !u.access_keys.is_empty() {
        return Err(ApiError::new(
            "OperationDenied.HaveKeys",
            "The sub-user has API keys; delete them first or pass Force=1.",
        )
        .into());
    }
    c.estate().delete_user(NAME, c.account(), &name, true)?;
    Ok(json!({}))
}

fn keyword(c: &Call) -> Option<String> {
    c.params.str("Keyword").filter(|k| !k.is_empty())
}

fn list_groups(c: &Call) -> R {
    let (off, rp) = c.params.page_rp(200)?;
    let kw = keyword(c);
    let groups = iam(c, |i| {
        i.groups
            .values()
            .filter(|g| kw.as_ref().is_none_or(|k| g.name.contains(k.as_str())))
            .cloned()
            .collect::<Vec<_>>()
    })?;
    let (items, total) = page(groups, off, rp);
    let set: Vec<Value> = items
        .iter()
        .map(|g| json!({"GroupId": num(&g.id), "GroupName": g.name, "CreateTime": plain_time(&g.created_at), "Remark": g.description.clone().unwrap_or_default()}))
        .collect();
    Ok(json!({"TotalNum": total, "GroupInfo": set}))
}

fn describe_roles(c: &Call) -> R {
    let (off, rp) = c.params.page_rp(200)?;
    let roles = iam(c, |i| i.roles.values().cloned().collect::<Vec<_>>())?;
    let (items, total) = page(roles, off, rp);
    let owner = c.account().to_string();
    let set: Vec<Value> = items
        .iter()
        .map(|r| {
            json!({
                "RoleId": r.id, "RoleName": r.name,
                "PolicyDocument": r.trust_policy.clone().unwrap_or_default(),
                "Description": r.description.clone().unwrap_or_default(),
                "AddTime": plain_time(&r.created_at), "UpdateTime": plain_time(&r.created_at),
                "ConsoleLogin": 0, "RoleType": "user", "SessionDuration": 7200,
                "RoleArn": format!("qcs::cam::uin/{owner}:roleName/{}", r.name),
            })
        })
        .collect();
    Ok(json!({"List": set, "TotalNum": total}))
}

fn ptype(p: &Policy) -> (i64, &'static str) {
    match p.kind {
        PolicyKind::Custom => (1, "User"),
        PolicyKind::System => (2, "QCS"),
    }
}

fn list_policies(c: &Call) -> R {
    let (off, rp) = c.params.page_rp(200)?;
    let scope = c.params.str("Scope").unwrap_or_else(|| "All".into());
    let kw = keyword(c);
    let (policies, attachments) = iam(c, |i| {
        (
            i.policies.values().cloned().collect::<Vec<_>>(),
            i.attachments.clone(),
        )
    })?;
    let policies: Vec<Policy> = policies
        .into_iter()
        .filter(|p| match scope.as_str() {
            "QCS" => p.kind == PolicyKind::System,
            "Local" => p.kind == PolicyKind::Custom,
            _ => true,
        })
        .filter(|p| kw.as_ref().is_none_or(|k| p.name.contains(k.as_str())))
        .collect();
    let (items, total) = page(policies, off, rp);
    let set: Vec<Value> = items
        .iter()
        .map(|p| {
            let (t, _) = ptype(p);
            let n = attachments.iter().filter(|a| a.policy == p.name).count();
            json!({
                "PolicyId": num(&p.id), "PolicyName": p.name, "AddTime": plain_time(&p.created_at),
                "Type": t, "Description": p.description.clone().unwrap_or_default(),
                "CreateMode": t, "Attachments": n, "ServiceType": "",
                "IsAttached": if n > 0 { 1 } else { 2 }, "AttachEntityCount": n,
                "UpdateTime": plain_time(&p.created_at),
            })
        })
        .collect();
    Ok(json!({"TotalNum": total, "List": set, "ServiceTypeList": []}))
}

fn user_by_uin(i: &IamState, uin: &str) -> Option<User> {
    i.users.values().find(|u| u.id == uin).cloned()
}

fn policy_by_id(i: &IamState, id: &str) -> Option<Policy> {
    i.policies.values().find(|p| p.id == id).cloned()
}

fn policies_of(i: &IamState, who: &Principal) -> Vec<Policy> {
    i.attachments
        .iter()
        .filter(|a| &a.principal == who)
        .filter_map(|a| i.policies.get(&a.policy).cloned())
        .collect()
}

fn attached_user_all(c: &Call) -> R {
    let (off, rp) = c.params.page_rp(200)?;
    let uin = c.params.req_str("TargetUin")?;
    let attach_type = c.params.u64("AttachType")?.unwrap_or(0);
    let rows = iam(c, |i| {
        let u = user_by_uin(i, &uin)?;
        let mut rows: Vec<(Policy, Vec<Value>)> = Vec::new();
        if attach_type != 2 {
            for p in policies_of(i, &Principal::User(u.name.clone())) {
                rows.push((p, Vec::new()));
            }
        }
        if attach_type != 1 {
            for g in &u.groups {
                let gid = i.groups.get(g).map(|x| x.id.clone()).unwrap_or_default();
                for p in policies_of(i, &Principal::Group(g.clone())) {
                    let info = json!({"GroupId": num(&gid), "GroupName": g});
                    match rows.iter_mut().find(|(x, _)| x.name == p.name) {
                        Some((_, gs)) => gs.push(info),
                        None => rows.push((p, vec![info])),
                    }
                }
            }
        }
        Some(rows)
    })?
    .ok_or(EstateError::NotFound {
        kind: ResourceKind::User,
        id: uin.clone(),
    })?;
    let (items, total) = page(rows, off, rp);
    let set: Vec<Value> = items
        .iter()
        .map(|(p, groups)| {
            let (t, _) = ptype(p);
            json!({
                "PolicyId": p.id, "PolicyName": p.name,
                "Description": p.description.clone().unwrap_or_default(),
                "AddTime": plain_time(&p.created_at), "StrategyType": t.to_string(),
                "CreateMode": t.to_string(), "Groups": groups, "Deactived": 0, "DeactivedDetail": [],
            })
        })
        .collect();
    Ok(json!({"PolicyList": set, "TotalNum": total}))
}

fn attached_group(c: &Call) -> R {
    let (off, rp) = c.params.page_rp(200)?;
    let gid = c.params.req_str("TargetGroupId")?;
    let list = iam(c, |i| {
        let g = i.groups.values().find(|g| g.id == gid)?;
        Some(policies_of(i, &Principal::Group(g.name.clone())))
    })?
    .ok_or(EstateError::NotFound {
        kind: ResourceKind::Group,
        id: gid.clone(),
    })?;
    let (items, total) = page(list, off, rp);
    let set: Vec<Value> = items
        .iter()
        .map(|p| {
            let (t, ty) = ptype(p);
            json!({"PolicyId": num(&p.id), "PolicyName": p.name, "AddTime": plain_time(&p.created_at),
                   "CreateMode": t, "PolicyType": ty, "Remark": p.description.clone().unwrap_or_default(),
                   "Deactived": 0, "DeactivedDetail": []})
        })
        .collect();
    Ok(json!({"TotalNum": total, "List": set}))
}

fn attached_role(c: &Call) -> R {
    let (off, rp) = c.params.page_rp(200)?;
    let rid = c.params.str("RoleId");
    let rname = c.params.str("RoleName");
    if rid.is_none() && rname.is_none() {
        return Err(ApiError::missing("RoleId").into());
    }
    let key = rid.clone().or(rname.clone()).unwrap_or_default();
    let list = iam(c, |i| {
        let r = i.roles.values().find(|r| {
            rid.as_ref().is_some_and(|x| *x == r.id) || rname.as_ref().is_some_and(|x| *x == r.name)
        })?;
        Some(policies_of(i, &Principal::Role(r.name.clone())))
    })?
    .ok_or(EstateError::NotFound {
        kind: ResourceKind::Role,
        id: key,
    })?;
    let (items, total) = page(list, off, rp);
    let set: Vec<Value> = items
        .iter()
        .map(|p| {
            let (t, ty) = ptype(p);
            json!({"PolicyId": num(&p.id), "PolicyName": p.name, "AddTime": plain_time(&p.created_at),
                   "PolicyType": ty, "CreateMode": t, "Deactived": 0, "DeactivedDetail": [],
                   "Description": p.description.clone().unwrap_or_default()})
        })
        .collect();
    Ok(json!({"List": set, "TotalNum": total}))
}

fn attach_user(c: &Call, attach: bool) -> R {
    let pid = c.params.req_str("PolicyId")?;
    let uin = c
        .params
        .req_str(if attach { "AttachUin" } else { "DetachUin" })?;
    let (user, policy) = iam(c, |i| (user_by_uin(i, &uin), policy_by_id(i, &pid)))?;
    let user = user.ok_or(EstateError::NotFound {
        kind: ResourceKind::User,
        id: uin.clone(),
    })?;
    let policy = policy.ok_or(EstateError::NotFound {
        kind: ResourceKind::Policy,
        id: pid.clone(),
    })?;
    let who = Principal::User(user.name);
    if attach {
        c.estate()
            .attach_policy(NAME, c.account(), &who, &policy.name)?;
    } else {
        c.estate()
            .detach_policy(NAME, c.account(), &who, &policy.name)?;
    }
    Ok(json!({}))
}

fn list_access_keys(c: &Call) -> R {
    let target = c.params.str("TargetUin").filter(|s| !s.is_empty());
    let user = match (&target, &c.auth.user) {
        (Some(uin), _) => Some(
            iam(c, |i| user_by_uin(i, uin))?.ok_or(EstateError::NotFound {
                kind: ResourceKind::User,
                id: uin.clone(),
            })?,
        ),
        (None, Some(name)) => Some(c.estate().user(NAME, c.account(), name)?),
        (None, None) => None,
    };
    let keys: Vec<Value> = match user {
        Some(u) => u
            .access_keys
            .iter()
            .map(|k| {
                json!({"AccessKeyId": k.id, "Status": if k.active { "Active" } else { "Inactive" },
                            "CreateTime": plain_time(&k.created_at), "Description": ""})
            })
            .collect(),
        None => {
            // The root account's own key.
            let id = c
                .estate()
                .accounts(NAME)
                .into_iter()
                .find(|a| a.id == c.account())
                .map(|a| a.access_key_id)
                .unwrap_or_default();
            vec![
                json!({"AccessKeyId": id, "Status": "Active", "CreateTime": "", "Description": ""}),
            ]
        }
    };
    Ok(json!({"AccessKeys": keys}))
}
