use super::*;
use crate::message::OpenIdVersion;

/// Values computed independently with Python's `hmac` module over
/// `"mode:id_res\nidentity:http://example.com/\nreturn_to:http://rp.example/ret?x=1\n"`.
const SHA1_SIG: &str = "CNbcfLR9RtphMS7Qi4L/jutq0Iw=";
const SHA256_SIG: &str = "Q3BJL0hZnG3TCrjZOTgoclf0ahcUOJyQ71UQJIHRzq0=";

fn assoc(kind: AssociationType) -> Association {
    let secret: Vec<u8> = (0..u8::try_from(kind.secret_len()).unwrap()).collect();
    Association::new("h", secret, 0, 3600, kind).unwrap()
}

fn message(sig: Option<&str>) -> Message {
    let mut msg = Message::new(OpenIdVersion::V1_1);
    msg.set_openid("mode", "id_res");
    msg.set_openid("identity", "http://example.com/");
    msg.set_openid("return_to", "http://rp.example/ret?x=1");
    msg.set_openid("signed", "mode,identity,return_to");
    msg.set_openid("unsigned", "ignored");
    if let Some(sig) = sig {
        msg.set_openid("sig", sig);
    }
    msg
}

#[test]
fn matches_independent_hmac_sha1_value() {
    let a = assoc(AssociationType::HmacSha1);
    assert_eq!(signature_for(&message(None), &a).unwrap(), SHA1_SIG);
    assert_eq!(check_signature(&message(Some(SHA1_SIG)), &a), Ok(()));
}

#[test]
fn matches_independent_hmac_sha256_value() {
    let a = assoc(AssociationType::HmacSha256);
    assert_eq!(signature_for(&message(None), &a).unwrap(), SHA256_SIG);
    assert_eq!(check_signature(&message(Some(SHA256_SIG)), &a), Ok(()));
}

#[test]
fn unsigned_fields_do_not_affect_the_signature() {
    let a = assoc(AssociationType::HmacSha1);
    let mut msg = message(Some(SHA1_SIG));
    msg.set_openid("unsigned", "changed");
    assert_eq!(check_signature(&msg, &a), Ok(()));
}

#[test]
fn detects_tampering_and_wrong_keys() {
    let a = assoc(AssociationType::HmacSha256);
    let mut msg = message(Some(SHA256_SIG));
    msg.set_openid("identity", "http://evil.example/");
    assert_eq!(check_signature(&msg, &a), Err(SignatureError::Mismatch));
    let other = Association::new("h", vec![9; 32], 0, 1, AssociationType::HmacSha256).unwrap();
    assert_eq!(check_signature(&message(Some(SHA256_SIG)), &other), Err(SignatureError::Mismatch));
    // The right MAC for the other algorithm is still wrong.
    assert_eq!(check_signature(&message(Some(SHA1_SIG)), &a), Err(SignatureError::Mismatch));
    // A truncated MAC is refused, not compared as a prefix.
    let truncated = STANDARD.encode(&STANDARD.decode(SHA256_SIG).unwrap()[..16]);
    assert_eq!(check_signature(&message(Some(&truncated)), &a), Err(SignatureError::Mismatch));
}

#[test]
fn reorder_of_signed_list_changes_the_signature() {
    let a = assoc(AssociationType::HmacSha1);
    let mut msg = message(Some(SHA1_SIG));
    msg.set_openid("signed", "identity,mode,return_to");
    assert_eq!(check_signature(&msg, &a), Err(SignatureError::Mismatch));
}

/// A `sig` longer than any MAC is refused for what is wrong with it, as a short one is: a
/// bad character, or a message whose signed fields are not there, is not a MAC mismatch.
#[test]
fn a_long_sig_is_refused_for_what_is_wrong_with_it() {
    let a = assoc(AssociationType::HmacSha256);
    let long_bad = format!("!!!!{}", "A".repeat(100));
    let mut msg = message(Some(&long_bad));
    assert_eq!(check_signature(&msg, &a), Err(SignatureError::BadEncoding));
    msg.set_openid("sig", format!("{}!!!!", "A".repeat(100)));
    assert_eq!(check_signature(&msg, &a), Err(SignatureError::BadEncoding));
    let long_good = STANDARD.encode([0u8; 96]);
    msg.set_openid("sig", &long_good);
    assert_eq!(check_signature(&msg, &a), Err(SignatureError::Mismatch));
    msg.set_openid("signed", "mode,claimed_id");
    assert_eq!(
        check_signature(&msg, &a),
        Err(SignatureError::SignedFieldMissing { field: "claimed_id".to_owned() })
    );
    msg.remove(&Namespace::OpenId, "signed");
    assert_eq!(check_signature(&msg, &a), Err(SignatureError::MissingSignedList));
}

#[test]
fn reports_missing_pieces() {
    let a = assoc(AssociationType::HmacSha1);
    assert_eq!(check_signature(&message(None), &a), Err(SignatureError::MissingSignature));
    let mut msg = message(Some("!!!"));
    assert_eq!(check_signature(&msg, &a), Err(SignatureError::BadEncoding));
    msg.set_openid("sig", SHA1_SIG);
    msg.set_openid("signed", "mode,claimed_id");
    assert_eq!(
        check_signature(&msg, &a),
        Err(SignatureError::SignedFieldMissing { field: "claimed_id".into() })
    );
    msg.set_openid("signed", "mode,,identity");
    assert_eq!(
        check_signature(&msg, &a),
        Err(SignatureError::SignedFieldMissing { field: String::new() })
    );
    msg.remove(&Namespace::OpenId, "signed");
    assert_eq!(check_signature(&msg, &a), Err(SignatureError::MissingSignedList));
}

#[test]
fn signed_newline_is_refused_not_forged() {
    let a = assoc(AssociationType::HmacSha1);
    let mut msg = message(Some(SHA1_SIG));
    msg.set_openid("identity", "http://example.com/\nmode:cancel");
    assert!(matches!(check_signature(&msg, &a), Err(SignatureError::KvForm(_))));
}

#[test]
fn sign_message_covers_every_openid_field_including_extensions() {
    let a = assoc(AssociationType::HmacSha256);
    let mut msg = Message::new(OpenIdVersion::V2_0);
    msg.set_openid("mode", "id_res");
    msg.set(Namespace::extension("http://openid.net/extensions/sreg/1.1"), "nickname", "bob");
    msg.set(Namespace::Bare, "app", "not signed");
    sign_message(&mut msg, &a).unwrap();
    assert_eq!(msg.get_openid("assoc_handle"), Some("h"));
    assert_eq!(msg.get_openid("signed"), Some("assoc_handle,ext0.nickname,mode,ns,ns.ext0,signed"));
    assert_eq!(check_signature(&msg, &a), Ok(()));
    assert_eq!(sign_message(&mut msg, &a), Err(SignatureError::AlreadySigned));
}

#[test]
fn sign_message_refuses_another_handle() {
    let mut msg = Message::new(OpenIdVersion::V2_0);
    msg.set_openid("assoc_handle", "other");
    assert!(matches!(
        sign_message(&mut msg, &assoc(AssociationType::HmacSha1)),
        Err(SignatureError::HandleMismatch { .. })
    ));
}

#[test]
fn sign_message_takes_its_own_handle_and_refuses_either_half_of_a_signature() {
    let a = assoc(AssociationType::HmacSha256);
    // The association's own handle, already set, is kept.
    let mut msg = Message::new(OpenIdVersion::V2_0);
    msg.set_openid("mode", "id_res");
    msg.set_openid("assoc_handle", "h");
    sign_message(&mut msg, &a).unwrap();
    assert_eq!(check_signature(&msg, &a), Ok(()));
    // A message with only `sig`, or only `signed`, is already (half) signed.
    for field in ["sig", "signed"] {
        let mut msg = Message::new(OpenIdVersion::V2_0);
        msg.set_openid("mode", "id_res");
        msg.set_openid(field, "x");
        assert_eq!(sign_message(&mut msg, &a), Err(SignatureError::AlreadySigned), "{field}");
    }
}

#[test]
fn keys_of_the_wrong_length_are_never_used() {
    // An empty or short key (from a broken or hostile association response) would let
    // anyone compute signatures: refused for checking and for signing alike.
    for (kind, len) in [
        (AssociationType::HmacSha1, 0),
        (AssociationType::HmacSha1, 32),
        (AssociationType::HmacSha256, 20),
    ] {
        let weak = Association::new("h", vec![0; len], 0, 3600, kind).unwrap();
        assert_eq!(signature_for(&message(None), &weak), Err(SignatureError::InvalidKey));
        assert_eq!(
            check_signature(&message(Some(SHA1_SIG)), &weak),
            Err(SignatureError::InvalidKey)
        );
        let mut msg = Message::new(OpenIdVersion::V2_0);
        assert_eq!(sign_message(&mut msg, &weak), Err(SignatureError::InvalidKey));
        assert_eq!(
            msg,
            Message::new(OpenIdVersion::V2_0),
            "a refused key leaves the message alone"
        );
    }
}
