//! Money as integer cents, written `12.34`.
//!
//! Amounts are never negative in interlog (costs only). Text form always has two decimals.
//! In binary formats (the store's codec) a `Money` is a plain `u64` of cents; in human-readable
//! formats (JSON) it is the text `"12.34"`, so no float ever touches an amount.
//!
//! One amount is at most [`Money::MAX`], 999999999999999.99 — Business Central's largest
//! Decimal — and a larger one is refused when it is read, never cut. Sums of amounts
//! (statistics) are [`MoneySum`]s, 128-bit: every `u64` amount of every entry fits without
//! overflow, so a total is always exact, never saturated.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::DomainError;

/// A non-negative amount in cents.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(pub u64);

impl Money {
    /// Zero.
    pub const ZERO: Money = Money(0);

    /// The largest amount one value may hold: 999999999999999.99, Business Central's largest
    /// Decimal (±999,999,999,999,999.99). Far below `u64::MAX` cents, so the stored type holds
    /// it; a larger amount is refused when it is read.
    pub const MAX: Money = Money(99_999_999_999_999_999);

    /// Builds an amount from whole cents.
    pub fn from_cents(cents: u64) -> Self {
        Money(cents)
    }

    /// The amount in cents.
    pub fn cents(self) -> u64 {
        self.0
    }

    /// Sum that refuses to wrap.
    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }
}

/// Writes `cents` as `12.50`; a `String` is built only when a width or precision asks for
/// padding (an export writes an amount per row of millions).
fn write_cents(cents: u128, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    if f.width().is_none() && f.precision().is_none() {
        write!(f, "{}.{:02}", cents / 100, cents % 100)
    } else {
        f.pad(&format!("{}.{:02}", cents / 100, cents % 100))
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_cents(u128::from(self.0), f)
    }
}

impl FromStr for Money {
    type Err = DomainError;

    /// Accepts `12`, `12.3`, `12.34` (a leading `+` is allowed); refuses negatives, more than two
    /// decimals, exponents and anything that is not a plain decimal number.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |reason: &'static str| DomainError::BadMoney {
            value: s.to_string(),
            reason,
        };
        let t = s.trim();
        let t = t.strip_prefix('+').unwrap_or(t);
        if t.starts_with('-') {
            return Err(bad("amounts cannot be negative"));
        }
        let (whole, frac) = match t.split_once('.') {
            Some((w, f)) => (w, f),
            None => (t, ""),
        };
        if whole.is_empty() && frac.is_empty() {
            return Err(bad("expected a number such as 12.34"));
        }
        if !whole.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) {
            return Err(bad("expected a number such as 12.34"));
        }
        if frac.len() > 2 {
            return Err(bad("at most two decimals"));
        }
        let whole: u64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| bad(TOO_LARGE))?
        };
        let mut cents_part: u64 = if frac.is_empty() {
            0
        } else {
            frac.parse()
                .map_err(|_| bad("expected a number such as 12.34"))?
        };
        if frac.len() == 1 {
            cents_part *= 10;
        }
        whole
            .checked_mul(100)
            .and_then(|c| c.checked_add(cents_part))
            .map(Money)
            .filter(|m| *m <= Money::MAX)
            .ok_or_else(|| bad(TOO_LARGE))
    }
}

/// Why an amount above [`Money::MAX`] is refused.
const TOO_LARGE: &str = "amount too large: at most 999999999999999.99";

/// A sum of amounts, in cents. 128 bits wide: a sum of at most `u64::MAX` amounts of at most
/// `u64::MAX` cents each is below `u128::MAX`, so adding every stored amount can neither
/// overflow nor saturate. Written like [`Money`] (`"12.34"` in JSON, two decimals in text).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MoneySum(pub u128);

impl MoneySum {
    /// Zero.
    pub const ZERO: MoneySum = MoneySum(0);

    /// Adds one amount.
    pub fn add(&mut self, m: Money) {
        self.0 += u128::from(m.0);
    }

    /// The sum in cents.
    pub fn cents(self) -> u128 {
        self.0
    }
}

impl From<Money> for MoneySum {
    fn from(m: Money) -> Self {
        MoneySum(u128::from(m.0))
    }
}

impl fmt::Display for MoneySum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_cents(self.0, f)
    }
}

impl Serialize for MoneySum {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.collect_str(self)
        } else {
            s.serialize_u128(self.0)
        }
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.collect_str(self)
        } else {
            s.serialize_u64(self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            #[derive(Deserialize)]
            #[serde(untagged)]
            enum Text {
                S(String),
                N(serde_json::Number),
            }
            match Text::deserialize(d)? {
                Text::S(s) => s.parse().map_err(serde::de::Error::custom),
                Text::N(n) => n.to_string().parse().map_err(serde::de::Error::custom),
            }
        } else {
            u64::deserialize(d).map(Money)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_two_decimals() {
        assert_eq!("12.34".parse::<Money>().unwrap(), Money(1234));
        assert_eq!("12.3".parse::<Money>().unwrap(), Money(1230));
        assert_eq!("8".parse::<Money>().unwrap(), Money(800));
        assert_eq!(".5".parse::<Money>().unwrap(), Money(50));
        assert_eq!(Money(800).to_string(), "8.00");
        assert_eq!(Money(5).to_string(), "0.05");
        // Padded when a width asks for it (tables), written straight otherwise.
        assert_eq!(
            format!("{:>8}|{:<6}|", Money(1250), Money(5)),
            "   12.50|0.05  |"
        );
        assert_eq!(MoneySum::from(Money(1250)).to_string(), "12.50");
    }

    #[test]
    fn refuses_negative_and_junk() {
        for bad in [
            "-1",
            "1.234",
            "abc",
            "",
            "1e3",
            "1,50",
            ".",
            "1.2.3",
            "99999999999999999999",
        ] {
            assert!(bad.parse::<Money>().is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn the_largest_amount_is_bcs_largest_decimal() {
        assert_eq!("999999999999999.99".parse::<Money>().unwrap(), Money::MAX);
        assert_eq!(Money::MAX.to_string(), "999999999999999.99");
        for bad in [
            "1000000000000000",
            "1000000000000000.00",
            "184467440737095516.15",
        ] {
            let e = bad.parse::<Money>().expect_err(bad);
            assert!(e.to_string().contains("at most 999999999999999.99"), "{e}");
        }
    }

    #[test]
    fn sums_are_exact_far_beyond_u64() {
        let mut s = MoneySum::ZERO;
        for _ in 0..3 {
            s.add(Money::MAX);
        }
        assert_eq!(s.to_string(), "2999999999999999.97");
        let mut big = MoneySum::ZERO;
        for _ in 0..1000 {
            big.add(Money(u64::MAX));
        }
        assert_eq!(big.cents(), u128::from(u64::MAX) * 1000);
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            "\"2999999999999999.97\""
        );
    }

    #[test]
    fn json_is_text_and_accepts_numbers() {
        assert_eq!(serde_json::to_string(&Money(1250)).unwrap(), "\"12.50\"");
        let m: Money = serde_json::from_str("12.5").unwrap();
        assert_eq!(m, Money(1250));
        let m: Money = serde_json::from_str("\"8\"").unwrap();
        assert_eq!(m, Money(800));
    }
}
