//! `application/x-www-form-urlencoded` decoding and encoding, strict where the
//! `form_urlencoded` crate is lenient.
//!
//! `form_urlencoded::parse` turns a bad escape into literal text and invalid UTF-8 into
//! U+FFFD. For a signed message either would make the relying party verify something other
//! than what arrived, so decoding is done here and refuses both; encoding uses the crate.

use crate::urinorm::hex_pair;

/// Why a query string could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QueryError {
    /// A `%` not followed by two hex digits.
    #[error("invalid percent-encoding at byte {position}")]
    InvalidPercentEncoding {
        /// Byte offset in the query string.
        position: usize,
    },
    /// A decoded key or value is not UTF-8.
    #[error("decoded text at byte {position} is not UTF-8")]
    NotUtf8 {
        /// Byte offset of the component in the query string.
        position: usize,
    },
}

/// Decodes a raw query string (a leading `?` is ignored) into pairs, in order. Empty
/// segments (`a=1&&b=2`) are skipped; a segment without `=` is a key with an empty value.
pub(crate) fn decode(raw: &str) -> Result<Vec<(String, String)>, QueryError> {
    let (query, base) = match raw.strip_prefix('?') {
        Some(rest) => (rest, 1),
        None => (raw, 0),
    };
    let mut pairs = Vec::new();
    let mut offset = base;
    for segment in query.split('&') {
        if !segment.is_empty() {
            let (key, value, value_offset) = match segment.split_once('=') {
                Some((k, v)) => (k, v, offset + k.len() + 1),
                None => (segment, "", offset + segment.len()),
            };
            pairs.push((decode_component(key, offset)?, decode_component(value, value_offset)?));
        }
        offset += segment.len() + 1;
    }
    Ok(pairs)
}

fn decode_component(text: &str, offset: usize) -> Result<String, QueryError> {
    let bytes = text.as_bytes();
    // Most keys, and many values, have nothing to decode: one copy, no checks.
    let Some(first) = bytes.iter().position(|&b| b == b'%' || b == b'+') else {
        return Ok(text.to_owned());
    };
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(bytes.get(..first).unwrap_or_default());
    let mut i = first;
    while let Some(&byte) = bytes.get(i) {
        match byte {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let value = hex_pair(bytes.get(i + 1..i + 3))
                    .ok_or(QueryError::InvalidPercentEncoding { position: offset + i })?;
                out.push(value);
                i += 3;
            }
            _ => {
                // Copy the run up to the next escape at once.
                let rest = bytes.get(i..).unwrap_or_default();
                let run = rest.iter().position(|&b| b == b'%' || b == b'+').unwrap_or(rest.len());
                out.extend_from_slice(rest.get(..run).unwrap_or_default());
                i += run;
            }
        }
    }
    String::from_utf8(out).map_err(|_| QueryError::NotUtf8 { position: offset })
}

/// Encodes pairs as a query string (`a=1&b=x+y`).
pub(crate) fn encode<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (key, value) in pairs {
        serializer.append_pair(key, value);
    }
    serializer.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owned(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn decodes_plus_escapes_blank_values_and_empty_segments() {
        assert_eq!(
            decode("?a=1+2&&b=%C3%A9&c=&d").unwrap(),
            owned(&[("a", "1 2"), ("b", "é"), ("c", ""), ("d", "")])
        );
        assert_eq!(decode("").unwrap(), owned(&[]));
        assert_eq!(decode("x=a=b").unwrap(), owned(&[("x", "a=b")]));
    }

    #[test]
    fn refuses_bad_escapes_with_position() {
        assert_eq!(decode("a=1&b=%zz"), Err(QueryError::InvalidPercentEncoding { position: 6 }));
        assert_eq!(decode("?a=%4"), Err(QueryError::InvalidPercentEncoding { position: 3 }));
        assert_eq!(decode("%"), Err(QueryError::InvalidPercentEncoding { position: 0 }));
    }

    #[test]
    fn refuses_invalid_utf8() {
        assert_eq!(decode("a=%FF"), Err(QueryError::NotUtf8 { position: 2 }));
        assert_eq!(decode("%C3=1"), Err(QueryError::NotUtf8 { position: 0 }));
    }

    #[test]
    fn encodes_reserved_characters() {
        assert_eq!(encode([("a b", "x&y=z/é")]), "a+b=x%26y%3Dz%2F%C3%A9");
    }
}
