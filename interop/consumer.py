"""One login with python3-openid's consumer against an OpenID provider, for the interop
tests: openid-rs's test provider (openid-testkit) must be a provider an independent
relying party accepts, not one tuned to openid-rs's own consumer.

    python interop/consumer.py BASE_URL MODE [--store memory|file|none]

It runs ``Consumer.begin`` on the identifier MODE names (below), follows the redirect to
the provider with http.client as a browser would (one request; the provider's redirect
back, or its auto-submitting form, is read and not followed), then ``Consumer.complete``
on the callback. It prints one JSON line on standard output:

    {"mode": ..., "store": ..., "identifier": ..., "callback": "redirect" | "form",
     "status": "SUCCESS" | "CANCEL" | "SETUP_NEEDED" | "FAILURE", "message": ...,
     "identity_url": ..., "display_identifier": ..., "setup_url": ..., "endpoint": ...,
     "assoc_type": ..., "replay": null | {"status": ..., "message": ...}}

``assoc_type`` is the type of the association the store holds for the provider after the
login (null without a store or association). Standard error tells each step. The exit
status is 0 whenever the JSON line was printed, whatever the outcome.

Stores: ``memory`` (MemoryStore), ``file`` (FileOpenIDStore in a temporary directory),
``none`` (no store: python3-openid's stateless "dumb mode", every assertion checked with
check_authentication).

Modes (the provider's behaviour is set by whoever runs this; BASE is the provider's base
URL, as openid-testkit lays it out):

    yadis           BASE/id/alice, discovered through its XRDS document
    html            BASE/html/bob, HTML links only
    v1              BASE/id/alice, for a provider that speaks OpenID 1.1 only
    op-identifier   BASE/, an OP identifier: the provider chooses who logs in
    delegated       BASE/blog, a page delegating to an identity at the provider
    sha1            BASE/id/alice, asking for HMAC-SHA256 / DH-SHA256 first and taking
                    the provider's suggestion when it refuses that
    sha256          BASE/id/alice, HMAC-SHA256 / DH-SHA256 only
    cancel          BASE/id/alice, for a provider that answers cancel
    setup-needed    BASE/id/alice in immediate mode, for a provider that needs the user
    immediate       BASE/id/alice in immediate mode, for a provider that can answer
    replay          BASE/id/alice, then the same callback completed a second time in a
                    login with the same state ("replay" in the output)

Other modes use python3-openid's default association preference (HMAC-SHA1 / DH-SHA1
first).
"""

import argparse
import http.client
import json
import logging
import sys
import tempfile
import urllib.parse
import urllib.request
from html.parser import HTMLParser

from openid.consumer.consumer import FAILURE, Consumer
from openid.store.filestore import FileOpenIDStore
from openid.store.memstore import MemoryStore

REALM = "http://rp.example/"
RETURN_TO = "http://rp.example/return?session=s1"

SHA256_FIRST = [("HMAC-SHA256", "DH-SHA256"), ("HMAC-SHA1", "DH-SHA1")]
SHA256_ONLY = [("HMAC-SHA256", "DH-SHA256")]

# mode: (path of the identifier, immediate, replay, association preference or None)
MODES = {
    "yadis": ("/id/alice", False, False, None),
    "html": ("/html/bob", False, False, None),
    "v1": ("/id/alice", False, False, None),
    "op-identifier": ("/", False, False, None),
    "delegated": ("/blog", False, False, None),
    "sha1": ("/id/alice", False, False, SHA256_FIRST),
    "sha256": ("/id/alice", False, False, SHA256_ONLY),
    "cancel": ("/id/alice", False, False, None),
    "setup-needed": ("/id/alice", True, False, None),
    "immediate": ("/id/alice", True, False, None),
    "replay": ("/id/alice", False, True, None),
}

STORES = ("memory", "file", "none")

# How long the browser waits for the provider, in seconds.
TIMEOUT = 30


def step(text):
    sys.stderr.write("consumer.py: %s\n" % text)
    sys.stderr.flush()


class FormReader(HTMLParser):
    """The first form of a page: its action and its fields."""

    def __init__(self):
        super().__init__()
        self.action = None
        self.method = None
        self.fields = []
        self.done = False
        self.in_form = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.done:
            return
        if tag == "form" and not self.in_form:
            self.in_form = True
            self.action = attrs.get("action")
            self.method = (attrs.get("method") or "get").lower()
        elif tag == "input" and self.in_form and attrs.get("name") \
                and attrs.get("type", "text").lower() not in ("submit", "button"):
            self.fields.append((attrs["name"], attrs.get("value") or ""))

    def handle_endtag(self, tag):
        if tag == "form" and self.in_form:
            self.in_form = False
            self.done = True


def browse(url):
    """The browser's trip to the provider: GET url and return the callback it would
    make next, as (how: "redirect" or "form", URL the browser lands on, its arguments
    as a dict)."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=TIMEOUT)
    try:
        connection.request("GET", parts.path + ("?" + parts.query if parts.query else ""))
        response = connection.getresponse()
        body = response.read().decode("utf-8", "replace")
    finally:
        connection.close()
    if response.status in (301, 302, 303, 307, 308):
        location = urllib.parse.urljoin(url, response.getheader("Location", ""))
        step("the provider redirected the browser to %s" % location)
        query = urllib.parse.urlsplit(location).query
        return "redirect", location, dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
    if response.status == 200:
        form = FormReader()
        form.feed(body)
        if form.action:
            action = urllib.parse.urljoin(url, form.action)
            step("the provider's page submits a %s form to %s" % (form.method, action))
            # What a web framework hands the relying party for a POST: the arguments of
            # the URL's query and of the form (python3-openid checks return_to's
            # arguments among them).
            query = urllib.parse.urlsplit(action).query
            arguments = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
            arguments.update(form.fields)
            return "form", action, arguments
    raise SystemExit("the provider answered HTTP %d without a redirect or a form: %s"
                     % (response.status, body[:500]))


def outcome(response):
    """The parts of a python3-openid response the tests look at."""
    endpoint = getattr(response, "endpoint", None)
    return {
        "status": response.status.upper(),
        # A failure's message says why, as a string or an exception (a success's
        # `message` is the assertion).
        "message": str(response.message) if response.status == FAILURE else None,
        "identity_url": response.identity_url,
        "display_identifier": response.getDisplayIdentifier(),
        "setup_url": getattr(response, "setup_url", None),
        "endpoint": endpoint.server_url if endpoint is not None else None,
    }


def make_store(kind, directory):
    if kind == "memory":
        return MemoryStore()
    if kind == "file":
        return FileOpenIDStore(directory)
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base")
    parser.add_argument("mode", choices=sorted(MODES))
    parser.add_argument("--store", choices=STORES, default="memory")
    args = parser.parse_args()

    # python3-openid says why it refused an assertion through its logger.
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING,
                        format="python3-openid %(levelname)s: %(message)s")
    # Discovery and direct requests go through urllib: never through a proxy from the
    # environment, which would send loopback traffic elsewhere.
    urllib.request.install_opener(urllib.request.build_opener(urllib.request.ProxyHandler({})))

    path, immediate, replay, preference = MODES[args.mode]
    identifier = args.base.rstrip("/") + path
    with tempfile.TemporaryDirectory(prefix="openid-interop-consumer-") as directory:
        store = make_store(args.store, directory)
        session = {}
        consumer = Consumer(session, store)
        if preference is not None:
            consumer.setAssociationPreference(preference)

        step("begin(%s), store %s" % (identifier, args.store))
        request = consumer.begin(identifier)
        step("endpoint %s, association %s" % (
            request.endpoint.server_url,
            request.assoc.handle if request.assoc is not None else "none (stateless)"))
        redirect = request.redirectURL(REALM, RETURN_TO, immediate=immediate)
        step("the browser goes to %s" % redirect)
        callback, landed, query = browse(redirect)
        saved = dict(session)

        response = consumer.complete(query, landed)
        result = {"mode": args.mode, "store": args.store, "identifier": identifier,
                  "callback": callback}
        result.update(outcome(response))
        step("complete: %s" % result["status"])

        association = store.getAssociation(request.endpoint.server_url) \
            if store is not None else None
        result["assoc_type"] = association.assoc_type if association is not None else None

        result["replay"] = None
        if replay:
            # The same callback again, in a login with the same state: an attacker who
            # saw the callback URL replays it.
            session.clear()
            session.update(saved)
            again = Consumer(session, store)
            replayed = again.complete(query, landed)
            result["replay"] = {key: value for key, value in outcome(replayed).items()
                                if key in ("status", "message")}
            step("replayed complete: %s" % result["replay"]["status"])

    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
