//! Run one list over many regions at once, without letting one region's
//! failure stop the others.

use futures::stream::{self, BoxStream, StreamExt};
use serde::Serialize;

use crate::error::Error;

/// One item of a fanned-out list: a resource, or a region's failure.
#[derive(Debug)]
#[non_exhaustive]
pub enum RegionItem<T> {
    /// A resource from `region`.
    Item {
        /// Region the item came from.
        region: String,
        /// The item.
        item: T,
    },
    /// `region`'s list failed; items it yielded before the failure stand.
    Failed {
        /// Region that failed.
        region: String,
        /// Why.
        error: Error,
    },
    /// `region`'s list finished (after its items, or after its failure).
    Done {
        /// Region that finished.
        region: String,
        /// Items it yielded.
        count: u64,
        /// Whether it ended with a failure.
        failed: bool,
    },
}

/// Summary line of a region's outcome, for reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegionOutcome {
    /// Region id.
    pub region: String,
    /// Items it yielded.
    pub count: u64,
    /// The failure, rendered, if any.
    pub error: Option<String>,
}

/// Run `list(region)` for every region, at most `concurrency` regions at a
/// time, and merge the results. A region's error is yielded as
/// [`RegionItem::Failed`] and ends that region only; every region ends with a
/// [`RegionItem::Done`].
pub fn fan_out<'a, T, F>(
    regions: Vec<String>,
    concurrency: usize,
    list: F,
) -> BoxStream<'a, RegionItem<T>>
where
    T: Send + 'a,
    F: Fn(String) -> BoxStream<'a, crate::Result<T>> + Send + Sync + 'a,
{
    let list = std::sync::Arc::new(list);
    stream::iter(regions)
        .map(move |region| {
            let list = list.clone();
            let inner = list(region.clone());
            region_stream(region, inner)
        })
        .flatten_unordered(concurrency.max(1))
        .boxed()
}

fn region_stream<'a, T: Send + 'a>(
    region: String,
    inner: BoxStream<'a, crate::Result<T>>,
) -> BoxStream<'a, RegionItem<T>> {
    struct St<'a, T> {
        region: String,
        inner: Option<BoxStream<'a, crate::Result<T>>>,
        count: u64,
        failed: bool,
    }
    let st = St {
        region,
        inner: Some(inner),
        count: 0,
        failed: false,
    };
    stream::unfold(st, |mut st| async move {
        let inner = st.inner.as_mut()?;
        match inner.next().await {
            Some(Ok(item)) => {
                st.count += 1;
                let region = st.region.clone();
                Some((RegionItem::Item { region, item }, st))
            }
            Some(Err(error)) => {
                st.failed = true;
                // The failure ends this region: drop its stream so no further
                // pages are requested, then report Done on the next poll.
                st.inner = Some(stream::empty().boxed());
                let region = st.region.clone();
                Some((RegionItem::Failed { region, error }, st))
            }
            None => {
                st.inner = None;
                let done = RegionItem::Done {
                    region: st.region.clone(),
                    count: st.count,
                    failed: st.failed,
                };
                Some((done, st))
            }
        }
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[tokio::test]
    async fn failures_do_not_stop_other_regions() {
        let regions = vec!["a".to_string(), "bad".to_string(), "c".to_string()];
        let out: Vec<RegionItem<u32>> = fan_out(regions, 2, |r| {
            if r == "bad" {
                stream::iter(vec![
                    Ok(1),
                    Err(Error::new(ErrorKind::PermissionDenied, "no")),
                    Ok(99),
                ])
                .boxed()
            } else {
                stream::iter(vec![Ok(1), Ok(2), Ok(3)]).boxed()
            }
        })
        .collect()
        .await;
        let mut items = 0;
        let mut failed = Vec::new();
        let mut done = Vec::new();
        for i in &out {
            match i {
                RegionItem::Item { item, .. } => {
                    assert_ne!(*item, 99, "items after a failure must not be yielded");
                    items += 1;
                }
                RegionItem::Failed { region, error } => {
                    assert_eq!(error.kind(), ErrorKind::PermissionDenied);
                    failed.push(region.clone());
                }
                RegionItem::Done {
                    region,
                    count,
                    failed,
                } => {
                    done.push((region.clone(), *count, *failed));
                }
            }
        }
        assert_eq!(items, 7);
        assert_eq!(failed, vec!["bad".to_string()]);
        done.sort();
        assert_eq!(
            done,
            vec![
                ("a".to_string(), 3, false),
                ("bad".to_string(), 1, true),
                ("c".to_string(), 3, false)
            ]
        );
    }

    #[tokio::test]
    async fn concurrency_is_bounded() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let live = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let regions: Vec<String> = (0..8).map(|i| format!("r{i}")).collect();
        let (l, p) = (live.clone(), peak.clone());
        let out: Vec<RegionItem<u32>> = fan_out(regions, 3, move |_| {
            let (l, p) = (l.clone(), p.clone());
            stream::once(async move {
                let now = l.fetch_add(1, Ordering::SeqCst) + 1;
                p.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                l.fetch_sub(1, Ordering::SeqCst);
                Ok(1)
            })
            .boxed()
        })
        .collect()
        .await;
        assert_eq!(out.len(), 16);
        assert!(peak.load(Ordering::SeqCst) <= 3);
    }
}
