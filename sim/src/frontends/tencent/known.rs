//! Request parameter names each simulated action accepts, so that a name the
//! API does not define is `UnknownParameter`, as on the real API.

#[rustfmt::skip]
// Generated from the *Request classes of tencentcloud-sdk-python models.py
// (versions in tests/conformance/requirements-tencent-sdk.txt).
pub(crate) const KNOWN: &[(&str, &str, &[&str])] = &[
    ("cvm", "DescribeRegions", &[]),
    ("cvm", "DescribeZones", &[]),
    ("cvm", "DescribeInstances", &["InstanceIds", "Filters", "Offset", "Limit"]),
    ("cvm", "RunInstances", &["InstanceChargeType", "InstanceChargePrepaid", "Placement", "InstanceType", "ImageId", "SystemDisk", "DataDisks", "VirtualPrivateCloud", "InternetAccessible", "InstanceCount", "MinCount", "InstanceName", "LoginSettings", "SecurityGroupIds", "EnhancedService", "ClientToken", "HostName", "ActionTimer", "DisasterRecoverGroupIds", "TagSpecification", "InstanceMarketOptions", "UserData", "Metadata", "DryRun", "CpuTopology", "CamRoleName", "HpcClusterId", "LaunchTemplate", "DedicatedClusterId", "ChcIds", "PartitionNumber", "DisableApiTermination", "EnableJumboFrame", "NetworkInterfaces"]),
    ("cvm", "StartInstances", &["InstanceIds"]),
    ("cvm", "StopInstances", &["InstanceIds", "ForceStop", "StopType", "StoppedMode"]),
    ("cvm", "RebootInstances", &["InstanceIds", "ForceReboot", "StopType"]),
    ("cvm", "TerminateInstances", &["InstanceIds", "ReleaseAddress", "ReleasePrepaidDataDisks"]),
    ("cvm", "DescribeImages", &["ImageIds", "Filters", "Offset", "Limit", "InstanceType"]),
    ("cvm", "DescribeInstanceTypeConfigs", &["Filters"]),
    ("cbs", "DescribeDisks", &["Filters", "Limit", "OrderField", "Offset", "ReturnBindAutoSnapshotPolicy", "DiskIds", "Order"]),
    ("cbs", "CreateDisks", &["Placement", "DiskChargeType", "DiskType", "DiskName", "Tags", "SnapshotId", "DiskCount", "ThroughputPerformance", "KmsKeyId", "DiskSize", "Shareable", "ClientToken", "Encrypt", "DiskChargePrepaid", "DeleteSnapshot", "AutoMountConfiguration", "DiskBackupQuota", "BurstPerformance", "EncryptType"]),
    ("cbs", "AttachDisks", &["InstanceId", "DiskIds", "DeleteWithInstance", "AttachMode"]),
    ("cbs", "DetachDisks", &["DiskIds", "InstanceId"]),
    ("cbs", "TerminateDisks", &["DiskIds", "DeleteSnapshot"]),
    ("vpc", "DescribeVpcs", &["VpcIds", "Filters", "Offset", "Limit"]),
    ("vpc", "CreateVpc", &["VpcName", "StackType", "CidrBlock", "Ipv6CidrBlock", "AddressType", "EnableMulticast", "DnsServers", "DomainName", "Tags", "EnableRouteVpcPublish", "EnableRouteVpcPublishIpv6"]),
    ("vpc", "DeleteVpc", &["VpcId"]),
    ("vpc", "DescribeSubnets", &["SubnetIds", "Filters", "Offset", "Limit", "MaxResults", "NextToken"]),
    ("vpc", "CreateSubnet", &["VpcId", "SubnetName", "Zone", "StackType", "CidrBlock", "Ipv6CidrBlock", "Tags", "CdcId"]),
    ("vpc", "DeleteSubnet", &["SubnetId"]),
    ("vpc", "DescribeSecurityGroups", &["SecurityGroupIds", "Filters", "Offset", "Limit", "OrderField", "OrderDirection"]),
    ("vpc", "DescribeSecurityGroupPolicies", &["SecurityGroupId", "Filters"]),
    ("vpc", "CreateSecurityGroup", &["GroupName", "GroupDescription", "ProjectId", "Tags"]),
    ("vpc", "DeleteSecurityGroup", &["SecurityGroupId"]),
    ("vpc", "CreateSecurityGroupPolicies", &["SecurityGroupId", "SecurityGroupPolicySet"]),
    ("vpc", "DeleteSecurityGroupPolicies", &["SecurityGroupId", "SecurityGroupPolicySet"]),
    ("vpc", "DescribeAddresses", &["AddressIds", "Filters", "Offset", "Limit"]),
    ("vpc", "AllocateAddresses", &["AddressCount", "InternetServiceProvider", "InternetChargeType", "IPChargeType", "InternetMaxBandwidthOut", "AddressChargePrepaid", "AddressType", "AnycastZone", "VipCluster", "ApplicableForCLB", "Tags", "BandwidthPackageId", "AddressName", "DedicatedClusterId", "IsDedicatedAddressPool", "Egress", "AntiDDoSPackageId", "ClientToken"]),
    ("vpc", "AssociateAddress", &["AddressId", "InstanceId", "NetworkInterfaceId", "PrivateIpAddress", "EipDirectConnection", "InstanceRegion"]),
    ("vpc", "DisassociateAddress", &["AddressId", "ReallocateNormalPublicIp"]),
    ("vpc", "ReleaseAddresses", &["AddressIds"]),
    ("cam", "ListUsers", &[]),
    ("cam", "GetUser", &["Name"]),
    ("cam", "AddUser", &["Name", "Remark", "ConsoleLogin", "UseApi", "Password", "NeedResetPassword", "PhoneNum", "CountryCode", "Email"]),
    ("cam", "DeleteUser", &["Name", "Force"]),
    ("cam", "ListGroups", &["Page", "Rp", "Keyword"]),
    ("cam", "DescribeRoleList", &["Page", "Rp", "Tags"]),
    ("cam", "ListPolicies", &["Rp", "Page", "Scope", "Keyword"]),
    ("cam", "ListAttachedUserAllPolicies", &["TargetUin", "Rp", "Page", "AttachType", "StrategyType", "Keyword"]),
    ("cam", "ListAttachedGroupPolicies", &["TargetGroupId", "Page", "Rp", "Keyword"]),
    ("cam", "ListAttachedRolePolicies", &["Page", "Rp", "RoleId", "RoleName", "PolicyType", "Keyword"]),
    ("cam", "AttachUserPolicy", &["PolicyId", "AttachUin"]),
    ("cam", "DetachUserPolicy", &["PolicyId", "DetachUin"]),
    ("cam", "ListAccessKeys", &["TargetUin"]),
    ("billing", "DescribeAccountBalance", &["TempCredit"]),
    ("billing", "DescribeBillDetail", &["Offset", "Limit", "PeriodType", "Month", "BeginTime", "EndTime", "NeedRecordNum", "ProductCode", "PayMode", "ResourceId", "ActionType", "ProjectId", "BusinessCode", "Context", "PayerUin"]),
    ("sts", "GetCallerIdentity", &[]),
    ("sts", "AssumeRole", &["RoleArn", "RoleSessionName", "DurationSeconds", "Policy", "ExternalId", "Tags", "SourceIdentity", "SerialNumber", "TokenCode"]),
];

/// Common parameters of the legacy (v1) signature, carried with the action's own.
pub(crate) const COMMON: &[&str] = &[
    "Action",
    "Region",
    "Timestamp",
    "Nonce",
    "SecretId",
    "Signature",
    "Version",
    "SignatureMethod",
    "Token",
    "Language",
    "RequestClient",
];

/// The first parameter name `names` holds that `action` of `service` does not define.
pub(crate) fn unknown<'a>(
    service: &str,
    action: &str,
    names: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let (_, _, known) = KNOWN
        .iter()
        .find(|(s, a, _)| *s == service && *a == action)?;
    names
        .into_iter()
        .find(|n| !known.contains(n) && !COMMON.contains(n))
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_names() {
        assert_eq!(
            super::unknown("cvm", "DescribeInstances", ["Limit", "Offset"]),
            None
        );
        assert_eq!(
            super::unknown("cvm", "DescribeInstances", ["InstanceID"]),
            Some("InstanceID")
        );
        assert_eq!(super::unknown("cvm", "NoSuch", ["x"]), None);
    }
}
