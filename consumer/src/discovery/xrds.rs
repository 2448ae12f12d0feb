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
//! pull parser and keeps only the data above, so time and memory are linear in the input.

use quick_xml::NsReader;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;

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
        /// The entity's name.
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
        /// The parser's description.
        message: String,
    },
    /// The root element is not `{xri://$xrds}XRDS`.
    #[error("not an XRDS document: the root element is not {{xri://$xrds}}XRDS")]
    NotXrds,
    /// The document has no `XRD` element.
    #[error("no XRD element in the XRDS document")]
    NoXrd,
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
/// entity, is nested too deeply, truncated or malformed, is not XRDS, or has no `XRD`.
///
/// # Security
/// See the [module documentation](self): no DTD, no entity expansion, bounded size and depth.
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

struct Parser<'a> {
    reader: NsReader<&'a [u8]>,
    stack: Vec<Node>,
    xrds: Vec<Xrd>,
    text: String,
    saw_root: bool,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        let mut reader = NsReader::from_str(text);
        let config = reader.config_mut();
        config.check_end_names = true;
        config.expand_empty_elements = true;
        Self { reader, stack: Vec::new(), xrds: Vec::new(), text: String::new(), saw_root: false }
    }

    fn run(mut self) -> Result<Xrds, XrdsError> {
        loop {
            let (namespace, event) = match self.reader.read_resolved_event() {
                Ok((resolved, event)) => (Ns::of(&resolved), event),
                Err(error) => {
                    return Err(XrdsError::Malformed {
                        position: self.reader.error_position(),
                        message: error.to_string(),
                    });
                }
            };
            match event {
                Event::DocType(_) => return Err(XrdsError::DoctypeNotAllowed),
                Event::Start(start) => self.start(namespace, &start)?,
                Event::End(_) => self.end(),
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
                            predefined_entity(&name).ok_or_else(|| XrdsError::UnknownEntity {
                                name: name.into_owned(),
                            })?
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
        XrdsError::Malformed { position: self.reader.buffer_position(), message: error.to_string() }
    }

    fn start(&mut self, namespace: Ns, start: &BytesStart<'_>) -> Result<(), XrdsError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(XrdsError::TooDeep { limit: MAX_DEPTH });
        }
        let local = start.local_name();
        let local = local.as_ref();
        let xrd_ns = namespace == Ns::Xrd;
        let node = match self.stack.last().copied() {
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
                self.xrds.push(Xrd::default());
                Node::Xrd
            }
            Some(Node::Xrd) if xrd_ns => match local {
                b"Service" => {
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
        self.stack.push(node);
        Ok(())
    }

    fn push_text(&mut self, text: &str) {
        if matches!(self.stack.last(), Some(Node::Field(_))) {
            self.text.push_str(text);
        }
    }

    fn end(&mut self) {
        let Some(Node::Field(field)) = self.stack.pop() else {
            return;
        };
        let value = self.text.trim().to_owned();
        self.text.clear();
        let Some(xrd) = self.xrds.last_mut() else {
            return;
        };
        match field {
            Field::CanonicalId => xrd.canonical_ids.push(value),
            Field::XrdProviderId => xrd.provider_id = Some(value),
            field => {
                let Some(service) = xrd.services.last_mut() else {
                    return;
                };
                match field {
                    Field::Type if !value.is_empty() => service.types.push(value),
                    Field::Uri(priority) if !value.is_empty() => {
                        service.uris.push(ServiceUri { uri: value, priority });
                    }
                    Field::LocalId => service.local_ids.push(value),
                    Field::Delegate => service.delegates.push(value),
                    Field::ServiceProviderId => service.provider_id = Some(value),
                    _ => {}
                }
            }
        }
    }
}

/// The `priority` attribute as XRI Resolution 2.0 section 4.3.3 defines it: a non-negative
/// integer; anything else counts as absent (lowest priority), as in python-openid.
fn priority(start: &BytesStart<'_>) -> Option<u32> {
    attribute(start, b"priority").and_then(|value| value.trim().parse().ok())
}

fn attribute(start: &BytesStart<'_>, name: &[u8]) -> Option<String> {
    start
        .attributes()
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
