//! [`Network`] on VPC 2016-04-28 (VPCs, VSwitches, EIPs) and ECS
//! 2014-05-26 (security groups and their rules).
//!
//! Lists page by `PageNumber`/`PageSize` at the APIs' maxima (50 for
//! `DescribeVpcs` and `DescribeVSwitches`, 100 for `DescribeEipAddresses`
//! and `DescribeSecurityGroups`), fetching the remaining pages concurrently
//! once the first page gave `TotalCount`. Security groups are listed with
//! `DescribeSecurityGroups` and each one's rules read with
//! `DescribeSecurityGroupAttribute` (eight groups at a time). Creates carry
//! a `ClientToken`, unchanged across retries.

use async_trait::async_trait;
use futures::{StreamExt, TryStreamExt};
use serde::Deserialize;

use super::client::{CallKind, client_token};
use super::config::Service;
use super::ecs::{Ack, CONCURRENCY, eventually, ok_if_missing, page_size};
use super::network::{
    DescribeEipAddressesResponse, DescribeSecurityGroupAttributeResponse,
    DescribeSecurityGroupsResponse, DescribeVSwitchesResponse, DescribeVpcsResponse,
    EIP_MAX_PAGE_SIZE, SECURITY_GROUP_MAX_PAGE_SIZE, VPC_MAX_PAGE_SIZE,
    allocate_eip_address_params, associate_eip_address_params, authorize_security_group_params,
    create_security_group_params, create_vpc_params, create_vswitch_params,
    delete_security_group_params, delete_vpc_params, delete_vswitch_params,
    describe_eip_addresses_params, describe_security_group_attribute_params,
    describe_security_groups_params, describe_vpcs_params, describe_vswitches_params,
    release_eip_address_params, revoke_security_group_params, unassociate_eip_address_params,
};
use super::wire::{Params, opt_string};
use super::{AlibabaProvider, set_param};
use crate::error::{Error, Result};
use crate::model::{
    ListNetwork, PublicIp, PublicIpSpec, SecurityGroup, SecurityGroupSpec, SecurityRule, Subnet,
    SubnetSpec, Vpc, VpcSpec,
};
use crate::paging::{CountedPage, page_number_pager};
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

fn missing_id(action: &str, field: &str) -> Error {
    Error::decode(format!("{action}: no {field} in the answer")).with_provider("alibaba")
}

fn not_found(what: &str, id: &str, region: &str) -> Error {
    Error::not_found(format!("{what} {id} does not exist"))
        .with_provider("alibaba")
        .with_region(region)
}

impl AlibabaProvider {
    async fn vpc_api<T: for<'de> Deserialize<'de>>(
        &self,
        action: &str,
        region: &str,
        params: &Params,
        kind: CallKind,
    ) -> Result<T> {
        self.client()
            .call(Service::Vpc, action, Some(region), params, kind)
            .await
    }

    async fn vpcs_page(&self, q: &ListNetwork, page: u32, size: u32) -> Result<CountedPage<Vpc>> {
        let mut p = describe_vpcs_params(q, page);
        set_param(&mut p, "PageSize", size);
        let r: DescribeVpcsResponse = self
            .vpc_api("DescribeVpcs", &q.region, &p, CallKind::Read)
            .await?;
        Ok(CountedPage {
            items: r.to_vpcs(&q.region),
            total: r.total_count,
        })
    }

    async fn subnets_page(
        &self,
        q: &ListNetwork,
        page: u32,
        size: u32,
    ) -> Result<CountedPage<Subnet>> {
        let mut p = describe_vswitches_params(q, page);
        set_param(&mut p, "PageSize", size);
        let r: DescribeVSwitchesResponse = self
            .vpc_api("DescribeVSwitches", &q.region, &p, CallKind::Read)
            .await?;
        Ok(CountedPage {
            items: r.to_subnets(&q.region),
            total: r.total_count,
        })
    }

    async fn eips_page(
        &self,
        q: &ListNetwork,
        page: u32,
        size: u32,
    ) -> Result<CountedPage<PublicIp>> {
        let mut p = describe_eip_addresses_params(q, page);
        set_param(&mut p, "PageSize", size);
        let r: DescribeEipAddressesResponse = self
            .vpc_api("DescribeEipAddresses", &q.region, &p, CallKind::Read)
            .await?;
        Ok(CountedPage {
            items: r.to_public_ips(&q.region),
            total: r.total_count,
        })
    }

    async fn group_attribute(
        &self,
        region: &str,
        id: &str,
    ) -> Result<DescribeSecurityGroupAttributeResponse> {
        self.ecs(
            "DescribeSecurityGroupAttribute",
            region,
            &describe_security_group_attribute_params(region, id),
            CallKind::Read,
        )
        .await
    }

    async fn security_groups_page(
        &self,
        q: &ListNetwork,
        page: u32,
        size: u32,
    ) -> Result<CountedPage<SecurityGroup>> {
        let mut p = describe_security_groups_params(q, page);
        set_param(&mut p, "PageSize", size);
        let r: DescribeSecurityGroupsResponse = self
            .ecs("DescribeSecurityGroups", &q.region, &p, CallKind::Read)
            .await?;
        let groups = r.to_security_groups(&q.region);
        let region = q.region.as_str();
        let items: Vec<SecurityGroup> = futures::stream::iter(groups)
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
            total: r.total_count,
        })
    }

    async fn public_ip(&self, region: &str, id: &str) -> Result<PublicIp> {
        let q = ListNetwork {
            region: region.to_string(),
            ids: vec![id.to_string()],
            ..ListNetwork::default()
        };
        self.eips_page(&q, 1, EIP_MAX_PAGE_SIZE)
            .await?
            .items
            .into_iter()
            .find(|i| i.id == id)
            .ok_or_else(|| not_found("EIP", id, region))
    }

    async fn vpc(&self, region: &str, id: &str) -> Result<Vpc> {
        let q = ListNetwork {
            region: region.to_string(),
            ids: vec![id.to_string()],
            ..ListNetwork::default()
        };
        self.vpcs_page(&q, 1, VPC_MAX_PAGE_SIZE)
            .await?
            .items
            .into_iter()
            .find(|v| v.id == id)
            .ok_or_else(|| not_found("VPC", id, region))
    }

    async fn subnet(&self, region: &str, id: &str) -> Result<Subnet> {
        let q = ListNetwork {
            region: region.to_string(),
            ids: vec![id.to_string()],
            ..ListNetwork::default()
        };
        self.subnets_page(&q, 1, VPC_MAX_PAGE_SIZE)
            .await?
            .items
            .into_iter()
            .find(|v| v.id == id)
            .ok_or_else(|| not_found("VSwitch", id, region))
    }
}

#[async_trait]
impl Network for AlibabaProvider {
    fn vpcs<'a>(&'a self, q: &'a ListNetwork) -> ResultStream<'a, Vpc> {
        page_number_pager(
            page_size(q.page_size, VPC_MAX_PAGE_SIZE),
            CONCURRENCY,
            move |page, size| self.vpcs_page(q, page, size),
        )
    }

    async fn create_vpc(&self, spec: &VpcSpec) -> Result<Vpc> {
        let token = spec.client_token.clone().unwrap_or_else(client_token);
        let r: CreatedIds = self
            .vpc_api(
                "CreateVpc",
                &spec.region,
                &create_vpc_params(spec, &token),
                CallKind::Idempotent,
            )
            .await?;
        let id = r
            .vpc_id
            .filter(|s| !s.is_empty())
            .ok_or_else(|| missing_id("CreateVpc", "VpcId"))?;
        eventually(|| self.vpc(&spec.region, &id)).await
    }

    async fn delete_vpc(&self, region: &str, id: &str) -> Result<()> {
        ok_if_missing(
            self.vpc_api::<Ack>(
                "DeleteVpc",
                region,
                &delete_vpc_params(region, id),
                CallKind::Idempotent,
            )
            .await
            .map(|_| ()),
        )
    }

    fn subnets<'a>(&'a self, q: &'a ListNetwork) -> ResultStream<'a, Subnet> {
        let pages = page_number_pager(
            page_size(q.page_size, VPC_MAX_PAGE_SIZE),
            CONCURRENCY,
            move |page, size| self.subnets_page(q, page, size),
        );
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
        let r: CreatedIds = self
            .vpc_api(
                "CreateVSwitch",
                &spec.region,
                &create_vswitch_params(spec, &token),
                CallKind::Idempotent,
            )
            .await?;
        let id = r
            .vswitch_id
            .filter(|s| !s.is_empty())
            .ok_or_else(|| missing_id("CreateVSwitch", "VSwitchId"))?;
        eventually(|| self.subnet(&spec.region, &id)).await
    }

    async fn delete_subnet(&self, region: &str, id: &str) -> Result<()> {
        ok_if_missing(
            self.vpc_api::<Ack>(
                "DeleteVSwitch",
                region,
                &delete_vswitch_params(region, id),
                CallKind::Idempotent,
            )
            .await
            .map(|_| ()),
        )
    }

    fn security_groups<'a>(&'a self, q: &'a ListNetwork) -> ResultStream<'a, SecurityGroup> {
        page_number_pager(
            page_size(q.page_size, SECURITY_GROUP_MAX_PAGE_SIZE),
            CONCURRENCY,
            move |page, size| self.security_groups_page(q, page, size),
        )
    }

    async fn security_group(&self, region: &str, id: &str) -> Result<SecurityGroup> {
        self.group_attribute(region, id)
            .await?
            .to_security_group(region)
            .ok_or_else(|| not_found("security group", id, region))
    }

    async fn create_security_group(&self, spec: &SecurityGroupSpec) -> Result<SecurityGroup> {
        let token = spec.client_token.clone().unwrap_or_else(client_token);
        let r: CreatedIds = self
            .ecs(
                "CreateSecurityGroup",
                &spec.region,
                &create_security_group_params(spec, &token),
                CallKind::Idempotent,
            )
            .await?;
        let id = r
            .security_group_id
            .filter(|s| !s.is_empty())
            .ok_or_else(|| missing_id("CreateSecurityGroup", "SecurityGroupId"))?;
        eventually(|| self.security_group(&spec.region, &id)).await
    }

    async fn delete_security_group(&self, region: &str, id: &str) -> Result<()> {
        ok_if_missing(
            self.ecs::<Ack>(
                "DeleteSecurityGroup",
                region,
                &delete_security_group_params(region, id),
                CallKind::Idempotent,
            )
            .await
            .map(|_| ()),
        )
    }

    async fn authorize_rule(
        &self,
        region: &str,
        group_id: &str,
        rule: &SecurityRule,
    ) -> Result<()> {
        let (action, p) = authorize_security_group_params(region, group_id, rule, &client_token());
        let _: Ack = self.ecs(action, region, &p, CallKind::Idempotent).await?;
        Ok(())
    }

    async fn revoke_rule(&self, region: &str, group_id: &str, rule: &SecurityRule) -> Result<()> {
        let (action, p) = revoke_security_group_params(region, group_id, rule);
        let _: Ack = self.ecs(action, region, &p, CallKind::Idempotent).await?;
        Ok(())
    }

    fn public_ips<'a>(&'a self, q: &'a ListNetwork) -> ResultStream<'a, PublicIp> {
        page_number_pager(
            page_size(q.page_size, EIP_MAX_PAGE_SIZE),
            CONCURRENCY,
            move |page, size| self.eips_page(q, page, size),
        )
    }

    async fn allocate_public_ip(&self, spec: &PublicIpSpec) -> Result<PublicIp> {
        let token = spec.client_token.clone().unwrap_or_else(client_token);
        let r: CreatedIds = self
            .vpc_api(
                "AllocateEipAddress",
                &spec.region,
                &allocate_eip_address_params(spec, &token),
                CallKind::Idempotent,
            )
            .await?;
        let id = r
            .allocation_id
            .filter(|s| !s.is_empty())
            .ok_or_else(|| missing_id("AllocateEipAddress", "AllocationId"))?;
        eventually(|| self.public_ip(&spec.region, &id)).await
    }

    async fn associate_public_ip(
        &self,
        region: &str,
        ip_id: &str,
        instance_id: &str,
    ) -> Result<()> {
        let _: Ack = self
            .vpc_api(
                "AssociateEipAddress",
                region,
                &associate_eip_address_params(region, ip_id, instance_id),
                CallKind::Mutation,
            )
            .await?;
        Ok(())
    }

    /// `UnassociateEipAddress` names the instance too: it is read from
    /// `DescribeEipAddresses` first. An unbound EIP is `Ok`.
    async fn disassociate_public_ip(&self, region: &str, ip_id: &str) -> Result<()> {
        let ip = self.public_ip(region, ip_id).await?;
        let Some(instance) = ip.instance_id.filter(|s| !s.is_empty()) else {
            return Ok(());
        };
        let _: Ack = self
            .vpc_api(
                "UnassociateEipAddress",
                region,
                &unassociate_eip_address_params(region, ip_id, &instance),
                CallKind::Mutation,
            )
            .await?;
        Ok(())
    }

    async fn release_public_ip(&self, region: &str, ip_id: &str) -> Result<()> {
        ok_if_missing(
            self.vpc_api::<Ack>(
                "ReleaseEipAddress",
                region,
                &release_eip_address_params(region, ip_id),
                CallKind::Idempotent,
            )
            .await
            .map(|_| ()),
        )
    }
}
