"""The admin API over real HTTP against a real turnpike (relay, signal and
admin roles): accounts and roles, tokens, every endpoint, bans enforced on
the WebSocket handshake, on live sessions and on TURN Allocates, expiry,
persistence across SIGKILL, /metrics after real traffic, and bad input."""
import json
import os
import re
import signal
import subprocess
import time
import unittest
import urllib.error
import urllib.request

import socket
import ssl

from harness import TURNPIKE, Turnpike, free_port
from test_tls import make_certificate
from turn_client import TurnClient
from websocket_client import HandshakeRefused, WebSocket

ROOT_PASSWORD = "correct horse battery staple"
MOD_PASSWORD = "moderator password 1234"


class Http:
    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}"

    def call(self, method, path, body=None, token=None, raw=None, headers=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(self.base + path, data=data, method=method)
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        for k, v in (headers or {}).items():
            request.add_header(k, v)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode(), dict(response.headers)
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(), dict(e.headers)

    def json(self, method, path, body=None, token=None):
        status, text, _ = self.call(method, path, body, token)
        return status, (json.loads(text) if text.startswith("{") else text)

    def login(self, name, password):
        status, reply = self.json("POST", "/admin/login", {"name": name, "password": password})
        assert status == 200, (status, reply)
        return reply["token"]


def add_user(config_path, name, role, password):
    return subprocess.run([TURNPIKE, "admin", "add-user", name, "--role", role,
                           "--config", config_path], input=password + "\n", text=True,
                          capture_output=True, timeout=30)


class AdminApi(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.turn_port = free_port()
        cls.signal_port = free_port()
        cls.admin_port = free_port()
        cls.tls_port = free_port(socket.SOCK_STREAM)
        cls.server = Turnpike("")
        state = cls.server.dir.name
        cls.cert, key = make_certificate(state, "relay", "admin.test")
        cls.server.write_config(f"""[server]
roles = relay,signal,admin
log-level = debug
state-dir = {state}
[relay]
listen = 127.0.0.1:{cls.turn_port}
tls-listen = 127.0.0.1:{cls.tls_port}
cert = {cls.cert}
pkey = {key}
threads = 2
allow-loopback-peers = true
[auth]
users = alice:alice-password
[signal]
listen = 127.0.0.1:{cls.signal_port}
trusted-proxies = 127.0.9.1
[admin]
listen = 127.0.0.1:{cls.admin_port}
token-ttl = 3
""")
        for name, role, password in (("root", "superadmin", ROOT_PASSWORD),
                                     ("mod", "moderator", MOD_PASSWORD)):
            done = add_user(cls.server.config_path, name, role, password)
            assert done.returncode == 0, done.stderr
        cls.server.start()
        cls.http = Http(cls.admin_port)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.server.dir.cleanup()

    def root(self):
        return self.http.login("root", ROOT_PASSWORD)

    # --- accounts, tokens, roles ---

    def test_cli_refuses_weak_passwords_and_duplicates(self):
        weak = add_user(self.server.config_path, "weak", "moderator", "short")
        self.assertNotEqual(weak.returncode, 0)
        self.assertIn("12 characters", weak.stderr)
        again = add_user(self.server.config_path, "root", "moderator", "another long password")
        self.assertNotEqual(again.returncode, 0)
        self.assertIn("exists", again.stderr)
        listed = subprocess.run([TURNPIKE, "admin", "list-users", "--config",
                                 self.server.config_path], capture_output=True, text=True)
        self.assertIn("root superadmin", listed.stdout)
        self.assertIn("mod moderator", listed.stdout)

    def test_password_is_stored_as_argon2id_only(self):
        with open(os.path.join(self.server.dir.name, "turnpike.db"), "rb") as f:
            data = f.read()
        wal = os.path.join(self.server.dir.name, "turnpike.db-wal")
        if os.path.exists(wal):
            with open(wal, "rb") as f:
                data += f.read()
        self.assertIn(b"$argon2id$", data)
        self.assertNotIn(ROOT_PASSWORD.encode(), data)

    def test_every_endpoint_needs_a_token(self):
        for method, path in (("GET", "/admin/stats"), ("GET", "/admin/sessions"),
                             ("GET", "/admin/allocations"),
                             ("GET", "/admin/bans"), ("POST", "/admin/bans"),
                             ("GET", "/admin/reports"), ("GET", "/admin/audit"),
                             ("GET", "/admin/admins"), ("GET", "/admin/quotas"),
                             ("POST", "/admin/logout")):
            status, _ = self.http.json(method, path, {} if method == "POST" else None)
            self.assertEqual(status, 401, path)
            status, _ = self.http.json(method, path, {} if method == "POST" else None,
                                       token="0" * 64)
            self.assertEqual(status, 401, path)

    def test_wrong_password_is_401_and_audited(self):
        status, reply = self.http.json("POST", "/admin/login",
                                       {"name": "mod", "password": "not it at all"})
        self.assertEqual(status, 401)
        self.assertNotIn("token", reply)
        status, unknown = self.http.json("POST", "/admin/login",
                                         {"name": "nobody", "password": "whatever it is"})
        self.assertEqual(status, 401)
        self.assertEqual(unknown, reply)  # an unknown name looks the same
        self.http.login("mod", MOD_PASSWORD)  # resets the failure count
        _, audit = self.http.json("GET", "/admin/audit", token=self.root())
        actions = [(e["admin"], e["action"]) for e in audit["entries"]]
        self.assertIn(("mod", "login-failed"), actions)

    def test_repeated_failures_lock_the_account(self):
        add_user(self.server.config_path, "locky", "moderator", "locky password 12345")
        for _ in range(5):
            status, _ = self.http.json("POST", "/admin/login",
                                       {"name": "locky", "password": "wrong guess here"})
            self.assertEqual(status, 401)
        status, reply = self.http.json("POST", "/admin/login",
                                       {"name": "locky", "password": "locky password 12345"})
        self.assertEqual(status, 429, reply)
        self.assertIn("locked", reply["error"])

    def test_moderator_cannot_manage_admins_or_quotas(self):
        mod = self.http.login("mod", MOD_PASSWORD)
        for method, path in (("GET", "/admin/admins"), ("GET", "/admin/quotas"),
                             ("POST", "/admin/quotas/reload")):
            status, reply = self.http.json(method, path, {} if method == "POST" else None, mod)
            self.assertEqual(status, 403, path)
        self.assertEqual(self.http.json("GET", "/admin/bans", token=mod)[0], 200)
        root = self.root()
        status, admins = self.http.json("GET", "/admin/admins", token=root)
        self.assertEqual(status, 200)
        self.assertIn({"name": "mod", "role": "moderator"}, admins["admins"])
        status, quotas = self.http.json("GET", "/admin/quotas", token=root)
        self.assertEqual(status, 200)
        self.assertEqual(quotas["maxLifetime"], 3600)
        status, quotas = self.http.json("POST", "/admin/quotas/reload", {}, token=root)
        self.assertEqual(status, 200, quotas)

    def test_logout_revokes_and_tokens_expire(self):
        token = self.http.login("mod", MOD_PASSWORD)
        self.assertEqual(self.http.json("GET", "/admin/stats", token=token)[0], 200)
        self.assertEqual(self.http.json("POST", "/admin/logout", {}, token=token)[0], 200)
        self.assertEqual(self.http.json("GET", "/admin/stats", token=token)[0], 401)
        token = self.http.login("mod", MOD_PASSWORD)
        time.sleep(3.5)  # token-ttl = 3
        self.assertEqual(self.http.json("GET", "/admin/stats", token=token)[0], 401)

    # --- bans ---

    def ban(self, cidr, **extra):
        status, reply = self.http.json("POST", "/admin/bans",
                                       {"cidr": cidr, "reason": "test", **extra}, self.root())
        self.assertEqual(status, 201, reply)
        return reply["id"]

    def unban(self, ban_id):
        self.assertEqual(self.http.json("DELETE", f"/admin/bans/{ban_id}", token=self.root())[0],
                         200)

    def test_ban_refuses_the_websocket_handshake_with_a_reason(self):
        WebSocket(self.signal_port, "127.0.0.21").close()
        ban_id = self.ban("127.0.0.21")
        with self.assertRaises(HandshakeRefused) as refused:
            WebSocket(self.signal_port, "127.0.0.21")
        self.assertEqual(refused.exception.status, 403)
        self.assertIn("banned", refused.exception.body)
        WebSocket(self.signal_port, "127.0.0.22").close()  # others are fine
        self.unban(ban_id)
        WebSocket(self.signal_port, "127.0.0.21").close()

    def test_ban_closes_live_sessions_of_the_range(self):
        ws = WebSocket(self.signal_port, "127.0.0.30")
        ws.next("hello")
        other = WebSocket(self.signal_port, "127.0.0.40")
        other.next("hello")
        ban_id = self.ban("127.0.0.24/29")  # .24 to .31
        code, reason = ws.close_code()
        self.assertEqual((code, reason), (1008, "banned"))
        other.send({"type": "find", "mode": "text"})
        self.assertEqual(other.next("waiting")["type"], "waiting")
        other.close()
        self.unban(ban_id)

    def test_ban_refuses_allocates_and_ends_allocations_within_a_second(self):
        held = TurnClient(("127.0.0.1", self.turn_port), "alice", "alice-password",
                          local=("127.0.0.50", 0))
        self.assertTrue(held.allocate().is_success)
        ban_id = self.ban("127.0.0.50")
        time.sleep(1.0)
        refresh = held.refresh(600)
        self.assertEqual(refresh.error_code, 437)  # the allocation is gone
        fresh = TurnClient(("127.0.0.1", self.turn_port), "alice", "alice-password",
                           local=("127.0.0.50", 0))
        self.assertEqual(fresh.allocate().error_code, 403)
        self.unban(ban_id)
        again = TurnClient(("127.0.0.1", self.turn_port), "alice", "alice-password",
                           local=("127.0.0.50", 0))
        self.assertTrue(again.allocate().is_success)
        for c in (held, fresh, again):
            c.close()

    def test_ban_expires_on_time(self):
        self.ban("127.0.0.60", expiresIn=2)
        with self.assertRaises(HandshakeRefused):
            WebSocket(self.signal_port, "127.0.0.60")
        _, listed = self.http.json("GET", "/admin/bans", token=self.root())
        entry = next(b for b in listed["bans"] if b["cidr"] == "127.0.0.60/32")
        self.assertIsNotNone(entry["expires"])
        time.sleep(2.6)
        WebSocket(self.signal_port, "127.0.0.60").close()
        _, listed = self.http.json("GET", "/admin/bans", token=self.root())
        self.assertNotIn("127.0.0.60/32", [b["cidr"] for b in listed["bans"]])

    def test_bans_are_listed_paginated_and_audited(self):
        ids = [self.ban(f"198.51.100.{n}") for n in range(1, 6)]
        root = self.root()
        _, first = self.http.json("GET", "/admin/bans?limit=2", token=root)
        _, second = self.http.json("GET", "/admin/bans?limit=2&offset=2", token=root)
        self.assertEqual(len(first["bans"]), 2)
        self.assertEqual(len(second["bans"]), 2)
        self.assertTrue(set(b["id"] for b in first["bans"]).isdisjoint(
            b["id"] for b in second["bans"]))
        _, audit = self.http.json("GET", "/admin/audit?limit=20", token=root)
        details = [e["detail"] for e in audit["entries"] if e["action"] == "ban"]
        self.assertTrue(any("198.51.100.5/32" in d for d in details))
        for ban_id in ids:
            self.unban(ban_id)
        self.assertEqual(self.http.json("DELETE", f"/admin/bans/{ids[0]}", token=root)[0], 404)

    def test_allocations_are_listed_and_can_be_killed(self):
        client = TurnClient(("127.0.0.1", self.turn_port), "alice", "alice-password",
                            local=("127.0.0.55", 0))
        self.assertTrue(client.allocate().is_success)
        address = f"{client.local[0]}:{client.local[1]}"
        root = self.root()
        _, listed = self.http.json("GET", "/admin/allocations?limit=500", token=root)
        mine = next(a for a in listed["allocations"] if a["client"] == address)
        self.assertEqual(mine["username"], "alice")
        self.assertEqual(mine["transport"], "udp")
        self.assertGreater(mine["expiresIn"], 500)
        status, reply = self.http.json("DELETE", f"/admin/allocations?client={address}",
                                       token=root)
        self.assertEqual((status, reply), (200, {"ended": 1}))
        self.assertEqual(client.refresh(600).error_code, 437)
        self.assertEqual(self.http.json("DELETE", f"/admin/allocations?client={address}",
                                        token=root)[0], 404)
        self.assertEqual(self.http.json("DELETE", "/admin/allocations?client=nonsense",
                                        token=root)[0], 400)
        _, audit = self.http.json("GET", "/admin/audit", token=root)
        self.assertIn(("kill-allocation", address),
                      [(e["action"], e["detail"]) for e in audit["entries"]])
        client.close()

    def test_a_tls_allocation_is_listed_as_tls_and_counted(self):
        client = TurnClient(("127.0.0.1", self.tls_port), "alice", "alice-password",
                            transport="tls", tls=ssl.create_default_context(cafile=self.cert))
        self.addCleanup(client.close)
        self.assertTrue(client.allocate().is_success)
        address = f"{client.local[0]}:{client.local[1]}"
        _, listed = self.http.json("GET", "/admin/allocations?limit=500", token=self.root())
        mine = next(a for a in listed["allocations"] if a["client"] == address)
        self.assertEqual(mine["transport"], "tls")
        metrics = self.http.call("GET", "/metrics", token=self.root())[1]
        accepted = re.search(r"^turnpike_relay_tls_connections_accepted_total (\d+)$", metrics,
                             re.M)
        self.assertTrue(accepted and int(accepted.group(1)) >= 1, metrics[-2000:])

    # --- sessions and reports ---

    def pair(self, a_ip, b_ip, proxy=None):
        # Through a trusted proxy, the addresses are the clients' as it forwards them.
        def connect(ip):
            if proxy:
                return WebSocket(self.signal_port, proxy, forwarded_for=ip)
            return WebSocket(self.signal_port, ip)

        a, b = connect(a_ip), connect(b_ip)
        a.next("hello")
        b_id = b.next("hello")["id"]
        a.send({"type": "find", "mode": "text", "lang": "zz-admin"})
        a.next("waiting")
        b.send({"type": "find", "mode": "text", "lang": "zz-admin"})
        a.next("matched")
        b.next("matched")
        return a, b, b_id

    def reported(self, a, b_id, reason, token):
        """a reports its partner b_id; returns the report as the admin API lists it."""
        a.send({"type": "report", "reason": reason})
        a.next("report_received")
        _, reports = self.http.json("GET", "/admin/reports", token=token)
        return next(r for r in reports["reports"] if r["reported"]["session"] == b_id)

    def test_report_is_kept_with_its_context_and_resolved(self):
        a, b, b_id = self.pair("127.0.0.71", "127.0.0.72")
        b.send({"type": "chat", "text": "something rude"})
        a.next("chat")
        root = self.root()
        report = self.reported(a, b_id, "rude", root)
        self.assertEqual(report["reported"]["ip"], "127.0.0.72")
        self.assertEqual(report["reporter"]["ip"], "127.0.0.71")
        self.assertEqual(report["reason"], "rude")
        self.assertIn("them: something rude", report["transcript"])
        self.assertIsNone(report["resolved"])
        status, _ = self.http.json("POST", f"/admin/reports/{report['id']}/resolve",
                                   {"resolution": "warned"}, token=root)
        self.assertEqual(status, 200)
        _, still_open = self.http.json("GET", "/admin/reports", token=root)
        self.assertNotIn(report["id"], [r["id"] for r in still_open["reports"]])
        _, everything = self.http.json("GET", "/admin/reports?status=all", token=root)
        resolved = next(r for r in everything["reports"] if r["id"] == report["id"])
        self.assertEqual(resolved["resolved"]["resolution"], "warned")
        self.assertEqual(resolved["resolved"]["by"], "root")
        self.assertEqual(self.http.json("POST", f"/admin/reports/{report['id']}/resolve",
                                        {"resolution": "again"}, token=root)[0], 404)
        a.close()
        b.close()

    def test_a_reported_ipv6_partner_is_named_by_its_slash_64_which_bans_take(self):
        a, b, b_id = self.pair("2001:db8:71::1", "2001:db8:72::5", proxy="127.0.9.1")
        root = self.root()
        report = self.reported(a, b_id, "rude over IPv6", root)
        self.assertEqual(report["reported"]["ip"], "2001:db8:72::/64")
        self.assertEqual(report["reporter"]["ip"], "2001:db8:71::1")
        status, ban = self.http.json("POST", "/admin/bans",
                                     {"cidr": report["reported"]["ip"], "reason": "test"}, token=root)
        self.assertEqual((status, ban["cidr"]), (201, "2001:db8:72::/64"))
        # The whole /64 is refused, whatever address the client uses next.
        with self.assertRaises(HandshakeRefused) as refused:
            WebSocket(self.signal_port, "127.0.9.1", forwarded_for="2001:db8:72::abcd")
        self.assertEqual(refused.exception.status, 403)
        self.assertEqual(self.http.json("DELETE", f"/admin/bans/{ban['id']}", token=root)[0], 200)
        a.close()
        b.close()

    def test_users_ip_blocks_are_listed_and_can_be_lifted(self):
        a, b, _ = self.pair("127.0.0.131", "127.0.0.132")
        a.send({"type": "block"})
        b.next("partner_left")
        a.close()
        b.close()
        root = self.root()
        status, listed = self.http.json("GET", "/admin/blocks?limit=500", token=root)
        self.assertEqual(status, 200)
        pairs = [(x["a"], x["b"]) for x in listed["blocks"]]
        self.assertIn(("127.0.0.131", "127.0.0.132"), pairs)
        entry = next(x for x in listed["blocks"] if x["a"] == "127.0.0.131")
        self.assertGreater(entry["expires"], time.time() + 3600)
        # Blocked: new sessions from the two addresses are not paired...
        c = WebSocket(self.signal_port, "127.0.0.131")
        d = WebSocket(self.signal_port, "127.0.0.132")
        c.next("hello"), d.next("hello")
        c.send({"type": "find", "mode": "text", "lang": "zz-blocks"})
        c.next("waiting")
        d.send({"type": "find", "mode": "text", "lang": "zz-blocks"})
        d.next("waiting")
        d.sock.settimeout(0.5)
        with self.assertRaises(TimeoutError):
            d.next("matched")
        d.sock.settimeout(5)
        c.send({"type": "leave"}), d.send({"type": "leave"})
        time.sleep(0.2)
        status, _ = self.http.json(
            "DELETE", "/admin/blocks?a=127.0.0.132&b=127.0.0.131", token=root)
        self.assertEqual(status, 200)
        _, listed = self.http.json("GET", "/admin/blocks?limit=500", token=root)
        self.assertNotIn(("127.0.0.131", "127.0.0.132"),
                         [(x["a"], x["b"]) for x in listed["blocks"]])
        # ...until the block is lifted.
        c.send({"type": "find", "mode": "text", "lang": "zz-blocks"})
        c.next("waiting")
        d.send({"type": "find", "mode": "text", "lang": "zz-blocks"})
        d.next("matched")
        self.assertEqual(self.http.json("DELETE", "/admin/blocks?a=x&b=y", token=root)[0], 400)
        self.assertEqual(self.http.json("GET", "/admin/blocks")[0], 401)
        c.close()
        d.close()

    def test_live_sessions_are_listed_and_can_be_disconnected(self):
        a, b, b_id = self.pair("127.0.0.81", "127.0.0.82")
        root = self.root()
        _, listed = self.http.json("GET", "/admin/sessions?limit=500", token=root)
        mine = next(s for s in listed["sessions"] if s["id"] == b_id)
        self.assertEqual(mine["ip"], "127.0.0.82")
        self.assertEqual(mine["state"], "paired")
        self.assertEqual(mine["mode"], "text")
        self.assertTrue(mine["partner"])
        self.assertEqual(self.http.json("DELETE", f"/admin/sessions/{b_id}", token=root)[0], 200)
        self.assertEqual(b.close_code()[0], 1008)
        self.assertEqual(a.next("partner_left")["reason"], "disconnected")
        self.assertEqual(self.http.json("DELETE", f"/admin/sessions/{b_id}", token=root)[0], 404)
        a.close()

    def test_stats_and_metrics_follow_real_traffic(self):
        a, b, _ = self.pair("127.0.0.91", "127.0.0.92")
        a.send({"type": "stats", "path": "relay"})
        client = TurnClient(("127.0.0.1", self.turn_port), "alice", "alice-password",
                            local=("127.0.0.93", 0))
        self.assertTrue(client.allocate().is_success)
        status, stats = self.http.json("GET", "/admin/stats", token=self.root())
        self.assertEqual(status, 200)
        self.assertGreaterEqual(stats["signal"]["pairs"], 1)
        self.assertGreaterEqual(stats["relay"]["allocations"], 1)
        status, text, headers = self.http.call("GET", "/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(headers["Content-Type"].startswith("text/plain"))
        metrics = {}
        for line in text.splitlines():
            if line.startswith("#"):
                continue
            m = re.fullmatch(r"([a-z_]+)(\{[^}]*\})? (\S+)", line)
            self.assertIsNotNone(m, f"not Prometheus text: {line!r}")
            metrics[m.group(1) + (m.group(2) or "")] = float(m.group(3))
        self.assertGreaterEqual(metrics["turnpike_relay_allocations_active"], 1)
        self.assertGreaterEqual(metrics["turnpike_relay_allocations_total"], 1)
        self.assertGreaterEqual(metrics["turnpike_signal_matches_total"], 1)
        self.assertGreaterEqual(metrics['turnpike_signal_call_path_total{path="relay"}'], 1)
        self.assertGreaterEqual(metrics["turnpike_signal_match_seconds_count"], 2)
        self.assertEqual(metrics['turnpike_signal_match_seconds_bucket{le="+Inf"}'],
                         metrics["turnpike_signal_match_seconds_count"])
        self.assertIn('turnpike_relay_dropped_total{reason="no_permission"}', metrics)
        before = metrics["turnpike_relay_allocations_total"]
        second = TurnClient(("127.0.0.1", self.turn_port), "alice", "alice-password",
                            local=("127.0.0.94", 0))
        self.assertTrue(second.allocate().is_success)
        _, text, _ = self.http.call("GET", "/metrics")
        after = float(re.search(r"^turnpike_relay_allocations_total (\S+)$", text, re.M).group(1))
        self.assertEqual(after, before + 1)  # live, not only when a session ends
        self.assertIn("turnpike_relay_tcp_closed_slow_total", metrics)
        self.assertIn("turnpike_relay_tcp_connections_open", metrics)
        self.assertIn("turnpike_relay_tcp_buffer_bytes", metrics)
        self.assertIn("turnpike_relay_tcp_closed_idle_total", metrics)
        # The help texts name the timeouts the relay applies (test_tls measures them).
        self.assertRegex(text, r"(?m)^# HELP turnpike_relay_tcp_closed_idle_total .* after 60 s ")
        self.assertRegex(text, r"(?m)^# HELP turnpike_relay_tcp_closed_slow_total .* first 10 s$")
        bad_before = metrics["turnpike_relay_tcp_closed_bad_input_total"]
        with socket.create_connection(("127.0.0.1", self.turn_port), timeout=3) as junk:
            junk.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertEqual(junk.recv(100), b"", "HTTP on the TURN port was answered")
        _, text, _ = self.http.call("GET", "/metrics")
        bad_after = float(re.search(r"^turnpike_relay_tcp_closed_bad_input_total (\S+)$", text,
                                    re.M).group(1))
        self.assertEqual(bad_after, bad_before + 1)
        for c in (client, second):
            c.close()
        a.close()
        b.close()

    # --- bad input ---

    def test_bad_json_and_oversized_bodies_on_every_post(self):
        root = self.root()
        posts = ["/admin/login", "/admin/bans", "/admin/reports/1/resolve"]
        for path in posts:
            for raw in (b"{not json", b"[]", b"\"text\"", b""):
                status, text, _ = self.http.call("POST", path, raw=raw, token=root)
                self.assertEqual(status, 400, (path, raw))
                self.assertIn("error", json.loads(text))
            status, _, _ = self.http.call("POST", path, raw=b"{" + b" " * 70000 + b"}",
                                          token=root)
            self.assertEqual(status, 413, path)
        for body in ({"cidr": "10.1.2.3/8", "reason": "x"}, {"cidr": "nonsense", "reason": "x"},
                     {"cidr": "10.0.0.1", "reason": "x", "expiresIn": -5},
                     {"cidr": "10.0.0.1"}):
            self.assertEqual(self.http.json("POST", "/admin/bans", body, root)[0], 400, body)

    def test_unknown_paths_and_methods(self):
        root = self.root()
        self.assertEqual(self.http.call("GET", "/admin/nothing", token=root)[0], 404)
        self.assertEqual(self.http.call("GET", "/", token=root)[0], 404)
        status, _, headers = self.http.call("GET", "/admin/login")
        self.assertEqual(status, 405)
        self.assertEqual(headers["Allow"], "POST")
        self.assertEqual(self.http.call("PUT", "/admin/bans", raw=b"{}", token=root)[0], 405)
        self.assertEqual(self.http.call("POST", "/metrics", raw=b"{}")[0], 405)


def small_node(extra=""):
    """A one-thread node with all three roles on free ports; `ports` is
    [relay, signal, admin]."""
    node = Turnpike("")
    node.ports = [free_port() for _ in range(3)]
    node.write_config(f"""[server]
roles = relay,signal,admin
state-dir = {node.dir.name}
[relay]
listen = 127.0.0.1:{node.ports[0]}
threads = 1
[signal]
listen = 127.0.0.1:{node.ports[1]}
[admin]
listen = 127.0.0.1:{node.ports[2]}
{extra}""")
    return node


class Persistence(unittest.TestCase):
    def test_bans_reports_and_accounts_survive_sigkill(self):
        server = small_node()
        ports = server.ports
        self.assertEqual(add_user(server.config_path, "root", "superadmin",
                                  ROOT_PASSWORD).returncode, 0)
        try:
            server.start()
            http = Http(ports[2])
            token = http.login("root", ROOT_PASSWORD)
            status, ban = http.json("POST", "/admin/bans",
                                    {"cidr": "127.0.0.111", "reason": "kept"}, token)
            self.assertEqual(status, 201)
            a = WebSocket(ports[1], "127.0.0.112")
            b = WebSocket(ports[1], "127.0.0.113")
            a.next("hello"), b.next("hello")
            a.send({"type": "find", "mode": "text"}); a.next("waiting")
            b.send({"type": "find", "mode": "text"}); b.next("matched")
            b.send({"type": "report", "reason": "kept too"}); b.next("report_received")
            server.proc.send_signal(signal.SIGKILL)
            server.proc.wait()
            server.notify.close()
            os.unlink(os.path.join(server.dir.name, "notify"))
            server.start()
            token = http.login("root", ROOT_PASSWORD)  # the account survived
            _, bans = http.json("GET", "/admin/bans", token=token)
            self.assertIn(ban["id"], [x["id"] for x in bans["bans"]])
            with self.assertRaises(HandshakeRefused):
                WebSocket(ports[1], "127.0.0.111")
            _, reports = http.json("GET", "/admin/reports", token=token)
            self.assertIn("kept too", [r["reason"] for r in reports["reports"]])
            _, audit = http.json("GET", "/admin/audit", token=token)
            self.assertIn("ban", [e["action"] for e in audit["entries"]])
        finally:
            server.stop()
            server.dir.cleanup()


class ClusterStore(unittest.TestCase):
    """Two nodes with [store] backend = redis on one real redis-server."""

    def test_a_ban_made_on_one_node_bites_on_all(self):
        redis_port = free_port()
        redis = subprocess.Popen(["redis-server", "--port", str(redis_port), "--bind",
                                  "127.0.0.1", "--save", "", "--appendonly", "no"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        nodes = []
        try:
            deadline = time.monotonic() + 10
            while subprocess.run(["redis-cli", "-p", str(redis_port), "ping"],
                                 capture_output=True, text=True).stdout.strip() != "PONG":
                self.assertLess(time.monotonic(), deadline, "redis-server did not start")
                time.sleep(0.05)
            for _ in range(2):
                nodes.append(small_node(f"""[matcher]
backend = redis
redis-url = redis://127.0.0.1:{redis_port}/0
[store]
backend = redis
"""))
            # One account, made through the first node's config, logs in on both.
            self.assertEqual(add_user(nodes[0].config_path, "root", "superadmin",
                                      ROOT_PASSWORD).returncode, 0)
            for node in nodes:
                node.start()
            one, two = Http(nodes[0].ports[2]), Http(nodes[1].ports[2])
            token_two = two.login("root", ROOT_PASSWORD)
            WebSocket(nodes[1].ports[1], "127.0.0.121").close()
            status, ban = one.json("POST", "/admin/bans",
                                   {"cidr": "127.0.0.121", "reason": "everywhere"},
                                   one.login("root", ROOT_PASSWORD))
            self.assertEqual(status, 201)
            time.sleep(1.5)  # the other node reads the bans once a second
            with self.assertRaises(HandshakeRefused):
                WebSocket(nodes[1].ports[1], "127.0.0.121")
            _, listed = two.json("GET", "/admin/bans", token=token_two)
            self.assertIn(ban["id"], [b["id"] for b in listed["bans"]])
            self.assertEqual(two.json("DELETE", f"/admin/bans/{ban['id']}",
                                      token=token_two)[0], 200)
            time.sleep(1.5)
            WebSocket(nodes[0].ports[1], "127.0.0.121").close()
            _, audit = one.json("GET", "/admin/audit", token=one.login("root", ROOT_PASSWORD))
            self.assertIn("unban", [e["action"] for e in audit["entries"]])
        finally:
            for node in nodes:
                node.stop()
                node.dir.cleanup()
            redis.kill()
            redis.wait()


if __name__ == "__main__":
    unittest.main(verbosity=2)
