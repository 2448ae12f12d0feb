//! Key-value form (OpenID 2.0 section 4.1.1): `key:value\n` lines, the encoding of direct
//! responses and of the text a signature covers.
//!
//! [`parse`] is lenient, as the reference implementation is with what providers send: it
//! strips whitespace around keys and values, skips blank lines, and reports every deviation
//! as a [`KvIssue`] beside the pairs, so the caller decides what matters. [`encode`] is
//! strict: it refuses what could not be parsed back to the same pairs.

use std::fmt;

/// The pairs of a parsed KV-form document, in order, and what was irregular about it.
///
/// Its `Debug` form hides the values of [`SECRET_FIELDS`](super::SECRET_FIELDS): the
/// documents parsed are a provider's direct responses, association responses among them.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct KvParsed {
    /// `(key, value)` pairs, keys and values stripped of surrounding whitespace.
    pub pairs: Vec<(String, String)>,
    /// What did not follow the format exactly; empty for a well-formed document.
    pub issues: Vec<KvIssue>,
}

impl fmt::Debug for KvParsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pairs: Vec<_> = self
            .pairs
            .iter()
            .map(|(key, value)| (key, super::Redacted::new(value, super::is_secret(key))))
            .collect();
        f.debug_struct("KvParsed").field("pairs", &pairs).field("issues", &self.issues).finish()
    }
}

/// One irregularity found by [`parse`]. Lines are numbered from 1.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KvIssue {
    /// A non-blank line without a `:`; it was skipped.
    MissingColon {
        /// Line number.
        line: usize,
    },
    /// A key with whitespace around it; it was stripped.
    KeyWhitespace {
        /// Line number.
        line: usize,
    },
    /// A value with whitespace around it; it was stripped.
    ValueWhitespace {
        /// Line number.
        line: usize,
    },
    /// A line whose key is empty; it was kept.
    EmptyKey {
        /// Line number.
        line: usize,
    },
    /// A blank line; it was skipped.
    BlankLine {
        /// Line number.
        line: usize,
    },
    /// The document does not end with a newline.
    MissingFinalNewline,
}

impl fmt::Display for KvIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingColon { line } => write!(f, "line {line} has no colon"),
            Self::KeyWhitespace { line } => write!(f, "line {line}: whitespace around key"),
            Self::ValueWhitespace { line } => write!(f, "line {line}: whitespace around value"),
            Self::EmptyKey { line } => write!(f, "line {line}: empty key"),
            Self::BlankLine { line } => write!(f, "line {line} is blank"),
            Self::MissingFinalNewline => f.write_str("no newline at end of document"),
        }
    }
}

/// Why pairs cannot be encoded as KV form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KvEncodeError {
    /// A key contains a newline.
    #[error("key {key:?} contains a newline")]
    NewlineInKey {
        /// The key.
        key: String,
    },
    /// A key contains a colon.
    #[error("key {key:?} contains a colon")]
    ColonInKey {
        /// The key.
        key: String,
    },
    /// A value contains a newline.
    #[error("value of key {key:?} contains a newline")]
    NewlineInValue {
        /// The key whose value it is.
        key: String,
    },
}

/// Parses KV form leniently.
///
/// Never fails: a line without a colon is skipped and reported in [`KvParsed::issues`].
///
/// # Example
/// ```
/// use openid_consumer::message::kvform;
///
/// let parsed = kvform::parse("mode:id_res\nns:http://specs.openid.net/auth/2.0\n");
/// assert_eq!(parsed.pairs[0], ("mode".to_owned(), "id_res".to_owned()));
/// assert!(parsed.issues.is_empty());
/// ```
pub fn parse(text: &str) -> KvParsed {
    let mut parsed = KvParsed::default();
    let body = if let Some(body) = text.strip_suffix('\n') {
        body
    } else {
        if !text.is_empty() {
            parsed.issues.push(KvIssue::MissingFinalNewline);
        }
        text
    };
    if body.is_empty() && text.len() <= 1 {
        return parsed;
    }
    for (index, line) in body.split('\n').enumerate() {
        let line_number = index + 1;
        if line.trim().is_empty() {
            parsed.issues.push(KvIssue::BlankLine { line: line_number });
            continue;
        }
        let Some((raw_key, raw_value)) = line.split_once(':') else {
            parsed.issues.push(KvIssue::MissingColon { line: line_number });
            continue;
        };
        let key = raw_key.trim();
        if key.len() != raw_key.len() {
            parsed.issues.push(KvIssue::KeyWhitespace { line: line_number });
        }
        if key.is_empty() {
            parsed.issues.push(KvIssue::EmptyKey { line: line_number });
        }
        let value = raw_value.trim();
        if value.len() != raw_value.len() {
            parsed.issues.push(KvIssue::ValueWhitespace { line: line_number });
        }
        parsed.pairs.push((key.to_owned(), value.to_owned()));
    }
    parsed
}

/// Encodes pairs as KV form, in the order given.
///
/// Whitespace around keys and values is kept (a signature covers the bytes the provider
/// signed), although [`parse`] would strip it.
///
/// # Errors
/// A newline in a key or value, or a colon in a key: such a document would not parse back
/// to the same pairs, and in a signature base string it would let one field forge another.
///
/// # Example
/// ```
/// use openid_consumer::message::kvform;
///
/// let text = kvform::encode([("mode", "error"), ("error", "a:b")]).unwrap();
/// assert_eq!(text, "mode:error\nerror:a:b\n");
/// assert!(kvform::encode([("bad\nkey", "v")]).is_err());
/// ```
pub fn encode<I, K, V>(pairs: I) -> Result<String, KvEncodeError>
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    let mut out = String::new();
    for (key, value) in pairs {
        let (key, value) = (key.as_ref(), value.as_ref());
        check_pair(key, value)?;
        out.reserve(key.len() + value.len() + 2);
        out.push_str(key);
        out.push(':');
        out.push_str(value);
        out.push('\n');
    }
    Ok(out)
}

/// Whether a key and value can be one line of KV form: no newline in either, no colon in
/// the key.
///
/// # Errors
/// As [`encode`].
pub fn check_pair(key: &str, value: &str) -> Result<(), KvEncodeError> {
    if key.contains('\n') {
        return Err(KvEncodeError::NewlineInKey { key: key.to_owned() });
    }
    if key.contains(':') {
        return Err(KvEncodeError::ColonInKey { key: key.to_owned() });
    }
    if value.contains('\n') {
        return Err(KvEncodeError::NewlineInValue { key: key.to_owned() });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn parses_empty_document() {
        assert_eq!(parse(""), KvParsed::default());
    }

    #[test]
    fn parses_well_formed_document_without_issues() {
        let parsed = parse("college:harvey mudd\nmajor:computer science\n");
        assert_eq!(
            parsed.pairs,
            pairs(&[("college", "harvey mudd"), ("major", "computer science")])
        );
        assert!(parsed.issues.is_empty());
    }

    #[test]
    fn keeps_colons_in_values_and_empty_values() {
        let parsed = parse("url:http://x/:y\nempty:\n");
        assert_eq!(parsed.pairs, pairs(&[("url", "http://x/:y"), ("empty", "")]));
        assert!(parsed.issues.is_empty());
    }

    #[test]
    fn strips_whitespace_and_reports_it() {
        let parsed = parse(" k :  v \n");
        assert_eq!(parsed.pairs, pairs(&[("k", "v")]));
        assert_eq!(
            parsed.issues,
            vec![KvIssue::KeyWhitespace { line: 1 }, KvIssue::ValueWhitespace { line: 1 }]
        );
    }

    #[test]
    fn skips_blank_lines_and_lines_without_colon() {
        let parsed = parse("a:1\n\n   \nno colon here\nb:2\n");
        assert_eq!(parsed.pairs, pairs(&[("a", "1"), ("b", "2")]));
        assert_eq!(
            parsed.issues,
            vec![
                KvIssue::BlankLine { line: 2 },
                KvIssue::BlankLine { line: 3 },
                KvIssue::MissingColon { line: 4 }
            ]
        );
    }

    #[test]
    fn reports_missing_final_newline_and_empty_key() {
        let parsed = parse(":v");
        assert_eq!(parsed.pairs, pairs(&[("", "v")]));
        assert_eq!(
            parsed.issues,
            vec![KvIssue::MissingFinalNewline, KvIssue::EmptyKey { line: 1 }]
        );
    }

    #[test]
    fn encodes_in_order() {
        let text = encode([("b", "2"), ("a", ""), ("c", " x ")]).unwrap();
        assert_eq!(text, "b:2\na:\nc: x \n");
        assert_eq!(encode(Vec::<(&str, &str)>::new()).unwrap(), "");
    }

    #[test]
    fn encode_errors_name_the_field() {
        assert_eq!(
            encode([("a\nb", "v")]).unwrap_err().to_string(),
            "key \"a\\nb\" contains a newline"
        );
        assert_eq!(encode([("a:b", "v")]).unwrap_err().to_string(), "key \"a:b\" contains a colon");
        assert_eq!(
            encode([("k", "x\ny")]).unwrap_err().to_string(),
            "value of key \"k\" contains a newline"
        );
    }

    #[test]
    fn issue_display_is_readable() {
        assert_eq!(KvIssue::MissingColon { line: 3 }.to_string(), "line 3 has no colon");
        assert_eq!(KvIssue::MissingFinalNewline.to_string(), "no newline at end of document");
    }
}
