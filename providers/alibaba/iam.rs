//! RAM (2015-05-01) users, groups, roles, policies and access keys, and STS
//! (2015-04-01) caller identity and AssumeRole.
//!
//! Wire types (field names as in the vendor's `alibabacloud-ram20150501` and
//! `alibabacloud-sts20150401` models), conversions and request builders.

use serde::Deserialize;

use super::wire::{Params, lenient_vec, opt_bool, opt_string, opt_u64, push, push_opt, time_of};
use crate::credentials::Secret;
use crate::model::{
    AccessKeyInfo, Account, Group, NewUser, Policy, PolicyKind, PolicyRef, Principal, ProviderKind,
    Role, User,
};

/// RAM API version.
pub const RAM_VERSION: &str = "2015-05-01";
/// STS API version.
pub const STS_VERSION: &str = "2015-04-01";
/// Largest `MaxItems` of RAM list calls.
pub const RAM_MAX_ITEMS: u32 = 1000;

fn nonempty(s: &Option<String>) -> Option<String> {
    s.clone().filter(|v| !v.is_empty())
}

/// The RAM policy kind from `PolicyType` (`System` / `Custom`).
pub fn policy_kind(policy_type: Option<&str>) -> PolicyKind {
    match policy_type {
        Some("System") => PolicyKind::System,
        _ => PolicyKind::Custom,
    }
}

fn policy_type_wire(kind: PolicyKind) -> &'static str {
    match kind {
        PolicyKind::System => "System",
        PolicyKind::Custom => "Custom",
    }
}

/// Marker paging of RAM lists (`IsTruncated` + `Marker`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RamPage {
    /// Request id.
    #[serde(rename = "RequestId", default, deserialize_with = "opt_string")]
    pub request_id: Option<String>,
    /// `true` when more pages follow.
    #[serde(rename = "IsTruncated", default, deserialize_with = "opt_bool")]
    pub is_truncated: Option<bool>,
    /// Marker of the next page.
    #[serde(rename = "Marker", default, deserialize_with = "opt_string")]
    pub marker: Option<String>,
}

impl RamPage {
    /// The marker of the next page, `None` on the last page.
    pub fn next_page(&self) -> Option<String> {
        if self.is_truncated == Some(true) {
            nonempty(&self.marker)
        } else {
            None
        }
    }
}

/// One user of `ListUsers`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct UserWire {
    /// User id.
    #[serde(rename = "UserId", default, deserialize_with = "opt_string")]
    pub user_id: Option<String>,
    /// Login name.
    #[serde(rename = "UserName", default, deserialize_with = "opt_string")]
    pub user_name: Option<String>,
    /// Display name.
    #[serde(rename = "DisplayName", default, deserialize_with = "opt_string")]
    pub display_name: Option<String>,
    /// Email.
    #[serde(rename = "Email", default, deserialize_with = "opt_string")]
    pub email: Option<String>,
    /// Comments.
    #[serde(rename = "Comments", default, deserialize_with = "opt_string")]
    pub comments: Option<String>,
    /// Creation time.
    #[serde(rename = "CreateDate", default, deserialize_with = "opt_string")]
    pub create_date: Option<String>,
}

impl UserWire {
    /// As a normalized user (RAM list answers carry no ARN).
    pub fn to_user(&self) -> Option<User> {
        let name = nonempty(&self.user_name)?;
        Some(User {
            provider: ProviderKind::Alibaba,
            id: nonempty(&self.user_id).unwrap_or_else(|| name.clone()),
            name,
            display_name: nonempty(&self.display_name),
            arn: None,
            email: nonempty(&self.email),
            created_at: time_of(&self.create_date),
            tags: Default::default(),
        })
    }
}

/// `{"User":[...]}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct UsersWire {
    /// The users.
    #[serde(rename = "User", default, deserialize_with = "lenient_vec")]
    pub user: Vec<UserWire>,
}

/// The `ListUsers` response.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListUsersResponse {
    /// Paging.
    #[serde(flatten)]
    pub page: RamPage,
    /// The users.
    #[serde(rename = "Users", default)]
    pub users: UsersWire,
}

impl ListUsersResponse {
    /// As normalized users.
    pub fn to_users(&self) -> Vec<User> {
        self.users
            .user
            .iter()
            .filter_map(UserWire::to_user)
            .collect()
    }
}

/// One group of `ListGroups`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct GroupWire {
    /// Group id.
    #[serde(rename = "GroupId", default, deserialize_with = "opt_string")]
    pub group_id: Option<String>,
    /// Name.
    #[serde(rename = "GroupName", default, deserialize_with = "opt_string")]
    pub group_name: Option<String>,
    /// Comments.
    #[serde(rename = "Comments", default, deserialize_with = "opt_string")]
    pub comments: Option<String>,
    /// Creation time.
    #[serde(rename = "CreateDate", default, deserialize_with = "opt_string")]
    pub create_date: Option<String>,
}

impl GroupWire {
    /// As a normalized group (id falls back to the name, which RAM uses as key).
    pub fn to_group(&self) -> Option<Group> {
        let name = nonempty(&self.group_name)?;
        Some(Group {
            provider: ProviderKind::Alibaba,
            id: nonempty(&self.group_id).unwrap_or_else(|| name.clone()),
            name,
            description: nonempty(&self.comments),
            arn: None,
            created_at: time_of(&self.create_date),
        })
    }
}

/// `{"Group":[...]}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct GroupsWire {
    /// The groups.
    #[serde(rename = "Group", default, deserialize_with = "lenient_vec")]
    pub group: Vec<GroupWire>,
}

/// The `ListGroups` response.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListGroupsResponse {
    /// Paging.
    #[serde(flatten)]
    pub page: RamPage,
    /// The groups.
    #[serde(rename = "Groups", default)]
    pub groups: GroupsWire,
}

impl ListGroupsResponse {
    /// As normalized groups.
    pub fn to_groups(&self) -> Vec<Group> {
        self.groups
            .group
            .iter()
            .filter_map(GroupWire::to_group)
            .collect()
    }
}

/// One role of `ListRoles`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RoleWire {
    /// Role id.
    #[serde(rename = "RoleId", default, deserialize_with = "opt_string")]
    pub role_id: Option<String>,
    /// Name.
    #[serde(rename = "RoleName", default, deserialize_with = "opt_string")]
    pub role_name: Option<String>,
    /// ARN (`acs:ram::<uid>:role/<name>`).
    #[serde(rename = "Arn", default, deserialize_with = "opt_string")]
    pub arn: Option<String>,
    /// Description.
    #[serde(rename = "Description", default, deserialize_with = "opt_string")]
    pub description: Option<String>,
    /// Trust policy (GetRole only; JSON text).
    #[serde(
        rename = "AssumeRolePolicyDocument",
        default,
        deserialize_with = "opt_string"
    )]
    pub assume_role_policy_document: Option<String>,
    /// Creation time.
    #[serde(rename = "CreateDate", default, deserialize_with = "opt_string")]
    pub create_date: Option<String>,
}

impl RoleWire {
    /// As a normalized role.
    pub fn to_role(&self) -> Option<Role> {
        let name = nonempty(&self.role_name)?;
        Some(Role {
            provider: ProviderKind::Alibaba,
            id: nonempty(&self.role_id).unwrap_or_else(|| name.clone()),
            name,
            description: nonempty(&self.description),
            arn: nonempty(&self.arn),
            trust_policy: self
                .assume_role_policy_document
                .as_deref()
                .and_then(|d| serde_json::from_str(d).ok()),
            created_at: time_of(&self.create_date),
        })
    }
}

/// `{"Role":[...]}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RolesWire {
    /// The roles.
    #[serde(rename = "Role", default, deserialize_with = "lenient_vec")]
    pub role: Vec<RoleWire>,
}

/// The `ListRoles` response.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListRolesResponse {
    /// Paging.
    #[serde(flatten)]
    pub page: RamPage,
    /// The roles.
    #[serde(rename = "Roles", default)]
    pub roles: RolesWire,
}

impl ListRolesResponse {
    /// As normalized roles.
    pub fn to_roles(&self) -> Vec<Role> {
        self.roles
            .role
            .iter()
            .filter_map(RoleWire::to_role)
            .collect()
    }
}

/// One policy of `ListPolicies` / `ListPoliciesFor{User,Group,Role}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PolicyWire {
    /// Name (RAM addresses policies by name and type).
    #[serde(rename = "PolicyName", default, deserialize_with = "opt_string")]
    pub policy_name: Option<String>,
    /// `System` or `Custom`.
    #[serde(rename = "PolicyType", default, deserialize_with = "opt_string")]
    pub policy_type: Option<String>,
    /// Description.
    #[serde(rename = "Description", default, deserialize_with = "opt_string")]
    pub description: Option<String>,
    /// Default version (`v1`).
    #[serde(rename = "DefaultVersion", default, deserialize_with = "opt_string")]
    pub default_version: Option<String>,
    /// Number of attachments (ListPolicies).
    #[serde(rename = "AttachmentCount", default, deserialize_with = "opt_u64")]
    pub attachment_count: Option<u64>,
    /// Creation time (ListPolicies).
    #[serde(rename = "CreateDate", default, deserialize_with = "opt_string")]
    pub create_date: Option<String>,
    /// Attach time (ListPoliciesFor*).
    #[serde(rename = "AttachDate", default, deserialize_with = "opt_string")]
    pub attach_date: Option<String>,
}

impl PolicyWire {
    /// As a normalized policy; its id is the name (RAM's key with the type).
    pub fn to_policy(&self) -> Option<Policy> {
        let name = nonempty(&self.policy_name)?;
        Some(Policy {
            provider: ProviderKind::Alibaba,
            id: name.clone(),
            name,
            kind: policy_kind(self.policy_type.as_deref()),
            description: nonempty(&self.description),
            document: None,
            attachment_count: self.attachment_count,
            created_at: time_of(&self.create_date),
        })
    }

    /// As a reference to an attached policy.
    pub fn to_policy_ref(&self) -> Option<PolicyRef> {
        let name = nonempty(&self.policy_name)?;
        Some(PolicyRef {
            id: name.clone(),
            name,
            kind: policy_kind(self.policy_type.as_deref()),
        })
    }
}

/// `{"Policy":[...]}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PoliciesWire {
    /// The policies.
    #[serde(rename = "Policy", default, deserialize_with = "lenient_vec")]
    pub policy: Vec<PolicyWire>,
}

/// The `ListPolicies` and `ListPoliciesFor{User,Group,Role}` responses.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListPoliciesResponse {
    /// Paging (ListPolicies only; the per-principal lists are not paged).
    #[serde(flatten)]
    pub page: RamPage,
    /// The policies.
    #[serde(rename = "Policies", default)]
    pub policies: PoliciesWire,
}

impl ListPoliciesResponse {
    /// As normalized policies.
    pub fn to_policies(&self) -> Vec<Policy> {
        self.policies
            .policy
            .iter()
            .filter_map(PolicyWire::to_policy)
            .collect()
    }

    /// As references to attached policies.
    pub fn to_policy_refs(&self) -> Vec<PolicyRef> {
        self.policies
            .policy
            .iter()
            .filter_map(PolicyWire::to_policy_ref)
            .collect()
    }
}

/// One access key of `ListAccessKeys` (never the secret).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AccessKeyWire {
    /// AccessKey id.
    #[serde(rename = "AccessKeyId", default, deserialize_with = "opt_string")]
    pub access_key_id: Option<String>,
    /// `Active` or `Inactive`.
    #[serde(rename = "Status", default, deserialize_with = "opt_string")]
    pub status: Option<String>,
    /// Creation time.
    #[serde(rename = "CreateDate", default, deserialize_with = "opt_string")]
    pub create_date: Option<String>,
}

/// `{"AccessKey":[...]}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AccessKeysWire {
    /// The keys.
    #[serde(rename = "AccessKey", default, deserialize_with = "lenient_vec")]
    pub access_key: Vec<AccessKeyWire>,
}

/// The `ListAccessKeys` response.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListAccessKeysResponse {
    /// Request id.
    #[serde(rename = "RequestId", default, deserialize_with = "opt_string")]
    pub request_id: Option<String>,
    /// The keys.
    #[serde(rename = "AccessKeys", default)]
    pub access_keys: AccessKeysWire,
}

impl ListAccessKeysResponse {
    /// As normalized access-key metadata of `user`.
    pub fn to_access_keys(&self, user: &str) -> Vec<AccessKeyInfo> {
        self.access_keys
            .access_key
            .iter()
            .filter_map(|k| {
                let raw = k.status.clone().unwrap_or_default();
                Some(AccessKeyInfo {
                    provider: ProviderKind::Alibaba,
                    user: user.to_string(),
                    id: nonempty(&k.access_key_id)?,
                    active: raw == "Active",
                    raw_status: raw,
                    created_at: time_of(&k.create_date),
                    last_used_at: None,
                })
            })
            .collect()
    }
}

/// The STS `GetCallerIdentity` response.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct GetCallerIdentityResponse {
    /// Request id.
    #[serde(rename = "RequestId", default, deserialize_with = "opt_string")]
    pub request_id: Option<String>,
    /// Account UID.
    #[serde(rename = "AccountId", default, deserialize_with = "opt_string")]
    pub account_id: Option<String>,
    /// Caller ARN.
    #[serde(rename = "Arn", default, deserialize_with = "opt_string")]
    pub arn: Option<String>,
    /// `Account`, `RAMUser` or `AssumedRoleUser`.
    #[serde(rename = "IdentityType", default, deserialize_with = "opt_string")]
    pub identity_type: Option<String>,
    /// Principal id.
    #[serde(rename = "PrincipalId", default, deserialize_with = "opt_string")]
    pub principal_id: Option<String>,
    /// RAM user id (for RAM users).
    #[serde(rename = "UserId", default, deserialize_with = "opt_string")]
    pub user_id: Option<String>,
    /// Role id (for assumed roles).
    #[serde(rename = "RoleId", default, deserialize_with = "opt_string")]
    pub role_id: Option<String>,
}

impl GetCallerIdentityResponse {
    /// As the normalized account; `None` without an account id.
    pub fn to_account(&self) -> Option<Account> {
        Some(Account {
            provider: ProviderKind::Alibaba,
            id: nonempty(&self.account_id)?,
            name: None,
            principal: nonempty(&self.arn),
        })
    }
}

// ---------------------------------------------------------------- request builders

fn paged(marker: Option<&str>, max_items: Option<u32>) -> Params {
    let mut p = Params::new();
    push_opt(&mut p, "Marker", marker);
    push(
        &mut p,
        "MaxItems",
        max_items.unwrap_or(RAM_MAX_ITEMS).clamp(1, RAM_MAX_ITEMS),
    );
    p
}

/// `ListUsers` parameters (`MaxItems` up to 1000, `Marker`).
pub fn list_users_params(marker: Option<&str>, max_items: Option<u32>) -> Params {
    paged(marker, max_items)
}

/// `ListGroups` parameters.
pub fn list_groups_params(marker: Option<&str>, max_items: Option<u32>) -> Params {
    paged(marker, max_items)
}

/// `ListRoles` parameters.
pub fn list_roles_params(marker: Option<&str>, max_items: Option<u32>) -> Params {
    paged(marker, max_items)
}

/// `ListPolicies` parameters (`PolicyType` filter optional).
pub fn list_policies_params(
    kind: Option<PolicyKind>,
    marker: Option<&str>,
    max_items: Option<u32>,
) -> Params {
    let mut p = paged(marker, max_items);
    push_opt(&mut p, "PolicyType", kind.map(policy_type_wire));
    p
}

/// The action and parameters listing the policies attached to `principal`:
/// `ListPoliciesForUser` / `ListPoliciesForGroup` / `ListPoliciesForRole`.
pub fn list_policies_for_params(principal: &Principal) -> (&'static str, Params) {
    let mut p = Params::new();
    let action = match principal {
        Principal::User(n) => {
            push(&mut p, "UserName", n);
            "ListPoliciesForUser"
        }
        Principal::Group(n) => {
            push(&mut p, "GroupName", n);
            "ListPoliciesForGroup"
        }
        Principal::Role(n) => {
            push(&mut p, "RoleName", n);
            "ListPoliciesForRole"
        }
    };
    (action, p)
}

fn attach_detach(
    principal: &Principal,
    policy: &PolicyRef,
    attach: bool,
) -> (&'static str, Params) {
    let mut p = Params::new();
    push(&mut p, "PolicyType", policy_type_wire(policy.kind));
    push(&mut p, "PolicyName", &policy.name);
    let action = match (principal, attach) {
        (Principal::User(n), a) => {
            push(&mut p, "UserName", n);
            if a {
                "AttachPolicyToUser"
            } else {
                "DetachPolicyFromUser"
            }
        }
        (Principal::Group(n), a) => {
            push(&mut p, "GroupName", n);
            if a {
                "AttachPolicyToGroup"
            } else {
                "DetachPolicyFromGroup"
            }
        }
        (Principal::Role(n), a) => {
            push(&mut p, "RoleName", n);
            if a {
                "AttachPolicyToRole"
            } else {
                "DetachPolicyFromRole"
            }
        }
    };
    (action, p)
}

/// `AttachPolicyTo{User,Group,Role}` action and parameters.
pub fn attach_policy_params(principal: &Principal, policy: &PolicyRef) -> (&'static str, Params) {
    attach_detach(principal, policy, true)
}

/// `DetachPolicyFrom{User,Group,Role}` action and parameters.
pub fn detach_policy_params(principal: &Principal, policy: &PolicyRef) -> (&'static str, Params) {
    attach_detach(principal, policy, false)
}

/// `ListAccessKeys` parameters.
pub fn list_access_keys_params(user: &str) -> Params {
    let mut p = Params::new();
    push(&mut p, "UserName", user);
    p
}

/// `CreateUser` parameters.
pub fn create_user_params(user: &NewUser) -> Params {
    let mut p = Params::new();
    push(&mut p, "UserName", &user.name);
    push_opt(&mut p, "DisplayName", user.display_name.as_deref());
    push_opt(&mut p, "Email", user.email.as_deref());
    p
}

/// `DeleteUser` parameters.
pub fn delete_user_params(user: &str) -> Params {
    let mut p = Params::new();
    push(&mut p, "UserName", user);
    p
}

/// STS `AssumeRole` parameters (`DurationSeconds` 900-43200).
pub fn assume_role_params(
    role_arn: &str,
    session_name: &str,
    duration_secs: Option<u32>,
    external_id: Option<&str>,
) -> Params {
    let mut p = Params::new();
    push(&mut p, "RoleArn", role_arn);
    push(&mut p, "RoleSessionName", session_name);
    push_opt(
        &mut p,
        "DurationSeconds",
        duration_secs.map(|d| d.clamp(900, 43_200)),
    );
    push_opt(&mut p, "ExternalId", external_id);
    p
}

/// The STS `AssumeRole` response's credentials.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AssumeRoleCredentialsWire {
    /// Temporary AccessKey id.
    #[serde(rename = "AccessKeyId", default, deserialize_with = "opt_string")]
    pub access_key_id: Option<String>,
    /// Temporary AccessKey secret (printed as `***`).
    #[serde(rename = "AccessKeySecret", default)]
    pub access_key_secret: Option<Secret>,
    /// Security token (printed as `***`).
    #[serde(rename = "SecurityToken", default)]
    pub security_token: Option<Secret>,
    /// Expiry (`2015-04-09T11:52:19Z`).
    #[serde(rename = "Expiration", default, deserialize_with = "opt_string")]
    pub expiration: Option<String>,
}

/// The STS `AssumeRole` response.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AssumeRoleResponse {
    /// Request id.
    #[serde(rename = "RequestId", default, deserialize_with = "opt_string")]
    pub request_id: Option<String>,
    /// The temporary credentials.
    #[serde(rename = "Credentials", default)]
    pub credentials: Option<AssumeRoleCredentialsWire>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_and_builders() {
        let r: ListUsersResponse =
            serde_json::from_str(r#"{"IsTruncated":true,"Marker":"m","Users":{"User":[]}}"#)
                .unwrap();
        assert_eq!(r.page.next_page().as_deref(), Some("m"));
        let r: ListUsersResponse =
            serde_json::from_str(r#"{"IsTruncated":false,"Marker":"m"}"#).unwrap();
        assert_eq!(r.page.next_page(), None);
        assert!(list_users_params(None, Some(5000)).contains(&("MaxItems".into(), "1000".into())));

        let pol = PolicyRef {
            id: "AliyunECSFullAccess".into(),
            name: "AliyunECSFullAccess".into(),
            kind: PolicyKind::System,
        };
        let (a, p) = attach_policy_params(&Principal::Role("r".into()), &pol);
        assert_eq!(a, "AttachPolicyToRole");
        assert!(p.contains(&("PolicyType".into(), "System".into())));
        assert!(p.contains(&("RoleName".into(), "r".into())));
        let (a, _) = detach_policy_params(&Principal::Group("g".into()), &pol);
        assert_eq!(a, "DetachPolicyFromGroup");
        let (a, p) = list_policies_for_params(&Principal::User("u".into()));
        assert_eq!(a, "ListPoliciesForUser");
        assert_eq!(p, vec![("UserName".to_string(), "u".to_string())]);
        let p = assume_role_params("acs:ram::1:role/x", "s", Some(60), None);
        assert!(p.contains(&("DurationSeconds".into(), "900".into())));
    }

    #[test]
    fn access_keys_never_carry_secrets() {
        let r: ListAccessKeysResponse = serde_json::from_str(
            r#"{"AccessKeys":{"AccessKey":[{"AccessKeyId":"LTAI1","Status":"Inactive","AccessKeySecret":"nope"}]}}"#,
        )
        .unwrap();
        let k = r.to_access_keys("alice");
        assert_eq!(k.len(), 1);
        assert!(!k[0].active);
        assert!(!format!("{k:?}").contains("nope"));
        let r: AssumeRoleResponse = serde_json::from_str(
            r#"{"Credentials":{"AccessKeyId":"STS.1","AccessKeySecret":"sekrit","SecurityToken":"tok","Expiration":"2015-04-09T11:52:19Z"}}"#,
        )
        .unwrap();
        let c = r.credentials.unwrap();
        assert_eq!(
            c.access_key_secret.as_ref().map(|s| s.expose()),
            Some("sekrit")
        );
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("sekrit") && !dbg.contains("tok\""), "{dbg}");
    }
}
