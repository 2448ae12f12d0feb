use openid_consumer::urinorm::normalize;

#[test]
fn urinorm_vectors() {
    let Some(text) = super::read("urinorm.txt") else { return };
    let mut cases = 0;
    for block in text.split("\n\n").filter(|b| !b.trim().is_empty()) {
        let lines: Vec<&str> = block.trim_matches('\n').split('\n').collect();
        let [name, input, expected] = lines.as_slice() else {
            panic!("malformed urinorm block: {block:?}");
        };
        let actual = normalize(input);
        if *expected == "fail" {
            assert!(actual.is_err(), "{name}: {input:?} should fail, got {actual:?}");
        } else {
            assert_eq!(actual.as_deref(), Ok(*expected), "{name}: {input:?}");
        }
        cases += 1;
    }
    println!("urinorm.txt: {cases} cases passed");
    assert_eq!(cases, 22, "urinorm.txt should hold 22 cases");
}
