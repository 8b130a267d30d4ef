//! `Network` over VPC (VPCs, subnets, security groups and their policies,
//! EIPs).
//!
//! `CreateVpc`, `CreateSubnet` and `CreateSecurityGroup` take no client
//! token: when such a create fails in a way that leaves its outcome unknown
//! (`Unavailable`, `Timeout`: the response may have been lost), the
//! provider looks for the resource by name (and CIDR) before giving up, so
//! a lost response never leads to a blind second create.

use async_trait::async_trait;
use futures::StreamExt;
use serde_json::{Value, json};

use super::super::TencentProvider;
use super::super::client::{CallKind, client_token};
use super::super::network::*;
use super::super::wire::{MAX_LIMIT, filter, page_size};
use super::compute::{ok_if_missing, visible};
use crate::error::{Error, ErrorKind, Result};
use crate::model::{
    ListNetwork, PublicIp, PublicIpSpec, SecurityGroup, SecurityGroupSpec, SecurityRule, Subnet,
    SubnetSpec, Vpc, VpcSpec,
};
use crate::traits::{Network, ResultStream};

fn outcome_unknown(e: &Error) -> bool {
    matches!(e.kind(), ErrorKind::Unavailable | ErrorKind::Timeout)
}

fn not_found(what: &str, id: &str, region: &str) -> Error {
    Error::not_found(format!("Tencent Cloud {what} `{id}` not found"))
        .with_provider("tencent")
        .with_region(region)
}

impl TencentProvider {
    async fn vpc_call(
        &self,
        action: &'static str,
        region: &str,
        params: Value,
        kind: CallKind,
    ) -> Result<Value> {
        self.client
            .call("vpc", action, Some(region), params, kind)
            .await
    }

    async fn with_rules(&self, mut g: SecurityGroup) -> Result<SecurityGroup> {
        let r: DescribeSecurityGroupPoliciesResponse = self
            .read(
                "vpc",
                "DescribeSecurityGroupPolicies",
                Some(&g.region),
                describe_security_group_policies_params(&g.id),
            )
            .await?;
        g.rules = rules_from_policy_set(&r.security_group_policy_set);
        Ok(g)
    }

    async fn find_vpc_by_name(&self, spec: &VpcSpec) -> Result<Option<Vpc>> {
        let r: DescribeVpcsResponse = self
            .read(
                "vpc",
                "DescribeVpcs",
                Some(&spec.region),
                json!({ "Filters": [filter("vpc-name", std::slice::from_ref(&spec.name))],
                        "Offset": "0", "Limit": MAX_LIMIT.to_string() }),
            )
            .await?;
        Ok(r.vpc_set
            .iter()
            .map(|v| vpc_from_wire(&spec.region, v))
            .find(|v| v.name == spec.name && v.cidr.as_deref() == Some(spec.cidr.as_str())))
    }

    async fn find_subnet_by_name(&self, spec: &SubnetSpec) -> Result<Option<Subnet>> {
        let r: DescribeSubnetsResponse = self
            .read(
                "vpc",
                "DescribeSubnets",
                Some(&spec.region),
                json!({ "Filters": [filter("vpc-id", std::slice::from_ref(&spec.vpc_id)),
                                    filter("subnet-name", std::slice::from_ref(&spec.name))],
                        "Offset": "0", "Limit": MAX_LIMIT.to_string() }),
            )
            .await?;
        Ok(r.subnet_set
            .iter()
            .map(|s| subnet_from_wire(&spec.region, s))
            .find(|s| s.name == spec.name && s.cidr == spec.cidr))
    }

    async fn find_group_by_name(&self, spec: &SecurityGroupSpec) -> Result<Option<SecurityGroup>> {
        let r: DescribeSecurityGroupsResponse = self
            .read(
                "vpc",
                "DescribeSecurityGroups",
                Some(&spec.region),
                json!({ "Filters": [filter("security-group-name", std::slice::from_ref(&spec.name))],
                        "Offset": "0", "Limit": MAX_LIMIT.to_string() }),
            )
            .await?;
        Ok(r.security_group_set
            .iter()
            .find(|g| g.security_group_name.as_deref() == Some(spec.name.as_str()))
            .map(|g| security_group_from_wire(&spec.region, g, None)))
    }

    async fn public_ip(&self, region: &str, id: &str) -> Result<PublicIp> {
        let r: DescribeAddressesResponse = self
            .read(
                "vpc",
                "DescribeAddresses",
                Some(region),
                json!({ "AddressIds": [id], "Offset": 0, "Limit": 1 }),
            )
            .await?;
        r.address_set
            .iter()
            .find(|a| a.address_id == id)
            .map(|a| public_ip_from_wire(region, a))
            .ok_or_else(|| not_found("EIP", id, region))
    }
}

#[async_trait]
impl Network for TencentProvider {
    fn vpcs<'a>(&'a self, q: &'a ListNetwork) -> ResultStream<'a, Vpc> {
        let region = q.region.as_str();
        self.offset_list::<DescribeVpcsResponse, _, _, _>(
            "vpc",
            "DescribeVpcs",
            Some(region),
            page_size(q.page_size, MAX_LIMIT),
            move |offset, _| Ok(describe_vpcs_params(q, offset)),
            move |v| Ok(vpc_from_wire(region, &v)),
        )
    }

    async fn create_vpc(&self, spec: &VpcSpec) -> Result<Vpc> {
        let r = self
            .client
            .call::<CreateVpcResponse>(
                "vpc",
                "CreateVpc",
                Some(&spec.region),
                create_vpc_params(spec),
                CallKind::Write,
            )
            .await;
        match r {
            Ok(r) => r
                .vpc
                .map(|v| vpc_from_wire(&spec.region, &v))
                .ok_or_else(|| Error::decode("CreateVpc returned no Vpc")),
            Err(e) if outcome_unknown(&e) => match self.find_vpc_by_name(spec).await {
                Ok(Some(v)) => Ok(v),
                _ => Err(e),
            },
            Err(e) => Err(e),
        }
    }

    async fn delete_vpc(&self, region: &str, id: &str) -> Result<()> {
        let r = self
            .vpc_call(
                "DeleteVpc",
                region,
                delete_vpc_params(id),
                CallKind::Idempotent,
            )
            .await;
        ok_if_missing(r.map(|_| ()))
    }

    fn subnets<'a>(&'a self, q: &'a ListNetwork) -> ResultStream<'a, Subnet> {
        let region = q.region.as_str();
        self.offset_list::<DescribeSubnetsResponse, _, _, _>(
            "vpc",
            "DescribeSubnets",
            Some(region),
            page_size(q.page_size, MAX_LIMIT),
            move |offset, _| Ok(describe_subnets_params(q, offset)),
            move |s| Ok(subnet_from_wire(region, &s)),
        )
    }

    async fn create_subnet(&self, spec: &SubnetSpec) -> Result<Subnet> {
        let params = create_subnet_params(spec)?;
        let r = self
            .client
            .call::<CreateSubnetResponse>(
                "vpc",
                "CreateSubnet",
                Some(&spec.region),
                params,
                CallKind::Write,
            )
            .await;
        match r {
            Ok(r) => r
                .subnet
                .map(|s| subnet_from_wire(&spec.region, &s))
                .ok_or_else(|| Error::decode("CreateSubnet returned no Subnet")),
            Err(e) if outcome_unknown(&e) => match self.find_subnet_by_name(spec).await {
                Ok(Some(s)) => Ok(s),
                _ => Err(e),
            },
            Err(e) => Err(e),
        }
    }

    async fn delete_subnet(&self, region: &str, id: &str) -> Result<()> {
        let r = self
            .vpc_call(
                "DeleteSubnet",
                region,
                delete_subnet_params(id),
                CallKind::Idempotent,
            )
            .await;
        ok_if_missing(r.map(|_| ()))
    }

    fn security_groups<'a>(&'a self, q: &'a ListNetwork) -> ResultStream<'a, SecurityGroup> {
        let region = q.region.as_str();
        self.offset_list::<DescribeSecurityGroupsResponse, _, _, _>(
            "vpc",
            "DescribeSecurityGroups",
            Some(region),
            page_size(q.page_size, MAX_LIMIT),
            move |offset, _| Ok(describe_security_groups_params(q, offset)),
            move |g| Ok(security_group_from_wire(region, &g, None)),
        )
        .map(move |r| async move { self.with_rules(r?).await })
        .buffered(super::super::PAGE_CONCURRENCY)
        .boxed()
    }

    async fn security_group(&self, region: &str, id: &str) -> Result<SecurityGroup> {
        let r: Result<DescribeSecurityGroupsResponse> = self
            .read(
                "vpc",
                "DescribeSecurityGroups",
                Some(region),
                json!({ "SecurityGroupIds": [id], "Offset": "0", "Limit": "1" }),
            )
            .await;
        let r = match r {
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Err(not_found("security group", id, region));
            }
            other => other?,
        };
        let g = r
            .security_group_set
            .iter()
            .find(|g| g.security_group_id == id)
            .map(|g| security_group_from_wire(region, g, None))
            .ok_or_else(|| not_found("security group", id, region))?;
        self.with_rules(g).await
    }

    async fn create_security_group(&self, spec: &SecurityGroupSpec) -> Result<SecurityGroup> {
        let r = self
            .client
            .call::<CreateSecurityGroupResponse>(
                "vpc",
                "CreateSecurityGroup",
                Some(&spec.region),
                create_security_group_params(spec),
                CallKind::Write,
            )
            .await;
        let mut g = match r {
            Ok(r) => r
                .security_group
                .map(|g| security_group_from_wire(&spec.region, &g, None))
                .ok_or_else(|| Error::decode("CreateSecurityGroup returned no SecurityGroup"))?,
            Err(e) if outcome_unknown(&e) => match self.find_group_by_name(spec).await {
                Ok(Some(g)) => g,
                _ => return Err(e),
            },
            Err(e) => return Err(e),
        };
        // Tencent security groups are not VPC-scoped; keep what was asked.
        g.vpc_id = spec.vpc_id.clone();
        Ok(g)
    }

    async fn delete_security_group(&self, region: &str, id: &str) -> Result<()> {
        let r = self
            .vpc_call(
                "DeleteSecurityGroup",
                region,
                delete_security_group_params(id),
                CallKind::Idempotent,
            )
            .await;
        ok_if_missing(r.map(|_| ()))
    }

    async fn authorize_rule(
        &self,
        region: &str,
        group_id: &str,
        rule: &SecurityRule,
    ) -> Result<()> {
        let params = create_security_group_policies_params(group_id, std::slice::from_ref(rule))?;
        self.vpc_call(
            "CreateSecurityGroupPolicies",
            region,
            params,
            CallKind::Write,
        )
        .await
        .map(|_| ())
    }

    async fn revoke_rule(&self, region: &str, group_id: &str, rule: &SecurityRule) -> Result<()> {
        let params = delete_security_group_policies_params(group_id, std::slice::from_ref(rule))?;
        self.vpc_call(
            "DeleteSecurityGroupPolicies",
            region,
            params,
            CallKind::Idempotent,
        )
        .await
        .map(|_| ())
    }

    fn public_ips<'a>(&'a self, q: &'a ListNetwork) -> ResultStream<'a, PublicIp> {
        let region = q.region.as_str();
        self.offset_list::<DescribeAddressesResponse, _, _, _>(
            "vpc",
            "DescribeAddresses",
            Some(region),
            page_size(q.page_size, MAX_LIMIT),
            move |offset, _| Ok(describe_addresses_params(q, offset)),
            move |a| Ok(public_ip_from_wire(region, &a)),
        )
    }

    async fn allocate_public_ip(&self, spec: &PublicIpSpec) -> Result<PublicIp> {
        let token = client_token(spec.client_token.as_deref());
        let r: AllocateAddressesResponse = self
            .client
            .call(
                "vpc",
                "AllocateAddresses",
                Some(&spec.region),
                allocate_addresses_params(spec, &token),
                CallKind::Idempotent,
            )
            .await?;
        let id = r
            .address_set
            .first()
            .cloned()
            .ok_or_else(|| Error::decode("AllocateAddresses returned no AddressId"))?;
        visible(|| self.public_ip(&spec.region, &id)).await
    }

    async fn associate_public_ip(
        &self,
        region: &str,
        ip_id: &str,
        instance_id: &str,
    ) -> Result<()> {
        self.vpc_call(
            "AssociateAddress",
            region,
            associate_address_params(ip_id, instance_id),
            CallKind::Write,
        )
        .await
        .map(|_| ())
    }

    async fn disassociate_public_ip(&self, region: &str, ip_id: &str) -> Result<()> {
        self.vpc_call(
            "DisassociateAddress",
            region,
            disassociate_address_params(ip_id),
            CallKind::Write,
        )
        .await
        .map(|_| ())
    }

    async fn release_public_ip(&self, region: &str, ip_id: &str) -> Result<()> {
        let r = self
            .vpc_call(
                "ReleaseAddresses",
                region,
                release_addresses_params(&[ip_id]),
                CallKind::Idempotent,
            )
            .await;
        ok_if_missing(r.map(|_| ()))
    }
}
