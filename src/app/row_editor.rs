//! The small form that edits one params or headers row.

use ratatui_textarea::TextArea;

use super::kv_table::{TableKind, row_problem};
use crate::record::KvRow;
use crate::request::RowProblem;

/// The editable fields, in Tab order.
pub const FIELD_NAMES: [&str; 3] = ["Key", "Value", "Description"];

/// An open row editor.
#[derive(Debug, Clone)]
pub struct RowEditor {
    pub table: TableKind,
    /// The row being edited, or `None` for a new row.
    pub index: Option<usize>,
    /// Kept from the original row; the editor does not change it.
    enabled: bool,
    pub fields: [TextArea<'static>; 3],
    /// Index into `fields` of the field with the cursor.
    pub active: usize,
}

fn single_line(text: &str) -> TextArea<'static> {
    let mut area = TextArea::new(vec![text.to_string()]);
    area.set_cursor_line_style(ratatui::style::Style::new());
    area.move_cursor(ratatui_textarea::CursorMove::End);
    area
}

impl RowEditor {
    /// Opens an editor on `row` (at `index`), or on a blank new row.
    pub fn new(table: TableKind, index: Option<usize>, row: Option<&KvRow>) -> Self {
        let blank = KvRow {
            enabled: true,
            ..KvRow::default()
        };
        let row = row.unwrap_or(&blank);
        Self {
            table,
            index,
            enabled: row.enabled,
            fields: [
                single_line(&row.key),
                single_line(&row.value),
                single_line(&row.description),
            ],
            active: 0,
        }
    }

    /// Moves to the next (or, with `back`, previous) field, wrapping.
    pub fn cycle(&mut self, back: bool) {
        let n = self.fields.len();
        self.active = if back {
            (self.active + n - 1) % n
        } else {
            (self.active + 1) % n
        };
    }

    /// Shows the cursor in the active field only.
    pub fn sync_cursors(&mut self) {
        for (index, field) in self.fields.iter_mut().enumerate() {
            super::show_cursor(field, index == self.active);
        }
    }

    /// The field with the cursor.
    pub fn active_field(&mut self) -> &mut TextArea<'static> {
        &mut self.fields[self.active]
    }

    fn text(&self, field: usize) -> String {
        self.fields[field].lines().join("")
    }

    /// The row as it stands in the editor.
    pub fn row(&self) -> KvRow {
        KvRow {
            enabled: self.enabled,
            key: self.text(0),
            value: self.text(1),
            description: self.text(2),
        }
    }

    /// What would be wrong with the row if kept now.
    pub fn problem(&self) -> Option<RowProblem> {
        row_problem(self.table, self.index.map_or(0, |i| i + 1), &self.row())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_round_trip_and_validate() {
        let original = KvRow {
            enabled: false,
            key: "api-key".into(),
            value: "s3cret".into(),
            description: "auth".into(),
        };
        let mut editor = RowEditor::new(TableKind::Headers, Some(0), Some(&original));
        assert_eq!(editor.row(), original);
        editor.cycle(true);
        assert_eq!(editor.active, 2);
        editor.cycle(false);
        editor.cycle(false);
        assert_eq!(editor.active, 1);
        editor.active_field().insert_str("!");
        assert_eq!(editor.row().key, "api-key");
        assert_eq!(editor.row().value, "s3cret!");
        editor.active = 0;
        editor.active_field().insert_str(" x");
        // Disabled rows are not checked; the editor keeps the flag.
        assert!(editor.problem().is_none());
        let mut enabled = RowEditor::new(TableKind::Headers, None, None);
        enabled.active_field().insert_str("bad name");
        assert!(enabled.problem().is_some());
    }
}
