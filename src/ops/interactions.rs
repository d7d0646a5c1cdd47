//! Single interactions: create (for a contact, for a salesperson, from an existing entry),
//! postpone / resume / delete postponed (SPEC §2.3), switch canceled with the first-selected
//! rule and the un-cancel guard (§2.4), edit, show, list.

use crate::ops::found;
use crate::storage::Change;
use crate::storage::Counter;
use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::Serialize;

use super::{requests, setup, Ctx, OpError};
use crate::domain::*;
use crate::storage::{EntriesForUpdate, StorageError, Store, UnitOfWork};

/// Which entries a listing shows (defined with the other entry selections in `domain`).
pub use crate::domain::EntryFilter;

/// What the user gives to create (or resume) an interaction. Unset fields take their defaults
/// (SPEC §2.2).
#[derive(Clone, Debug, Default)]
pub struct InteractionRequest {
    /// Contact.
    pub contact: Option<ContactNo>,
    /// Pre-fill contact, template and salesperson from this entry.
    pub from_entry: Option<EntryNo>,
    /// Template.
    pub template: Option<TemplateCode>,
    /// Salesperson.
    pub salesperson: Option<SalespersonCode>,
    /// Description (default: the template's).
    pub description: Option<String>,
    /// Subject (default: the description).
    pub subject: Option<String>,
    /// Cost (default: the template's unit cost).
    pub cost: Option<Money>,
    /// Duration in minutes (default: the template's).
    pub duration_min: Option<u32>,
    /// Evaluation.
    pub evaluation: Option<Evaluation>,
    /// The attempt failed (default: successful).
    pub attempt_failed: Option<bool>,
    /// Campaign (default: the template's).
    pub campaign: Option<CampaignNo>,
    /// Correspondence type (default: SPEC §2.5).
    pub correspondence_type: Option<CorrespondenceType>,
    /// Date (default: the work date).
    pub date: Option<NaiveDate>,
    /// Comment lines to add.
    pub comments: Vec<String>,
    /// Save as postponed instead of finishing.
    pub postpone: bool,
}

/// An entry with the title BC shows for it in lists and on its card (see
/// [`entry_title`]). The JSON is the entry's fields plus `title`.
#[derive(Clone, Debug, Serialize)]
pub struct TitledEntry {
    /// The entry.
    #[serde(flatten)]
    pub entry: LogEntry,
    /// `<template description> - by <salesperson>` / `- from <contact>` / plain.
    pub title: String,
}

/// Gives entries their titles (BC's Interaction Log Entry `GetEntryTitle`): templates and
/// salespeople are read once (there are few); a contact's name is read per inbound entry.
pub struct Titles {
    templates: HashMap<TemplateCode, (String, InformationFlow)>,
    salespeople: HashMap<SalespersonCode, String>,
}

impl Titles {
    /// Reads the templates and salespeople.
    pub fn new(store: &Store) -> Result<Titles, OpError> {
        let templates = store
            .all_templates()?
            .into_iter()
            .map(|t| (t.code, (t.description, t.information_flow)))
            .collect();
        let salespeople = store
            .all_salespeople()?
            .into_iter()
            .map(|s| (s.code, s.name))
            .collect();
        Ok(Titles {
            templates,
            salespeople,
        })
    }

    /// The entry's title.
    pub fn title(&self, store: &Store, e: &LogEntry) -> Result<String, OpError> {
        let template = self
            .templates
            .get(&e.template_code)
            .map(|(d, f)| (d.as_str(), *f));
        let contact_name = match template {
            Some((_, InformationFlow::Inbound)) => store.contact(&e.contact_no)?.map(|c| c.name),
            _ => None,
        };
        Ok(entry_title(
            template,
            self.salespeople
                .get(&e.salesperson_code)
                .map(String::as_str),
            contact_name.as_deref(),
        ))
    }

    /// The entry with its title.
    pub fn titled(&self, store: &Store, entry: LogEntry) -> Result<TitledEntry, OpError> {
        let title = self.title(store, &entry)?;
        Ok(TitledEntry { entry, title })
    }
}

/// A stored entry with its campaign entry, if any (made for it, or the campaign's existing
/// one it joined).
#[derive(Clone, Debug, Serialize)]
pub struct Created {
    /// The entry.
    #[serde(flatten)]
    pub entry: LogEntry,
    /// Its campaign entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaign_entry: Option<CampaignEntry>,
    /// True when an earlier run with the same idempotency key made this entry and this run
    /// changed nothing.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub replayed: bool,
}

fn missing(what: &'static str, hint: impl Into<String>) -> OpError {
    OpError::Missing {
        what,
        hint: hint.into(),
    }
}

fn comment_lines(ctx: &Ctx, texts: &[String]) -> Result<Vec<Comment>, OpError> {
    texts
        .iter()
        .map(|t| {
            Ok(Comment {
                date: ctx.work_date,
                text: check_text("comment", t, COMMENT_LEN)?,
            })
        })
        .collect()
}

/// Builds and checks an entry from a request; `base` is the entry being resumed, if any.
fn build_entry(
    store: &Store,
    ctx: &Ctx,
    req: &InteractionRequest,
    entry_no: EntryNo,
    base: Option<&LogEntry>,
) -> Result<LogEntry, OpError> {
    let from = match req.from_entry {
        Some(e) => Some(store.entry(e)?.ok_or_else(|| OpError::NotFound {
            what: "interaction log entry",
            key: e.to_string(),
        })?),
        None => None,
    };
    let prefill = base.or(from.as_ref());
    let contact_no = req
        .contact
        .clone()
        .or_else(|| prefill.map(|e| e.contact_no.clone()))
        .ok_or_else(|| missing("contact", "give --contact N (or --from-entry E)"))?;
    let contact: Contact = found(store.contact(&contact_no)?, "contact", &contact_no)?;
    if contact.privacy_blocked {
        return Err(OpError::PrivacyBlocked {
            contact: contact.no,
        });
    }
    let template_code = req
        .template
        .clone()
        .or_else(|| prefill.map(|e| e.template_code.clone()))
        .ok_or_else(|| missing("interaction template", "give --template CODE"))?;
    let template: InteractionTemplate = found(
        store.template(&template_code)?,
        "interaction template",
        &template_code,
    )?;
    let setup = setup(store)?;
    // The salesperson, in BC's order (Segment Line: Contact No. OnValidate without a segment,
    // SetDefaultSalesperson, then the contact's): the one given (or the entry's being resumed
    // or started from), the user's (User Setup), the contact's — then, beyond BC, marketing
    // setup's default.
    let salesperson_code = match req
        .salesperson
        .clone()
        .or_else(|| prefill.map(|e| e.salesperson_code.clone()))
    {
        Some(sp) => Some(sp),
        None => super::master::user_salesperson(store, &ctx.user)?,
    }
    .or_else(|| contact.salesperson_code.clone())
    .or_else(|| setup.default_salesperson.clone())
    .ok_or_else(|| {
        missing(
            "salesperson",
            format!(
                "give --salesperson CODE, set one on contact {} or for user {} (`interlog user-setup set {} --salesperson CODE`), or set a default with `interlog setup set --default-salesperson CODE`",
                contact.no, ctx.user, ctx.user
            ),
        )
    })?;
    let sp: Salesperson = found(
        store.salesperson(&salesperson_code)?,
        "salesperson",
        &salesperson_code,
    )?;
    if sp.blocked {
        return Err(OpError::SalespersonBlocked { code: sp.code });
    }
    let template_changed = base.is_some_and(|b| b.template_code != template.code);
    fn keep(b: Option<&LogEntry>, template_changed: bool) -> Option<&LogEntry> {
        if template_changed {
            None
        } else {
            b
        }
    }
    let description = match &req.description {
        Some(d) => d.clone(),
        None => keep(base, template_changed)
            .map_or_else(|| template.description.clone(), |b| b.description.clone()),
    };
    let description = check_text("description", &description, DESCRIPTION_LEN)?;
    if description.trim().is_empty() {
        return Err(missing(
            "description",
            format!(
                "template {} has no description; give --description TEXT",
                template.code
            ),
        ));
    }
    let subject = match &req.subject {
        Some(s) => check_text("subject", s, SUBJECT_LEN)?,
        None => {
            keep(base, template_changed).map_or_else(|| description.clone(), |b| b.subject.clone())
        }
    };
    let campaign_no = match &req.campaign {
        Some(c) => Some(c.clone()),
        None => keep(base, template_changed)
            .map_or_else(|| template.campaign_no.clone(), |b| b.campaign_no.clone()),
    };
    if let Some(c) = &campaign_no {
        found(store.campaign(c)?, "campaign", c)?;
    }
    let correspondence_type = req.correspondence_type.unwrap_or_else(|| {
        keep(base, template_changed).map_or_else(
            || {
                resolve_correspondence(
                    None,
                    template.correspondence_type_default,
                    template.ignore_contact_correspondence_type,
                    ContactProfile::from(&contact),
                )
            },
            |b| b.correspondence_type,
        )
    });
    let mut comments = base.map(|b| b.comments.clone()).unwrap_or_default();
    comments.extend(comment_lines(ctx, &req.comments)?);
    let date = req.date.unwrap_or(ctx.work_date);
    Ok(LogEntry {
        entry_no,
        contact_no: contact.no.clone(),
        contact_company_no: contact.company_no.clone(),
        date,
        time_of_interaction: ctx.time,
        description,
        subject,
        information_flow: template.information_flow,
        initiated_by: template.initiated_by,
        cost: req
            .cost
            .or_else(|| keep(base, template_changed).map(|b| b.cost))
            .unwrap_or(template.unit_cost),
        duration_min: req
            .duration_min
            .or_else(|| keep(base, template_changed).map(|b| b.duration_min))
            .unwrap_or(template.unit_duration_min),
        user_id: ctx.user.to_string(),
        group_code: template.group_code.clone(),
        template_code: template.code.clone(),
        campaign_no,
        campaign_entry_no: None,
        segment_no: None,
        logged_segment_entry_no: None,
        salesperson_code: sp.code,
        correspondence_type,
        language_code: template
            .language_code_default
            .clone()
            .or_else(|| contact.language_code.clone()),
        evaluation: req
            .evaluation
            .or_else(|| base.map(|b| b.evaluation))
            .unwrap_or_default(),
        attempt_failed: req
            .attempt_failed
            .or_else(|| base.map(|b| b.attempt_failed))
            .unwrap_or(false),
        postponed: req.postpone,
        canceled: false,
        comments,
    })
}

/// Description of a campaign entry made for single interactions. BC's
/// `SegManagement.CopyFieldsToCampaignEntry` takes the *Interaction Template Setup* caption of
/// the document type, and `Interactions` for an interaction that belongs to no document (the
/// only kind interlog has).
pub const SINGLE_INTERACTIONS_CAMPAIGN_ENTRY: &str = "Interactions";

/// The campaign entry of a finished single interaction with a campaign, found or made.
///
/// BC (`SegManagement.LogInteraction` → `GetCampaignEntryNo`): an interaction for a campaign
/// reuses the first campaign entry with the same campaign, the same segment number — blank for
/// a single interaction — and document type (interlog has none), by date; only when there is
/// none is a new one inserted, with the interaction's date, salesperson and user. So every
/// single interaction of a campaign shares one campaign entry. **Beyond BC:** a *canceled*
/// campaign entry is not reused (BC's filter does not look at `Canceled`, so a new, not
/// canceled interaction could join a canceled entry, and *Delete Campaign Entries* would then
/// delete it); the interaction gets a new campaign entry instead.
fn campaign_entry_for(
    store: &Store,
    e: &mut LogEntry,
    ws: &mut UnitOfWork,
) -> Result<Option<CampaignEntry>, OpError> {
    let Some(campaign) = e.campaign_no.clone() else {
        return Ok(None);
    };
    if e.postponed {
        return Ok(None);
    }
    let reusable = store
        .all_campaign_entries()?
        .into_iter()
        .filter(|c| {
            c.campaign_no == campaign
                && c.segment_no.is_none()
                && c.logged_segment_entry_no.is_none()
                && !c.canceled
        })
        .min_by_key(|c| (c.date, c.entry_no));
    if let Some(ce) = reusable {
        e.campaign_entry_no = Some(ce.entry_no);
        return Ok(Some(ce));
    }
    let no = store.get_counter(Counter::NextCampaignEntry)?;
    let ce = CampaignEntry {
        entry_no: CampaignEntryNo(no),
        campaign_no: campaign,
        description: SINGLE_INTERACTIONS_CAMPAIGN_ENTRY.to_string(),
        date: e.date,
        user_id: e.user_id.clone(),
        segment_no: None,
        salesperson_code: Some(e.salesperson_code.clone()),
        logged_segment_entry_no: None,
        canceled: false,
    };
    ws.change(Change::PutCampaignEntry(ce.clone()));
    ws.change(Change::SetCounter(Counter::NextCampaignEntry, no + 1));
    e.campaign_entry_no = Some(ce.entry_no);
    Ok(Some(ce))
}

/// Creates one interaction (or saves it as postponed), SPEC §2.2.
pub fn create(store: &Store, ctx: &Ctx, req: &InteractionRequest) -> Result<Created, OpError> {
    create_once(store, ctx, req, None)
}

const CREATE: &str = "interaction create";

/// [`create`], safe to run again with the same idempotency `key` (see [`requests`]): a second
/// run with the same key and request changes nothing and returns the entry the first made.
pub fn create_once(
    store: &Store,
    ctx: &Ctx,
    req: &InteractionRequest,
    key: Option<&requests::IdempotencyKey>,
) -> Result<Created, OpError> {
    let _w = store.writer();
    let fingerprint = requests::fingerprint(req);
    if let Some(key) = key {
        if let requests::Prior::Done(result) = requests::check(store, key, CREATE, fingerprint)? {
            let no: EntryNo = result.parse().map_err(|_| OpError::Refused {
                reason: format!(
                    "idempotency key {:?} records entry {result:?}, not an entry number",
                    key.as_str()
                ),
            })?;
            let entry = store.entry(no)?.ok_or_else(|| OpError::Refused {
                reason: format!(
                    "idempotency key {:?} made interaction log entry {no}, which has been deleted since — nothing was created",
                    key.as_str()
                ),
            })?;
            let campaign_entry = match entry.campaign_entry_no {
                Some(ce) => store.campaign_entry(ce)?,
                None => None,
            };
            return Ok(Created {
                entry,
                campaign_entry,
                replayed: true,
            });
        }
    }
    let no = store.entry_horizon()?;
    let mut e = build_entry(store, ctx, req, no, None)?;
    let mut ws = UnitOfWork::new();
    let campaign_entry = campaign_entry_for(store, &mut e, &mut ws)?;
    ws.change(Change::AddEntry(Box::new(e.clone())));
    ws.change(Change::IndexContactEntry(e.contact_no.clone(), no));
    if e.postponed {
        ws.change(Change::MarkPostponed(no));
    }
    ws.change(Change::SetCounter(Counter::NextEntry, no.0 + 1));
    if let Some(key) = key {
        requests::record(
            &mut ws,
            key,
            &requests::RequestRecord {
                command: CREATE.into(),
                fingerprint,
                result: no.to_string(),
                date: ctx.work_date,
            },
        )?;
    }
    store.apply(ws)?;
    Ok(Created {
        entry: e,
        campaign_entry,
        replayed: false,
    })
}

/// One visible entry.
pub fn get(store: &Store, no: EntryNo) -> Result<LogEntry, OpError> {
    store.entry(no)?.ok_or_else(|| OpError::NotFound {
        what: "interaction log entry",
        key: no.to_string(),
    })
}

/// An entry `load_for_update` vouched for and did not return: the store changed under the
/// writer guard (a bug, not bad input).
fn not_read(n: EntryNo) -> OpError {
    OpError::from(StorageError::Inconsistent(format!(
        "entry {n} was read for update but is not there"
    )))
}

/// Reads the entries `nos` for update; refuses an unknown number (the first, in order).
fn load_for_update(store: &Store, nos: &[EntryNo]) -> Result<EntriesForUpdate, OpError> {
    let entries = store.entries_for_update(nos)?;
    match entries.missing() {
        Some(n) => Err(OpError::NotFound {
            what: "interaction log entry",
            key: n.to_string(),
        }),
        None => Ok(entries),
    }
}

/// Every postponed entry, by number.
pub fn postponed(store: &Store) -> Result<Vec<LogEntry>, OpError> {
    let horizon = store.entry_horizon()?;
    let mut out = Vec::new();
    for n in store.postponed_entry_nos()? {
        if n >= horizon {
            continue;
        }
        if let Some(e) = store.entry(n)? {
            out.push(e);
        }
    }
    Ok(out)
}

/// Resumes a postponed entry: same number, the work date as its date, the remaining checks,
/// a campaign entry if a campaign is set. `changes` may change fields (its `contact`,
/// `from_entry` and `postpone` are ignored).
pub fn resume(
    store: &Store,
    ctx: &Ctx,
    no: EntryNo,
    changes: &InteractionRequest,
) -> Result<Created, OpError> {
    let _w = store.writer();
    let old = get(store, no)?;
    if !old.postponed {
        return Err(OpError::NotPostponed { entry: no });
    }
    let req = InteractionRequest {
        contact: Some(old.contact_no.clone()),
        from_entry: None,
        postpone: false,
        date: Some(ctx.work_date),
        ..changes.clone()
    };
    let mut e = build_entry(store, ctx, &req, no, Some(&old))?;
    let mut ws = UnitOfWork::new();
    let campaign_entry = campaign_entry_for(store, &mut e, &mut ws)?;
    let mut entries = load_for_update(store, &[no])?;
    entries.put(&e)?;
    entries.write_to(&mut ws)?;
    ws.change(Change::UnmarkPostponed(no));
    store.apply(ws)?;
    Ok(Created {
        entry: e,
        campaign_entry,
        replayed: false,
    })
}

/// Deletes postponed entries; refuses (deleting nothing) if any is not postponed. An entry
/// selected twice is deleted once.
pub fn delete_postponed(store: &Store, nos: &[EntryNo]) -> Result<Vec<EntryNo>, OpError> {
    let _w = store.writer();
    let mut seen = std::collections::BTreeSet::new();
    let nos: Vec<EntryNo> = nos.iter().copied().filter(|n| seen.insert(*n)).collect();
    let mut entries = load_for_update(store, &nos)?;
    let mut ws = UnitOfWork::new();
    for &n in &nos {
        let e = entries.get(n).ok_or_else(|| OpError::NotFound {
            what: "interaction log entry",
            key: n.to_string(),
        })?;
        if !e.postponed {
            return Err(OpError::NotPostponed { entry: n });
        }
        entries.remove(n);
        ws.change(Change::UnindexContactEntry(e.contact_no.clone(), n));
        ws.change(Change::UnmarkPostponed(n));
    }
    entries.write_to(&mut ws)?;
    store.apply(ws)?;
    Ok(nos)
}

/// Result of switching canceled.
#[derive(Clone, Debug, Serialize)]
pub struct CancelResult {
    /// The value now set on every selected entry.
    pub canceled: bool,
    /// The entries (`entry_nos` in JSON: `entries` is a count everywhere else).
    #[serde(rename = "entry_nos")]
    pub entries: Vec<EntryNo>,
}

/// Switches canceled on a selection: the new value is the opposite of the first selected
/// entry's, applied to all. Un-cancelling is refused while an entry's logged segment or campaign
/// entry is canceled. Logged segment counts follow.
pub fn switch_canceled(store: &Store, nos: &[EntryNo]) -> Result<CancelResult, OpError> {
    set_canceled(store, nos, None)
}

/// Sets canceled on a selection to `to`, or — `None` — switches it as [`switch_canceled`]
/// does. Setting a value is safe to repeat: entries that already have it are left alone, so
/// a script can run it again after a failure without undoing it.
pub fn set_canceled(
    store: &Store,
    nos: &[EntryNo],
    to: Option<bool>,
) -> Result<CancelResult, OpError> {
    let _w = store.writer();
    let Some(&first) = nos.first() else {
        return Err(missing("entry numbers", "give at least one entry number"));
    };
    let mut entries = load_for_update(store, nos)?;
    let target = match to {
        Some(t) => t,
        None => !entries.get(first).map(|e| e.canceled).unwrap_or(false),
    };
    let mut ws = UnitOfWork::new();
    let mut logged: BTreeMap<LoggedSegmentNo, LoggedSegment> = BTreeMap::new();
    let mut seen = std::collections::BTreeSet::new();
    for &n in nos {
        if !seen.insert(n) {
            continue;
        }
        let mut e = entries.get(n).ok_or_else(|| not_read(n))?;
        if e.postponed {
            return Err(OpError::IsPostponed { entry: n });
        }
        if e.canceled == target {
            continue;
        }
        if let Some(ls) = e.logged_segment_entry_no {
            let rec = match logged.entry(ls) {
                std::collections::btree_map::Entry::Occupied(o) => o.into_mut(),
                std::collections::btree_map::Entry::Vacant(v) => {
                    v.insert(found(store.logged_segment(ls)?, "logged segment", &ls)?)
                }
            };
            if !target && rec.canceled {
                return Err(OpError::CannotUncancel {
                    entry: n,
                    reason: format!("its logged segment {ls} is canceled"),
                });
            }
            if target {
                rec.canceled_entries += 1;
            } else {
                rec.canceled_entries -= 1;
            }
        }
        if !target {
            if let Some(ce) = e.campaign_entry_no {
                let c: Option<CampaignEntry> = store.campaign_entry(ce)?;
                if c.is_some_and(|c| c.canceled) {
                    return Err(OpError::CannotUncancel {
                        entry: n,
                        reason: format!("its campaign entry {ce} is canceled"),
                    });
                }
            }
        }
        e.canceled = target;
        entries.put(&e)?;
    }
    entries.write_to(&mut ws)?;
    for rec in logged.into_values() {
        ws.change(Change::PutLoggedSegment(rec));
    }
    store.apply(ws)?;
    Ok(CancelResult {
        canceled: target,
        entries: seen.into_iter().collect(),
    })
}

/// Changes to an existing entry.
#[derive(Clone, Debug, Default)]
pub struct EntryEdit {
    /// Evaluation.
    pub evaluation: Option<Evaluation>,
    /// Cost.
    pub cost: Option<Money>,
    /// Duration.
    pub duration_min: Option<u32>,
    /// Description.
    pub description: Option<String>,
    /// Comment lines to add.
    pub comments: Vec<String>,
}

/// Edits evaluation, cost, duration, description or comments of an entry.
pub fn edit(store: &Store, ctx: &Ctx, no: EntryNo, edit: &EntryEdit) -> Result<LogEntry, OpError> {
    let _w = store.writer();
    let mut entries = load_for_update(store, &[no])?;
    let mut e = entries.get(no).ok_or_else(|| not_read(no))?;
    if e.postponed {
        return Err(OpError::IsPostponed { entry: no });
    }
    if let Some(v) = edit.evaluation {
        e.evaluation = v;
    }
    if let Some(v) = edit.cost {
        e.cost = v;
    }
    if let Some(v) = edit.duration_min {
        e.duration_min = v;
    }
    if let Some(d) = &edit.description {
        let d = check_text("description", d, DESCRIPTION_LEN)?;
        if d.trim().is_empty() {
            return Err(missing("description", "an interaction needs a description"));
        }
        e.description = d;
    }
    e.comments.extend(comment_lines(ctx, &edit.comments)?);
    entries.put(&e)?;
    let mut ws = UnitOfWork::new();
    entries.write_to(&mut ws)?;
    store.apply(ws)?;
    Ok(e)
}

/// Visits the matching entries in number order; `f` returns false to stop.
pub fn for_each(
    store: &Store,
    filter: &EntryFilter,
    mut f: impl FnMut(LogEntry) -> Result<bool, OpError>,
) -> Result<(), OpError> {
    if let Some(contact) = &filter.contact {
        for e in store.contact_entries(contact)? {
            if filter.matches_entry(&e) && !f(e)? {
                break;
            }
        }
        return Ok(());
    }
    store.for_each_entry(&EntrySelection::listed(filter.clone()), |e| f(e.to_entry()))
}

/// The matching entries, in number order.
pub fn list(store: &Store, filter: &EntryFilter) -> Result<Vec<LogEntry>, OpError> {
    let mut out = Vec::new();
    for_each(store, filter, |e| {
        out.push(e);
        Ok(true)
    })?;
    Ok(out)
}
