//! Cost lines and balances.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use super::model::*;
use super::{Estate, EstateError, EstateResult, find_account, find_account_mut};

/// The first day of the month containing `day`.
pub(crate) fn month_start(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

impl Estate {
    /// Cost lines of an account overlapping `[start, end)`, in stored order.
    pub fn cost_lines(
        &self,
        provider: &str,
        account: &str,
        start: NaiveDate,
        end: NaiveDate,
    ) -> EstateResult<Vec<CostLine>> {
        let d = self.inner.data.read();
        Ok(find_account(&d, provider, account)?
            .costs
            .iter()
            .filter(|c| c.period_start < end && c.period_end > start)
            .cloned()
            .collect())
    }

    /// Sum of payable amounts per currency for the calendar month containing
    /// `month` (any day of it), counting lines that start in that month.
    pub fn cost_total(
        &self,
        provider: &str,
        account: &str,
        month: NaiveDate,
    ) -> EstateResult<BTreeMap<String, Decimal>> {
        let first = month_start(month);
        let next = first
            .checked_add_months(chrono::Months::new(1))
            .ok_or_else(|| EstateError::InvalidArgument("month out of range".into()))?;
        let d = self.inner.data.read();
        let mut out = BTreeMap::new();
        for c in &find_account(&d, provider, account)?.costs {
            if c.period_start >= first && c.period_start < next {
                *out.entry(c.currency.clone()).or_insert(Decimal::ZERO) += c.payable_amount;
            }
        }
        Ok(out)
    }

    /// The account's balance.
    pub fn balance(&self, provider: &str, account: &str) -> EstateResult<Balance> {
        let d = self.inner.data.read();
        Ok(find_account(&d, provider, account)?.balance.clone())
    }

    /// Add a cost line.
    pub fn add_cost_line(&self, provider: &str, account: &str, line: CostLine) -> EstateResult<()> {
        let mut d = self.inner.data.write();
        find_account_mut(&mut d, provider, account)?
            .costs
            .push(line);
        Ok(())
    }

    /// Set the account's balance.
    pub fn set_balance(&self, provider: &str, account: &str, balance: Balance) -> EstateResult<()> {
        let mut d = self.inner.data.write();
        find_account_mut(&mut d, provider, account)?.balance = balance;
        Ok(())
    }
}
