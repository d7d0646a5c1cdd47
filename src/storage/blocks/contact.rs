//! Contact blocks: up to [`MAX_BLOCK_ROWS`] contacts in contact-number order per value, in the
//! same row codec as entry and line blocks.
//!
//! A row holds the contact number (prefix-compressed against the previous row's), its company
//! (none, itself, the previous row's company, the previous row, or written out), the
//! salesperson as an index into the block's dictionary, one head byte (type, correspondence
//! type, the two flags) and, as the row's own "shared part", the free texts and codes
//! ([`ContactRest`]; a row whose rest equals the block's stores none). The encoding is part of
//! the on-disk format.

use serde::{Deserialize, Serialize};

use super::row::*;
use super::*;
use crate::storage::codec::{self, CodecError};

const CONTACT_BLOCK: &str = "contact block";

/// The fields of a contact a row keeps as its own part (texts and codes).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactRest {
    /// Name.
    pub name: String,
    /// Language.
    pub language_code: Option<LanguageCode>,
    /// E-mail address.
    pub email: String,
    /// City.
    pub city: String,
    /// Post code.
    pub post_code: String,
    /// Country/region.
    pub country_code: Option<CountryCode>,
    /// Phone number.
    pub phone: String,
}

impl ContactRest {
    fn of(c: &Contact) -> Self {
        ContactRest {
            name: c.name.clone(),
            language_code: c.language_code.clone(),
            email: c.email.clone(),
            city: c.city.clone(),
            post_code: c.post_code.clone(),
            country_code: c.country_code.clone(),
            phone: c.phone.clone(),
        }
    }
}

/// Head byte: type (bit 0), correspondence type (bits 1–2), excluded from segments (bit 3),
/// privacy blocked (bit 4).
fn contact_head(c: &Contact) -> [u8; 1] {
    [enum_index(ContactKind::ALL, c.kind)
        | enum_index(CorrespondenceType::ALL, c.correspondence_type) << 1
        | (c.exclude_from_segment as u8) << 3
        | (c.privacy_blocked as u8) << 4]
}

/// Builds contact blocks from contacts given in increasing number order. Deterministic.
pub struct ContactBlockBuilder {
    b: BlockBuilder<ContactRest, Option<SalespersonCode>>,
    n: u64,
}

impl Default for ContactBlockBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ContactBlockBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        ContactBlockBuilder {
            b: BlockBuilder::new(CONTACT_BLOCK, None, true),
            n: 0,
        }
    }

    /// Adds a contact (numbers must increase; the caller checks).
    pub fn push(&mut self, c: &Contact) -> Result<(), CodecError> {
        let rest = ContactRest::of(c);
        let arg = SharedArg::Own(&rest);
        let (key, id, r) = self.b.place(self.n, arg, &c.salesperson_code)?;
        self.n += 1;
        let own = match r {
            RowShared::Block => None,
            _ => Some(&rest),
        };
        self.b.write(
            key,
            &contact_head(c),
            id,
            CompanyRef::new(&c.no, c.company_no.as_ref()).arg(),
            c.no.as_str(),
            own,
            &[],
        )
    }

    /// Finished blocks so far (the open block stays open), in order.
    pub fn take_done(&mut self) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.b.done)
            .into_iter()
            .map(|(_, b)| b)
            .collect()
    }

    /// Closes the open block and returns every block not yet taken.
    pub fn finish(self) -> Result<Vec<Vec<u8>>, CodecError> {
        Ok(self.b.finish()?.into_iter().map(|(_, b)| b).collect())
    }
}

/// Decodes a whole contact block, checking that its numbers increase.
pub fn decode_contact_block(bytes: &[u8]) -> Result<Vec<Contact>, CodecError> {
    let mut out = Vec::new();
    walk_contact_block(bytes, |p, cur, raw, no| {
        let h = raw.head[0];
        let no = contact_no(CONTACT_BLOCK, no)?;
        let salesperson = p
            .header
            .dict
            .get(raw.salesperson as usize)
            .ok_or_else(|| corrupt(CONTACT_BLOCK, "salesperson index out of range"))?
            .clone();
        let company = company_ref(CONTACT_BLOCK, raw.company, cur)?.resolve(&no);
        let rest: ContactRest = match raw.shared {
            Some(s) => codec::decode_part(CONTACT_BLOCK, s)?,
            None => p.header.shared.clone(),
        };
        out.push(Contact {
            no,
            name: rest.name,
            kind: enum_at(CONTACT_BLOCK, ContactKind::ALL, h & 1)?,
            company_no: company,
            salesperson_code: salesperson,
            language_code: rest.language_code,
            email: rest.email,
            correspondence_type: enum_at(CONTACT_BLOCK, CorrespondenceType::ALL, (h >> 1) & 0b11)?,
            exclude_from_segment: h & 0b1000 != 0,
            privacy_blocked: h & 0b1_0000 != 0,
            city: rest.city,
            post_code: rest.post_code,
            country_code: rest.country_code,
            phone: rest.phone,
        });
        Ok(())
    })?;
    Ok(out)
}

/// What [`check_contact_block`] found in a sound block.
#[derive(Debug, PartialEq, Eq)]
pub struct ContactBlockSummary {
    /// Rows (contacts).
    pub rows: usize,
    /// First contact number.
    pub first: String,
    /// Last contact number.
    pub last: String,
}

/// A contact row's own part as stored, borrowing its texts from the block: the layout of
/// [`ContactRest`] field for field (a test holds them together).
#[derive(Deserialize)]
struct ContactRestRef<'a> {
    #[serde(borrow)]
    _name: &'a str,
    #[serde(borrow)]
    language_code: Option<&'a str>,
    #[serde(borrow)]
    _email: &'a str,
    #[serde(borrow)]
    _city: &'a str,
    #[serde(borrow)]
    _post_code: &'a str,
    #[serde(borrow)]
    country_code: Option<&'a str>,
    #[serde(borrow)]
    _phone: &'a str,
}

/// Checks a row's own part as [`decode_contact_block`] reads it, without building it.
fn check_rest(bytes: &[u8]) -> Result<(), CodecError> {
    let r: ContactRestRef<'_> = codec::decode_part_borrowed(CONTACT_BLOCK, bytes)?;
    let bad = |e: crate::domain::DomainError| corrupt(CONTACT_BLOCK, &e.to_string());
    if let Some(c) = r.language_code {
        LanguageCode::check_stored(c).map_err(bad)?;
    }
    if let Some(c) = r.country_code {
        CountryCode::check_stored(c).map_err(bad)?;
    }
    Ok(())
}

/// Checks a whole contact block as [`decode_contact_block`] would refuse it, without building
/// its contacts (verify reads millions): every row's number, company, salesperson, type and
/// own part. Each row's number goes to `on_row` once the row is checked.
pub fn check_contact_block(
    bytes: &[u8],
    on_row: &mut dyn FnMut(&str),
) -> Result<ContactBlockSummary, CodecError> {
    let mut rows = 0;
    let mut first = String::new();
    let bad = |e: crate::domain::DomainError| corrupt(CONTACT_BLOCK, &e.to_string());
    let last = walk_contact_block(bytes, |p, cur, raw, no| {
        ContactNo::check_stored(no).map_err(bad)?;
        if rows == 0 {
            first = no.to_string();
        }
        rows += 1;
        let h = raw.head[0];
        if p.header.dict.get(raw.salesperson as usize).is_none() {
            return Err(corrupt(CONTACT_BLOCK, "salesperson index out of range"));
        }
        if raw.company == RawCompany::Other {
            ContactNo::check_stored(cur.company()?).map_err(bad)?;
        }
        if let Some(s) = raw.shared {
            check_rest(s)?;
        }
        enum_at(CONTACT_BLOCK, ContactKind::ALL, h & 1)?;
        enum_at(CONTACT_BLOCK, CorrespondenceType::ALL, (h >> 1) & 0b11)?;
        on_row(no);
        Ok(())
    })?;
    Ok(ContactBlockSummary { rows, first, last })
}

type ContactParsed<'b> = Parsed<'b, ContactRest, Option<SalespersonCode>>;

/// Walks a contact block's rows with the structural checks every reader needs (dense keys,
/// restart table, head bits, increasing numbers, no comments), handing each row and its
/// number (as stored, not yet checked as a code) to `row`. Returns the last number.
fn walk_contact_block<'b>(
    bytes: &'b [u8],
    mut row: impl FnMut(&ContactParsed<'b>, &RowCursor<'b>, &RawRow<'b>, &str) -> Result<(), CodecError>,
) -> Result<String, CodecError> {
    let p: ContactParsed<'b> = parse(CONTACT_BLOCK, bytes)?;
    let n = p.header.rows as usize;
    if !matches!(p.header.keys, RowKeys::Dense) {
        return Err(corrupt(CONTACT_BLOCK, "row keys are not dense"));
    }
    let mut prev = String::new();
    let mut cur = RowCursor::new(CONTACT_BLOCK, p.body, n, 1);
    while let Some(raw) = cur.next()? {
        let i = cur.row - 1;
        if i.is_multiple_of(RESTART) && p.header.restarts[i / RESTART] as usize != raw.row_start {
            return Err(corrupt(
                CONTACT_BLOCK,
                "restart table does not match the rows",
            ));
        }
        if raw.head[0] & !0b1_1111 != 0 {
            return Err(corrupt(CONTACT_BLOCK, "unknown bits in a contact row"));
        }
        let no = cur.contact()?;
        if i > 0 && prev.as_str() >= no {
            return Err(corrupt(
                CONTACT_BLOCK,
                "contact numbers do not increase in the block",
            ));
        }
        if raw.comments.is_some() {
            return Err(corrupt(CONTACT_BLOCK, "a contact row with comments"));
        }
        row(&p, &cur, &raw, no)?;
        prev.clear();
        prev.push_str(no);
    }
    cur.check_end()?;
    Ok(prev)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact(i: u32) -> Contact {
        let kind = if i.is_multiple_of(5) {
            ContactKind::Company
        } else {
            ContactKind::Person
        };
        let no = ContactNo::new(&format!("CT{i:06}")).unwrap();
        let mut c = Contact::new(no, &format!("Contact {i}"), kind);
        if kind == ContactKind::Person && !i.is_multiple_of(3) {
            c.company_no = Some(ContactNo::new(&format!("CT{:06}", i - i % 5)).unwrap());
        }
        if i.is_multiple_of(7) {
            c.company_no = None;
        }
        c.salesperson_code =
            (!i.is_multiple_of(4)).then(|| SalespersonCode::new(&format!("S{}", i % 9)).unwrap());
        c.email = if i.is_multiple_of(2) {
            format!("c{i}@x.example")
        } else {
            String::new()
        };
        c.correspondence_type = CorrespondenceType::ALL[i as usize % 3];
        c.exclude_from_segment = i.is_multiple_of(11);
        c.privacy_blocked = i.is_multiple_of(13);
        c.city = "Ålborg".into();
        c
    }

    #[test]
    fn contacts_round_trip_through_blocks_cut_at_the_limits() {
        let all: Vec<Contact> = (1..=20_000).map(contact).collect();
        let mut b = ContactBlockBuilder::new();
        let mut blocks = Vec::new();
        for c in &all {
            b.push(c).unwrap();
            blocks.extend(b.take_done());
        }
        blocks.extend(b.finish().unwrap());
        assert!(blocks.len() > 2, "20,000 contacts fill several blocks");
        let mut back = Vec::new();
        for bl in &blocks {
            assert!(bl.len() < MAX_BLOCK_BYTES + 4096);
            let d = decode_contact_block(bl).unwrap();
            assert!(d.len() <= MAX_BLOCK_ROWS);
            // The check gives the same numbers and summary.
            let mut seen = Vec::new();
            let summary = check_contact_block(bl, &mut |no| seen.push(no.to_string())).unwrap();
            assert_eq!(seen, d.iter().map(|c| c.no.to_string()).collect::<Vec<_>>());
            assert_eq!(
                summary,
                ContactBlockSummary {
                    rows: d.len(),
                    first: d[0].no.to_string(),
                    last: d[d.len() - 1].no.to_string(),
                }
            );
            back.extend(d);
        }
        assert_eq!(back, all);
    }

    #[test]
    fn a_damaged_contact_block_is_refused() {
        let mut b = ContactBlockBuilder::new();
        for c in (1..=50).map(contact) {
            b.push(&c).unwrap();
        }
        let mut bl = b.finish().unwrap().remove(0);
        let i = bl.len() / 2;
        bl[i] ^= 0x10;
        assert!(decode_contact_block(&bl).is_err());
        // The checksum covers the block: the check refuses it too.
        assert!(check_contact_block(&bl, &mut |_| {}).is_err());
    }

    /// The borrowed check reads a row's own part exactly as the decode does: same layout, same
    /// refusals of a code that is not one.
    #[test]
    fn a_rows_own_part_is_checked_as_it_is_decoded() {
        #[derive(Serialize)]
        struct AnyRest<'a> {
            name: &'a str,
            language_code: Option<&'a str>,
            email: &'a str,
            city: &'a str,
            post_code: &'a str,
            country_code: Option<&'a str>,
            phone: &'a str,
        }
        let rest = |language: Option<&'static str>, country: Option<&'static str>| AnyRest {
            name: "Name",
            language_code: language,
            email: "a@b.c",
            city: "Town",
            post_code: "1234",
            country_code: country,
            phone: "+1 555",
        };
        for (language, country, ok) in [
            (None, None, true),
            (Some("ENU"), Some("US"), true),
            (Some("enu"), None, true), // upper-cased when read, as typed input is
            (Some(""), None, false),
            (None, Some("A\u{7}B"), false),
            (None, Some("MUCH-TOO-LONG-FOR-A-COUNTRY"), false),
        ] {
            let mut bytes = Vec::new();
            codec::encode_part(CONTACT_BLOCK, &rest(language, country), &mut bytes).unwrap();
            let decoded = codec::decode_part::<ContactRest>(CONTACT_BLOCK, &bytes);
            let checked = check_rest(&bytes);
            assert_eq!(decoded.is_ok(), ok, "{language:?} {country:?}: {decoded:?}");
            assert_eq!(checked.is_ok(), ok, "{language:?} {country:?}: {checked:?}");
        }
        // Trailing bytes are refused by both.
        let mut bytes = Vec::new();
        codec::encode_part(CONTACT_BLOCK, &rest(None, None), &mut bytes).unwrap();
        bytes.push(0);
        assert!(codec::decode_part::<ContactRest>(CONTACT_BLOCK, &bytes).is_err());
        assert!(check_rest(&bytes).is_err());
    }
}
