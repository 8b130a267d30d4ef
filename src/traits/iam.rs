//! Identity and access management.

use async_trait::async_trait;

use super::ResultStream;
use crate::error::Result;
use crate::model::{
    AccessKeyInfo, DeleteUserOptions, Group, NewUser, Policy, PolicyKind, PolicyRef, Principal,
    Role, User,
};

/// Users, groups, roles and policies of one cloud account. IAM is global:
/// no call takes a region.
#[async_trait]
pub trait Iam: Send + Sync {
    /// Every user.
    fn users(&self) -> ResultStream<'_, User>;

    /// One user by name; `NotFound` when missing.
    async fn user(&self, name: &str) -> Result<User>;

    /// Create a user.
    async fn create_user(&self, spec: &NewUser) -> Result<User>;

    /// Delete a user. With attached policies, access keys or group
    /// memberships it fails with `Conflict` unless `opts.cleanup` is set.
    /// A missing user is `Ok`.
    async fn delete_user(&self, name: &str, opts: DeleteUserOptions) -> Result<()>;

    /// Every group.
    fn groups(&self) -> ResultStream<'_, Group>;

    /// Every role.
    fn roles(&self) -> ResultStream<'_, Role>;

    /// Policies, optionally only system or only custom ones.
    fn policies(&self, kind: Option<PolicyKind>) -> ResultStream<'_, Policy>;

    /// Policies attached to a principal.
    fn attached_policies<'a>(&'a self, principal: &'a Principal) -> ResultStream<'a, PolicyRef>;

    /// Attach a policy to a principal.
    async fn attach_policy(&self, principal: &Principal, policy: &PolicyRef) -> Result<()>;

    /// Detach a policy from a principal. Not attached is `Ok`.
    async fn detach_policy(&self, principal: &Principal, policy: &PolicyRef) -> Result<()>;

    /// Access key metadata of a user (never the secrets).
    fn access_keys<'a>(&'a self, user: &'a str) -> ResultStream<'a, AccessKeyInfo>;
}
