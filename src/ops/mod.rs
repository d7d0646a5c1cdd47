//! Operations: what a user does to one record or one segment, with the rules of SPEC.md.
//!
//! Every operation that changes data takes the store's writer lock, reads what it needs,
//! checks every rule *before* writing, and then applies all of its writes in one transaction
//! ([`Store::apply`]), which returns only once the writes are durable. A refused operation
//! writes nothing.

pub mod campaign_entries;
pub mod interactions;
pub mod logged;
pub mod master;
pub mod requests;
pub mod saved_criteria;
pub mod segments;
pub mod stats;
pub mod verify;

use chrono::{Local, NaiveDate, NaiveTime, Timelike};

use crate::domain::*;
use crate::storage::{Change, StorageError, Store, UnitOfWork};

/// Who does an operation and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ctx {
    /// BC's work date: the usage date of number series, the default date of interactions and
    /// segments (`--work-date`, default today).
    pub work_date: NaiveDate,
    /// The real date (creation date of logged segments).
    pub today: NaiveDate,
    /// Time of day for new interactions: now, rounded up to the next minute.
    pub time: NaiveTime,
    /// User id written on entries, logged segments and campaign entries: validated when it
    /// was built, so it is never cut here.
    pub user: UserId,
}

impl Ctx {
    /// The current moment for `user`, with the work date = today.
    pub fn now(user: UserId) -> Ctx {
        let now = Local::now().naive_local();
        Ctx::at(user, now.date(), now.time())
    }

    /// A fixed moment (tests, replays). The time is rounded up to the next whole minute.
    pub fn at(user: UserId, today: NaiveDate, time: NaiveTime) -> Ctx {
        let exact = time.second() == 0 && time.nanosecond() == 0;
        let mins = time.hour() * 60 + time.minute() + u32::from(!exact);
        let time = if mins >= 24 * 60 {
            NaiveTime::from_hms_opt(23, 59, 0).expect("valid time")
        } else {
            NaiveTime::from_hms_opt(mins / 60, mins % 60, 0).expect("valid time")
        };
        Ctx {
            work_date: today,
            today,
            time,
            user,
        }
    }

    /// The same context with another work date.
    pub fn with_work_date(mut self, d: NaiveDate) -> Ctx {
        self.work_date = d;
        self
    }
}

/// Why an operation was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum OpError {
    /// A referenced record does not exist.
    #[error("{what} {key} does not exist")]
    NotFound {
        /// Kind of record.
        what: &'static str,
        /// Its key.
        key: String,
    },
    /// A record with this key exists already.
    #[error("{what} {key} already exists")]
    AlreadyExists {
        /// Kind of record.
        what: &'static str,
        /// Its key.
        key: String,
    },
    /// A required value is missing.
    #[error("{what} is missing — {hint}")]
    Missing {
        /// What is missing.
        what: &'static str,
        /// How to give it.
        hint: String,
    },
    /// The contact is blocked for privacy.
    #[error("cannot use contact {contact}: blocked for privacy")]
    PrivacyBlocked {
        /// The contact.
        contact: ContactNo,
    },
    /// The user has no user setup.
    #[error("user {user} has no user setup — add one with `interlog user-setup set {user} --salesperson CODE`")]
    NoUserSetup {
        /// The user.
        user: UserId,
    },
    /// The salesperson is blocked.
    #[error("cannot use salesperson {code}: blocked")]
    SalespersonBlocked {
        /// The salesperson.
        code: SalespersonCode,
    },
    /// The entry is not postponed.
    #[error("interaction log entry {entry} is not postponed — only postponed interactions can be resumed or deleted")]
    NotPostponed {
        /// The entry.
        entry: EntryNo,
    },
    /// The entry is postponed.
    #[error("interaction log entry {entry} is postponed — resume it first (`interlog interaction resume {entry}`)")]
    IsPostponed {
        /// The entry.
        entry: EntryNo,
    },
    /// Un-cancelling is refused while the logged segment or campaign entry is canceled.
    #[error("cannot un-cancel interaction log entry {entry}: {reason}")]
    CannotUncancel {
        /// The entry.
        entry: EntryNo,
        /// Why.
        reason: String,
    },
    /// A campaign entry cannot be un-canceled while its logged segment is canceled.
    #[error("cannot un-cancel campaign entry {campaign_entry}: its logged segment {logged} is canceled — un-cancel the logged segment instead (`interlog logged-segment cancel {logged}`), which un-cancels its campaign entries and entries too")]
    CampaignEntryOfCanceledLoggedSegment {
        /// The campaign entry.
        campaign_entry: CampaignEntryNo,
        /// Its canceled logged segment.
        logged: LoggedSegmentNo,
    },
    /// A reduce without filters would remove every line; BC's report does, interlog asks for
    /// `--all`.
    #[error("segment {segment}: a reduce without a filter removes every line — give --filter FIELD=EXPR, or --all to remove every line")]
    ReduceWithoutFilter {
        /// The segment.
        segment: SegmentNo,
    },
    /// Saving criteria needs at least one criteria action.
    #[error("segment {segment} has no criteria actions to save — build it with `interlog segment add-contacts`, `reduce` or `refine` first")]
    NoCriteriaToSave {
        /// The segment.
        segment: SegmentNo,
    },
    /// A criteria action records nothing that could be run again.
    #[error("segment {segment} cannot be saved as criteria: action \"{action}\" cannot be run again ({problem}) — go back over it, or build the segment with filters")]
    CriteriaNotReplayable {
        /// The segment.
        segment: SegmentNo,
        /// The action, as `segment show` lists it.
        action: String,
        /// Why it cannot be replayed.
        problem: String,
    },
    /// Reusing criteria on a segment that has criteria actions already needs consent.
    #[error("segment {segment} already has {actions} criteria action(s) — give --append to add the saved criteria's actions after them")]
    SegmentHasCriteria {
        /// The segment.
        segment: SegmentNo,
        /// How many it has.
        actions: usize,
    },
    /// Saved criteria that cannot be replayed any more.
    #[error("saved criteria {code} cannot be reused: action {action}: {problem} — delete them (`interlog saved-criteria delete {code}`) and save new ones")]
    SavedCriteriaBroken {
        /// The saved criteria.
        code: CriteriaCode,
        /// Which action (1, 2, …).
        action: usize,
        /// What is wrong.
        problem: String,
    },
    /// The segment has been logged before.
    #[error("segment {segment} is already logged (logged segment {logged})")]
    AlreadyLogged {
        /// The segment.
        segment: SegmentNo,
        /// Its logged segment.
        logged: LoggedSegmentNo,
    },
    /// The segment has no line with a contact.
    #[error(
        "segment {segment} is empty — add contacts with `interlog segment add-contacts {segment}`"
    )]
    SegmentEmpty {
        /// The segment.
        segment: SegmentNo,
    },
    /// Some segment lines cannot be logged.
    #[error("segment {segment} cannot be logged: {} line(s) have problems\n{}", problems.len(), format_problems(problems))]
    LinesInvalid {
        /// The segment.
        segment: SegmentNo,
        /// Every failing line.
        problems: Vec<LineProblem>,
    },
    /// Any other rule.
    #[error("{reason}")]
    Refused {
        /// Why.
        reason: String,
    },
    /// A value breaks a domain rule.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl OpError {
    /// What the failed operation left behind (see [`crate::storage::Outcome`]): only storage
    /// failures after a commit point leave anything.
    pub fn outcome(&self) -> crate::storage::Outcome {
        match self {
            OpError::Storage(e) => e.outcome(),
            _ => crate::storage::Outcome::NotCommitted,
        }
    }
}

impl From<crate::storage::CodecError> for OpError {
    fn from(e: crate::storage::CodecError) -> Self {
        OpError::Storage(e.into())
    }
}

impl From<SeriesError> for OpError {
    fn from(e: SeriesError) -> Self {
        OpError::Domain(DomainError::Series(e))
    }
}

/// One segment line that cannot be logged.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LineProblem {
    /// Line number.
    pub line_no: u64,
    /// Contact on the line.
    pub contact_no: Option<ContactNo>,
    /// What is wrong.
    pub problem: String,
}

fn format_problems(p: &[LineProblem]) -> String {
    const SHOWN: usize = 20;
    let mut s: Vec<String> = p
        .iter()
        .take(SHOWN)
        .map(|p| {
            format!(
                "  line {} (contact {}): {}",
                p.line_no,
                p.contact_no.as_ref().map_or("-", |c| c.as_str()),
                p.problem
            )
        })
        .collect();
    if p.len() > SHOWN {
        s.push(format!(
            "  … and {} more (use --json for all)",
            p.len() - SHOWN
        ));
    }
    s.join("\n")
}

/// The record a typed read found, or `NotFound` naming `what` and `shown`.
pub(crate) fn found<T>(
    rec: Option<T>,
    what: &'static str,
    shown: &dyn std::fmt::Display,
) -> Result<T, OpError> {
    rec.ok_or_else(|| OpError::NotFound {
        what,
        key: shown.to_string(),
    })
}

/// Reads the marketing setup (blank when never set).
pub fn setup(store: &Store) -> Result<MarketingSetup, OpError> {
    Ok(store.setup()?.unwrap_or_default())
}

/// Number series being drawn from within one operation: each series is read from the store
/// once and drawn from in memory, so several numbers in one batch are all different. The
/// updated series are written with the operation's other writes.
#[derive(Default)]
pub(crate) struct SeriesDraws {
    pending: std::collections::BTreeMap<SeriesCode, NoSeries>,
}

impl SeriesDraws {
    fn series(&mut self, store: &Store, code: &SeriesCode) -> Result<&mut NoSeries, OpError> {
        Ok(match self.pending.entry(code.clone()) {
            std::collections::btree_map::Entry::Occupied(o) => o.into_mut(),
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert(master::get_series(store, code)?)
            }
        })
    }

    /// Adds the updated series to `ws`.
    pub(crate) fn write(&self, ws: &mut UnitOfWork) -> Result<(), OpError> {
        for s in self.pending.values() {
            ws.change(Change::PutSeries(s.clone()));
        }
        Ok(())
    }
}

/// A number for a new record: the typed one (allowed when the series accepts typed numbers or
/// no series is set) or the next one of the series named by the setup field `setting`.
/// The returned warning, if any, should reach the user.
pub(crate) fn number_for(
    store: &Store,
    ctx: &Ctx,
    series: Option<&SeriesCode>,
    setting: &'static str,
    typed: Option<&str>,
    draws: &mut SeriesDraws,
) -> Result<(String, Option<String>), OpError> {
    match (typed, series) {
        (Some(no), None) => Ok((no.to_string(), None)),
        (Some(no), Some(code)) => {
            draws.series(store, code)?.check_manual()?;
            Ok((no.to_string(), None))
        }
        (None, None) => Err(OpError::Missing {
            what: "number",
            hint: format!(
                "type a number, or set `{setting}` in marketing setup (`interlog setup set --{} CODE`)",
                setting.replace('_', "-")
            ),
        }),
        (None, Some(code)) => {
            let draw = draws.series(store, code)?.draw(ctx.work_date)?;
            Ok((draw.no, draw.warning))
        }
    }
}
