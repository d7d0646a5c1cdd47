//! Saved segment criteria: save a segment's criteria actions under a code, list, show and
//! delete them, and reuse them on a segment — the same one or another — by replaying each
//! action through the code of add-contacts, reduce, refine and reuse-logged.
//!
//! Reference: BC's tables *Saved Segment Criteria* (5098) and *Saved Segment Criteria Line*
//! (5099), page *Save Segment Criteria* (5142) and *Segment Header* `SaveCriteria` /
//! `ReuseCriteria`:
//! * saving needs at least one criteria action (`TestField("No. of Criteria Actions")`), a code
//!   that is not blank and not in use (the page inserts and deletes a record to check), copies
//!   every action with its options and filters, and records the user;
//! * reusing on a segment that has criteria actions already asks "Segment %1 already contains
//!   %2 No. of Criteria Actions. Are you sure you want to reuse a Saved Segment Criteria?"
//!   (default No) — interlog refuses unless asked to append;
//! * each action runs its report (*Add Contacts*, *Remove Contacts - Reduce* / *- Refine*) with
//!   the saved filters and options, so the new lines inherit the segment's own header
//!   (template, salesperson, campaign …) and each replayed action is recorded on the segment
//!   as a criteria action of its own. BC passes *Entire Companies* of a refine to the reduce
//!   report's variable (`ReduceContacts.SetOptions` in the refine branch), so a replayed refine
//!   loses it; interlog keeps it.
//!
//! A replay holds the writer lock throughout and checks every action before the first one
//! runs; each action then commits like the command it replays (one transaction each), so a
//! crash part way leaves the actions replayed so far, each one a criteria action go back can
//! undo. A reduce or refine that empties the segment during a replay keeps the criteria.

use crate::ops::found;
use crate::storage::Change;
use serde::Serialize;

use super::logged::OutcomeFilter;
use super::segments::{
    add_contacts_locked, narrow_locked, reuse_logged_locked, NarrowOptions, Progress, WhenEmptied,
};
use super::{Ctx, OpError};
use crate::domain::filter::FieldFilter;
use crate::domain::*;
use crate::storage::{Store, UnitOfWork};

/// Saved criteria with BC's *No. of Actions*.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SavedCriteriaView {
    /// The record.
    #[serde(flatten)]
    pub criteria: SavedCriteria,
    /// Number of actions.
    pub no_of_actions: usize,
}

impl From<SavedCriteria> for SavedCriteriaView {
    fn from(c: SavedCriteria) -> Self {
        SavedCriteriaView {
            no_of_actions: c.actions.len(),
            criteria: c,
        }
    }
}

/// An action checked for replay.
enum Step {
    Add(Vec<FieldFilter>, CriteriaOptions),
    Narrow(CriteriaKind, Vec<FieldFilter>, CriteriaOptions),
    ReuseLogged(LoggedSegmentNo, OutcomeFilter),
}

/// Checks that `a` can be run again; `Err` says why not.
fn step_of(a: &SavedCriteriaAction) -> Result<Step, String> {
    let parse = |fs: &[String]| -> Result<Vec<FieldFilter>, String> {
        fs.iter()
            .map(|f| FieldFilter::parse(f).map_err(|_| format!("{f:?} is not a contact filter")))
            .collect()
    };
    match a.kind {
        CriteriaKind::Add => Ok(Step::Add(parse(&a.filters)?, a.options)),
        CriteriaKind::Reduce | CriteriaKind::Refine => {
            Ok(Step::Narrow(a.kind, parse(&a.filters)?, a.options))
        }
        CriteriaKind::ReuseLogged => {
            let ls = a
                .logged_segment
                .ok_or_else(|| "it names no logged segment".to_string())?;
            let f = OutcomeFilter::from_descriptions(&a.filters)
                .ok_or_else(|| format!("{:?} is not an outcome filter", a.filters.join(" & ")))?;
            Ok(Step::ReuseLogged(ls, f))
        }
    }
}

fn load(store: &Store, code: &CriteriaCode) -> Result<SavedCriteria, OpError> {
    found(store.saved_criteria(code)?, "saved criteria", code)
}

/// Saves the criteria actions of `segment` under `code` (BC: *Segment Header* `SaveCriteria`).
/// Refused when the segment has no criteria action, when the code is in use, and when an action
/// cannot be run again (a list of contacts added from a file records no filter).
pub fn save(
    store: &Store,
    ctx: &Ctx,
    segment: &SegmentNo,
    code: &CriteriaCode,
    description: &str,
) -> Result<SavedCriteriaView, OpError> {
    let _w = store.writer();
    let h: SegmentHeader = found(store.segment(segment)?, "segment", segment)?;
    if h.criteria.is_empty() {
        return Err(OpError::NoCriteriaToSave {
            segment: segment.clone(),
        });
    }
    if store.has_saved_criteria(code)? {
        return Err(OpError::AlreadyExists {
            what: "saved criteria",
            key: code.to_string(),
        });
    }
    let description = check_text("description", description, SAVED_CRITERIA_DESCRIPTION_LEN)?;
    let mut actions = Vec::with_capacity(h.criteria.len());
    for a in &h.criteria {
        let saved = SavedCriteriaAction::from(a);
        if let Err(problem) = step_of(&saved) {
            return Err(OpError::CriteriaNotReplayable {
                segment: segment.clone(),
                action: a.describe(),
                problem,
            });
        }
        actions.push(saved);
    }
    let c = SavedCriteria {
        code: code.clone(),
        description,
        user_id: ctx.user.clone(),
        actions,
    };
    let mut ws = UnitOfWork::new();
    ws.change(Change::PutSavedCriteria(c.clone()));
    store.apply(ws)?;
    Ok(c.into())
}

/// Every saved criteria, by code.
pub fn list(store: &Store) -> Result<Vec<SavedCriteriaView>, OpError> {
    Ok(store
        .all_saved_criteria()?
        .into_iter()
        .map(SavedCriteriaView::from)
        .collect())
}

/// One saved criteria.
pub fn get(store: &Store, code: &CriteriaCode) -> Result<SavedCriteriaView, OpError> {
    Ok(load(store, code)?.into())
}

/// Deletes saved criteria (with their actions, as BC's `OnDelete` deletes the lines).
pub fn delete(store: &Store, code: &CriteriaCode) -> Result<SavedCriteriaView, OpError> {
    let _w = store.writer();
    let c = load(store, code)?;
    let mut ws = UnitOfWork::new();
    ws.change(Change::RemoveSavedCriteria(code.clone()));
    store.apply(ws)?;
    Ok(c.into())
}

/// What reusing saved criteria did.
#[derive(Clone, Debug, Serialize)]
pub struct ReuseResult {
    /// The segment afterwards.
    pub segment: SegmentHeader,
    /// Actions replayed.
    pub actions_replayed: usize,
    /// Lines the actions added.
    pub lines_added: u64,
    /// Lines the actions removed.
    pub lines_removed: u64,
}

/// Replays saved criteria on `segment` (BC: *Segment Header* `ReuseCriteria`), each action in
/// order through the code of the command it came from. A segment that has criteria actions
/// already is refused unless `append` (BC asks, default No). Every action is checked first —
/// its filters, the logged segment it reuses — so a refused replay writes nothing.
pub fn reuse(
    store: &Store,
    segment: &SegmentNo,
    code: &CriteriaCode,
    append: bool,
    progress: &dyn Progress,
) -> Result<ReuseResult, OpError> {
    let writer = store.writer();
    let c = load(store, code)?;
    let h: SegmentHeader = found(store.segment(segment)?, "segment", segment)?;
    if !h.criteria.is_empty() && !append {
        return Err(OpError::SegmentHasCriteria {
            segment: segment.clone(),
            actions: h.criteria.len(),
        });
    }
    let mut steps = Vec::with_capacity(c.actions.len());
    for (i, a) in c.actions.iter().enumerate() {
        let step = step_of(a).map_err(|problem| OpError::SavedCriteriaBroken {
            code: code.clone(),
            action: i + 1,
            problem,
        })?;
        if let Step::ReuseLogged(ls, _) = &step {
            if !store.has_logged_segment(*ls)? {
                return Err(OpError::SavedCriteriaBroken {
                    code: code.clone(),
                    action: i + 1,
                    problem: format!("logged segment {ls} does not exist any more"),
                });
            }
        }
        steps.push(step);
    }
    let mut result = ReuseResult {
        segment: h,
        actions_replayed: 0,
        lines_added: 0,
        lines_removed: 0,
    };
    for step in steps {
        let change = match step {
            Step::Add(filters, options) => {
                let change =
                    add_contacts_locked(store, &writer, segment, &filters, options, progress)?;
                result.lines_added += change.lines_changed;
                change
            }
            Step::Narrow(kind, filters, options) => {
                let opts = NarrowOptions {
                    entire_companies: options.entire_companies,
                    all: filters.is_empty(),
                    when_emptied: WhenEmptied::KeepCriteria,
                };
                let change =
                    narrow_locked(store, &writer, segment, &filters, opts, kind, progress)?;
                result.lines_removed += change.lines_changed;
                change
            }
            Step::ReuseLogged(ls, filter) => {
                let change = reuse_logged_locked(store, &writer, segment, ls, &filter, progress)?;
                result.lines_added += change.lines_changed;
                change
            }
        };
        result.segment = change.segment;
        result.actions_replayed += 1;
    }
    Ok(result)
}
