//! Error parsing and classification for Alibaba Cloud responses.
//!
//! RPC-style APIs (ECS, VPC, RAM, BSS, STS) answer errors with a JSON body
//! `{"RequestId", "HostId", "Code", "Message", "Recommend"}`; OSS answers
//! with XML `<Error><Code/><Message/><RequestId/><HostId/></Error>` (and with
//! no body at all to `HEAD`, where only the `x-oss-request-id` header
//! remains). [`classify`] maps a code and HTTP status to an [`ErrorKind`];
//! [`parse_rpc_error`] and [`parse_oss_error`] build the SDK's [`Error`] with
//! the code, message, request id and status.

use serde::Deserialize;

use crate::error::{Error, ErrorKind};

/// The provider name put into every error's context.
pub const PROVIDER: &str = "alibaba";

/// Map an Alibaba error code (RPC or OSS) and the HTTP status to a kind.
///
/// Codes win over statuses; the status decides only for codes the table
/// does not know. The order of the rules matters: specific codes first
/// (`InvalidAccessKeyId.NotFound` is an authentication failure, not a
/// missing resource), then families by prefix or suffix.
pub fn classify(code: &str, http_status: u16) -> ErrorKind {
    use ErrorKind::*;
    let c = code.trim();
    // Exact codes whose family rule below would be wrong.
    match c {
        // Authentication (credentials, signature, clock, STS token).
        "InvalidAccessKeyId"
        | "InvalidAccessKeyId.NotFound"
        | "InvalidAccessKeyId.Inactive"
        | "InvalidAccessKeySecret"
        | "SignatureDoesNotMatch"
        | "IncompleteSignature"
        | "InvalidSignature"
        | "SignatureNonceUsed"
        | "InvalidTimeStamp.Expired"
        | "InvalidTimeStamp.Format"
        | "RequestTimeTooSkewed"
        | "RequestExpired"
        | "InvalidSecurityToken"
        | "InvalidSecurityToken.Expired"
        | "InvalidSecurityToken.Malformed"
        | "InvalidSecurityToken.MismatchWithAccessKey"
        | "SecurityTokenExpired"
        | "MissingSecurityToken"
        | "InvalidAuthorization"
        | "MissingAuthorization"
        | "InvalidPolicyDocument"
        | "AccessKeyDisabled" => return Unauthenticated,
        // Permission.
        "Forbidden.RAM"
        | "NoPermission"
        | "AccessDenied"
        | "UnauthorizedOperation"
        | "NotAuthorized"
        | "Unauthorized"
        | "InvalidUser.Unauthorized" => return PermissionDenied,
        // Throttling and availability.
        "Throttling"
        | "Throttling.User"
        | "Throttling.Api"
        | "Throttling.Concurrent"
        | "Throttling.Resource"
        | "RequestLimitExceeded"
        | "ConcurrentLimitExceeded"
        | "SlowDown"
        | "QpsLimitExceeded" => return Throttled,
        "ServiceUnavailable"
        | "ServiceUnavailable.Upgrading"
        | "InternalError"
        | "InternalServerError"
        | "UnknownError"
        | "Undefined"
        | "ServiceBusy" => return Unavailable,
        "ServiceTimeout" | "RequestTimeout" | "Timeout" => return Timeout,
        // Conflicts: wrong state, busy, in use, token reuse.
        "IdempotentParameterMismatch"
        | "IdempotentProcessing"
        | "LastTokenProcessing"
        | "OperationConflict"
        | "TaskConflict"
        | "BucketNotEmpty"
        | "ObjectNotAppendable"
        | "PositionNotEqualToLength"
        | "DeleteConflict.User.AccessKey"
        | "DeleteConflict.User.Group"
        | "DeleteConflict.User.Policy"
        | "IncorrectStatus" => return Conflict,
        // Not found (OSS).
        "NoSuchBucket"
        | "NoSuchKey"
        | "NoSuchUpload"
        | "NoSuchVersion"
        | "NoSuchCORSConfiguration"
        | "NoSuchLifecycle"
        | "NoSuchTagSet"
        | "NoSuchWebsiteConfiguration"
        | "NoSuchBucketPolicy" => return NotFound,
        // Already exists (OSS and others).
        "BucketAlreadyExists" | "BucketAlreadyOwnedByYou" | "EntityAlreadyExists" => {
            return AlreadyExists;
        }
        // Quotas and capacity.
        "TooManyBuckets" | "OperationDenied.NoStock" => return QuotaExceeded,
        // Invalid requests (OSS and common).
        "MalformedXML"
        | "MalformedJson"
        | "InvalidArgument"
        | "InvalidBucketName"
        | "InvalidObjectName"
        | "InvalidDigest"
        | "InvalidPart"
        | "InvalidPartOrder"
        | "EntityTooLarge"
        | "EntityTooSmall"
        | "InvalidTargetBucketForLogging"
        | "InvalidEncryptionAlgorithmError"
        | "MissingContentLength"
        | "InvalidRange" => {
            return InvalidArgument;
        }
        // The API itself is unknown (at that version).
        "InvalidAction.NotFound" | "InvalidVersion" | "UnsupportedHTTPAction" => {
            return Unsupported;
        }
        _ => {}
    }
    // Families.
    if c.starts_with("Throttling") {
        return Throttled;
    }
    if c.starts_with("InvalidAccessKeyId") || c.starts_with("InvalidSecurityToken") {
        return Unauthenticated;
    }
    if c.starts_with("Forbidden") || c.starts_with("Forbbiden") || c.starts_with("NoPermission") {
        return PermissionDenied;
    }
    if c.starts_with("EntityNotExist")
        || c.ends_with(".NotFound")
        || c.ends_with(".NotExist")
        || c.ends_with(".NotExists")
        || c.starts_with("NoSuch")
        || c.contains("NotFound")
    {
        return NotFound;
    }
    if c.starts_with("EntityAlreadyExists")
        || c.ends_with(".AlreadyExists")
        || c.ends_with(".AlreadyExist")
        || c.ends_with(".Duplicate")
        || c.contains("AlreadyExists")
    {
        return AlreadyExists;
    }
    if c.starts_with("QuotaExceed")
        || c.contains("QuotaExceed")
        || c.contains("LimitExceed")
        || c.starts_with("Quota.")
    {
        return QuotaExceeded;
    }
    if (c.starts_with("Incorrect") && c.contains("Status"))
        || c.starts_with("IncorrectInstanceStatus")
        || c.starts_with("IncorrectDiskStatus")
        || c.starts_with("DependencyViolation")
        || c.starts_with("DeleteConflict")
        || c.starts_with("OperationConflict")
        || c.starts_with("InvalidStatus")
        || c.ends_with(".InUse")
        || c.ends_with(".InProgress")
    {
        return Conflict;
    }
    if c.starts_with("Unsupported") || c.ends_with(".NotSupported") || c.starts_with("NotSupported")
    {
        return Unsupported;
    }
    if c.starts_with("InvalidParameter")
        || c.starts_with("MissingParameter")
        || c.starts_with("Missing")
        || c.starts_with("Invalid")
        || c.starts_with("Malformed")
        || c.starts_with("IllegalParameter")
        || c.starts_with("Illegal")
    {
        return InvalidArgument;
    }
    if c.starts_with("InternalError") || c.starts_with("ServiceUnavailable") {
        return Unavailable;
    }
    by_status(http_status)
}

/// Whether `code` is ECS's answer to a `DryRun=true` request that would
/// have been allowed (`DryRunOperation`). Used to tell "no resources" from
/// "no permission": `DescribeInstances` answers an empty list, not an
/// error, to a RAM user without permission, but a dry run answers
/// `DryRunOperation` only when the caller is allowed.
pub fn is_dry_run_allowed(code: &str) -> bool {
    code == "DryRunOperation"
}

/// The kind an HTTP status implies when the code says nothing more.
pub fn by_status(http_status: u16) -> ErrorKind {
    match http_status {
        400 | 405 | 411 | 413 | 414 | 416 => ErrorKind::InvalidArgument,
        401 => ErrorKind::Unauthenticated,
        403 => ErrorKind::PermissionDenied,
        404 => ErrorKind::NotFound,
        409 | 412 => ErrorKind::Conflict,
        429 => ErrorKind::Throttled,
        408 | 504 => ErrorKind::Timeout,
        500..=599 => ErrorKind::Unavailable,
        _ => ErrorKind::Other,
    }
}

/// The error body of RPC-style APIs. Field names as the vendor returns them
/// (the ROA style and some gateways use lower-case names, accepted too).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct RpcErrorBody {
    /// Request id.
    #[serde(rename = "RequestId", alias = "requestId", default)]
    pub request_id: Option<String>,
    /// Host that answered.
    #[serde(rename = "HostId", alias = "hostId", default)]
    pub host_id: Option<String>,
    /// Error code (`Throttling.User`, `InvalidInstanceId.NotFound`).
    #[serde(rename = "Code", alias = "code", default)]
    pub code: Option<String>,
    /// Error message.
    #[serde(rename = "Message", alias = "message", default)]
    pub message: Option<String>,
    /// Link to the vendor's diagnosis page.
    #[serde(rename = "Recommend", alias = "recommend", default)]
    pub recommend: Option<String>,
}

/// The `<Error>` body of OSS.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct OssErrorBody {
    /// Error code (`NoSuchKey`, `AccessDenied`).
    #[serde(rename = "Code", default)]
    pub code: Option<String>,
    /// Error message.
    #[serde(rename = "Message", default)]
    pub message: Option<String>,
    /// Request id.
    #[serde(rename = "RequestId", default)]
    pub request_id: Option<String>,
    /// Host that answered.
    #[serde(rename = "HostId", default)]
    pub host_id: Option<String>,
    /// OSS's detailed error number (`0026-00000001`).
    #[serde(rename = "EC", default)]
    pub ec: Option<String>,
    /// Link to the vendor's diagnosis page.
    #[serde(rename = "RecommendDoc", default)]
    pub recommend_doc: Option<String>,
}

fn snippet(body: &[u8]) -> String {
    let s = String::from_utf8_lossy(body);
    let t: String = s.chars().take(200).collect();
    t.trim().to_string()
}

fn build(
    service: &str,
    status: u16,
    code: Option<String>,
    message: Option<String>,
    request_id: Option<String>,
    body: &[u8],
) -> Error {
    let code = code.filter(|c| !c.is_empty());
    let kind = match &code {
        Some(c) => classify(c, status),
        None => by_status(status),
    };
    let message = message.filter(|m| !m.is_empty()).unwrap_or_else(|| {
        let s = snippet(body);
        if s.is_empty() {
            format!("HTTP {status} without an error body")
        } else {
            s
        }
    });
    let mut e = Error::new(kind, message)
        .with_provider(PROVIDER)
        .with_service(service)
        .with_http_status(status);
    if let Some(c) = code {
        e = e.with_code(c);
    }
    if let Some(r) = request_id.filter(|r| !r.is_empty()) {
        e = e.with_request_id(r);
    }
    e
}

/// Parse the error answer of an RPC-style API (`service` is `ecs`, `vpc`,
/// `ram`, `bss` or `sts`). A body that is not the documented JSON still
/// yields an error, classified by status, with the start of the body as its
/// message.
pub fn parse_rpc_error(service: &str, status: u16, body: &[u8]) -> Error {
    match serde_json::from_slice::<RpcErrorBody>(body) {
        Ok(b) => {
            let message = match (b.message, b.recommend) {
                (Some(m), Some(r)) if !r.is_empty() => Some(format!("{m} (see {r})")),
                (m, _) => m,
            };
            build(service, status, b.code, message, b.request_id, body)
        }
        Err(_) => build(service, status, None, None, None, body),
    }
}

/// Parse an OSS error answer. `request_id_header` is the response's
/// `x-oss-request-id`, used when the body has none (HEAD requests).
pub fn parse_oss_error(status: u16, body: &[u8], request_id_header: Option<&str>) -> Error {
    let parsed = std::str::from_utf8(body)
        .ok()
        .filter(|s| !s.trim().is_empty())
        .and_then(|s| quick_xml::de::from_str::<OssErrorBody>(s).ok());
    let header_id = request_id_header.map(str::to_string);
    match parsed {
        Some(b) => {
            let message = match (b.message, b.ec) {
                (Some(m), Some(ec)) if !ec.is_empty() => Some(format!("{m} (EC {ec})")),
                (m, _) => m,
            };
            build(
                "oss",
                status,
                b.code,
                message,
                b.request_id.or(header_id),
                body,
            )
        }
        // HEAD and some gateways answer without a body: the code is
        // unknown (a bodiless 404 may be the bucket or the key).
        None => build("oss", status, None, None, header_id, body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ErrorKind::*;

    /// Every code named in the provider issue and the vendor's common
    /// codes, with the kind each must map to.
    const TABLE: &[(&str, u16, ErrorKind)] = &[
        // Throttling (ECS/VPC/RAM/BSS/STS common codes).
        ("Throttling", 400, Throttled),
        ("Throttling.User", 400, Throttled),
        ("Throttling.Api", 400, Throttled),
        ("Throttling.Concurrent", 400, Throttled),
        ("Throttling.Resource", 400, Throttled),
        ("Throttling.ThrottlingCheck", 400, Throttled),
        ("ServiceUnavailable", 503, Unavailable),
        ("InternalError", 500, Unavailable),
        ("UnknownError", 500, Unavailable),
        ("ServiceTimeout", 504, Timeout),
        // Not found.
        ("InvalidInstanceId.NotFound", 404, NotFound),
        ("InvalidDiskId.NotFound", 404, NotFound),
        ("InvalidImageId.NotFound", 404, NotFound),
        ("InvalidSecurityGroupId.NotFound", 404, NotFound),
        ("InvalidRegionId.NotFound", 404, NotFound),
        ("InvalidVpcId.NotFound", 404, NotFound),
        ("InvalidVSwitchId.NotFound", 404, NotFound),
        ("InvalidAllocationId.NotFound", 404, NotFound),
        ("InvalidZoneId.NotFound", 404, NotFound),
        ("InvalidKeyPairName.NotFound", 404, NotFound),
        ("DependencyViolation.NotFound", 404, NotFound),
        ("EntityNotExist.User", 404, NotFound),
        ("EntityNotExist.Group", 404, NotFound),
        ("EntityNotExist.Role", 404, NotFound),
        ("EntityNotExist.Policy", 404, NotFound),
        ("EntityNotExist.User.AccessKey", 404, NotFound),
        ("EntityNotExist.User.Group", 404, NotFound),
        ("NoSuchBucket", 404, NotFound),
        ("NoSuchKey", 404, NotFound),
        ("NoSuchUpload", 404, NotFound),
        ("NoSuchVersion", 404, NotFound),
        ("ResourceNotFound", 404, NotFound),
        // Authentication.
        ("InvalidAccessKeyId.NotFound", 404, Unauthenticated),
        ("InvalidAccessKeyId.Inactive", 400, Unauthenticated),
        ("InvalidAccessKeyId", 403, Unauthenticated),
        ("SignatureDoesNotMatch", 400, Unauthenticated),
        ("SignatureDoesNotMatch", 403, Unauthenticated),
        ("IncompleteSignature", 400, Unauthenticated),
        ("InvalidTimeStamp.Expired", 400, Unauthenticated),
        ("InvalidTimeStamp.Format", 400, Unauthenticated),
        ("SignatureNonceUsed", 400, Unauthenticated),
        ("InvalidSecurityToken.Expired", 400, Unauthenticated),
        (
            "InvalidSecurityToken.MismatchWithAccessKey",
            400,
            Unauthenticated,
        ),
        ("InvalidSecurityToken.Malformed", 400, Unauthenticated),
        ("RequestTimeTooSkewed", 403, Unauthenticated),
        // Permission.
        ("Forbidden.RAM", 403, PermissionDenied),
        ("Forbidden", 403, PermissionDenied),
        ("Forbidden.SubUser", 403, PermissionDenied),
        ("Forbidden.NotSupportRAM", 403, PermissionDenied),
        ("Forbidden.Unauthorized", 403, PermissionDenied),
        ("NoPermission", 403, PermissionDenied),
        ("NoPermission.Policy", 403, PermissionDenied),
        ("AccessDenied", 403, PermissionDenied),
        ("UnauthorizedOperation", 403, PermissionDenied),
        ("NotAuthorized", 400, PermissionDenied),
        // Conflict (wrong state, busy, in use).
        ("IncorrectInstanceStatus", 403, Conflict),
        ("IncorrectInstanceStatus.Initializing", 403, Conflict),
        ("IncorrectDiskStatus", 403, Conflict),
        ("IncorrectDiskStatus.Initializing", 403, Conflict),
        ("IncorrectVpcStatus", 400, Conflict),
        ("IncorrectEipStatus", 400, Conflict),
        ("IncorrectStatus", 400, Conflict),
        ("IncorrectStatus.Vpc", 400, Conflict),
        ("DependencyViolation", 403, Conflict),
        ("DependencyViolation.VSwitch", 400, Conflict),
        ("DependencyViolation.SecurityGroup", 403, Conflict),
        ("DeleteConflict.User.AccessKey", 409, Conflict),
        ("DeleteConflict.User.Policy", 409, Conflict),
        ("DeleteConflict.Role.Policy", 409, Conflict),
        ("IdempotentParameterMismatch", 400, Conflict),
        ("IdempotentProcessing", 400, Conflict),
        ("LastTokenProcessing", 400, Conflict),
        ("OperationConflict", 400, Conflict),
        ("TaskConflict", 400, Conflict),
        ("BucketNotEmpty", 409, Conflict),
        // Already exists.
        ("EntityAlreadyExists.User", 409, AlreadyExists),
        ("EntityAlreadyExists.Group", 409, AlreadyExists),
        ("EntityAlreadyExists.Role", 409, AlreadyExists),
        ("EntityAlreadyExists.Policy", 409, AlreadyExists),
        ("EntityAlreadyExists.User.Group", 409, AlreadyExists),
        ("InvalidSecurityGroupName.AlreadyExists", 400, AlreadyExists),
        ("BucketAlreadyExists", 409, AlreadyExists),
        // Quota.
        ("QuotaExceed", 400, QuotaExceeded),
        ("QuotaExceed.SecurityGroup", 400, QuotaExceeded),
        ("QuotaExceed.SecurityGroupRule", 400, QuotaExceeded),
        ("QuotaExceed.PostPaidInstance", 400, QuotaExceeded),
        ("QuotaExceeded.Eip", 400, QuotaExceeded),
        ("QuotaExceeded.Vpc", 400, QuotaExceeded),
        ("InstanceDiskNumber.LimitExceed", 400, QuotaExceeded),
        ("LimitExceeded.User", 409, QuotaExceeded),
        ("LimitExceeded.Policy.Version", 409, QuotaExceeded),
        ("TooManyBuckets", 400, QuotaExceeded),
        ("OperationDenied.NoStock", 403, QuotaExceeded),
        // Invalid argument.
        ("InvalidParameter", 400, InvalidArgument),
        ("InvalidParameter.Conflict", 400, InvalidArgument),
        (
            "InvalidParameter.Encryption.KmsNotEnabled",
            400,
            InvalidArgument,
        ),
        ("MissingParameter", 400, InvalidArgument),
        ("MissingParameter.RegionId", 400, InvalidArgument),
        (
            "InvalidInstanceType.ValueUnauthorized",
            400,
            InvalidArgument,
        ),
        (
            "InvalidInstanceType.ValueNotSupported",
            400,
            InvalidArgument,
        ),
        ("InvalidCidrBlock.Malformed", 400, InvalidArgument),
        ("IllegalParameter", 400, InvalidArgument),
        ("InvalidArgument", 400, InvalidArgument),
        ("MalformedXML", 400, InvalidArgument),
        ("InvalidBucketName", 400, InvalidArgument),
        ("InvalidObjectName", 400, InvalidArgument),
        ("EntityTooLarge", 400, InvalidArgument),
        ("InvalidDigest", 400, InvalidArgument),
        // Unsupported.
        ("InvalidAction.NotFound", 404, Unsupported),
        ("UnsupportedOperation", 400, Unsupported),
        ("Unsupported.IoOptimized", 400, Unsupported),
        ("OperationDenied.NotSupported", 403, Unsupported),
        // Unknown codes fall back to the status.
        ("SomethingNew", 400, InvalidArgument),
        ("SomethingNew", 401, Unauthenticated),
        ("SomethingNew", 403, PermissionDenied),
        ("SomethingNew", 404, NotFound),
        ("SomethingNew", 409, Conflict),
        ("SomethingNew", 429, Throttled),
        ("SomethingNew", 500, Unavailable),
        ("SomethingNew", 502, Unavailable),
        ("SomethingNew", 503, Unavailable),
        ("SomethingNew", 504, Timeout),
        ("SomethingNew", 302, Other),
    ];

    #[test]
    fn classification_table() {
        let mut wrong = Vec::new();
        for (code, status, kind) in TABLE {
            let got = classify(code, *status);
            if got != *kind {
                wrong.push(format!("{code} ({status}): {got} != {kind}"));
            }
        }
        assert!(wrong.is_empty(), "misclassified:\n{}", wrong.join("\n"));
    }

    #[test]
    fn dry_run_answer() {
        assert!(is_dry_run_allowed("DryRunOperation"));
        assert!(!is_dry_run_allowed("Forbidden.RAM"));
    }

    #[test]
    fn throttles_are_retryable() {
        for code in [
            "Throttling",
            "Throttling.User",
            "Throttling.Api",
            "ServiceUnavailable",
        ] {
            assert!(classify(code, 400).is_retryable(), "{code}");
        }
        assert!(!classify("IncorrectInstanceStatus", 403).is_retryable());
    }

    #[test]
    fn rpc_error_body() {
        let body = br#"{"RequestId":"473469C7-AA6F-4DC5-B3DB-A3DC0DE3C83E","HostId":"ecs.aliyuncs.com","Code":"InvalidInstanceId.NotFound","Message":"The specified InstanceId does not exist.","Recommend":"https://api.aliyun.com/troubleshoot?q=InvalidInstanceId.NotFound"}"#;
        let e = parse_rpc_error("ecs", 404, body);
        assert_eq!(e.kind(), NotFound);
        assert_eq!(e.code(), Some("InvalidInstanceId.NotFound"));
        assert_eq!(e.request_id(), Some("473469C7-AA6F-4DC5-B3DB-A3DC0DE3C83E"));
        assert_eq!(e.http_status(), Some(404));
        assert_eq!(e.provider(), Some("alibaba"));
        assert!(
            e.message()
                .starts_with("The specified InstanceId does not exist.")
        );
        assert!(e.message().contains("troubleshoot"));

        let e = parse_rpc_error(
            "ecs",
            400,
            br#"{"RequestId":"r1","Code":"Throttling.User","Message":"Request was denied due to user flow control."}"#,
        );
        assert_eq!(e.kind(), Throttled);
        assert!(e.is_retryable());

        let e = parse_rpc_error("ram", 403, b"<html>gateway</html>");
        assert_eq!(e.kind(), PermissionDenied);
        assert_eq!(e.code(), None);
        assert_eq!(e.message(), "<html>gateway</html>");

        let e = parse_rpc_error("vpc", 503, b"");
        assert_eq!(e.kind(), Unavailable);
        assert_eq!(e.message(), "HTTP 503 without an error body");
    }

    #[test]
    fn oss_error_body() {
        let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<Error>
  <Code>NoSuchKey</Code>
  <Message>The specified key does not exist.</Message>
  <RequestId>5C3D9175B6FC201293AD****</RequestId>
  <HostId>examplebucket.oss-cn-hangzhou.aliyuncs.com</HostId>
  <Key>example.txt</Key>
  <EC>0026-00000001</EC>
</Error>"#;
        let e = parse_oss_error(404, body, Some("header-id"));
        assert_eq!(e.kind(), NotFound);
        assert_eq!(e.code(), Some("NoSuchKey"));
        assert_eq!(e.request_id(), Some("5C3D9175B6FC201293AD****"));
        assert_eq!(e.context().service.as_deref(), Some("oss"));
        assert!(e.message().contains("0026-00000001"));

        let e = parse_oss_error(
            403,
            b"<Error><Code>SignatureDoesNotMatch</Code><Message>m</Message></Error>",
            Some("hdr"),
        );
        assert_eq!(e.kind(), Unauthenticated);
        assert_eq!(e.request_id(), Some("hdr"));

        let e = parse_oss_error(404, b"", Some("5C3D"));
        assert_eq!(e.kind(), NotFound);
        assert_eq!(e.code(), None);
        assert_eq!(e.request_id(), Some("5C3D"));

        let e = parse_oss_error(409, b"<Error><Code>BucketNotEmpty</Code></Error>", None);
        assert_eq!(e.kind(), Conflict);
    }
}
