//! Runs the test provider as a process, for peers in other languages (python3-openid's
//! consumer in `scripts/bench-login.sh` and the interop tests) and for trying a relying party
//! by hand.
//!
//! ```text
//! openid-testkit [--port PORT]
//! ```
//!
//! It listens on 127.0.0.1 (a free port unless `--port` is given), prints its base URL on
//! the first line of standard output, and serves until standard input closes or the process
//! is killed. Identities are `BASE/id/NAME`; the OP endpoint is `BASE/op`.

use std::io::Read as _;
use std::process::ExitCode;

use openid_testkit::Provider;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut port: u16 = 0;
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--port", Some(value)) => match value.parse() {
                Ok(parsed) => port = parsed,
                Err(_) => {
                    return usage(&format!("--port takes a number from 0 to 65535, not {value:?}"));
                }
            },
            _ => return usage(&format!("unknown argument {arg:?}")),
        }
    }
    let provider = match Provider::start_on(("127.0.0.1", port)) {
        Ok(provider) => provider,
        Err(error) => {
            eprintln!("openid-testkit: cannot listen on 127.0.0.1:{port}: {error}");
            return ExitCode::from(1);
        }
    };
    println!("{}", provider.base_url());
    eprintln!(
        "openid-testkit: OP endpoint {}, identities {}/id/NAME; close standard input to stop",
        provider.endpoint_url(),
        provider.base_url()
    );
    // Serve until whoever started us closes our standard input (or kills us).
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    drop(provider);
    ExitCode::SUCCESS
}

fn usage(problem: &str) -> ExitCode {
    eprintln!("openid-testkit: {problem}\nusage: openid-testkit [--port PORT]");
    ExitCode::from(2)
}
