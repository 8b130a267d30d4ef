//! Providers, accounts, regions and zones.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind};

/// The six clouds the SDK knows.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    /// Alibaba Cloud (Aliyun) and Apsara Stack.
    Alibaba,
    /// Huawei Cloud and Huawei Cloud Stack.
    Huawei,
    /// Tencent Cloud and TCE.
    Tencent,
    /// Amazon Web Services (all partitions).
    Aws,
    /// Microsoft Azure (Resource Manager and Blob storage).
    Azure,
    /// OpenStack (Keystone, Nova, Cinder, Neutron, Glance, Swift).
    Openstack,
}

impl ProviderKind {
    /// Every provider, in a stable order.
    pub const ALL: [ProviderKind; 6] = [
        ProviderKind::Alibaba,
        ProviderKind::Huawei,
        ProviderKind::Tencent,
        ProviderKind::Aws,
        ProviderKind::Azure,
        ProviderKind::Openstack,
    ];

    /// The lower-case name, which is also the Cargo feature that compiles it in.
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Alibaba => "alibaba",
            ProviderKind::Huawei => "huawei",
            ProviderKind::Tencent => "tencent",
            ProviderKind::Aws => "aws",
            ProviderKind::Azure => "azure",
            ProviderKind::Openstack => "openstack",
        }
    }

    /// Whether this build of the crate includes the provider.
    pub fn is_compiled_in(self) -> bool {
        match self {
            ProviderKind::Alibaba => cfg!(feature = "alibaba"),
            ProviderKind::Huawei => cfg!(feature = "huawei"),
            ProviderKind::Tencent => cfg!(feature = "tencent"),
            ProviderKind::Aws => cfg!(feature = "aws"),
            ProviderKind::Azure => cfg!(feature = "azure"),
            ProviderKind::Openstack => cfg!(feature = "openstack"),
        }
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ProviderKind {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        let kind = match lower.as_str() {
            "alibaba" | "aliyun" | "alibabacloud" => ProviderKind::Alibaba,
            "huawei" | "huaweicloud" => ProviderKind::Huawei,
            "tencent" | "qcloud" | "tencentcloud" => ProviderKind::Tencent,
            "aws" | "amazon" => ProviderKind::Aws,
            "azure" => ProviderKind::Azure,
            "openstack" => ProviderKind::Openstack,
            _ => {
                return Err(Error::new(
                    ErrorKind::Config,
                    format!(
                        "unknown provider `{s}`; expected one of alibaba, huawei, tencent, aws, azure, openstack"
                    ),
                ));
            }
        };
        Ok(kind)
    }
}

/// The identity the provider's credentials act as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// Which cloud.
    pub provider: ProviderKind,
    /// The cloud's account id (AWS account, Alibaba UID, Tencent owner UIN,
    /// Huawei domain id, Azure subscription id, OpenStack project id).
    pub id: String,
    /// A display name, where the cloud has one.
    pub name: Option<String>,
    /// The caller's principal (ARN, user id, app id) where the cloud reports it.
    pub principal: Option<String>,
}

/// A region of a cloud.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    /// Which cloud.
    pub provider: ProviderKind,
    /// The native region id (`cn-hangzhou`, `ap-guangzhou`, `us-east-1`, ...).
    pub id: String,
    /// A display name, where the cloud has one.
    pub name: Option<String>,
    /// The region's API endpoint, where the cloud reports one.
    pub endpoint: Option<String>,
    /// Whether the account may use the region (opt-in regions may not be).
    pub enabled: bool,
}

/// An availability zone within a region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Zone {
    /// Which cloud.
    pub provider: ProviderKind,
    /// The region the zone belongs to.
    pub region: String,
    /// The native zone id.
    pub id: String,
    /// A display name, where the cloud has one.
    pub name: Option<String>,
    /// Whether the zone accepts new resources.
    pub available: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_names_round_trip() {
        for p in ProviderKind::ALL {
            assert_eq!(p.as_str().parse::<ProviderKind>().ok(), Some(p));
            let json = serde_json::to_string(&p).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", p.as_str()));
        }
        assert_eq!(
            "Aliyun".parse::<ProviderKind>().ok(),
            Some(ProviderKind::Alibaba)
        );
        let err = "gcp".parse::<ProviderKind>().err();
        assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::Config));
    }
}
