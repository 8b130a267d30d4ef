//! Parsing with errors that name the line and the key path.
//!
//! The text is parsed twice: once into toml's spanned document tree (for
//! positions), once into [`AccountsFile`]. A serde error's byte span is
//! mapped to the deepest key whose key or value covers it; a validation
//! issue's key path is mapped back to the line of that key. Only toml's
//! `message()` is used, never its `Display` (which quotes the source line,
//! and so could quote a secret).

use std::ops::Range;

use toml::de::{DeTable, DeValue};

use super::AccountsFile;
use super::validate::{self, KeyPath, Seg};
use crate::error::{Error, Result};

/// Parse and validate `text`; `origin` names it in errors.
pub(super) fn parse(text: &str, origin: &str) -> Result<AccountsFile> {
    let doc = match DeTable::parse(text) {
        Ok(doc) => doc,
        Err(e) => {
            let line = e.span().map(|s| line_of(text, s.start));
            return Err(Error::config(render(
                origin,
                line,
                &KeyPath::default(),
                e.message(),
            )));
        }
    };
    let file: AccountsFile = match toml::from_str(text) {
        Ok(f) => f,
        Err(e) => {
            let (line, path) = match e.span() {
                Some(s) => (
                    Some(line_of(text, s.start)),
                    path_at(doc.get_ref(), s.start),
                ),
                None => (None, KeyPath::default()),
            };
            return Err(Error::config(render(origin, line, &path, e.message())));
        }
    };
    let issues = validate::file(&file);
    if issues.is_empty() {
        return Ok(file);
    }
    let lines: Vec<String> = issues
        .iter()
        .map(|i| {
            let line = span_of(doc.get_ref(), &i.path.0).map(|s| line_of(text, s.start));
            render(origin, line, &i.path, &i.message)
        })
        .collect();
    Err(Error::config(lines.join("\n")))
}

fn render(origin: &str, line: Option<usize>, path: &KeyPath, message: &str) -> String {
    let mut s = origin.to_string();
    if let Some(l) = line {
        s.push_str(&format!(" line {l}"));
    }
    s.push_str(": ");
    if !path.0.is_empty() {
        s.push_str(&format!("{path}: "));
    }
    s.push_str(message.trim_end());
    s
}

/// 1-based line of a byte offset.
pub(super) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn covers(span: &Range<usize>, pos: usize) -> bool {
    span.start <= pos && (pos < span.end || span.start == span.end)
}

/// The deepest key path whose key or value covers byte `pos`.
fn path_at(root: &DeTable<'_>, pos: usize) -> KeyPath {
    let mut best = Vec::new();
    let mut cur = Vec::new();
    walk_table(root, pos, &mut cur, &mut best);
    KeyPath(best)
}

fn walk_table(t: &DeTable<'_>, pos: usize, cur: &mut Vec<Seg>, best: &mut Vec<Seg>) {
    for (k, v) in t.iter() {
        cur.push(Seg::Key(k.get_ref().to_string()));
        if (covers(&k.span(), pos) || covers(&v.span(), pos)) && cur.len() > best.len() {
            best.clone_from(cur);
        }
        walk_value(v.get_ref(), pos, cur, best);
        cur.pop();
    }
}

fn walk_value(v: &DeValue<'_>, pos: usize, cur: &mut Vec<Seg>, best: &mut Vec<Seg>) {
    match v {
        DeValue::Table(t) => walk_table(t, pos, cur, best),
        DeValue::Array(a) => {
            for (i, item) in a.iter().enumerate() {
                cur.push(Seg::Index(i));
                if covers(&item.span(), pos) && cur.len() > best.len() {
                    best.clone_from(cur);
                }
                walk_value(item.get_ref(), pos, cur, best);
                cur.pop();
            }
        }
        _ => {}
    }
}

/// The span of the deepest existing prefix of `path` (a key's own span for
/// a key, the item's span for an index).
fn span_of(root: &DeTable<'_>, path: &[Seg]) -> Option<Range<usize>> {
    let mut found = None;
    let mut table = Some(root);
    let mut value: Option<&DeValue<'_>> = None;
    for seg in path {
        match seg {
            Seg::Key(k) => {
                let t = match (table, value) {
                    (Some(t), _) => t,
                    (None, Some(DeValue::Table(t))) => t,
                    _ => break,
                };
                let Some((key, v)) = t.iter().find(|(key, _)| key.get_ref() == k) else {
                    break;
                };
                found = Some(key.span());
                table = None;
                value = Some(v.get_ref());
            }
            Seg::Index(i) => {
                let Some(DeValue::Array(a)) = value else {
                    break;
                };
                let Some(item) = a.get(*i) else { break };
                found = Some(item.span());
                table = None;
                value = Some(item.get_ref());
            }
        }
    }
    found
}
