//! Identifier normalisation: RFC 3986 section 6 syntax-based normalisation, restricted to
//! absolute `http` and `https` URIs, as OpenID 2.0 section 7.2 asks of user-supplied
//! identifiers.
//!
//! What [`normalize`] does, in order:
//! 1. Splits the input with the regular expression of RFC 3986 appendix B.
//! 2. Turns an IRI into a URI: a non-ASCII host goes through IDNA (UTS #46, so `bücher.de`
//!    becomes `xn--bcher-kva.de`), other non-ASCII characters are percent-encoded as UTF-8.
//! 3. Refuses characters that may not appear in a URI, with their position.
//! 4. Lower-cases scheme and host; refuses schemes other than `http` and `https`; refuses a
//!    missing authority or an empty host.
//! 5. Drops an empty port and the scheme's default port; refuses a port that is not a number
//!    below 65536.
//! 6. Decodes percent-encoded unreserved characters and upper-cases the hex digits of the
//!    others (path and query); refuses a `%` that does not start a valid escape.
//! 7. Removes dot segments (RFC 3986 section 5.2.4); an empty path becomes `/`.
//!
//! The fragment is kept: discovery removes it where OpenID says so.
//!
//! The `url` crate implements the WHATWG URL standard, which rewrites inputs in ways OpenID
//! identifiers must not be rewritten (backslashes, stripped control characters, host
//! heuristics) and cannot report the RFC 3986 errors this module must report; so this
//! module follows RFC 3986 directly and uses the `idna` crate for hosts.

use std::fmt::Write as _;

/// Why an identifier could not be normalised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrinormError {
    /// The input has no `scheme:` part.
    #[error("no scheme: an identifier must start with http:// or https://")]
    MissingScheme,
    /// The scheme is not `http` or `https`.
    #[error("unsupported scheme {scheme:?}: only http and https identifiers are allowed")]
    UnsupportedScheme {
        /// The scheme as written.
        scheme: String,
    },
    /// No `//authority` part.
    #[error("not an absolute URI: no //host part")]
    MissingAuthority,
    /// The authority has no host.
    #[error("empty host")]
    EmptyHost,
    /// A character that may not appear in a URI.
    #[error("illegal character {character:?} at byte {position}")]
    IllegalCharacter {
        /// The character.
        character: char,
        /// Its byte offset in the input.
        position: usize,
    },
    /// A `%` that does not start a valid two-digit escape.
    #[error("invalid percent-encoding at byte {position}")]
    InvalidPercentEncoding {
        /// Byte offset of the `%` in the component where it was found.
        position: usize,
    },
    /// The port is not a decimal number below 65536.
    #[error("invalid port {port:?}")]
    InvalidPort {
        /// The port as written.
        port: String,
    },
    /// An IP literal (`[...]`) that is not well formed.
    #[error("invalid IP literal host {host:?}")]
    InvalidIpLiteral {
        /// The host as written.
        host: String,
    },
    /// The host could not be converted with IDNA.
    #[error("host {host:?} is not a valid internationalised domain name")]
    InvalidIdn {
        /// The host as written.
        host: String,
    },
}

/// Normalises an `http` or `https` URI (or IRI) for use as an OpenID identifier.
///
/// # Errors
/// A [`UrinormError`] naming what is wrong; the input is never partially accepted.
///
/// # Example
/// ```
/// use openid_consumer::urinorm::normalize;
///
/// assert_eq!(normalize("HTTP://Example.COM:80/a/./b/../c/%7euser").unwrap(),
///            "http://example.com/a/c/~user");
/// assert!(normalize("ftp://example.com/").is_err());
/// ```
pub fn normalize(input: &str) -> Result<String, UrinormError> {
    let parts = split(input);
    let scheme = parts.scheme.ok_or(UrinormError::MissingScheme)?;
    check_scheme_chars(scheme)?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(UrinormError::UnsupportedScheme { scheme });
    }
    let authority = parts.authority.ok_or(UrinormError::MissingAuthority)?;
    let authority_offset = scheme.len() + 3;
    let (userinfo, hostport) = match authority.rfind('@') {
        Some(at) => authority.split_at(at + 1),
        None => ("", authority),
    };
    let userinfo = normalize_component(userinfo, authority_offset)?;
    let (host, port) = split_host_port(hostport);
    let host = normalize_host(host, authority_offset + userinfo.len())?;
    let port = normalize_port(port, &scheme)?;

    let path_offset = authority_offset + authority.len();
    let path = normalize_component(parts.path, path_offset)?;
    let mut path = remove_dot_segments(&path);
    if path.is_empty() {
        path.push('/');
    }

    let mut out = String::with_capacity(input.len() + 1);
    out.push_str(&scheme);
    out.push_str("://");
    out.push_str(&userinfo);
    out.push_str(&host);
    if let Some(port) = port {
        let _ = write!(out, ":{port}");
    }
    out.push_str(&path);
    if let Some(query) = parts.query {
        out.push('?');
        out.push_str(&normalize_component(query, path_offset + parts.path.len() + 1)?);
    }
    if let Some(fragment) = parts.fragment {
        out.push('#');
        let offset = input.len() - fragment.len();
        out.push_str(&encode_non_ascii(fragment, offset)?);
    }
    Ok(out)
}

/// Removes `.` and `..` segments from a path (RFC 3986 section 5.2.4).
pub fn remove_dot_segments(path: &str) -> String {
    let mut input = path;
    let mut output: Vec<&str> = Vec::new();
    while !input.is_empty() {
        if let Some(rest) = input.strip_prefix("../") {
            input = rest;
        } else if let Some(rest) = input.strip_prefix("./") {
            input = rest;
        } else if input.starts_with("/./") {
            input = &input[2..];
        } else if input == "/." {
            input = "/";
        } else if input.starts_with("/../") {
            input = &input[3..];
            output.pop();
        } else if input == "/.." {
            input = "/";
            output.pop();
        } else if input == "." || input == ".." {
            input = "";
        } else {
            let start = usize::from(input.starts_with('/'));
            let end = input[start..].find('/').map_or(input.len(), |i| i + start);
            let (segment, rest) = input.split_at(end);
            output.push(segment);
            input = rest;
        }
    }
    output.concat()
}

/// The five components of RFC 3986 appendix B.
#[derive(Debug)]
struct Parts<'a> {
    scheme: Option<&'a str>,
    authority: Option<&'a str>,
    path: &'a str,
    query: Option<&'a str>,
    fragment: Option<&'a str>,
}

/// `^(([^:/?#]+):)?(//([^/?#]*))?([^?#]*)(\?([^#]*))?(#(.*))?`, without a regex engine.
fn split(input: &str) -> Parts<'_> {
    let (rest, fragment) = match input.split_once('#') {
        Some((rest, fragment)) => (rest, Some(fragment)),
        None => (input, None),
    };
    let (rest, query) = match rest.split_once('?') {
        Some((rest, query)) => (rest, Some(query)),
        None => (rest, None),
    };
    let (scheme, rest) = match rest.find([':', '/']) {
        Some(i) if i > 0 && rest.as_bytes().get(i) == Some(&b':') => {
            (Some(&rest[..i]), &rest[i + 1..])
        }
        _ => (None, rest),
    };
    let (authority, path) = match rest.strip_prefix("//") {
        Some(after) => {
            let end = after.find('/').unwrap_or(after.len());
            (Some(&after[..end]), &after[end..])
        }
        None => (None, rest),
    };
    Parts { scheme, authority, path, query, fragment }
}

fn check_scheme_chars(scheme: &str) -> Result<(), UrinormError> {
    // RFC 3986 section 3.1: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
    for (position, character) in scheme.char_indices() {
        let ok = character.is_ascii_alphanumeric() || matches!(character, '+' | '-' | '.');
        if !ok || (position == 0 && !character.is_ascii_alphabetic()) {
            return Err(UrinormError::IllegalCharacter { character, position });
        }
    }
    Ok(())
}

/// Splits `host[:port]`, keeping an IP literal's colons in the host.
fn split_host_port(hostport: &str) -> (&str, Option<&str>) {
    if hostport.starts_with('[') {
        if let Some(end) = hostport.find(']') {
            let (host, rest) = hostport.split_at(end + 1);
            return match rest.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None if rest.is_empty() => (host, None),
                // Garbage after the literal: let host validation report it.
                None => (hostport, None),
            };
        }
        return (hostport, None);
    }
    match hostport.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (hostport, None),
    }
}

fn normalize_host(host: &str, offset: usize) -> Result<String, UrinormError> {
    if host.is_empty() {
        return Err(UrinormError::EmptyHost);
    }
    if host.starts_with('[') {
        return normalize_ip_literal(host);
    }
    let decoded = if host.contains('%') {
        let bytes = percent_decode_checked(host, offset)?;
        String::from_utf8(bytes).map_err(|_| UrinormError::InvalidIdn { host: host.to_owned() })?
    } else {
        host.to_owned()
    };
    if decoded.is_ascii() {
        // reg-name = *( unreserved / pct-encoded / sub-delims ), RFC 3986 section 3.2.2
        if let Some((position, character)) =
            decoded.char_indices().find(|&(_, c)| !is_unreserved(c) && !is_sub_delim(c))
        {
            return Err(UrinormError::IllegalCharacter { character, position: offset + position });
        }
        return Ok(decoded.to_ascii_lowercase());
    }
    if let Some((position, character)) =
        decoded.char_indices().find(|&(_, c)| c.is_ascii() && !is_unreserved(c))
    {
        return Err(UrinormError::IllegalCharacter { character, position: offset + position });
    }
    let ascii = idna::domain_to_ascii(&decoded)
        .map_err(|_| UrinormError::InvalidIdn { host: host.to_owned() })?;
    // UTS 46 without the STD3 rules maps some characters to ASCII a host may not hold
    // (U+02DC SMALL TILDE becomes a space and a combining tilde): the result must still be
    // a reg-name, or the normalised URL would not be a URL (found by fuzzing).
    if ascii.chars().all(|c| is_unreserved(c) || is_sub_delim(c)) {
        Ok(ascii)
    } else {
        Err(UrinormError::InvalidIdn { host: host.to_owned() })
    }
}

fn normalize_ip_literal(host: &str) -> Result<String, UrinormError> {
    let invalid = || UrinormError::InvalidIpLiteral { host: host.to_owned() };
    let inner = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).ok_or_else(invalid)?;
    let address: std::net::Ipv6Addr = inner.parse().map_err(|_| invalid())?;
    Ok(format!("[{address}]"))
}

fn normalize_port(port: Option<&str>, scheme: &str) -> Result<Option<u16>, UrinormError> {
    let Some(port) = port.filter(|p| !p.is_empty()) else {
        return Ok(None);
    };
    let invalid = || UrinormError::InvalidPort { port: port.to_owned() };
    if !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let number: u16 = port.parse().map_err(|_| invalid())?;
    let default = if scheme == "https" { 443 } else { 80 };
    Ok((number != default).then_some(number))
}

/// Percent-encodes non-ASCII characters, checks the rest are legal URI characters and
/// normalises escapes: unreserved characters are decoded, other escapes upper-cased.
fn normalize_component(component: &str, offset: usize) -> Result<String, UrinormError> {
    let encoded = encode_non_ascii(component, offset)?;
    let bytes = encoded.as_bytes();
    let mut out = String::with_capacity(encoded.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        if byte == b'%' {
            let value = hex_pair(bytes.get(i + 1..i + 3))
                .ok_or(UrinormError::InvalidPercentEncoding { position: offset + i })?;
            let decoded = char::from(value);
            if is_unreserved(decoded) {
                out.push(decoded);
            } else {
                let _ = write!(out, "%{value:02X}");
            }
            i += 3;
        } else {
            out.push(char::from(byte));
            i += 1;
        }
    }
    Ok(out)
}

/// Percent-encodes non-ASCII characters as UTF-8 and refuses illegal ASCII ones.
fn encode_non_ascii(component: &str, offset: usize) -> Result<String, UrinormError> {
    let mut out = String::with_capacity(component.len());
    for (position, character) in component.char_indices() {
        if character.is_ascii() {
            if !is_uri_char(character) {
                return Err(UrinormError::IllegalCharacter {
                    character,
                    position: offset + position,
                });
            }
            out.push(character);
        } else if is_iri_char(character) {
            let mut buf = [0u8; 4];
            for byte in character.encode_utf8(&mut buf).bytes() {
                let _ = write!(out, "%{byte:02X}");
            }
        } else {
            return Err(UrinormError::IllegalCharacter { character, position: offset + position });
        }
    }
    Ok(out)
}

fn percent_decode_checked(text: &str, offset: usize) -> Result<Vec<u8>, UrinormError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        if byte == b'%' {
            let value = hex_pair(bytes.get(i + 1..i + 3))
                .ok_or(UrinormError::InvalidPercentEncoding { position: offset + i })?;
            out.push(value);
            i += 3;
        } else {
            out.push(byte);
            i += 1;
        }
    }
    Ok(out)
}

/// Decodes two hex digits.
pub(crate) fn hex_pair(pair: Option<&[u8]>) -> Option<u8> {
    let [high, low] = pair? else { return None };
    Some(hex_digit(*high)? << 4 | hex_digit(*low)?)
}

fn hex_digit(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

fn is_unreserved(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~')
}

fn is_sub_delim(c: char) -> bool {
    matches!(c, '!' | '$' | '&' | '\'' | '(' | ')' | '*' | '+' | ',' | ';' | '=')
}

/// Any character that may appear somewhere in a URI (RFC 3986 section 2).
fn is_uri_char(c: char) -> bool {
    is_unreserved(c)
        || is_sub_delim(c)
        || matches!(c, ':' | '/' | '?' | '#' | '[' | ']' | '@' | '%')
}

/// `ucschar` and `iprivate` of RFC 3987 section 2.2.
fn is_iri_char(c: char) -> bool {
    let c = u32::from(c);
    matches!(c, 0xA0..=0xD7FF | 0xE000..=0xFDCF | 0xFDF0..=0xFFEF | 0xE_1000..=0xE_FFFD)
        || ((0x1_0000..=0xD_FFFD).contains(&c) && (c & 0xFFFF) <= 0xFFFD)
        || ((0xF_0000..=0x10_FFFD).contains(&c) && (c & 0xFFFF) <= 0xFFFD)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Found by the urinorm fuzz target: normalising the result failed.
    #[test]
    fn an_idn_that_maps_to_a_space_is_refused_not_normalised_into_an_invalid_url() {
        let input = "http://...c\u{2dc}.correddddelh.mpman.pleochexaman.pleoch.mpexaman.pl/b";
        assert!(
            matches!(normalize(input), Err(UrinormError::InvalidIdn { .. })),
            "{:?}",
            normalize(input)
        );
        assert!(matches!(
            normalize("http://c\u{2dc}.example/"),
            Err(UrinormError::InvalidIdn { .. })
        ));
        // Ordinary international names still work.
        assert_eq!(
            normalize("http://bücher.example/").as_deref(),
            Ok("http://xn--bcher-kva.example/")
        );
    }

    #[test]
    fn adds_slash_and_drops_default_port() {
        assert_eq!(normalize("https://example.com:443").unwrap(), "https://example.com/");
        assert_eq!(normalize("https://example.com:80").unwrap(), "https://example.com:80/");
    }

    #[test]
    fn converts_iri_to_uri() {
        assert_eq!(normalize("http://bücher.de/ä").unwrap(), "http://xn--bcher-kva.de/%C3%A4");
    }

    #[test]
    fn keeps_query_and_fragment_normalising_escapes() {
        assert_eq!(normalize("http://a/?x=%7e%2f#frag").unwrap(), "http://a/?x=~%2F#frag");
    }

    #[test]
    fn rejects_bad_ports_and_escapes() {
        assert!(matches!(normalize("http://a:99999/"), Err(UrinormError::InvalidPort { .. })));
        assert!(matches!(normalize("http://a:8x/"), Err(UrinormError::InvalidPort { .. })));
        assert!(matches!(
            normalize("http://a/%zz"),
            Err(UrinormError::InvalidPercentEncoding { position: 9 })
        ));
        assert!(matches!(
            normalize("http://a/%4"),
            Err(UrinormError::InvalidPercentEncoding { .. })
        ));
    }

    #[test]
    fn handles_ipv6_literals() {
        assert_eq!(normalize("http://[::1]:8080/x").unwrap(), "http://[::1]:8080/x");
        assert_eq!(normalize("http://[0:0::1]/").unwrap(), "http://[::1]/");
        assert!(normalize("http://[zz]/").is_err());
        assert!(normalize("http://[::1]x/").is_err());
    }

    #[test]
    fn rejects_missing_parts() {
        assert_eq!(normalize("example.com"), Err(UrinormError::MissingScheme));
        assert_eq!(normalize("http:/foo"), Err(UrinormError::MissingAuthority));
        assert_eq!(normalize("http:///foo"), Err(UrinormError::EmptyHost));
        assert_eq!(normalize("http://:80/"), Err(UrinormError::EmptyHost));
    }

    #[test]
    fn error_messages_name_the_problem() {
        assert_eq!(
            normalize("ftp://x/").unwrap_err().to_string(),
            "unsupported scheme \"ftp\": only http and https identifiers are allowed"
        );
        assert_eq!(
            normalize("http://x/<").unwrap_err().to_string(),
            "illegal character '<' at byte 9"
        );
    }
}
