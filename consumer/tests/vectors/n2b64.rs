use num_bigint::BigUint;
use openid_consumer::crypto::{decode_btwoc_base64, encode_btwoc_base64};

#[test]
fn n2b64_vectors() {
    let Some(text) = super::read("n2b64") else { return };
    let mut cases = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let (b64, decimal) = line.split_once(' ').expect("<base64> <decimal>");
        let n: BigUint = decimal.parse().expect("decimal");
        let magnitude = if n == BigUint::ZERO { Vec::new() } else { n.to_bytes_be() };
        assert_eq!(encode_btwoc_base64(&magnitude), b64, "encode {decimal}");
        assert_eq!(decode_btwoc_base64(b64).as_deref(), Ok(magnitude.as_slice()), "decode {b64}");
        cases += 1;
    }
    println!("n2b64: {cases} cases passed");
    assert_eq!(cases, 650);
}
