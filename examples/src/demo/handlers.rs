//! The demo's request handlers: start a login, and finish it when the provider sends the
//! browser back.

use axum::Form;
use axum::extract::{OriginalUri, RawForm, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, PrivateCookieJar, SameSite};
use maud::Markup;
use openid_consumer::extensions::profile::ProfileField;
use openid_consumer::{
    BeginError, Consumer, Navigation, PendingAuth, RequestError, Response as Outcome,
    ServiceEndpoint,
};
use serde::Deserialize;

use super::{AppState, pages};

/// The cookie that carries a login's [`PendingAuth`], for each kind of login.
const PENDING_COOKIE: &str = "openid_pending";
const STEAM_PENDING_COOKIE: &str = "openid_pending_steam";

/// Steam's OpenID endpoint, where a Steam login starts (the provider chooses the account).
const STEAM_ENDPOINT: &str = "https://steamcommunity.com/openid/login";

/// The login form.
#[derive(Debug, Deserialize)]
pub(crate) struct LoginForm {
    identifier: String,
}

pub(crate) async fn home(State(state): State<AppState>) -> Markup {
    pages::home(state.inner.example_identity.as_deref())
}

pub(crate) async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: PrivateCookieJar,
    Form(form): Form<LoginForm>,
) -> Response {
    if let Some(refused) = cross_site(&headers) {
        return refused;
    }
    let identifier = form.identifier.trim().to_owned();
    if identifier.is_empty() {
        return page(StatusCode::BAD_REQUEST, pages::begin_failed("", "Type an identifier first."));
    }
    let started = {
        let state = state.clone();
        let identifier = identifier.clone();
        blocking(move || {
            let mut request = state.inner.consumer.begin(&identifier).map_err(StartError::Begin)?;
            // E-mail, nickname, full name...: through SReg and AX, where the provider
            // advertises them.
            request.request_profile(&ProfileField::ALL).map_err(StartError::Request)?;
            navigate(&state, request, "/return")
        })
        .await
    };
    respond(&state, started, jar, PENDING_COOKIE, &identifier)
}

pub(crate) async fn login_steam(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: PrivateCookieJar,
) -> Response {
    if let Some(refused) = cross_site(&headers) {
        return refused;
    }
    let started = {
        let state = state.clone();
        blocking(move || {
            let endpoint = ServiceEndpoint::from_op_endpoint_url(STEAM_ENDPOINT);
            let request =
                state.inner.steam.begin_with_endpoint(endpoint).map_err(StartError::Begin)?;
            navigate(&state, request, "/return/steam")
        })
        .await
    };
    respond(&state, started, jar, STEAM_PENDING_COOKIE, "Steam")
}

pub(crate) async fn return_get(
    State(state): State<AppState>,
    jar: PrivateCookieJar,
    OriginalUri(uri): OriginalUri,
    RawQuery(query): RawQuery,
) -> Response {
    finish(state, jar, PENDING_COOKIE, Kind::Identifier, uri.to_string(), query.unwrap_or_default())
        .await
}

pub(crate) async fn return_post(
    State(state): State<AppState>,
    jar: PrivateCookieJar,
    OriginalUri(uri): OriginalUri,
    RawForm(body): RawForm,
) -> Response {
    let body = String::from_utf8_lossy(&body).into_owned();
    finish(state, jar, PENDING_COOKIE, Kind::Identifier, uri.to_string(), body).await
}

pub(crate) async fn return_steam_get(
    State(state): State<AppState>,
    jar: PrivateCookieJar,
    OriginalUri(uri): OriginalUri,
    RawQuery(query): RawQuery,
) -> Response {
    finish(
        state,
        jar,
        STEAM_PENDING_COOKIE,
        Kind::Steam,
        uri.to_string(),
        query.unwrap_or_default(),
    )
    .await
}

pub(crate) async fn return_steam_post(
    State(state): State<AppState>,
    jar: PrivateCookieJar,
    OriginalUri(uri): OriginalUri,
    RawForm(body): RawForm,
) -> Response {
    let body = String::from_utf8_lossy(&body).into_owned();
    finish(state, jar, STEAM_PENDING_COOKIE, Kind::Steam, uri.to_string(), body).await
}

/// Which consumer a login was started with.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Identifier,
    Steam,
}

/// Why a login could not start.
#[derive(Debug, thiserror::Error)]
enum StartError {
    #[error(transparent)]
    Begin(BeginError),
    #[error(transparent)]
    Request(RequestError),
    #[error("the login task failed: {0}")]
    Task(String),
}

/// Where to send the browser, and the login's state.
/// A refusal of a login started from another site's page (login CSRF: a page that posts
/// its own identifier here would sign the visitor in as the attacker). Browsers say where
/// a request comes from in `Sec-Fetch-Site`; a client that sends none (a script, an old
/// browser) is let through, as the form has no other secret.
fn cross_site(headers: &HeaderMap) -> Option<Response> {
    let site = headers.get("sec-fetch-site")?.to_str().unwrap_or("cross-site");
    if matches!(site, "same-origin" | "none") {
        return None;
    }
    tracing::warn!(sec_fetch_site = site, "login from another site refused");
    Some(page(
        StatusCode::FORBIDDEN,
        pages::begin_failed("", "Start the login from this site's own page."),
    ))
}

type Started = Result<(Navigation, PendingAuth), StartError>;

fn navigate(state: &AppState, mut request: openid_consumer::AuthRequest, path: &str) -> Started {
    let realm = format!("{}/", state.inner.public_url);
    let return_to = format!("{}{path}", state.inner.public_url);
    let navigation =
        request.navigation(&realm, &return_to, false, None).map_err(StartError::Request)?;
    // After the request is made: the state records the return_to sent.
    Ok((navigation, request.pending()))
}

fn respond(
    state: &AppState,
    started: Started,
    jar: PrivateCookieJar,
    cookie: &'static str,
    what: &str,
) -> Response {
    let (navigation, pending) = match started {
        Ok(started) => started,
        Err(error) => {
            let status = match &error {
                StartError::Begin(BeginError::Discovery(_)) => StatusCode::BAD_GATEWAY,
                StartError::Task(_) => StatusCode::INTERNAL_SERVER_ERROR,
                _ => StatusCode::BAD_REQUEST,
            };
            // The detail goes to the log only: a discovery error names the addresses a host
            // resolved to, and the page would answer anyone's question about this site's
            // internal names.
            tracing::warn!(identifier = what, error = %error, "login not started");
            let shown = match &error {
                StartError::Begin(BeginError::Discovery(_)) => {
                    "No OpenID provider could be found for this identifier."
                }
                StartError::Task(_) => "The login could not be started.",
                _ => "This identifier cannot be used to sign in here.",
            };
            return page(status, pages::begin_failed(what, shown));
        }
    };
    let Ok(json) = serde_json::to_string(&pending) else {
        return page(
            StatusCode::INTERNAL_SERVER_ERROR,
            pages::begin_failed(what, "cannot save the login"),
        );
    };
    let jar = jar.add(pending_cookie(state, cookie, json));
    match navigation {
        Navigation::Redirect(url) => (jar, Redirect::to(&url)).into_response(),
        Navigation::Form(html) => (jar, Html(html)).into_response(),
        _ => {
            page(StatusCode::INTERNAL_SERVER_ERROR, pages::begin_failed(what, "unknown navigation"))
        }
    }
}

async fn finish(
    state: AppState,
    jar: PrivateCookieJar,
    cookie: &'static str,
    kind: Kind,
    current_url: String,
    args: String,
) -> Response {
    let pending: Option<PendingAuth> =
        jar.get(cookie).and_then(|saved| serde_json::from_str(saved.value()).ok());
    let jar = jar.remove(pending_cookie(&state, cookie, String::new()));
    let outcome = blocking(move || {
        let consumer: &Consumer = match kind {
            Kind::Identifier => &state.inner.consumer,
            Kind::Steam => &state.inner.steam,
        };
        Ok(consumer.complete(pending.as_ref(), args.as_str(), &current_url))
    })
    .await;
    let markup = match outcome {
        Ok(Outcome::Success(success)) => pages::success(&success),
        Ok(Outcome::Anonymous(_)) => {
            pages::failure("anonymous", "The provider answered without an identifier.", "")
        }
        Ok(Outcome::Cancel) => pages::cancelled(),
        Ok(Outcome::SetupNeeded { .. }) => pages::setup_needed(),
        Ok(Outcome::Failure(failure)) => {
            let reason = failure.reason();
            pages::failure(reason.code(), pages::explain(reason), &reason.to_string())
        }
        Ok(_) => pages::failure("unknown", "The login ended in a way this demo does not know.", ""),
        Err(error) => {
            pages::failure("internal", "The login could not be checked.", &error.to_string())
        }
    };
    (jar, markup).into_response()
}

/// The cookie that keeps a login's state until the provider sends the browser back.
///
/// The provider sends the browser back from another site: with a redirect (a GET), or,
/// when its answer is too long for a URL (a profile through SReg and AX often is), with
/// an auto-submitted form (a POST). A `SameSite=Lax` cookie does not come with that POST,
/// and the login would be refused as unsolicited; so `None`, which browsers accept only
/// with `Secure`: on an https site, and on `http://localhost` or `127.0.0.1`, which browsers
/// count as secure. Elsewhere on plain http a `Secure` cookie would be dropped, so `Lax`
/// (redirect answers only). Cross-site, the cookie gives an attacker nothing: it is
/// encrypted and signed, and it only binds the answer to this browser.
fn pending_cookie(state: &AppState, name: &'static str, value: String) -> Cookie<'static> {
    let cookie = Cookie::build((name, value)).path("/").http_only(true);
    if state.inner.secure_cookies {
        cookie.same_site(SameSite::None).secure(true).build()
    } else {
        cookie.same_site(SameSite::Lax).build()
    }
}

/// Runs blocking library work on tokio's blocking pool.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StartError> + Send + 'static,
) -> Result<T, StartError> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|error| Err(StartError::Task(error.to_string())))
}

fn page(status: StatusCode, markup: Markup) -> Response {
    (status, markup).into_response()
}
