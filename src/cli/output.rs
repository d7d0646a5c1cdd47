//! Output: plain tables for people, JSON for scripts (`--json`), progress bars only on a
//! terminal.
//!
//! Text meant for people never carries a terminal escape: every table cell, `key: value` line
//! and message goes through [`printable`], which shows a control character, bidi control or
//! line separator as its `\u{…}` escape. The library refuses such characters in everything
//! it stores; this is the second line, for values written before it did (user ids) and for
//! whatever reaches an error message. JSON escapes control characters itself.

use std::borrow::Cow;
use std::io::{IsTerminal, Write};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

/// Fields of stored records that are storage details, not data: the generation of a
/// segment's line blocks, the contacts epoch a segment was built at, the generation a criteria
/// action deleted, the contact index run of a logged segment. `--json` never shows them
/// (README, *JSON output*); `interlog dump` keeps them, as it copies the store.
pub const INTERNAL_FIELDS: &[&str] = &["lines_gen", "contacts_epoch", "deleted_gen", "index_run"];

/// Removes [`INTERNAL_FIELDS`] from every object in `v`.
pub fn strip_internal(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            for k in INTERNAL_FIELDS {
                m.remove(*k);
            }
            m.values_mut().for_each(strip_internal);
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(strip_internal),
        _ => {}
    }
}

/// Where results go.
pub struct Out {
    /// Print JSON instead of tables.
    pub json: bool,
}

impl Out {
    /// Prints a value as pretty JSON.
    /// Internal storage details ([`INTERNAL_FIELDS`]) are left out.
    pub fn json<T: Serialize + ?Sized>(&self, v: &T) -> anyhow::Result<()> {
        let mut v = serde_json::to_value(v)?;
        strip_internal(&mut v);
        let mut s = serde_json::to_string_pretty(&v)?;
        s.push('\n');
        std::io::stdout().lock().write_all(s.as_bytes())?;
        Ok(())
    }

    /// Prints a line of text (line breaks inside it are kept, see [`printable_lines`]).
    pub fn line(&self, s: impl AsRef<str>) -> anyhow::Result<()> {
        let mut o = std::io::stdout().lock();
        o.write_all(printable_lines(s.as_ref()).as_bytes())?;
        o.write_all(b"\n")?;
        Ok(())
    }

    /// Prints a table with a header row; columns are aligned.
    pub fn table(&self, headers: &[&str], rows: &[Vec<String>]) -> anyhow::Result<()> {
        let mut t = Table::new(headers);
        let mut o = std::io::stdout().lock();
        for chunk in rows.chunks(TABLE_CHUNK) {
            t.write_rows(chunk, &mut o)?;
        }
        t.finish(&mut o)
    }

    /// A listing of any length, in constant memory: a pretty JSON array (the same text
    /// [`Out::json`] prints for the whole list) or a table. Nothing is printed before
    /// [`TABLE_CHUNK`] items have been read, so a listing that fails within them prints
    /// nothing; longer ones are written a chunk at a time.
    pub fn listing<T: Serialize>(
        &self,
        headers: &'static [&'static str],
        row: fn(&T) -> Vec<String>,
    ) -> Listing<T> {
        Listing::new(self.json, headers, row, String::new(), 0, "\n")
    }

    /// Like [`Out::listing`], under a header value: JSON `{"<head_key>": head, "<key>": [...]}`,
    /// text: the header's `fields` lines, an empty line, then the table.
    pub fn listing_under<T: Serialize, H: Serialize>(
        &self,
        (head_key, head, fields): (&str, &H, &[(&str, String)]),
        key: &str,
        headers: &'static [&'static str],
        row: fn(&T) -> Vec<String>,
    ) -> anyhow::Result<Listing<T>> {
        if self.json {
            let mut head = serde_json::to_value(head)?;
            strip_internal(&mut head);
            let open = format!(
                "{{\n  {}: {},\n  {}: ",
                serde_json::to_string(head_key)?,
                indent(&serde_json::to_string_pretty(&head)?, 2),
                serde_json::to_string(key)?
            );
            Ok(Listing::new(true, headers, row, open, 2, "\n}\n"))
        } else {
            let open = format!("{}\n", fields_text(fields));
            Ok(Listing::new(false, headers, row, open, 0, ""))
        }
    }

    /// Prints `key: value` lines.
    pub fn fields(&self, pairs: &[(&str, String)]) -> anyhow::Result<()> {
        std::io::stdout()
            .lock()
            .write_all(fields_text(pairs).as_bytes())?;
        Ok(())
    }

    /// Prints a warning on stderr.
    pub fn warn(&self, w: &Option<String>) {
        if let Some(w) = w {
            eprintln!("warning: {}", printable_lines(w));
        }
    }
}

/// Rows of a text table are aligned within chunks of this many rows (a later chunk widens a
/// column only when its cells are wider), so a listing of millions of rows never sits in memory.
pub const TABLE_CHUNK: usize = 1024;

/// `s` with every character that could steer a terminal or reorder a line — control
/// characters (escapes, carriage returns, line feeds), bidi controls, line separators — shown
/// as its Rust escape (`\u{1b}`), so a stored value prints as one inert line.
pub fn printable(s: &str) -> Cow<'_, str> {
    if !s.chars().any(interlog::domain::breaks_text) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if interlog::domain::breaks_text(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// An error and its causes on one line, `a: b: c` — a cause the message above it already ends
/// with (errors that show their source in their own text) is not repeated.
pub fn error_text(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for c in e.chain() {
        let t = c.to_string();
        if out.is_empty() {
            out = t;
        } else if !out.ends_with(&t) {
            out.push_str(": ");
            out.push_str(&t);
        }
    }
    out
}

/// [`printable`] for a message of several lines: keeps its line feeds.
pub fn printable_lines(s: &str) -> Cow<'_, str> {
    if !s
        .chars()
        .any(|c| c != '\n' && interlog::domain::breaks_text(c))
    {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.split('\n').map(printable).collect::<Vec<_>>().join("\n"))
}

/// Indents every line but the first by `n` spaces.
fn indent(text: &str, n: usize) -> String {
    text.replace('\n', &format!("\n{}", " ".repeat(n)))
}

/// `key: value` lines, values aligned.
fn fields_text(pairs: &[(&str, String)]) -> String {
    let w = pairs
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{k}:{} {}\n",
                " ".repeat(w - k.chars().count()),
                printable(v)
            )
        })
        .collect()
}

/// An aligned text table, written a chunk of rows at a time.
struct Table {
    headers: Vec<String>,
    widths: Vec<usize>,
    chunk: Vec<Vec<String>>,
    started: bool,
}

impl Table {
    fn new(headers: &[&str]) -> Table {
        Table {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            widths: headers.iter().map(|h| h.chars().count()).collect(),
            chunk: Vec::new(),
            started: false,
        }
    }

    /// Adds a row; true when a chunk is full and should be written.
    fn push(&mut self, row: Vec<String>) -> bool {
        self.chunk.push(row);
        self.chunk.len() >= TABLE_CHUNK
    }

    /// Writes the rows held (and the header before the first).
    fn write_chunk(&mut self, o: &mut dyn Write) -> std::io::Result<()> {
        let chunk = std::mem::take(&mut self.chunk);
        self.write_rows(&chunk, o)
    }

    /// Writes `rows` as one chunk: widens the columns they need, then the header before the
    /// first chunk, then the rows.
    fn write_rows(&mut self, rows: &[Vec<String>], o: &mut dyn Write) -> std::io::Result<()> {
        let rows: Vec<Vec<Cow<'_, str>>> = rows
            .iter()
            .map(|r| r.iter().map(|c| printable(c)).collect())
            .collect();
        for r in &rows {
            for (w, c) in self.widths.iter_mut().zip(r) {
                *w = (*w).max(c.chars().count());
            }
        }
        let widths = &self.widths;
        let fmt_row = |cells: &[Cow<'_, str>]| {
            let mut s = String::new();
            for (i, c) in cells.iter().enumerate() {
                s.push_str(c);
                if i + 1 < cells.len() {
                    let w = widths.get(i).copied().unwrap_or(0);
                    s.push_str(&" ".repeat(w.saturating_sub(c.chars().count()) + 2));
                }
            }
            s.trim_end().to_string()
        };
        if !self.started {
            let headers: Vec<Cow<'_, str>> = self
                .headers
                .iter()
                .map(|h| Cow::Borrowed(h.as_str()))
                .collect();
            writeln!(o, "{}", fmt_row(&headers))?;
            self.started = true;
        }
        for r in &rows {
            writeln!(o, "{}", fmt_row(r))?;
        }
        Ok(())
    }

    fn finish(mut self, o: &mut dyn Write) -> anyhow::Result<()> {
        let empty = !self.started && self.chunk.is_empty();
        self.write_chunk(o)?;
        if empty {
            writeln!(o, "(none)")?;
        }
        Ok(())
    }
}

/// A listing being written: see [`Out::listing`].
pub struct Listing<T> {
    json: bool,
    row: fn(&T) -> Vec<String>,
    table: Table,
    /// What is not on stdout yet: the opening, then JSON items.
    pending: Vec<u8>,
    /// JSON: spaces before each element's lines.
    indent: usize,
    /// JSON: the element being formatted (reused).
    scratch: Vec<u8>,
    /// JSON: what follows the closing bracket.
    close: &'static str,
    items: u64,
    /// A write that failed inside [`Listing::visit`].
    failed: Option<anyhow::Error>,
}

impl<T: Serialize> Listing<T> {
    fn new(
        json: bool,
        headers: &[&str],
        row: fn(&T) -> Vec<String>,
        open: String,
        indent: usize,
        close: &'static str,
    ) -> Listing<T> {
        Listing {
            json,
            row,
            table: Table::new(headers),
            pending: open.into_bytes(),
            indent,
            scratch: Vec::new(),
            close,
            items: 0,
            failed: None,
        }
    }

    /// Adds one item; every [`TABLE_CHUNK`] items, what is pending goes to stdout.
    pub fn push(&mut self, item: &T) -> anyhow::Result<()> {
        let full = if self.json {
            let sep: &[u8] = if self.items == 0 { b"[\n" } else { b",\n" };
            self.pending.extend_from_slice(sep);
            // What `indent(to_string_pretty(item))` gives, without its three strings per
            // item: the pretty text goes to a reused buffer and is copied with every line but
            // the first indented (a newline in pretty JSON is always layout: strings escape
            // theirs).
            self.scratch.clear();
            serde_json::to_writer_pretty(&mut self.scratch, item)?;
            let pad = self.indent + 2;
            self.pending.extend(std::iter::repeat_n(b' ', pad));
            let mut from = 0;
            for i in memchr::memchr_iter(b'\n', &self.scratch) {
                self.pending.extend_from_slice(&self.scratch[from..=i]);
                self.pending.extend(std::iter::repeat_n(b' ', pad));
                from = i + 1;
            }
            self.pending.extend_from_slice(&self.scratch[from..]);
            (self.items + 1).is_multiple_of(TABLE_CHUNK as u64)
        } else {
            self.table.push((self.row)(item))
        };
        self.items += 1;
        if full {
            if !self.json {
                self.table.write_chunk(&mut self.pending)?;
            }
            self.write_pending()?;
        }
        Ok(())
    }

    fn write_pending(&mut self) -> std::io::Result<()> {
        let mut o = std::io::stdout().lock();
        o.write_all(&self.pending)?;
        o.flush()?;
        self.pending.clear();
        Ok(())
    }

    /// Number of items added.
    pub fn count(&self) -> u64 {
        self.items
    }

    /// [`Listing::push`] for the library's visitor callbacks, which go on while they get
    /// `true`: a failed write (a closed pipe) returns `false`, and [`Listing::finish`] returns
    /// the error.
    pub fn visit(&mut self, item: &T) -> bool {
        match self.push(item) {
            Ok(()) => true,
            Err(e) => {
                self.failed = Some(e);
                false
            }
        }
    }

    /// Closes the listing and writes what is pending.
    pub fn finish(mut self) -> anyhow::Result<()> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        if self.json {
            if self.items == 0 {
                self.pending.extend_from_slice(b"[]");
            } else {
                let close = format!("\n{}]", " ".repeat(self.indent));
                self.pending.extend_from_slice(close.as_bytes());
            }
            self.pending.extend_from_slice(self.close.as_bytes());
        } else {
            let table = std::mem::replace(&mut self.table, Table::new(&[]));
            table.finish(&mut self.pending)?;
        }
        self.write_pending()?;
        Ok(())
    }
}

/// True when the error is a closed stdout (`interlog … | head`): not an error.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// A progress bar on stderr when it is a terminal; silent otherwise.
pub struct Bar {
    bar: ProgressBar,
}

impl Bar {
    /// A bar that draws only on a terminal.
    pub fn new() -> Bar {
        let target = if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        Bar {
            bar: ProgressBar::with_draw_target(None, target),
        }
    }
}

impl interlog::progress::Progress for Bar {
    fn start(&self, phase: &str, total: u64) {
        self.bar.reset();
        if total > 0 {
            self.bar.set_length(total);
            self.bar.set_style(
                ProgressStyle::with_template(
                    "{msg:>18} [{bar:40}] {human_pos}/{human_len} ({per_sec}, {eta})",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
        } else {
            self.bar.set_style(
                ProgressStyle::with_template("{msg:>18} {human_pos}").expect("valid template"),
            );
        }
        self.bar.set_message(phase.to_string());
    }
    fn advance(&self, n: u64) {
        self.bar.inc(n);
    }
    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// `Some(x)` shown as text, `None` as empty.
pub fn opt<T: std::fmt::Display>(v: &Option<T>) -> String {
    v.as_ref().map(|x| x.to_string()).unwrap_or_default()
}

/// A boolean as BC shows it.
pub fn yes(b: bool) -> String {
    if b { "Yes" } else { "No" }.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A JSON listing's items are the pretty text of each item, every line after the first
    /// indented to its depth — what `indent(to_string_pretty(item))` gave — at both depths a
    /// listing uses, with strings holding newlines, quotes and nested values.
    #[test]
    fn json_items_are_pretty_printed_and_indented_line_by_line() {
        #[derive(Serialize)]
        struct Item {
            no: String,
            lines: Vec<String>,
            nested: Option<Box<Item>>,
        }
        let items = [
            Item {
                no: "A\n\"1\"".into(),
                lines: vec!["x\ny".into(), String::new()],
                nested: None,
            },
            Item {
                no: "B".into(),
                lines: Vec::new(),
                nested: Some(Box::new(Item {
                    no: "C\r\n".into(),
                    lines: vec!["z".into()],
                    nested: None,
                })),
            },
        ];
        for depth in [0, 2] {
            let mut l: Listing<Item> =
                Listing::new(true, &["NO"], |_| Vec::new(), String::new(), depth, "");
            let mut want = String::new();
            for (i, item) in items.iter().enumerate() {
                l.push(item).unwrap();
                want.push_str(if i == 0 { "[\n" } else { ",\n" });
                want.push_str(&" ".repeat(depth + 2));
                want.push_str(&indent(
                    &serde_json::to_string_pretty(item).unwrap(),
                    depth + 2,
                ));
            }
            assert_eq!(String::from_utf8(l.pending.clone()).unwrap(), want);
        }
    }

    #[test]
    fn printable_shows_escapes_and_bidi_controls_as_text() {
        assert!(matches!(printable("Café ✓ שלום"), Cow::Borrowed(_)));
        assert_eq!(printable("\u{1b}[31mRED"), "\\u{1b}[31mRED");
        assert_eq!(printable("a\u{9b}2J"), "a\\u{9b}2J");
        assert_eq!(printable("x\u{202e}y"), "x\\u{202e}y");
        assert_eq!(printable("two\nlines\r"), "two\\u{a}lines\\u{d}");
        assert_eq!(printable_lines("two\nlines\u{7}"), "two\nlines\\u{7}");
    }

    #[test]
    fn table_cells_are_printed_inert_and_aligned() {
        let mut t = Table::new(&["USER", "NO"]);
        let mut out = Vec::new();
        t.write_rows(
            &[
                vec!["\u{1b}[2J".to_string(), "1".to_string()],
                vec!["ALICE".to_string(), "2".to_string()],
            ],
            &mut out,
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains('\u{1b}'), "{text}");
        assert_eq!(text, "USER       NO\n\\u{1b}[2J  1\nALICE      2\n");
    }
}
