//! IAM: users, groups, roles, managed policies, attachments, access keys.

use async_trait::async_trait;
use aws_sdk_iam::types::{PolicyScopeType, Tag};

use super::AwsProvider;
use super::client::{PROVIDER, paged, percent_decode, sdk_error, ts};
use crate::error::{Error, ErrorKind, Result};
use crate::model::{
    AccessKeyInfo, DeleteUserOptions, Group, NewUser, Policy, PolicyKind, PolicyRef, Principal,
    ProviderKind, Role, Tags, User,
};
use crate::traits::{Iam, Provider, ResultStream};

/// IAM's largest `MaxItems`.
const MAX_ITEMS: i32 = 1000;

/// Whether a policy ARN is AWS-managed (`arn:<partition>:iam::aws:policy/...`).
pub fn is_aws_managed(arn: &str) -> bool {
    arn.split(':').nth(4) == Some("aws")
}

/// The kind of a policy from its ARN.
pub fn policy_kind(arn: &str) -> PolicyKind {
    if is_aws_managed(arn) {
        PolicyKind::System
    } else {
        PolicyKind::Custom
    }
}

fn iam_tags(tags: &[Tag]) -> Tags {
    tags.iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect()
}

fn user_from(u: &aws_sdk_iam::types::User) -> User {
    User {
        provider: ProviderKind::Aws,
        id: u.user_id().to_string(),
        name: u.user_name().to_string(),
        display_name: None,
        arn: Some(u.arn().to_string()),
        email: None,
        created_at: ts(Some(u.create_date())),
        tags: iam_tags(u.tags()),
    }
}

fn policy_ref(name: Option<&str>, arn: Option<&str>) -> Option<PolicyRef> {
    let arn = arn?;
    Some(PolicyRef {
        id: arn.to_string(),
        name: name
            .map(str::to_string)
            .unwrap_or_else(|| arn.rsplit('/').next().unwrap_or(arn).to_string()),
        kind: policy_kind(arn),
    })
}

fn iam_err<E>(
    action: &str,
    e: aws_smithy_runtime_api::client::result::SdkError<E, aws_smithy_runtime_api::http::Response>,
) -> Error
where
    E: aws_sdk_iam::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    sdk_error("iam", action, None, e)
}

fn ok_if_gone(r: Result<()>) -> Result<()> {
    match r {
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

impl AwsProvider {
    /// A policy ARN for a reference: its id when that is an ARN, else an
    /// ARN built from the name (AWS-managed for `System`, the account's own
    /// for `Custom`) in the caller's partition.
    async fn policy_arn(&self, p: &PolicyRef) -> Result<String> {
        if p.id.starts_with("arn:") {
            return Ok(p.id.clone());
        }
        let acct = self.account().await?;
        let partition = acct
            .principal
            .as_deref()
            .and_then(|a| a.split(':').nth(1))
            .unwrap_or("aws")
            .to_string();
        let name = if p.id.is_empty() { &p.name } else { &p.id };
        Ok(match p.kind {
            PolicyKind::System => format!("arn:{partition}:iam::aws:policy/{name}"),
            _ => format!("arn:{partition}:iam::{}:policy/{name}", acct.id),
        })
    }

    async fn user_attachments(
        &self,
        name: &str,
    ) -> Result<(Vec<String>, Vec<String>, Vec<String>, Vec<String>)> {
        let mut keys = Vec::new();
        let mut marker = None;
        loop {
            let out = self
                .iam
                .list_access_keys()
                .user_name(name)
                .max_items(MAX_ITEMS)
                .set_marker(marker)
                .send()
                .await
                .map_err(|e| iam_err("ListAccessKeys", e))?;
            keys.extend(
                out.access_key_metadata()
                    .iter()
                    .filter_map(|k| k.access_key_id().map(str::to_string)),
            );
            marker = out.marker().map(str::to_string);
            if !out.is_truncated() || marker.is_none() {
                break;
            }
        }
        let mut managed = Vec::new();
        let mut marker = None;
        loop {
            let out = self
                .iam
                .list_attached_user_policies()
                .user_name(name)
                .max_items(MAX_ITEMS)
                .set_marker(marker)
                .send()
                .await
                .map_err(|e| iam_err("ListAttachedUserPolicies", e))?;
            managed.extend(
                out.attached_policies()
                    .iter()
                    .filter_map(|p| p.policy_arn().map(str::to_string)),
            );
            marker = out.marker().map(str::to_string);
            if !out.is_truncated() || marker.is_none() {
                break;
            }
        }
        let mut inline = Vec::new();
        let mut marker = None;
        loop {
            let out = self
                .iam
                .list_user_policies()
                .user_name(name)
                .max_items(MAX_ITEMS)
                .set_marker(marker)
                .send()
                .await
                .map_err(|e| iam_err("ListUserPolicies", e))?;
            inline.extend(out.policy_names().iter().cloned());
            marker = out.marker().map(str::to_string);
            if !out.is_truncated() || marker.is_none() {
                break;
            }
        }
        let mut groups = Vec::new();
        let mut marker = None;
        loop {
            let out = self
                .iam
                .list_groups_for_user()
                .user_name(name)
                .max_items(MAX_ITEMS)
                .set_marker(marker)
                .send()
                .await
                .map_err(|e| iam_err("ListGroupsForUser", e))?;
            groups.extend(out.groups().iter().map(|g| g.group_name().to_string()));
            marker = out.marker().map(str::to_string);
            if !out.is_truncated() || marker.is_none() {
                break;
            }
        }
        Ok((keys, managed, inline, groups))
    }
}

#[async_trait]
impl Iam for AwsProvider {
    /// IAM `ListUsers`, MaxItems 1000, every page (Marker).
    fn users(&self) -> ResultStream<'_, User> {
        paged(move |marker| async move {
            let out = self
                .iam
                .list_users()
                .max_items(MAX_ITEMS)
                .set_marker(marker)
                .send()
                .await
                .map_err(|e| iam_err("ListUsers", e))?;
            let next = out
                .is_truncated()
                .then(|| out.marker().map(str::to_string))
                .flatten();
            Ok((out.users().iter().map(user_from).collect(), next))
        })
    }

    /// IAM `GetUser`.
    async fn user(&self, name: &str) -> Result<User> {
        let out = self
            .iam
            .get_user()
            .user_name(name)
            .send()
            .await
            .map_err(|e| iam_err("GetUser", e))?;
        out.user()
            .map(user_from)
            .ok_or_else(|| Error::decode("GetUser returned no user").with_provider(PROVIDER))
    }

    /// IAM `CreateUser` (tags kept; IAM has no display name or email).
    async fn create_user(&self, spec: &NewUser) -> Result<User> {
        self.guard("iam", "CreateUser")?;
        let tags: Vec<Tag> = spec
            .tags
            .iter()
            .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
            .collect();
        let out = self
            .iam
            .create_user()
            .user_name(&spec.name)
            .set_tags(Some(tags).filter(|t| !t.is_empty()))
            .send()
            .await
            .map_err(|e| iam_err("CreateUser", e))?;
        out.user()
            .map(user_from)
            .ok_or_else(|| Error::decode("CreateUser returned no user").with_provider(PROVIDER))
    }

    /// IAM `DeleteUser`. Access keys, managed and inline policies and group
    /// memberships are listed first: without `cleanup` any of them is a
    /// `Conflict`; with it they are removed (`DeleteAccessKey`,
    /// `DetachUserPolicy`, `DeleteUserPolicy`, `RemoveUserFromGroup`,
    /// `DeleteLoginProfile`) before the user. A missing user is `Ok`.
    async fn delete_user(&self, name: &str, opts: DeleteUserOptions) -> Result<()> {
        self.guard("iam", "DeleteUser")?;
        let (keys, managed, inline, groups) = match self.user_attachments(name).await {
            Ok(x) => x,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        let busy =
            !(keys.is_empty() && managed.is_empty() && inline.is_empty() && groups.is_empty());
        if busy && !opts.cleanup {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!(
                    "user {name} still has {} access key(s), {} attached and {} inline \
                     policy(ies) and {} group membership(s); delete with cleanup to remove them",
                    keys.len(),
                    managed.len(),
                    inline.len(),
                    groups.len()
                ),
            )
            .with_provider(PROVIDER)
            .with_service("iam")
            .with_action("DeleteUser"));
        }
        if opts.cleanup {
            for k in &keys {
                ok_if_gone(
                    self.iam
                        .delete_access_key()
                        .user_name(name)
                        .access_key_id(k)
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(|e| iam_err("DeleteAccessKey", e)),
                )?;
            }
            for arn in &managed {
                ok_if_gone(
                    self.iam
                        .detach_user_policy()
                        .user_name(name)
                        .policy_arn(arn)
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(|e| iam_err("DetachUserPolicy", e)),
                )?;
            }
            for p in &inline {
                ok_if_gone(
                    self.iam
                        .delete_user_policy()
                        .user_name(name)
                        .policy_name(p)
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(|e| iam_err("DeleteUserPolicy", e)),
                )?;
            }
            for g in &groups {
                ok_if_gone(
                    self.iam
                        .remove_user_from_group()
                        .user_name(name)
                        .group_name(g)
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(|e| iam_err("RemoveUserFromGroup", e)),
                )?;
            }
            ok_if_gone(
                self.iam
                    .delete_login_profile()
                    .user_name(name)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| iam_err("DeleteLoginProfile", e)),
            )?;
        }
        ok_if_gone(
            self.iam
                .delete_user()
                .user_name(name)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| iam_err("DeleteUser", e)),
        )
    }

    /// IAM `ListGroups`, every page.
    fn groups(&self) -> ResultStream<'_, Group> {
        paged(move |marker| async move {
            let out = self
                .iam
                .list_groups()
                .max_items(MAX_ITEMS)
                .set_marker(marker)
                .send()
                .await
                .map_err(|e| iam_err("ListGroups", e))?;
            let next = out
                .is_truncated()
                .then(|| out.marker().map(str::to_string))
                .flatten();
            let items = out
                .groups()
                .iter()
                .map(|g| Group {
                    provider: ProviderKind::Aws,
                    id: g.group_id().to_string(),
                    name: g.group_name().to_string(),
                    description: None,
                    arn: Some(g.arn().to_string()),
                    created_at: ts(Some(g.create_date())),
                })
                .collect();
            Ok((items, next))
        })
    }

    /// IAM `ListRoles`, every page; the trust policy is URL-decoded JSON.
    fn roles(&self) -> ResultStream<'_, Role> {
        paged(move |marker| async move {
            let out = self
                .iam
                .list_roles()
                .max_items(MAX_ITEMS)
                .set_marker(marker)
                .send()
                .await
                .map_err(|e| iam_err("ListRoles", e))?;
            let next = out
                .is_truncated()
                .then(|| out.marker().map(str::to_string))
                .flatten();
            let items = out
                .roles()
                .iter()
                .map(|r| Role {
                    provider: ProviderKind::Aws,
                    id: r.role_id().to_string(),
                    name: r.role_name().to_string(),
                    description: r.description().map(str::to_string),
                    arn: Some(r.arn().to_string()),
                    trust_policy: r
                        .assume_role_policy_document()
                        .and_then(|d| serde_json::from_str(&percent_decode(d)).ok()),
                    created_at: ts(Some(r.create_date())),
                })
                .collect();
            Ok((items, next))
        })
    }

    /// IAM `ListPolicies` with `Scope` `Local` (custom), `AWS` (system) or
    /// `All`, every page.
    fn policies(&self, kind: Option<PolicyKind>) -> ResultStream<'_, Policy> {
        let scope = match kind {
            Some(PolicyKind::System) => PolicyScopeType::Aws,
            Some(PolicyKind::Custom) => PolicyScopeType::Local,
            _ => PolicyScopeType::All,
        };
        paged(move |marker| {
            let scope = scope.clone();
            async move {
                let out = self
                    .iam
                    .list_policies()
                    .scope(scope)
                    .max_items(MAX_ITEMS)
                    .set_marker(marker)
                    .send()
                    .await
                    .map_err(|e| iam_err("ListPolicies", e))?;
                let next = out
                    .is_truncated()
                    .then(|| out.marker().map(str::to_string))
                    .flatten();
                let items = out
                    .policies()
                    .iter()
                    .filter_map(|p| {
                        let arn = p.arn()?.to_string();
                        Some(Policy {
                            provider: ProviderKind::Aws,
                            kind: policy_kind(&arn),
                            name: p.policy_name().unwrap_or_default().to_string(),
                            id: arn,
                            description: p.description().map(str::to_string),
                            document: None,
                            attachment_count: p
                                .attachment_count()
                                .and_then(|c| u64::try_from(c).ok()),
                            created_at: ts(p.create_date()),
                        })
                    })
                    .collect();
                Ok((items, next))
            }
        })
    }

    /// IAM `ListAttachedUserPolicies` / `ListAttachedGroupPolicies` /
    /// `ListAttachedRolePolicies`, every page.
    fn attached_policies<'a>(&'a self, principal: &'a Principal) -> ResultStream<'a, PolicyRef> {
        paged(move |marker| async move {
            let (refs, truncated, next) = match principal {
                Principal::User(n) => {
                    let o = self
                        .iam
                        .list_attached_user_policies()
                        .user_name(n)
                        .max_items(MAX_ITEMS)
                        .set_marker(marker)
                        .send()
                        .await
                        .map_err(|e| iam_err("ListAttachedUserPolicies", e))?;
                    let r: Vec<PolicyRef> = o
                        .attached_policies()
                        .iter()
                        .filter_map(|p| policy_ref(p.policy_name(), p.policy_arn()))
                        .collect();
                    (r, o.is_truncated(), o.marker().map(str::to_string))
                }
                Principal::Group(n) => {
                    let o = self
                        .iam
                        .list_attached_group_policies()
                        .group_name(n)
                        .max_items(MAX_ITEMS)
                        .set_marker(marker)
                        .send()
                        .await
                        .map_err(|e| iam_err("ListAttachedGroupPolicies", e))?;
                    let r: Vec<PolicyRef> = o
                        .attached_policies()
                        .iter()
                        .filter_map(|p| policy_ref(p.policy_name(), p.policy_arn()))
                        .collect();
                    (r, o.is_truncated(), o.marker().map(str::to_string))
                }
                Principal::Role(n) => {
                    let o = self
                        .iam
                        .list_attached_role_policies()
                        .role_name(n)
                        .max_items(MAX_ITEMS)
                        .set_marker(marker)
                        .send()
                        .await
                        .map_err(|e| iam_err("ListAttachedRolePolicies", e))?;
                    let r: Vec<PolicyRef> = o
                        .attached_policies()
                        .iter()
                        .filter_map(|p| policy_ref(p.policy_name(), p.policy_arn()))
                        .collect();
                    (r, o.is_truncated(), o.marker().map(str::to_string))
                }
            };
            Ok((refs, if truncated { next } else { None }))
        })
    }

    /// IAM `AttachUserPolicy` / `AttachGroupPolicy` / `AttachRolePolicy`.
    async fn attach_policy(&self, principal: &Principal, policy: &PolicyRef) -> Result<()> {
        let action = match principal {
            Principal::Group(_) => "AttachGroupPolicy",
            Principal::Role(_) => "AttachRolePolicy",
            _ => "AttachUserPolicy",
        };
        self.guard("iam", action)?;
        let arn = self.policy_arn(policy).await?;
        match principal {
            Principal::User(n) => self
                .iam
                .attach_user_policy()
                .user_name(n)
                .policy_arn(arn)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| iam_err(action, e)),
            Principal::Group(n) => self
                .iam
                .attach_group_policy()
                .group_name(n)
                .policy_arn(arn)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| iam_err(action, e)),
            Principal::Role(n) => self
                .iam
                .attach_role_policy()
                .role_name(n)
                .policy_arn(arn)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| iam_err(action, e)),
        }
    }

    /// IAM `DetachUserPolicy` / `DetachGroupPolicy` / `DetachRolePolicy`;
    /// not attached (`NoSuchEntity`) is `Ok`.
    async fn detach_policy(&self, principal: &Principal, policy: &PolicyRef) -> Result<()> {
        let action = match principal {
            Principal::Group(_) => "DetachGroupPolicy",
            Principal::Role(_) => "DetachRolePolicy",
            _ => "DetachUserPolicy",
        };
        self.guard("iam", action)?;
        let arn = self.policy_arn(policy).await?;
        let r = match principal {
            Principal::User(n) => self
                .iam
                .detach_user_policy()
                .user_name(n)
                .policy_arn(arn)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| iam_err(action, e)),
            Principal::Group(n) => self
                .iam
                .detach_group_policy()
                .group_name(n)
                .policy_arn(arn)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| iam_err(action, e)),
            Principal::Role(n) => self
                .iam
                .detach_role_policy()
                .role_name(n)
                .policy_arn(arn)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| iam_err(action, e)),
        };
        ok_if_gone(r)
    }

    /// IAM `ListAccessKeys` (metadata only; `last_used_at` would need one
    /// `GetAccessKeyLastUsed` per key and is left `None`).
    fn access_keys<'a>(&'a self, user: &'a str) -> ResultStream<'a, AccessKeyInfo> {
        paged(move |marker| async move {
            let out = self
                .iam
                .list_access_keys()
                .user_name(user)
                .max_items(MAX_ITEMS)
                .set_marker(marker)
                .send()
                .await
                .map_err(|e| iam_err("ListAccessKeys", e))?;
            let next = out
                .is_truncated()
                .then(|| out.marker().map(str::to_string))
                .flatten();
            let items = out
                .access_key_metadata()
                .iter()
                .filter_map(|k| {
                    let raw = k
                        .status()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default();
                    Some(AccessKeyInfo {
                        provider: ProviderKind::Aws,
                        user: k.user_name().unwrap_or(user).to_string(),
                        id: k.access_key_id()?.to_string(),
                        active: raw == "Active",
                        raw_status: raw,
                        created_at: ts(k.create_date()),
                        last_used_at: None,
                    })
                })
                .collect();
            Ok((items, next))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_kinds_from_arns() {
        assert_eq!(
            policy_kind("arn:aws:iam::aws:policy/ReadOnlyAccess"),
            PolicyKind::System
        );
        assert_eq!(
            policy_kind("arn:aws-cn:iam::aws:policy/job-function/ViewOnlyAccess"),
            PolicyKind::System
        );
        assert_eq!(
            policy_kind("arn:aws:iam::123456789012:policy/mine"),
            PolicyKind::Custom
        );
        let r = policy_ref(None, Some("arn:aws:iam::aws:policy/a/b/Name")).unwrap();
        assert_eq!(r.name, "Name");
    }
}
