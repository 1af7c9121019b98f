"""The config contract: --check-config, --version, --print-defaults, and
errors that name the file, the key and the problem."""
import os
import re
import subprocess
import tempfile
import unittest

from harness import SOURCE_ROOT, TURNPIKE

SHIPPED = os.path.join(SOURCE_ROOT, "conf", "turnpike.conf")


def turnpike(*args):
    return subprocess.run([TURNPIKE, *args], capture_output=True, text=True, timeout=10)


class CheckConfig(unittest.TestCase):
    def check(self, text):
        with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
            f.write(text)
        self.addCleanup(os.unlink, f.name)
        return f.name, turnpike("--check-config", f.name)

    def assert_refused(self, text, key, problem):
        path, result = self.check(text)
        self.assertNotEqual(result.returncode, 0, result.stdout)
        message = result.stderr.strip()
        self.assertIn(path, message)
        if key:
            self.assertIn(key, message)
        self.assertRegex(message, problem)
        return message

    def test_shipped_config_is_valid(self):
        result = turnpike("--check-config", SHIPPED)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("OK", result.stdout)

    def test_missing_file(self):
        result = turnpike("--check-config", "/nonexistent/turnpike.conf")
        self.assertEqual(result.returncode, 1)
        self.assertIn("/nonexistent/turnpike.conf", result.stderr)
        self.assertIn("cannot read", result.stderr)

    def test_missing_file_when_running(self):
        result = turnpike("--config", "/nonexistent/turnpike.conf")
        self.assertEqual(result.returncode, 1)
        self.assertIn("/nonexistent/turnpike.conf", result.stderr)

    def test_unknown_section(self):
        self.assert_refused("[bogus]\nx = 1\n", "[bogus]", "unknown section")

    def test_unknown_key(self):
        self.assert_refused("[relay]\nlissen = 127.0.0.1:3478\n", "[relay] lissen", "unknown key")

    def test_not_ini(self):
        self.assert_refused("[relay\nlisten 3478\n", "", "not a valid INI file")

    def test_bad_values(self):
        cases = [
            ("[relay]\nmin-port = abc\n", "[relay] min-port", "expected a whole number"),
            ("[relay]\nmax-port = 70000\n", "[relay] max-port", "out of range"),
            ("[relay]\nmin-port = 60000\nmax-port = 50000\n", "[relay] min-port",
             "above \\[relay\\] max-port"),
            ("[relay]\nthreads = -1\n", "[relay] threads", "expected a whole number"),
            ("[relay]\nthreads = 1000\n", "[relay] threads", "out of range"),
            ("[relay]\nlisten = 127.0.0.1\n", "[relay] listen", "not an address with a port"),
            ("[relay]\nlisten = ::1:3478\n", "[relay] listen", "not an address with a port"),
            ("[relay]\nlisten = 127.0.0.1:0\n", "[relay] listen", "not an address with a port"),
            ("[relay]\nlisten =\n", "[relay] listen", "at least one address"),
            ("[relay]\nsoftware = " + "x" * 200 + "\n", "[relay] software", "127 characters"),
            ("[server]\nlog-level = loud\n", "[server] log-level", "unknown level 'loud'"),
            ("[signal]\nword-list = /nonexistent/words.txt\n", "[signal] word-list",
             "/nonexistent/words.txt: cannot read the word list"),
            ("[signal]\nallowed-origins = example.com\n", "[signal] allowed-origins",
             "not an origin"),
            ("[signal]\nping-interval = 30\nidle-timeout = 20\n", "[signal] idle-timeout",
             r"longer than \[signal\] ping-interval"),
            ("[matcher]\nbackend = etcd\n", "[matcher] backend", "unknown backend 'etcd'"),
            ("[signal]\ntrusted-proxies = proxy.local\n", "[signal] trusted-proxies",
             "not an address or CIDR range"),
            ("[server]\nroles = relay,printer\n", "[server] roles", "unknown role 'printer'"),
            ("[server]\nroles =\n", "[server] roles", "at least one role"),
            ("[server]\nstate-dir = var/lib\n", "[server] state-dir", "not an absolute path"),
            ("[server]\nexternal-ip = 1.2.3\n", "[server] external-ip", "not an IP address"),
            ("[server]\nrealm =\n", "[server] realm", "must not be empty"),
        ]
        for text, key, problem in cases:
            with self.subTest(key=key, text=text[:40]):
                self.assert_refused(text, key, problem)

    def test_good_values(self):
        path, result = self.check(
            "[server]\nroles = relay\nlog-level = debug\nexternal-ip = 203.0.113.7, 2001:db8::7\n"
            "[relay]\nlisten = 127.0.0.1:3478, [::1]:3478\nthreads = 3\n")
        self.assertEqual(result.returncode, 0, result.stderr)


class Cli(unittest.TestCase):
    def test_version(self):
        result = turnpike("--version")
        self.assertEqual(result.returncode, 0)
        self.assertRegex(result.stdout, r"^turnpike \d+\.\d+\.\d+\n$")

    def test_bad_arguments(self):
        for args in (["--bogus"], ["--check-config"], ["--config"]):
            with self.subTest(args=args):
                result = turnpike(*args)
                self.assertEqual(result.returncode, 2)
                self.assertIn("usage:", result.stderr)

    def test_shipped_config_documents_every_key_with_its_default(self):
        defaults = turnpike("--print-defaults").stdout
        with open(SHIPPED) as f:
            shipped = f.read()
        section = None
        documented = {}
        for line in shipped.splitlines():
            if m := re.match(r"^\[(\w+)\]$", line):
                section = m.group(1)
            elif m := re.match(r"^#?([a-z][a-z0-9-]*) =(?: (.*))?$", line):
                documented[(section, m.group(1))] = m.group(2) or ""
        keys = 0
        for line in defaults.splitlines():
            if m := re.match(r"^\[(\w+)\]$", line):
                section = m.group(1)
            elif m := re.match(r"^([a-z][a-z0-9-]*) =(?: (.*))?$", line):
                keys += 1
                key = (section, m.group(1))
                self.assertIn(key, documented, f"{key} is not in conf/turnpike.conf")
                self.assertEqual(documented[key], m.group(2) or "", f"default of {key}")
        self.assertGreater(keys, 5)
        self.assertEqual(len(documented), keys, "conf/turnpike.conf documents unknown keys")


if __name__ == "__main__":
    unittest.main(verbosity=2)
