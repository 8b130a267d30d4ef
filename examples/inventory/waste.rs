//! The waste report: resources that cost money and do nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::sync::Mutex;

use multicloud::model::{
    CostLine, Instance, InstanceState, PublicIp, PublicIpState, SecurityGroup, Volume, VolumeState,
};
use rust_decimal::Decimal;

/// Something seen during the inventory that the report may need.
pub enum Fact {
    Instance(Instance),
    Volume(Volume),
    PublicIp(PublicIp),
    SecurityGroup(SecurityGroup),
    Cost(CostLine),
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Finding {
    account: String,
    region: String,
    what: &'static str,
    id: String,
    name: String,
}

#[derive(Default)]
struct State {
    findings: BTreeSet<Finding>,
    /// (account, region) -> security group ids used by instances.
    used_groups: BTreeMap<(String, String), BTreeSet<String>>,
    /// (account, region) -> groups seen: (id, name).
    groups: BTreeMap<(String, String), Vec<(String, String)>>,
    /// (account, resource id) -> currency -> payable.
    costs: BTreeMap<(String, String), BTreeMap<String, Decimal>>,
}

/// Collects facts from concurrent scopes; renders the report at the end.
#[derive(Default)]
pub struct Waste {
    state: Mutex<State>,
}

impl Waste {
    /// Record one fact.
    pub fn note(&self, account: &str, fact: &Fact) {
        let Ok(mut st) = self.state.lock() else {
            return;
        };
        match fact {
            Fact::Instance(i) => {
                let key = (account.to_string(), i.region.clone());
                st.used_groups
                    .entry(key)
                    .or_default()
                    .extend(i.security_group_ids.iter().cloned());
                if i.state == InstanceState::Stopped && i.stopped_charging != Some(true) {
                    st.findings.insert(Finding {
                        account: account.into(),
                        region: i.region.clone(),
                        what: "stopped instance still charging",
                        id: i.id.clone(),
                        name: i.name.clone(),
                    });
                }
            }
            Fact::Volume(v) => {
                if v.state == VolumeState::Available && v.attachments.is_empty() {
                    st.findings.insert(Finding {
                        account: account.into(),
                        region: v.region.clone(),
                        what: "unattached volume",
                        id: v.id.clone(),
                        name: format!("{} ({} GiB)", v.name, v.size_gib),
                    });
                }
            }
            Fact::PublicIp(ip) => {
                if ip.state == PublicIpState::Available && ip.instance_id.is_none() {
                    st.findings.insert(Finding {
                        account: account.into(),
                        region: ip.region.clone(),
                        what: "unbound public IP",
                        id: ip.id.clone(),
                        name: ip.address.clone(),
                    });
                }
            }
            Fact::SecurityGroup(g) => {
                st.groups
                    .entry((account.to_string(), g.region.clone()))
                    .or_default()
                    .push((g.id.clone(), g.name.clone()));
            }
            Fact::Cost(l) => {
                if let Some(id) = &l.resource_id {
                    *st.costs
                        .entry((account.to_string(), id.clone()))
                        .or_default()
                        .entry(l.currency.clone())
                        .or_default() += l.payable_amount;
                }
            }
        }
    }

    /// Write the report. `complete(account, region)` tells whether the
    /// instances of that region were listed completely (an empty security
    /// group can only be called empty then).
    pub fn write(
        &self,
        out: &mut dyn Write,
        complete: &dyn Fn(&str, &str) -> bool,
    ) -> std::io::Result<usize> {
        let Ok(st) = self.state.lock() else {
            return Ok(0);
        };
        let mut findings: Vec<Finding> = st.findings.iter().cloned().collect();
        for ((account, region), groups) in &st.groups {
            if !complete(account, region) {
                continue;
            }
            let used = st.used_groups.get(&(account.clone(), region.clone()));
            for (id, name) in groups {
                if used.is_none_or(|u| !u.contains(id)) {
                    findings.push(Finding {
                        account: account.clone(),
                        region: region.clone(),
                        what: "security group used by no instance",
                        id: id.clone(),
                        name: name.clone(),
                    });
                }
            }
        }
        findings.sort();
        writeln!(out, "\nWaste report ({} findings)", findings.len())?;
        writeln!(
            out,
            "{:<16} {:<16} {:<36} {:<28} {:<24} cost this period",
            "account", "region", "finding", "id", "name"
        )?;
        for f in &findings {
            let cost = st
                .costs
                .get(&(f.account.clone(), f.id.clone()))
                .map(|m| {
                    m.iter()
                        .map(|(c, a)| format!("{a} {c}"))
                        .collect::<Vec<_>>()
                        .join(" + ")
                })
                .unwrap_or_else(|| "-".into());
            writeln!(
                out,
                "{:<16} {:<16} {:<36} {:<28} {:<24} {}",
                f.account, f.region, f.what, f.id, f.name, cost
            )?;
        }
        Ok(findings.len())
    }
}
