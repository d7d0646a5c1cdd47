//! Arbitrary UTF-8 → `FieldFilter::parse` and `FilterExpr::parse`, then matching against a
//! fixed contact. Parsing may refuse; it must never panic, and an error must point inside the
//! input (its caret line is printed to users).
#![no_main]

use std::sync::OnceLock;

use interlog::domain::filter::{matches_all, ContactField, FieldFilter, FilterError, FilterExpr};
use interlog::domain::*;
use libfuzzer_sys::fuzz_target;

fn contact() -> &'static Contact {
    static C: OnceLock<Contact> = OnceLock::new();
    C.get_or_init(|| {
        let no = ContactNo::new("CT100001").expect("contact no");
        let mut c = Contact::new(no, "Cronus Ltd ÄÖ 'x' *?", ContactKind::Company);
        c.salesperson_code = Some(SalespersonCode::new("JR").expect("code"));
        c.country_code = Some(CountryCode::new("GB").expect("code"));
        c.language_code = Some(LanguageCode::new("ENU").expect("code"));
        c.city = "London".into();
        c.post_code = "W1 4AB".into();
        c.email = "info@cronus.example".into();
        c.phone = "+44 20 1234".into();
        c.correspondence_type = CorrespondenceType::Email;
        c.privacy_blocked = true;
        c
    })
}

/// An error must point at characters of its input (or just past its end) and display.
fn check_error(input: &str, e: &FilterError) {
    let chars = input.chars().count();
    assert_eq!(e.input, input, "error names another input");
    assert!(
        e.position <= chars,
        "error position {} beyond the input ({chars} chars): {e:?}",
        e.position
    );
    assert!(!e.to_string().is_empty());
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let c = contact();
    match FieldFilter::parse(text) {
        Ok(f) => {
            let _ = f.matches(c);
            let _ = matches_all(std::slice::from_ref(&f), c);
            let _ = f.to_string();
        }
        Err(e) => check_error(text, &e),
    }
    match FilterExpr::parse(text) {
        Ok(expr) => {
            for v in [
                "",
                "London",
                "CT100001",
                "ß",
                "İstanbul",
                "ǅ",
                "a\u{0301}",
                "\u{202e}x",
                text,
            ] {
                let _ = expr.matches(v);
            }
        }
        Err(e) => check_error(text, &e),
    }
    // The same text as the expression of every field.
    for field in ContactField::ALL {
        let full = format!("{}={text}", field.caption());
        match FieldFilter::parse(&full) {
            Ok(f) => {
                let _ = f.matches(c);
            }
            Err(e) => check_error(&full, &e),
        }
    }
});
