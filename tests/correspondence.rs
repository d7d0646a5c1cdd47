//! The correspondence type rule (SPEC §2.5): the header default if the header ignores the
//! contact's type and the default is set; else the template default if the template ignores the
//! contact's type or the contact has none; else the contact's. Email without an e-mail address
//! becomes blank. Checked on the rule itself and end to end through `interactions::create`.

mod common;

use common::*;
use interlog::domain::CorrespondenceType::{Blank, Email, HardCopy};
use interlog::domain::*;
use interlog::ops::interactions::{self, InteractionRequest};
use interlog::ops::master::{self, ContactInput};

/// A contact's side of the rule.
fn p(correspondence_type: CorrespondenceType, has_email: bool) -> ContactProfile {
    ContactProfile {
        correspondence_type,
        has_email,
    }
}

#[test]
fn the_rule_picks_header_then_template_then_contact() {
    let header = |default, ignore_contact| {
        Some(HeaderCorrespondence {
            default,
            ignore_contact,
        })
    };
    /// What the case shows, header, template default, template ignores the contact, contact,
    /// expected result.
    type Case = (
        &'static str,
        Option<HeaderCorrespondence>,
        CorrespondenceType,
        bool,
        ContactProfile,
        CorrespondenceType,
    );
    #[rustfmt::skip]
    let table: &[Case] = &[
        // what                                          header                  template default, ignores  contact              result
        ("header ignoring with a default wins",         header(HardCopy, true),  Email,    true,  p(Email, true),     HardCopy),
        ("header default wins over a blank contact",    header(HardCopy, true),  Blank,    false, p(Blank, false),    HardCopy),
        ("header e-mail needs an address",              header(Email, true),     HardCopy, false, p(HardCopy, false), Blank),
        ("header e-mail with an address",               header(Email, true),     HardCopy, false, p(HardCopy, true),  Email),
        ("header ignoring without default: template",   header(Blank, true),     HardCopy, false, p(Blank, true),     HardCopy),
        ("header ignoring without default: contact",    header(Blank, true),     HardCopy, false, p(Email, true),     Email),
        ("header not ignoring: contact",                header(HardCopy, false), Email,    false, p(Email, true),     Email),
        ("header not ignoring: template ignoring",      header(HardCopy, false), Email,    true,  p(HardCopy, true),  Email),
        ("template ignoring wins over the contact",     None,                    HardCopy, true,  p(Email, true),     HardCopy),
        ("template ignoring with a blank default",      None,                    Blank,    true,  p(HardCopy, true),  Blank),
        ("template default when contact has none",      None,                    HardCopy, false, p(Blank, true),     HardCopy),
        ("template e-mail when contact has none",       None,                    Email,    false, p(Blank, true),     Email),
        ("template e-mail needs an address",            None,                    Email,    false, p(Blank, false),    Blank),
        ("template e-mail ignoring needs an address",   None,                    Email,    true,  p(HardCopy, false), Blank),
        ("blank everywhere stays blank",                None,                    Blank,    false, p(Blank, true),     Blank),
        ("contact's own type",                          None,                    HardCopy, false, p(Email, true),     Email),
        ("contact's hard copy needs no address",        None,                    Email,    false, p(HardCopy, false), HardCopy),
        ("contact's e-mail needs an address",           None,                    HardCopy, false, p(Email, false),    Blank),
    ];
    for (what, header, template_default, template_ignores, contact, expected) in table {
        assert_eq!(
            resolve_correspondence(*header, *template_default, *template_ignores, *contact),
            *expected,
            "{what}"
        );
    }
}

#[test]
fn the_rule_never_gives_email_to_a_contact_without_address() {
    for &hd in CorrespondenceType::ALL {
        for hi in [false, true] {
            for header in [
                None,
                Some(HeaderCorrespondence {
                    default: hd,
                    ignore_contact: hi,
                }),
            ] {
                for &td in CorrespondenceType::ALL {
                    for ti in [false, true] {
                        for &ct in CorrespondenceType::ALL {
                            let got = resolve_correspondence(header, td, ti, p(ct, false));
                            assert_ne!(got, Email, "{header:?} {td:?} {ti} {ct:?}");
                            // With an address the result is one of the three candidates.
                            let with = resolve_correspondence(header, td, ti, p(ct, true));
                            assert!(with == hd || with == td || with == ct);
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn creating_an_interaction_applies_the_rule_to_template_and_contact() {
    let t = TestStore::demo();
    // Templates that do not ignore the contact's type (the demo's BUS and GOLF ignore it).
    for (code, default) in [("HC_OWN", HardCopy), ("EM_OWN", Email), ("BL_OWN", Blank)] {
        let tpl = InteractionTemplate {
            code: template(code),
            group_code: GroupCode::new("LETTER").expect("group"),
            description: format!("Template {code}"),
            unit_cost: Money::ZERO,
            unit_duration_min: 1,
            information_flow: InformationFlow::Outbound,
            initiated_by: InitiatedBy::Us,
            correspondence_type_default: default,
            ignore_contact_correspondence_type: false,
            language_code_default: None,
            campaign_no: None,
        };
        master::add_template(&t.store, tpl).expect("add template");
    }
    // One contact of each kind: its own type, with or without an e-mail address.
    let contacts = [
        ("CT910001", Blank, true),
        ("CT910002", Blank, false),
        ("CT910003", HardCopy, true),
        ("CT910004", HardCopy, false),
        ("CT910005", Email, true),
        ("CT910006", Email, false),
    ];
    for (no, kind, email) in contacts {
        let input = ContactInput {
            no: Some(no.into()),
            name: format!("Contact {no}"),
            kind: ContactKind::Company,
            email: if email {
                format!("{}@example.com", no.to_lowercase())
            } else {
                String::new()
            },
            correspondence_type: Some(kind),
            salesperson_code: Some(sp("HR")),
            ..Default::default()
        };
        master::add_contact(&t.store, &t.ctx, input).expect("add contact");
    }
    #[rustfmt::skip]
    let table = [
        // template  BUS: hard copy, ignores the contact
        ("BUS",    "CT910001", HardCopy), ("BUS",    "CT910002", HardCopy),
        ("BUS",    "CT910005", HardCopy), ("BUS",    "CT910006", HardCopy),
        // GOLF: e-mail, ignores the contact
        ("GOLF",   "CT910001", Email),    ("GOLF",   "CT910002", Blank),
        ("GOLF",   "CT910003", Email),    ("GOLF",   "CT910004", Blank),
        // OUTGOING: blank, ignores the contact
        ("OUTGOING", "CT910003", Blank),  ("OUTGOING", "CT910005", Blank),
        // HC_OWN: hard copy, the contact's type wins when it has one
        ("HC_OWN", "CT910001", HardCopy), ("HC_OWN", "CT910002", HardCopy),
        ("HC_OWN", "CT910003", HardCopy), ("HC_OWN", "CT910004", HardCopy),
        ("HC_OWN", "CT910005", Email),    ("HC_OWN", "CT910006", Blank),
        // EM_OWN: e-mail, the contact's type wins when it has one
        ("EM_OWN", "CT910001", Email),    ("EM_OWN", "CT910002", Blank),
        ("EM_OWN", "CT910003", HardCopy), ("EM_OWN", "CT910004", HardCopy),
        ("EM_OWN", "CT910005", Email),    ("EM_OWN", "CT910006", Blank),
        // BL_OWN: blank, the contact's type wins when it has one
        ("BL_OWN", "CT910001", Blank),    ("BL_OWN", "CT910004", HardCopy),
        ("BL_OWN", "CT910005", Email),
        // the demo contacts have no type of their own and an address
        ("GOLF",   "CT100239", Email),    ("INHOUSE", "CT100125", Blank),
    ];
    for (tpl, no, expected) in table {
        let req = InteractionRequest {
            contact: Some(contact(no)),
            template: Some(template(tpl)),
            ..Default::default()
        };
        let e = interactions::create(&t.store, &t.ctx, &req)
            .expect("create")
            .entry;
        assert_eq!(e.correspondence_type, expected, "{tpl} for {no}");
        assert_eq!(
            interactions::get(&t.store, e.entry_no)
                .expect("get")
                .correspondence_type,
            expected,
            "{tpl} for {no}, as stored"
        );
    }
}

#[test]
fn a_given_correspondence_type_overrides_the_rule() {
    let t = TestStore::demo();
    let req = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("GOLF")),
        correspondence_type: Some(HardCopy),
        ..Default::default()
    };
    let e = interactions::create(&t.store, &t.ctx, &req)
        .expect("create")
        .entry;
    assert_eq!(e.correspondence_type, HardCopy);
}
