//! Cost Explorer 2017-10-25 (JSON 1.1, `X-Amz-Target:
//! AWSInsightsIndexService.<Op>`): `GetCostAndUsage` and
//! `GetCostAndUsageWithResources` over the estate's cost lines.
//!
//! Lines are spread over the requested DAILY/MONTHLY buckets in proportion
//! to the days they overlap; `GroupBy` takes up to two DIMENSION keys
//! (SERVICE, REGION, LINKED_ACCOUNT, RESOURCE_ID, PURCHASE_TYPE) or TAG
//! keys; `Filter` supports `Dimensions` (SERVICE, REGION, LINKED_ACCOUNT,
//! RESOURCE_ID) and `Tags`, combined with `And`/`Or`/`Not`. Amounts are
//! strings in USD.

use std::collections::BTreeMap;

use chrono::{Datelike, Months, NaiveDate};
use http::StatusCode;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::errors::AwsError;
use super::{Call, NAME};
use crate::estate::{ChargeType, CostLine};
use crate::frontend::{SimRequest, SimResponse};

type R = Result<SimResponse, AwsError>;

fn validation(m: &str) -> AwsError {
    AwsError::new(400, "ValidationException", m)
}

pub(crate) fn handle(c: &Call, action: &str, req: &SimRequest) -> R {
    if !req
        .header("x-amz-target")
        .is_some_and(|t| t.starts_with("AWSInsightsIndexService."))
    {
        return Err(AwsError::new(
            400,
            "UnknownOperationException",
            "The X-Amz-Target header is missing or names another service.",
        ));
    }
    let body: Value = if req.body.is_empty() {
        json!({})
    } else {
        req.json()
            .map_err(|e| AwsError::new(400, "SerializationException", &e.to_string()))?
    };
    match action {
        "GetCostAndUsage" => cost_and_usage(c, &body, false),
        "GetCostAndUsageWithResources" => cost_and_usage(c, &body, true),
        _ => Err(AwsError::new(
            400,
            "UnknownOperationException",
            &format!("Operation {action} is not supported."),
        )),
    }
}

fn service_name(code: &str) -> String {
    match code {
        "compute" => "Amazon Elastic Compute Cloud - Compute".into(),
        "block_storage" | "disk" => "EC2 - Other".into(),
        "object_storage" | "storage" => "Amazon Simple Storage Service".into(),
        "network" | "public_ip" | "eip" | "bandwidth" => "Amazon Virtual Private Cloud".into(),
        other => other.into(),
    }
}

fn dimension(l: &CostLine, account: &str, key: &str) -> Option<String> {
    Some(match key {
        "SERVICE" => service_name(&l.service_code),
        "SERVICE_CODE" => l.service_code.clone(),
        "REGION" => l.region.clone().unwrap_or_else(|| "global".into()),
        "LINKED_ACCOUNT" => account.to_string(),
        "RESOURCE_ID" => l
            .resource_id
            .clone()
            .unwrap_or_else(|| "NoResourceId".into()),
        "PURCHASE_TYPE" => match l.charge_type {
            ChargeType::PostPaid => "On Demand Instances".into(),
            ChargeType::PrePaid => "Standard Reserved Instances".into(),
            ChargeType::Spot => "Spot Instances".into(),
        },
        _ => return None,
    })
}

fn filter_ok(e: &Value, l: &CostLine, account: &str) -> Result<bool, AwsError> {
    if let Some(list) = e.get("And").and_then(Value::as_array) {
        for x in list {
            if !filter_ok(x, l, account)? {
                return Ok(false);
            }
        }
        return Ok(true);
    }
    if let Some(list) = e.get("Or").and_then(Value::as_array) {
        for x in list {
            if filter_ok(x, l, account)? {
                return Ok(true);
            }
        }
        return Ok(false);
    }
    if let Some(x) = e.get("Not") {
        return Ok(!filter_ok(x, l, account)?);
    }
    let values = |v: &Value| -> Vec<String> {
        v.get("Values")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    if let Some(d) = e.get("Dimensions") {
        let key = d.get("Key").and_then(Value::as_str).unwrap_or("");
        let have = dimension(l, account, key)
            .ok_or_else(|| validation(&format!("Dimension {key} is not supported")))?;
        return Ok(values(d).contains(&have));
    }
    if let Some(t) = e.get("Tags") {
        let key = t.get("Key").and_then(Value::as_str).unwrap_or("");
        let vals = values(t);
        return Ok(match l.tags.get(key) {
            Some(v) => vals.is_empty() || vals.contains(v),
            None => vals.iter().any(String::is_empty),
        });
    }
    Ok(true)
}

fn parse_date(v: Option<&Value>, what: &str) -> Result<NaiveDate, AwsError> {
    v.and_then(Value::as_str)
        .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        .ok_or_else(|| validation(&format!("{what} must be a date in YYYY-MM-DD")))
}

fn metric_amount(l: &CostLine, metric: &str) -> Decimal {
    match metric {
        "NetUnblendedCost" | "NetAmortizedCost" => l.payable_amount,
        "UsageQuantity" | "NormalizedUsageAmount" => l.usage_quantity.unwrap_or(Decimal::ONE),
        _ => l.list_amount,
    }
}

fn metric_unit(metric: &str) -> &'static str {
    match metric {
        "UsageQuantity" | "NormalizedUsageAmount" => "N/A",
        _ => "USD",
    }
}

fn amount(d: Decimal) -> String {
    d.round_dp(10).normalize().to_string()
}

fn cost_and_usage(c: &Call, body: &Value, with_resources: bool) -> R {
    let tp = body
        .get("TimePeriod")
        .ok_or_else(|| validation("TimePeriod is required"))?;
    let start = parse_date(tp.get("Start"), "Start")?;
    let end = parse_date(tp.get("End"), "End")?;
    if end <= start {
        return Err(validation("Start date must be before End date"));
    }
    let granularity = body
        .get("Granularity")
        .and_then(Value::as_str)
        .ok_or_else(|| validation("Granularity is required"))?;
    let metrics: Vec<String> = body
        .get("Metrics")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|m| m.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    const KNOWN: &[&str] = &[
        "AmortizedCost",
        "BlendedCost",
        "NetAmortizedCost",
        "NetUnblendedCost",
        "NormalizedUsageAmount",
        "UnblendedCost",
        "UsageQuantity",
    ];
    if metrics.is_empty() || metrics.iter().any(|m| !KNOWN.contains(&m.as_str())) {
        return Err(validation(
            "Metrics must be one or more of AmortizedCost, BlendedCost, NetAmortizedCost, NetUnblendedCost, NormalizedUsageAmount, UnblendedCost, UsageQuantity",
        ));
    }
    if with_resources && body.get("Filter").is_none() {
        return Err(validation(
            "Filter is required for GetCostAndUsageWithResources",
        ));
    }
    let group_by: Vec<(String, String)> = body
        .get("GroupBy")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|g| {
                    (
                        g.get("Type")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string(),
                        g.get("Key")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    if group_by.len() > 2 {
        return Err(validation("You can specify up to two GroupBy keys"));
    }
    for (t, k) in &group_by {
        let ok = match t.as_str() {
            "DIMENSION" => {
                matches!(
                    k.as_str(),
                    "SERVICE" | "SERVICE_CODE" | "REGION" | "LINKED_ACCOUNT" | "PURCHASE_TYPE"
                ) || (with_resources && k == "RESOURCE_ID")
            }
            "TAG" => !k.is_empty(),
            _ => false,
        };
        if !ok {
            return Err(validation(&format!(
                "Group Definition {t}:{k} is not supported"
            )));
        }
    }
    // Buckets.
    let mut buckets = Vec::new();
    let mut b = start;
    while b < end {
        let next = match granularity {
            "DAILY" => b.succ_opt().unwrap_or(end),
            "MONTHLY" => NaiveDate::from_ymd_opt(b.year(), b.month(), 1)
                .and_then(|m| m.checked_add_months(Months::new(1)))
                .unwrap_or(end),
            _ => return Err(validation("Granularity must be DAILY or MONTHLY")),
        };
        buckets.push((b, next.min(end)));
        b = next;
        if buckets.len() > 3660 {
            return Err(validation("The time period is too long"));
        }
    }
    let account = c.account().to_string();
    let mut lines = c
        .estate()
        .cost_lines(NAME, &account, start, end)
        .map_err(|e| validation(&e.to_string()))?;
    if let Some(f) = body.get("Filter") {
        let mut kept = Vec::new();
        for l in lines {
            if filter_ok(f, &l, &account)? {
                kept.push(l);
            }
        }
        lines = kept;
    }
    let keys_of = |l: &CostLine| -> Vec<String> {
        group_by
            .iter()
            .map(|(t, k)| {
                if t == "TAG" {
                    format!("{k}${}", l.tags.get(k).cloned().unwrap_or_default())
                } else {
                    dimension(l, &account, k).unwrap_or_default()
                }
            })
            .collect()
    };
    let mut results = Vec::new();
    for (bs, be) in &buckets {
        let mut total: BTreeMap<&str, Decimal> = BTreeMap::new();
        let mut groups: BTreeMap<Vec<String>, BTreeMap<&str, Decimal>> = BTreeMap::new();
        for l in &lines {
            let ls = l.period_start.max(*bs);
            let le = l.period_end.min(*be);
            if le <= ls {
                continue;
            }
            let span = (l.period_end - l.period_start).num_days().max(1);
            let share = Decimal::from((le - ls).num_days()) / Decimal::from(span);
            for m in &metrics {
                let v = metric_amount(l, m) * share;
                *total.entry(m.as_str()).or_default() += v;
                if !group_by.is_empty() {
                    *groups
                        .entry(keys_of(l))
                        .or_default()
                        .entry(m.as_str())
                        .or_default() += v;
                }
            }
        }
        let metric_obj = |vals: &BTreeMap<&str, Decimal>| -> Value {
            let mut o = serde_json::Map::new();
            for m in &metrics {
                let a = vals.get(m.as_str()).copied().unwrap_or_default();
                o.insert(
                    m.clone(),
                    json!({"Amount": amount(a), "Unit": metric_unit(m)}),
                );
            }
            Value::Object(o)
        };
        let mut r = json!({
            "TimePeriod": {"Start": bs.to_string(), "End": be.to_string()},
            "Estimated": *be > c.ctx.now().date_naive(),
        });
        if group_by.is_empty() {
            r["Total"] = metric_obj(&total);
            r["Groups"] = json!([]);
        } else {
            r["Total"] = json!({});
            r["Groups"] = Value::Array(
                groups
                    .iter()
                    .map(|(k, v)| json!({"Keys": k, "Metrics": metric_obj(v)}))
                    .collect(),
            );
        }
        results.push(r);
    }
    let defs: Vec<Value> = group_by
        .iter()
        .map(|(t, k)| json!({"Type": t, "Key": k}))
        .collect();
    let mut out = json!({
        "ResultsByTime": results,
        "DimensionValueAttributes": [],
    });
    if !defs.is_empty() {
        out["GroupDefinitions"] = Value::Array(defs);
    }
    let rid = c.ctx.request_id();
    Ok(SimResponse::new(StatusCode::OK, out.to_string())
        .with_header("content-type", "application/x-amz-json-1.1")
        .with_header("x-amzn-requestid", &rid))
}
