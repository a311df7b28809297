//! One scroll view for every list of frames: following the newest row, or
//! pinned where the user scrolled or selected, over any source of rows
//! named by keys that hold their place while rows arrive and old ones go
//! (a tab's sequence numbers, the merged timeline's keys). The frames pane
//! and the timeline are both this view.

/// Rows in order, each named by a key. A key that has gone (evicted,
/// filtered out) still finds its place: among the rows, it stands before
/// the first row whose key is greater.
pub trait RowSource {
    type Key: Copy + Ord;

    /// How many rows there are.
    fn len(&self) -> usize;

    /// Whether there are none.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Up to `count` keys just before `key` (the newest when `None`),
    /// oldest first.
    fn keys_before(&self, key: Option<Self::Key>, count: usize) -> Vec<Self::Key>;

    /// Up to `count` keys from `key` on, it included (from the oldest when
    /// `None`), oldest first.
    fn keys_from(&self, key: Option<Self::Key>, count: usize) -> Vec<Self::Key>;

    /// Up to `count` keys after `key`, oldest first.
    fn keys_after(&self, key: Self::Key, count: usize) -> Vec<Self::Key>;

    /// How many rows come after `key`.
    fn count_after(&self, key: Self::Key) -> usize;
}

/// Where a list is looking and what is selected, by key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScrollView<K> {
    /// `None` follows the newest row; `Some` pins the top row.
    pinned_top: Option<K>,
    selected: Option<K>,
    /// Rows the view can show; set from the terminal size.
    pub height: usize,
}

impl<K> Default for ScrollView<K> {
    fn default() -> Self {
        Self {
            pinned_top: None,
            selected: None,
            height: 10,
        }
    }
}

impl<K: Copy + Ord> ScrollView<K> {
    /// A view following the newest rows, `height` rows tall.
    pub fn new(height: usize) -> Self {
        Self {
            pinned_top: None,
            selected: None,
            height,
        }
    }

    /// Whether the view follows new rows.
    pub fn is_following(&self) -> bool {
        self.pinned_top.is_none()
    }

    /// The selected row's key.
    pub fn selected(&self) -> Option<K> {
        self.selected
    }

    fn rows_shown(&self) -> usize {
        self.height.max(1)
    }

    /// The rows shown, oldest first, read by `from` (rows from a key on)
    /// or `newest` (the newest rows): a source can hand back whole rows
    /// for drawing, not only their keys, in one pass.
    pub fn window<T>(&self, from: impl FnOnce(K, usize) -> Vec<T>, newest: impl FnOnce(usize) -> Vec<T>) -> Vec<T> {
        let count = self.rows_shown();
        if let Some(top) = self.pinned_top {
            let rows = from(top, count);
            if rows.len() == count {
                return rows;
            }
        }
        newest(count)
    }

    /// The keys of the rows shown, oldest first.
    pub fn shown<S: RowSource<Key = K>>(&self, source: &S) -> Vec<K> {
        self.window(
            |top, count| source.keys_from(Some(top), count),
            |count| source.keys_before(None, count),
        )
    }

    /// The top row shown.
    pub fn top<S: RowSource<Key = K>>(&self, source: &S) -> Option<K> {
        self.shown(source).first().copied()
    }

    /// Rows below the view: those that arrived while paused.
    pub fn below<S: RowSource<Key = K>>(&self, source: &S) -> usize {
        if self.is_following() {
            return 0;
        }
        self.shown(source).last().map_or(0, |last| source.count_after(*last))
    }

    /// Pins the view with `top` as its top row; at the bottom with nothing
    /// selected, it follows again.
    fn pin<S: RowSource<Key = K>>(&mut self, source: &S, top: Option<K>) {
        let at_bottom = source.keys_from(top, self.rows_shown() + 1).len() <= self.rows_shown();
        self.pinned_top = if at_bottom && self.selected.is_none() {
            None
        } else {
            top
        };
    }

    /// Scrolls by `delta` rows (negative is up, towards older rows).
    pub fn scroll<S: RowSource<Key = K>>(&mut self, source: &S, delta: i64) {
        let Some(top) = self.top(source) else { return };
        let steps = delta.unsigned_abs() as usize;
        let new_top = if delta < 0 {
            source.keys_before(Some(top), steps).first().copied().unwrap_or(top)
        } else {
            source.keys_after(top, steps).last().copied().unwrap_or(top)
        };
        self.pin(source, Some(new_top));
    }

    /// Moves the selection by `delta` rows, selecting the newest row first
    /// if nothing is selected, and keeps it in view. Selecting pauses.
    pub fn select_by<S: RowSource<Key = K>>(&mut self, source: &S, delta: i64) {
        let target = match self.selected {
            None => source.keys_before(None, 1).first().copied(),
            Some(current) if delta < 0 => source
                .keys_before(Some(current), delta.unsigned_abs() as usize)
                .first()
                .copied()
                .or(Some(current)),
            Some(current) => source
                .keys_after(current, delta as usize)
                .last()
                .copied()
                .or(Some(current)),
        };
        if let Some(key) = target {
            self.select(source, key);
        }
    }

    /// Selects the row with `key` (a search hit, a click) and brings it
    /// into view.
    pub fn select<S: RowSource<Key = K>>(&mut self, source: &S, key: K) {
        self.selected = Some(key);
        let shown = self.shown(source);
        let first = shown.first().copied();
        let last = shown.last().copied();
        let in_view = first.is_some_and(|first| first <= key) && last.is_some_and(|last| key <= last);
        if in_view {
            // Hold the view where it is, even at the bottom.
            self.pinned_top = first;
        } else if first.is_none_or(|first| key < first) {
            self.pinned_top = Some(key);
        } else {
            // The selection becomes the bottom row.
            let above = source.keys_before(Some(key), self.rows_shown() - 1);
            self.pinned_top = Some(above.first().copied().unwrap_or(key));
        }
    }

    /// Moves by whole pages: the selection if there is one, else the view.
    pub fn page<S: RowSource<Key = K>>(&mut self, source: &S, pages: i64) {
        let rows = pages * self.rows_shown() as i64;
        if self.selected.is_some() {
            self.select_by(source, rows);
        } else {
            self.scroll(source, rows);
        }
    }

    /// Jumps to the oldest row (selecting it if something is selected).
    pub fn jump_to_top<S: RowSource<Key = K>>(&mut self, source: &S) {
        let Some(first) = source.keys_from(None, 1).first().copied() else {
            return;
        };
        if self.selected.is_some() {
            self.selected = Some(first);
        }
        self.pinned_top = Some(first);
        if source.len() <= self.rows_shown() && self.selected.is_none() {
            self.pinned_top = None;
        }
    }

    /// Clears the selection, jumps to the newest row and follows.
    pub fn follow(&mut self) {
        self.pinned_top = None;
        self.selected = None;
    }

    /// Forgets the position, e.g. when the filter changes what is visible.
    pub fn reset(&mut self) {
        self.follow();
    }
}
