//! Output: plain tables for people, JSON for scripts (`--json`), progress bars only on a
//! terminal.

use std::io::{IsTerminal, Write};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

/// Where results go.
pub struct Out {
    /// Print JSON instead of tables.
    pub json: bool,
}

impl Out {
    /// Prints a value as pretty JSON.
    pub fn json<T: Serialize + ?Sized>(&self, v: &T) -> anyhow::Result<()> {
        let mut s = serde_json::to_string_pretty(v)?;
        s.push('\n');
        std::io::stdout().lock().write_all(s.as_bytes())?;
        Ok(())
    }

    /// Prints a line of text.
    pub fn line(&self, s: impl AsRef<str>) -> anyhow::Result<()> {
        let mut o = std::io::stdout().lock();
        o.write_all(s.as_ref().as_bytes())?;
        o.write_all(b"\n")?;
        Ok(())
    }

    /// Prints a table with a header row; columns are aligned.
    pub fn table(&self, headers: &[&str], rows: &[Vec<String>]) -> anyhow::Result<()> {
        let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
        for r in rows {
            for (i, c) in r.iter().enumerate() {
                if i < widths.len() {
                    widths[i] = widths[i].max(c.chars().count());
                }
            }
        }
        let fmt_row = |cells: Vec<&str>| {
            let mut s = String::new();
            for (i, c) in cells.iter().enumerate() {
                if i + 1 == cells.len() {
                    s.push_str(c);
                } else {
                    s.push_str(c);
                    s.push_str(&" ".repeat(widths[i] - c.chars().count() + 2));
                }
            }
            s.trim_end().to_string()
        };
        let mut o = std::io::stdout().lock();
        writeln!(o, "{}", fmt_row(headers.to_vec()))?;
        for r in rows {
            writeln!(o, "{}", fmt_row(r.iter().map(String::as_str).collect()))?;
        }
        if rows.is_empty() {
            writeln!(o, "(none)")?;
        }
        Ok(())
    }

    /// Prints `key: value` lines.
    pub fn fields(&self, pairs: &[(&str, String)]) -> anyhow::Result<()> {
        let w = pairs
            .iter()
            .map(|(k, _)| k.chars().count())
            .max()
            .unwrap_or(0);
        let mut o = std::io::stdout().lock();
        for (k, v) in pairs {
            writeln!(o, "{k}:{} {v}", " ".repeat(w - k.chars().count()))?;
        }
        Ok(())
    }

    /// Prints a warning on stderr.
    pub fn warn(&self, w: &Option<String>) {
        if let Some(w) = w {
            eprintln!("warning: {w}");
        }
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

impl interlog::ops::segments::Progress for Bar {
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
