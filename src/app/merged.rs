//! The merged timeline's order and its view: every tab's visible rows
//! interleaved by arrival time, read straight from the tabs' logs.
//!
//! A row is named by its key (when it took its place in its tab's log,
//! tab place, sequence number),
//! so a paused view and a selection hold their place while frames keep
//! arriving in any tab, and while old ones are evicted. Finding where a
//! key falls in a tab is a binary search of that tab's visible rows, so
//! moving, paging and drawing cost the same with ten frames held as with
//! a million, whatever the number of tabs.

use std::time::SystemTime;

use super::filtering::Search;
use super::frames_view::Visible;
use super::scroll::{RowSource, ScrollView};
use crate::frames::LogEntry;

/// Where a row stands in the merged order: by when it took its place in
/// its tab's log (its time, never earlier than the row before it), so a
/// tab's rows keep their order; rows placed alike keep tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RowKey {
    pub at: SystemTime,
    /// The tab's place in tab order (0 is the first tab).
    pub place: usize,
    pub seq: u64,
}

/// One tab's rows as the timeline reads them: all of them, or those its
/// filter passes.
#[derive(Clone, Copy)]
pub struct Lane<'a> {
    pub place: usize,
    pub visible: Visible<'a>,
}

/// One row of the merged timeline.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    pub key: RowKey,
    pub entry: &'a LogEntry,
}

impl<'a> Lane<'a> {
    fn row(&self, pos: usize) -> Option<Row<'a>> {
        let seq = self.visible.seq(pos)?;
        let entry = self.visible.entry(seq)?;
        Some(Row {
            key: RowKey {
                at: self.visible.log.placed_at(seq)?,
                place: self.place,
                seq,
            },
            entry,
        })
    }

    /// The first position whose row comes after `key` (or is it, unless
    /// `exclusive`). A key of this lane is placed by its sequence number,
    /// exactly; another lane's by a binary search on time (a lane's keys
    /// never decrease).
    fn bound(&self, key: RowKey, exclusive: bool) -> usize {
        if key.place == self.place {
            return self.visible.pos(if exclusive { key.seq + 1 } else { key.seq });
        }
        let (mut low, mut high) = (0, self.visible.len());
        while low < high {
            let middle = low + (high - low) / 2;
            match self.row(middle) {
                Some(row) if row.key < key => low = middle + 1,
                _ => high = middle,
            }
        }
        low
    }
}

/// Every lane's rows in one order.
pub struct Merged<'a> {
    lanes: Vec<Lane<'a>>,
}

impl<'a> Merged<'a> {
    pub fn new(lanes: Vec<Lane<'a>>) -> Self {
        Self { lanes }
    }

    /// How many rows there are in all.
    pub fn len(&self) -> usize {
        self.lanes.iter().map(|lane| lane.visible.len()).sum()
    }

    /// Whether there is nothing to show.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many rows the lanes hold before each one's `stop`, merged and
    /// cut to the `count` newest.
    fn newest_before(&self, stops: impl Fn(&Lane) -> usize, count: usize) -> Vec<Row<'a>> {
        let mut rows = Vec::new();
        for lane in &self.lanes {
            let stop = stops(lane);
            rows.extend((stop.saturating_sub(count)..stop).filter_map(|pos| lane.row(pos)));
        }
        rows.sort_by_key(|row| row.key);
        rows.drain(..rows.len().saturating_sub(count));
        rows
    }

    fn oldest_from(&self, starts: impl Fn(&Lane) -> usize, count: usize) -> Vec<Row<'a>> {
        let mut rows = Vec::new();
        for lane in &self.lanes {
            let start = starts(lane);
            let end = start.saturating_add(count).min(lane.visible.len());
            rows.extend((start..end).filter_map(|pos| lane.row(pos)));
        }
        rows.sort_by_key(|row| row.key);
        rows.truncate(count);
        rows
    }

    /// Up to `count` rows just before `key` (the newest rows when `None`),
    /// oldest first.
    pub fn before(&self, key: Option<RowKey>, count: usize) -> Vec<Row<'a>> {
        self.newest_before(
            |lane| key.map_or(lane.visible.len(), |key| lane.bound(key, false)),
            count,
        )
    }

    /// Up to `count` rows from `key` on, it included (from the oldest
    /// when `None`), oldest first.
    pub fn from(&self, key: Option<RowKey>, count: usize) -> Vec<Row<'a>> {
        self.oldest_from(|lane| key.map_or(0, |key| lane.bound(key, false)), count)
    }

    /// Up to `count` rows after `key`, oldest first.
    pub fn after(&self, key: RowKey, count: usize) -> Vec<Row<'a>> {
        self.oldest_from(|lane| lane.bound(key, true), count)
    }

    /// How many rows come after `key`.
    pub fn count_after(&self, key: RowKey) -> usize {
        self.lanes
            .iter()
            .map(|lane| lane.visible.len() - lane.bound(key, true).min(lane.visible.len()))
            .sum()
    }

    /// Every row, oldest first (for exports).
    pub fn all(&self) -> Vec<Row<'a>> {
        self.from(None, self.len())
    }
}

/// The merged rows as a source for the scroll view, by key.
impl RowSource for Merged<'_> {
    type Key = RowKey;

    fn len(&self) -> usize {
        Merged::len(self)
    }

    fn keys_before(&self, key: Option<RowKey>, count: usize) -> Vec<RowKey> {
        self.before(key, count).into_iter().map(|row| row.key).collect()
    }

    fn keys_from(&self, key: Option<RowKey>, count: usize) -> Vec<RowKey> {
        self.from(key, count).into_iter().map(|row| row.key).collect()
    }

    fn keys_after(&self, key: RowKey, count: usize) -> Vec<RowKey> {
        self.after(key, count).into_iter().map(|row| row.key).collect()
    }

    fn count_after(&self, key: RowKey) -> usize {
        Merged::count_after(self, key)
    }
}

/// The merged timeline's view: the scroll view every list of frames has,
/// and a search over the rows.
#[derive(Debug, Clone, Default)]
pub struct TimelineView {
    pub scroll: ScrollView<RowKey>,
    /// A search over the timeline's rows, stepped with n / N.
    pub search: Option<Search>,
}

/// How many rows a search reads at a time.
const SEARCH_CHUNK: usize = 512;

impl TimelineView {
    /// A view following the newest rows, `height` rows tall.
    pub fn new(height: usize) -> Self {
        Self {
            scroll: ScrollView::new(height),
            search: None,
        }
    }

    /// The rows shown, oldest first.
    pub fn rows<'a>(&self, merged: &Merged<'a>) -> Vec<Row<'a>> {
        self.scroll.window(
            |top, count| merged.from(Some(top), count),
            |count| merged.before(None, count),
        )
    }

    /// The next row (or previous, going back) that `wanted` accepts,
    /// after the selection or from the newest end when none is selected.
    pub fn find<'a>(&self, merged: &Merged<'a>, forward: bool, wanted: impl Fn(&Row) -> bool) -> Option<RowKey> {
        let mut cursor = self.scroll.selected();
        if forward && cursor.is_none() {
            // From the oldest, the first row included.
            let first = merged.from(None, 1).first().copied()?;
            if wanted(&first) {
                return Some(first.key);
            }
            cursor = Some(first.key);
        }
        loop {
            let chunk = match (forward, cursor) {
                (true, Some(key)) => merged.after(key, SEARCH_CHUNK),
                (false, key) => merged.before(key, SEARCH_CHUNK),
                (true, None) => return None,
            };
            let hit = if forward {
                chunk.iter().find(|row| wanted(row))
            } else {
                chunk.iter().rev().find(|row| wanted(row))
            };
            if let Some(row) = hit {
                return Some(row.key);
            }
            cursor = Some(if forward { chunk.last()?.key } else { chunk.first()?.key });
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;
    use crate::frames::{FrameLog, NoteLevel};

    fn log(stamps: &[u64]) -> FrameLog {
        let mut log = FrameLog::new(1000, usize::MAX);
        for &ms in stamps {
            log.push_note_at(UNIX_EPOCH + Duration::from_millis(ms), NoteLevel::Info, format!("{ms}"));
        }
        log
    }

    fn merged<'a>(logs: &'a [FrameLog]) -> Merged<'a> {
        Merged::new(
            logs.iter()
                .enumerate()
                .map(|(place, log)| Lane {
                    place,
                    visible: Visible { log, matches: None },
                })
                .collect(),
        )
    }

    fn texts(rows: &[Row]) -> Vec<String> {
        rows.iter()
            .map(|row| match row.entry {
                LogEntry::Note { text, .. } => format!("{}:{text}", row.key.place),
                LogEntry::Frame(_) => String::new(),
            })
            .collect()
    }

    #[test]
    fn rows_interleave_by_time_and_ties_keep_tab_order() {
        let logs = [log(&[1, 4, 5, 9]), log(&[2, 4, 8])];
        let all = merged(&logs);
        assert_eq!(texts(&all.all()), ["0:1", "1:2", "0:4", "1:4", "0:5", "1:8", "0:9"]);
        assert_eq!(texts(&all.before(None, 3)), ["0:5", "1:8", "0:9"]);
        let key = all.all()[3].key;
        assert_eq!(texts(&all.before(Some(key), 2)), ["1:2", "0:4"]);
        assert_eq!(texts(&all.after(key, 2)), ["0:5", "1:8"]);
        assert_eq!(texts(&all.from(Some(key), 2)), ["1:4", "0:5"]);
        assert_eq!(all.count_after(key), 3);
    }

    #[test]
    fn a_paused_view_holds_its_rows_while_any_tab_grows() {
        let mut logs = [log(&[1, 3, 5, 7]), log(&[2, 4, 6, 8])];
        let mut view = TimelineView::new(3);
        view.scroll.scroll(&merged(&logs), -2);
        assert_eq!(texts(&view.rows(&merged(&logs))), ["1:4", "0:5", "1:6"]);
        assert_eq!(view.scroll.below(&merged(&logs)), 2);
        logs[0].push_note_at(UNIX_EPOCH + Duration::from_millis(9), NoteLevel::Info, "9");
        assert_eq!(texts(&view.rows(&merged(&logs))), ["1:4", "0:5", "1:6"]);
        assert_eq!(view.scroll.below(&merged(&logs)), 3);
        view.scroll.scroll(&merged(&logs), 10);
        assert!(view.scroll.is_following(), "scrolled to the bottom, it follows again");
    }

    #[test]
    fn the_selection_walks_every_row_once_in_order() {
        let logs = [log(&[1, 4, 5, 9]), log(&[2, 4, 8]), log(&[3])];
        let all = merged(&logs);
        let mut view = TimelineView::new(2);
        view.scroll.select(&all, all.from(None, 1)[0].key);
        let mut seen = Vec::new();
        loop {
            let key = view.scroll.selected().unwrap();
            seen.push(key);
            let shown: Vec<RowKey> = view.rows(&all).iter().map(|row| row.key).collect();
            assert!(shown.contains(&key), "the selection stays in view");
            view.scroll.select_by(&all, 1);
            if view.scroll.selected() == Some(key) {
                break;
            }
        }
        let expected: Vec<RowKey> = all.all().iter().map(|row| row.key).collect();
        assert_eq!(seen, expected);
        view.scroll.page(&all, -1);
        assert_eq!(view.scroll.selected(), Some(expected[expected.len() - 3]));
    }

    #[test]
    fn search_finds_rows_in_either_direction_across_chunks() {
        let stamps: Vec<u64> = (0..2_000).collect();
        let logs = [log(&stamps), log(&[500, 1_500])];
        let all = merged(&logs);
        let mut view = TimelineView::default();
        let is = |text: &'static str| {
            move |row: &Row| matches!(row.entry, LogEntry::Note { text: t, .. } if t == text) && row.key.place == 1
        };
        let first = view.find(&all, true, is("500")).unwrap();
        assert_eq!((first.place, first.seq), (1, 0));
        view.scroll.select(&all, first);
        let next = view.find(&all, true, is("1500")).unwrap();
        assert_eq!((next.place, next.seq), (1, 1));
        view.scroll.follow();
        assert_eq!(
            view.find(&all, false, is("500")),
            Some(first),
            "backwards from the newest"
        );
        assert_eq!(view.find(&all, true, is("none")), None);
    }
}
