//! Output: aligned tables for people, one JSON document for programs; and the writes
//! themselves, which never panic (`print!` does when the reader of a pipe is gone, as in
//! `openid store check URL | head`).
//!
//! Cells are sanitised (control characters escaped) because much of what the tool prints
//! comes from the network: a discovery document must not be able to move the cursor or
//! fake lines on the user's terminal.

use std::fmt::Write as _;
use std::io::Write as _;

use serde::Serialize;

use crate::error::{CliError, collapse};

/// How a command prints its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// Tables and lines.
    Human,
    /// One JSON document on stdout.
    Json,
}

/// A table with a header row (or none) and columns aligned on the widest cell.
#[derive(Debug, Default)]
pub(crate) struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column headers.
    pub(crate) fn new(headers: &[&str]) -> Self {
        Self { headers: headers.iter().map(|h| (*h).to_owned()).collect(), rows: Vec::new() }
    }

    /// A table of `label  value` lines, without headers.
    pub(crate) fn pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, String)>) -> Self {
        let mut table = Self::default();
        for (label, value) in pairs {
            table.row(vec![label.to_owned(), value]);
        }
        table
    }

    /// Adds a row.
    pub(crate) fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells.into_iter().map(|cell| collapse(&cell)).collect());
    }

    /// The table as text, one line per row, columns two spaces apart, no trailing spaces.
    pub(crate) fn render(&self) -> String {
        let lines: Vec<&Vec<String>> =
            std::iter::once(&self.headers).filter(|h| !h.is_empty()).chain(&self.rows).collect();
        let columns = lines.iter().map(|cells| cells.len()).max().unwrap_or(0);
        let widths: Vec<usize> = (0..columns)
            .map(|column| {
                lines
                    .iter()
                    .filter_map(|cells| cells.get(column))
                    .map(|cell| cell.chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut text = String::new();
        for cells in lines {
            let mut line = String::new();
            for (cell, width) in cells.iter().zip(&widths) {
                let _ = write!(line, "{cell:<width$}  ");
            }
            text.push_str(line.trim_end());
            text.push('\n');
        }
        text
    }
}

/// Prints `value` as one pretty JSON document on stdout.
pub(crate) fn print_json(value: &impl Serialize) -> Result<(), CliError> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    print(&text)
}

/// Writes a command's result to stdout.
pub(crate) fn print(text: &str) -> Result<(), CliError> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|source| CliError::Io { doing: "write the output", source })
}

/// Writes a line of progress to stdout, or gives up quietly: the result, written with
/// [`print()`], reports a stdout that is gone.
pub(crate) fn progress(line: &str) {
    let _ = writeln!(std::io::stdout(), "{line}");
}

/// Writes a line to stderr (prompts, progress beside JSON, errors), or gives up quietly: a
/// closed stderr is no reason to stop a login.
pub(crate) fn status(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align_and_lines_have_no_trailing_spaces() {
        let mut table = Table::new(&["a", "long header", "c"]);
        table.row(vec!["wide cell".into(), "x".into(), String::new()]);
        assert_eq!(table.render(), "a          long header  c\nwide cell  x\n");
    }

    #[test]
    fn control_characters_are_escaped() {
        let table = Table::pairs([("k", "a\u{1b}[2Jb\nc".to_owned())]);
        assert_eq!(table.render(), "k  a\\u{1b}[2Jb c\n");
    }
}
