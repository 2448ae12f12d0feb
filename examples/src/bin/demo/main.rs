//! The demo site: `cargo run -p openid-examples --bin demo`, then open <http://127.0.0.1:8000>.
//!
//! A relying party on 127.0.0.1:8000 with, by default, the test provider on 127.0.0.1:8001
//! (identities `http://127.0.0.1:8001/id/NAME`), so a login works offline with nothing to
//! configure; associations and nonces go to `./openid-demo.sqlite`.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;
use openid_consumer::NetworkPolicy;
use openid_examples::demo::{DemoConfig, app, serve};
use openid_examples::{builtin_policy, socket_of};
use openid_testkit::Provider;

/// The openid-rs demo site.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Where the site listens.
    #[arg(long, default_value = "127.0.0.1:8000")]
    listen: SocketAddr,
    /// The site's URL as browsers see it (default: http:// and --listen).
    #[arg(long)]
    public_url: Option<String>,
    /// The association and nonce store, by URL (sqlite:..., postgres://..., redis://...).
    #[arg(long, default_value = "sqlite:openid-demo.sqlite")]
    store: String,
    /// Do not start the built-in test provider.
    #[arg(long)]
    no_builtin_provider: bool,
    /// Where the built-in test provider listens.
    #[arg(long, default_value = "127.0.0.1:8001")]
    provider_listen: SocketAddr,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        // stdout is for the two lines that give the URLs (scripts read them); the log
        // goes to stderr.
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("demo: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(args: Args) -> Result<(), String> {
    let store = openid_stores::connect(&args.store)
        .map_err(|error| format!("cannot open the store {:?}: {error}", args.store))?;
    let mut policy = NetworkPolicy::default();
    let provider = if args.no_builtin_provider {
        None
    } else {
        let provider = Provider::start_on(args.provider_listen).map_err(|error| {
            format!(
                "cannot start the built-in provider on {}: {error} (use --provider-listen, or \
                 --no-builtin-provider)",
                args.provider_listen
            )
        })?;
        let socket = socket_of(&provider.base_url())
            .ok_or_else(|| format!("unusable provider URL {}", provider.base_url()))?;
        policy = builtin_policy(policy, socket);
        Some(provider)
    };
    let example_identity = provider.as_ref().map(|p| p.identity_url("alice"));
    let runtime = tokio::runtime::Runtime::new().map_err(|error| error.to_string())?;
    runtime.block_on(async move {
        // Bound first, so that port 0 (any free port) gives the URL to print.
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|error| format!("cannot listen on {}: {error} (use --listen)", args.listen))?;
        let address = listener.local_addr().map_err(|error| error.to_string())?;
        let public_url = args.public_url.unwrap_or_else(|| format!("http://{address}"));
        let router =
            app(DemoConfig { store, public_url: public_url.clone(), policy, example_identity })
                .map_err(|error| error.to_string())?;
        if let Some(provider) = &provider {
            println!("built-in provider: identities {}/id/NAME", provider.base_url());
        }
        println!("demo site: open {public_url}/");
        serve(router, listener).await.map_err(|error| format!("serving on {address}: {error}"))
    })
}
