//! `openid.response_nonce` (OpenID 2.0 section 10.1): a UTC timestamp
//! `YYYY-MM-DDTHH:MM:SSZ` followed by a salt of printable ASCII, unique per assertion.
//!
//! Times are Unix seconds (`i64`) passed in by the caller, so every check is testable with
//! any clock; [`crate::store`] implementations take theirs from an injected clock.

use std::fmt;

/// How far (seconds) a nonce timestamp may be from now, in either direction: 5 hours, as
/// in the reference implementation. Stores forget nonces older than this.
pub const SKEW: i64 = 5 * 60 * 60;

/// Length of the timestamp part.
const TIMESTAMP_LEN: usize = "YYYY-MM-DDTHH:MM:SSZ".len();

/// Characters of the salts this library makes.
const SALT_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// Length of the salts this library makes.
const SALT_LEN: usize = 6;

/// Why a nonce was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NonceError {
    /// The string does not start with a `YYYY-MM-DDTHH:MM:SSZ` timestamp.
    #[error("nonce does not start with a YYYY-MM-DDTHH:MM:SSZ timestamp")]
    BadTimestampFormat,
    /// The timestamp has the right shape but is not a real date and time.
    #[error("nonce timestamp is not a valid date and time")]
    InvalidTimestamp,
    /// The salt has a character outside ASCII 33..=126 (OpenID 2.0 section 10.1).
    #[error("nonce salt has a character outside printable ASCII at byte {position}")]
    BadSalt {
        /// Byte offset in the nonce.
        position: usize,
    },
    /// The timestamp is more than the allowed skew from now.
    #[error("nonce timestamp {timestamp} is more than {skew} s from now ({now})")]
    OutOfRange {
        /// The nonce's time (Unix seconds).
        timestamp: i64,
        /// The time it was checked at.
        now: i64,
        /// The allowed skew (seconds).
        skew: i64,
    },
    /// The operating system's random number generator failed.
    #[error("the operating system random number generator failed")]
    Random(#[from] crate::crypto::RandomError),
    /// The time given is outside the years 0001 to 9999.
    #[error("time {0} is outside the range a nonce can express")]
    TimeOutOfRange(i64),
}

/// A parsed `openid.response_nonce`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResponseNonce {
    text: String,
    timestamp: i64,
}

impl ResponseNonce {
    /// Parses a nonce strictly: exactly `YYYY-MM-DDTHH:MM:SSZ`, a real UTC time, then a salt
    /// of printable ASCII (possibly empty).
    ///
    /// # Errors
    /// [`NonceError::BadTimestampFormat`], [`NonceError::InvalidTimestamp`] or
    /// [`NonceError::BadSalt`].
    ///
    /// # Example
    /// ```
    /// use openid_consumer::nonce::ResponseNonce;
    ///
    /// let nonce = ResponseNonce::parse("2005-05-15T17:11:51ZUNIQUE").unwrap();
    /// assert_eq!(nonce.timestamp(), 1_116_177_111);
    /// assert_eq!(nonce.salt(), "UNIQUE");
    /// ```
    pub fn parse(text: &str) -> Result<Self, NonceError> {
        let (stamp, salt) =
            text.split_at_checked(TIMESTAMP_LEN).ok_or(NonceError::BadTimestampFormat)?;
        let timestamp = parse_timestamp(stamp)?;
        if let Some(position) = salt.bytes().position(|b| !(33..=126).contains(&b)) {
            return Err(NonceError::BadSalt { position: TIMESTAMP_LEN + position });
        }
        Ok(Self { text: text.to_owned(), timestamp })
    }

    /// Makes a fresh nonce for time `now` with a random salt of 6 letters and digits.
    ///
    /// # Errors
    /// [`NonceError::TimeOutOfRange`] outside the years 1 to 9999, or
    /// [`NonceError::Random`] if the OS random number generator fails.
    pub fn generate(now: i64) -> Result<Self, NonceError> {
        let mut text = format_timestamp(now)?;
        text.push_str(&crate::crypto::random_string(SALT_LEN, SALT_CHARS)?);
        Ok(Self { text, timestamp: now })
    }

    /// The time the nonce was made (Unix seconds).
    pub fn timestamp(&self) -> i64 {
        self.timestamp
    }

    /// The part after the timestamp.
    pub fn salt(&self) -> &str {
        self.text.get(TIMESTAMP_LEN..).unwrap_or_default()
    }

    /// The nonce as sent on the wire.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Checks that the timestamp is within `skew` seconds of `now`, in either direction
    /// (bounds included).
    ///
    /// # Errors
    /// [`NonceError::OutOfRange`].
    pub fn check_skew(&self, now: i64, skew: i64) -> Result<(), NonceError> {
        if within_skew(self.timestamp, now, skew) {
            Ok(())
        } else {
            Err(NonceError::OutOfRange { timestamp: self.timestamp, now, skew })
        }
    }
}

impl fmt::Display for ResponseNonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Splits a nonce into its timestamp (Unix seconds) and salt, strictly.
///
/// # Errors
/// As [`ResponseNonce::parse`].
pub fn split(nonce: &str) -> Result<(i64, &str), NonceError> {
    let parsed = ResponseNonce::parse(nonce)?;
    let salt = nonce.get(TIMESTAMP_LEN..).unwrap_or_default();
    Ok((parsed.timestamp, salt))
}

/// Whether `timestamp` is within `skew` seconds of `now` (bounds included). The test every
/// store's `use_nonce` applies.
pub fn within_skew(timestamp: i64, now: i64, skew: i64) -> bool {
    now.saturating_sub(skew) <= timestamp && timestamp <= now.saturating_add(skew)
}

/// Formats Unix seconds as `YYYY-MM-DDTHH:MM:SSZ`.
///
/// # Errors
/// [`NonceError::TimeOutOfRange`] outside the years 1 to 9999.
pub fn format_timestamp(seconds: i64) -> Result<String, NonceError> {
    if !(MIN_SECONDS..=MAX_SECONDS).contains(&seconds) {
        return Err(NonceError::TimeOutOfRange(seconds));
    }
    let (days, second_of_day) = (seconds.div_euclid(DAY), seconds.rem_euclid(DAY));
    let (year, month, day) = civil_from_days(days);
    let (hour, minute, second) =
        (second_of_day / 3600, second_of_day % 3600 / 60, second_of_day % 60);
    Ok(format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z"))
}

fn parse_timestamp(stamp: &str) -> Result<i64, NonceError> {
    const SHAPE: &[u8; TIMESTAMP_LEN] = b"dddd-dd-ddTdd:dd:ddZ";
    let bytes = stamp.as_bytes();
    let shape_ok = bytes.len() == TIMESTAMP_LEN
        && bytes
            .iter()
            .zip(SHAPE)
            .all(|(b, s)| if *s == b'd' { b.is_ascii_digit() } else { b == s });
    if !shape_ok {
        return Err(NonceError::BadTimestampFormat);
    }
    let number = |range: std::ops::Range<usize>| -> i64 {
        stamp.get(range).and_then(|s| s.parse().ok()).unwrap_or(-1)
    };
    let (year, month, day) = (number(0..4), number(5..7), number(8..10));
    let (hour, minute, second) = (number(11..13), number(14..16), number(17..19));
    let valid = (1..=9999).contains(&year)
        && (1..=12).contains(&month)
        && (1..=days_in_month(year, month)).contains(&day)
        && (0..24).contains(&hour)
        && (0..60).contains(&minute)
        && (0..60).contains(&second);
    if !valid {
        return Err(NonceError::InvalidTimestamp);
    }
    Ok(days_from_civil(year, month, day) * DAY + hour * 3600 + minute * 60 + second)
}

// Calendar arithmetic is written out here rather than taken from a date crate: jiff's
// `Timestamp` ends at 9999-12-30T22:00Z, short of the 9999-12-31T23:59:59Z that nonce
// stores must handle, and these two proleptic-Gregorian conversions are exact and small.

/// Seconds in a day.
const DAY: i64 = 86_400;
/// 0001-01-01T00:00:00Z.
const MIN_SECONDS: i64 = -62_135_596_800;
/// 9999-12-31T23:59:59Z.
const MAX_SECONDS: i64 = 253_402_300_799;

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_reference_nonce() {
        assert_eq!(split("1970-01-01T00:00:00Z"), Ok((0, "")));
        assert_eq!(split("2038-01-19T03:14:08Zabc"), Ok((2_147_483_648, "abc")));
        assert_eq!(split("9999-12-31T23:59:59Z!~"), Ok((253_402_300_799, "!~")));
    }

    #[test]
    fn rejects_malformed_timestamps() {
        for bad in [
            "",
            "1970-01-01T00:00:00",
            "1970-01-01 00:00:00Z",
            "1970-01-01T00:00:00z",
            "70-01-01T00:00:00Zxx",
            "1970-1-01T00:00:00Zx",
            "+970-01-01T00:00:00Z",
            "１970-01-01T00:00:00Z",
            "1970-01-01T00:00:00.5Z",
        ] {
            assert_eq!(split(bad), Err(NonceError::BadTimestampFormat), "{bad:?}");
        }
    }

    #[test]
    fn rejects_impossible_dates() {
        for bad in [
            "2001-02-29T00:00:00Z",
            "2000-13-01T00:00:00Z",
            "2000-01-01T24:00:00Z",
            "2000-01-01T00:60:00Z",
            "2000-01-01T00:00:60Z",
            "0000-01-01T00:00:00Z",
        ] {
            assert!(split(bad).is_err(), "{bad:?}");
        }
        assert!(split("2000-02-29T00:00:00Z").is_ok());
    }

    #[test]
    fn rejects_unprintable_salt() {
        assert_eq!(split("2000-01-01T00:00:00Zab c"), Err(NonceError::BadSalt { position: 22 }));
        assert_eq!(split("2000-01-01T00:00:00Zé"), Err(NonceError::BadSalt { position: 20 }));
    }

    #[test]
    fn skew_bounds_are_inclusive() {
        let nonce = ResponseNonce::parse("2000-01-01T00:00:00Z").unwrap();
        let t = nonce.timestamp();
        assert!(nonce.check_skew(t + SKEW, SKEW).is_ok());
        assert!(nonce.check_skew(t - SKEW, SKEW).is_ok());
        assert_eq!(
            nonce.check_skew(t + SKEW + 1, SKEW),
            Err(NonceError::OutOfRange { timestamp: t, now: t + SKEW + 1, skew: SKEW })
        );
        assert!(nonce.check_skew(t - SKEW - 1, SKEW).is_err());
        assert!(nonce.check_skew(t, 0).is_ok());
        assert!(!within_skew(i64::MAX, i64::MIN, SKEW));
        assert!(within_skew(i64::MAX, i64::MAX, SKEW));
    }

    #[test]
    fn generated_nonces_parse_back_and_differ() {
        let now = 1_700_000_000;
        let a = ResponseNonce::generate(now).unwrap();
        let b = ResponseNonce::generate(now).unwrap();
        assert_ne!(a, b);
        let parsed = ResponseNonce::parse(a.as_str()).unwrap();
        assert_eq!(parsed.timestamp(), now);
        assert_eq!(parsed.salt().len(), SALT_LEN);
        assert!(a.as_str().starts_with("2023-11-14T22:13:20Z"));
    }

    #[test]
    fn formats_extremes_and_refuses_beyond() {
        assert_eq!(format_timestamp(253_402_300_799).unwrap(), "9999-12-31T23:59:59Z");
        assert_eq!(format_timestamp(-62_135_596_800).unwrap(), "0001-01-01T00:00:00Z");
        assert_eq!(
            format_timestamp(253_402_300_800),
            Err(NonceError::TimeOutOfRange(253_402_300_800))
        );
        assert!(format_timestamp(-62_135_596_801).is_err());
    }

    #[test]
    fn calendar_conversion_round_trips_every_day() {
        let mut days = days_from_civil(1, 1, 1);
        assert_eq!(days * DAY, MIN_SECONDS);
        for year in 1..=9999 {
            for month in 1..=12 {
                for day in 1..=days_in_month(year, month) {
                    assert_eq!(days_from_civil(year, month, day), days);
                    assert_eq!(civil_from_days(days), (year, month, day));
                    days += 1;
                }
            }
        }
        assert_eq!(days * DAY - 1, MAX_SECONDS);
    }

    #[test]
    fn error_messages_are_readable() {
        assert_eq!(
            NonceError::OutOfRange { timestamp: 0, now: 20_000, skew: SKEW }.to_string(),
            "nonce timestamp 0 is more than 18000 s from now (20000)"
        );
    }
}
