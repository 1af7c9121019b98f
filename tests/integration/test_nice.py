"""libnice through turnpike's TURN relay: two in-process NiceAgents (the
nice_relay program), one forced to its relayed candidate, the other with host
candidates on 127.0.0.1, reach READY and exchange messages both ways.

nice_relay's path comes from NICE_RELAY_BIN (set by meson). Every address is on
loopback; the relay is told to allow loopback peers, as tests need.
"""
import os
import subprocess
import unittest

from harness import Turnpike, free_port

NICE_RELAY = os.environ.get("NICE_RELAY_BIN", "build/tests/integration/nice_relay")
USER, PASSWORD = "alice", "secret1"
# A relay port range of our own, below the kernel's ephemeral range (32768+)
# and away from test_turn.py's (from 20000 up).
MIN_PORT, MAX_PORT = 30000, 30999


def config(port):
    return f"""[server]
roles = relay
realm = turnpike
log-level = debug
[relay]
listen = 127.0.0.1:{port}
threads = 2
min-port = {MIN_PORT}
max-port = {MAX_PORT}
allow-loopback-peers = true
[auth]
users = {USER}:{PASSWORD}
[quotas]
user-quota = 0
"""


def run_nice_relay(port, user=USER, password=PASSWORD, timeout=20, messages=5):
    argv = [NICE_RELAY, "127.0.0.1", str(port), user, password,
            "--timeout", str(timeout), "--messages", str(messages)]
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout + 15)
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"nice_relay did not end within {timeout + 15} s:\n"
                             f"{e.stdout or ''}{e.stderr or ''}") from None


class NiceThroughRelay(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(NICE_RELAY, os.X_OK):
            raise unittest.SkipTest(f"no nice_relay binary at {NICE_RELAY}")
        cls.port = free_port()
        cls.server = Turnpike(config(cls.port))
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.server.dir.cleanup()

    def explain(self, done):
        return (f"nice_relay exited {done.returncode}\n--- its output:\n{done.stdout}"
                f"{done.stderr}\n--- turnpike's log (tail):\n{self.server.output()[-4000:]}")

    def test_agents_connect_through_the_relay(self):
        done = run_nice_relay(self.port)
        self.assertEqual(done.returncode, 0, self.explain(done))
        self.assertIn("A selected pair: local relay 127.0.0.1:", done.stdout, self.explain(done))
        local = done.stdout.split("A selected pair: local relay 127.0.0.1:")[1].split()[0]
        self.assertTrue(MIN_PORT <= int(local) <= MAX_PORT,
                        f"the relayed port {local} is outside {MIN_PORT}-{MAX_PORT}")
        self.assertIn("OK: 5 messages each way", done.stdout, self.explain(done))

    def test_twice_in_a_row(self):
        # The first pair's allocations are closed (Refresh 0) by libnice; a
        # second pair must get its own without trouble.
        for _ in range(2):
            done = run_nice_relay(self.port, messages=3)
            self.assertEqual(done.returncode, 0, self.explain(done))

    def test_wrong_password_fails_cleanly(self):
        done = run_nice_relay(self.port, password="not-the-password", timeout=8)
        self.assertEqual(done.returncode, 1, self.explain(done))
        self.assertIn("no relayed candidate", done.stderr, self.explain(done))
        self.assertTrue(self.server.proc.poll() is None, "turnpike died")


if __name__ == "__main__":
    unittest.main(verbosity=2)
