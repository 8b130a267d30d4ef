//! [`Billing`] on BSS OpenAPI 2017-12-14.
//!
//! `balance` is `QueryAccountBalance`. `cost_lines` calls
//! `DescribeInstanceBill` once per billing cycle (month) of the query —
//! per day with `Granularity=DAILY` and `BillingDate` for daily queries —
//! and follows `NextToken` with `MaxResults` 300 (the maximum). BSS answers
//! errors with HTTP 200 and `Success: false`; those become errors too.
//! BSS is global: `business.aliyuncs.com`, or
//! `business.ap-southeast-1.aliyuncs.com` with the account option
//! `site = "international"`.

use async_trait::async_trait;
use chrono::Utc;
use futures::StreamExt;

use super::AlibabaProvider;
use super::billing::{
    DescribeInstanceBillResponse, QueryAccountBalanceResponse, billing_periods, check_success,
    describe_instance_bill_params, query_account_balance_params,
};
use super::client::CallKind;
use super::config::Service;
use crate::error::Result;
use crate::model::{Balance, CostLine, CostQuery};
use crate::paging::{Page, token_pager};
use crate::traits::{Billing, ResultStream};

impl AlibabaProvider {
    async fn bill_page(
        &self,
        cycle: &str,
        day: Option<&str>,
        q: &CostQuery,
        token: Option<String>,
    ) -> Result<Page<CostLine>> {
        let p = describe_instance_bill_params(cycle, day, q.resource_level, token.as_deref(), None);
        let r = self
            .client()
            .call_raw(
                Service::Bss,
                "DescribeInstanceBill",
                None,
                &p,
                CallKind::Read,
            )
            .await?;
        let b: DescribeInstanceBillResponse = super::wire::decode("DescribeInstanceBill", &r.body)
            .map_err(|e| e.with_context_defaults(r.context()))?;
        check_success(&b.envelope, r.status.as_u16())?;
        let lines = b
            .to_cost_lines()
            .into_iter()
            .filter(|l| l.period_start < q.end && l.period_end > q.start)
            .collect();
        Ok(Page::new(lines, b.next_page()))
    }
}

#[async_trait]
impl Billing for AlibabaProvider {
    async fn balance(&self) -> Result<Option<Balance>> {
        let r = self
            .client()
            .call_raw(
                Service::Bss,
                "QueryAccountBalance",
                None,
                &query_account_balance_params(),
                CallKind::Read,
            )
            .await?;
        let b: QueryAccountBalanceResponse = super::wire::decode("QueryAccountBalance", &r.body)
            .map_err(|e| e.with_context_defaults(r.context()))?;
        check_success(&b.envelope, r.status.as_u16())?;
        b.to_balance(Utc::now()).map(Some)
    }

    fn cost_lines<'a>(&'a self, q: &'a CostQuery) -> ResultStream<'a, CostLine> {
        futures::stream::iter(billing_periods(q))
            .map(move |(cycle, day)| {
                token_pager(None, move |token| {
                    let cycle = cycle.clone();
                    let day = day.clone();
                    async move { self.bill_page(&cycle, day.as_deref(), q, token).await }
                })
            })
            .flatten()
            .boxed()
    }
}
