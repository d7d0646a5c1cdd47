//! `interlog demo`: on a fresh store, load BC's demo data and walk through the whole story —
//! single interactions (create, postpone, resume, cancel), a segment built by criteria with a
//! line override, logging it with a follow-up, the cancel cascade, an outcome follow-up and
//! statistics — printing what happens at each step.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::Args;

use super::output::Bar;
use super::Env;
use interlog::batch::{log_segment, LogOptions};
use interlog::domain::filter::FieldFilter;
use interlog::domain::*;
use interlog::exchange::import::import_bytes;
use interlog::ops::interactions::{self, EntryEdit, EntryFilter, InteractionRequest};
use interlog::ops::logged::{self, OutcomeFilter};
use interlog::ops::segments::{self, InteractionChange, LineChange, SegmentInput};
use interlog::ops::stats::{self, StatsBy};
use interlog::ops::{master, Ctx};
use interlog::storage::{files, Store};

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Delete an existing store at --store first: only a directory holding nothing but an
    /// interlog store's files is deleted (anything else is named and refused, links are not
    /// followed).
    #[arg(long)]
    reset: bool,
}

/// BC's demo data, built into the binary so `demo` runs from any directory.
const FIXTURES: [(&str, &str); 5] = [
    ("groups.csv", include_str!("../../fixtures/demo/groups.csv")),
    (
        "salespeople.csv",
        include_str!("../../fixtures/demo/salespeople.csv"),
    ),
    (
        "campaigns.json",
        include_str!("../../fixtures/demo/campaigns.json"),
    ),
    (
        "templates.csv",
        include_str!("../../fixtures/demo/templates.csv"),
    ),
    (
        "contacts.csv",
        include_str!("../../fixtures/demo/contacts.csv"),
    ),
];

/// With `--json` the story goes to stderr and stdout holds one JSON summary at the end, so
/// `interlog --json demo` prints exactly one JSON value like every other command.
static STORY_TO_STDERR: AtomicBool = AtomicBool::new(false);

/// Prints a line of the story (stdout, or stderr under `--json`).
macro_rules! say {
    ($($t:tt)*) => {
        if STORY_TO_STDERR.load(Ordering::Relaxed) {
            eprintln!($($t)*)
        } else {
            println!($($t)*)
        }
    };
}

fn code<T: std::str::FromStr<Err = DomainError>>(s: &str) -> anyhow::Result<T> {
    Ok(s.parse::<T>()?)
}

fn step(n: &mut u32, title: &str) {
    *n += 1;
    say!("\n── {n}. {title}");
}

fn entry_line(e: &LogEntry) -> String {
    format!(
        "entry {:>3}  {}  {:<8} {:<22} {} {:>6} {:>3} min  {}{}",
        e.entry_no,
        e.date,
        e.template_code,
        e.description,
        e.contact_no,
        e.cost,
        e.duration_min,
        e.correspondence_type,
        if e.canceled { "  [canceled]" } else { "" }
    )
}

/// A new store at `path`. With `reset`, an existing store there is deleted first — only a
/// store: the directory must hold nothing but a store's files (anything else is named and
/// refused), must not be a symbolic link, and must open as an interlog store that no other
/// process uses; deleting follows no link ([`files::remove_store_dir`]).
fn fresh_store(path: &Path, reset: bool, wait: std::time::Duration) -> anyhow::Result<Store> {
    if std::fs::symlink_metadata(path).is_ok() {
        if !reset {
            anyhow::bail!(
                "{} already exists — the demo needs a fresh store: run `interlog demo --reset` to recreate it, or pass --store NEW_PATH",
                path.display()
            );
        }
        files::check_store_dir(path)?;
        match Store::open_waiting(path, wait) {
            Ok(s) => drop(s),
            Err(e) => anyhow::bail!(
                "refusing to delete {}: it is not a usable interlog store ({e})",
                path.display()
            ),
        }
        files::remove_store_dir(path)?;
    }
    Ok(master::init(path)?)
}

/// Imports the demo data from the bytes built into the binary: no file is written anywhere.
fn load_fixtures(store: &Store, ctx: &Ctx) -> anyhow::Result<()> {
    for (name, text) in FIXTURES {
        let shown = Path::new("fixtures/demo").join(name);
        let r = import_bytes(store, ctx, &shown, text.as_bytes(), None)?;
        say!(
            "   imported {:>2} {:<12} ({})",
            r.records,
            r.kind.as_str(),
            shown.display()
        );
    }
    Ok(())
}

pub fn run(env: &Env, a: DemoArgs) -> anyhow::Result<()> {
    STORY_TO_STDERR.store(env.out.json, Ordering::Relaxed);
    let ctx = env.ctx.clone();
    let store = fresh_store(&env.store_path, a.reset, env.wait)?;
    let bar = Bar::new();
    let mut n = 0;
    say!(
        "interlog demo — store {} · work date {} · user {}",
        env.store_path.display(),
        ctx.work_date,
        ctx.user
    );

    step(
        &mut n,
        "Business Central's demo data: groups, salespeople, campaigns, 31 templates, 20 contacts",
    );
    load_fixtures(&store, &ctx)?;

    step(
        &mut n,
        "One interaction: a business letter to Andrew Lan (CT100125), all fields from the defaults",
    );
    let letter = interactions::create(
        &store,
        &ctx,
        &InteractionRequest {
            contact: Some(code("CT100125")?),
            template: Some(code("BUS")?),
            ..InteractionRequest::default()
        },
    )?;
    let e = &letter.entry;
    say!("   {}", entry_line(e));
    say!(
        "   salesperson {} came from the contact, company {} from the contact, correspondence type {} from the template",
        e.salesperson_code,
        e.contact_company_no.as_ref().map(|c| c.as_str()).unwrap_or("-"),
        e.correspondence_type
    );

    step(
        &mut n,
        "A phone call to Christie Moon (CT100002) saved as postponed, then resumed the next day",
    );
    let call = interactions::create(
        &store,
        &ctx,
        &InteractionRequest {
            contact: Some(code("CT100002")?),
            template: Some(code("OUTGOING")?),
            comments: vec!["ask about the spring offer".into()],
            postpone: true,
            ..InteractionRequest::default()
        },
    )?;
    say!(
        "   postponed entry {}; postponed list now holds {} entr(ies), the normal list {}",
        call.entry.entry_no,
        interactions::postponed(&store)?.len(),
        interactions::list(&store, &EntryFilter::default())?.len()
    );
    let next_day = ctx
        .clone()
        .with_work_date(ctx.work_date.succ_opt().unwrap_or(ctx.work_date));
    let resumed = interactions::resume(
        &store,
        &next_day,
        call.entry.entry_no,
        &InteractionRequest {
            evaluation: Some(Evaluation::Positive),
            ..InteractionRequest::default()
        },
    )?;
    say!(
        "   resumed: same entry number {}, now dated {}, evaluation {}",
        resumed.entry.entry_no,
        resumed.entry.date,
        resumed.entry.evaluation
    );

    step(
        &mut n,
        "Switching canceled on entries: the first selected entry decides",
    );
    let r =
        interactions::switch_canceled(&store, &[letter.entry.entry_no, resumed.entry.entry_no])?;
    say!(
        "   canceled = {} on entries {:?}",
        r.canceled,
        r.entries.iter().map(|e| e.0).collect::<Vec<_>>()
    );
    let r = interactions::switch_canceled(&store, &[letter.entry.entry_no])?;
    say!(
        "   switched again: canceled = {} on entry {}",
        r.canceled,
        letter.entry.entry_no
    );

    step(&mut n, "A segment for campaign CP1001, built by criteria");
    let seg = segments::create(
        &store,
        &ctx,
        &SegmentInput {
            no: None,
            description: "Increase sale".into(),
            salesperson: Some(code("HR")?),
            campaign: Some(code("CP1001")?),
        },
    )?
    .record;
    say!(
        "   created segment {} (number from the SEGM series)",
        seg.no
    );
    segments::set_interaction(
        &store,
        &seg.no,
        &InteractionChange {
            template: Some(code("BUS")?),
            ..InteractionChange::default()
        },
        &bar,
    )?;
    say!("   interaction template BUS copied into the header: cost 8.00, 30 min, hard copy");
    let f = |s: &str| FieldFilter::parse(s).map_err(anyhow::Error::from);
    let c = segments::add_contacts(
        &store,
        &seg.no,
        &[f("City=Manchester|Newport")?],
        CriteriaOptions::default(),
        &bar,
    )?;
    say!(
        "   add contacts City=Manchester|Newport → {} lines",
        c.segment.line_count
    );
    let c = segments::add_contacts(
        &store,
        &seg.no,
        &[f("Name=@*ltd*")?],
        CriteriaOptions {
            expand_companies: true,
            ..CriteriaOptions::default()
        },
        &bar,
    )?;
    say!(
        "   add contacts Name=@*ltd* with their persons → {} lines",
        c.segment.line_count
    );
    let c = segments::reduce(&store, &seg.no, &[f("Type=Person")?], false, &bar)?;
    say!("   reduce Type=Person → {} lines", c.segment.line_count);
    let c = segments::go_back(&store, &seg.no, &bar)?;
    say!(
        "   go back → {} lines again (the {} persons are back with their line numbers)",
        c.segment.line_count,
        c.lines_changed
    );

    step(
        &mut n,
        "Overriding one line: Andrew Lan gets the ABSTRACT template at 12.50",
    );
    let lines = segments::lines(&store, &segments::get(&store, &seg.no)?)?;
    let andrew = lines
        .iter()
        .find(|l| l.contact_no.as_str() == "CT100125")
        .map(|l| l.line_no)
        .ok_or_else(|| anyhow::anyhow!("demo data changed: CT100125 not in the segment"))?;
    let l = segments::set_line(
        &store,
        &seg.no,
        andrew,
        &LineChange {
            template: Some(code("ABSTRACT")?),
            cost: Some(code("12.50")?),
            ..LineChange::default()
        },
    )?;
    say!(
        "   line {}: template {}, description \"{}\", cost {}, {} min",
        l.line_no,
        l.template_code.as_ref().map(|t| t.as_str()).unwrap_or(""),
        l.description,
        l.cost,
        l.duration_min
    );

    step(
        &mut n,
        "Logging the segment with a follow-up segment (checked first with a dry run)",
    );
    let dry = log_segment(
        &store,
        &ctx,
        &seg.no,
        LogOptions {
            follow_up: true,
            dry_run: true,
        },
        &bar,
    )?;
    say!(
        "   dry run: {} entries would be written, nothing was",
        dry.entries
    );
    let o = log_segment(
        &store,
        &ctx,
        &seg.no,
        LogOptions {
            follow_up: true,
            dry_run: false,
        },
        &bar,
    )?;
    say!(
        "   logged segment {}: entries {}..{}, campaign entr(ies) {:?}, follow-up segment {}",
        o.logged_segment_entry_no,
        o.first_entry_no,
        o.last_entry_no,
        o.campaign_entries.iter().map(|c| c.0).collect::<Vec<_>>(),
        o.follow_up_segment_no
            .as_ref()
            .map(|s| s.as_str())
            .unwrap_or("-")
    );
    say!(
        "   segment {} is gone; {} segment(s) left",
        seg.no,
        segments::list(&store)?.len()
    );
    say!("   Andrew Lan's history (contact index: single interactions and the logged segment merged):");
    for e in store.contact_entries(&code("CT100125")?)? {
        say!("     {}", entry_line(&e));
    }

    step(
        &mut n,
        "Cancelling the logged segment cascades to its entries and campaign entry",
    );
    let v = logged::switch_canceled(&store, o.logged_segment_entry_no)?;
    say!("   canceled = {}: {} interactions, {} campaign entr(ies) (BC counts those with the same canceled flag)",
        v.logged.canceled, v.no_of_interactions, v.no_of_campaign_entries);
    let v = logged::switch_canceled(&store, o.logged_segment_entry_no)?;
    say!(
        "   switched back: canceled = {}, {} interactions",
        v.logged.canceled,
        v.no_of_interactions
    );

    step(
        &mut n,
        "Outcomes come in; a follow-up segment for the positive ones only",
    );
    let entries = interactions::list(
        &store,
        &EntryFilter {
            logged_segment: Some(o.logged_segment_entry_no),
            ..EntryFilter::default()
        },
    )?;
    for e in entries.iter().take(3) {
        interactions::edit(
            &store,
            &ctx,
            e.entry_no,
            &EntryEdit {
                evaluation: Some(Evaluation::Positive),
                ..EntryEdit::default()
            },
        )?;
    }
    say!("   marked {} entries positive", entries.len().min(3));
    let fu = logged::follow_up(
        &store,
        &ctx,
        o.logged_segment_entry_no,
        &OutcomeFilter {
            evaluation: Some(Evaluation::Positive),
            ..OutcomeFilter::default()
        },
        &bar,
    )?;
    say!(
        "   follow-up segment {} \"{}\" with {} lines",
        fu.record.no,
        fu.record.description,
        fu.record.line_count
    );

    step(
        &mut n,
        "Statistics per template (canceled and postponed entries do not count)",
    );
    for s in stats::stats(&store, StatsBy::Template)? {
        say!(
            "   {:<9} {:>3} interactions  cost {:>7}  {:>5} min  last {}",
            s.key,
            s.interactions,
            s.cost,
            s.duration_min,
            s.last_date.map(|d| d.to_string()).unwrap_or_default()
        );
    }
    say!("\nDone. Explore the store with e.g. `interlog --store {} interaction list` or `segment list`.", env.store_path.display());
    if env.out.json {
        env.out.json(&serde_json::json!({
            "store": env.store_path,
            "logged_segment": o.logged_segment_entry_no,
            "entries": o.entries,
            "follow_up_segment": o.follow_up_segment_no,
            "outcome_follow_up_segment": fu.record.no,
        }))?;
    }
    Ok(())
}
