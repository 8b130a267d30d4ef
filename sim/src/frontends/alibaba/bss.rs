//! BSS OpenAPI 2017-12-14.
//!
//! Answers carry `Code`, `Message`, `Success` and `Data` besides `RequestId`.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::{R, Rpc, decode_token, encode_token};
use crate::estate::{ChargeType, CostLine, Granularity};
use crate::frontend::SimResponse;

pub(super) fn handle(rpc: &Rpc) -> SimResponse {
    let r = match rpc.action.as_str() {
        "QueryAccountBalance" => balance(rpc),
        "DescribeInstanceBill" => instance_bill(rpc),
        other => Err(rpc.err(
            404,
            "InvalidApi.NotFound",
            &format!("Specified api is not found, please check your url and method. ({other})"),
        )),
    };
    r.unwrap_or_else(|e| e)
}

fn ok(rpc: &Rpc, data: Value) -> SimResponse {
    rpc.ok(json!({"Code": "Success", "Message": "Successful!", "Success": true, "Data": data}))
}

fn money(d: Decimal) -> String {
    d.round_dp(2).to_string()
}

fn balance(rpc: &Rpc) -> R<SimResponse> {
    let b = rpc
        .ctx
        .estate
        .balance(super::NAME, &rpc.auth.account)
        .map_err(|e| rpc.estate_err(&e))?;
    Ok(ok(
        rpc,
        json!({
            "AvailableAmount": money(b.available + b.credit),
            "AvailableCashAmount": money(b.available),
            "CreditAmount": money(b.credit),
            "MybankCreditAmount": "0.00",
            "Currency": b.currency,
            "QuotaLimit": "0.00",
        }),
    ))
}

fn product_code(service: &str) -> &str {
    match service {
        "compute" => "ecs",
        "block_storage" => "ecs",
        "public_ip" => "eip",
        "object_storage" => "oss",
        other => other,
    }
}

fn render_line(c: &CostLine, account: &str) -> Value {
    let code = product_code(&c.service_code);
    json!({
        "BillingDate": if c.granularity == Granularity::Daily { c.period_start.to_string() } else { String::new() },
        "InstanceID": c.resource_id.clone().unwrap_or_default(),
        "ProductCode": code,
        "ProductName": code.to_uppercase(),
        "ProductType": "",
        "ProductDetail": c.service_code,
        "SubscriptionType": if c.charge_type == ChargeType::PrePaid { "Subscription" } else { "PayAsYouGo" },
        "Region": c.region.clone().unwrap_or_default(),
        "Zone": "",
        "Currency": c.currency,
        "PretaxGrossAmount": c.list_amount.round_dp(4).to_string().parse::<f64>().unwrap_or(0.0),
        "InvoiceDiscount": c.discount.round_dp(4).to_string().parse::<f64>().unwrap_or(0.0),
        "PretaxAmount": c.payable_amount.round_dp(4).to_string().parse::<f64>().unwrap_or(0.0),
        "PaymentAmount": c.payable_amount.round_dp(4).to_string().parse::<f64>().unwrap_or(0.0),
        "CashAmount": c.payable_amount.round_dp(4).to_string().parse::<f64>().unwrap_or(0.0),
        "OutstandingAmount": 0.0,
        "DeductedByCoupons": 0.0,
        "Usage": c.usage_quantity.map(|u| u.to_string()).unwrap_or_default(),
        "UsageUnit": c.usage_unit.clone().unwrap_or_default(),
        "ServicePeriod": "",
        "ServicePeriodUnit": "",
        "BillingType": "Normal",
        "Tag": c.tags.iter().map(|(k, v)| format!("key:{k} value:{v}")).collect::<Vec<_>>().join("; "),
        "OwnerID": account,
        "BillAccountID": account,
        "CostUnit": "",
        "Item": "PayAsYouGoBill",
    })
}

fn instance_bill(rpc: &Rpc) -> R<SimResponse> {
    let cycle = rpc.need("BillingCycle")?;
    let bad = |n: &str| rpc.invalid(n);
    let first = NaiveDate::parse_from_str(&format!("{cycle}-01"), "%Y-%m-%d")
        .map_err(|_| bad("BillingCycle"))?;
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .ok_or_else(|| bad("BillingCycle"))?;
    let daily = rpc.p("Granularity").as_deref() == Some("DAILY");
    // DAILY needs a BillingDate; a date outside the cycle's month is ignored
    // (the cycle wins), as the API reference describes.
    let day = match rpc.p("BillingDate") {
        Some(d) => {
            let d = NaiveDate::parse_from_str(&d, "%Y-%m-%d").map_err(|_| bad("BillingDate"))?;
            (d >= first && d < next).then_some(d)
        }
        None if daily => return Err(rpc.missing("BillingDate")),
        None => None,
    };
    let max: usize = rpc.num("MaxResults")?.unwrap_or(20);
    if max == 0 || max > 300 {
        return Err(bad("MaxResults"));
    }
    let offset = match rpc.p("NextToken") {
        None => 0,
        Some(t) => decode_token(&t).ok_or_else(|| bad("NextToken"))?,
    };
    let lines = rpc
        .ctx
        .estate
        .cost_lines(super::NAME, &rpc.auth.account, first, next)
        .map_err(|e| rpc.estate_err(&e))?;
    let want = if daily {
        Granularity::Daily
    } else {
        Granularity::Monthly
    };
    let product = rpc.p("ProductCode");
    let inst = rpc.p("InstanceID");
    let items: Vec<&CostLine> = lines
        .iter()
        .filter(|c| c.granularity == want)
        .filter(|c| c.period_start >= first && c.period_start < next)
        .filter(|c| day.is_none_or(|d| c.period_start == d))
        .filter(|c| {
            product
                .as_deref()
                .is_none_or(|p| p == product_code(&c.service_code))
        })
        .filter(|c| inst.is_none() || c.resource_id == inst)
        .collect();
    let total = items.len();
    let page: Vec<Value> = items
        .iter()
        .skip(offset)
        .take(rpc.ctx.estate.capped_page(max))
        .map(|c| render_line(c, &rpc.auth.account))
        .collect();
    let end = offset + page.len();
    Ok(ok(
        rpc,
        json!({
            "BillingCycle": cycle,
            "AccountID": rpc.auth.account,
            "AccountName": rpc.auth.account,
            "TotalCount": total,
            "MaxResults": max,
            "NextToken": if end < total { encode_token(end) } else { String::new() },
            "Items": page,
        }),
    ))
}
