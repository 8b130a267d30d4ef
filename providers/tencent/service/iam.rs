//! `Iam` over CAM (users, groups, roles, policies, access keys).

use async_trait::async_trait;
use futures::{StreamExt, TryStreamExt};
use serde_json::{Value, json};

use super::super::TencentProvider;
use super::super::client::CallKind;
use super::super::iam::*;
use super::compute::{ok_if_missing, visible};
use crate::error::{Error, ErrorKind, Result};
use crate::model::{
    AccessKeyInfo, DeleteUserOptions, Group, NewUser, Policy, PolicyKind, PolicyRef, Principal,
    Role, User,
};
use crate::traits::{Iam, ResultStream};

fn one_shot<'a, T: Send + 'a>(
    fut: impl std::future::Future<Output = Result<Vec<T>>> + Send + 'a,
) -> ResultStream<'a, T> {
    futures::stream::once(fut)
        .map(|r| match r {
            Ok(v) => futures::stream::iter(v.into_iter().map(Ok)).boxed(),
            Err(e) => futures::stream::iter([Err(e)]).boxed(),
        })
        .flatten()
        .boxed()
}

fn with_rp(mut p: Value, rp: u32) -> Value {
    p["Rp"] = json!(rp);
    p
}

impl TencentProvider {
    async fn cam(&self, action: &'static str, params: Value, kind: CallKind) -> Result<Value> {
        self.client.call("cam", action, None, params, kind).await
    }

    async fn user_uin(&self, name: &str) -> Result<u64> {
        let u = self.user(name).await?;
        parse_cam_id("user", &u.id)
    }

    async fn group_id(&self, name: &str) -> Result<u64> {
        let mut groups = self.groups();
        while let Some(g) = groups.try_next().await? {
            if g.name == name {
                return parse_cam_id("group", &g.id);
            }
        }
        Err(Error::not_found(format!("CAM group `{name}` not found")).with_provider("tencent"))
    }

    fn user_policies(&self, uin: u64) -> ResultStream<'_, PolicyRef> {
        self.page_list::<ListAttachedUserAllPoliciesResponse, _, _, _>(
            "cam",
            "ListAttachedUserAllPolicies",
            MAX_RP,
            move |page, rp| {
                Ok(with_rp(
                    list_attached_user_all_policies_params(uin, u64::from(page)),
                    rp,
                ))
            },
            |p| Ok(policy_ref_from_user_policy(&p)),
        )
    }
}

#[async_trait]
impl Iam for TencentProvider {
    fn users(&self) -> ResultStream<'_, User> {
        one_shot(async move {
            let r: ListUsersResponse = self
                .read("cam", "ListUsers", None, list_users_params())
                .await?;
            Ok(r.data.iter().map(user_from_wire).collect())
        })
    }

    async fn user(&self, name: &str) -> Result<User> {
        let r: GetUserResponse = self
            .read("cam", "GetUser", None, get_user_params(name))
            .await?;
        Ok(user_from_wire(&r))
    }

    async fn create_user(&self, spec: &NewUser) -> Result<User> {
        // AddUser takes no client token: when the outcome is unknown, look
        // for the user before reporting the failure.
        match self
            .cam("AddUser", add_user_params(spec), CallKind::Write)
            .await
        {
            Ok(_) => visible(|| self.user(&spec.name)).await,
            Err(e) if matches!(e.kind(), ErrorKind::Unavailable | ErrorKind::Timeout) => {
                self.user(&spec.name).await.map_err(|_| e)
            }
            Err(e) => Err(e),
        }
    }

    async fn delete_user(&self, name: &str, opts: DeleteUserOptions) -> Result<()> {
        let uin = match self.user_uin(name).await {
            Ok(u) => u,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        let policies: Vec<PolicyRef> = self.user_policies(uin).try_collect().await?;
        let keys: Vec<AccessKeyInfo> = self.access_keys(name).try_collect().await?;
        if !opts.cleanup && (!policies.is_empty() || !keys.is_empty()) {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!(
                    "CAM user `{name}` has {} attached policies and {} access keys; \
                     detach and delete them first or use DeleteUserOptions {{ cleanup: true }}",
                    policies.len(),
                    keys.len()
                ),
            )
            .with_provider("tencent"));
        }
        for p in &policies {
            self.detach_policy(&Principal::User(name.to_string()), p)
                .await?;
        }
        // Force = 1 also deletes the user's API keys.
        let r = self
            .cam(
                "DeleteUser",
                delete_user_params(name, opts.cleanup),
                CallKind::Idempotent,
            )
            .await;
        ok_if_missing(r.map(|_| ()))
    }

    fn groups(&self) -> ResultStream<'_, Group> {
        self.page_list::<ListGroupsResponse, _, _, _>(
            "cam",
            "ListGroups",
            DEFAULT_RP,
            |page, rp| Ok(with_rp(list_groups_params(u64::from(page)), rp)),
            |g| Ok(group_from_wire(&g)),
        )
    }

    fn roles(&self) -> ResultStream<'_, Role> {
        self.page_list::<DescribeRoleListResponse, _, _, _>(
            "cam",
            "DescribeRoleList",
            MAX_RP,
            |page, rp| Ok(with_rp(describe_role_list_params(u64::from(page)), rp)),
            |r| {
                let mut role = role_from_wire(&r);
                if role.id.is_empty() {
                    role.id = role.name.clone();
                }
                Ok(role)
            },
        )
    }

    fn policies(&self, kind: Option<PolicyKind>) -> ResultStream<'_, Policy> {
        let scope = match kind {
            Some(PolicyKind::System) => "QCS",
            Some(PolicyKind::Custom) => "Local",
            _ => "All",
        };
        self.page_list::<ListPoliciesResponse, _, _, _>(
            "cam",
            "ListPolicies",
            MAX_RP,
            move |page, rp| {
                let mut p = with_rp(list_policies_params(u64::from(page)), rp);
                p["Scope"] = json!(scope);
                Ok(p)
            },
            |p| Ok(policy_from_wire(&p)),
        )
        .try_filter(move |p| futures::future::ready(kind.is_none_or(|k| p.kind == k)))
        .boxed()
    }

    fn attached_policies<'a>(&'a self, principal: &'a Principal) -> ResultStream<'a, PolicyRef> {
        match principal {
            Principal::User(name) => futures::stream::once(self.user_uin(name))
                .map(move |r| match r {
                    Ok(uin) => self.user_policies(uin),
                    Err(e) => futures::stream::iter([Err(e)]).boxed(),
                })
                .flatten()
                .boxed(),
            Principal::Group(name) => futures::stream::once(self.group_id(name))
                .map(move |r| match r {
                    Ok(id) => self.page_list::<ListAttachedPoliciesResponse, _, _, _>(
                        "cam",
                        "ListAttachedGroupPolicies",
                        DEFAULT_RP,
                        move |page, rp| {
                            Ok(with_rp(
                                list_attached_group_policies_params(id, u64::from(page)),
                                rp,
                            ))
                        },
                        |p| Ok(policy_ref_from_attach_info(&p)),
                    ),
                    Err(e) => futures::stream::iter([Err(e)]).boxed(),
                })
                .flatten()
                .boxed(),
            Principal::Role(name) => self.page_list::<ListAttachedPoliciesResponse, _, _, _>(
                "cam",
                "ListAttachedRolePolicies",
                MAX_RP,
                move |page, rp| {
                    Ok(with_rp(
                        list_attached_role_policies_params(name, u64::from(page)),
                        rp,
                    ))
                },
                |p| Ok(policy_ref_from_attach_info(&p)),
            ),
        }
    }

    async fn attach_policy(&self, principal: &Principal, policy: &PolicyRef) -> Result<()> {
        let pid = parse_cam_id("policy", &policy.id)?;
        let (action, params) = match principal {
            Principal::User(n) => (
                "AttachUserPolicy",
                attach_user_policy_params(pid, self.user_uin(n).await?),
            ),
            Principal::Group(n) => (
                "AttachGroupPolicy",
                json!({ "PolicyId": pid, "AttachGroupId": self.group_id(n).await? }),
            ),
            Principal::Role(n) => (
                "AttachRolePolicy",
                json!({ "PolicyId": pid, "AttachRoleName": n }),
            ),
        };
        self.cam(action, params, CallKind::Idempotent)
            .await
            .map(|_| ())
    }

    async fn detach_policy(&self, principal: &Principal, policy: &PolicyRef) -> Result<()> {
        let pid = parse_cam_id("policy", &policy.id)?;
        let (action, params) = match principal {
            Principal::User(n) => (
                "DetachUserPolicy",
                detach_user_policy_params(pid, self.user_uin(n).await?),
            ),
            Principal::Group(n) => (
                "DetachGroupPolicy",
                json!({ "PolicyId": pid, "DetachGroupId": self.group_id(n).await? }),
            ),
            Principal::Role(n) => (
                "DetachRolePolicy",
                json!({ "PolicyId": pid, "DetachRoleName": n }),
            ),
        };
        ok_if_missing(
            self.cam(action, params, CallKind::Idempotent)
                .await
                .map(|_| ()),
        )
    }

    fn access_keys<'a>(&'a self, user: &'a str) -> ResultStream<'a, AccessKeyInfo> {
        one_shot(async move {
            let uin = self.user_uin(user).await?;
            let r: ListAccessKeysResponse = self
                .read(
                    "cam",
                    "ListAccessKeys",
                    None,
                    list_access_keys_params(Some(uin)),
                )
                .await?;
            Ok(r.access_keys
                .iter()
                .map(|k| access_key_from_wire(user, k))
                .collect())
        })
    }
}
