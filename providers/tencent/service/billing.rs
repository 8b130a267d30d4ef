//! `Billing` over the Billing API (`DescribeAccountBalance`,
//! `DescribeBillDetail`).

use async_trait::async_trait;
use futures::StreamExt;

use super::super::TencentProvider;
use super::super::billing::*;
use crate::error::Result;
use crate::model::{Balance, CostLine, CostQuery};
use crate::traits::{Billing, ResultStream};

#[async_trait]
impl Billing for TencentProvider {
    async fn balance(&self) -> Result<Option<Balance>> {
        let r: DescribeAccountBalanceResponse = self
            .read(
                "billing",
                "DescribeAccountBalance",
                None,
                describe_account_balance_params(),
            )
            .await?;
        Ok(Some(balance_from_wire(
            &r,
            &self.currency,
            chrono::Utc::now(),
        )?))
    }

    fn cost_lines<'a>(&'a self, q: &'a CostQuery) -> ResultStream<'a, CostLine> {
        let months = months_in(q);
        futures::stream::iter(months)
            .map(move |month| {
                self.offset_list::<DescribeBillDetailResponse, _, _, _>(
                    "billing",
                    "DescribeBillDetail",
                    None,
                    BILL_DETAIL_MAX_LIMIT,
                    move |offset, limit| {
                        let mut p = describe_bill_detail_params(&month, offset, None);
                        p["Limit"] = serde_json::json!(limit);
                        Ok(p)
                    },
                    move |d| cost_line_from_detail(&d, q, &self.currency),
                )
            })
            .flatten()
            // Keep the lines that overlap the query's period (bills are
            // fetched by whole month).
            .filter(move |r| {
                let keep = match r {
                    Ok(l) => l.period_end > q.start && l.period_start < q.end,
                    Err(_) => true,
                };
                futures::future::ready(keep)
            })
            .boxed()
    }
}
