//! `interlog gen`: fills a store with synthetic contacts, the templates they need and one
//! segment of M lines, for benchmarks and demos. Deterministic for a given seed.
//!
//! Contacts are numbered `GC00000001`… (every fifth one a company, the others persons of the
//! company before them), spread over Business Central's seven demo salespeople, with e-mail
//! addresses for most and a mix of correspondence types. Master data is one sled key per
//! record, so generating contacts costs about 5–7 µs each; they are written in parallel
//! chunks and made durable at the end. The segment's lines are written as staged blocks and
//! become visible in one transaction, like every bulk change.

use serde::Serialize;

use crate::domain::*;
use crate::ops::master::{CampaignInput, MasterBatch};
use crate::ops::segments::{self, InteractionChange, SegmentInput};
use crate::ops::{Ctx, OpError};
use crate::progress::{NoProgress, Progress};
use crate::storage::{Store, UnitOfWork};

/// What to generate.
#[derive(Clone, Copy, Debug)]
pub struct GenOptions {
    /// Number of contacts.
    pub contacts: u64,
    /// Lines of the generated segment (at most the number of eligible contacts).
    pub segment_size: u64,
    /// Seed of the pseudo-random choices.
    pub seed: u64,
}

/// What was generated.
#[derive(Clone, Debug, Serialize)]
pub struct GenReport {
    /// Contacts written.
    pub contacts: u64,
    /// The generated segment.
    pub segment_no: Option<SegmentNo>,
    /// Its lines.
    pub lines: u64,
    /// Template set on the segment.
    pub template: TemplateCode,
    /// Campaign set on the segment.
    pub campaign: CampaignNo,
}

/// splitmix64: a tiny, well-known, deterministic generator.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const SALESPEOPLE: [(&str, &str); 7] = [
    ("BC", "Benjamin Chiu"),
    ("EH", "Ester Henderson"),
    ("HR", "Helena Ray"),
    ("JO", "Jim Olive"),
    ("LT", "Lina Townsend"),
    ("OF", "Otis Falls"),
    ("RB", "Robin Bettencourt"),
];
const CITIES: [&str; 8] = [
    "London",
    "Manchester",
    "Cambridge",
    "Chicago",
    "Miami",
    "Munchen",
    "Newport",
    "Brixham",
];
const COUNTRIES: [&str; 8] = ["GB", "GB", "GB", "US", "US", "DE", "GB", "GB"];

/// The number of generated contact `i` (0-based).
pub fn contact_no(i: u64) -> ContactNo {
    ContactNo::new(&format!("GC{:08}", i + 1)).expect("valid generated number")
}

/// Generated contact `i`, the same for the same seed.
pub fn contact(seed: u64, i: u64) -> Contact {
    let mut r = Rng(seed ^ i.wrapping_mul(0x2545_f491_4f6c_dd1d));
    let company_index = i - i % 5;
    let kind = if i.is_multiple_of(5) {
        ContactKind::Company
    } else {
        ContactKind::Person
    };
    let no = contact_no(i);
    let name = match kind {
        ContactKind::Company => format!("Company {}", i / 5 + 1),
        ContactKind::Person => format!("Person {} of company {}", i % 5, i / 5 + 1),
    };
    let mut c = Contact::new(no, &name, kind);
    if kind == ContactKind::Person {
        c.company_no = Some(contact_no(company_index));
    }
    let city = (company_index / 5 % CITIES.len() as u64) as usize;
    c.city = CITIES[city].to_string();
    c.country_code = Some(CountryCode::new(COUNTRIES[city]).expect("valid country"));
    c.post_code = format!("PC{:05}", company_index % 100_000);
    c.salesperson_code = Some(
        SalespersonCode::new(SALESPEOPLE[r.below(SALESPEOPLE.len() as u64) as usize].0)
            .expect("valid salesperson"),
    );
    if r.below(10) < 8 {
        c.email = format!("c{}@example.com", i + 1);
    }
    c.correspondence_type = match r.below(3) {
        0 => CorrespondenceType::Blank,
        1 => CorrespondenceType::HardCopy,
        _ => CorrespondenceType::Email,
    };
    c.exclude_from_segment = r.below(100) == 0;
    c
}

/// Generates contacts, templates and one segment (see the module docs).
pub fn generate(
    store: &Store,
    ctx: &Ctx,
    opts: GenOptions,
    progress: &dyn Progress,
) -> Result<GenReport, OpError> {
    if store.has_contact(&contact_no(0))? {
        return Err(OpError::Refused {
            reason: format!(
                "this store already holds generated contacts ({} exists) — generate into a new store",
                contact_no(0)
            ),
        });
    }
    let template = TemplateCode::new("GENLETTER")?;
    let campaign = CampaignNo::new("GENCAMP")?;
    {
        let mut b = MasterBatch::new(store);
        for (code, name) in SALESPEOPLE {
            let code = SalespersonCode::new(code)?;
            if !store.has_salesperson(&code)? {
                b.add_salesperson(Salesperson {
                    email: format!("{code}@contoso.com"),
                    code,
                    name: name.to_string(),
                    blocked: false,
                    privacy_blocked: false,
                })?;
            }
        }
        let group = GroupCode::new("GEN")?;
        if !store.has_group(&group)? {
            b.add_group(InteractionGroup {
                code: group.clone(),
                description: "Generated mailings".into(),
            })?;
        }
        if !store.has_campaign(&campaign)? {
            b.add_campaign(
                ctx,
                CampaignInput {
                    no: Some(campaign.to_string()),
                    description: "Generated campaign".into(),
                    ..CampaignInput::default()
                },
            )?;
        }
        if !store.has_template(&template)? {
            b.add_template(InteractionTemplate {
                code: template.clone(),
                group_code: group,
                description: "Generated letter".into(),
                unit_cost: Money(50),
                unit_duration_min: 1,
                information_flow: InformationFlow::Outbound,
                initiated_by: InitiatedBy::Us,
                correspondence_type_default: CorrespondenceType::HardCopy,
                ignore_contact_correspondence_type: false,
                language_code_default: None,
                campaign_no: None,
            })?;
        }
        b.commit()?;
    }
    // Contacts: streamed into contact blocks (merged with any stored contacts), one commit.
    progress.start("contacts", opts.contacts);
    {
        let w = store.writer();
        let mut done = 0u64;
        let contacts = (0..opts.contacts).map(|i| {
            done += 1;
            if done.is_multiple_of(8192) {
                progress.advance(8192);
            }
            Ok(contact(opts.seed, i))
        });
        store.put_contacts_bulk(&w, contacts, UnitOfWork::new())?;
        progress.advance(opts.contacts % 8192);
    }
    progress.finish();
    let mut report = GenReport {
        contacts: opts.contacts,
        segment_no: None,
        lines: 0,
        template: template.clone(),
        campaign: campaign.clone(),
    };
    if opts.segment_size == 0 {
        return Ok(report);
    }
    let contacts = (0..opts.contacts)
        .map(|i| contact(opts.seed, i))
        .filter(|c| !c.privacy_blocked);
    let (no, lines) = make_segment(
        store,
        ctx,
        opts,
        contacts.take(opts.segment_size as usize),
        opts.segment_size,
        (&template, &campaign),
        progress,
    )?;
    report.segment_no = Some(no);
    report.lines = lines;
    Ok(report)
}

/// Makes one segment with a line for each of `contacts` (`size` of them). Returns its number
/// and line count.
fn make_segment(
    store: &Store,
    ctx: &Ctx,
    opts: GenOptions,
    contacts: impl Iterator<Item = Contact>,
    size: u64,
    (template, campaign): (&TemplateCode, &CampaignNo),
    progress: &dyn Progress,
) -> Result<(SegmentNo, u64), OpError> {
    let seg = segments::create(
        store,
        ctx,
        &SegmentInput {
            no: None,
            description: format!("Generated mailing of {size} contacts"),
            salesperson: None,
            campaign: Some(campaign.clone()),
        },
    )?
    .record;
    segments::set_interaction(
        store,
        &seg.no,
        &InteractionChange {
            template: Some(template.clone()),
            ..InteractionChange::default()
        },
        &NoProgress,
    )?;
    let writer = store.writer();
    let header = segments::get(store, &seg.no)?;
    let contacts = contacts.map(|c| LineContact::from(&c));
    let mut action =
        segments::next_action(&header, CriteriaKind::Add, &[], CriteriaOptions::default());
    action.filters = vec![format!(
        "No.={}..{}",
        contact_no(0),
        contact_no(opts.contacts.saturating_sub(1))
    )];
    progress.start("segment lines", size.min(opts.contacts));
    let change = segments::append_lines(
        store,
        &writer,
        Default::default(),
        header,
        contacts,
        action,
        progress,
    )?;
    progress.finish();
    Ok((change.segment.no, change.lines_changed))
}

/// Sizes of `k` segments of a nightly mix, deterministic for `seed`: about 95 % of
/// 1,000–10,000 lines, 4 % of 10,000–100,000 and 1 % of 100,000–1,000,000, each at most
/// `max` (the eligible contacts).
pub fn mix_sizes(k: u64, max: u64, seed: u64) -> Vec<u64> {
    let mut r = Rng(seed ^ 0x6d69_7865_6421);
    (0..k)
        .map(|_| {
            let (lo, hi) = match r.below(100) {
                0 => (100_000, 1_000_000),
                1..=4 => (10_000, 100_000),
                _ => (1_000, 10_000),
            };
            (lo + r.below(hi - lo + 1)).min(max).max(1)
        })
        .collect()
}

/// Adds the `k` segments of a nightly mix ([`mix_sizes`]) to a store made by [`generate`]
/// with the same `opts`: each takes its contacts where the previous one stopped (wrapping
/// around), all with the generated template and campaign. Returns (segment, lines) in order.
pub fn generate_mix(
    store: &Store,
    ctx: &Ctx,
    opts: GenOptions,
    k: u64,
    progress: &dyn Progress,
) -> Result<Vec<(SegmentNo, u64)>, OpError> {
    let template = TemplateCode::new("GENLETTER")?;
    let campaign = CampaignNo::new("GENCAMP")?;
    if !store.has_template(&template)? {
        return Err(OpError::Refused {
            reason: "no generated data in this store — mixed segments are added to a store made by `gen`".into(),
        });
    }
    let eligible: Vec<u64> = (0..opts.contacts)
        .filter(|&i| !contact(opts.seed, i).privacy_blocked)
        .collect();
    if eligible.is_empty() {
        return Err(OpError::Refused {
            reason: "no eligible generated contacts to put in segments".into(),
        });
    }
    let n = eligible.len();
    progress.start("mixed segments", k);
    let mut skip = 0;
    let mut out = Vec::new();
    for size in mix_sizes(k, n as u64, opts.seed) {
        let contacts = eligible[skip..]
            .iter()
            .chain(&eligible[..skip])
            .take(size as usize)
            .map(|&i| contact(opts.seed, i));
        out.push(make_segment(
            store,
            ctx,
            opts,
            contacts,
            size,
            (&template, &campaign),
            &segments::NoProgress,
        )?);
        skip = (skip + size as usize) % n;
        progress.advance(1);
    }
    progress.finish();
    Ok(out)
}
