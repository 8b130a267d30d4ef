//! [`Iam`] on RAM 2015-05-01.
//!
//! `ListUsers`, `ListGroups`, `ListRoles` and `ListPolicies` page by
//! `Marker` with `MaxItems` 1000 (the maximum); the per-principal lists
//! (`ListPoliciesFor{User,Group,Role}`, `ListAccessKeys`,
//! `ListGroupsForUser`) answer in one page. RAM is global: calls go to
//! `ram.aliyuncs.com` without a region.

use async_trait::async_trait;
use futures::StreamExt;
use serde::Deserialize;

use super::AlibabaProvider;
use super::client::CallKind;
use super::config::Service;
use super::ecs::{Ack, ok_if_missing};
use super::iam::{
    ListAccessKeysResponse, ListGroupsResponse, ListPoliciesResponse, ListRolesResponse,
    ListUsersResponse, UserWire, attach_policy_params, create_user_params, delete_user_params,
    detach_policy_params, list_access_keys_params, list_groups_params, list_policies_for_params,
    list_policies_params, list_roles_params, list_users_params,
};
use super::wire::{Params, push};
use crate::error::{Error, ErrorKind, Result};
use crate::model::{
    AccessKeyInfo, DeleteUserOptions, Group, NewUser, Policy, PolicyKind, PolicyRef, Principal,
    Role, User,
};
use crate::paging::{Page, marker_pager};
use crate::traits::{Iam, ResultStream};

/// The `GetUser` / `CreateUser` answer.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct UserResponse {
    /// The user.
    #[serde(rename = "User", default)]
    pub user: Option<UserWire>,
}

fn user_from(action: &str, r: UserResponse) -> Result<User> {
    r.user.as_ref().and_then(UserWire::to_user).ok_or_else(|| {
        Error::decode(format!("{action}: no User in the answer")).with_provider("alibaba")
    })
}

fn single_page<'a, T: Send + 'a>(
    fut: impl std::future::Future<Output = Result<Vec<T>>> + Send + 'a,
) -> ResultStream<'a, T> {
    futures::stream::once(fut)
        .map(|r| match r {
            Ok(items) => futures::stream::iter(items.into_iter().map(Ok)).boxed(),
            Err(e) => futures::stream::once(async move { Err(e) }).boxed(),
        })
        .flatten()
        .boxed()
}

impl AlibabaProvider {
    async fn ram<T: for<'de> Deserialize<'de>>(
        &self,
        action: &str,
        params: &Params,
        kind: CallKind,
    ) -> Result<T> {
        self.client()
            .call(Service::Ram, action, None, params, kind)
            .await
    }

    async fn users_page(&self, marker: Option<String>) -> Result<Page<User>> {
        let r: ListUsersResponse = self
            .ram(
                "ListUsers",
                &list_users_params(marker.as_deref(), None),
                CallKind::Read,
            )
            .await?;
        Ok(Page::new(r.to_users(), r.page.next_page()))
    }

    async fn groups_page(&self, marker: Option<String>) -> Result<Page<Group>> {
        let r: ListGroupsResponse = self
            .ram(
                "ListGroups",
                &list_groups_params(marker.as_deref(), None),
                CallKind::Read,
            )
            .await?;
        Ok(Page::new(r.to_groups(), r.page.next_page()))
    }

    async fn roles_page(&self, marker: Option<String>) -> Result<Page<Role>> {
        let r: ListRolesResponse = self
            .ram(
                "ListRoles",
                &list_roles_params(marker.as_deref(), None),
                CallKind::Read,
            )
            .await?;
        Ok(Page::new(r.to_roles(), r.page.next_page()))
    }

    async fn policies_page(
        &self,
        kind: Option<PolicyKind>,
        marker: Option<String>,
    ) -> Result<Page<Policy>> {
        let r: ListPoliciesResponse = self
            .ram(
                "ListPolicies",
                &list_policies_params(kind, marker.as_deref(), None),
                CallKind::Read,
            )
            .await?;
        Ok(Page::new(r.to_policies(), r.page.next_page()))
    }

    async fn attached(&self, principal: &Principal) -> Result<Vec<PolicyRef>> {
        let (action, p) = list_policies_for_params(principal);
        let r: ListPoliciesResponse = self.ram(action, &p, CallKind::Read).await?;
        Ok(r.to_policy_refs())
    }

    async fn keys_of(&self, user: &str) -> Result<Vec<AccessKeyInfo>> {
        let r: ListAccessKeysResponse = self
            .ram(
                "ListAccessKeys",
                &list_access_keys_params(user),
                CallKind::Read,
            )
            .await?;
        Ok(r.to_access_keys(user))
    }

    async fn groups_of(&self, user: &str) -> Result<Vec<Group>> {
        let mut p = Params::new();
        push(&mut p, "UserName", user);
        let r: ListGroupsResponse = self.ram("ListGroupsForUser", &p, CallKind::Read).await?;
        Ok(r.to_groups())
    }
}

#[async_trait]
impl Iam for AlibabaProvider {
    fn users(&self) -> ResultStream<'_, User> {
        marker_pager(None, move |m| self.users_page(m))
    }

    async fn user(&self, name: &str) -> Result<User> {
        let r: UserResponse = self
            .ram("GetUser", &delete_user_params(name), CallKind::Read)
            .await?;
        user_from("GetUser", r)
    }

    /// RAM's `CreateUser` takes no client token, so it is never sent twice
    /// blindly: when an attempt fails without a definite answer
    /// (`Unavailable`, `Timeout`: the answer may have been lost after RAM
    /// made the user), the user is looked up by name (`GetUser`) and
    /// returned if it exists; only when it does not is `CreateUser` sent
    /// again (up to three attempts). `EntityAlreadyExists` after such an
    /// unsure attempt is the user that attempt made.
    async fn create_user(&self, spec: &NewUser) -> Result<User> {
        const ATTEMPTS: usize = 3;
        let params = create_user_params(spec);
        let mut unsure = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let err = match self
                .ram::<UserResponse>("CreateUser", &params, CallKind::Mutation)
                .await
            {
                Ok(r) => return user_from("CreateUser", r),
                Err(e) => e,
            };
            if unsure && err.kind() == ErrorKind::AlreadyExists {
                return self.user(&spec.name).await;
            }
            if !matches!(err.kind(), ErrorKind::Unavailable | ErrorKind::Timeout) {
                return Err(err);
            }
            match self.user(&spec.name).await {
                Ok(u) => {
                    tracing::debug!(user = %spec.name, error = %err, "CreateUser answer lost; the user exists");
                    return Ok(u);
                }
                Err(e) if e.kind() == ErrorKind::NotFound && attempt < ATTEMPTS => unsure = true,
                Err(_) => return Err(err),
            }
        }
    }

    /// Without `cleanup`, a user with attached policies, access keys or
    /// groups is a `Conflict` (checked before `DeleteUser`, which RAM
    /// refuses with `DeleteConflict.User.*` too). With it, policies are
    /// detached, keys deleted and groups left first.
    async fn delete_user(&self, name: &str, opts: DeleteUserOptions) -> Result<()> {
        let policies = match self.attached(&Principal::User(name.to_string())).await {
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
            other => other?,
        };
        let keys = self.keys_of(name).await?;
        let groups = match self.groups_of(name).await {
            // A deployment without ListGroupsForUser: RAM's DeleteUser still
            // refuses a user in groups (DeleteConflict.User.Group, Conflict).
            Err(e) if e.kind() == ErrorKind::Unsupported => {
                tracing::warn!(error = %e, "ListGroupsForUser is not offered; group memberships are not removed");
                Vec::new()
            }
            other => other?,
        };
        let clean = policies.is_empty() && keys.is_empty() && groups.is_empty();
        if !opts.cleanup && !clean {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!(
                    "RAM user {name} still has {} policies, {} access keys and {} groups \
                     (delete with cleanup to remove them first)",
                    policies.len(),
                    keys.len(),
                    groups.len()
                ),
            )
            .with_provider("alibaba")
            .with_service("ram"));
        }
        let who = Principal::User(name.to_string());
        for pol in &policies {
            self.detach_policy(&who, pol).await?;
        }
        for k in &keys {
            let mut p = Params::new();
            push(&mut p, "UserName", name);
            push(&mut p, "UserAccessKeyId", &k.id);
            ok_if_missing(
                self.ram::<Ack>("DeleteAccessKey", &p, CallKind::Idempotent)
                    .await
                    .map(|_| ()),
            )?;
        }
        for g in &groups {
            let mut p = Params::new();
            push(&mut p, "UserName", name);
            push(&mut p, "GroupName", &g.name);
            ok_if_missing(
                self.ram::<Ack>("RemoveUserFromGroup", &p, CallKind::Idempotent)
                    .await
                    .map(|_| ()),
            )?;
        }
        ok_if_missing(
            self.ram::<Ack>(
                "DeleteUser",
                &delete_user_params(name),
                CallKind::Idempotent,
            )
            .await
            .map(|_| ()),
        )
    }

    fn groups(&self) -> ResultStream<'_, Group> {
        marker_pager(None, move |m| self.groups_page(m))
    }

    fn roles(&self) -> ResultStream<'_, Role> {
        marker_pager(None, move |m| self.roles_page(m))
    }

    fn policies(&self, kind: Option<PolicyKind>) -> ResultStream<'_, Policy> {
        marker_pager(None, move |m| self.policies_page(kind, m))
    }

    fn attached_policies<'a>(&'a self, principal: &'a Principal) -> ResultStream<'a, PolicyRef> {
        single_page(self.attached(principal))
    }

    /// Attaching an attached policy is `Ok` (RAM answers
    /// `EntityAlreadyExists.*.Policy`).
    async fn attach_policy(&self, principal: &Principal, policy: &PolicyRef) -> Result<()> {
        let (action, p) = attach_policy_params(principal, policy);
        match self.ram::<Ack>(action, &p, CallKind::Idempotent).await {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn detach_policy(&self, principal: &Principal, policy: &PolicyRef) -> Result<()> {
        let (action, p) = detach_policy_params(principal, policy);
        ok_if_missing(
            self.ram::<Ack>(action, &p, CallKind::Idempotent)
                .await
                .map(|_| ()),
        )
    }

    fn access_keys<'a>(&'a self, user: &'a str) -> ResultStream<'a, AccessKeyInfo> {
        single_page(self.keys_of(user))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_user_answer() {
        // The vendor's documented GetUser answer shape.
        let r: UserResponse = serde_json::from_str(
            r#"{"RequestId":"r","User":{"UserId":"122748924538****","UserName":"zhangq****","DisplayName":"zhangq****","CreateDate":"2015-01-23T12:33:18Z"}}"#,
        )
        .unwrap();
        let u = user_from("GetUser", r).unwrap();
        assert_eq!(u.name, "zhangq****");
        assert_eq!(u.id, "122748924538****");
        let e = user_from("GetUser", UserResponse::default()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decode);
    }
}
