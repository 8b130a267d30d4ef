//! Cost Explorer: `GetCostAndUsage` (service, region, account groupings)
//! and `GetCostAndUsageWithResources` (EC2 resource level, where enabled).
//! AWS has no prepaid balance.

use std::str::FromStr;

use async_trait::async_trait;
use aws_sdk_costexplorer::types::{
    DateInterval, Dimension, DimensionValues, Expression, Granularity as CeGranularity,
    GroupDefinition, GroupDefinitionType, MetricValue, ResultByTime,
};
use chrono::NaiveDate;
use futures::{StreamExt, TryStreamExt, stream};
use rust_decimal::Decimal;

use super::AwsProvider;
use super::client::{PROVIDER, paged, sdk_error};
use crate::error::{Error, ErrorKind, Result};
use crate::model::{
    Balance, ChargeType, CostDimension, CostLine, CostQuery, Granularity, ProviderKind, Tags,
};
use crate::traits::{Billing, Provider, ResultStream};

/// The Cost Explorer SERVICE value of EC2 instances: the only service whose
/// resource-level data `GetCostAndUsageWithResources` returns.
pub const EC2_COMPUTE: &str = "Amazon Elastic Compute Cloud - Compute";

/// Metrics asked for: list cost, cost after discounts, usage.
pub const METRICS: [&str; 3] = ["UnblendedCost", "NetUnblendedCost", "UsageQuantity"];

/// Cost Explorer dimension key for one of ours.
pub fn ce_dimension(d: CostDimension) -> Option<&'static str> {
    match d {
        CostDimension::Service => Some("SERVICE"),
        CostDimension::Region => Some("REGION"),
        CostDimension::Account => Some("LINKED_ACCOUNT"),
        CostDimension::ChargeType => Some("PURCHASE_TYPE"),
        CostDimension::Resource => Some("RESOURCE_ID"),
    }
}

/// The group-by keys for a query: the query's dimensions (resource left to
/// the resource-level call), with SERVICE first when there is room; Cost
/// Explorer takes at most two.
pub fn group_keys(q: &CostQuery) -> Result<Vec<&'static str>> {
    let mut keys: Vec<&'static str> = Vec::new();
    for d in &q.group_by {
        if *d == CostDimension::Resource {
            continue;
        }
        if let Some(k) = ce_dimension(*d)
            && !keys.contains(&k)
        {
            keys.push(k);
        }
    }
    if !keys.contains(&"SERVICE") {
        if keys.len() >= 2 {
            return Err(Error::invalid_argument(
                "Cost Explorer groups by at most two dimensions; with two non-service \
                 dimensions the service cannot be reported: group by fewer",
            )
            .with_provider(PROVIDER));
        }
        keys.insert(0, "SERVICE");
    }
    if keys.len() > 2 {
        return Err(
            Error::invalid_argument("Cost Explorer groups by at most two dimensions")
                .with_provider(PROVIDER),
        );
    }
    Ok(keys)
}

/// Parse a Cost Explorer amount string into a decimal (never through f64).
pub fn parse_amount(s: &str) -> Result<Decimal> {
    let s = s.trim();
    Decimal::from_str(s)
        .or_else(|_| Decimal::from_scientific(s))
        .map_err(|e| {
            Error::decode(format!("Cost Explorer amount `{s}` is not a decimal: {e}"))
                .with_provider(PROVIDER)
        })
}

fn charge_type(purchase: &str) -> ChargeType {
    let p = purchase.to_ascii_lowercase();
    if p.contains("spot") {
        ChargeType::Spot
    } else if p.contains("reserved") || p.contains("savings plan") || p.contains("dedicated") {
        ChargeType::PrePaid
    } else if p.contains("on demand") {
        ChargeType::PostPaid
    } else {
        ChargeType::Unknown
    }
}

type Metrics = std::collections::HashMap<String, MetricValue>;

fn metric<'m>(
    m: Option<&'m std::collections::HashMap<String, MetricValue>>,
    name: &str,
) -> Option<&'m MetricValue> {
    m?.get(name)
}

/// Turn one `ResultsByTime` entry into cost lines, one per group (or one
/// for the total when the result has no groups).
pub fn lines_from_result(
    r: &ResultByTime,
    keys: &[&str],
    account_id: Option<&str>,
) -> Result<Vec<CostLine>> {
    let period = r.time_period().ok_or_else(|| {
        Error::decode("Cost Explorer result without TimePeriod").with_provider(PROVIDER)
    })?;
    let day = |s: &str| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| {
            Error::decode(format!("bad Cost Explorer date `{s}`: {e}")).with_provider(PROVIDER)
        })
    };
    let (start, end) = (day(period.start())?, day(period.end())?);
    let mut sets: Vec<(Vec<String>, Option<&Metrics>)> = r
        .groups()
        .iter()
        .map(|g| (g.keys().to_vec(), g.metrics()))
        .collect();
    if r.groups().is_empty() {
        if let Some(total) = r.total().filter(|t| !t.is_empty()) {
            sets.push((Vec::new(), Some(total)));
        }
    }
    let mut out = Vec::with_capacity(sets.len());
    for (values, metrics) in sets {
        let value = |k: &str| {
            keys.iter()
                .position(|x| *x == k)
                .and_then(|i| values.get(i))
                .cloned()
        };
        let Some(list) = metric(metrics, "UnblendedCost")
            .or_else(|| metric(metrics, "NetUnblendedCost"))
            .or_else(|| metric(metrics, "BlendedCost"))
            .or_else(|| metric(metrics, "AmortizedCost"))
        else {
            continue;
        };
        let list_amount = parse_amount(list.amount().unwrap_or("0"))?;
        let payable = match metric(metrics, "NetUnblendedCost").and_then(|m| m.amount()) {
            Some(a) => parse_amount(a)?,
            None => list_amount,
        };
        let usage = metric(metrics, "UsageQuantity");
        let usage_unit = usage.and_then(|u| u.unit()).filter(|u| *u != "N/A");
        let usage_quantity = match (usage.and_then(|u| u.amount()), usage_unit) {
            (Some(a), Some(_)) => Some(parse_amount(a)?),
            _ => None,
        };
        out.push(CostLine {
            provider: ProviderKind::Aws,
            account_id: value("LINKED_ACCOUNT").or_else(|| account_id.map(str::to_string)),
            period_start: start,
            period_end: end,
            service_code: value("SERVICE").unwrap_or_default(),
            service_category: None,
            resource_id: value("RESOURCE_ID"),
            region: value("REGION"),
            charge_type: value("PURCHASE_TYPE")
                .map(|p| charge_type(&p))
                .unwrap_or(ChargeType::Unknown),
            list_amount,
            discount: list_amount - payable,
            payable_amount: payable,
            currency: list.unit().unwrap_or("USD").to_string(),
            usage_quantity,
            usage_unit: usage_unit.map(str::to_string),
            tags: Tags::new(),
        });
    }
    Ok(out)
}

fn service_is(value: &str) -> Expression {
    Expression::builder()
        .dimensions(
            DimensionValues::builder()
                .key(Dimension::Service)
                .values(value)
                .build(),
        )
        .build()
}

impl AwsProvider {
    fn service_level<'a>(
        &'a self,
        q: &'a CostQuery,
        keys: Vec<&'static str>,
        filter: Option<Expression>,
        account: Option<String>,
    ) -> ResultStream<'a, CostLine> {
        let granularity = match q.granularity {
            Granularity::Daily => CeGranularity::Daily,
            _ => CeGranularity::Monthly,
        };
        paged(move |token| {
            let keys = keys.clone();
            let filter = filter.clone();
            let granularity = granularity.clone();
            let account = account.clone();
            async move {
                let mut req = self
                    .ce
                    .get_cost_and_usage()
                    .time_period(interval(q)?)
                    .granularity(granularity)
                    .set_filter(filter)
                    .set_next_page_token(token);
                for m in METRICS {
                    req = req.metrics(m);
                }
                for k in &keys {
                    req = req.group_by(
                        GroupDefinition::builder()
                            .r#type(GroupDefinitionType::Dimension)
                            .key(*k)
                            .build(),
                    );
                }
                let out = req
                    .send()
                    .await
                    .map_err(|e| sdk_error("ce", "GetCostAndUsage", None, e))?;
                let mut lines = Vec::new();
                for r in out.results_by_time() {
                    lines.extend(lines_from_result(r, &keys, account.as_deref())?);
                }
                Ok((lines, out.next_page_token().map(str::to_string)))
            }
        })
    }

    async fn resource_level_page(
        &self,
        q: &CostQuery,
        token: Option<String>,
        account: Option<&str>,
    ) -> Result<(Vec<CostLine>, Option<String>)> {
        let keys = ["RESOURCE_ID"];
        let mut req = self
            .ce
            .get_cost_and_usage_with_resources()
            .time_period(interval(q)?)
            .granularity(CeGranularity::Daily)
            .filter(service_is(EC2_COMPUTE))
            .group_by(
                GroupDefinition::builder()
                    .r#type(GroupDefinitionType::Dimension)
                    .key(keys[0])
                    .build(),
            )
            .set_next_page_token(token);
        for m in METRICS {
            req = req.metrics(m);
        }
        let out = req
            .send()
            .await
            .map_err(|e| sdk_error("ce", "GetCostAndUsageWithResources", None, e))?;
        let mut lines = Vec::new();
        for r in out.results_by_time() {
            for mut l in lines_from_result(r, &keys, account)? {
                l.service_code = EC2_COMPUTE.to_string();
                lines.push(l);
            }
        }
        Ok((lines, out.next_page_token().map(str::to_string)))
    }
}

fn interval(q: &CostQuery) -> Result<DateInterval> {
    DateInterval::builder()
        .start(q.start.format("%Y-%m-%d").to_string())
        .end(q.end.format("%Y-%m-%d").to_string())
        .build()
        .map_err(|e| Error::invalid_argument(e.to_string()).with_provider(PROVIDER))
}

/// Errors after which resource-level data is treated as unavailable (not
/// enabled in Cost Explorer settings, not allowed, or not implemented by an
/// emulator) and the query falls back to service level.
fn resource_level_unavailable(e: &Error) -> bool {
    !matches!(
        e.kind(),
        ErrorKind::Throttled | ErrorKind::Unauthenticated | ErrorKind::Timeout
    )
}

#[async_trait]
impl Billing for AwsProvider {
    /// AWS has no prepaid balance.
    async fn balance(&self) -> Result<Option<Balance>> {
        Ok(None)
    }

    /// Cost Explorer `GetCostAndUsage` (UnblendedCost as list amount,
    /// NetUnblendedCost as payable, UsageQuantity), grouped by SERVICE and
    /// the query's region/account/purchase-type dimension, every page.
    ///
    /// With `resource_level` and daily granularity, EC2 instance costs come
    /// from `GetCostAndUsageWithResources` (grouped by RESOURCE_ID, last 14
    /// days only, opt-in in Cost Explorer settings) and everything else
    /// from `GetCostAndUsage` without EC2 compute. When the resource-level
    /// call fails (not enabled, not allowed), the whole query falls back to
    /// service level.
    fn cost_lines<'a>(&'a self, q: &'a CostQuery) -> ResultStream<'a, CostLine> {
        let fut = async move {
            let keys = group_keys(q)?;
            if q.start >= q.end {
                return Err(
                    Error::invalid_argument("cost query end must be after start")
                        .with_provider(PROVIDER),
                );
            }
            let account = self.account().await.ok().map(|a| a.id);
            if q.resource_level && q.granularity == Granularity::Daily {
                match self.resource_level_page(q, None, account.as_deref()).await {
                    Ok((first, next)) => {
                        let acct = account.clone();
                        let rest = paged(move |t| {
                            let acct = acct.clone();
                            let next = next.clone();
                            async move {
                                match t {
                                    None => Ok((Vec::new(), next)),
                                    Some(t) => {
                                        self.resource_level_page(q, Some(t), acct.as_deref()).await
                                    }
                                }
                            }
                        });
                        let others = self.service_level(
                            q,
                            keys,
                            Some(Expression::builder().not(service_is(EC2_COMPUTE)).build()),
                            account,
                        );
                        return Ok(stream::iter(first.into_iter().map(Ok))
                            .chain(rest)
                            .chain(others)
                            .boxed());
                    }
                    Err(e) if resource_level_unavailable(&e) => {
                        tracing::info!(
                            error = %e,
                            "resource-level costs unavailable; falling back to service level"
                        );
                    }
                    Err(e) => return Err(e),
                }
            }
            Ok(self.service_level(q, keys, None, account))
        };
        stream::once(fut).try_flatten().boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(group_by: Vec<CostDimension>) -> CostQuery {
        CostQuery {
            start: NaiveDate::from_ymd_opt(2017, 9, 1).unwrap(),
            end: NaiveDate::from_ymd_opt(2017, 10, 1).unwrap(),
            granularity: Granularity::Monthly,
            group_by,
            resource_level: false,
        }
    }

    #[test]
    fn group_keys_follow_the_query() {
        assert_eq!(group_keys(&q(vec![])).unwrap(), vec!["SERVICE"]);
        assert_eq!(
            group_keys(&q(vec![CostDimension::Region])).unwrap(),
            vec!["SERVICE", "REGION"]
        );
        assert_eq!(
            group_keys(&q(vec![CostDimension::Account, CostDimension::Service])).unwrap(),
            vec!["LINKED_ACCOUNT", "SERVICE"]
        );
        assert_eq!(
            group_keys(&q(vec![CostDimension::Region, CostDimension::Account]))
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidArgument
        );
    }

    #[test]
    fn amounts_are_decimal() {
        assert_eq!(parse_amount("40.5").unwrap(), Decimal::new(405, 1));
        assert_eq!(parse_amount("0.0000000001").unwrap(), Decimal::new(1, 10));
        assert_eq!(parse_amount("1E-7").unwrap(), Decimal::new(1, 7));
        assert_eq!(parse_amount("x").unwrap_err().kind(), ErrorKind::Decode);
    }

    #[test]
    fn purchase_types() {
        assert_eq!(charge_type("On Demand Instances"), ChargeType::PostPaid);
        assert_eq!(charge_type("Spot Instances"), ChargeType::Spot);
        assert_eq!(
            charge_type("Standard Reserved Instances"),
            ChargeType::PrePaid
        );
        assert_eq!(charge_type("Savings Plans"), ChargeType::PrePaid);
        assert_eq!(charge_type("Other"), ChargeType::Unknown);
    }
}
