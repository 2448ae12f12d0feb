//! `openid login IDENTIFIER`: a whole login as a relying party on 127.0.0.1 does it.
//!
//! The tool discovers the identifier, prints the URL to open at the provider, and waits
//! for the browser to come back to its callback listener ([`crate::callback`]), then checks
//! the answer like any site would. With `--auto` it plays the browser itself
//! (`openid_testkit::browser`), for providers that answer without a human.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::{Ipv4Addr, TcpListener};
use std::process::ExitCode;
use std::time::Duration;

use openid_consumer::extensions::profile::ProfileField;
use openid_consumer::{Consumer, PendingAuth, Response, ServiceEndpoint, SuccessResponse};
use openid_testkit::browser::{self, Method};
use serde::Serialize;

use crate::callback::{self, Waited};
use crate::error::{CliError, collapse, one_line};
use crate::network::NetworkArgs;
use crate::output::{Format, Table, print, print_json, status};
use crate::stores;

/// `openid login`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// A URL, a bare domain (example.com/alice) or an XRI (with --xri-proxy).
    identifier: String,
    /// Keep associations and nonces in this store (memory:, sqlite:PATH, redis://...);
    /// without it the login is stateless: the provider confirms the signature.
    #[arg(long, value_name = "URL")]
    store: Option<String>,
    /// The callback listener's port on 127.0.0.1 (0: a free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// How long to wait for the browser to come back, in seconds.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 300,
        value_parser = clap::value_parser!(u64).range(1..=86_400)
    )]
    wait: u64,
    /// Follow the provider's answer without a browser (for providers that answer without
    /// a human, such as openid-testkit's).
    #[arg(long)]
    auto: bool,
    /// Ask the provider to answer at once, without showing the user anything.
    #[arg(long)]
    immediate: bool,
}

/// Runs the login; exit code 0 only for a verified identifier.
pub(crate) fn run(
    args: &Args,
    network: &NetworkArgs,
    format: Format,
) -> Result<ExitCode, CliError> {
    let consumer = consumer(args, network)?;
    // Bound before the request is made: return_to must name a port that is ours.
    let address = format!("127.0.0.1:{}", args.port);
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, args.port))
        .map_err(|source| CliError::Listen { address: address.clone(), source })?;
    let port = listener
        .local_addr()
        .map_err(|source| CliError::Io { doing: "read the listener's address", source })?
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let realm = format!("{base}/");
    let return_to = format!("{base}{}", callback::RETURN_PATH);
    let mut request = consumer
        .begin(&args.identifier)
        .map_err(|source| CliError::Begin { identifier: args.identifier.clone(), source })?;
    // The profile (e-mail, nickname, full name, ...), through SReg and AX where the
    // provider advertises them.
    request.request_profile(&ProfileField::ALL).map_err(CliError::Request)?;
    let url =
        request.redirect_url(&realm, &return_to, args.immediate).map_err(CliError::Request)?;
    // After the URL is made: the pending state records the return_to it sent.
    let pending = request.pending();
    let ending = if args.auto {
        follow(&consumer, &pending, &url)
    } else {
        status(&format!("open this URL: {url}"));
        status(&format!(
            "waiting up to {} s for the browser to come back to {return_to}",
            args.wait
        ));
        let wait = Duration::from_secs(args.wait);
        match callback::wait(listener, consumer, pending, base, wait)? {
            Waited::Checked(response) => Ending::Response(response),
            Waited::TimedOut => {
                Ending::NoAnswer(format!("the browser did not come back within {} s", args.wait))
            }
            Waited::Unchecked => Ending::NoAnswer("the login could not be checked".to_owned()),
        }
    };
    report(&ending, format)
}

/// How a login ended.
#[derive(Debug)]
enum Ending {
    /// The provider answered and the answer was checked.
    Response(Box<Response>),
    /// No answer to check (timeout, or the provider's answer could not be followed).
    NoAnswer(String),
}

fn consumer(args: &Args, network: &NetworkArgs) -> Result<Consumer, CliError> {
    let builder = Consumer::builder().policy(network.policy()).discovery(network.discovery());
    let builder = match &args.store {
        Some(url) => builder.store(stores::open(url)?),
        None => builder.stateless(),
    };
    builder.build().map_err(CliError::Config)
}

/// `--auto`: the testkit's browser goes to the provider and brings back its answer.
fn follow(consumer: &Consumer, pending: &PendingAuth, url: &str) -> Ending {
    match browser::follow(url) {
        Ok(callback) => Ending::Response(Box::new(match callback.method {
            Method::Get => consumer.complete(Some(pending), callback.query.as_str(), &callback.url),
            Method::Post => consumer.complete(Some(pending), callback.params, &callback.url),
        })),
        Err(error) => Ending::NoAnswer(format!(
            "the provider's answer could not be followed: {}",
            one_line(&error)
        )),
    }
}

/// The outcome's stable code and a sentence saying it, for the terminal and the browser.
pub(crate) fn describe(response: &Response) -> (&'static str, String) {
    let text = match response {
        Response::Success(success) => format!("verified: {}", success.claimed_id()),
        Response::Cancel => "the login was cancelled at the provider".to_owned(),
        Response::SetupNeeded { setup_url } => {
            let mut text = "the provider needs the user (try again without --immediate)".to_owned();
            if let Some(url) = setup_url {
                let _ = write!(text, "; it suggests {url}");
            }
            text
        }
        Response::Anonymous(_) => "the provider answered without an identifier".to_owned(),
        Response::Failure(failure) => failure.reason().to_string(),
        _ => "the login ended in a way this tool does not know".to_owned(),
    };
    (response.code(), text)
}

fn report(ending: &Ending, format: Format) -> Result<ExitCode, CliError> {
    let (code, text) = match ending {
        Ending::Response(response) => {
            if let Response::Success(success) = &**response {
                match format {
                    Format::Json => print_json(&Verified::of(success))?,
                    Format::Human => print(&human(success))?,
                }
                return Ok(ExitCode::SUCCESS);
            }
            describe(response)
        }
        Ending::NoAnswer(text) => ("no_answer", text.clone()),
    };
    match format {
        Format::Json => print_json(&NotVerified { outcome: code, reason: &text })?,
        Format::Human => {
            status(&format!("openid: login not verified ({code}): {}", collapse(&text)));
        }
    }
    Ok(ExitCode::FAILURE)
}

fn human(success: &SuccessResponse) -> String {
    let profile = success.profile();
    let mut rows = vec![
        ("claimed id", success.claimed_id().to_owned()),
        ("display identifier", success.display_identifier().to_owned()),
        ("endpoint", success.endpoint().server_url().to_owned()),
    ];
    for (field, value) in profile.values() {
        rows.push((field.as_str(), format!("{} (from {})", value.value(), value.signed_field())));
    }
    rows.push(("signed", success.signed().list().collect::<Vec<_>>().join(", ")));
    Table::pairs(rows).render()
}

/// `--json` for a verified login.
#[derive(Debug, Serialize)]
struct Verified<'a> {
    outcome: &'static str,
    claimed_id: &'a str,
    display_identifier: &'a str,
    endpoint: &'a ServiceEndpoint,
    /// The profile the provider shared (signed values only), by field.
    profile: BTreeMap<&'static str, String>,
    /// The signed fields (without `openid.`) and their values.
    signed: BTreeMap<&'a str, &'a str>,
}

impl<'a> Verified<'a> {
    fn of(success: &'a SuccessResponse) -> Self {
        let message = success.signed().message();
        Self {
            outcome: "success",
            claimed_id: success.claimed_id(),
            display_identifier: success.display_identifier(),
            endpoint: success.endpoint(),
            profile: success
                .profile()
                .values()
                .iter()
                .map(|(field, value)| (field.as_str(), value.value().to_owned()))
                .collect(),
            signed: success
                .signed()
                .list()
                .filter_map(|key| Some((key, message.openid_field(key)?)))
                .collect(),
        }
    }
}

/// `--json` for any other ending.
#[derive(Debug, Serialize)]
struct NotVerified<'a> {
    outcome: &'static str,
    reason: &'a str,
}
