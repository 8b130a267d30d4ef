//! Billing (2018-07-09): account balance and resource-level bill lines.
//!
//! `DescribeAccountBalance` reports amounts in fen (cents, 1/100 of the
//! currency unit); they become decimal yuan. `DescribeBillDetail` and
//! `DescribeBillResourceSummary` report amounts as decimal strings in yuan.
//! Field names follow `tencentcloud-sdk-python-billing` `models.py`.

use async_trait::async_trait;
use chrono::{Datelike, NaiveDate};
use futures::StreamExt;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Value, json};

use super::TencentProvider;
use super::wire::{Loose, cents_to_yuan, non_empty, null_default, parse_decimal, parse_time};
use crate::error::{Error, Result};
use crate::model::{Balance, ChargeType, CostLine, CostQuery, ProviderKind, Tags, Timestamp};
use crate::traits::{Billing, ResultStream};

/// Largest page of `DescribeBillDetail`.
pub const BILL_DETAIL_MAX_LIMIT: u32 = 300;
/// Largest page of `DescribeBillResourceSummary`.
pub const RESOURCE_SUMMARY_MAX_LIMIT: u32 = 1000;

/// `DescribeAccountBalance` response (amounts in fen).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DescribeAccountBalanceResponse {
    /// `Balance` (same as `RealBalance`, kept for old clients).
    #[serde(rename = "Balance", default)]
    pub balance: Loose,
    /// `Uin`.
    #[serde(rename = "Uin", default)]
    pub uin: Loose,
    /// `RealBalance`: available balance.
    #[serde(rename = "RealBalance", default)]
    pub real_balance: Loose,
    /// `CashAccountBalance`.
    #[serde(rename = "CashAccountBalance", default)]
    pub cash_account_balance: Loose,
    /// `IncomeIntoAccountBalance`.
    #[serde(rename = "IncomeIntoAccountBalance", default)]
    pub income_into_account_balance: Loose,
    /// `PresentAccountBalance` (gift balance).
    #[serde(rename = "PresentAccountBalance", default)]
    pub present_account_balance: Loose,
    /// `FreezeAmount`.
    #[serde(rename = "FreezeAmount", default)]
    pub freeze_amount: Loose,
    /// `OweAmount` (arrears).
    #[serde(rename = "OweAmount", default)]
    pub owe_amount: Loose,
    /// `IsAllowArrears`.
    #[serde(rename = "IsAllowArrears", default)]
    pub is_allow_arrears: Option<bool>,
    /// `IsCreditLimited`.
    #[serde(rename = "IsCreditLimited", default)]
    pub is_credit_limited: Option<bool>,
    /// `CreditAmount`: credit line.
    #[serde(rename = "CreditAmount", default)]
    pub credit_amount: Loose,
    /// `CreditBalance`: available credit.
    #[serde(rename = "CreditBalance", default)]
    pub credit_balance: Loose,
    /// `RealCreditBalance`.
    #[serde(rename = "RealCreditBalance", default)]
    pub real_credit_balance: Loose,
    /// `TempCredit`.
    #[serde(rename = "TempCredit", default)]
    pub temp_credit: Loose,
    /// `RequestId`.
    #[serde(rename = "RequestId", default)]
    pub request_id: Option<String>,
}

/// `BillTagInfo`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct BillTagInfo {
    /// `TagKey`.
    #[serde(rename = "TagKey", default)]
    pub tag_key: Option<String>,
    /// `TagValue`.
    #[serde(rename = "TagValue", default)]
    pub tag_value: Option<String>,
}

/// `BillDetailComponent` (amounts are decimal strings in yuan).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct BillDetailComponent {
    /// `ComponentCodeName`.
    #[serde(rename = "ComponentCodeName", default)]
    pub component_code_name: Option<String>,
    /// `ItemCodeName`.
    #[serde(rename = "ItemCodeName", default)]
    pub item_code_name: Option<String>,
    /// `Cost`: list price.
    #[serde(rename = "Cost", default)]
    pub cost: Loose,
    /// `Discount`: discount rate.
    #[serde(rename = "Discount", default)]
    pub discount: Loose,
    /// `RealCost`: price after discounts.
    #[serde(rename = "RealCost", default)]
    pub real_cost: Loose,
    /// `CashPayAmount`.
    #[serde(rename = "CashPayAmount", default)]
    pub cash_pay_amount: Loose,
    /// `VoucherPayAmount`.
    #[serde(rename = "VoucherPayAmount", default)]
    pub voucher_pay_amount: Loose,
    /// `UsedAmount`.
    #[serde(rename = "UsedAmount", default)]
    pub used_amount: Loose,
    /// `UsedAmountUnit`.
    #[serde(rename = "UsedAmountUnit", default)]
    pub used_amount_unit: Option<String>,
}

/// `BillDetail`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct BillDetail {
    /// `BusinessCodeName` (product name).
    #[serde(rename = "BusinessCodeName", default)]
    pub business_code_name: Option<String>,
    /// `ProductCodeName`.
    #[serde(rename = "ProductCodeName", default)]
    pub product_code_name: Option<String>,
    /// `PayModeName` (`包年包月`, `按量计费`).
    #[serde(rename = "PayModeName", default)]
    pub pay_mode_name: Option<String>,
    /// `ProjectName`.
    #[serde(rename = "ProjectName", default)]
    pub project_name: Option<String>,
    /// `RegionName`.
    #[serde(rename = "RegionName", default)]
    pub region_name: Option<String>,
    /// `ZoneName`.
    #[serde(rename = "ZoneName", default)]
    pub zone_name: Option<String>,
    /// `ResourceId`.
    #[serde(rename = "ResourceId", default)]
    pub resource_id: Option<String>,
    /// `ResourceName`.
    #[serde(rename = "ResourceName", default)]
    pub resource_name: Option<String>,
    /// `ActionTypeName`.
    #[serde(rename = "ActionTypeName", default)]
    pub action_type_name: Option<String>,
    /// `BillId`.
    #[serde(rename = "BillId", default)]
    pub bill_id: Option<String>,
    /// `FeeBeginTime`.
    #[serde(rename = "FeeBeginTime", default)]
    pub fee_begin_time: Option<String>,
    /// `FeeEndTime`.
    #[serde(rename = "FeeEndTime", default)]
    pub fee_end_time: Option<String>,
    /// `ComponentSet`.
    #[serde(rename = "ComponentSet", default, deserialize_with = "null_default")]
    pub component_set: Vec<BillDetailComponent>,
    /// `PayerUin`.
    #[serde(rename = "PayerUin", default)]
    pub payer_uin: Loose,
    /// `OwnerUin`.
    #[serde(rename = "OwnerUin", default)]
    pub owner_uin: Loose,
    /// `Tags`.
    #[serde(rename = "Tags", default, deserialize_with = "null_default")]
    pub tags: Vec<BillTagInfo>,
    /// `BusinessCode` (`p_cvm`).
    #[serde(rename = "BusinessCode", default)]
    pub business_code: Option<String>,
    /// `ProductCode`.
    #[serde(rename = "ProductCode", default)]
    pub product_code: Option<String>,
    /// `RegionId` (numeric code).
    #[serde(rename = "RegionId", default)]
    pub region_id: Loose,
}

/// `DescribeBillDetail` response.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DescribeBillDetailResponse {
    /// `DetailSet`.
    #[serde(rename = "DetailSet", default, deserialize_with = "null_default")]
    pub detail_set: Vec<BillDetail>,
    /// `Total` (cached daily; may lag).
    #[serde(rename = "Total", default)]
    pub total: Option<u64>,
    /// `Context` (pass back to page faster).
    #[serde(rename = "Context", default)]
    pub context: Option<String>,
    /// `RequestId`.
    #[serde(rename = "RequestId", default)]
    pub request_id: Option<String>,
}

/// `BillResourceSummary` (amounts are decimal strings in yuan).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct BillResourceSummary {
    /// `BusinessCodeName`.
    #[serde(rename = "BusinessCodeName", default)]
    pub business_code_name: Option<String>,
    /// `ProductCodeName`.
    #[serde(rename = "ProductCodeName", default)]
    pub product_code_name: Option<String>,
    /// `PayModeName`.
    #[serde(rename = "PayModeName", default)]
    pub pay_mode_name: Option<String>,
    /// `RegionName`.
    #[serde(rename = "RegionName", default)]
    pub region_name: Option<String>,
    /// `ResourceId`.
    #[serde(rename = "ResourceId", default)]
    pub resource_id: Option<String>,
    /// `ResourceName`.
    #[serde(rename = "ResourceName", default)]
    pub resource_name: Option<String>,
    /// `FeeBeginTime`.
    #[serde(rename = "FeeBeginTime", default)]
    pub fee_begin_time: Option<String>,
    /// `FeeEndTime`.
    #[serde(rename = "FeeEndTime", default)]
    pub fee_end_time: Option<String>,
    /// `TotalCost`: list price.
    #[serde(rename = "TotalCost", default)]
    pub total_cost: Loose,
    /// `Discount`: discount rate.
    #[serde(rename = "Discount", default)]
    pub discount: Loose,
    /// `RealTotalCost`: price after discounts.
    #[serde(rename = "RealTotalCost", default)]
    pub real_total_cost: Loose,
    /// `CashPayAmount`.
    #[serde(rename = "CashPayAmount", default)]
    pub cash_pay_amount: Loose,
    /// `Tags`.
    #[serde(rename = "Tags", default, deserialize_with = "null_default")]
    pub tags: Vec<BillTagInfo>,
    /// `PayerUin`.
    #[serde(rename = "PayerUin", default)]
    pub payer_uin: Loose,
    /// `OwnerUin`.
    #[serde(rename = "OwnerUin", default)]
    pub owner_uin: Loose,
    /// `BusinessCode`.
    #[serde(rename = "BusinessCode", default)]
    pub business_code: Option<String>,
    /// `RegionId`.
    #[serde(rename = "RegionId", default)]
    pub region_id: Loose,
    /// `BillMonth`.
    #[serde(rename = "BillMonth", default)]
    pub bill_month: Option<String>,
}

/// `DescribeBillResourceSummary` response.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DescribeBillResourceSummaryResponse {
    /// `ResourceSummarySet`.
    #[serde(
        rename = "ResourceSummarySet",
        default,
        deserialize_with = "null_default"
    )]
    pub resource_summary_set: Vec<BillResourceSummary>,
    /// `Total`.
    #[serde(rename = "Total", default)]
    pub total: Option<u64>,
    /// `RequestId`.
    #[serde(rename = "RequestId", default)]
    pub request_id: Option<String>,
}

// ---------------------------------------------------------------------------
// Conversions
// ---------------------------------------------------------------------------

fn money(what: &str, v: &Loose) -> Result<Option<Decimal>> {
    match v.as_str() {
        None => Ok(None),
        Some(s) => parse_decimal(s)
            .map(Some)
            .ok_or_else(|| Error::decode(format!("billing field {what} is not a number: `{s}`"))),
    }
}

/// The balance from `DescribeAccountBalance`, in the account's currency
/// (`CNY` on the China site, `USD` on the international site: the caller
/// says which). `available` is `RealBalance` (else `Balance`) and `credit`
/// the `CreditAmount`, both converted from fen.
pub fn balance_from_wire(
    r: &DescribeAccountBalanceResponse,
    currency: &str,
    as_of: Timestamp,
) -> Result<Balance> {
    let available = money("RealBalance", &r.real_balance)?
        .or(money("Balance", &r.balance)?)
        .ok_or_else(|| Error::decode("DescribeAccountBalance returned no balance"))?;
    Ok(Balance {
        provider: ProviderKind::Tencent,
        available: cents_to_yuan(available),
        credit: money("CreditAmount", &r.credit_amount)?.map(cents_to_yuan),
        currency: currency.to_string(),
        as_of,
    })
}

/// The billing model of a `PayModeName`.
pub fn pay_mode(name: Option<&str>) -> ChargeType {
    match name {
        Some(n)
            if n.contains("包年包月")
                || n.to_ascii_lowercase().contains("monthly")
                || n.to_ascii_lowercase().contains("prepa") =>
        {
            ChargeType::PrePaid
        }
        Some(n)
            if n.contains("按量")
                || n.to_ascii_lowercase().contains("pay-as-you-go")
                || n.to_ascii_lowercase().contains("postpa") =>
        {
            ChargeType::PostPaid
        }
        Some(n) if n.contains("竞价") || n.to_ascii_lowercase().contains("spot") => {
            ChargeType::Spot
        }
        _ => ChargeType::Unknown,
    }
}

fn bill_tags(tags: &[BillTagInfo]) -> Tags {
    tags.iter()
        .filter_map(|t| non_empty(&t.tag_key).map(|k| (k, t.tag_value.clone().unwrap_or_default())))
        .collect()
}

/// Period of a line: the dates of `FeeBeginTime` and `FeeEndTime` (end made
/// exclusive by adding a day), else the query's.
fn period(begin: &Option<String>, end: &Option<String>, q: &CostQuery) -> (NaiveDate, NaiveDate) {
    let date = |s: &Option<String>| {
        s.as_deref().and_then(|s| {
            NaiveDate::parse_from_str(s.get(..10).unwrap_or(s), "%Y-%m-%d")
                .ok()
                .or_else(|| parse_time(s).map(|t| t.date_naive()))
        })
    };
    let start = date(begin).unwrap_or(q.start);
    let end = date(end)
        .and_then(|d| d.succ_opt())
        .unwrap_or(q.end)
        .max(start);
    (start, end)
}

/// One cost line per `BillDetail`: list amount = sum of component `Cost`,
/// payable = sum of `RealCost`, discount = the difference. Usage is set
/// when the detail has a single component.
pub fn cost_line_from_detail(d: &BillDetail, q: &CostQuery, currency: &str) -> Result<CostLine> {
    let mut list = Decimal::ZERO;
    let mut payable = Decimal::ZERO;
    for c in &d.component_set {
        list += money("Cost", &c.cost)?.unwrap_or(Decimal::ZERO);
        payable += money("RealCost", &c.real_cost)?.unwrap_or(Decimal::ZERO);
    }
    let (usage_quantity, usage_unit) = match d.component_set.as_slice() {
        [one] => (
            money("UsedAmount", &one.used_amount)?,
            non_empty(&one.used_amount_unit),
        ),
        _ => (None, None),
    };
    let (period_start, period_end) = period(&d.fee_begin_time, &d.fee_end_time, q);
    Ok(CostLine {
        provider: ProviderKind::Tencent,
        account_id: d.owner_uin.to_opt().or_else(|| d.payer_uin.to_opt()),
        period_start,
        period_end,
        service_code: d
            .business_code
            .clone()
            .or_else(|| d.product_code.clone())
            .unwrap_or_default(),
        service_category: non_empty(&d.business_code_name),
        resource_id: non_empty(&d.resource_id),
        region: non_empty(&d.region_name),
        charge_type: pay_mode(d.pay_mode_name.as_deref()),
        list_amount: list.normalize(),
        discount: (list - payable).normalize(),
        payable_amount: payable.normalize(),
        currency: currency.to_string(),
        usage_quantity,
        usage_unit,
        tags: bill_tags(&d.tags),
    })
}

/// One cost line per `BillResourceSummary`: list = `TotalCost`, payable =
/// `RealTotalCost`, discount = the difference.
pub fn cost_line_from_summary(
    s: &BillResourceSummary,
    q: &CostQuery,
    currency: &str,
) -> Result<CostLine> {
    let list = money("TotalCost", &s.total_cost)?.unwrap_or(Decimal::ZERO);
    let payable = money("RealTotalCost", &s.real_total_cost)?.unwrap_or(list);
    let (period_start, period_end) = period(&s.fee_begin_time, &s.fee_end_time, q);
    Ok(CostLine {
        provider: ProviderKind::Tencent,
        account_id: s.owner_uin.to_opt().or_else(|| s.payer_uin.to_opt()),
        period_start,
        period_end,
        service_code: s.business_code.clone().unwrap_or_default(),
        service_category: non_empty(&s.business_code_name),
        resource_id: non_empty(&s.resource_id),
        region: non_empty(&s.region_name),
        charge_type: pay_mode(s.pay_mode_name.as_deref()),
        list_amount: list.normalize(),
        discount: (list - payable).normalize(),
        payable_amount: payable.normalize(),
        currency: currency.to_string(),
        usage_quantity: None,
        usage_unit: None,
        tags: bill_tags(&s.tags),
    })
}

// ---------------------------------------------------------------------------
// Request parameters
// ---------------------------------------------------------------------------

/// The bill months (`YYYY-MM`) a query spans: every month with a day in
/// `[start, end)`. Both bill APIs query one month at a time.
pub fn months_in(q: &CostQuery) -> Vec<String> {
    let mut out = Vec::new();
    let Some(mut cur) = q.start.with_day(1) else {
        return out;
    };
    while cur < q.end {
        out.push(format!("{:04}-{:02}", cur.year(), cur.month()));
        match cur.checked_add_months(chrono::Months::new(1)) {
            Some(n) => cur = n,
            None => break,
        }
    }
    out
}

/// `DescribeAccountBalance` parameters.
pub fn describe_account_balance_params() -> Value {
    json!({})
}

/// `DescribeBillDetail` parameters for one month page (`NeedRecordNum` 1 so
/// the response carries `Total`; `Context` from the previous page speeds
/// up later pages).
pub fn describe_bill_detail_params(month: &str, offset: u64, context: Option<&str>) -> Value {
    let mut p = json!({
        "Month": month,
        "Offset": offset,
        "Limit": BILL_DETAIL_MAX_LIMIT,
        "NeedRecordNum": 1,
    });
    if let Some(c) = context.filter(|c| !c.is_empty()) {
        p["Context"] = json!(c);
    }
    p
}

/// `DescribeBillResourceSummary` parameters for one month page.
pub fn describe_bill_resource_summary_params(month: &str, offset: u64) -> Value {
    json!({
        "Month": month,
        "Offset": offset,
        "Limit": RESOURCE_SUMMARY_MAX_LIMIT,
        "NeedRecordNum": 1,
    })
}

super::wire::offset_page!(DescribeBillDetailResponse, BillDetail, total, detail_set);
super::wire::offset_page!(
    DescribeBillResourceSummaryResponse,
    BillResourceSummary,
    total,
    resource_summary_set
);

// ---------------------------------------------------------------------------
// The trait implementation
// ---------------------------------------------------------------------------

// `Billing` over the Billing API (`DescribeAccountBalance`,
// `DescribeBillDetail`).

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

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn q() -> CostQuery {
        CostQuery::month_of(NaiveDate::from_ymd_opt(2023, 7, 15).unwrap())
    }

    #[test]
    fn balance_in_cents() {
        let r: DescribeAccountBalanceResponse = serde_json::from_value(json!({
            "Balance": 12345, "RealBalance": 12345.0, "CreditAmount": 100000, "RequestId": "r"
        }))
        .unwrap();
        let b = balance_from_wire(&r, "CNY", chrono::Utc::now()).unwrap();
        assert_eq!(b.available, Decimal::from_str("123.45").unwrap());
        assert_eq!(b.credit, Some(Decimal::from(1000)));
        assert_eq!(b.currency, "CNY");
        let bad: DescribeAccountBalanceResponse =
            serde_json::from_value(json!({"RealBalance": "x"})).unwrap();
        assert!(balance_from_wire(&bad, "CNY", chrono::Utc::now()).is_err());
        assert!(balance_from_wire(&Default::default(), "CNY", chrono::Utc::now()).is_err());
    }

    #[test]
    fn detail_lines_sum_components() {
        let d: BillDetail = serde_json::from_value(json!({
            "BusinessCode": "p_cvm", "BusinessCodeName": "云服务器CVM", "PayModeName": "按量计费",
            "ResourceId": "ins-1", "OwnerUin": "909619400", "FeeBeginTime": "2023-07-17 00:00:00",
            "FeeEndTime": "2023-07-17 23:59:59",
            "ComponentSet": [
                {"Cost": "10.50", "RealCost": "8.40", "UsedAmount": "1", "UsedAmountUnit": "个"},
                {"Cost": "1.50", "RealCost": "1.50"}
            ],
            "Tags": [{"TagKey": "env", "TagValue": "prod"}]
        }))
        .unwrap();
        let l = cost_line_from_detail(&d, &q(), "CNY").unwrap();
        assert_eq!(l.list_amount, Decimal::from(12));
        assert_eq!(l.payable_amount, Decimal::from_str("9.9").unwrap());
        assert_eq!(l.discount, Decimal::from_str("2.1").unwrap());
        assert_eq!(l.charge_type, ChargeType::PostPaid);
        assert_eq!(
            l.period_start,
            NaiveDate::from_ymd_opt(2023, 7, 17).unwrap()
        );
        assert_eq!(l.period_end, NaiveDate::from_ymd_opt(2023, 7, 18).unwrap());
        assert_eq!(l.usage_quantity, None);
        assert_eq!(l.tags.get("env").map(String::as_str), Some("prod"));
        assert_eq!(pay_mode(Some("包年包月")), ChargeType::PrePaid);
        assert_eq!(pay_mode(None), ChargeType::Unknown);
    }

    #[test]
    fn months_and_params() {
        let mut query = q();
        assert_eq!(months_in(&query), vec!["2023-07"]);
        query.start = NaiveDate::from_ymd_opt(2023, 11, 20).unwrap();
        query.end = NaiveDate::from_ymd_opt(2024, 2, 1).unwrap();
        assert_eq!(months_in(&query), vec!["2023-11", "2023-12", "2024-01"]);
        assert_eq!(
            describe_bill_detail_params("2023-07", 300, Some("ctx")),
            json!({"Month": "2023-07", "Offset": 300, "Limit": 300, "NeedRecordNum": 1, "Context": "ctx"})
        );
        assert_eq!(
            describe_bill_resource_summary_params("2023-07", 0),
            json!({"Month": "2023-07", "Offset": 0, "Limit": 1000, "NeedRecordNum": 1})
        );
        assert_eq!(describe_account_balance_params(), json!({}));
    }
}
