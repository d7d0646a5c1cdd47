//! The one place that turns values into bytes and back.
//!
//! Every stored value starts with a format-version byte, then bincode 2 (standard config:
//! little-endian, variable-length integers) through serde. Decoding a value with another
//! version byte, a truncated value or trailing garbage is a [`CodecError`], never a panic.
//!
//! Blocks (entries, segment lines) are *framed*: `[version][header length u32 LE][bincode
//! header][body]`, where the body holds rows that `storage::blocks` encodes by hand from the
//! primitives here (LEB128 varints, bincode parts for the rare full copies of shared fields).
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

/// Appends `v` as an unsigned LEB128 varint (7 bits per byte, low bits first).
pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads an unsigned LEB128 varint at `*pos`, moving `*pos` past it. `None` when truncated or
/// longer than a `u64`.
pub fn get_varint(b: &[u8], pos: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *b.get(*pos)?;
        *pos += 1;
        let part = (byte & 0x7f) as u64;
        if shift == 63 && part > 1 {
            return None;
        }
        v |= part << shift;
        if byte & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// Appends the bincode encoding of `value` (no version byte: a part of a framed value).
pub fn encode_part<T: Serialize>(
    what: &'static str,
    value: &T,
    out: &mut Vec<u8>,
) -> Result<(), CodecError> {
    bincode::serde::encode_into_std_write(value, out, config())
        .map(|_| ())
        .map_err(|e| CodecError::Encode {
            what,
            detail: e.to_string(),
        })
}

/// Decodes a part written by [`encode_part`]; the whole slice must be used.
pub fn decode_part<T: DeserializeOwned>(what: &'static str, bytes: &[u8]) -> Result<T, CodecError> {
    decode_body(what, bytes)
}

/// A framed value: `[version][header length u32 LE][header][body]`. Blocks use it: a bincode
/// header, then a body the block module encodes by hand.
pub fn frame(header: &[u8], body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + 4 + header.len() + body.len());
    out.push(FORMAT_VERSION);
    out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    out.extend_from_slice(header);
    out.extend_from_slice(body);
    out
}

/// Splits a framed value into header and body, checking the version.
pub fn unframe<'a>(
    what: &'static str,
    bytes: &'a [u8],
) -> Result<(&'a [u8], &'a [u8], usize), CodecError> {
    let rest = check_version(what, bytes)?;
    let hlen = rest
        .get(..4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .ok_or_else(|| CodecError::Corrupt {
            what,
            detail: "truncated block frame".into(),
        })?;
    let header = rest.get(4..4 + hlen).ok_or_else(|| CodecError::Corrupt {
        what,
        detail: "truncated block header".into(),
    })?;
    let body_start = 1 + 4 + hlen;
    Ok((header, &bytes[body_start..], body_start))
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
    fn varints_round_trip_and_refuse_truncation() {
        for v in [
            0u64,
            1,
            127,
            128,
            300,
            16_383,
            16_384,
            u32::MAX as u64,
            u64::MAX,
        ] {
            let mut out = Vec::new();
            put_varint(&mut out, v);
            let mut pos = 0;
            assert_eq!(get_varint(&out, &mut pos), Some(v));
            assert_eq!(pos, out.len());
            let mut pos = 0;
            assert_eq!(get_varint(&out[..out.len() - 1], &mut pos), None);
        }
        let mut pos = 0;
        assert_eq!(get_varint(&[0xff; 11], &mut pos), None);
    }

    #[test]
    fn frames_split_back_into_header_and_body() {
        let f = frame(b"head", b"body");
        let (h, b, start) = unframe("x", &f).unwrap();
        assert_eq!((h, b, start), (&b"head"[..], &b"body"[..], 9));
        for cut in 0..9 {
            assert!(unframe("x", &f[..cut]).is_err());
        }
    }
}
