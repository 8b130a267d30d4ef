//! CAM (2019-01-16) and STS (2018-08-13): wire types, conversions into the
//! normalized IAM model and the account identity, and request parameters.
//!
//! Field names follow `tencentcloud-sdk-python-cam` / `-sts` `models.py`.
//! CAM types ids loosely (numbers in one response, strings in another), so
//! ids are read as [`Loose`] values.

use async_trait::async_trait;
use futures::{StreamExt, TryStreamExt};
use serde::Deserialize;
use serde_json::{Value, json};

use super::TencentProvider;
use super::client::CallKind;
use super::compute::{ok_if_gone, visible};
use super::config::Credentials;
use super::wire::{Loose, Tag, non_empty, null_default, parse_time, tags_to_map};
use crate::credentials::Secret;
use crate::error::{Error, ErrorKind, Result};
use crate::model::{
    AccessKeyInfo, Account, DeleteUserOptions, Group, NewUser, Policy, PolicyKind, PolicyRef,
    Principal, ProviderKind, Role, Tags, User,
};
use crate::traits::{Iam, ResultStream};

/// Page size of `DescribeRoleList`, `ListPolicies`,
/// `ListAttachedUserAllPolicies` and `ListAttachedRolePolicies` (documented
/// maximum: 200).
pub const MAX_RP: u32 = 200;
/// Page size of `ListGroups` and `ListAttachedGroupPolicies`, whose
/// maximum is not documented: their documented default.
pub const DEFAULT_RP: u32 = 20;

/// `GetUser`/`DeleteUser`: the sub-user does not exist (CAM error codes).
pub const USER_GONE: &[&str] = &[
    "ResourceNotFound.UserNotExist",
    "ResourceNotFound.UserNotExists",
    "InvalidParameter.UserNotExist",
];

/// `Detach{User,Group,Role}Policy`: the policy (hence the attachment) is not
/// there: CAM's policy-id codes, which the simulator also answers for a
/// policy that is not attached.
pub const ATTACHMENT_GONE: &[&str] = &[
    "ResourceNotFound.PolicyIdNotFound",
    "InvalidParameter.PolicyIdNotExist",
];

/// CAM `SubAccountInfo` (also the shape of `GetUser`'s response).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SubAccountInfo {
    /// `Uin` (sub-user id).
    #[serde(rename = "Uin", default)]
    pub uin: Loose,
    /// `Name` (login name).
    #[serde(rename = "Name", default)]
    pub name: String,
    /// `Uid`.
    #[serde(rename = "Uid", default)]
    pub uid: Loose,
    /// `Remark`.
    #[serde(rename = "Remark", default)]
    pub remark: Option<String>,
    /// `ConsoleLogin` (0/1).
    #[serde(rename = "ConsoleLogin", default)]
    pub console_login: Loose,
    /// `Email`.
    #[serde(rename = "Email", default)]
    pub email: Option<String>,
    /// `CreateTime` (zone-less, Beijing time).
    #[serde(rename = "CreateTime", default)]
    pub create_time: Option<String>,
    /// `NickName`.
    #[serde(rename = "NickName", default)]
    pub nick_name: Option<String>,
    /// `RecentlyLoginTime` (`GetUser` only).
    #[serde(rename = "RecentlyLoginTime", default)]
    pub recently_login_time: Option<String>,
    /// `RequestId` (`GetUser` only).
    #[serde(rename = "RequestId", default)]
    pub request_id: Option<String>,
}

/// `GetUser` response: the user's fields at the top level.
pub type GetUserResponse = SubAccountInfo;

/// `ListUsers` response.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListUsersResponse {
    /// `Data` (every sub-user; the API is not paged).
    #[serde(rename = "Data", default, deserialize_with = "null_default")]
    pub data: Vec<SubAccountInfo>,
    /// `RequestId`.
    #[serde(rename = "RequestId", default)]
    pub request_id: Option<String>,
}

/// `ListGroups` response.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListGroupsResponse {
    /// `TotalNum`.
    #[serde(rename = "TotalNum", default)]
    pub total_num: Option<u64>,
    /// `GroupInfo`.
    #[serde(rename = "GroupInfo", default, deserialize_with = "null_default")]
    pub group_info: Vec<GroupInfo>,
    /// `RequestId`.
    #[serde(rename = "RequestId", default)]
    pub request_id: Option<String>,
}

/// CAM `GroupInfo`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct GroupInfo {
    /// `GroupId`.
    #[serde(rename = "GroupId", default)]
    pub group_id: Loose,
    /// `GroupName`.
    #[serde(rename = "GroupName", default)]
    pub group_name: String,
    /// `CreateTime`.
    #[serde(rename = "CreateTime", default)]
    pub create_time: Option<String>,
    /// `Remark`.
    #[serde(rename = "Remark", default)]
    pub remark: Option<String>,
}

/// `DescribeRoleList` response.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DescribeRoleListResponse {
    /// `List`.
    #[serde(rename = "List", default, deserialize_with = "null_default")]
    pub list: Vec<RoleInfo>,
    /// `TotalNum`.
    #[serde(rename = "TotalNum", default)]
    pub total_num: Option<u64>,
    /// `RequestId`.
    #[serde(rename = "RequestId", default)]
    pub request_id: Option<String>,
}

/// CAM `RoleInfo`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RoleInfo {
    /// `RoleId`.
    #[serde(rename = "RoleId", default)]
    pub role_id: Loose,
    /// `RoleName`.
    #[serde(rename = "RoleName", default)]
    pub role_name: String,
    /// `PolicyDocument` (trust policy, a JSON string).
    #[serde(rename = "PolicyDocument", default)]
    pub policy_document: Option<String>,
    /// `Description`.
    #[serde(rename = "Description", default)]
    pub description: Option<String>,
    /// `AddTime`.
    #[serde(rename = "AddTime", default)]
    pub add_time: Option<String>,
    /// `UpdateTime`.
    #[serde(rename = "UpdateTime", default)]
    pub update_time: Option<String>,
    /// `RoleType` (`user`, `system`, `service_linked`).
    #[serde(rename = "RoleType", default)]
    pub role_type: Option<String>,
    /// `SessionDuration`.
    #[serde(rename = "SessionDuration", default)]
    pub session_duration: Loose,
    /// `RoleArn`.
    #[serde(rename = "RoleArn", default)]
    pub role_arn: Option<String>,
    /// `Tags`.
    #[serde(rename = "Tags", default, deserialize_with = "null_default")]
    pub tags: Vec<Tag>,
}

/// `ListPolicies` response.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListPoliciesResponse {
    /// `TotalNum`.
    #[serde(rename = "TotalNum", default)]
    pub total_num: Option<u64>,
    /// `List`.
    #[serde(rename = "List", default, deserialize_with = "null_default")]
    pub list: Vec<StrategyInfo>,
    /// `ServiceTypeList`.
    #[serde(rename = "ServiceTypeList", default, deserialize_with = "null_default")]
    pub service_type_list: Vec<String>,
    /// `RequestId`.
    #[serde(rename = "RequestId", default)]
    pub request_id: Option<String>,
}

/// CAM `StrategyInfo`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct StrategyInfo {
    /// `PolicyId`.
    #[serde(rename = "PolicyId", default)]
    pub policy_id: Loose,
    /// `PolicyName`.
    #[serde(rename = "PolicyName", default)]
    pub policy_name: String,
    /// `AddTime`.
    #[serde(rename = "AddTime", default)]
    pub add_time: Option<String>,
    /// `Type`: 1 custom, 2 preset.
    #[serde(rename = "Type", default)]
    pub r#type: Loose,
    /// `Description`.
    #[serde(rename = "Description", default)]
    pub description: Option<String>,
    /// `CreateMode`.
    #[serde(rename = "CreateMode", default)]
    pub create_mode: Loose,
    /// `Attachments` (number of attached principals).
    #[serde(rename = "Attachments", default)]
    pub attachments: Loose,
    /// `ServiceType`.
    #[serde(rename = "ServiceType", default)]
    pub service_type: Option<String>,
    /// `AttachEntityCount`.
    #[serde(rename = "AttachEntityCount", default)]
    pub attach_entity_count: Loose,
}

/// `ListAttachedUserAllPolicies` response.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListAttachedUserAllPoliciesResponse {
    /// `PolicyList`.
    #[serde(rename = "PolicyList", default, deserialize_with = "null_default")]
    pub policy_list: Vec<AttachedUserPolicy>,
    /// `TotalNum`.
    #[serde(rename = "TotalNum", default)]
    pub total_num: Option<u64>,
    /// `RequestId`.
    #[serde(rename = "RequestId", default)]
    pub request_id: Option<String>,
}

/// CAM `AttachedUserPolicy`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AttachedUserPolicy {
    /// `PolicyId`.
    #[serde(rename = "PolicyId", default)]
    pub policy_id: Loose,
    /// `PolicyName`.
    #[serde(rename = "PolicyName", default)]
    pub policy_name: String,
    /// `Description`.
    #[serde(rename = "Description", default)]
    pub description: Option<String>,
    /// `AddTime`.
    #[serde(rename = "AddTime", default)]
    pub add_time: Option<String>,
    /// `StrategyType`: 1 custom, 2 preset.
    #[serde(rename = "StrategyType", default)]
    pub strategy_type: Loose,
    /// `CreateMode`.
    #[serde(rename = "CreateMode", default)]
    pub create_mode: Loose,
}

/// `ListAttachedGroupPolicies` / `ListAttachedRolePolicies` response.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListAttachedPoliciesResponse {
    /// `TotalNum`.
    #[serde(rename = "TotalNum", default)]
    pub total_num: Option<u64>,
    /// `List`.
    #[serde(rename = "List", default, deserialize_with = "null_default")]
    pub list: Vec<AttachPolicyInfo>,
    /// `RequestId`.
    #[serde(rename = "RequestId", default)]
    pub request_id: Option<String>,
}

/// CAM `AttachPolicyInfo` / `AttachedPolicyOfRole` (shared fields).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AttachPolicyInfo {
    /// `PolicyId`.
    #[serde(rename = "PolicyId", default)]
    pub policy_id: Loose,
    /// `PolicyName`.
    #[serde(rename = "PolicyName", default)]
    pub policy_name: String,
    /// `AddTime`.
    #[serde(rename = "AddTime", default)]
    pub add_time: Option<String>,
    /// `PolicyType`: `User` (custom) or `QCS` (preset).
    #[serde(rename = "PolicyType", default)]
    pub policy_type: Option<String>,
    /// `CreateMode`.
    #[serde(rename = "CreateMode", default)]
    pub create_mode: Loose,
}

/// `ListAccessKeys` response.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListAccessKeysResponse {
    /// `AccessKeys`.
    #[serde(rename = "AccessKeys", default, deserialize_with = "null_default")]
    pub access_keys: Vec<CamAccessKey>,
    /// `RequestId`.
    #[serde(rename = "RequestId", default)]
    pub request_id: Option<String>,
}

/// CAM `AccessKey` (metadata only; never the secret).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CamAccessKey {
    /// `AccessKeyId`.
    #[serde(rename = "AccessKeyId", default)]
    pub access_key_id: String,
    /// `Status` (`Active`, `Inactive`).
    #[serde(rename = "Status", default)]
    pub status: Option<String>,
    /// `CreateTime`.
    #[serde(rename = "CreateTime", default)]
    pub create_time: Option<String>,
    /// `Description`.
    #[serde(rename = "Description", default)]
    pub description: Option<String>,
}

/// `AddUser` response. The generated password and key are secrets.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AddUserResponse {
    /// `Uin`.
    #[serde(rename = "Uin", default)]
    pub uin: Loose,
    /// `Name`.
    #[serde(rename = "Name", default)]
    pub name: String,
    /// `Password` (only when one was generated).
    #[serde(rename = "Password", default)]
    pub password: Option<Secret>,
    /// `SecretId` (only with `UseApi`).
    #[serde(rename = "SecretId", default)]
    pub secret_id: Option<String>,
    /// `SecretKey` (only with `UseApi`).
    #[serde(rename = "SecretKey", default)]
    pub secret_key: Option<Secret>,
    /// `Uid`.
    #[serde(rename = "Uid", default)]
    pub uid: Loose,
    /// `RequestId`.
    #[serde(rename = "RequestId", default)]
    pub request_id: Option<String>,
}

/// STS `GetCallerIdentity` response.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct GetCallerIdentityResponse {
    /// `Arn`.
    #[serde(rename = "Arn", default)]
    pub arn: Option<String>,
    /// `AccountId` (owner UIN).
    #[serde(rename = "AccountId", default)]
    pub account_id: Loose,
    /// `UserId`.
    #[serde(rename = "UserId", default)]
    pub user_id: Loose,
    /// `PrincipalId`.
    #[serde(rename = "PrincipalId", default)]
    pub principal_id: Loose,
    /// `Type` (`CAMUser`, `RootAccount`, `CAMRole`, ...).
    #[serde(rename = "Type", default)]
    pub r#type: Option<String>,
    /// `RequestId`.
    #[serde(rename = "RequestId", default)]
    pub request_id: Option<String>,
}

/// STS `Credentials`. `Debug` never shows the secret parts.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct StsCredentials {
    /// `Token`.
    #[serde(rename = "Token", default)]
    pub token: Secret,
    /// `TmpSecretId`.
    #[serde(rename = "TmpSecretId", default)]
    pub tmp_secret_id: String,
    /// `TmpSecretKey`.
    #[serde(rename = "TmpSecretKey", default)]
    pub tmp_secret_key: Secret,
}

/// STS `AssumeRole` response.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AssumeRoleResponse {
    /// `Credentials`.
    #[serde(rename = "Credentials", default)]
    pub credentials: Option<StsCredentials>,
    /// `ExpiredTime` (Unix seconds).
    #[serde(rename = "ExpiredTime", default)]
    pub expired_time: Option<i64>,
    /// `Expiration` (ISO 8601, UTC).
    #[serde(rename = "Expiration", default)]
    pub expiration: Option<String>,
    /// `RequestId`.
    #[serde(rename = "RequestId", default)]
    pub request_id: Option<String>,
}

// ---------------------------------------------------------------------------
// Conversions
// ---------------------------------------------------------------------------

/// A normalized user from `SubAccountInfo`; the id is the sub-user's UIN.
pub fn user_from_wire(u: &SubAccountInfo) -> User {
    User {
        provider: ProviderKind::Tencent,
        id: u.uin.to_opt().unwrap_or_else(|| u.name.clone()),
        name: u.name.clone(),
        display_name: non_empty(&u.nick_name).or_else(|| non_empty(&u.remark)),
        arn: None,
        email: non_empty(&u.email),
        created_at: u.create_time.as_deref().and_then(parse_time),
        tags: Tags::new(),
    }
}

/// A normalized group.
pub fn group_from_wire(g: &GroupInfo) -> Group {
    Group {
        provider: ProviderKind::Tencent,
        id: g.group_id.to_opt().unwrap_or_default(),
        name: g.group_name.clone(),
        description: non_empty(&g.remark),
        arn: None,
        created_at: g.create_time.as_deref().and_then(parse_time),
    }
}

/// A normalized role; the trust policy JSON string is parsed (kept as a
/// string value when it is not valid JSON).
pub fn role_from_wire(r: &RoleInfo) -> Role {
    Role {
        provider: ProviderKind::Tencent,
        id: r.role_id.to_opt().unwrap_or_default(),
        name: r.role_name.clone(),
        description: non_empty(&r.description),
        arn: non_empty(&r.role_arn),
        trust_policy: non_empty(&r.policy_document)
            .map(|d| serde_json::from_str(&d).unwrap_or(Value::String(d))),
        created_at: r.add_time.as_deref().and_then(parse_time),
    }
}

/// Policy kind from a numeric type (`Type`, `StrategyType`: 1 custom,
/// 2 preset) or a name (`PolicyType`: `User`, `QCS`).
pub fn policy_kind(raw: Option<&str>) -> PolicyKind {
    match raw {
        Some("2") | Some("QCS") => PolicyKind::System,
        _ => PolicyKind::Custom,
    }
}

/// A normalized policy from `StrategyInfo`. The document needs `GetPolicy`.
pub fn policy_from_wire(p: &StrategyInfo) -> Policy {
    Policy {
        provider: ProviderKind::Tencent,
        id: p.policy_id.to_opt().unwrap_or_default(),
        name: p.policy_name.clone(),
        kind: policy_kind(p.r#type.as_str()),
        description: non_empty(&p.description),
        document: None,
        attachment_count: p.attach_entity_count.as_u64().or(p.attachments.as_u64()),
        created_at: p.add_time.as_deref().and_then(parse_time),
    }
}

/// A policy reference from a user's attached policy.
pub fn policy_ref_from_user_policy(p: &AttachedUserPolicy) -> PolicyRef {
    PolicyRef {
        id: p.policy_id.to_opt().unwrap_or_default(),
        name: p.policy_name.clone(),
        kind: policy_kind(p.strategy_type.as_str()),
    }
}

/// A policy reference from a group's or role's attached policy.
pub fn policy_ref_from_attach_info(p: &AttachPolicyInfo) -> PolicyRef {
    PolicyRef {
        id: p.policy_id.to_opt().unwrap_or_default(),
        name: p.policy_name.clone(),
        kind: policy_kind(p.policy_type.as_deref()),
    }
}

/// Access key metadata of `user`.
pub fn access_key_from_wire(user: &str, k: &CamAccessKey) -> AccessKeyInfo {
    let raw_status = k.status.clone().unwrap_or_default();
    AccessKeyInfo {
        provider: ProviderKind::Tencent,
        user: user.to_string(),
        id: k.access_key_id.clone(),
        active: raw_status == "Active",
        raw_status,
        created_at: k.create_time.as_deref().and_then(parse_time),
        last_used_at: None,
    }
}

/// The account identity from `GetCallerIdentity`: id = owner UIN
/// (`AccountId`), principal = `Arn`.
pub fn account_from_wire(c: &GetCallerIdentityResponse) -> Account {
    Account {
        provider: ProviderKind::Tencent,
        id: c.account_id.to_opt().unwrap_or_default(),
        name: None,
        principal: non_empty(&c.arn).or_else(|| c.user_id.to_opt()),
    }
}

/// Temporary credentials from an `AssumeRole` response.
pub fn credentials_from_assume_role(r: &AssumeRoleResponse, role: &str) -> Result<Credentials> {
    let Some(c) = &r.credentials else {
        return Err(Error::decode("AssumeRole response has no Credentials"));
    };
    if c.tmp_secret_id.is_empty() || c.tmp_secret_key.is_empty() {
        return Err(Error::decode("AssumeRole returned empty temporary keys"));
    }
    let expires_at = r
        .expired_time
        .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .or_else(|| r.expiration.as_deref().and_then(parse_time));
    Ok(Credentials {
        secret_id: c.tmp_secret_id.clone(),
        secret_key: c.tmp_secret_key.clone(),
        token: Some(c.token.clone()),
        expires_at,
        source: format!("sts:AssumeRole({role})"),
    })
}

/// Tags from CAM role tags (same `{Key, Value}` shape).
pub fn role_tags(r: &RoleInfo) -> Tags {
    tags_to_map(&r.tags)
}

// ---------------------------------------------------------------------------
// Request parameters
// ---------------------------------------------------------------------------

/// `ListUsers` parameters (not paged).
pub fn list_users_params() -> Value {
    json!({})
}

/// `GetUser` parameters.
pub fn get_user_params(name: &str) -> Value {
    json!({ "Name": name })
}

/// `AddUser` parameters: no console login and no API key unless asked
/// (the SDK never creates secrets on its own).
pub fn add_user_params(u: &NewUser) -> Value {
    let mut p = json!({ "Name": u.name, "ConsoleLogin": 0, "UseApi": 0 });
    if let Some(r) = &u.display_name {
        p["Remark"] = json!(r);
    }
    if let Some(e) = &u.email {
        p["Email"] = json!(e);
    }
    p
}

/// `DeleteUser` parameters; `force` also deletes the user's API keys.
pub fn delete_user_params(name: &str, force: bool) -> Value {
    json!({ "Name": name, "Force": u8::from(force) })
}

/// `ListGroups` parameters for page `page` (from 1).
pub fn list_groups_params(page: u64) -> Value {
    json!({ "Page": page, "Rp": DEFAULT_RP })
}

/// `DescribeRoleList` parameters for page `page` (from 1).
pub fn describe_role_list_params(page: u64) -> Value {
    json!({ "Page": page, "Rp": MAX_RP })
}

/// `ListPolicies` parameters for page `page` (from 1); scope `All`.
pub fn list_policies_params(page: u64) -> Value {
    json!({ "Page": page, "Rp": MAX_RP, "Scope": "All" })
}

/// `ListAttachedUserAllPolicies` parameters: direct and group-inherited
/// policies (`AttachType` 0).
pub fn list_attached_user_all_policies_params(target_uin: u64, page: u64) -> Value {
    json!({ "TargetUin": target_uin, "Page": page, "Rp": MAX_RP, "AttachType": 0 })
}

/// `ListAttachedGroupPolicies` parameters.
pub fn list_attached_group_policies_params(group_id: u64, page: u64) -> Value {
    json!({ "TargetGroupId": group_id, "Page": page, "Rp": DEFAULT_RP })
}

/// `ListAttachedRolePolicies` parameters.
pub fn list_attached_role_policies_params(role_name: &str, page: u64) -> Value {
    json!({ "RoleName": role_name, "Page": page, "Rp": MAX_RP })
}

/// `AttachUserPolicy` parameters.
pub fn attach_user_policy_params(policy_id: u64, uin: u64) -> Value {
    json!({ "PolicyId": policy_id, "AttachUin": uin })
}

/// `DetachUserPolicy` parameters.
pub fn detach_user_policy_params(policy_id: u64, uin: u64) -> Value {
    json!({ "PolicyId": policy_id, "DetachUin": uin })
}

/// `ListAccessKeys` parameters for a sub-user (`None`: the caller).
pub fn list_access_keys_params(target_uin: Option<u64>) -> Value {
    match target_uin {
        Some(u) => json!({ "TargetUin": u }),
        None => json!({}),
    }
}

/// STS `GetCallerIdentity` parameters.
pub fn get_caller_identity_params() -> Value {
    json!({})
}

/// STS `AssumeRole` parameters (`RoleArn` `qcs::cam::uin/<owner>:roleName/<name>`).
pub fn assume_role_params(
    role_arn: &str,
    session_name: &str,
    duration_secs: u32,
    external_id: Option<&str>,
) -> Value {
    let mut p = json!({
        "RoleArn": role_arn,
        "RoleSessionName": session_name,
        "DurationSeconds": duration_secs,
    });
    if let Some(e) = external_id {
        p["ExternalId"] = json!(e);
    }
    p
}

/// A numeric CAM id from its string form, as the mutating calls need it.
pub fn parse_cam_id(what: &str, id: &str) -> Result<u64> {
    id.trim().parse().map_err(|_| {
        Error::invalid_argument(format!("Tencent CAM {what} id must be numeric, got `{id}`"))
    })
}

super::wire::offset_page!(ListGroupsResponse, GroupInfo, total_num, group_info);
super::wire::offset_page!(DescribeRoleListResponse, RoleInfo, total_num, list);
super::wire::offset_page!(ListPoliciesResponse, StrategyInfo, total_num, list);
super::wire::offset_page!(
    ListAttachedUserAllPoliciesResponse,
    AttachedUserPolicy,
    total_num,
    policy_list
);
super::wire::offset_page!(
    ListAttachedPoliciesResponse,
    AttachPolicyInfo,
    total_num,
    list
);

// ---------------------------------------------------------------------------
// The trait implementation
// ---------------------------------------------------------------------------

// `Iam` over CAM (users, groups, roles, policies, access keys).

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

    /// Policies of a user: `direct_only` asks `AttachType` 1 (attached to
    /// the user itself), else 0 (also those inherited from its groups).
    fn user_policies(&self, uin: u64, direct_only: bool) -> ResultStream<'_, PolicyRef> {
        self.page_list::<ListAttachedUserAllPoliciesResponse, _, _, _>(
            "cam",
            "ListAttachedUserAllPolicies",
            MAX_RP,
            move |page, rp| {
                let mut p = with_rp(
                    list_attached_user_all_policies_params(uin, u64::from(page)),
                    rp,
                );
                if direct_only {
                    p["AttachType"] = json!(1);
                }
                Ok(p)
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
            Ok(_) => visible(&spec.name, || self.user(&spec.name)).await,
            Err(e) if matches!(e.kind(), ErrorKind::Unavailable | ErrorKind::Timeout) => {
                self.user(&spec.name).await.map_err(|_| e)
            }
            Err(e) => Err(e),
        }
    }

    async fn delete_user(&self, name: &str, opts: DeleteUserOptions) -> Result<()> {
        let uin = match self.user_uin(name).await {
            Ok(u) => u,
            Err(e) if e.has_code(USER_GONE) => return Ok(()),
            Err(e) => return Err(e),
        };
        // Group-inherited policies do not block the delete: direct ones only.
        let policies: Vec<PolicyRef> = self.user_policies(uin, true).try_collect().await?;
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
        ok_if_gone(r.map(|_| ()), USER_GONE)
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
                    Ok(uin) => self.user_policies(uin, false),
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
        // Only "no such attachment" counts as done: a missing user, group
        // or role (`InvalidParameter.RoleNotExist`) is an error.
        ok_if_gone(
            self.cam(action, params, CallKind::Idempotent)
                .await
                .map(|_| ()),
            ATTACHMENT_GONE,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loose_ids_and_kinds() {
        let p: AttachedUserPolicy = serde_json::from_value(json!({
            "PolicyId": "219064", "PolicyName": "QcloudSMSFullAccess", "StrategyType": "2", "CreateMode": "2"
        }))
        .unwrap();
        let r = policy_ref_from_user_policy(&p);
        assert_eq!(r.id, "219064");
        assert_eq!(r.kind, PolicyKind::System);
        let s: StrategyInfo = serde_json::from_value(json!({
            "PolicyId": 16313162, "PolicyName": "x", "Type": 1, "AttachEntityCount": 3
        }))
        .unwrap();
        let n = policy_from_wire(&s);
        assert_eq!(n.id, "16313162");
        assert_eq!(n.kind, PolicyKind::Custom);
        assert_eq!(n.attachment_count, Some(3));
        assert_eq!(policy_kind(Some("QCS")), PolicyKind::System);
        assert_eq!(policy_kind(Some("User")), PolicyKind::Custom);
    }

    #[test]
    fn assume_role_credentials() {
        let r: AssumeRoleResponse = serde_json::from_value(json!({
            "Credentials": {"Token": "tok", "TmpSecretId": "AKIDtmp", "TmpSecretKey": "tmpkey"},
            "ExpiredTime": 1543914376, "Expiration": "2018-12-04T09:06:16Z", "RequestId": "r"
        }))
        .unwrap();
        assert!(!format!("{r:?}").contains("tmpkey"));
        let c = credentials_from_assume_role(&r, "qcs::cam::uin/1:roleName/x").unwrap();
        assert_eq!(c.secret_id, "AKIDtmp");
        assert_eq!(c.token.as_ref().map(Secret::expose), Some("tok"));
        assert_eq!(c.expires_at.map(|t| t.timestamp()), Some(1543914376));
        assert!(credentials_from_assume_role(&AssumeRoleResponse::default(), "r").is_err());
    }

    #[test]
    fn add_user_response_hides_secrets() {
        let r: AddUserResponse = serde_json::from_value(json!({
            "Uin": 100, "Name": "u", "Password": "pw-secret", "SecretId": "AKID", "SecretKey": "sk-secret", "Uid": 1
        }))
        .unwrap();
        let d = format!("{r:?}");
        assert!(!d.contains("pw-secret") && !d.contains("sk-secret"));
    }

    #[test]
    fn params() {
        let u = NewUser {
            name: "alice".into(),
            display_name: Some("Alice".into()),
            email: Some("a@example.com".into()),
            ..Default::default()
        };
        assert_eq!(
            add_user_params(&u),
            json!({"Name": "alice", "ConsoleLogin": 0, "UseApi": 0, "Remark": "Alice", "Email": "a@example.com"})
        );
        assert_eq!(
            delete_user_params("alice", true),
            json!({"Name": "alice", "Force": 1})
        );
        assert_eq!(list_groups_params(2), json!({"Page": 2, "Rp": 20}));
        assert_eq!(describe_role_list_params(1), json!({"Page": 1, "Rp": 200}));
        assert_eq!(
            list_policies_params(1),
            json!({"Page": 1, "Rp": 200, "Scope": "All"})
        );
        assert_eq!(
            list_attached_user_all_policies_params(100, 1),
            json!({"TargetUin": 100, "Page": 1, "Rp": 200, "AttachType": 0})
        );
        assert_eq!(
            list_attached_group_policies_params(7, 1),
            json!({"TargetGroupId": 7, "Page": 1, "Rp": 20})
        );
        assert_eq!(
            list_attached_role_policies_params("r", 1),
            json!({"RoleName": "r", "Page": 1, "Rp": 200})
        );
        assert_eq!(
            attach_user_policy_params(1, 2),
            json!({"PolicyId": 1, "AttachUin": 2})
        );
        assert_eq!(
            detach_user_policy_params(1, 2),
            json!({"PolicyId": 1, "DetachUin": 2})
        );
        assert_eq!(list_access_keys_params(Some(5)), json!({"TargetUin": 5}));
        assert_eq!(list_access_keys_params(None), json!({}));
        assert_eq!(get_user_params("a"), json!({"Name": "a"}));
        assert_eq!(list_users_params(), json!({}));
        assert_eq!(get_caller_identity_params(), json!({}));
        assert_eq!(
            assume_role_params("arn", "s", 3600, Some("ext")),
            json!({"RoleArn": "arn", "RoleSessionName": "s", "DurationSeconds": 3600, "ExternalId": "ext"})
        );
        assert_eq!(parse_cam_id("policy", "219064").unwrap(), 219064);
        assert!(parse_cam_id("policy", "abc").is_err());
    }
}
