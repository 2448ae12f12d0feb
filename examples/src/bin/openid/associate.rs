//! `openid associate ENDPOINT`: asks a provider for an association as a login would, and
//! shows what was negotiated. The MAC key is never shown.

use std::process::ExitCode;
use std::sync::{Mutex, PoisonError};

use openid_consumer::associate::{self, EndpointKind};
use openid_consumer::crypto::SessionType;
use openid_consumer::fetch::FetchResponse;
use openid_consumer::message::Message;
use openid_consumer::store::{Clock, SystemClock};
use openid_consumer::{AssociationPreferences, FetchError, Fetcher, NetworkPolicy, UreqFetcher};
use serde::Serialize;

use crate::error::CliError;
use crate::network::NetworkArgs;
use crate::output::{Format, Table, print, print_json};

/// `openid associate`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The provider's endpoint URL (the server URL `openid discover` shows).
    endpoint: String,
    /// Speak OpenID 1.1 (HMAC-SHA1 only, no suggestions).
    #[arg(long)]
    openid1: bool,
}

/// Associates and prints the association.
pub(crate) fn run(
    args: &Args,
    network: &NetworkArgs,
    format: Format,
) -> Result<ExitCode, CliError> {
    let fetcher = Recording::default();
    let now = SystemClock.now();
    let association = associate::associate(
        &fetcher,
        &network.policy(),
        &args.endpoint,
        EndpointKind::of(&args.endpoint, args.openid1),
        &AssociationPreferences::default(),
        now,
    )
    .map_err(|source| CliError::Associate { endpoint: args.endpoint.clone(), source })?;
    let report = Report {
        endpoint: &args.endpoint,
        assoc_type: association.assoc_type().as_str(),
        session_type: fetcher.session_type(args.openid1),
        handle: association.handle(),
        lifetime: association.lifetime(),
        issued: association.issued(),
        expires_at: association.expires_at(),
    };
    match format {
        Format::Json => print_json(&report)?,
        Format::Human => print(&report.human())?,
    }
    Ok(ExitCode::SUCCESS)
}

/// What was negotiated; no key.
#[derive(Debug, Serialize)]
struct Report<'a> {
    endpoint: &'a str,
    assoc_type: &'static str,
    /// `None` only if the answer could not be read again (it was, to get here).
    session_type: Option<&'static str>,
    handle: &'a str,
    /// Seconds, as the provider's `expires_in`.
    lifetime: i64,
    /// Unix seconds.
    issued: i64,
    /// Unix seconds.
    expires_at: i64,
}

impl Report<'_> {
    fn human(&self) -> String {
        Table::pairs([
            ("endpoint", self.endpoint.to_owned()),
            ("association type", self.assoc_type.to_owned()),
            ("session type", self.session_type.unwrap_or("unknown").to_owned()),
            ("handle", self.handle.to_owned()),
            ("lifetime", readable(self.lifetime)),
        ])
        .render()
    }
}

/// A fetcher that keeps the last answer to a POST: `associate` returns the association
/// but not the session type it negotiated (after a retry with the provider's suggestion
/// it may differ from the first choice), so the tool reads it from the answer the library
/// accepted. The body holds the (encrypted) MAC key: it is only parsed for the session
/// type, and dropped with the fetcher.
// No `Debug`: the body it keeps holds the key.
#[derive(Default)]
struct Recording {
    inner: UreqFetcher,
    last_post: Mutex<Option<Vec<u8>>>,
}

impl Recording {
    /// The session type of the last answer; OpenID 1.1 leaves it out for no-encryption.
    fn session_type(&self, openid1: bool) -> Option<&'static str> {
        let last = self.last_post.lock().unwrap_or_else(PoisonError::into_inner);
        let body = String::from_utf8_lossy(last.as_deref()?).into_owned();
        let answer = Message::from_kvform(&body).ok()?;
        let named = answer.get_openid("session_type").filter(|s| !s.is_empty());
        let session = match named {
            Some(name) => name.parse::<SessionType>().ok()?,
            None if openid1 => SessionType::NoEncryption,
            None => return None,
        };
        Some(session.as_str())
    }
}

impl Fetcher for Recording {
    fn get(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        policy: &NetworkPolicy,
    ) -> Result<FetchResponse, FetchError> {
        self.inner.get(url, headers, policy)
    }

    fn post_form(
        &self,
        url: &str,
        form: &[(&str, &str)],
        policy: &NetworkPolicy,
    ) -> Result<FetchResponse, FetchError> {
        let response = self.inner.post_form(url, form, policy)?;
        *self.last_post.lock().unwrap_or_else(PoisonError::into_inner) =
            Some(response.body.clone());
        Ok(response)
    }
}

/// Seconds, and in the largest whole unit when there is one: `1209600 s (14 days)`.
fn readable(seconds: i64) -> String {
    let unit = match seconds {
        s if s >= DAY && s % DAY == 0 => plural(s / DAY, "day"),
        s if s >= HOUR && s % HOUR == 0 => plural(s / HOUR, "hour"),
        s if s >= MINUTE && s % MINUTE == 0 => plural(s / MINUTE, "minute"),
        s => return format!("{s} s"),
    };
    format!("{seconds} s ({unit})")
}

fn plural(count: i64, unit: &str) -> String {
    if count == 1 { format!("1 {unit}") } else { format!("{count} {unit}s") }
}

const MINUTE: i64 = 60;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
