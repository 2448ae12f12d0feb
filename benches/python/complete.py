"""python3-openid's Consumer.complete on the work of benches/benches/login.rs.

A valid OpenID 2.0 assertion, signed with an HMAC-SHA256 association the consumer has in
its MemoryStore, a fresh response nonce each time, no network. The assertions are made
before the timed part. Prints the best rate of three runs of at least a second, as
`complete/memory: N per second`.

Run by scripts/bench-login.sh (which makes the virtualenv); by hand:
    target/python-openid/bin/python benches/python/complete.py
"""

import sys
import time

from openid.association import Association
from openid.consumer.consumer import SUCCESS, Consumer
from openid.consumer.discover import OPENID_2_0_TYPE, OpenIDServiceEndpoint
from openid.message import OPENID2_NS, Message
from openid.store.memstore import MemoryStore
from openid.store.nonce import mkNonce

# The same URLs as benches/benches/login.rs.
OP = "http://127.0.0.1:8901/op"
CLAIMED_ID = "http://127.0.0.1:8901/id/alice"
RETURN_TO = "http://127.0.0.1:8000/return"
BATCH = 2000


def prepare():
    """A consumer with the association stored and a login begun: (assertion, complete),
    a maker of fresh signed assertions and one call of Consumer.complete on one (exits
    unless it succeeds). Also the `complete` operation of benches/peers/reference.py."""
    store = MemoryStore()
    association = Association.fromExpiresIn(3600, "bench-handle", b"\x01" * 32, "HMAC-SHA256")
    store.storeAssociation(OP, association)

    endpoint = OpenIDServiceEndpoint()
    endpoint.claimed_id = CLAIMED_ID
    endpoint.local_id = CLAIMED_ID
    endpoint.server_url = OP
    endpoint.type_uris = [OPENID_2_0_TYPE]

    def assertion():
        message = Message(OPENID2_NS)
        message.updateArgs(OPENID2_NS, {
            "mode": "id_res",
            "op_endpoint": OP,
            "claimed_id": CLAIMED_ID,
            "identity": CLAIMED_ID,
            "return_to": RETURN_TO,
            "response_nonce": mkNonce(),
            "assoc_handle": association.handle,
        })
        return association.signMessage(message).toPostArgs()

    session = {}
    consumer = Consumer(session, store)
    token_key = consumer._token_key
    consumer.beginWithoutDiscovery(endpoint)
    saved = session[token_key]

    def complete(args):
        session[token_key] = saved
        response = consumer.complete(args, RETURN_TO)
        if response.status != SUCCESS:
            sys.exit("not a success: %r" % (response,))

    return assertion, complete


def main():
    assertion, complete = prepare()

    def run(seconds):
        done = 0
        elapsed = 0.0
        while elapsed < seconds:
            batch = [assertion() for _ in range(BATCH)]
            started = time.perf_counter()
            for args in batch:
                complete(args)
            elapsed += time.perf_counter() - started
            done += len(batch)
        return done / elapsed

    best = max(run(1.0) for _ in range(3))
    print("complete/memory: %.0f per second" % best)


if __name__ == "__main__":
    main()
