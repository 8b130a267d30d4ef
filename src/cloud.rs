//! Runtime registry: from an account's configuration to a provider.

use std::sync::Arc;

use crate::config::AccountConfig;
use crate::error::{Error, Result};
use crate::model::ProviderKind;
use crate::traits::Provider;

/// Entry point for connecting accounts by configuration.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cloud;

impl Cloud {
    /// Providers compiled into this build.
    pub fn compiled_in() -> Vec<ProviderKind> {
        ProviderKind::ALL
            .into_iter()
            .filter(|p| p.is_compiled_in())
            .collect()
    }

    /// Build the provider for one account. A provider that is not compiled in
    /// (or not implemented yet) is a `Config` error naming the feature to enable.
    pub async fn connect(account: &AccountConfig) -> Result<Arc<dyn Provider>> {
        let kind = account.provider;
        if !kind.is_compiled_in() {
            return Err(Error::config(format!(
                "account `{}` uses provider `{kind}`, which this build does not include: \
                 enable the Cargo feature `{kind}` (or `full`)",
                account.name
            )));
        }
        // Providers add their arm here as they land, e.g.
        // `#[cfg(feature = "tencent")] ProviderKind::Tencent => crate::tencent::connect(account).await,`
        #[allow(unreachable_patterns)]
        match kind {
            #[cfg(feature = "aws")]
            ProviderKind::Aws => crate::aws::connect(account).await,
            _ => Err(Error::config(format!(
                "account `{}`: provider `{kind}` is compiled in but has no implementation yet",
                account.name
            ))),
        }
    }
}
