//! Alibaba Cloud error bodies.
//!
//! RPC APIs (ECS, VPC, RAM, BSS, STS) answer JSON
//! `{"RequestId","HostId","Code","Message","Recommend"}` with the documented
//! HTTP status; OSS answers XML `<Error><Code/><Message/><RequestId/><HostId/>...</Error>`.

use http::StatusCode;
use serde_json::json;

use crate::estate::{EstateError, ResourceKind};
use crate::frontend::{SimResponse, Xml};

/// A JSON error of the RPC APIs.
pub fn rpc_error(
    request_id: &str,
    host: &str,
    product: &str,
    status: u16,
    code: &str,
    message: &str,
) -> SimResponse {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    SimResponse::json(
        status,
        &json!({
            "RequestId": request_id,
            "HostId": host,
            "Code": code,
            "Message": message,
            "Recommend": format!(
                "https://api.aliyun.com/troubleshoot?q={code}&product={product}&requestId={request_id}"
            ),
        }),
    )
    .with_header("x-acs-request-id", request_id)
}

/// An XML error of OSS.
pub fn oss_error(
    request_id: &str,
    host: &str,
    status: u16,
    code: &str,
    message: &str,
    extra: &[(&str, &str)],
) -> SimResponse {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    let x = Xml::new()
        .open("Error")
        .elem("Code", code)
        .elem("Message", message)
        .elem("RequestId", request_id)
        .elem("HostId", host)
        .with(|x| extra.iter().fold(x, |x, (k, v)| x.elem(k, v)))
        .close("Error")
        .finish();
    SimResponse::xml(status, x).with_header("x-oss-request-id", request_id)
}

/// `(status, code, message)` of an estate error in the RPC APIs.
pub fn rpc_code(e: &EstateError) -> (u16, String, String) {
    use ResourceKind as K;
    match e {
        EstateError::NotFound { kind, id } => {
            let (status, code, msg) = match kind {
                K::Instance => (
                    404,
                    "InvalidInstanceId.NotFound",
                    "The specified InstanceId does not exist.",
                ),
                K::Volume => (
                    404,
                    "InvalidDiskId.NotFound",
                    "The specified disk does not exist.",
                ),
                K::Image => (
                    404,
                    "InvalidImageId.NotFound",
                    "The specified ImageId does not exist.",
                ),
                K::InstanceType => (
                    400,
                    "InvalidInstanceType.ValueNotSupported",
                    "The specified InstanceType does not exist or beyond the permitted range.",
                ),
                K::Vpc => (
                    404,
                    "InvalidVpcId.NotFound",
                    "Specified VPC does not exist.",
                ),
                K::Subnet => (
                    404,
                    "InvalidVSwitchId.NotFound",
                    "Specified virtual switch does not exist.",
                ),
                K::SecurityGroup => (
                    404,
                    "InvalidSecurityGroupId.NotFound",
                    "The specified SecurityGroupId does not exist.",
                ),
                K::SecurityRule => (
                    404,
                    "InvalidSecurityGroupRuleId.NotFound",
                    "The specified security group rule does not exist.",
                ),
                K::PublicIp => (
                    404,
                    "InvalidAllocationId.NotFound",
                    "Specified allocation ID is not found",
                ),
                K::Region => (
                    404,
                    "InvalidRegionId.NotFound",
                    "The specified RegionId does not exist.",
                ),
                K::Zone => (
                    404,
                    "InvalidZoneId.NotFound",
                    "The specified zone does not exist.",
                ),
                K::User => (404, "EntityNotExist.User", "The user does not exist."),
                K::Group => (404, "EntityNotExist.Group", "The group does not exist."),
                K::Role => (404, "EntityNotExist.Role", "The role does not exist."),
                K::Policy => (404, "EntityNotExist.Policy", "The policy does not exist."),
                K::AccessKey => (
                    404,
                    "EntityNotExist.User.AccessKey",
                    "The access key does not exist.",
                ),
                K::Account => (
                    404,
                    "InvalidAccount.NotFound",
                    "The specified account does not exist.",
                ),
                _ => (
                    404,
                    "InvalidParameter.NotFound",
                    "The resource does not exist.",
                ),
            };
            (status, code.to_string(), format!("{msg} ({id})"))
        }
        EstateError::AlreadyExists { kind, id } => match kind {
            K::User => (
                409,
                "EntityAlreadyExists.User".into(),
                format!("The user already exists: {id}"),
            ),
            K::SecurityRule => (
                400,
                "InvalidPermission.Duplicate".into(),
                "The specified rule exists in the security group.".into(),
            ),
            _ => (
                409,
                "EntityAlreadyExists".into(),
                format!("The entity already exists: {id}"),
            ),
        },
        EstateError::InvalidState { kind, id, .. } | EstateError::InUse { kind, id, .. } => {
            match kind {
                K::Instance => (
                    403,
                    "IncorrectInstanceStatus".into(),
                    format!(
                        "The current status of the resource does not support this operation. ({id})"
                    ),
                ),
                K::Volume => (
                    403,
                    "IncorrectDiskStatus".into(),
                    format!("The current disk status does not support this operation. ({id})"),
                ),
                K::PublicIp => (
                    400,
                    "IncorrectEipStatus".into(),
                    format!(
                        "The current status of the resource does not support this operation. ({id})"
                    ),
                ),
                _ => (
                    400,
                    "IncorrectStatus".into(),
                    format!(
                        "The current status of the resource does not support this operation. ({id})"
                    ),
                ),
            }
        }
        EstateError::DependencyViolation {
            kind, dependent, ..
        } => match (kind, dependent) {
            (K::Vpc, K::Subnet) => (
                400,
                "DependencyViolation.VSwitch".into(),
                "Specified object has dependent resources.".into(),
            ),
            (K::Vpc, K::SecurityGroup) => (
                400,
                "DependencyViolation.SecurityGroup".into(),
                "Specified object has dependent resources SecurityGroup.".into(),
            ),
            (K::Vpc, _) => (
                400,
                "DependencyViolation.Instance".into(),
                "Specified object has dependent resources.".into(),
            ),
            (K::SecurityGroup, _) => (
                403,
                "DependencyViolation".into(),
                "There is still instance(s) in the specified security group.".into(),
            ),
            (K::User, K::AccessKey) => (
                409,
                "DeleteConflict.User.AccessKey".into(),
                "The user has access keys.".into(),
            ),
            (K::User, K::Group) => (
                409,
                "DeleteConflict.User.Group".into(),
                "The user belongs to groups.".into(),
            ),
            (K::User, _) => (
                409,
                "DeleteConflict.User.Policy".into(),
                "The user has attached policies.".into(),
            ),
            _ => (
                400,
                "DependencyViolation".into(),
                "Specified object has dependent resources.".into(),
            ),
        },
        EstateError::InvalidArgument(m) => (400, "InvalidParameter".into(), m.clone()),
    }
}

/// `(status, code, message)` of an estate error in OSS.
pub fn oss_code(e: &EstateError) -> (u16, &'static str, String) {
    match e {
        EstateError::NotFound { kind, .. } => match kind {
            ResourceKind::Bucket => (404, "NoSuchBucket", "The specified bucket does not exist.".into()),
            ResourceKind::Object => (404, "NoSuchKey", "The specified key does not exist.".into()),
            ResourceKind::Upload => (
                404,
                "NoSuchUpload",
                "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.".into(),
            ),
            _ => (404, "NoSuchKey", e.to_string()),
        },
        EstateError::AlreadyExists { .. } => (
            409,
            "BucketAlreadyExists",
            "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.".into(),
        ),
        EstateError::DependencyViolation { .. } => (
            409,
            "BucketNotEmpty",
            "The bucket you tried to delete is not empty.".into(),
        ),
        EstateError::InvalidArgument(m) if m.contains("part") => (400, "InvalidPart", m.clone()),
        other => (400, "InvalidArgument", other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rpc_error_shape_and_codes() {
        let r = rpc_error(
            "RID",
            "ecs.aliyuncs.com",
            "Ecs",
            404,
            "InvalidInstanceId.NotFound",
            "m",
        );
        assert_eq!(r.status.as_u16(), 404);
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        for k in ["RequestId", "HostId", "Code", "Message", "Recommend"] {
            assert!(v.get(k).is_some(), "{k}");
        }
        let e = EstateError::DependencyViolation {
            kind: ResourceKind::Vpc,
            id: "vpc-1".into(),
            dependent: ResourceKind::Subnet,
            dependent_id: "vsw-1".into(),
        };
        assert_eq!(rpc_code(&e).1, "DependencyViolation.VSwitch");
        let e = EstateError::InvalidState {
            kind: ResourceKind::Instance,
            id: "i-1".into(),
            state: "running".into(),
            message: "x".into(),
        };
        assert_eq!(rpc_code(&e).0, 403);
        let o = oss_error("RID", "h", 404, "NoSuchKey", "m", &[("Key", "k")]);
        let s = std::str::from_utf8(&o.body).unwrap();
        assert!(
            s.contains("<Code>NoSuchKey</Code>") && s.contains("<Key>k</Key>"),
            "{s}"
        );
    }
}
