//! The discovery documents (OpenID 2.0 section 7.3): identity pages with HTML links and a
//! Yadis pointer, XRDS documents for claimed identifiers, and the OP identifier document.

// Writing to a String cannot fail: the `fmt::Result`s are ignored.
use openid_consumer::extensions::ax::AX_NS;
use openid_consumer::extensions::sreg::{SREG_1_0_NS, SREG_1_1_NS};
use std::fmt::Write as _;

use openid_consumer::discovery::endpoint::{TYPE_OP_IDENTIFIER, TYPE_SIGNON_1_1, TYPE_SIGNON_2_0};

use crate::behaviour::Protocol;
use crate::http::Reply;
use crate::state::Urls;

/// `/id/NAME`: HTML links for both versions, the Yadis `X-XRDS-Location` header and its
/// `<meta http-equiv>` twin (Yadis 1.0 sections 6.2.5 and 6.2.6). `segment` is the name as it
/// appears in the path.
pub(crate) fn identity_page(urls: &Urls, protocol: Protocol, segment: &str) -> Reply {
    let identity = format!("{}/id/{segment}", urls.base());
    let xrds = urls.xrds_of_segment(segment);
    let mut reply = Reply::html(200, page(urls, protocol, segment, &identity, Some(&xrds)));
    reply.headers.push(("X-XRDS-Location".to_owned(), xrds));
    reply
}

/// `/html/NAME`: the HTML links only (section 7.3.3), no Yadis.
pub(crate) fn html_identity_page(urls: &Urls, protocol: Protocol, segment: &str) -> Reply {
    let identity = format!("{}/html/{segment}", urls.base());
    Reply::html(200, page(urls, protocol, segment, &identity, None))
}

/// `/xrds/NAME`: a claimed identifier element (section 7.3.2.1.2) whose `LocalID` (and 1.x
/// `openid:Delegate`) is `/id/NAME`.
pub(crate) fn identity_xrds(urls: &Urls, protocol: Protocol, segment: &str) -> Reply {
    let identity = escape(&format!("{}/id/{segment}", urls.base()));
    let endpoint = escape(&urls.endpoint());
    let mut service = match protocol {
        Protocol::V1Only => {
            vec![format!("<Type>{TYPE_SIGNON_1_1}</Type>"), format!("<Type>{SREG_1_0_NS}</Type>")]
        }
        _ => vec![
            format!("<Type>{TYPE_SIGNON_2_0}</Type>"),
            format!("<Type>{TYPE_SIGNON_1_1}</Type>"),
            format!("<Type>{SREG_1_1_NS}</Type>"),
            format!("<Type>{AX_NS}</Type>"),
        ],
    };
    service.push(format!("<URI>{endpoint}</URI>"));
    if protocol != Protocol::V1Only {
        service.push(format!("<LocalID>{identity}</LocalID>"));
    }
    service.push(format!("<openid:Delegate>{identity}</openid:Delegate>"));
    Reply::xrds(xrds_document(&service))
}

/// `/`: an OP identifier element (section 7.3.2.1.1): identifier selection at this provider.
pub(crate) fn op_identifier_xrds(urls: &Urls) -> Reply {
    let endpoint = escape(&urls.endpoint());
    Reply::xrds(xrds_document(&[
        format!("<Type>{TYPE_OP_IDENTIFIER}</Type>"),
        format!("<Type>{SREG_1_1_NS}</Type>"),
        format!("<Type>{AX_NS}</Type>"),
        format!("<URI>{endpoint}</URI>"),
    ]))
}

/// Escapes text for HTML and XML, in content and in quoted attributes.
pub(crate) fn escape(text: &str) -> String {
    quick_xml::escape::escape(text).into_owned()
}

fn page(
    urls: &Urls,
    protocol: Protocol,
    segment: &str,
    identity: &str,
    xrds: Option<&str>,
) -> String {
    let endpoint = escape(&urls.endpoint());
    let identity = escape(identity);
    let name = escape(segment);
    let mut head = String::new();
    if let Some(xrds) = xrds {
        let _ =
            writeln!(head, "<meta http-equiv=\"X-XRDS-Location\" content=\"{}\">", escape(xrds));
    }
    if protocol != Protocol::V1Only {
        let _ = writeln!(
            head,
            "<link rel=\"openid2.provider\" href=\"{endpoint}\">\n\
             <link rel=\"openid2.local_id\" href=\"{identity}\">"
        );
    }
    let _ = writeln!(
        head,
        "<link rel=\"openid.server\" href=\"{endpoint}\">\n\
         <link rel=\"openid.delegate\" href=\"{identity}\">"
    );
    format!(
        "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n\
         <title>OpenID identity {name}</title>\n{head}</head>\n\
         <body><p>The OpenID identity of {name} at the openid-testkit provider.</p></body>\n\
         </html>\n"
    )
}

fn xrds_document(service: &[String]) -> String {
    let mut elements = String::new();
    for line in service {
        let _ = writeln!(elements, "      {line}");
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <xrds:XRDS xmlns:xrds=\"xri://$xrds\" xmlns=\"xri://$xrd*($v*2.0)\" \
         xmlns:openid=\"http://openid.net/xmlns/1.0\">\n  <XRD>\n    \
         <Service priority=\"0\">\n{elements}    </Service>\n  </XRD>\n</xrds:XRDS>\n"
    )
}
