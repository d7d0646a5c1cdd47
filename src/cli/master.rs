//! `init`, `setup`, `series`, `contact`, `salesperson`, `group`, `template`, `campaign`,
//! `import`.

use std::path::PathBuf;
use std::str::FromStr;

use chrono::NaiveDate;
use clap::{Args, Subcommand};

use super::output::{opt, yes};
use super::{parse_date, Env};
use interlog::domain::*;
use interlog::exchange::export::Format;
use interlog::exchange::import::{
    import_file_with, is_stdin, ImportKind, ImportMode, ImportOptions,
};
use interlog::ops::master::{
    self, CampaignInput, ContactInput, SeriesChange, SeriesChanged, SetupChange,
};

/// Parses any validated value (codes, money, options) for clap.
pub fn val<T: FromStr<Err = DomainError>>(s: &str) -> Result<T, String> {
    s.parse::<T>().map_err(|e| e.to_string())
}

/// A setting given on the command line: a value, or `none` to clear the setting.
///
/// clap's derive gives `Option<Option<T>>` a meaning of its own ("an option whose value may
/// be left out") and then fails at run time when the parser returns `Option<T>`, so a
/// clearable setting is `Option<Clearable<T>>`: absent = leave alone, `none` = clear.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Clearable<T> {
    /// `none` (or an empty value): clear the setting.
    Clear,
    /// A new value.
    Set(T),
}

impl<T> Clearable<T> {
    /// The new value of the setting: `None` clears it.
    pub fn into_option(self) -> Option<T> {
        match self {
            Clearable::Clear => None,
            Clearable::Set(v) => Some(v),
        }
    }
}

/// Parses a code or `none` (any case) for a clearable setting.
pub fn code_or_none<T: FromStr<Err = DomainError>>(s: &str) -> Result<Clearable<T>, String> {
    if s.trim().eq_ignore_ascii_case("none") || s.trim().is_empty() {
        Ok(Clearable::Clear)
    } else {
        val(s).map(Clearable::Set)
    }
}

#[derive(Subcommand, Debug)]
pub enum SetupCmd {
    /// Show marketing setup.
    Show,
    /// Change marketing setup (`none` clears a series, the salesperson or the language).
    #[command(
        after_help = "Example: interlog setup set --segment-nos SEGM --default-salesperson JO --default-language none"
    )]
    Set {
        /// Series for contact numbers (`none` clears it).
        #[arg(long, value_name = "CODE|none", value_parser = code_or_none::<SeriesCode>)]
        contact_nos: Option<Clearable<SeriesCode>>,
        /// Series for segment numbers, also follow-up segments (`none` clears it).
        #[arg(long, value_name = "CODE|none", value_parser = code_or_none::<SeriesCode>)]
        segment_nos: Option<Clearable<SeriesCode>>,
        /// Series for campaign numbers (`none` clears it).
        #[arg(long, value_name = "CODE|none", value_parser = code_or_none::<SeriesCode>)]
        campaign_nos: Option<Clearable<SeriesCode>>,
        /// Salesperson of new contacts, and of interactions when nothing else gives one
        /// (`none` clears it).
        #[arg(long, value_name = "CODE|none", value_parser = code_or_none::<SalespersonCode>)]
        default_salesperson: Option<Clearable<SalespersonCode>>,
        /// Correspondence type new contacts take when none is given.
        #[arg(long)]
        default_correspondence_type: Option<CorrespondenceType>,
        /// Language of new contacts (`none` clears it).
        #[arg(long, value_name = "CODE|none", value_parser = code_or_none::<LanguageCode>)]
        default_language: Option<Clearable<LanguageCode>>,
    },
}

#[derive(Subcommand, Debug)]
pub enum SeriesCmd {
    /// Add a number series with its first line.
    Add {
        /// Series code.
        #[arg(value_parser = val::<SeriesCode>)]
        code: SeriesCode,
        /// Description.
        #[arg(long, default_value = "")]
        description: String,
        #[command(flatten)]
        line: LineArgs,
        /// Accept typed numbers.
        #[arg(long)]
        manual_nos: bool,
        /// Do not give numbers automatically.
        #[arg(long)]
        no_default_nos: bool,
    },
    /// Add a line to a number series.
    AddLine {
        /// Series code.
        #[arg(value_parser = val::<SeriesCode>)]
        code: SeriesCode,
        #[command(flatten)]
        line: LineArgs,
        /// Last number already used on this line.
        #[arg(long)]
        last_no_used: Option<String>,
    },
    /// Change a number series' description, Default Nos. or Manual Nos. Turning one of the two
    /// off while the other is off turns the other on (as BC does), and says so.
    #[command(
        after_help = "Example: interlog series set SEGM --default-nos false   (manual nos. turns on)"
    )]
    Set {
        /// Series code.
        #[arg(value_parser = val::<SeriesCode>)]
        code: SeriesCode,
        /// Description.
        #[arg(long)]
        description: Option<String>,
        /// Give numbers automatically (BC's Default Nos.).
        #[arg(long, value_name = "true|false", value_parser = flag)]
        default_nos: Option<bool>,
        /// Accept typed numbers (BC's Manual Nos.).
        #[arg(long, value_name = "true|false", value_parser = flag)]
        manual_nos: Option<bool>,
    },
    /// List number series.
    List,
    /// Show the next number without using it.
    Peek {
        /// Series code.
        #[arg(value_parser = val::<SeriesCode>)]
        code: SeriesCode,
    },
    /// Draw the next number.
    Next {
        /// Series code.
        #[arg(value_parser = val::<SeriesCode>)]
        code: SeriesCode,
    },
}

/// Parses a yes/no value (`true`/`false`, `yes`/`no`, `1`/`0`).
pub fn flag(s: &str) -> Result<bool, String> {
    if s.trim().is_empty() {
        return Err("expected true or false".into());
    }
    parse_bool("value", s).map_err(|e| e.to_string())
}

#[derive(Args, Debug)]
pub struct LineArgs {
    /// First number (must contain a digit).
    #[arg(long)]
    starting_no: String,
    /// Last number allowed.
    #[arg(long)]
    ending_no: Option<String>,
    /// Numbers from this one on give a warning.
    #[arg(long)]
    warning_no: Option<String>,
    /// Step between numbers.
    #[arg(long, default_value_t = 1)]
    increment_by: u32,
    /// First usage date the line applies to.
    #[arg(long, value_parser = parse_date)]
    starting_date: Option<NaiveDate>,
}

impl LineArgs {
    fn line(self) -> SeriesLine {
        let mut l = SeriesLine::new(&self.starting_no);
        l.ending_no = self.ending_no;
        l.warning_no = self.warning_no;
        l.increment_by = self.increment_by;
        l.starting_date = self.starting_date;
        l
    }
}

#[derive(Subcommand, Debug)]
pub enum ContactCmd {
    /// Add a contact (the number comes from the contact series when not given). What is left
    /// out comes from the defaults BC's Contact OnInsert applies: salesperson from the user's
    /// setup, else marketing setup's default; language and correspondence type from marketing
    /// setup.
    #[command(
        after_help = "Example: interlog contact add --name \"Fabrikam\" --kind company --email info@fabrikam.example"
    )]
    Add(Box<ContactArgs>),
    /// List contacts, streaming (in number order), optionally filtered with BC's filter
    /// syntax (see `interlog help filters`).
    #[command(
        after_help = "Example:\n  interlog contact list --filter 'City=Manchester|London' --filter 'Type=Person' --limit 20"
    )]
    List {
        /// FIELD=EXPR filters (all must match), e.g. 'City=London|Paris', 'Name=@*furn*'.
        #[arg(long = "filter", value_parser = super::segment::filter)]
        filters: Vec<interlog::domain::filter::FieldFilter>,
        /// List at most N contacts.
        #[arg(long, value_name = "N")]
        limit: Option<u64>,
    },
    /// Show one contact.
    Show {
        /// Contact number.
        #[arg(value_parser = val::<ContactNo>)]
        no: ContactNo,
    },
}

#[derive(Args, Debug)]
pub struct ContactArgs {
    /// Contact number.
    #[arg(long)]
    no: Option<String>,
    /// Name.
    #[arg(long)]
    name: String,
    /// Company or person.
    #[arg(long, default_value = "company")]
    kind: ContactKind,
    /// A person's company.
    #[arg(long, value_parser = val::<ContactNo>)]
    company_no: Option<ContactNo>,
    /// E-mail address.
    #[arg(long, default_value = "")]
    email: String,
    /// Salesperson (default: the user's, else marketing setup's default salesperson).
    #[arg(long, value_parser = val::<SalespersonCode>)]
    salesperson: Option<SalespersonCode>,
    /// Correspondence type (default: marketing setup's default correspondence type; `none`
    /// for none).
    #[arg(long)]
    correspondence_type: Option<CorrespondenceType>,
    /// Blocked for privacy.
    #[arg(long)]
    privacy_blocked: bool,
    /// Skip when building segments by criteria.
    #[arg(long)]
    exclude_from_segment: bool,
    /// City.
    #[arg(long, default_value = "")]
    city: String,
    /// Post code.
    #[arg(long, default_value = "")]
    post_code: String,
    /// Country/region code.
    #[arg(long, value_parser = val::<CountryCode>)]
    country: Option<CountryCode>,
    /// Phone number.
    #[arg(long, default_value = "")]
    phone: String,
    /// Language code (default: marketing setup's default language).
    #[arg(long, value_parser = val::<LanguageCode>)]
    language: Option<LanguageCode>,
}

/// `interlog user-setup …`: BC's User Setup, the salesperson each user works as.
#[derive(Subcommand, Debug)]
pub enum UserSetupCmd {
    /// Set the salesperson a user works as (`none` clears it). New contacts, segments and
    /// interactions the user makes without a salesperson take it.
    #[command(after_help = "Example: interlog user-setup set alice --salesperson JO")]
    Set {
        /// User id (as given with --user; case does not matter).
        #[arg(value_name = "USER", value_parser = val::<UserId>)]
        user_id: UserId,
        /// Salesperson (BC's Salespers./Purch. Code), or `none`.
        #[arg(long, value_name = "CODE|none", value_parser = code_or_none::<SalespersonCode>)]
        salesperson: Clearable<SalespersonCode>,
    },
    /// Show a user's setup (default: the current user, --user).
    #[command(after_help = "Example: interlog --user alice user-setup show")]
    Show {
        /// User id (default: --user).
        #[arg(value_name = "USER", value_parser = val::<UserId>)]
        user_id: Option<UserId>,
    },
    /// List every user setup.
    #[command(after_help = "Example: interlog user-setup list --json")]
    List,
    /// Delete a user's setup.
    #[command(after_help = "Example: interlog user-setup delete alice")]
    Delete {
        /// User id.
        #[arg(value_name = "USER", value_parser = val::<UserId>)]
        user_id: UserId,
    },
}

#[derive(Subcommand, Debug)]
pub enum SalespersonCmd {
    /// Add a salesperson.
    Add {
        /// Code.
        #[arg(long, value_parser = val::<SalespersonCode>)]
        code: SalespersonCode,
        /// Name.
        #[arg(long)]
        name: String,
        /// E-mail address.
        #[arg(long, default_value = "")]
        email: String,
        /// Blocked.
        #[arg(long)]
        blocked: bool,
    },
    /// List salespeople.
    List,
}

#[derive(Subcommand, Debug)]
pub enum GroupCmd {
    /// Add an interaction group.
    Add {
        /// Code.
        #[arg(long, value_parser = val::<GroupCode>)]
        code: GroupCode,
        /// Description.
        #[arg(long)]
        description: String,
    },
    /// List interaction groups.
    List,
}

#[derive(Subcommand, Debug)]
pub enum TemplateCmd {
    /// Add an interaction template.
    Add(TemplateArgs),
    /// List interaction templates.
    List,
}

#[derive(Args, Debug)]
pub struct TemplateArgs {
    /// Code.
    #[arg(long, value_parser = val::<TemplateCode>)]
    code: TemplateCode,
    /// Interaction group.
    #[arg(long, value_parser = val::<GroupCode>)]
    group: GroupCode,
    /// Description.
    #[arg(long)]
    description: String,
    /// Cost of one interaction, e.g. 12.50 (0 to 999999999999999.99, at most two decimals).
    #[arg(long, value_parser = val::<Money>, default_value = "0")]
    unit_cost: Money,
    /// Duration of one interaction in minutes.
    #[arg(long, default_value_t = 0)]
    unit_duration: u32,
    /// Information flow.
    #[arg(long, default_value = "none")]
    flow: InformationFlow,
    /// Initiated by.
    #[arg(long, default_value = "none")]
    initiated_by: InitiatedBy,
    /// Default correspondence type.
    #[arg(long, default_value = "email")]
    correspondence_type: CorrespondenceType,
    /// Use the template's type even when the contact has one.
    #[arg(long)]
    ignore_contact_correspondence_type: bool,
    /// Campaign of interactions made with this template.
    #[arg(long, value_parser = val::<CampaignNo>)]
    campaign: Option<CampaignNo>,
    /// Default language.
    #[arg(long, value_parser = val::<LanguageCode>)]
    language: Option<LanguageCode>,
}

#[derive(Subcommand, Debug)]
pub enum CampaignCmd {
    /// Add a campaign (the number comes from the campaign series when not given).
    Add {
        /// Number.
        #[arg(long)]
        no: Option<String>,
        /// Description.
        #[arg(long)]
        description: String,
        /// Salesperson.
        #[arg(long, value_parser = val::<SalespersonCode>)]
        salesperson: Option<SalespersonCode>,
        /// First day.
        #[arg(long, value_parser = parse_date)]
        starting_date: Option<NaiveDate>,
        /// Last day.
        #[arg(long, value_parser = parse_date)]
        ending_date: Option<NaiveDate>,
    },
    /// List campaigns.
    List,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// CSV, TSV, JSON or JSON Lines files; `-` (or /dev/stdin) reads standard input.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// What the files hold (default: from the file name; required for standard input).
    #[arg(long)]
    kind: Option<ImportKind>,
    /// Format of the files (default: from the extension; CSV for standard input).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Cell separator of CSV files, one ASCII character, e.g. ';'.
    #[arg(long, value_name = "CHAR", value_parser = super::export::parse_delimiter)]
    delimiter: Option<u8>,
    /// Take CSV/TSV cells as written: keep the leading `'` that `export` puts before a cell a
    /// spreadsheet would read as a formula (by default exactly that quote is removed).
    #[arg(long)]
    raw: bool,
    /// A record whose number or code is stored already: insert refuses the file, upsert
    /// replaces the stored record (a contact keeps its type), skip-existing keeps it.
    #[arg(long, value_enum, default_value = "insert")]
    mode: ImportMode,
    /// Check every record and report, but write nothing.
    #[arg(long)]
    dry_run: bool,
}

pub fn init(env: &Env) -> anyhow::Result<()> {
    let store = master::init(&env.store_path)?;
    let setup = interlog::ops::setup(&store)?;
    if env.out.json {
        env.out
            .json(&serde_json::json!({"store": env.store_path, "setup": setup}))
    } else {
        env.out.line(format!(
            "created store {} with number series CONT, SEGM, CAMP wired into marketing setup",
            env.store_path.display()
        ))
    }
}

fn show_setup(env: &Env, s: &MarketingSetup) -> anyhow::Result<()> {
    if env.out.json {
        return env.out.json(s);
    }
    env.out.fields(&[
        ("contact nos.", opt(&s.contact_nos)),
        ("segment nos.", opt(&s.segment_nos)),
        ("campaign nos.", opt(&s.campaign_nos)),
        ("default salesperson", opt(&s.default_salesperson)),
        (
            "default correspondence type",
            s.default_correspondence_type.to_string(),
        ),
        ("default language", opt(&s.default_language)),
    ])
}

pub fn setup(env: &Env, c: SetupCmd) -> anyhow::Result<()> {
    let store = env.open()?;
    match c {
        SetupCmd::Show => show_setup(env, &interlog::ops::setup(&store)?),
        SetupCmd::Set {
            contact_nos,
            segment_nos,
            campaign_nos,
            default_salesperson,
            default_correspondence_type,
            default_language,
        } => {
            let s = master::set_setup(
                &store,
                SetupChange {
                    contact_nos: contact_nos.map(Clearable::into_option),
                    segment_nos: segment_nos.map(Clearable::into_option),
                    campaign_nos: campaign_nos.map(Clearable::into_option),
                    default_salesperson: default_salesperson.map(Clearable::into_option),
                    default_correspondence_type,
                    default_language: default_language.map(Clearable::into_option),
                },
            )?;
            show_setup(env, &s)
        }
    }
}

fn series_rows(list: &[NoSeries]) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for s in list {
        for l in &s.lines {
            rows.push(vec![
                s.code.to_string(),
                s.description.clone(),
                opt(&l.starting_date),
                l.starting_no.clone(),
                opt(&l.ending_no),
                opt(&l.warning_no),
                l.increment_by.to_string(),
                opt(&l.last_no_used),
                yes(s.default_nos),
                yes(s.manual_nos),
                yes(l.open),
            ]);
        }
    }
    rows
}

const SERIES_HEAD: [&str; 11] = [
    "CODE",
    "DESCRIPTION",
    "STARTING DATE",
    "STARTING NO.",
    "ENDING NO.",
    "WARNING NO.",
    "INCR.",
    "LAST NO. USED",
    "DEFAULT",
    "MANUAL",
    "OPEN",
];

pub fn series(env: &Env, c: SeriesCmd) -> anyhow::Result<()> {
    let store = env.open()?;
    let show = |s: &NoSeries| -> anyhow::Result<()> {
        if env.out.json {
            env.out.json(s)
        } else {
            env.out
                .table(&SERIES_HEAD, &series_rows(std::slice::from_ref(s)))
        }
    };
    match c {
        SeriesCmd::Add {
            code,
            description,
            line,
            manual_nos,
            no_default_nos,
        } => {
            let mut s = NoSeries {
                code,
                description,
                default_nos: true,
                manual_nos,
                lines: vec![line.line()],
            };
            // As on BC's card: Default Nos. off with Manual Nos. off turns Manual Nos. on.
            let notes: Vec<String> = no_default_nos
                .then(|| s.set_default_nos(false))
                .flatten()
                .into_iter()
                .collect();
            let series = master::add_series(&store, s)?;
            show_changed(env, &SeriesChanged { series, notes })
        }
        SeriesCmd::Set {
            code,
            description,
            default_nos,
            manual_nos,
        } => {
            let c = master::set_series(
                &store,
                &code,
                &SeriesChange {
                    description,
                    default_nos,
                    manual_nos,
                },
            )?;
            show_changed(env, &c)
        }
        SeriesCmd::AddLine {
            code,
            line,
            last_no_used,
        } => {
            let mut l = line.line();
            l.last_no_used = last_no_used;
            let s = master::add_series_line(&store, &code, l)?;
            show(&s)
        }
        SeriesCmd::List => {
            let list = master::list_series(&store)?;
            if env.out.json {
                env.out.json(&list)
            } else {
                env.out.table(&SERIES_HEAD, &series_rows(&list))
            }
        }
        SeriesCmd::Peek { code } => {
            let d = master::peek_series(&store, &env.ctx, &code)?;
            draw_out(env, &code, &d)
        }
        SeriesCmd::Next { code } => {
            let d = master::next_series(&store, &env.ctx, &code)?;
            draw_out(env, &code, &d)
        }
    }
}

/// A series after add or set: the series (JSON: with `notes`), notes on stderr.
fn show_changed(env: &Env, c: &SeriesChanged) -> anyhow::Result<()> {
    for n in &c.notes {
        eprintln!("note: {n}");
    }
    if env.out.json {
        env.out.json(c)
    } else {
        env.out
            .table(&SERIES_HEAD, &series_rows(std::slice::from_ref(&c.series)))
    }
}

fn draw_out(env: &Env, code: &SeriesCode, d: &Draw) -> anyhow::Result<()> {
    env.out.warn(&d.warning);
    if env.out.json {
        env.out
            .json(&serde_json::json!({"series": code, "no": d.no, "warning": d.warning}))
    } else {
        env.out.line(&d.no)
    }
}

fn contact_row(c: &Contact) -> Vec<String> {
    vec![
        c.no.to_string(),
        c.name.clone(),
        c.kind.to_string(),
        opt(&c.company_no),
        opt(&c.salesperson_code),
        c.city.clone(),
        opt(&c.country_code),
        c.email.clone(),
        c.correspondence_type.to_string(),
        if c.privacy_blocked {
            "privacy blocked".into()
        } else if c.exclude_from_segment {
            "excluded".into()
        } else {
            String::new()
        },
    ]
}

const CONTACT_HEAD: [&str; 10] = [
    "NO.",
    "NAME",
    "TYPE",
    "COMPANY NO.",
    "SALESPERSON",
    "CITY",
    "COUNTRY",
    "E-MAIL",
    "CORRESPONDENCE",
    "FLAGS",
];

pub fn contact(env: &Env, c: ContactCmd) -> anyhow::Result<()> {
    let store = env.open()?;
    match c {
        ContactCmd::Add(a) => {
            let added = master::add_contact(
                &store,
                &env.ctx,
                ContactInput {
                    no: a.no,
                    name: a.name,
                    kind: a.kind,
                    company_no: a.company_no,
                    email: a.email,
                    salesperson_code: a.salesperson,
                    language_code: a.language,
                    correspondence_type: a.correspondence_type,
                    privacy_blocked: a.privacy_blocked,
                    exclude_from_segment: a.exclude_from_segment,
                    city: a.city,
                    post_code: a.post_code,
                    country_code: a.country,
                    phone: a.phone,
                    skip_defaults: false,
                },
            )?;
            env.out.warn(&added.warning);
            if env.out.json {
                env.out.json(&added.record)
            } else {
                env.out.line(format!(
                    "added contact {} {}",
                    added.record.no, added.record.name
                ))
            }
        }
        ContactCmd::List { filters, limit } => {
            let mut out = env.out.listing(&CONTACT_HEAD, contact_row);
            let mut left = limit.unwrap_or(u64::MAX);
            if left > 0 {
                master::for_each_contact_matching(&store, &filters, |c| {
                    left -= 1;
                    Ok(out.visit(&c) && left > 0)
                })?;
            }
            out.finish()
        }
        ContactCmd::Show { no } => {
            let c = master::get_contact(&store, &no)?;
            if env.out.json {
                env.out.json(&c)
            } else {
                env.out.fields(&[
                    ("no.", c.no.to_string()),
                    ("name", c.name.clone()),
                    ("type", c.kind.to_string()),
                    ("company no.", opt(&c.company_no)),
                    ("salesperson", opt(&c.salesperson_code)),
                    ("language", opt(&c.language_code)),
                    ("e-mail", c.email.clone()),
                    ("correspondence type", c.correspondence_type.to_string()),
                    ("exclude from segment", yes(c.exclude_from_segment)),
                    ("privacy blocked", yes(c.privacy_blocked)),
                    ("city", c.city.clone()),
                    ("post code", c.post_code.clone()),
                    ("country/region", opt(&c.country_code)),
                    ("phone", c.phone.clone()),
                    (
                        "interactions",
                        store.contact_entry_nos(&c.no)?.len().to_string(),
                    ),
                ])
            }
        }
    }
}

pub fn salesperson(env: &Env, c: SalespersonCmd) -> anyhow::Result<()> {
    let store = env.open()?;
    match c {
        SalespersonCmd::Add {
            code,
            name,
            email,
            blocked,
        } => {
            let s = master::add_salesperson(
                &store,
                Salesperson {
                    code,
                    name,
                    email,
                    blocked,
                    privacy_blocked: false,
                },
            )?;
            if env.out.json {
                env.out.json(&s)
            } else {
                env.out
                    .line(format!("added salesperson {} {}", s.code, s.name))
            }
        }
        SalespersonCmd::List => {
            let list = master::list_salespeople(&store)?;
            if env.out.json {
                return env.out.json(&list);
            }
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|s| {
                    vec![
                        s.code.to_string(),
                        s.name.clone(),
                        s.email.clone(),
                        yes(s.blocked),
                    ]
                })
                .collect();
            env.out.table(&["CODE", "NAME", "E-MAIL", "BLOCKED"], &rows)
        }
    }
}

pub fn group(env: &Env, c: GroupCmd) -> anyhow::Result<()> {
    let store = env.open()?;
    match c {
        GroupCmd::Add { code, description } => {
            let g = master::add_group(&store, InteractionGroup { code, description })?;
            if env.out.json {
                env.out.json(&g)
            } else {
                env.out.line(format!("added interaction group {}", g.code))
            }
        }
        GroupCmd::List => {
            let list = master::list_groups(&store)?;
            if env.out.json {
                return env.out.json(&list);
            }
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|g| vec![g.code.to_string(), g.description.clone()])
                .collect();
            env.out.table(&["CODE", "DESCRIPTION"], &rows)
        }
    }
}

pub fn template(env: &Env, c: TemplateCmd) -> anyhow::Result<()> {
    let store = env.open()?;
    match c {
        TemplateCmd::Add(a) => {
            let t = master::add_template(
                &store,
                InteractionTemplate {
                    code: a.code,
                    group_code: a.group,
                    description: a.description,
                    unit_cost: a.unit_cost,
                    unit_duration_min: a.unit_duration,
                    information_flow: a.flow,
                    initiated_by: a.initiated_by,
                    correspondence_type_default: a.correspondence_type,
                    ignore_contact_correspondence_type: a.ignore_contact_correspondence_type,
                    language_code_default: a.language,
                    campaign_no: a.campaign,
                },
            )?;
            if env.out.json {
                env.out.json(&t)
            } else {
                env.out
                    .line(format!("added interaction template {}", t.code))
            }
        }
        TemplateCmd::List => {
            let list = master::list_templates(&store)?;
            if env.out.json {
                return env.out.json(&list);
            }
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|t| {
                    vec![
                        t.code.to_string(),
                        t.group_code.to_string(),
                        t.description.clone(),
                        t.unit_cost.to_string(),
                        t.unit_duration_min.to_string(),
                        t.information_flow.to_string(),
                        t.initiated_by.to_string(),
                        t.correspondence_type_default.to_string(),
                        yes(t.ignore_contact_correspondence_type),
                        opt(&t.campaign_no),
                    ]
                })
                .collect();
            env.out.table(
                &[
                    "CODE",
                    "GROUP",
                    "DESCRIPTION",
                    "UNIT COST",
                    "MIN.",
                    "FLOW",
                    "INITIATED BY",
                    "CORRESPONDENCE",
                    "IGNORE CONTACT",
                    "CAMPAIGN",
                ],
                &rows,
            )
        }
    }
}

pub fn campaign(env: &Env, c: CampaignCmd) -> anyhow::Result<()> {
    let store = env.open()?;
    match c {
        CampaignCmd::Add {
            no,
            description,
            salesperson,
            starting_date,
            ending_date,
        } => {
            let added = master::add_campaign(
                &store,
                &env.ctx,
                CampaignInput {
                    no,
                    description,
                    starting_date,
                    ending_date,
                    salesperson_code: salesperson,
                },
            )?;
            env.out.warn(&added.warning);
            if env.out.json {
                env.out.json(&added.record)
            } else {
                env.out.line(format!("added campaign {}", added.record.no))
            }
        }
        CampaignCmd::List => {
            let list = master::list_campaigns(&store)?;
            if env.out.json {
                return env.out.json(&list);
            }
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|c| {
                    vec![
                        c.no.to_string(),
                        c.description.clone(),
                        opt(&c.starting_date),
                        opt(&c.ending_date),
                        opt(&c.salesperson_code),
                    ]
                })
                .collect();
            env.out.table(
                &[
                    "NO.",
                    "DESCRIPTION",
                    "STARTING DATE",
                    "ENDING DATE",
                    "SALESPERSON",
                ],
                &rows,
            )
        }
    }
}

pub fn import(env: &Env, a: ImportArgs) -> anyhow::Result<()> {
    if a.files.iter().filter(|f| is_stdin(f)).count() > 1 {
        anyhow::bail!("standard input (- or /dev/stdin) can be imported only once per command");
    }
    let opts = ImportOptions {
        kind: a.kind,
        format: a.format,
        delimiter: a.delimiter,
        raw: a.raw,
        mode: a.mode,
        dry_run: a.dry_run,
    };
    let store = env.open()?;
    let mut reports = Vec::new();
    for f in &a.files {
        let r = import_file_with(&store, &env.ctx, f, opts)?;
        if !r.ignored_columns.is_empty() {
            eprintln!(
                "warning: {}: Business Central column(s) interlog does not store were not imported: {}",
                super::output::printable(&f.display().to_string()),
                super::output::printable(&r.ignored_columns.join(", "))
            );
        }
        if !env.out.json {
            let skipped = if r.skipped > 0 {
                format!(" ({} already stored, skipped)", r.skipped)
            } else {
                String::new()
            };
            env.out.line(format!(
                "{} {} {} from {}{skipped}",
                if r.dry_run {
                    "checked, would import"
                } else {
                    "imported"
                },
                r.records,
                r.kind.as_str(),
                f.display()
            ))?;
        }
        reports.push(r);
    }
    if env.out.json {
        env.out.json(&reports)?;
    }
    Ok(())
}

const USER_SETUP_HEAD: [&str; 2] = ["USER ID", "SALESPERSON"];

fn user_setup_rows(list: &[UserSetup]) -> Vec<Vec<String>> {
    list.iter()
        .map(|u| vec![u.user_id.to_string(), opt(&u.salesperson_code)])
        .collect()
}

pub fn user_setup(env: &Env, c: UserSetupCmd) -> anyhow::Result<()> {
    let store = env.open()?;
    let show = |u: &UserSetup| -> anyhow::Result<()> {
        if env.out.json {
            env.out.json(u)
        } else {
            env.out
                .table(&USER_SETUP_HEAD, &user_setup_rows(std::slice::from_ref(u)))
        }
    };
    match c {
        UserSetupCmd::Set {
            user_id,
            salesperson,
        } => {
            let u = master::set_user_setup(&store, &user_id, salesperson.into_option())?;
            show(&u)
        }
        UserSetupCmd::Show { user_id } => {
            let user = match user_id {
                Some(u) => u,
                None => env.ctx.user.clone(),
            };
            show(&master::get_user_setup(&store, &user)?)
        }
        UserSetupCmd::List => {
            let list = master::list_user_setups(&store)?;
            if env.out.json {
                env.out.json(&list)
            } else {
                env.out.table(&USER_SETUP_HEAD, &user_setup_rows(&list))
            }
        }
        UserSetupCmd::Delete { user_id } => {
            let u = master::delete_user_setup(&store, &user_id)?;
            if env.out.json {
                env.out.json(&serde_json::json!({ "deleted": u }))
            } else {
                env.out
                    .line(format!("deleted the user setup of {}", u.user_id))
            }
        }
    }
}
