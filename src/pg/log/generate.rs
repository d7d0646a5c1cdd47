//! A generated company and segment on a shard, made with SQL (`generate_series`) on the server:
//! for benchmarks and the crash tests, which need a segment of a million lines fast.

use postgres::GenericClient;

use crate::pg::PgError;

/// Creates company `company_id` (code `code`) with one salesperson `SP`, group `GRP`, template
/// `TPL` (1.25, 5 min, outbound, hard copy), segment series `SEG` (SM00001 …) in marketing
/// setup, `lines` contacts `CT00000001` … (every other one prefers e-mail, every third has no
/// address) and segment `segment` ("Generated mailing", 2025-03-14, template `TPL`) with one
/// line per contact, in contact order. Counters start at 1.
pub fn company_with_segment<C: GenericClient>(
    c: &mut C,
    company_id: i32,
    code: &str,
    segment: &str,
    lines: i64,
) -> Result<(), PgError> {
    let what = |w: &str| PgError::sql(format!("generating the {w} of company {code}"));
    c.execute(
        "INSERT INTO company (company_id, code) VALUES ($1, $2)",
        &[&company_id, &code],
    )
    .map_err(what("row"))?;
    c.execute(
        "INSERT INTO salesperson (company_id, code, name) VALUES ($1, 'SP', 'Sales')",
        &[&company_id],
    )
    .map_err(what("salesperson"))?;
    c.execute(
        "INSERT INTO interaction_group (company_id, code, description) \
         VALUES ($1, 'GRP', 'Generated')",
        &[&company_id],
    )
    .map_err(what("group"))?;
    c.execute(
        "INSERT INTO interaction_template (company_id, code, group_code, description, \
             unit_cost, unit_duration_min, information_flow, initiated_by, \
             correspondence_type_default) \
         VALUES ($1, 'TPL', 'GRP', 'Mailing', 1.25, 5, 'outbound', 'us', 'hard-copy')",
        &[&company_id],
    )
    .map_err(what("template"))?;
    c.execute(
        "INSERT INTO no_series (company_id, code, description, default_nos) \
         VALUES ($1, 'SEG', 'Segments', true)",
        &[&company_id],
    )
    .map_err(what("series"))?;
    c.execute(
        "INSERT INTO no_series_line (company_id, series_code, line_no, starting_no) \
         VALUES ($1, 'SEG', 10000, 'SM00001')",
        &[&company_id],
    )
    .map_err(what("series line"))?;
    c.execute(
        "INSERT INTO marketing_setup (company_id, segment_nos) VALUES ($1, 'SEG')",
        &[&company_id],
    )
    .map_err(what("setup"))?;
    c.execute(
        "INSERT INTO contact (company_id, no, name, kind, email, correspondence_type) \
         SELECT $1, 'CT' || lpad(i::text, 8, '0'), 'Contact ' || i, 'person', \
             CASE WHEN i % 3 = 0 THEN '' ELSE 'c' || i || '@example.com' END, \
             CASE WHEN i % 2 = 0 THEN 'email' ELSE 'none' END \
         FROM generate_series(1, $2::bigint) i",
        &[&company_id, &lines],
    )
    .map_err(what("contacts"))?;
    c.execute(
        "INSERT INTO segment_header (company_id, no, description, date, salesperson_code, \
             template_code, group_code, unit_cost, unit_duration_min, information_flow, \
             initiated_by, correspondence_type_default, last_line_no) \
         VALUES ($1, $2, 'Generated mailing', '2025-03-14', 'SP', 'TPL', 'GRP', 1.25, 5, \
             'outbound', 'us', 'hard-copy', $3::bigint * 10000)",
        &[&company_id, &segment, &lines],
    )
    .map_err(what("segment"))?;
    c.execute(
        "INSERT INTO segment_line (company_id, segment_no, line_no, contact_no, \
             contact_correspondence_type, contact_has_email, template_code, group_code, \
             description, cost, duration_min, date, salesperson_code, correspondence_type, \
             information_flow, initiated_by) \
         SELECT $1, $2, i * 10000, 'CT' || lpad(i::text, 8, '0'), \
             CASE WHEN i % 2 = 0 THEN 'email' ELSE 'none' END, i % 3 <> 0, 'TPL', 'GRP', \
             'Generated mailing', 1.25, 5, '2025-03-14', 'SP', \
             CASE WHEN i % 2 = 0 AND i % 3 <> 0 THEN 'email' ELSE 'hard-copy' END, \
             'outbound', 'us' \
         FROM generate_series(1, $3::bigint) i",
        &[&company_id, &segment, &lines],
    )
    .map_err(what("segment lines"))?;
    Ok(())
}
