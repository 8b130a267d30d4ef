//! Network: VPCs, subnets, security groups, public IPs.

use async_trait::async_trait;

use super::ResultStream;
use crate::error::Result;
use crate::model::{
    ListNetwork, PublicIp, PublicIpSpec, SecurityGroup, SecurityGroupSpec, SecurityRule, Subnet,
    SubnetSpec, Vpc, VpcSpec,
};

/// Virtual networking of one cloud account.
#[async_trait]
pub trait Network: Send + Sync {
    /// VPCs matching the query.
    fn vpcs<'a>(&'a self, q: &'a ListNetwork) -> ResultStream<'a, Vpc>;

    /// Create a VPC.
    async fn create_vpc(&self, spec: &VpcSpec) -> Result<Vpc>;

    /// Delete a VPC. Fails with `Conflict` while it has subnets; a missing VPC is `Ok`.
    async fn delete_vpc(&self, region: &str, id: &str) -> Result<()>;

    /// Subnets matching the query (`vpc_id` narrows to one VPC).
    fn subnets<'a>(&'a self, q: &'a ListNetwork) -> ResultStream<'a, Subnet>;

    /// Create a subnet.
    async fn create_subnet(&self, spec: &SubnetSpec) -> Result<Subnet>;

    /// Delete a subnet. A missing subnet is `Ok`.
    async fn delete_subnet(&self, region: &str, id: &str) -> Result<()>;

    /// Security groups matching the query, each with its rules.
    fn security_groups<'a>(&'a self, q: &'a ListNetwork) -> ResultStream<'a, SecurityGroup>;

    /// One security group with its rules; `NotFound` when missing.
    async fn security_group(&self, region: &str, id: &str) -> Result<SecurityGroup>;

    /// Create a security group.
    async fn create_security_group(&self, spec: &SecurityGroupSpec) -> Result<SecurityGroup>;

    /// Delete a security group. A missing group is `Ok`.
    async fn delete_security_group(&self, region: &str, id: &str) -> Result<()>;

    /// Add a rule to a group.
    async fn authorize_rule(&self, region: &str, group_id: &str, rule: &SecurityRule)
    -> Result<()>;

    /// Remove a rule from a group (matched by id where rules have ids,
    /// otherwise by direction, protocol, ports and peer).
    async fn revoke_rule(&self, region: &str, group_id: &str, rule: &SecurityRule) -> Result<()>;

    /// Public IPs matching the query.
    fn public_ips<'a>(&'a self, q: &'a ListNetwork) -> ResultStream<'a, PublicIp>;

    /// Allocate a public IP.
    async fn allocate_public_ip(&self, spec: &PublicIpSpec) -> Result<PublicIp>;

    /// Bind a public IP to an instance.
    async fn associate_public_ip(&self, region: &str, ip_id: &str, instance_id: &str)
    -> Result<()>;

    /// Unbind a public IP.
    async fn disassociate_public_ip(&self, region: &str, ip_id: &str) -> Result<()>;

    /// Release a public IP. A missing one is `Ok`.
    async fn release_public_ip(&self, region: &str, ip_id: &str) -> Result<()>;
}
