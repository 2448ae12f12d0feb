//! Simple Registration and Attribute Exchange answers: every identity has a made-up profile
//! (`NAME`: nickname `NAME`, e-mail `NAME@example.com`, ...), and a request asking for
//! fields gets them, signed with the rest of the assertion.

use openid_consumer::extensions::ax::{AX_NS, schema};
use openid_consumer::extensions::sreg::{SREG_1_0_NS, SREG_1_1_NS};
use openid_consumer::message::{Message, Namespace};

/// The extension fields (keys without `openid.`) answering `request` for the identity
/// `identity` (its last path segment names the user).
pub(super) fn answer(request: &Message, identity: Option<&str>, v1: bool) -> Vec<(String, String)> {
    let Some(user) = identity.and_then(user_of) else { return Vec::new() };
    let mut fields = Vec::new();
    sreg(request, &user, v1, &mut fields);
    if !v1 {
        ax(request, &user, &mut fields);
    }
    fields
}

/// The made-up profile of `user`: (SReg field, AX type URIs, value).
fn profile(user: &str) -> Vec<(&'static str, &'static [&'static str], String)> {
    let full = {
        let mut chars = user.chars();
        chars.next().map_or_else(String::new, |first| first.to_uppercase().chain(chars).collect())
    };
    vec![
        ("nickname", &[schema::NICKNAME, schema::openid_net::NICKNAME], user.to_owned()),
        ("email", &[schema::EMAIL, schema::openid_net::EMAIL], format!("{user}@example.com")),
        ("fullname", &[schema::FULLNAME, schema::openid_net::FULLNAME], format!("{full} Example")),
        ("language", &[schema::LANGUAGE], "en".to_owned()),
        ("timezone", &[schema::TIMEZONE], "Europe/London".to_owned()),
        ("country", &[schema::COUNTRY], "GB".to_owned()),
    ]
}

fn sreg(request: &Message, user: &str, v1: bool, fields: &mut Vec<(String, String)>) {
    let Some(namespace) = [SREG_1_1_NS, SREG_1_0_NS].into_iter().find(|ns| {
        let ns = Namespace::extension(*ns);
        request.get(&ns, "required").is_some() || request.get(&ns, "optional").is_some()
    }) else {
        return;
    };
    let ns = Namespace::extension(namespace);
    let asked: Vec<&str> = ["required", "optional"]
        .into_iter()
        .filter_map(|key| request.get(&ns, key))
        .flat_map(|list| list.split(','))
        .collect();
    // OpenID 1 had no alias declarations: Simple Registration is `sreg` implicitly.
    if !v1 {
        fields.push(("ns.sreg".to_owned(), namespace.to_owned()));
    }
    for (field, _, value) in profile(user) {
        if asked.contains(&field) {
            fields.push((format!("sreg.{field}"), value));
        }
    }
}

fn ax(request: &Message, user: &str, fields: &mut Vec<(String, String)>) {
    let ns = Namespace::extension(AX_NS);
    if request.get(&ns, "mode") != Some("fetch_request") {
        return;
    }
    let profile = profile(user);
    let mut answered = Vec::new();
    for (key, type_uri) in request.args_in(&ns) {
        let Some(alias) = key.strip_prefix("type.") else { continue };
        if let Some((_, _, value)) = profile.iter().find(|(_, types, _)| types.contains(&type_uri))
        {
            answered.push((alias.to_owned(), type_uri.to_owned(), value.clone()));
        }
    }
    fields.push(("ns.ax".to_owned(), AX_NS.to_owned()));
    fields.push(("ax.mode".to_owned(), "fetch_response".to_owned()));
    for (alias, type_uri, value) in answered {
        fields.push((format!("ax.type.{alias}"), type_uri));
        fields.push((format!("ax.value.{alias}"), value));
    }
}

/// The user a local identity URL names: its last path segment, decoded.
fn user_of(identity: &str) -> Option<String> {
    let url = url::Url::parse(identity).ok()?;
    let segment = url.path_segments()?.next_back()?;
    let decoded = percent_encoding::percent_decode_str(segment).decode_utf8().ok()?;
    Some(decoded.into_owned())
}
