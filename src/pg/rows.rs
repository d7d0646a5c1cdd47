//! Records of a company as rows of the shard's tables, both ways: each kind's `put_*` writes
//! one record (every statement parameterised), each `read_*` reads the company's records back
//! as domain values, in the embedded store's order (codes in byte order, `COLLATE "C"`).
//!
//! Contacts go in batches ([`put_contacts`], COPY BINARY); entries and segment lines use COPY
//! BINARY too ([`super::copy`]). What the embedded store keeps
//! only for its layout is not stored: a segment's line generations (`lines_gen`, a criteria
//! action's `deleted_gen`: a line a reduce / refine removed is a row with `removed_by_action`),
//! `contacts_epoch` and a logged segment's `index_run`. Records read back carry them as
//! [`layout_free`] sets them.

use chrono::NaiveDate;
use postgres::{GenericClient, Row};

use super::value::{bad, code, get, opt_code, unsigned};
use super::PgError;
use crate::batch::job::JobRecord;
use crate::domain::*;
use crate::ops::requests::RequestRecord;

fn number(row: &Row, table: &'static str, column: &'static str) -> Result<u64, PgError> {
    unsigned(table, column, get(row, table, column)?)
}

fn opt_number(
    row: &Row,
    table: &'static str,
    column: &'static str,
) -> Result<Option<u64>, PgError> {
    let v: Option<i64> = get(row, table, column)?;
    v.map(|v| unsigned(table, column, v)).transpose()
}

fn small(row: &Row, table: &'static str, column: &'static str) -> Result<u32, PgError> {
    let v: i32 = get(row, table, column)?;
    u32::try_from(v).map_err(|e| bad(table, column, &v.to_string(), e))
}

/// A u64 for a `bigint` column (numbers above `i64::MAX` cannot be stored and are refused).
pub(crate) fn big(table: &'static str, column: &'static str, v: u64) -> Result<i64, PgError> {
    i64::try_from(v).map_err(|e| bad(table, column, &v.to_string(), e))
}

/// A u32 for an `integer` column.
pub(crate) fn int(table: &'static str, column: &'static str, v: u32) -> Result<i32, PgError> {
    i32::try_from(v).map_err(|e| bad(table, column, &v.to_string(), e))
}

/// The domain's code types, as text.
trait Code {
    fn text(&self) -> &str;
}

macro_rules! codes {
    ($($t:ty),*) => {
        $(impl Code for $t {
            fn text(&self) -> &str {
                self.as_str()
            }
        })*
    };
}

codes!(
    ContactNo,
    SegmentNo,
    SeriesCode,
    TemplateCode,
    GroupCode,
    SalespersonCode,
    CampaignNo,
    LanguageCode,
    CountryCode
);

fn s<T: Code>(v: &Option<T>) -> Option<&str> {
    v.as_ref().map(|c| c.text())
}

/// A segment header without what only the embedded store's layout needs: `lines_gen` and
/// `contacts_epoch` 0, and a criteria action's `deleted_gen` `Some(0)` when it is a reduce /
/// refine (those always keep the lines they removed), else `None`. Both backends' records
/// compare equal in this form.
pub fn layout_free(mut h: SegmentHeader) -> SegmentHeader {
    h.lines_gen = 0;
    h.contacts_epoch = 0;
    for a in &mut h.criteria {
        a.deleted_gen = removes_lines(a.kind).then_some(0);
    }
    h
}

/// Whether a criteria action of this kind removes lines (and keeps them for `go back`).
pub fn removes_lines(kind: CriteriaKind) -> bool {
    matches!(kind, CriteriaKind::Reduce | CriteriaKind::Refine)
}

fn wrap(what: &'static str) -> impl FnOnce(postgres::Error) -> PgError {
    PgError::sql(what)
}

// ---------------------------------------------------------------- writing

/// Writes the marketing setup.
pub fn put_setup<C: GenericClient>(
    c: &mut C,
    company: i32,
    r: &MarketingSetup,
) -> Result<(), PgError> {
    c.execute(
        "INSERT INTO marketing_setup (company_id, contact_nos, segment_nos, campaign_nos,
             default_salesperson, default_correspondence_type, default_language)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            &company,
            &s(&r.contact_nos),
            &s(&r.segment_nos),
            &s(&r.campaign_nos),
            &s(&r.default_salesperson),
            &r.default_correspondence_type.as_str(),
            &s(&r.default_language),
        ],
    )
    .map_err(wrap("writing marketing_setup"))?;
    Ok(())
}

/// Line numbers of a series' lines step by this much (BC's page does the same); the order of
/// the lines is their order in the series.
const SERIES_LINE_STEP: i32 = 10_000;

/// Writes a number series with its lines.
pub fn put_series<C: GenericClient>(c: &mut C, company: i32, r: &NoSeries) -> Result<(), PgError> {
    c.execute(
        "INSERT INTO no_series (company_id, code, description, default_nos, manual_nos)
         VALUES ($1, $2, $3, $4, $5)",
        &[
            &company,
            &r.code.as_str(),
            &r.description,
            &r.default_nos,
            &r.manual_nos,
        ],
    )
    .map_err(wrap("writing no_series"))?;
    for (i, l) in r.lines.iter().enumerate() {
        let line_no = (i as i32 + 1) * SERIES_LINE_STEP;
        c.execute(
            "INSERT INTO no_series_line (company_id, series_code, line_no, starting_date,
                 starting_no, ending_no, warning_no, increment_by, last_no_used, last_date_used,
                 open)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            &[
                &company,
                &r.code.as_str(),
                &line_no,
                &l.starting_date,
                &l.starting_no,
                &l.ending_no,
                &l.warning_no,
                &int("no_series_line", "increment_by", l.increment_by)?,
                &l.last_no_used,
                &l.last_date_used,
                &l.open,
            ],
        )
        .map_err(wrap("writing no_series_line"))?;
    }
    Ok(())
}

/// Writes a user setup.
pub fn put_user_setup<C: GenericClient>(
    c: &mut C,
    company: i32,
    r: &UserSetup,
) -> Result<(), PgError> {
    c.execute(
        "INSERT INTO user_setup (company_id, user_id, salesperson_code) VALUES ($1, $2, $3)",
        &[&company, &r.user_id.as_str(), &s(&r.salesperson_code)],
    )
    .map_err(wrap("writing user_setup"))?;
    Ok(())
}

/// Columns of `contact` a transfer copies, in [`put_contacts`]' order.
const CONTACT_COPY_COLUMNS: &str = "company_id, no, name, kind, company_no, salesperson_code, \
    language_code, email, correspondence_type, exclude_from_segment, privacy_blocked, city, \
    post_code, country_code, phone";

/// Binary COPY fields of one contact row.
fn contact_fields(buf: &mut Vec<u8>, company: i32, c: &Contact) {
    fn text(buf: &mut Vec<u8>, s: &str) {
        buf.extend_from_slice(&(s.len() as i32).to_be_bytes());
        buf.extend_from_slice(s.as_bytes());
    }
    fn opt(buf: &mut Vec<u8>, s: Option<&str>) {
        match s {
            Some(s) => text(buf, s),
            None => buf.extend_from_slice(&(-1i32).to_be_bytes()),
        }
    }
    fn flag(buf: &mut Vec<u8>, b: bool) {
        buf.extend_from_slice(&1i32.to_be_bytes());
        buf.push(b as u8);
    }
    buf.extend_from_slice(&15i16.to_be_bytes());
    buf.extend_from_slice(&4i32.to_be_bytes());
    buf.extend_from_slice(&company.to_be_bytes());
    text(buf, c.no.as_str());
    text(buf, &c.name);
    text(buf, c.kind.as_str());
    opt(buf, s(&c.company_no));
    opt(buf, s(&c.salesperson_code));
    opt(buf, s(&c.language_code));
    text(buf, &c.email);
    text(buf, c.correspondence_type.as_str());
    flag(buf, c.exclude_from_segment);
    flag(buf, c.privacy_blocked);
    text(buf, &c.city);
    text(buf, &c.post_code);
    opt(buf, s(&c.country_code));
    text(buf, &c.phone);
}

/// Writes contacts with one COPY BINARY.
pub fn put_contacts<C: GenericClient>(
    c: &mut C,
    company: i32,
    rs: &[Contact],
) -> Result<u64, PgError> {
    use std::io::Write;
    let mut buf = Vec::with_capacity(rs.len() * 128 + 32);
    buf.extend_from_slice(super::copy::COPY_HEADER);
    for r in rs {
        contact_fields(&mut buf, company, r);
    }
    buf.extend_from_slice(super::copy::COPY_TRAILER);
    let sql = format!("COPY contact ({CONTACT_COPY_COLUMNS}) FROM STDIN (FORMAT binary)");
    let mut w = c.copy_in(sql.as_str()).map_err(wrap("COPY into contact"))?;
    w.write_all(&buf)
        .map_err(|e| PgError::Local(format!("COPY into contact: {e}")))?;
    w.finish().map_err(wrap("COPY into contact"))
}

/// Writes a salesperson.
pub fn put_salesperson<C: GenericClient>(
    c: &mut C,
    company: i32,
    r: &Salesperson,
) -> Result<(), PgError> {
    c.execute(
        "INSERT INTO salesperson (company_id, code, name, email, blocked, privacy_blocked)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &company,
            &r.code.as_str(),
            &r.name,
            &r.email,
            &r.blocked,
            &r.privacy_blocked,
        ],
    )
    .map_err(wrap("writing salesperson"))?;
    Ok(())
}

/// Writes an interaction group.
pub fn put_group<C: GenericClient>(
    c: &mut C,
    company: i32,
    r: &InteractionGroup,
) -> Result<(), PgError> {
    c.execute(
        "INSERT INTO interaction_group (company_id, code, description) VALUES ($1, $2, $3)",
        &[&company, &r.code.as_str(), &r.description],
    )
    .map_err(wrap("writing interaction_group"))?;
    Ok(())
}

/// Writes an interaction template.
pub fn put_template<C: GenericClient>(
    c: &mut C,
    company: i32,
    r: &InteractionTemplate,
) -> Result<(), PgError> {
    c.execute(
        "INSERT INTO interaction_template (company_id, code, group_code, description, unit_cost,
             unit_duration_min, information_flow, initiated_by, correspondence_type_default,
             ignore_contact_correspondence_type, language_code_default, campaign_no)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        &[
            &company,
            &r.code.as_str(),
            &r.group_code.as_str(),
            &r.description,
            &r.unit_cost,
            &int(
                "interaction_template",
                "unit_duration_min",
                r.unit_duration_min,
            )?,
            &r.information_flow.as_str(),
            &r.initiated_by.as_str(),
            &r.correspondence_type_default.as_str(),
            &r.ignore_contact_correspondence_type,
            &s(&r.language_code_default),
            &s(&r.campaign_no),
        ],
    )
    .map_err(wrap("writing interaction_template"))?;
    Ok(())
}

/// Writes a campaign.
pub fn put_campaign<C: GenericClient>(
    c: &mut C,
    company: i32,
    r: &Campaign,
) -> Result<(), PgError> {
    c.execute(
        "INSERT INTO campaign (company_id, no, description, starting_date, ending_date,
             salesperson_code)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &company,
            &r.no.as_str(),
            &r.description,
            &r.starting_date,
            &r.ending_date,
            &s(&r.salesperson_code),
        ],
    )
    .map_err(wrap("writing campaign"))?;
    Ok(())
}

/// Writes a segment header with its criteria actions (its lines go by COPY).
pub fn put_segment<C: GenericClient>(
    c: &mut C,
    company: i32,
    r: &SegmentHeader,
) -> Result<(), PgError> {
    const T: &str = "segment_header";
    let i = &r.interaction;
    c.execute(
        "INSERT INTO segment_header (company_id, no, description, date, salesperson_code,
             campaign_no, template_code, group_code, unit_cost, unit_duration_min,
             subject_default, language_code_default, correspondence_type_default,
             ignore_contact_correspondence_type, information_flow, initiated_by, last_line_no)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
        &[
            &company,
            &r.no.as_str(),
            &r.description,
            &r.date,
            &s(&r.salesperson_code),
            &s(&r.campaign_no),
            &s(&i.template_code),
            &s(&i.group_code),
            &i.unit_cost,
            &int(T, "unit_duration_min", i.unit_duration_min)?,
            &i.subject_default,
            &s(&i.language_code_default),
            &i.correspondence_type_default.as_str(),
            &i.ignore_contact_correspondence_type,
            &i.information_flow.as_str(),
            &i.initiated_by.as_str(),
            &big(T, "last_line_no", r.last_line_no)?,
        ],
    )
    .map_err(wrap("writing segment_header"))?;
    const A: &str = "segment_criteria";
    for a in &r.criteria {
        let o = &a.options;
        c.execute(
            "INSERT INTO segment_criteria (company_id, segment_no, action_no, kind, filters,
                 allow_existing, expand_companies, related_companies, ignore_exclusion,
                 entire_companies, logged_segment, inserted_from, inserted_to, inserted_count,
                 deleted_count)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
            &[
                &company,
                &r.no.as_str(),
                &int(A, "action_no", a.no)?,
                &a.kind.name(),
                &a.filters,
                &o.allow_existing,
                &o.expand_companies,
                &o.related_companies,
                &o.ignore_exclusion,
                &o.entire_companies,
                &a.logged_segment
                    .map(|l| big(A, "logged_segment", l.0))
                    .transpose()?,
                &a.inserted
                    .map(|x| big(A, "inserted_from", x.0))
                    .transpose()?,
                &a.inserted.map(|x| big(A, "inserted_to", x.1)).transpose()?,
                &big(A, "inserted_count", a.inserted_count)?,
                &big(A, "deleted_count", a.deleted_count)?,
            ],
        )
        .map_err(wrap("writing segment_criteria"))?;
    }
    Ok(())
}

/// Writes saved criteria with their actions.
pub fn put_saved_criteria<C: GenericClient>(
    c: &mut C,
    company: i32,
    r: &SavedCriteria,
) -> Result<(), PgError> {
    c.execute(
        "INSERT INTO saved_criteria (company_id, code, description, user_id) VALUES ($1, $2, $3, $4)",
        &[&company, &r.code.as_str(), &r.description, &r.user_id.as_str()],
    )
    .map_err(wrap("writing saved_criteria"))?;
    for (i, a) in r.actions.iter().enumerate() {
        let o = &a.options;
        c.execute(
            "INSERT INTO saved_criteria_action (company_id, criteria_code, action_no, kind,
                 filters, allow_existing, expand_companies, related_companies, ignore_exclusion,
                 entire_companies, logged_segment)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            &[
                &company,
                &r.code.as_str(),
                &(i as i32 + 1),
                &a.kind.name(),
                &a.filters,
                &o.allow_existing,
                &o.expand_companies,
                &o.related_companies,
                &o.ignore_exclusion,
                &o.entire_companies,
                &a.logged_segment
                    .map(|l| big("saved_criteria_action", "logged_segment", l.0))
                    .transpose()?,
            ],
        )
        .map_err(wrap("writing saved_criteria_action"))?;
    }
    Ok(())
}

/// Writes the comments of entries (`(entry, line no, comment)`) in one statement.
pub fn put_comments<C: GenericClient>(
    c: &mut C,
    company: i32,
    rs: &[(i64, i32, NaiveDate, String)],
) -> Result<u64, PgError> {
    if rs.is_empty() {
        return Ok(0);
    }
    c.execute(
        "INSERT INTO interaction_comment (company_id, entry_no, line_no, date, text)
         SELECT $1, * FROM unnest($2::bigint[], $3::integer[], $4::date[], $5::text[])",
        &[
            &company,
            &rs.iter().map(|r| r.0).collect::<Vec<_>>(),
            &rs.iter().map(|r| r.1).collect::<Vec<_>>(),
            &rs.iter().map(|r| r.2).collect::<Vec<_>>(),
            &rs.iter().map(|r| r.3.as_str()).collect::<Vec<_>>(),
        ],
    )
    .map_err(wrap("writing interaction_comment"))
}

/// Writes a logged segment.
pub fn put_logged_segment<C: GenericClient>(
    c: &mut C,
    company: i32,
    r: &LoggedSegment,
) -> Result<(), PgError> {
    const T: &str = "logged_segment";
    let ces = r
        .campaign_entries
        .iter()
        .map(|n| big(T, "campaign_entry_nos", n.0))
        .collect::<Result<Vec<_>, _>>()?;
    c.execute(
        "INSERT INTO logged_segment (company_id, entry_no, segment_no, description,
             creation_date, user_id, canceled, first_entry_no, entries_written, entries,
             canceled_entries, follow_up_segment, campaign_entry_nos)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        &[
            &company,
            &big(T, "entry_no", r.entry_no.0)?,
            &r.segment_no.as_str(),
            &r.description,
            &r.creation_date,
            &r.user_id,
            &r.canceled,
            &big(T, "first_entry_no", r.first_entry_no.0)?,
            &big(T, "entries_written", r.entries_written)?,
            &big(T, "entries", r.entries)?,
            &big(T, "canceled_entries", r.canceled_entries)?,
            &s(&r.follow_up_segment),
            &ces,
        ],
    )
    .map_err(wrap("writing logged_segment"))?;
    Ok(())
}

/// Writes a campaign entry.
pub fn put_campaign_entry<C: GenericClient>(
    c: &mut C,
    company: i32,
    r: &CampaignEntry,
) -> Result<(), PgError> {
    const T: &str = "campaign_entry";
    c.execute(
        "INSERT INTO campaign_entry (company_id, entry_no, campaign_no, description, date,
             user_id, segment_no, salesperson_code, logged_segment_entry_no, canceled)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        &[
            &company,
            &big(T, "entry_no", r.entry_no.0)?,
            &r.campaign_no.as_str(),
            &r.description,
            &r.date,
            &r.user_id,
            &s(&r.segment_no),
            &s(&r.salesperson_code),
            &r.logged_segment_entry_no
                .map(|l| big(T, "logged_segment_entry_no", l.0))
                .transpose()?,
            &r.canceled,
        ],
    )
    .map_err(wrap("writing campaign_entry"))?;
    Ok(())
}

/// Writes a job's progress record (as `jsonb`).
pub fn put_job<C: GenericClient>(
    c: &mut C,
    company: i32,
    id: &str,
    r: &JobRecord,
) -> Result<(), PgError> {
    let json = serde_json::to_string(r).map_err(|e| bad("job_progress", "record", id, e))?;
    c.execute(
        "INSERT INTO job_progress (company_id, job_id, record) VALUES ($1, $2, $3::text::jsonb)",
        &[&company, &id, &json],
    )
    .map_err(wrap("writing job_progress"))?;
    Ok(())
}

/// Writes an idempotency key's record.
pub fn put_request<C: GenericClient>(
    c: &mut C,
    company: i32,
    key: &str,
    r: &RequestRecord,
) -> Result<(), PgError> {
    c.execute(
        "INSERT INTO idempotency_key (company_id, key, command, fingerprint, result, date)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &company,
            &key,
            &r.command,
            &i64::from(r.fingerprint),
            &r.result,
            &r.date,
        ],
    )
    .map_err(wrap("writing idempotency_key"))?;
    Ok(())
}

// ---------------------------------------------------------------- reading

fn all<C: GenericClient, T>(
    c: &mut C,
    what: &'static str,
    sql: &str,
    company: i32,
    f: impl Fn(&Row) -> Result<T, PgError>,
) -> Result<Vec<T>, PgError> {
    c.query(sql, &[&company])
        .map_err(wrap(what))?
        .iter()
        .map(f)
        .collect()
}

/// The marketing setup, if any.
pub fn read_setup<C: GenericClient>(
    c: &mut C,
    company: i32,
) -> Result<Option<MarketingSetup>, PgError> {
    const T: &str = "marketing_setup";
    let v = all(
        c,
        "reading marketing_setup",
        "SELECT * FROM marketing_setup WHERE company_id = $1",
        company,
        |r| {
            Ok(MarketingSetup {
                contact_nos: opt_code(r, T, "contact_nos")?,
                segment_nos: opt_code(r, T, "segment_nos")?,
                campaign_nos: opt_code(r, T, "campaign_nos")?,
                default_salesperson: opt_code(r, T, "default_salesperson")?,
                default_correspondence_type: code(r, T, "default_correspondence_type")?,
                default_language: opt_code(r, T, "default_language")?,
            })
        },
    )?;
    Ok(v.into_iter().next())
}

/// Every number series with its lines, by code.
pub fn read_series<C: GenericClient>(c: &mut C, company: i32) -> Result<Vec<NoSeries>, PgError> {
    const T: &str = "no_series";
    const L: &str = "no_series_line";
    let mut series = all(
        c,
        "reading no_series",
        r#"SELECT * FROM no_series WHERE company_id = $1 ORDER BY code COLLATE "C""#,
        company,
        |r| {
            Ok(NoSeries {
                code: code(r, T, "code")?,
                description: get(r, T, "description")?,
                default_nos: get(r, T, "default_nos")?,
                manual_nos: get(r, T, "manual_nos")?,
                lines: Vec::new(),
            })
        },
    )?;
    let lines = all(
        c,
        "reading no_series_line",
        r#"SELECT * FROM no_series_line WHERE company_id = $1
            ORDER BY series_code COLLATE "C", line_no"#,
        company,
        |r| {
            let code: SeriesCode = code(r, L, "series_code")?;
            Ok((
                code,
                SeriesLine {
                    starting_date: get(r, L, "starting_date")?,
                    starting_no: get(r, L, "starting_no")?,
                    ending_no: get(r, L, "ending_no")?,
                    warning_no: get(r, L, "warning_no")?,
                    increment_by: small(r, L, "increment_by")?,
                    last_no_used: get(r, L, "last_no_used")?,
                    last_date_used: get(r, L, "last_date_used")?,
                    open: get(r, L, "open")?,
                },
            ))
        },
    )?;
    for (code, line) in lines {
        if let Some(s) = series.iter_mut().find(|s| s.code == code) {
            s.lines.push(line);
        }
    }
    Ok(series)
}

/// Every user setup, by user id.
pub fn read_user_setups<C: GenericClient>(
    c: &mut C,
    company: i32,
) -> Result<Vec<UserSetup>, PgError> {
    const T: &str = "user_setup";
    all(
        c,
        "reading user_setup",
        r#"SELECT * FROM user_setup WHERE company_id = $1 ORDER BY user_id COLLATE "C""#,
        company,
        |r| {
            Ok(UserSetup {
                user_id: code(r, T, "user_id")?,
                salesperson_code: opt_code(r, T, "salesperson_code")?,
            })
        },
    )
}

/// Columns of `contact` in [`contact_from_row`]'s order (for streamed reads).
pub const CONTACT_COLUMNS: &str = "no, name, kind, company_no, salesperson_code, language_code, \
    email, correspondence_type, exclude_from_segment, privacy_blocked, city, post_code, \
    country_code, phone";

/// A contact from a row selected with [`CONTACT_COLUMNS`].
pub fn contact_from_row(r: &Row) -> Result<Contact, PgError> {
    const T: &str = "contact";
    Ok(Contact {
        no: code(r, T, "no")?,
        name: get(r, T, "name")?,
        kind: code(r, T, "kind")?,
        company_no: opt_code(r, T, "company_no")?,
        salesperson_code: opt_code(r, T, "salesperson_code")?,
        language_code: opt_code(r, T, "language_code")?,
        email: get(r, T, "email")?,
        correspondence_type: code(r, T, "correspondence_type")?,
        exclude_from_segment: get(r, T, "exclude_from_segment")?,
        privacy_blocked: get(r, T, "privacy_blocked")?,
        city: get(r, T, "city")?,
        post_code: get(r, T, "post_code")?,
        country_code: opt_code(r, T, "country_code")?,
        phone: get(r, T, "phone")?,
    })
}

/// Every salesperson, by code.
pub fn read_salespeople<C: GenericClient>(
    c: &mut C,
    company: i32,
) -> Result<Vec<Salesperson>, PgError> {
    const T: &str = "salesperson";
    all(
        c,
        "reading salesperson",
        r#"SELECT * FROM salesperson WHERE company_id = $1 ORDER BY code COLLATE "C""#,
        company,
        |r| {
            Ok(Salesperson {
                code: code(r, T, "code")?,
                name: get(r, T, "name")?,
                email: get(r, T, "email")?,
                blocked: get(r, T, "blocked")?,
                privacy_blocked: get(r, T, "privacy_blocked")?,
            })
        },
    )
}

/// Every interaction group, by code.
pub fn read_groups<C: GenericClient>(
    c: &mut C,
    company: i32,
) -> Result<Vec<InteractionGroup>, PgError> {
    const T: &str = "interaction_group";
    all(
        c,
        "reading interaction_group",
        r#"SELECT * FROM interaction_group WHERE company_id = $1 ORDER BY code COLLATE "C""#,
        company,
        |r| {
            Ok(InteractionGroup {
                code: code(r, T, "code")?,
                description: get(r, T, "description")?,
            })
        },
    )
}

/// Every interaction template, by code.
pub fn read_templates<C: GenericClient>(
    c: &mut C,
    company: i32,
) -> Result<Vec<InteractionTemplate>, PgError> {
    const T: &str = "interaction_template";
    all(
        c,
        "reading interaction_template",
        r#"SELECT * FROM interaction_template WHERE company_id = $1 ORDER BY code COLLATE "C""#,
        company,
        |r| {
            Ok(InteractionTemplate {
                code: code(r, T, "code")?,
                group_code: code(r, T, "group_code")?,
                description: get(r, T, "description")?,
                unit_cost: get(r, T, "unit_cost")?,
                unit_duration_min: small(r, T, "unit_duration_min")?,
                information_flow: code(r, T, "information_flow")?,
                initiated_by: code(r, T, "initiated_by")?,
                correspondence_type_default: code(r, T, "correspondence_type_default")?,
                ignore_contact_correspondence_type: get(
                    r,
                    T,
                    "ignore_contact_correspondence_type",
                )?,
                language_code_default: opt_code(r, T, "language_code_default")?,
                campaign_no: opt_code(r, T, "campaign_no")?,
            })
        },
    )
}

/// Every campaign, by number.
pub fn read_campaigns<C: GenericClient>(c: &mut C, company: i32) -> Result<Vec<Campaign>, PgError> {
    const T: &str = "campaign";
    all(
        c,
        "reading campaign",
        r#"SELECT * FROM campaign WHERE company_id = $1 ORDER BY no COLLATE "C""#,
        company,
        |r| {
            Ok(Campaign {
                no: code(r, T, "no")?,
                description: get(r, T, "description")?,
                starting_date: get(r, T, "starting_date")?,
                ending_date: get(r, T, "ending_date")?,
                salesperson_code: opt_code(r, T, "salesperson_code")?,
            })
        },
    )
}

fn options(r: &Row, t: &'static str) -> Result<CriteriaOptions, PgError> {
    Ok(CriteriaOptions {
        allow_existing: get(r, t, "allow_existing")?,
        expand_companies: get(r, t, "expand_companies")?,
        related_companies: get(r, t, "related_companies")?,
        ignore_exclusion: get(r, t, "ignore_exclusion")?,
        entire_companies: get(r, t, "entire_companies")?,
    })
}

fn kind(r: &Row, t: &'static str) -> Result<CriteriaKind, PgError> {
    let k: String = get(r, t, "kind")?;
    match k.as_str() {
        "add" => Ok(CriteriaKind::Add),
        "reduce" => Ok(CriteriaKind::Reduce),
        "refine" => Ok(CriteriaKind::Refine),
        "reuse-logged" => Ok(CriteriaKind::ReuseLogged),
        _ => Err(bad(t, "kind", &k, "not a criteria action kind")),
    }
}

/// Every segment header with its criteria, by number, in the [`layout_free`] form; its
/// `line_count` counts the lines no action removed.
pub fn read_segments<C: GenericClient>(
    c: &mut C,
    company: i32,
) -> Result<Vec<SegmentHeader>, PgError> {
    const T: &str = "segment_header";
    const A: &str = "segment_criteria";
    let mut headers = all(
        c,
        "reading segment_header",
        r#"SELECT h.*, (SELECT count(*) FROM segment_line l
                         WHERE l.company_id = h.company_id AND l.segment_no = h.no
                           AND l.removed_by_action IS NULL) AS line_count
             FROM segment_header h WHERE h.company_id = $1 ORDER BY h.no COLLATE "C""#,
        company,
        |r| {
            Ok(SegmentHeader {
                no: code(r, T, "no")?,
                description: get(r, T, "description")?,
                date: get(r, T, "date")?,
                salesperson_code: opt_code(r, T, "salesperson_code")?,
                campaign_no: opt_code(r, T, "campaign_no")?,
                interaction: SegmentInteraction {
                    template_code: opt_code(r, T, "template_code")?,
                    group_code: opt_code(r, T, "group_code")?,
                    unit_cost: get(r, T, "unit_cost")?,
                    unit_duration_min: small(r, T, "unit_duration_min")?,
                    subject_default: get(r, T, "subject_default")?,
                    language_code_default: opt_code(r, T, "language_code_default")?,
                    correspondence_type_default: code(r, T, "correspondence_type_default")?,
                    ignore_contact_correspondence_type: get(
                        r,
                        T,
                        "ignore_contact_correspondence_type",
                    )?,
                    information_flow: code(r, T, "information_flow")?,
                    initiated_by: code(r, T, "initiated_by")?,
                },
                lines_gen: 0,
                line_count: number(r, T, "line_count")?,
                last_line_no: number(r, T, "last_line_no")?,
                contacts_epoch: 0,
                criteria: Vec::new(),
            })
        },
    )?;
    let actions = all(
        c,
        "reading segment_criteria",
        r#"SELECT * FROM segment_criteria WHERE company_id = $1
            ORDER BY segment_no COLLATE "C", action_no"#,
        company,
        |r| {
            let seg: SegmentNo = code(r, A, "segment_no")?;
            let kind = kind(r, A)?;
            let from = opt_number(r, A, "inserted_from")?;
            let to = opt_number(r, A, "inserted_to")?;
            Ok((
                seg,
                CriteriaAction {
                    no: small(r, A, "action_no")?,
                    kind,
                    filters: get(r, A, "filters")?,
                    options: options(r, A)?,
                    logged_segment: opt_number(r, A, "logged_segment")?.map(LoggedSegmentNo),
                    inserted: from.zip(to),
                    inserted_count: number(r, A, "inserted_count")?,
                    deleted_gen: removes_lines(kind).then_some(0),
                    deleted_count: number(r, A, "deleted_count")?,
                },
            ))
        },
    )?;
    for (seg, a) in actions {
        if let Some(h) = headers.iter_mut().find(|h| h.no == seg) {
            h.criteria.push(a);
        }
    }
    Ok(headers)
}

/// Every saved criteria with its actions, by code.
pub fn read_saved_criteria<C: GenericClient>(
    c: &mut C,
    company: i32,
) -> Result<Vec<SavedCriteria>, PgError> {
    const T: &str = "saved_criteria";
    const A: &str = "saved_criteria_action";
    let mut saved = all(
        c,
        "reading saved_criteria",
        r#"SELECT * FROM saved_criteria WHERE company_id = $1 ORDER BY code COLLATE "C""#,
        company,
        |r| {
            Ok(SavedCriteria {
                code: code(r, T, "code")?,
                description: get(r, T, "description")?,
                user_id: code(r, T, "user_id")?,
                actions: Vec::new(),
            })
        },
    )?;
    let actions = all(
        c,
        "reading saved_criteria_action",
        r#"SELECT * FROM saved_criteria_action WHERE company_id = $1
            ORDER BY criteria_code COLLATE "C", action_no"#,
        company,
        |r| {
            let code: CriteriaCode = code(r, A, "criteria_code")?;
            Ok((
                code,
                SavedCriteriaAction {
                    kind: kind(r, A)?,
                    filters: get(r, A, "filters")?,
                    options: options(r, A)?,
                    logged_segment: opt_number(r, A, "logged_segment")?.map(LoggedSegmentNo),
                },
            ))
        },
    )?;
    for (code, a) in actions {
        if let Some(s) = saved.iter_mut().find(|s| s.code == code) {
            s.actions.push(a);
        }
    }
    Ok(saved)
}

/// Every logged segment, by number (`index_run` is `None`: the embedded store's layout).
pub fn read_logged_segments<C: GenericClient>(
    c: &mut C,
    company: i32,
) -> Result<Vec<LoggedSegment>, PgError> {
    const T: &str = "logged_segment";
    all(
        c,
        "reading logged_segment",
        "SELECT * FROM logged_segment WHERE company_id = $1 ORDER BY entry_no",
        company,
        |r| {
            let ces: Vec<i64> = get(r, T, "campaign_entry_nos")?;
            Ok(LoggedSegment {
                entry_no: LoggedSegmentNo(number(r, T, "entry_no")?),
                segment_no: code(r, T, "segment_no")?,
                description: get(r, T, "description")?,
                creation_date: get(r, T, "creation_date")?,
                user_id: get(r, T, "user_id")?,
                canceled: get(r, T, "canceled")?,
                first_entry_no: EntryNo(number(r, T, "first_entry_no")?),
                entries_written: number(r, T, "entries_written")?,
                entries: number(r, T, "entries")?,
                canceled_entries: number(r, T, "canceled_entries")?,
                campaign_entries: ces
                    .into_iter()
                    .map(|n| unsigned(T, "campaign_entry_nos", n).map(CampaignEntryNo))
                    .collect::<Result<_, _>>()?,
                index_run: None,
                follow_up_segment: opt_code(r, T, "follow_up_segment")?,
            })
        },
    )
}

/// Every campaign entry, by number.
pub fn read_campaign_entries<C: GenericClient>(
    c: &mut C,
    company: i32,
) -> Result<Vec<CampaignEntry>, PgError> {
    const T: &str = "campaign_entry";
    all(
        c,
        "reading campaign_entry",
        "SELECT * FROM campaign_entry WHERE company_id = $1 ORDER BY entry_no",
        company,
        |r| {
            Ok(CampaignEntry {
                entry_no: CampaignEntryNo(number(r, T, "entry_no")?),
                campaign_no: code(r, T, "campaign_no")?,
                description: get(r, T, "description")?,
                date: get(r, T, "date")?,
                user_id: get(r, T, "user_id")?,
                segment_no: opt_code(r, T, "segment_no")?,
                salesperson_code: opt_code(r, T, "salesperson_code")?,
                logged_segment_entry_no: opt_number(r, T, "logged_segment_entry_no")?
                    .map(LoggedSegmentNo),
                canceled: get(r, T, "canceled")?,
            })
        },
    )
}

/// Every job progress record with its id, by id.
pub fn read_jobs<C: GenericClient>(
    c: &mut C,
    company: i32,
) -> Result<Vec<(String, JobRecord)>, PgError> {
    const T: &str = "job_progress";
    all(
        c,
        "reading job_progress",
        r#"SELECT job_id, record::text AS record FROM job_progress WHERE company_id = $1
            ORDER BY job_id COLLATE "C""#,
        company,
        |r| {
            let id: String = get(r, T, "job_id")?;
            let json: String = get(r, T, "record")?;
            let rec = serde_json::from_str(&json).map_err(|e| bad(T, "record", &json, e))?;
            Ok((id, rec))
        },
    )
}

/// Every idempotency key's record with its key, by key.
pub fn read_requests<C: GenericClient>(
    c: &mut C,
    company: i32,
) -> Result<Vec<(String, RequestRecord)>, PgError> {
    const T: &str = "idempotency_key";
    all(
        c,
        "reading idempotency_key",
        r#"SELECT * FROM idempotency_key WHERE company_id = $1 ORDER BY key COLLATE "C""#,
        company,
        |r| {
            let fp: i64 = get(r, T, "fingerprint")?;
            Ok((
                get(r, T, "key")?,
                RequestRecord {
                    command: get(r, T, "command")?,
                    fingerprint: u32::try_from(fp)
                        .map_err(|e| bad(T, "fingerprint", &fp.to_string(), e))?,
                    result: get(r, T, "result")?,
                    date: get(r, T, "date")?,
                },
            ))
        },
    )
}

/// The company's counters: next entry, next logged segment, next campaign entry.
pub fn read_counters<C: GenericClient>(c: &mut C, company: i32) -> Result<[u64; 3], PgError> {
    const T: &str = "company";
    let r = c
        .query_opt(
            "SELECT next_entry_no, next_logged_no, next_campaign_entry FROM company
              WHERE company_id = $1",
            &[&company],
        )
        .map_err(wrap("reading the company's counters"))?
        .ok_or(PgError::NotOnShard {
            company_id: company,
        })?;
    Ok([
        number(&r, T, "next_entry_no")?,
        number(&r, T, "next_logged_no")?,
        number(&r, T, "next_campaign_entry")?,
    ])
}

/// A comment row `(entry no, comment)` selected as `entry_no, date, text`.
pub fn comment_from_row(r: &Row) -> Result<(u64, Comment), PgError> {
    const T: &str = "interaction_comment";
    Ok((
        number(r, T, "entry_no")?,
        Comment {
            date: get(r, T, "date")?,
            text: get(r, T, "text")?,
        },
    ))
}

/// The number of a segment line's `removed_by_action` as a criteria action number.
pub fn action_no(v: Option<i32>) -> Result<Option<u32>, PgError> {
    v.map(|a| {
        u32::try_from(a).map_err(|e| bad("segment_line", "removed_by_action", &a.to_string(), e))
    })
    .transpose()
}
