//! XRDS documents (Yadis 1.0, XRI Resolution 2.0): a strict, bounded parser.
//!
//! [`parse`] reads an XRDS document into plain data: every top-level `XRD` with its
//! `CanonicalID`s, `ProviderID`, `Status` and `Service`s, and for each service its `Type`s,
//! `URI`s, `LocalID`s and `openid:Delegate`s, with priorities. It does not decide what is an
//! OpenID service: [`super::endpoint`] does.
//!
//! # Security
//! XRDS documents come from strangers. Any `<!DOCTYPE` is refused, so no internal or external
//! entity can be declared, let alone expanded ("billion laughs", XXE: CVE-2013-4701,
//! CVE-2013-1812); only the five predefined entities and character references are decoded.
//! Input is limited to [`MAX_DOCUMENT_BYTES`] and nesting to [`MAX_DEPTH`]; the parser is a
//! pull parser and keeps only the data above, so memory is linear in the input.
//!
//! What one document may declare is capped ([`XrdsLimit`]): `XRD`s, services, and per service
//! `Type`s, `URI`s and local identifiers, so that what is built from the document (one
//! endpoint per service URI, each with the service's types) stays small; and attributes per
//! element and namespace declarations in scope, so that time stays linear: quick-xml looks a
//! name up among every declaration in scope, and its duplicate-attribute check compares each
//! attribute with all those before it. A document over a cap is refused with
//! [`XrdsError::TooMany`] naming the cap. Real documents are far below every cap (the largest
//! in python-openid's test data has 6 services, 6 types in a service and 4 declarations).

use quick_xml::NsReader;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;

use crate::excerpt::bounded;

/// Namespace of the `XRDS` root element.
pub const XRDS_NS: &str = "xri://$xrds";
/// Namespace of `XRD` and its children.
pub const XRD_NS: &str = "xri://$xrd*($v*2.0)";
/// Namespace of OpenID 1.x's `Delegate` element.
pub const OPENID_1_NS: &str = "http://openid.net/xmlns/1.0";
/// The largest document [`parse`] accepts.
pub const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;
/// The deepest element nesting [`parse`] accepts.
pub const MAX_DEPTH: usize = 32;
/// The most top-level `XRD` elements [`parse`] accepts. XRI resolution adds one per
/// authority subsegment (`=example*dept*team` gives three) and Yadis documents have one.
pub const MAX_XRDS: usize = 32;
/// The most `Service` elements [`parse`] accepts in a document (all `XRD`s together). Real
/// documents list a handful: one per protocol version and a few others.
pub const MAX_SERVICES: usize = 64;
/// The most non-empty `Type` elements [`parse`] accepts in one service. A provider declares
/// its OpenID type and the extensions it supports (SREG, AX, PAPE, UI, ...): about ten.
pub const MAX_TYPES_PER_SERVICE: usize = 64;
/// The most non-empty `URI` elements [`parse`] accepts in one service. Each becomes an
/// endpoint that carries the service's types; providers publish one or two.
pub const MAX_URIS_PER_SERVICE: usize = 16;
/// The most `LocalID` and `openid:Delegate` elements [`parse`] accepts in one service, both
/// kinds together. A service needs at most one of each; a few more are tolerated because
/// duplicates that agree are valid.
pub const MAX_LOCAL_IDS_PER_SERVICE: usize = 8;
/// The most attributes [`parse`] accepts on one element. XRDS elements carry one or two
/// (`priority`, `code`), the root a few namespace declarations.
pub const MAX_ATTRIBUTES_PER_ELEMENT: usize = 32;
/// The most namespace declarations (`xmlns`, `xmlns:prefix`) [`parse`] accepts in scope at
/// once: on an element and its ancestors together. Every element name is looked up among
/// them, so this bounds the cost of each lookup. Real documents declare three or four.
pub const MAX_NAMESPACE_DECLARATIONS: usize = 32;

/// Why a document is not a usable XRDS document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum XrdsError {
    /// The document is larger than [`MAX_DOCUMENT_BYTES`].
    #[error("document larger than {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The document is not UTF-8.
    #[error("document is not UTF-8 (invalid byte at {position})")]
    NotUtf8 {
        /// Offset of the first invalid byte.
        position: usize,
    },
    /// The document has a DOCTYPE; XRDS needs none and entity declarations are an attack.
    #[error("DOCTYPE is not allowed")]
    DoctypeNotAllowed,
    /// A reference to an entity other than the five predefined ones.
    #[error("unknown entity &{name};")]
    UnknownEntity {
        /// The entity's name (control characters escaped, cut after 200 characters).
        name: String,
    },
    /// Elements nested deeper than [`MAX_DEPTH`].
    #[error("elements nested deeper than {limit}")]
    TooDeep {
        /// The limit.
        limit: usize,
    },
    /// The document ends before its root element is closed (or has no root element).
    #[error("document is truncated")]
    Truncated,
    /// The XML is not well formed.
    #[error("malformed XML at byte {position}: {message}")]
    Malformed {
        /// Byte offset where the parser stopped.
        position: u64,
        /// The parser's description (control characters escaped, cut after 200
        /// characters: it may quote the document).
        message: String,
    },
    /// The root element is not `{xri://$xrds}XRDS`.
    #[error("not an XRDS document: the root element is not {{xri://$xrds}}XRDS")]
    NotXrds,
    /// The document has no `XRD` element.
    #[error("no XRD element in the XRDS document")]
    NoXrd,
    /// The document has more of something than [`parse`] accepts.
    #[error("more than {limit} {what}")]
    TooMany {
        /// What there is too much of.
        what: XrdsLimit,
        /// The cap.
        limit: usize,
    },
}

/// The caps on what one XRDS document may declare; see the [module documentation](self).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum XrdsLimit {
    /// [`MAX_XRDS`].
    Xrds,
    /// [`MAX_SERVICES`].
    Services,
    /// [`MAX_TYPES_PER_SERVICE`].
    TypesPerService,
    /// [`MAX_URIS_PER_SERVICE`].
    UrisPerService,
    /// [`MAX_LOCAL_IDS_PER_SERVICE`].
    LocalIdsPerService,
    /// [`MAX_ATTRIBUTES_PER_ELEMENT`].
    AttributesPerElement,
    /// [`MAX_NAMESPACE_DECLARATIONS`].
    NamespaceDeclarations,
}

impl XrdsLimit {
    /// The cap's value.
    pub fn limit(self) -> usize {
        match self {
            Self::Xrds => MAX_XRDS,
            Self::Services => MAX_SERVICES,
            Self::TypesPerService => MAX_TYPES_PER_SERVICE,
            Self::UrisPerService => MAX_URIS_PER_SERVICE,
            Self::LocalIdsPerService => MAX_LOCAL_IDS_PER_SERVICE,
            Self::AttributesPerElement => MAX_ATTRIBUTES_PER_ELEMENT,
            Self::NamespaceDeclarations => MAX_NAMESPACE_DECLARATIONS,
        }
    }

    fn exceeded(self) -> XrdsError {
        XrdsError::TooMany { what: self, limit: self.limit() }
    }
}

impl std::fmt::Display for XrdsLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Xrds => "XRD elements",
            Self::Services => "Service elements",
            Self::TypesPerService => "Type elements in a service",
            Self::UrisPerService => "URI elements in a service",
            Self::LocalIdsPerService => "LocalID and Delegate elements in a service",
            Self::AttributesPerElement => "attributes on an element",
            Self::NamespaceDeclarations => "namespace declarations in scope",
        })
    }
}

/// A parsed XRDS document: its top-level `XRD` elements in document order.
///
/// Nested `XRDS` elements (XRI references) are skipped, as python-openid does.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Xrds {
    /// The `XRD` children of the root, in document order (never empty after [`parse`]).
    pub xrds: Vec<Xrd>,
}

impl Xrds {
    /// The last `XRD`: the one that describes the resolved identifier (Yadis 1.0 section 7.3.1;
    /// XRI Resolution 2.0 puts the final subsegment's descriptor last).
    pub fn final_xrd(&self) -> Option<&Xrd> {
        self.xrds.last()
    }

    /// The services of the final `XRD`, in priority order (see [`Xrd::services_by_priority`]).
    pub fn services(&self) -> Vec<&Service> {
        self.final_xrd().map(Xrd::services_by_priority).unwrap_or_default()
    }
}

/// One `XRD` element.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Xrd {
    /// The text of each `CanonicalID` child, in document order.
    pub canonical_ids: Vec<String>,
    /// The text of the `ProviderID` child, if any.
    pub provider_id: Option<String>,
    /// The `code` attribute of the `Status` child, if any.
    pub status_code: Option<String>,
    /// The `Service` children, in document order.
    pub services: Vec<Service>,
}

impl Xrd {
    /// The services sorted by `priority` (XRI Resolution 2.0 section 4.3.3): lowest value
    /// first, services without a valid priority last, and document order between equals.
    /// python-openid shuffles equal priorities; document order is deterministic.
    pub fn services_by_priority(&self) -> Vec<&Service> {
        let mut services: Vec<&Service> = self.services.iter().collect();
        services.sort_by_key(|service| service.priority.unwrap_or(u32::MAX));
        services
    }
}

/// One `Service` element.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Service {
    /// The `priority` attribute, when it is a non-negative integer.
    pub priority: Option<u32>,
    /// The text of each non-empty `Type` child, in document order.
    pub types: Vec<String>,
    /// Each non-empty `URI` child with its priority, in document order.
    pub uris: Vec<ServiceUri>,
    /// The text of each `LocalID` child (XRD namespace), in document order.
    pub local_ids: Vec<String>,
    /// The text of each `openid:Delegate` child, in document order.
    pub delegates: Vec<String>,
    /// The text of the `ProviderID` child, if any.
    pub provider_id: Option<String>,
}

impl Service {
    /// Whether the service declares `type_uri`.
    pub fn has_type(&self, type_uri: &str) -> bool {
        self.types.iter().any(|t| t == type_uri)
    }

    /// The URIs sorted like services: by priority, unprioritised last, document order for ties.
    pub fn uris_by_priority(&self) -> Vec<&str> {
        let mut uris: Vec<&ServiceUri> = self.uris.iter().collect();
        uris.sort_by_key(|uri| uri.priority.unwrap_or(u32::MAX));
        uris.into_iter().map(|uri| uri.uri.as_str()).collect()
    }
}

/// A `URI` element of a service.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServiceUri {
    /// The URI text.
    pub uri: String,
    /// The `priority` attribute, when it is a non-negative integer.
    pub priority: Option<u32>,
}

/// Parses an XRDS document.
///
/// # Errors
/// A typed [`XrdsError`] for input that is too large, not UTF-8, has a DOCTYPE or an unknown
/// entity, is nested too deeply, truncated or malformed, is not XRDS, has no `XRD`, or has
/// more of something than a cap allows ([`XrdsError::TooMany`]).
///
/// # Security
/// See the [module documentation](self): no DTD, no entity expansion, bounded size, depth
/// and counts, time linear in the input.
///
/// # Example
/// ```
/// let xrds = openid_consumer::discovery::xrds::parse(br#"<?xml version="1.0"?>
/// <xrds:XRDS xmlns:xrds="xri://$xrds" xmlns="xri://$xrd*($v*2.0)"><XRD>
///   <Service priority="10">
///     <Type>http://specs.openid.net/auth/2.0/signon</Type>
///     <URI>https://op.example/endpoint</URI>
///   </Service>
/// </XRD></xrds:XRDS>"#).unwrap();
/// let services = xrds.services();
/// assert_eq!(services[0].uris_by_priority(), ["https://op.example/endpoint"]);
/// ```
pub fn parse(document: &[u8]) -> Result<Xrds, XrdsError> {
    if document.len() > MAX_DOCUMENT_BYTES {
        return Err(XrdsError::TooLarge { limit: MAX_DOCUMENT_BYTES });
    }
    let document = document.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(document);
    let text = std::str::from_utf8(document)
        .map_err(|error| XrdsError::NotUtf8 { position: error.valid_up_to() })?;
    Parser::new(text).run()
}

/// The namespaces the parser cares about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ns {
    Xrds,
    Xrd,
    OpenId1,
    Other,
}

impl Ns {
    fn of(resolved: &ResolveResult<'_>) -> Self {
        match resolved {
            ResolveResult::Bound(ns) => match ns.into_inner() {
                b"xri://$xrds" => Self::Xrds,
                b"xri://$xrd*($v*2.0)" => Self::Xrd,
                b"http://openid.net/xmlns/1.0" => Self::OpenId1,
                _ => Self::Other,
            },
            _ => Self::Other,
        }
    }
}

/// Where in the XRDS structure the parser is; anything else is skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Node {
    Root,
    Xrd,
    Service,
    /// A text-bearing element whose text is collected.
    Field(Field),
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    CanonicalId,
    XrdProviderId,
    Type,
    Uri(Option<u32>),
    LocalId,
    Delegate,
    ServiceProviderId,
}

/// An open element: where it is in the structure, and how many namespaces it declares.
#[derive(Debug, Clone, Copy)]
struct Frame {
    node: Node,
    declarations: usize,
}

struct Parser<'a> {
    reader: NsReader<&'a [u8]>,
    stack: Vec<Frame>,
    xrds: Vec<Xrd>,
    text: String,
    saw_root: bool,
    /// Namespace declarations of the open elements, together.
    declarations_in_scope: usize,
    /// `Service` elements so far, in every `XRD`.
    services: usize,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        let mut reader = NsReader::from_str(text);
        let config = reader.config_mut();
        config.check_end_names = true;
        config.expand_empty_elements = true;
        Self {
            reader,
            stack: Vec::new(),
            xrds: Vec::new(),
            text: String::new(),
            saw_root: false,
            declarations_in_scope: 0,
            services: 0,
        }
    }

    fn run(mut self) -> Result<Xrds, XrdsError> {
        loop {
            let (namespace, event) = match self.reader.read_resolved_event() {
                Ok((resolved, event)) => (Ns::of(&resolved), event),
                Err(error) => {
                    return Err(XrdsError::Malformed {
                        position: self.reader.error_position(),
                        message: bounded(&error.to_string()),
                    });
                }
            };
            match event {
                Event::DocType(_) => return Err(XrdsError::DoctypeNotAllowed),
                Event::Start(start) => self.start(namespace, &start)?,
                Event::End(_) => self.end()?,
                Event::Text(text) => {
                    let decoded = text.decode().map_err(|error| self.malformed(&error))?;
                    self.push_text(&decoded);
                }
                Event::CData(data) => {
                    let decoded = data.decode().map_err(|error| self.malformed(&error))?;
                    self.push_text(&decoded);
                }
                Event::GeneralRef(reference) => {
                    let character = match reference.resolve_char_ref() {
                        Ok(Some(character)) => character,
                        Ok(None) => {
                            let name =
                                reference.decode().map_err(|error| self.malformed(&error))?;
                            predefined_entity(&name)
                                .ok_or_else(|| XrdsError::UnknownEntity { name: bounded(&name) })?
                        }
                        Err(error) => return Err(self.malformed(&error)),
                    };
                    let mut buffer = [0; 4];
                    self.push_text(character.encode_utf8(&mut buffer));
                }
                Event::Eof => break,
                Event::Empty(_) | Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
            }
        }
        if !self.stack.is_empty() || !self.saw_root {
            return Err(XrdsError::Truncated);
        }
        if self.xrds.is_empty() {
            return Err(XrdsError::NoXrd);
        }
        Ok(Xrds { xrds: self.xrds })
    }

    fn malformed(&self, error: &dyn std::fmt::Display) -> XrdsError {
        XrdsError::Malformed {
            position: self.reader.buffer_position(),
            message: bounded(&error.to_string()),
        }
    }

    fn start(&mut self, namespace: Ns, start: &BytesStart<'_>) -> Result<(), XrdsError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(XrdsError::TooDeep { limit: MAX_DEPTH });
        }
        let declarations = count_attributes(start)?;
        self.declarations_in_scope += declarations;
        if self.declarations_in_scope > MAX_NAMESPACE_DECLARATIONS {
            return Err(XrdsLimit::NamespaceDeclarations.exceeded());
        }
        let local = start.local_name();
        let local = local.as_ref();
        let xrd_ns = namespace == Ns::Xrd;
        let node = match self.stack.last().map(|frame| frame.node) {
            None => {
                if self.saw_root {
                    return Err(self.malformed(&"second root element"));
                }
                self.saw_root = true;
                if namespace != Ns::Xrds || local != b"XRDS" {
                    return Err(XrdsError::NotXrds);
                }
                Node::Root
            }
            Some(Node::Root) if xrd_ns && local == b"XRD" => {
                if self.xrds.len() >= MAX_XRDS {
                    return Err(XrdsLimit::Xrds.exceeded());
                }
                self.xrds.push(Xrd::default());
                Node::Xrd
            }
            Some(Node::Xrd) if xrd_ns => match local {
                b"Service" => {
                    if self.services >= MAX_SERVICES {
                        return Err(XrdsLimit::Services.exceeded());
                    }
                    self.services += 1;
                    let priority = priority(start);
                    if let Some(xrd) = self.xrds.last_mut() {
                        xrd.services.push(Service { priority, ..Service::default() });
                    }
                    Node::Service
                }
                b"CanonicalID" => Node::Field(Field::CanonicalId),
                b"ProviderID" => Node::Field(Field::XrdProviderId),
                b"Status" => {
                    let code = attribute(start, b"code");
                    if let Some(xrd) = self.xrds.last_mut() {
                        xrd.status_code = code;
                    }
                    Node::Other
                }
                _ => Node::Other,
            },
            Some(Node::Service) => match (namespace, local) {
                (Ns::Xrd, b"Type") => Node::Field(Field::Type),
                (Ns::Xrd, b"URI") => Node::Field(Field::Uri(priority(start))),
                (Ns::Xrd, b"LocalID") => Node::Field(Field::LocalId),
                (Ns::Xrd, b"ProviderID") => Node::Field(Field::ServiceProviderId),
                (Ns::OpenId1, b"Delegate") => Node::Field(Field::Delegate),
                _ => Node::Other,
            },
            _ => Node::Other,
        };
        self.text.clear();
        self.stack.push(Frame { node, declarations });
        Ok(())
    }

    fn push_text(&mut self, text: &str) {
        if matches!(self.stack.last(), Some(Frame { node: Node::Field(_), .. })) {
            self.text.push_str(text);
        }
    }

    fn end(&mut self) -> Result<(), XrdsError> {
        let Some(frame) = self.stack.pop() else {
            return Ok(());
        };
        self.declarations_in_scope = self.declarations_in_scope.saturating_sub(frame.declarations);
        let Node::Field(field) = frame.node else {
            return Ok(());
        };
        let value = self.text.trim().to_owned();
        self.text.clear();
        let Some(xrd) = self.xrds.last_mut() else {
            return Ok(());
        };
        match field {
            Field::CanonicalId => xrd.canonical_ids.push(value),
            Field::XrdProviderId => xrd.provider_id = Some(value),
            field => {
                let Some(service) = xrd.services.last_mut() else {
                    return Ok(());
                };
                let full = |count: usize, limit: XrdsLimit| {
                    if count >= limit.limit() { Err(limit.exceeded()) } else { Ok(()) }
                };
                match field {
                    Field::Type if !value.is_empty() => {
                        full(service.types.len(), XrdsLimit::TypesPerService)?;
                        service.types.push(value);
                    }
                    Field::Uri(priority) if !value.is_empty() => {
                        full(service.uris.len(), XrdsLimit::UrisPerService)?;
                        service.uris.push(ServiceUri { uri: value, priority });
                    }
                    Field::LocalId | Field::Delegate => {
                        let declared = service.local_ids.len() + service.delegates.len();
                        full(declared, XrdsLimit::LocalIdsPerService)?;
                        if field == Field::LocalId {
                            service.local_ids.push(value);
                        } else {
                            service.delegates.push(value);
                        }
                    }
                    Field::ServiceProviderId => service.provider_id = Some(value),
                    _ => {}
                }
            }
        }
        Ok(())
    }
}

/// Counts the attributes of an element in one linear pass, refusing more than
/// [`MAX_ATTRIBUTES_PER_ELEMENT`], and returns how many are namespace declarations.
///
/// quick-xml's duplicate check is off here and in [`attribute`]: it compares each attribute
/// with every one before it (20,000 attributes took 2.8 s in a debug build). Without it a
/// repeated attribute is read as its first occurrence, which is what the lookup did before
/// (it skipped the duplicate as an error).
fn count_attributes(start: &BytesStart<'_>) -> Result<usize, XrdsError> {
    let mut declarations = 0;
    for (index, attribute) in start.attributes().with_checks(false).enumerate() {
        if index >= MAX_ATTRIBUTES_PER_ELEMENT {
            return Err(XrdsLimit::AttributesPerElement.exceeded());
        }
        if attribute.is_ok_and(|attribute| attribute.key.as_namespace_binding().is_some()) {
            declarations += 1;
        }
    }
    Ok(declarations)
}

/// The `priority` attribute as XRI Resolution 2.0 section 4.3.3 defines it: a non-negative
/// integer; anything else counts as absent (lowest priority), as in python-openid.
fn priority(start: &BytesStart<'_>) -> Option<u32> {
    attribute(start, b"priority").and_then(|value| value.trim().parse().ok())
}

/// The first attribute called `name`, by a linear scan (see [`count_attributes`]).
fn attribute(start: &BytesStart<'_>, name: &[u8]) -> Option<String> {
    start
        .attributes()
        .with_checks(false)
        .flatten()
        .find(|attribute| attribute.key.as_ref() == name)
        .and_then(|attribute| attribute.unescape_value().ok().map(std::borrow::Cow::into_owned))
}

fn predefined_entity(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => None,
    }
}
