//! Reading JSON arrays and JSON Lines files as records, keys kept in file order.

use std::fmt;
use std::path::Path;

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

use super::*;

/// A JSON object with its keys in file order, repeated keys kept (so they can be refused).
pub(super) struct JsonObject(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for JsonObject {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = JsonObject;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a record (a JSON object such as {\"code\": \"X\"})")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonObject, A::Error> {
                let mut pairs = Vec::new();
                while let Some(pair) = map.next_entry::<String, Value>()? {
                    pairs.push(pair);
                }
                Ok(JsonObject(pairs))
            }
        }
        d.deserialize_map(V)
    }
}

/// serde_json's message without its " at line L column C" suffix.
pub(super) fn json_message(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

pub(super) fn read_json(
    file: &Path,
    text: &str,
    spec: &'static KindSpec,
    ignored: &mut Vec<String>,
    each: &mut dyn FnMut(Record<'_>) -> Result<(), ImportError>,
) -> Result<usize, ImportError> {
    // Syntax first, over the whole text, so positions are the file's own.
    if let Err(e) = serde_json::from_str::<IgnoredAny>(text) {
        return Err(ImportError::Syntax {
            file: file.to_path_buf(),
            line: e.line() as u64,
            column: Some(e.column() as u64),
            message: json_message(&e),
        });
    }
    let bytes = text.as_bytes();
    let skip_ws = |mut i: usize| {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        i
    };
    // Lines are counted incrementally: records come in file order.
    let mut counted = 0;
    let mut line = 1;
    let mut line_at = |pos: usize| {
        line += bytes[counted..pos].iter().filter(|&&b| b == b'\n').count() as u64;
        counted = pos;
        line
    };
    let mut pos = skip_ws(0);
    if bytes.get(pos) != Some(&b'[') {
        return Err(ImportError::Syntax {
            file: file.to_path_buf(),
            line: line_at(pos),
            column: None,
            message: "expected a JSON array of records: [{…}, {…}]".into(),
        });
    }
    pos = skip_ws(pos + 1);
    let mut count = 0;
    // The text is valid JSON, so after each element comes `,` or `]`.
    while bytes.get(pos) != Some(&b']') {
        let line = line_at(pos);
        let mut stream = serde_json::Deserializer::from_str(&text[pos..]).into_iter::<JsonObject>();
        let object = match stream.next() {
            Some(Ok(o)) => o,
            Some(Err(e)) => {
                return Err(ImportError::Syntax {
                    file: file.to_path_buf(),
                    line,
                    column: None,
                    message: json_message(&e),
                })
            }
            None => break,
        };
        pos = skip_ws(pos + stream.byte_offset());
        if bytes.get(pos) == Some(&b',') {
            pos = skip_ws(pos + 1);
        }
        let rec = json_record(file, line, spec, object, ignored)?;
        each(rec)?;
        count += 1;
    }
    Ok(count)
}

/// JSON Lines: one record (a JSON object) per non-blank line.
pub(super) fn read_jsonl(
    file: &Path,
    text: &str,
    spec: &'static KindSpec,
    ignored: &mut Vec<String>,
    each: &mut dyn FnMut(Record<'_>) -> Result<(), ImportError>,
) -> Result<usize, ImportError> {
    let mut count = 0;
    for (i, l) in text.lines().enumerate() {
        let line = i as u64 + 1;
        if l.trim().is_empty() {
            continue;
        }
        let object: JsonObject = serde_json::from_str(l).map_err(|e| ImportError::Syntax {
            file: file.to_path_buf(),
            line,
            column: Some(e.column() as u64),
            message: json_message(&e),
        })?;
        each(json_record(file, line, spec, object, ignored)?)?;
        count += 1;
    }
    Ok(count)
}

/// The record of one JSON object found at `line`.
pub(super) fn json_record<'a>(
    file: &'a Path,
    line: u64,
    spec: &'static KindSpec,
    object: JsonObject,
    ignored: &mut Vec<String>,
) -> Result<Record<'a>, ImportError> {
    let placed = place_columns(
        file,
        line,
        spec,
        object.0.iter().map(|(k, _)| k.as_str()),
        ignored,
    )?;
    let mut rec = Record::new(spec, file, line);
    for (slot, (key, value)) in placed.into_iter().zip(object.0) {
        if let Some(i) = slot {
            let value = match value {
                Value::Null => None,
                Value::String(s) => {
                    let t = s.trim();
                    (!t.is_empty()).then(|| Raw::Text(t.to_string().into()))
                }
                Value::Number(n) => Some(Raw::Number(n)),
                Value::Bool(b) => Some(Raw::Bool(b)),
                nested => Some(Raw::Nested(nested.to_string().chars().take(60).collect())),
            };
            rec.cells[i] = Cell {
                written: Some(key.into()),
                value,
            };
        }
    }
    Ok(rec)
}
