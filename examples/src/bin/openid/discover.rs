//! `openid discover IDENTIFIER`: the endpoints discovery finds, in the order a login tries
//! them, with how each was found.

use std::process::ExitCode;

use openid_consumer::discovery::Discoverer;
use openid_consumer::discovery::endpoint::{
    TYPE_OP_IDENTIFIER, TYPE_SIGNON_1_0, TYPE_SIGNON_1_1, TYPE_SIGNON_2_0,
};
use openid_consumer::message::SREG_1_1_NS;
use openid_consumer::{DiscoveryResult, ServiceEndpoint, UreqFetcher};
use serde::Serialize;

use crate::error::CliError;
use crate::network::NetworkArgs;
use crate::output::{Format, Table, print, print_json};

/// `openid discover`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// A URL, a bare domain (example.com/alice) or an XRI (with --xri-proxy).
    identifier: String,
}

/// Runs discovery and prints what it found.
pub(crate) fn run(
    args: &Args,
    network: &NetworkArgs,
    format: Format,
) -> Result<ExitCode, CliError> {
    let found = Discoverer::new(network.discovery())
        .discover(&args.identifier, &UreqFetcher::new(), &network.policy())
        .map_err(|source| CliError::Discovery { identifier: args.identifier.clone(), source })?;
    match format {
        Format::Json => print_json(&Report::of(&found))?,
        Format::Human => print(&human(&found))?,
    }
    Ok(ExitCode::SUCCESS)
}

/// The JSON document: the endpoints as the library serialises them (what a login keeps),
/// plus how each was found, spelled out.
#[derive(Debug, Serialize)]
struct Report<'a> {
    claimed_id: &'a str,
    display_identifier: &'a str,
    endpoints: Vec<EndpointReport<'a>>,
    rejected: Vec<String>,
}

#[derive(Debug, Serialize)]
struct EndpointReport<'a> {
    #[serde(flatten)]
    endpoint: &'a ServiceEndpoint,
    found_by: &'static str,
    op_identifier: bool,
}

impl<'a> Report<'a> {
    fn of(found: &'a DiscoveryResult) -> Self {
        Self {
            claimed_id: &found.claimed_id,
            display_identifier: &found.display_identifier,
            endpoints: found
                .endpoints
                .iter()
                .map(|endpoint| EndpointReport {
                    endpoint,
                    found_by: found_by(endpoint),
                    op_identifier: endpoint.is_op_identifier(),
                })
                .collect(),
            rejected: found.rejected.iter().map(ToString::to_string).collect(),
        }
    }
}

fn human(found: &DiscoveryResult) -> String {
    let mut text = Table::pairs([
        ("claimed id", found.claimed_id.clone()),
        ("display identifier", found.display_identifier.clone()),
    ])
    .render();
    text.push('\n');
    let mut endpoints =
        Table::new(&["#", "server URL", "types", "local id", "found by", "OP identifier"]);
    for (index, endpoint) in found.endpoints.iter().enumerate() {
        endpoints.row(vec![
            (index + 1).to_string(),
            endpoint.server_url().to_owned(),
            short_types(endpoint.type_uris()),
            endpoint.declared_local_id().unwrap_or("-").to_owned(),
            found_by(endpoint).to_owned(),
            if endpoint.is_op_identifier() { "yes" } else { "no" }.to_owned(),
        ]);
    }
    text.push_str(&endpoints.render());
    if !found.rejected.is_empty() {
        text.push_str("\nrejected services:\n");
        let mut rejected = Table::new(&[]);
        for service in &found.rejected {
            rejected.row(vec!["-".to_owned(), service.to_string()]);
        }
        text.push_str(&rejected.render());
    }
    text
}

fn found_by(endpoint: &ServiceEndpoint) -> &'static str {
    if endpoint.used_yadis() { "yadis" } else { "html" }
}

/// Type URIs with the well-known ones shortened (`2.0 signon`, `sreg 1.1`, ...); others
/// are kept whole, since only the full URI identifies them.
fn short_types(types: &[String]) -> String {
    let short: Vec<&str> = types
        .iter()
        .map(|uri| {
            KNOWN_TYPES
                .iter()
                .find(|(known, _)| known == uri)
                .map_or(uri.as_str(), |(_, name)| name)
        })
        .collect();
    short.join(", ")
}

/// Well-known service types and their short names.
const KNOWN_TYPES: [(&str, &str); 8] = [
    (TYPE_OP_IDENTIFIER, "2.0 server"),
    (TYPE_SIGNON_2_0, "2.0 signon"),
    (TYPE_SIGNON_1_1, "1.1 signon"),
    (TYPE_SIGNON_1_0, "1.0 signon"),
    (SREG_1_1_NS, "sreg 1.1"),
    ("http://openid.net/sreg/1.0", "sreg 1.0"),
    ("http://openid.net/srv/ax/1.0", "ax 1.0"),
    ("http://specs.openid.net/extensions/pape/1.0", "pape 1.0"),
];
