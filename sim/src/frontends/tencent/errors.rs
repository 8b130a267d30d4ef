//! Tencent Cloud error bodies: API 3.0 (`{"Response": {"Error": ...}}`, HTTP
//! 200) and COS (XML with an HTTP status), and the mapping of estate errors
//! to the codes each service documents (`errorcodes.py` of the vendor SDK).

use http::StatusCode;
use serde_json::{Value, json};

use crate::estate::{EstateError, ResourceKind};
use crate::frontend::{Ctx, SimResponse, Xml};

/// An API 3.0 error: code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    /// `Error.Code`.
    pub(crate) code: String,
    /// `Error.Message`.
    pub(crate) message: String,
}

/// Result of an API 3.0 action: the `Response` fields without `RequestId`.
pub(crate) type ApiResult = Result<Value, ApiError>;

impl ApiError {
    /// An error with this code and message.
    pub(crate) fn new(code: &str, message: &str) -> Self {
        ApiError {
            code: code.to_string(),
            message: message.to_string(),
        }
    }

    /// `MissingParameter` for a required parameter.
    pub(crate) fn missing(name: &str) -> Self {
        ApiError::new(
            "MissingParameter",
            &format!("The request is missing a required parameter `{name}`."),
        )
    }

    /// `InvalidParameterValue` with a message.
    pub(crate) fn invalid_value(message: &str) -> Self {
        ApiError::new("InvalidParameterValue", message)
    }
}

/// A successful API 3.0 response: `fields` plus `RequestId`, HTTP 200.
pub(crate) fn api_ok(ctx: &Ctx, fields: Value) -> SimResponse {
    let mut fields = match fields {
        Value::Object(m) => m,
        _ => serde_json::Map::new(),
    };
    fields.insert("RequestId".into(), Value::String(ctx.request_id()));
    SimResponse::json(StatusCode::OK, &json!({ "Response": fields }))
}

/// An API 3.0 error response (HTTP 200, as every processed error is).
pub(crate) fn api_error(ctx: &Ctx, err: &ApiError) -> SimResponse {
    SimResponse::json(
        StatusCode::OK,
        &json!({"Response": {
            "Error": {"Code": err.code, "Message": err.message},
            "RequestId": ctx.request_id(),
        }}),
    )
}

/// The API service a call belongs to (for service-specific error codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Service {
    /// CVM.
    Cvm,
    /// CBS.
    Cbs,
    /// VPC.
    Vpc,
    /// CAM.
    Cam,
    /// Billing.
    Billing,
    /// STS.
    Sts,
}

/// The documented code for an estate error raised in `service`.
pub(crate) fn from_estate(service: Service, e: &EstateError) -> ApiError {
    use ResourceKind as K;
    let msg = e.to_string();
    let code: String = match e {
        EstateError::NotFound { kind, .. } => match (kind, service) {
            (K::Instance, _) => "InvalidInstanceId.NotFound".into(),
            (K::Volume, _) => "InvalidDiskId.NotFound".into(),
            (K::Image, _) => "InvalidImageId.NotFound".into(),
            (K::InstanceType, _) => "InvalidParameterValue.InstanceTypeNotFound".into(),
            (K::Zone, Service::Cvm) => "InvalidZone.MismatchRegion".into(),
            (K::Zone, _) => "InvalidParameterValue.Zone".into(),
            (K::Region, _) => "UnsupportedRegion".into(),
            (K::Vpc | K::Subnet, Service::Cvm) => {
                "InvalidParameterValue.InvalidVpcIdSubnetIdNotFound".into()
            }
            (K::Vpc, _) => "ResourceNotFound".into(),
            (K::Subnet, _) => "ResourceNotFound".into(),
            (K::SecurityGroup, Service::Cvm) => "InvalidSecurityGroupId.NotFound".into(),
            (K::SecurityGroup, _) => "InvalidSecurityGroupID.NotFound".into(),
            (K::SecurityRule, _) => "ResourceNotFound".into(),
            (K::PublicIp, _) => "InvalidAddressId.NotFound".into(),
            (K::User, _) => "ResourceNotFound.UserNotExist".into(),
            (K::Group, _) => "ResourceNotFound.GroupNotExist".into(),
            (K::Role, Service::Sts) => "ResourceNotFound.RoleNotFound".into(),
            (K::Role, _) => "InvalidParameter.RoleNotExist".into(),
            (K::Policy, _) => "ResourceNotFound.PolicyIdNotFound".into(),
            _ => "ResourceNotFound".into(),
        },
        EstateError::AlreadyExists { kind, .. } => match kind {
            K::User => "InvalidParameter.SubUserNameInUse".into(),
            K::Group => "InvalidParameter.GroupNameInUse".into(),
            K::Role => "InvalidParameter.RoleNameInUse".into(),
            K::Policy => "FailedOperation.PolicyNameInUse".into(),
            K::SecurityRule => "UnsupportedOperation.DuplicatePolicy".into(),
            _ => "InvalidParameterValue.Duplicate".into(),
        },
        EstateError::InvalidState { kind, state, .. } => match kind {
            K::Instance => instance_state_code(state),
            K::Volume => "UnsupportedOperation.StateError".into(),
            K::PublicIp => "InvalidAddressIdStatus.NotPermit".into(),
            _ => "UnsupportedOperation".into(),
        },
        EstateError::InUse { kind, .. } => match kind {
            K::Volume => "ResourceUnavailable.Attached".into(),
            K::PublicIp => "InvalidAddressIdStatus.NotPermit".into(),
            _ => "ResourceInUse".into(),
        },
        EstateError::DependencyViolation { .. } => match service {
            Service::Cam => "OperationDenied.HaveKeys".into(),
            _ => "ResourceInUse".into(),
        },
        EstateError::InvalidArgument(_) => "InvalidParameterValue".into(),
    };
    ApiError { code, message: msg }
}

/// CVM's code for an operation refused in an instance state: an operation
/// in progress for transitional states, `UnsupportedOperation.InstanceState*`
/// for stable ones.
fn instance_state_code(state: &str) -> String {
    match state {
        "pending" | "starting" | "stopping" | "rebooting" | "terminating" => {
            "OperationDenied.InstanceOperationInProgress".into()
        }
        "running" => "UnsupportedOperation.InstanceStateRunning".into(),
        "stopped" => "UnsupportedOperation.InstanceStateStopped".into(),
        "terminated" => "UnsupportedOperation.InstanceStateTerminated".into(),
        _ => "InvalidInstanceState".into(),
    }
}

/// A COS error: status, code and message, as the XML `Error` document.
pub(crate) fn cos_error(
    ctx: &Ctx,
    status: StatusCode,
    code: &str,
    message: &str,
    resource: &str,
    head: bool,
) -> SimResponse {
    let rid = ctx.request_id();
    let trace = rid.replace('-', "");
    if head {
        return SimResponse::empty(status)
            .with_header("x-cos-request-id", &rid)
            .with_header("x-cos-trace-id", &trace);
    }
    let body = Xml::new()
        .open("Error")
        .elem("Code", code)
        .elem("Message", message)
        .elem("Resource", resource)
        .elem("RequestId", &rid)
        .elem("TraceId", &trace)
        .close("Error")
        .finish();
    SimResponse::xml(status, body)
        .with_header("x-cos-request-id", &rid)
        .with_header("x-cos-trace-id", &trace)
}

/// The COS status and code for an estate error.
pub(crate) fn cos_from_estate(e: &EstateError) -> (StatusCode, &'static str) {
    match e {
        EstateError::NotFound { kind, .. } => match kind {
            ResourceKind::Bucket => (StatusCode::NOT_FOUND, "NoSuchBucket"),
            ResourceKind::Object => (StatusCode::NOT_FOUND, "NoSuchKey"),
            ResourceKind::Upload => (StatusCode::NOT_FOUND, "NoSuchUpload"),
            ResourceKind::Region => (StatusCode::BAD_REQUEST, "InvalidLocationConstraint"),
            _ => (StatusCode::NOT_FOUND, "NoSuchResource"),
        },
        EstateError::AlreadyExists { .. } => (StatusCode::CONFLICT, "BucketAlreadyExists"),
        EstateError::DependencyViolation { .. } | EstateError::InUse { .. } => {
            (StatusCode::CONFLICT, "BucketNotEmpty")
        }
        EstateError::InvalidArgument(m) if m.contains("part") => {
            (StatusCode::BAD_REQUEST, "InvalidPart")
        }
        EstateError::InvalidArgument(_) => (StatusCode::BAD_REQUEST, "InvalidArgument"),
        _ => (StatusCode::CONFLICT, "InvalidRequest"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estate_errors_map_to_documented_codes() {
        let nf = EstateError::NotFound {
            kind: ResourceKind::Instance,
            id: "ins-1".into(),
        };
        assert_eq!(
            from_estate(Service::Cvm, &nf).code,
            "InvalidInstanceId.NotFound"
        );
        let st = EstateError::InvalidState {
            kind: ResourceKind::Instance,
            id: "ins-1".into(),
            state: "stopping".into(),
            message: String::new(),
        };
        assert_eq!(
            from_estate(Service::Cvm, &st).code,
            "OperationDenied.InstanceOperationInProgress"
        );
        let st = EstateError::InvalidState {
            kind: ResourceKind::Instance,
            id: "ins-1".into(),
            state: "running".into(),
            message: String::new(),
        };
        assert_eq!(
            from_estate(Service::Cvm, &st).code,
            "UnsupportedOperation.InstanceStateRunning"
        );
        let dep = EstateError::DependencyViolation {
            kind: ResourceKind::Vpc,
            id: "vpc-1".into(),
            dependent: ResourceKind::Subnet,
            dependent_id: "subnet-1".into(),
        };
        assert_eq!(from_estate(Service::Vpc, &dep).code, "ResourceInUse");
        let nb = EstateError::NotFound {
            kind: ResourceKind::Object,
            id: "k".into(),
        };
        assert_eq!(cos_from_estate(&nb), (StatusCode::NOT_FOUND, "NoSuchKey"));
    }
}
