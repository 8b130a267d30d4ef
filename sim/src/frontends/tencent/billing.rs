//! Billing 2018-07-09: `DescribeAccountBalance` (amounts in cents) and
//! `DescribeBillDetail` (the estate's cost lines of one month, in yuan).

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Value, json};

use super::cvm::region_name;
use super::errors::ApiError;
use super::params::page;
use super::{Call, Handled, NAME, Outcome};
use crate::estate::{ChargeType, CostLine};

pub(crate) fn handle(c: &Call, action: &str) -> Outcome {
    Some(match action {
        "DescribeAccountBalance" => balance(c),
        "DescribeBillDetail" => bill_detail(c),
        _ => return None,
    })
}

type R = Result<Value, Handled>;

fn cents(d: Decimal) -> Decimal {
    (d * Decimal::from(100)).round_dp(2)
}

fn balance(c: &Call) -> R {
    let b = c.estate().balance(NAME, c.account())?;
    let avail = cents(b.available);
    let credit = cents(b.credit);
    let f = |d: Decimal| d.to_f64().unwrap_or(0.0);
    Ok(json!({
        "Balance": avail.trunc().to_i64().unwrap_or(0),
        "Uin": c.account().parse::<u64>().map(Value::from).unwrap_or_else(|_| Value::from(c.account())),
        "RealBalance": f(avail),
        "CashAccountBalance": f(avail),
        "IncomeIntoAccountBalance": 0.0,
        "PresentAccountBalance": 0.0,
        "FreezeAmount": 0.0,
        "OweAmount": 0.0,
        "IsAllowArrears": false,
        "IsCreditLimited": false,
        "CreditAmount": f(credit),
        "CreditBalance": f(credit),
        "RealCreditBalance": f(credit),
        "TempCredit": 0.0,
        "TempAmountInfoList": [],
    }))
}

fn month_of(c: &Call) -> Result<NaiveDate, ApiError> {
    let p = &c.params;
    if let (Some(b), Some(e)) = (p.str("BeginTime"), p.str("EndTime")) {
        let parse = |s: &str| {
            NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
                .map(|t| t.date())
                .or_else(|_| NaiveDate::parse_from_str(s, "%Y-%m-%d"))
                .map_err(|_| {
                    ApiError::invalid_value(&format!("`{s}` is not `YYYY-MM-DD hh:mm:ss`."))
                })
        };
        let (b, e) = (parse(&b)?, parse(&e)?);
        if (b.year(), b.month()) != (e.year(), e.month()) || e < b {
            return Err(ApiError::invalid_value(
                "BeginTime and EndTime must fall in the same month.",
            ));
        }
        return NaiveDate::from_ymd_opt(b.year(), b.month(), 1)
            .ok_or_else(|| ApiError::invalid_value("bad month"));
    }
    let m = p.str("Month").ok_or_else(|| ApiError::missing("Month"))?;
    NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d")
        .map_err(|_| ApiError::invalid_value(&format!("Month `{m}` is not `YYYY-MM`.")))
}

fn product(code: &str) -> (&'static str, &'static str) {
    match code {
        "compute" => ("p_cvm", "云服务器CVM"),
        "block_storage" => ("p_cbs", "云硬盘CBS"),
        "public_ip" => ("p_eip", "弹性公网IP"),
        "object_storage" => ("p_cos", "对象存储COS"),
        _ => ("p_other", "其他"),
    }
}

fn money(d: Decimal) -> String {
    format!("{:.8}", d.round_dp(8))
}

fn bill_json(owner: &str, n: usize, l: &CostLine) -> Value {
    let (code, name) = product(&l.service_code);
    let (_pay_mode, pay_name, action, action_name) = match l.charge_type {
        ChargeType::PrePaid => ("prePay", "包年包月", "prepay_purchase", "包年包月新购"),
        _ => ("postPay", "按量计费", "postpay_deduct_h", "按量计费小时结"),
    };
    let region = l.region.clone().unwrap_or_default();
    let begin = format!("{} 00:00:00", l.period_start);
    let end_day = l.period_end.pred_opt().unwrap_or(l.period_end);
    let end = format!("{end_day} 23:59:59");
    let tags: Vec<Value> = l
        .tags
        .iter()
        .map(|(k, v)| json!({"TagKey": k, "TagValue": v}))
        .collect();
    json!({
        "BusinessCodeName": name, "ProductCodeName": name, "PayModeName": pay_name,
        "ProjectName": "默认项目", "RegionName": region_name(&region), "ZoneName": "",
        "ResourceId": l.resource_id.clone().unwrap_or_default(),
        "ResourceName": l.resource_id.clone().unwrap_or_default(),
        "ActionTypeName": action_name, "OrderId": "", "BillId": format!("{}{:06}", l.period_start.format("%Y%m%d"), n),
        "PayTime": end, "FeeBeginTime": begin, "FeeEndTime": end,
        "ComponentSet": [{
            "ComponentCodeName": name, "ItemCodeName": name,
            "SinglePrice": money(l.list_amount), "SpecifiedPrice": money(l.list_amount),
            "PriceUnit": "元/月", "UsedAmount": l.usage_quantity.map(money).unwrap_or_else(|| "1".into()),
            "UsedAmountUnit": l.usage_unit.clone().unwrap_or_else(|| "个".into()),
            "TimeSpan": "1", "TimeUnitName": "月",
            "Cost": money(l.list_amount), "Discount": money(if l.list_amount.is_zero() { Decimal::ONE } else { Decimal::ONE - l.discount / l.list_amount }),
            "ReduceType": "折扣", "RealCost": money(l.payable_amount),
            "VoucherPayAmount": "0", "CashPayAmount": money(l.payable_amount),
            "IncentivePayAmount": "0", "TransferPayAmount": "0",
            "ItemCode": format!("{code}_item"), "ComponentCode": format!("{code}_component"),
            "ContractPrice": money(l.list_amount),
        }],
        "PayerUin": owner, "OwnerUin": owner, "OperateUin": owner,
        "Tags": tags, "BusinessCode": code, "ProductCode": code,
        "ActionType": action, "RegionId": region, "ProjectId": 0, "PriceInfo": [],
        "BillDay": "", "BillMonth": l.period_start.format("%Y-%m").to_string(),
        "Id": format!("{n}"),
    })
}

fn bill_detail(c: &Call) -> R {
    // tencentcloud-sdk-python-billing v20180709 DescribeBillDetailRequest:
    // "Limit: 数量，最大值为300".
    let (offset, limit) = c.params.offset_limit_max(100, 300)?;
    let month = month_of(c)?;
    let next = month
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(month);
    let mut lines = c.estate().cost_lines(NAME, c.account(), month, next)?;
    // A line belongs to the month its period starts in (as the estate's totals count).
    lines.retain(|l| l.period_start >= month);
    if let Some(rid) = c.params.str("ResourceId").filter(|s| !s.is_empty()) {
        lines.retain(|l| l.resource_id.as_deref() == Some(rid.as_str()));
    }
    if let Some(code) = c.params.str("ProductCode").filter(|s| !s.is_empty()) {
        lines.retain(|l| product(&l.service_code).0 == code);
    }
    let indexed: Vec<(usize, CostLine)> = lines.into_iter().enumerate().collect();
    let (items, total) = page(indexed, offset, limit);
    let owner = c.account().to_string();
    let set: Vec<Value> = items
        .iter()
        .map(|(n, l)| bill_json(&owner, *n, l))
        .collect();
    Ok(json!({"DetailSet": set, "Total": total, "Context": ""}))
}
