//! The one place that turns values into bytes and back.
//!
//! Every stored value starts with a format-version byte, then bincode 2 (standard config:
//! little-endian, variable-length integers) through serde, then — since format version 2 — a
//! CRC32 of everything before it (4 bytes, little-endian). Decoding a value with another
//! version byte, a failing checksum, a truncated value or trailing garbage is a
//! [`CodecError`], never a panic. The checksum is interlog's own check on what sled hands back:
//! sled checks its log records, but interlog treats it as an untrusted component.
//!
//! Blocks (entries, segment lines) are *framed*: `[version][header length u32 LE][bincode
//! header][body][crc]`, where the body holds rows that `storage::blocks` encodes by hand from
//! the primitives here (LEB128 varints, bincode parts for the rare full copies of shared
//! fields). Code that changes a framed value's bytes in place calls [`reseal`] afterwards.
//!
//! Version 1 values (no checksum) are still read; every value written is version 2, and a
//! version 1 block rewritten in place becomes version 2.
//!
//! Changing anything here — the version byte, the config, the frame, or the field order of any
//! stored struct — is a format change: bump [`FORMAT_VERSION`] and keep a decoder for the old one.

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde::Serialize;

/// Version byte written before every stored value.
pub const FORMAT_VERSION: u8 = 2;

/// The first version, without a checksum; still read.
pub const FORMAT_VERSION_1: u8 = 1;

/// Bytes of the checksum at the end of a version 2 value.
const CRC_LEN: usize = 4;

/// Largest value the codec decodes or encodes. Far above any real value (entry blocks are
/// ≤ 96 KiB; the largest values are index run infos, whose Bloom filter takes 1.25 MB per
/// million contacts in a run that big), it keeps a damaged length prefix from asking for an absurd allocation.
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
    /// The value fails its checksum: it was damaged after it was written.
    #[error("stored {what} fails its checksum (damaged on disk)")]
    Checksum {
        /// What was being decoded.
        what: &'static str,
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

/// Appends the checksum that closes a version 2 value.
fn seal(mut out: Vec<u8>) -> Vec<u8> {
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Recomputes the checksum of a value whose bytes were changed in place (e.g. flags flipped in
/// an encoded block). A version 1 value becomes version 2 (its payload offsets do not move).
pub fn reseal(bytes: &mut Vec<u8>) {
    match bytes.first() {
        Some(&FORMAT_VERSION) if bytes.len() > CRC_LEN => {
            let n = bytes.len() - CRC_LEN;
            let crc = crc32fast::hash(&bytes[..n]);
            bytes[n..].copy_from_slice(&crc.to_le_bytes());
        }
        Some(&FORMAT_VERSION_1) => {
            bytes[0] = FORMAT_VERSION;
            let crc = crc32fast::hash(bytes);
            bytes.extend_from_slice(&crc.to_le_bytes());
        }
        _ => {}
    }
}

/// Encodes `value` as version byte + bincode + checksum.
pub fn encode<T: Serialize>(what: &'static str, value: &T) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::with_capacity(64);
    out.push(FORMAT_VERSION);
    bincode::serde::encode_into_std_write(value, &mut out, config()).map_err(|e| {
        CodecError::Encode {
            what,
            detail: e.to_string(),
        }
    })?;
    Ok(seal(out))
}

/// The payload of a stored value (between the version byte and the checksum), after checking
/// both.
fn check_version<'a>(what: &'static str, bytes: &'a [u8]) -> Result<&'a [u8], CodecError> {
    match bytes.split_first() {
        None => Err(CodecError::Empty { what }),
        Some((&FORMAT_VERSION, rest)) => {
            if rest.len() < CRC_LEN {
                return Err(CodecError::Corrupt {
                    what,
                    detail: "too short for its checksum".into(),
                });
            }
            let n = bytes.len() - CRC_LEN;
            if crc32fast::hash(&bytes[..n]).to_le_bytes() != bytes[n..] {
                return Err(CodecError::Checksum { what });
            }
            Ok(&bytes[1..n])
        }
        Some((&FORMAT_VERSION_1, rest)) => Ok(rest),
        Some((&found, _)) => Err(CodecError::UnknownVersion {
            what,
            found,
            supported: FORMAT_VERSION,
        }),
    }
}

fn decode_body<T: DeserializeOwned>(what: &'static str, body: &[u8]) -> Result<T, CodecError> {
    whole(
        what,
        body.len(),
        bincode::serde::decode_from_slice(body, config()),
    )
}

/// A value decoded from all `len` bytes it was given: an error, or bytes left over, make the
/// value corrupt.
fn whole<T>(
    what: &'static str,
    len: usize,
    decoded: Result<(T, usize), bincode::error::DecodeError>,
) -> Result<T, CodecError> {
    let (value, used) = decoded.map_err(|e| CodecError::Corrupt {
        what,
        detail: e.to_string(),
    })?;
    if used != len {
        return Err(CodecError::Corrupt {
            what,
            detail: format!("{} trailing bytes", len - used),
        });
    }
    Ok(value)
}

/// Decodes a value written by [`encode`].
pub fn decode<T: DeserializeOwned>(what: &'static str, bytes: &[u8]) -> Result<T, CodecError> {
    decode_body(what, check_version(what, bytes)?)
}

/// A marker value (present/absent keys): the version byte and its checksum.
pub fn marker() -> Vec<u8> {
    seal(vec![FORMAT_VERSION])
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

/// Raw bytes with a version byte in front and a checksum behind (for fixed-width records
/// packed by hand).
pub fn encode_raw(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 1 + CRC_LEN);
    out.push(FORMAT_VERSION);
    out.extend_from_slice(payload);
    seal(out)
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

/// Decodes a part written by [`encode_part`] into a value borrowing from `bytes` (text as
/// `&str`): checks a part as [`decode_part`] reads it, without allocating its strings.
pub fn decode_part_borrowed<'a, T: Deserialize<'a>>(
    what: &'static str,
    bytes: &'a [u8],
) -> Result<T, CodecError> {
    whole(
        what,
        bytes.len(),
        bincode::serde::borrow_decode_from_slice(bytes, config()),
    )
}

/// A framed value: `[version][header length u32 LE][header][body][crc]`. Blocks use it: a
/// bincode header, then a body the block module encodes by hand.
pub fn frame(header: &[u8], body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + 4 + header.len() + body.len() + CRC_LEN);
    out.push(FORMAT_VERSION);
    out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    out.extend_from_slice(header);
    out.extend_from_slice(body);
    seal(out)
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
    Ok((header, &rest[4 + hlen..], body_start))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_changed_byte_of_a_value_is_detected() {
        let v = encode("x", &"a stored value".to_string()).unwrap();
        for i in 0..v.len() {
            for bit in 0..8 {
                let mut w = v.clone();
                w[i] ^= 1 << bit;
                assert!(decode::<String>("x", &w).is_err(), "byte {i} bit {bit}");
            }
        }
        let mut f = frame(b"head", b"body");
        f[7] ^= 1;
        assert_eq!(
            unframe("x", &f).err(),
            Some(CodecError::Checksum { what: "x" })
        );
    }

    #[test]
    fn version_one_values_still_read_and_reseal_makes_them_version_two() {
        let v2 = frame(b"head", b"body");
        let mut v1 = v2[..v2.len() - CRC_LEN].to_vec();
        v1[0] = FORMAT_VERSION_1;
        assert_eq!(unframe("x", &v1).unwrap(), (&b"head"[..], &b"body"[..], 9));
        reseal(&mut v1);
        assert_eq!(v1, v2);
        let mut changed = v2.clone();
        changed[9] = b'B';
        reseal(&mut changed);
        assert_eq!(unframe("x", &changed).unwrap().1, b"Body");
    }

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
