//! Billing: balance and costs.

use std::collections::BTreeMap;

use async_trait::async_trait;
use futures::TryStreamExt;
use rust_decimal::Decimal;

use super::ResultStream;
use crate::error::Result;
use crate::model::{Balance, CostDimension, CostGroup, CostLine, CostQuery};

/// Money of one cloud account.
#[async_trait]
pub trait Billing: Send + Sync {
    /// The prepaid balance; `Ok(None)` on clouds without one (AWS, Azure).
    async fn balance(&self) -> Result<Option<Balance>>;

    /// Cost lines for the query's period, resource level where asked and offered.
    fn cost_lines<'a>(&'a self, q: &'a CostQuery) -> ResultStream<'a, CostLine>;

    /// Costs grouped by the query's dimensions, one group per key set,
    /// period and currency (amounts in different currencies are never summed).
    ///
    /// The default implementation aggregates [`Billing::cost_lines`];
    /// providers with a server-side summary API override it.
    async fn cost_summary(&self, q: &CostQuery) -> Result<Vec<CostGroup>> {
        let mut groups: BTreeMap<(Vec<(CostDimension, String)>, String, String), CostGroup> =
            BTreeMap::new();
        let mut lines = self.cost_lines(q);
        while let Some(line) = lines.try_next().await? {
            let keys: Vec<(CostDimension, String)> = q
                .group_by
                .iter()
                .map(|d| (*d, dimension_value(&line, *d)))
                .collect();
            let period = line.period_start.to_string();
            let entry = groups
                .entry((keys.clone(), period, line.currency.clone()))
                .or_insert_with(|| CostGroup {
                    provider: line.provider,
                    keys: keys.into_iter().collect(),
                    period_start: line.period_start,
                    period_end: line.period_end,
                    amount: Decimal::ZERO,
                    currency: line.currency.clone(),
                });
            entry.amount += line.payable_amount;
        }
        Ok(groups.into_values().collect())
    }
}

/// The value of one grouping dimension for a cost line (`""` when absent).
pub fn dimension_value(line: &CostLine, d: CostDimension) -> String {
    match d {
        CostDimension::Service => line.service_code.clone(),
        CostDimension::Region => line.region.clone().unwrap_or_default(),
        CostDimension::Account => line.account_id.clone().unwrap_or_default(),
        CostDimension::Resource => line.resource_id.clone().unwrap_or_default(),
        CostDimension::ChargeType => format!("{:?}", line.charge_type).to_lowercase(),
    }
}
