//! HTTP `Accept` headers (RFC 9110 section 12.5.1), as python-openid's `yadis.accept` reads
//! them: enough to build the Yadis request header and to serve content negotiation in tests.

/// One media range of an `Accept` header, with its quality.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct MediaRange {
    /// The main type (`text`, or `*`).
    pub main: String,
    /// The subtype (`html`, or `*`).
    pub sub: String,
    /// The `q` parameter, 1.0 when absent or malformed.
    pub q: f32,
}

/// Parses an `Accept` header into media ranges, highest quality first. Entries that are not
/// `type/subtype` are ignored, as are malformed `q` values.
pub fn parse_accept_header(value: &str) -> Vec<MediaRange> {
    let mut ranges: Vec<MediaRange> = value
        .split(',')
        .filter_map(|chunk| {
            let mut parts = chunk.split(';').map(str::trim);
            let (main, sub) = parts.next()?.split_once('/')?;
            let q = parts
                .filter_map(|parameter| parameter.split_once('='))
                .filter(|(key, _)| key.trim() == "q")
                .find_map(|(_, value)| value.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            Some(MediaRange { main: main.to_owned(), sub: sub.to_owned(), q })
        })
        .collect();
    ranges.sort_by(|a, b| b.q.total_cmp(&a.q));
    ranges
}

/// The `available` media types that `accepted` allows, with their quality, best first and in
/// the order of `available` among equals; types with quality 0 are left out. An empty
/// `accepted` list accepts everything.
pub fn match_types<'a>(accepted: &[MediaRange], available: &[&'a str]) -> Vec<(&'a str, f32)> {
    let mut default: f32 = if accepted.is_empty() { 1.0 } else { 0.0 };
    let mut by_main: Vec<(&str, f32)> = Vec::new();
    let mut by_type: Vec<(&str, &str, f32)> = Vec::new();
    for range in accepted {
        if range.main == "*" {
            default = default.max(range.q);
        } else if range.sub == "*" {
            upsert_max(&mut by_main, |(main, _)| *main == range.main, (&range.main, range.q));
        } else {
            let key = (range.main.as_str(), range.sub.as_str(), range.q);
            match by_type.iter_mut().find(|(m, s, _)| *m == range.main && *s == range.sub) {
                Some(entry) => entry.2 = entry.2.max(range.q),
                None => by_type.push(key),
            }
        }
    }
    let mut matched: Vec<(&'a str, f32)> = available
        .iter()
        .filter_map(|media_type| {
            let (main, sub) = media_type.split_once('/').unwrap_or((media_type, ""));
            let q = by_type
                .iter()
                .find(|(m, s, _)| *m == main && *s == sub)
                .map(|(_, _, q)| *q)
                .or_else(|| by_main.iter().find(|(m, _)| *m == main).map(|(_, q)| *q))
                .unwrap_or(default);
            (q > 0.0).then_some((*media_type, q))
        })
        .collect();
    matched.sort_by(|a, b| b.1.total_cmp(&a.1));
    matched
}

fn upsert_max<'r>(
    entries: &mut Vec<(&'r str, f32)>,
    matches: impl Fn(&(&'r str, f32)) -> bool,
    entry: (&'r str, f32),
) {
    match entries.iter_mut().find(|existing| matches(existing)) {
        Some(existing) => existing.1 = existing.1.max(entry.1),
        None => entries.push(entry),
    }
}
