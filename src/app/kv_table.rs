//! State of the Params and Headers tables.

use crate::record::KvRow;
use crate::request::{RowProblem, validate_header};

/// Which table a row belongs to; headers get HTTP validation and masking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableKind {
    Params,
    Headers,
}

impl TableKind {
    /// Pane title.
    pub fn title(self) -> &'static str {
        match self {
            Self::Params => "Params",
            Self::Headers => "Headers",
        }
    }
}

/// A table of key/value rows with a selection.
#[derive(Debug, Clone)]
pub struct KvTable {
    pub kind: TableKind,
    pub rows: Vec<KvRow>,
    /// Index of the selected row; meaningless when `rows` is empty.
    pub selected: usize,
}

impl KvTable {
    /// A table holding `rows`, with the first selected.
    pub fn new(kind: TableKind, rows: Vec<KvRow>) -> Self {
        Self {
            kind,
            rows,
            selected: 0,
        }
    }

    /// The selected row, if any.
    pub fn selected_row(&self) -> Option<&KvRow> {
        self.rows.get(self.selected)
    }

    /// Moves the selection by `delta`, staying within the table.
    pub fn move_selection(&mut self, delta: isize) {
        if self.rows.is_empty() {
            return;
        }
        let last = self.rows.len() - 1;
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }

    /// Flips the selected row's enabled flag.
    pub fn toggle_selected(&mut self) {
        if let Some(row) = self.rows.get_mut(self.selected) {
            row.enabled = !row.enabled;
        }
    }

    /// Removes the selected row and returns it.
    pub fn delete_selected(&mut self) -> Option<KvRow> {
        if self.selected >= self.rows.len() {
            return None;
        }
        let row = self.rows.remove(self.selected);
        self.selected = self.selected.min(self.rows.len().saturating_sub(1));
        Some(row)
    }

    /// Puts `row` at `index` (replacing) or appends it, and selects it.
    pub fn upsert(&mut self, index: Option<usize>, row: KvRow) {
        match index.filter(|i| *i < self.rows.len()) {
            Some(i) => {
                self.rows[i] = row;
                self.selected = i;
            }
            None => {
                self.rows.push(row);
                self.selected = self.rows.len() - 1;
            }
        }
    }

    /// Rows that are enabled.
    pub fn enabled_count(&self) -> usize {
        self.rows.iter().filter(|r| r.enabled).count()
    }

    /// What is wrong with the row at `index` (0-based), checked as it would be on connect.
    pub fn problem(&self, index: usize) -> Option<RowProblem> {
        let row = self.rows.get(index)?;
        row_problem(self.kind, index + 1, row)
    }
}

/// What is wrong with `row`, if anything, for a table of `kind`. Disabled
/// rows are never sent, so they are never wrong.
pub fn row_problem(kind: TableKind, row_number: usize, row: &KvRow) -> Option<RowProblem> {
    if !row.enabled || (row.key.trim().is_empty() && row.value.is_empty()) {
        return None;
    }
    match kind {
        TableKind::Params => row
            .key
            .trim()
            .is_empty()
            .then_some(RowProblem::MissingName { row: row_number }),
        TableKind::Headers => validate_header(row_number, row).err(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> KvTable {
        KvTable::new(
            TableKind::Headers,
            vec![KvRow::new("a", "1"), KvRow::new("b c", "2"), KvRow::new("d", "3")],
        )
    }

    #[test]
    fn selection_stays_in_bounds() {
        let mut t = table();
        t.move_selection(-1);
        assert_eq!(t.selected, 0);
        t.move_selection(10);
        assert_eq!(t.selected, 2);
        t.delete_selected();
        assert_eq!((t.selected, t.rows.len()), (1, 2));
        t.delete_selected();
        t.delete_selected();
        assert!(t.delete_selected().is_none());
        t.move_selection(1);
        assert_eq!(t.selected, 0);
    }

    #[test]
    fn problems_follow_the_enabled_flag() {
        let mut t = table();
        assert!(t.problem(0).is_none());
        assert!(matches!(t.problem(1), Some(RowProblem::BadHeaderName { row: 2, .. })));
        t.selected = 1;
        t.toggle_selected();
        assert!(t.problem(1).is_none());
        assert_eq!(t.enabled_count(), 2);
    }

    #[test]
    fn upsert_replaces_or_appends() {
        let mut t = table();
        t.upsert(Some(0), KvRow::new("x", "y"));
        assert_eq!(t.rows[0].key, "x");
        t.upsert(None, KvRow::new("z", ""));
        assert_eq!((t.rows.len(), t.selected), (4, 3));
    }
}
