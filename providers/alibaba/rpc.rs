//! The RPC shapes ECS 2014-05-26 and VPC 2016-04-28 share, written once.
//!
//! * Request parameters: [`params_of`] (fixed `name=value` pairs), the id
//!   filters ([`push_json_ids`], [`push_comma_ids`]) and the paging pair
//!   `PageNumber`/`PageSize` ([`push_page`]).
//! * Answers: [`nonempty`], [`region_or`] and [`entries`], which the wire
//!   types' conversions into the normalized model use.
//! * Page-number listings: every `Describe*` list pages by `PageNumber`
//!   (from 1) and `PageSize` (up to the API's maximum) and answers
//!   `TotalCount`; `counted_answer!` declares such an answer with the
//!   fields they all have. [`PageListing`] ties an answer type to its service,
//!   action, query, parameter builder and conversion (the `page_listings!`
//!   table below); [`AlibabaProvider::page`] fetches one page,
//!   [`AlibabaProvider::list`] streams a listing (the pages after the first
//!   fetched concurrently) and [`AlibabaProvider::find`] looks one item up
//!   by id.
//! * Calls: [`AlibabaProvider::rpc`], and built on it the acknowledged
//!   mutation, the idempotent delete and the create (the new resource's
//!   id, and the new resource once a listing shows it).

use std::future::Future;

use serde::de::DeserializeOwned;

use super::client::CallKind;
use super::compute::{
    DescribeDisksResponse, DescribeImagesResponse, DescribeInstancesResponse, ECS_MAX_PAGE_SIZE,
    describe_disks_params, describe_images_params, describe_instances_params,
};
use super::config::Service;
use super::ecs::{Ack, CONCURRENCY, eventually, ok_if_gone, page_size};
use super::network::{
    DescribeEipAddressesResponse, DescribeSecurityGroupsResponse, DescribeVSwitchesResponse,
    DescribeVpcsResponse, EIP_MAX_PAGE_SIZE, SECURITY_GROUP_MAX_PAGE_SIZE, VPC_MAX_PAGE_SIZE,
    describe_eip_addresses_params, describe_security_groups_params, describe_vpcs_params,
    describe_vswitches_params,
};
use super::wire::{Params, json_array, push};
use super::{AlibabaProvider, set_param};
use crate::error::{Error, Result};
use crate::model::{
    Image, Instance, ListImages, ListInstances, ListNetwork, ListVolumes, PublicIp, SecurityGroup,
    Subnet, Volume, Vpc,
};
use crate::paging::{CountedPage, page_number_pager};
use crate::traits::ResultStream;

// ---------------------------------------------------------------- request parameters

/// Parameters from fixed `(name, value)` pairs, in their order.
pub(crate) fn params_of<const N: usize>(pairs: [(&str, &str); N]) -> Params {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect()
}

/// Append the ids filter `name` as a JSON array (`["a","b"]`) when the query
/// names ids.
pub(crate) fn push_json_ids(p: &mut Params, name: &str, ids: &[String]) {
    if !ids.is_empty() {
        push(p, name, json_array(ids));
    }
}

/// Append the ids filter `name` comma-separated (`a,b`) when the query
/// names ids.
pub(crate) fn push_comma_ids(p: &mut Params, name: &str, ids: &[String]) {
    if !ids.is_empty() {
        push(p, name, ids.join(","));
    }
}

/// Append `PageNumber` (from 1) and `PageSize` (the query's, else `max`,
/// within `1..=max`).
pub(crate) fn push_page(p: &mut Params, page_number: u32, requested: Option<u32>, max: u32) {
    push(p, "PageNumber", page_number.max(1));
    push(p, "PageSize", page_size(requested, max));
}

// ---------------------------------------------------------------- answers

/// A string field, unless absent or empty.
pub(crate) fn nonempty(s: &Option<String>) -> Option<String> {
    s.clone().filter(|v| !v.is_empty())
}

/// The region an entry names, else `region` (the query's).
pub(crate) fn region_or<'a>(own: &'a Option<String>, region: &'a str) -> &'a str {
    own.as_deref().filter(|s| !s.is_empty()).unwrap_or(region)
}

/// The entries of an answer that convert (those without an id do not).
pub(crate) fn entries<W, T>(
    wire: &[W],
    region: &str,
    convert: impl Fn(&W, &str) -> Option<T>,
) -> Vec<T> {
    wire.iter().filter_map(|w| convert(w, region)).collect()
}

/// Declare the answer of a page-number listing: the fields every such
/// answer has (`RequestId`, `TotalCount`, `PageNumber`, `PageSize`), then
/// the answer's own. The invoking module imports `Deserialize`, `opt_string`
/// and `opt_u64`.
macro_rules! counted_answer {
    ($(#[$meta:meta])* pub struct $name:ident { $($fields:tt)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, Deserialize)]
        pub struct $name {
            /// Request id.
            #[serde(rename = "RequestId", default, deserialize_with = "opt_string")]
            pub request_id: Option<String>,
            /// Total matches.
            #[serde(rename = "TotalCount", default, deserialize_with = "opt_u64")]
            pub total_count: Option<u64>,
            /// Page number returned.
            #[serde(rename = "PageNumber", default, deserialize_with = "opt_u64")]
            pub page_number: Option<u64>,
            /// Page size returned.
            #[serde(rename = "PageSize", default, deserialize_with = "opt_u64")]
            pub page_size: Option<u64>,
            $($fields)*
        }
    };
}
pub(crate) use counted_answer;

// ---------------------------------------------------------------- page-number listings

/// The answer of a page-number `Describe*` listing, with what its request
/// and its items are.
pub(crate) trait PageListing: DeserializeOwned + 'static {
    /// The normalized query.
    type Query: Sync;
    /// The normalized item.
    type Item: Send + 'static;
    /// The API.
    const SERVICE: Service;
    /// The action.
    const ACTION: &'static str;
    /// The largest `PageSize` the action takes.
    const MAX_PAGE_SIZE: u32;
    /// What an item is called in a `NotFound` error.
    const WHAT: &'static str;

    /// The query's region.
    fn region(q: &Self::Query) -> &str;
    /// The page size the query asks for.
    fn requested_page_size(q: &Self::Query) -> Option<u32>;
    /// The query of one item by id.
    fn by_id(region: &str, id: &str) -> Self::Query;
    /// An item's id.
    fn id_of(item: &Self::Item) -> &str;
    /// The parameters of page `page_number` (filters, `PageNumber`,
    /// `PageSize`).
    fn params(q: &Self::Query, page_number: u32) -> Params;
    /// The answer's `TotalCount`.
    fn total_count(&self) -> Option<u64>;
    /// The answer's entries, normalized; `region` for those that do not
    /// name theirs.
    fn items(&self, region: &str) -> Vec<Self::Item>;
}

/// `NotFound`: `what` `id` is not in `region`.
pub(crate) fn not_found(what: &str, id: &str, region: &str) -> Error {
    Error::not_found(format!("{what} {id} does not exist"))
        .with_provider("alibaba")
        .with_region(region)
}

impl AlibabaProvider {
    /// Page `page_number` of listing `L`, `size` entries long.
    pub(crate) async fn page<L: PageListing>(
        &self,
        q: &L::Query,
        page_number: u32,
        size: u32,
    ) -> Result<CountedPage<L::Item>> {
        let mut p = L::params(q, page_number);
        set_param(&mut p, "PageSize", size);
        let region = L::region(q);
        let r: L = self
            .rpc(L::SERVICE, L::ACTION, region, &p, CallKind::Read)
            .await?;
        Ok(CountedPage {
            items: r.items(region),
            total: r.total_count(),
        })
    }

    /// Every item of listing `L`, page by page with `fetch` (the first page
    /// alone, the others [`CONCURRENCY`] at a time once it gave the total).
    pub(crate) fn list_with<'a, L, F, Fut>(
        &'a self,
        q: &'a L::Query,
        fetch: F,
    ) -> ResultStream<'a, L::Item>
    where
        L: PageListing,
        F: FnMut(u32, u32) -> Fut + Send + 'a,
        Fut: Future<Output = Result<CountedPage<L::Item>>> + Send + 'a,
    {
        page_number_pager(
            page_size(L::requested_page_size(q), L::MAX_PAGE_SIZE),
            CONCURRENCY,
            fetch,
        )
    }

    /// Every item of listing `L` for `q`.
    pub(crate) fn list<'a, L: PageListing>(&'a self, q: &'a L::Query) -> ResultStream<'a, L::Item> {
        self.list_with::<L, _, _>(q, move |page, size| self.page::<L>(q, page, size))
    }

    /// Item `id` of listing `L` in `region` (one page filtered by the id);
    /// `NotFound` when the listing does not show it.
    pub(crate) async fn find<L: PageListing>(&self, region: &str, id: &str) -> Result<L::Item> {
        self.page::<L>(&L::by_id(region, id), 1, L::MAX_PAGE_SIZE)
            .await?
            .items
            .into_iter()
            .find(|i| L::id_of(i) == id)
            .ok_or_else(|| not_found(L::WHAT, id, region))
    }
}

/// Implement [`PageListing`] for answer types: `Answer: Service "Action"
/// up to MAX, Query by params_builder => Item by conversion "name";`.
macro_rules! page_listings {
    ($(
        $answer:ident: $service:ident $action:literal up to $max:expr,
        $query:ident by $params:ident => $item:ident by $items:ident $what:literal;
    )*) => {$(
        impl PageListing for $answer {
            type Query = $query;
            type Item = $item;
            const SERVICE: Service = Service::$service;
            const ACTION: &'static str = $action;
            const MAX_PAGE_SIZE: u32 = $max;
            const WHAT: &'static str = $what;

            fn region(q: &$query) -> &str {
                &q.region
            }
            fn requested_page_size(q: &$query) -> Option<u32> {
                q.page_size
            }
            fn by_id(region: &str, id: &str) -> $query {
                $query {
                    region: region.to_string(),
                    ids: vec![id.to_string()],
                    ..$query::default()
                }
            }
            fn id_of(item: &$item) -> &str {
                &item.id
            }
            fn params(q: &$query, page_number: u32) -> Params {
                $params(q, page_number)
            }
            fn total_count(&self) -> Option<u64> {
                self.total_count
            }
            fn items(&self, region: &str) -> Vec<$item> {
                self.$items(region)
            }
        }
    )*};
}

page_listings! {
    DescribeInstancesResponse: Ecs "DescribeInstances" up to ECS_MAX_PAGE_SIZE,
        ListInstances by describe_instances_params => Instance by to_instances "instance";
    DescribeDisksResponse: Ecs "DescribeDisks" up to ECS_MAX_PAGE_SIZE,
        ListVolumes by describe_disks_params => Volume by to_volumes "disk";
    DescribeImagesResponse: Ecs "DescribeImages" up to ECS_MAX_PAGE_SIZE,
        ListImages by describe_images_params => Image by to_images "image";
    DescribeSecurityGroupsResponse: Ecs "DescribeSecurityGroups" up to SECURITY_GROUP_MAX_PAGE_SIZE,
        ListNetwork by describe_security_groups_params => SecurityGroup by to_security_groups "security group";
    DescribeVpcsResponse: Vpc "DescribeVpcs" up to VPC_MAX_PAGE_SIZE,
        ListNetwork by describe_vpcs_params => Vpc by to_vpcs "VPC";
    DescribeVSwitchesResponse: Vpc "DescribeVSwitches" up to VPC_MAX_PAGE_SIZE,
        ListNetwork by describe_vswitches_params => Subnet by to_subnets "VSwitch";
    DescribeEipAddressesResponse: Vpc "DescribeEipAddresses" up to EIP_MAX_PAGE_SIZE,
        ListNetwork by describe_eip_addresses_params => PublicIp by to_public_ips "EIP";
}

// ---------------------------------------------------------------- calls

impl AlibabaProvider {
    /// Call `action` of `service` in `region` and decode the answer.
    pub(crate) async fn rpc<T: DeserializeOwned>(
        &self,
        service: Service,
        action: &str,
        region: &str,
        params: &Params,
        kind: CallKind,
    ) -> Result<T> {
        self.client()
            .call(service, action, Some(region), params, kind)
            .await
    }

    /// A call whose answer only acknowledges it.
    pub(crate) async fn rpc_ack(
        &self,
        service: Service,
        action: &str,
        region: &str,
        params: &Params,
        kind: CallKind,
    ) -> Result<()> {
        let _: Ack = self.rpc(service, action, region, params, kind).await?;
        Ok(())
    }

    /// An idempotent delete: `Ok` when the API answers `gone`, its code for
    /// "the resource does not exist" (see [`ok_if_gone`]); any other
    /// `NotFound` (a mistyped region: `InvalidRegionId.NotFound`) is an error.
    pub(crate) async fn rpc_delete(
        &self,
        service: Service,
        action: &str,
        region: &str,
        params: &Params,
        gone: &str,
    ) -> Result<()> {
        ok_if_gone(
            self.rpc_ack(service, action, region, params, CallKind::Idempotent)
                .await,
            &[gone],
        )
    }
}

/// Where a create's answer `R` names the new resource: the field's wire
/// name (for the error when it is absent) and how to read it.
pub(crate) type CreatedField<R> = (&'static str, fn(R) -> Option<String>);

impl AlibabaProvider {
    /// Create with `action` of `service` (idempotent: `params` carry the
    /// create's `ClientToken`) and read the new resource's id from the
    /// answer; a `Decode` error when it is absent or empty.
    pub(crate) async fn create<R: DeserializeOwned>(
        &self,
        service: Service,
        action: &str,
        region: &str,
        params: &Params,
        (field, pick): CreatedField<R>,
    ) -> Result<String> {
        let r: R = self
            .rpc(service, action, region, params, CallKind::Idempotent)
            .await?;
        pick(r).filter(|s| !s.is_empty()).ok_or_else(|| {
            Error::decode(format!("{action}: no {field} in the answer")).with_provider("alibaba")
        })
    }

    /// [`create`](Self::create) on the service of listing `L`, then the new
    /// resource as `L` shows it (retried while it does not yet).
    pub(crate) async fn create_listed<L: PageListing, R: DeserializeOwned>(
        &self,
        action: &str,
        region: &str,
        params: &Params,
        field: CreatedField<R>,
    ) -> Result<L::Item> {
        let id = self
            .create(L::SERVICE, action, region, params, field)
            .await?;
        eventually(|| self.find::<L>(region, &id)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_helpers() {
        let mut p = params_of([("RegionId", "cn-hangzhou"), ("DryRun", "true")]);
        push_json_ids(&mut p, "InstanceIds", &[]);
        push_comma_ids(&mut p, "VpcId", &[]);
        assert_eq!(p.len(), 2);
        let ids = ["a".to_string(), "b".to_string()];
        push_json_ids(&mut p, "InstanceIds", &ids);
        push_comma_ids(&mut p, "VpcId", &ids);
        push_page(&mut p, 0, Some(500), 50);
        let want: Params = [
            ("RegionId", "cn-hangzhou"),
            ("DryRun", "true"),
            ("InstanceIds", r#"["a","b"]"#),
            ("VpcId", "a,b"),
            ("PageNumber", "1"),
            ("PageSize", "50"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(p, want);
        let mut p = Params::new();
        push_page(&mut p, 3, None, 100);
        assert_eq!(p[1], ("PageSize".to_string(), "100".to_string()));
        assert_eq!(p[0], ("PageNumber".to_string(), "3".to_string()));
    }

    #[test]
    fn answer_helpers() {
        assert_eq!(nonempty(&Some(String::new())), None);
        assert_eq!(nonempty(&Some("x".into())).as_deref(), Some("x"));
        assert_eq!(region_or(&Some(String::new()), "q"), "q");
        assert_eq!(region_or(&None, "q"), "q");
        assert_eq!(region_or(&Some("own".into()), "q"), "own");
        let got = entries(&[1, 0, 3], "r", |n, r| (*n > 0).then(|| format!("{r}{n}")));
        assert_eq!(got, ["r1", "r3"]);
    }

    #[test]
    fn listings_know_their_api() {
        assert_eq!(DescribeVpcsResponse::MAX_PAGE_SIZE, 50);
        assert_eq!(DescribeVSwitchesResponse::SERVICE, Service::Vpc);
        assert_eq!(DescribeSecurityGroupsResponse::SERVICE, Service::Ecs);
        let q = <DescribeDisksResponse as PageListing>::by_id("cn-x", "d-1");
        assert_eq!(
            (q.region.as_str(), q.ids.as_slice()),
            ("cn-x", &["d-1".to_string()][..])
        );
        let p = DescribeDisksResponse::params(&q, 1);
        assert!(p.contains(&("DiskIds".into(), r#"["d-1"]"#.into())));
        let r: DescribeInstancesResponse = serde_json::from_str(
            r#"{"TotalCount":"7","PageNumber":2,"PageSize":1,"Instances":{"Instance":[{"InstanceId":"i-1"}]}}"#,
        )
        .unwrap();
        assert_eq!(r.total_count(), Some(7));
        assert_eq!(r.page_number, Some(2));
        let items = PageListing::items(&r, "cn-x");
        assert_eq!(DescribeInstancesResponse::id_of(&items[0]), "i-1");
    }
}
