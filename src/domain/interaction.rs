//! Interaction log entries, their comments, campaign entries and logged segments, plus the
//! correspondence type rule of SPEC §2.5.

use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};

use super::codes::*;
use super::enums::*;
use super::money::Money;

/// Longest subject of an interaction.
pub const SUBJECT_LEN: usize = 100;
/// Longest comment line.
pub const COMMENT_LEN: usize = 80;
/// Longest user id ([`UserId::MAX_LEN`]).
pub const USER_LEN: usize = UserId::MAX_LEN;

/// One dated comment line on an entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    /// Day the comment was written (the work date).
    pub date: NaiveDate,
    /// Text (≤ 80).
    pub text: String,
}

/// An interaction log entry: one touch with one contact.
///
/// This is the logical record the library hands out; the store keeps entries packed in blocks
/// (see `storage::blocks`), so this struct itself is not an on-disk format.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// Entry number.
    pub entry_no: EntryNo,
    /// Contact.
    pub contact_no: ContactNo,
    /// The contact's company.
    pub contact_company_no: Option<ContactNo>,
    /// Date of the interaction.
    pub date: NaiveDate,
    /// Time of the interaction.
    pub time_of_interaction: NaiveTime,
    /// Description.
    pub description: String,
    /// Subject.
    pub subject: String,
    /// Direction.
    pub information_flow: InformationFlow,
    /// Who started it.
    pub initiated_by: InitiatedBy,
    /// Cost.
    pub cost: Money,
    /// Duration in minutes.
    pub duration_min: u32,
    /// User who made the entry: a [`UserId`]'s text. Kept a plain string so that entries
    /// written before user ids were checked still read (and print neutralized) instead of
    /// making the store unreadable.
    pub user_id: String,
    /// Interaction group.
    pub group_code: GroupCode,
    /// Interaction template.
    pub template_code: TemplateCode,
    /// Campaign.
    pub campaign_no: Option<CampaignNo>,
    /// The campaign entry it belongs to.
    pub campaign_entry_no: Option<CampaignEntryNo>,
    /// Segment it was logged from.
    pub segment_no: Option<SegmentNo>,
    /// Logged segment it belongs to.
    pub logged_segment_entry_no: Option<LoggedSegmentNo>,
    /// Salesperson.
    pub salesperson_code: SalespersonCode,
    /// Correspondence type.
    pub correspondence_type: CorrespondenceType,
    /// Language.
    pub language_code: Option<LanguageCode>,
    /// Evaluation.
    pub evaluation: Evaluation,
    /// The attempt failed (not successful).
    pub attempt_failed: bool,
    /// Saved for later; excluded from normal listings and statistics.
    pub postponed: bool,
    /// Canceled.
    pub canceled: bool,
    /// Comment lines.
    pub comments: Vec<Comment>,
}

/// A campaign entry (BC table *Campaign Entry*, 5072): one per campaign of a logged segment,
/// and one per campaign shared by its single interactions (BC: `SegManagement.GetCampaignEntryNo`
/// reuses the entry with the same campaign and segment number). Its interactions are the
/// entries that carry its number; *No. of Interactions*, cost and duration are counted from
/// them, like BC's FlowFields. Stored one per key; its encoding is part of the on-disk format.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignEntry {
    /// Entry number.
    pub entry_no: CampaignEntryNo,
    /// Campaign.
    pub campaign_no: CampaignNo,
    /// Description.
    pub description: String,
    /// Date.
    pub date: NaiveDate,
    /// User.
    pub user_id: String,
    /// Segment it came from.
    pub segment_no: Option<SegmentNo>,
    /// Salesperson.
    pub salesperson_code: Option<SalespersonCode>,
    /// Logged segment it belongs to.
    pub logged_segment_entry_no: Option<LoggedSegmentNo>,
    /// Canceled.
    pub canceled: bool,
}

/// A logged segment: the record of one segment-logging run. Stored one per key; its encoding is
/// part of the on-disk format.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggedSegment {
    /// Entry number.
    pub entry_no: LoggedSegmentNo,
    /// The segment that was logged.
    pub segment_no: SegmentNo,
    /// The segment's description.
    pub description: String,
    /// Day of logging (today, not the work date).
    pub creation_date: NaiveDate,
    /// User who logged it.
    pub user_id: String,
    /// Canceled.
    pub canceled: bool,
    /// First interaction log entry written by this logging run.
    pub first_entry_no: EntryNo,
    /// Number of entries written by the run (the entries still attached are counted by
    /// `entries` and `canceled_entries`).
    pub entries_written: u64,
    /// Entries attached to this logged segment now.
    pub entries: u64,
    /// Of those, how many are canceled.
    pub canceled_entries: u64,
    /// Campaign entries made by the run (`campaign_entry_nos` in JSON, which older dumps
    /// called `campaign_entries`: that name is a count in interlog's JSON vocabulary).
    #[serde(rename = "campaign_entry_nos", alias = "campaign_entries")]
    pub campaign_entries: Vec<CampaignEntryNo>,
    /// Contact index run written by the run, if any.
    pub index_run: Option<u64>,
    /// Follow-up segment created at logging time, if any.
    pub follow_up_segment: Option<SegmentNo>,
}

impl LoggedSegment {
    /// BC's "No. of Interactions": entries whose canceled flag equals the logged segment's.
    pub fn no_of_interactions(&self) -> u64 {
        if self.canceled {
            self.canceled_entries
        } else {
            self.entries - self.canceled_entries
        }
    }

    /// One past the last entry number written by the run.
    pub fn end_entry_no(&self) -> EntryNo {
        EntryNo(self.first_entry_no.0 + self.entries_written)
    }
}

/// The contact's side of the correspondence type rule: its own type and whether it has an
/// e-mail address. Segment lines keep this snapshot so that the rule can be re-applied without
/// reading the contact again (contacts are never changed or removed once stored).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ContactProfile {
    /// The contact's correspondence type.
    pub correspondence_type: CorrespondenceType,
    /// The contact has an e-mail address.
    pub has_email: bool,
}

impl From<&super::master::Contact> for ContactProfile {
    fn from(c: &super::master::Contact) -> Self {
        ContactProfile {
            correspondence_type: c.correspondence_type,
            has_email: !c.email.is_empty(),
        }
    }
}

/// The header-level override of the correspondence type (segment headers only).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HeaderCorrespondence {
    /// The header's default.
    pub default: CorrespondenceType,
    /// The header ignores the contact's own type.
    pub ignore_contact: bool,
}

/// SPEC §2.5: the header default if the header ignores the contact's type and the default is
/// set; else the template default if the template ignores the contact's type or the contact has
/// none; else the contact's. Email without an e-mail address becomes blank.
pub fn resolve_correspondence(
    header: Option<HeaderCorrespondence>,
    template_default: CorrespondenceType,
    template_ignores_contact: bool,
    contact: ContactProfile,
) -> CorrespondenceType {
    let chosen = match header {
        Some(h) if h.ignore_contact && !h.default.is_blank() => h.default,
        _ if template_ignores_contact || contact.correspondence_type.is_blank() => template_default,
        _ => contact.correspondence_type,
    };
    if chosen == CorrespondenceType::Email && !contact.has_email {
        CorrespondenceType::Blank
    } else {
        chosen
    }
}

/// The title BC shows for an interaction log entry (table "Interaction Log Entry",
/// `GetEntryTitle`, labels `TitleByLbl` '%1 - by %2' and `TitleFromLbl` '%1 - from %2'). It is
/// built from the entry's **template**, not the entry itself:
/// * no template found: empty;
/// * the template's description, and by the *template's* information flow:
///   Outbound: `<description> - by <name of the entry's salesperson>` (BC falls back to the
///   full name of the entry's user when the salesperson is blank or unknown; interlog keeps no
///   user names, so the title stays the plain description then);
///   Inbound: `<description> - from <name of the entry's contact>` (blank when the contact is
///   unknown, as BC's FlowField gives);
///   blank flow: the plain description.
pub fn entry_title(
    template: Option<(&str, InformationFlow)>,
    salesperson_name: Option<&str>,
    contact_name: Option<&str>,
) -> String {
    let Some((description, flow)) = template else {
        return String::new();
    };
    match flow {
        InformationFlow::Outbound => match salesperson_name {
            Some(name) => format!("{description} - by {name}"),
            None => description.to_string(),
        },
        InformationFlow::Inbound => {
            format!("{description} - from {}", contact_name.unwrap_or(""))
        }
        InformationFlow::Blank => description.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CorrespondenceType::*;

    #[test]
    fn entry_titles_follow_the_templates_flow() {
        let out = Some(("Business letter", InformationFlow::Outbound));
        assert_eq!(
            entry_title(out, Some("Helena Ray"), Some("Andrew Lan")),
            "Business letter - by Helena Ray"
        );
        assert_eq!(entry_title(out, None, None), "Business letter");
        let inb = Some(("Incoming phone call", InformationFlow::Inbound));
        assert_eq!(
            entry_title(inb, Some("Helena Ray"), Some("Andrew Lan")),
            "Incoming phone call - from Andrew Lan"
        );
        let none = Some(("Coversheet", InformationFlow::Blank));
        assert_eq!(entry_title(none, Some("Helena Ray"), None), "Coversheet");
        assert_eq!(entry_title(None, Some("Helena Ray"), None), "");
    }

    fn p(t: CorrespondenceType, email: bool) -> ContactProfile {
        ContactProfile {
            correspondence_type: t,
            has_email: email,
        }
    }

    #[test]
    fn correspondence_rule() {
        let h = Some(HeaderCorrespondence {
            default: HardCopy,
            ignore_contact: true,
        });
        assert_eq!(
            resolve_correspondence(h, Email, true, p(Email, true)),
            HardCopy
        );
        // header ignores but has no default: falls to the template
        let h0 = Some(HeaderCorrespondence {
            default: Blank,
            ignore_contact: true,
        });
        assert_eq!(
            resolve_correspondence(h0, HardCopy, false, p(Blank, true)),
            HardCopy
        );
        assert_eq!(
            resolve_correspondence(None, HardCopy, true, p(Email, true)),
            HardCopy
        );
        assert_eq!(
            resolve_correspondence(None, HardCopy, false, p(Email, true)),
            Email
        );
        assert_eq!(
            resolve_correspondence(None, Email, false, p(Blank, false)),
            Blank
        );
        assert_eq!(
            resolve_correspondence(None, HardCopy, false, p(Email, false)),
            Blank
        );
    }
}
