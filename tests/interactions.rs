//! Creating one interaction (SPEC §2.2): for a contact, for a salesperson, from an existing
//! entry; every default; every refusal (which writes nothing); the campaign entry; editing;
//! entry numbers that only grow.

mod common;

use chrono::NaiveTime;
use common::*;
use interlog::batch::{log_segment, LogOptions};
use interlog::domain::*;
use interlog::ops::interactions::{self, EntryEdit, EntryFilter, InteractionRequest};
use interlog::ops::master::{self, ContactInput, SetupChange};
use interlog::ops::segments::{self, InteractionChange, NoProgress, SegmentInput};
use interlog::{Ctx, OpError};

/// Everything a refused operation must leave alone: the entry horizon, the visible entries, the
/// postponed entries and the campaign entries.
// ───────────────────────────── creating ─────────────────────────────

#[test]
fn an_interaction_for_a_contact_is_stored_and_listed() {
    let t = TestStore::demo();
    let req = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("BUS")),
        ..Default::default()
    };
    let created = interactions::create(&t.store, &t.ctx, &req).expect("create");
    let e = created.entry;
    assert_eq!(e.entry_no, EntryNo(1));
    assert_eq!(e.contact_no, contact("CT100239"));
    assert_eq!(interactions::get(&t.store, EntryNo(1)).expect("get"), e);
    assert_eq!(
        interactions::list(&t.store, &EntryFilter::default()).expect("list"),
        vec![e.clone()]
    );
    let history = EntryFilter {
        contact: Some(contact("CT100239")),
        ..Default::default()
    };
    assert_eq!(
        interactions::list(&t.store, &history).expect("history"),
        vec![e]
    );
    assert_eq!(t.store.entry_horizon().expect("horizon"), EntryNo(2));
}

#[test]
fn an_interaction_for_a_salesperson_uses_the_given_salesperson() {
    let t = TestStore::demo();
    // CT100239's own salesperson is HR.
    let req = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("OUTGOING")),
        salesperson: Some(sp("JO")),
        ..Default::default()
    };
    let e = interactions::create(&t.store, &t.ctx, &req)
        .expect("create")
        .entry;
    assert_eq!(e.salesperson_code, sp("JO"));
    let by_salesperson = EntryFilter {
        salesperson: Some(sp("JO")),
        ..Default::default()
    };
    assert_eq!(
        interactions::list(&t.store, &by_salesperson).expect("list"),
        vec![e]
    );
}

#[test]
fn every_default_comes_from_contact_template_and_context() {
    let t = TestStore::demo();
    // A person (company CT100239, salesperson HR, language ENG, e-mail set); BUS is a LETTER
    // template: "Business letter", 8.00, 30 min, outbound, us, hard copy (ignores contact).
    let req = InteractionRequest {
        contact: Some(contact("CT100125")),
        template: Some(template("BUS")),
        ..Default::default()
    };
    let e = interactions::create(&t.store, &t.ctx, &req)
        .expect("create")
        .entry;
    assert_eq!(e.contact_company_no, Some(contact("CT100239")));
    assert_eq!(e.salesperson_code, sp("HR"));
    assert_eq!(e.date, day());
    assert_eq!(
        e.time_of_interaction,
        NaiveTime::from_hms_opt(9, 30, 0).expect("time")
    );
    assert_eq!(e.description, "Business letter");
    assert_eq!(e.subject, "Business letter");
    assert_eq!(e.cost, money("8.00"));
    assert_eq!(e.duration_min, 30);
    assert_eq!(e.group_code, GroupCode::new("LETTER").expect("group"));
    assert_eq!(e.template_code, template("BUS"));
    assert_eq!(e.information_flow, InformationFlow::Outbound);
    assert_eq!(e.initiated_by, InitiatedBy::Us);
    assert_eq!(e.correspondence_type, CorrespondenceType::HardCopy);
    assert_eq!(
        e.language_code,
        Some(LanguageCode::new("ENG").expect("lang"))
    );
    assert_eq!(e.user_id, "TEST");
    assert_eq!(e.evaluation, Evaluation::Blank);
    assert!(!e.attempt_failed);
    assert!(!e.postponed);
    assert!(!e.canceled);
    assert_eq!(e.campaign_no, None);
    assert_eq!(e.campaign_entry_no, None);
    assert_eq!(e.segment_no, None);
    assert_eq!(e.logged_segment_entry_no, None);
    assert!(e.comments.is_empty());
}

#[test]
fn a_company_is_its_own_contact_company() {
    let t = TestStore::demo();
    let req = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("BUS")),
        ..Default::default()
    };
    let e = interactions::create(&t.store, &t.ctx, &req)
        .expect("create")
        .entry;
    assert_eq!(e.contact_company_no, Some(contact("CT100239")));
}

#[test]
fn a_person_without_company_has_no_contact_company() {
    let t = TestStore::demo();
    let input = ContactInput {
        no: Some("CT900001".into()),
        name: "Solo Person".into(),
        kind: ContactKind::Person,
        salesperson_code: Some(sp("OF")),
        ..Default::default()
    };
    master::add_contact(&t.store, &t.ctx, input).expect("add contact");
    let req = InteractionRequest {
        contact: Some(contact("CT900001")),
        template: Some(template("BUS")),
        ..Default::default()
    };
    let e = interactions::create(&t.store, &t.ctx, &req)
        .expect("create")
        .entry;
    assert_eq!(e.contact_company_no, None);
}

#[test]
fn salesperson_given_wins_over_the_contacts_and_the_setup_default() {
    let t = TestStore::demo();
    let change = SetupChange {
        default_salesperson: Some(Some(sp("BC"))),
        ..Default::default()
    };
    master::set_setup(&t.store, change).expect("setup");
    let req = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("BUS")),
        salesperson: Some(sp("LT")),
        ..Default::default()
    };
    let e = interactions::create(&t.store, &t.ctx, &req)
        .expect("create")
        .entry;
    assert_eq!(e.salesperson_code, sp("LT"));
}

#[test]
fn contacts_salesperson_wins_over_the_setup_default() {
    let t = TestStore::demo();
    let change = SetupChange {
        default_salesperson: Some(Some(sp("BC"))),
        ..Default::default()
    };
    master::set_setup(&t.store, change).expect("setup");
    let req = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("BUS")),
        ..Default::default()
    };
    let e = interactions::create(&t.store, &t.ctx, &req)
        .expect("create")
        .entry;
    assert_eq!(e.salesperson_code, sp("HR"));
}

#[test]
fn setup_default_salesperson_is_used_when_the_contact_has_none() {
    let t = TestStore::demo();
    let input = ContactInput {
        no: Some("CT900001".into()),
        name: "No Salesperson Ltd".into(),
        kind: ContactKind::Company,
        ..Default::default()
    };
    master::add_contact(&t.store, &t.ctx, input).expect("add contact");
    let change = SetupChange {
        default_salesperson: Some(Some(sp("BC"))),
        ..Default::default()
    };
    master::set_setup(&t.store, change).expect("setup");
    let req = InteractionRequest {
        contact: Some(contact("CT900001")),
        template: Some(template("BUS")),
        ..Default::default()
    };
    let e = interactions::create(&t.store, &t.ctx, &req)
        .expect("create")
        .entry;
    assert_eq!(e.salesperson_code, sp("BC"));
}

#[test]
fn date_is_the_work_date_unless_given() {
    let t = TestStore::demo();
    let ctx = t.ctx.clone().with_work_date(date("2025-04-01"));
    let req = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("BUS")),
        ..Default::default()
    };
    let e = interactions::create(&t.store, &ctx, &req)
        .expect("create")
        .entry;
    assert_eq!(e.date, date("2025-04-01"));
    let given = InteractionRequest {
        date: Some(date("2025-02-28")),
        ..req
    };
    let e = interactions::create(&t.store, &ctx, &given)
        .expect("create")
        .entry;
    assert_eq!(e.date, date("2025-02-28"));
}

#[test]
fn time_is_now_rounded_up_to_the_next_minute() {
    let t = TestStore::demo();
    let req = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("BUS")),
        ..Default::default()
    };
    for (now, stored) in [
        ((9, 30, 1), (9, 31)),
        ((9, 30, 59), (9, 31)),
        ((14, 5, 0), (14, 5)),
    ] {
        let at = NaiveTime::from_hms_opt(now.0, now.1, now.2).expect("time");
        let ctx = Ctx::at(UserId::new("TEST").expect("user id"), day(), at);
        let e = interactions::create(&t.store, &ctx, &req)
            .expect("create")
            .entry;
        assert_eq!(
            e.time_of_interaction,
            NaiveTime::from_hms_opt(stored.0, stored.1, 0).expect("time"),
            "created at {at}"
        );
    }
}

#[test]
fn given_values_override_the_template() {
    let t = TestStore::demo();
    let req = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("BUS")),
        description: Some("Price list sent".into()),
        subject: Some("Prices 2025".into()),
        cost: Some(money("12.50")),
        duration_min: Some(45),
        evaluation: Some(Evaluation::Positive),
        attempt_failed: Some(true),
        correspondence_type: Some(CorrespondenceType::Email),
        comments: vec!["asked for a callback".into()],
        ..Default::default()
    };
    let e = interactions::create(&t.store, &t.ctx, &req)
        .expect("create")
        .entry;
    assert_eq!(e.description, "Price list sent");
    assert_eq!(e.subject, "Prices 2025");
    assert_eq!(e.cost, money("12.50"));
    assert_eq!(e.duration_min, 45);
    assert_eq!(e.evaluation, Evaluation::Positive);
    assert!(e.attempt_failed);
    assert_eq!(e.correspondence_type, CorrespondenceType::Email);
    assert_eq!(
        e.comments,
        vec![Comment {
            date: day(),
            text: "asked for a callback".into()
        }]
    );
    assert_eq!(interactions::get(&t.store, e.entry_no).expect("get"), e);
}

#[test]
fn subject_is_the_given_description_unless_given() {
    let t = TestStore::demo();
    let req = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("BUS")),
        description: Some("Price list sent".into()),
        ..Default::default()
    };
    let e = interactions::create(&t.store, &t.ctx, &req)
        .expect("create")
        .entry;
    assert_eq!(e.subject, "Price list sent");
}

#[test]
fn an_interaction_from_an_existing_entry_prefills_contact_template_and_salesperson() {
    let t = TestStore::demo();
    let first = InteractionRequest {
        contact: Some(contact("CT100125")),
        template: Some(template("ONSITE")),
        salesperson: Some(sp("JO")),
        description: Some("Visit about the showroom".into()),
        cost: Some(money("99.00")),
        ..Default::default()
    };
    let e1 = interactions::create(&t.store, &t.ctx, &first)
        .expect("create")
        .entry;
    let again = InteractionRequest {
        from_entry: Some(e1.entry_no),
        ..Default::default()
    };
    let e2 = interactions::create(&t.store, &t.ctx, &again)
        .expect("create from entry")
        .entry;
    assert_eq!(e2.entry_no, EntryNo(2));
    assert_eq!(e2.contact_no, contact("CT100125"));
    assert_eq!(e2.contact_company_no, Some(contact("CT100239")));
    assert_eq!(e2.template_code, template("ONSITE"));
    assert_eq!(e2.salesperson_code, sp("JO"));
    // Only contact, template and salesperson are taken over; the rest is defaulted afresh.
    assert_eq!(e2.description, "Meeting at the customers site");
    assert_eq!(e2.cost, money("45.00"));
}

#[test]
fn given_values_override_the_entry_an_interaction_is_made_from() {
    let t = TestStore::demo();
    let first = InteractionRequest {
        contact: Some(contact("CT100125")),
        template: Some(template("ONSITE")),
        salesperson: Some(sp("JO")),
        ..Default::default()
    };
    let e1 = interactions::create(&t.store, &t.ctx, &first)
        .expect("create")
        .entry;
    let again = InteractionRequest {
        from_entry: Some(e1.entry_no),
        contact: Some(contact("CT100240")),
        template: Some(template("OUTGOING")),
        salesperson: Some(sp("LT")),
        ..Default::default()
    };
    let e2 = interactions::create(&t.store, &t.ctx, &again)
        .expect("create from entry")
        .entry;
    assert_eq!(e2.contact_no, contact("CT100240"));
    assert_eq!(e2.template_code, template("OUTGOING"));
    assert_eq!(e2.salesperson_code, sp("LT"));
    assert_eq!(e2.description, "Outgoing phone call");
}

#[test]
fn an_interaction_from_an_unknown_entry_is_refused() {
    let t = TestStore::demo();
    let before = written(&t);
    let req = InteractionRequest {
        from_entry: Some(EntryNo(42)),
        ..Default::default()
    };
    let err = interactions::create(&t.store, &t.ctx, &req).expect_err("refused");
    assert!(
        matches!(err, OpError::NotFound { what: "interaction log entry", ref key } if key == "42"),
        "{err:?}"
    );
    assert_eq!(written(&t), before);
}

// ───────────────────────────── refusals ─────────────────────────────

#[test]
fn no_contact_is_refused_and_nothing_is_written() {
    let t = TestStore::demo();
    let before = written(&t);
    let req = InteractionRequest {
        template: Some(template("BUS")),
        salesperson: Some(sp("HR")),
        ..Default::default()
    };
    let err = interactions::create(&t.store, &t.ctx, &req).expect_err("refused");
    assert!(
        matches!(
            err,
            OpError::Missing {
                what: "contact",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(written(&t), before);
}

#[test]
fn an_unknown_contact_is_refused_and_nothing_is_written() {
    let t = TestStore::demo();
    let before = written(&t);
    let req = InteractionRequest {
        contact: Some(contact("CT999999")),
        template: Some(template("BUS")),
        salesperson: Some(sp("HR")),
        ..Default::default()
    };
    let err = interactions::create(&t.store, &t.ctx, &req).expect_err("refused");
    assert!(
        matches!(err, OpError::NotFound { what: "contact", ref key } if key == "CT999999"),
        "{err:?}"
    );
    assert_eq!(written(&t), before);
}

#[test]
fn a_privacy_blocked_contact_is_refused_and_nothing_is_written() {
    let t = TestStore::demo();
    let input = ContactInput {
        no: Some("CT900001".into()),
        name: "Private Person".into(),
        kind: ContactKind::Person,
        company_no: Some(contact("CT100239")),
        salesperson_code: Some(sp("HR")),
        privacy_blocked: true,
        ..Default::default()
    };
    master::add_contact(&t.store, &t.ctx, input).expect("add contact");
    let before = written(&t);
    let req = InteractionRequest {
        contact: Some(contact("CT900001")),
        template: Some(template("BUS")),
        ..Default::default()
    };
    let err = interactions::create(&t.store, &t.ctx, &req).expect_err("refused");
    assert_eq!(
        err.to_string(),
        "cannot use contact CT900001: blocked for privacy"
    );
    assert!(
        matches!(err, OpError::PrivacyBlocked { ref contact } if contact.as_str() == "CT900001"),
        "{err:?}"
    );
    assert_eq!(written(&t), before);
}

#[test]
fn no_template_is_refused_and_nothing_is_written() {
    let t = TestStore::demo();
    let before = written(&t);
    let req = InteractionRequest {
        contact: Some(contact("CT100239")),
        ..Default::default()
    };
    let err = interactions::create(&t.store, &t.ctx, &req).expect_err("refused");
    assert!(
        matches!(
            err,
            OpError::Missing {
                what: "interaction template",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(written(&t), before);
}

#[test]
fn an_unknown_template_is_refused_and_nothing_is_written() {
    let t = TestStore::demo();
    let before = written(&t);
    let req = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("NOPE")),
        ..Default::default()
    };
    let err = interactions::create(&t.store, &t.ctx, &req).expect_err("refused");
    assert!(
        matches!(err, OpError::NotFound { what: "interaction template", ref key } if key == "NOPE"),
        "{err:?}"
    );
    assert_eq!(written(&t), before);
}

#[test]
fn no_salesperson_anywhere_is_refused_and_nothing_is_written() {
    let t = TestStore::demo();
    let input = ContactInput {
        no: Some("CT900001".into()),
        name: "No Salesperson Ltd".into(),
        kind: ContactKind::Company,
        ..Default::default()
    };
    master::add_contact(&t.store, &t.ctx, input).expect("add contact");
    let before = written(&t);
    let req = InteractionRequest {
        contact: Some(contact("CT900001")),
        template: Some(template("BUS")),
        ..Default::default()
    };
    let err = interactions::create(&t.store, &t.ctx, &req).expect_err("refused");
    assert!(
        matches!(
            err,
            OpError::Missing {
                what: "salesperson",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(written(&t), before);
}

#[test]
fn an_unknown_salesperson_is_refused_and_nothing_is_written() {
    let t = TestStore::demo();
    let before = written(&t);
    let req = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("BUS")),
        salesperson: Some(sp("ZZ")),
        ..Default::default()
    };
    let err = interactions::create(&t.store, &t.ctx, &req).expect_err("refused");
    assert!(
        matches!(err, OpError::NotFound { what: "salesperson", ref key } if key == "ZZ"),
        "{err:?}"
    );
    assert_eq!(written(&t), before);
}

#[test]
fn a_blocked_salesperson_is_refused_and_nothing_is_written() {
    let t = TestStore::demo();
    let blocked = Salesperson {
        code: sp("XB"),
        name: "Blocked Person".into(),
        email: String::new(),
        blocked: true,
        privacy_blocked: false,
    };
    master::add_salesperson(&t.store, blocked).expect("add salesperson");
    let before = written(&t);
    let req = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("BUS")),
        salesperson: Some(sp("XB")),
        ..Default::default()
    };
    let err = interactions::create(&t.store, &t.ctx, &req).expect_err("refused");
    assert!(
        matches!(err, OpError::SalespersonBlocked { ref code } if code.as_str() == "XB"),
        "{err:?}"
    );
    assert_eq!(written(&t), before);
}

#[test]
fn an_empty_description_is_refused_and_nothing_is_written() {
    let t = TestStore::demo();
    let before = written(&t);
    for typed in ["", "   "] {
        let req = InteractionRequest {
            contact: Some(contact("CT100239")),
            template: Some(template("BUS")),
            description: Some(typed.into()),
            ..Default::default()
        };
        let err = interactions::create(&t.store, &t.ctx, &req).expect_err("refused");
        assert!(
            matches!(
                err,
                OpError::Missing {
                    what: "description",
                    ..
                }
            ),
            "{typed:?}: {err:?}"
        );
    }
    assert_eq!(written(&t), before);
}

#[test]
fn a_template_without_description_needs_a_typed_one() {
    let t = TestStore::demo();
    let blank = InteractionTemplate {
        code: template("BLANK"),
        group_code: GroupCode::new("LETTER").expect("group"),
        description: String::new(),
        unit_cost: Money::ZERO,
        unit_duration_min: 0,
        information_flow: InformationFlow::Blank,
        initiated_by: InitiatedBy::Blank,
        correspondence_type_default: CorrespondenceType::Blank,
        ignore_contact_correspondence_type: false,
        language_code_default: None,
        campaign_no: None,
    };
    master::add_template(&t.store, blank).expect("add template");
    let before = written(&t);
    let req = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("BLANK")),
        ..Default::default()
    };
    let err = interactions::create(&t.store, &t.ctx, &req).expect_err("refused");
    assert!(
        matches!(
            err,
            OpError::Missing {
                what: "description",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(written(&t), before);
    let typed = InteractionRequest {
        description: Some("Typed".into()),
        ..req
    };
    let e = interactions::create(&t.store, &t.ctx, &typed)
        .expect("create")
        .entry;
    assert_eq!(e.description, "Typed");
}

#[test]
fn an_unknown_campaign_is_refused_and_nothing_is_written() {
    let t = TestStore::demo();
    let before = written(&t);
    let req = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("BUS")),
        campaign: Some(campaign("CP9999")),
        ..Default::default()
    };
    let err = interactions::create(&t.store, &t.ctx, &req).expect_err("refused");
    assert!(
        matches!(err, OpError::NotFound { what: "campaign", ref key } if key == "CP9999"),
        "{err:?}"
    );
    assert_eq!(written(&t), before);
}

// ───────────────────────────── campaigns ─────────────────────────────

#[test]
fn an_interaction_with_a_campaign_makes_one_campaign_entry_it_references() {
    let t = TestStore::demo();
    let req = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("GOLF")),
        campaign: Some(campaign("CP1002")),
        ..Default::default()
    };
    let created = interactions::create(&t.store, &t.ctx, &req).expect("create");
    let e = created.entry;
    let ce = created.campaign_entry.expect("campaign entry");
    assert_eq!(
        master::list_campaign_entries(&t.store).expect("campaign entries"),
        vec![ce.clone()]
    );
    assert_eq!(e.campaign_no, Some(campaign("CP1002")));
    assert_eq!(e.campaign_entry_no, Some(ce.entry_no));
    assert_eq!(ce.campaign_no, campaign("CP1002"));
    // BC names a campaign entry of single interactions after their document type, and
    // "Interactions" when they have none (SegManagement.CopyFieldsToCampaignEntry).
    assert_eq!(ce.description, "Interactions");
    assert_eq!(ce.date, day());
    assert_eq!(ce.user_id, "TEST");
    assert_eq!(ce.salesperson_code, Some(sp("HR")));
    assert_eq!(ce.segment_no, None);
    assert_eq!(ce.logged_segment_entry_no, None);
    assert!(!ce.canceled);
    assert_eq!(interactions::get(&t.store, e.entry_no).expect("get"), e);
}

#[test]
fn the_campaign_defaults_to_the_templates() {
    let t = TestStore::demo();
    let with_campaign = InteractionTemplate {
        code: template("EVENT"),
        group_code: GroupCode::new("MEETING").expect("group"),
        description: "Event invitation".into(),
        unit_cost: money("3.50"),
        unit_duration_min: 5,
        information_flow: InformationFlow::Outbound,
        initiated_by: InitiatedBy::Us,
        correspondence_type_default: CorrespondenceType::Email,
        ignore_contact_correspondence_type: false,
        language_code_default: None,
        campaign_no: Some(campaign("CP1002")),
    };
    master::add_template(&t.store, with_campaign).expect("add template");
    let req = InteractionRequest {
        contact: Some(contact("CT100240")),
        template: Some(template("EVENT")),
        ..Default::default()
    };
    let created = interactions::create(&t.store, &t.ctx, &req).expect("create");
    assert_eq!(created.entry.campaign_no, Some(campaign("CP1002")));
    let ce = created.campaign_entry.expect("campaign entry");
    assert_eq!(created.entry.campaign_entry_no, Some(ce.entry_no));
    assert_eq!(
        master::list_campaign_entries(&t.store)
            .expect("campaign entries")
            .len(),
        1
    );
}

#[test]
fn an_interaction_without_campaign_makes_no_campaign_entry() {
    let t = TestStore::demo();
    let req = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("BUS")),
        ..Default::default()
    };
    let created = interactions::create(&t.store, &t.ctx, &req).expect("create");
    assert!(created.campaign_entry.is_none());
    assert!(master::list_campaign_entries(&t.store)
        .expect("campaign entries")
        .is_empty());
}

/// BC: `SegManagement.LogInteraction` asks `GetCampaignEntryNo`, which reuses the campaign entry
/// with the same campaign and a blank segment number.
#[test]
fn a_second_interaction_for_the_same_campaign_joins_its_campaign_entry() {
    let t = TestStore::demo();
    let req = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("GOLF")),
        campaign: Some(campaign("CP1002")),
        ..Default::default()
    };
    let a = interactions::create(&t.store, &t.ctx, &req).expect("create");
    let later = t.ctx.clone().with_work_date(date("2025-03-20"));
    let b = interactions::create(
        &t.store,
        &later,
        &InteractionRequest {
            contact: Some(contact("CT100125")),
            ..req.clone()
        },
    )
    .expect("create");
    let (ca, cb) = (
        a.campaign_entry.expect("campaign entry"),
        b.campaign_entry.expect("campaign entry"),
    );
    assert_eq!(ca, cb, "the second joins the first's campaign entry");
    assert_eq!(b.entry.campaign_entry_no, Some(ca.entry_no));
    assert_eq!(ca.date, day(), "the campaign entry keeps the first date");
    assert_eq!(
        master::list_campaign_entries(&t.store)
            .expect("campaign entries")
            .len(),
        1
    );
    // Another campaign gets its own.
    let c = interactions::create(
        &t.store,
        &t.ctx,
        &InteractionRequest {
            campaign: Some(campaign("CP1001")),
            ..req
        },
    )
    .expect("create");
    assert_ne!(
        c.campaign_entry.expect("campaign entry").entry_no,
        ca.entry_no
    );
}

// ───────────────────────────── editing ─────────────────────────────

#[test]
fn evaluation_cost_duration_description_and_comments_can_be_edited() {
    let t = TestStore::demo();
    let req = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("BUS")),
        comments: vec!["first".into()],
        ..Default::default()
    };
    let e = interactions::create(&t.store, &t.ctx, &req)
        .expect("create")
        .entry;
    let later = t.ctx.clone().with_work_date(date("2025-03-20"));
    let change = EntryEdit {
        evaluation: Some(Evaluation::VeryNegative),
        cost: Some(money("1.25")),
        duration_min: Some(7),
        description: Some("Letter about the complaint".into()),
        comments: vec!["second".into(), "third".into()],
    };
    let edited = interactions::edit(&t.store, &later, e.entry_no, &change).expect("edit");
    let expected = LogEntry {
        evaluation: Evaluation::VeryNegative,
        cost: money("1.25"),
        duration_min: 7,
        description: "Letter about the complaint".into(),
        comments: vec![
            Comment {
                date: day(),
                text: "first".into(),
            },
            Comment {
                date: date("2025-03-20"),
                text: "second".into(),
            },
            Comment {
                date: date("2025-03-20"),
                text: "third".into(),
            },
        ],
        ..e
    };
    assert_eq!(edited, expected);
    assert_eq!(
        interactions::get(&t.store, expected.entry_no).expect("get"),
        expected
    );
}

#[test]
fn an_edit_leaves_the_fields_it_does_not_name() {
    let t = TestStore::demo();
    let req = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("BUS")),
        evaluation: Some(Evaluation::Positive),
        ..Default::default()
    };
    let e = interactions::create(&t.store, &t.ctx, &req)
        .expect("create")
        .entry;
    let change = EntryEdit {
        duration_min: Some(50),
        ..Default::default()
    };
    let edited = interactions::edit(&t.store, &t.ctx, e.entry_no, &change).expect("edit");
    assert_eq!(
        edited,
        LogEntry {
            duration_min: 50,
            ..e
        }
    );
}

#[test]
fn editing_an_entry_logged_from_a_segment_changes_only_that_entry() {
    let t = TestStore::demo();
    let input = SegmentInput {
        description: "Spring letter".into(),
        salesperson: Some(sp("BC")),
        ..Default::default()
    };
    let no = segments::create(&t.store, &t.ctx, &input)
        .expect("create segment")
        .record
        .no;
    let change = InteractionChange {
        template: Some(template("BUS")),
        ..Default::default()
    };
    segments::set_interaction(&t.store, &no, &change, &NoProgress).expect("set template");
    for c in ["CT100239", "CT100125", "CT100240"] {
        segments::add_line(&t.store, &no, &contact(c)).expect("add line");
    }
    let out = log_segment(&t.store, &t.ctx, &no, LogOptions::default(), &NoProgress)
        .expect("log segment");
    let before = interactions::list(&t.store, &EntryFilter::default()).expect("list");
    assert_eq!(before.len(), 3);
    let middle = EntryNo(out.first_entry_no.0 + 1);
    let edit = EntryEdit {
        evaluation: Some(Evaluation::Negative),
        description: Some("Returned to sender".into()),
        cost: Some(money("0.50")),
        ..Default::default()
    };
    let edited = interactions::edit(&t.store, &t.ctx, middle, &edit).expect("edit");
    let after = interactions::list(&t.store, &EntryFilter::default()).expect("list");
    let expected: Vec<LogEntry> = before
        .into_iter()
        .map(|e| {
            if e.entry_no == middle {
                edited.clone()
            } else {
                e
            }
        })
        .collect();
    assert_eq!(after, expected);
    assert_eq!(edited.description, "Returned to sender");
    assert_eq!(edited.segment_no, Some(no));
}

#[test]
fn editing_to_an_empty_description_is_refused_and_changes_nothing() {
    let t = TestStore::demo();
    let req = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("BUS")),
        ..Default::default()
    };
    let e = interactions::create(&t.store, &t.ctx, &req)
        .expect("create")
        .entry;
    let before = written(&t);
    let change = EntryEdit {
        cost: Some(money("3.00")),
        description: Some("  ".into()),
        ..Default::default()
    };
    let err = interactions::edit(&t.store, &t.ctx, e.entry_no, &change).expect_err("refused");
    assert!(
        matches!(
            err,
            OpError::Missing {
                what: "description",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(written(&t), before);
}

#[test]
fn editing_an_unknown_entry_is_refused() {
    let t = TestStore::demo();
    let err = interactions::edit(&t.store, &t.ctx, EntryNo(7), &EntryEdit::default())
        .expect_err("refused");
    assert!(
        matches!(err, OpError::NotFound { what: "interaction log entry", ref key } if key == "7"),
        "{err:?}"
    );
}

// ───────────────────────────── entry numbers ─────────────────────────────

#[test]
fn entry_numbers_strictly_increase_and_refusals_use_none() {
    let t = TestStore::demo();
    let good = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("BUS")),
        ..Default::default()
    };
    let bad = InteractionRequest {
        template: Some(template("NOPE")),
        ..good.clone()
    };
    let mut nos = Vec::new();
    for i in 0..6 {
        if i % 2 == 1 {
            interactions::create(&t.store, &t.ctx, &bad).expect_err("refused");
        }
        nos.push(
            interactions::create(&t.store, &t.ctx, &good)
                .expect("create")
                .entry
                .entry_no,
        );
    }
    assert_eq!(nos, (1..=6).map(EntryNo).collect::<Vec<_>>());
}

#[test]
fn entry_numbers_are_never_reused_after_deleting_a_postponed_entry() {
    let t = TestStore::demo();
    let req = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("BUS")),
        ..Default::default()
    };
    interactions::create(&t.store, &t.ctx, &req).expect("create");
    let postponed = InteractionRequest {
        postpone: true,
        ..req.clone()
    };
    let p = interactions::create(&t.store, &t.ctx, &postponed)
        .expect("postpone")
        .entry;
    assert_eq!(p.entry_no, EntryNo(2));
    interactions::delete_postponed(&t.store, &[p.entry_no]).expect("delete");
    let next = interactions::create(&t.store, &t.ctx, &req)
        .expect("create")
        .entry;
    assert_eq!(next.entry_no, EntryNo(3));
    assert!(matches!(
        interactions::get(&t.store, EntryNo(2)),
        Err(OpError::NotFound { .. })
    ));
}

#[test]
fn entry_numbers_continue_after_reopening_the_store() {
    let t = TestStore::demo();
    let req = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("BUS")),
        ..Default::default()
    };
    let first = interactions::create(&t.store, &t.ctx, &req)
        .expect("create")
        .entry;
    let postponed = InteractionRequest {
        postpone: true,
        ..req.clone()
    };
    let p = interactions::create(&t.store, &t.ctx, &postponed)
        .expect("postpone")
        .entry;
    interactions::delete_postponed(&t.store, &[p.entry_no]).expect("delete");
    let t = t.reopen();
    assert_eq!(t.store.entry_horizon().expect("horizon"), EntryNo(3));
    assert_eq!(
        interactions::get(&t.store, first.entry_no).expect("get"),
        first
    );
    let next = interactions::create(&t.store, &t.ctx, &req)
        .expect("create")
        .entry;
    assert_eq!(next.entry_no, EntryNo(3));
}
