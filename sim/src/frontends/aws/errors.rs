//! AWS error bodies per protocol (EC2 Query, IAM/STS Query, JSON 1.1, S3
//! REST-XML) and the mapping of estate errors to the documented codes.

use http::StatusCode;

use super::AuthFailure;
use crate::estate::{EstateError, ResourceKind};
use crate::frontend::{Ctx, SimResponse, Xml};

/// The wire protocol an error is rendered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Protocol {
    /// EC2 Query: `<Response><Errors><Error>..</Error></Errors><RequestID>`.
    Ec2,
    /// IAM Query: `<ErrorResponse><Error><Type>..`.
    Iam,
    /// STS Query (same shape as IAM, its namespace).
    Sts,
    /// JSON 1.1: `{"__type": .., "message": ..}`.
    Json,
    /// S3: `<Error><Code>..</Code>..<RequestId>`.
    S3,
}

/// An error: HTTP status, code, message, and S3 extras.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AwsError {
    pub(crate) status: u16,
    pub(crate) code: String,
    pub(crate) message: String,
    /// Extra S3 elements (`Key`, `BucketName`, `StringToSign`, ...).
    pub(crate) extra: Vec<(String, String)>,
}

impl AwsError {
    pub(crate) fn new(status: u16, code: &str, message: &str) -> Self {
        AwsError {
            status,
            code: code.into(),
            message: message.into(),
            extra: Vec::new(),
        }
    }

    pub(crate) fn missing(name: &str) -> Self {
        AwsError::new(
            400,
            "MissingParameter",
            &format!("The request must contain the parameter {name}"),
        )
    }

    pub(crate) fn invalid(message: &str) -> Self {
        AwsError::new(400, "InvalidParameterValue", message)
    }

    pub(crate) fn with(mut self, k: &str, v: &str) -> Self {
        self.extra.push((k.into(), v.into()));
        self
    }
}

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST)
}

/// Render an error in a protocol.
pub(crate) fn render(ctx: &Ctx, proto: Protocol, e: &AwsError) -> SimResponse {
    let rid = ctx.request_id();
    match proto {
        Protocol::Ec2 => SimResponse::xml(
            status(e.status),
            Xml::new()
                .open("Response")
                .open("Errors")
                .open("Error")
                .elem("Code", &e.code)
                .elem("Message", &e.message)
                .close("Error")
                .close("Errors")
                .elem("RequestID", &rid)
                .close("Response")
                .finish(),
        ),
        Protocol::Iam | Protocol::Sts => {
            let ns = if proto == Protocol::Iam {
                "https://iam.amazonaws.com/doc/2010-05-08/"
            } else {
                "https://sts.amazonaws.com/doc/2011-06-15/"
            };
            let kind = if e.status >= 500 {
                "Receiver"
            } else {
                "Sender"
            };
            SimResponse::xml(
                status(e.status),
                Xml::fragment()
                    .open_attrs("ErrorResponse", &[("xmlns", ns)])
                    .open("Error")
                    .elem("Type", kind)
                    .elem("Code", &e.code)
                    .elem("Message", &e.message)
                    .close("Error")
                    .elem("RequestId", &rid)
                    .close("ErrorResponse")
                    .finish(),
            )
            .with_header("x-amzn-requestid", &rid)
        }
        Protocol::Json => SimResponse::new(
            status(e.status),
            serde_json::json!({"__type": e.code, "message": e.message}).to_string(),
        )
        .with_header("content-type", "application/x-amz-json-1.1")
        .with_header("x-amzn-requestid", &rid),
        Protocol::S3 => {
            let x = Xml::new()
                .open("Error")
                .elem("Code", &e.code)
                .elem("Message", &e.message)
                .with(|x| e.extra.iter().fold(x, |x, (k, v)| x.elem(k, v)))
                .elem("RequestId", &rid)
                .elem("HostId", &rid)
                .close("Error")
                .finish();
            SimResponse::xml(status(e.status), x)
                .with_header("x-amz-request-id", &rid)
                .with_header("x-amz-id-2", &rid)
        }
    }
}

/// The error for a failed signature check, per protocol.
pub(crate) fn auth_error(proto: Protocol, f: &AuthFailure, ctx: &Ctx) -> AwsError {
    let now = ctx.now().format("%Y%m%dT%H%M%SZ").to_string();
    match (proto, f) {
        (Protocol::Ec2, AuthFailure::Skewed { .. }) => AwsError::new(
            400,
            "RequestExpired",
            "Request has expired.",
        ),
        (Protocol::Ec2, AuthFailure::Missing) => AwsError::new(
            401,
            "AuthFailure",
            "AWS was not able to validate the provided access credentials",
        ),
        (Protocol::Ec2, _) => AwsError::new(
            401,
            "AuthFailure",
            "AWS was not able to validate the provided access credentials",
        ),
        (Protocol::S3, AuthFailure::Missing) => AwsError::new(403, "AccessDenied", "Access Denied"),
        (Protocol::S3, AuthFailure::Malformed(m)) => {
            AwsError::new(400, "AuthorizationHeaderMalformed", m)
        }
        (Protocol::S3, AuthFailure::UnknownKey) => AwsError::new(
            403,
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
        ),
        (Protocol::S3, AuthFailure::BadToken) => AwsError::new(
            400,
            "InvalidToken",
            "The provided token is malformed or otherwise invalid.",
        ),
        (Protocol::S3, AuthFailure::Skewed { request_time }) => AwsError::new(
            403,
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.",
        )
        .with("RequestTime", request_time)
        .with("ServerTime", &super::iso(&ctx.now()))
        .with("MaxAllowedSkewMilliseconds", "900000"),
        (Protocol::S3, AuthFailure::PresignExpired) => {
            AwsError::new(403, "AccessDenied", "Request has expired")
        }
        (Protocol::S3, AuthFailure::ContentSha256Mismatch) | (_, AuthFailure::ContentSha256Mismatch) => {
            AwsError::new(
                400,
                "XAmzContentSHA256Mismatch",
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
            )
        }
        (Protocol::S3, AuthFailure::BadSignature {
            string_to_sign,
            canonical_request,
        }) => AwsError::new(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
        )
        .with("StringToSign", string_to_sign)
        .with("CanonicalRequest", canonical_request),
        (Protocol::Json, AuthFailure::UnknownKey | AuthFailure::BadToken) => AwsError::new(
            400,
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        ),
        (Protocol::Json, AuthFailure::Missing) => AwsError::new(
            400,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        ),
        (Protocol::Json, AuthFailure::Skewed { request_time }) => AwsError::new(
            400,
            "InvalidSignatureException",
            &format!("Signature expired: {request_time} is now earlier than {now} (15 min skew)."),
        ),
        (Protocol::Json, _) => AwsError::new(
            400,
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.",
        ),
        (_, AuthFailure::UnknownKey | AuthFailure::BadToken) => AwsError::new(
            403,
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        ),
        (_, AuthFailure::Missing) => AwsError::new(
            403,
            "MissingAuthenticationToken",
            "Request is missing Authentication Token",
        ),
        (_, AuthFailure::Malformed(m)) => AwsError::new(400, "IncompleteSignature", m),
        (_, AuthFailure::Skewed { request_time }) => AwsError::new(
            403,
            "SignatureDoesNotMatch",
            &format!("Signature expired: {request_time} is now earlier than {now} (15 min skew)."),
        ),
        (_, AuthFailure::PresignExpired) => {
            AwsError::new(403, "ExpiredToken", "The request has expired.")
        }
        (_, AuthFailure::BadSignature { .. }) => AwsError::new(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
        ),
    }
}

/// Map an estate error to EC2's codes.
pub(crate) fn ec2_from_estate(e: &EstateError) -> AwsError {
    use ResourceKind as K;
    match e {
        EstateError::NotFound { kind, id } => {
            let (code, what) = match kind {
                K::Instance => ("InvalidInstanceID.NotFound", "instance ID"),
                K::Volume => ("InvalidVolume.NotFound", "volume"),
                K::Vpc => ("InvalidVpcID.NotFound", "vpc ID"),
                K::Subnet => ("InvalidSubnetID.NotFound", "subnet ID"),
                K::SecurityGroup => ("InvalidGroup.NotFound", "security group"),
                K::SecurityRule => ("InvalidPermission.NotFound", "rule"),
                K::PublicIp => ("InvalidAllocationID.NotFound", "allocation ID"),
                K::Image => ("InvalidAMIID.NotFound", "image id"),
                K::InstanceType => ("InvalidParameterValue", "instance type"),
                K::Zone => ("InvalidParameterValue", "availability zone"),
                _ => ("InvalidParameterValue", "resource"),
            };
            AwsError::new(400, code, &format!("The {what} '{id}' does not exist"))
        }
        EstateError::AlreadyExists { kind, id } => {
            let code = match kind {
                K::SecurityGroup => "InvalidGroup.Duplicate",
                K::SecurityRule => "InvalidPermission.Duplicate",
                _ => "IdempotentParameterMismatch",
            };
            AwsError::new(400, code, &format!("The {kind} '{id}' already exists"))
        }
        EstateError::InvalidState {
            kind,
            id,
            state,
            message,
        } => {
            let code = if *kind == K::Instance {
                "IncorrectInstanceState"
            } else {
                "IncorrectState"
            };
            AwsError::new(
                400,
                code,
                &format!("The {kind} '{id}' is in the state '{state}': {message}"),
            )
        }
        EstateError::InUse { kind, id, by } => {
            let code = match kind {
                K::Volume => "VolumeInUse",
                K::PublicIp => "InvalidIPAddress.InUse",
                _ => "DependencyViolation",
            };
            AwsError::new(400, code, &format!("{id} is already attached to {by}"))
        }
        EstateError::DependencyViolation {
            id, dependent_id, ..
        } => AwsError::new(
            400,
            "DependencyViolation",
            &format!("The {id} has dependencies and cannot be deleted ({dependent_id})."),
        ),
        EstateError::InvalidArgument(m) => AwsError::invalid(m),
    }
}

/// Map an estate error to IAM's codes.
pub(crate) fn iam_from_estate(e: &EstateError) -> AwsError {
    match e {
        EstateError::NotFound { kind, id } => AwsError::new(
            404,
            "NoSuchEntity",
            &format!("The {kind} with name {id} cannot be found."),
        ),
        EstateError::AlreadyExists { kind, id } => AwsError::new(
            409,
            "EntityAlreadyExists",
            &format!("{kind} with name {id} already exists."),
        ),
        EstateError::DependencyViolation { dependent, .. } => AwsError::new(
            409,
            "DeleteConflict",
            &format!(
                "Cannot delete entity, must {} first.",
                match dependent {
                    ResourceKind::AccessKey => "delete access keys",
                    ResourceKind::Group => "remove users from group",
                    _ => "detach all policies",
                }
            ),
        ),
        EstateError::InvalidArgument(m) => AwsError::new(400, "ValidationError", m),
        other => AwsError::new(409, "DeleteConflict", &other.to_string()),
    }
}

/// Map an estate error to S3's codes.
pub(crate) fn s3_from_estate(e: &EstateError) -> AwsError {
    match e {
        EstateError::NotFound {
            kind: ResourceKind::Bucket,
            id,
        } => AwsError::new(404, "NoSuchBucket", "The specified bucket does not exist")
            .with("BucketName", id),
        EstateError::NotFound {
            kind: ResourceKind::Object,
            id,
        } => AwsError::new(404, "NoSuchKey", "The specified key does not exist.").with("Key", id),
        EstateError::NotFound {
            kind: ResourceKind::Upload,
            id,
        } => AwsError::new(
            404,
            "NoSuchUpload",
            "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
        )
        .with("UploadId", id),
        EstateError::NotFound { .. } => AwsError::new(400, "InvalidPart", &e.to_string()),
        EstateError::AlreadyExists { id, .. } => AwsError::new(
            409,
            "BucketAlreadyOwnedByYou",
            "Your previous request to create the named bucket succeeded and you already own it.",
        )
        .with("BucketName", id),
        EstateError::DependencyViolation { id, .. } => AwsError::new(
            409,
            "BucketNotEmpty",
            "The bucket you tried to delete is not empty",
        )
        .with("BucketName", id),
        EstateError::InvalidArgument(m) => AwsError::new(400, "InvalidArgument", m),
        other => AwsError::new(409, "OperationAborted", &other.to_string()),
    }
}

/// A Query (IAM/STS) success: `<XResponse><XResult>..</XResult><ResponseMetadata>`.
pub(crate) fn query_ok(ctx: &Ctx, proto: Protocol, action: &str, result: &str) -> SimResponse {
    let ns = if proto == Protocol::Iam {
        "https://iam.amazonaws.com/doc/2010-05-08/"
    } else {
        "https://sts.amazonaws.com/doc/2011-06-15/"
    };
    let rid = ctx.request_id();
    SimResponse::xml(
        StatusCode::OK,
        Xml::fragment()
            .open_attrs(&format!("{action}Response"), &[("xmlns", ns)])
            .open(&format!("{action}Result"))
            .raw(result)
            .close(&format!("{action}Result"))
            .open("ResponseMetadata")
            .elem("RequestId", &rid)
            .close("ResponseMetadata")
            .close(&format!("{action}Response"))
            .finish(),
    )
    .with_header("x-amzn-requestid", &rid)
}
