//! The resource kinds the inventory covers, and how each is listed.

use std::sync::Arc;

use futures::stream::{BoxStream, StreamExt};
use multicloud::model::{
    CostQuery, ImageOwner, ListImages, ListInstances, ListNetwork, ListObjects, ListVolumes,
};
use multicloud::{Error, Provider, Result};
use serde::Serialize;

use crate::waste::{Fact, Waste};

/// A resource kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Instances,
    Volumes,
    Images,
    Vpcs,
    Subnets,
    SecurityGroups,
    PublicIps,
    Buckets,
    Objects,
    Users,
    Groups,
    Roles,
    Policies,
    CostLines,
    Balance,
}

impl Kind {
    /// Every kind, regional ones first.
    pub const ALL: [Kind; 15] = [
        Kind::Instances,
        Kind::Volumes,
        Kind::Images,
        Kind::Vpcs,
        Kind::Subnets,
        Kind::SecurityGroups,
        Kind::PublicIps,
        Kind::Buckets,
        Kind::Objects,
        Kind::Users,
        Kind::Groups,
        Kind::Roles,
        Kind::Policies,
        Kind::CostLines,
        Kind::Balance,
    ];

    /// Name used in output and in `--kinds`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Instances => "instances",
            Kind::Volumes => "volumes",
            Kind::Images => "images",
            Kind::Vpcs => "vpcs",
            Kind::Subnets => "subnets",
            Kind::SecurityGroups => "security_groups",
            Kind::PublicIps => "public_ips",
            Kind::Buckets => "buckets",
            Kind::Objects => "objects",
            Kind::Users => "users",
            Kind::Groups => "groups",
            Kind::Roles => "roles",
            Kind::Policies => "policies",
            Kind::CostLines => "cost_lines",
            Kind::Balance => "balance",
        }
    }

    /// Whether the kind is listed per region.
    pub fn regional(self) -> bool {
        matches!(
            self,
            Kind::Instances
                | Kind::Volumes
                | Kind::Images
                | Kind::Vpcs
                | Kind::Subnets
                | Kind::SecurityGroups
                | Kind::PublicIps
        )
    }
}

/// One listed resource, normalized, ready to write.
#[derive(Debug, Serialize)]
pub struct Record {
    pub provider: String,
    pub account: String,
    pub region: Option<String>,
    pub kind: &'static str,
    pub record: serde_json::Value,
}

fn unsupported(what: &str) -> Error {
    Error::unsupported(format!("the provider has no {what} service"))
}

fn json<T: Serialize>(v: &T) -> Result<serde_json::Value> {
    serde_json::to_value(v).map_err(Error::from)
}

/// List one kind in one region (or globally), as JSON values, noting the
/// facts the waste report needs on the way.
pub fn list<'a>(
    provider: &'a Arc<dyn Provider>,
    kind: Kind,
    region: Option<&'a str>,
    month: &'a CostQuery,
    waste: Option<&'a Waste>,
    account: &'a str,
) -> BoxStream<'a, Result<serde_json::Value>> {
    let region_s = region.unwrap_or_default().to_string();
    let note = move |fact: Fact| {
        if let Some(w) = waste {
            w.note(account, &fact);
        }
    };
    match kind {
        Kind::Instances => match provider.compute() {
            None => futures::stream::once(async { Err(unsupported("compute")) }).boxed(),
            Some(c) => async_stream(move |tx| async move {
                let q = ListInstances {
                    region: region_s.clone(),
                    ..Default::default()
                };
                let mut s = c.instances(&q);
                while let Some(item) = s.next().await {
                    let item = item.inspect(|i| note(Fact::Instance(i.clone())));
                    if !tx.send(item.and_then(|i| json(&i))).await {
                        break;
                    }
                }
            }),
        },
        Kind::Volumes => match provider.compute() {
            None => futures::stream::once(async { Err(unsupported("compute")) }).boxed(),
            Some(c) => async_stream(move |tx| async move {
                let q = ListVolumes {
                    region: region_s.clone(),
                    ..Default::default()
                };
                let mut s = c.volumes(&q);
                while let Some(item) = s.next().await {
                    let item = item.inspect(|v| note(Fact::Volume(v.clone())));
                    if !tx.send(item.and_then(|v| json(&v))).await {
                        break;
                    }
                }
            }),
        },
        Kind::Images => match provider.compute() {
            None => futures::stream::once(async { Err(unsupported("compute")) }).boxed(),
            Some(c) => async_stream(move |tx| async move {
                let q = ListImages {
                    region: region_s.clone(),
                    owner: ImageOwner::Own,
                    ..Default::default()
                };
                forward(c.images(&q), tx).await;
            }),
        },
        Kind::Vpcs | Kind::Subnets | Kind::SecurityGroups | Kind::PublicIps => {
            match provider.network() {
                None => futures::stream::once(async { Err(unsupported("network")) }).boxed(),
                Some(n) => async_stream(move |tx| async move {
                    let q = ListNetwork {
                        region: region_s.clone(),
                        ..Default::default()
                    };
                    match kind {
                        Kind::Vpcs => forward(n.vpcs(&q), tx).await,
                        Kind::Subnets => forward(n.subnets(&q), tx).await,
                        Kind::SecurityGroups => {
                            let mut s = n.security_groups(&q);
                            while let Some(item) = s.next().await {
                                let item = item.inspect(|g| note(Fact::SecurityGroup(g.clone())));
                                if !tx.send(item.and_then(|g| json(&g))).await {
                                    break;
                                }
                            }
                        }
                        _ => {
                            let mut s = n.public_ips(&q);
                            while let Some(item) = s.next().await {
                                let item = item.inspect(|ip| note(Fact::PublicIp(ip.clone())));
                                if !tx.send(item.and_then(|ip| json(&ip))).await {
                                    break;
                                }
                            }
                        }
                    }
                }),
            }
        }
        Kind::Buckets | Kind::Objects => match provider.storage() {
            None => futures::stream::once(async { Err(unsupported("storage")) }).boxed(),
            Some(st) => async_stream(move |tx| async move {
                if kind == Kind::Buckets {
                    forward(st.buckets(), tx).await;
                    return;
                }
                let mut buckets = st.buckets();
                while let Some(b) = buckets.next().await {
                    let b = match b {
                        Ok(b) => b,
                        Err(e) => {
                            tx.send(Err(e)).await;
                            return;
                        }
                    };
                    let q = ListObjects {
                        bucket: b.name.clone(),
                        ..Default::default()
                    };
                    let mut objs = st.objects(&q);
                    while let Some(o) = objs.next().await {
                        let o = o.and_then(|o| {
                            let mut v = json(&o)?;
                            if let Some(m) = v.as_object_mut() {
                                m.insert(
                                    "bucket".into(),
                                    serde_json::Value::String(b.name.clone()),
                                );
                            }
                            Ok(v)
                        });
                        if !tx.send(o).await {
                            return;
                        }
                    }
                }
            }),
        },
        Kind::Users | Kind::Groups | Kind::Roles | Kind::Policies => match provider.iam() {
            None => futures::stream::once(async { Err(unsupported("IAM")) }).boxed(),
            Some(iam) => match kind {
                Kind::Users => iam.users().map(|r| r.and_then(|v| json(&v))).boxed(),
                Kind::Groups => iam.groups().map(|r| r.and_then(|v| json(&v))).boxed(),
                Kind::Roles => iam.roles().map(|r| r.and_then(|v| json(&v))).boxed(),
                _ => iam.policies(None).map(|r| r.and_then(|v| json(&v))).boxed(),
            },
        },
        Kind::CostLines => match provider.billing() {
            None => futures::stream::once(async { Err(unsupported("billing")) }).boxed(),
            Some(b) => b
                .cost_lines(month)
                .map(move |r| {
                    r.inspect(|l| note(Fact::Cost(l.clone())))
                        .and_then(|l| json(&l))
                })
                .boxed(),
        },
        Kind::Balance => match provider.billing() {
            None => futures::stream::once(async { Err(unsupported("billing")) }).boxed(),
            Some(b) => futures::stream::once(async move { b.balance().await })
                .filter_map(|r| async move {
                    match r {
                        Ok(None) => None,
                        Ok(Some(bal)) => Some(json(&bal)),
                        Err(e) => Some(Err(e)),
                    }
                })
                .boxed(),
        },
    }
}

/// Sender half of [`async_stream`].
pub struct Tx<T>(tokio::sync::mpsc::Sender<T>);

impl<T> Tx<T> {
    /// Send one item; `false` when the consumer is gone.
    pub async fn send(&self, item: T) -> bool {
        self.0.send(item).await.is_ok()
    }
}

/// A stream fed by an async producer that borrows from the caller; the
/// producer runs as the stream is polled (no task is spawned).
fn async_stream<'a, T, F, Fut>(producer: F) -> BoxStream<'a, T>
where
    T: Send + 'a,
    F: FnOnce(Tx<T>) -> Fut + Send + 'a,
    Fut: std::future::Future<Output = ()> + Send + 'a,
{
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    let fut = producer(Tx(tx));
    let driven = futures::stream::once(fut).filter_map(|()| async { None });
    let received = tokio_stream_from(rx);
    futures::stream::select(driven, received).boxed()
}

fn tokio_stream_from<'a, T: Send + 'a>(mut rx: tokio::sync::mpsc::Receiver<T>) -> BoxStream<'a, T> {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx)).boxed()
}

async fn forward<T: Serialize>(mut s: BoxStream<'_, Result<T>>, tx: Tx<Result<serde_json::Value>>) {
    while let Some(item) = s.next().await {
        if !tx.send(item.and_then(|v| json(&v))).await {
            break;
        }
    }
}
