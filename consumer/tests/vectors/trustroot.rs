use openid_consumer::realm::Realm;

/// Cases where the vector's expectation and ours differ on purpose, with the reason.
const DEVIATIONS: &[(&str, &str)] = &[];

struct Section<'a> {
    count: usize,
    title: &'a str,
    lines: Vec<&'a str>,
}

/// Sections as the reference test reads them: the file is split on lines of 40 `=`,
/// each part on lines of 40 `-`; headers are `N: title`; bodies are stripped of
/// surrounding whitespace and split on newlines (inner blank lines are cases).
fn sections(text: &str) -> Vec<Section<'_>> {
    let mut out = Vec::new();
    let equals = format!("{}\n", "=".repeat(40));
    let dashes = format!("{}\n", "-".repeat(40));
    for part in text.split(equals.as_str()).skip(2).step_by(2) {
        let groups: Vec<&str> = part.split(dashes.as_str()).map(str::trim).collect();
        assert!(groups[0].is_empty(), "unexpected text before first header: {:?}", groups[0]);
        for pair in groups[1..].chunks(2) {
            let (count, title) = pair[0].split_once(": ").expect("header N: title");
            out.push(Section {
                count: count.parse().expect("header count"),
                title,
                lines: pair[1].split('\n').collect(),
            });
        }
    }
    out
}

fn deviation(case: &str) -> Option<&'static str> {
    DEVIATIONS.iter().find(|(c, _)| *c == case).map(|(_, why)| *why)
}

#[test]
fn trustroot_vectors() {
    let Some(text) = super::read("trustroot.txt") else { return };
    let sections = sections(&text);
    let titles: Vec<&str> = sections.iter().map(|s| s.title).collect();
    assert_eq!(titles, ["Does not parse", "Insane", "Sane", "matches", "does not match"]);
    let mut ran = 0;
    for section in &sections {
        assert_eq!(section.lines.len(), section.count, "{}", section.title);
        for line in &section.lines {
            if let Some(why) = deviation(line) {
                println!("trustroot.txt: deviation for {line:?}: {why}");
                continue;
            }
            match section.title {
                "Does not parse" => {
                    assert!(Realm::parse(line).is_err(), "should not parse: {line:?}");
                }
                "Insane" | "Sane" => {
                    let realm = Realm::parse(line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
                    assert_eq!(realm.is_sane(), section.title == "Sane", "sanity of {line:?}");
                }
                "matches" | "does not match" => {
                    let mut parts = line.split_whitespace();
                    let (realm, return_to) = (parts.next().unwrap(), parts.next().unwrap());
                    let matched = Realm::parse(realm).is_ok_and(|r| r.matches(return_to));
                    assert_eq!(matched, section.title == "matches", "{realm} vs {return_to}");
                }
                other => panic!("unknown section {other}"),
            }
            ran += 1;
        }
    }
    println!("trustroot.txt: {ran} cases passed, {} documented deviations", DEVIATIONS.len());
    assert_eq!(ran + DEVIATIONS.len(), 20 + 15 + 18 + 45 + 24);
}
