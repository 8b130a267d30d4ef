//! Runtime registry: from an account's configuration to a provider.

use std::sync::Arc;

use futures::stream::{self, StreamExt};

use crate::config::{AccountConfig, AccountsFile};
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

    /// Providers compiled into this build that [`Cloud::connect`] can build
    /// (a feature whose provider has not landed yet compiles to an empty module).
    pub fn implemented() -> Vec<ProviderKind> {
        let mut v = Vec::new();
        if cfg!(feature = "alibaba") {
            v.push(ProviderKind::Alibaba);
        }
        if cfg!(feature = "tencent") {
            v.push(ProviderKind::Tencent);
        }
        if cfg!(feature = "aws") {
            v.push(ProviderKind::Aws);
        }
        v
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
        // One arm per provider, compiled in by its feature.
        #[allow(unreachable_patterns, clippy::match_single_binding)]
        match kind {
            #[cfg(feature = "alibaba")]
            ProviderKind::Alibaba => crate::alibaba::connect(account).await,
            #[cfg(feature = "tencent")]
            ProviderKind::Tencent => crate::tencent::connect(account).await,
            #[cfg(feature = "aws")]
            ProviderKind::Aws => crate::aws::connect(account).await,
            _ => Err(Error::config(format!(
                "account `{}`: provider `{kind}` is compiled in but has no implementation yet",
                account.name
            ))),
        }
    }

    /// Connect every account of `file`, at most [`CONNECT_CONCURRENCY`]
    /// at a time. Returns one result per account, in file order: one failing
    /// account does not stop the others.
    pub async fn connect_all(file: &AccountsFile) -> Vec<Connection> {
        stream::iter(file.accounts.iter())
            .map(|account| async move {
                Connection {
                    name: account.name.clone(),
                    provider: account.provider,
                    result: Self::connect(account).await,
                }
            })
            .buffered(CONNECT_CONCURRENCY)
            .collect()
            .await
    }
}

/// How many accounts [`Cloud::connect_all`] connects at once.
pub const CONNECT_CONCURRENCY: usize = 16;

/// The outcome of connecting one account.
#[derive(Debug)]
pub struct Connection {
    /// The account's name in the accounts file.
    pub name: String,
    /// The account's cloud.
    pub provider: ProviderKind,
    /// The provider, or why it could not be built.
    pub result: Result<Arc<dyn Provider>>,
}

impl Connection {
    /// The provider, if connecting succeeded.
    pub fn connected(&self) -> Option<&Arc<dyn Provider>> {
        self.result.as_ref().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn account(name: &str, provider: ProviderKind) -> AccountConfig {
        AccountConfig::new(name, provider)
    }

    #[test]
    fn implemented_providers_are_compiled_in() {
        let compiled = Cloud::compiled_in();
        for p in Cloud::implemented() {
            assert!(compiled.contains(&p), "{p} implemented but not compiled in");
        }
    }

    #[tokio::test]
    async fn connect_names_the_missing_feature() {
        for kind in ProviderKind::ALL {
            if kind.is_compiled_in() {
                continue;
            }
            let err = Cloud::connect(&account("acct-1", kind)).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Config);
            let msg = err.message();
            assert!(msg.contains("`acct-1`"), "{msg}");
            assert!(
                msg.contains(&format!("enable the Cargo feature `{}`", kind.as_str())),
                "{msg}"
            );
        }
    }

    #[tokio::test]
    async fn connect_all_keeps_going_and_keeps_order() {
        let file = AccountsFile {
            accounts: vec![
                account("a", ProviderKind::Tencent),
                account("b", ProviderKind::Aws),
                account("c", ProviderKind::Openstack),
            ],
        };
        let results = Cloud::connect_all(&file).await;
        let names: Vec<&str> = results.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "c"]);
        assert_eq!(results[1].provider, ProviderKind::Aws);
        for c in &results {
            // Without provider features (or before providers land) every
            // account fails, each with its own error naming its account.
            if let Err(e) = &c.result {
                assert_eq!(e.kind(), ErrorKind::Config);
                assert!(e.message().contains(&format!("`{}`", c.name)));
            }
        }
        assert!(
            Cloud::connect_all(&AccountsFile::default())
                .await
                .is_empty()
        );
    }
}
