//! Master data: marketing setup, contacts, salespeople, interaction groups and templates,
//! campaigns. Each is stored as one record per key; the encoding of every struct here is part
//! of the on-disk format (append fields only together with a codec version bump).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::codes::*;
use super::enums::*;
use super::money::Money;
use super::DomainError;

/// Longest contact name.
pub const NAME_LEN: usize = 100;
/// Longest description of groups, templates, segments, campaigns and entries.
pub const DESCRIPTION_LEN: usize = 100;
/// Longest e-mail address.
pub const EMAIL_LEN: usize = 80;
/// Longest salesperson name.
pub const SALESPERSON_NAME_LEN: usize = 50;
/// Longest city / post code / phone texts.
pub const CITY_LEN: usize = 30;
/// Longest post code.
pub const POST_CODE_LEN: usize = 20;
/// Longest phone number.
pub const PHONE_LEN: usize = 30;

/// Marketing setup: the one record that wires number series and defaults together.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketingSetup {
    /// Series for new contact numbers.
    pub contact_nos: Option<SeriesCode>,
    /// Series for new segment numbers (also follow-up segments).
    pub segment_nos: Option<SeriesCode>,
    /// Series for new campaign numbers.
    pub campaign_nos: Option<SeriesCode>,
    /// Salesperson of a new contact that is given none (BC's Contact `OnInsert`); interlog
    /// also uses it for an interaction when nothing else gives one.
    pub default_salesperson: Option<SalespersonCode>,
    /// Correspondence type of a new contact that is given none (BC's Contact `OnInsert`).
    pub default_correspondence_type: CorrespondenceType,
    /// Language of a new contact that is given none (BC's Contact `OnInsert`).
    pub default_language: Option<LanguageCode>,
}

/// A user's setup (BC table 91 "User Setup", the field interlog uses): the salesperson a user
/// works as. BC fills it in where a salesperson is not given: a new contact's salesperson
/// (Contact `OnInsert`, after marketing setup's default), a new segment's (Segment Header
/// `OnInsert`) and a new interaction's (Segment Line `SetDefaultSalesperson`, before the
/// contact's). Stored one per user id; its encoding is part of the on-disk format.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSetup {
    /// The user (upper case).
    pub user_id: UserId,
    /// BC's "Salespers./Purch. Code".
    pub salesperson_code: Option<SalespersonCode>,
}

/// A contact: a company or a person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    /// Contact number.
    pub no: ContactNo,
    /// Name (≤ 100).
    pub name: String,
    /// Company or person.
    pub kind: ContactKind,
    /// A company's own number; a person's company, if any.
    pub company_no: Option<ContactNo>,
    /// Responsible salesperson.
    pub salesperson_code: Option<SalespersonCode>,
    /// Language.
    pub language_code: Option<LanguageCode>,
    /// E-mail address (≤ 80), empty when none.
    pub email: String,
    /// Preferred correspondence type.
    pub correspondence_type: CorrespondenceType,
    /// Skipped when segments are built by criteria (unless told to ignore the flag).
    pub exclude_from_segment: bool,
    /// Blocked for privacy: no interactions may be made with this contact.
    pub privacy_blocked: bool,
    /// City.
    pub city: String,
    /// Post code.
    pub post_code: String,
    /// Country/region code.
    pub country_code: Option<CountryCode>,
    /// Phone number.
    pub phone: String,
}

impl Contact {
    /// A contact with only a number, a name and a kind; everything else blank.
    pub fn new(no: ContactNo, name: &str, kind: ContactKind) -> Self {
        let company_no = (kind == ContactKind::Company).then(|| no.clone());
        Contact {
            no,
            name: name.to_string(),
            kind,
            company_no,
            salesperson_code: None,
            language_code: None,
            email: String::new(),
            correspondence_type: CorrespondenceType::Blank,
            exclude_from_segment: false,
            privacy_blocked: false,
            city: String::new(),
            post_code: String::new(),
            country_code: None,
            phone: String::new(),
        }
    }

    /// Checks lengths and the company rule that needs no other record (a company is its own
    /// company). Whether a person's company exists is checked by the operation that stores it.
    pub fn validate(&mut self) -> Result<(), DomainError> {
        check_text_only("name", &self.name, NAME_LEN)?;
        if self.name.trim().is_empty() {
            return Err(DomainError::Invalid {
                field: "name",
                value: self.name.clone(),
                reason: "a contact needs a name".into(),
            });
        }
        trim_in_place(&mut self.email);
        check_text_only("e-mail", &self.email, EMAIL_LEN)?;
        if !self.email.is_empty() && !looks_like_email(&self.email) {
            return Err(DomainError::Invalid {
                field: "e-mail",
                value: self.email.clone(),
                reason: "not an e-mail address (expected name@domain)".into(),
            });
        }
        check_text_only("city", &self.city, CITY_LEN)?;
        check_text_only("post code", &self.post_code, POST_CODE_LEN)?;
        check_text_only("phone", &self.phone, PHONE_LEN)?;
        match self.kind {
            ContactKind::Company => {
                if let Some(c) = &self.company_no {
                    if c != &self.no {
                        return Err(DomainError::Invalid {
                            field: "company no.",
                            value: c.to_string(),
                            reason: format!(
                                "a company's company number is its own number ({})",
                                self.no
                            ),
                        });
                    }
                }
                self.company_no = Some(self.no.clone());
            }
            ContactKind::Person => {
                if self.company_no.as_ref() == Some(&self.no) {
                    return Err(DomainError::Invalid {
                        field: "company no.",
                        value: self.no.to_string(),
                        reason: "a person cannot be its own company".into(),
                    });
                }
            }
        }
        Ok(())
    }
}

fn looks_like_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && !domain.is_empty() && !domain.contains('@') && !s.contains(' ')
        }
        None => false,
    }
}

/// A salesperson (or purchaser).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Salesperson {
    /// Code.
    pub code: SalespersonCode,
    /// Name (≤ 50).
    pub name: String,
    /// E-mail address.
    pub email: String,
    /// Blocked salespeople cannot be used on new interactions.
    pub blocked: bool,
    /// Blocked for privacy.
    pub privacy_blocked: bool,
}

impl Salesperson {
    /// Checks text lengths.
    pub fn validate(&mut self) -> Result<(), DomainError> {
        self.name = check_text("name", &self.name, SALESPERSON_NAME_LEN)?;
        self.email = check_text("e-mail", self.email.trim(), EMAIL_LEN)?;
        if !self.email.is_empty() && !looks_like_email(&self.email) {
            return Err(DomainError::Invalid {
                field: "e-mail",
                value: self.email.clone(),
                reason: "not an e-mail address (expected name@domain)".into(),
            });
        }
        Ok(())
    }
}

/// An interaction group (Letters, Meetings, …).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InteractionGroup {
    /// Code (≤ 10).
    pub code: GroupCode,
    /// Description (≤ 100).
    pub description: String,
}

impl InteractionGroup {
    /// Checks text lengths.
    pub fn validate(&mut self) -> Result<(), DomainError> {
        self.description = check_text("description", &self.description, DESCRIPTION_LEN)?;
        Ok(())
    }
}

/// An interaction template: the defaults of one kind of interaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InteractionTemplate {
    /// Code (≤ 10).
    pub code: TemplateCode,
    /// Group (must exist).
    pub group_code: GroupCode,
    /// Description (≤ 100).
    pub description: String,
    /// Cost of one interaction.
    pub unit_cost: Money,
    /// Duration of one interaction, whole minutes.
    pub unit_duration_min: u32,
    /// Direction.
    pub information_flow: InformationFlow,
    /// Who starts it.
    pub initiated_by: InitiatedBy,
    /// Default correspondence type.
    pub correspondence_type_default: CorrespondenceType,
    /// Use the template's type even when the contact has one.
    pub ignore_contact_correspondence_type: bool,
    /// Default language.
    pub language_code_default: Option<LanguageCode>,
    /// Campaign that interactions of this template belong to.
    pub campaign_no: Option<CampaignNo>,
}

impl InteractionTemplate {
    /// Checks text lengths.
    pub fn validate(&mut self) -> Result<(), DomainError> {
        self.description = check_text("description", &self.description, DESCRIPTION_LEN)?;
        Ok(())
    }
}

/// A campaign.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Campaign {
    /// Number.
    pub no: CampaignNo,
    /// Description (≤ 100).
    pub description: String,
    /// First day.
    pub starting_date: Option<NaiveDate>,
    /// Last day.
    pub ending_date: Option<NaiveDate>,
    /// Responsible salesperson.
    pub salesperson_code: Option<SalespersonCode>,
}

impl Campaign {
    /// Checks text length and date order.
    pub fn validate(&mut self) -> Result<(), DomainError> {
        self.description = check_text("description", &self.description, DESCRIPTION_LEN)?;
        if let (Some(s), Some(e)) = (self.starting_date, self.ending_date) {
            if e < s {
                return Err(DomainError::Invalid {
                    field: "ending date",
                    value: e.to_string(),
                    reason: format!("is before the starting date {s}"),
                });
            }
        }
        Ok(())
    }
}

/// Removes leading and trailing whitespace without a new allocation when there is none.
fn trim_in_place(s: &mut String) {
    if s.trim().len() != s.len() {
        *s = s.trim().to_string();
    }
}
