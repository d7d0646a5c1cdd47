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

/// A contact's fields as a block row takes them, borrowed from wherever they are (a
/// [`Contact`], or a batch's encoded bytes): a row is built without copying a text.
/// Its encoding is not stored on disk (a batch keeps contacts in it until they are written).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactView<'a> {
    /// Contact number.
    pub no: &'a str,
    /// Company or person.
    pub kind: ContactKind,
    /// Company number.
    #[serde(borrow)]
    pub company_no: Option<&'a str>,
    /// Salesperson.
    #[serde(borrow)]
    pub salesperson_code: Option<&'a str>,
    /// Correspondence type.
    pub correspondence_type: CorrespondenceType,
    /// Excluded from segments.
    pub exclude_from_segment: bool,
    /// Privacy blocked.
    pub privacy_blocked: bool,
    /// The texts and codes a row keeps as its own part.
    #[serde(borrow)]
    pub rest: ContactRestRef<'a>,
}

impl<'a> ContactView<'a> {
    /// The view of a contact.
    pub fn of(c: &'a Contact) -> Self {
        ContactView {
            no: c.no.as_str(),
            kind: c.kind,
            company_no: c.company_no.as_ref().map(ContactNo::as_str),
            salesperson_code: c.salesperson_code.as_ref().map(SalespersonCode::as_str),
            correspondence_type: c.correspondence_type,
            exclude_from_segment: c.exclude_from_segment,
            privacy_blocked: c.privacy_blocked,
            rest: ContactRestRef {
                name: &c.name,
                language_code: c.language_code.as_ref().map(LanguageCode::as_str),
                email: &c.email,
                city: &c.city,
                post_code: &c.post_code,
                country_code: c.country_code.as_ref().map(CountryCode::as_str),
                phone: &c.phone,
            },
        }
    }
}

impl ContactView<'_> {
    /// The contact, built (its codes checked as reading them from disk checks them).
    pub fn to_contact(&self) -> Result<Contact, crate::domain::DomainError> {
        fn code<T: TryFrom<String, Error = crate::domain::DomainError>>(
            s: Option<&str>,
        ) -> Result<Option<T>, crate::domain::DomainError> {
            s.map(|s| T::try_from(s.to_string())).transpose()
        }
        let r = &self.rest;
        Ok(Contact {
            no: ContactNo::try_from(self.no.to_string())?,
            name: r.name.to_string(),
            kind: self.kind,
            company_no: code(self.company_no)?,
            salesperson_code: code(self.salesperson_code)?,
            language_code: code(r.language_code)?,
            email: r.email.to_string(),
            correspondence_type: self.correspondence_type,
            exclude_from_segment: self.exclude_from_segment,
            privacy_blocked: self.privacy_blocked,
            city: r.city.to_string(),
            post_code: r.post_code.to_string(),
            country_code: code(r.country_code)?,
            phone: r.phone.to_string(),
        })
    }
}

impl SharedPart<ContactRest> for ContactRestRef<'_> {
    fn is(&self, s: &ContactRest) -> bool {
        self.name == s.name
            && self.language_code == s.language_code.as_ref().map(LanguageCode::as_str)
            && self.email == s.email
            && self.city == s.city
            && self.post_code == s.post_code
            && self.country_code == s.country_code.as_ref().map(CountryCode::as_str)
            && self.phone == s.phone
    }

    fn to_part(&self) -> Result<ContactRest, CodecError> {
        let bad = |e: crate::domain::DomainError| corrupt(CONTACT_BLOCK, &e.to_string());
        Ok(ContactRest {
            name: self.name.to_string(),
            language_code: self
                .language_code
                .map(|c| LanguageCode::try_from(c.to_string()))
                .transpose()
                .map_err(bad)?,
            email: self.email.to_string(),
            city: self.city.to_string(),
            post_code: self.post_code.to_string(),
            country_code: self
                .country_code
                .map(|c| CountryCode::try_from(c.to_string()))
                .transpose()
                .map_err(bad)?,
            phone: self.phone.to_string(),
        })
    }
}

/// Head byte: type (bit 0), correspondence type (bits 1–2), excluded from segments (bit 3),
/// privacy blocked (bit 4).
fn contact_head(c: &ContactView<'_>) -> [u8; 1] {
    [enum_index(ContactKind::ALL, c.kind)
        | enum_index(CorrespondenceType::ALL, c.correspondence_type) << 1
        | (c.exclude_from_segment as u8) << 3
        | (c.privacy_blocked as u8) << 4]
}

/// Builds contact blocks from contacts given in increasing number order. Deterministic.
pub struct ContactBlockBuilder {
    b: BlockBuilder<ContactRest, Option<SalespersonCode>>,
    n: u64,
    /// Every salesperson met, as the dictionary keeps it (a row names one by text).
    salespeople: rustc_hash::FxHashMap<Box<str>, Option<SalespersonCode>>,
}

/// The dictionary's value of a contact without a salesperson.
static NO_SALESPERSON: Option<SalespersonCode> = None;

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
            salespeople: Default::default(),
        }
    }

    /// Adds a contact (numbers must increase; the caller checks).
    pub fn push(&mut self, c: &ContactView<'_>) -> Result<(), CodecError> {
        let salesperson = match c.salesperson_code {
            None => &NO_SALESPERSON,
            Some(code) => {
                if !self.salespeople.contains_key(code) {
                    let stored = SalespersonCode::try_from(code.to_string())
                        .map_err(|e| corrupt(CONTACT_BLOCK, &e.to_string()))?;
                    self.salespeople.insert(code.into(), Some(stored));
                }
                &self.salespeople[code]
            }
        };
        let arg = SharedArg::Own(&c.rest);
        let (key, id, r) = self.b.place(self.n, arg, salesperson)?;
        self.n += 1;
        let own = match r {
            RowShared::Block => None,
            _ => Some(&c.rest),
        };
        let company = match c.company_no {
            None => CompanyArg::None,
            Some(co) if co == c.no => CompanyArg::Same,
            Some(co) => CompanyArg::Other(co),
        };
        self.b
            .write(key, &contact_head(c), id, company, c.no, own, &[])
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

/// A contact row's own part, its texts borrowed: the layout of [`ContactRest`] field for
/// field (a test holds them together), read from a block or given to one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactRestRef<'a> {
    /// Name.
    #[serde(borrow)]
    pub name: &'a str,
    /// Language.
    #[serde(borrow)]
    pub language_code: Option<&'a str>,
    /// E-mail address.
    #[serde(borrow)]
    pub email: &'a str,
    /// City.
    #[serde(borrow)]
    pub city: &'a str,
    /// Post code.
    #[serde(borrow)]
    pub post_code: &'a str,
    /// Country/region.
    #[serde(borrow)]
    pub country_code: Option<&'a str>,
    /// Phone number.
    #[serde(borrow)]
    pub phone: &'a str,
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
            b.push(&ContactView::of(c)).unwrap();
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

    /// Rows are written from the borrowed part: it must encode to the bytes of the owned one,
    /// which is what decoding reads.
    #[test]
    fn a_rows_borrowed_part_encodes_as_its_owned_part() {
        for c in (1..=30).map(contact) {
            let view = ContactView::of(&c);
            let owned: ContactRest = view.rest.to_part().unwrap();
            let (mut a, mut b) = (Vec::new(), Vec::new());
            codec::encode_part(CONTACT_BLOCK, &owned, &mut a).unwrap();
            codec::encode_part(CONTACT_BLOCK, &view.rest, &mut b).unwrap();
            assert_eq!(a, b);
            assert!(view.rest.is(&owned));
            assert_eq!(view.to_contact().unwrap(), c);
        }
    }

    #[test]
    fn a_damaged_contact_block_is_refused() {
        let mut b = ContactBlockBuilder::new();
        for c in (1..=50).map(contact) {
            b.push(&ContactView::of(&c)).unwrap();
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
        let rest = |language: Option<&'static str>, country: Option<&'static str>| ContactRestRef {
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
