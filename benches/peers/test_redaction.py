"""Passwords never reach BENCHMARKS.md or the terminal: driver.public() (rows, reasons)
hides them, and scripts/bench-peers.sh's redacted() (server URLs) is the same function.

Run by scripts/test.sh; by hand: python3 -m unittest discover -s benches/peers -p 'test_*.py'
"""

import os
import subprocess
import unittest

import driver

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# (text, what it must become): the password is "SECRET" or holds it.
CASES = [
    ("postgres://bench:SECRET@127.0.0.1:5432/db", "postgres://bench:***@127.0.0.1:5432/db"),
    # A raw `@` or `/` in the password: hidden whole, up to the last `@`.
    ("mysql://root:SE@CRET@127.0.0.1:3306/openid", "mysql://root:***@127.0.0.1:3306/openid"),
    ("postgres://u:SE/CRET@h:1/db?sslmode=disable", "postgres://u:***@h:1/db?sslmode=disable"),
    ("postgres://u:SECRET%2F@h/db", "postgres://u:***@h/db"),
    # Two URLs in one word: each keeps its host.
    ("mysql://a:SECRET@h1/x,mysql://b:SECRET2@h2/y", "mysql://a:***@h1/x,mysql://b:***@h2/y"),
    ("postgres://h/db?user=u&password=SECRET&x=1", "postgres://h/db?user=u&password=***&x=1"),
    # libpq's key=value settings, plain and quoted (with an escaped quote and a space).
    ("host=127.0.0.1 user=u password=SECRET dbname=d", "host=127.0.0.1 user=u password=*** dbname=d"),
    ("host=h password = 'SE\\' CRET' dbname=d", "host=h password = *** dbname=d"),
    ('password="SE CRET" x', "password=*** x"),
    ("password=SE\\ CRET x", "password=*** x"),
    ("PASSWORD=SECRET", "PASSWORD=***"),
    ("PGPASSWORD=SECRET sslpassword=SECRET db_password=SECRET",
     "PGPASSWORD=*** sslpassword=*** db_password=***"),
    ("password: SECRET, pass: Some(\"SECRET\") }", "password: ***, pass: *** }"),
    ("error: mysql://root:SECRET@127.0.0.1:3306/x: refused",
     "error: mysql://root:***@127.0.0.1:3306/x: refused"),
    # Nothing to hide, an `@` after a port included.
    ("postgres://nouser@h/db", "postgres://nouser@h/db"),
    ("http://127.0.0.1:8901/op", "http://127.0.0.1:8901/op"),
    ("mysql://h:3306/db?user=root@localhost", "mysql://h:3306/db?user=root@localhost"),
    ("bypass: cache", "bypass: cache"),
    # An `@` after a port and a path, with no query before it, could be a password's: hidden.
    ("http://127.0.0.1:8901/id/alice@example.com", "http://127.0.0.1:***@example.com"),
    # Passwords that start like a port.
    ("postgres://u:12/ab@db.example:5432/db", "postgres://u:***@db.example:5432/db"),
    ("mysql://root:2024#Pw@127.0.0.1:3306/x", "mysql://root:***@127.0.0.1:3306/x"),
    # An unquoted `password=` value ends only at white space or `&`.
    ("host=h password=se;cret,x dbname=d", "host=h password=*** dbname=d"),
    ("postgres://h/db?password=x,y&a=1", "postgres://h/db?password=***&a=1"),
]

# The URLs of existing servers: their passwords are hidden wherever they stand apart from
# letters and digits, pieces of 4 characters or more included.
KNOWN = {
    "PEERS_POSTGRES_URL": "postgres://u:SECR/ETPG@h:1/db",
    "PEERS_MYSQL_URL": "mysql://root:MY%40SQL@127.0.0.1:3306/openid?password=Q%20UERY",
}
KNOWN_CASES = [
    ('invalid integer value "SECR" for connection option "port"',
     'invalid integer value "***" for connection option "port"'),
    ("could not translate host name ETPG@h", "could not translate host name ***@h"),
    ("Access denied (using password: YES) MY@SQL", "Access denied (using password: ***) ***"),
    ("MY%40SQL and Q UERY", "*** and ***"),
    # Not where they are part of a longer word.
    ("SECRETARY MY@SQLite", "SECRETARY MY@SQLite"),
]


def shell_redacted(text):
    """scripts/bench-peers.sh's redacted() applied to `text`."""
    script = (
        "source <(sed -n '/^redacted()/,/^}/p' scripts/bench-peers.sh)\n"
        'redacted "$1"\n'
    )
    done = subprocess.run(["bash", "-c", script, "redacted", text], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    return done.stdout.rstrip("\n")


class Redaction(unittest.TestCase):
    def test_public_hides_every_password(self):
        for text, expected in CASES:
            with self.subTest(text=text):
                self.assertEqual(driver.public(text), expected)
                self.assertNotIn("CRET", driver.public(text))

    def test_the_run_s_own_passwords_are_hidden_anywhere(self):
        saved = {name: os.environ.get(name) for name in KNOWN}
        os.environ.update(KNOWN)
        try:
            for text, expected in KNOWN_CASES:
                with self.subTest(text=text):
                    self.assertEqual(driver.public(text), expected)
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value

    def test_the_shell_script_hides_the_same(self):
        for text, expected in CASES:
            with self.subTest(text=text):
                self.assertEqual(shell_redacted(text), expected)


if __name__ == "__main__":
    unittest.main()
