//! The demo's pages (maud escapes every value it writes).

use maud::{DOCTYPE, Markup, html};
use openid_consumer::{FailureReason, SuccessResponse};

fn layout(title: &str, body: &Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { (title) " · openid-rs demo" }
                style { (STYLE) }
            }
            body {
                main {
                    h1 { (title) }
                    (*body)
                    p.home { a href="/" { "Back to the login form" } }
                }
            }
        }
    }
}

pub(crate) fn home(example_identity: Option<&str>) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { "openid-rs demo" }
                style { (STYLE) }
            }
            body {
                main {
                    h1 { "Sign in with OpenID" }
                    form method="post" action="/login" {
                        label for="identifier" { "Your OpenID identifier" }
                        input #identifier type="text" name="identifier" size="50"
                            value=(example_identity.unwrap_or_default())
                            placeholder="https://example.com/you";
                        button #sign-in type="submit" { "Sign in" }
                    }
                    @if let Some(identity) = example_identity {
                        p.hint {
                            "The built-in test provider signs anyone in without a password: try "
                            code { (identity) } ", or any name after " code { "/id/" } "."
                        }
                    }
                    form method="post" action="/login/steam" {
                        button #steam type="submit" { "Sign in through Steam" }
                    }
                    p.hint { "Steam needs the internet; the built-in provider does not." }
                }
            }
        }
    }
}

pub(crate) fn success(success: &SuccessResponse) -> Markup {
    let signed = success.signed();
    layout(
        "Signed in",
        &html! {
            p { "You are " strong #claimed-id { (success.claimed_id()) } }
            dl {
                dt { "Shown as" } dd { (success.display_identifier()) }
                dt { "Provider endpoint" } dd #endpoint { (success.endpoint().server_url()) }
            }
            h2 { "Profile" }
            @let profile = success.profile();
            @if profile.is_empty() {
                p.hint { "The provider shared no profile (or none of it was signed)." }
            } @else {
                table #profile {
                    tr { th { "field" } th { "value" } th { "from" } th { "signed field" } }
                    @for (field, value) in profile.values() {
                        tr {
                            td { (field.as_str()) }
                            td.value { (value.value()) }
                            td { (value.source().to_string()) }
                            td { code { (value.signed_field()) } }
                        }
                    }
                }
            }
            h2 { "Signed fields" }
            table {
                tr { th { "field" } th { "value" } }
                @for field in signed.list() {
                    tr {
                        td { code { "openid." (field) } }
                        td { (signed.message().openid_field(field).unwrap_or_default()) }
                    }
                }
            }
        },
    )
}

pub(crate) fn cancelled() -> Markup {
    layout("Login cancelled", &html! { p { "You cancelled the login at your provider." } })
}

pub(crate) fn setup_needed() -> Markup {
    layout(
        "Sign in at your provider first",
        &html! { p { "Your provider needs you to sign in there before it can vouch for you." } },
    )
}

pub(crate) fn failure(code: &str, explanation: &str, detail: &str) -> Markup {
    layout(
        "Login refused",
        &html! {
            p #reason { (explanation) }
            p { "Check: " code #code { (code) } }
            @if !detail.is_empty() {
                details { summary { "Details" } pre { (detail) } }
            }
        },
    )
}

pub(crate) fn begin_failed(what: &str, error: &str) -> Markup {
    layout(
        "Could not start the login",
        &html! {
            @if !what.is_empty() { p { "Signing in with " code { (what) } " failed:" } }
            pre #error { (error) }
        },
    )
}

/// What a failure means, for the person trying to sign in.
pub(crate) fn explain(reason: &FailureReason) -> &'static str {
    use FailureReason as R;
    match reason {
        R::MalformedCallback(_) | R::TooManyArguments { .. } | R::ConflictingParameter { .. } => {
            "The answer that came back is not a valid OpenID response."
        }
        R::MissingMode | R::UnexpectedMode { .. } => {
            "That was not an answer from an OpenID provider."
        }
        R::ProviderError { .. } => "Your provider reported an error.",
        R::VersionMismatch { .. } => {
            "The provider answered in another version of OpenID than it was asked in."
        }
        R::MissingField { .. } | R::UnsignedField { .. } => {
            "The provider's answer is incomplete or not signed where it must be."
        }
        R::ProviderNotAllowed { .. }
        | R::ClaimedIdNotAllowed { .. }
        | R::DelegationRefused { .. } => "This site does not accept that provider or identifier.",
        R::InvalidReturnTo { .. }
        | R::InvalidCurrentUrl { .. }
        | R::ReturnToMismatch { .. }
        | R::ReturnToArgument { .. }
        | R::ReturnToNotRequested { .. } => "The answer was meant for another page or site.",
        R::Unsolicited | R::PendingMismatch | R::PendingIncomplete | R::PendingVersion { .. } => {
            "This answer does not belong to a login started in this browser. Start again."
        }
        R::PendingExpired { .. } => "The login took too long. Start again.",
        R::AssociationExpired { .. }
        | R::BadSignature(_)
        | R::SignatureNotConfirmed
        | R::UnverifiedEndpoint { .. } => "The provider's signature could not be verified.",
        R::CheckAuthentication(_) | R::CheckAuthenticationAnswer(_) => {
            "The provider could not be asked to confirm its answer."
        }
        R::InvalidNonce(_) | R::NonceOutOfRange { .. } => {
            "The answer is too old, or from the future."
        }
        R::NonceReplayed => "This answer was already used: logins cannot be replayed.",
        R::DiscoveryMismatch { .. } | R::Discovery { .. } => {
            "The provider is not the one your identifier names."
        }
        R::NoIdentifier => "The provider did not say who you are.",
        R::Store(_) => "The site could not record the login; nothing was accepted.",
        _ => "The login was refused.",
    }
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em;color:#222}\
main{max-width:46em}label{display:block;margin-bottom:.3em}\
input[type=text]{padding:.4em;font-size:1em}button{padding:.4em 1em;font-size:1em;margin:.5em 0}\
#steam{background:#171a21;color:#fff;border:0}.hint{color:#666;font-size:.9em}\
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;overflow-wrap:anywhere}\
pre{white-space:pre-wrap;background:#f4f4f4;padding:.5em}";
