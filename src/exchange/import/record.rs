//! One record as read from a file (CSV row or JSON object), its cells placed on the kind's
//! columns, and turned into the operation's input with every problem named by line and column.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;

use chrono::NaiveDate;

use super::*;

/// A value as read from the file; empty texts and JSON nulls are never stored (not given).
pub(super) enum Raw<'v> {
    /// Borrowed from the reader's buffer where it can be (a CSV cell): read, not copied.
    Text(Cow<'v, str>),
    Number(serde_json::Number),
    Bool(bool),
    /// A JSON array or object, kept as its JSON text for the message.
    Nested(String),
}

#[derive(Default)]
pub(super) struct Cell<'v> {
    /// The column as written in the file, when the file has it (a CSV record borrows its
    /// header: a million records do not copy the header a million times).
    pub(super) written: Option<Cow<'v, str>>,
    /// The value, when given.
    pub(super) value: Option<Raw<'v>>,
}

/// One record of a file, its values placed by field.
pub(super) struct Record<'a> {
    pub(super) spec: &'static KindSpec,
    pub(super) file: &'a Path,
    pub(super) line: u64,
    pub(super) cells: Vec<Cell<'a>>,
}

impl Record<'_> {
    pub(super) fn new<'a>(spec: &'static KindSpec, file: &'a Path, line: u64) -> Record<'a> {
        Record {
            spec,
            file,
            line,
            cells: spec.columns.iter().map(|_| Cell::default()).collect(),
        }
    }

    pub(super) fn cell(&self, name: &str) -> &Cell<'_> {
        &self.cells[self.spec.index(name)]
    }

    /// The column of field `i` as the file wrote it, if the file has it.
    pub(super) fn written(&self, i: usize) -> Option<&str> {
        self.cells[i].written.as_deref()
    }

    pub(super) fn failed_at(&self, field: Option<usize>, cause: OpError) -> ImportError {
        failed_at(
            self.file,
            self.line,
            self.spec,
            &|i| self.written(i),
            field,
            cause,
        )
    }

    /// A value of field `name` is invalid.
    pub(super) fn invalid(&self, name: &str, e: DomainError) -> ImportError {
        self.failed_at(Some(self.spec.index(name)), OpError::Domain(e))
    }

    /// The value as text: texts as they are, numbers as written; yes/no and nested values are
    /// refused.
    pub(super) fn raw_text(&self, name: &'static str) -> Result<Option<Cow<'_, str>>, ImportError> {
        let bad = |value: String, reason: &str| {
            self.invalid(
                name,
                DomainError::Invalid {
                    field: name,
                    value,
                    reason: reason.into(),
                },
            )
        };
        match &self.cell(name).value {
            None => Ok(None),
            Some(Raw::Text(s)) => Ok(Some(Cow::Borrowed(s))),
            Some(Raw::Number(n)) => Ok(Some(Cow::Owned(n.to_string()))),
            Some(Raw::Bool(b)) => Err(bad(
                b.to_string(),
                "is a yes/no value where text is expected",
            )),
            Some(Raw::Nested(j)) => Err(bad(
                j.clone(),
                "expected text, a number or true/false, not a list or an object",
            )),
        }
    }

    pub(super) fn text(&self, name: &'static str) -> Result<String, ImportError> {
        Ok(self
            .raw_text(name)?
            .map(Cow::into_owned)
            .unwrap_or_default())
    }

    /// An optional value parsed into its type (codes, options).
    pub(super) fn parse<T: FromStr<Err = DomainError>>(
        &self,
        name: &'static str,
    ) -> Result<Option<T>, ImportError> {
        self.raw_text(name)?
            .map(|s| s.parse().map_err(|e| self.invalid(name, e)))
            .transpose()
    }

    /// A required code: not given is refused by the type's own check.
    pub(super) fn required<T: FromStr<Err = DomainError>>(
        &self,
        name: &'static str,
    ) -> Result<T, ImportError> {
        let s = self.raw_text(name)?.unwrap_or_default();
        s.parse().map_err(|e| self.invalid(name, e))
    }

    /// An option field; not given is BC's blank option.
    pub(super) fn option<T: FromStr<Err = DomainError> + Default>(
        &self,
        name: &'static str,
    ) -> Result<T, ImportError> {
        Ok(self.parse(name)?.unwrap_or_default())
    }

    pub(super) fn flag(&self, name: &'static str) -> Result<bool, ImportError> {
        match &self.cell(name).value {
            Some(Raw::Bool(b)) => Ok(*b),
            _ => match self.raw_text(name)? {
                Some(s) => parse_bool(name, &s).map_err(|e| self.invalid(name, e)),
                None => Ok(false),
            },
        }
    }

    pub(super) fn money(&self, name: &'static str) -> Result<Money, ImportError> {
        Ok(self.parse(name)?.unwrap_or(Money::ZERO))
    }

    pub(super) fn minutes(&self, name: &'static str) -> Result<u32, ImportError> {
        match self.raw_text(name)? {
            None => Ok(0),
            Some(s) => s.parse().map_err(|_| {
                self.invalid(
                    name,
                    DomainError::Invalid {
                        field: name,
                        value: s.to_string(),
                        reason: "is not a whole number of minutes (0 or more)".into(),
                    },
                )
            }),
        }
    }

    pub(super) fn date(&self, name: &'static str) -> Result<Option<NaiveDate>, ImportError> {
        self.raw_text(name)?
            .map(|s| parse_date(name, &s).map_err(|e| self.invalid(name, e)))
            .transpose()
    }

    /// The record's input: every value parsed and checked as far as the record alone tells.
    pub(super) fn input(&self) -> Result<Input, ImportError> {
        Ok(match self.spec.kind {
            ImportKind::Contacts => Input::Contact(ContactInput {
                no: self.parse("no")?.map(ContactNo::into_string),
                name: self.text("name")?,
                kind: self.option("kind")?,
                company_no: self.parse("company_no")?,
                email: self.text("email")?,
                salesperson_code: self.parse("salesperson_code")?,
                language_code: self.parse("language_code")?,
                correspondence_type: Some(self.option("correspondence_type")?),
                privacy_blocked: self.flag("privacy_blocked")?,
                exclude_from_segment: self.flag("exclude_from_segment")?,
                city: self.text("city")?,
                post_code: self.text("post_code")?,
                country_code: self.parse("country_code")?,
                phone: self.text("phone")?,
                // A file holds records as they are (an export from BC went through
                // OnInsert already): a blank cell stays blank.
                skip_defaults: true,
            }),
            ImportKind::Salespeople => Input::Salesperson(Salesperson {
                code: self.required("code")?,
                name: self.text("name")?,
                email: self.text("email")?,
                blocked: self.flag("blocked")?,
                privacy_blocked: self.flag("privacy_blocked")?,
            }),
            ImportKind::Groups => Input::Group(InteractionGroup {
                code: self.required("code")?,
                description: self.text("description")?,
            }),
            ImportKind::Templates => {
                let ctd = "correspondence_type_default";
                let correspondence_type_default = match self.parse(ctd)? {
                    Some(t) => t,
                    // An empty cell is BC's blank; no column at all is a new template's default.
                    None if self.cell(ctd).written.is_some() => CorrespondenceType::Blank,
                    None => CorrespondenceType::Email,
                };
                Input::Template(InteractionTemplate {
                    code: self.required("code")?,
                    group_code: self.required("group_code")?,
                    description: self.text("description")?,
                    unit_cost: self.money("unit_cost")?,
                    unit_duration_min: self.minutes("unit_duration_min")?,
                    information_flow: self.option("information_flow")?,
                    initiated_by: self.option("initiated_by")?,
                    correspondence_type_default,
                    ignore_contact_correspondence_type: self
                        .flag("ignore_contact_correspondence_type")?,
                    language_code_default: self.parse("language_code_default")?,
                    campaign_no: self.parse("campaign_no")?,
                })
            }
            ImportKind::Campaigns => Input::Campaign(CampaignInput {
                no: self.parse("no")?.map(CampaignNo::into_string),
                description: self.text("description")?,
                starting_date: self.date("starting_date")?,
                ending_date: self.date("ending_date")?,
                salesperson_code: self.parse("salesperson_code")?,
            }),
        })
    }
}

/// How a refusal names a field: its column as the file wrote it, if the file has it.
pub(super) type Written<'w> = &'w dyn Fn(usize) -> Option<&'w str>;

/// A record's input, ready for the batch.
pub(super) enum Input {
    Contact(ContactInput),
    Salesperson(Salesperson),
    Group(InteractionGroup),
    Template(InteractionTemplate),
    Campaign(CampaignInput),
}

impl Input {
    /// Adds the record to the batch, which checks it against the store and the file's
    /// records before it.
    pub(super) fn add_to(self, batch: &mut MasterBatch<'_>, ctx: &Ctx) -> Result<(), OpError> {
        match self {
            Input::Contact(c) => batch.add_contact(ctx, c).map(drop),
            Input::Salesperson(s) => batch.add_salesperson(s).map(drop),
            Input::Group(g) => batch.add_group(g).map(drop),
            Input::Template(t) => batch.add_template(t).map(drop),
            Input::Campaign(c) => batch.add_campaign(ctx, c).map(drop),
        }
    }
}

/// The error of a record at `line` refused for `cause`, naming field `field` by its column as
/// the file wrote it (`written`), else by interlog's name.
pub(super) fn failed_at(
    file: &Path,
    line: u64,
    spec: &KindSpec,
    written: Written<'_>,
    field: Option<usize>,
    cause: OpError,
) -> ImportError {
    let field = field.map(|i| written(i).unwrap_or(spec.columns[i].name).to_string());
    ImportError::Record {
        file: file.to_path_buf(),
        line,
        message: describe(&cause, field.is_some()),
        field,
        cause: Box::new(cause),
    }
}

/// The error of a record the batch refused (or of the store, which failed).
pub(super) fn refusal(
    file: &Path,
    line: u64,
    spec: &KindSpec,
    written: Written<'_>,
    cause: OpError,
) -> ImportError {
    if let OpError::Storage(_) = cause {
        return ImportError::Store {
            file: file.to_path_buf(),
            source: Box::new(cause),
        };
    }
    failed_at(file, line, spec, written, spec.field_of(&cause), cause)
}

/// Places the columns (CSV header) or keys (JSON record) of a file: each column's field, or
/// `None` for an ignored column. Unknown and repeated columns are refused.
pub(super) fn place_columns<'h>(
    file: &Path,
    line: u64,
    spec: &'static KindSpec,
    columns: impl IntoIterator<Item = &'h str>,
    ignored: &mut Vec<String>,
) -> Result<Vec<Option<usize>>, ImportError> {
    let mut placed = Vec::new();
    let mut unknown = Vec::new();
    let mut seen: HashMap<(bool, usize), &'h str> = HashMap::new();
    for written in columns {
        let (slot, key) = match spec.resolve(written) {
            Resolved::Field(i) => (Some(i), (true, i)),
            Resolved::Ignored(i) => {
                if !ignored.iter().any(|c| c == written) {
                    ignored.push(written.to_string());
                }
                (None, (false, i))
            }
            Resolved::Unknown => {
                unknown.push(written.to_string());
                continue;
            }
        };
        if let Some(first) = seen.insert(key, written) {
            return Err(ImportError::DuplicateColumn {
                file: file.to_path_buf(),
                line,
                first: first.to_string(),
                second: written.to_string(),
                field: match key {
                    (true, i) => spec.columns[i].name.to_string(),
                    (false, i) => spec.ignored[i].to_string(),
                },
            });
        }
        placed.push(slot);
    }
    if !unknown.is_empty() {
        return Err(ImportError::UnknownColumns {
            file: file.to_path_buf(),
            line,
            columns: unknown,
            accepted: spec.accepted(),
        });
    }
    Ok(placed)
}
