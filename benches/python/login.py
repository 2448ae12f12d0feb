"""A whole login with python3-openid's consumer against the test provider: begin (discovery
of BASE/id/alice, association reused after the first login), the browser's trip to the
provider (one GET, the redirect back read from its Location), and complete. The work of the
`login/testkit` bench in benches/benches/login.rs.

    python benches/python/login.py BASE_URL

Prints the best rate of three runs of at least a second, as `login/testkit: N per second`.
"""

import http.client
import sys
import time
import urllib.parse

from openid.consumer.consumer import SUCCESS, Consumer
from openid.store.memstore import MemoryStore

REALM = "http://127.0.0.1:8000/"
RETURN_TO = "http://127.0.0.1:8000/return"


def follow(url):
    """GET url without following redirects; the Location it redirects to."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port)
    path = parts.path + ("?" + parts.query if parts.query else "")
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    connection.close()
    if response.status not in (302, 303):
        sys.exit("the provider answered %d, not a redirect" % response.status)
    return response.getheader("Location")


def prepare(base):
    """One whole login against the provider at base, as a function of no arguments (exits
    unless it succeeds); the consumer's store is kept from one to the next. Also the
    `login` operation of benches/peers/reference.py."""
    identity = base + "/id/alice"
    store = MemoryStore()

    def login():
        session = {}
        consumer = Consumer(session, store)
        request = consumer.begin(identity)
        back = follow(request.redirectURL(REALM, RETURN_TO))
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(back).query))
        response = consumer.complete(query, back)
        if response.status != SUCCESS:
            sys.exit("not a success: %r" % (response,))

    return login


def main():
    login = prepare(sys.argv[1])

    def run(seconds):
        done = 0
        started = time.perf_counter()
        while time.perf_counter() - started < seconds:
            login()
            done += 1
        return done / (time.perf_counter() - started)

    login()  # associate once, outside the timed part
    best = max(run(1.0) for _ in range(3))
    print("login/testkit: %.0f per second" % best)


if __name__ == "__main__":
    main()
