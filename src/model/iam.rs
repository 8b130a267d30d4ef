//! Identity and access: users, groups, roles, policies, access keys.

use serde::{Deserialize, Serialize};

use super::{ProviderKind, Tags, Timestamp};

/// An IAM / RAM / CAM user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Which cloud.
    pub provider: ProviderKind,
    /// Native id (user id, UIN).
    pub id: String,
    /// Login name.
    pub name: String,
    /// Display name.
    pub display_name: Option<String>,
    /// Globally unique name (ARN, URN), where the cloud has one.
    pub arn: Option<String>,
    /// Email, where recorded.
    pub email: Option<String>,
    /// When it was created.
    pub created_at: Option<Timestamp>,
    /// Tags.
    pub tags: Tags,
}

/// A user group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// Which cloud.
    pub provider: ProviderKind,
    /// Native id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Globally unique name, where the cloud has one.
    pub arn: Option<String>,
    /// When it was created.
    pub created_at: Option<Timestamp>,
}

/// A role (assumable identity).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Role {
    /// Which cloud.
    pub provider: ProviderKind,
    /// Native id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Globally unique name, where the cloud has one.
    pub arn: Option<String>,
    /// Trust (assume-role) policy document.
    pub trust_policy: Option<serde_json::Value>,
    /// When it was created.
    pub created_at: Option<Timestamp>,
}

/// Who manages a policy.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyKind {
    /// Provided by the cloud (AWS-managed, Alibaba `System`, Tencent preset).
    System,
    /// Written by the account.
    Custom,
}

/// A permission policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    /// Which cloud.
    pub provider: ProviderKind,
    /// Native id (ARN, policy id, or the name where names are ids).
    pub id: String,
    /// Name.
    pub name: String,
    /// System or custom.
    pub kind: PolicyKind,
    /// Description.
    pub description: Option<String>,
    /// The policy document, where listed (some clouds need a second call).
    pub document: Option<serde_json::Value>,
    /// Number of principals it is attached to, where reported.
    pub attachment_count: Option<u64>,
    /// When it was created.
    pub created_at: Option<Timestamp>,
}

/// A principal that policies attach to.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type", content = "name")]
pub enum Principal {
    /// A user, by name.
    User(String),
    /// A group, by name.
    Group(String),
    /// A role, by name.
    Role(String),
}

/// A reference to a policy, as attached to a principal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PolicyRef {
    /// Native id (ARN, policy id, or name).
    pub id: String,
    /// Name.
    pub name: String,
    /// System or custom.
    pub kind: PolicyKind,
}

/// Access key metadata. Never carries the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessKeyInfo {
    /// Which cloud.
    pub provider: ProviderKind,
    /// Owning user's name.
    pub user: String,
    /// Access key id (public).
    pub id: String,
    /// Whether it is active.
    pub active: bool,
    /// The cloud's status string.
    pub raw_status: String,
    /// When it was created.
    pub created_at: Option<Timestamp>,
    /// When it was last used, where reported.
    pub last_used_at: Option<Timestamp>,
}

/// What user to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct NewUser {
    /// Login name.
    pub name: String,
    /// Display name.
    pub display_name: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Tags.
    pub tags: Tags,
}

/// How to delete a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct DeleteUserOptions {
    /// Detach policies, delete access keys and leave groups first. Without
    /// it, a user that still has any of these fails with `Conflict`.
    pub cleanup: bool,
}
