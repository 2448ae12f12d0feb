//! [`Excerpt`]: untrusted text made safe to put in a log line or an error message.
//!
//! Discovery reports values that strangers wrote (header values, `<meta>` content, XRDS
//! text). Written raw, a line break in one forges a log line and an ANSI escape rewrites a
//! terminal; written whole, a 1 MiB value makes a 1 MiB log line. An excerpt is escaped as
//! Rust's `Debug` escapes a string (control characters become `\n`, `\u{1b}`, ...) and cut
//! after [`MAX_EXCERPT_CHARS`] characters.

use std::fmt::{self, Write as _};

/// Characters of a value shown in a log line or an error message; the rest is cut and its
/// length given. 200 shows any real URL or identifier whole (they are rarely longer than
/// 100) while a hostile megabyte stays a short line.
pub(crate) const MAX_EXCERPT_CHARS: usize = 200;

/// Shows untrusted text quoted, escaped and cut at [`MAX_EXCERPT_CHARS`] characters:
/// `"https://op.example/\r\nSet-Cookie"` or `"aaaa…" (1048576 bytes)`.
#[derive(Clone, Copy)]
pub(crate) struct Excerpt<'a>(pub(crate) &'a str);

impl fmt::Display for Excerpt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('"')?;
        let cut = write_escaped(f, self.0, true)?;
        f.write_char('"')?;
        if cut {
            write!(f, "… ({} bytes)", self.0.len())?;
        }
        Ok(())
    }
}

impl fmt::Debug for Excerpt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Untrusted text for an error that stores it, unquoted: control characters escaped, cut at
/// [`MAX_EXCERPT_CHARS`] characters (then ending with `…`).
pub(crate) fn bounded(text: &str) -> String {
    let mut out = String::new();
    if let Ok(true) = write_escaped(&mut out, text, false) {
        out.push('…');
    }
    out
}

/// Writes the first [`MAX_EXCERPT_CHARS`] characters of `text` escaped as `Debug` escapes a
/// string (control and other invisible characters such as bidirectional overrides, and `"`
/// when `quoted`); returns whether `text` was cut.
fn write_escaped(out: &mut impl fmt::Write, text: &str, quoted: bool) -> Result<bool, fmt::Error> {
    let mut chars = text.chars();
    for c in chars.by_ref().take(MAX_EXCERPT_CHARS) {
        // `char::escape_debug` also escapes both quotes; `str`'s `Debug` leaves `'` alone.
        match c {
            '\'' => out.write_char(c)?,
            '"' if !quoted => out.write_char(c)?,
            c => write!(out, "{}", c.escape_debug())?,
        }
    }
    Ok(chars.next().is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_look_like_debug_strings() {
        for text in ["https://op.example/", "a \"quoted\" value", "it's", "tab\there", "é ü"] {
            assert_eq!(Excerpt(text).to_string(), format!("{text:?}"), "{text}");
        }
    }

    #[test]
    fn control_characters_are_escaped() {
        let shown = Excerpt("a\r\nINFO forged line\u{1b}[2J\u{0}\u{202e}").to_string();
        assert_eq!(shown, r#""a\r\nINFO forged line\u{1b}[2J\0\u{202e}""#);
        assert!(!shown.chars().any(char::is_control), "{shown}");
    }

    #[test]
    fn bounded_text_is_unquoted_escaped_and_cut() {
        assert_eq!(bounded("name"), "name");
        assert_eq!(bounded("a\nb\"c"), "a\\nb\"c");
        assert_eq!(bounded(&"x".repeat(1000)), format!("{}…", "x".repeat(MAX_EXCERPT_CHARS)));
    }

    #[test]
    fn long_values_are_cut_and_their_length_given() {
        let long = "é".repeat(10_000);
        let shown = Excerpt(&long).to_string();
        assert_eq!(shown, format!("\"{}\"… (20000 bytes)", "é".repeat(MAX_EXCERPT_CHARS)));
        let exact = "a".repeat(MAX_EXCERPT_CHARS);
        assert_eq!(Excerpt(&exact).to_string(), format!("\"{exact}\""));
    }
}
