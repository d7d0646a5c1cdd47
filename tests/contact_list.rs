//! `contact list` with BC filters and a limit, through the binary.

mod common;

use common::bin::Bin;

#[test]
fn contact_list_filters_with_bc_syntax_and_limits() {
    let b = Bin::demo();
    let all = b.json(&["contact", "list"]);
    let all = all.as_array().unwrap();
    let v = b.json(&[
        "contact",
        "list",
        "--filter",
        "City=Manchester",
        "--filter",
        "Type=Person",
    ]);
    let v = v.as_array().unwrap();
    assert!(!v.is_empty() && v.len() < all.len());
    assert!(
        v.iter()
            .all(|c| c["city"] == "Manchester" && c["kind"] == "person"),
        "{v:?}"
    );
    let expected = all
        .iter()
        .filter(|c| c["city"] == "Manchester" && c["kind"] == "person")
        .count();
    assert_eq!(v.len(), expected);
    let two = b.json(&["contact", "list", "--limit", "2"]);
    assert_eq!(two.as_array().unwrap()[..], all[..2]);
    let none = b.json(&["contact", "list", "--limit", "0"]);
    assert!(none.as_array().unwrap().is_empty());
    let err = b.fails(&["contact", "list", "--filter", "Cty=M"], 2);
    assert!(
        err.contains("unknown field") && err.contains("City"),
        "{err}"
    );
    let text = b.ok(&[
        "contact",
        "list",
        "--filter",
        "Name=@*SHOWROOM*",
        "--limit",
        "5",
    ]);
    assert!(text.contains("Cane Showroom"), "{text}");
}
