//! The column tables of each kind: interlog's field names, Business Central's captions, the
//! BC columns interlog deliberately does not store, and how an error names its column.

use super::*;

/// One field of a kind: interlog's name, BC's captions, and the names the domain and the
/// operations use for it in their errors (to tell which column an error is about).
pub(super) struct Column {
    pub(super) name: &'static str,
    pub(super) captions: &'static [&'static str],
    pub(super) error_names: &'static [&'static str],
}

pub(super) const fn col(
    name: &'static str,
    captions: &'static [&'static str],
    error_names: &'static [&'static str],
) -> Column {
    Column {
        name,
        captions,
        error_names,
    }
}

/// Everything the importer knows about one kind of file.
pub(super) struct KindSpec {
    pub(super) kind: ImportKind,
    /// What a file name of this kind contains.
    pub(super) name_hint: &'static str,
    pub(super) columns: &'static [Column],
    /// BC columns interlog does not store; accepted and skipped.
    pub(super) ignored: &'static [&'static str],
    /// The field an "already exists" refusal is about.
    pub(super) key: &'static str,
    /// The field a plain refusal (`OpError::Refused`) is about, if any.
    pub(super) refused: Option<&'static str>,
}

pub(super) const SPECS: [&KindSpec; 5] = [&CONTACTS, &SALESPEOPLE, &GROUPS, &TEMPLATES, &CAMPAIGNS];

pub(super) static CONTACTS: KindSpec = KindSpec {
    kind: ImportKind::Contacts,
    name_hint: "contact",
    columns: &[
        col(
            "no",
            &["No."],
            &["contact number", "number", "number series"],
        ),
        col("name", &["Name"], &["name"]),
        col("kind", &["Type"], &["contact type"]),
        col(
            "company_no",
            &["Company No."],
            &["company no.", "company contact"],
        ),
        col("email", &["E-Mail"], &["e-mail"]),
        col(
            "salesperson_code",
            &["Salesperson Code"],
            &["salesperson", "salesperson code"],
        ),
        col("language_code", &["Language Code"], &["language code"]),
        col(
            "correspondence_type",
            &["Correspondence Type"],
            &["correspondence type"],
        ),
        col("privacy_blocked", &["Privacy Blocked"], &[]),
        col("exclude_from_segment", &["Exclude from Segment"], &[]),
        col("city", &["City"], &["city"]),
        col("post_code", &["Post Code"], &["post code"]),
        col(
            "country_code",
            &["Country/Region Code"],
            &["country/region code"],
        ),
        col("phone", &["Phone No."], &["phone"]),
    ],
    ignored: &[
        "Address",
        "Address 2",
        "Salutation Code",
        "Search Name",
        "Company Name",
        "Territory Code",
        "Currency Code",
        "Mobile Phone No.",
        "Job Title",
    ],
    key: "no",
    refused: Some("company_no"),
};

pub(super) static SALESPEOPLE: KindSpec = KindSpec {
    kind: ImportKind::Salespeople,
    name_hint: "salesp",
    columns: &[
        col("code", &["Code"], &["salesperson code"]),
        col("name", &["Name"], &["name"]),
        col("email", &["E-Mail"], &["e-mail"]),
        col("blocked", &["Blocked"], &[]),
        col("privacy_blocked", &["Privacy Blocked"], &[]),
    ],
    ignored: &["Commission %", "Job Title", "Phone No."],
    key: "code",
    refused: None,
};

pub(super) static GROUPS: KindSpec = KindSpec {
    kind: ImportKind::Groups,
    name_hint: "group",
    columns: &[
        col("code", &["Code"], &["interaction group code"]),
        col("description", &["Description"], &["description"]),
    ],
    // Flow fields shown on BC's Interaction Groups page.
    ignored: &["No. of Interactions", "Cost (LCY)", "Duration (Min.)"],
    key: "code",
    refused: None,
};

pub(super) static TEMPLATES: KindSpec = KindSpec {
    kind: ImportKind::Templates,
    name_hint: "template",
    columns: &[
        col("code", &["Code"], &["interaction template code"]),
        col(
            "group_code",
            &["Interaction Group Code"],
            &["interaction group", "interaction group code"],
        ),
        col("description", &["Description"], &["description"]),
        col("unit_cost", &["Unit Cost (LCY)"], &["amount"]),
        col("unit_duration_min", &["Unit Duration (Min.)"], &[]),
        col(
            "information_flow",
            &["Information Flow"],
            &["information flow"],
        ),
        col("initiated_by", &["Initiated By"], &["initiated by"]),
        col(
            "correspondence_type_default",
            &["Correspondence Type (Default)"],
            &["correspondence type"],
        ),
        col(
            "ignore_contact_correspondence_type",
            &["Ignore Contact Corres. Type"],
            &[],
        ),
        col(
            "language_code_default",
            &["Language Code (Default)"],
            &["language code"],
        ),
        col(
            "campaign_no",
            &["Campaign No."],
            &["campaign", "campaign number"],
        ),
    ],
    ignored: &[
        "Wizard Action",
        "Attachment No.",
        "Campaign Target",
        "Campaign Response",
        "No. of Interactions",
        "Cost (LCY)",
        "Duration (Min.)",
    ],
    key: "code",
    refused: None,
};

pub(super) static CAMPAIGNS: KindSpec = KindSpec {
    kind: ImportKind::Campaigns,
    name_hint: "campaign",
    columns: &[
        col(
            "no",
            &["No."],
            &["campaign number", "number", "number series"],
        ),
        col("description", &["Description"], &["description"]),
        col("starting_date", &["Starting Date"], &["starting date"]),
        col("ending_date", &["Ending Date"], &["ending date"]),
        col(
            "salesperson_code",
            &["Salesperson Code"],
            &["salesperson", "salesperson code"],
        ),
    ],
    ignored: &["Status Code", "Last Date Modified", "No. Series"],
    key: "no",
    refused: None,
};

/// Lower case, letters and digits only: `Country/Region Code` → `countryregioncode`,
/// `company_no` and `Company No.` → `companyno`.
pub(super) fn normalize(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

pub(super) enum Resolved {
    Field(usize),
    Ignored(usize),
    Unknown,
}

impl KindSpec {
    pub(super) fn resolve(&self, written: &str) -> Resolved {
        let n = normalize(written);
        if let Some(i) = self.columns.iter().position(|c| {
            normalize(c.name) == n || c.captions.iter().any(|cap| normalize(cap) == n)
        }) {
            return Resolved::Field(i);
        }
        match self.ignored.iter().position(|i| normalize(i) == n) {
            Some(i) => Resolved::Ignored(i),
            None => Resolved::Unknown,
        }
    }

    pub(super) fn accepted(&self) -> Vec<String> {
        let mut all: Vec<String> = self
            .columns
            .iter()
            .map(|c| format!("{} ({})", c.name, c.captions.join(", ")))
            .collect();
        all.extend(self.ignored.iter().map(|i| format!("{i} (ignored)")));
        all
    }

    pub(super) fn index(&self, name: &str) -> usize {
        // Asked per field per record with the same literals as the table's: found by address
        // first, by text only if the compiler did not merge the two.
        self.columns
            .iter()
            .position(|c| std::ptr::eq(c.name, name))
            .or_else(|| self.columns.iter().position(|c| c.name == name))
            .unwrap_or_else(|| panic!("column {name} is not in the table of {}", self.kind))
    }

    /// The field an operation's error is about, if it can be told.
    pub(super) fn field_of(&self, e: &OpError) -> Option<usize> {
        let name: &str = match e {
            OpError::AlreadyExists { .. } => return Some(self.index(self.key)),
            OpError::Refused { .. } => return self.refused.map(|f| self.index(f)),
            OpError::NotFound { what, .. } | OpError::Missing { what, .. } => what,
            OpError::Domain(d) => domain_field(d)?,
            _ => return None,
        };
        self.columns
            .iter()
            .position(|c| c.error_names.contains(&name))
    }
}

pub(super) fn domain_field(e: &DomainError) -> Option<&'static str> {
    match e {
        DomainError::EmptyCode { kind } | DomainError::CodeTooLong { kind, .. } => Some(kind),
        DomainError::TextTooLong { field, .. }
        | DomainError::BadCharacter { field, .. }
        | DomainError::BadNumber { field, .. }
        | DomainError::BadOption { field, .. }
        | DomainError::BadDate { field, .. }
        | DomainError::Invalid { field, .. } => Some(field),
        DomainError::BadMoney { .. } => Some("amount"),
        DomainError::Series(_) => Some("number series"),
        _ => None,
    }
}

/// The message of an error whose field is named separately (so it does not repeat the
/// field's internal name): `"bob@" is not an e-mail address (expected name@domain)`.
pub(super) fn describe(e: &OpError, field_named: bool) -> String {
    let OpError::Domain(d) = e else {
        return e.to_string();
    };
    if !field_named {
        return d.to_string();
    }
    match d {
        DomainError::EmptyCode { kind } => format!("is empty — the {kind} is required"),
        DomainError::CodeTooLong {
            value, max, len, ..
        } => format!("{value:?} is too long: {len} characters, at most {max} allowed"),
        DomainError::TextTooLong { max, len, .. } => {
            format!("is too long: {len} characters, at most {max} allowed")
        }
        DomainError::BadCharacter { value, ch, .. } => {
            format!(
                "{value:?} contains the {} {ch:?}",
                crate::domain::char_kind(*ch)
            )
        }
        DomainError::BadDate { value, .. } => {
            format!(
                "{value:?} is not a valid date (expected {})",
                crate::domain::DATE_FORMAT_HINT
            )
        }
        DomainError::Invalid { value, reason, .. } => {
            if value.trim().is_empty() {
                format!("is empty — {reason}")
            } else if reason.starts_with("not ") {
                format!("{value:?} is {reason}")
            } else if reason.starts_with("is ") {
                format!("{value:?} {reason}")
            } else {
                format!("{value:?}: {reason}")
            }
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn every_column_name_and_caption_is_unique_within_its_kind() {
        for spec in SPECS {
            let mut seen = HashMap::new();
            for (i, c) in spec.columns.iter().enumerate() {
                for n in std::iter::once(c.name).chain(c.captions.iter().copied()) {
                    if let Some(j) = seen.insert(normalize(n), i) {
                        assert_eq!(i, j, "{} clashes in {}", n, spec.kind);
                    }
                }
            }
            for i in spec.ignored {
                assert!(
                    !seen.contains_key(&normalize(i)),
                    "ignored {i} is a field of {}",
                    spec.kind
                );
            }
        }
    }

    #[test]
    fn kinds_come_from_file_names() {
        let k = |n: &str| ImportKind::from_file_name(Path::new(n));
        assert_eq!(k("contacts.csv"), Some(ImportKind::Contacts));
        assert_eq!(k("dir/BC-Templates.json"), Some(ImportKind::Templates));
        assert_eq!(k("salespeople.csv"), Some(ImportKind::Salespeople));
        assert_eq!(k("Interaction Groups.csv"), Some(ImportKind::Groups));
        assert_eq!(k("campaigns.json"), Some(ImportKind::Campaigns));
        assert_eq!(k("data.csv"), None);
        assert_eq!(k("campaign-contacts.csv"), None);
    }

    #[test]
    fn captions_and_snake_names_meet() {
        assert_eq!(normalize("Country/Region Code"), "countryregioncode");
        assert_eq!(normalize("company_no"), normalize("Company No."));
        assert!(matches!(
            TEMPLATES.resolve("Ignore Contact Corres. Type"),
            Resolved::Field(_)
        ));
        assert!(matches!(CONTACTS.resolve("ADDRESS"), Resolved::Ignored(_)));
        assert!(matches!(CONTACTS.resolve("Fax"), Resolved::Unknown));
    }
}
