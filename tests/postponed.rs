//! Postponed interactions (SPEC §2.3): postponing runs the checks and makes no campaign entry;
//! postponed entries are listed on their own and left out of everything else; resuming
//! finishes the same entry number on the work date; deleting removes postponed entries only.

mod common;

use common::*;
use interlog::domain::*;
use interlog::ops::interactions::{self, EntryEdit, EntryFilter, InteractionRequest};
use interlog::ops::master::{self, ContactInput};
use interlog::ops::stats::{self, StatsBy};
use interlog::OpError;

/// Everything a refused operation must leave alone: the entry horizon, the visible entries, the
/// postponed entries and the campaign entries.
// ───────────────────────────── postponing ─────────────────────────────

#[test]
fn postponing_stores_the_entry_as_postponed() {
    let t = TestStore::demo();
    let req = InteractionRequest {
        contact: Some(contact("CT100125")),
        template: Some(template("ONSITE")),
        postpone: true,
        ..Default::default()
    };
    let e = interactions::create(&t.store, &t.ctx, &req)
        .expect("postpone")
        .entry;
    assert!(e.postponed);
    assert_eq!(e.entry_no, EntryNo(1));
    assert_eq!(e.salesperson_code, sp("HR"));
    assert_eq!(e.description, "Meeting at the customers site");
    assert_eq!(
        interactions::postponed(&t.store).expect("postponed"),
        vec![e.clone()]
    );
    assert_eq!(interactions::get(&t.store, e.entry_no).expect("get"), e);
    assert_eq!(t.store.entry_horizon().expect("horizon"), EntryNo(2));
}

#[test]
fn postponing_runs_the_same_checks_and_writes_nothing_when_refused() {
    let t = TestStore::demo();
    let private = ContactInput {
        no: Some("CT900001".into()),
        name: "Private Person".into(),
        kind: ContactKind::Person,
        salesperson_code: Some(sp("HR")),
        privacy_blocked: true,
        ..Default::default()
    };
    master::add_contact(&t.store, &t.ctx, private).expect("add contact");
    let blocked = Salesperson {
        code: sp("XB"),
        name: "Blocked Person".into(),
        email: String::new(),
        blocked: true,
        privacy_blocked: false,
    };
    master::add_salesperson(&t.store, blocked).expect("add salesperson");
    let good = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("BUS")),
        postpone: true,
        ..Default::default()
    };
    let before = written(&t);
    type Expected = fn(&OpError) -> bool;
    let cases: [(&str, InteractionRequest, Expected); 8] = [
        (
            "no contact",
            InteractionRequest {
                contact: None,
                ..good.clone()
            },
            |e| {
                matches!(
                    e,
                    OpError::Missing {
                        what: "contact",
                        ..
                    }
                )
            },
        ),
        (
            "unknown contact",
            InteractionRequest {
                contact: Some(contact("CT999999")),
                ..good.clone()
            },
            |e| {
                matches!(
                    e,
                    OpError::NotFound {
                        what: "contact",
                        ..
                    }
                )
            },
        ),
        (
            "privacy blocked",
            InteractionRequest {
                contact: Some(contact("CT900001")),
                ..good.clone()
            },
            |e| matches!(e, OpError::PrivacyBlocked { .. }),
        ),
        (
            "no template",
            InteractionRequest {
                template: None,
                ..good.clone()
            },
            |e| {
                matches!(
                    e,
                    OpError::Missing {
                        what: "interaction template",
                        ..
                    }
                )
            },
        ),
        (
            "unknown template",
            InteractionRequest {
                template: Some(template("NOPE")),
                ..good.clone()
            },
            |e| {
                matches!(
                    e,
                    OpError::NotFound {
                        what: "interaction template",
                        ..
                    }
                )
            },
        ),
        (
            "unknown salesperson",
            InteractionRequest {
                salesperson: Some(sp("ZZ")),
                ..good.clone()
            },
            |e| {
                matches!(
                    e,
                    OpError::NotFound {
                        what: "salesperson",
                        ..
                    }
                )
            },
        ),
        (
            "blocked salesperson",
            InteractionRequest {
                salesperson: Some(sp("XB")),
                ..good.clone()
            },
            |e| matches!(e, OpError::SalespersonBlocked { .. }),
        ),
        (
            "empty description",
            InteractionRequest {
                description: Some(String::new()),
                ..good.clone()
            },
            |e| {
                matches!(
                    e,
                    OpError::Missing {
                        what: "description",
                        ..
                    }
                )
            },
        ),
    ];
    for (what, req, expected) in cases {
        let err = interactions::create(&t.store, &t.ctx, &req).expect_err(what);
        assert!(expected(&err), "{what}: {err:?}");
    }
    assert_eq!(written(&t), before);
}

#[test]
fn postponing_makes_no_campaign_entry() {
    let t = TestStore::demo();
    let req = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("GOLF")),
        campaign: Some(campaign("CP1002")),
        postpone: true,
        ..Default::default()
    };
    let created = interactions::create(&t.store, &t.ctx, &req).expect("postpone");
    assert!(created.campaign_entry.is_none());
    assert_eq!(created.entry.campaign_no, Some(campaign("CP1002")));
    assert_eq!(created.entry.campaign_entry_no, None);
    assert!(master::list_campaign_entries(&t.store)
        .expect("campaign entries")
        .is_empty());
}

#[test]
fn postponed_entries_are_left_out_of_listings_history_and_statistics() {
    let t = TestStore::demo();
    let req = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("GOLF")),
        campaign: Some(campaign("CP1002")),
        postpone: true,
        ..Default::default()
    };
    interactions::create(&t.store, &t.ctx, &req).expect("postpone");
    let filters = [
        EntryFilter::default(),
        EntryFilter {
            contact: Some(contact("CT100239")),
            ..Default::default()
        },
        EntryFilter {
            template: Some(template("GOLF")),
            ..Default::default()
        },
        EntryFilter {
            salesperson: Some(sp("HR")),
            ..Default::default()
        },
        EntryFilter {
            campaign: Some(campaign("CP1002")),
            ..Default::default()
        },
        EntryFilter {
            canceled: Some(false),
            ..Default::default()
        },
    ];
    for f in &filters {
        assert!(
            interactions::list(&t.store, f).expect("list").is_empty(),
            "{f:?}"
        );
    }
    for by in [
        StatsBy::Template,
        StatsBy::Group,
        StatsBy::Contact,
        StatsBy::Salesperson,
        StatsBy::Campaign,
    ] {
        assert!(
            stats::stats(&t.store, by).expect("stats").is_empty(),
            "{by:?}"
        );
    }
}

#[test]
fn postponed_lists_only_postponed_entries_in_number_order() {
    let t = TestStore::demo();
    let finished = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("BUS")),
        ..Default::default()
    };
    let postponed = InteractionRequest {
        postpone: true,
        ..finished.clone()
    };
    for req in [&postponed, &finished, &postponed, &finished] {
        interactions::create(&t.store, &t.ctx, req).expect("create");
    }
    let nos: Vec<EntryNo> = interactions::postponed(&t.store)
        .expect("postponed")
        .iter()
        .map(|e| e.entry_no)
        .collect();
    assert_eq!(nos, vec![EntryNo(1), EntryNo(3)]);
    let listed: Vec<EntryNo> = interactions::list(&t.store, &EntryFilter::default())
        .expect("list")
        .iter()
        .map(|e| e.entry_no)
        .collect();
    assert_eq!(listed, vec![EntryNo(2), EntryNo(4)]);
}

#[test]
fn postponed_entries_survive_reopening_the_store() {
    let t = TestStore::demo();
    let req = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("BUS")),
        postpone: true,
        ..Default::default()
    };
    let e = interactions::create(&t.store, &t.ctx, &req)
        .expect("postpone")
        .entry;
    let t = t.reopen();
    assert_eq!(
        interactions::postponed(&t.store).expect("postponed"),
        vec![e]
    );
}

#[test]
fn a_postponed_entry_cannot_be_edited_or_canceled() {
    let t = TestStore::demo();
    let req = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("BUS")),
        postpone: true,
        ..Default::default()
    };
    let e = interactions::create(&t.store, &t.ctx, &req)
        .expect("postpone")
        .entry;
    let before = written(&t);
    let change = EntryEdit {
        evaluation: Some(Evaluation::Positive),
        ..Default::default()
    };
    let err = interactions::edit(&t.store, &t.ctx, e.entry_no, &change).expect_err("edit");
    assert!(
        matches!(err, OpError::IsPostponed { entry } if entry == e.entry_no),
        "{err:?}"
    );
    let err = interactions::switch_canceled(&t.store, &[e.entry_no]).expect_err("cancel");
    assert!(
        matches!(err, OpError::IsPostponed { entry } if entry == e.entry_no),
        "{err:?}"
    );
    assert_eq!(written(&t), before);
}

// ───────────────────────────── resuming ─────────────────────────────

#[test]
fn resuming_keeps_the_entry_number() {
    let t = TestStore::demo();
    let req = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("BUS")),
        ..Default::default()
    };
    let p = interactions::create(
        &t.store,
        &t.ctx,
        &InteractionRequest {
            postpone: true,
            ..req.clone()
        },
    )
    .expect("postpone")
    .entry;
    interactions::create(&t.store, &t.ctx, &req).expect("create");
    let resumed =
        interactions::resume(&t.store, &t.ctx, p.entry_no, &InteractionRequest::default())
            .expect("resume")
            .entry;
    assert_eq!(resumed.entry_no, p.entry_no);
    assert!(!resumed.postponed);
    assert_eq!(
        interactions::get(&t.store, p.entry_no).expect("get"),
        resumed
    );
    assert!(interactions::postponed(&t.store)
        .expect("postponed")
        .is_empty());
    let listed: Vec<EntryNo> = interactions::list(&t.store, &EntryFilter::default())
        .expect("list")
        .iter()
        .map(|e| e.entry_no)
        .collect();
    assert_eq!(listed, vec![EntryNo(1), EntryNo(2)]);
    assert_eq!(t.store.entry_horizon().expect("horizon"), EntryNo(3));
}

#[test]
fn resuming_dates_the_entry_on_the_resume_work_date() {
    let t = TestStore::demo();
    let req = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("BUS")),
        date: Some(date("2025-03-10")),
        postpone: true,
        ..Default::default()
    };
    let p = interactions::create(&t.store, &t.ctx, &req)
        .expect("postpone")
        .entry;
    assert_eq!(p.date, date("2025-03-10"));
    let later = t.ctx.clone().with_work_date(date("2025-03-20"));
    let resumed =
        interactions::resume(&t.store, &later, p.entry_no, &InteractionRequest::default())
            .expect("resume")
            .entry;
    assert_eq!(resumed.date, date("2025-03-20"));
}

#[test]
fn resuming_keeps_what_was_entered_when_postponing() {
    let t = TestStore::demo();
    let req = InteractionRequest {
        contact: Some(contact("CT100125")),
        template: Some(template("OUTGOING")),
        salesperson: Some(sp("JO")),
        description: Some("Call about the offer".into()),
        subject: Some("Offer".into()),
        cost: Some(money("2.00")),
        duration_min: Some(20),
        evaluation: Some(Evaluation::Neutral),
        attempt_failed: Some(true),
        comments: vec!["call back after lunch".into()],
        postpone: true,
        ..Default::default()
    };
    let p = interactions::create(&t.store, &t.ctx, &req)
        .expect("postpone")
        .entry;
    let resumed =
        interactions::resume(&t.store, &t.ctx, p.entry_no, &InteractionRequest::default())
            .expect("resume")
            .entry;
    assert_eq!(
        resumed,
        LogEntry {
            postponed: false,
            ..p
        }
    );
}

#[test]
fn resuming_makes_the_campaign_entry() {
    let t = TestStore::demo();
    let req = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("GOLF")),
        campaign: Some(campaign("CP1002")),
        postpone: true,
        ..Default::default()
    };
    let p = interactions::create(&t.store, &t.ctx, &req)
        .expect("postpone")
        .entry;
    let later = t.ctx.clone().with_work_date(date("2025-03-21"));
    let created =
        interactions::resume(&t.store, &later, p.entry_no, &InteractionRequest::default())
            .expect("resume");
    let ce = created.campaign_entry.expect("campaign entry");
    assert_eq!(ce.campaign_no, campaign("CP1002"));
    assert_eq!(ce.date, date("2025-03-21"));
    assert_eq!(created.entry.campaign_entry_no, Some(ce.entry_no));
    assert_eq!(
        master::list_campaign_entries(&t.store).expect("campaign entries"),
        vec![ce]
    );
    assert_eq!(
        interactions::get(&t.store, p.entry_no).expect("get"),
        created.entry
    );
}

#[test]
fn a_campaign_may_be_set_while_resuming() {
    let t = TestStore::demo();
    let req = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("BUS")),
        postpone: true,
        ..Default::default()
    };
    let p = interactions::create(&t.store, &t.ctx, &req)
        .expect("postpone")
        .entry;
    let changes = InteractionRequest {
        campaign: Some(campaign("CP1001")),
        ..Default::default()
    };
    let created = interactions::resume(&t.store, &t.ctx, p.entry_no, &changes).expect("resume");
    let ce = created.campaign_entry.expect("campaign entry");
    assert_eq!(ce.campaign_no, campaign("CP1001"));
    assert_eq!(created.entry.campaign_no, Some(campaign("CP1001")));
    assert_eq!(created.entry.campaign_entry_no, Some(ce.entry_no));
}

#[test]
fn fields_may_be_changed_while_resuming() {
    let t = TestStore::demo();
    let req = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("BUS")),
        subject: Some("Kept subject".into()),
        postpone: true,
        ..Default::default()
    };
    let p = interactions::create(&t.store, &t.ctx, &req)
        .expect("postpone")
        .entry;
    let changes = InteractionRequest {
        salesperson: Some(sp("RB")),
        description: Some("Letter with the new prices".into()),
        cost: Some(money("9.99")),
        duration_min: Some(12),
        evaluation: Some(Evaluation::VeryPositive),
        attempt_failed: Some(true),
        comments: vec!["sent".into()],
        ..Default::default()
    };
    let resumed = interactions::resume(&t.store, &t.ctx, p.entry_no, &changes)
        .expect("resume")
        .entry;
    assert_eq!(
        resumed,
        LogEntry {
            salesperson_code: sp("RB"),
            description: "Letter with the new prices".into(),
            cost: money("9.99"),
            duration_min: 12,
            evaluation: Evaluation::VeryPositive,
            attempt_failed: true,
            comments: vec![Comment {
                date: day(),
                text: "sent".into()
            }],
            postponed: false,
            ..p
        }
    );
}

#[test]
fn changing_the_template_while_resuming_takes_the_new_templates_defaults() {
    let t = TestStore::demo();
    let req = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("BUS")),
        postpone: true,
        ..Default::default()
    };
    let p = interactions::create(&t.store, &t.ctx, &req)
        .expect("postpone")
        .entry;
    let changes = InteractionRequest {
        template: Some(template("INCOME")),
        ..Default::default()
    };
    let resumed = interactions::resume(&t.store, &t.ctx, p.entry_no, &changes)
        .expect("resume")
        .entry;
    assert_eq!(resumed.template_code, template("INCOME"));
    assert_eq!(resumed.group_code, GroupCode::new("PHONE").expect("group"));
    assert_eq!(resumed.description, "Incoming phone call");
    assert_eq!(resumed.subject, "Incoming phone call");
    assert_eq!(resumed.cost, money("0.00"));
    assert_eq!(resumed.duration_min, 15);
    assert_eq!(resumed.information_flow, InformationFlow::Inbound);
    assert_eq!(resumed.initiated_by, InitiatedBy::Them);
}

#[test]
fn resuming_keeps_the_contact() {
    let t = TestStore::demo();
    let req = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("BUS")),
        postpone: true,
        ..Default::default()
    };
    let p = interactions::create(&t.store, &t.ctx, &req)
        .expect("postpone")
        .entry;
    let changes = InteractionRequest {
        contact: Some(contact("CT100240")),
        ..Default::default()
    };
    let resumed = interactions::resume(&t.store, &t.ctx, p.entry_no, &changes)
        .expect("resume")
        .entry;
    assert_eq!(resumed.contact_no, contact("CT100239"));
    let history = EntryFilter {
        contact: Some(contact("CT100239")),
        ..Default::default()
    };
    assert_eq!(
        interactions::list(&t.store, &history).expect("history"),
        vec![resumed]
    );
}

#[test]
fn resuming_runs_the_remaining_checks_and_leaves_the_entry_postponed_when_refused() {
    let t = TestStore::demo();
    let blocked = Salesperson {
        code: sp("XB"),
        name: "Blocked Person".into(),
        email: String::new(),
        blocked: true,
        privacy_blocked: false,
    };
    master::add_salesperson(&t.store, blocked).expect("add salesperson");
    let req = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("GOLF")),
        campaign: Some(campaign("CP1002")),
        postpone: true,
        ..Default::default()
    };
    let p = interactions::create(&t.store, &t.ctx, &req)
        .expect("postpone")
        .entry;
    let before = written(&t);

    let unknown_sp = InteractionRequest {
        salesperson: Some(sp("ZZ")),
        ..Default::default()
    };
    let err = interactions::resume(&t.store, &t.ctx, p.entry_no, &unknown_sp).expect_err("zz");
    assert!(
        matches!(err, OpError::NotFound { what: "salesperson", ref key } if key == "ZZ"),
        "{err:?}"
    );
    let blocked_sp = InteractionRequest {
        salesperson: Some(sp("XB")),
        ..Default::default()
    };
    let err = interactions::resume(&t.store, &t.ctx, p.entry_no, &blocked_sp).expect_err("xb");
    assert!(matches!(err, OpError::SalespersonBlocked { .. }), "{err:?}");
    let unknown_template = InteractionRequest {
        template: Some(template("NOPE")),
        ..Default::default()
    };
    let err =
        interactions::resume(&t.store, &t.ctx, p.entry_no, &unknown_template).expect_err("nope");
    assert!(
        matches!(
            err,
            OpError::NotFound {
                what: "interaction template",
                ..
            }
        ),
        "{err:?}"
    );
    let empty = InteractionRequest {
        description: Some(" ".into()),
        ..Default::default()
    };
    let err = interactions::resume(&t.store, &t.ctx, p.entry_no, &empty).expect_err("empty");
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
    let unknown_campaign = InteractionRequest {
        campaign: Some(campaign("CP9999")),
        ..Default::default()
    };
    let err =
        interactions::resume(&t.store, &t.ctx, p.entry_no, &unknown_campaign).expect_err("cp");
    assert!(
        matches!(
            err,
            OpError::NotFound {
                what: "campaign",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(written(&t), before);
    assert_eq!(
        interactions::postponed(&t.store).expect("postponed"),
        vec![p]
    );
}

#[test]
fn resuming_an_entry_that_is_not_postponed_is_refused() {
    let t = TestStore::demo();
    let req = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("GOLF")),
        campaign: Some(campaign("CP1002")),
        ..Default::default()
    };
    let e = interactions::create(&t.store, &t.ctx, &req)
        .expect("create")
        .entry;
    let before = written(&t);
    let err = interactions::resume(&t.store, &t.ctx, e.entry_no, &InteractionRequest::default())
        .expect_err("refused");
    assert!(
        matches!(err, OpError::NotPostponed { entry } if entry == e.entry_no),
        "{err:?}"
    );
    let err = interactions::resume(
        &t.store,
        &t.ctx,
        EntryNo(99),
        &InteractionRequest::default(),
    )
    .expect_err("refused");
    assert!(
        matches!(
            err,
            OpError::NotFound {
                what: "interaction log entry",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(written(&t), before);
}

#[test]
fn a_resumed_entry_counts_in_history_and_statistics() {
    let t = TestStore::demo();
    let req = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("BUS")),
        postpone: true,
        ..Default::default()
    };
    let p = interactions::create(&t.store, &t.ctx, &req)
        .expect("postpone")
        .entry;
    let resumed =
        interactions::resume(&t.store, &t.ctx, p.entry_no, &InteractionRequest::default())
            .expect("resume")
            .entry;
    let history = EntryFilter {
        contact: Some(contact("CT100239")),
        ..Default::default()
    };
    assert_eq!(
        interactions::list(&t.store, &history).expect("history"),
        vec![resumed]
    );
    let rows = stats::stats(&t.store, StatsBy::Template).expect("stats");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].key, "BUS");
    assert_eq!(rows[0].interactions, 1);
}

// ───────────────────────────── deleting ─────────────────────────────

#[test]
fn deleting_removes_one_postponed_entry() {
    let t = TestStore::demo();
    let req = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("BUS")),
        postpone: true,
        ..Default::default()
    };
    let a = interactions::create(&t.store, &t.ctx, &req)
        .expect("postpone")
        .entry;
    let b = interactions::create(&t.store, &t.ctx, &req)
        .expect("postpone")
        .entry;
    let deleted = interactions::delete_postponed(&t.store, &[a.entry_no]).expect("delete");
    assert_eq!(deleted, vec![a.entry_no]);
    assert_eq!(
        interactions::postponed(&t.store).expect("postponed"),
        vec![b]
    );
    assert!(matches!(
        interactions::get(&t.store, a.entry_no),
        Err(OpError::NotFound { .. })
    ));
}

#[test]
fn deleting_removes_many_postponed_entries_at_once() {
    let t = TestStore::demo();
    let req = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("BUS")),
        postpone: true,
        ..Default::default()
    };
    let finished = InteractionRequest {
        postpone: false,
        ..req.clone()
    };
    let mut nos = Vec::new();
    for _ in 0..3 {
        nos.push(
            interactions::create(&t.store, &t.ctx, &req)
                .expect("postpone")
                .entry
                .entry_no,
        );
    }
    let kept = interactions::create(&t.store, &t.ctx, &finished)
        .expect("create")
        .entry;
    interactions::delete_postponed(&t.store, &nos).expect("delete");
    assert!(interactions::postponed(&t.store)
        .expect("postponed")
        .is_empty());
    for n in nos {
        assert!(matches!(
            interactions::get(&t.store, n),
            Err(OpError::NotFound { .. })
        ));
    }
    assert_eq!(
        interactions::list(&t.store, &EntryFilter::default()).expect("list"),
        vec![kept]
    );
}

#[test]
fn an_entry_selected_twice_is_deleted_once() {
    let t = TestStore::demo();
    let req = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("BUS")),
        postpone: true,
        ..Default::default()
    };
    let a = interactions::create(&t.store, &t.ctx, &req)
        .expect("postpone")
        .entry;
    let b = interactions::create(&t.store, &t.ctx, &req)
        .expect("postpone")
        .entry;
    let deleted = interactions::delete_postponed(&t.store, &[b.entry_no, a.entry_no, b.entry_no])
        .expect("delete");
    assert_eq!(deleted, vec![b.entry_no, a.entry_no]);
    assert!(interactions::postponed(&t.store)
        .expect("postponed")
        .is_empty());
}

#[test]
fn deleting_an_entry_that_is_not_postponed_is_refused_and_deletes_nothing() {
    let t = TestStore::demo();
    let postponed = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("BUS")),
        postpone: true,
        ..Default::default()
    };
    let finished = InteractionRequest {
        postpone: false,
        ..postponed.clone()
    };
    let p1 = interactions::create(&t.store, &t.ctx, &postponed)
        .expect("postpone")
        .entry;
    let f = interactions::create(&t.store, &t.ctx, &finished)
        .expect("create")
        .entry;
    let p2 = interactions::create(&t.store, &t.ctx, &postponed)
        .expect("postpone")
        .entry;
    let before = written(&t);
    for selection in [
        vec![f.entry_no],
        vec![p1.entry_no, f.entry_no],
        vec![p1.entry_no, p2.entry_no, f.entry_no],
        vec![f.entry_no, p2.entry_no],
    ] {
        let err = interactions::delete_postponed(&t.store, &selection).expect_err("refused");
        assert!(
            matches!(err, OpError::NotPostponed { entry } if entry == f.entry_no),
            "{selection:?}: {err:?}"
        );
        assert_eq!(written(&t), before, "{selection:?}");
    }
}

#[test]
fn deleting_an_unknown_entry_is_refused_and_deletes_nothing() {
    let t = TestStore::demo();
    let req = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("BUS")),
        postpone: true,
        ..Default::default()
    };
    let p = interactions::create(&t.store, &t.ctx, &req)
        .expect("postpone")
        .entry;
    let before = written(&t);
    let err =
        interactions::delete_postponed(&t.store, &[p.entry_no, EntryNo(50)]).expect_err("refused");
    assert!(
        matches!(err, OpError::NotFound { what: "interaction log entry", ref key } if key == "50"),
        "{err:?}"
    );
    assert_eq!(written(&t), before);
}

#[test]
fn a_deleted_postponed_entry_leaves_the_contact_history() {
    let t = TestStore::demo();
    let req = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("BUS")),
        postpone: true,
        ..Default::default()
    };
    let p = interactions::create(&t.store, &t.ctx, &req)
        .expect("postpone")
        .entry;
    interactions::delete_postponed(&t.store, &[p.entry_no]).expect("delete");
    assert!(t
        .store
        .contact_entry_nos(&contact("CT100239"))
        .expect("index")
        .is_empty());
}
