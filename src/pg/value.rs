//! Reading column values into domain values: every refusal names the table, the column and the
//! value (`PgError::BadValue`), shared by the row readers of `copy` and `rows`.

use postgres::Row;

use super::PgError;

/// A column value that does not make a valid domain value.
pub(crate) fn bad(
    table: &'static str,
    column: &'static str,
    value: &str,
    reason: impl ToString,
) -> PgError {
    PgError::BadValue {
        table,
        column,
        value: value.to_string(),
        reason: reason.to_string(),
    }
}

pub(crate) fn get<'a, T: postgres::types::FromSql<'a>>(
    row: &'a Row,
    table: &'static str,
    column: &'static str,
) -> Result<T, PgError> {
    row.try_get(column).map_err(|e| bad(table, column, "?", e))
}

pub(crate) fn parse<T: std::str::FromStr>(
    table: &'static str,
    column: &'static str,
    s: &str,
) -> Result<T, PgError>
where
    T::Err: std::fmt::Display,
{
    s.parse().map_err(|e| bad(table, column, s, e))
}

pub(crate) fn code<T: std::str::FromStr>(
    row: &Row,
    table: &'static str,
    column: &'static str,
) -> Result<T, PgError>
where
    T::Err: std::fmt::Display,
{
    let s: String = get(row, table, column)?;
    parse(table, column, &s)
}

pub(crate) fn opt_code<T: std::str::FromStr>(
    row: &Row,
    table: &'static str,
    column: &'static str,
) -> Result<Option<T>, PgError>
where
    T::Err: std::fmt::Display,
{
    let s: Option<String> = get(row, table, column)?;
    s.map(|s| parse(table, column, &s)).transpose()
}

pub(crate) fn unsigned(table: &'static str, column: &'static str, v: i64) -> Result<u64, PgError> {
    u64::try_from(v).map_err(|e| bad(table, column, &v.to_string(), e))
}
