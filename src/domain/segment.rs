//! Segments: the header with its interaction section, lines that inherit and override it, and
//! the criteria history that makes *go back* exact (SPEC §2.6).
//!
//! The update rules are pure functions here; `ops::segments` applies them to stored lines.

use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};

use super::codes::*;
use super::enums::*;
use super::interaction::{resolve_correspondence, ContactProfile, HeaderCorrespondence};
use super::master::InteractionTemplate;
use super::money::Money;

/// Line numbers step by this much.
pub const LINE_NO_STEP: u64 = 10_000;
/// Longest follow-up segment description.
pub const FOLLOW_UP_DESCRIPTION_LEN: usize = 50;

/// The interaction section of a segment header: what every line inherits.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentInteraction {
    /// Template.
    pub template_code: Option<TemplateCode>,
    /// Group (from the template).
    pub group_code: Option<GroupCode>,
    /// Cost per line.
    pub unit_cost: Money,
    /// Duration per line, minutes.
    pub unit_duration_min: u32,
    /// Subject given to lines.
    pub subject_default: String,
    /// Language given to lines.
    pub language_code_default: Option<LanguageCode>,
    /// Correspondence type default.
    pub correspondence_type_default: CorrespondenceType,
    /// Use the default even when the contact has its own type.
    pub ignore_contact_correspondence_type: bool,
    /// Direction.
    pub information_flow: InformationFlow,
    /// Who starts it.
    pub initiated_by: InitiatedBy,
}

impl SegmentInteraction {
    /// Copies a template's defaults (SPEC §2.6: setting a template on the header).
    pub fn from_template(t: &InteractionTemplate) -> Self {
        SegmentInteraction {
            template_code: Some(t.code.clone()),
            group_code: Some(t.group_code.clone()),
            unit_cost: t.unit_cost,
            unit_duration_min: t.unit_duration_min,
            subject_default: String::new(),
            language_code_default: t.language_code_default.clone(),
            correspondence_type_default: t.correspondence_type_default,
            ignore_contact_correspondence_type: t.ignore_contact_correspondence_type,
            information_flow: t.information_flow,
            initiated_by: t.initiated_by,
        }
    }

    /// The header part of the correspondence rule.
    pub fn header_correspondence(&self) -> HeaderCorrespondence {
        HeaderCorrespondence {
            default: self.correspondence_type_default,
            ignore_contact: self.ignore_contact_correspondence_type,
        }
    }
}

/// Options of a criteria action (add / reduce / refine).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CriteriaOptions {
    /// Add: also add contacts already in the segment.
    pub allow_existing: bool,
    /// Add: add the persons of each matching company.
    pub expand_companies: bool,
    /// Add: add each matching person's company.
    pub related_companies: bool,
    /// Add: ignore the contacts' "exclude from segment" flag.
    pub ignore_exclusion: bool,
    /// Reduce / refine: widen the match to entire companies.
    pub entire_companies: bool,
}

/// What a criteria action did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CriteriaKind {
    /// Add contacts matching the filters.
    Add,
    /// Remove contacts matching the filters.
    Reduce,
    /// Keep only contacts matching the filters.
    Refine,
    /// Add the contacts of a logged segment.
    ReuseLogged,
}

impl CriteriaKind {
    /// The action's name as the CLI and JSON write it.
    pub fn name(self) -> &'static str {
        match self {
            CriteriaKind::Add => "add",
            CriteriaKind::Reduce => "reduce",
            CriteriaKind::Refine => "refine",
            CriteriaKind::ReuseLogged => "reuse-logged",
        }
    }
}

/// One criteria action as a line of text: `2. reduce City=London & Type=Person`,
/// `3. reduce (every contact)` for a reduce without filters, `1. reuse-logged logged segment 4`.
pub fn describe_action(
    no: u32,
    kind: CriteriaKind,
    filters: &[String],
    logged_segment: Option<LoggedSegmentNo>,
) -> String {
    let filters = if filters.is_empty() && kind != CriteriaKind::ReuseLogged {
        "(every contact)".to_string()
    } else {
        filters.join(" & ")
    };
    let logged = logged_segment
        .map(|l| format!(" logged segment {l}"))
        .unwrap_or_default();
    format!("{no}. {} {filters}{logged}", kind.name())
        .trim_end()
        .to_string()
}

/// One recorded criteria action with what it changed, so *go back* can undo it exactly.
/// Stored inside the segment header; its encoding is part of the on-disk format.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CriteriaAction {
    /// Action number within the segment (1, 2, …); `action_no` in JSON (`no` is a record's
    /// code everywhere else; older dumps call it `no`).
    #[serde(rename = "action_no", alias = "no")]
    pub no: u32,
    /// Kind of action.
    pub kind: CriteriaKind,
    /// Filters as typed (`FIELD=EXPR`).
    pub filters: Vec<String>,
    /// Options.
    pub options: CriteriaOptions,
    /// For `ReuseLogged`: the logged segment whose contacts were reused.
    pub logged_segment: Option<LoggedSegmentNo>,
    /// Line numbers the action inserted: `first..=last` (lines are appended in order).
    pub inserted: Option<(u64, u64)>,
    /// How many lines the action inserted.
    pub inserted_count: u64,
    /// Block generation holding the lines the action deleted (restored by go back).
    pub deleted_gen: Option<u64>,
    /// How many lines the action deleted.
    pub deleted_count: u64,
}

/// One action of saved segment criteria: what a criteria action did, without what it changed
/// in one segment (BC: a *Saved Segment Criteria Line* of type Action with the Filter lines
/// after it). Stored inside [`SavedCriteria`]; its encoding is part of the on-disk format.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedCriteriaAction {
    /// Kind of action.
    pub kind: CriteriaKind,
    /// Filters as typed (`FIELD=EXPR`); for `ReuseLogged`, the outcome filter's description.
    pub filters: Vec<String>,
    /// Options.
    pub options: CriteriaOptions,
    /// For `ReuseLogged`: the logged segment whose contacts are reused.
    pub logged_segment: Option<LoggedSegmentNo>,
}

impl From<&CriteriaAction> for SavedCriteriaAction {
    fn from(a: &CriteriaAction) -> Self {
        SavedCriteriaAction {
            kind: a.kind,
            filters: a.filters.clone(),
            options: a.options,
            logged_segment: a.logged_segment,
        }
    }
}

/// Longest description of saved criteria (BC: `Description`, `Text[100]`).
pub const SAVED_CRITERIA_DESCRIPTION_LEN: usize = 100;

/// Saved segment criteria: a segment's criteria actions kept under a code to build other
/// segments with (BC table *Saved Segment Criteria*, 5098, with its lines, 5099). Stored one
/// per key in the `saved_criteria` tree; its encoding is part of the on-disk format.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedCriteria {
    /// Code (BC: `Code`, `Code[10]`, not blank).
    pub code: CriteriaCode,
    /// Description (≤ 100).
    pub description: String,
    /// User who saved them.
    pub user_id: UserId,
    /// The actions, in the order they are replayed.
    pub actions: Vec<SavedCriteriaAction>,
}

/// A segment header. Stored one per key; its encoding is part of the on-disk format.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentHeader {
    /// Segment number.
    pub no: SegmentNo,
    /// Description (≤ 100); lines start with it as their description.
    pub description: String,
    /// Date lines inherit (defaults to the work date at creation).
    pub date: NaiveDate,
    /// Salesperson lines inherit.
    pub salesperson_code: Option<SalespersonCode>,
    /// Campaign lines inherit.
    pub campaign_no: Option<CampaignNo>,
    /// The interaction section.
    pub interaction: SegmentInteraction,
    /// Block generation that holds the lines (storage detail, see `storage::keys`).
    pub lines_gen: u64,
    /// Number of lines.
    pub line_count: u64,
    /// Highest line number used so far (0 = none).
    pub last_line_no: u64,
    /// Contacts epoch at which every line's contact was last checked.
    pub contacts_epoch: u64,
    /// Criteria actions, oldest first.
    pub criteria: Vec<CriteriaAction>,
}

impl CriteriaAction {
    /// The action as a line of text (see [`describe_action`]).
    pub fn describe(&self) -> String {
        describe_action(self.no, self.kind, &self.filters, self.logged_segment)
    }
}

impl SegmentHeader {
    /// Line number the next appended line gets.
    pub fn next_line_no(&self) -> u64 {
        self.last_line_no + LINE_NO_STEP
    }
}

/// What a bulk rewrite of a segment's lines (reduce, refine, go back) decides a line by,
/// read without materializing it: the sled backend implements it on a row of a decoded line
/// block, a relational backend would on a fetched row, and [`SegmentLine`] implements it too.
pub trait LineRead {
    /// Line number.
    fn line_no(&self) -> u64;
    /// Contact.
    fn contact_no(&self) -> &ContactNo;
    /// The contact's company (the contact itself for a company contact).
    fn contact_company_no(&self) -> Option<ContactNo>;
}

impl LineRead for SegmentLine {
    fn line_no(&self) -> u64 {
        self.line_no
    }
    fn contact_no(&self) -> &ContactNo {
        &self.contact_no
    }
    fn contact_company_no(&self) -> Option<ContactNo> {
        self.contact_company_no.clone()
    }
}

/// A segment line: one contact with its own copy of every interaction field.
///
/// This is the logical record; the store packs lines into blocks (see `storage::blocks`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentLine {
    /// Line number (steps of 10000).
    pub line_no: u64,
    /// Contact.
    pub contact_no: ContactNo,
    /// The contact's company.
    pub contact_company_no: Option<ContactNo>,
    /// The contact's correspondence profile when the line was made.
    pub contact_profile: ContactProfile,
    /// Template.
    pub template_code: Option<TemplateCode>,
    /// Group.
    pub group_code: Option<GroupCode>,
    /// Description.
    pub description: String,
    /// The description was typed for this line (so a template change keeps it).
    pub description_typed: bool,
    /// Subject.
    pub subject: String,
    /// Cost.
    pub cost: Money,
    /// Duration in minutes.
    pub duration_min: u32,
    /// Date.
    pub date: NaiveDate,
    /// Time (set at logging when empty); `time_of_interaction` in JSON, as on an entry (older
    /// dumps call it `time`).
    #[serde(rename = "time_of_interaction", alias = "time")]
    pub time: Option<NaiveTime>,
    /// Salesperson.
    pub salesperson_code: Option<SalespersonCode>,
    /// Correspondence type.
    pub correspondence_type: CorrespondenceType,
    /// Language.
    pub language_code: Option<LanguageCode>,
    /// Campaign.
    pub campaign_no: Option<CampaignNo>,
    /// Evaluation.
    pub evaluation: Evaluation,
    /// Direction.
    pub information_flow: InformationFlow,
    /// Who starts it.
    pub initiated_by: InitiatedBy,
    /// The attempt failed.
    pub attempt_failed: bool,
}

/// The contact data a new line needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineContact {
    /// Contact number.
    pub no: ContactNo,
    /// Company.
    pub company_no: Option<ContactNo>,
    /// Salesperson of the contact.
    pub salesperson_code: Option<SalespersonCode>,
    /// Correspondence profile.
    pub profile: ContactProfile,
}

impl From<&super::master::Contact> for LineContact {
    fn from(c: &super::master::Contact) -> Self {
        LineContact {
            no: c.no.clone(),
            company_no: c.company_no.clone(),
            salesperson_code: c.salesperson_code.clone(),
            profile: ContactProfile::from(c),
        }
    }
}

/// The template fields the correspondence rule needs for a line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TemplateCorrespondence {
    /// Template default.
    pub default: CorrespondenceType,
    /// Template ignores the contact's type.
    pub ignore_contact: bool,
}

impl From<&InteractionTemplate> for TemplateCorrespondence {
    fn from(t: &InteractionTemplate) -> Self {
        TemplateCorrespondence {
            default: t.correspondence_type_default,
            ignore_contact: t.ignore_contact_correspondence_type,
        }
    }
}

impl SegmentLine {
    /// A new line for `contact` that inherits every interaction field of `header`.
    /// `template` is the header's template (for the correspondence rule), if any.
    pub fn inherit(
        header: &SegmentHeader,
        line_no: u64,
        contact: &LineContact,
        template: Option<TemplateCorrespondence>,
    ) -> Self {
        let i = &header.interaction;
        let mut line = SegmentLine {
            line_no,
            contact_no: contact.no.clone(),
            contact_company_no: contact.company_no.clone(),
            contact_profile: contact.profile,
            template_code: i.template_code.clone(),
            group_code: i.group_code.clone(),
            description: header.description.clone(),
            description_typed: false,
            subject: i.subject_default.clone(),
            cost: i.unit_cost,
            duration_min: i.unit_duration_min,
            date: header.date,
            time: None,
            salesperson_code: header
                .salesperson_code
                .clone()
                .or_else(|| contact.salesperson_code.clone()),
            correspondence_type: CorrespondenceType::Blank,
            language_code: i.language_code_default.clone(),
            campaign_no: header.campaign_no.clone(),
            evaluation: Evaluation::Blank,
            information_flow: i.information_flow,
            initiated_by: i.initiated_by,
            attempt_failed: false,
        };
        line.correspondence_type = line.resolve_correspondence(header, template);
        line
    }

    /// Applies SPEC §2.5 to this line: the header's override first, then the line's template.
    pub fn resolve_correspondence(
        &self,
        header: &SegmentHeader,
        template: Option<TemplateCorrespondence>,
    ) -> CorrespondenceType {
        let t = template.unwrap_or_default();
        // The header's override speaks for the header's template only.
        let h = (self.template_code == header.interaction.template_code)
            .then(|| header.interaction.header_correspondence());
        resolve_correspondence(h, t.default, t.ignore_contact, self.contact_profile)
    }

    /// Sets a template on this line (BC table "Segment Line", `Interaction Template Code`
    /// `OnValidate`): re-copies group, cost, duration, flow, initiated-by and correspondence
    /// type from it. The description becomes the template's when it is blank, or when the
    /// line had another template before (BC: `(Description = '') or ((xRec."Interaction
    /// Template Code" <> '') and (xRec."Interaction Template Code" <> "Interaction Template
    /// Code"))`): the old template's description (or the segment's) gives way to the new
    /// template's; a line that had no template keeps its description, and so does a line
    /// given the same template again.
    ///
    /// One deliberate difference (SPEC §2.6): a description *typed for the line* stays even
    /// when the line moves from one template to another, where BC's code overwrites it.
    pub fn set_template(&mut self, header: &SegmentHeader, t: &InteractionTemplate) {
        let had_other_template = self
            .template_code
            .as_ref()
            .is_some_and(|old| *old != t.code);
        self.template_code = Some(t.code.clone());
        self.group_code = Some(t.group_code.clone());
        self.cost = t.unit_cost;
        self.duration_min = t.unit_duration_min;
        self.information_flow = t.information_flow;
        self.initiated_by = t.initiated_by;
        if self.description.is_empty() || (had_other_template && !self.description_typed) {
            self.description = t.description.clone();
            self.description_typed = false;
        }
        self.correspondence_type = self.resolve_correspondence(header, Some(t.into()));
    }
}

/// A correspondence type set on a line as it is: Email for a contact without an e-mail
/// address becomes blank (SPEC §2.5), whatever else decided it.
pub fn with_email_guard(t: CorrespondenceType, contact: ContactProfile) -> CorrespondenceType {
    if t == CorrespondenceType::Email && !contact.has_email {
        CorrespondenceType::Blank
    } else {
        t
    }
}

/// Applies a header change to one line (SPEC §2.6, BC table "Segment Header",
/// `UpdateSegLinesByFieldNo`). `old` is the header before the change, `mid` the header right
/// after its template was set (its defaults copied in; `mid == old` when the template did not
/// change) and `new` the header after the whole change. Returns whether the line changed.
///
/// * **A template change** reaches every line, but only as BC does it: the line takes the new
///   template *code* (`ModifyAll`, no validation) and the header's new correspondence type
///   default (`CopyFromTemplate` → `UpdateSegLinesByFieldNo("Correspondence Type (Default)")`,
///   with §2.5's e-mail guard). Cost, duration, description, flow, initiated-by, subject and
///   language stay as they were on the line. Beyond BC, the group follows the template, so
///   that an entry's group always is its template's (BC leaves the old group).
/// * **Any other change** (from `mid` to `new`) reaches only lines on the header's template,
///   and only the fields that changed.
pub fn propagate_header_change(
    old: &SegmentHeader,
    mid: &SegmentHeader,
    new: &SegmentHeader,
    new_template: Option<&InteractionTemplate>,
    line: &mut SegmentLine,
    line_template: Option<TemplateCorrespondence>,
) -> bool {
    let before = line.clone();
    if old.interaction.template_code != mid.interaction.template_code {
        line.template_code = mid.interaction.template_code.clone();
        line.group_code = new_template.map(|t| t.group_code.clone());
        line.correspondence_type = with_email_guard(
            mid.interaction.correspondence_type_default,
            line.contact_profile,
        );
    } else if line.template_code != old.interaction.template_code {
        return false;
    }
    let (oi, ni) = (&mid.interaction, &new.interaction);
    macro_rules! copy_if_changed {
        ($old:expr, $new:expr, $field:expr) => {
            if $old != $new {
                $field = $new.clone();
            }
        };
    }
    copy_if_changed!(oi.unit_cost, ni.unit_cost, line.cost);
    copy_if_changed!(
        oi.unit_duration_min,
        ni.unit_duration_min,
        line.duration_min
    );
    copy_if_changed!(
        oi.information_flow,
        ni.information_flow,
        line.information_flow
    );
    copy_if_changed!(oi.initiated_by, ni.initiated_by, line.initiated_by);
    copy_if_changed!(
        oi.language_code_default,
        ni.language_code_default,
        line.language_code
    );
    copy_if_changed!(oi.subject_default, ni.subject_default, line.subject);
    if mid.description != new.description {
        line.description = new.description.clone();
        line.description_typed = false;
    }
    if mid.date != new.date {
        line.date = new.date;
    }
    if mid.salesperson_code != new.salesperson_code && new.salesperson_code.is_some() {
        line.salesperson_code = new.salesperson_code.clone();
    }
    if mid.campaign_no != new.campaign_no {
        line.campaign_no = new.campaign_no.clone();
    }
    if oi.correspondence_type_default != ni.correspondence_type_default
        || oi.ignore_contact_correspondence_type != ni.ignore_contact_correspondence_type
    {
        let t = new_template
            .map(TemplateCorrespondence::from)
            .or(line_template);
        line.correspondence_type = line.resolve_correspondence(new, t);
    }
    *line != before
}

/// Description of a follow-up segment: `Follow-up on segment <no>`, cut to 50 characters.
pub fn follow_up_description(segment: &SegmentNo) -> String {
    format!("Follow-up on segment {segment}")
        .chars()
        .take(FOLLOW_UP_DESCRIPTION_LEN)
        .collect()
}
