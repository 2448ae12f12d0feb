//! The discovery documents the benches parse, made by code so that every bench (and both
//! sides of the comparison with python3-openid) parses the same bytes.

use std::fmt::Write as _;

/// An XRDS document of about 2 KB, shaped like a large provider's: several OpenID services
/// with priorities, local ids, extension types and a service of another kind.
pub fn xrds_2k() -> String {
    let mut doc = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<xrds:XRDS xmlns:xrds="xri://$xrds" xmlns="xri://$xrd*($v*2.0)"
    xmlns:openid="http://openid.net/xmlns/1.0">
  <XRD>
"#,
    );
    let services = [
        ("http://specs.openid.net/auth/2.0/signon", "https://www.example.com/openid/server"),
        ("http://openid.net/signon/1.1", "https://www.example.com/openid/server"),
        ("http://openid.net/signon/1.0", "https://legacy.example.com/server.bml"),
        ("http://specs.openid.net/auth/2.0/server", "https://www.example.com/openid/op"),
    ];
    for (priority, (type_uri, uri)) in services.iter().enumerate() {
        write!(
            doc,
            r#"    <Service priority="{}">
      <Type>{type_uri}</Type>
      <Type>http://openid.net/sreg/1.0</Type>
      <Type>http://openid.net/extensions/sreg/1.1</Type>
      <Type>http://openid.net/srv/ax/1.0</Type>
      <URI priority="0">{uri}</URI>
      <LocalID>https://alice.example.com/</LocalID>
      <openid:Delegate>https://alice.example.com/</openid:Delegate>
    </Service>
"#,
            (priority + 1) * 10
        )
        .ok();
    }
    doc.push_str(
        r#"    <Service priority="50">
      <Type>http://lid.netmesh.org/sso/2.0b5</Type>
      <URI>http://mylid.example.net/alice</URI>
    </Service>
  </XRD>
</xrds:XRDS>
"#,
    );
    doc
}

/// A 100 KB HTML page whose OpenID links come at the end of a long head (styles, scripts,
/// metadata), followed by a body.
pub fn html_100k() -> String {
    let mut page = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Alice's page</title>\n",
    );
    let mut index = 0;
    while page.len() < 60_000 {
        write!(
            page,
            "<meta name=\"keyword-{index}\" content=\"some words about alice and her page {index}\">\n\
             <link rel=\"stylesheet\" href=\"/static/css/style-{index}.css?v=1&amp;t=2\">\n\
             <script>var config{index} = {{\"a\": \"<link rel=openid.server href=x>\", \"n\": {index}}};</script>\n\
             <style>.c{index} {{ color: #{index:06x}; margin: 0 auto; }}</style>\n"
        )
        .ok();
        index += 1;
    }
    page.push_str(
        "<link rel=\"openid2.provider openid.server\" href=\"https://www.example.com/openid/server\">\n\
         <link rel=\"openid2.local_id openid.delegate\" href=\"https://alice.example.com/\">\n\
         </head>\n<body>\n",
    );
    while page.len() < 100 * 1024 {
        page.push_str("<div class=\"post\"><p>Lorem ipsum dolor sit amet, <a href=\"/x\">link</a>.</p></div>\n");
    }
    page.push_str("</body>\n</html>\n");
    page
}
