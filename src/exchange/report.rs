//! `interlog report`: one self-contained HTML page (inline CSS and inline SVG, no scripts, no
//! external resources) with entries over time by template, totals by salesperson and by
//! campaign, the logged segments with their outcomes, and the recorded batch jobs.
//!
//! The data is read through the library's queries ([`Store::for_each_entry`] as the
//! statistics read it, [`logged::list`], [`job::all_recorded`]); every text that came from a
//! user is escaped by [`esc`] before it goes into the page.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write;

use serde::Serialize;

use super::export::ExportError;
use crate::batch::job::{self, StepState};
use crate::domain::*;
use crate::ops::logged::{self, LoggedSegmentView};
use crate::ops::OpError;
use crate::storage::Store;

/// Longest list of jobs shown.
const MAX_JOBS: usize = 20;
/// Most bars in a totals chart (the rest are summed into one "others" bar).
const MAX_BARS: usize = 15;

/// Totals of one salesperson or campaign.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Total {
    /// Code or number.
    pub key: String,
    /// Name or description.
    pub name: String,
    /// Entries counted.
    pub entries: u64,
    /// Total cost.
    pub cost: MoneySum,
    /// Total duration in minutes.
    pub duration_min: u64,
}

/// A recorded batch job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JobLine {
    /// Job id.
    pub id: String,
    /// Steps in the job.
    pub steps: usize,
    /// Steps done.
    pub done: usize,
    /// Steps failed (run again next time).
    pub failed: usize,
}

/// Everything the page shows.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ReportData {
    /// Entries counted (neither canceled nor postponed).
    pub entries: u64,
    /// Canceled entries left out.
    pub canceled_left_out: u64,
    /// Postponed entries left out.
    pub postponed_left_out: u64,
    /// `day` or `month`: the period of [`ReportData::over_time`].
    pub period: &'static str,
    /// Period (`YYYY-MM` or `YYYY-MM-DD`) → template code → entries.
    pub over_time: BTreeMap<String, BTreeMap<String, u64>>,
    /// Per salesperson, by code.
    pub by_salesperson: Vec<Total>,
    /// Per campaign, by number (entries without a campaign are not counted).
    pub by_campaign: Vec<Total>,
    /// Logged segments, by number.
    #[serde(skip)]
    pub logged: Vec<LoggedSegmentView>,
    /// The last recorded batch jobs, by id (at most 20).
    pub jobs: Vec<JobLine>,
    /// Jobs recorded in all.
    pub jobs_recorded: usize,
}

fn add(map: &mut BTreeMap<String, Total>, key: String, cost: Money, min: u32) {
    let t = map.entry(key.clone()).or_insert_with(|| Total {
        key,
        ..Total::default()
    });
    t.entries += 1;
    t.cost.add(cost);
    t.duration_min += min as u64;
}

/// Reads what the report shows, streaming the entries block by block.
pub fn collect(store: &Store) -> Result<ReportData, OpError> {
    let mut r = ReportData::default();
    let mut by_day: BTreeMap<chrono::NaiveDate, BTreeMap<String, u64>> = BTreeMap::new();
    let mut sp: BTreeMap<String, Total> = BTreeMap::new();
    let mut cp: BTreeMap<String, Total> = BTreeMap::new();
    store.for_each_entry(&EntrySelection::all(), |e| {
        if e.canceled() {
            r.canceled_left_out += 1;
            return Ok::<bool, OpError>(true);
        }
        if e.postponed() {
            r.postponed_left_out += 1;
            return Ok(true);
        }
        r.entries += 1;
        *by_day
            .entry(e.date())
            .or_default()
            .entry(e.template_code().to_string())
            .or_default() += 1;
        add(
            &mut sp,
            e.salesperson_code().to_string(),
            e.cost(),
            e.duration_min(),
        );
        if let Some(c) = e.campaign_no() {
            add(&mut cp, c.to_string(), e.cost(), e.duration_min());
        }
        Ok(true)
    })?;
    let months: std::collections::BTreeSet<String> = by_day
        .keys()
        .map(|d| d.format("%Y-%m").to_string())
        .collect();
    r.period = if months.len() <= 1 { "day" } else { "month" };
    for (d, per) in by_day {
        let key = if r.period == "day" {
            d.to_string()
        } else {
            d.format("%Y-%m").to_string()
        };
        let slot = r.over_time.entry(key).or_default();
        for (t, n) in per {
            *slot.entry(t).or_default() += n;
        }
    }
    let names: BTreeMap<String, String> = store
        .all_salespeople()?
        .into_iter()
        .map(|s| (s.code.to_string(), s.name))
        .collect();
    r.by_salesperson = sp
        .into_values()
        .map(|mut t| {
            t.name = names.get(&t.key).cloned().unwrap_or_default();
            t
        })
        .collect();
    let names: BTreeMap<String, String> = store
        .all_campaigns()?
        .into_iter()
        .map(|c| (c.no.to_string(), c.description))
        .collect();
    r.by_campaign = cp
        .into_values()
        .map(|mut t| {
            t.name = names.get(&t.key).cloned().unwrap_or_default();
            t
        })
        .collect();
    r.logged = logged::list(store)?;
    let jobs = job::all_recorded(store)?;
    r.jobs_recorded = jobs.len();
    r.jobs = jobs
        .into_iter()
        .rev()
        .take(MAX_JOBS)
        .map(|(id, rec)| JobLine {
            id,
            steps: rec.steps.len(),
            done: rec.done(),
            failed: rec
                .steps
                .iter()
                .filter(|s| matches!(s, StepState::Failed { .. }))
                .count(),
        })
        .collect();
    r.jobs.reverse();
    Ok(r)
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => o.push('\u{FFFD}'),
            c => o.push(c),
        }
    }
    o
}

/// Colours of the series (a colour-blind-safe palette), repeated when there are more.
const COLOURS: &[&str] = &[
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac",
];

fn colour(i: usize) -> &'static str {
    COLOURS[i % COLOURS.len()]
}

const CSS: &str = "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:72em;color:#222;padding:0 1em}\
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ccc}\
table{border-collapse:collapse;margin:.5em 0;display:block;overflow-x:auto;max-width:100%}th,td{padding:.25em .6em;border-bottom:1px solid #eee;text-align:left}\
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}\
.note{color:#555;font-size:.9em}.legend span{display:inline-block;margin-right:1em}\
.sw{display:inline-block;width:.8em;height:.8em;margin-right:.3em;vertical-align:middle}\
figure{margin:1em 0}svg text{font-size:11px;font-family:inherit}";

/// A stacked bar chart of entries per period, one colour per template.
fn time_chart(h: &mut String, r: &ReportData, templates: &[String]) {
    let periods: Vec<&String> = r.over_time.keys().collect();
    let max = r
        .over_time
        .values()
        .map(|m| m.values().sum::<u64>())
        .max()
        .unwrap_or(1)
        .max(1);
    let bar_w = 28.0_f64;
    let gap = 10.0;
    let left = 40.0;
    let plot_h = 200.0;
    let width = left + periods.len() as f64 * (bar_w + gap) + gap;
    let height = plot_h + 70.0;
    let _ = write!(
        h,
        "<figure class=\"chart\"><svg role=\"img\" width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\"><title>Entries per {} by template</title>",
        r.period
    );
    let _ = write!(
        h,
        "<line x1=\"{left}\" y1=\"10\" x2=\"{left}\" y2=\"{}\" stroke=\"#999\"/><text x=\"{}\" y=\"16\" text-anchor=\"end\">{max}</text><text x=\"{}\" y=\"{}\" text-anchor=\"end\">0</text>",
        plot_h + 10.0,
        left - 4.0,
        left - 4.0,
        plot_h + 10.0
    );
    for (i, p) in periods.iter().enumerate() {
        let x = left + gap + i as f64 * (bar_w + gap);
        let mut y = plot_h + 10.0;
        let per = &r.over_time[*p];
        for (ti, t) in templates.iter().enumerate() {
            let Some(&n) = per.get(t) else { continue };
            let bh = n as f64 / max as f64 * plot_h;
            y -= bh;
            let _ = write!(
                h,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bar_w}\" height=\"{bh:.1}\" fill=\"{}\"><title>{} {}: {n}</title></rect>",
                colour(ti),
                esc(p),
                esc(t)
            );
        }
        let lx = x + bar_w / 2.0;
        let ly = plot_h + 22.0;
        let _ = write!(
            h,
            "<text x=\"{lx:.1}\" y=\"{ly:.1}\" text-anchor=\"end\" transform=\"rotate(-45 {lx:.1} {ly:.1})\">{}</text>",
            esc(p)
        );
    }
    h.push_str("</svg><figcaption class=\"legend\">");
    for (ti, t) in templates.iter().enumerate() {
        let _ = write!(
            h,
            "<span><i class=\"sw\" style=\"background:{}\"></i>{}</span>",
            colour(ti),
            esc(t)
        );
    }
    h.push_str("</figcaption></figure>\n");
}

/// A horizontal bar chart of entries per key.
fn totals_chart(h: &mut String, title: &str, rows: &[Total]) {
    let mut bars: Vec<(String, u64)> = rows
        .iter()
        .map(|t| {
            let label = if t.name.is_empty() {
                t.key.clone()
            } else {
                format!("{} {}", t.key, t.name)
            };
            (label, t.entries)
        })
        .collect();
    bars.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    if bars.len() > MAX_BARS {
        let rest: u64 = bars[MAX_BARS - 1..].iter().map(|b| b.1).sum();
        let n = bars.len() - (MAX_BARS - 1);
        bars.truncate(MAX_BARS - 1);
        bars.push((format!("{n} others"), rest));
    }
    let max = bars.iter().map(|b| b.1).max().unwrap_or(1).max(1);
    let label_w = 220.0;
    let plot_w = 400.0;
    let row_h = 22.0;
    let width = label_w + plot_w + 60.0;
    let height = bars.len() as f64 * row_h + 10.0;
    let _ = write!(
        h,
        "<figure class=\"chart\"><svg role=\"img\" width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\"><title>{}</title>",
        esc(title)
    );
    for (i, (label, n)) in bars.iter().enumerate() {
        let y = 5.0 + i as f64 * row_h;
        let w = (*n as f64 / max as f64 * plot_w).max(1.0);
        let short: String = if label.chars().count() > 34 {
            label.chars().take(33).collect::<String>() + "…"
        } else {
            label.clone()
        };
        let _ = write!(
            h,
            "<text x=\"{:.0}\" y=\"{:.1}\" text-anchor=\"end\">{}</text><rect x=\"{label_w}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{:.0}\" fill=\"{}\"><title>{}: {n}</title></rect><text x=\"{:.1}\" y=\"{:.1}\">{n}</text>",
            label_w - 6.0,
            y + 14.0,
            esc(&short),
            row_h - 6.0,
            colour(0),
            esc(label),
            label_w + w + 4.0,
            y + 14.0
        );
    }
    h.push_str("</svg></figure>\n");
}

/// A horizontal stacked bar per logged segment (the last [`MAX_BARS`]): entries still counted
/// and entries canceled.
fn logged_chart(h: &mut String, logged: &[LoggedSegmentView]) {
    let shown = &logged[logged.len().saturating_sub(MAX_BARS)..];
    let max = shown
        .iter()
        .map(|v| v.logged.entries)
        .max()
        .unwrap_or(1)
        .max(1);
    let label_w = 220.0;
    let plot_w = 400.0;
    let row_h = 22.0;
    let width = label_w + plot_w + 120.0;
    let height = shown.len() as f64 * row_h + 10.0;
    let _ = write!(
        h,
        "<figure class=\"chart\"><svg role=\"img\" width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\"><title>Entries per logged segment</title>"
    );
    for (i, v) in shown.iter().enumerate() {
        let l = &v.logged;
        let y = 5.0 + i as f64 * row_h;
        let kept = l.entries.saturating_sub(l.canceled_entries);
        let wk = kept as f64 / max as f64 * plot_w;
        let wc = l.canceled_entries as f64 / max as f64 * plot_w;
        let label: String = format!("{} {}", l.entry_no, l.description);
        let short: String = if label.chars().count() > 34 {
            label.chars().take(33).collect::<String>() + "…"
        } else {
            label.clone()
        };
        let _ = write!(
            h,
            "<text x=\"{:.0}\" y=\"{:.1}\" text-anchor=\"end\">{}</text><rect x=\"{label_w}\" y=\"{y:.1}\" width=\"{wk:.1}\" height=\"{:.0}\" fill=\"{}\"><title>{}: {kept} counted</title></rect><rect x=\"{:.1}\" y=\"{y:.1}\" width=\"{wc:.1}\" height=\"{:.0}\" fill=\"{}\"><title>{}: {} canceled</title></rect><text x=\"{:.1}\" y=\"{:.1}\">{kept} + {} canceled</text>",
            label_w - 6.0,
            y + 14.0,
            esc(&short),
            row_h - 6.0,
            colour(2),
            esc(&label),
            label_w + wk,
            row_h - 6.0,
            colour(3),
            esc(&label),
            l.canceled_entries,
            label_w + wk + wc + 4.0,
            y + 14.0,
            l.canceled_entries
        );
    }
    let _ = writeln!(
        h,
        "</svg><figcaption class=\"legend\"><span><i class=\"sw\" style=\"background:{}\"></i>counted</span><span><i class=\"sw\" style=\"background:{}\"></i>canceled</span></figcaption></figure>",
        colour(2),
        colour(3)
    );
}

fn totals_table(h: &mut String, what: &str, rows: &[Total]) {
    let _ = write!(
        h,
        "<table><thead><tr><th>{}</th><th>Name</th><th class=\"n\">Entries</th><th class=\"n\">Cost</th><th class=\"n\">Duration (min)</th></tr></thead><tbody>",
        esc(what)
    );
    for t in rows {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&t.key),
            esc(&t.name),
            t.entries,
            t.cost,
            t.duration_min
        );
    }
    h.push_str("</tbody></table>\n");
}

/// The page. `title_date` is the date printed under the title (the usage date).
pub fn render(r: &ReportData, title_date: &str) -> String {
    let mut h = String::with_capacity(16 * 1024);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>interlog report</title><style>{CSS}</style></head><body>\n<h1>interlog report</h1>\n<p class=\"note\">As of {}. Canceled entries are left out of every count and chart ({} left out), and so are postponed entries ({} left out); {} entries are counted.</p>\n",
        esc(title_date),
        r.canceled_left_out,
        r.postponed_left_out,
        r.entries
    );

    let _ = writeln!(
        h,
        "<section id=\"over-time\"><h2>Entries per {} by template</h2>",
        r.period
    );
    let mut templates: Vec<String> = r
        .over_time
        .values()
        .flat_map(|m| m.keys().cloned())
        .collect();
    templates.sort();
    templates.dedup();
    if r.over_time.is_empty() {
        h.push_str("<p>No entries.</p>\n");
    } else {
        time_chart(&mut h, r, &templates);
        h.push_str("<table><thead><tr><th>Period</th>");
        for t in &templates {
            let _ = write!(h, "<th class=\"n\">{}</th>", esc(t));
        }
        h.push_str("<th class=\"n\">All</th></tr></thead><tbody>");
        for (p, per) in &r.over_time {
            let _ = write!(h, "<tr><td>{}</td>", esc(p));
            for t in &templates {
                let _ = write!(
                    h,
                    "<td class=\"n\">{}</td>",
                    per.get(t).copied().unwrap_or(0)
                );
            }
            let _ = write!(h, "<td class=\"n\">{}</td></tr>", per.values().sum::<u64>());
        }
        h.push_str("</tbody></table>\n");
    }
    h.push_str("</section>\n");

    for (id, title, what, rows, none) in [
        (
            "salespeople",
            "Entries by salesperson",
            "Salesperson",
            &r.by_salesperson,
            "No entries.",
        ),
        (
            "campaigns",
            "Entries by campaign",
            "Campaign",
            &r.by_campaign,
            "No entries with a campaign.",
        ),
    ] {
        let _ = writeln!(h, "<section id=\"{id}\"><h2>{title}</h2>");
        if rows.is_empty() {
            let _ = writeln!(h, "<p>{none}</p>");
        } else {
            totals_chart(&mut h, title, rows);
            totals_table(&mut h, what, rows);
        }
        h.push_str("</section>\n");
    }

    h.push_str("<section id=\"logged-segments\"><h2>Logged segments</h2>\n");
    if r.logged.is_empty() {
        h.push_str("<p>No logged segments.</p>\n");
    } else {
        logged_chart(&mut h, &r.logged);
        h.push_str("<table><thead><tr><th class=\"n\">No.</th><th>Segment</th><th>Description</th><th>Logged on</th><th>User</th><th>Canceled</th><th class=\"n\">Entries</th><th class=\"n\">Of those canceled</th><th class=\"n\">Interactions</th><th class=\"n\">Campaign entries</th><th>Follow-up segment</th></tr></thead><tbody>");
        for v in &r.logged {
            let l = &v.logged;
            let _ = write!(
                h,
                "<tr><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                l.entry_no,
                esc(&l.segment_no.to_string()),
                esc(&l.description),
                l.creation_date,
                esc(&l.user_id),
                if l.canceled { "yes" } else { "no" },
                l.entries,
                l.canceled_entries,
                v.no_of_interactions,
                v.no_of_campaign_entries,
                l.follow_up_segment
                    .as_ref()
                    .map_or_else(String::new, |s| esc(&s.to_string()))
            );
        }
        h.push_str("</tbody></table>\n");
    }
    h.push_str("</section>\n");

    h.push_str("<section id=\"jobs\"><h2>Batch jobs</h2>\n");
    if r.jobs.is_empty() {
        h.push_str("<p>No batch jobs recorded.</p>\n");
    } else {
        if r.jobs_recorded > r.jobs.len() {
            let _ = writeln!(
                h,
                "<p class=\"note\">The last {} of {} recorded jobs, by id (the store keeps no time of a run).</p>",
                r.jobs.len(),
                r.jobs_recorded
            );
        }
        h.push_str("<table><thead><tr><th>Job</th><th class=\"n\">Steps</th><th class=\"n\">Done</th><th class=\"n\">Failed</th></tr></thead><tbody>");
        for j in &r.jobs {
            let _ = write!(
                h,
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                esc(&j.id),
                j.steps,
                j.done,
                j.failed
            );
        }
        h.push_str("</tbody></table>\n");
    }
    h.push_str("</section>\n</body></html>\n");
    h
}

/// Collects the data, renders the page and writes it to `out`.
pub fn write_report(
    store: &Store,
    title_date: &str,
    out: &mut dyn Write,
) -> Result<ReportData, ExportError> {
    let r = collect(store)?;
    out.write_all(render(&r, title_date).as_bytes())?;
    out.flush()?;
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc("<script>alert('x\"&')</script>"),
            "&lt;script&gt;alert(&#39;x&quot;&amp;&#39;)&lt;/script&gt;"
        );
    }
}
