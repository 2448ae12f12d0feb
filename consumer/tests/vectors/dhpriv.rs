use num_bigint::BigUint;
use openid_consumer::crypto::DiffieHellman;

#[test]
fn dhpriv_vectors() {
    let Some(text) = super::read("dhpriv") else { return };
    let mut cases = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let (private, public) = line.split_once(' ').expect("<private> <public>");
        let private: BigUint = private.parse().expect("decimal private key");
        let public: BigUint = public.parse().expect("decimal public key");
        let dh =
            DiffieHellman::from_private_key(&private.to_bytes_be()).expect("valid private key");
        assert_eq!(dh.public_key(), public.to_bytes_be(), "public key for {private}");
        cases += 1;
    }
    println!("dhpriv: {cases} cases passed");
    assert_eq!(cases, 29);
}
