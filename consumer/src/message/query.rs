//! `application/x-www-form-urlencoded` decoding and encoding, strict where the
//! `form_urlencoded` crate is lenient.
//!
//! `form_urlencoded::parse` turns a bad escape into literal text and invalid UTF-8 into
//! U+FFFD. For a signed message either would make the relying party verify something other
//! than what arrived, so decoding is done here and refuses both; encoding uses the crate.

use std::ops::Range;

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
    let mut text = String::new();
    let ranges = decode_into(raw, &mut text)?;
    let owned = |range: Range<usize>| text.get(range).unwrap_or_default().to_owned();
    Ok(ranges.into_iter().map(|(key, value)| (owned(key), owned(value))).collect())
}

/// The most pairs [`decode_into`] makes room for before it has found them: more than a
/// callback may have (1,000 arguments).
const PREALLOCATED_PAIRS: usize = 1_024;

/// The ranges of keys and values in a text buffer, pair by pair.
pub(crate) type Spans = Vec<(Range<usize>, Range<usize>)>;

/// Decodes as [`decode`] does, appending every key and value to `text`: their ranges in it.
///
/// Separators and escapes are found with `memchr`'s vectorised search, so the many
/// components without escapes are copied as they are.
pub(crate) fn decode_into(raw: &str, text: &mut String) -> Result<Spans, QueryError> {
    let (query, base) = match raw.strip_prefix('?') {
        Some(rest) => (rest, 1),
        None => (raw, 0),
    };
    let bytes = query.as_bytes();
    // Room for every segment up to a callback's worth: empty segments (`&&&`) make no pair,
    // and 1 MiB of them reserved 32 MiB for nothing. Past that, the vector grows.
    let segments = memchr::memchr_iter(b'&', bytes).count() + 1;
    let mut pairs = Vec::with_capacity(segments.min(PREALLOCATED_PAIRS));
    // Decoded bytes wait here until they are known to be UTF-8.
    let mut scratch = Vec::new();
    let mut start = 0;
    while start <= bytes.len() {
        let rest = bytes.get(start..).unwrap_or_default();
        let end = memchr::memchr(b'&', rest).map_or(bytes.len(), |i| start + i);
        if end > start {
            let segment = bytes.get(start..end).unwrap_or_default();
            let (key_end, value_start) =
                memchr::memchr(b'=', segment).map_or((end, end), |i| (start + i, start + i + 1));
            let mut decode = |from, to| decode_component(query, from..to, base, text, &mut scratch);
            let key = decode(start, key_end)?;
            let value = decode(value_start, end)?;
            pairs.push((key, value));
        }
        start = end + 1;
    }
    Ok(pairs)
}

/// Appends the `range` of `query`, decoded, to `text`: its range there.
fn decode_component(
    query: &str,
    range: Range<usize>,
    base: usize,
    text: &mut String,
    scratch: &mut Vec<u8>,
) -> Result<Range<usize>, QueryError> {
    let from = text.len();
    let offset = base + range.start;
    let component = query.get(range).unwrap_or_default();
    let bytes = component.as_bytes();
    if memchr::memchr2(b'%', b'+', bytes).is_none() {
        text.push_str(component);
        return Ok(from..text.len());
    }
    let has_plus = memchr::memchr(b'+', bytes).is_some();
    scratch.clear();
    scratch.reserve(bytes.len());
    // The text between escapes is copied a run at a time (`+` turned into a space in the
    // run only: `%2B` is a plus); splitting on `%` is one tight scan, where a search call
    // per short run between the dense escapes of a URL cost more than it saved.
    let literal = |scratch: &mut Vec<u8>, run: &[u8]| {
        let start = scratch.len();
        scratch.extend_from_slice(run);
        if has_plus {
            for byte in scratch.get_mut(start..).unwrap_or_default() {
                if *byte == b'+' {
                    *byte = b' ';
                }
            }
        }
    };
    let mut pieces = bytes.split(|&b| b == b'%');
    let mut position = 0;
    if let Some(first) = pieces.next() {
        literal(scratch, first);
        position = first.len();
    }
    for piece in pieces {
        let value = hex_pair(piece.get(..2))
            .ok_or(QueryError::InvalidPercentEncoding { position: offset + position })?;
        scratch.push(value);
        literal(scratch, piece.get(2..).unwrap_or_default());
        position += 1 + piece.len();
    }
    let decoded =
        std::str::from_utf8(scratch).map_err(|_| QueryError::NotUtf8 { position: offset })?;
    text.push_str(decoded);
    Ok(from..text.len())
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
    fn empty_segments_reserve_nothing() {
        let mut text = String::new();
        let pairs = decode_into(&"&".repeat(1 << 20), &mut text).unwrap();
        assert!(pairs.is_empty());
        assert!(pairs.capacity() <= PREALLOCATED_PAIRS, "{}", pairs.capacity());
        // A callback's worth is still reserved at once.
        let query = vec!["a=1"; 1_000].join("&");
        let pairs = decode_into(&query, &mut text).unwrap();
        assert_eq!((pairs.len(), pairs.capacity()), (1_000, 1_000));
    }

    #[test]
    fn refuses_bad_escapes_with_position() {
        assert_eq!(decode("a=1&b=%zz"), Err(QueryError::InvalidPercentEncoding { position: 6 }));
        assert_eq!(decode("?a=%4"), Err(QueryError::InvalidPercentEncoding { position: 3 }));
        assert_eq!(decode("%"), Err(QueryError::InvalidPercentEncoding { position: 0 }));
    }

    #[test]
    fn an_escaped_plus_is_a_plus_and_a_plus_a_space() {
        assert_eq!(
            decode("a%2Bb=1+%2B+2&%2b=+%2B").unwrap(),
            owned(&[("a+b", "1 + 2"), ("+", " +")])
        );
        assert_eq!(decode("a=%41+%zz"), Err(QueryError::InvalidPercentEncoding { position: 6 }));
        assert_eq!(decode("k+%4=1"), Err(QueryError::InvalidPercentEncoding { position: 2 }));
        assert_eq!(decode("a=%%41"), Err(QueryError::InvalidPercentEncoding { position: 2 }));
    }

    /// The byte loop `decode_component` replaced, as the reference for what it answers.
    fn reference(component: &[u8], offset: usize) -> Result<Vec<u8>, QueryError> {
        let mut out = Vec::new();
        let mut i = 0;
        while let Some(&byte) = component.get(i) {
            match byte {
                b'+' => {
                    out.push(b' ');
                    i += 1;
                }
                b'%' => {
                    let value = hex_pair(component.get(i + 1..i + 3))
                        .ok_or(QueryError::InvalidPercentEncoding { position: offset + i })?;
                    out.push(value);
                    i += 3;
                }
                _ => {
                    out.push(byte);
                    i += 1;
                }
            }
        }
        std::str::from_utf8(&out).map_err(|_| QueryError::NotUtf8 { position: offset })?;
        Ok(out)
    }

    #[test]
    fn decodes_as_the_byte_loop_did() {
        // Every string of up to 6 bytes over an alphabet that makes escapes good and bad.
        let alphabet = [b'%', b'+', b'2', b'b', b'B', b'g', b'4'];
        let mut strings = vec![Vec::new()];
        let mut last = vec![Vec::new()];
        for _ in 0..6 {
            last = last
                .iter()
                .flat_map(|s: &Vec<u8>| {
                    alphabet.iter().map(move |c| {
                        let mut next = s.clone();
                        next.push(*c);
                        next
                    })
                })
                .collect();
            strings.extend(last.iter().cloned());
        }
        let (mut text, mut scratch) = (String::new(), Vec::new());
        for component in strings {
            let query = format!("x={}", std::str::from_utf8(&component).unwrap());
            let got = decode_component(&query, 2..query.len(), 5, &mut text, &mut scratch)
                .map(|range| text.as_bytes()[range].to_vec());
            assert_eq!(got, reference(&component, 7), "{query}");
        }
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
