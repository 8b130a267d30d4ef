//! Pager tests: every pager with page size 1, an empty listing, an exactly
//! full last page, a misbehaving server, a failing fetch and laziness; the
//! counted pagers also under concurrency with out-of-order completions.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;
use crate::{Error, ErrorKind, Result};

/// Every listing in these tests must end well within this.
const DEADLINE: Duration = Duration::from_secs(20);

/// Drain a stream, failing the test if it does not end in time (the fake
/// servers yield to the runtime on every call, so a looping pager is caught).
async fn drain<T>(s: ResultStream<'_, T>) -> Vec<Result<T>> {
    tokio::time::timeout(DEADLINE, s.collect::<Vec<_>>())
        .await
        .expect("the pager did not end")
}

/// Split a drained stream into its items and its final error; panics if an
/// error is followed by anything.
fn split<T>(out: Vec<Result<T>>) -> (Vec<T>, Option<Error>) {
    let mut items = Vec::new();
    let mut error = None;
    for r in out {
        assert!(error.is_none(), "something was yielded after an error");
        match r {
            Ok(x) => items.push(x),
            Err(e) => error = Some(e),
        }
    }
    (items, error)
}

fn ok_items<T: std::fmt::Debug>(out: Vec<Result<T>>) -> Vec<T> {
    let (items, error) = split(out);
    assert!(error.is_none(), "unexpected error: {error:?}");
    items
}

type Fetch<R, P> = Box<dyn FnMut(R) -> BoxFuture<'static, Result<P>> + Send>;

// ---------------------------------------------------------------- token ---

/// A next-token server over `0..n` with pages of `size`. With
/// `token_after_full_last`, a full last page still carries a token (as AWS
/// may do) and the following request gets an empty page without one.
fn token_server(
    n: u32,
    size: usize,
    token_after_full_last: bool,
) -> (Arc<AtomicUsize>, Fetch<Option<String>, Page<u32>>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let items: Arc<Vec<u32>> = Arc::new((0..n).collect());
    let f = move |token: Option<String>| {
        let (c, items) = (c.clone(), items.clone());
        async move {
            c.fetch_add(1, SeqCst);
            tokio::task::yield_now().await;
            let start: usize =
                token.map_or(0, |t| t.strip_prefix("tok-").unwrap().parse().unwrap());
            let end = (start + size).min(items.len());
            let page = items[start..end].to_vec();
            let more = end < items.len() || (token_after_full_last && page.len() == size);
            Ok(Page::new(page, more.then(|| format!("tok-{end}"))))
        }
        .boxed()
    };
    (calls, Box::new(f))
}

/// A server scripted by a function from the request's cursor to a page.
fn script<R: Send + 'static>(
    f: impl Fn(R) -> Result<Page<u32>> + Send + Sync + 'static,
) -> (Arc<AtomicUsize>, Fetch<R, Page<u32>>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let f = Arc::new(f);
    let fetch = move |r: R| {
        let (c, f) = (c.clone(), f.clone());
        async move {
            c.fetch_add(1, SeqCst);
            tokio::task::yield_now().await;
            f(r)
        }
        .boxed()
    };
    (calls, Box::new(fetch))
}

#[tokio::test]
async fn token_page_size_one_over_several_pages() {
    let (calls, fetch) = token_server(5, 1, false);
    let items = ok_items(drain(token_pager(None, fetch)).await);
    assert_eq!(items, vec![0, 1, 2, 3, 4]);
    assert_eq!(calls.load(SeqCst), 5);
}

#[tokio::test]
async fn token_empty_listing() {
    let (calls, fetch) = token_server(0, 3, false);
    let items = ok_items(drain(token_pager(None, fetch)).await);
    assert!(items.is_empty());
    assert_eq!(calls.load(SeqCst), 1);
}

#[tokio::test]
async fn token_exactly_full_last_page() {
    // The server returns a token after the full last page, then an empty page.
    let (calls, fetch) = token_server(6, 3, true);
    let items = ok_items(drain(token_pager(None, fetch)).await);
    assert_eq!(items, vec![0, 1, 2, 3, 4, 5]);
    assert_eq!(calls.load(SeqCst), 3);
    // Without the extra token, no extra request.
    let (calls, fetch) = token_server(6, 3, false);
    let items = ok_items(drain(token_pager(None, fetch)).await);
    assert_eq!(items, vec![0, 1, 2, 3, 4, 5]);
    assert_eq!(calls.load(SeqCst), 2);
}

#[tokio::test]
async fn token_empty_string_ends_the_listing() {
    let (calls, fetch) = script(|t: Option<String>| {
        Ok(match t.as_deref() {
            None => Page::new(vec![1, 2], Some("a".into())),
            Some("a") => Page::new(vec![3], Some(String::new())),
            other => panic!("unexpected request {other:?}"),
        })
    });
    assert_eq!(
        ok_items(drain(token_pager(None, fetch)).await),
        vec![1, 2, 3]
    );
    assert_eq!(calls.load(SeqCst), 2);
}

#[tokio::test]
async fn token_starts_from_the_given_token() {
    let (calls, fetch) = token_server(5, 2, false);
    let items = ok_items(drain(token_pager(Some("tok-2".into()), fetch)).await);
    assert_eq!(items, vec![2, 3, 4]);
    assert_eq!(calls.load(SeqCst), 2);
}

#[tokio::test]
async fn token_repeated_token_is_an_error_not_a_loop() {
    // The server always answers with the same token.
    let (calls, fetch) = script(|_: Option<String>| Ok(Page::new(vec![7], Some("same".into()))));
    let (items, err) = split(drain(token_pager(None, fetch)).await);
    assert_eq!(items, vec![7, 7]);
    let err = err.expect("a repeated token must end with an error");
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert!(err.message().contains("`same`"), "{err}");
    assert!(err.message().contains("already used"), "{err}");
    assert_eq!(calls.load(SeqCst), 2);
}

#[tokio::test]
async fn token_cycle_is_an_error_not_a_loop() {
    // a -> b -> a: a token equal to any earlier one, not just the last.
    let (calls, fetch) = script(|t: Option<String>| {
        let next = match t.as_deref() {
            None | Some("b") => "a",
            _ => "b",
        };
        Ok(Page::new(vec![1], Some(next.into())))
    });
    let (items, err) = split(drain(token_pager(None, fetch)).await);
    assert_eq!(items.len(), 3);
    assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::Decode));
    assert_eq!(calls.load(SeqCst), 3);
}

#[tokio::test]
async fn token_equal_to_the_starting_token_is_an_error() {
    let (calls, fetch) = script(|_: Option<String>| Ok(Page::new(vec![1], Some("start".into()))));
    let (items, err) = split(drain(token_pager(Some("start".into()), fetch)).await);
    assert_eq!(items, vec![1]);
    assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::Decode));
    assert_eq!(calls.load(SeqCst), 1);
}

#[tokio::test]
async fn token_empty_pages_with_a_token_are_followed() {
    let (calls, fetch) = script(|t: Option<String>| {
        Ok(match t.as_deref() {
            None => Page::new(vec![], Some("a".into())),
            Some("a") => Page::new(vec![], Some("b".into())),
            Some("b") => Page::last(vec![1, 2]),
            other => panic!("unexpected request {other:?}"),
        })
    });
    assert_eq!(ok_items(drain(token_pager(None, fetch)).await), vec![1, 2]);
    assert_eq!(calls.load(SeqCst), 3);
}

#[tokio::test]
async fn token_endless_empty_pages_stop_at_the_cap() {
    // Fresh token every time, never an item: the documented cap stops it.
    let n = Arc::new(AtomicUsize::new(0));
    let (calls, fetch) = script(move |_: Option<String>| {
        Ok(Page::new(
            vec![],
            Some(format!("t{}", n.fetch_add(1, SeqCst))),
        ))
    });
    let (items, err) = split(drain(token_pager(None, fetch)).await);
    assert!(items.is_empty());
    let err = err.expect("endless empty pages must end with an error");
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert!(err.message().contains("empty pages"), "{err}");
    assert_eq!(calls.load(SeqCst) as u64, MAX_CONSECUTIVE_EMPTY_PAGES + 1);
}

#[tokio::test]
async fn cursor_page_cap_stops_an_endless_listing() {
    let n = Arc::new(AtomicUsize::new(0));
    let (calls, fetch) = script(move |_: Option<String>| {
        let i = n.fetch_add(1, SeqCst);
        Ok(Page::new(vec![i as u32], Some(format!("t{i}"))))
    });
    let limits = Limits {
        max_pages: 5,
        max_empty_run: 5,
    };
    let s = cursor::cursor_stream(cursor::Style::Token, None, fetch, Some, limits);
    let (items, err) = split(drain(s).await);
    assert_eq!(items, vec![0, 1, 2, 3, 4]);
    let err = err.expect("the page cap must end with an error");
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert!(err.message().contains("safety cap"), "{err}");
    assert_eq!(calls.load(SeqCst), 5);
}

#[tokio::test]
async fn token_fetch_error_is_yielded_and_ends_the_stream() {
    let (calls, fetch) = script(|t: Option<String>| match t.as_deref() {
        None => Ok(Page::new(vec![1, 2], Some("a".into()))),
        _ => Err(Error::new(ErrorKind::Throttled, "slow down")),
    });
    let mut s = token_pager(None, fetch);
    assert_eq!(s.next().await.unwrap().unwrap(), 1);
    assert_eq!(s.next().await.unwrap().unwrap(), 2);
    let err = s.next().await.unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Throttled);
    assert!(s.next().await.is_none());
    assert!(s.next().await.is_none());
    assert_eq!(calls.load(SeqCst), 2);
}

#[tokio::test]
async fn token_is_lazy() {
    let (calls, fetch) = token_server(10, 2, false);
    let mut s = token_pager(None, fetch);
    assert_eq!(
        calls.load(SeqCst),
        0,
        "nothing is fetched before the first poll"
    );
    assert_eq!(s.next().await.unwrap().unwrap(), 0);
    assert_eq!(s.next().await.unwrap().unwrap(), 1);
    drop(s);
    assert_eq!(calls.load(SeqCst), 1);
}

// --------------------------------------------------------------- marker ---

fn key(i: u32) -> String {
    format!("key-{i:04}")
}

/// An OpenStack-style marker server over `0..n`: items after the marker,
/// pages of `size`, and the last id as the next marker when a page is full.
fn marker_server(n: u32, size: usize) -> (Arc<AtomicUsize>, Fetch<Option<String>, Page<u32>>) {
    script(move |marker: Option<String>| {
        let page: Vec<u32> = (0..n)
            .filter(|&i| marker.as_ref().is_none_or(|m| key(i) > *m))
            .take(size)
            .collect();
        let next = next_marker(
            page.len() == size,
            None,
            page.last().map(|&i| key(i)).as_deref(),
        );
        Ok(Page::new(page, next))
    })
}

#[tokio::test]
async fn marker_page_size_one_over_several_pages() {
    let (calls, fetch) = marker_server(4, 1);
    assert_eq!(
        ok_items(drain(marker_pager(None, fetch)).await),
        vec![0, 1, 2, 3]
    );
    // OpenStack style: the last full page is followed by an empty one.
    assert_eq!(calls.load(SeqCst), 5);
}

#[tokio::test]
async fn marker_empty_listing() {
    let (calls, fetch) = marker_server(0, 3);
    assert!(ok_items(drain(marker_pager(None, fetch)).await).is_empty());
    assert_eq!(calls.load(SeqCst), 1);
}

#[tokio::test]
async fn marker_exactly_full_last_page() {
    let (calls, fetch) = marker_server(6, 3);
    assert_eq!(
        ok_items(drain(marker_pager(None, fetch)).await),
        vec![0, 1, 2, 3, 4, 5]
    );
    assert_eq!(calls.load(SeqCst), 3);
}

#[tokio::test]
async fn marker_s3_v1_listing_with_and_without_next_marker() {
    // S3/OSS v1: IsTruncated, NextMarker only sometimes (here on odd pages);
    // otherwise the last key is the marker.
    let n = 10u32;
    let page_no = Arc::new(AtomicUsize::new(0));
    let (calls, fetch) = script(move |marker: Option<String>| {
        let p = page_no.fetch_add(1, SeqCst);
        let rest: Vec<u32> = (0..n)
            .filter(|&i| marker.as_ref().is_none_or(|m| key(i) > *m))
            .collect();
        let page: Vec<u32> = rest.iter().copied().take(3).collect();
        let truncated = rest.len() > 3;
        let given = (p % 2 == 1).then(|| page.last().map(|&i| key(i)).unwrap());
        let next = next_marker(truncated, given, page.last().map(|&i| key(i)).as_deref());
        Ok(Page::new(page, next))
    });
    let items = ok_items(drain(marker_pager(None, fetch)).await);
    assert_eq!(items, (0..n).collect::<Vec<_>>());
    assert_eq!(calls.load(SeqCst), 4);
}

#[tokio::test]
async fn marker_repeated_marker_is_an_error_not_a_loop() {
    // A server ignoring the marker: the same page and marker forever.
    let (calls, fetch) = script(|_: Option<String>| Ok(Page::new(vec![1, 2], Some(key(2)))));
    let (items, err) = split(drain(marker_pager(None, fetch)).await);
    assert_eq!(items, vec![1, 2, 1, 2]);
    let err = err.expect("a repeated marker must end with an error");
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert!(err.message().contains("marker pager"), "{err}");
    assert_eq!(calls.load(SeqCst), 2);
}

#[tokio::test]
async fn marker_fetch_error_is_yielded_and_ends_the_stream() {
    let (calls, fetch) = script(|m: Option<String>| match m {
        None => Ok(Page::new(vec![1], Some(key(1)))),
        Some(_) => Err(Error::not_found("bucket gone")),
    });
    let (items, err) = split(drain(marker_pager(None, fetch)).await);
    assert_eq!(items, vec![1]);
    assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::NotFound));
    assert_eq!(calls.load(SeqCst), 2);
}

#[tokio::test]
async fn marker_is_lazy() {
    let (calls, fetch) = marker_server(9, 3);
    let mut s = marker_pager(None, fetch);
    assert_eq!(calls.load(SeqCst), 0);
    assert_eq!(s.next().await.unwrap().unwrap(), 0);
    drop(s);
    assert_eq!(calls.load(SeqCst), 1);
}

#[test]
fn next_marker_rules() {
    assert_eq!(next_marker(false, Some("m".into()), Some("k")), None);
    assert_eq!(
        next_marker(true, Some("m".into()), Some("k")),
        Some("m".into())
    );
    assert_eq!(next_marker(true, None, Some("k")), Some("k".into()));
    assert_eq!(
        next_marker(true, Some(String::new()), Some("k")),
        Some("k".into())
    );
    assert_eq!(next_marker(true, None, None), None);
}

// ------------------------------------------------------------ next link ---

const BASE: &str = "https://management.azure.com/subscriptions/s/providers/Microsoft.Compute/virtualMachines?api-version=2024-07-01";

/// An Azure-style server over `0..n`: `$skiptoken` in the next link.
fn link_server(
    n: u32,
    size: usize,
    link_after_full_last: bool,
) -> (Arc<AtomicUsize>, Fetch<String, Page<u32>>) {
    script(move |url: String| {
        let start: u32 = url
            .split("&$skiptoken=")
            .nth(1)
            .map_or(0, |s| s.parse().unwrap());
        let page: Vec<u32> = (start..n).take(size).collect();
        let end = start + page.len() as u32;
        let more = end < n || (link_after_full_last && page.len() == size);
        Ok(Page::new(
            page,
            more.then(|| format!("{BASE}&$skiptoken={end}")),
        ))
    })
}

#[tokio::test]
async fn next_link_page_size_one_over_several_pages() {
    let (calls, fetch) = link_server(4, 1, false);
    assert_eq!(
        ok_items(drain(next_link_pager(BASE.into(), fetch)).await),
        vec![0, 1, 2, 3]
    );
    assert_eq!(calls.load(SeqCst), 4);
}

#[tokio::test]
async fn next_link_empty_listing() {
    let (calls, fetch) = link_server(0, 5, false);
    assert!(ok_items(drain(next_link_pager(BASE.into(), fetch)).await).is_empty());
    assert_eq!(calls.load(SeqCst), 1);
}

#[tokio::test]
async fn next_link_exactly_full_last_page() {
    let (calls, fetch) = link_server(6, 3, true);
    assert_eq!(
        ok_items(drain(next_link_pager(BASE.into(), fetch)).await),
        vec![0, 1, 2, 3, 4, 5]
    );
    assert_eq!(calls.load(SeqCst), 3);
}

#[tokio::test]
async fn next_link_back_to_the_first_url_is_an_error_not_a_loop() {
    let (calls, fetch) = script(|_: String| Ok(Page::new(vec![1], Some(BASE.into()))));
    let (items, err) = split(drain(next_link_pager(BASE.into(), fetch)).await);
    assert_eq!(items, vec![1]);
    let err = err.expect("a repeated nextLink must end with an error");
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert!(err.message().contains("nextLink"), "{err}");
    assert_eq!(calls.load(SeqCst), 1);
}

#[tokio::test]
async fn next_link_fetch_error_is_yielded_and_ends_the_stream() {
    let (calls, fetch) = script(|url: String| {
        if url == BASE {
            Ok(Page::new(vec![1, 2], Some(format!("{BASE}&$skiptoken=2"))))
        } else {
            Err(Error::new(ErrorKind::Unavailable, "503"))
        }
    });
    let (items, err) = split(drain(next_link_pager(BASE.into(), fetch)).await);
    assert_eq!(items, vec![1, 2]);
    assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::Unavailable));
    assert_eq!(calls.load(SeqCst), 2);
}

#[tokio::test]
async fn next_link_is_lazy() {
    let (calls, fetch) = link_server(10, 3, false);
    let mut s = next_link_pager(BASE.into(), fetch);
    assert_eq!(calls.load(SeqCst), 0);
    assert_eq!(s.next().await.unwrap().unwrap(), 0);
    drop(s);
    assert_eq!(calls.load(SeqCst), 1);
}

#[test]
fn long_cursors_are_shortened_in_messages() {
    let long = "x".repeat(500);
    let s = cursor::shown(&long);
    assert_eq!(s.chars().count(), 81);
    assert!(s.ends_with('…'));
    assert_eq!(cursor::shown("short"), "short");
}

// -------------------------------------------------------------- counted ---

/// Runs on a request (its 1-based number) and may change the collection.
type Hook = Box<dyn Fn(usize, &mut Vec<u32>) + Send + Sync>;

/// A fake offset/limit and page-number server over a mutable collection.
#[derive(Default)]
struct Counted {
    items: Mutex<Vec<u32>>,
    /// The server's own page-size cap.
    cap: Option<u32>,
    /// Report the total count.
    report_total: bool,
    /// Report this total instead of the real one (a lying server).
    lie_total: Option<u64>,
    /// Return one item more than asked at this offset.
    overfill_at: Option<u64>,
    /// Fail the request at this offset.
    fail_at: Option<u64>,
    /// Random sleeps (ms, below the bound), else just a yield.
    delays: Option<(Mutex<StdRng>, u64)>,
    /// Run on every request (its 1-based number) before it is answered.
    hook: Option<Hook>,
    calls: AtomicUsize,
    live: AtomicUsize,
    peak: AtomicUsize,
    /// (offset, limit) of each request, in the order they were made.
    requests: Mutex<Vec<(u64, u32)>>,
    /// Offsets in the order their responses completed.
    completed: Mutex<Vec<u64>>,
}

impl Counted {
    fn over(n: u32) -> Self {
        Counted {
            items: Mutex::new((0..n).collect()),
            report_total: true,
            ..Default::default()
        }
    }

    fn with_delays(mut self, max_ms: u64) -> Self {
        self.delays = Some((Mutex::new(StdRng::seed_from_u64(0x5eed)), max_ms));
        self
    }

    /// Answer `limit` items (or the cap) from `offset`.
    async fn page(&self, offset: u64, limit: u32) -> Result<CountedPage<u32>> {
        let call = self.calls.fetch_add(1, SeqCst) + 1;
        self.requests.lock().unwrap().push((offset, limit));
        let live = self.live.fetch_add(1, SeqCst) + 1;
        self.peak.fetch_max(live, SeqCst);
        let delay = self
            .delays
            .as_ref()
            .map(|(rng, max)| rng.lock().unwrap().random_range(0..*max));
        match delay {
            Some(ms) => tokio::time::sleep(Duration::from_millis(ms)).await,
            None => tokio::task::yield_now().await,
        }
        self.live.fetch_sub(1, SeqCst);
        self.completed.lock().unwrap().push(offset);
        if self.fail_at == Some(offset) {
            return Err(Error::new(ErrorKind::Unavailable, "injected failure"));
        }
        let mut items = self.items.lock().unwrap();
        if let Some(hook) = &self.hook {
            hook(call, &mut items);
        }
        let mut n = limit.min(self.cap.unwrap_or(u32::MAX)) as usize;
        if self.overfill_at == Some(offset) {
            n += 1;
        }
        let page: Vec<u32> = items
            .iter()
            .copied()
            .skip(offset as usize)
            .take(n)
            .collect();
        let total = self.lie_total.unwrap_or(items.len() as u64);
        Ok(if self.report_total {
            CountedPage::new(page, total)
        } else {
            CountedPage::without_total(page)
        })
    }

    /// Page `number` (1-based) of `size`, as a page-number server does it:
    /// the page size it really uses is its cap if smaller.
    async fn numbered(&self, number: u32, size: u32) -> Result<CountedPage<u32>> {
        let used = size.min(self.cap.unwrap_or(u32::MAX));
        self.page(u64::from(number - 1) * u64::from(used), size)
            .await
    }

    fn calls(&self) -> usize {
        self.calls.load(SeqCst)
    }
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    Offset,
    PageNumber,
}

const KINDS: [Kind; 2] = [Kind::Offset, Kind::PageNumber];

/// The pager of `kind` over `srv`.
fn pager(
    kind: Kind,
    srv: &Arc<Counted>,
    size: u32,
    concurrency: usize,
) -> ResultStream<'static, u32> {
    let srv = srv.clone();
    match kind {
        Kind::Offset => offset_pager(size, concurrency, move |offset, limit| {
            let srv = srv.clone();
            async move { srv.page(offset, limit).await }
        }),
        Kind::PageNumber => page_number_pager(size, concurrency, move |number, size| {
            let srv = srv.clone();
            async move { srv.numbered(number, size).await }
        }),
    }
}

#[tokio::test]
async fn counted_page_size_one_over_several_pages() {
    for kind in KINDS {
        for concurrency in [1, 3] {
            let srv = Arc::new(Counted::over(5));
            let items = ok_items(drain(pager(kind, &srv, 1, concurrency)).await);
            assert_eq!(items, vec![0, 1, 2, 3, 4], "{kind:?} x{concurrency}");
            assert_eq!(srv.calls(), 5, "{kind:?} x{concurrency}");
        }
    }
}

#[tokio::test]
async fn counted_empty_listing() {
    for kind in KINDS {
        for report_total in [true, false] {
            let srv = Arc::new(Counted {
                report_total,
                ..Counted::over(0)
            });
            assert!(ok_items(drain(pager(kind, &srv, 10, 4)).await).is_empty());
            assert_eq!(srv.calls(), 1, "{kind:?} total={report_total}");
        }
    }
}

#[tokio::test]
async fn counted_exactly_full_last_page() {
    for kind in KINDS {
        // With a total: exactly two requests, no extra item.
        let srv = Arc::new(Counted::over(6));
        assert_eq!(
            ok_items(drain(pager(kind, &srv, 3, 4)).await),
            vec![0, 1, 2, 3, 4, 5]
        );
        assert_eq!(srv.calls(), 2, "{kind:?}");
        // Without one: the empty third page ends it.
        let srv = Arc::new(Counted {
            report_total: false,
            ..Counted::over(6)
        });
        assert_eq!(
            ok_items(drain(pager(kind, &srv, 3, 4)).await),
            vec![0, 1, 2, 3, 4, 5]
        );
        assert_eq!(srv.calls(), 3, "{kind:?}");
    }
}

#[tokio::test]
async fn counted_without_total_pages_sequentially_to_a_short_page() {
    for kind in KINDS {
        let srv = Arc::new(Counted {
            report_total: false,
            ..Counted::over(23)
        });
        let items = ok_items(drain(pager(kind, &srv, 5, 4)).await);
        assert_eq!(items, (0..23).collect::<Vec<_>>());
        assert_eq!(srv.calls(), 5);
        assert_eq!(srv.peak.load(SeqCst), 1, "no total, no concurrency");
    }
}

#[tokio::test(start_paused = true)]
async fn counted_concurrent_pages_come_out_in_order() {
    for kind in KINDS {
        let srv = Arc::new(Counted::over(1000).with_delays(5));
        let items = ok_items(drain(pager(kind, &srv, 7, 4)).await);
        assert_eq!(items.len(), 1000, "{kind:?}");
        assert_eq!(
            items,
            (0..1000).collect::<Vec<_>>(),
            "{kind:?}: order, gaps or duplicates"
        );
        assert_eq!(srv.calls(), 143, "{kind:?}");
        let peak = srv.peak.load(SeqCst);
        assert!(peak > 1, "{kind:?}: concurrency not used (peak {peak})");
        assert!(peak <= 4, "{kind:?}: concurrency not bounded (peak {peak})");
        // The fetches did complete out of order, so ordering was really tested.
        let completed = srv.completed.lock().unwrap().clone();
        assert!(
            completed.windows(2).any(|w| w[0] > w[1]),
            "{kind:?}: completions were in order"
        );
        // Every page was asked for exactly once.
        let mut offsets: Vec<u64> = srv.requests.lock().unwrap().iter().map(|r| r.0).collect();
        offsets.sort_unstable();
        assert_eq!(
            offsets,
            (0..143).map(|p| p * 7).collect::<Vec<_>>(),
            "{kind:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn counted_fetch_error_is_yielded_in_order_and_ends_the_stream() {
    for kind in KINDS {
        let srv = Arc::new(Counted {
            fail_at: Some(21),
            ..Counted::over(100).with_delays(5)
        });
        let (items, err) = split(drain(pager(kind, &srv, 7, 4)).await);
        assert_eq!(items, (0..21).collect::<Vec<_>>(), "{kind:?}");
        let err = err.expect("the failure must be yielded");
        assert_eq!(err.kind(), ErrorKind::Unavailable);
        // Pages in flight are dropped: at most those launched with page 3.
        assert!(srv.calls() <= 1 + 4 + 2, "{kind:?}: {} calls", srv.calls());
    }
}

#[tokio::test]
async fn counted_is_lazy() {
    for kind in KINDS {
        let srv = Arc::new(Counted::over(100));
        let mut s = pager(kind, &srv, 7, 4);
        assert_eq!(srv.calls(), 0);
        assert_eq!(s.next().await.unwrap().unwrap(), 0);
        drop(s);
        assert_eq!(srv.calls(), 1, "{kind:?}");

        // The 8th item needs page 2: then up to `concurrency` pages start.
        let srv = Arc::new(Counted::over(100));
        let mut s = pager(kind, &srv, 7, 4);
        for i in 0..8 {
            assert_eq!(s.next().await.unwrap().unwrap(), i);
        }
        drop(s);
        assert_eq!(srv.calls(), 5, "{kind:?}");
    }
}

#[tokio::test]
async fn counted_short_page_before_total_is_an_error() {
    for kind in KINDS {
        // Claims 10 items, has 8: page 3 comes back short.
        let srv = Arc::new(Counted {
            lie_total: Some(10),
            ..Counted::over(8)
        });
        let (items, err) = split(drain(pager(kind, &srv, 3, 4)).await);
        assert_eq!(items, (0..8).collect::<Vec<_>>(), "{kind:?}");
        let err = err.expect("a gap must be reported");
        assert_eq!(err.kind(), ErrorKind::Decode);
        assert!(err.message().contains("gap"), "{err}");
    }
}

#[tokio::test]
async fn counted_empty_first_page_with_a_total_is_an_error() {
    for kind in KINDS {
        let srv = Arc::new(Counted {
            lie_total: Some(5),
            ..Counted::over(0)
        });
        let (items, err) = split(drain(pager(kind, &srv, 3, 4)).await);
        assert!(items.is_empty());
        assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::Decode), "{kind:?}");
        assert_eq!(srv.calls(), 1);
    }
}

#[tokio::test]
async fn counted_growing_total_is_followed() {
    for kind in KINDS {
        // 6 items when the listing starts, 9 from the second request on.
        let srv = Arc::new(Counted {
            hook: Some(Box::new(|call, items: &mut Vec<u32>| {
                if call == 2 {
                    items.extend([6, 7, 8]);
                }
            })),
            ..Counted::over(6)
        });
        let items = ok_items(drain(pager(kind, &srv, 3, 4)).await);
        assert_eq!(items, (0..9).collect::<Vec<_>>(), "{kind:?}");
        assert_eq!(srv.calls(), 3, "{kind:?}");
    }
}

#[tokio::test]
async fn counted_shrinking_total_ends_early_without_error() {
    for kind in KINDS {
        // 9 items when the listing starts; the last 3 vanish on request 2.
        let srv = Arc::new(Counted {
            hook: Some(Box::new(|call, items: &mut Vec<u32>| {
                if call == 2 {
                    items.truncate(6);
                }
            })),
            ..Counted::over(9)
        });
        let items = ok_items(drain(pager(kind, &srv, 3, 4)).await);
        assert_eq!(items, (0..6).collect::<Vec<_>>(), "{kind:?}");
    }
}

#[tokio::test]
async fn counted_server_page_cap_is_adopted_without_gaps() {
    for kind in KINDS {
        let srv = Arc::new(Counted {
            cap: Some(4),
            ..Counted::over(25)
        });
        let items = ok_items(drain(pager(kind, &srv, 10, 3)).await);
        assert_eq!(items, (0..25).collect::<Vec<_>>(), "{kind:?}");
        assert_eq!(srv.calls(), 7, "{kind:?}");
        let requests = srv.requests.lock().unwrap().clone();
        assert_eq!(requests[0], (0, 10));
        assert!(
            requests[1..].iter().all(|&(_, limit)| limit == 4),
            "{requests:?}"
        );
    }
}

#[tokio::test]
async fn counted_more_items_than_asked_is_an_error() {
    for kind in KINDS {
        let srv = Arc::new(Counted {
            overfill_at: Some(3),
            ..Counted::over(20)
        });
        let (items, err) = split(drain(pager(kind, &srv, 3, 1)).await);
        assert_eq!(
            items,
            vec![0, 1, 2],
            "{kind:?}: the overfull page is not yielded"
        );
        let err = err.expect("an overfull page must be reported");
        assert_eq!(err.kind(), ErrorKind::Decode);
        assert!(err.message().contains("more than"), "{err}");
    }
}

#[tokio::test]
async fn counted_page_size_zero_is_rejected() {
    for kind in KINDS {
        let srv = Arc::new(Counted::over(5));
        let (items, err) = split(drain(pager(kind, &srv, 0, 4)).await);
        assert!(items.is_empty());
        assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::InvalidArgument));
        assert_eq!(srv.calls(), 0);
    }
}

#[tokio::test]
async fn counted_page_cap_stops_a_huge_listing() {
    for report_total in [true, false] {
        let srv = Arc::new(Counted {
            report_total,
            ..Counted::over(100)
        });
        let s2 = srv.clone();
        let limits = Limits {
            max_pages: 3,
            max_empty_run: 3,
        };
        let s = counted::counted_stream(
            counted::Style::Offset,
            10,
            4,
            move |index, size| {
                let srv = s2.clone();
                async move { srv.page(index * u64::from(size), size).await }
            },
            limits,
        );
        let (items, err) = split(drain(s).await);
        assert_eq!(items, (0..30).collect::<Vec<_>>());
        let err = err.expect("the page cap must end with an error");
        assert_eq!(err.kind(), ErrorKind::Decode);
        assert!(err.message().contains("safety cap"), "{err}");
        assert_eq!(srv.calls(), 3);
    }
}

#[tokio::test]
async fn error_context_is_filled_in_without_overwriting() {
    let (_, fetch) = script(|t: Option<String>| match t {
        None => Ok(Page::new(vec![1], Some("x".into()))),
        Some(_) => Err(Error::new(ErrorKind::Throttled, "slow").with_action("ListThings")),
    });
    let ctx = crate::ErrorContext {
        provider: Some("aws".into()),
        action: Some("DescribeInstances".into()),
        region: Some("eu-west-1".into()),
        ..Default::default()
    };
    let (items, err) =
        split(drain(with_error_context(token_pager(None, fetch), ctx.clone())).await);
    assert_eq!(items, vec![1]);
    let err = err.unwrap();
    assert_eq!(err.provider(), Some("aws"));
    assert_eq!(err.context().region.as_deref(), Some("eu-west-1"));
    assert_eq!(err.context().action.as_deref(), Some("ListThings"));

    // The pager's own errors get the whole context.
    let (_, fetch) = script(|_: Option<String>| Ok(Page::new(vec![], Some("same".into()))));
    let (_, err) = split(drain(with_error_context(token_pager(None, fetch), ctx)).await);
    let err = err.unwrap();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert_eq!(err.context().action.as_deref(), Some("DescribeInstances"));
}
