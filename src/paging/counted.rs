//! The counted pagers' engine: offset/limit and page-number/page-size
//! listings, which report a total and so can be fetched concurrently.
//!
//! The engine works in page indexes (0-based) and page sizes; the public
//! wrappers turn an index into an offset or a 1-based page number.

use std::collections::VecDeque;
use std::future::Future;

use futures::stream::{self, FuturesOrdered, StreamExt};

use super::{CountedPage, Limits};
use crate::{Error, ErrorKind, ResultStream};

/// Which counted style a stream pages with (for messages and logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// Offset/limit.
    Offset,
    /// Page number/page size.
    PageNumber,
}

impl Style {
    fn pager(self) -> &'static str {
        match self {
            Style::Offset => "offset pager",
            Style::PageNumber => "page-number pager",
        }
    }

    /// How a page is named in messages.
    fn page_name(self, index: u64, size: u32) -> String {
        match self {
            Style::Offset => format!("page at offset {}", index * u64::from(size)),
            Style::PageNumber => format!("page {}", index + 1),
        }
    }
}

/// The state of one counted listing, moved through `stream::unfold`.
struct State<T, F, Fut: Future> {
    style: Style,
    fetch: F,
    /// Page size the caller asked for.
    asked_size: u32,
    /// Page size in use: `asked_size`, or the server's smaller cap.
    size: u32,
    concurrency: usize,
    /// Latest total count reported, pages taken in order.
    total: Option<u64>,
    /// Index of the next page to request.
    next_launch: u64,
    /// Pages below this index are planned (known to be needed).
    planned_end: u64,
    /// Requests in flight, completing in request order.
    in_flight: FuturesOrdered<Fut>,
    /// (page index, page size asked) of each request in `in_flight`.
    launched: VecDeque<(u64, u32)>,
    /// Items of the current page not yet yielded.
    buffer: std::vec::IntoIter<T>,
    /// An error to yield once `buffer` is drained; it ends the stream.
    pending_error: Option<Error>,
    /// No page will be requested or taken any more.
    done: bool,
    limits: Limits,
}

impl<T, F, Fut> State<T, F, Fut>
where
    F: FnMut(u64, u32) -> Fut,
    Fut: Future<Output = crate::Result<CountedPage<T>>>,
{
    /// The next item, error, or `None` at the end.
    async fn next_item(&mut self) -> Option<crate::Result<T>> {
        loop {
            if let Some(item) = self.buffer.next() {
                return Some(Ok(item));
            }
            if let Some(e) = self.pending_error.take() {
                return Some(Err(e));
            }
            if self.done {
                return None;
            }
            // Only now, with the previous page fully consumed, are more
            // requests started: the stream stays lazy.
            while self.in_flight.len() < self.concurrency && self.next_launch < self.planned_end {
                let index = self.next_launch;
                self.next_launch += 1;
                self.in_flight.push_back((self.fetch)(index, self.size));
                self.launched.push_back((index, self.size));
            }
            let result = self.in_flight.next().await;
            let (Some(result), Some((index, size))) = (result, self.launched.pop_front()) else {
                // Every accepted page either ends the listing or plans the
                // next one, so this is a bug in this module, not the server.
                self.finish();
                return Some(Err(Error::new(
                    ErrorKind::Other,
                    format!("{}: no page planned (internal error)", self.style.pager()),
                )));
            };
            match result {
                Ok(page) => self.accept(index, size, page),
                Err(e) => {
                    self.finish();
                    return Some(Err(e));
                }
            }
        }
    }

    /// Take page `index` (asked with `size` items): buffer its items and
    /// decide whether the listing goes on.
    fn accept(&mut self, index: u64, size: u32, page: CountedPage<T>) {
        let pager = self.style.pager();
        let got = page.items.len() as u64;
        if got > u64::from(size) {
            self.fail(format!(
                "{pager}: the {} returned {got} items, more than the {size} asked for",
                self.style.page_name(index, size)
            ));
            return;
        }
        if page.total.is_some() {
            self.total = page.total;
        }
        if index == 0 {
            if let Some(total) = self.total {
                if got > 0 && got < u64::from(size) && total > got {
                    // The server caps the page size below the one asked:
                    // page by its size so that no item is skipped. `got` is
                    // below `size`, a u32.
                    self.size = u32::try_from(got).unwrap_or(size);
                    tracing::warn!(
                        pager,
                        asked = self.asked_size,
                        got,
                        total,
                        "the server returned a short first page; paging by its page size"
                    );
                }
            }
        }
        let size = self.size;
        let reached = index * u64::from(size) + got;
        tracing::trace!(pager, page = index, items = got, total = ?self.total, "fetched page");
        self.buffer = page.items.into_iter();
        match self.total {
            Some(total) if reached >= total => self.finish(),
            Some(total) if got < u64::from(size) => {
                self.fail(format!(
                    "{pager}: the {} returned {got} items, fewer than the page size {size}, \
                     but the server reports {total} items in total; stopping rather than \
                     leave a gap",
                    self.style.page_name(index, size)
                ));
            }
            Some(total) => {
                self.planned_end = total.div_ceil(u64::from(size)).min(self.limits.max_pages);
                self.need_page(index + 1);
            }
            None if got < u64::from(size) => self.finish(),
            None => {
                self.planned_end = self.planned_end.max(index + 2).min(self.limits.max_pages);
                self.need_page(index + 1);
            }
        }
    }

    /// Page `index` is needed: fail if it is beyond the safety cap.
    fn need_page(&mut self, index: u64) {
        if index >= self.planned_end {
            self.fail(format!(
                "{}: the listing did not end after {} pages; stopping at the safety cap",
                self.style.pager(),
                self.limits.max_pages
            ));
        }
    }

    /// End with an error once the buffered items are yielded.
    fn fail(&mut self, message: String) {
        self.pending_error = Some(Error::decode(message));
        self.finish();
    }

    /// Request nothing more and drop the requests in flight.
    fn finish(&mut self) {
        self.done = true;
        self.in_flight = FuturesOrdered::new();
        self.launched.clear();
    }
}

/// A counted listing's stream; `fetch(page_index, page_size)` fetches the
/// 0-based page `page_index` of `page_size` items.
pub(crate) fn counted_stream<'a, T, F, Fut>(
    style: Style,
    page_size: u32,
    concurrency: usize,
    fetch: F,
    limits: Limits,
) -> ResultStream<'a, T>
where
    T: Send + 'a,
    F: FnMut(u64, u32) -> Fut + Send + 'a,
    Fut: Future<Output = crate::Result<CountedPage<T>>> + Send + 'a,
{
    if page_size == 0 {
        let e = Error::invalid_argument(format!("{}: page size must be at least 1", style.pager()));
        return stream::once(async move { Err(e) }).boxed();
    }
    let state = State {
        style,
        fetch,
        asked_size: page_size,
        size: page_size,
        concurrency: concurrency.max(1),
        total: None,
        next_launch: 0,
        // The first page is fetched alone: its total plans the rest.
        planned_end: 1.min(limits.max_pages),
        in_flight: FuturesOrdered::new(),
        launched: VecDeque::new(),
        buffer: Vec::new().into_iter(),
        pending_error: None,
        done: false,
        limits,
    };
    stream::unfold(state, |mut state| async move {
        let item = state.next_item().await?;
        Some((item, state))
    })
    // Fused: polling again after the end keeps returning `None`.
    .fuse()
    .boxed()
}
