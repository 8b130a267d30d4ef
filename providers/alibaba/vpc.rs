//! [`Network`] on VPC 2016-04-28 (VPCs, VSwitches, EIPs) and ECS
//! 2014-05-26 (security groups and their rules).
//!
//! Lists page by `PageNumber`/`PageSize`, 50 a page for all four
//! (`DescribeVpcs`, `DescribeVSwitches` and `DescribeSecurityGroups`: the
//! APIs' maximum for `PageSize`; `DescribeEipAddresses`: the current API
//! reference allows 100, earlier versions and older Apsara Stack releases
//! 50, which all accept; see the constants in [`super::network`]),
//! fetching the remaining pages concurrently once the first page gave
//! `TotalCount`. Security groups are listed with
//! `DescribeSecurityGroups` and each one's rules read with
//! `DescribeSecurityGroupAttribute` (eight groups at a time). Creates carry
//! a `ClientToken`, unchanged across retries.

use async_trait::async_trait;
use futures::{StreamExt, TryStreamExt};
use serde::Deserialize;

use super::AlibabaProvider;
use super::client::{CallKind, client_token};
use super::config::Service;
use super::ecs::{EIP_GONE, SECURITY_GROUP_GONE, VPC_GONE, VSWITCH_GONE, eventually};
use super::network::{
    DescribeEipAddressesResponse, DescribeSecurityGroupAttributeResponse,
    DescribeSecurityGroupsResponse, DescribeVSwitchesResponse, DescribeVpcsResponse,
    allocate_eip_address_params, associate_eip_address_params, authorize_security_group_params,
    create_security_group_params, create_vpc_params, create_vswitch_params,
    delete_security_group_params, delete_vpc_params, delete_vswitch_params,
    describe_security_group_attribute_params, release_eip_address_params,
    revoke_security_group_params, unassociate_eip_address_params,
};
use super::rpc::{CreatedField, not_found};
use super::wire::opt_string;
use crate::error::{Error, Result};
use crate::model::{
    ListNetwork, PublicIp, PublicIpSpec, SecurityGroup, SecurityGroupSpec, SecurityRule, Subnet,
    SubnetSpec, Vpc, VpcSpec,
};
use crate::paging::CountedPage;
use crate::traits::{Network, ResultStream};

/// Security groups whose rules are read at once.
pub const RULE_FETCH_CONCURRENCY: usize = 8;

/// The answer of the create calls: the new resource's id under its name.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CreatedIds {
    /// `CreateVpc`.
    #[serde(rename = "VpcId", default, deserialize_with = "opt_string")]
    pub vpc_id: Option<String>,
    /// `CreateVSwitch`.
    #[serde(rename = "VSwitchId", default, deserialize_with = "opt_string")]
    pub vswitch_id: Option<String>,
    /// `CreateSecurityGroup`.
    #[serde(rename = "SecurityGroupId", default, deserialize_with = "opt_string")]
    pub security_group_id: Option<String>,
    /// `AllocateEipAddress`.
    #[serde(rename = "AllocationId", default, deserialize_with = "opt_string")]
    pub allocation_id: Option<String>,
}

// The id fields of `CreatedIds`, by their wire names.
const VPC_ID: CreatedField<CreatedIds> = ("VpcId", |r| r.vpc_id);
const VSWITCH_ID: CreatedField<CreatedIds> = ("VSwitchId", |r| r.vswitch_id);
const SECURITY_GROUP_ID: CreatedField<CreatedIds> = ("SecurityGroupId", |r| r.security_group_id);
const ALLOCATION_ID: CreatedField<CreatedIds> = ("AllocationId", |r| r.allocation_id);

impl AlibabaProvider {
    async fn security_groups_page(
        &self,
        q: &ListNetwork,
        page: u32,
        size: u32,
    ) -> Result<CountedPage<SecurityGroup>> {
        let groups = self
            .page::<DescribeSecurityGroupsResponse>(q, page, size)
            .await?;
        let region = q.region.as_str();
        let items: Vec<SecurityGroup> = futures::stream::iter(groups.items)
            .map(|mut g| async move {
                let a = self.group_attribute(region, &g.id).await?;
                g.rules = a.to_rules();
                Ok::<_, Error>(g)
            })
            .buffered(RULE_FETCH_CONCURRENCY)
            .try_collect()
            .await?;
        Ok(CountedPage {
            items,
            total: groups.total,
        })
    }

    async fn group_attribute(
        &self,
        region: &str,
        id: &str,
    ) -> Result<DescribeSecurityGroupAttributeResponse> {
        self.rpc(
            Service::Ecs,
            "DescribeSecurityGroupAttribute",
            region,
            &describe_security_group_attribute_params(region, id),
            CallKind::Read,
        )
        .await
    }
}

#[async_trait]
impl Network for AlibabaProvider {
    fn vpcs<'a>(&'a self, q: &'a ListNetwork) -> ResultStream<'a, Vpc> {
        self.list::<DescribeVpcsResponse>(q)
    }

    async fn create_vpc(&self, spec: &VpcSpec) -> Result<Vpc> {
        let token = spec.client_token.clone().unwrap_or_else(client_token);
        let p = create_vpc_params(spec, &token);
        self.create_listed::<DescribeVpcsResponse, _>("CreateVpc", &spec.region, &p, VPC_ID)
            .await
    }

    async fn delete_vpc(&self, region: &str, id: &str) -> Result<()> {
        let p = delete_vpc_params(region, id);
        self.rpc_delete(Service::Vpc, "DeleteVpc", region, &p, VPC_GONE)
            .await
    }

    fn subnets<'a>(&'a self, q: &'a ListNetwork) -> ResultStream<'a, Subnet> {
        let pages = self.list::<DescribeVSwitchesResponse>(q);
        if q.ids.len() > 1 {
            // The API filters by one VSwitchId only: filter the others here.
            pages
                .try_filter(move |s| std::future::ready(q.ids.contains(&s.id)))
                .boxed()
        } else {
            pages
        }
    }

    async fn create_subnet(&self, spec: &SubnetSpec) -> Result<Subnet> {
        let token = spec.client_token.clone().unwrap_or_else(client_token);
        let p = create_vswitch_params(spec, &token);
        self.create_listed::<DescribeVSwitchesResponse, _>(
            "CreateVSwitch",
            &spec.region,
            &p,
            VSWITCH_ID,
        )
        .await
    }

    async fn delete_subnet(&self, region: &str, id: &str) -> Result<()> {
        let p = delete_vswitch_params(region, id);
        self.rpc_delete(Service::Vpc, "DeleteVSwitch", region, &p, VSWITCH_GONE)
            .await
    }

    fn security_groups<'a>(&'a self, q: &'a ListNetwork) -> ResultStream<'a, SecurityGroup> {
        self.list_with::<DescribeSecurityGroupsResponse, _, _>(q, move |page, size| {
            self.security_groups_page(q, page, size)
        })
    }

    async fn security_group(&self, region: &str, id: &str) -> Result<SecurityGroup> {
        self.group_attribute(region, id)
            .await?
            .to_security_group(region)
            .ok_or_else(|| not_found("security group", id, region))
    }

    async fn create_security_group(&self, spec: &SecurityGroupSpec) -> Result<SecurityGroup> {
        let token = spec.client_token.clone().unwrap_or_else(client_token);
        let p = create_security_group_params(spec, &token);
        let id = self
            .create(
                Service::Ecs,
                "CreateSecurityGroup",
                &spec.region,
                &p,
                SECURITY_GROUP_ID,
            )
            .await?;
        eventually(|| self.security_group(&spec.region, &id)).await
    }

    async fn delete_security_group(&self, region: &str, id: &str) -> Result<()> {
        let p = delete_security_group_params(region, id);
        self.rpc_delete(
            Service::Ecs,
            "DeleteSecurityGroup",
            region,
            &p,
            SECURITY_GROUP_GONE,
        )
        .await
    }

    async fn authorize_rule(
        &self,
        region: &str,
        group_id: &str,
        rule: &SecurityRule,
    ) -> Result<()> {
        let (action, p) = authorize_security_group_params(region, group_id, rule, &client_token());
        self.rpc_ack(Service::Ecs, action, region, &p, CallKind::Idempotent)
            .await
    }

    async fn revoke_rule(&self, region: &str, group_id: &str, rule: &SecurityRule) -> Result<()> {
        let (action, p) = revoke_security_group_params(region, group_id, rule);
        self.rpc_ack(Service::Ecs, action, region, &p, CallKind::Idempotent)
            .await
    }

    fn public_ips<'a>(&'a self, q: &'a ListNetwork) -> ResultStream<'a, PublicIp> {
        self.list::<DescribeEipAddressesResponse>(q)
    }

    async fn allocate_public_ip(&self, spec: &PublicIpSpec) -> Result<PublicIp> {
        let token = spec.client_token.clone().unwrap_or_else(client_token);
        let p = allocate_eip_address_params(spec, &token);
        self.create_listed::<DescribeEipAddressesResponse, _>(
            "AllocateEipAddress",
            &spec.region,
            &p,
            ALLOCATION_ID,
        )
        .await
    }

    async fn associate_public_ip(
        &self,
        region: &str,
        ip_id: &str,
        instance_id: &str,
    ) -> Result<()> {
        let p = associate_eip_address_params(region, ip_id, instance_id);
        self.rpc_ack(
            Service::Vpc,
            "AssociateEipAddress",
            region,
            &p,
            CallKind::Mutation,
        )
        .await
    }

    /// `UnassociateEipAddress` names the instance too: it is read from
    /// `DescribeEipAddresses` first. An unbound EIP is `Ok`.
    async fn disassociate_public_ip(&self, region: &str, ip_id: &str) -> Result<()> {
        let ip = self
            .find::<DescribeEipAddressesResponse>(region, ip_id)
            .await?;
        let Some(instance) = ip.instance_id.filter(|s| !s.is_empty()) else {
            return Ok(());
        };
        let p = unassociate_eip_address_params(region, ip_id, &instance);
        self.rpc_ack(
            Service::Vpc,
            "UnassociateEipAddress",
            region,
            &p,
            CallKind::Mutation,
        )
        .await
    }

    async fn release_public_ip(&self, region: &str, ip_id: &str) -> Result<()> {
        let p = release_eip_address_params(region, ip_id);
        self.rpc_delete(Service::Vpc, "ReleaseEipAddress", region, &p, EIP_GONE)
            .await
    }
}
