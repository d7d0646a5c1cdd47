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
    walk_contact_block(
        bytes,
        |p, cur, raw, no| {
            let h = raw.head[0];
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
            Ok(Contact {
                no,
                name: rest.name,
                kind: enum_at(CONTACT_BLOCK, ContactKind::ALL, h & 1)?,
                company_no: company,
                salesperson_code: salesperson,
                language_code: rest.language_code,
                email: rest.email,
                correspondence_type: enum_at(
                    CONTACT_BLOCK,
                    CorrespondenceType::ALL,
                    (h >> 1) & 0b11,
                )?,
                exclude_from_segment: h & 0b1000 != 0,
                privacy_blocked: h & 0b1_0000 != 0,
                city: rest.city,
                post_code: rest.post_code,
                country_code: rest.country_code,
                phone: rest.phone,
            })
        },
        |c| &c.no,
    )
}

/// The contact numbers of a block, in order, without decoding the rest of each row (for
/// readers that need only the numbers; the block's structure is checked as by
/// [`decode_contact_block`], the rows' other fields are not).
pub fn decode_contact_block_nos(bytes: &[u8]) -> Result<Vec<ContactNo>, CodecError> {
    walk_contact_block(bytes, |_, _, _, no| Ok(no), |n| n)
}

type ContactParsed<'b> = Parsed<'b, ContactRest, Option<SalespersonCode>>;

/// Walks a contact block's rows with the structural checks every reader needs (dense keys,
/// restart table, head bits, increasing numbers, no comments) and makes one item per row.
fn walk_contact_block<'b, T>(
    bytes: &'b [u8],
    mut item: impl FnMut(
        &ContactParsed<'b>,
        &RowCursor<'b>,
        &RawRow<'b>,
        ContactNo,
    ) -> Result<T, CodecError>,
    no_of: impl Fn(&T) -> &ContactNo,
) -> Result<Vec<T>, CodecError> {
    let p: ContactParsed<'b> = parse(CONTACT_BLOCK, bytes)?;
    let n = p.header.rows as usize;
    if !matches!(p.header.keys, RowKeys::Dense) {
        return Err(corrupt(CONTACT_BLOCK, "row keys are not dense"));
    }
    let mut out: Vec<T> = Vec::with_capacity(n);
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
        let no = contact_no(CONTACT_BLOCK, cur.contact()?)?;
        if out.last().is_some_and(|l| *no_of(l) >= no) {
            return Err(corrupt(
                CONTACT_BLOCK,
                "contact numbers do not increase in the block",
            ));
        }
        if raw.comments.is_some() {
            return Err(corrupt(CONTACT_BLOCK, "a contact row with comments"));
        }
        out.push(item(&p, &cur, &raw, no)?);
    }
    cur.check_end()?;
    Ok(out)
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
            // The numbers-only reading gives the same numbers.
            let nos = decode_contact_block_nos(bl).unwrap();
            assert_eq!(nos, d.iter().map(|c| c.no.clone()).collect::<Vec<_>>());
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
        // The checksum covers the block: the numbers-only reading refuses it too.
        assert!(decode_contact_block_nos(&bl).is_err());
    }
}
