"""An OpenID provider made with python3-openid's server, for the interop tests.

python3-openid 3.2.0 (``openid.server.server.Server`` over a ``FileOpenIDStore`` in a
temporary directory) answers every OpenID request; this script only serves the discovery
documents around it and decides, without a human, how to answer an authentication
request. openid-rs's consumer logs in against it in consumer/tests/interop/.

    python interop/provider.py [--answer allow|cancel|setup-needed]
                               [--associations accept|refuse|sha1-only]
                               [--select-user NAME]

The first line on standard output is the base URL (``http://127.0.0.1:PORT``, a free
port); the provider serves until its standard input closes (or it is killed), so a test
process that dies takes it along. Every request is logged to standard error, one line
each (method, path, ``openid.mode``, and what was answered); ``GET /log`` gives the same
lines, complete up to the last answer sent.

Paths (any NAME works: everybody exists and is logged in):

    /id/NAME        HTML with openid2.provider / openid2.local_id links and an
                    X-XRDS-Location header pointing at /xrds/NAME
    /xrds/NAME      XRDS: OpenID 2.0 signon and 1.1 signon, LocalID /id/NAME
    /html/NAME      HTML links only (OpenID 2.0), no Yadis
    /, /op-id       XRDS: an OP identifier (http://specs.openid.net/auth/2.0/server)
    /delegate/NAME  HTML delegating to /id/NAME at this provider
    /delegate-v1/NAME
                    HTML delegating to /v1/NAME in OpenID 1.1 form (openid.server,
                    openid.delegate)
    /v1/NAME        OpenID 1.1 only: openid.server / openid.delegate links and an
                    X-XRDS-Location header pointing at /xrds-v1/NAME
    /xrds-v1/NAME   XRDS: OpenID 1.1 signon only
    /op             the OP endpoint (associate, checkid_setup, checkid_immediate,
                    check_authentication), GET or POST
    /control        POST ?answer=...&associations=...: changes the switches
    /log            GET: the log so far, as text

Switches:

    --answer allow          checkid_setup and checkid_immediate get a positive
                            assertion (default)
    --answer cancel         checkid_setup gets cancel (answer(False)); checkid_immediate
                            gets what answer(False) gives it (setup needed)
    --answer setup-needed   checkid_immediate gets setup_needed (OpenID 2.0) or id_res
                            with user_setup_url (OpenID 1.1); checkid_setup, where the
                            user is present, gets a positive assertion
    --associations accept   python3-openid's own negotiation (default)
    --associations refuse   every associate request gets an error: stateless logins
    --associations sha1-only
                            HMAC-SHA256 / DH-SHA256 get error_code=unsupported-type
                            suggesting HMAC-SHA1 / DH-SHA1
    --select-user NAME      who logs in when the relying party asks for identifier
                            selection (default alice)
"""

import argparse
import html
import logging
import sys
import tempfile
import threading
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import version

from openid.association import SessionNegotiator
from openid.consumer.discover import (
    OPENID_1_0_NS,
    OPENID_1_1_TYPE,
    OPENID_2_0_TYPE,
    OPENID_IDP_2_0_TYPE,
)
from openid.extensions import ax, sreg
from openid.message import OPENID_NS
from openid.server.server import (
    CheckIDRequest,
    ENCODE_KVFORM,
    ProtocolError,
    Server,
)
from openid.store.filestore import FileOpenIDStore

ANSWERS = ("allow", "cancel", "setup-needed")
ASSOCIATIONS = ("accept", "refuse", "sha1-only")

# What a SHA1-only provider accepts, in the order it suggests them.
SHA1_ONLY = SessionNegotiator([
    ("HMAC-SHA1", "DH-SHA1"),
    ("HMAC-SHA1", "no-encryption"),
])

# The Attribute Exchange types of the profile fields it answers (axschema.org's, and the
# schema.openid.net variants).
AX_TYPES = {
    "email": ("http://axschema.org/contact/email", "http://schema.openid.net/contact/email"),
    "nickname": ("http://axschema.org/namePerson/friendly",
                 "http://schema.openid.net/namePerson/friendly"),
    "fullname": ("http://axschema.org/namePerson", "http://schema.openid.net/namePerson"),
}

# POST bodies larger than this are refused (no test sends one).
MAX_BODY = 1024 * 1024


class Switches:
    """How the provider answers; changed by POST /control while it runs."""

    def __init__(self, answer, associations):
        self._lock = threading.Lock()
        self._answer = answer
        self._associations = associations

    def get(self):
        """(answer, associations), read together."""
        with self._lock:
            return self._answer, self._associations

    def set(self, answer=None, associations=None):
        with self._lock:
            if answer is not None:
                self._answer = answer
            if associations is not None:
                self._associations = associations
            return self._answer, self._associations


class Log:
    """The request log: written to stderr and kept for GET /log."""

    def __init__(self):
        self._lock = threading.Lock()
        self._lines = []

    def write(self, line):
        with self._lock:
            self._lines.append(line)
            sys.stderr.write(line + "\n")
            sys.stderr.flush()

    def text(self):
        with self._lock:
            return "".join(line + "\n" for line in self._lines)


class Provider:
    """The documents, the switches and python3-openid's Server behind one base URL."""

    def __init__(self, base, store, switches, select_user, log):
        self.base = base
        self.endpoint = base + "/op"
        self.server = Server(store, self.endpoint)
        self.switches = switches
        self.select_user = select_user
        self.log = log

    def identity(self, name):
        return "%s/id/%s" % (self.base, name)

    # ---- discovery documents ----------------------------------------------------------

    def page(self, path):
        """The discovery document at path: (status, headers, content type, body)."""
        if path in ("/", "/op-id"):
            return xrds_reply([OPENID_IDP_2_0_TYPE], self.endpoint)
        kind, _, name = path[1:].partition("/")
        if not name or "/" in name:
            return not_found(path)
        if kind == "id":
            links = [("openid2.provider", self.endpoint),
                     ("openid2.local_id", self.identity(name))]
            headers = [("X-XRDS-Location", "%s/xrds/%s" % (self.base, name))]
            return html_reply(name, links, headers)
        if kind == "xrds":
            # OpenID 2.0 and 1.1, and the extensions it answers.
            types = [OPENID_2_0_TYPE, OPENID_1_1_TYPE, sreg.ns_uri_1_1, ax.AXMessage.ns_uri]
            return xrds_reply(types, self.endpoint, local_id=self.identity(name))
        if kind == "html":
            links = [("openid2.provider", self.endpoint),
                     ("openid2.local_id", "%s/html/%s" % (self.base, name))]
            return html_reply(name, links)
        if kind == "delegate":
            links = [("openid2.provider", self.endpoint),
                     ("openid2.local_id", self.identity(name))]
            return html_reply(name, links)
        if kind == "v1":
            v1 = "%s/v1/%s" % (self.base, name)
            links = [("openid.server", self.endpoint), ("openid.delegate", v1)]
            headers = [("X-XRDS-Location", "%s/xrds-v1/%s" % (self.base, name))]
            return html_reply(name, links, headers)
        if kind == "delegate-v1":
            links = [("openid.server", self.endpoint),
                     ("openid.delegate", "%s/v1/%s" % (self.base, name))]
            return html_reply(name, links)
        if kind == "xrds-v1":
            v1 = "%s/v1/%s" % (self.base, name)
            return xrds_reply([OPENID_1_1_TYPE], self.endpoint, delegate=v1)
        return not_found(path)

    # ---- the OP endpoint ----------------------------------------------------------------

    def op(self, query):
        """Answers an OpenID request: (status, headers, content type, body, what), where
        `what` says in a few words what was answered, for the log."""
        try:
            request = self.server.decodeRequest(query)
        except ProtocolError as error:
            return self.encode(error, "protocol error: %s" % error)
        if request is None:
            body = "This is an OpenID provider endpoint (python3-openid).\n"
            return 200, [], "text/plain; charset=utf-8", body, "not an OpenID request"
        answer, associations = self.switches.get()
        if isinstance(request, CheckIDRequest):
            return self.checkid(request, answer)
        if request.mode == "associate":
            return self.associate(request, associations)
        return self.encode(self.server.handleRequest(request), "handled by python3-openid")

    def checkid(self, request, answer):
        """checkid_setup / checkid_immediate, decided by the --answer switch."""
        allow = answer == "allow" or (answer == "setup-needed" and not request.immediate)
        if allow and request.idSelect():
            response = request.answer(True, identity=self.identity(self.select_user))
        elif allow:
            response = request.answer(True)
        else:
            response = request.answer(False)
        if allow:
            self.add_profile(request, response)
        return self.encode(response, "answered %s" % (
            "immediately" if request.immediate else "after setup"))

    def add_profile(self, request, response):
        """Answers Simple Registration and Attribute Exchange requests with the user's
        made-up profile (NAME: nickname NAME, e-mail NAME@example.org, full name "Name
        Python"), through python3-openid's own extension classes."""
        identity = response.fields.getArg(OPENID_NS, "identity") or ""
        name = identity.rstrip("/").rpartition("/")[2]
        if not name:
            return
        profile = {
            "nickname": name,
            "email": "%s@example.org" % name,
            "fullname": "%s Python" % name.capitalize(),
        }
        sreg_request = sreg.SRegRequest.fromOpenIDRequest(request)
        if sreg_request.wereFieldsRequested():
            response.addExtension(sreg.SRegResponse.extractResponse(sreg_request, profile))
        ax_request = ax.FetchRequest.fromOpenIDRequest(request)
        if ax_request is not None:
            ax_response = ax.FetchResponse(request=ax_request)
            for type_uri in ax_request.requested_attributes:
                for field, uris in AX_TYPES.items():
                    if type_uri in uris:
                        ax_response.addValue(type_uri, profile[field])
            response.addExtension(ax_response)

    def associate(self, request, associations):
        """associate, decided by the --associations switch."""
        assoc_type = request.assoc_type
        session_type = request.session.session_type
        asked = "%s/%s" % (assoc_type, session_type)
        if associations == "refuse":
            error = ProtocolError(request.message, "this provider makes no associations")
            return self.encode(error, "%s refused" % asked)
        if associations == "sha1-only" and not SHA1_ONLY.isAllowed(assoc_type, session_type):
            suggested_assoc, suggested_session = SHA1_ONLY.getAllowedType()
            # python3-openid sends this with HTTP 200 where OpenID 2.0 sections 5.1.2.2 and
            # 8.2.4 ask for a 400 error response; left as the library does it, since
            # relying parties meet it in the wild.
            response = request.answerUnsupported(
                "only HMAC-SHA1 associations here", suggested_assoc, suggested_session)
            return self.encode(response, "%s unsupported, suggested %s/%s" % (
                asked, suggested_assoc, suggested_session))
        return self.encode(self.server.handleRequest(request), asked)

    def encode(self, response, what):
        """python3-openid's encoding of a response (signed when it is an assertion)."""
        if isinstance(response, ProtocolError) and response.whichEncoding() is None:
            return 400, [], "text/plain; charset=utf-8", str(response) + "\n", what
        web = self.server.encodeResponse(response)
        headers = [(k, v) for k, v in web.headers.items() if k.lower() != "content-type"]
        location = web.headers.get("location")
        if location is not None:
            args = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
            what += " -> %s" % ",".join(args.get("openid.mode", ["?"]))
        if response.whichEncoding() == ENCODE_KVFORM:
            content_type = "text/plain; charset=utf-8"
        else:
            content_type = "text/html; charset=utf-8"
        return web.code, headers, content_type, web.body, what


def html_reply(name, links, headers=()):
    head = "".join('<link rel="%s" href="%s">\n' % (rel, html.escape(href))
                   for rel, href in links)
    body = ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n"
            "<title>OpenID identity %s (python3-openid)</title>\n%s</head>\n"
            "<body><p>%s</p></body></html>\n") % (html.escape(name), head, html.escape(name))
    return 200, list(headers), "text/html; charset=utf-8", body


def xrds_reply(types, endpoint, local_id=None, delegate=None):
    elements = ["<Type>%s</Type>" % t for t in types]
    elements.append("<URI>%s</URI>" % html.escape(endpoint))
    if local_id is not None:
        elements.append("<LocalID>%s</LocalID>" % html.escape(local_id))
        delegate = local_id
    if delegate is not None:
        elements.append("<openid:Delegate>%s</openid:Delegate>" % html.escape(delegate))
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<xrds:XRDS xmlns:xrds="xri://$xrds" xmlns="xri://$xrd*($v*2.0)" '
            'xmlns:openid="%s">\n  <XRD>\n    <Service priority="0">\n%s'
            '    </Service>\n  </XRD>\n</xrds:XRDS>\n') % (
                OPENID_1_0_NS, "".join("      %s\n" % e for e in elements))
    return 200, [], "application/xrds+xml", body


def not_found(path):
    return 404, [], "text/plain; charset=utf-8", "nothing at %s\n" % path


class Handler(BaseHTTPRequestHandler):
    """One HTTP request: discovery documents, the OP endpoint, /control, /log."""

    provider = None  # set before serving
    server_version = "openid-rs-interop-provider"

    def do_GET(self):
        self.handle_request(None)

    def do_POST(self):
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            self.reply(400, [], "text/plain", "bad Content-Length\n", "bad Content-Length")
            return
        self.handle_request(self.rfile.read(length).decode("utf-8", "replace"))

    def handle_request(self, body):
        parts = urllib.parse.urlsplit(self.path)
        path = parts.path
        query = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
        if body is not None:
            query.update(urllib.parse.parse_qsl(body, keep_blank_values=True))
        provider = self.provider
        try:
            if path == "/log" and body is None:
                self.send(200, [], "text/plain; charset=utf-8", provider.log.text())
                return
            if path == "/control" and body is not None:
                self.control(query)
                return
            if path == "/op":
                status, headers, content_type, text, what = provider.op(query)
            else:
                status, headers, content_type, text = provider.page(path)
                what = "document"
        except Exception:  # the provider goes on; the log says why
            for line in traceback.format_exc().splitlines():
                provider.log.write("    " + line)
            status, headers, content_type, text = 500, [], "text/plain", "provider error\n"
            what = "failed (traceback above)"
        self.reply(status, headers, content_type, text, what, query.get("openid.mode"))

    def control(self, query):
        answer = query.get("answer")
        associations = query.get("associations")
        if answer not in (None,) + ANSWERS or associations not in (None,) + ASSOCIATIONS:
            self.reply(400, [], "text/plain", "answer is one of %s, associations one of %s\n"
                       % (", ".join(ANSWERS), ", ".join(ASSOCIATIONS)), "bad control")
            return
        answer, associations = self.provider.switches.set(answer, associations)
        state = "answer=%s associations=%s" % (answer, associations)
        self.reply(200, [], "text/plain", state + "\n", "switches now " + state)

    def reply(self, status, headers, content_type, text, what, mode=None):
        mode = " openid.mode=%s" % mode if mode else ""
        self.provider.log.write("%s %s%s -> %d %s" % (
            self.command, urllib.parse.urlsplit(self.path).path, mode, status, what))
        self.send(status, headers, content_type, text)

    def send(self, status, headers, content_type, text):
        data = text.encode("utf-8")
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        """http.server's own log lines are replaced by Provider.log's."""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answer", choices=ANSWERS, default="allow")
    parser.add_argument("--associations", choices=ASSOCIATIONS, default="accept")
    parser.add_argument("--select-user", default="alice")
    args = parser.parse_args()

    # python3-openid logs its own errors (a signature that does not verify, ...).
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING,
                        format="    python3-openid %(levelname)s: %(message)s")
    log = Log()
    with tempfile.TemporaryDirectory(prefix="openid-interop-provider-") as directory:
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        httpd.daemon_threads = True
        base = "http://127.0.0.1:%d" % httpd.server_address[1]
        Handler.provider = Provider(base, FileOpenIDStore(directory),
                                    Switches(args.answer, args.associations),
                                    args.select_user, log)
        log.write("python3-openid %s provider at %s (answer=%s, associations=%s)" % (
            version("python3-openid"), base, args.answer, args.associations))

        def serve_until_stdin_closes():
            sys.stdin.buffer.read()
            httpd.shutdown()

        threading.Thread(target=serve_until_stdin_closes, daemon=True).start()
        print(base, flush=True)
        httpd.serve_forever(poll_interval=0.05)
        httpd.server_close()


if __name__ == "__main__":
    main()
