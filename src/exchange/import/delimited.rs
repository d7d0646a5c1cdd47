//! Reading CSV and TSV files as a stream of records.

use std::path::Path;

use super::*;

pub(super) fn read_csv(
    file: &Path,
    bytes: impl std::io::Read,
    spec: &'static KindSpec,
    delimiter: u8,
    restore: bool,
    ignored: &mut Vec<String>,
    each: &mut dyn FnMut(Record<'_>) -> Result<(), ImportError>,
) -> Result<usize, ImportError> {
    // Cells are trimmed here, as they are used: the csv crate's own trimming copies every
    // record twice.
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .from_reader(bytes);
    let mut header = rdr.headers().map_err(|e| csv_error(file, e))?.clone();
    header.trim();
    if header.iter().all(str::is_empty) {
        return Ok(0); // an empty (or blank) file
    }
    let header_line = header.position().map_or(1, |p| p.line());
    let placed = place_columns(file, header_line, spec, header.iter(), ignored)?;
    let mut record = csv::StringRecord::new();
    let mut count = 0;
    while rdr
        .read_record(&mut record)
        .map_err(|e| csv_error(file, e))?
    {
        let line = record.position().map_or(0, |p| p.line());
        let mut rec = Record::new(spec, file, line);
        for (slot, (written, value)) in placed.iter().zip(header.iter().zip(record.iter())) {
            if let Some(i) = slot {
                let value = value.trim();
                let value = if restore {
                    restore_formula(value)
                } else {
                    value
                };
                rec.cells[*i] = Cell {
                    written: Some(written.into()),
                    value: (!value.is_empty()).then(|| Raw::Text(value.into())),
                };
            }
        }
        each(rec)?;
        count += 1;
    }
    Ok(count)
}

pub(super) fn csv_error(file: &Path, e: csv::Error) -> ImportError {
    let line = e.position().map_or(0, |p| p.line());
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!(
            "this record has {len} field{} but the header has {expected_len}",
            if *len == 1 { "" } else { "s" }
        ),
        csv::ErrorKind::Utf8 { .. } => "not valid UTF-8 text".to_string(),
        _ => e.to_string(),
    };
    if let csv::ErrorKind::Io(_) = e.kind() {
        if let csv::ErrorKind::Io(io) = e.into_kind() {
            return ImportError::Read {
                file: file.to_path_buf(),
                source: io,
            };
        }
    }
    ImportError::Syntax {
        file: file.to_path_buf(),
        line,
        column: None,
        message,
    }
}
