//! Master data: setup, number series, contacts, salespeople, groups, templates, campaigns.
//!
//! Adding records goes through a [`MasterBatch`]: records are checked against the store *and*
//! the records added earlier in the same batch (so an import file may add a company and its
//! persons), then written in one transaction. Import uses one batch per file, which makes an
//! import all-or-nothing; the single `add_*` functions are batches of one.

use crate::ops::found;
use crate::storage::Change;
use crate::storage::Counter;
use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use super::{number_for, setup, Ctx, OpError, SeriesDraws};
use crate::domain::filter::{contact_no_range, matches_all, FieldFilter};
use crate::domain::*;
use crate::storage::{Store, UnitOfWork};

/// Creates a new store with Business Central's default marketing number series
/// (`CONT` CT000001…, `SEGM` SM00001…, `CAMP` CP0001…) wired into marketing setup. `path`
/// must not exist or be an empty directory (or a link to one); a file, device, FIFO, socket or
/// dangling link there is refused (`Refused`), a non-empty directory too (`AlreadyExists`).
pub fn init(path: &Path) -> Result<Store, OpError> {
    crate::storage::files::check_new_store_path(path)
        .map_err(|reason| OpError::Refused { reason })?;
    let store = Store::create(path)?;
    let mut ws = UnitOfWork::new();
    let (series, setup) = initial_setup()?;
    for s in series {
        ws.change(Change::PutSeries(s));
    }
    ws.change(Change::PutSetup(setup));
    store.apply(ws)?;
    Ok(store)
}

/// What a new store (or a new company on the PostgreSQL backend) starts with: BC's marketing
/// number series CONT, SEGM and CAMP, wired into marketing setup (default correspondence type
/// e-mail).
pub fn initial_setup() -> Result<(Vec<NoSeries>, MarketingSetup), OpError> {
    let series = [
        ("CONT", "Contact", "CT000001", "CT100000"),
        ("SEGM", "Segment", "SM00001", "SM99999"),
        ("CAMP", "Campaign", "CP0001", "CP9999"),
    ];
    let mut out = Vec::with_capacity(series.len());
    for (code, desc, start, end) in series {
        out.push(NoSeries::simple(
            SeriesCode::new(code)?,
            desc,
            start,
            Some(end),
        ));
    }
    let setup = MarketingSetup {
        contact_nos: Some(SeriesCode::new("CONT")?),
        segment_nos: Some(SeriesCode::new("SEGM")?),
        campaign_nos: Some(SeriesCode::new("CAMP")?),
        default_salesperson: None,
        default_correspondence_type: CorrespondenceType::Email,
        default_language: None,
    };
    Ok((out, setup))
}

/// A change to marketing setup: `None` leaves a field alone, `Some(None)` clears it.
#[derive(Clone, Debug, Default)]
pub struct SetupChange {
    /// Contact numbers series.
    pub contact_nos: Option<Option<SeriesCode>>,
    /// Segment numbers series.
    pub segment_nos: Option<Option<SeriesCode>>,
    /// Campaign numbers series.
    pub campaign_nos: Option<Option<SeriesCode>>,
    /// Default salesperson.
    pub default_salesperson: Option<Option<SalespersonCode>>,
    /// Default correspondence type.
    pub default_correspondence_type: Option<CorrespondenceType>,
    /// Default language.
    pub default_language: Option<Option<LanguageCode>>,
}

/// Changes marketing setup; every series and salesperson named must exist.
pub fn set_setup(store: &Store, change: SetupChange) -> Result<MarketingSetup, OpError> {
    let _w = store.writer();
    let mut s = setup(store)?;
    for (slot, new) in [
        (&mut s.contact_nos, change.contact_nos),
        (&mut s.segment_nos, change.segment_nos),
        (&mut s.campaign_nos, change.campaign_nos),
    ] {
        if let Some(new) = new {
            if let Some(code) = &new {
                get_series(store, code)?;
            }
            *slot = new;
        }
    }
    if let Some(sp) = change.default_salesperson {
        if let Some(code) = &sp {
            found(store.salesperson(code)?, "salesperson", code)?;
        }
        s.default_salesperson = sp;
    }
    if let Some(t) = change.default_correspondence_type {
        s.default_correspondence_type = t;
    }
    if let Some(l) = change.default_language {
        s.default_language = l;
    }
    let mut ws = UnitOfWork::new();
    ws.change(Change::PutSetup(s.clone()));
    store.apply(ws)?;
    Ok(s)
}

/// Adds a number series (validated; the code must be new). Each line's numbers go through
/// BC's line validation ([`SeriesLine::normalize`]: upper case, common digit width).
pub fn add_series(store: &Store, mut series: NoSeries) -> Result<NoSeries, OpError> {
    let _w = store.writer();
    check_text("description", &series.description, DESCRIPTION_LEN)?;
    for l in &mut series.lines {
        l.normalize(&series.code)?;
    }
    series.validate()?;
    if store.has_series(&series.code)? {
        return Err(OpError::AlreadyExists {
            what: "number series",
            key: series.code.to_string(),
        });
    }
    let mut ws = UnitOfWork::new();
    ws.change(Change::PutSeries(series.clone()));
    store.apply(ws)?;
    Ok(series)
}

/// Adds a line to a number series (its numbers validated as [`add_series`] does).
pub fn add_series_line(
    store: &Store,
    code: &SeriesCode,
    mut line: SeriesLine,
) -> Result<NoSeries, OpError> {
    let _w = store.writer();
    let mut s = get_series(store, code)?;
    line.normalize(code)?;
    s.lines.push(line);
    s.validate()?;
    let mut ws = UnitOfWork::new();
    ws.change(Change::PutSeries(s.clone()));
    store.apply(ws)?;
    Ok(s)
}

/// A change to a number series: `None` leaves a field alone.
#[derive(Clone, Debug, Default)]
pub struct SeriesChange {
    /// Description.
    pub description: Option<String>,
    /// Default Nos.: the series may give numbers automatically.
    pub default_nos: Option<bool>,
    /// Manual Nos.: the series accepts typed numbers.
    pub manual_nos: Option<bool>,
}

/// A number series after a change, with notes on what BC's rules changed besides.
#[derive(Clone, Debug, Serialize)]
pub struct SeriesChanged {
    /// The series as stored.
    #[serde(flatten)]
    pub series: NoSeries,
    /// What else changed (e.g. manual nos. turned on because default nos. was turned off).
    pub notes: Vec<String>,
}

/// Changes a number series' description and flags. Turning *Default Nos.* off while *Manual
/// Nos.* is off turns *Manual Nos.* on, and the reverse (BC table "No. Series",
/// `ValidateDefaultNos` / `ValidateManualNos`); turning both off at once is refused.
pub fn set_series(
    store: &Store,
    code: &SeriesCode,
    change: &SeriesChange,
) -> Result<SeriesChanged, OpError> {
    let _w = store.writer();
    let mut s = get_series(store, code)?;
    if change.default_nos == Some(false) && change.manual_nos == Some(false) {
        return Err(SeriesError::NoNumberingAllowed {
            series: code.clone(),
        }
        .into());
    }
    if let Some(d) = &change.description {
        s.description = check_text("description", d, DESCRIPTION_LEN)?;
    }
    let mut notes = Vec::new();
    if let Some(on) = change.default_nos {
        notes.extend(s.set_default_nos(on));
    }
    if let Some(on) = change.manual_nos {
        notes.extend(s.set_manual_nos(on));
    }
    s.validate()?;
    let mut ws = UnitOfWork::new();
    ws.change(Change::PutSeries(s.clone()));
    store.apply(ws)?;
    Ok(SeriesChanged { series: s, notes })
}

/// One number series.
pub fn get_series(store: &Store, code: &SeriesCode) -> Result<NoSeries, OpError> {
    found(store.series(code)?, "number series", code)
}

/// Every number series.
pub fn list_series(store: &Store) -> Result<Vec<NoSeries>, OpError> {
    Ok(store.all_series()?)
}

/// The next number of a series on the work date, without using it.
pub fn peek_series(store: &Store, ctx: &Ctx, code: &SeriesCode) -> Result<Draw, OpError> {
    let s = get_series(store, code)?;
    Ok(s.peek(ctx.work_date)?)
}

/// Draws the next number of a series on the work date.
pub fn next_series(store: &Store, ctx: &Ctx, code: &SeriesCode) -> Result<Draw, OpError> {
    let _w = store.writer();
    let mut s = get_series(store, code)?;
    let d = s.draw(ctx.work_date)?;
    let mut ws = UnitOfWork::new();
    ws.change(Change::PutSeries(s.clone()));
    store.apply(ws)?;
    Ok(d)
}

/// What the user gives to add a contact; the number may come from the contact series.
#[derive(Clone, Debug, Default)]
pub struct ContactInput {
    /// Typed number (else drawn from setup's contact series).
    pub no: Option<String>,
    /// Name.
    pub name: String,
    /// Company or person.
    pub kind: ContactKind,
    /// A person's company.
    pub company_no: Option<ContactNo>,
    /// E-mail.
    pub email: String,
    /// Salesperson.
    pub salesperson_code: Option<SalespersonCode>,
    /// Language.
    pub language_code: Option<LanguageCode>,
    /// Correspondence type; `None`: marketing setup's default (BC's Contact `OnInsert`).
    pub correspondence_type: Option<CorrespondenceType>,
    /// Privacy blocked.
    pub privacy_blocked: bool,
    /// Exclude from segment.
    pub exclude_from_segment: bool,
    /// City.
    pub city: String,
    /// Post code.
    pub post_code: String,
    /// Country/region.
    pub country_code: Option<CountryCode>,
    /// Phone.
    pub phone: String,
    /// Store the record as given: no defaults for what it leaves out (BC's `SetSkipDefaults`;
    /// import uses it, since an exported record went through `OnInsert` already).
    pub skip_defaults: bool,
}

/// What the user gives to add a campaign.
#[derive(Clone, Debug, Default)]
pub struct CampaignInput {
    /// Typed number (else drawn from setup's campaign series).
    pub no: Option<String>,
    /// Description.
    pub description: String,
    /// First day.
    pub starting_date: Option<chrono::NaiveDate>,
    /// Last day.
    pub ending_date: Option<chrono::NaiveDate>,
    /// Salesperson.
    pub salesperson_code: Option<SalespersonCode>,
}

/// A record added by a batch, with any number-series warning.
#[derive(Clone, Debug, Serialize)]
pub struct Added<T> {
    /// The record as stored.
    #[serde(flatten)]
    pub record: T,
    /// Number series warning, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// The contacts a batch added, with their type. A number of up to 16 bytes (nearly every
/// number) is kept packed in an integer: an import of a million contacts allocates nothing
/// per contact here.
#[derive(Default)]
struct AddedContacts {
    short: rustc_hash::FxHashMap<u128, ContactKind>,
    long: rustc_hash::FxHashMap<ContactNo, ContactKind>,
}

impl AddedContacts {
    /// The number's bytes, zero-padded (a code holds no NUL, so no two numbers pack alike).
    fn packed(no: &ContactNo) -> Option<u128> {
        let b = no.as_bytes();
        (b.len() <= 16).then(|| {
            let mut a = [0u8; 16];
            a[..b.len()].copy_from_slice(b);
            u128::from_le_bytes(a)
        })
    }

    fn get(&self, no: &ContactNo) -> Option<&ContactKind> {
        match Self::packed(no) {
            Some(k) => self.short.get(&k),
            None => self.long.get(no),
        }
    }

    fn insert(&mut self, no: &ContactNo, kind: ContactKind) {
        match Self::packed(no) {
            Some(k) => self.short.insert(k, kind),
            None => self.long.insert(no.clone(), kind),
        };
    }

    fn len(&self) -> usize {
        self.short.len() + self.long.len()
    }
}

/// Adds master records checked against the store and each other, then writes them at once.
pub struct MasterBatch<'s> {
    store: &'s Store,
    writer: crate::storage::WriterGuard<'s>,
    /// Contacts added so far, with their type (all a later record of the batch asks about).
    contacts: AddedContacts,
    /// Whether the store held contacts when the batch began (read once: an import into an
    /// empty store then asks the store nothing per row; the writer guard keeps it true).
    store_has_contacts: Option<bool>,
    salespeople: BTreeMap<SalespersonCode, Salesperson>,
    groups: BTreeMap<GroupCode, InteractionGroup>,
    templates: BTreeMap<TemplateCode, InteractionTemplate>,
    campaigns: BTreeMap<CampaignNo, Campaign>,
    draws: SeriesDraws,
    ws: UnitOfWork,
    /// The contacts added, compactly (an import may add millions).
    contact_rows: crate::storage::contacts::ContactBatch,
    /// Marketing setup, read once.
    setup: Option<std::rc::Rc<MarketingSetup>>,
    /// Stored salespeople found so far (an import names the same few a million times; none
    /// is removed while the batch holds the writer guard).
    known_salespeople: std::collections::HashSet<SalespersonCode>,
    /// Replace stored records with the same key instead of refusing them (import's upsert).
    replace: bool,
    /// A stored contact was replaced: segments must look at contacts again.
    contacts_changed: bool,
}

impl<'s> MasterBatch<'s> {
    /// A batch that replaces stored records with the same key (a contact keeps its type).
    pub fn replacing(store: &'s Store) -> Self {
        MasterBatch {
            replace: true,
            ..MasterBatch::new(store)
        }
    }

    /// Starts a batch (takes the writer lock until committed or dropped).
    pub fn new(store: &'s Store) -> Self {
        MasterBatch {
            store,
            writer: store.writer(),
            contacts: Default::default(),
            store_has_contacts: None,
            salespeople: BTreeMap::new(),
            groups: BTreeMap::new(),
            templates: BTreeMap::new(),
            campaigns: BTreeMap::new(),
            draws: SeriesDraws::default(),
            ws: UnitOfWork::new(),
            contact_rows: Default::default(),
            setup: None,
            known_salespeople: Default::default(),
            replace: false,
            contacts_changed: false,
        }
    }

    /// Refuses an existing record unless this batch replaces records.
    fn check_new(&self, exists: bool, what: &'static str, key: &str) -> Result<(), OpError> {
        if exists && !self.replace {
            return Err(OpError::AlreadyExists {
                what,
                key: key.to_string(),
            });
        }
        Ok(())
    }

    /// Number of records added so far.
    pub fn len(&self) -> usize {
        self.contacts.len()
            + self.salespeople.len()
            + self.groups.len()
            + self.templates.len()
            + self.campaigns.len()
    }

    /// True when nothing was added.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The type of contact `no`, when it exists (added by this batch or stored).
    fn contact_kind(&mut self, no: &ContactNo) -> Result<Option<ContactKind>, OpError> {
        if let Some(k) = self.contacts.get(no) {
            return Ok(Some(*k));
        }
        let stored = match self.store_has_contacts {
            Some(s) => s,
            None => *self
                .store_has_contacts
                .insert(!self.store.holds_no_contacts()?),
        };
        if !stored {
            return Ok(None);
        }
        Ok(self.store.contact_kind(no)?)
    }

    fn check_salesperson(&mut self, code: &SalespersonCode) -> Result<(), OpError> {
        if self.salespeople.contains_key(code) || self.known_salespeople.contains(code) {
            Ok(())
        } else if self.store.has_salesperson(code)? {
            self.known_salespeople.insert(code.clone());
            Ok(())
        } else {
            Err(OpError::NotFound {
                what: "salesperson",
                key: code.to_string(),
            })
        }
    }

    fn check_campaign(&self, no: &CampaignNo) -> Result<(), OpError> {
        if self.campaigns.contains_key(no) || self.store.has_campaign(no)? {
            Ok(())
        } else {
            Err(OpError::NotFound {
                what: "campaign",
                key: no.to_string(),
            })
        }
    }

    /// Adds a contact. A person's company must exist and be a company; the salesperson must
    /// exist; the number is typed or drawn from setup's contact series.
    pub fn add_contact(
        &mut self,
        ctx: &Ctx,
        input: ContactInput,
    ) -> Result<Added<Contact>, OpError> {
        let setup = match &self.setup {
            Some(s) => s.clone(),
            None => self
                .setup
                .insert(std::rc::Rc::new(setup(self.store)?))
                .clone(),
        };
        let typed = input.no.as_deref().map(ContactNo::new).transpose()?;
        let (drawn, warning) = number_for(
            self.store,
            ctx,
            setup.contact_nos.as_ref(),
            "contact_nos",
            typed.as_ref().map(ContactNo::as_str),
            &mut self.draws,
        )?;
        // A typed number comes back as typed: it is checked once, not three times.
        let no = match typed {
            Some(no) => no,
            None => ContactNo::new(&drawn)?,
        };
        let existing = self.contact_kind(&no)?;
        self.check_new(existing.is_some(), "contact", no.as_str())?;
        if let Some(old) = existing {
            if old != input.kind {
                return Err(OpError::Refused {
                    reason: format!(
                        "contact {no} is a {old} and stays one — an import does not change a contact's type"
                    ),
                });
            }
            self.contacts_changed = true;
        }
        let mut c = Contact::new(no, "", input.kind);
        c.name = input.name; // moved: a million contacts are not copied twice
        if input.kind == ContactKind::Person || input.company_no.is_some() {
            c.company_no = input.company_no.clone();
        }
        c.email = input.email;
        c.salesperson_code = input.salesperson_code;
        c.language_code = input.language_code;
        c.correspondence_type = input.correspondence_type.unwrap_or_default();
        if !input.skip_defaults {
            // BC's Contact OnInsert: what is left blank comes from marketing setup, and the
            // salesperson from the user's setup when the user has one (SetDefaultSalesperson).
            if c.salesperson_code.is_none() {
                c.salesperson_code = user_salesperson(self.store, &ctx.user)?
                    .or_else(|| setup.default_salesperson.clone());
            }
            if c.language_code.is_none() {
                c.language_code = setup.default_language.clone();
            }
            if input.correspondence_type.is_none() {
                c.correspondence_type = setup.default_correspondence_type;
            }
        }
        c.privacy_blocked = input.privacy_blocked;
        c.exclude_from_segment = input.exclude_from_segment;
        c.city = input.city;
        c.post_code = input.post_code;
        c.country_code = input.country_code;
        c.phone = input.phone;
        c.validate()?;
        if c.kind == ContactKind::Person {
            if let Some(company) = &c.company_no {
                match self.contact_kind(company)? {
                    None => {
                        return Err(OpError::NotFound {
                            what: "company contact",
                            key: company.to_string(),
                        })
                    }
                    Some(kind) if kind != ContactKind::Company => {
                        return Err(OpError::Refused {
                            reason: format!(
                                "contact {company} is a person, not a company — a person's company number must name a company"
                            ),
                        })
                    }
                    Some(_) => {}
                }
            }
        }
        if let Some(sp) = &c.salesperson_code {
            self.check_salesperson(sp)?;
        }
        self.contacts.insert(&c.no, c.kind);
        self.contact_rows.push(&c)?;
        Ok(Added { record: c, warning })
    }

    /// Adds a salesperson.
    pub fn add_salesperson(&mut self, mut s: Salesperson) -> Result<Salesperson, OpError> {
        s.validate()?;
        self.check_new(
            self.salespeople.contains_key(&s.code) || self.store.has_salesperson(&s.code)?,
            "salesperson",
            s.code.as_str(),
        )?;
        self.ws.change(Change::PutSalesperson(s.clone()));
        self.salespeople.insert(s.code.clone(), s.clone());
        Ok(s)
    }

    /// Adds an interaction group.
    pub fn add_group(&mut self, mut g: InteractionGroup) -> Result<InteractionGroup, OpError> {
        g.validate()?;
        self.check_new(
            self.groups.contains_key(&g.code) || self.store.has_group(&g.code)?,
            "interaction group",
            g.code.as_str(),
        )?;
        self.ws.change(Change::PutGroup(g.clone()));
        self.groups.insert(g.code.clone(), g.clone());
        Ok(g)
    }

    /// Adds an interaction template; its group (and campaign, if any) must exist.
    pub fn add_template(
        &mut self,
        mut t: InteractionTemplate,
    ) -> Result<InteractionTemplate, OpError> {
        t.validate()?;
        self.check_new(
            self.templates.contains_key(&t.code) || self.store.has_template(&t.code)?,
            "interaction template",
            t.code.as_str(),
        )?;
        if !self.groups.contains_key(&t.group_code) && !self.store.has_group(&t.group_code)? {
            return Err(OpError::NotFound {
                what: "interaction group",
                key: t.group_code.to_string(),
            });
        }
        if let Some(c) = &t.campaign_no {
            self.check_campaign(c)?;
        }
        self.ws.change(Change::PutTemplate(t.clone()));
        self.templates.insert(t.code.clone(), t.clone());
        Ok(t)
    }

    /// Adds a campaign; the number is typed or drawn from setup's campaign series.
    pub fn add_campaign(
        &mut self,
        ctx: &Ctx,
        input: CampaignInput,
    ) -> Result<Added<Campaign>, OpError> {
        let setup = setup(self.store)?;
        let typed = match &input.no {
            Some(n) => Some(CampaignNo::new(n)?.to_string()),
            None => None,
        };
        let (no, warning) = number_for(
            self.store,
            ctx,
            setup.campaign_nos.as_ref(),
            "campaign_nos",
            typed.as_deref(),
            &mut self.draws,
        )?;
        let mut c = Campaign {
            no: CampaignNo::new(&no)?,
            description: input.description,
            starting_date: input.starting_date,
            ending_date: input.ending_date,
            salesperson_code: input.salesperson_code,
        };
        c.validate()?;
        self.check_new(
            self.campaigns.contains_key(&c.no) || self.store.has_campaign(&c.no)?,
            "campaign",
            c.no.as_str(),
        )?;
        if let Some(sp) = &c.salesperson_code {
            self.check_salesperson(sp)?;
        }
        self.ws.change(Change::PutCampaign(c.clone()));
        self.campaigns.insert(c.no.clone(), c.clone());
        Ok(Added { record: c, warning })
    }

    /// Writes everything added, atomically and durably.
    pub fn commit(mut self) -> Result<(), OpError> {
        // What later records of the batch asked about: not needed any more (an import of
        // millions of contacts frees it before the contacts are written).
        drop(std::mem::take(&mut self.contacts));
        self.draws.write(&mut self.ws)?;
        if self.contacts_changed {
            let epoch = self.store.get_counter(Counter::ContactsEpoch)?;
            self.ws
                .change(Change::SetCounter(Counter::ContactsEpoch, epoch + 1));
        }
        // Many contacts (an import) are merged into new contact blocks written staged, then one
        // small commit switches to them: the unit of work stays one commit.
        self.store
            .apply_with_contacts(&self.writer, self.contact_rows, self.ws)?;
        Ok(())
    }
}

/// Adds one contact.
pub fn add_contact(
    store: &Store,
    ctx: &Ctx,
    input: ContactInput,
) -> Result<Added<Contact>, OpError> {
    let mut b = MasterBatch::new(store);
    let c = b.add_contact(ctx, input)?;
    b.commit()?;
    Ok(c)
}

/// Adds one salesperson.
pub fn add_salesperson(store: &Store, s: Salesperson) -> Result<Salesperson, OpError> {
    let mut b = MasterBatch::new(store);
    let s = b.add_salesperson(s)?;
    b.commit()?;
    Ok(s)
}

/// Adds one interaction group.
pub fn add_group(store: &Store, g: InteractionGroup) -> Result<InteractionGroup, OpError> {
    let mut b = MasterBatch::new(store);
    let g = b.add_group(g)?;
    b.commit()?;
    Ok(g)
}

/// Adds one interaction template.
pub fn add_template(store: &Store, t: InteractionTemplate) -> Result<InteractionTemplate, OpError> {
    let mut b = MasterBatch::new(store);
    let t = b.add_template(t)?;
    b.commit()?;
    Ok(t)
}

/// Adds one campaign.
pub fn add_campaign(
    store: &Store,
    ctx: &Ctx,
    input: CampaignInput,
) -> Result<Added<Campaign>, OpError> {
    let mut b = MasterBatch::new(store);
    let c = b.add_campaign(ctx, input)?;
    b.commit()?;
    Ok(c)
}

// ───────────────────────────── user setup ─────────────────────────────

/// Sets a user's salesperson (BC table "User Setup", field "Salespers./Purch. Code"); `None`
/// clears it. The salesperson must exist and not be blocked.
pub fn set_user_setup(
    store: &Store,
    user: &UserId,
    salesperson: Option<SalespersonCode>,
) -> Result<UserSetup, OpError> {
    let _w = store.writer();
    if let Some(code) = &salesperson {
        let sp = get_salesperson(store, code)?;
        if sp.blocked {
            return Err(OpError::SalespersonBlocked { code: sp.code });
        }
    }
    let u = UserSetup {
        user_id: user.clone(),
        salesperson_code: salesperson,
    };
    let mut ws = UnitOfWork::new();
    ws.change(Change::PutUserSetup(u.clone()));
    store.apply(ws)?;
    Ok(u)
}

/// One user's setup.
pub fn get_user_setup(store: &Store, user: &UserId) -> Result<UserSetup, OpError> {
    store
        .user_setup(user)?
        .ok_or_else(|| OpError::NoUserSetup { user: user.clone() })
}

/// Every user setup, by user id.
pub fn list_user_setups(store: &Store) -> Result<Vec<UserSetup>, OpError> {
    Ok(store.all_user_setups()?)
}

/// Deletes a user's setup; returns what it was.
pub fn delete_user_setup(store: &Store, user: &UserId) -> Result<UserSetup, OpError> {
    let _w = store.writer();
    let u = get_user_setup(store, user)?;
    let mut ws = UnitOfWork::new();
    ws.change(Change::RemoveUserSetup(user.clone()));
    store.apply(ws)?;
    Ok(u)
}

/// The salesperson of `user`, if the user has a user setup with one.
pub fn user_salesperson(store: &Store, user: &UserId) -> Result<Option<SalespersonCode>, OpError> {
    Ok(store.user_setup(user)?.and_then(|u| u.salesperson_code))
}

/// One contact.
pub fn get_contact(store: &Store, no: &ContactNo) -> Result<Contact, OpError> {
    found(store.contact(no)?, "contact", no)
}

/// Every contact, by number.
pub fn list_contacts(store: &Store) -> Result<Vec<Contact>, OpError> {
    Ok(store.all_contacts()?)
}

/// Visits every contact in number order, one at a time (memory stays flat for millions of
/// contacts), until `f` returns `false`.
pub fn for_each_contact(
    store: &Store,
    f: impl FnMut(Contact) -> Result<bool, OpError>,
) -> Result<(), OpError> {
    store.for_each_contact(f)
}

/// Visits, in number order, every contact that passes all of `filters` until `f` returns
/// `false`. Filters on `No.` narrow the scan to the contact blocks that can hold such numbers
/// (`No.=CT1*` or `No.=CT100..CT200` reads a few blocks of a store of millions).
pub fn for_each_contact_matching(
    store: &Store,
    filters: &[FieldFilter],
    mut f: impl FnMut(Contact) -> Result<bool, OpError>,
) -> Result<(), OpError> {
    for c in store.contacts_in(&contact_no_range(filters)) {
        let c = c?;
        if matches_all(filters, &c) && !f(c)? {
            break;
        }
    }
    Ok(())
}

/// One salesperson.
pub fn get_salesperson(store: &Store, code: &SalespersonCode) -> Result<Salesperson, OpError> {
    found(store.salesperson(code)?, "salesperson", code)
}

/// Every salesperson.
pub fn list_salespeople(store: &Store) -> Result<Vec<Salesperson>, OpError> {
    Ok(store.all_salespeople()?)
}

/// Every interaction group.
pub fn list_groups(store: &Store) -> Result<Vec<InteractionGroup>, OpError> {
    Ok(store.all_groups()?)
}

/// One interaction template.
pub fn get_template(store: &Store, code: &TemplateCode) -> Result<InteractionTemplate, OpError> {
    found(store.template(code)?, "interaction template", code)
}

/// Every interaction template.
pub fn list_templates(store: &Store) -> Result<Vec<InteractionTemplate>, OpError> {
    Ok(store.all_templates()?)
}

/// One campaign.
pub fn get_campaign(store: &Store, no: &CampaignNo) -> Result<Campaign, OpError> {
    found(store.campaign(no)?, "campaign", no)
}

/// Every campaign.
pub fn list_campaigns(store: &Store) -> Result<Vec<Campaign>, OpError> {
    Ok(store.all_campaigns()?)
}

/// Every campaign entry.
pub fn list_campaign_entries(store: &Store) -> Result<Vec<CampaignEntry>, OpError> {
    Ok(store.all_campaign_entries()?)
}

/// The contacts epoch (bumped whenever a stored contact changes or disappears).
pub fn contacts_epoch(store: &Store) -> Result<u64, OpError> {
    Ok(store.get_counter(Counter::ContactsEpoch)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_contacts_find_every_number_short_or_long_and_no_other() {
        let nos = [
            "A",
            "AB",
            "ABCDEFGHIJKLMNO",      // 15 bytes
            "ABCDEFGHIJKLMNOP",     // 16: the longest packed
            "ABCDEFGHIJKLMNOPQ",    // 17: kept as text
            "ÄÖÜÄÖÜÄÖ",             // 16 bytes, 8 characters
            "ÄÖÜÄÖÜÄÖÜ",            // 18 bytes
            "ABCDEFGHIJKLMNOPQRST", // 20
        ];
        let mut added = AddedContacts::default();
        for (i, no) in nos.iter().enumerate() {
            let kind = ContactKind::ALL[i % 2];
            added.insert(&ContactNo::new(no).unwrap(), kind);
        }
        assert_eq!(added.len(), nos.len());
        for (i, no) in nos.iter().enumerate() {
            let got = added.get(&ContactNo::new(no).unwrap()).copied();
            assert_eq!(got, Some(ContactKind::ALL[i % 2]), "{no}");
        }
        for missing in ["ABC", "ABCDEFGHIJKLMN", "ABCDEFGHIJKLMNOPQR", "ÄÖÜ", "A B"] {
            assert_eq!(
                added.get(&ContactNo::new(missing).unwrap()),
                None,
                "{missing}"
            );
        }
    }
}
