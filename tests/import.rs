//! Importing master data from CSV and JSON files: the demo set, BC exports, all-or-nothing
//! files, and errors that name file, line and column.

use std::path::{Path, PathBuf};

use chrono::{NaiveDate, NaiveTime};
use interlog::domain::*;
use interlog::exchange::import::{import_file, ImportError, ImportKind, ImportReport};
use interlog::ops::master;
use interlog::storage::Store;
use interlog::{Ctx, OpError};
use tempfile::TempDir;

/// A fresh store in a temporary directory, and a place for test files.
struct Env {
    dir: TempDir,
    store: Store,
    ctx: Ctx,
}

impl Env {
    fn new() -> Env {
        let dir = TempDir::new().expect("temp dir");
        let store = master::init(&dir.path().join("store")).expect("init store");
        let ctx = Ctx::at(
            UserId::new("TEST").expect("user id"),
            NaiveDate::from_ymd_opt(2025, 3, 14).expect("date"),
            NaiveTime::from_hms_opt(9, 30, 0).expect("time"),
        );
        Env { dir, store, ctx }
    }

    /// Writes a test file and returns its path.
    fn file(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, contents).expect("write test file");
        path
    }

    fn import(&self, path: &Path) -> Result<ImportReport, ImportError> {
        import_file(&self.store, &self.ctx, path, None)
    }

    /// Imports a fixture, which must succeed, and returns the number of records.
    fn load(&self, fixture_path: &str) -> usize {
        let path = fixture(fixture_path);
        match self.import(&path) {
            Ok(r) => r.records,
            Err(e) => panic!("{fixture_path} did not import: {e}"),
        }
    }

    fn load_demo(&self) {
        for f in [
            "demo/groups.csv",
            "demo/salespeople.csv",
            "demo/campaigns.json",
            "demo/templates.csv",
            "demo/contacts.csv",
        ] {
            self.load(f);
        }
    }

    fn contacts(&self) -> Vec<Contact> {
        master::list_contacts(&self.store).expect("list contacts")
    }
}

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel)
}

/// The pieces of a record error: line, column, message and the refusal.
fn record_error(e: ImportError) -> (u64, Option<String>, String, OpError) {
    let text = e.to_string();
    match e {
        ImportError::Record {
            line, field, cause, ..
        } => (line, field, text, *cause),
        other => panic!("expected a record error, got {other:?}"),
    }
}

fn code<T: std::str::FromStr>(s: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    s.parse().expect("valid code")
}

#[test]
fn the_demo_set_imports_with_bcs_values() {
    let env = Env::new();
    assert_eq!(env.load("demo/groups.csv"), 6);
    assert_eq!(env.load("demo/salespeople.csv"), 7);
    assert_eq!(env.load("demo/campaigns.json"), 3);
    assert_eq!(env.load("demo/templates.csv"), 31);
    assert_eq!(env.load("demo/contacts.csv"), 20);

    assert_eq!(master::list_groups(&env.store).unwrap().len(), 6);
    assert_eq!(master::list_salespeople(&env.store).unwrap().len(), 7);
    assert_eq!(master::list_campaigns(&env.store).unwrap().len(), 3);
    assert_eq!(master::list_templates(&env.store).unwrap().len(), 31);
    assert_eq!(env.contacts().len(), 20);

    let abstract_ = master::get_template(&env.store, &code("ABSTRACT")).unwrap();
    assert_eq!(
        abstract_,
        InteractionTemplate {
            code: code("ABSTRACT"),
            group_code: code("LETTER"),
            description: "Abstracts of meeting".into(),
            unit_cost: Money::from_cents(800),
            unit_duration_min: 90,
            information_flow: InformationFlow::Outbound,
            initiated_by: InitiatedBy::Blank,
            correspondence_type_default: CorrespondenceType::HardCopy,
            ignore_contact_correspondence_type: true,
            language_code_default: None,
            campaign_no: None,
        }
    );
    let income = master::get_template(&env.store, &code("INCOME")).unwrap();
    assert_eq!(income.unit_cost, Money::ZERO);
    assert_eq!(income.information_flow, InformationFlow::Inbound);
    assert_eq!(income.initiated_by, InitiatedBy::Them);
    assert_eq!(
        income.correspondence_type_default,
        CorrespondenceType::Blank
    );
    let golf = master::get_template(&env.store, &code("GOLF")).unwrap();
    assert_eq!(golf.correspondence_type_default, CorrespondenceType::Email);

    let jo = master::get_salesperson(&env.store, &code("JO")).unwrap();
    assert_eq!(
        (jo.name.as_str(), jo.email.as_str()),
        ("Jim Olive", "JO@contoso.com")
    );

    let cp = master::get_campaign(&env.store, &code("CP1002")).unwrap();
    assert_eq!(cp.description, "Event");
    assert_eq!(cp.salesperson_code, Some(code("BC")));
    assert_eq!((cp.starting_date, cp.ending_date), (None, None));

    let taylor = master::get_contact(&env.store, &code("CT100005")).unwrap();
    assert_eq!(taylor.name, "Taylor\"s Office Warehouse");
    assert_eq!(taylor.kind, ContactKind::Company);
    assert_eq!(taylor.company_no, Some(code("CT100005")));
    let susan = master::get_contact(&env.store, &code("CT100142")).unwrap();
    assert_eq!(susan.kind, ContactKind::Person);
    assert_eq!(susan.company_no, Some(code("CT100242")));
    assert_eq!(susan.city, "Southsea, Portsmouth");
    assert_eq!(susan.post_code, "GB-PO21 6HG");
    assert_eq!(susan.country_code, Some(code("GB")));
    assert_eq!(susan.salesperson_code, Some(code("JO")));
    assert_eq!(susan.language_code, Some(code("ENG")));
    assert_eq!(susan.email, "susan.w.eaton@contoso.com");
    assert_eq!(susan.correspondence_type, CorrespondenceType::Blank);
}

#[test]
fn a_contact_list_exported_from_bc_loads_as_it_is() {
    let env = Env::new();
    env.load_demo();
    assert_eq!(env.load("bc-export/contacts.csv"), 5);
    assert_eq!(env.contacts().len(), 25);
    let alpine = master::get_contact(&env.store, &code("CT000013")).unwrap();
    assert_eq!(alpine.name, "Alpine Ski House");
    assert_eq!(alpine.kind, ContactKind::Company);
    assert_eq!(alpine.city, "Munchen");
    assert_eq!(alpine.language_code, Some(code("DEU")));
    assert_eq!(alpine.email, "ian.deberry@contoso.com");
}

#[test]
fn an_import_with_one_bad_record_writes_nothing() {
    let env = Env::new();
    env.load("demo/salespeople.csv");
    let before = master::peek_series(&env.store, &env.ctx, &code("CONT")).unwrap();
    let path = env.file(
        "contacts.csv",
        "No.,Name,Type,E-Mail\n\
         ,Drawn Number Ltd,Company,info@drawn.example\n\
         CT900001,Good Company,Company,good@example.com\n\
         CT900002,Bob,Person,bob@\n\
         CT900003,Also Good,Company,\n",
    );
    let (line, field, text, cause) = record_error(env.import(&path).unwrap_err());
    assert_eq!(line, 4);
    assert_eq!(field.as_deref(), Some("E-Mail"));
    assert!(matches!(
        cause,
        OpError::Domain(DomainError::Invalid { .. })
    ));
    assert!(
        text.ends_with(
            "contacts.csv line 4, field \"E-Mail\": \"bob@\" is not an e-mail address (expected name@domain)"
        ),
        "{text}"
    );
    assert!(env.contacts().is_empty());
    let after = master::peek_series(&env.store, &env.ctx, &code("CONT")).unwrap();
    assert_eq!(after.no, before.no, "no number was used up");
}

#[test]
fn each_refusal_names_the_column_as_written_in_the_file() {
    let env = Env::new();
    env.load("demo/groups.csv");
    env.load("demo/salespeople.csv");
    // (file name, contents, line, column)
    let cases = [
        (
            "c1-contacts.csv",
            "No.,Name,Salesperson Code\nCT1,A,THIS-CODE-IS-WAY-TOO-LONG\n",
            2,
            "Salesperson Code",
        ),
        (
            "c2-contacts.csv",
            "no,name,salesperson_code\nCT1,A,NOBODY\n",
            2,
            "salesperson_code",
        ),
        ("c3-contacts.csv", "No.,Name,Type\nCT1,A,Robot\n", 2, "Type"),
        (
            "c4-contacts.csv",
            "No.,Name,Type,Company No.\nCT1,Pat,Person,CT404\n",
            2,
            "Company No.",
        ),
        ("c5-contacts.csv", "No.,Name\nCT1,\n", 2, "Name"),
        (
            "c6-contacts.csv",
            "No.,Name,Privacy Blocked\nCT1,A,maybe\n",
            2,
            "Privacy Blocked",
        ),
        (
            "t1-templates.csv",
            "code,group_code,unit_cost\nT1,LETTER,abc\n",
            2,
            "unit_cost",
        ),
        (
            "t2-templates.csv",
            "Code,Interaction Group Code,Unit Duration (Min.)\nT1,LETTER,1.5\n",
            2,
            "Unit Duration (Min.)",
        ),
        (
            "t3-templates.csv",
            "code,group_code,information_flow\nT1,LETTER,sideways\n",
            2,
            "information_flow",
        ),
        (
            "t4-templates.csv",
            "code,group_code\nT1,NOGROUP\n",
            2,
            "group_code",
        ),
        (
            "t5-templates.csv",
            "code,description\nT1,No group\n",
            2,
            "group_code",
        ),
        (
            "t6-templates.csv",
            "code,group_code,campaign_no\nT1,LETTER,CP404\n",
            2,
            "campaign_no",
        ),
        (
            "s1-salespeople.csv",
            "code,name\nXX,A name that is much longer than fifty characters surely\n",
            2,
            "name",
        ),
        (
            "g1-groups.csv",
            "Code,Description\nLETTER,Letters again\n",
            2,
            "Code",
        ),
        (
            "p1-campaigns.csv",
            "no,description,starting_date\nCP1,Spring,14.03.2025\n",
            2,
            "starting_date",
        ),
        (
            "p2-campaigns.csv",
            "no,starting_date,ending_date\nCP1,2025-03-14,2025-03-01\n",
            2,
            "ending_date",
        ),
    ];
    for (name, contents, want_line, want_field) in cases {
        let path = env.file(name, contents);
        let e = env.import(&path).unwrap_err();
        assert_eq!(e.file(), path.as_path(), "{name}");
        let (line, field, text, _) = record_error(e);
        assert_eq!(line, want_line, "{name}: {text}");
        assert_eq!(field.as_deref(), Some(want_field), "{name}: {text}");
        assert!(
            text.contains(&format!(
                "{name} line {want_line}, field \"{want_field}\": "
            )),
            "{text}"
        );
    }
}

#[test]
fn an_unknown_column_is_reported_not_dropped() {
    let env = Env::new();
    let path = env.file(
        "contacts.csv",
        "No.,Name,Fax No.,Address,Shoe Size\nCT1,A,123,Street 1,44\n",
    );
    match env.import(&path).unwrap_err() {
        ImportError::UnknownColumns {
            line,
            columns,
            accepted,
            ..
        } => {
            assert_eq!(line, 1);
            assert_eq!(columns, ["Fax No.", "Shoe Size"]);
            assert!(accepted.iter().any(|a| a == "no (No.)"), "{accepted:?}");
            assert!(
                accepted.iter().any(|a| a == "Address (ignored)"),
                "{accepted:?}"
            );
        }
        other => panic!("expected unknown columns, got {other:?}"),
    }
    assert!(env.contacts().is_empty());
}

#[test]
fn an_unknown_json_key_is_reported_with_its_record_line() {
    let env = Env::new();
    let path = env.file(
        "groups.json",
        "[\n  {\"code\": \"A\"},\n  {\"code\": \"B\",\n   \"colour\": \"red\"}\n]\n",
    );
    match env.import(&path).unwrap_err() {
        ImportError::UnknownColumns { line, columns, .. } => {
            assert_eq!(
                (line, columns.as_slice()),
                (3, ["colour".to_string()].as_slice())
            );
        }
        other => panic!("expected unknown columns, got {other:?}"),
    }
    assert!(master::list_groups(&env.store).unwrap().is_empty());
}

#[test]
fn a_field_given_twice_is_refused() {
    let env = Env::new();
    let path = env.file("groups.csv", "code,Description,description\nA,x,y\n");
    assert!(matches!(
        env.import(&path).unwrap_err(),
        ImportError::DuplicateColumn { line: 1, ref first, ref second, .. }
            if first == "Description" && second == "description"
    ));
    let path = env.file("g.json", "[{\"code\": \"A\", \"Code\": \"B\"}]");
    assert!(matches!(
        import_file(&env.store, &env.ctx, &path, Some(ImportKind::Groups)).unwrap_err(),
        ImportError::DuplicateColumn { line: 1, .. }
    ));
}

#[test]
fn json_errors_give_the_line_where_the_record_starts() {
    let env = Env::new();
    env.load("demo/salespeople.csv");
    let path = env.file(
        "campaigns.json",
        r#"[
  {
    "no": "CP2001",
    "description": "Spring",
    "salesperson_code": "HR"
  },
  { "no": "CP2002", "description": "Summer", "salesperson_code": "BC" },

  {
    "no": "CP2003",
    "description": "Autumn",
    "salesperson_code": "ZZ"
  }
]
"#,
    );
    let (line, field, text, cause) = record_error(env.import(&path).unwrap_err());
    assert_eq!(line, 9, "{text}");
    assert_eq!(field.as_deref(), Some("salesperson_code"));
    assert!(
        matches!(
            cause,
            OpError::NotFound {
                what: "salesperson",
                ..
            }
        ),
        "{cause:?}"
    );
    assert!(master::list_campaigns(&env.store).unwrap().is_empty());
}

#[test]
fn json_syntax_errors_give_the_files_line_and_column() {
    let env = Env::new();
    let path = env.file(
        "groups.json",
        "[\n  {\"code\": \"A\"},\n  {\"code\": \"B\",}\n]\n",
    );
    match env.import(&path).unwrap_err() {
        ImportError::Syntax { line, column, .. } => {
            assert_eq!(line, 3);
            assert!(column.is_some());
        }
        other => panic!("expected a syntax error, got {other:?}"),
    }
    let path = env.file("more-groups.json", "{\"code\": \"A\"}");
    assert!(matches!(
        env.import(&path).unwrap_err(),
        ImportError::Syntax { line: 1, .. }
    ));
    let path = env.file("groups-of-numbers.json", "[\n{\"code\": \"A\"},\n 7\n]");
    assert!(matches!(
        env.import(&path).unwrap_err(),
        ImportError::Syntax { line: 3, .. }
    ));
    assert!(master::list_groups(&env.store).unwrap().is_empty());
}

#[test]
fn csv_lines_are_physical_lines_even_with_quoted_line_breaks() {
    let env = Env::new();
    let path = env.file(
        "contacts.csv",
        "No.,Name,Address\nCT1,A,\"Ringwood Road\nManchester\"\n\nCT2,B,x\nCT3,\"bad \u{7} bell\",y\n",
    );
    let (line, field, text, _) = record_error(env.import(&path).unwrap_err());
    assert_eq!((line, field.as_deref()), (6, Some("Name")), "{text}");
    let path = env.file("short-groups.csv", "code,description\nA,x\nB\n");
    assert!(matches!(
        env.import(&path).unwrap_err(),
        ImportError::Syntax { line: 3, .. }
    ));
}

#[test]
fn reimporting_the_same_file_is_refused_and_writes_nothing() {
    let env = Env::new();
    env.load("demo/groups.csv");
    // Every refused record of the file is listed, not only the first.
    let all = env.import(&fixture("demo/groups.csv")).unwrap_err();
    let text = all.to_string();
    let ImportError::Records {
        count, mut errors, ..
    } = all
    else {
        panic!("expected every refused record, got {all:?}");
    };
    assert_eq!((count, errors.len()), (6, 6), "{text}");
    assert!(
        text.contains("6 record(s) refused") && text.contains("line 7"),
        "{text}"
    );
    let (line, field, _, cause) = record_error(errors.remove(0));
    assert_eq!((line, field.as_deref()), (2, Some("code")));
    assert!(matches!(
        cause,
        OpError::AlreadyExists {
            what: "interaction group",
            ..
        }
    ));

    let path = env.file(
        "groups.csv",
        "code,description\nNEW,A new group\nLETTER,Letters\n",
    );
    let (line, _, _, cause) = record_error(env.import(&path).unwrap_err());
    assert_eq!(line, 3);
    assert!(matches!(cause, OpError::AlreadyExists { .. }));
    let groups = master::list_groups(&env.store).unwrap();
    assert_eq!(groups.len(), 6);
    assert!(groups.iter().all(|g| g.code.as_str() != "NEW"));
}

#[test]
fn a_record_repeated_within_a_file_is_refused() {
    let env = Env::new();
    let path = env.file("groups.csv", "code,description\nA,x\nB,y\na,z\n");
    let (line, _, _, cause) = record_error(env.import(&path).unwrap_err());
    assert_eq!(line, 4);
    assert!(matches!(cause, OpError::AlreadyExists { .. }));
    assert!(master::list_groups(&env.store).unwrap().is_empty());
}

#[test]
fn persons_may_reference_a_company_earlier_in_the_same_file() {
    let env = Env::new();
    let path = env.file(
        "contacts.json",
        r#"[
  {"no": "CT500", "name": "Acme", "kind": "company"},
  {"no": "CT501", "name": "Ann", "kind": "PERSON", "company_no": "CT500"},
  {"no": "CT502", "name": "Ben", "kind": "Person", "company_no": "ct500", "email": null}
]"#,
    );
    assert_eq!(env.import(&path).unwrap().records, 3);
    let ben = master::get_contact(&env.store, &code("CT502")).unwrap();
    assert_eq!(ben.company_no, Some(code("CT500")));

    let path = env.file(
        "more-contacts.csv",
        "no,name,kind,company_no\nCT601,Cy,Person,CT600\nCT600,Later Ltd,Company,\n",
    );
    let (line, field, _, cause) = record_error(env.import(&path).unwrap_err());
    assert_eq!((line, field.as_deref()), (2, Some("company_no")));
    assert!(matches!(
        cause,
        OpError::NotFound {
            what: "company contact",
            ..
        }
    ));

    let path = env.file(
        "person-contacts.csv",
        "no,name,kind,company_no\nCT701,Di,Person,CT501\n",
    );
    let (_, field, _, cause) = record_error(env.import(&path).unwrap_err());
    assert_eq!(field.as_deref(), Some("company_no"));
    assert!(
        matches!(cause, OpError::Refused { .. }),
        "a person is not a company"
    );
}

#[test]
fn an_empty_file_is_refused() {
    let env = Env::new();
    for (name, contents) in [
        ("groups.csv", ""),
        ("blank-groups.csv", " \n\n"),
        ("header-groups.csv", "code,description\n"),
        ("groups.json", "[]"),
        ("spaced-groups.json", "  [\n  ]\n"),
        ("nothing-groups.json", ""),
    ] {
        let path = env.file(name, contents);
        let e = env.import(&path).unwrap_err();
        assert!(matches!(e, ImportError::Empty { .. }), "{name}: {e:?}");
        assert!(
            e.to_string().ends_with(&format!("{name} holds no records")),
            "{e}"
        );
    }
}

#[test]
fn the_kind_comes_from_the_file_name_or_must_be_given() {
    let env = Env::new();
    let path = env.file("data.csv", "code,description\nA,x\n");
    let e = env.import(&path).unwrap_err();
    assert!(matches!(e, ImportError::UnknownKind { .. }));
    assert!(e.to_string().contains("or pass --kind"), "{e}");
    let r = import_file(&env.store, &env.ctx, &path, Some(ImportKind::Groups)).unwrap();
    assert_eq!((r.kind, r.records), (ImportKind::Groups, 1));

    let path = env.file("groups.txt", "code,description\nB,y\n");
    let e = env.import(&path).unwrap_err();
    assert!(matches!(e, ImportError::UnsupportedFormat { .. }));
    assert!(e.to_string().contains(".json and .jsonl"), "{e}");
}

#[test]
fn json_values_may_be_numbers_booleans_or_text() {
    let env = Env::new();
    env.load("demo/groups.csv");
    let path = env.file(
        "templates.json",
        r#"[
  {"code": "T1", "group_code": "LETTER", "unit_cost": 12.5, "unit_duration_min": 30,
   "ignore_contact_correspondence_type": true, "correspondence_type_default": "Hard Copy"},
  {"Code": "T2", "Interaction Group Code": "PHONE", "Unit Cost (LCY)": "12.50",
   "Unit Duration (Min.)": "5", "Ignore Contact Corres. Type": "Yes",
   "Information Flow": "Inbound", "Initiated By": "Them", "Wizard Action": "Open",
   "Correspondence Type (Default)": null, "Campaign No.": null}
]"#,
    );
    assert_eq!(env.import(&path).unwrap().records, 2);
    let t1 = master::get_template(&env.store, &code("T1")).unwrap();
    let t2 = master::get_template(&env.store, &code("T2")).unwrap();
    assert_eq!(
        (t1.unit_cost, t2.unit_cost),
        (Money::from_cents(1250), Money::from_cents(1250))
    );
    assert_eq!((t1.unit_duration_min, t2.unit_duration_min), (30, 5));
    assert!(t1.ignore_contact_correspondence_type && t2.ignore_contact_correspondence_type);
    assert_eq!(t1.correspondence_type_default, CorrespondenceType::HardCopy);
    assert_eq!(t2.correspondence_type_default, CorrespondenceType::Blank);
    assert_eq!(
        (t2.information_flow, t2.initiated_by),
        (InformationFlow::Inbound, InitiatedBy::Them)
    );

    let path = env.file(
        "bad-templates.json",
        r#"[{"code": "T3", "group_code": "LETTER", "description": ["a"]}]"#,
    );
    let (line, field, _, _) = record_error(env.import(&path).unwrap_err());
    assert_eq!((line, field.as_deref()), (1, Some("description")));
}

#[test]
fn a_template_file_without_a_correspondence_column_gives_the_new_template_default() {
    let env = Env::new();
    env.load("demo/groups.csv");
    let path = env.file(
        "templates.csv",
        "code,group_code,description\nT1,LETTER,Plain\n",
    );
    env.import(&path).unwrap();
    let t1 = master::get_template(&env.store, &code("T1")).unwrap();
    assert_eq!(t1.correspondence_type_default, CorrespondenceType::Email);
    assert_eq!((t1.unit_cost, t1.unit_duration_min), (Money::ZERO, 0));
}

#[test]
fn a_bom_and_spaces_around_cells_are_tolerated() {
    let env = Env::new();
    let path = env.file(
        "groups.csv",
        "\u{feff}Code , Description\n  a1 ,  Spaced out  \n",
    );
    env.import(&path).unwrap();
    let groups = master::list_groups(&env.store).unwrap();
    assert_eq!(groups[0].code.as_str(), "A1");
    assert_eq!(groups[0].description, "Spaced out");
    let path = env.file("more-groups.json", "\u{feff}[{\"code\": \"B1\"}]");
    env.import(&path).unwrap();
}

#[test]
fn control_characters_are_refused_naming_the_field() {
    let env = Env::new();
    let path = env.file(
        "contacts.json",
        "[{\"no\": \"CT1\", \"name\": \"Bell\\u0007Co\"}]",
    );
    let (line, field, text, cause) = record_error(env.import(&path).unwrap_err());
    assert_eq!((line, field.as_deref()), (1, Some("name")));
    assert!(
        matches!(cause, OpError::Domain(DomainError::BadCharacter { .. })),
        "{text}"
    );
}

#[test]
fn contacts_without_a_number_draw_from_the_contact_series() {
    let env = Env::new();
    let path = env.file(
        "contacts.csv",
        "Name,Type\nFirst Ltd,Company\nSecond Ltd,Company\n",
    );
    assert_eq!(env.import(&path).unwrap().records, 2);
    let nos: Vec<String> = env.contacts().iter().map(|c| c.no.to_string()).collect();
    assert_eq!(nos, ["CT000001", "CT000002"]);
}
