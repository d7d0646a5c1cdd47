//! The stored format cannot drift: checked-in bytes in `fixtures/format/v2/` (a contact, a
//! number series, an entry block of two entries, a segment line block of two lines, a user
//! setup, saved segment criteria of four actions) decode to
//! the values built here, and encoding those values gives the same bytes. The same values in
//! format version 1 (`fixtures/format/v1/`, written before values carried a checksum) still
//! decode. Bad bytes (unknown version, failing checksum, truncated, random, bit flips) are
//! errors, never panics; values round-trip.
//!
//! If a fixture test fails, the format changed: a real format change bumps `FORMAT_VERSION`,
//! keeps a decoder for the older versions and adds new fixtures next to `v2/`. Only when the
//! `v2/` files themselves should change (e.g. the values below were extended) regenerate them
//! with `cargo test --test codec -- --ignored regenerate_format_fixtures` (see
//! `fixtures/README.md`).

mod common;

use chrono::{NaiveDate, NaiveTime};
use common::*;
use interlog::domain::*;
use interlog::storage::blocks::{EntryBlock, EntryBlockBuilder, LineBlock, LineBlockBuilder};
use interlog::storage::codec::{self, CodecError, FORMAT_VERSION, FORMAT_VERSION_1};
use proptest::prelude::*;

/// The values the checked-in fixtures hold.
struct Expected {
    contact: Contact,
    series: NoSeries,
    user_setup: UserSetup,
    entries: Vec<LogEntry>,
    lines: Vec<SegmentLine>,
    saved: SavedCriteria,
}

impl Expected {
    fn new() -> Expected {
        let time = NaiveTime::from_hms_opt(9, 31, 0).expect("time");
        let person = Contact {
            no: contact("CT100125"),
            name: "Andrew Lan — Düsseldorf".into(),
            kind: ContactKind::Person,
            company_no: Some(contact("CT100239")),
            salesperson_code: Some(sp("HR")),
            language_code: Some(LanguageCode::new("ENG").expect("lang")),
            email: "andrew.lan@contoso.com".into(),
            correspondence_type: CorrespondenceType::HardCopy,
            exclude_from_segment: true,
            privacy_blocked: false,
            city: "Manchester".into(),
            post_code: "GB-M61 2YG".into(),
            country_code: Some(CountryCode::new("GB").expect("country")),
            phone: "+44 161 555 0100".into(),
        };
        let mut second = SeriesLine::new("CT2026-0001");
        second.starting_date = Some(date("2026-01-01"));
        second.ending_no = Some("CT2026-9999".into());
        second.warning_no = Some("CT2026-9000".into());
        second.increment_by = 5;
        second.last_no_used = Some("CT2026-0011".into());
        second.last_date_used = Some(date("2026-02-03"));
        let mut series = NoSeries::simple(
            SeriesCode::new("CONT").expect("series"),
            "Contact",
            "CT000001",
            Some("CT100000"),
        );
        series.manual_nos = false;
        series.lines[0].open = false;
        series.lines.push(second);
        let first = LogEntry {
            entry_no: EntryNo(1001),
            contact_no: contact("CT100239"),
            contact_company_no: Some(contact("CT100239")),
            date: day(),
            time_of_interaction: time,
            description: "Golf event".into(),
            subject: "Golf in May".into(),
            information_flow: InformationFlow::Outbound,
            initiated_by: InitiatedBy::Us,
            cost: money("8.00"),
            duration_min: 1,
            user_id: "TEST".into(),
            group_code: GroupCode::new("LETTER").expect("group"),
            template_code: template("GOLF"),
            campaign_no: Some(campaign("CP1002")),
            campaign_entry_no: Some(CampaignEntryNo(7)),
            segment_no: Some(seg("SM00001")),
            logged_segment_entry_no: Some(LoggedSegmentNo(3)),
            salesperson_code: sp("HR"),
            correspondence_type: CorrespondenceType::Email,
            language_code: Some(LanguageCode::new("ENG").expect("lang")),
            evaluation: Evaluation::Positive,
            attempt_failed: false,
            postponed: false,
            canceled: true,
            comments: vec![Comment {
                date: day(),
                text: "Will bring a colleague".into(),
            }],
        };
        let second_entry = LogEntry {
            entry_no: EntryNo(1002),
            contact_no: contact("CT100125"),
            contact_company_no: Some(contact("CT100239")),
            description: "Golf event (typed)".into(),
            salesperson_code: sp("JO"),
            correspondence_type: CorrespondenceType::Blank,
            evaluation: Evaluation::VeryNegative,
            attempt_failed: true,
            canceled: false,
            comments: Vec::new(),
            ..first.clone()
        };
        let first_line = SegmentLine {
            line_no: 10000,
            contact_no: contact("CT100240"),
            contact_company_no: Some(contact("CT100240")),
            contact_profile: ContactProfile {
                correspondence_type: CorrespondenceType::Blank,
                has_email: true,
            },
            template_code: Some(template("BUS")),
            group_code: Some(GroupCode::new("LETTER").expect("group")),
            description: "Spring letter".into(),
            description_typed: false,
            subject: "Spring".into(),
            cost: money("8.00"),
            duration_min: 30,
            date: day(),
            time: None,
            salesperson_code: Some(sp("LT")),
            correspondence_type: CorrespondenceType::HardCopy,
            language_code: None,
            campaign_no: Some(campaign("CP1001")),
            evaluation: Evaluation::Blank,
            information_flow: InformationFlow::Outbound,
            initiated_by: InitiatedBy::Us,
            attempt_failed: false,
        };
        let second_line = SegmentLine {
            line_no: 20000,
            contact_no: contact("CT100124"),
            contact_company_no: Some(contact("CT100240")),
            contact_profile: ContactProfile {
                correspondence_type: CorrespondenceType::Email,
                has_email: false,
            },
            description: "Typed for Adam".into(),
            description_typed: true,
            cost: money("12.34"),
            time: Some(time),
            salesperson_code: None,
            correspondence_type: CorrespondenceType::Blank,
            evaluation: Evaluation::Neutral,
            attempt_failed: true,
            ..first_line.clone()
        };
        let saved = SavedCriteria {
            code: CriteriaCode::new("NEWPORT").expect("code"),
            description: "Newport persons, not CT100147 — Düsseldorf too".into(),
            user_id: UserId::new("TEST").expect("user"),
            actions: vec![
                SavedCriteriaAction {
                    kind: CriteriaKind::Add,
                    filters: vec!["City=Newport|Düsseldorf".into(), "Type=Person".into()],
                    options: CriteriaOptions {
                        allow_existing: true,
                        expand_companies: false,
                        related_companies: true,
                        ignore_exclusion: true,
                        entire_companies: false,
                    },
                    logged_segment: None,
                },
                SavedCriteriaAction {
                    kind: CriteriaKind::Reduce,
                    filters: vec!["No.=CT100147".into()],
                    options: CriteriaOptions::default(),
                    logged_segment: None,
                },
                SavedCriteriaAction {
                    kind: CriteriaKind::Refine,
                    filters: Vec::new(),
                    options: CriteriaOptions {
                        entire_companies: true,
                        ..CriteriaOptions::default()
                    },
                    logged_segment: None,
                },
                SavedCriteriaAction {
                    kind: CriteriaKind::ReuseLogged,
                    filters: vec!["Evaluation=positive".into()],
                    options: CriteriaOptions::default(),
                    logged_segment: Some(LoggedSegmentNo(12)),
                },
            ],
        };
        Expected {
            contact: person,
            series,
            user_setup: UserSetup {
                user_id: UserId::new("alice").expect("user"),
                salesperson_code: Some(sp("JO")),
            },
            entries: vec![first, second_entry],
            lines: vec![first_line, second_line],
            saved,
        }
    }

    /// Each fixture file's name with the bytes encoding the expected value gives.
    fn encoded(&self) -> Vec<(&'static str, Vec<u8>)> {
        let mut entries = EntryBlockBuilder::new();
        for e in &self.entries {
            entries.push(e).expect("push entry");
        }
        let mut entry_blocks = entries.finish().expect("entry block");
        assert_eq!(entry_blocks.len(), 1, "two entries make one block");
        let mut lines = LineBlockBuilder::new();
        for l in &self.lines {
            lines.push(l).expect("push line");
        }
        let mut line_blocks = lines.finish().expect("line block");
        assert_eq!(line_blocks.len(), 1, "two lines make one block");
        vec![
            (
                "contact.bin",
                codec::encode("contact", &self.contact).expect("contact"),
            ),
            (
                "no_series.bin",
                codec::encode("number series", &self.series).expect("series"),
            ),
            ("entry_block.bin", entry_blocks.remove(0).1),
            ("line_block.bin", line_blocks.remove(0).1),
            (
                "user_setup.bin",
                codec::encode("user setup", &self.user_setup).expect("user setup"),
            ),
            (
                "saved_criteria.bin",
                codec::encode("saved criteria", &self.saved).expect("saved criteria"),
            ),
        ]
    }

    /// The checked-in bytes of one fixture file of the current format.
    fn stored(name: &str) -> Vec<u8> {
        Self::stored_in("v2", name)
    }

    /// The checked-in bytes of one fixture file of format version 1 (no checksum).
    fn stored_v1(name: &str) -> Vec<u8> {
        Self::stored_in("v1", name)
    }

    /// The checked-in bytes of a fixture of each format version.
    fn stored_all(name: &str) -> [Vec<u8>; 2] {
        [Self::stored_v1(name), Self::stored(name)]
    }

    fn stored_in(version: &str, name: &str) -> Vec<u8> {
        let path = fixture(&format!("format/{version}/{name}"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }
}

#[test]
#[ignore = "writes fixtures/format/v2; run only for an intended format change"]
fn regenerate_format_fixtures() {
    let dir = fixture("format/v2");
    std::fs::create_dir_all(&dir).expect("create fixtures/format/v2");
    for (name, bytes) in Expected::new().encoded() {
        std::fs::write(dir.join(name), bytes).expect("write fixture");
    }
}

#[test]
fn fixtures_hold_their_format_version() {
    assert_eq!(FORMAT_VERSION, 2, "a new version needs fixtures/format/v3");
    for (name, _) in Expected::new().encoded() {
        assert_eq!(Expected::stored_v1(name)[0], FORMAT_VERSION_1, "{name}");
        assert_eq!(Expected::stored(name)[0], 2, "{name}");
    }
}

#[test]
fn a_changed_byte_anywhere_in_a_stored_value_fails_its_checksum() {
    for (name, _) in Expected::new().encoded() {
        let bytes = Expected::stored(name);
        for i in 1..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x20;
            let errors = [
                codec::decode::<Contact>("contact", &b).err(),
                EntryBlock::decode(&b).err(),
                LineBlock::decode(&b).err(),
            ];
            for err in errors {
                assert!(
                    matches!(err, Some(CodecError::Checksum { .. })),
                    "{name} byte {i}: {err:?}"
                );
            }
        }
    }
}

#[test]
fn encoding_the_expected_values_gives_the_checked_in_bytes() {
    for (name, bytes) in Expected::new().encoded() {
        assert!(
            Expected::stored(name) == bytes,
            "{name}: the encoding changed — see the module docs"
        );
    }
}

#[test]
fn stored_contact_decodes_to_the_expected_contact() {
    for bytes in Expected::stored_all("contact.bin") {
        let got: Contact = codec::decode("contact", &bytes).expect("decode");
        assert_eq!(got, Expected::new().contact);
    }
}

#[test]
fn stored_number_series_decodes_to_the_expected_series() {
    for bytes in Expected::stored_all("no_series.bin") {
        let got: NoSeries = codec::decode("number series", &bytes).expect("decode");
        assert_eq!(got, Expected::new().series);
    }
}

#[test]
fn stored_entry_block_of_format_one_decodes_to_the_expected_entries() {
    let bytes = Expected::stored_v1("entry_block.bin");
    let expected = Expected::new().entries;
    let block = EntryBlock::decode(&bytes).expect("decode");
    assert_eq!(block.entries(), expected);
    for e in &expected {
        assert_eq!(
            EntryBlock::read_one(&bytes, e.entry_no).expect("read one"),
            Some(e.clone())
        );
    }
    // Re-encoding writes the current format, which reads back the same.
    let again = block.encode().expect("encode");
    assert!(again == Expected::stored("entry_block.bin"));
}

#[test]
fn stored_user_setup_decodes_to_the_expected_user_setup() {
    for bytes in Expected::stored_all("user_setup.bin") {
        let got: UserSetup = codec::decode("user setup", &bytes).expect("decode");
        assert_eq!(got, Expected::new().user_setup);
    }
}

#[test]
fn stored_entry_block_decodes_to_the_expected_entries() {
    let bytes = Expected::stored("entry_block.bin");
    let expected = Expected::new().entries;
    let block = EntryBlock::decode(&bytes).expect("decode");
    assert_eq!(block.first, EntryNo(1001));
    assert_eq!(block.entries(), expected);
    for e in &expected {
        assert_eq!(
            EntryBlock::read_one(&bytes, e.entry_no).expect("read one"),
            Some(e.clone())
        );
    }
    assert_eq!(
        EntryBlock::read_one(&bytes, EntryNo(1003)).expect("read one"),
        None
    );
    // A decoded block encodes back to the same bytes, and so does a block made from entries.
    assert!(block.encode().expect("encode") == bytes);
    let from_entries = EntryBlock::from_entries(&expected).expect("block");
    assert!(from_entries.encode().expect("encode") == bytes);
}

#[test]
fn stored_line_block_decodes_to_the_expected_lines() {
    for bytes in Expected::stored_all("line_block.bin") {
        let block = LineBlock::decode(&bytes).expect("decode");
        assert_eq!(block.first_line, 10000);
        assert_eq!(block.lines(), Expected::new().lines);
        let summary = LineBlock::summary(&bytes).expect("summary");
        assert_eq!((summary.first_line, summary.rows), (10000, 2));
    }
}

#[test]
fn stored_saved_criteria_decode_to_the_expected_criteria() {
    // Saved criteria are newer than format version 1; `v1/` holds the same value in version
    // 1's encoding, which is still read.
    for bytes in Expected::stored_all("saved_criteria.bin") {
        let got: SavedCriteria = codec::decode("saved criteria", &bytes).expect("decode");
        assert_eq!(got, Expected::new().saved);
    }
}

#[test]
fn an_unknown_version_byte_is_refused() {
    for (name, _) in Expected::new().encoded() {
        let mut bytes = Expected::stored(name);
        bytes[0] = FORMAT_VERSION + 1;
        let errors = [
            codec::decode::<Contact>("contact", &bytes).err(),
            codec::decode::<NoSeries>("number series", &bytes).err(),
            EntryBlock::decode(&bytes).err(),
            LineBlock::decode(&bytes).err(),
        ];
        for err in errors {
            assert!(
                matches!(
                    err,
                    Some(CodecError::UnknownVersion {
                        found: 3,
                        supported: 2,
                        ..
                    })
                ),
                "{name}: {err:?}"
            );
        }
    }
}

#[test]
fn empty_bytes_are_refused() {
    assert!(matches!(
        codec::decode::<Contact>("contact", &[]),
        Err(CodecError::Empty { .. })
    ));
    assert!(matches!(
        EntryBlock::decode(&[]),
        Err(CodecError::Empty { .. })
    ));
    assert!(matches!(
        LineBlock::decode(&[]),
        Err(CodecError::Empty { .. })
    ));
}

#[test]
fn every_truncation_and_trailing_garbage_is_an_error() {
    for (name, _) in Expected::new().encoded() {
        for bytes in Expected::stored_all(name) {
            let decodes = |b: &[u8]| match name {
                "contact.bin" => codec::decode::<Contact>("contact", b).map(|_| ()),
                "no_series.bin" => codec::decode::<NoSeries>("number series", b).map(|_| ()),
                "entry_block.bin" => EntryBlock::decode(b).map(|_| ()),
                "user_setup.bin" => codec::decode::<UserSetup>("user setup", b).map(|_| ()),
                "saved_criteria.bin" => {
                    codec::decode::<SavedCriteria>("saved criteria", b).map(|_| ())
                }
                _ => LineBlock::decode(b).map(|_| ()),
            };
            decodes(&bytes).expect("the whole value decodes");
            for cut in 0..bytes.len() {
                assert!(decodes(&bytes[..cut]).is_err(), "{name} cut at {cut}");
            }
            let mut longer = bytes.clone();
            longer.push(0);
            assert!(decodes(&longer).is_err(), "{name} with a trailing byte");
        }
    }
}

/// Rewrites a framed block so that its header's first field (the block's first number, a
/// bincode varint) is `first`, with a valid checksum (the decoder, not the checksum, must
/// refuse it).
fn with_first(bytes: &[u8], first: u64) -> Vec<u8> {
    let hlen = u32::from_le_bytes(bytes[1..5].try_into().unwrap()) as usize;
    let header = &bytes[5..5 + hlen];
    let old = match header[0] {
        0..=250 => 1,
        251 => 3,
        252 => 5,
        _ => 9,
    };
    let mut h = vec![253];
    h.extend_from_slice(&first.to_le_bytes());
    h.extend_from_slice(&header[old..]);
    let mut out = vec![bytes[0]];
    out.extend_from_slice(&(h.len() as u32).to_le_bytes());
    out.extend_from_slice(&h);
    out.extend_from_slice(&bytes[5 + hlen..]);
    codec::reseal(&mut out);
    out
}

#[test]
fn block_numbers_that_overflow_are_corrupt_not_a_panic() {
    let fixture = Expected::new();
    let entry_block = EntryBlock::from_entries(&fixture.entries).expect("block");
    assert!(entry_block.rows.len() > 1);
    let bytes = with_first(&entry_block.encode().expect("encode"), u64::MAX);
    let entries = std::panic::catch_unwind(|| EntryBlock::decode(&bytes).map(|b| b.entries()));
    assert!(
        matches!(entries, Ok(Err(CodecError::Corrupt { .. }))),
        "entry block: {entries:?}"
    );
    assert!(EntryBlock::read_one(&bytes, EntryNo(u64::MAX)).is_err());

    let mut b = LineBlockBuilder::new();
    for l in &fixture.lines {
        b.push(l).expect("push line");
    }
    let line_bytes = b.finish().expect("finish").remove(0).1;
    let bytes = with_first(&line_bytes, u64::MAX - 1);
    let lines = std::panic::catch_unwind(|| LineBlock::decode(&bytes).map(|b| b.lines()));
    assert!(
        matches!(lines, Ok(Err(CodecError::Corrupt { .. }))),
        "line block: {lines:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_bytes_never_panic(mut bytes in proptest::collection::vec(any::<u8>(), 0..300), versioned in any::<bool>()) {
        // Format version 1 has no checksum, so random bytes reach the decoders.
        if versioned && !bytes.is_empty() {
            bytes[0] = FORMAT_VERSION_1;
        }
        if let Ok(b) = EntryBlock::decode(&bytes) {
            let _ = b.entries();
        }
        let _ = EntryBlock::read_one(&bytes, EntryNo(1));
        if let Ok(b) = LineBlock::decode(&bytes) {
            let _ = b.lines();
        }
        let _ = codec::decode::<Contact>("contact", &bytes);
        let _ = codec::decode::<NoSeries>("number series", &bytes);
        let _ = codec::decode::<SavedCriteria>("saved criteria", &bytes);
    }

    #[test]
    fn truncated_or_flipped_fixtures_never_panic(
        which in 0usize..6,
        cut in any::<prop::sample::Index>(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..8), 0..4),
    ) {
        let (name, _) = Expected::new().encoded().remove(which);
        // Format version 1 (no checksum), so flipped bytes reach the decoders.
        let mut bytes = Expected::stored_v1(name);
        for (at, bit) in flips {
            let i = at.index(bytes.len());
            bytes[i] ^= 1 << bit;
        }
        let bytes = &bytes[..cut.index(bytes.len() + 1)];
        if let Ok(b) = EntryBlock::decode(bytes) {
            let _ = b.entries();
            let _ = b.encode();
        }
        for n in [1000, 1001, 1002, 1003] {
            let _ = EntryBlock::read_one(bytes, EntryNo(n));
        }
        if let Ok(b) = LineBlock::decode(bytes) {
            let _ = b.lines();
        }
        let _ = LineBlock::summary(bytes);
        let _ = codec::decode::<Contact>("contact", bytes);
        let _ = codec::decode::<NoSeries>("number series", bytes);
        let _ = codec::decode::<SavedCriteria>("saved criteria", bytes);
    }

    #[test]
    fn contacts_round_trip_through_the_codec(
        no in "[A-Z0-9][A-Z0-9-]{0,19}",
        name in "\\PC{0,40}",
        person in any::<bool>(),
        company in proptest::option::of("[A-Z0-9]{1,20}"),
        salesperson in proptest::option::of("[A-Z0-9]{1,20}"),
        language in proptest::option::of("[A-Z]{1,10}"),
        email in "\\PC{0,30}",
        correspondence in 0usize..3,
        flags in (any::<bool>(), any::<bool>()),
        place in ("\\PC{0,30}", "\\PC{0,20}", proptest::option::of("[A-Z]{2}"), "[0-9 +]{0,20}"),
    ) {
        let c = Contact {
            no: contact(&no),
            name,
            kind: if person { ContactKind::Person } else { ContactKind::Company },
            company_no: company.as_deref().map(contact),
            salesperson_code: salesperson.as_deref().map(sp),
            language_code: language.as_deref().map(|l| LanguageCode::new(l).expect("lang")),
            email,
            correspondence_type: CorrespondenceType::ALL[correspondence],
            exclude_from_segment: flags.0,
            privacy_blocked: flags.1,
            city: place.0,
            post_code: place.1,
            country_code: place.2.as_deref().map(|c| CountryCode::new(c).expect("country")),
            phone: place.3,
        };
        let bytes = codec::encode("contact", &c).expect("encode");
        prop_assert_eq!(bytes[0], FORMAT_VERSION);
        prop_assert_eq!(codec::decode::<Contact>("contact", &bytes).expect("decode"), c);
    }

    #[test]
    fn log_entries_round_trip_through_an_entry_block(
        first in 1u64..1_000_000_000,
        rows in proptest::collection::vec(
            (
                (1u64..50, "[A-Z0-9]{1,20}", 0usize..3, "[A-Z]{1,3}", 0usize..4),
                (0i32..20_000, 0u32..86_400, "\\PC{0,30}", 0usize..3, 0u64..1_000_000, 0u32..10_000),
                (0usize..3, 0usize..6, any::<bool>(), any::<bool>(), any::<bool>()),
                (proptest::option::of("CP[0-9]{4}"), proptest::option::of(1u64..100), proptest::option::of("SM[0-9]{5}")),
                proptest::collection::vec("\\PC{0,20}", 0..3),
            ),
            1..12,
        ),
    ) {
        let mut no = first;
        let mut entries = Vec::new();
        for ((gap, contact_no, company, salesperson, template_no), (day_no, secs, text, flow, cents, minutes), (corr, eval, failed, postponed, canceled), (camp, camp_entry, segment), comments) in rows {
            no += gap;
            let c = contact(&contact_no);
            let date = NaiveDate::from_ymd_opt(2000, 1, 1).expect("date") + chrono::Days::new(day_no as u64);
            entries.push(LogEntry {
                entry_no: EntryNo(no),
                contact_no: c.clone(),
                contact_company_no: match company {
                    0 => None,
                    1 => Some(c.clone()),
                    _ => Some(contact("CT100239")),
                },
                date,
                time_of_interaction: NaiveTime::from_num_seconds_from_midnight_opt(secs, 0).expect("time"),
                description: text.clone(),
                subject: text.chars().rev().collect(),
                information_flow: InformationFlow::ALL[flow],
                initiated_by: InitiatedBy::ALL[flow],
                cost: Money(cents),
                duration_min: minutes,
                user_id: "TEST".into(),
                group_code: GroupCode::new("LETTER").expect("group"),
                template_code: template(["BUS", "GOLF", "ONSITE", "INCOME"][template_no]),
                campaign_no: camp.as_deref().map(campaign),
                campaign_entry_no: camp_entry.map(CampaignEntryNo),
                segment_no: segment.as_deref().map(seg),
                logged_segment_entry_no: camp_entry.map(LoggedSegmentNo),
                salesperson_code: sp(&salesperson),
                correspondence_type: CorrespondenceType::ALL[corr],
                language_code: None,
                evaluation: Evaluation::ALL[eval],
                attempt_failed: failed,
                postponed,
                canceled,
                comments: comments.into_iter().map(|text| Comment { date, text }).collect(),
            });
        }
        let mut builder = EntryBlockBuilder::new();
        for e in &entries {
            builder.push(e).expect("push");
        }
        let mut decoded = Vec::new();
        for (key, bytes) in builder.finish().expect("finish") {
            let block = EntryBlock::decode(&bytes).expect("decode");
            prop_assert_eq!(block.first, key);
            for e in block.entries() {
                prop_assert_eq!(EntryBlock::read_one(&bytes, e.entry_no).expect("read one"), Some(e.clone()));
                decoded.push(e);
            }
        }
        prop_assert_eq!(&decoded, &entries);
        let block = EntryBlock::from_entries(&entries).expect("block");
        let again = EntryBlock::decode(&block.encode().expect("encode")).expect("decode");
        prop_assert_eq!(again.entries(), entries);
    }
}
