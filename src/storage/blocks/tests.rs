//! Round trips of entry and line blocks.

use super::*;
use chrono::{NaiveDate, NaiveTime};

fn entry(n: u64, contact: &str, company: Option<&str>, sp: &str, eval: Evaluation) -> LogEntry {
    LogEntry {
        entry_no: EntryNo(n),
        contact_no: ContactNo::new(contact).unwrap(),
        contact_company_no: company.map(|c| ContactNo::new(c).unwrap()),
        date: NaiveDate::from_ymd_opt(2025, 3, 14).unwrap(),
        time_of_interaction: NaiveTime::from_hms_opt(9, 30, 0).unwrap(),
        description: "Mailing".into(),
        subject: "Mailing".into(),
        information_flow: InformationFlow::Outbound,
        initiated_by: InitiatedBy::Us,
        cost: Money(50),
        duration_min: 1,
        user_id: "T".into(),
        group_code: GroupCode::new("G").unwrap(),
        template_code: TemplateCode::new("T").unwrap(),
        campaign_no: None,
        campaign_entry_no: None,
        segment_no: Some(SegmentNo::new("S1").unwrap()),
        logged_segment_entry_no: Some(LoggedSegmentNo(3)),
        salesperson_code: SalespersonCode::new(sp).unwrap(),
        correspondence_type: CorrespondenceType::Email,
        language_code: None,
        evaluation: eval,
        attempt_failed: n.is_multiple_of(2),
        postponed: false,
        canceled: n.is_multiple_of(3),
        comments: Vec::new(),
    }
}

#[test]
fn flipping_flags_in_the_bytes_equals_decoding_and_re_encoding() {
    // Many salespeople (dictionary ids above 250 take three bytes), companies of each kind,
    // every evaluation.
    let entries: Vec<LogEntry> = (1..=600u64)
        .map(|n| {
            let company = match n % 3 {
                0 => None,
                1 => Some(format!("C{n}")),
                _ => Some("X".to_string()),
            };
            let contact = if n % 3 == 1 {
                format!("C{n}")
            } else {
                format!("P{n}")
            };
            entry(
                n,
                &contact,
                company.as_deref(),
                &format!("S{n}"),
                Evaluation::ALL[n as usize % 6],
            )
        })
        .collect();
    let mut b = EntryBlockBuilder::new();
    for e in &entries {
        b.push(e).unwrap();
    }
    for (_, bytes) in b.finish().unwrap() {
        let of =
            |l: u64| move |s: &EntryShared| s.logged_segment_entry_no == Some(LoggedSegmentNo(l));
        let decoded = EntryBlock::decode(&bytes).unwrap();
        let canceled_before = decoded.rows.iter().filter(|(_, r)| r.canceled()).count();
        for on in [true, false] {
            let FlagFlip::All {
                bytes: patched,
                rows,
                changed,
            } = set_flag_where(&bytes, of(3), FLAG_CANCELED, on).unwrap()
            else {
                panic!("every row belongs to logged segment 3");
            };
            let mut expected = decoded.clone();
            for (_, r) in expected.rows.iter_mut() {
                r.set_flag(FLAG_CANCELED, on);
            }
            assert_eq!(rows as usize, expected.rows.len());
            let want = if on {
                expected.rows.len() - canceled_before
            } else {
                canceled_before
            };
            assert_eq!(changed as usize, want);
            assert_eq!(EntryBlock::decode(&patched).unwrap(), expected);
        }
        assert_eq!(
            set_flag_where(&bytes, of(4), FLAG_CANCELED, true).unwrap(),
            FlagFlip::Nothing
        );
    }
}

/// Reading a block's contacts with the row cursor alone gives what a whole decode gives.
#[test]
fn the_contacts_of_an_entry_block_read_alone_match_a_whole_decode() {
    let entries: Vec<LogEntry> = (1..=20_000u64)
        .map(|n| {
            // Out of contact order, some numbers repeated, lengths varying.
            let contact = format!("C{:0w$}", (n * 7919) % 1000, w = 1 + (n % 5) as usize);
            entry(n, &contact, None, &format!("S{n}"), Evaluation::Blank)
        })
        .collect();
    let mut b = EntryBlockBuilder::new();
    for e in &entries {
        b.push(e).unwrap();
    }
    let mut blocks = 0;
    for (_, bytes) in b.finish().unwrap() {
        let want: Vec<(String, EntryNo)> = EntryBlock::decode(&bytes)
            .unwrap()
            .iter()
            .map(|e| (e.row.contact_no.as_str().to_string(), e.entry_no))
            .collect();
        let mut got = Vec::new();
        for_each_contact_in_block(&bytes, |c, n| got.push((c.to_string(), n))).unwrap();
        assert_eq!(got, want);
        blocks += 1;
    }
    assert!(blocks > 1, "the entries fill more than one block");
}
