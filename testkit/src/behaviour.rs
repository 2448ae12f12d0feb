//! [`Behaviour`]: how the provider answers, and the precise ways it can be told to misbehave.
//!
//! The default is an honest OpenID 2.0 provider that logs everyone in at once.

use std::time::Duration;

/// How the provider behaves; change it with [`Provider::configure`](crate::Provider::configure).
///
/// The default is an honest OpenID 2.0 provider that logs everyone in at once. Every field
/// changes one thing, so a test states exactly the defect it wants. Each request works with
/// a copy taken when it arrives, so a change applies to the requests that arrive after it.
///
/// # Example
/// ```
/// use openid_testkit::{Provider, Tamper, Transport};
///
/// let provider = Provider::start()?;
/// provider.configure(|b| {
///     b.transport = Transport::FormPost;
///     b.tampering.push(Tamper::Unsigned("return_to".into()));
/// });
/// assert_eq!(provider.behaviour().transport, Transport::FormPost);
/// provider.reset();
/// assert!(provider.behaviour().tampering.is_empty());
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Behaviour {
    /// How `checkid_setup` and `checkid_immediate` are answered. Default [`Answer::Assert`].
    pub answer: Answer,
    /// How indirect responses reach the relying party. Default [`Transport::Auto`].
    pub transport: Transport,
    /// Which protocol version the documents advertise and the answers use. Default
    /// [`Protocol::V2`].
    pub protocol: Protocol,
    /// How `associate` requests are answered. Default [`AssociationBehaviour::Accept`].
    pub association: AssociationBehaviour,
    /// Defects applied to positive assertions, in this order. Default none.
    pub tampering: Vec<Tamper>,
    /// How `check_authentication` requests are answered. Default [`CheckAuth::Honest`].
    pub check_authentication: CheckAuth,
    /// Who logs in when the relying party asks for identifier selection: the assertion is for
    /// [`Provider::identity_url`](crate::Provider::identity_url) of this name. Default
    /// `"alice"`.
    pub identifier_select_user: String,
    /// Time waited before answering any request (pages, documents and the OP endpoint),
    /// to test the relying party's timeouts. Default none. Dropping the provider cuts the
    /// wait short.
    pub delay: Option<Duration>,
    /// About this many junk bytes added to every response body the provider makes or serves
    /// (KV-form answers get a `padding:` line, HTML and XML documents a comment, other pages
    /// trailing spaces), to test the relying party's size limits. Redirects have no body and
    /// are not padded. Default none.
    pub padding: Option<usize>,
    /// Whether Simple Registration and Attribute Exchange requests are answered, from the
    /// identity's made-up profile (`NAME`: nickname `NAME`, e-mail `NAME@example.com`, full
    /// name `Name Example`, language `en`, time zone `Europe/London`, country `GB`). Default
    /// `true`.
    pub answer_extensions: bool,
    /// `expires_in` of the associations `associate` hands out. Default 1,209,600 s (14 days,
    /// as python-openid). Zero makes every association expire at once: the provider then no
    /// longer signs with it and asks the relying party to drop it (`openid.invalidate_handle`).
    pub association_lifetime: Duration,
}

impl Default for Behaviour {
    fn default() -> Self {
        Self {
            answer: Answer::default(),
            transport: Transport::default(),
            protocol: Protocol::default(),
            association: AssociationBehaviour::default(),
            tampering: Vec::new(),
            check_authentication: CheckAuth::default(),
            identifier_select_user: DEFAULT_USER.to_owned(),
            delay: None,
            padding: None,
            answer_extensions: true,
            association_lifetime: DEFAULT_ASSOCIATION_LIFETIME,
        }
    }
}

/// How an authentication request (`checkid_setup`, `checkid_immediate`) is answered, after it
/// was found valid (an invalid request always gets an error).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Answer {
    /// A signed positive assertion (`id_res`) for the requested identifier (OpenID 2.0
    /// section 10.1).
    #[default]
    Assert,
    /// The user cancelled: `openid.mode=cancel` (section 10.2.2).
    Cancel,
    /// The provider needs the user: for `checkid_immediate`, OpenID 2.0
    /// `openid.mode=setup_needed` (section 10.2.1), OpenID 1.x `openid.mode=id_res` with
    /// `openid.user_setup_url`. A `checkid_setup` request cannot be answered "setup needed"
    /// (the user is already there), so it gets `cancel`.
    SetupNeeded,
    /// An indirect error (`openid.mode=error`, section 5.2.3) sent to the `return_to`.
    Error {
        /// `openid.error`.
        message: String,
        /// `openid.contact`, when set.
        contact: Option<String>,
        /// `openid.reference`, when set.
        reference: Option<String>,
    },
}

/// How an indirect response (an assertion, a cancel, an error) reaches the relying party.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Transport {
    /// As python-openid: a `302` redirect, unless the response is OpenID 2.0 and the redirect
    /// URL would be longer than 2047 bytes, then an auto-submitting HTML form that POSTs it
    /// (OpenID 2.0 section 5.2.1 and 5.2.2). OpenID 1.x responses are always redirects.
    #[default]
    Auto,
    /// Always a `302` redirect with the response in the query, however long.
    Redirect,
    /// Always an HTML page whose form POSTs the response to the `return_to` (submitted by
    /// script on load; a button without script).
    FormPost,
}

/// The protocol version the provider speaks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Protocol {
    /// OpenID 2.0 (with 1.1 compatibility): identity documents advertise
    /// `http://specs.openid.net/auth/2.0/signon` and `http://openid.net/signon/1.1`; requests
    /// in 2.0 form get answers in 2.0 form, requests in 1.x form (no `openid.ns`) answers in
    /// 1.x form.
    #[default]
    V2,
    /// An OpenID 1.1 provider: identity documents advertise only
    /// `http://openid.net/signon/1.1` (XRDS) and `openid.server` / `openid.delegate` (HTML),
    /// and every answer is in 1.x form: no `openid.ns`, no `claimed_id`, no `op_endpoint`,
    /// no `response_nonce`, "setup needed" as `id_res` with `openid.user_setup_url`; only
    /// HMAC-SHA1 associations over DH-SHA1 (or `no-encryption` over https). The OP
    /// identifier document (`/`) is not affected.
    V1Only,
}

/// How `associate` requests (OpenID 2.0 section 8) are answered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum AssociationBehaviour {
    /// Every valid combination: HMAC-SHA1 over DH-SHA1 and HMAC-SHA256 over DH-SHA256, and
    /// either over `no-encryption` when the request came over https (section 8.4.1; the
    /// provider serves http, so only a request marked `X-Forwarded-Proto: https` by a proxy
    /// in front counts). Anything else gets `error_code=unsupported-type` with a suggestion:
    /// the DH pair of the requested session type, else of the requested association type,
    /// else HMAC-SHA256 / DH-SHA256.
    #[default]
    Accept,
    /// As [`Accept`](Self::Accept) without SHA-256: an HMAC-SHA256 or DH-SHA256 request gets
    /// `unsupported-type` suggesting HMAC-SHA1 / DH-SHA1.
    Sha1Only,
    /// Every request gets an error response without `error_code` or suggestion (HTTP 400): the
    /// relying party has to go stateless.
    Refuse,
    /// Every request gets `unsupported-type` with exactly this suggestion, even one that makes
    /// no sense or repeats the request.
    Suggest {
        /// The suggested `assoc_type`.
        assoc_type: String,
        /// The suggested `session_type`.
        session_type: String,
    },
    /// Diffie-Hellman answers carry `dh_server_public` = 1, outside 1 < y < p-1: the relying
    /// party must refuse it. `no-encryption` answers are unaffected.
    BadDhPublicKey,
    /// Every request with a known association type is answered `session_type=no-encryption`
    /// with `mac_key` in clear, whatever session was asked for and over http too: the
    /// downgrade a relying party must refuse.
    Plaintext,
}

/// One defect applied to positive assertions. Defects apply in the order of
/// [`Behaviour::tampering`]; the assertion is then signed, except for the defects that are
/// about the signature itself.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Tamper {
    /// The signature is changed after signing (one bit flipped).
    BadSignature,
    /// This field (without `openid.`, e.g. `claimed_id`, `return_to`, `op_endpoint`,
    /// `response_nonce`, `assoc_handle`) is left out of `openid.signed`; the signature covers
    /// the rest and is valid.
    Unsigned(String),
    /// `openid.op_endpoint` claims this URL (signed).
    OpEndpoint(String),
    /// Every assertion reuses the first `openid.response_nonce` this provider ever issued.
    ReplayNonce,
    /// The `response_nonce` timestamp is shifted by this many seconds (negative: in the past).
    NonceAge(i64),
    /// Asserts this identifier as `claimed_id` and `identity` (only `identity` in 1.x form)
    /// instead of the requested one, properly signed.
    ClaimedId(String),
    /// The assertion has neither `claimed_id` nor `identity`.
    NoIdentifier,
    /// The relying party's association is ignored: the assertion is signed with a fresh
    /// private association and `openid.invalidate_handle` names the relying party's handle
    /// (when it sent one).
    PrivateAssociation,
    /// `openid.return_to` is this URL (signed); the response is still delivered to the
    /// relying party's real `return_to`.
    ReturnTo(String),
    /// A 2.0 request is answered in 1.x form, as [`Protocol::V1Only`] would (no `openid.ns`,
    /// no `claimed_id`, `op_endpoint` or `response_nonce`): a namespace downgrade.
    OpenId1Form,
    /// Extra `openid.` fields, signed: keys with or without the `openid.` prefix
    /// (`("ns.sreg", "http://openid.net/extensions/sreg/1.1")`, `("sreg.nickname", "bob")`).
    /// A key that already exists is replaced.
    Extra(Vec<(String, String)>),
}

/// How `check_authentication` requests (OpenID 2.0 section 11.4.2) are answered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum CheckAuth {
    /// `is_valid:true` only for an assertion signed with one of this provider's private
    /// associations, unchanged, and only the first time it is presented.
    #[default]
    Honest,
    /// `is_valid:true` for every well-formed request.
    AlwaysValid,
    /// `is_valid:false` for every well-formed request.
    AlwaysInvalid,
}

/// The default [`Behaviour::identifier_select_user`].
pub const DEFAULT_USER: &str = "alice";

/// The default [`Behaviour::association_lifetime`]: 14 days.
pub const DEFAULT_ASSOCIATION_LIFETIME: Duration = Duration::from_secs(1_209_600);
