//! python3-openid's consumer (`interop/consumer.py`) logs in against openid-testkit's
//! provider, in the modes our consumer is tested in, with python3-openid's `MemoryStore`,
//! its `FileOpenIDStore`, and no store (its stateless "dumb mode"): the testkit is a
//! provider an independent relying party accepts, not one tuned to ours.
//!
//! Each login starts its own testkit provider in this process and the driver as a child
//! process.

use std::fmt::{Display, Write as _};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use openid_testkit::{
    Answer, AssociationBehaviour, LoggedRequest, Protocol, Provider, Tamper, Transport,
};
use serde::Deserialize;

use super::python;

/// python3-openid's stores, as `consumer.py --store` names them.
const ALL: [&str; 3] = ["memory", "file", "none"];
/// Its stores, without stateless.
const STORES: [&str; 2] = ["memory", "file"];

#[test]
fn a_yadis_identity_logs_in() {
    let Some(python) = python::interpreter() else { return };
    for store in ALL {
        let run = Run::new(&python, "yadis", store, |_| {});
        let outcome = run.outcome();
        let alice = run.provider.identity_url("alice");
        run.ensure_status(&outcome, "SUCCESS");
        run.ensure_eq("identity_url", &outcome.identity_url, &Some(alice));
        run.ensure_eq("endpoint", &outcome.endpoint, &Some(run.provider.endpoint_url()));
        let (associations, checks) =
            (run.requests("associate"), run.requests("check_authentication"));
        if store == "none" {
            run.ensure(
                associations.is_empty() && checks.len() == 1,
                "expected one check_authentication and no association",
            );
        } else {
            // python3-openid's default preference: HMAC-SHA1 over DH-SHA1.
            run.ensure_eq("association", &outcome.assoc_type.as_deref(), &Some("HMAC-SHA1"));
            run.ensure(
                associations.len() == 1 && checks.is_empty(),
                "expected one association and no check_authentication",
            );
            run.ensure_eq(
                "session_type",
                &associations[0].param("openid.session_type").as_deref(),
                &Some("DH-SHA1"),
            );
        }
    }
}

#[test]
fn an_html_only_identity_logs_in() {
    let Some(python) = python::interpreter() else { return };
    for store in ALL {
        let run = Run::new(&python, "html", store, |_| {});
        let outcome = run.outcome();
        run.ensure_status(&outcome, "SUCCESS");
        run.ensure_eq(
            "identity_url",
            &outcome.identity_url,
            &Some(run.provider.html_identity_url("bob")),
        );
    }
}

#[test]
fn an_openid_1_1_identity_logs_in() {
    let Some(python) = python::interpreter() else { return };
    for store in ALL {
        let run = Run::new(&python, "v1", store, |provider| {
            provider.configure(|b| b.protocol = Protocol::V1Only);
        });
        let outcome = run.outcome();
        run.ensure_status(&outcome, "SUCCESS");
        run.ensure_eq(
            "identity_url",
            &outcome.identity_url,
            &Some(run.provider.identity_url("alice")),
        );
        let checkid = run.requests("checkid_setup");
        run.ensure(
            checkid.len() == 1 && checkid[0].param("openid.ns").is_none(),
            "expected one OpenID 1.x checkid_setup (no openid.ns)",
        );
    }
}

#[test]
fn an_op_identifier_lets_the_provider_choose_the_identity() {
    let Some(python) = python::interpreter() else { return };
    for store in ALL {
        let run = Run::new(&python, "op-identifier", store, |provider| {
            provider.configure(|b| b.identifier_select_user = "dave".into());
        });
        let outcome = run.outcome();
        run.ensure_status(&outcome, "SUCCESS");
        run.ensure_eq(
            "identity_url",
            &outcome.identity_url,
            &Some(run.provider.identity_url("dave")),
        );
        let checkid = run.requests("checkid_setup");
        run.ensure_eq(
            "requested identity",
            &checkid.first().and_then(|r| r.param("openid.identity")).as_deref(),
            &Some(openid_testkit::IDENTIFIER_SELECT),
        );
    }
}

#[test]
fn a_delegated_identifier_logs_in_as_the_delegating_page_in_openid_2_0_and_1_1() {
    let Some(python) = python::interpreter() else { return };
    for (version, server, local_id) in [
        ("2.0", "openid2.provider", "openid2.local_id"),
        ("1.1", "openid.server", "openid.delegate"),
    ] {
        for store in ALL {
            let run = Run::new(&python, "delegated", store, |provider| {
                let page = format!(
                    "<html><head><link rel=\"{server}\" href=\"{}\">\
                     <link rel=\"{local_id}\" href=\"{}\"></head></html>",
                    provider.endpoint_url(),
                    provider.identity_url("alice"),
                );
                provider.add_page("/blog", "text/html", page);
            });
            let outcome = run.outcome();
            let blog = format!("{}/blog", run.provider.base_url());
            run.ensure_status(&outcome, "SUCCESS");
            run.ensure_eq(
                &format!("{version}: identity_url"),
                &outcome.identity_url.as_deref(),
                &Some(blog.as_str()),
            );
            let checkid = run.requests("checkid_setup");
            let identity = checkid.first().and_then(|r| r.param("openid.identity"));
            run.ensure_eq(
                "requested identity",
                &identity,
                &Some(run.provider.identity_url("alice")),
            );
        }
    }
}

#[test]
fn a_provider_that_refuses_associations_gets_a_stateless_login() {
    let Some(python) = python::interpreter() else { return };
    for store in STORES {
        let run = Run::new(&python, "yadis", store, |provider| {
            provider.configure(|b| b.association = AssociationBehaviour::Refuse);
        });
        let outcome = run.outcome();
        run.ensure_status(&outcome, "SUCCESS");
        run.ensure_eq("association", &outcome.assoc_type, &None);
        run.ensure_eq("associate requests", &run.requests("associate").len(), &1);
        run.ensure_eq(
            "check_authentication requests",
            &run.requests("check_authentication").len(),
            &1,
        );
    }
}

#[test]
fn a_sha1_only_provider_gets_hmac_sha1_after_refusing_hmac_sha256() {
    let Some(python) = python::interpreter() else { return };
    for store in STORES {
        let run = Run::new(&python, "sha1", store, |provider| {
            provider.configure(|b| b.association = AssociationBehaviour::Sha1Only);
        });
        let outcome = run.outcome();
        run.ensure_status(&outcome, "SUCCESS");
        run.ensure_eq("association", &outcome.assoc_type.as_deref(), &Some("HMAC-SHA1"));
        let asked: Vec<_> =
            run.requests("associate").iter().map(|r| r.param("openid.assoc_type")).collect();
        run.ensure_eq(
            "associations asked",
            &asked,
            &vec![Some("HMAC-SHA256".to_owned()), Some("HMAC-SHA1".to_owned())],
        );
    }
}

#[test]
fn an_hmac_sha256_association_verifies() {
    let Some(python) = python::interpreter() else { return };
    for store in STORES {
        let run = Run::new(&python, "sha256", store, |_| {});
        let outcome = run.outcome();
        run.ensure_status(&outcome, "SUCCESS");
        run.ensure_eq("association", &outcome.assoc_type.as_deref(), &Some("HMAC-SHA256"));
        run.ensure_eq(
            "check_authentication requests",
            &run.requests("check_authentication").len(),
            &0,
        );
    }
}

#[test]
fn a_cancel_is_a_cancel_in_openid_2_0_and_1_1() {
    let Some(python) = python::interpreter() else { return };
    for protocol in [Protocol::V2, Protocol::V1Only] {
        for store in ALL {
            let run = Run::new(&python, "cancel", store, |provider| {
                provider.configure(|b| {
                    b.protocol = protocol;
                    b.answer = Answer::Cancel;
                });
            });
            run.ensure_status(&run.outcome(), "CANCEL");
        }
    }
}

#[test]
fn immediate_mode_gets_setup_needed_in_openid_2_0_and_a_setup_url_in_1_1() {
    let Some(python) = python::interpreter() else { return };
    for protocol in [Protocol::V2, Protocol::V1Only] {
        for store in ALL {
            let run = Run::new(&python, "setup-needed", store, |provider| {
                provider.configure(|b| {
                    b.protocol = protocol;
                    b.answer = Answer::SetupNeeded;
                });
            });
            let outcome = run.outcome();
            run.ensure_status(&outcome, "SETUP_NEEDED");
            let endpoint = run.provider.endpoint_url();
            let setup_url_ok = match protocol {
                Protocol::V1Only => {
                    outcome.setup_url.as_deref().is_some_and(|url| url.starts_with(&endpoint))
                }
                _ => outcome.setup_url.is_none(),
            };
            run.ensure(setup_url_ok, format!("{protocol:?}: setup URL {:?}", outcome.setup_url));
            run.ensure_eq(
                "checkid_immediate requests",
                &run.requests("checkid_immediate").len(),
                &1,
            );
        }
    }
}

#[test]
fn immediate_mode_logs_in_when_the_provider_can_answer() {
    let Some(python) = python::interpreter() else { return };
    for store in ALL {
        let run = Run::new(&python, "immediate", store, |_| {});
        run.ensure_status(&run.outcome(), "SUCCESS");
        run.ensure_eq("checkid_immediate requests", &run.requests("checkid_immediate").len(), &1);
    }
}

#[test]
fn a_replayed_callback_is_refused_in_openid_2_0_and_1_1() {
    let Some(python) = python::interpreter() else { return };
    for protocol in [Protocol::V2, Protocol::V1Only] {
        for store in ALL {
            let run = Run::new(&python, "replay", store, |provider| {
                provider.configure(|b| b.protocol = protocol);
            });
            let outcome = run.outcome();
            run.ensure_status(&outcome, "SUCCESS");
            let replay = outcome.replay.as_ref().map(|r| r.status.as_str());
            run.ensure_eq(&format!("{protocol:?}: replayed status"), &replay, &Some("FAILURE"));
        }
    }
}

#[test]
fn an_answer_posted_by_the_provider_s_form_logs_in() {
    let Some(python) = python::interpreter() else { return };
    for store in ALL {
        let run = Run::new(&python, "yadis", store, |provider| {
            provider.configure(|b| b.transport = Transport::FormPost);
        });
        let outcome = run.outcome();
        run.ensure_status(&outcome, "SUCCESS");
        run.ensure_eq("callback", &outcome.callback, "form");
    }
}

#[test]
fn an_assertion_signed_with_a_private_association_is_confirmed_by_the_provider() {
    let Some(python) = python::interpreter() else { return };
    for store in STORES {
        let run = Run::new(&python, "yadis", store, |provider| {
            provider.configure(|b| b.tampering = vec![Tamper::PrivateAssociation]);
        });
        let outcome = run.outcome();
        run.ensure_status(&outcome, "SUCCESS");
        run.ensure_eq(
            "check_authentication requests",
            &run.requests("check_authentication").len(),
            &1,
        );
        // The provider still knows the shared association: python3-openid keeps it.
        run.ensure_eq("association kept", &outcome.assoc_type.as_deref(), &Some("HMAC-SHA1"));
    }
}

#[test]
fn assertions_the_testkit_tampers_with_are_refused_by_python3_openid_too() {
    let Some(python) = python::interpreter() else { return };
    let tampering = [
        (Tamper::BadSignature, &ALL[..]),
        (Tamper::Unsigned("return_to".into()), &ALL),
        (Tamper::Unsigned("response_nonce".into()), &ALL),
        // Without a store python3-openid does not look at the nonce's age
        // (GenericConsumer._idResCheckNonce), and the provider vouches for its assertion.
        (Tamper::NonceAge(-6 * 3_600), &STORES),
        (Tamper::ReturnTo("http://rp.example/elsewhere".into()), &ALL),
    ];
    for (tamper, stores) in tampering {
        for &store in stores {
            let run = Run::new(&python, "yadis", store, |provider| {
                provider.configure(|b| b.tampering = vec![tamper.clone()]);
            });
            let outcome = run.outcome();
            run.ensure_eq(&format!("{tamper:?}: status"), &outcome.status, "FAILURE");
        }
    }
}

/// One run of the driver against a fresh testkit provider.
struct Run {
    mode: &'static str,
    store: &'static str,
    provider: Provider,
    finished: python::Finished,
}

/// The JSON line `consumer.py` prints.
#[derive(Debug, Deserialize)]
struct Outcome {
    /// `redirect` or `form`: how the provider sent the browser back.
    callback: String,
    status: String,
    message: Option<String>,
    identity_url: Option<String>,
    setup_url: Option<String>,
    endpoint: Option<String>,
    assoc_type: Option<String>,
    replay: Option<Replay>,
}

#[derive(Debug, Deserialize)]
struct Replay {
    status: String,
}

impl Run {
    /// Starts a testkit provider, lets `configure` set it up, and runs `consumer.py` in
    /// `mode` with `store` against it.
    fn new(
        python: &Path,
        mode: &'static str,
        store: &'static str,
        configure: impl FnOnce(&Provider),
    ) -> Self {
        let provider = Provider::start().expect("the testkit provider starts");
        configure(&provider);
        let mut command = Command::new(python);
        command
            .arg(python::script("consumer.py"))
            .arg(provider.base_url())
            .arg(mode)
            .args(["--store", store]);
        let finished = python::run(command, DRIVER_TIMEOUT);
        Self { mode, store, provider, finished }
    }

    /// What the driver printed, or the test fails.
    fn outcome(&self) -> Outcome {
        if self.finished.status.is_none() {
            self.fail(format!("consumer.py did not finish within {DRIVER_TIMEOUT:?}"));
        }
        let line = self.finished.stdout.lines().last().unwrap_or_default();
        serde_json::from_str(line).unwrap_or_else(|e| {
            self.fail(format!("consumer.py printed no outcome ({e}): {line:?}"))
        })
    }

    /// The provider's requests with this `openid.mode`.
    fn requests(&self, mode: &str) -> Vec<LoggedRequest> {
        self.provider.requests().into_iter().filter(|r| r.mode.as_deref() == Some(mode)).collect()
    }

    /// Fails the test, naming the mode and the store, with the driver's output and the
    /// testkit's request log.
    #[track_caller]
    fn fail(&self, what: impl Display) -> ! {
        let mut requests = String::new();
        for request in self.provider.requests() {
            let mode = request.mode.as_deref().unwrap_or("-");
            let _ = write!(requests, "{} {} openid.mode={mode}", request.method, request.path);
            for key in LOGGED_PARAMS {
                if let Some(value) = request.param(key) {
                    let _ = write!(requests, " {key}={value}");
                }
            }
            requests.push('\n');
        }
        panic!(
            "python3-openid's consumer against openid-testkit, mode {}, store {}: {what}\n\
             --- consumer.py ({:?}) standard output ---\n{}\n--- its standard error ---\n{}\n\
             --- requests openid-testkit's provider received ---\n{requests}--- end ---",
            self.mode, self.store, self.finished.status, self.finished.stdout, self.finished.stderr
        );
    }

    /// Fails the test unless the outcome is `expected` (the message says why not).
    #[track_caller]
    fn ensure_status(&self, outcome: &Outcome, expected: &str) {
        if outcome.status != expected {
            self.fail(format!(
                "expected {expected}, got {} ({})",
                outcome.status,
                outcome.message.as_deref().unwrap_or("no message")
            ));
        }
    }

    #[track_caller]
    fn ensure(&self, ok: bool, what: impl Display) {
        if !ok {
            self.fail(what);
        }
    }

    #[track_caller]
    fn ensure_eq<T, U>(&self, what: &str, got: &T, expected: &U)
    where
        T: PartialEq<U> + std::fmt::Debug + ?Sized,
        U: std::fmt::Debug + ?Sized,
    {
        if got != expected {
            self.fail(format!("{what}: expected {expected:?}, got {got:?}"));
        }
    }
}

/// The parameters of the testkit's requests a failure shows (besides `openid.mode`).
const LOGGED_PARAMS: [&str; 4] =
    ["openid.assoc_type", "openid.session_type", "openid.identity", "openid.assoc_handle"];

/// How long one run of the driver may take (a login is well under a second).
const DRIVER_TIMEOUT: Duration = Duration::from_secs(60);
