"""python3-openid's side of the side-by-side comparison that scripts/bench-peers.sh runs:
the twin of the `openid-peers` binary (benches/peers/main.rs), driven by driver.py.

    PEERS_POSTGRES_URL=PG PEERS_MYSQL_URL=MY python reference.py SCRATCH PROVIDER DOCUMENTS

Reads `<operation> <seconds>` lines and answers each with `<calls> <seconds>`: the calls
made in one round and the time they took, at least the seconds asked for. The first round
of an operation sets it up outside the timed part; later rounds go on with the same state.
The database URLs come from the environment (unset or empty: no such store), not from the
arguments, which any user on the machine can read.
Inputs (nonce salts, associations with distinct handles, signed assertions) are made in
batches of 2,000 outside the timed part, which times chunks of 100 calls. The operations
and what they call here:

- use_nonce:STORE, store_get:STORE: useNonce; storeAssociation then getAssociation by
  handle. STORE is memory (MemoryStore), file and file_nosync (both FileOpenIDStore, which
  fsyncs an association's file but neither nonce files nor directories), sqlite
  (SQLiteStore on the sqlite3 module's defaults: rollback journal, synchronous=FULL),
  postgres (PostgreSQLStore on psycopg2.connect(PG), its tables created for the run),
  mysql (MySQLStore on MySQLdb.connect to the server of the URL MY, the same). The
  openid.store.sqlstore module is imported when a SQL store is first set up: it imports
  psycopg2 on load, so without psycopg2 only the SQL rows fail;
- complete: Consumer.complete on a valid signed assertion (benches/python/complete.py);
- login: a whole login against the provider (benches/python/login.py);
- html:DOC: OpenIDServiceEndpoint.fromHTML; meta:DOC: openid.yadis.parsehtml.findHTMLMeta;
  xrds:DOC: OpenIDServiceEndpoint.fromXRDS (openid.yadis.etxrd), DOC a file in DOCUMENTS.
"""

import io
import os
import sqlite3
import sys
import time
from urllib.parse import unquote, urlsplit

from openid.association import Association
from openid.consumer.discover import OpenIDServiceEndpoint
from openid.store.filestore import FileOpenIDStore
from openid.store.memstore import MemoryStore
from openid.yadis import parsehtml

# complete and login are the scripts of scripts/bench-login.sh, on the same work.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import complete as complete_py  # noqa: E402
import login as login_py  # noqa: E402

# The same URLs as benches/peers/main.rs.
OP = "http://127.0.0.1:8901/op"
CLAIMED_ID = "http://127.0.0.1:8901/id/alice"
BATCH = 2000
CHUNK = 100


class Failed(Exception):
    """A call did not do what it must (a fresh nonce refused, a login that failed)."""


def timed(target, batch, call):
    """Calls `call` on the inputs `batch()` makes (untimed) until the timed chunks add up to
    `target` seconds; (calls made, seconds they took). Chunks shrink when they are slow,
    as in main.rs."""
    calls = 0
    took = 0.0
    size = CHUNK
    perf_counter = time.perf_counter
    while took < target:
        inputs = batch()
        start = 0
        while start < len(inputs) and took < target:
            chunk = inputs[start:start + size]
            start += len(chunk)
            started = perf_counter()
            for item in chunk:
                call(item)
            elapsed = perf_counter() - started
            took += elapsed
            calls += len(chunk)
            # Slow calls (an fsync each) get smaller chunks, so a round ends near its target.
            if elapsed > target / 20:
                size = max(1, size // 2)
    return calls, took


class Peer:
    def __init__(self, scratch, provider, documents, postgres, mysql):
        self.scratch = scratch
        self.provider = provider
        self.documents = documents
        self.postgres = postgres
        self.mysql = mysql
        self.counter = 0

    def store(self, name, tag):
        path = os.path.join(self.scratch, "reference-%s-%s" % (tag, name))
        if name == "memory":
            return MemoryStore()
        if name in ("file", "file_nosync"):
            return FileOpenIDStore(path)
        if name == "sqlite":
            from openid.store.sqlstore import SQLiteStore  # imports psycopg2: see above

            store = SQLiteStore(sqlite3.connect(path + ".sqlite"))
            store.createTables()
            return store
        if name == "postgres" and self.postgres:
            import psycopg2
            from openid.store.sqlstore import PostgreSQLStore
            # Tables of this run's own (createTables is not idempotent here).
            suffix = "%s_%d" % (tag, os.getpid())
            store = PostgreSQLStore(psycopg2.connect(self.postgres),
                                    associations_table="oid_associations_" + suffix,
                                    nonces_table="oid_nonces_" + suffix)
            store.createTables()
            return store
        if name == "mysql" and self.mysql:
            from openid.store.sqlstore import MySQLStore
            suffix = "%s_%d" % (tag, os.getpid())
            store = MySQLStore(mysql_connect(self.mysql),
                               associations_table="oid_associations_" + suffix,
                               nonces_table="oid_nonces_" + suffix)
            store.createTables()
            return store
        raise ValueError("no store %r" % name)

    def fresh(self):
        self.counter += 1
        return self.counter

    def setup(self, operation):
        kind, _, argument = operation.partition(":")
        if kind == "use_nonce":
            return self.use_nonce(self.store(argument, "nonces"))
        if kind == "store_get":
            return self.store_get(self.store(argument, "associations"))
        if kind == "complete":
            return complete()
        if kind == "login":
            return login(self.provider)
        if kind in ("html", "meta"):
            with open(os.path.join(self.documents, argument), encoding="utf-8") as f:
                page = f.read()
            return html_endpoints(page) if kind == "html" else yadis_meta(page)
        if kind == "xrds":
            with open(os.path.join(self.documents, argument), "rb") as f:
                return xrds_endpoints(f.read())
        raise ValueError("no operation %r" % operation)

    def use_nonce(self, store):
        def batch():
            now = int(time.time())
            return [(now, "salt%d" % self.fresh()) for _ in range(BATCH)]

        def call(item):
            if not store.useNonce(OP, item[0], item[1]):
                raise Failed("a fresh nonce was refused")

        return lambda target: timed(target, batch, call)

    def store_get(self, store):
        def batch():
            return [
                Association.fromExpiresIn(3600, "handle%d" % self.fresh(), b"\x07" * 32,
                                          "HMAC-SHA256")
                for _ in range(BATCH)
            ]

        def call(association):
            store.storeAssociation(OP, association)
            if store.getAssociation(OP, association.handle) is None:
                raise Failed("a stored association was not found")

        return lambda target: timed(target, batch, call)


def mysql_connect(url):
    """MySQLdb.connect on the server of a mysql://user:password@host:port/database URL (the
    one our side opens; MySQLdb takes no URL, and our side's options after `?` are not its)."""
    import MySQLdb  # mysqlclient: only bench-peers.sh installs it, for these rows alone

    parts = urlsplit(url)
    return MySQLdb.connect(host=parts.hostname or "127.0.0.1", port=parts.port or 3306,
                           user=unquote(parts.username or ""),
                           password=unquote(parts.password or ""),
                           database=unquote(parts.path.lstrip("/")),
                           # A server that stops answering fails the row, not the whole run.
                           connect_timeout=10, read_timeout=60, write_timeout=60)


def complete():
    """Consumer.complete on a fresh valid assertion each call (benches/python/complete.py)."""
    assertion, call = complete_py.prepare()
    return lambda target: timed(target, lambda: [assertion() for _ in range(BATCH)], call)


def login(base):
    """A whole login against the provider (benches/python/login.py)."""
    once = login_py.prepare(base)
    once()  # associate once, outside the timed part
    return lambda target: timed(target, lambda: [None] * BATCH, lambda _: once())


def html_endpoints(page):
    def call(_):
        OpenIDServiceEndpoint.fromHTML(CLAIMED_ID, page)

    if not OpenIDServiceEndpoint.fromHTML(CLAIMED_ID, page):
        raise Failed("the page declares no endpoint")
    return lambda target: timed(target, lambda: [None] * BATCH, call)


def yadis_meta(page):
    def call(_):
        parsehtml.findHTMLMeta(io.StringIO(page))

    if not parsehtml.findHTMLMeta(io.StringIO(page)):
        raise Failed("the page has no X-XRDS-Location meta")
    return lambda target: timed(target, lambda: [None] * BATCH, call)


def xrds_endpoints(document):
    def call(_):
        OpenIDServiceEndpoint.fromXRDS(CLAIMED_ID, document)

    if not OpenIDServiceEndpoint.fromXRDS(CLAIMED_ID, document):
        raise Failed("the document declares no endpoint")
    return lambda target: timed(target, lambda: [None] * BATCH, call)


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: PEERS_POSTGRES_URL=PG PEERS_MYSQL_URL=MY "
                 "reference.py SCRATCH PROVIDER DOCUMENTS")
    peer = Peer(*sys.argv[1:], os.environ.get("PEERS_POSTGRES_URL", ""),
                os.environ.get("PEERS_MYSQL_URL", ""))
    rounds = {}
    for line in sys.stdin:
        words = line.split()
        if not words or words[0] == "quit":
            break
        operation, seconds = words
        if operation not in rounds:
            rounds[operation] = peer.setup(operation)
        calls, took = rounds[operation](float(seconds))
        sys.stdout.write("%d %.9f\n" % (calls, took))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
