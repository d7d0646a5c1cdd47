//! Typed changes and typed reads of the records the store keeps one of per code: marketing
//! setup, number series, user setups and master data (contacts, salespeople, interaction
//! groups, templates, campaigns).
//!
//! A unit of work ([`UnitOfWork`]) holds [`Change`]s — "put this contact", "remove the user
//! setup of ALICE" — next to the raw writes of the parts not yet expressed this way. The sled
//! backend lowers each change to today's key and encoded value when the unit is applied
//! ([`Store::apply`]), so the bytes on disk are the same as before; a relational backend would
//! turn the same change into an `INSERT … ON CONFLICT UPDATE` or a `DELETE` of one row.
//!
//! Reads come in the same terms: `store.contact(&no)`, `store.all_templates()`, … instead of a
//! tree and a key.

use super::{codec, keys, CodecError, StorageError, Store, TreeId, UnitOfWork, WriteItem};
use crate::domain::*;

/// The one key of marketing setup.
const SETUP_KEY: &[u8] = b"setup";

/// A number the store hands out in order. Each is moved only by the commit that uses it, so
/// numbers are never reused (a relational backend: one row of a counters table, or a sequence
/// advanced in the transaction).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Counter {
    /// The next interaction log entry number.
    NextEntry,
    /// The next logged segment number.
    NextLogged,
    /// The next campaign entry number.
    NextCampaignEntry,
    /// The next segment-line generation.
    NextGen,
    /// The next contact index run id.
    NextRun,
    /// Moves when contacts change in a way that asks segments to re-check their lines.
    ContactsEpoch,
}

impl Counter {
    fn key(self) -> &'static [u8] {
        use super::keys::meta;
        match self {
            Counter::NextEntry => meta::NEXT_ENTRY,
            Counter::NextLogged => meta::NEXT_LOGGED,
            Counter::NextCampaignEntry => meta::NEXT_CAMPAIGN_ENTRY,
            Counter::NextGen => meta::NEXT_GEN,
            Counter::NextRun => meta::NEXT_RUN,
            Counter::ContactsEpoch => meta::CONTACTS_EPOCH,
        }
    }
}

/// One typed change of a unit of work.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// Writes marketing setup.
    PutSetup(MarketingSetup),
    /// Writes a number series (new or advanced).
    PutSeries(NoSeries),
    /// Writes a user's setup.
    PutUserSetup(UserSetup),
    /// Removes a user's setup.
    RemoveUserSetup(UserId),
    /// Writes a contact.
    PutContact(Contact),
    /// Writes a salesperson.
    PutSalesperson(Salesperson),
    /// Writes an interaction group.
    PutGroup(InteractionGroup),
    /// Writes an interaction template.
    PutTemplate(InteractionTemplate),
    /// Writes a campaign.
    PutCampaign(Campaign),
    /// Writes a segment header (its lines are written by the line-block writers).
    PutSegment(SegmentHeader),
    /// Writes a logged segment.
    PutLoggedSegment(LoggedSegment),
    /// Removes a logged segment (its entries are removed by their own writes).
    RemoveLoggedSegment(LoggedSegmentNo),
    /// Writes a campaign entry.
    PutCampaignEntry(CampaignEntry),
    /// Removes a campaign entry.
    RemoveCampaignEntry(CampaignEntryNo),
    /// Writes saved criteria.
    PutSavedCriteria(SavedCriteria),
    /// Removes saved criteria.
    RemoveSavedCriteria(CriteriaCode),
    /// Sets a counter (to the first number not yet used).
    SetCounter(Counter, u64),
    /// Records that a segment was logged as a logged segment (a segment is logged once).
    LinkLoggedSegment(SegmentNo, LoggedSegmentNo),
    /// Forgets which logged segment logged a segment.
    UnlinkLoggedSegment(SegmentNo),
    /// Indexes one entry under its contact (single interactions; bulk logs write runs).
    IndexContactEntry(ContactNo, EntryNo),
    /// Removes one entry's contact index item.
    UnindexContactEntry(ContactNo, EntryNo),
    /// Marks an entry postponed.
    MarkPostponed(EntryNo),
    /// Clears an entry's postponed mark.
    UnmarkPostponed(EntryNo),
    /// Adds one new interaction log entry (numbered at the entry horizon; the counter moves
    /// by its own change).
    AddEntry(Box<LogEntry>),
    /// Lists a generation of segment lines as garbage, deleted once the change is committed.
    DiscardLineGeneration(u64),
    /// Writes a job's progress record ([`Change::job_progress`]).
    PutJobProgress(String, super::records::EncodedRecord),
    /// Writes an idempotency record ([`Change::idempotency_record`]).
    PutIdempotencyRecord(String, super::records::EncodedRecord),
    /// Removes a segment header (its line generations are discarded by their own changes).
    RemoveSegment(SegmentNo),
    /// Publishes a bulk log's contact index run (see `bulk_log`).
    PutIndexRun(Box<super::index::RunInfo>),
}

impl Change {
    /// The sled backend's write for this change: tree, key and encoded value (`None` removes).
    pub(crate) fn lower(&self) -> Result<WriteItem, CodecError> {
        fn put<T: serde::Serialize>(
            tree: TreeId,
            key: &[u8],
            what: &'static str,
            v: &T,
        ) -> Result<WriteItem, CodecError> {
            Ok((tree, key.to_vec(), Some(codec::encode(what, v)?)))
        }
        match self {
            Change::PutSetup(s) => put(TreeId::Setup, SETUP_KEY, "marketing setup", s),
            Change::PutSeries(s) => put(TreeId::Series, s.code.as_bytes(), "number series", s),
            Change::PutUserSetup(u) => {
                put(TreeId::UserSetup, u.user_id.as_bytes(), "user setup", u)
            }
            Change::RemoveUserSetup(u) => Ok((TreeId::UserSetup, u.as_bytes().to_vec(), None)),
            Change::PutContact(c) => put(TreeId::Contacts, c.no.as_bytes(), "contact", c),
            Change::PutSalesperson(s) => {
                put(TreeId::Salespeople, s.code.as_bytes(), "salesperson", s)
            }
            Change::PutGroup(g) => put(TreeId::Groups, g.code.as_bytes(), "interaction group", g),
            Change::PutTemplate(t) => put(
                TreeId::Templates,
                t.code.as_bytes(),
                "interaction template",
                t,
            ),
            Change::PutCampaign(c) => put(TreeId::Campaigns, c.no.as_bytes(), "campaign", c),
            Change::PutSegment(h) => put(TreeId::Segments, h.no.as_bytes(), "segment", h),
            Change::PutLoggedSegment(l) => put(
                TreeId::LoggedSegments,
                &l.entry_no.to_key(),
                "logged segment",
                l,
            ),
            Change::RemoveLoggedSegment(n) => {
                Ok((TreeId::LoggedSegments, n.to_key().to_vec(), None))
            }
            Change::PutCampaignEntry(c) => put(
                TreeId::CampaignEntries,
                &c.entry_no.to_key(),
                "campaign entry",
                c,
            ),
            Change::RemoveCampaignEntry(n) => {
                Ok((TreeId::CampaignEntries, n.to_key().to_vec(), None))
            }
            Change::PutSavedCriteria(c) => put(
                TreeId::SavedCriteria,
                c.code.as_bytes(),
                "saved criteria",
                c,
            ),
            Change::SetCounter(c, n) => put(TreeId::Meta, c.key(), "counter", n),
            Change::LinkLoggedSegment(s, l) => put(
                TreeId::LoggedBySegment,
                s.as_bytes(),
                "logged segment number",
                l,
            ),
            Change::UnlinkLoggedSegment(s) => {
                Ok((TreeId::LoggedBySegment, s.as_bytes().to_vec(), None))
            }
            Change::IndexContactEntry(c, e) => Ok((
                TreeId::ContactIndex,
                keys::contact_entry(c.as_bytes(), e.0),
                Some(codec::marker().to_vec()),
            )),
            Change::UnindexContactEntry(c, e) => Ok((
                TreeId::ContactIndex,
                keys::contact_entry(c.as_bytes(), e.0),
                None,
            )),
            Change::MarkPostponed(e) => Ok((
                TreeId::Postponed,
                e.to_key().to_vec(),
                Some(codec::marker().to_vec()),
            )),
            Change::UnmarkPostponed(e) => Ok((TreeId::Postponed, e.to_key().to_vec(), None)),
            Change::AddEntry(e) => super::entry_changes::lower_add_entry(e),
            Change::DiscardLineGeneration(g) => Ok((
                TreeId::Garbage,
                keys::num(*g).to_vec(),
                Some(codec::marker().to_vec()),
            )),
            Change::RemoveSavedCriteria(c) => {
                Ok((TreeId::SavedCriteria, c.as_bytes().to_vec(), None))
            }
            Change::PutJobProgress(id, r) => {
                Ok((TreeId::Jobs, id.as_bytes().to_vec(), Some(r.0.clone())))
            }
            Change::PutIdempotencyRecord(k, r) => {
                Ok((TreeId::Requests, k.as_bytes().to_vec(), Some(r.0.clone())))
            }
            Change::RemoveSegment(s) => Ok((TreeId::Segments, s.as_bytes().to_vec(), None)),
            Change::PutIndexRun(r) => put(
                TreeId::IndexRuns,
                &keys::num(r.run_id),
                "contact index run",
                r.as_ref(),
            ),
        }
    }
}

impl UnitOfWork {
    /// Adds a typed change.
    pub fn change(&mut self, c: Change) {
        self.push_change(c);
    }
}

macro_rules! records {
    ($($(#[$doc:meta])* $get:ident / $all:ident: $ty:ty, $key:ty => $tree:ident, $what:literal;)+) => {
        impl Store {
            $(
                $(#[$doc])*
                pub fn $get(&self, key: &$key) -> Result<Option<$ty>, StorageError> {
                    self.get_rec(TreeId::$tree, key.as_bytes(), $what)
                }

                $(#[$doc])*
                /// All of them, in key order.
                pub fn $all(&self) -> Result<Vec<$ty>, StorageError> {
                    self.all_recs(TreeId::$tree, $what)
                }
            )+
        }
    };
}

records! {
    /// A number series.
    series / all_series: NoSeries, SeriesCode => Series, "number series";
    /// A user's setup.
    user_setup / all_user_setups: UserSetup, UserId => UserSetup, "user setup";
    /// A salesperson.
    salesperson / all_salespeople: Salesperson, SalespersonCode => Salespeople, "salesperson";
    /// An interaction group.
    group / all_groups: InteractionGroup, GroupCode => Groups, "interaction group";
    /// An interaction template.
    template / all_templates: InteractionTemplate, TemplateCode => Templates, "interaction template";
    /// A campaign.
    campaign / all_campaigns: Campaign, CampaignNo => Campaigns, "campaign";
    /// A segment (logged segments' headers are removed).
    segment / all_segments: SegmentHeader, SegmentNo => Segments, "segment";
    /// Saved criteria.
    saved_criteria / all_saved_criteria: SavedCriteria, CriteriaCode => SavedCriteria, "saved criteria";
}

macro_rules! numbered {
    ($($(#[$doc:meta])* $get:ident / $all:ident: $ty:ty, $key:ty => $tree:ident, $what:literal;)+) => {
        impl Store {
            $(
                $(#[$doc])*
                pub fn $get(&self, no: $key) -> Result<Option<$ty>, StorageError> {
                    self.get_rec(TreeId::$tree, no.to_key(), $what)
                }

                $(#[$doc])*
                /// All of them, by number.
                pub fn $all(&self) -> Result<Vec<$ty>, StorageError> {
                    self.all_recs(TreeId::$tree, $what)
                }
            )+
        }
    };
}

numbered! {
    /// A logged segment.
    logged_segment / all_logged_segments: LoggedSegment, LoggedSegmentNo => LoggedSegments, "logged segment";
    /// A campaign entry.
    campaign_entry / all_campaign_entries: CampaignEntry, CampaignEntryNo => CampaignEntries, "campaign entry";
}

impl Store {
    /// The current value of a counter (0 when never set).
    pub fn get_counter(&self, c: Counter) -> Result<u64, StorageError> {
        self.counter(c.key())
    }

    /// Marketing setup, if written.
    pub fn setup(&self) -> Result<Option<MarketingSetup>, StorageError> {
        self.get_rec(TreeId::Setup, SETUP_KEY, "marketing setup")
    }
}
