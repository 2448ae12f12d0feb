//! `openid associate ENDPOINT`: asks a provider for an association as a login would, and
//! shows what was negotiated. The MAC key is never shown.

use std::process::ExitCode;

use openid_consumer::associate::{self, EndpointKind};
use openid_consumer::store::{Clock, SystemClock};
use openid_consumer::{AssociationPreferences, UreqFetcher};
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
    let now = SystemClock.now();
    let negotiated = associate::associate(
        &UreqFetcher::new(),
        &network.policy(),
        &args.endpoint,
        EndpointKind::of(&args.endpoint, args.openid1),
        &AssociationPreferences::default(),
        now,
    )
    .map_err(|source| CliError::Associate { endpoint: args.endpoint.clone(), source })?;
    let association = &negotiated.association;
    let report = Report {
        endpoint: &args.endpoint,
        assoc_type: association.assoc_type().as_str(),
        session_type: negotiated.session_type.as_str(),
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
    session_type: &'static str,
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
            ("session type", self.session_type.to_owned()),
            ("handle", self.handle.to_owned()),
            ("lifetime", readable(self.lifetime)),
        ])
        .render()
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
