//! IAM: users, groups, roles, managed policies, attachments, access keys.

use std::future::Future;

use async_trait::async_trait;
use aws_sdk_iam::types::{PolicyScopeType, Tag};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response as HttpResponse;

use super::AwsProvider;
use super::client::{PROVIDER, new_client_token, paged, percent_decode, sdk_error, ts};
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

/// The create marker ([`MARKER_TAG`](super::create::MARKER_TAG)) is left out.
fn iam_tags(tags: &[Tag]) -> Tags {
    tags.iter()
        .filter(|t| t.key() != super::create::MARKER_TAG)
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

fn iam_err<E>(action: &str, e: SdkError<E, HttpResponse>) -> Error
where
    E: aws_sdk_iam::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    sdk_error("iam", action, None, e)
}

/// IAM's not-found code. It names no entity: a call on a user that does
/// not exist and a call whose policy or key is not there answer alike, so
/// callers decide which entity the answer is about.
const NO_SUCH_ENTITY: &str = "NoSuchEntity";

fn ok_if_gone(r: Result<()>) -> Result<()> {
    super::client::ok_if_gone(r, &[NO_SUCH_ENTITY])
}

/// Awaits one IAM call; its error becomes `action`'s.
async fn iam_call<T, E>(
    action: &str,
    call: impl Future<Output = std::result::Result<T, SdkError<E, HttpResponse>>>,
) -> Result<T>
where
    E: aws_sdk_iam::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    call.await.map_err(|e| iam_err(action, e))
}

/// Awaits one IAM call whose answer carries nothing kept.
async fn iam_done<T, E>(
    action: &str,
    call: impl Future<Output = std::result::Result<T, SdkError<E, HttpResponse>>>,
) -> Result<()>
where
    E: aws_sdk_iam::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    iam_call(action, call).await.map(|_| ())
}

/// The `Marker` of the next page: only while IAM says the list is truncated.
fn next_marker(is_truncated: bool, marker: Option<&str>) -> Option<String> {
    is_truncated.then(|| marker.map(str::to_string)).flatten()
}

/// Every item of a `Marker`-paged IAM list, page after page until a page
/// names no next marker.
async fn all_pages<T, F, Fut>(mut fetch: F) -> Result<Vec<T>>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, Option<String>)>>,
{
    let mut all = Vec::new();
    let mut marker = None;
    loop {
        let (items, next) = fetch(marker).await?;
        all.extend(items);
        marker = next;
        if marker.is_none() {
            return Ok(all);
        }
    }
}

/// Attaching or detaching a managed policy: the one path behind
/// `attach_policy` and `detach_policy`.
#[derive(Clone, Copy)]
enum Link {
    Attach,
    Detach,
}

/// The IAM action that attaches or detaches a managed policy on this kind of
/// principal.
fn link_action(link: Link, principal: &Principal) -> &'static str {
    match (link, principal) {
        (Link::Attach, Principal::User(_)) => "AttachUserPolicy",
        (Link::Attach, Principal::Group(_)) => "AttachGroupPolicy",
        (Link::Attach, Principal::Role(_)) => "AttachRolePolicy",
        (Link::Detach, Principal::User(_)) => "DetachUserPolicy",
        (Link::Detach, Principal::Group(_)) => "DetachGroupPolicy",
        (Link::Detach, Principal::Role(_)) => "DetachRolePolicy",
    }
}

/// The IAM action that lists the managed policies attached to this kind of
/// principal.
fn list_attached_action(principal: &Principal) -> &'static str {
    match principal {
        Principal::User(_) => "ListAttachedUserPolicies",
        Principal::Group(_) => "ListAttachedGroupPolicies",
        Principal::Role(_) => "ListAttachedRolePolicies",
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

    /// One page of `ListAttachedUserPolicies` / `ListAttachedGroupPolicies` /
    /// `ListAttachedRolePolicies`, by the principal's kind.
    async fn attached_page(
        &self,
        principal: &Principal,
        marker: Option<String>,
    ) -> Result<(Vec<PolicyRef>, Option<String>)> {
        let action = list_attached_action(principal);
        let iam = &self.iam;
        let (policies, is_truncated, marker) = match principal {
            Principal::User(n) => {
                let list = iam.list_attached_user_policies().user_name(n);
                let o =
                    iam_call(action, list.max_items(MAX_ITEMS).set_marker(marker).send()).await?;
                (o.attached_policies, o.is_truncated, o.marker)
            }
            Principal::Group(n) => {
                let list = iam.list_attached_group_policies().group_name(n);
                let o =
                    iam_call(action, list.max_items(MAX_ITEMS).set_marker(marker).send()).await?;
                (o.attached_policies, o.is_truncated, o.marker)
            }
            Principal::Role(n) => {
                let list = iam.list_attached_role_policies().role_name(n);
                let o =
                    iam_call(action, list.max_items(MAX_ITEMS).set_marker(marker).send()).await?;
                (o.attached_policies, o.is_truncated, o.marker)
            }
        };
        let refs = policies
            .unwrap_or_default()
            .iter()
            .filter_map(|p| policy_ref(p.policy_name(), p.policy_arn()))
            .collect();
        Ok((refs, next_marker(is_truncated, marker.as_deref())))
    }

    /// `AttachUserPolicy` / `AttachGroupPolicy` / `AttachRolePolicy` or their
    /// `Detach*` twins, by the principal's kind (read-only guard first).
    /// Whether a user, group or role exists (`GetUser` / `GetGroup` /
    /// `GetRole`; `NoSuchEntity` is `false`).
    async fn principal_exists(&self, principal: &Principal) -> Result<bool> {
        let iam = &self.iam;
        let r = match principal {
            Principal::User(n) => iam_done("GetUser", iam.get_user().user_name(n).send()).await,
            Principal::Group(n) => {
                iam_done(
                    "GetGroup",
                    iam.get_group().group_name(n).max_items(1).send(),
                )
                .await
            }
            Principal::Role(n) => iam_done("GetRole", iam.get_role().role_name(n).send()).await,
        };
        match r {
            Ok(()) => Ok(true),
            Err(e) if e.code() == Some(NO_SUCH_ENTITY) => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn link_policy(
        &self,
        link: Link,
        principal: &Principal,
        policy: &PolicyRef,
    ) -> Result<()> {
        let action = link_action(link, principal);
        self.guard("iam", action)?;
        let arn = self.policy_arn(policy).await?;
        let iam = &self.iam;
        match (link, principal) {
            (Link::Attach, Principal::User(n)) => {
                let call = iam.attach_user_policy().user_name(n).policy_arn(arn);
                iam_done(action, call.send()).await
            }
            (Link::Attach, Principal::Group(n)) => {
                let call = iam.attach_group_policy().group_name(n).policy_arn(arn);
                iam_done(action, call.send()).await
            }
            (Link::Attach, Principal::Role(n)) => {
                let call = iam.attach_role_policy().role_name(n).policy_arn(arn);
                iam_done(action, call.send()).await
            }
            (Link::Detach, Principal::User(n)) => {
                let call = iam.detach_user_policy().user_name(n).policy_arn(arn);
                iam_done(action, call.send()).await
            }
            (Link::Detach, Principal::Group(n)) => {
                let call = iam.detach_group_policy().group_name(n).policy_arn(arn);
                iam_done(action, call.send()).await
            }
            (Link::Detach, Principal::Role(n)) => {
                let call = iam.detach_role_policy().role_name(n).policy_arn(arn);
                iam_done(action, call.send()).await
            }
        }
    }

    /// One page of `ListAccessKeys` for a user (metadata only).
    async fn access_key_page(
        &self,
        user: &str,
        marker: Option<String>,
    ) -> Result<(Vec<AccessKeyInfo>, Option<String>)> {
        let list = self.iam.list_access_keys().user_name(user);
        let out = iam_call(
            "ListAccessKeys",
            list.max_items(MAX_ITEMS).set_marker(marker).send(),
        )
        .await?;
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
        Ok((items, next_marker(out.is_truncated(), out.marker())))
    }

    /// What stands in the way of deleting a user, every page of each list:
    /// access key ids (`ListAccessKeys`), attached policy ARNs
    /// (`ListAttachedUserPolicies`), inline policy names
    /// (`ListUserPolicies`) and group names (`ListGroupsForUser`).
    async fn user_attachments(
        &self,
        name: &str,
    ) -> Result<(Vec<String>, Vec<String>, Vec<String>, Vec<String>)> {
        let keys = all_pages(|marker| self.access_key_page(name, marker)).await?;
        let user = Principal::User(name.to_string());
        let managed = all_pages(|marker| self.attached_page(&user, marker)).await?;
        let inline = all_pages(|marker| async move {
            let list = self.iam.list_user_policies().user_name(name);
            let out = iam_call(
                "ListUserPolicies",
                list.max_items(MAX_ITEMS).set_marker(marker).send(),
            )
            .await?;
            let next = next_marker(out.is_truncated(), out.marker());
            Ok((out.policy_names, next))
        })
        .await?;
        let groups = all_pages(|marker| async move {
            let list = self.iam.list_groups_for_user().user_name(name);
            let out = iam_call(
                "ListGroupsForUser",
                list.max_items(MAX_ITEMS).set_marker(marker).send(),
            )
            .await?;
            let names = out.groups().iter().map(|g| g.group_name().to_string());
            Ok((
                names.collect(),
                next_marker(out.is_truncated(), out.marker()),
            ))
        })
        .await?;
        Ok((
            keys.into_iter().map(|k| k.id).collect(),
            managed.into_iter().map(|p| p.id).collect(),
            inline,
            groups,
        ))
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
            let next = next_marker(out.is_truncated(), out.marker());
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

    /// IAM `CreateUser` (tags kept; IAM has no display name or email),
    /// tagged with a create marker: an unanswered attempt is followed by
    /// `GetUser`, and the user is ours when it carries the marker; an
    /// `EntityAlreadyExists` after an unanswered attempt resolves the same
    /// way (see `create.rs`).
    async fn create_user(&self, spec: &NewUser) -> Result<User> {
        self.guard("iam", "CreateUser")?;
        let marker = new_client_token();
        let mut all = spec.tags.clone();
        all.insert(super::create::MARKER_TAG.into(), marker.clone());
        let tags: Vec<Tag> = all
            .iter()
            .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
            .collect();
        let send = || async {
            let out = self
                .iam
                .create_user()
                .user_name(&spec.name)
                .set_tags(Some(tags.clone()))
                .customize()
                .config_override(
                    aws_sdk_iam::config::Builder::default()
                        .retry_config(super::create::no_sdk_retry()),
                )
                .send()
                .await
                .map_err(|e| iam_err("CreateUser", e))?;
            out.user()
                .map(user_from)
                .ok_or_else(|| Error::decode("CreateUser returned no user").with_provider(PROVIDER))
        };
        let find = || async {
            let out = match self.iam.get_user().user_name(&spec.name).send().await {
                Ok(out) => out,
                Err(e) => {
                    let e = iam_err("GetUser", e);
                    return if e.code() == Some(NO_SUCH_ENTITY) {
                        Ok(None)
                    } else {
                        Err(e)
                    };
                }
            };
            Ok(out
                .user()
                .filter(|u| {
                    u.tags()
                        .iter()
                        .any(|t| t.key() == super::create::MARKER_TAG && t.value() == marker)
                })
                .map(user_from))
        };
        super::create::create_once(self.max_attempts(), false, send, find).await
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
            Err(e) if e.code() == Some(NO_SUCH_ENTITY) => return Ok(()),
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
            let iam = &self.iam;
            for k in &keys {
                let call = iam.delete_access_key().user_name(name).access_key_id(k);
                ok_if_gone(iam_done("DeleteAccessKey", call.send()).await)?;
            }
            for arn in &managed {
                let call = iam.detach_user_policy().user_name(name).policy_arn(arn);
                ok_if_gone(iam_done("DetachUserPolicy", call.send()).await)?;
            }
            for p in &inline {
                let call = iam.delete_user_policy().user_name(name).policy_name(p);
                ok_if_gone(iam_done("DeleteUserPolicy", call.send()).await)?;
            }
            for g in &groups {
                let call = iam.remove_user_from_group().user_name(name).group_name(g);
                ok_if_gone(iam_done("RemoveUserFromGroup", call.send()).await)?;
            }
            let call = iam.delete_login_profile().user_name(name);
            ok_if_gone(iam_done("DeleteLoginProfile", call.send()).await)?;
        }
        let call = self.iam.delete_user().user_name(name);
        ok_if_gone(iam_done("DeleteUser", call.send()).await)
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
            let next = next_marker(out.is_truncated(), out.marker());
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
            let next = next_marker(out.is_truncated(), out.marker());
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
                let next = next_marker(out.is_truncated(), out.marker());
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
        paged(move |marker| self.attached_page(principal, marker))
    }

    /// IAM `AttachUserPolicy` / `AttachGroupPolicy` / `AttachRolePolicy`.
    async fn attach_policy(&self, principal: &Principal, policy: &PolicyRef) -> Result<()> {
        self.link_policy(Link::Attach, principal, policy).await
    }

    /// IAM `DetachUserPolicy` / `DetachGroupPolicy` / `DetachRolePolicy`.
    /// IAM answers `NoSuchEntity` both when the policy is not attached and
    /// when the principal does not exist; the principal is then looked up
    /// (`GetUser` / `GetGroup` / `GetRole`): present, the policy was not
    /// attached (`Ok`); missing, the `NoSuchEntity` is returned (`NotFound`).
    async fn detach_policy(&self, principal: &Principal, policy: &PolicyRef) -> Result<()> {
        match self.link_policy(Link::Detach, principal, policy).await {
            Err(e) if e.code() == Some(NO_SUCH_ENTITY) => {
                match self.principal_exists(principal).await {
                    Ok(true) => Ok(()),
                    Ok(false) => Err(e),
                    Err(lookup) => Err(lookup),
                }
            }
            other => other,
        }
    }

    /// IAM `ListAccessKeys` (metadata only; `last_used_at` would need one
    /// `GetAccessKeyLastUsed` per key and is left `None`).
    fn access_keys<'a>(&'a self, user: &'a str) -> ResultStream<'a, AccessKeyInfo> {
        paged(move |marker| self.access_key_page(user, marker))
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

    /// Every principal kind reaches its own IAM action, with its own name
    /// parameter and the policy ARN, on the simulator's request log. (The
    /// sim answers group and role attachments with an error; only the
    /// requests matter here.)
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn each_principal_kind_sends_its_own_actions() {
        use futures::TryStreamExt;

        let aws_only = multicloud_sim::Sim::builder().providers(&["aws"]);
        let mut sim = aws_only.https(true).start().await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        sim.write_ca_file(&dir.path().join("ca.pem")).unwrap();
        let file = crate::config::AccountsFile::parse(&sim.accounts_toml()).unwrap();
        let account = (file.accounts.into_iter())
            .find(|a| a.provider == ProviderKind::Aws)
            .unwrap();
        let p = crate::Cloud::connect(&account).await.unwrap();
        let iam = p.iam().unwrap();
        let policy = PolicyRef {
            id: "arn:aws:iam::aws:policy/ReadOnlyAccess".into(),
            name: "ReadOnlyAccess".into(),
            kind: PolicyKind::System,
        };
        let arn = "PolicyArn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess";
        let kinds = [
            (Principal::User("u1".into()), "User", "UserName=u1"),
            (Principal::Group("g1".into()), "Group", "GroupName=g1"),
            (Principal::Role("r1".into()), "Role", "RoleName=r1"),
        ];
        for (principal, kind, name) in kinds {
            sim.requests().clear();
            let _ = iam
                .attached_policies(&principal)
                .try_collect::<Vec<_>>()
                .await;
            let _ = iam.attach_policy(&principal, &policy).await;
            let _ = iam.detach_policy(&principal, &policy).await;
            let mut log = sim.requests().entries();
            // A `NoSuchEntity` from the detach is followed by one lookup
            // of the principal (not attached vs. no such principal).
            let lookups = log.split_off(3.min(log.len()));
            assert!(
                lookups.iter().all(|e| e.action == format!("Get{kind}")) && lookups.len() <= 1,
                "{kind}: {:?}",
                lookups.iter().map(|e| &e.action).collect::<Vec<_>>()
            );
            let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
            assert_eq!(
                actions,
                [
                    format!("ListAttached{kind}Policies"),
                    format!("Attach{kind}Policy"),
                    format!("Detach{kind}Policy"),
                ],
                "{kind}"
            );
            for (i, e) in log.iter().enumerate() {
                let body = String::from_utf8_lossy(&e.body);
                assert!(body.contains(name), "{kind}: {body}");
                assert_eq!(body.contains(arn), i > 0, "{kind}: {body}");
            }
        }
    }
}
