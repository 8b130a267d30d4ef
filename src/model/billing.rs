//! Billing: balances and cost lines.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{ChargeType, ProviderKind, Tags, Timestamp};

/// A prepaid account balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balance {
    /// Which cloud.
    pub provider: ProviderKind,
    /// Available cash balance (may be negative when in arrears).
    pub available: Decimal,
    /// Credit line, where the cloud reports one.
    pub credit: Option<Decimal>,
    /// ISO 4217 currency code.
    pub currency: String,
    /// When the figure was read.
    pub as_of: Timestamp,
}

/// Time granularity of cost lines.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    /// One line per day.
    Daily,
    /// One line per month.
    #[default]
    Monthly,
}

/// A dimension to group costs by.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CostDimension {
    /// Service / product code.
    Service,
    /// Region.
    Region,
    /// Account (payer or member).
    Account,
    /// Resource id.
    Resource,
    /// Charge type.
    ChargeType,
}

/// Which costs to read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostQuery {
    /// First day, inclusive.
    pub start: NaiveDate,
    /// Last day, exclusive.
    pub end: NaiveDate,
    /// Daily or monthly lines.
    pub granularity: Granularity,
    /// Grouping for [`crate::Billing::cost_summary`].
    pub group_by: Vec<CostDimension>,
    /// Ask for resource-level lines where the cloud offers them.
    pub resource_level: bool,
}

impl CostQuery {
    /// The whole calendar month containing `day`, monthly granularity,
    /// resource level.
    pub fn month_of(day: NaiveDate) -> Self {
        use chrono::Datelike;
        let start = day.with_day(1).unwrap_or(day);
        let end = start
            .checked_add_months(chrono::Months::new(1))
            .unwrap_or(start);
        CostQuery {
            start,
            end,
            granularity: Granularity::Monthly,
            group_by: Vec::new(),
            resource_level: true,
        }
    }
}

/// One line of a bill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostLine {
    /// Which cloud.
    pub provider: ProviderKind,
    /// Account the cost belongs to.
    pub account_id: Option<String>,
    /// First day of the period, inclusive.
    pub period_start: NaiveDate,
    /// Last day of the period, exclusive.
    pub period_end: NaiveDate,
    /// Service / product code (`ecs`, `cvm`, `AmazonEC2`).
    pub service_code: String,
    /// Service category or product name, where reported.
    pub service_category: Option<String>,
    /// Resource id, for resource-level lines.
    pub resource_id: Option<String>,
    /// Region.
    pub region: Option<String>,
    /// Billing model.
    pub charge_type: ChargeType,
    /// Price before discounts.
    pub list_amount: Decimal,
    /// Discount (positive number).
    pub discount: Decimal,
    /// What is owed: `list_amount - discount` unless the cloud says otherwise.
    pub payable_amount: Decimal,
    /// ISO 4217 currency code.
    pub currency: String,
    /// Usage quantity, where reported.
    pub usage_quantity: Option<Decimal>,
    /// Usage unit, where reported.
    pub usage_unit: Option<String>,
    /// Tags on the resource, where the bill carries them.
    pub tags: Tags,
}

/// A grouped cost figure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostGroup {
    /// Which cloud.
    pub provider: ProviderKind,
    /// The group's key values, one per dimension of the query.
    pub keys: std::collections::BTreeMap<CostDimension, String>,
    /// First day of the period, inclusive.
    pub period_start: NaiveDate,
    /// Last day of the period, exclusive.
    pub period_end: NaiveDate,
    /// Payable amount.
    pub amount: Decimal,
    /// ISO 4217 currency code.
    pub currency: String,
}
