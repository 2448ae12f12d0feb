//! Store URLs (`postgres://db/site?migrate=true&pool_size=8`): the part a backend connects
//! to, and the options in the query, read strictly.
//!
//! Each store lists its options once, as a table of [`UrlOption`]s that set its builder.
//! The table is the whole truth: an option it does not name is an error that names the
//! ones it does, a value is parsed by the option's kind (a flag, a count, milliseconds),
//! and no option falls through to another's setter.
//!
//! ```
//! use std::time::Duration;
//!
//! use openid_store_kit::url::{StoreUrl, UrlOption};
//!
//! #[derive(Debug, Default, PartialEq)]
//! struct Builder {
//!     prefix: String,
//!     timeout: Option<Duration>,
//! }
//!
//! const OPTIONS: &[UrlOption<Builder>] = &[
//!     UrlOption::text("prefix", |b, prefix| Builder { prefix: prefix.to_owned(), ..b }),
//!     UrlOption::millis("timeout_ms", |b, timeout| Builder { timeout: Some(timeout), ..b }),
//! ];
//!
//! let url = StoreUrl::new("Example", "example://host/?prefix=site%3A&timeout_ms=250");
//! let builder = url.apply(Builder::default(), OPTIONS)?;
//! assert_eq!(builder.prefix, "site:");
//! assert_eq!(builder.timeout, Some(Duration::from_millis(250)));
//!
//! let error = StoreUrl::new("Example", "example://h/?pool=3").apply(Builder::default(), OPTIONS);
//! assert_eq!(
//!     error.unwrap_err().to_string(),
//!     "invalid Example URL example://h/?pool=3: unknown option \"pool\" (the options are \
//!      prefix, timeout_ms)"
//! );
//! # Ok::<(), openid_store_kit::url::UrlError>(())
//! ```

use std::borrow::Cow;
use std::time::Duration;

use openid_consumer::store::{BoxError, StoreError};

use crate::keys::redact_url;

/// A store URL: the part before the query, and the query's options. Its `Debug` shows
/// the URL redacted ([`StoreUrl::redacted`]), never the password.
#[derive(Clone)]
pub struct StoreUrl<'a> {
    store: &'static str,
    url: &'a str,
    base: &'a str,
    items: Vec<Item<'a>>,
}

/// One `key=value` of the query: as written, and percent-decoded.
#[derive(Clone)]
struct Item<'a> {
    raw: &'a str,
    key: Cow<'a, str>,
    value: Cow<'a, str>,
}

/// An option a store takes in its URL, and how it sets the store's builder `B`.
pub struct UrlOption<B> {
    name: &'static str,
    set: Setter<B>,
}

/// How an option's value is read.
enum Setter<B> {
    Text(fn(B, &str) -> B),
    Flag(fn(B, bool) -> B),
    Millis(fn(B, Duration) -> B),
    Seconds(fn(B, i64) -> B),
    Count(fn(B, u32) -> B),
    Choice(fn(B, &str) -> Result<B, &'static str>),
    /// An option of the driver that the store overrides or never uses: refused, saying
    /// what to use instead.
    Refused(&'static str),
}

/// A store URL that cannot be used: which store, the URL without its password, what is
/// wrong, and the underlying error where there is one.
#[derive(Debug, thiserror::Error)]
#[error("invalid {store} URL {url}: {reason}")]
pub struct UrlError {
    store: &'static str,
    url: String,
    reason: String,
    #[source]
    source: Option<BoxError>,
}

impl<'a> StoreUrl<'a> {
    /// Splits `url` into the part before `?` and the options after it; `store` names the
    /// backend in errors (`"PostgreSQL"`).
    pub fn new(store: &'static str, url: &'a str) -> Self {
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let items = query
            .split('&')
            .filter(|raw| !raw.is_empty())
            .map(|raw| {
                let (key, value) = form_urlencoded::parse(raw.as_bytes())
                    .next()
                    .unwrap_or((Cow::Borrowed(raw), Cow::Borrowed("")));
                Item { raw, key, value }
            })
            .collect();
        Self { store, url, base, items }
    }

    /// The URL without its query.
    pub fn base(&self) -> &'a str {
        self.base
    }

    /// The URL as given.
    pub fn as_str(&self) -> &'a str {
        self.url
    }

    /// The URL with its password hidden, for messages.
    pub fn redacted(&self) -> String {
        redact_url(self.url)
    }

    /// An error about this URL: `invalid <store> URL <url>: <reason>`.
    pub fn error(&self, reason: impl Into<String>) -> UrlError {
        UrlError { store: self.store, url: self.redacted(), reason: reason.into(), source: None }
    }

    /// An error about this URL, caused by `source` (a driver that refused it, say).
    pub fn error_from(&self, reason: impl Into<String>, source: impl Into<BoxError>) -> UrlError {
        UrlError { source: Some(source.into()), ..self.error(reason) }
    }

    /// Sets `builder` from the URL's options; every option must be in `options`.
    ///
    /// # Errors
    /// An option `options` does not name (the error lists those it does), an option given
    /// twice, or a value its kind refuses.
    pub fn apply<B>(&self, builder: B, options: &[UrlOption<B>]) -> Result<B, UrlError> {
        let (builder, others) = self.apply_known(builder, options)?;
        match others.first() {
            Some(item) => Err(self.error(format!(
                "unknown option {:?} (the options are {})",
                item.key,
                names(options)
            ))),
            None => Ok(builder),
        }
    }

    /// Sets `builder` from the options in `options`, and returns the URL with only the
    /// other options, as written: for a driver that reads options of its own. A driver
    /// that refuses that URL should say so with [`StoreUrl::unknown_to_driver`].
    ///
    /// # Errors
    /// As [`StoreUrl::apply`], except for options `options` does not name.
    pub fn apply_passing<B>(
        &self,
        builder: B,
        options: &[UrlOption<B>],
    ) -> Result<(B, String), UrlError> {
        let (builder, others) = self.apply_known(builder, options)?;
        let raw: Vec<&str> = others.iter().map(|item| item.raw).collect();
        let driver_url = if raw.is_empty() {
            self.base.to_owned()
        } else {
            format!("{}?{}", self.base, raw.join("&"))
        };
        Ok((builder, driver_url))
    }

    /// The error for a URL the driver refused after [`StoreUrl::apply_passing`]: the
    /// driver's own error as the source, and the store's options named.
    pub fn unknown_to_driver<B>(
        &self,
        driver: &str,
        options: &[UrlOption<B>],
        source: impl Into<BoxError>,
    ) -> UrlError {
        self.error_from(
            format!(
                "the {driver} driver refused it (this store's own options are {}; the others \
                 go to the driver)",
                names(options)
            ),
            source,
        )
    }

    fn apply_known<B>(
        &self,
        mut builder: B,
        options: &[UrlOption<B>],
    ) -> Result<(B, Vec<&Item<'a>>), UrlError> {
        let mut others = Vec::new();
        for (index, item) in self.items.iter().enumerate() {
            let Some(option) = options.iter().find(|option| option.name == item.key) else {
                others.push(item);
                continue;
            };
            if self.items.iter().skip(index + 1).any(|later| later.key == item.key) {
                return Err(self.error(format!("option {} is given twice", option.name)));
            }
            builder = option.set(builder, &item.value, self)?;
        }
        Ok((builder, others))
    }
}

impl<B> UrlOption<B> {
    /// An option whose value is text, used as given (percent-decoded).
    pub const fn text(name: &'static str, set: fn(B, &str) -> B) -> Self {
        Self { name, set: Setter::Text(set) }
    }

    /// A yes/no option: `true`, `1`, `yes` or `false`, `0`, `no`.
    pub const fn flag(name: &'static str, set: fn(B, bool) -> B) -> Self {
        Self { name, set: Setter::Flag(set) }
    }

    /// A duration in whole milliseconds, at least 1 (0 would mean "fail at once").
    pub const fn millis(name: &'static str, set: fn(B, Duration) -> B) -> Self {
        Self { name, set: Setter::Millis(set) }
    }

    /// A number of seconds from 0 (a margin, where none is a valid choice).
    pub const fn seconds(name: &'static str, set: fn(B, i64) -> B) -> Self {
        Self { name, set: Setter::Seconds(set) }
    }

    /// A count (connections), at least 1.
    pub const fn count(name: &'static str, set: fn(B, u32) -> B) -> Self {
        Self { name, set: Setter::Count(set) }
    }

    /// One of a few words: `set` returns the builder, or the words it takes.
    pub const fn choice(name: &'static str, set: fn(B, &str) -> Result<B, &'static str>) -> Self {
        Self { name, set: Setter::Choice(set) }
    }

    /// A driver's option that this store overrides or never uses (its own pool size, a
    /// timeout the store sets from `timeout_ms`): passed on, the driver would accept it
    /// and the store silently ignore it, so it is refused with `instead` as the advice
    /// (`"use pool_size"`). Not listed among the store's options.
    pub const fn refused(name: &'static str, instead: &'static str) -> Self {
        Self { name, set: Setter::Refused(instead) }
    }

    /// Whether the store takes this option (rather than refusing it).
    fn is_taken(&self) -> bool {
        !matches!(self.set, Setter::Refused(_))
    }

    /// The option's name in the query.
    pub fn name(&self) -> &'static str {
        self.name
    }

    fn set(&self, builder: B, value: &str, url: &StoreUrl<'_>) -> Result<B, UrlError> {
        let invalid = |expected: &str| {
            url.error(format!("invalid value {value:?} for option {}: {expected}", self.name))
        };
        match self.set {
            Setter::Text(set) => Ok(set(builder, value)),
            Setter::Flag(set) => match value {
                "true" | "1" | "yes" => Ok(set(builder, true)),
                "false" | "0" | "no" => Ok(set(builder, false)),
                _ => Err(invalid("use true or false")),
            },
            Setter::Millis(set) => match positive(value) {
                Ok(millis) => Ok(set(builder, Duration::from_millis(millis))),
                Err(source) => {
                    Err(with_source(invalid("use a whole number of milliseconds from 1"), source))
                }
            },
            Setter::Seconds(set) => match value.parse::<u32>() {
                Ok(seconds) => Ok(set(builder, i64::from(seconds))),
                Err(source) => Err(with_source(
                    invalid("use a whole number of seconds from 0"),
                    Some(source.into()),
                )),
            },
            Setter::Count(set) => match positive(value).map(u32::try_from) {
                Ok(Ok(count)) => Ok(set(builder, count)),
                Ok(Err(source)) => {
                    Err(with_source(invalid("use a whole number from 1"), Some(source.into())))
                }
                Err(source) => Err(with_source(invalid("use a whole number from 1"), source)),
            },
            Setter::Choice(set) => set(builder, value).map_err(invalid),
            Setter::Refused(instead) => Err(url.error(format!(
                "option {} is not used by this store, which sets it itself: {instead}",
                self.name
            ))),
        }
    }
}

impl std::fmt::Debug for StoreUrl<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not the fields: the URL, its base and its items may hold the password.
        f.debug_struct("StoreUrl")
            .field("store", &self.store)
            .field("url", &self.redacted())
            .finish_non_exhaustive()
    }
}

impl<B> std::fmt::Debug for UrlOption<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UrlOption").field("name", &self.name).finish_non_exhaustive()
    }
}

/// The options of a table, for messages: `prefix, pool_size, timeout_ms`.
pub fn names<B>(options: &[UrlOption<B>]) -> String {
    options.iter().filter(|o| o.is_taken()).map(UrlOption::name).collect::<Vec<_>>().join(", ")
}

/// A whole number from 1; `Err(None)` for 0, `Err(Some(parse error))` for no number.
fn positive(value: &str) -> Result<u64, Option<BoxError>> {
    match value.parse::<u64>() {
        Ok(0) => Err(None),
        Ok(n) => Ok(n),
        Err(e) => Err(Some(e.into())),
    }
}

fn with_source(mut error: UrlError, source: Option<BoxError>) -> UrlError {
    error.source = source;
    error
}

impl From<UrlError> for StoreError {
    fn from(error: UrlError) -> Self {
        let context = error.to_string();
        StoreError::config(context, error.source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, PartialEq)]
    struct Options {
        text: String,
        flag: bool,
        millis: Duration,
        count: u32,
        seconds: i64,
        level: &'static str,
    }

    const OPTIONS: &[UrlOption<Options>] = &[
        UrlOption::text("text", |o, text| Options { text: text.to_owned(), ..o }),
        UrlOption::flag("flag", |o, flag| Options { flag, ..o }),
        UrlOption::millis("timeout_ms", |o, millis| Options { millis, ..o }),
        UrlOption::count("pool_size", |o, count| Options { count, ..o }),
        UrlOption::seconds("margin_s", |o, seconds| Options { seconds, ..o }),
        UrlOption::choice("level", |o, level| match level {
            "low" => Ok(Options { level: "low", ..o }),
            _ => Err("use low"),
        }),
    ];

    fn apply(url: &str) -> Result<Options, UrlError> {
        StoreUrl::new("Test", url).apply(Options::default(), OPTIONS)
    }

    #[test]
    fn every_kind_of_option_sets_the_builder() {
        let options =
            apply("t://h/?text=a%20b+c&flag=yes&timeout_ms=250&pool_size=3&margin_s=0&level=low")
                .unwrap();
        assert_eq!(
            options,
            Options {
                text: "a b c".into(),
                flag: true,
                millis: Duration::from_millis(250),
                count: 3,
                seconds: 0,
                level: "low"
            }
        );
        assert_eq!(apply("t://h/?margin_s=600").unwrap().seconds, 600);
        assert_eq!(apply("t://h/").unwrap(), Options::default());
    }

    #[test]
    fn debug_never_shows_the_password() {
        for url in ["t://u:hunter2@h/?text=x", "t://u@h/?password=hunter2&flag=1"] {
            let shown = format!("{:?}", StoreUrl::new("Test", url));
            assert!(!shown.contains("hunter2"), "{shown}");
            assert!(shown.contains("t://u"), "{shown}");
        }
    }

    #[test]
    fn unknown_options_name_the_known_ones() {
        let error = apply("t://u:hunter2@h/?bogus=1").unwrap_err().to_string();
        assert_eq!(
            error,
            "invalid Test URL t://u:***@h/?bogus=1: unknown option \"bogus\" (the options are \
             text, flag, timeout_ms, pool_size, margin_s, level)"
        );
    }

    #[test]
    fn bad_values_say_what_to_use_and_keep_the_parse_error() {
        for (url, expected) in [
            ("t://h/?flag=maybe", "use true or false"),
            ("t://h/?timeout_ms=0", "milliseconds from 1"),
            ("t://h/?timeout_ms=soon", "milliseconds from 1"),
            ("t://h/?pool_size=0", "whole number from 1"),
            ("t://h/?pool_size=99999999999", "whole number from 1"),
            ("t://h/?margin_s=-1", "seconds from 0"),
            ("t://h/?margin_s=5m", "seconds from 0"),
            ("t://h/?level=high", "use low"),
            ("t://h/?flag=1&flag=0", "given twice"),
        ] {
            let error = apply(url).unwrap_err();
            assert!(error.to_string().contains(expected), "{url}: {error}");
        }
        let error = apply("t://h/?timeout_ms=soon").unwrap_err();
        assert!(std::error::Error::source(&error).is_some(), "keeps the ParseIntError");
        let store: StoreError = error.into();
        assert!(store.is_config() && std::error::Error::source(&store).is_some());
    }

    #[test]
    fn a_driver_option_the_store_overrides_is_refused_not_passed_on() {
        const WITH_REFUSED: &[UrlOption<Options>] = &[
            UrlOption::count("pool_size", |o, count| Options { count, ..o }),
            UrlOption::refused("pool_max", "use pool_size"),
        ];
        let url = StoreUrl::new("Test", "t://h/db?pool_max=4&sslmode=disable");
        let error = url.apply_passing(Options::default(), WITH_REFUSED).unwrap_err();
        assert!(error.to_string().contains("pool_max is not used"), "{error}");
        assert!(error.to_string().contains("use pool_size"), "{error}");
        let unknown = StoreUrl::new("Test", "t://h/?bogus=1")
            .apply(Options::default(), WITH_REFUSED)
            .unwrap_err();
        assert!(unknown.to_string().contains("(the options are pool_size)"), "{unknown}");
    }

    #[test]
    fn other_options_pass_to_the_driver_as_written() {
        let url = StoreUrl::new("Test", "t://h/db?text=x&options=-c%20a%3Db&sslmode=disable");
        let (options, driver) = url.apply_passing(Options::default(), OPTIONS).unwrap();
        assert_eq!(options.text, "x");
        assert_eq!(driver, "t://h/db?options=-c%20a%3Db&sslmode=disable");
        let (_, bare) = StoreUrl::new("Test", "t://h/db?flag=1")
            .apply_passing(Options::default(), OPTIONS)
            .unwrap();
        assert_eq!(bare, "t://h/db");
        let refused = url.unknown_to_driver("test", OPTIONS, std::io::Error::other("no"));
        assert!(refused.to_string().contains("own options are text, flag"), "{refused}");
    }
}
