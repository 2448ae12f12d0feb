//! Options in a store URL's query string (`postgres://db/site?migrate=true&pool_size=8`):
//! the store's own options, split from those its driver understands, and their values
//! parsed with errors that say which option was wrong.

use std::str::FromStr;

use super::StoreError;

/// A store URL split into the store's own options and the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlOptions<'a> {
    /// The URL without its query.
    pub base: &'a str,
    /// `(key, value)` of the options the store knows, in order.
    pub own: Vec<(&'a str, &'a str)>,
    /// The other `key=value` items, for the driver, in order.
    pub other: Vec<&'a str>,
}

impl<'a> UrlOptions<'a> {
    /// Splits `url`'s query: keys in `own_keys` are the store's, the others its driver's.
    ///
    /// ```
    /// use openid_consumer::store::url_options::UrlOptions;
    ///
    /// let options = UrlOptions::split("mysql://db/site?migrate=true&compress=1", &["migrate"]);
    /// assert_eq!(options.own, [("migrate", "true")]);
    /// assert_eq!(options.driver_url(), "mysql://db/site?compress=1");
    /// ```
    pub fn split(url: &'a str, own_keys: &[&str]) -> Self {
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut own = Vec::new();
        let mut other = Vec::new();
        for item in query.split('&').filter(|item| !item.is_empty()) {
            let (key, value) = item.split_once('=').unwrap_or((item, ""));
            if own_keys.contains(&key) {
                own.push((key, value));
            } else {
                other.push(item);
            }
        }
        Self { base, own, other }
    }

    /// The URL with only the driver's options.
    pub fn driver_url(&self) -> String {
        if self.other.is_empty() {
            self.base.to_owned()
        } else {
            format!("{}?{}", self.base, self.other.join("&"))
        }
    }
}

/// Parses an option's value (numbers, sizes).
///
/// # Errors
/// [`StoreError::Config`] naming the option, its value and the store kind.
pub fn parse_value<T: FromStr>(store: &str, key: &str, value: &str) -> Result<T, StoreError> {
    value.parse().map_err(|_| invalid(store, key, value))
}

/// Parses a yes/no option: `true`, `1`, `yes` or `false`, `0`, `no`.
///
/// # Errors
/// [`StoreError::Config`] naming the option, its value and the store kind.
pub fn parse_flag(store: &str, key: &str, value: &str) -> Result<bool, StoreError> {
    match value {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err(invalid(store, key, value)),
    }
}

/// A millisecond option as a duration; 0 is refused (it would mean "fail at once").
///
/// # Errors
/// [`StoreError::Config`] naming the option, its value and the store kind.
pub fn parse_millis(
    store: &str,
    key: &str,
    value: &str,
) -> Result<std::time::Duration, StoreError> {
    match parse_value::<u64>(store, key, value)? {
        0 => Err(invalid(store, key, value)),
        millis => Ok(std::time::Duration::from_millis(millis)),
    }
}

/// Checks a schema or table name that a SQL store writes into its statements: letters,
/// digits and `_`, not starting with a digit, at most `max_len` bytes, so it can be quoted
/// without escaping. `what` names it in the error (`"MySQL table name"`).
///
/// # Errors
/// [`StoreError::Config`] saying what a valid name looks like.
pub fn check_sql_name(what: &str, name: &str, max_len: usize) -> Result<(), StoreError> {
    let valid = !name.is_empty()
        && name.len() <= max_len
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if valid {
        Ok(())
    } else {
        Err(StoreError::config(
            format!(
                "invalid {what} {name:?}: use 1 to {max_len} letters, digits or underscores, \
                 not starting with a digit"
            ),
            None,
        ))
    }
}

fn invalid(store: &str, key: &str, value: &str) -> StoreError {
    StoreError::config(format!("invalid value {value:?} for option {key} in {store} URL"), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_own_from_driver_options() {
        let options = UrlOptions::split("x://h/db?a=1&sslmode=require&b&&c=", &["a", "b", "c"]);
        assert_eq!(options.base, "x://h/db");
        assert_eq!(options.own, [("a", "1"), ("b", ""), ("c", "")]);
        assert_eq!(options.driver_url(), "x://h/db?sslmode=require");
        assert_eq!(UrlOptions::split("x://h", &[]).driver_url(), "x://h");
    }

    #[test]
    fn sql_names_are_plain_identifiers() {
        assert!(check_sql_name("table name", "openid_nonces_2", 48).is_ok());
        for bad in ["", "1abc", "a-b", "a b", "x\"y", "x`y", &"a".repeat(49)] {
            assert!(check_sql_name("table name", bad, 48).unwrap_err().is_config(), "{bad:?}");
        }
    }

    #[test]
    fn values_are_checked_with_readable_errors() {
        assert_eq!(parse_value::<u32>("MySQL", "pool_size", "8").unwrap(), 8);
        let error = parse_value::<u32>("MySQL", "pool_size", "eight").unwrap_err();
        assert_eq!(
            error.to_string(),
            "store misconfigured: invalid value \"eight\" for option pool_size in MySQL URL"
        );
        assert!(parse_flag("x", "migrate", "yes").unwrap());
        assert!(!parse_flag("x", "migrate", "0").unwrap());
        assert!(parse_flag("x", "migrate", "maybe").unwrap_err().is_config());
        assert_eq!(parse_millis("x", "timeout_ms", "250").unwrap().as_millis(), 250);
        assert!(parse_millis("x", "timeout_ms", "0").is_err());
    }
}
