//! BSS OpenAPI (2017-12-14): account balance and instance bills.
//!
//! Wire types (field names as in the vendor's
//! `alibabacloud-bssopenapi20171214` models), conversions into `Balance` and
//! `CostLine`, and request builders. BSS answers carry `Success`/`Code`
//! beside the data; [`check_success`] turns a failed answer into an error.

use chrono::{Datelike, Months, NaiveDate};
use rust_decimal::Decimal;
use serde::Deserialize;

use super::client::classify;
use super::wire::{
    Params, lenient_vec, opt_bool, opt_decimal, opt_string, opt_u64, push, push_opt,
};
use crate::error::{Error, Result};
use crate::model::{
    Balance, ChargeType, CostLine, CostQuery, Granularity, ProviderKind, Tags, Timestamp,
};

/// BSS OpenAPI version.
pub const BSS_VERSION: &str = "2017-12-14";
/// Largest `MaxResults` of `DescribeInstanceBill`.
pub const BSS_MAX_RESULTS: u32 = 300;

/// The `Success`/`Code`/`Message` envelope of BSS answers.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct BssEnvelope {
    /// Request id.
    #[serde(rename = "RequestId", default, deserialize_with = "opt_string")]
    pub request_id: Option<String>,
    /// Whether the call succeeded.
    #[serde(rename = "Success", default, deserialize_with = "opt_bool")]
    pub success: Option<bool>,
    /// Status code (`200` or `Success` on success, an error code otherwise).
    #[serde(rename = "Code", default, deserialize_with = "opt_string")]
    pub code: Option<String>,
    /// Message.
    #[serde(rename = "Message", default, deserialize_with = "opt_string")]
    pub message: Option<String>,
}

/// An error when a BSS answer (HTTP 200) says `Success: false`.
pub fn check_success(env: &BssEnvelope, http_status: u16) -> Result<()> {
    if env.success != Some(false) {
        return Ok(());
    }
    let code = env.code.clone().unwrap_or_default();
    let mut e = Error::new(
        classify(&code, http_status),
        env.message
            .clone()
            .unwrap_or_else(|| "BSS call failed".to_string()),
    )
    .with_provider("alibaba")
    .with_service("bss")
    .with_http_status(http_status);
    if !code.is_empty() {
        e = e.with_code(code);
    }
    if let Some(r) = env.request_id.clone() {
        e = e.with_request_id(r);
    }
    Err(e)
}

/// `Data` of `QueryAccountBalance`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AccountBalanceWire {
    /// Available amount (cash plus credit).
    #[serde(rename = "AvailableAmount", default, deserialize_with = "opt_decimal")]
    pub available_amount: Option<Decimal>,
    /// Cash balance.
    #[serde(
        rename = "AvailableCashAmount",
        default,
        deserialize_with = "opt_decimal"
    )]
    pub available_cash_amount: Option<Decimal>,
    /// Credit line.
    #[serde(rename = "CreditAmount", default, deserialize_with = "opt_decimal")]
    pub credit_amount: Option<Decimal>,
    /// MYbank credit.
    #[serde(
        rename = "MybankCreditAmount",
        default,
        deserialize_with = "opt_decimal"
    )]
    pub mybank_credit_amount: Option<Decimal>,
    /// ISO 4217 currency (`CNY`, `USD`, `JPY`).
    #[serde(rename = "Currency", default, deserialize_with = "opt_string")]
    pub currency: Option<String>,
}

/// The `QueryAccountBalance` response.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct QueryAccountBalanceResponse {
    /// Envelope.
    #[serde(flatten)]
    pub envelope: BssEnvelope,
    /// The balance.
    #[serde(rename = "Data", default)]
    pub data: Option<AccountBalanceWire>,
}

impl QueryAccountBalanceResponse {
    /// As a normalized balance read at `as_of`. `available` is the cash
    /// balance (`AvailableCashAmount`, falling back to `AvailableAmount`);
    /// `credit` is `CreditAmount`.
    pub fn to_balance(&self, as_of: Timestamp) -> Result<Balance> {
        let d = self
            .data
            .as_ref()
            .ok_or_else(|| Error::decode("QueryAccountBalance: no Data in the answer"))?;
        let available = d
            .available_cash_amount
            .or(d.available_amount)
            .ok_or_else(|| Error::decode("QueryAccountBalance: no amount in the answer"))?;
        Ok(Balance {
            provider: ProviderKind::Alibaba,
            available,
            credit: d.credit_amount,
            currency: d.currency.clone().unwrap_or_else(|| "CNY".to_string()),
            as_of,
        })
    }
}

/// One item of `DescribeInstanceBill`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct InstanceBillItemWire {
    /// Day of a daily line (`2021-01-01`).
    #[serde(rename = "BillingDate", default, deserialize_with = "opt_string")]
    pub billing_date: Option<String>,
    /// Owner account id.
    #[serde(rename = "OwnerID", default, deserialize_with = "opt_string")]
    pub owner_id: Option<String>,
    /// Bill account id.
    #[serde(rename = "BillAccountID", default, deserialize_with = "opt_string")]
    pub bill_account_id: Option<String>,
    /// Product code (`ecs`).
    #[serde(rename = "ProductCode", default, deserialize_with = "opt_string")]
    pub product_code: Option<String>,
    /// Product name.
    #[serde(rename = "ProductName", default, deserialize_with = "opt_string")]
    pub product_name: Option<String>,
    /// `Subscription` or `PayAsYouGo`.
    #[serde(rename = "SubscriptionType", default, deserialize_with = "opt_string")]
    pub subscription_type: Option<String>,
    /// Instance id.
    #[serde(rename = "InstanceID", default, deserialize_with = "opt_string")]
    pub instance_id: Option<String>,
    /// Region (as BSS names it).
    #[serde(rename = "Region", default, deserialize_with = "opt_string")]
    pub region: Option<String>,
    /// Price before discounts.
    #[serde(
        rename = "PretaxGrossAmount",
        default,
        deserialize_with = "opt_decimal"
    )]
    pub pretax_gross_amount: Option<Decimal>,
    /// Discount.
    #[serde(rename = "InvoiceDiscount", default, deserialize_with = "opt_decimal")]
    pub invoice_discount: Option<Decimal>,
    /// Amount owed after discounts and before tax.
    #[serde(rename = "PretaxAmount", default, deserialize_with = "opt_decimal")]
    pub pretax_amount: Option<Decimal>,
    /// Currency.
    #[serde(rename = "Currency", default, deserialize_with = "opt_string")]
    pub currency: Option<String>,
    /// Usage quantity.
    #[serde(rename = "Usage", default, deserialize_with = "opt_decimal")]
    pub usage: Option<Decimal>,
    /// Usage unit.
    #[serde(rename = "UsageUnit", default, deserialize_with = "opt_string")]
    pub usage_unit: Option<String>,
    /// Instance tags (`key:value;key2:value2`).
    #[serde(rename = "Tag", default, deserialize_with = "opt_string")]
    pub tag: Option<String>,
}

/// `Data` of `DescribeInstanceBill`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct InstanceBillDataWire {
    /// Account id.
    #[serde(rename = "AccountID", default, deserialize_with = "opt_string")]
    pub account_id: Option<String>,
    /// Billing cycle (`2021-01`).
    #[serde(rename = "BillingCycle", default, deserialize_with = "opt_string")]
    pub billing_cycle: Option<String>,
    /// Token of the next page; absent or empty at the end.
    #[serde(rename = "NextToken", default, deserialize_with = "opt_string")]
    pub next_token: Option<String>,
    /// Page size.
    #[serde(rename = "MaxResults", default, deserialize_with = "opt_u64")]
    pub max_results: Option<u64>,
    /// Total lines.
    #[serde(rename = "TotalCount", default, deserialize_with = "opt_u64")]
    pub total_count: Option<u64>,
    /// The lines.
    #[serde(rename = "Items", default, deserialize_with = "lenient_vec")]
    pub items: Vec<InstanceBillItemWire>,
}

/// The `DescribeInstanceBill` response.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DescribeInstanceBillResponse {
    /// Envelope.
    #[serde(flatten)]
    pub envelope: BssEnvelope,
    /// The page.
    #[serde(rename = "Data", default)]
    pub data: Option<InstanceBillDataWire>,
}

/// Parse BSS's tag string (`key1:value1;key2:value2`; also
/// `key:k value:v` pairs) into tags.
pub fn parse_bill_tags(s: &str) -> Tags {
    let mut out = Tags::new();
    for part in s.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        if let Some(rest) = part.strip_prefix("key:") {
            if let Some((k, v)) = rest.split_once(" value:") {
                out.insert(k.trim().to_string(), v.trim().to_string());
                continue;
            }
        }
        match part.split_once(':') {
            Some((k, v)) => out.insert(k.trim().to_string(), v.trim().to_string()),
            None => out.insert(part.to_string(), String::new()),
        };
    }
    out
}

/// A text field without surrounding whitespace, `None` when nothing is
/// left (the bill service pads some names with a tab).
fn trimmed(field: &Option<String>) -> Option<String> {
    field
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn month_start(cycle: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(&format!("{}-01", cycle.trim()), "%Y-%m-%d").ok()
}

impl DescribeInstanceBillResponse {
    /// The token of the next page, `None` on the last page.
    pub fn next_page(&self) -> Option<String> {
        self.data
            .as_ref()
            .and_then(|d| d.next_token.clone())
            .filter(|s| !s.is_empty())
    }

    /// As normalized cost lines. Daily lines cover their `BillingDate`;
    /// monthly lines the whole `BillingCycle`. `list_amount` is
    /// `PretaxGrossAmount`, `payable_amount` is `PretaxAmount`, `discount`
    /// their difference (or `InvoiceDiscount` when one is missing).
    pub fn to_cost_lines(&self) -> Vec<CostLine> {
        let Some(d) = &self.data else {
            return Vec::new();
        };
        let cycle_start = d.billing_cycle.as_deref().and_then(month_start);
        d.items
            .iter()
            .filter_map(|i| {
                let (start, end) = match i
                    .billing_date
                    .as_deref()
                    .and_then(|s| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok())
                {
                    Some(day) => (day, day.succ_opt()?),
                    None => {
                        let s = cycle_start?;
                        (s, s.checked_add_months(Months::new(1))?)
                    }
                };
                let payable = i.pretax_amount.unwrap_or_default();
                let list = i.pretax_gross_amount.unwrap_or(payable);
                let discount = match (i.pretax_gross_amount, i.pretax_amount) {
                    (Some(g), Some(p)) => g - p,
                    _ => i.invoice_discount.unwrap_or_default(),
                };
                Some(CostLine {
                    provider: ProviderKind::Alibaba,
                    account_id: trimmed(&i.owner_id)
                        .or_else(|| trimmed(&i.bill_account_id))
                        .or_else(|| trimmed(&d.account_id)),
                    period_start: start,
                    period_end: end,
                    service_code: trimmed(&i.product_code).unwrap_or_default(),
                    service_category: trimmed(&i.product_name),
                    resource_id: trimmed(&i.instance_id),
                    region: trimmed(&i.region),
                    charge_type: match i.subscription_type.as_deref() {
                        Some("Subscription") => ChargeType::PrePaid,
                        Some("PayAsYouGo") => ChargeType::PostPaid,
                        _ => ChargeType::Unknown,
                    },
                    list_amount: list,
                    discount,
                    payable_amount: payable,
                    currency: trimmed(&i.currency).unwrap_or_else(|| "CNY".to_string()),
                    usage_quantity: i.usage,
                    usage_unit: trimmed(&i.usage_unit),
                    tags: i.tag.as_deref().map(parse_bill_tags).unwrap_or_default(),
                })
            })
            .collect()
    }
}

/// The `(BillingCycle, BillingDate)` pairs covering a query: one per month
/// (`2021-01`, no date) for monthly granularity, one per day for daily.
/// `end` is exclusive.
pub fn billing_periods(q: &CostQuery) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    match q.granularity {
        Granularity::Daily => {
            let mut day = q.start;
            while day < q.end {
                out.push((
                    day.format("%Y-%m").to_string(),
                    Some(day.format("%Y-%m-%d").to_string()),
                ));
                match day.succ_opt() {
                    Some(n) => day = n,
                    None => break,
                }
            }
        }
        _ => {
            let mut m = q.start.with_day(1).unwrap_or(q.start);
            while m < q.end {
                out.push((m.format("%Y-%m").to_string(), None));
                match m.checked_add_months(Months::new(1)) {
                    Some(n) => m = n,
                    None => break,
                }
            }
        }
    }
    out
}

/// `QueryAccountBalance` parameters (none).
pub fn query_account_balance_params() -> Params {
    Params::new()
}

/// `DescribeInstanceBill` parameters for one billing cycle (and day, for
/// daily lines), `MaxResults` up to 300, `NextToken` paging.
/// `resource_level` false asks for billing-item lines (`IsBillingItem`).
pub fn describe_instance_bill_params(
    billing_cycle: &str,
    billing_date: Option<&str>,
    resource_level: bool,
    next_token: Option<&str>,
    max_results: Option<u32>,
) -> Params {
    let mut p = Params::new();
    push(&mut p, "BillingCycle", billing_cycle);
    match billing_date {
        Some(day) => {
            push(&mut p, "Granularity", "DAILY");
            push(&mut p, "BillingDate", day);
        }
        None => push(&mut p, "Granularity", "MONTHLY"),
    }
    push(&mut p, "IsBillingItem", !resource_level);
    push(
        &mut p,
        "MaxResults",
        max_results
            .unwrap_or(BSS_MAX_RESULTS)
            .clamp(1, BSS_MAX_RESULTS),
    );
    push_opt(&mut p, "NextToken", next_token);
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_answer_is_an_error() {
        let r: QueryAccountBalanceResponse = serde_json::from_str(
            r#"{"Code":"NotAuthorized","Message":"This API is not authorized for caller.","RequestId":"r","Success":false}"#,
        )
        .unwrap();
        let e = check_success(&r.envelope, 200).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::PermissionDenied);
        assert_eq!(e.code(), Some("NotAuthorized"));
        assert_eq!(e.request_id(), Some("r"));
        let ok: BssEnvelope = serde_json::from_str(r#"{"Code":"200","Success":true}"#).unwrap();
        assert!(check_success(&ok, 200).is_ok());
    }

    #[test]
    fn bill_lines() {
        let body = r#"{"Code":"Success","Success":true,"RequestId":"r",
          "Data":{"AccountID":"1","BillingCycle":"2021-02","NextToken":"n","TotalCount":2,"Items":[
            {"ProductCode":"ecs","ProductName":"ECS","SubscriptionType":"PayAsYouGo","InstanceID":"i-1",
             "PretaxGrossAmount":10.5,"PretaxAmount":8.25,"Currency":"CNY","Usage":"24","UsageUnit":"Hour",
             "Tag":"key:env value:prod; team:ops"},
            {"ProductCode":"oss","BillingDate":"2021-02-03","SubscriptionType":"Subscription","PretaxAmount":"1,000.10"}
          ]}}"#;
        let r: DescribeInstanceBillResponse = serde_json::from_str(body).unwrap();
        assert_eq!(r.next_page().as_deref(), Some("n"));
        let l = r.to_cost_lines();
        assert_eq!(l.len(), 2);
        assert_eq!(
            l[0].period_start,
            NaiveDate::from_ymd_opt(2021, 2, 1).unwrap()
        );
        assert_eq!(
            l[0].period_end,
            NaiveDate::from_ymd_opt(2021, 3, 1).unwrap()
        );
        assert_eq!(l[0].list_amount, Decimal::new(1050, 2));
        assert_eq!(l[0].payable_amount, Decimal::new(825, 2));
        assert_eq!(l[0].discount, Decimal::new(225, 2));
        assert_eq!(l[0].charge_type, ChargeType::PostPaid);
        assert_eq!(l[0].tags.get("env").map(String::as_str), Some("prod"));
        assert_eq!(l[0].tags.get("team").map(String::as_str), Some("ops"));
        assert_eq!(
            l[1].period_start,
            NaiveDate::from_ymd_opt(2021, 2, 3).unwrap()
        );
        assert_eq!(l[1].payable_amount, Decimal::new(100010, 2));
        assert_eq!(l[1].charge_type, ChargeType::PrePaid);
    }

    #[test]
    fn periods_and_params() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        let mut q = CostQuery::month_of(d(2021, 11, 15));
        q.end = d(2022, 2, 1);
        let p = billing_periods(&q);
        assert_eq!(
            p.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>(),
            vec!["2021-11", "2021-12", "2022-01"]
        );
        q.granularity = Granularity::Daily;
        q.start = d(2021, 12, 30);
        q.end = d(2022, 1, 2);
        let p = billing_periods(&q);
        assert_eq!(p.len(), 3);
        assert_eq!(
            p[2],
            ("2022-01".to_string(), Some("2022-01-01".to_string()))
        );
        let params = describe_instance_bill_params("2022-01", Some("2022-01-01"), true, None, None);
        assert!(params.contains(&("Granularity".into(), "DAILY".into())));
        assert!(params.contains(&("MaxResults".into(), "300".into())));
        assert!(params.contains(&("IsBillingItem".into(), "false".into())));
    }
}
