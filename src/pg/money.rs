//! [`Money`] as PostgreSQL `numeric(17,2)`, exactly: integer cents to and from numeric's
//! binary form (base-10000 digits), so COPY BINARY and parameters never pass through a float.

use std::error::Error;

use postgres::types::{to_sql_checked, FromSql, IsNull, ToSql, Type};

use crate::domain::Money;

const NUMERIC_POS: u16 = 0x0000;
const NUMERIC_NEG: u16 = 0x4000;

impl ToSql for Money {
    fn to_sql(
        &self,
        _ty: &Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        let (weight, digits) = numeric_digits(self.0);
        out.extend_from_slice(&(digits.len() as i16).to_be_bytes());
        out.extend_from_slice(&weight.to_be_bytes());
        out.extend_from_slice(&NUMERIC_POS.to_be_bytes());
        out.extend_from_slice(&2u16.to_be_bytes()); // display scale: two decimals
        for d in digits {
            out.extend_from_slice(&d.to_be_bytes());
        }
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::NUMERIC
    }

    to_sql_checked!();
}

impl<'a> FromSql<'a> for Money {
    fn from_sql(_ty: &Type, raw: &'a [u8]) -> Result<Money, Box<dyn Error + Sync + Send>> {
        money_from_numeric(raw).map_err(Into::into)
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::NUMERIC
    }
}

/// Cents as numeric's (weight, base-10000 digits): no leading or trailing zero digits.
pub(crate) fn numeric_digits(cents: u64) -> (i16, Vec<i16>) {
    let int = cents / 100;
    let frac = (cents % 100) as i16 * 100; // .xy → the first base-10000 fraction digit xy00
    let mut int_digits = Vec::new();
    let mut n = int;
    while n > 0 {
        int_digits.push((n % 10_000) as i16);
        n /= 10_000;
    }
    int_digits.reverse();
    let weight = int_digits.len() as i16 - 1;
    let mut digits = int_digits;
    digits.push(frac);
    while digits.last() == Some(&0) {
        digits.pop();
    }
    // Leading zeros only when the integer part is 0: then the weight is -1 and the first digit
    // is the fraction.
    if digits.is_empty() {
        return (0, digits);
    }
    if weight < 0 {
        return (-1, digits);
    }
    (weight, digits)
}

/// Reads numeric's binary form as cents; refuses negatives, NaN, more than two decimals and
/// amounts above [`Money::MAX`].
fn money_from_numeric(raw: &[u8]) -> Result<Money, String> {
    let word = |i: usize| -> Result<u16, String> {
        raw.get(i..i + 2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
            .ok_or_else(|| "numeric value cut short".to_string())
    };
    let ndigits = word(0)? as usize;
    let weight = word(2)? as i16;
    let sign = word(4)?;
    if sign == NUMERIC_NEG {
        return Err("a negative amount is not money here (amounts are ≥ 0)".into());
    }
    if sign != NUMERIC_POS {
        return Err("NaN or infinity is not an amount".into());
    }
    let mut cents: u128 = 0;
    for i in 0..ndigits {
        let d = word(8 + 2 * i)? as u128;
        if d >= 10_000 {
            return Err(format!("numeric digit {d} out of range"));
        }
        // digit i has place value 10000^(weight - i); in cents × 100.
        let exp = weight as i32 - i as i32;
        if exp >= 0 {
            let place = 10_000u128
                .checked_pow(exp as u32)
                .and_then(|p| p.checked_mul(100))
                .ok_or("amount too large")?;
            cents = cents
                .checked_add(d.checked_mul(place).ok_or("amount too large")?)
                .ok_or("amount too large")?;
        } else if exp == -1 {
            if !d.is_multiple_of(100) {
                return Err("more than two decimals".into());
            }
            cents += d / 100;
        } else if d != 0 {
            return Err("more than two decimals".into());
        }
    }
    u64::try_from(cents)
        .ok()
        .map(Money)
        .filter(|m| *m <= Money::MAX)
        .ok_or_else(|| format!("amount above {}", Money::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(cents: u64) -> u64 {
        let mut buf = postgres::types::private::BytesMut::new();
        Money(cents).to_sql(&Type::NUMERIC, &mut buf).unwrap();
        money_from_numeric(&buf).unwrap().0
    }

    #[test]
    fn cents_survive_numeric_binary() {
        for c in [
            0,
            1,
            10,
            99,
            100,
            101,
            12_34,
            1_000_000,
            100_000_000,
            12_345_678_901,
            Money::MAX.0,
        ] {
            assert_eq!(round_trip(c), c, "{c}");
        }
    }

    #[test]
    fn digits_match_postgres_layout() {
        // 12.34 → weight 0, digits [12, 3400]; 10000.00 → weight 1, digits [1]; 0.05 → [-1, 500]
        assert_eq!(numeric_digits(12_34), (0, vec![12, 3400]));
        assert_eq!(numeric_digits(1_000_000), (1, vec![1]));
        assert_eq!(numeric_digits(5), (-1, vec![500]));
        assert_eq!(numeric_digits(0), (0, vec![]));
    }

    #[test]
    fn refuses_what_is_not_money() {
        // -1.00
        let neg = [0, 1, 0, 0, 0x40, 0, 0, 2, 0, 1];
        assert!(money_from_numeric(&neg).is_err());
        // 0.001: weight -1, digit 10 (0.0010)
        let three = [0, 1, 0xff, 0xff, 0, 0, 0, 3, 0, 10];
        assert!(money_from_numeric(&three).is_err());
        assert!(money_from_numeric(&[0, 1]).is_err());
    }
}
