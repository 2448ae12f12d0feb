//! What [`Consumer::complete`](crate::Consumer::complete) gives: [`Response`].

use std::collections::BTreeMap;

use super::failure::{Failure, FailureReason};
use crate::discovery::ServiceEndpoint;
use crate::extensions::profile::{self, Profile};
use crate::extensions::{ExtensionError, ExtensionResponse};
use crate::message::{Message, Namespace};

/// The outcome of a login.
#[derive(Debug)]
#[non_exhaustive]
pub enum Response {
    /// The user is who the claimed identifier says: every check passed.
    Success(SuccessResponse),
    /// A verified assertion without an identifier, for a login that asked for one
    /// ([`AuthRequest::set_anonymous`](crate::AuthRequest::set_anonymous)) or a consumer
    /// that accepts them. It proves nothing about who the user is.
    Anonymous(AnonymousResponse),
    /// The user cancelled at the provider (`openid.mode=cancel`).
    Cancel,
    /// An immediate request could not be answered without the user: send them to the
    /// provider again without `immediate` (or to `setup_url`, which OpenID 1 providers
    /// give).
    SetupNeeded {
        /// OpenID 1's `openid.user_setup_url`, if any (untrusted: a URL at the provider).
        setup_url: Option<String>,
    },
    /// The assertion was not accepted; [`Failure::reason`] says which check failed.
    Failure(Failure),
}

impl Response {
    /// The success, if it is one.
    pub fn success(&self) -> Option<&SuccessResponse> {
        match self {
            Self::Success(success) => Some(success),
            _ => None,
        }
    }

    /// The failure reason, if it is a failure.
    pub fn failure_reason(&self) -> Option<&FailureReason> {
        match self {
            Self::Failure(failure) => Some(failure.reason()),
            _ => None,
        }
    }

    /// A short stable name of the outcome: `success`, `anonymous`, `cancel`,
    /// `setup_needed`, or the failure's [`FailureReason::code`].
    pub fn code(&self) -> &'static str {
        match self {
            Self::Success(_) => "success",
            Self::Anonymous(_) => "anonymous",
            Self::Cancel => "cancel",
            Self::SetupNeeded { .. } => "setup_needed",
            Self::Failure(failure) => failure.reason().code(),
        }
    }
}

/// A verified login.
#[derive(Debug, Clone)]
pub struct SuccessResponse {
    claimed_id: String,
    endpoint: ServiceEndpoint,
    signed: SignedFields,
}

impl SuccessResponse {
    pub(crate) fn new(claimed_id: String, endpoint: ServiceEndpoint, signed: SignedFields) -> Self {
        Self { claimed_id, endpoint, signed }
    }

    /// The verified claimed identifier: the user's identity at this site. It keeps a
    /// fragment the provider added (OpenID 2.0 section 11.5.2: a recycled identifier gets
    /// a new fragment), so store it whole.
    pub fn claimed_id(&self) -> &str {
        &self.claimed_id
    }

    /// The identifier to show the user: the i-name for an XRI, else the claimed identifier
    /// without its fragment.
    pub fn display_identifier(&self) -> &str {
        self.endpoint.display_identifier().unwrap_or_else(|| {
            self.claimed_id.split_once('#').map_or(self.claimed_id.as_str(), |(base, _)| base)
        })
    }

    /// The endpoint that made the assertion, as discovery verified it.
    pub fn endpoint(&self) -> &ServiceEndpoint {
        &self.endpoint
    }

    /// The signed part of the assertion.
    pub fn signed(&self) -> &SignedFields {
        &self.signed
    }

    /// Whether `key` in `namespace` is covered by the signature.
    pub fn is_signed(&self, namespace: &Namespace, key: &str) -> bool {
        self.signed.is_signed(namespace, key)
    }

    /// The value of `key` in `namespace`, only if it is signed.
    pub fn get_signed(&self, namespace: &Namespace, key: &str) -> Option<&str> {
        self.signed.get(namespace, key)
    }

    /// Every argument of `namespace`, only if all of them are signed.
    pub fn signed_ns(&self, namespace: &Namespace) -> Option<BTreeMap<String, String>> {
        self.signed.namespace(namespace)
    }

    /// The extension's response (SReg, AX, PAPE, ...), from signed fields only; see
    /// [`SignedFields::extension`].
    ///
    /// # Errors
    /// As [`SignedFields::extension`].
    pub fn extension<T: ExtensionResponse>(&self) -> Result<Option<T>, ExtensionError> {
        self.signed.extension()
    }

    /// The extension's response read from every field, signed or not; see
    /// [`SignedFields::extension_allow_unsigned`].
    ///
    /// # Errors
    /// As [`SignedFields::extension_allow_unsigned`].
    pub fn extension_allow_unsigned<T: ExtensionResponse>(
        &self,
    ) -> Result<Option<T>, ExtensionError> {
        self.signed.extension_allow_unsigned()
    }

    /// E-mail, nickname, full name, language, time zone and country, from whichever of
    /// Simple Registration and Attribute Exchange the provider answered (signed values
    /// only); empty when it answered neither.
    ///
    /// # Security
    /// Signed means that the provider said it, not that it is true: anyone can run a
    /// provider for their own identifier and have it assert any e-mail address. Do not
    /// take an e-mail address as verified, or use it to find an existing account, unless
    /// the site trusts the provider that signed it (see
    /// [`ProviderPin`](crate::consumer::ProviderPin)).
    pub fn profile(&self) -> Profile {
        Profile::of(&self.signed)
    }
}

/// A verified assertion that identifies nobody.
#[derive(Debug, Clone)]
pub struct AnonymousResponse {
    endpoint: ServiceEndpoint,
    signed: SignedFields,
}

impl AnonymousResponse {
    pub(crate) fn new(endpoint: ServiceEndpoint, signed: SignedFields) -> Self {
        Self { endpoint, signed }
    }

    /// The provider's endpoint.
    pub fn endpoint(&self) -> &ServiceEndpoint {
        &self.endpoint
    }

    /// The signed part of the assertion.
    pub fn signed(&self) -> &SignedFields {
        &self.signed
    }
}

/// The signed fields of a verified assertion: the only ones worth reading.
#[derive(Debug, Clone)]
pub struct SignedFields {
    message: Message,
}

impl SignedFields {
    /// `message`'s fields that its `openid.signed` lists.
    pub(crate) fn of(message: Message) -> Self {
        Self { message }
    }

    /// Whether `key` in `namespace` is covered by the signature. For an extension, its
    /// alias declaration (`openid.ns.<alias>`) must be signed too, or the value could have
    /// been moved under another namespace; OpenID 1's implicit `sreg` alias has none.
    pub fn is_signed(&self, namespace: &Namespace, key: &str) -> bool {
        match namespace {
            Namespace::OpenId => self.lists(key),
            Namespace::Bare => false,
            Namespace::Extension(uri) => {
                let Some(alias) = self.message.alias(uri) else { return false };
                let declared = self.message.wire_value(&format!("openid.ns.{alias}")).is_some();
                (!declared || self.lists(&format!("ns.{alias}")))
                    && self.lists(&format!("{alias}.{key}"))
            }
        }
    }

    /// The value of `key` in `namespace`, only if it is signed.
    pub fn get(&self, namespace: &Namespace, key: &str) -> Option<&str> {
        self.message.get(namespace, key).filter(|_| self.is_signed(namespace, key))
    }

    /// Every argument of `namespace`, only if all of them are signed (`None` when any is
    /// not, or there are none).
    pub fn namespace(&self, namespace: &Namespace) -> Option<BTreeMap<String, String>> {
        let args: BTreeMap<String, String> = self
            .message
            .args_in(namespace)
            .map(|(key, value)| (key.to_owned(), value.to_owned()))
            .collect();
        let all_signed = args.keys().all(|key| self.is_signed(namespace, key));
        (!args.is_empty() && all_signed).then_some(args)
    }

    /// The extension's response (SReg, AX, PAPE, ...), read from its arguments only if every
    /// one of them, and its alias declaration, is signed. `Ok(None)` when the assertion has
    /// no arguments of the extension.
    ///
    /// # Errors
    /// [`ExtensionError::Unsigned`] when some of them are not signed (none is then read),
    /// and the errors of the response's parser.
    pub fn extension<T: ExtensionResponse>(&self) -> Result<Option<T>, ExtensionError> {
        profile::read::<T>(self).map(|found| found.map(|(_, response)| response))
    }

    /// The extension's response read from every argument, signed or not.
    ///
    /// # Security
    /// Anyone who can change the callback in transit can write unsigned arguments: use
    /// them only for what does not matter if forged (CVE-2011-4314 was an e-mail address
    /// read this way).
    ///
    /// # Errors
    /// The errors of the response's parser.
    pub fn extension_allow_unsigned<T: ExtensionResponse>(
        &self,
    ) -> Result<Option<T>, ExtensionError> {
        for namespace in T::namespaces() {
            let ns = Namespace::extension(*namespace);
            let args: BTreeMap<String, String> =
                self.message.args_in(&ns).map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
            if !args.is_empty() {
                return T::from_args(namespace, &args).map(Some);
            }
        }
        Ok(None)
    }

    /// The keys `openid.signed` lists (without `openid.`), in its order.
    pub fn list(&self) -> impl Iterator<Item = &str> {
        self.message.get_openid("signed").into_iter().flat_map(crate::crypto::signed_list_entries)
    }

    /// The whole message as received, signed and unsigned fields alike: read it only
    /// through the methods above unless you check signatures yourself.
    pub fn message(&self) -> &Message {
        &self.message
    }

    fn lists(&self, key: &str) -> bool {
        self.list().any(|signed| signed == key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extensions::profile::Profile;
    use crate::message::SREG_1_1_NS;

    fn signed(pairs: &[(&str, &str)]) -> SignedFields {
        SignedFields::of(Message::from_pairs(pairs.iter().copied()).unwrap())
    }

    const NS2: (&str, &str) = ("openid.ns", "http://specs.openid.net/auth/2.0");

    #[test]
    fn an_extension_value_counts_only_with_its_alias_declaration_signed() {
        let sreg = Namespace::extension(SREG_1_1_NS);
        let both = signed(&[
            NS2,
            ("openid.ns.sreg", SREG_1_1_NS),
            ("openid.sreg.email", "a@example.com"),
            ("openid.signed", "ns.sreg,sreg.email"),
        ]);
        assert_eq!(both.get(&sreg, "email"), Some("a@example.com"));
        // The value is signed but its alias could point anywhere: not trusted.
        let value_only = signed(&[
            NS2,
            ("openid.ns.sreg", SREG_1_1_NS),
            ("openid.sreg.email", "a@example.com"),
            ("openid.signed", "sreg.email"),
        ]);
        assert_eq!(value_only.get(&sreg, "email"), None);
        assert!(value_only.namespace(&sreg).is_none());
        // OpenID 1's implicit sreg alias has no declaration to sign.
        let openid1 =
            signed(&[("openid.sreg.email", "a@example.com"), ("openid.signed", "sreg.email")]);
        assert_eq!(openid1.get(&sreg, "email"), Some("a@example.com"));
    }

    #[test]
    fn a_namespace_is_given_only_when_every_argument_is_signed() {
        let sreg = Namespace::extension(SREG_1_1_NS);
        let fields = signed(&[
            NS2,
            ("openid.ns.sreg", SREG_1_1_NS),
            ("openid.sreg.email", "a@example.com"),
            ("openid.sreg.nickname", "a"),
            ("openid.signed", "ns.sreg,sreg.email"),
        ]);
        assert!(fields.namespace(&sreg).is_none());
        assert_eq!(fields.get(&sreg, "nickname"), None);
        assert!(!fields.is_signed(&Namespace::Bare, "anything"));
        assert_eq!(fields.list().collect::<Vec<_>>(), ["ns.sreg", "sreg.email"]);
    }

    // Alias tricks a user can play on their own callback: every one voids or hides the
    // extension, none makes an unsigned value count.
    #[test]
    fn alias_tricks_in_transit_never_make_an_unsigned_value_count() {
        use crate::extensions::sreg::{SREG_1_0_NS, SregResponse};
        let sreg11 = Namespace::extension(SREG_1_1_NS);
        // OpenID 1: an added declaration of the implicit alias voids it.
        let declared = signed(&[
            ("openid.ns.sreg", SREG_1_1_NS),
            ("openid.sreg.email", "victim@example.com"),
            ("openid.signed", "sreg.email"),
        ]);
        assert_eq!(declared.get(&sreg11, "email"), None);
        assert!(matches!(
            declared.extension::<SregResponse>(),
            Err(ExtensionError::Unsigned { .. })
        ));
        // OpenID 1: SReg 1.1 declared under another alias, with a value of its own: the
        // signed `sreg.email` is no longer SReg, and the added one is not signed.
        let captured = signed(&[
            ("openid.ns.x", SREG_1_1_NS),
            ("openid.x.email", "victim@example.com"),
            ("openid.sreg.email", "a@example.com"),
            ("openid.signed", "sreg.email"),
        ]);
        assert!(captured.extension::<SregResponse>().is_err());
        assert!(Profile::of(&captured).is_empty());
        // OpenID 2: the other SReg version added beside the signed one.
        let both = signed(&[
            NS2,
            ("openid.ns.sreg", SREG_1_0_NS),
            ("openid.sreg.email", "a@example.com"),
            ("openid.ns.s11", SREG_1_1_NS),
            ("openid.s11.email", "victim@example.com"),
            ("openid.signed", "ns.sreg,sreg.email"),
        ]);
        assert_ne!(Profile::of(&both).email(), Some("victim@example.com"));
        assert!(both.extension::<SregResponse>().is_err());
    }
}
