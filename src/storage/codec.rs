//! The one place that turns values into bytes and back.
//!
//! Every stored value starts with a format-version byte, then bincode 2 (standard config:
//! little-endian, variable-length integers) through serde. Decoding a value with another
//! version byte, a truncated value or trailing garbage is a [`CodecError`], never a panic.
//!
//! Row blocks (entries, segment lines) use a small frame around bincode so that one row can be
//! read without decoding the others:
//!
//! ```text
//! [version u8][header_len u32 LE][header (bincode)][n u32 LE][n × (key u32 LE, end u32 LE)][rows (bincode each)]
//! ```
//! `key` is the row's offset from the block's first number (entry or line number); `end` is the
//! end of the row's bytes relative to the start of the rows area.
//!
//! Changing anything here — the version byte, the config, the frame, or the field order of any
//! stored struct — is a format change: bump [`FORMAT_VERSION`] and keep a decoder for the old one.

use serde::de::DeserializeOwned;
use serde::Serialize;

/// Version byte written before every stored value.
pub const FORMAT_VERSION: u8 = 1;

/// Largest value the codec decodes or encodes. Far above any real value (entry blocks are
/// ≤ 96 KiB; the largest values are index run infos, whose Bloom filter takes 1.25 MB per
/// million contacts), it keeps a damaged length prefix from asking for an absurd allocation.
pub const MAX_VALUE_BYTES: usize = 256 << 20;

type Config = bincode::config::Configuration<
    bincode::config::LittleEndian,
    bincode::config::Varint,
    bincode::config::Limit<MAX_VALUE_BYTES>,
>;

/// bincode's standard configuration (little-endian, varints) with a size limit; the limit does
/// not change the encoding.
fn config() -> Config {
    bincode::config::standard().with_limit::<MAX_VALUE_BYTES>()
}

/// Why bytes could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    /// The value is empty.
    #[error("stored {what} is empty (truncated value)")]
    Empty {
        /// What was being decoded.
        what: &'static str,
    },
    /// The value was written by another format version.
    #[error("stored {what} has format version {found}, this build reads version {supported} — use a matching interlog build")]
    UnknownVersion {
        /// What was being decoded.
        what: &'static str,
        /// Version byte found.
        found: u8,
        /// Version this build reads.
        supported: u8,
    },
    /// The bytes do not decode.
    #[error("stored {what} is corrupt: {detail}")]
    Corrupt {
        /// What was being decoded.
        what: &'static str,
        /// Decoder message.
        detail: String,
    },
    /// Encoding failed (a bug: every stored type is encodable).
    #[error("could not encode {what}: {detail}")]
    Encode {
        /// What was being encoded.
        what: &'static str,
        /// Encoder message.
        detail: String,
    },
}

/// Encodes `value` as version byte + bincode.
pub fn encode<T: Serialize>(what: &'static str, value: &T) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::with_capacity(64);
    out.push(FORMAT_VERSION);
    bincode::serde::encode_into_std_write(value, &mut out, config()).map_err(|e| {
        CodecError::Encode {
            what,
            detail: e.to_string(),
        }
    })?;
    Ok(out)
}

fn check_version<'a>(what: &'static str, bytes: &'a [u8]) -> Result<&'a [u8], CodecError> {
    match bytes.split_first() {
        None => Err(CodecError::Empty { what }),
        Some((&FORMAT_VERSION, rest)) => Ok(rest),
        Some((&found, _)) => Err(CodecError::UnknownVersion {
            what,
            found,
            supported: FORMAT_VERSION,
        }),
    }
}

fn decode_body<T: DeserializeOwned>(what: &'static str, body: &[u8]) -> Result<T, CodecError> {
    let (value, used) =
        bincode::serde::decode_from_slice(body, config()).map_err(|e| CodecError::Corrupt {
            what,
            detail: e.to_string(),
        })?;
    if used != body.len() {
        return Err(CodecError::Corrupt {
            what,
            detail: format!("{} trailing bytes", body.len() - used),
        });
    }
    Ok(value)
}

/// Decodes a value written by [`encode`].
pub fn decode<T: DeserializeOwned>(what: &'static str, bytes: &[u8]) -> Result<T, CodecError> {
    decode_body(what, check_version(what, bytes)?)
}

/// A marker value (present/absent keys): just the version byte.
pub fn marker() -> [u8; 1] {
    [FORMAT_VERSION]
}

/// Checks a marker value.
pub fn check_marker(what: &'static str, bytes: &[u8]) -> Result<(), CodecError> {
    let rest = check_version(what, bytes)?;
    if rest.is_empty() {
        Ok(())
    } else {
        Err(CodecError::Corrupt {
            what,
            detail: format!("{} unexpected bytes after the marker", rest.len()),
        })
    }
}

/// Raw bytes with a version byte in front (for fixed-width records packed by hand).
pub fn encode_raw(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 1);
    out.push(FORMAT_VERSION);
    out.extend_from_slice(payload);
    out
}

/// The payload of a value written by [`encode_raw`].
pub fn decode_raw<'a>(what: &'static str, bytes: &'a [u8]) -> Result<&'a [u8], CodecError> {
    check_version(what, bytes)
}

/// Where the next value starts after a bincode (standard config) unsigned varint at `at`.
fn skip_varint(b: &[u8], at: usize) -> Option<usize> {
    match *b.get(at)? {
        0..=250 => Some(at + 1),
        251 => Some(at + 3),
        252 => Some(at + 5),
        253 => Some(at + 9),
        254 => Some(at + 17),
        _ => None,
    }
    .filter(|&end| end <= b.len())
}

fn read_varint(b: &[u8], at: usize) -> Option<(u64, usize)> {
    let first = *b.get(at)?;
    let end = skip_varint(b, at)?;
    let v = match first {
        0..=250 => first as u64,
        251 => u16::from_le_bytes(b[at + 1..at + 3].try_into().ok()?) as u64,
        252 => u32::from_le_bytes(b[at + 1..at + 5].try_into().ok()?) as u64,
        253 => u64::from_le_bytes(b[at + 1..at + 9].try_into().ok()?),
        _ => return None,
    };
    Some((v, end))
}

/// A field of an encoded row, for [`RowBlockView::patch_byte`]: how to step over it.
#[derive(Clone, Copy, Debug)]
pub enum Skip {
    /// A string (length varint + bytes).
    Str,
    /// An unsigned integer or an enum variant without data (one varint).
    Varint,
    /// An enum whose variant `with_str` carries a string (`CompanyRef::Other`).
    EnumWithStr {
        /// The variant index that carries a string.
        with_str: u64,
    },
}

/// Writes a row block frame. Rows are encoded one after another into one buffer.
pub struct RowBlockWriter {
    what: &'static str,
    header: Vec<u8>,
    table: Vec<(u32, u32)>,
    rows: Vec<u8>,
}

impl RowBlockWriter {
    /// Starts an empty block; the header is given at [`RowBlockWriter::finish`], because it
    /// may depend on the rows (dictionaries).
    pub fn new(what: &'static str) -> Self {
        RowBlockWriter {
            what,
            header: Vec::new(),
            table: Vec::new(),
            rows: Vec::with_capacity(16 * 1024),
        }
    }

    /// Appends a row with its key (offset from the block's first number).
    pub fn push<R: Serialize>(&mut self, key: u32, row: &R) -> Result<(), CodecError> {
        bincode::serde::encode_into_std_write(row, &mut self.rows, config()).map_err(|e| {
            CodecError::Encode {
                what: self.what,
                detail: e.to_string(),
            }
        })?;
        let end = u32::try_from(self.rows.len()).map_err(|_| CodecError::Encode {
            what: self.what,
            detail: "block larger than 4 GiB".into(),
        })?;
        self.table.push((key, end));
        Ok(())
    }

    /// Rows so far.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// True when no row was pushed.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// Size of the finished value without its header.
    pub fn encoded_len(&self) -> usize {
        1 + 4 + self.header.len() + 4 + self.table.len() * 8 + self.rows.len()
    }

    /// Forgets all rows, keeping the buffers (for reuse).
    pub fn clear(&mut self) {
        self.header.clear();
        self.table.clear();
        self.rows.clear();
    }

    /// Finishes the frame with its header and empties the writer for the next block.
    pub fn finish<H: Serialize>(&mut self, header: &H) -> Result<Vec<u8>, CodecError> {
        let what = self.what;
        bincode::serde::encode_into_std_write(header, &mut self.header, config()).map_err(|e| {
            CodecError::Encode {
                what,
                detail: e.to_string(),
            }
        })?;
        let mut out = Vec::with_capacity(self.encoded_len());
        out.push(FORMAT_VERSION);
        out.extend_from_slice(&(self.header.len() as u32).to_le_bytes());
        out.extend_from_slice(&self.header);
        out.extend_from_slice(&(self.table.len() as u32).to_le_bytes());
        for (k, e) in &self.table {
            out.extend_from_slice(&k.to_le_bytes());
            out.extend_from_slice(&e.to_le_bytes());
        }
        out.extend_from_slice(&self.rows);
        self.clear();
        Ok(out)
    }
}

/// A parsed row block frame; rows decode on demand.
pub struct RowBlockView<'a> {
    what: &'static str,
    header: &'a [u8],
    table: &'a [u8],
    rows: &'a [u8],
    n: usize,
}

impl<'a> RowBlockView<'a> {
    /// Checks the version and the frame (offsets inside bounds, increasing).
    pub fn parse(what: &'static str, bytes: &'a [u8]) -> Result<Self, CodecError> {
        let body = check_version(what, bytes)?;
        let corrupt = |detail: &str| CodecError::Corrupt {
            what,
            detail: detail.to_string(),
        };
        let take_u32 = |b: &[u8], at: usize| -> Result<u32, CodecError> {
            b.get(at..at + 4)
                .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
                .ok_or_else(|| corrupt("truncated block frame"))
        };
        let hlen = take_u32(body, 0)? as usize;
        let header = body
            .get(4..4 + hlen)
            .ok_or_else(|| corrupt("truncated block header"))?;
        let n = take_u32(body, 4 + hlen)? as usize;
        let table_start = 8 + hlen;
        let table_len = n
            .checked_mul(8)
            .ok_or_else(|| corrupt("row count overflows"))?;
        let table = body
            .get(table_start..table_start + table_len)
            .ok_or_else(|| corrupt("truncated row table"))?;
        let rows = &body[table_start + table_len..];
        let mut prev_end = 0u32;
        let mut prev_key: Option<u32> = None;
        for i in 0..n {
            let key = u32::from_le_bytes(table[i * 8..i * 8 + 4].try_into().expect("4 bytes"));
            let end = u32::from_le_bytes(table[i * 8 + 4..i * 8 + 8].try_into().expect("4 bytes"));
            if end < prev_end || end as usize > rows.len() {
                return Err(corrupt("row offsets out of bounds"));
            }
            if prev_key.is_some_and(|p| key <= p) {
                return Err(corrupt("row keys not increasing"));
            }
            prev_end = end;
            prev_key = Some(key);
        }
        if prev_end as usize != rows.len() {
            return Err(corrupt("trailing bytes after the last row"));
        }
        Ok(RowBlockView {
            what,
            header,
            table,
            rows,
            n,
        })
    }

    /// Decodes the header.
    pub fn header<H: DeserializeOwned>(&self) -> Result<H, CodecError> {
        decode_body(self.what, self.header)
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.n
    }

    /// True when the block has no rows.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Key of row `i`.
    pub fn key(&self, i: usize) -> u32 {
        u32::from_le_bytes(self.table[i * 8..i * 8 + 4].try_into().expect("4 bytes"))
    }

    fn end(&self, i: usize) -> usize {
        u32::from_le_bytes(
            self.table[i * 8 + 4..i * 8 + 8]
                .try_into()
                .expect("4 bytes"),
        ) as usize
    }

    /// Decodes row `i`.
    pub fn row<R: DeserializeOwned>(&self, i: usize) -> Result<R, CodecError> {
        let start = if i == 0 { 0 } else { self.end(i - 1) };
        decode_body(self.what, &self.rows[start..self.end(i)])
    }

    /// Decodes row `i`, borrowing strings from the block instead of allocating them.
    pub fn row_borrowed<R: serde::Deserialize<'a>>(&self, i: usize) -> Result<R, CodecError> {
        let start = if i == 0 { 0 } else { self.end(i - 1) };
        let body: &'a [u8] = &self.rows[start..self.end(i)];
        let (value, used) =
            bincode::serde::borrow_decode_from_slice(body, config()).map_err(|e| {
                CodecError::Corrupt {
                    what: self.what,
                    detail: e.to_string(),
                }
            })?;
        if used != body.len() {
            return Err(CodecError::Corrupt {
                what: self.what,
                detail: format!("{} trailing bytes", body.len() - used),
            });
        }
        Ok(value)
    }

    /// Position (in the whole value) of the byte that follows the fields `prefix` in row `i`:
    /// lets a caller flip a one-byte field of every row without decoding the rows. `None` when
    /// the row does not parse (the caller falls back to decoding).
    pub fn byte_after(&self, i: usize, prefix: &[Skip], value_len: usize) -> Option<usize> {
        let start = if i == 0 { 0 } else { self.end(i - 1) };
        let row = &self.rows[start..self.end(i)];
        let mut at = 0;
        for f in prefix {
            at = match *f {
                Skip::Varint => skip_varint(row, at)?,
                Skip::Str => {
                    let (len, after) = read_varint(row, at)?;
                    after.checked_add(usize::try_from(len).ok()?)?
                }
                Skip::EnumWithStr { with_str } => {
                    let (v, after) = read_varint(row, at)?;
                    if v == with_str {
                        let (len, after2) = read_varint(row, after)?;
                        after2.checked_add(usize::try_from(len).ok()?)?
                    } else {
                        after
                    }
                }
            };
        }
        if at >= row.len() {
            return None;
        }
        // Offset of the rows area within the whole value.
        let rows_start = value_len - self.rows.len();
        Some(rows_start + start + at)
    }

    /// Index of the row with `key`, if present (binary search).
    pub fn find(&self, key: u32) -> Option<usize> {
        let (mut lo, mut hi) = (0, self.n);
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.key(mid).cmp(&key) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_version_is_an_error() {
        let mut v = encode("x", &42u32).unwrap();
        v[0] = 99;
        assert!(matches!(
            decode::<u32>("x", &v),
            Err(CodecError::UnknownVersion { found: 99, .. })
        ));
        assert!(matches!(
            decode::<u32>("x", &[]),
            Err(CodecError::Empty { .. })
        ));
    }

    #[test]
    fn truncated_and_trailing_bytes_are_errors() {
        let v = encode("x", &"hello".to_string()).unwrap();
        assert!(decode::<String>("x", &v[..v.len() - 1]).is_err());
        let mut w = v.clone();
        w.push(0);
        assert!(decode::<String>("x", &w).is_err());
    }

    #[test]
    fn row_blocks_frame_round_trip() {
        let mut w = RowBlockWriter::new("b");
        w.push(0, &"a".to_string()).unwrap();
        w.push(3, &"bcd".to_string()).unwrap();
        let bytes = w.finish(&"head".to_string()).unwrap();
        let v = RowBlockView::parse("b", &bytes).unwrap();
        assert_eq!(v.header::<String>().unwrap(), "head");
        assert_eq!(v.len(), 2);
        assert_eq!(v.find(3), Some(1));
        assert_eq!(v.find(2), None);
        assert_eq!(v.row::<String>(1).unwrap(), "bcd");
        for cut in 0..bytes.len() {
            // every truncation is an error, never a panic
            let _ = RowBlockView::parse("b", &bytes[..cut])
                .and_then(|v| (0..v.len()).try_for_each(|i| v.row::<String>(i).map(|_| ())));
        }
    }
}
