//! Option fields of Business Central's tables as Rust enums.
//!
//! Text names (CLI values and JSON) are kebab-case; `none` is BC's blank option. In the store's
//! codec an enum is its variant index, so the variant order below is part of the on-disk format:
//! append new variants, never reorder.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::DomainError;

macro_rules! option_enum {
    ($(#[$doc:meta])* $name:ident, $field:literal { $($(#[$vdoc:meta])* $variant:ident => $text:literal $(| $alias:literal)*),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, clap::ValueEnum)]
        #[serde(rename_all = "kebab-case")]
        #[clap(rename_all = "kebab-case")]
        pub enum $name {
            #[default]
            $($(#[$vdoc])* #[serde(rename = $text $(, alias = $alias)*)] #[value(name = $text $(, alias = $alias)*)] $variant),+
        }

        impl $name {
            /// Every value, in on-disk order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The text name (CLI value, JSON string).
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// True for BC's blank option.
            pub fn is_blank(self) -> bool {
                self == Self::default()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = DomainError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                // As written by interlog itself (its exports): no normalising needed.
                $(
                    if s == $text $(|| s == $alias)* { return Ok($name::$variant); }
                )+
                let norm = s.trim().to_lowercase().replace([' ', '_'], "-");
                $(
                    if norm == $text $(|| norm == $alias)* { return Ok($name::$variant); }
                )+
                Err(DomainError::BadOption {
                    field: $field,
                    value: s.to_string(),
                    allowed: &[$($text),+],
                })
            }
        }
    };
}

option_enum!(
    /// Correspondence type of a contact, template or interaction (blank | Hard Copy | Email).
    CorrespondenceType, "correspondence type" {
        /// No correspondence type.
        Blank => "none" | "blank" | "",
        /// Printed letters.
        HardCopy => "hard-copy" | "hardcopy",
        /// E-mail.
        Email => "email" | "e-mail"
    }
);

option_enum!(
    /// Evaluation of an interaction.
    Evaluation, "evaluation" {
        /// Not evaluated.
        Blank => "none" | "blank" | "",
        /// Very positive.
        VeryPositive => "very-positive",
        /// Positive.
        Positive => "positive",
        /// Neutral.
        Neutral => "neutral",
        /// Negative.
        Negative => "negative",
        /// Very negative.
        VeryNegative => "very-negative"
    }
);

option_enum!(
    /// Direction of the information (blank | Outbound | Inbound).
    InformationFlow, "information flow" {
        /// Not set.
        Blank => "none" | "blank" | "",
        /// From us to the contact.
        Outbound => "outbound",
        /// From the contact to us.
        Inbound => "inbound"
    }
);

option_enum!(
    /// Who started the interaction (blank | Us | Them).
    InitiatedBy, "initiated by" {
        /// Not set.
        Blank => "none" | "blank" | "",
        /// We did.
        Us => "us",
        /// The contact did.
        Them => "them"
    }
);

option_enum!(
    /// A contact is a company or a person.
    ContactKind, "contact type" {
        /// A company (its company number is its own number).
        Company => "company",
        /// A person, optionally working for a company.
        Person => "person"
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for v in CorrespondenceType::ALL {
            assert_eq!(v.as_str().parse::<CorrespondenceType>().unwrap(), *v);
        }
        assert_eq!(
            "Hard Copy".parse::<CorrespondenceType>().unwrap(),
            CorrespondenceType::HardCopy
        );
        assert_eq!("".parse::<Evaluation>().unwrap(), Evaluation::Blank);
        assert_eq!(
            "Very Positive".parse::<Evaluation>().unwrap(),
            Evaluation::VeryPositive
        );
        assert!("sideways".parse::<InformationFlow>().is_err());
        assert_eq!(
            serde_json::to_string(&Evaluation::VeryNegative).unwrap(),
            "\"very-negative\""
        );
    }
}
