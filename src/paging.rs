//! Pagers: turn a provider's "fetch one page" closure into a lazy stream of
//! items, for each of the five cursor styles the six clouds use.
//!
//! | Style | Pager | Used by | Cursor |
//! |---|---|---|---|
//! | next token | [`token_pager`] | AWS, Alibaba newer APIs, BSS | opaque token from the last response |
//! | page number / page size | [`page_number_pager`] | Alibaba ECS, VPC | 1-based page number, total count |
//! | offset / limit | [`offset_pager`] | Tencent, Huawei v1 | item offset, total count |
//! | marker | [`marker_pager`] | OpenStack, Huawei, OSS/COS/S3 v1 listing | last key/id, or the server's next marker |
//! | next link | [`next_link_pager`] | Azure | full URL of the next page (`nextLink`) |
//!
//! A provider writes one closure that sends a single list request and
//! decodes one page; the pager does the rest. Every pager returns a
//! [`ResultStream`], fetches pages only as the stream is consumed (nothing is
//! fetched before the first poll, and dropping the stream cancels whatever is
//! in flight), and yields items in the server's order.
//!
//! ```
//! use futures::StreamExt;
//! use multicloud::paging::{token_pager, Page};
//! use multicloud::ResultStream;
//!
//! struct Ec2;
//!
//! impl Ec2 {
//!     /// One `DescribeInstances` call (here: two canned pages).
//!     async fn describe(&self, token: Option<String>) -> multicloud::Result<Page<u32>> {
//!         Ok(match token.as_deref() {
//!             None => Page::new(vec![1, 2], Some("page-2".into())),
//!             _ => Page::last(vec![3]),
//!         })
//!     }
//!
//!     fn instances(&self) -> ResultStream<'_, u32> {
//!         token_pager(None, move |token| self.describe(token))
//!     }
//! }
//!
//! let ec2 = Ec2;
//! let all: Vec<u32> = futures::executor::block_on(async {
//!     ec2.instances().map(|r| r.unwrap()).collect().await
//! });
//! assert_eq!(all, [1, 2, 3]);
//! ```
//!
//! # Memory
//!
//! The cursor pagers (token, marker, next link) hold at most one page. The
//! counted pagers (offset, page number) hold at most `concurrency` pages: the
//! page being yielded plus at most `concurrency - 1` fetched or in-flight ones
//! between polls (briefly `concurrency` fetches in flight during a poll).
//! The cursor pagers also remember a 64-bit keyed hash of every cursor they
//! sent (8 bytes a page) to detect loops; the chance that two different
//! cursors collide and end a listing early is below 10⁻⁸ even at
//! [`MAX_PAGES`] pages.
//!
//! # Error context
//!
//! Errors the pagers raise themselves carry only a kind and a message;
//! errors from `fetch` pass through unchanged. Wrap a pager in
//! [`with_error_context`] to fill in the provider, service, action and
//! region of every error it yields.
//!
//! # Concurrency (offset and page-number styles)
//!
//! Once the first page has revealed the total count, the number of pages is
//! known, so the remaining pages are fetched **concurrently**, at most
//! `concurrency` at a time, and still yielded strictly in order (like
//! `buffered(concurrency)`). Each fetch goes through the provider's closure,
//! so each one passes the provider's rate limiter and retry policy. A
//! 100-page region then costs about `1 + 99 / concurrency` round trips
//! instead of 100. The in-flight fetches are driven while the stream is being
//! polled (not by a background task: the closures may borrow the provider),
//! which is whenever the consumer waits for the next item.
//!
//! Without a total count (the server did not return one), these pagers fall
//! back to fetching one page after another until a page comes back shorter
//! than the page size.
//!
//! # Misbehaving servers
//!
//! No pager loops forever and none silently invents or drops items it can
//! detect. A problem that ends a stream is yielded as an
//! [`ErrorKind::Decode`](crate::ErrorKind::Decode) error after the items
//! already received, and the stream then ends.
//!
//! Cursor styles (token, marker, next link):
//! - no cursor, or an **empty string**, ends the listing (Alibaba returns
//!   `"NextToken": ""` on its last page);
//! - a cursor equal to **any cursor already sent** in this listing (the
//!   starting one included) is an error: following it would loop;
//! - an **empty page with a cursor** is followed (AWS documents that a page
//!   may be empty and still carry a `NextToken`), but more than
//!   [`MAX_CONSECUTIVE_EMPTY_PAGES`] empty pages in a row is an error;
//! - a server-provided token is followed even if the page was "short":
//!   page sizes are the server's business in these styles.
//!
//! Counted styles (offset, page number); "the total" is the latest total
//! reported, pages being examined in order:
//! - the listing ends at the first page that reaches the total (offset +
//!   items ≥ total), so a last page exactly full costs no extra request,
//!   or at an empty page when the total is zero;
//! - **total changes between pages**: the latest reported total wins. If it
//!   shrinks, the listing ends as soon as a page reaches it (in-flight
//!   fetches for later pages are dropped); if it grows, more pages are
//!   planned and fetched, still concurrently. Offset paging over a
//!   collection that changes while it is listed can skip or repeat an item
//!   that moves across a page boundary; the pager cannot know item
//!   identities and does not deduplicate;
//! - a **short page before the total** is reached (fewer items than the page
//!   size, including an empty page) is an error, since continuing would
//!   leave a gap — with one exception: when the *first* page is short but
//!   non-empty and the total says there is more, the server evidently caps
//!   the page size below the one asked for, and that smaller size is used
//!   for every later request (with a warning in the log), so no item is
//!   skipped;
//! - a page with **more items than the limit** asked for is an error (the
//!   pages would overlap).
//!
//! Every pager stops with an error rather than fetch more than
//! [`MAX_PAGES`] pages.

use std::future::Future;

use futures::StreamExt;

use crate::{ErrorContext, ResultStream};

mod counted;
mod cursor;
#[cfg(test)]
mod tests;

/// Hard safety cap on the number of pages one listing may fetch (one
/// million). A listing that needs more ends with an
/// [`ErrorKind::Decode`](crate::ErrorKind::Decode) error instead: at the
/// largest page sizes the clouds allow this is 100 million to a billion
/// items, far beyond any real estate, so reaching it means a server that
/// keeps inventing new cursors.
pub const MAX_PAGES: u64 = 1_000_000;

/// The most empty pages in a row a cursor pager follows before giving up
/// with an [`ErrorKind::Decode`](crate::ErrorKind::Decode) error (1,000).
/// Empty pages that still carry a cursor are legitimate (a filtered AWS
/// listing may return some), but not without end.
pub const MAX_CONSECUTIVE_EMPTY_PAGES: u64 = 1_000;

/// The safety caps a pager enforces; tests use small ones.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Most pages one listing may fetch.
    pub(crate) max_pages: u64,
    /// Most empty pages in a row a cursor pager follows.
    pub(crate) max_empty_run: u64,
}

impl Limits {
    /// The documented caps.
    pub(crate) const DEFAULT: Limits = Limits {
        max_pages: MAX_PAGES,
        max_empty_run: MAX_CONSECUTIVE_EMPTY_PAGES,
    };
}

/// One page of a cursor-style listing (token, marker or next link): its
/// items and the cursor of the next page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items of this page, in the server's order.
    pub items: Vec<T>,
    /// The cursor to send for the next page: the next token, the next marker
    /// (see [`next_marker`]) or the full next-link URL. `None` or an empty
    /// string means this was the last page.
    pub next: Option<String>,
}

impl<T> Page<T> {
    /// A page with its next cursor (`None` or `""` when it is the last).
    pub fn new(items: Vec<T>, next: Option<String>) -> Self {
        Page { items, next }
    }

    /// The last page of a listing.
    pub fn last(items: Vec<T>) -> Self {
        Page { items, next: None }
    }
}

/// One page of a counted listing (offset or page-number style): its items
/// and the total item count the server reported, if it reported one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountedPage<T> {
    /// The items of this page, in the server's order.
    pub items: Vec<T>,
    /// The total number of items in the whole listing (`TotalCount`,
    /// `count`, ...), if the response carried it. With a total the pager
    /// fetches the remaining pages concurrently and needs no extra request
    /// after the last page; without one it pages sequentially until a
    /// short page.
    pub total: Option<u64>,
}

impl<T> CountedPage<T> {
    /// A page from a response that reported the total item count.
    pub fn new(items: Vec<T>, total: u64) -> Self {
        CountedPage {
            items,
            total: Some(total),
        }
    }

    /// A page from a response without a total count.
    pub fn without_total(items: Vec<T>) -> Self {
        CountedPage { items, total: None }
    }
}

/// The marker for the next request of a marker-style listing (S3/OSS/COS
/// `ListObjects` v1, OpenStack, Huawei): `None` when the listing is not
/// truncated; otherwise the server's next marker when it gave a non-empty
/// one (S3 returns `NextMarker` only with a delimiter), else the key or id
/// of the last item of the page.
///
/// OpenStack has no truncation flag: pass `is_truncated = true` when the page
/// is full or carries a `rel="next"` link.
///
/// Returns `None` when the listing is truncated but there is neither a next
/// marker nor a last key (an empty truncated page): nothing can be resumed
/// from, so the listing ends there.
pub fn next_marker(
    is_truncated: bool,
    next_marker: Option<String>,
    last_key: Option<&str>,
) -> Option<String> {
    if !is_truncated {
        return None;
    }
    match next_marker {
        Some(m) if !m.is_empty() => Some(m),
        _ => last_key.map(str::to_owned),
    }
}

/// Stream every item of a **next-token** listing (AWS `NextToken` /
/// `nextToken` / `Marker`-as-token, Alibaba `NextToken`, BSS).
///
/// `fetch(token)` sends one list request — without a token when it gets
/// `None` — and returns the page with the token the server returned.
/// `first` is the token to start from (`None` for the beginning). The
/// listing ends at a page without a token or with an empty one.
///
/// See the [module docs](self) for the guards against misbehaving servers:
/// a token that repeats any token already sent is an error, and so are too
/// many empty pages in a row or more than [`MAX_PAGES`] pages.
pub fn token_pager<'a, T, F, Fut>(first: Option<String>, fetch: F) -> ResultStream<'a, T>
where
    T: Send + 'a,
    F: FnMut(Option<String>) -> Fut + Send + 'a,
    Fut: Future<Output = crate::Result<Page<T>>> + Send + 'a,
{
    cursor::cursor_stream(
        cursor::Style::Token,
        first.filter(|c| !c.is_empty()),
        fetch,
        Some,
        Limits::DEFAULT,
    )
}

/// Stream every item of a **marker** listing (OpenStack `marker`, Huawei
/// `marker`, OSS/COS/S3 v1 `ListObjects` `Marker`).
///
/// `fetch(marker)` sends one list request — without a marker when it gets
/// `None` — and returns the page with the marker for the next request,
/// which the provider derives from the response with [`next_marker`] (the
/// server's next marker, or the last key/id of a truncated page). `first` is
/// the marker to start after (`None` for the beginning). The listing ends at
/// a page whose next marker is `None` or empty.
///
/// Same guards as [`token_pager`]: a marker that repeats one already sent is
/// an error, never a loop.
pub fn marker_pager<'a, T, F, Fut>(first: Option<String>, fetch: F) -> ResultStream<'a, T>
where
    T: Send + 'a,
    F: FnMut(Option<String>) -> Fut + Send + 'a,
    Fut: Future<Output = crate::Result<Page<T>>> + Send + 'a,
{
    cursor::cursor_stream(
        cursor::Style::Marker,
        first.filter(|c| !c.is_empty()),
        fetch,
        Some,
        Limits::DEFAULT,
    )
}

/// Stream every item of a **next-link** listing (Azure Resource Manager:
/// `{"value": [...], "nextLink": "https://..."}`).
///
/// `fetch(url)` GETs one page — first `first_url`, then each `nextLink`
/// exactly as the server gave it (it already carries `api-version` and the
/// skip token) — and returns the page with the response's `nextLink`. The
/// listing ends at a page without a `nextLink`, or with an empty one.
///
/// A `nextLink` equal to any URL already fetched (the first one included)
/// is an error, never a loop; see the [module docs](self) for the other
/// guards.
pub fn next_link_pager<'a, T, F, Fut>(first_url: String, fetch: F) -> ResultStream<'a, T>
where
    T: Send + 'a,
    F: FnMut(String) -> Fut + Send + 'a,
    Fut: Future<Output = crate::Result<Page<T>>> + Send + 'a,
{
    cursor::cursor_stream(
        cursor::Style::NextLink,
        first_url,
        fetch,
        |url| url,
        Limits::DEFAULT,
    )
}

/// Stream every item of an **offset/limit** listing (Tencent `Offset` /
/// `Limit` with `TotalCount`, Huawei v1 `offset` / `limit` with `count`).
///
/// `fetch(offset, limit)` sends one list request for `limit` items starting
/// at item `offset` (0-based) and returns them with the total count. The
/// first page is fetched alone; once its total is known the remaining pages
/// are fetched up to `concurrency` at a time (`0` is taken as `1`) and
/// yielded in order. `page_size` should be the largest the API allows; a
/// `page_size` of 0 yields an [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument)
/// error.
///
/// See the [module docs](self) for what happens when the total changes, a
/// page comes back short, or the server caps the page size.
pub fn offset_pager<'a, T, F, Fut>(
    page_size: u32,
    concurrency: usize,
    mut fetch: F,
) -> ResultStream<'a, T>
where
    T: Send + 'a,
    F: FnMut(u64, u32) -> Fut + Send + 'a,
    Fut: Future<Output = crate::Result<CountedPage<T>>> + Send + 'a,
{
    counted::counted_stream(
        counted::Style::Offset,
        page_size,
        concurrency,
        // Page `k` of `size` items starts at item `k * size`; the size only
        // changes after page 0 (whose offset is 0 either way).
        move |page_index: u64, size: u32| fetch(page_index * u64::from(size), size),
        Limits::DEFAULT,
    )
}

/// Stream every item of a **page-number/page-size** listing (Alibaba ECS and
/// VPC `PageNumber` / `PageSize` with `TotalCount`).
///
/// `fetch(page_number, page_size)` sends one list request for page
/// `page_number` (1-based) of `page_size` items and returns it with the
/// total count. Paging, concurrency and the guards are exactly those of
/// [`offset_pager`]: page `n` holds items `(n - 1) * page_size ..
/// n * page_size`. When the server caps the page size below `page_size`,
/// later requests ask for the capped size so page numbers stay aligned.
pub fn page_number_pager<'a, T, F, Fut>(
    page_size: u32,
    concurrency: usize,
    mut fetch: F,
) -> ResultStream<'a, T>
where
    T: Send + 'a,
    F: FnMut(u32, u32) -> Fut + Send + 'a,
    Fut: Future<Output = crate::Result<CountedPage<T>>> + Send + 'a,
{
    counted::counted_stream(
        counted::Style::PageNumber,
        page_size,
        concurrency,
        // Page numbers stay below MAX_PAGES + 1, so they fit in a u32.
        move |page_index: u64, size: u32| {
            fetch(u32::try_from(page_index + 1).unwrap_or(u32::MAX), size)
        },
        Limits::DEFAULT,
    )
}

/// Fill in the context fields (provider, service, action, region, ...) that
/// are still empty on every error `stream` yields, from `ctx`; items pass
/// through untouched. Meant for a pager's own errors (a repeated cursor, a
/// gap), which cannot know which call they belong to.
pub fn with_error_context<'a, T: Send + 'a>(
    stream: ResultStream<'a, T>,
    ctx: ErrorContext,
) -> ResultStream<'a, T> {
    stream
        .map(move |r| r.map_err(|e| e.with_context_defaults(&ctx)))
        .boxed()
}
