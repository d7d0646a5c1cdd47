//! The physical floor: no database, no index structure, no transaction — from the lines
//! (already in memory: loaded before the clock, so they count in this child's peak RSS), build
//! full `LogEntry` values, encode entries, follow-up lines and (contact, entry) pairs with
//! bincode 2 into one file through a `BufWriter` on one thread, fsync. Any engine doing the
//! same work durably pays about this.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read};
use std::path::Path;
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};
use bincode::config::standard;
use bincode::serde::{decode_from_std_read, encode_into_std_write};
use interlog::domain::*;
use interlog::ops::segments;
use interlog::storage::Store;

use crate::common::{
    ctx, for_each_segment_line, fsync_dir, ms_since, ChildReport, Digest, Meta, Stats, SEGMENT,
};

/// Input: the segment's lines, `u64` count then every `SegmentLine`, bincode (untimed to make).
pub fn write_input(dir: &Path, store: &Store, meta: &Meta) -> Result<()> {
    let p = dir.join("lines.bin");
    let mut w = BufWriter::with_capacity(1 << 20, File::create(&p)?);
    encode_into_std_write(meta.lines, &mut w, standard())?;
    let h = segments::get(store, &SegmentNo::new(SEGMENT)?)?;
    for_each_segment_line(store, &h, meta.lines, "the limit's input", |l| {
        encode_into_std_write(l, &mut w, standard())?;
        Ok(())
    })?;
    w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    Ok(())
}

fn decode<T: serde::de::DeserializeOwned, R: Read>(r: &mut R, what: &str) -> Result<T> {
    decode_from_std_read(r, standard()).with_context(|| format!("decode {what}"))
}

/// The timed child.
pub fn child(dir: &Path) -> Result<ChildReport> {
    let meta = Meta::read(dir)?;
    let c = ctx();
    let seg = Some(SegmentNo::new(SEGMENT)?);
    let logged = Some(LoggedSegmentNo(meta.logged));
    let fu_salesperson = meta
        .salesperson
        .as_deref()
        .map(SalespersonCode::new)
        .transpose()?;
    let fu_campaign = meta.campaign.as_deref().map(CampaignNo::new).transpose()?;
    let fu_description = follow_up_description(&SegmentNo::new(SEGMENT)?);
    let fu_header = SegmentInteraction::default().header_correspondence();
    let out_path = dir.join("limit.bin");
    let lines: Vec<SegmentLine> = {
        let mut input = BufReader::with_capacity(1 << 20, File::open(dir.join("lines.bin"))?);
        let n: u64 = decode(&mut input, "line count")?;
        (0..n)
            .map(|_| decode(&mut input, "segment line"))
            .collect::<Result<_>>()?
    };
    let n = lines.len() as u64;
    // SAFETY: sync(2) takes no arguments and cannot fail.
    unsafe { libc::sync() };
    let t0 = Instant::now();
    let mut w = BufWriter::with_capacity(1 << 20, File::create(&out_path)?);
    encode_into_std_write(n, &mut w, standard())?;
    let mut pairs: Vec<(ContactNo, EntryNo)> = Vec::with_capacity(n as usize);
    for (k, l) in (0u64..).zip(lines) {
        let entry_no = EntryNo(meta.first_entry + k);
        let campaign_entry_no = l.campaign_no.as_ref().and_then(|cn| {
            meta.campaign_entries
                .iter()
                .find(|ce| &ce.campaign_no == cn)
                .map(|ce| ce.entry_no)
        });
        let salesperson = l
            .salesperson_code
            .clone()
            .ok_or_else(|| anyhow!("line {} has no salesperson", l.line_no))?;
        let follow_up = SegmentLine {
            line_no: (k + 1) * LINE_NO_STEP,
            contact_no: l.contact_no.clone(),
            contact_company_no: l.contact_company_no.clone(),
            contact_profile: l.contact_profile,
            template_code: None,
            group_code: None,
            description: fu_description.clone(),
            description_typed: false,
            subject: String::new(),
            cost: Money::ZERO,
            duration_min: 0,
            date: c.work_date,
            time: None,
            salesperson_code: Some(
                fu_salesperson
                    .clone()
                    .unwrap_or_else(|| salesperson.clone()),
            ),
            correspondence_type: resolve_correspondence(
                Some(fu_header),
                CorrespondenceType::Blank,
                false,
                l.contact_profile,
            ),
            language_code: None,
            campaign_no: fu_campaign.clone(),
            evaluation: Evaluation::Blank,
            information_flow: InformationFlow::Blank,
            initiated_by: InitiatedBy::Blank,
            attempt_failed: false,
        };
        pairs.push((l.contact_no.clone(), entry_no));
        let entry = LogEntry {
            entry_no,
            contact_no: l.contact_no,
            contact_company_no: l.contact_company_no,
            date: l.date,
            time_of_interaction: l.time.unwrap_or(c.time),
            description: l.description,
            subject: l.subject,
            information_flow: l.information_flow,
            initiated_by: l.initiated_by,
            cost: l.cost,
            duration_min: l.duration_min,
            user_id: c.user.to_string(),
            group_code: l
                .group_code
                .ok_or_else(|| anyhow!("line {} has no group", l.line_no))?,
            template_code: l
                .template_code
                .ok_or_else(|| anyhow!("line {} has no template", l.line_no))?,
            campaign_no: l.campaign_no,
            campaign_entry_no,
            segment_no: seg.clone(),
            logged_segment_entry_no: logged,
            salesperson_code: salesperson,
            correspondence_type: l.correspondence_type,
            language_code: l.language_code,
            evaluation: l.evaluation,
            attempt_failed: l.attempt_failed,
            postponed: false,
            canceled: false,
            comments: Vec::new(),
        };
        encode_into_std_write(&entry, &mut w, standard())?;
        encode_into_std_write(&follow_up, &mut w, standard())?;
    }
    let built_ms = ms_since(t0);
    let t = Instant::now();
    // Like interlog's index run: sorted by contact, sorting skipped when already in order.
    if !pairs.is_sorted() {
        pairs.sort_unstable();
    }
    for p in &pairs {
        encode_into_std_write(p, &mut w, standard())?;
    }
    let f = w.into_inner().map_err(|e| e.into_error())?;
    let pairs_ms = ms_since(t);
    let t = Instant::now();
    f.sync_all()?;
    fsync_dir(dir)?;
    let fsync_ms = ms_since(t);
    let elapsed_s = t0.elapsed().as_secs_f64();
    let disk_bytes = std::fs::metadata(&out_path)?.len();
    Ok(ChildReport {
        engine: "limit".into(),
        elapsed_s,
        entries: n,
        follow_up_no: meta.follow_up_no.clone(),
        disk_bytes,
        strategy: None,
        phases_ms: vec![
            ("build+encode entries and lines".into(), built_ms),
            ("index pairs".into(), pairs_ms),
            ("fsync".into(), fsync_ms),
        ],
        ..ChildReport::default()
    })
}

/// What the limit wrote, read back.
pub fn stats(dir: &Path) -> Result<Stats> {
    let mut r = BufReader::with_capacity(1 << 20, File::open(dir.join("limit.bin"))?);
    let n: u64 = decode(&mut r, "entry count")?;
    let mut s = Stats::default();
    let (mut de, mut dl) = (Digest::default(), Digest::default());
    for _ in 0..n {
        let e: LogEntry = decode(&mut r, "entry")?;
        let l: SegmentLine = decode(&mut r, "follow-up line")?;
        s.add_entry(&e, &mut de);
        s.add_line(&l, &mut dl);
    }
    let mut prev: Option<(ContactNo, EntryNo)> = None;
    for _ in 0..n {
        let p: (ContactNo, EntryNo) = decode(&mut r, "index pair")?;
        if prev.as_ref().is_some_and(|q| q > &p) {
            bail!("limit: index pairs are not sorted");
        }
        prev = Some(p);
    }
    let mut rest = Vec::new();
    r.read_to_end(&mut rest)?;
    if !rest.is_empty() {
        bail!(
            "limit: {} unexpected bytes at the end of limit.bin",
            rest.len()
        );
    }
    s.entries_digest = de.value();
    s.follow_up_digest = dl.value();
    Ok(s)
}
