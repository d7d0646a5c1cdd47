//! Interaction log entries as the operations see them behind the storage boundary: a read
//! view ([`EntryRead`]) that a backend's row (or a [`LogEntry`]) implements, the listing
//! filter ([`EntryFilter`]), the records that own entries ([`EntryOwner`]) and which entries a
//! read or a change reaches ([`EntrySelection`]) — data a backend evaluates, as SQL would turn
//! it into a `WHERE` clause, instead of a closure over its encoded rows.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveTime};

use super::codes::*;
use super::enums::*;
use super::interaction::{Comment, LogEntry};
use super::money::Money;
use super::ranges::NumberFilter;

/// Read access to one interaction log entry, field by field, without materializing it: the
/// sled backend implements it on a row of a decoded block (borrowed, no allocation per row),
/// a relational backend would on a fetched row, and [`LogEntry`] implements it too. Listings,
/// statistics, exports and filters read entries through it only.
pub trait EntryRead {
    /// Entry number.
    fn entry_no(&self) -> EntryNo;
    /// Contact.
    fn contact_no(&self) -> &ContactNo;
    /// The contact's company.
    fn contact_company_no(&self) -> Option<ContactNo>;
    /// Date of the interaction.
    fn date(&self) -> NaiveDate;
    /// Time of the interaction.
    fn time_of_interaction(&self) -> NaiveTime;
    /// Description.
    fn description(&self) -> &str;
    /// Subject.
    fn subject(&self) -> &str;
    /// Direction.
    fn information_flow(&self) -> InformationFlow;
    /// Who started it.
    fn initiated_by(&self) -> InitiatedBy;
    /// Cost.
    fn cost(&self) -> Money;
    /// Duration in minutes.
    fn duration_min(&self) -> u32;
    /// User who made the entry.
    fn user_id(&self) -> &str;
    /// Interaction group.
    fn group_code(&self) -> &GroupCode;
    /// Interaction template.
    fn template_code(&self) -> &TemplateCode;
    /// Campaign.
    fn campaign_no(&self) -> Option<&CampaignNo>;
    /// The campaign entry it belongs to.
    fn campaign_entry_no(&self) -> Option<CampaignEntryNo>;
    /// Segment it was logged from.
    fn segment_no(&self) -> Option<&SegmentNo>;
    /// Logged segment it belongs to.
    fn logged_segment_entry_no(&self) -> Option<LoggedSegmentNo>;
    /// Salesperson.
    fn salesperson_code(&self) -> &SalespersonCode;
    /// Correspondence type.
    fn correspondence_type(&self) -> CorrespondenceType;
    /// Language.
    fn language_code(&self) -> Option<&LanguageCode>;
    /// Evaluation.
    fn evaluation(&self) -> Evaluation;
    /// The attempt failed.
    fn attempt_failed(&self) -> bool;
    /// Postponed.
    fn postponed(&self) -> bool;
    /// Canceled.
    fn canceled(&self) -> bool;
    /// Comment lines.
    fn comments(&self) -> &[Comment];
    /// The entry, materialized.
    fn to_entry(&self) -> LogEntry;
}

impl EntryRead for LogEntry {
    fn entry_no(&self) -> EntryNo {
        self.entry_no
    }
    fn contact_no(&self) -> &ContactNo {
        &self.contact_no
    }
    fn contact_company_no(&self) -> Option<ContactNo> {
        self.contact_company_no.clone()
    }
    fn date(&self) -> NaiveDate {
        self.date
    }
    fn time_of_interaction(&self) -> NaiveTime {
        self.time_of_interaction
    }
    fn description(&self) -> &str {
        &self.description
    }
    fn subject(&self) -> &str {
        &self.subject
    }
    fn information_flow(&self) -> InformationFlow {
        self.information_flow
    }
    fn initiated_by(&self) -> InitiatedBy {
        self.initiated_by
    }
    fn cost(&self) -> Money {
        self.cost
    }
    fn duration_min(&self) -> u32 {
        self.duration_min
    }
    fn user_id(&self) -> &str {
        &self.user_id
    }
    fn group_code(&self) -> &GroupCode {
        &self.group_code
    }
    fn template_code(&self) -> &TemplateCode {
        &self.template_code
    }
    fn campaign_no(&self) -> Option<&CampaignNo> {
        self.campaign_no.as_ref()
    }
    fn campaign_entry_no(&self) -> Option<CampaignEntryNo> {
        self.campaign_entry_no
    }
    fn segment_no(&self) -> Option<&SegmentNo> {
        self.segment_no.as_ref()
    }
    fn logged_segment_entry_no(&self) -> Option<LoggedSegmentNo> {
        self.logged_segment_entry_no
    }
    fn salesperson_code(&self) -> &SalespersonCode {
        &self.salesperson_code
    }
    fn correspondence_type(&self) -> CorrespondenceType {
        self.correspondence_type
    }
    fn language_code(&self) -> Option<&LanguageCode> {
        self.language_code.as_ref()
    }
    fn evaluation(&self) -> Evaluation {
        self.evaluation
    }
    fn attempt_failed(&self) -> bool {
        self.attempt_failed
    }
    fn postponed(&self) -> bool {
        self.postponed
    }
    fn canceled(&self) -> bool {
        self.canceled
    }
    fn comments(&self) -> &[Comment] {
        &self.comments
    }
    fn to_entry(&self) -> LogEntry {
        self.clone()
    }
}

/// Which entries a listing shows. Postponed entries are never listed here.
#[derive(Clone, Debug, Default)]
pub struct EntryFilter {
    /// Only entries whose number passes this filter (BC's *Entry No.* filter: `1..100|205`).
    pub entry_nos: Option<NumberFilter>,
    /// Only this contact (uses the contact index).
    pub contact: Option<ContactNo>,
    /// Only this template.
    pub template: Option<TemplateCode>,
    /// Only this salesperson.
    pub salesperson: Option<SalespersonCode>,
    /// Only this interaction group.
    pub group: Option<GroupCode>,
    /// Only this campaign.
    pub campaign: Option<CampaignNo>,
    /// Only entries of this campaign entry.
    pub campaign_entry: Option<CampaignEntryNo>,
    /// Only this segment.
    pub segment: Option<SegmentNo>,
    /// Only this logged segment.
    pub logged_segment: Option<LoggedSegmentNo>,
    /// Only canceled (`Some(true)`) or only not canceled (`Some(false)`).
    pub canceled: Option<bool>,
    /// From this date on.
    pub from_date: Option<NaiveDate>,
    /// Up to this date.
    pub to_date: Option<NaiveDate>,
}

impl EntryFilter {
    /// Does the entry pass?
    #[inline]
    pub fn matches<E: EntryRead + ?Sized>(&self, e: &E) -> bool {
        !e.postponed()
            && self
                .entry_nos
                .as_ref()
                .is_none_or(|f| f.contains(e.entry_no().0))
            && self.contact.as_ref().is_none_or(|c| c == e.contact_no())
            && self
                .template
                .as_ref()
                .is_none_or(|t| t == e.template_code())
            && self.group.as_ref().is_none_or(|g| g == e.group_code())
            && self
                .campaign_entry
                .is_none_or(|c| Some(c) == e.campaign_entry_no())
            && self
                .salesperson
                .as_ref()
                .is_none_or(|sp| sp == e.salesperson_code())
            && self
                .campaign
                .as_ref()
                .is_none_or(|c| Some(c) == e.campaign_no())
            && self
                .segment
                .as_ref()
                .is_none_or(|c| Some(c) == e.segment_no())
            && self
                .logged_segment
                .is_none_or(|l| Some(l) == e.logged_segment_entry_no())
            && self.canceled.is_none_or(|c| c == e.canceled())
            && self.from_date.is_none_or(|d| e.date() >= d)
            && self.to_date.is_none_or(|d| e.date() <= d)
    }

    /// Does the (materialized) entry pass? The same as [`EntryFilter::matches`].
    pub fn matches_entry(&self, e: &LogEntry) -> bool {
        self.matches(e)
    }

    /// The lowest entry number the filter lets through (at least 1).
    pub fn first_entry_no(&self) -> EntryNo {
        EntryNo(self.entry_nos.as_ref().map_or(1, |f| f.min().max(1)))
    }
}

/// A record that owns interaction log entries: what a cancel cascade reaches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryOwner {
    /// The entries of a logged segment (BC: `Logged Segment Entry No.`).
    LoggedSegment(LoggedSegmentNo),
    /// The entries of a campaign entry (BC: `Campaign No.` and `Campaign Entry No.`).
    CampaignEntry(CampaignNo, CampaignEntryNo),
}

impl EntryOwner {
    /// Does an entry with these fields belong to the owner?
    #[inline]
    pub fn owns_fields(
        &self,
        logged_segment: Option<LoggedSegmentNo>,
        campaign_no: Option<&CampaignNo>,
        campaign_entry_no: Option<CampaignEntryNo>,
    ) -> bool {
        match self {
            EntryOwner::LoggedSegment(l) => logged_segment == Some(*l),
            EntryOwner::CampaignEntry(c, ce) => {
                campaign_entry_no == Some(*ce) && campaign_no == Some(c)
            }
        }
    }

    /// Does the entry belong to the owner?
    pub fn owns<E: EntryRead + ?Sized>(&self, e: &E) -> bool {
        self.owns_fields(
            e.logged_segment_entry_no(),
            e.campaign_no(),
            e.campaign_entry_no(),
        )
    }
}

/// What an [`EntrySelection`] picks, whatever the range.
#[derive(Clone, Debug)]
pub enum EntriesOf {
    /// Every visible entry, postponed and canceled ones included.
    All,
    /// What a listing with this filter shows (never postponed entries).
    Listed(EntryFilter),
    /// The entries of one owner.
    OwnedBy(EntryOwner),
    /// The entries of any of these campaign entries (campaign entry number → its campaign:
    /// BC's filter is the same campaign and campaign entry number).
    CampaignEntries(HashMap<CampaignEntryNo, CampaignNo>),
}

/// Which entries a read or a change reaches: what they are, and the range of entry numbers
/// they can lie in (`[from, to)`; no `to`: up to the last entry). A backend evaluates it —
/// the sled backend by scanning the entry blocks of the range, SQL as a `WHERE` clause.
#[derive(Clone, Debug)]
pub struct EntrySelection {
    /// What is picked.
    pub of: EntriesOf,
    /// The lowest entry number to look at.
    pub from: EntryNo,
    /// One past the highest entry number to look at (`None`: every entry from `from` on).
    pub to: Option<EntryNo>,
}

impl EntrySelection {
    /// Every visible entry.
    pub fn all() -> Self {
        EntrySelection {
            of: EntriesOf::All,
            from: EntryNo(1),
            to: None,
        }
    }

    /// Every visible entry in `[from, to)`.
    pub fn all_in(from: EntryNo, to: Option<EntryNo>) -> Self {
        EntrySelection {
            of: EntriesOf::All,
            from,
            to,
        }
    }

    /// What a listing with `filter` shows, from the first number its entry filter allows.
    pub fn listed(filter: EntryFilter) -> Self {
        EntrySelection {
            from: filter.first_entry_no(),
            of: EntriesOf::Listed(filter),
            to: None,
        }
    }

    /// The entries of `owner` within `[from, to)`.
    pub fn owned_by(owner: EntryOwner, from: EntryNo, to: Option<EntryNo>) -> Self {
        EntrySelection {
            of: EntriesOf::OwnedBy(owner),
            from,
            to,
        }
    }

    /// The entries of these campaign entries, from `from` on.
    pub fn of_campaign_entries(
        campaign_entries: HashMap<CampaignEntryNo, CampaignNo>,
        from: EntryNo,
    ) -> Self {
        EntrySelection {
            of: EntriesOf::CampaignEntries(campaign_entries),
            from,
            to: None,
        }
    }

    /// Is the entry picked? (The range is the backend's to keep.)
    #[inline]
    pub fn matches<E: EntryRead + ?Sized>(&self, e: &E) -> bool {
        match &self.of {
            EntriesOf::All => true,
            EntriesOf::Listed(f) => f.matches(e),
            EntriesOf::OwnedBy(o) => o.owns(e),
            EntriesOf::CampaignEntries(ces) => e
                .campaign_entry_no()
                .is_some_and(|ce| ces.get(&ce) == e.campaign_no()),
        }
    }

    /// Whether every entry with these shared fields is picked (`Some(true)`), none is
    /// (`Some(false)`), or it depends on more than these fields (`None`). Lets a backend that
    /// stores entries grouped by these fields decide for a whole group at once.
    pub fn decides_by(
        &self,
        logged_segment: Option<LoggedSegmentNo>,
        campaign_no: Option<&CampaignNo>,
        campaign_entry_no: Option<CampaignEntryNo>,
    ) -> Option<bool> {
        match &self.of {
            EntriesOf::All => Some(true),
            EntriesOf::Listed(_) => None,
            EntriesOf::OwnedBy(o) => {
                Some(o.owns_fields(logged_segment, campaign_no, campaign_entry_no))
            }
            EntriesOf::CampaignEntries(ces) => {
                Some(campaign_entry_no.is_some_and(|ce| ces.get(&ce) == campaign_no))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(
        logged: Option<u64>,
        campaign: Option<(&str, u64)>,
        canceled: bool,
        postponed: bool,
    ) -> LogEntry {
        LogEntry {
            entry_no: EntryNo(7),
            contact_no: ContactNo::new("CT1").unwrap(),
            contact_company_no: None,
            date: "2025-03-14".parse().unwrap(),
            time_of_interaction: NaiveTime::from_hms_opt(9, 30, 0).unwrap(),
            description: "Letter".into(),
            subject: "Letter".into(),
            information_flow: InformationFlow::default(),
            initiated_by: InitiatedBy::default(),
            cost: Money(100),
            duration_min: 15,
            user_id: "TEST".into(),
            group_code: GroupCode::new("LETTER").unwrap(),
            template_code: TemplateCode::new("BUS").unwrap(),
            campaign_no: campaign.map(|(c, _)| CampaignNo::new(c).unwrap()),
            campaign_entry_no: campaign.map(|(_, n)| CampaignEntryNo(n)),
            segment_no: None,
            logged_segment_entry_no: logged.map(LoggedSegmentNo),
            salesperson_code: SalespersonCode::new("JO").unwrap(),
            correspondence_type: CorrespondenceType::default(),
            language_code: None,
            evaluation: Evaluation::default(),
            attempt_failed: false,
            postponed,
            canceled,
            comments: Vec::new(),
        }
    }

    fn selections() -> Vec<EntrySelection> {
        let cp = |c: &str| CampaignNo::new(c).unwrap();
        vec![
            EntrySelection::all(),
            EntrySelection::owned_by(
                EntryOwner::LoggedSegment(LoggedSegmentNo(1)),
                EntryNo(1),
                None,
            ),
            EntrySelection::owned_by(
                EntryOwner::CampaignEntry(cp("CP1"), CampaignEntryNo(3)),
                EntryNo(1),
                None,
            ),
            EntrySelection::of_campaign_entries(
                HashMap::from([
                    (CampaignEntryNo(3), cp("CP1")),
                    (CampaignEntryNo(4), cp("CP2")),
                ]),
                EntryNo(1),
            ),
            EntrySelection::listed(EntryFilter {
                canceled: Some(true),
                ..EntryFilter::default()
            }),
        ]
    }

    /// A backend may decide a whole group of entries by their shared fields (the sled
    /// backend's in-place flag flips): that decision must be what `matches` says for each.
    #[test]
    fn deciding_by_shared_fields_agrees_with_matching_each_entry() {
        let mut entries = Vec::new();
        for logged in [None, Some(1), Some(2)] {
            for campaign in [None, Some(("CP1", 3)), Some(("CP2", 3)), Some(("CP2", 4))] {
                for (canceled, postponed) in [(false, false), (true, false), (false, true)] {
                    entries.push(entry(logged, campaign, canceled, postponed));
                }
            }
        }
        for sel in selections() {
            for e in &entries {
                let decided = sel.decides_by(
                    e.logged_segment_entry_no,
                    e.campaign_no.as_ref(),
                    e.campaign_entry_no,
                );
                match (&sel.of, decided) {
                    (EntriesOf::Listed(_), d) => assert_eq!(d, None),
                    (_, d) => assert_eq!(d, Some(sel.matches(e)), "{sel:?} on {e:?}"),
                }
            }
        }
    }

    #[test]
    fn a_listing_never_picks_postponed_entries_and_starts_at_its_first_number() {
        let f = EntryFilter::default();
        assert!(f.matches(&entry(None, None, false, false)));
        assert!(!f.matches(&entry(None, None, false, true)));
        assert!(EntrySelection::all().matches(&entry(None, None, false, true)));
        let f = EntryFilter {
            entry_nos: Some("5..9".parse().unwrap()),
            ..EntryFilter::default()
        };
        assert_eq!(EntrySelection::listed(f).from, EntryNo(5));
        assert_eq!(
            EntrySelection::listed(EntryFilter::default()).from,
            EntryNo(1)
        );
    }
}
