//! The cursor pagers' engine: token, marker and next-link styles differ only
//! in what the request takes and what the error messages call the cursor.

use std::collections::HashSet;
use std::future::Future;
use std::hash::{BuildHasher, RandomState};

use futures::stream::{self, StreamExt};

use super::{Limits, Page};
use crate::{Error, ResultStream};

/// Which cursor style a stream pages with (for messages and logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// Opaque next token.
    Token,
    /// Marker: last key/id or the server's next marker.
    Marker,
    /// Full URL of the next page.
    NextLink,
}

impl Style {
    fn pager(self) -> &'static str {
        match self {
            Style::Token => "token pager",
            Style::Marker => "marker pager",
            Style::NextLink => "next-link pager",
        }
    }

    fn cursor(self) -> &'static str {
        match self {
            Style::Token => "next token",
            Style::Marker => "next marker",
            Style::NextLink => "nextLink",
        }
    }
}

/// At most this many characters of a cursor go into an error message.
const SHOWN_CURSOR_CHARS: usize = 80;

/// A cursor shortened for an error message.
pub(crate) fn shown(cursor: &str) -> String {
    let mut out: String = cursor.chars().take(SHOWN_CURSOR_CHARS).collect();
    if out.len() < cursor.len() {
        out.push('…');
    }
    out
}

/// The state of one cursor listing, moved through `stream::unfold`.
struct State<T, R, F> {
    style: Style,
    fetch: F,
    /// Builds the next request from a cursor the server returned.
    to_request: fn(String) -> R,
    /// The next request to send; `None` once the listing has ended.
    next_request: Option<R>,
    /// Hashes of every cursor sent so far.
    seen: HashSet<u64>,
    hasher: RandomState,
    /// Pages fetched so far.
    pages: u64,
    /// Empty pages in a row, ending with the last one fetched.
    empty_run: u64,
    /// Items of the current page not yet yielded.
    buffer: std::vec::IntoIter<T>,
    /// An error to yield once `buffer` is drained; it ends the stream.
    pending_error: Option<Error>,
    limits: Limits,
}

impl<T, R, F, Fut> State<T, R, F>
where
    F: FnMut(R) -> Fut,
    Fut: Future<Output = crate::Result<Page<T>>>,
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
            let request = self.next_request.take()?;
            if self.pages >= self.limits.max_pages {
                return Some(Err(Error::decode(format!(
                    "{}: the listing did not end after {} pages; stopping at the safety cap",
                    self.style.pager(),
                    self.limits.max_pages
                ))));
            }
            self.pages += 1;
            // On error `next_request` stays `None`, so the error ends the stream.
            let page = match (self.fetch)(request).await {
                Ok(page) => page,
                Err(e) => return Some(Err(e)),
            };
            let empty = page.items.is_empty();
            self.buffer = page.items.into_iter();
            tracing::trace!(
                pager = self.style.pager(),
                page = self.pages,
                items = self.buffer.len(),
                "fetched page"
            );
            let Some(cursor) = page.next.filter(|c| !c.is_empty()) else {
                continue; // last page: yield its items, then end
            };
            self.empty_run = if empty { self.empty_run + 1 } else { 0 };
            if !self.seen.insert(self.hasher.hash_one(&cursor)) {
                self.pending_error = Some(Error::decode(format!(
                    "{}: the server returned {} `{}` after page {}, but it was already used in this \
                     listing; stopping instead of looping",
                    self.style.pager(),
                    self.style.cursor(),
                    shown(&cursor),
                    self.pages
                )));
            } else if self.empty_run > self.limits.max_empty_run {
                self.pending_error = Some(Error::decode(format!(
                    "{}: {} empty pages in a row that still carry a {}; stopping",
                    self.style.pager(),
                    self.empty_run,
                    self.style.cursor()
                )));
            } else {
                self.next_request = Some((self.to_request)(cursor));
            }
        }
    }
}

/// A cursor listing's stream. `first` is the first request; `to_request`
/// turns each cursor the server returns into the next request. The first
/// request's cursor (if any) counts as already used.
pub(crate) fn cursor_stream<'a, T, R, F, Fut>(
    style: Style,
    first: R,
    fetch: F,
    to_request: fn(String) -> R,
    limits: Limits,
) -> ResultStream<'a, T>
where
    T: Send + 'a,
    R: FirstCursor + Send + 'a,
    F: FnMut(R) -> Fut + Send + 'a,
    Fut: Future<Output = crate::Result<Page<T>>> + Send + 'a,
{
    let hasher = RandomState::new();
    let mut seen = HashSet::new();
    if let Some(c) = first.cursor() {
        seen.insert(hasher.hash_one(c));
    }
    let state = State {
        style,
        fetch,
        to_request,
        next_request: Some(first),
        seen,
        hasher,
        pages: 0,
        empty_run: 0,
        buffer: Vec::new().into_iter(),
        pending_error: None,
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

/// The cursor carried by a first request, so that a server sending it back
/// is caught as a repeat.
pub(crate) trait FirstCursor {
    /// The cursor, if the request has one.
    fn cursor(&self) -> Option<&str>;
}

impl FirstCursor for Option<String> {
    fn cursor(&self) -> Option<&str> {
        self.as_deref().filter(|c| !c.is_empty())
    }
}

impl FirstCursor for String {
    fn cursor(&self) -> Option<&str> {
        Some(self.as_str())
    }
}
