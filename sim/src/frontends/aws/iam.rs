//! IAM 2010-05-08 (Query protocol): users, groups, roles, policies,
//! attachments, access keys. Lists page with `Marker`/`MaxItems`
//! (default 100) and answer `IsTruncated`/`Marker`.

use super::errors::{AwsError, Protocol, iam_from_estate, query_ok};
use super::{Call, NAME, iso};
use crate::estate::{NewIamUser, Policy, PolicyKind, Principal, User};
use crate::frontend::{SimResponse, Xml, percent_encode_strict};

type R = Result<SimResponse, AwsError>;

fn est<T>(r: Result<T, crate::estate::EstateError>) -> Result<T, AwsError> {
    r.map_err(|e| iam_from_estate(&e))
}

pub(crate) fn handle(c: &Call, action: &str) -> R {
    match action {
        "ListUsers" => {
            let users = est(c.estate().users(NAME, c.account()))?;
            // Every simulated user has the path `/`.
            let users: Vec<User> = match c.get("PathPrefix") {
                Some(p) if !"/".starts_with(p) => Vec::new(),
                _ => users,
            };
            list(
                c,
                action,
                "Users",
                users,
                |u| u.name.clone(),
                |x, u| user_fields(x, c, u),
            )
        }
        "GetUser" => {
            let name = match (c.get("UserName"), &c.auth.user) {
                (Some(n), _) => n.to_string(),
                (None, Some(n)) => n.clone(),
                (None, None) => {
                    let x = Xml::fragment()
                        .open("User")
                        .elem("Path", "/")
                        .elem("UserName", c.account())
                        .elem("UserId", c.account())
                        .elem("Arn", &format!("arn:aws:iam::{}:root", c.account()))
                        .elem("CreateDate", &iso(&c.ctx.now()))
                        .close("User");
                    return Ok(query_ok(c.ctx, Protocol::Iam, action, &x.finish()));
                }
            };
            let u = est(c.estate().user(NAME, c.account(), &name))?;
            let x = user_fields(Xml::fragment().open("User"), c, &u).close("User");
            Ok(query_ok(c.ctx, Protocol::Iam, action, &x.finish()))
        }
        "CreateUser" => {
            let name = c.req("UserName")?;
            let mut tags = crate::estate::Tags::new();
            for n in c.indexes("Tags.member") {
                if let Some(k) = c.get(&format!("Tags.member.{n}.Key")) {
                    let v = c.get(&format!("Tags.member.{n}.Value")).unwrap_or("");
                    tags.insert(k.into(), v.into());
                }
            }
            let u = est(c.estate().create_user(
                NAME,
                c.account(),
                NewIamUser {
                    name: name.into(),
                    tags,
                    ..NewIamUser::default()
                },
            ))?;
            let x = user_fields(Xml::fragment().open("User"), c, &u).close("User");
            Ok(query_ok(c.ctx, Protocol::Iam, action, &x.finish()))
        }
        "DeleteUser" => {
            est(c
                .estate()
                .delete_user(NAME, c.account(), c.req("UserName")?, false))?;
            Ok(query_ok(c.ctx, Protocol::Iam, action, ""))
        }
        "ListGroups" => {
            let groups = est(c.estate().iam(NAME, c.account(), |i| {
                i.groups.values().cloned().collect::<Vec<_>>()
            }))?;
            list(
                c,
                action,
                "Groups",
                groups,
                |g| g.name.clone(),
                |x, g| {
                    x.elem("Path", "/")
                        .elem("GroupName", &g.name)
                        .elem("GroupId", &g.id)
                        .elem(
                            "Arn",
                            &format!("arn:aws:iam::{}:group/{}", c.account(), g.name),
                        )
                        .elem("CreateDate", &iso(&g.created_at))
                },
            )
        }
        "ListGroupsForUser" => {
            let name = c.req("UserName")?;
            let u = est(c.estate().user(NAME, c.account(), name))?;
            let groups = est(c.estate().iam(NAME, c.account(), |i| {
                u.groups
                    .iter()
                    .filter_map(|g| i.groups.get(g).cloned())
                    .collect::<Vec<_>>()
            }))?;
            list(
                c,
                action,
                "Groups",
                groups,
                |g| g.name.clone(),
                |x, g| {
                    x.elem("Path", "/")
                        .elem("GroupName", &g.name)
                        .elem("GroupId", &g.id)
                        .elem(
                            "Arn",
                            &format!("arn:aws:iam::{}:group/{}", c.account(), g.name),
                        )
                        .elem("CreateDate", &iso(&g.created_at))
                },
            )
        }
        "RemoveUserFromGroup" => {
            let user = c.req("UserName")?.to_string();
            let group = c.req("GroupName")?.to_string();
            let r = c.estate().write(|d| {
                let a = d
                    .accounts
                    .iter_mut()
                    .find(|a| a.provider == NAME && a.id == c.account())?;
                if !a.iam.groups.contains_key(&group) {
                    return Some(Err(format!("The group with name {group} cannot be found.")));
                }
                let u = match a.iam.users.get_mut(&user) {
                    Some(u) => u,
                    None => {
                        return Some(Err(format!("The user with name {user} cannot be found.")));
                    }
                };
                u.groups.retain(|g| *g != group);
                Some(Ok(()))
            });
            match r {
                Some(Ok(())) => Ok(query_ok(c.ctx, Protocol::Iam, action, "")),
                Some(Err(m)) => Err(AwsError::new(404, "NoSuchEntity", &m)),
                None => Err(AwsError::new(404, "NoSuchEntity", "account not found")),
            }
        }
        "ListRoles" => {
            let roles = est(c.estate().iam(NAME, c.account(), |i| {
                i.roles.values().cloned().collect::<Vec<_>>()
            }))?;
            list(
                c,
                action,
                "Roles",
                roles,
                |r| r.name.clone(),
                |x, r| {
                    x.elem("Path", "/")
                        .elem("RoleName", &r.name)
                        .elem("RoleId", &r.id)
                        .elem(
                            "Arn",
                            &format!("arn:aws:iam::{}:role/{}", c.account(), r.name),
                        )
                        .elem("CreateDate", &iso(&r.created_at))
                        .elem_opt(
                            "AssumeRolePolicyDocument",
                            r.trust_policy
                                .as_deref()
                                .map(percent_encode_strict)
                                .as_deref(),
                        )
                        .elem_opt("Description", r.description.as_deref())
                        .elem("MaxSessionDuration", "3600")
                },
            )
        }
        "ListPolicies" => {
            let scope = c.get("Scope").unwrap_or("All");
            let only_attached = c.get("OnlyAttached") == Some("true");
            let (policies, attached) = est(c.estate().iam(NAME, c.account(), |i| {
                (
                    i.policies.values().cloned().collect::<Vec<_>>(),
                    i.attachments.clone(),
                )
            }))?;
            let count = |p: &Policy| attached.iter().filter(|a| a.policy == p.name).count();
            let policies: Vec<Policy> = policies
                .into_iter()
                .filter(|p| match scope {
                    "AWS" => p.kind == PolicyKind::System,
                    "Local" => p.kind == PolicyKind::Custom,
                    _ => true,
                })
                .filter(|p| !only_attached || count(p) > 0)
                .collect();
            list(
                c,
                action,
                "Policies",
                policies,
                |p| p.name.clone(),
                |x, p| {
                    x.elem("PolicyName", &p.name)
                        .elem("PolicyId", &p.id)
                        .elem("Arn", &policy_arn(c, p))
                        .elem("Path", "/")
                        .elem("DefaultVersionId", "v1")
                        .elem("AttachmentCount", &count(p).to_string())
                        .elem("PermissionsBoundaryUsageCount", "0")
                        .elem("IsAttachable", "true")
                        .elem_opt("Description", p.description.as_deref())
                        .elem("CreateDate", &iso(&p.created_at))
                        .elem("UpdateDate", &iso(&p.created_at))
                },
            )
        }
        "ListAttachedUserPolicies" | "ListAttachedGroupPolicies" | "ListAttachedRolePolicies" => {
            let principal = principal(c, action)?;
            let policies = est(c.estate().attached_policies(NAME, c.account(), &principal))?;
            list(
                c,
                action,
                "AttachedPolicies",
                policies,
                |p| p.name.clone(),
                |x, p| {
                    x.elem("PolicyName", &p.name)
                        .elem("PolicyArn", &policy_arn(c, p))
                },
            )
        }
        "AttachUserPolicy" | "DetachUserPolicy" => {
            let user = c.req("UserName")?;
            let name = policy_name(c, c.req("PolicyArn")?)?;
            let p = Principal::User(user.into());
            if action == "AttachUserPolicy" {
                match c.estate().attach_policy(NAME, c.account(), &p, &name) {
                    // Attaching twice is a no-op in IAM.
                    Ok(()) | Err(crate::estate::EstateError::AlreadyExists { .. }) => {}
                    Err(e) => return Err(iam_from_estate(&e)),
                }
            } else {
                est(c.estate().detach_policy(NAME, c.account(), &p, &name))?;
            }
            Ok(query_ok(c.ctx, Protocol::Iam, action, ""))
        }
        "ListAccessKeys" => {
            let name = match (c.get("UserName"), &c.auth.user) {
                (Some(n), _) => n.to_string(),
                (None, Some(n)) => n.clone(),
                (None, None) => {
                    return list(
                        c,
                        action,
                        "AccessKeyMetadata",
                        Vec::<User>::new(),
                        |u| u.name.clone(),
                        |x, _| x,
                    );
                }
            };
            let u = est(c.estate().user(NAME, c.account(), &name))?;
            let keys = u.access_keys.clone();
            list(
                c,
                action,
                "AccessKeyMetadata",
                keys,
                |k| k.id.clone(),
                |x, k| {
                    x.elem("UserName", &u.name)
                        .elem("AccessKeyId", &k.id)
                        .elem("Status", if k.active { "Active" } else { "Inactive" })
                        .elem("CreateDate", &iso(&k.created_at))
                },
            )
        }
        // The estate has no inline user policies and no console passwords:
        // ListUserPolicies answers an empty PolicyNames list for an existing
        // user, DeleteLoginProfile answers NoSuchEntity as IAM does for a
        // user without a login profile (NoSuchEntity too when the user is
        // missing).
        "ListUserPolicies" => {
            est(c.estate().user(NAME, c.account(), c.req("UserName")?))?;
            let x = Xml::fragment()
                .open("PolicyNames")
                .close("PolicyNames")
                .elem("IsTruncated", "false");
            Ok(query_ok(c.ctx, Protocol::Iam, action, &x.finish()))
        }
        "DeleteLoginProfile" => {
            let name = c.req("UserName")?;
            est(c.estate().user(NAME, c.account(), name))?;
            Err(AwsError::new(
                404,
                "NoSuchEntity",
                &format!("Login Profile for User {name} cannot be found."),
            ))
        }
        "DeleteAccessKey" => {
            let key = c.req("AccessKeyId")?;
            let user = match (c.get("UserName"), &c.auth.user) {
                (Some(n), _) => n.to_string(),
                (None, Some(n)) => n.clone(),
                (None, None) => {
                    return Err(AwsError::new(
                        404,
                        "NoSuchEntity",
                        &format!("The Access Key with id {key} cannot be found."),
                    ));
                }
            };
            est(c.estate().delete_access_key(NAME, c.account(), &user, key))?;
            Ok(query_ok(c.ctx, Protocol::Iam, action, ""))
        }
        _ => Err(AwsError::new(
            400,
            "InvalidAction",
            &format!("Could not find operation {action} for version 2010-05-08"),
        )),
    }
}

fn user_fields(x: Xml, c: &Call, u: &User) -> Xml {
    let x = x
        .elem("Path", "/")
        .elem("UserName", &u.name)
        .elem("UserId", &u.id)
        .elem(
            "Arn",
            &format!("arn:aws:iam::{}:user/{}", c.account(), u.name),
        )
        .elem("CreateDate", &iso(&u.created_at));
    if u.tags.is_empty() {
        return x;
    }
    x.open("Tags")
        .with(|x| {
            u.tags.iter().fold(x, |x, (k, v)| {
                x.open("member")
                    .elem("Key", k)
                    .elem("Value", v)
                    .close("member")
            })
        })
        .close("Tags")
}

fn policy_arn(c: &Call, p: &Policy) -> String {
    match p.kind {
        PolicyKind::System => format!("arn:aws:iam::aws:policy/{}", p.name),
        PolicyKind::Custom => format!("arn:aws:iam::{}:policy/{}", c.account(), p.name),
    }
}

fn policy_name(c: &Call, arn: &str) -> Result<String, AwsError> {
    let name = arn
        .rsplit_once(":policy/")
        .map(|(_, n)| n.rsplit('/').next().unwrap_or(n).to_string())
        .ok_or_else(|| AwsError::new(400, "InvalidInput", &format!("ARN {arn} is not valid.")))?;
    let exists = est(c
        .estate()
        .iam(NAME, c.account(), |i| i.policies.contains_key(&name)))?;
    if !exists {
        return Err(AwsError::new(
            404,
            "NoSuchEntity",
            &format!("Policy {arn} does not exist or is not attachable."),
        ));
    }
    Ok(name)
}

fn principal(c: &Call, action: &str) -> Result<Principal, AwsError> {
    Ok(match action {
        "ListAttachedUserPolicies" => Principal::User(c.req("UserName")?.into()),
        "ListAttachedGroupPolicies" => Principal::Group(c.req("GroupName")?.into()),
        _ => Principal::Role(c.req("RoleName")?.into()),
    })
}

/// A paged list: `<Field><member>..</member></Field><IsTruncated>` and `Marker`.
fn list<T>(
    c: &Call,
    action: &str,
    field: &str,
    mut items: Vec<T>,
    key: impl Fn(&T) -> String,
    render: impl Fn(Xml, &T) -> Xml,
) -> R {
    items.sort_by_key(|a| key(a));
    let max: usize = match c.get("MaxItems") {
        None => 100,
        Some(v) => v
            .parse()
            .ok()
            .filter(|n| (1..=1000).contains(n))
            .ok_or_else(|| {
                AwsError::new(
                    400,
                    "ValidationError",
                    "1 validation error detected: Value at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000",
                )
            })?,
    };
    let start = match c.get("Marker") {
        None => 0,
        Some(m) => items.partition_point(|i| key(i).as_str() <= m),
    };
    let rest: Vec<&T> = items.iter().skip(start).collect();
    let truncated = rest.len() > max;
    let page: Vec<&T> = rest.into_iter().take(max).collect();
    let x = Xml::fragment()
        .open(field)
        .with(|x| {
            page.iter()
                .fold(x, |x, i| render(x.open("member"), i).close("member"))
        })
        .close(field)
        .elem("IsTruncated", if truncated { "true" } else { "false" })
        .elem_opt(
            "Marker",
            if truncated {
                page.last().map(|i| key(i))
            } else {
                None
            }
            .as_deref(),
        );
    Ok(query_ok(c.ctx, Protocol::Iam, action, &x.finish()))
}
