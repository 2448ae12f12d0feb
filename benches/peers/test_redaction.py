"""Passwords never reach BENCHMARKS.md or the terminal: driver.public() (rows, reasons) and
scripts/bench-peers.sh's redacted() (server URLs) hide the same parts of the same texts.

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
    ("postgres://h/db?user=u&password=SECRET&x=1", "postgres://h/db?user=u&password=***&x=1"),
    # libpq's key=value settings, plain and quoted (with an escaped quote and a space).
    ("host=127.0.0.1 user=u password=SECRET dbname=d", "host=127.0.0.1 user=u password=*** dbname=d"),
    ("host=h password = 'SE\\' CRET' dbname=d", "host=h password = *** dbname=d"),
    ("PASSWORD=SECRET", "PASSWORD=***"),
    ("error: mysql://root:SECRET@127.0.0.1:3306/x: refused",
     "error: mysql://root:***@127.0.0.1:3306/x: refused"),
    # Nothing to hide.
    ("postgres://nouser@h/db", "postgres://nouser@h/db"),
    ("http://127.0.0.1:8901/op", "http://127.0.0.1:8901/op"),
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

    def test_the_shell_script_hides_the_same(self):
        for text, expected in CASES:
            with self.subTest(text=text):
                self.assertEqual(shell_redacted(text), expected)


if __name__ == "__main__":
    unittest.main()
