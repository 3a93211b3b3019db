//! Marker/MaxItems pagination over the ordered in-memory maps.
//!
//! A listing walks a `BTreeMap` from just after the marker and stops after `MaxItems + 1`
//! matches, so a page costs O(page) plus skipped non-matches, never a sort of the table.
//! The marker is the last returned key, base64-encoded so clients treat it as opaque.

use std::collections::BTreeMap;
use std::ops::Bound;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::error::ApiResult;
use crate::state::NameKey;

pub const DEFAULT_MAX_ITEMS: usize = 100;

/// One page of results and the marker of the next page, if there is one.
#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_marker: Option<String>,
}

impl<T> Page<T> {
    pub fn is_truncated(&self) -> bool {
        self.next_marker.is_some()
    }
}

pub fn encode_marker(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(key)
}

pub fn decode_marker(marker: &str) -> ApiResult<String> {
    URL_SAFE_NO_PAD
        .decode(marker)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(crate::messages::invalid_marker)
}

pub fn max_items(requested: Option<i32>) -> usize {
    requested.and_then(|n| usize::try_from(n).ok()).filter(|&n| n > 0).unwrap_or(DEFAULT_MAX_ITEMS)
}

/// Pages through one account's entries of `map` whose value passes `keep`.
pub fn page<'a, T>(
    map: &'a BTreeMap<NameKey, T>,
    account: &str,
    marker: Option<&str>,
    max: Option<i32>,
    keep: impl Fn(&T) -> bool,
) -> ApiResult<Page<&'a T>> {
    let start = match marker {
        Some(m) => Bound::Excluded((account.to_owned(), decode_marker(m)?)),
        None => Bound::Included((account.to_owned(), String::new())),
    };
    let range = map.range((start, Bound::Unbounded)).take_while(|((a, _), _)| a == account);
    page_of(range.map(|((_, k), v)| (k.as_str(), v)), max, keep)
}

/// Pages through an already ordered sequence of (key, value).
pub fn page_of<'a, T: 'a>(
    entries: impl Iterator<Item = (&'a str, &'a T)>,
    max: Option<i32>,
    keep: impl Fn(&T) -> bool,
) -> ApiResult<Page<&'a T>> {
    let max = max_items(max);
    let mut items = Vec::new();
    let mut last = "";
    for (k, v) in entries.filter(|(_, v)| keep(v)) {
        if items.len() == max {
            return Ok(Page { items, next_marker: Some(encode_marker(last)) });
        }
        items.push(v);
        last = k;
    }
    Ok(Page { items, next_marker: None })
}

/// Pages through a plain slice (small per-entity lists: tags, keys, attached policies).
pub fn page_slice<T: Clone>(all: &[T], marker: Option<&str>, max: Option<i32>) -> ApiResult<Page<T>> {
    let (range, next_marker) = page_range(all.len(), marker, max)?;
    let items = all.get(range).map(<[T]>::to_vec).unwrap_or_default();
    Ok(Page { items, next_marker })
}

/// The positions of one page of a sequence of `total` items, computed from the marker alone
/// (it is the position of the page's first item), and the next page's marker: a page costs
/// O(page) whatever the position or the total, and the items need not exist beforehand.
pub fn page_range(total: usize, marker: Option<&str>, max: Option<i32>) -> ApiResult<(std::ops::Range<usize>, Option<String>)> {
    let start = match marker {
        Some(m) => decode_marker(m)?.parse::<usize>().map_err(|_| crate::messages::invalid_marker())?,
        None => 0,
    };
    let start = start.min(total);
    let end = start.saturating_add(max_items(max)).min(total);
    let next_marker = (end < total).then(|| encode_marker(&end.to_string()));
    Ok((start..end, next_marker))
}
