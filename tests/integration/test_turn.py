"""TURN (RFC 8656) against a real turnpike: long-term and REST credentials,
allocations, permissions, Send/Data indications, channels, the peer-address
policy, quotas and their reload, hostile input, and coturn's turnutils_uclient
as a second, independent client.

Every packet goes to 127.0.0.0/8 or ::1. The peer-policy tests name private
and other forbidden addresses only inside STUN attributes: the server refuses
them, and no packet is ever sent to them.
"""
import base64
import hashlib
import hmac
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import unittest

from harness import Turnpike, free_port
from turn_client import (ADDRESS_ERROR_CODE, ALLOCATE, CHANNEL_BIND, CHANNEL_NUMBER,
                         CREATE_PERMISSION, DATA_ATTR, DONT_FRAGMENT, EVEN_PORT, FAMILY_IPV4,
                         FAMILY_IPV6, INDICATION, LIFETIME, NONCE, PROTO_TCP, REALM, REFRESH,
                         REQUEST, REQUESTED_ADDRESS_FAMILY, REQUESTED_TRANSPORT, RESERVATION_TOKEN,
                         SEND, UNKNOWN_ATTRIBUTES, USERNAME, XOR_MAPPED_ADDRESS, XOR_PEER_ADDRESS,
                         XOR_RELAYED_ADDRESS, Peer, TurnClient, encode, long_term_key,
                         rest_credentials, u32, xor_peer)

REALM_NAME = "turnpike"
USER, PASSWORD = "alice", "secret1"
SECRET = base64.b64encode(os.urandom(24)).decode()
CHANNEL_MIN, CHANNEL_MAX = 0x4000, 0x4FFF
QUIET = 0.5  # how long "nothing arrives" is watched for


def ipv6_loopback():
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


HAVE_IPV6 = ipv6_loopback()

# Relay port ranges, one per server, below the kernel's ephemeral range
# (32768-60999 on Linux) so no client socket of ours can sit in one; the
# start moves from run to run so another program on a fixed port cannot
# break every run. A run uses about 4500 ports.
_next_port_range = [24000 + 2 * random.randrange(1000)]


def port_range(size):
    # Ranges start on an even port, so EVEN-PORT tests know where the even
    # port of a two-port range is.
    start = _next_port_range[0] + (_next_port_range[0] % 2)
    _next_port_range[0] = start + size + (size % 2)
    return start, start + size - 1


def settings(relay=None, auth=None, quotas=None, server=None, ports=200):
    """A full set of config sections for one test server, nested dicts of
    turnpike's own key names (conf/turnpike.conf)."""
    low, high = port_range(ports)
    merged = {
        "server": {"roles": "relay", "realm": REALM_NAME, "log-level": "debug"},
        "relay": {"listen": f"127.0.0.1:{free_port()}", "threads": "2",
                  "min-port": str(low), "max-port": str(high),
                  "allow-loopback-peers": "true"},
        "auth": {"users": f"{USER}:{PASSWORD}", "static-auth-secret": SECRET},
        "quotas": {"user-quota": "0"},
    }
    for section, values in (("relay", relay), ("auth", auth), ("quotas", quotas),
                            ("server", server)):
        merged[section].update({k: str(v) for k, v in (values or {}).items()})
    return merged


def config_text(sections):
    return "".join(f"[{name}]\n" + "".join(f"{k} = {v}\n" for k, v in keys.items())
                   for name, keys in sections.items())


class TurnpikeServer:
    """The server under test, started from `settings()`."""

    def __init__(self, sections, max_files=None):
        self.sections = sections
        host, port = sections["relay"]["listen"].rsplit(":", 1)
        self.address = (host.strip("[]"), int(port))
        self.min_port = int(sections["relay"]["min-port"])
        self.max_port = int(sections["relay"]["max-port"])
        self.process = Turnpike(config_text(sections), max_files=max_files)

    def start(self):
        self.process.start()
        return self

    def reload(self, sections):
        """Rewrites the config and sends SIGHUP; returns once READY=1 is back."""
        self.sections = sections
        self.process.write_config(config_text(sections))
        self.process.signal(signal.SIGHUP)
        self.process.wait_notify("READY=1")

    def alive(self):
        return self.process.proc is not None and self.process.proc.poll() is None

    def output(self):
        return self.process.output()

    def stop(self):
        self.process.stop()
        self.process.dir.cleanup()


def launch(sections, owner=None, max_files=None):
    """Starts the server under test. (`owner` is the test class; unused here.)
    free_port() can race with another socket: on "in use", try another port.
    max_files: the server's descriptor limit, when set."""
    for attempt in range(3):
        server = TurnpikeServer(sections, max_files)
        try:
            return server.start()
        except RuntimeError as error:
            server.process.stop()
            server.process.dir.cleanup()
            if "in use" not in str(error) or attempt == 2:
                raise
            sections["relay"]["listen"] = f"127.0.0.1:{free_port()}"


class TurnTest(unittest.TestCase):
    """Starts one server per class from `server_settings()`; helpers for
    clients and peers that clean up after themselves."""

    transport = "udp"

    @classmethod
    def server_settings(cls):
        return settings()

    @classmethod
    def setUpClass(cls):
        cls.server = launch(cls.server_settings(), owner=cls)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def tearDown(self):
        # Whatever a test did, the server must still be there.
        if not self.server.alive():
            self.fail("the server died:\n" + self.server.output()[-4000:])

    # -- helpers --

    def counters(self):
        """The relay's counters, from the log line SIGUSR1 asks for."""
        before = self.server.output().count("stats: ")
        self.server.process.signal(signal.SIGUSR1)
        deadline = time.monotonic() + 5
        while self.server.output().count("stats: ") == before:
            self.assertLess(time.monotonic(), deadline, "no stats line after SIGUSR1")
            time.sleep(0.05)
        line = [l for l in self.server.output().splitlines() if "stats: " in l][-1]
        return {k: int(v) for k, v in (item.split("=") for item in line.split("stats: ")[1].split())}

    def client(self, username=USER, password=PASSWORD, transport=None, **kwargs):
        client = TurnClient(self.server.address, username, password,
                            transport=transport or self.transport, **kwargs)

        def cleanup():
            # Free the allocation so quotas and ports do not leak between tests.
            try:
                if client.relayed is not None:
                    client.refresh(0, timeout=0.5)
            except Exception:  # the test may have broken the stream on purpose
                pass
            client.close()
        self.addCleanup(cleanup)
        return client

    def allocated(self, **kwargs):
        """A client with an allocation; allocate() keywords pass through."""
        allocate_args = {k: kwargs.pop(k) for k in list(kwargs)
                         if k in ("lifetime", "even_port", "reservation_token", "family",
                                  "additional_family", "dont_fragment")}
        client = self.client(**kwargs)
        self.assertSuccess(client.allocate(**allocate_args))
        return client

    def peer(self, host="127.0.0.1"):
        peer = Peer(host)
        self.addCleanup(peer.close)
        return peer

    def assertSuccess(self, response, what="request"):
        self.assertIsNotNone(response, f"no answer to the {what}")
        self.assertTrue(response.is_success,
                        f"{what}: {response.error_code} {response.reason!r}")
        if response.authenticated_request:
            self.assertIs(response.integrity, True, f"{what}: MESSAGE-INTEGRITY of the response")
        self.assertIsNot(response.fingerprint, False)
        return response

    def assertError(self, response, code, what="request", authentic=True):
        """An error response with `code`. After a request passed
        authentication, RFC 8489 section 9.2.4 wants MESSAGE-INTEGRITY on
        every response, errors included."""
        self.assertIsNotNone(response, f"no answer to the {what} (expected {code})")
        self.assertTrue(response.is_error, f"{what}: expected {code}, got success")
        self.assertEqual(response.error_code, code, f"{what}: {response.reason!r}")
        if authentic and response.authenticated_request:
            self.assertIs(response.integrity, True,
                          f"{what}: {code} after authentication needs MESSAGE-INTEGRITY")
        self.assertIsNot(response.fingerprint, False)
        return response

    def assertRejectedOrDropped(self, response, what="malformed request"):
        if response is not None:
            self.assertTrue(response.is_error, f"{what} succeeded")
            self.assertEqual(response.error_code, 400, f"{what}: {response.reason!r}")

    def assertNothing(self, source, what="packet", timeout=QUIET):
        got = source.recv(timeout)
        self.assertIsNone(got, f"unexpected {what}: {got!r}")

    def expect_peer(self, peer, payload, source, timeout=2.0):
        got = peer.recv(timeout)
        self.assertIsNotNone(got, "nothing reached the peer")
        self.assertEqual(got, (payload, source))

    def expect_data(self, client, payload, peer_address, timeout=2.0):
        got = client.recv(timeout)
        self.assertIsNotNone(got, "nothing came back from the relay")
        self.assertEqual(got.kind, "data", got)
        self.assertEqual((got.peer, got.data), (peer_address, payload))
        return got

    def expect_channel(self, client, payload, channel, timeout=2.0):
        got = client.recv(timeout)
        self.assertIsNotNone(got, "nothing came back from the relay")
        self.assertEqual(got.kind, "channel", got)
        self.assertEqual((got.channel, got.data), (channel, payload))
        return got

    def served(self):
        """The server still allocates and relays, end to end."""
        client = self.allocated()
        peer = self.peer()
        self.assertSuccess(client.create_permission(peer.address))
        client.send_indication(peer.address, b"still here")
        self.expect_peer(peer, b"still here", client.relayed)

    def stopped(self):
        """Whether every thread of the server has stopped (state T)."""
        tasks = f"/proc/{self.server.process.proc.pid}/task"
        for tid in os.listdir(tasks):
            with open(f"{tasks}/{tid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] != "T":
                    return False
        return True

    def burst(self, send, payloads):
        """send(payload) for each payload while the server is stopped
        (SIGSTOP), so that it finds the whole burst queued and reads it in
        one batch."""
        # kill() returns before the threads stop: wait until they have, or a
        # worker may still read the first datagrams of the burst on their own.
        self.server.process.signal(signal.SIGSTOP)
        deadline = time.monotonic() + 5
        while not self.stopped():
            self.assertLess(time.monotonic(), deadline, "the server did not stop")
            time.sleep(0.01)
        try:
            for payload in payloads:
                send(payload)
        finally:
            self.server.process.signal(signal.SIGCONT)


# --- authentication ------------------------------------------------------------------------------

HASHED_USER, HASHED_PASSWORD = "dave", "correct horse"


class Authentication(TurnTest):
    @classmethod
    def server_settings(cls):
        key = long_term_key(HASHED_USER, REALM_NAME, HASHED_PASSWORD).hex()
        return settings(auth={"nonce-lifetime": 2,
                              "users": f"{USER}:{PASSWORD}, {HASHED_USER}:0x{key}"})

    def test_unauthenticated_allocate_gets_401_with_realm_and_nonce(self):
        client = self.client(username=None)
        response = client.allocate()
        self.assertError(response, 401)
        self.assertEqual(response.get(REALM), REALM_NAME.encode())
        self.assertTrue(response.get(NONCE))
        self.assertIsNone(response.xor_address())
        self.assertIsNot(response.fingerprint, False)

    def test_every_unauthenticated_request_is_challenged(self):
        client = self.client(username=None)
        first = client.allocate()
        second = client.allocate()
        self.assertError(first, 401)
        self.assertError(second, 401)
        self.assertTrue(second.get(NONCE))

    def test_wrong_password(self):
        client = self.client(password="wrong")
        response = client.allocate()
        self.assertError(response, 401, authentic=False)
        self.assertEqual([r.error_code for r in client.responses], [401, 401],
                         "challenge, then rejection of the credentials")
        self.assertIsNone(client.relayed)

    def test_user_given_as_a_key(self):
        # users = name:0x<MD5(name:realm:password)>, as coturn's turnadmin -k prints.
        self.allocated(username=HASHED_USER, password=HASHED_PASSWORD)
        self.assertError(self.client(HASHED_USER, "wrong").allocate(), 401, authentic=False)

    def test_unknown_user(self):
        response = self.client(username="mallory", password="x").allocate()
        self.assertError(response, 401, authentic=False)

    def test_tampered_message_integrity(self):
        client = self.client()
        self.assertSuccess(client.allocate())
        bad = bytearray(encode(REFRESH, REQUEST, [(USERNAME, USER.encode()), (REALM, client.realm),
                                                   (NONCE, client.nonce)], key=client.key,
                               fingerprint=False))
        bad[-1] ^= 0x01  # last byte of the HMAC
        response = client.transact(bytes(bad), bytes(bad[8:20]))
        self.assertError(response, 401, authentic=False)

    def test_message_integrity_missing(self):
        client = self.client()
        client.allocate()  # learn realm and nonce
        response = client.request(REFRESH, integrity=False)
        self.assertError(response, 401, authentic=False)

    def test_message_integrity_without_nonce_is_400(self):
        client = self.client()
        self.assertSuccess(client.allocate())
        tid = os.urandom(12)
        message = encode(REFRESH, REQUEST, [(USERNAME, USER.encode()), (REALM, client.realm)],
                         transaction=tid, key=client.key)
        self.assertError(client.transact(message, tid), 400, authentic=False)

    def test_stale_nonce_gets_438_and_the_client_recovers(self):
        client = self.client()
        self.assertSuccess(client.allocate())
        old_nonce = client.nonce
        time.sleep(3.1)  # nonce-lifetime = 2, plus a second for whole-second clocks
        response = client.refresh()
        self.assertSuccess(response, "Refresh with a new nonce")
        stale = [r for r in client.responses if r.error_code == 438]
        self.assertTrue(stale, "the old nonce was not refused with 438")
        self.assertTrue(stale[0].get(NONCE))
        self.assertNotEqual(stale[0].get(NONCE), old_nonce)
        self.assertEqual(stale[0].get(REALM), REALM_NAME.encode())
        self.assertEqual(response.lifetime, 600)

    def test_allocation_keeps_its_username(self):
        # RFC 8656 section 5: a later request on the allocation's 5-tuple
        # that authenticates as someone else gets 441.
        client = self.client()
        self.assertSuccess(client.allocate())
        client.username, client.password = rest_credentials(SECRET, "someone-else")
        self.assertError(client.refresh(), 441)


class RestCredentials(TurnTest):
    """TURN REST API credentials (static-auth-secret) next to static users."""

    def test_rest_credential_accepted(self):
        username, password = rest_credentials(SECRET, "bob")
        client = self.client(username, password)
        response = self.assertSuccess(client.allocate())
        self.assertEqual(response.xor_address()[0], "127.0.0.1")
        peer = self.peer()
        self.assertSuccess(client.create_permission(peer.address))
        self.assertSuccess(client.refresh())

    def test_static_user_still_accepted(self):
        self.allocated()

    def test_expired_rest_username(self):
        username, password = rest_credentials(SECRET, "bob", expiry=int(time.time()) - 60)
        self.assertError(self.client(username, password).allocate(), 401, authentic=False)

    def test_tampered_rest_password(self):
        username, password = rest_credentials(SECRET, "bob")
        tampered = ("B" if password[0] != "B" else "C") + password[1:]
        self.assertError(self.client(username, tampered).allocate(), 401, authentic=False)

    def test_rest_password_from_another_secret(self):
        username, password = rest_credentials("not-the-secret", "bob")
        self.assertError(self.client(username, password).allocate(), 401, authentic=False)

    def test_rest_username_that_is_not_a_timestamp(self):
        username = "tomorrow:bob"
        password = base64.b64encode(hmac.new(SECRET.encode(), username.encode(),
                                             hashlib.sha1).digest()).decode()
        self.assertError(self.client(username, password).allocate(), 401, authentic=False)


# --- allocations ---------------------------------------------------------------------------------

class Allocations(TurnTest):
    @classmethod
    def server_settings(cls):
        return settings(quotas={"max-lifetime": 1200}, ports=100)

    def test_allocate_success(self):
        client = self.client()
        response = self.assertSuccess(client.allocate())
        host, port = client.relayed
        self.assertEqual(host, "127.0.0.1")
        self.assertTrue(self.server.min_port <= port <= self.server.max_port, port)
        self.assertEqual(client.mapped, client.local)
        self.assertEqual(response.lifetime, 600, "the default lifetime")
        self.assertIs(response.fingerprint, True, "FINGERPRINT in the response")
        self.assertEqual(len(response.all(XOR_RELAYED_ADDRESS)), 1, "one XOR-RELAYED-ADDRESS")

    def test_relay_ports_are_distinct(self):
        ports = {self.allocated().relayed[1] for _ in range(5)}
        self.assertEqual(len(ports), 5)

    def test_relayed_port_is_bound_by_the_server(self):
        client = self.allocated()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            with self.assertRaises(OSError):
                s.bind(client.relayed)

    def test_lifetime_rules(self):
        # RFC 8656 section 7.2: min(asked, max-lifetime), never below the
        # default 600; the same for Refresh (section 8.2).
        for asked, granted in ((900, 900), (5000, 1200), (30, 600), (600, 600)):
            with self.subTest(allocate=asked):
                client = self.client()
                self.assertEqual(self.assertSuccess(client.allocate(lifetime=asked)).lifetime,
                                 granted)
        client = self.allocated()
        for asked, granted in ((900, 900), (5000, 1200), (1, 600), (None, 600)):
            with self.subTest(refresh=asked):
                self.assertEqual(self.assertSuccess(client.refresh(asked)).lifetime, granted)

    def test_second_allocate_on_the_same_5tuple_is_437(self):
        client = self.allocated()
        self.assertError(client.allocate(), 437)

    def test_retransmitted_allocate_gets_the_same_success(self):
        client = self.client()
        first = self.assertSuccess(client.allocate())
        again = client.retransmit_last()
        self.assertSuccess(again, "retransmitted Allocate")
        self.assertEqual(again.transaction, first.transaction)
        self.assertEqual(again.xor_address(), first.xor_address())
        self.assertEqual(again.xor_address(XOR_MAPPED_ADDRESS),
                         first.xor_address(XOR_MAPPED_ADDRESS))

    def test_missing_requested_transport_is_400(self):
        self.assertError(self.client().allocate(requested_transport=False), 400)

    def test_requested_transport_tcp_is_442(self):
        # Turnpike relays UDP only (no RFC 6062 TCP allocations).
        self.assertError(self.client().allocate(transport=PROTO_TCP), 442)

    def test_requested_transport_unknown_protocol_is_442(self):
        self.assertError(self.client().allocate(transport=99), 442)

    def test_requested_address_family_ipv6_without_ipv6_relay_is_440(self):
        # Only 127.0.0.1 is listened on and relay-ip is empty: the server has
        # no IPv6 relay address to give.
        self.assertError(self.client().allocate(family=FAMILY_IPV6), 440)

    def test_requested_address_family_ipv4(self):
        client = self.allocated(family=FAMILY_IPV4)
        self.assertEqual(client.relayed[0], "127.0.0.1")

    def test_requested_address_family_unknown_is_440(self):
        self.assertError(self.client().allocate(family=0x07), 440)

    def test_dual_allocation_without_ipv6_gets_ipv4_and_address_error_code(self):
        # RFC 8656 section 7.2 item 9: a partial dual allocation succeeds with
        # the IPv4 address and ADDRESS-ERROR-CODE 440 for the family it lacks.
        client = self.client()
        response = self.assertSuccess(client.allocate(additional_family=FAMILY_IPV6))
        self.assertEqual([a[0] for a in client.relayed_all], ["127.0.0.1"])
        error = response.get(ADDRESS_ERROR_CODE)
        self.assertIsNotNone(error, "ADDRESS-ERROR-CODE")
        self.assertEqual(error[0], FAMILY_IPV6)
        self.assertEqual((error[2] & 7) * 100 + error[3], 440)

    def test_additional_address_family_ipv4_is_400(self):
        self.assertError(self.client().allocate(additional_family=FAMILY_IPV4), 400)

    def test_requested_and_additional_address_family_is_400(self):
        self.assertError(self.client().allocate(family=FAMILY_IPV4,
                                                additional_family=FAMILY_IPV6), 400)

    def test_even_port(self):
        for _ in range(4):
            client = self.allocated(even_port=False)
            self.assertEqual(client.relayed[1] % 2, 0, client.relayed)
            self.assertIsNone(client.reservation_token)

    def test_even_port_with_reservation(self):
        first = self.allocated(even_port=True)
        port = first.relayed[1]
        self.assertEqual(port % 2, 0)
        token = first.reservation_token
        self.assertIsNotNone(token, "RESERVATION-TOKEN in the response")
        self.assertEqual(len(token), 8)
        self.assertLessEqual(port + 1, self.server.max_port)
        # The reserved port goes to nobody else...
        for _ in range(3):
            self.assertNotEqual(self.allocated().relayed[1], port + 1)
        # ... and to whoever shows the token, from any 5-tuple.
        second = self.allocated(reservation_token=token)
        self.assertEqual(second.relayed, ("127.0.0.1", port + 1))
        # A token is good once.
        self.assertError(self.client().allocate(reservation_token=token), 508)

    def test_reservation_token_with_even_port_is_400(self):
        first = self.allocated(even_port=True)
        self.assertError(self.client().allocate(reservation_token=first.reservation_token,
                                                even_port=False), 400)

    def test_reservation_token_with_requested_address_family_is_400(self):
        first = self.allocated(even_port=True)
        self.assertError(self.client().allocate(reservation_token=first.reservation_token,
                                                family=FAMILY_IPV4), 400)

    def test_unknown_reservation_token_is_508(self):
        self.assertError(self.client().allocate(reservation_token=os.urandom(8)), 508)

    def test_dont_fragment(self):
        # Either supported, or refused as an unknown comprehension-required
        # attribute (RFC 8656 section 7.2 item 4).
        client = self.client()
        response = client.allocate(dont_fragment=True)
        self.assertIsNotNone(response)
        if response.is_error:
            self.assertEqual(response.error_code, 420)
            listed = struct.unpack("!%dH" % (len(response.get(UNKNOWN_ATTRIBUTES)) // 2),
                                   response.get(UNKNOWN_ATTRIBUTES))
            self.assertIn(DONT_FRAGMENT, listed)
            return
        self.assertSuccess(response)
        peer = self.peer()
        self.assertSuccess(client.create_permission(peer.address))
        client.send_indication(peer.address, b"df", dont_fragment=True)
        self.expect_peer(peer, b"df", client.relayed)

    def test_unknown_comprehension_required_attribute_is_420(self):
        client = self.client()
        response = client.allocate(extra=[(0x0033, b"abcd")])
        self.assertError(response, 420, authentic=False)
        listed = struct.unpack("!%dH" % (len(response.get(UNKNOWN_ATTRIBUTES)) // 2),
                               response.get(UNKNOWN_ATTRIBUTES))
        self.assertIn(0x0033, listed)

    def test_refresh_and_delete(self):
        client = self.allocated()
        relayed = client.relayed
        self.assertEqual(self.assertSuccess(client.refresh(900)).lifetime, 900)
        deleted = self.assertSuccess(client.refresh(0), "Refresh with LIFETIME 0")
        self.assertEqual(deleted.lifetime, 0)
        client.relayed = None
        self.assertError(client.refresh(), 437)
        self.assertError(client.create_permission("127.0.0.1"), 437)
        # The relayed port is closed with the allocation...
        peer = self.peer()
        peer.send(b"anyone?", relayed)
        self.assertNothing(client, "data after the allocation was deleted")
        # ... and the 5-tuple is free for a new one.
        self.assertSuccess(client.allocate())

    def test_requests_without_an_allocation_are_437(self):
        client = self.client()
        self.assertError(client.refresh(), 437)
        self.assertError(client.create_permission("127.0.0.1"), 437)
        self.assertError(client.channel_bind(CHANNEL_MIN, ("127.0.0.1", 5000)), 437)

    def test_indications_and_channel_data_without_an_allocation_are_ignored(self):
        peer = self.peer()
        client = self.client()
        client.send_indication(peer.address, b"no allocation")
        client.send_channel_data(CHANNEL_MIN, b"no allocation")
        self.assertNothing(peer)
        self.assertNothing(client)

    def test_tcp_allocation(self):
        client = self.client(transport="tcp")
        self.assertSuccess(client.allocate())
        self.assertEqual(client.mapped, client.local)
        self.assertEqual(client.relayed[0], "127.0.0.1")

    def test_a_burst_from_peers_reaches_a_tcp_client_whole_and_in_order(self):
        """The datagrams one wakeup reads for a TCP client leave in one write;
        every frame in it keeps its framing and padding, channel or Data
        indication alike."""
        client = self.client(transport="tcp")
        self.assertSuccess(client.allocate())
        bound, unbound = self.peer(), self.peer()
        self.assertSuccess(client.create_permission(unbound.address))
        self.assertSuccess(client.channel_bind(CHANNEL_MIN, bound.address))
        payloads = [b"%04d" % i + os.urandom(i % 7) for i in range(300)]
        for i, payload in enumerate(payloads):
            (bound if i % 3 else unbound).send(payload, client.relayed)
        for i, payload in enumerate(payloads):
            if i % 3:
                self.expect_channel(client, payload, CHANNEL_MIN)
            else:
                self.expect_data(client, payload, unbound.address)

    def test_a_relay_socket_holds_a_burst_while_the_worker_is_away(self):
        """A relay socket's receive queue holds 400 small datagrams that
        arrive while the server is stopped (the default 208 KB holds about
        250); a worker kept off the CPU by a busy machine must not lose a
        peer's burst. Over TCP, so the client side cannot lose any."""
        client = self.client(transport="tcp")
        self.assertSuccess(client.allocate())
        peer = self.peer()
        self.assertSuccess(client.channel_bind(CHANNEL_MIN, peer.address))
        payloads = [b"%04d" % i + os.urandom(i % 13) for i in range(400)]
        self.burst(lambda payload: peer.send(payload, client.relayed), payloads)
        for payload in payloads:
            self.expect_channel(client, payload, CHANNEL_MIN)


class PortRange(TurnTest):
    """Two relay ports: a reservation holds the second one."""

    @classmethod
    def server_settings(cls):
        return settings(ports=2)

    def test_exhaustion_is_508_and_reservations_hold(self):
        first = self.allocated(even_port=True)
        self.assertEqual(first.relayed[1], self.server.min_port)
        self.assertIsNotNone(first.reservation_token)
        self.assertError(self.client().allocate(), 508)
        second = self.allocated(reservation_token=first.reservation_token)
        self.assertEqual(second.relayed[1], self.server.max_port)
        self.assertError(self.client().allocate(), 508)
        self.assertSuccess(first.refresh(0))
        first.relayed = None
        third = self.allocated()
        self.assertEqual(third.relayed[1], self.server.min_port)


@unittest.skipUnless(HAVE_IPV6, "no IPv6 loopback")
class DualStack(TurnTest):
    """relay-ip names one IPv4 and one IPv6 address."""

    @classmethod
    def server_settings(cls):
        return settings(relay={"relay-ip": "127.0.0.1, ::1"})

    def test_ipv4_by_default(self):
        self.assertEqual(self.allocated().relayed[0], "127.0.0.1")

    def test_ipv6_allocation_relays_to_an_ipv6_peer(self):
        client = self.allocated(family=FAMILY_IPV6)
        self.assertEqual(client.relayed[0], "::1")
        self.assertEqual(client.mapped, client.local, "XOR-MAPPED-ADDRESS stays IPv4")
        peer = self.peer("::1")
        self.assertSuccess(client.create_permission(peer.address))
        client.send_indication(peer.address, b"over six")
        self.expect_peer(peer, b"over six", client.relayed)
        peer.send(b"and back", client.relayed)
        self.expect_data(client, b"and back", peer.address)
        self.assertSuccess(client.channel_bind(CHANNEL_MIN + 6, peer.address))
        client.send_channel_data(CHANNEL_MIN + 6, b"channel six")
        self.expect_peer(peer, b"channel six", client.relayed)
        peer.send(b"channel back", client.relayed)
        self.expect_channel(client, b"channel back", CHANNEL_MIN + 6)

    def test_peer_address_family_mismatch_is_443(self):
        v4 = self.allocated()
        self.assertError(v4.create_permission("::1"), 443)
        self.assertError(v4.channel_bind(CHANNEL_MIN, ("::1", 5000)), 443)
        v6 = self.allocated(family=FAMILY_IPV6)
        self.assertError(v6.create_permission("127.0.0.1"), 443)

    def test_dual_allocation(self):
        self.skipTest("dual allocation (ADDITIONAL-ADDRESS-FAMILY) is not implemented: Turnpike "
                      "answers IPv4 with ADDRESS-ERROR-CODE 440, which "
                      "test_dual_allocation_without_ipv6_gets_ipv4_and_address_error_code checks")
        client = self.client()
        response = self.assertSuccess(client.allocate(additional_family=FAMILY_IPV6))
        families = sorted(a[0] for a in client.relayed_all)
        self.assertEqual(families, ["127.0.0.1", "::1"], response)
        self.assertIsNone(response.get(ADDRESS_ERROR_CODE),
                          "no ADDRESS-ERROR-CODE when both were given")
        peer4, peer6 = self.peer(), self.peer("::1")
        self.assertSuccess(client.create_permission(peer4.address))
        self.assertSuccess(client.create_permission(peer6.address))
        relayed4 = [a for a in client.relayed_all if a[0] == "127.0.0.1"][0]
        relayed6 = [a for a in client.relayed_all if a[0] == "::1"][0]
        client.send_indication(peer4.address, b"four")
        self.expect_peer(peer4, b"four", relayed4)
        client.send_indication(peer6.address, b"six")
        self.expect_peer(peer6, b"six", relayed6)


# --- the data plane ------------------------------------------------------------------------------

class DataPlaneUdp(TurnTest):
    transport = "udp"

    def test_send_indication_and_data_indication(self):
        client = self.allocated()
        peer = self.peer()
        self.assertSuccess(client.create_permission(peer.address))
        payload = os.urandom(333)
        client.send_indication(peer.address, payload)
        self.expect_peer(peer, payload, client.relayed)
        reply = os.urandom(777)
        peer.send(reply, client.relayed)
        got = self.expect_data(client, reply, peer.address)
        self.assertEqual(got.message.cls, INDICATION)

    def test_empty_and_odd_sized_payloads(self):
        client = self.allocated()
        peer = self.peer()
        self.assertSuccess(client.create_permission(peer.address))
        for size in (1, 2, 3, 5, 1200):
            payload = os.urandom(size)
            client.send_indication(peer.address, payload)
            self.expect_peer(peer, payload, client.relayed)
            peer.send(payload[::-1], client.relayed)
            self.expect_data(client, payload[::-1], peer.address)

    def test_without_permission_the_peer_is_dropped(self):
        client = self.allocated()
        peer = self.peer()
        peer.send(b"let me in", client.relayed)
        self.assertNothing(client, "data from a peer without permission")
        client.send_indication(peer.address, b"out")
        self.assertNothing(peer, "data to a peer without permission")

    def test_permission_is_per_ip_address_not_port(self):
        client = self.allocated()
        allowed, other_port, other_ip = self.peer(), self.peer(), self.peer("127.0.0.2")
        self.assertSuccess(client.create_permission(("127.0.0.1", 1)))
        other_port.send(b"same ip", client.relayed)
        self.expect_data(client, b"same ip", other_port.address)
        allowed.send(b"also", client.relayed)
        self.expect_data(client, b"also", allowed.address)
        other_ip.send(b"other ip", client.relayed)
        self.assertNothing(client, "data from 127.0.0.2")

    def test_create_permission_with_several_addresses(self):
        client = self.allocated()
        one, two = self.peer("127.0.0.1"), self.peer("127.0.0.2")
        self.assertSuccess(client.create_permission(one.address, two.address))
        for peer in (one, two):
            peer.send(b"hi from " + peer.address[0].encode(), client.relayed)
            self.expect_data(client, b"hi from " + peer.address[0].encode(), peer.address)

    def test_create_permission_without_peer_address_is_400(self):
        client = self.allocated()
        self.assertError(client.request(CREATE_PERMISSION, []), 400)

    def test_channel_bind_and_channel_data_both_ways(self):
        client = self.allocated()
        for channel in (CHANNEL_MIN, CHANNEL_MAX):
            with self.subTest(channel=hex(channel)):
                peer = self.peer()
                self.assertSuccess(client.channel_bind(channel, peer.address))
                for size in (0, 1, 2, 3, 4, 5, 100, 1300):
                    payload = os.urandom(size)
                    client.send_channel_data(channel, payload)
                    self.expect_peer(peer, payload, client.relayed)
                    peer.send(payload, client.relayed)
                    self.expect_channel(client, payload, channel)

    def test_padded_channel_data_over_udp(self):
        # RFC 8656 section 12.5: padding is optional over UDP, and not payload.
        client = self.allocated()
        peer = self.peer()
        self.assertSuccess(client.channel_bind(CHANNEL_MIN + 1, peer.address))
        client.send_channel_data(CHANNEL_MIN + 1, b"abcde", pad=True)
        self.expect_peer(peer, b"abcde", client.relayed)

    def test_channel_bind_installs_a_permission(self):
        client = self.allocated()
        peer = self.peer()
        self.assertSuccess(client.channel_bind(CHANNEL_MIN + 2, peer.address))
        peer.send(b"bound", client.relayed)
        self.expect_channel(client, b"bound", CHANNEL_MIN + 2)
        # Another port of the same IP has the permission but no channel: a
        # Data indication, not ChannelData.
        other = self.peer()
        other.send(b"unbound port", client.relayed)
        self.expect_data(client, b"unbound port", other.address)

    def test_send_indication_still_works_with_a_channel_bound(self):
        client = self.allocated()
        peer = self.peer()
        self.assertSuccess(client.channel_bind(CHANNEL_MIN + 3, peer.address))
        client.send_indication(peer.address, b"via send")
        self.expect_peer(peer, b"via send", client.relayed)
        peer.send(b"via channel", client.relayed)
        self.expect_channel(client, b"via channel", CHANNEL_MIN + 3)

    def test_channel_bind_rules(self):
        client = self.allocated()
        a, b = self.peer(), self.peer()
        self.assertError(client.channel_bind(0x3FFF, a.address), 400, "channel 0x3FFF")
        # RFC 8656 narrowed channels to 0x4FFF; Turnpike keeps RFC 5766's
        # 0x7FFF because coturn's own turnutils_uclient picks numbers up there.
        self.assertSuccess(client.channel_bind(0x5000, self.peer().address),
                           "channel 0x5000 (RFC 5766)")
        self.assertError(client.channel_bind(0x8000, a.address), 400, "channel 0x8000")
        self.assertSuccess(client.channel_bind(0x4100, a.address))
        self.assertSuccess(client.channel_bind(0x4100, a.address), "rebinding refreshes")
        self.assertError(client.channel_bind(0x4100, b.address), 400, "channel taken")
        self.assertError(client.channel_bind(0x4101, a.address), 400, "peer already bound")
        self.assertError(client.request(CHANNEL_BIND, [xor_peer(b.address)]), 400,
                         "no CHANNEL-NUMBER")
        self.assertError(client.request(CHANNEL_BIND, [(CHANNEL_NUMBER,
                                                        struct.pack("!H2x", 0x4102))]),
                         400, "no XOR-PEER-ADDRESS")
        # The failures changed nothing.
        client.send_channel_data(0x4100, b"still a")
        self.expect_peer(a, b"still a", client.relayed)

    def test_many_datagrams_arrive_intact(self):
        client = self.allocated()
        peer = self.peer()
        self.assertSuccess(client.channel_bind(CHANNEL_MIN + 4, peer.address))
        sent = [struct.pack("!I", i) + os.urandom(60) for i in range(300)]
        # Bursts of 25: enough to fill a recvmmsg batch, not a socket buffer.
        for i, payload in enumerate(sent):
            client.send_channel_data(CHANNEL_MIN + 4, payload)
            if i % 25 == 24:
                time.sleep(0.005)
        got = [data for data, _ in peer.drain(QUIET)]
        self.assertEqual(len(got), len(sent), "datagrams lost from client to peer")
        self.assertEqual(sorted(got), sorted(sent))
        for i, payload in enumerate(sent):
            peer.send(payload, client.relayed)
            if i % 25 == 24:
                time.sleep(0.005)
        back = [item.data for item in client.recv_all(QUIET)]
        self.assertEqual(len(back), len(sent), "datagrams lost from peer to client")
        self.assertEqual(sorted(back), sorted(sent))

    def test_allocations_are_isolated(self):
        a, b = self.allocated(), self.allocated()
        peer = self.peer()
        self.assertSuccess(a.create_permission(peer.address))
        peer.send(b"for a", a.relayed)
        self.expect_data(a, b"for a", peer.address)
        peer.send(b"for b", b.relayed)
        self.assertNothing(b, "data for b without b's permission")
        self.assertNothing(a, "b's data leaking to a")


class UdpSegmentation(TurnTest):
    """[relay] udp-gso: datagrams that leave one socket for one destination
    together go out as one UDP GSO send, and each still arrives whole and in
    order. The server is stopped (SIGSTOP) while a burst is sent, so that it
    finds the whole burst queued and reads it in one batch."""

    gso = "true"
    # Runs of one size; a smaller datagram ends a run, a larger one starts one.
    SIZES = [170] * 10 + [90] + [170] * 5 + [1200] * 4 + [40]
    # Per direction: sends of 11 (ten 170s and the 90), 5 and 5 datagrams.
    SEGMENTED_SENDS, SEGMENTED_DATAGRAMS = 3, 21

    @classmethod
    def server_settings(cls):
        sections = settings()
        sections["relay"]["udp-gso"] = cls.gso
        return sections

    def test_bursts_arrive_whole_and_in_order_both_ways(self):
        client = self.allocated()
        peer = self.peer()
        channel = CHANNEL_MIN + 9
        self.assertSuccess(client.channel_bind(channel, peer.address))
        before = self.counters()
        sent = [struct.pack("!I", i) + os.urandom(size - 4) for i, size in enumerate(self.SIZES)]
        self.burst(lambda p: client.send_channel_data(channel, p), sent)
        self.assertEqual([data for data, _ in peer.drain(QUIET)], sent,
                         "client to peer: lost, changed or reordered")
        self.burst(lambda p: peer.send(p, client.relayed), sent)
        self.assertEqual([item.data for item in client.recv_all(QUIET)], sent,
                         "peer to client: lost, changed or reordered")
        after = self.counters()
        sends = after["udp_segmented_sends"] - before["udp_segmented_sends"]
        datagrams = after["udp_datagrams_segmented"] - before["udp_datagrams_segmented"]
        if self.gso == "true":
            self.assertEqual((sends, datagrams),
                             (2 * self.SEGMENTED_SENDS, 2 * self.SEGMENTED_DATAGRAMS))
        else:
            self.assertEqual((sends, datagrams), (0, 0))
        self.assertEqual(after["dropped_send_failed"], before["dropped_send_failed"])


class UdpSegmentationOff(UdpSegmentation):
    """udp-gso = false: the same bursts, every datagram sent on its own."""
    gso = "false"


def in_own_netns():
    return os.environ.get("TURNPIKE_TEST_NETNS") == "lo-mtu-1500"


@unittest.skipUnless(in_own_netns(), "runs only inside the network namespace that "
                     "PathMtu.test_in_a_namespace_with_a_1500_byte_loopback makes")
class PathMtuInside(TurnTest):
    """Inside a network namespace whose loopback has a 1500-byte MTU: the
    IPv4 sockets, client-facing and relayed, set DF (IP_PMTUDISC_DO), and
    datagrams above the MTU must still arrive both ways, sent again as IP
    fragments, as a socket in the kernel's default mode would have sent
    them; unless the client asked DONT-FRAGMENT."""

    def test_datagrams_above_the_mtu_arrive_both_ways(self):
        client = self.allocated()
        peer = self.peer()
        channel = CHANNEL_MIN + 21
        self.assertSuccess(client.channel_bind(channel, peer.address))
        before = self.counters()
        # 1472 bytes of payload fill a 1500-byte datagram from the peer; to
        # the client it grows by the 4-byte ChannelData header.
        for size in (100, 1472, 1600, 3000, 100):
            payload = os.urandom(size)
            peer.send(payload, client.relayed)
            self.expect_channel(client, payload, channel)
        # A Data indication (36 bytes of TURN around the data) the same way.
        other = self.peer()
        self.assertSuccess(client.create_permission(other.address))
        payload = os.urandom(1460)
        other.send(payload, client.relayed)
        self.expect_data(client, payload, other.address)
        # And from the client to the peer, through the relayed socket.
        for size in (1473, 3000):  # 1472 would fill 1500 bytes exactly
            payload = os.urandom(size)
            client.send_channel_data(channel, payload)
            self.expect_peer(peer, payload, client.relayed)
        after = self.counters()
        self.assertEqual(after["udp_datagrams_fragmented"] - before["udp_datagrams_fragmented"],
                         6, "to the client 1472, 1600 and 3000 bytes on the channel and 1460 "
                         "as Data; to the peer 1473 and 3000")
        self.assertEqual(after["dropped_send_failed"], before["dropped_send_failed"])

    def test_dont_fragment_is_kept_above_the_mtu(self):
        # DONT-FRAGMENT asked for DF: a datagram too large for the path is
        # lost (RFC 8656 section 14), never fragmented.
        client = self.allocated(dont_fragment=True)
        peer = self.peer()
        self.assertSuccess(client.create_permission(peer.address))
        before = self.counters()
        client.send_indication(peer.address, os.urandom(1473), dont_fragment=True)
        self.assertNothing(peer)
        client.send_indication(peer.address, b"fits", dont_fragment=True)
        self.expect_peer(peer, b"fits", client.relayed)
        after = self.counters()
        self.assertEqual(after["udp_datagrams_fragmented"], before["udp_datagrams_fragmented"])
        self.assertEqual(after["dropped_send_failed"] - before["dropped_send_failed"], 1)


class PathMtu(unittest.TestCase):
    def test_in_a_namespace_with_a_1500_byte_loopback(self):
        if os.geteuid() != 0 or shutil.which("unshare") is None or shutil.which("ip") is None:
            self.skipTest("needs root, unshare and ip to make a network namespace")
        here = os.path.dirname(os.path.abspath(__file__))
        command = ("ip link set lo mtu 1500 up && exec " + sys.executable +
                   " -m unittest -v test_turn.PathMtuInside")
        env = dict(os.environ, TURNPIKE_TEST_NETNS="lo-mtu-1500")
        done = subprocess.run(["unshare", "--net", "sh", "-c", command], cwd=here, env=env,
                              capture_output=True, text=True, timeout=120)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        for test in ("test_datagrams_above_the_mtu_arrive_both_ways",
                     "test_dont_fragment_is_kept_above_the_mtu"):
            self.assertRegex(done.stderr, test + r" \(.*\) \.\.\. ok")


class Coalescing(TurnTest):
    """[relay] coalesce-us: a worker that sends coalesce-min-pps datagrams a
    second or more waits coalesce-us after each wakeup, so that it reads more
    at once. A stream above that rate must still arrive whole and in order,
    the waits must be counted, and they must stop with the traffic. The
    thresholds are set low so a Python client reaches them."""

    wait_us = 1000
    RATE = 2000  # datagrams per second, each way: four times coalesce-min-pps
    COUNT = 1000

    @classmethod
    def server_settings(cls):
        # One worker, so the control requests of the second test meet the
        # worker that the stream keeps busy.
        return settings(relay={"coalesce-us": cls.wait_us, "coalesce-min-pps": 500,
                               "threads": 1})

    def stream(self, send, payloads):
        start = time.monotonic()
        for i, payload in enumerate(payloads):
            send(payload)
            delay = start + (i + 1) / self.RATE - time.monotonic()
            if delay > 0:
                time.sleep(delay)

    def test_a_stream_above_the_rate_is_coalesced_and_arrives_in_order(self):
        client = self.allocated()
        peer = self.peer()
        channel = CHANNEL_MIN + 11
        self.assertSuccess(client.channel_bind(channel, peer.address))
        before = self.counters()
        sent = [struct.pack("!I", i) + os.urandom(96) for i in range(self.COUNT)]
        self.stream(lambda p: client.send_channel_data(channel, p), sent)
        self.assertEqual([data for data, _ in peer.drain(QUIET)], sent,
                         "client to peer: lost, changed or reordered")
        self.stream(lambda p: peer.send(p, client.relayed), sent)
        self.assertEqual([item.data for item in client.recv_all(QUIET)], sent,
                         "peer to client: lost, changed or reordered")
        after = self.counters()
        waits = after["coalesced_waits"] - before["coalesced_waits"]
        if self.wait_us == 0:
            self.assertEqual(waits, 0)
        else:
            # About one wait per wakeup while the streams ran (2 x 0.5 s).
            self.assertGreater(waits, 50)
            self.assertLessEqual(waits, 2 * self.COUNT)
        self.assertEqual(after["dropped_send_failed"], before["dropped_send_failed"])
        # Traffic over: the workers sleep in epoll again, no more waits.
        time.sleep(0.2)
        quiet = self.counters()["coalesced_waits"]
        time.sleep(0.5)
        self.assertEqual(self.counters()["coalesced_waits"], quiet)

    def test_requests_are_answered_promptly_while_coalescing(self):
        if self.wait_us == 0:
            self.skipTest("no waits to bound with coalesce-us = 0")
        client = self.allocated()
        peer = self.peer()
        channel = CHANNEL_MIN + 12
        self.assertSuccess(client.channel_bind(channel, peer.address))
        background = threading.Thread(
            target=self.stream,
            args=(lambda p: client.send_channel_data(channel, p), [b"x" * 100] * self.COUNT))
        background.start()
        try:
            time.sleep(0.1)  # the rate is measured over a millisecond: engaged by now
            other = self.allocated()
            start = time.monotonic()
            self.assertSuccess(other.refresh(600))
            elapsed = time.monotonic() - start
        finally:
            background.join()
        peer.drain(QUIET)
        # A Refresh answered after a wait or two, with room for a loaded CI machine.
        self.assertLess(elapsed, self.wait_us / 1e6 + 0.1)


class CoalescingOff(Coalescing):
    """coalesce-us = 0: the same stream, and no waits at all."""
    wait_us = 0


class DataPlaneTcp(DataPlaneUdp):
    """The same over TURN-over-TCP: STUN and padded ChannelData framing on
    one stream (RFC 8656 section 12.5)."""
    transport = "tcp"

    def test_padded_channel_data_over_udp(self):
        self.skipTest("UDP only")

    def test_pipelined_stream(self):
        client = self.allocated()
        peer = self.peer()
        self.assertSuccess(client.channel_bind(CHANNEL_MIN + 5, peer.address))
        self.assertSuccess(client.create_permission(peer.address))
        # Several messages in one write, then one message byte by byte.
        burst = b"".join(
            [encode(SEND, INDICATION, [xor_peer(peer.address), (DATA_ATTR, b"ind %d" % i)])
             for i in range(3)] +
            [struct.pack("!HH", CHANNEL_MIN + 5, 3) + b"ch%d" % i + b"\0" for i in range(3)])
        client.send_raw(burst)
        got = sorted(data for data, _ in peer.drain(QUIET))
        self.assertEqual(got, sorted([b"ind %d" % i for i in range(3)] +
                                     [b"ch%d" % i for i in range(3)]))
        for byte in struct.pack("!HH", CHANNEL_MIN + 5, 5) + b"slow!" + b"\0" * 3:
            client.send_raw(bytes([byte]))
            time.sleep(0.002)
        self.expect_peer(peer, b"slow!", client.relayed)


# --- the peer-address policy ---------------------------------------------------------------------

# eturnal's "recommended" list plus 0.0.0.0/8, and in IPv6 the IPv4-mapped,
# NAT64 (64:ff9b::/96) and 6to4 (2002::/16) forms of denied IPv4 addresses.
FORBIDDEN_IPV4 = ["127.0.0.1", "127.0.0.2", "127.255.255.254", "10.0.0.1", "172.16.0.1",
                  "172.31.255.254", "192.168.1.1", "169.254.1.1", "100.64.0.1", "0.0.0.0",
                  "0.1.2.3", "192.0.0.1", "192.0.2.1", "192.88.99.1", "198.18.0.1",
                  "198.51.100.1", "203.0.113.1", "224.0.0.1", "239.255.255.250", "240.0.0.1",
                  "255.255.255.255"]
FORBIDDEN_IPV6 = ["::1", "::", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:192.168.0.1",
                  "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "ff0e::1", "2001:db8::1",
                  "100::1", "64:ff9b::a00:1", "64:ff9b::7f00:1", "2002:a00:1::1",
                  "2002:7f00:1::1"]


class PeerPolicyDefault(TurnTest):
    """allow-loopback-peers = false: the built-in list refuses loopback too."""

    @classmethod
    def server_settings(cls):
        sections = settings(relay={"allow-loopback-peers": "false"})
        if HAVE_IPV6:
            sections["relay"]["relay-ip"] = "127.0.0.1, ::1"
        return sections

    def test_forbidden_ipv4_peers_are_403(self):
        client = self.allocated()
        for address in FORBIDDEN_IPV4:
            with self.subTest(peer=address):
                self.assertError(client.create_permission(address), 403)
                self.assertError(client.channel_bind(CHANNEL_MIN, (address, 3478)), 403)

    def test_ipv4_mapped_loopback_on_an_ipv4_allocation(self):
        # An IPv6 form on an IPv4 allocation: 443 (family mismatch) or 403
        # are both refusals; it must never become a permission.
        client = self.allocated()
        for address in ("::ffff:127.0.0.1", "::ffff:10.0.0.1"):
            with self.subTest(peer=address):
                response = client.create_permission(address)
                self.assertIsNotNone(response)
                self.assertIn(response.error_code, (403, 443))

    @unittest.skipUnless(HAVE_IPV6, "no IPv6 loopback")
    def test_forbidden_ipv6_peers_are_403(self):
        client = self.allocated(family=FAMILY_IPV6)
        self.assertEqual(client.relayed[0], "::1")
        for address in FORBIDDEN_IPV6:
            with self.subTest(peer=address):
                self.assertError(client.create_permission(address), 403)

    def test_nothing_is_relayed_to_or_from_loopback(self):
        client = self.allocated()
        peer = self.peer()
        self.assertError(client.create_permission(peer.address), 403)
        client.send_indication(peer.address, b"to loopback")
        self.assertNothing(peer)
        peer.send(b"from loopback", client.relayed)
        self.assertNothing(client)


class PeerPolicyLists(TurnTest):
    """Loopback allowed for the test, but denied-peer-ip still refuses."""

    @classmethod
    def server_settings(cls):
        return settings(relay={"denied-peer-ip": "127.0.0.2, 127.0.1.0/24"})

    def test_denied_peer_ip(self):
        client = self.allocated()
        self.assertError(client.create_permission("127.0.0.2"), 403)
        self.assertError(client.create_permission("127.0.1.77"), 403)
        self.assertError(client.channel_bind(CHANNEL_MIN, ("127.0.0.2", 4000)), 403)
        peer = self.peer("127.0.0.1")
        self.assertSuccess(client.create_permission(peer.address))
        client.send_indication(peer.address, b"ok")
        self.expect_peer(peer, b"ok", client.relayed)

    def test_a_refused_request_installs_nothing(self):
        client = self.allocated()
        allowed = self.peer("127.0.0.1")
        self.assertError(client.create_permission(allowed.address, "127.0.0.2"), 403)
        allowed.send(b"should not pass", client.relayed)
        self.assertNothing(client, "a permission from a refused request")

    def test_denied_peer_cannot_reach_the_relay(self):
        client = self.allocated()
        denied = self.peer("127.0.0.2")
        self.assertError(client.create_permission(denied.address), 403)
        denied.send(b"knock", client.relayed)
        self.assertNothing(client)


class PeerPolicyAllowed(TurnTest):
    """allowed-peer-ip opens a hole in the built-in list; denied-peer-ip wins.
    Only permissions are asked for here: nothing is ever sent to 10.0.0.0/8."""

    @classmethod
    def server_settings(cls):
        return settings(relay={"allow-loopback-peers": "false",
                               "allowed-peer-ip": "10.0.0.4/30",
                               "denied-peer-ip": "10.0.0.6"})

    def test_allowed_and_denied(self):
        client = self.allocated()
        self.assertSuccess(client.create_permission("10.0.0.5"))
        self.assertSuccess(client.create_permission("10.0.0.4", "10.0.0.7"))
        self.assertError(client.create_permission("10.0.0.6"), 403)
        self.assertError(client.create_permission("10.0.0.9"), 403)
        self.assertError(client.create_permission("127.0.0.1"), 403)


# --- quotas --------------------------------------------------------------------------------------

class UserQuota(TurnTest):
    @classmethod
    def server_settings(cls):
        return settings(quotas={"user-quota": 2})

    def test_third_allocation_of_a_user_is_486(self):
        first, _ = self.allocated(), self.allocated()
        self.assertError(self.client().allocate(), 486)
        # Other users are not affected.
        username, password = rest_credentials(SECRET, "carol")
        self.allocated(username=username, password=password)
        # Deleting one frees a slot.
        self.assertSuccess(first.refresh(0))
        first.relayed = None
        self.allocated()


    def test_closing_a_tcp_connection_frees_its_allocation(self):
        first, second = self.allocated(transport="tcp"), self.allocated(transport="tcp")
        relayed = first.relayed
        first.relayed = None
        first.close()
        deadline = time.monotonic() + 3
        while True:
            client = self.client()
            response = client.allocate()
            if response is not None and response.is_success or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertSuccess(response, "Allocate after the TCP connection closed")
        # The closed connection's relayed port no longer relays.
        peer = self.peer()
        self.assertSuccess(second.create_permission(peer.address))
        peer.send(b"to the closed one", relayed)
        self.assertNothing(second)


class TotalQuota(TurnTest):
    @classmethod
    def server_settings(cls):
        return settings(quotas={"total-quota": 3, "user-quota": 0})

    def test_fourth_allocation_is_508(self):
        users = [rest_credentials(SECRET, f"user{i}") for i in range(4)]
        clients = [self.allocated(username=u, password=p) for u, p in users[:3]]
        self.assertError(self.client(*users[3]).allocate(), 508)
        self.assertSuccess(clients[0].refresh(0))
        clients[0].relayed = None
        self.allocated(username=users[3][0], password=users[3][1])


class PermissionAndChannelQuotas(TurnTest):
    @classmethod
    def server_settings(cls):
        return settings(quotas={"max-permissions": 2, "max-channels": 1})

    def test_third_distinct_peer_ip_is_508(self):
        client = self.allocated()
        self.assertSuccess(client.create_permission("127.0.0.1"))
        self.assertSuccess(client.create_permission(("127.0.0.2", 9)))
        self.assertSuccess(client.create_permission(("127.0.0.1", 7)), "refreshing one")
        self.assertError(client.create_permission("127.0.0.3"), 508)
        self.assertError(client.create_permission("127.0.0.1", "127.0.0.4"), 508)
        peer = self.peer("127.0.0.3")
        peer.send(b"over quota", client.relayed)
        self.assertNothing(client)

    def test_second_channel_is_508(self):
        client = self.allocated()
        a, b = self.peer(), self.peer()
        self.assertSuccess(client.channel_bind(CHANNEL_MIN, a.address))
        self.assertSuccess(client.channel_bind(CHANNEL_MIN, a.address), "refreshing it")
        self.assertError(client.channel_bind(CHANNEL_MIN + 1, b.address), 508)
        client.send_channel_data(CHANNEL_MIN, b"first channel")
        self.expect_peer(a, b"first channel", client.relayed)

    def test_quotas_are_per_allocation(self):
        one, two = self.allocated(), self.allocated()
        for client in (one, two):
            self.assertSuccess(client.create_permission("127.0.0.1", "127.0.0.2"))
            self.assertSuccess(client.channel_bind(CHANNEL_MIN, ("127.0.0.1", 5555)))


class MaxLifetime(TurnTest):
    @classmethod
    def server_settings(cls):
        return settings(quotas={"max-lifetime": 600})

    def test_lifetime_is_capped(self):
        client = self.client()
        self.assertEqual(self.assertSuccess(client.allocate(lifetime=5000)).lifetime, 600)
        self.assertEqual(self.assertSuccess(client.refresh(5000)).lifetime, 600)


def blast(send, receive_all, total=200_000, size=1000, duration=1.0):
    """Sends `total` bytes in `size` chunks, paced over `duration` seconds;
    returns (bytes received, seconds taken)."""
    count = total // size
    payload = os.urandom(size)
    start = time.monotonic()
    for i in range(count):
        send(payload)
        delay = start + (i + 1) * duration / count - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    elapsed = time.monotonic() - start
    return sum(receive_all()), elapsed


class Bandwidth(unittest.TestCase):
    """max-bps (per allocation, each direction) and bps-capacity (the whole
    server, split across workers) drop the excess."""

    LIMIT = 20_000
    TOTAL = 200_000

    @classmethod
    def setUpClass(cls):
        cls.servers = {
            "unlimited": launch(settings(), owner=cls),
            "max-bps": launch(settings(quotas={"max-bps": cls.LIMIT}), owner=cls),
            "bps-capacity": launch(settings(quotas={"bps-capacity": cls.LIMIT}), owner=cls),
        }

    @classmethod
    def tearDownClass(cls):
        for server in cls.servers.values():
            server.stop()

    def relay(self, name):
        server = self.servers[name]
        client = TurnClient(server.address, USER, PASSWORD)
        self.addCleanup(client.close)
        peer = Peer()
        self.addCleanup(peer.close)
        response = client.allocate()
        self.assertTrue(response is not None and response.is_success, f"Allocate: {response!r}")
        response = client.channel_bind(CHANNEL_MIN, peer.address)
        self.assertTrue(response is not None and response.is_success,
                        f"ChannelBind: {response!r}")
        return client, peer

    def client_to_peer(self, name):
        client, peer = self.relay(name)
        return blast(lambda p: client.send_channel_data(CHANNEL_MIN, p),
                     lambda: [len(d) for d, _ in peer.drain(QUIET)], total=self.TOTAL)

    def peer_to_client(self, name):
        client, peer = self.relay(name)
        return blast(lambda p: peer.send(p, client.relayed),
                     lambda: [len(item.data) for item in client.recv_all(QUIET)], total=self.TOTAL)

    def check(self, direction, limited_name):
        unlimited, _ = direction("unlimited")
        limited, elapsed = direction(limited_name)
        print(f"\n{self.id()}: {limited} bytes limited in {elapsed:.2f}s, {unlimited} unlimited",
              file=sys.stderr)
        self.assertGreaterEqual(unlimited, 0.9 * self.TOTAL, "the unlimited relay lost data")
        self.assertGreater(limited, 0, "the limited relay passed nothing at all")
        self.assertLess(limited, 0.5 * unlimited,
                        f"{limited_name}: {limited} bytes passed vs {unlimited} unlimited")
        # The budget for the time taken, doubled for bursts and timing slack.
        self.assertLessEqual(limited, 2 * self.LIMIT * (elapsed + 1),
                             f"{limited_name}: {limited} bytes in {elapsed:.2f}s")

    def test_max_bps_client_to_peer(self):
        self.check(self.client_to_peer, "max-bps")

    def test_max_bps_peer_to_client(self):
        self.check(self.peer_to_client, "max-bps")

    def test_bps_capacity_client_to_peer(self):
        self.check(self.client_to_peer, "bps-capacity")


class Reload(TurnTest):
    @classmethod
    def server_settings(cls):
        return settings(quotas={"user-quota": 3})

    def test_sighup_applies_new_quota_and_users_and_keeps_allocations(self):
        one, two = self.allocated(), self.allocated()
        peer = self.peer()
        self.assertSuccess(one.create_permission(peer.address))
        fresh = dict(self.server.sections)
        fresh["quotas"] = dict(fresh["quotas"], **{"user-quota": "1"})
        fresh["auth"] = dict(fresh["auth"], users=f"{USER}:{PASSWORD}, bob:hunter2")
        self.server.reload(fresh)
        # Live allocations stay and keep working...
        self.assertSuccess(one.refresh(), "Refresh after reload")
        self.assertSuccess(two.refresh(), "Refresh after reload")
        client_payload = b"after reload"
        one.send_indication(peer.address, client_payload)
        self.expect_peer(peer, client_payload, one.relayed)
        peer.send(b"reply", one.relayed)
        self.expect_data(one, b"reply", peer.address)
        # ... the lower quota applies to new ones ...
        self.assertError(self.client().allocate(), 486)
        # ... and the new user exists.
        self.allocated(username="bob", password="hunter2")


# --- hostile input -------------------------------------------------------------------------------

class HostileInput(TurnTest):
    def hostile(self, client, method, attributes):
        """A request with valid credentials around malformed attributes; the
        answer, or None when the server dropped it (both can be right)."""
        return client.request(method, attributes, timeout=0.4)

    def test_malformed_xor_peer_address(self):
        client = self.allocated()
        bad_values = [
            b"\x00\x01\x12\x34\x7f\x00",                    # 6 bytes
            b"\x00\x01\x12\x34" + b"\x00" * 16,             # IPv4 family, IPv6 length
            b"\x00\x02\x12\x34" + b"\x00" * 4,              # IPv6 family, IPv4 length
            b"\x00\x03\x12\x34" + b"\x00" * 4,              # no such family
            b"",                                            # empty
        ]
        for value in bad_values:
            with self.subTest(value=value.hex()):
                self.assertRejectedOrDropped(
                    self.hostile(client, CREATE_PERMISSION, [(XOR_PEER_ADDRESS, value)]))
                self.assertRejectedOrDropped(
                    self.hostile(client, CHANNEL_BIND,
                                 [(CHANNEL_NUMBER, struct.pack("!H2x", 0x4444)),
                                  (XOR_PEER_ADDRESS, value)]))
        self.assertSuccess(client.refresh())
        self.served()

    def test_malformed_channel_number(self):
        client = self.allocated()
        peer = self.peer()
        for value in (b"\x40\x00", b"", b"\x40\x00\x00\x00\x00\x00\x00\x00"):
            with self.subTest(length=len(value)):
                self.assertRejectedOrDropped(self.hostile(
                    client, CHANNEL_BIND, [(CHANNEL_NUMBER, value), xor_peer(peer.address)]))
        client.send_channel_data(CHANNEL_MIN, b"unbound")
        self.assertNothing(peer)
        self.served()

    def test_malformed_lifetime_does_not_delete(self):
        client = self.allocated()
        for value in (b"", b"\x00\x00", b"\x00" * 8):
            with self.subTest(length=len(value)):
                self.assertRejectedOrDropped(self.hostile(client, REFRESH, [(LIFETIME, value)]))
        # A zero-length LIFETIME is not LIFETIME 0: the allocation lives.
        self.assertSuccess(client.refresh(), "Refresh after malformed ones")

    def test_malformed_allocate_attributes(self):
        client = self.client()
        udp = (REQUESTED_TRANSPORT, u32(17 << 24))
        for attributes in ([(REQUESTED_TRANSPORT, b"\x11")],
                           [(REQUESTED_TRANSPORT, b"")],
                           [udp, (LIFETIME, b"")],
                           [udp, (LIFETIME, b"\x00\x00\x02")],
                           [udp, (EVEN_PORT, b"")],
                           [udp, (RESERVATION_TOKEN, b"1234")],
                           [udp, (REQUESTED_ADDRESS_FAMILY, b"")]):
            with self.subTest(attributes=attributes):
                self.assertRejectedOrDropped(self.hostile(client, ALLOCATE, attributes))
        self.assertIsNone(client.relayed)
        self.served()

    def test_channel_data_longer_than_the_datagram(self):
        client = self.allocated()
        peer = self.peer()
        self.assertSuccess(client.channel_bind(CHANNEL_MIN, peer.address))
        client.send_channel_data(CHANNEL_MIN, b"0123456789", length=100)
        client.send_channel_data(CHANNEL_MIN, b"", length=0xFFFF)
        client.send_raw(b"\x40\x00\x00")  # shorter than the header
        self.assertNothing(peer, "a truncated ChannelData relayed")
        client.send_channel_data(CHANNEL_MIN, b"good")
        self.expect_peer(peer, b"good", client.relayed)

    def test_channel_data_on_unbound_or_reserved_channels(self):
        client = self.allocated()
        peer = self.peer()
        self.assertSuccess(client.channel_bind(CHANNEL_MIN, peer.address))
        for channel in (CHANNEL_MIN + 1, CHANNEL_MAX, 0x5000, 0x7FFF):
            client.send_channel_data(channel, b"where to?")
        self.assertNothing(peer, "ChannelData on an unbound channel")
        client.send_channel_data(CHANNEL_MIN, b"bound")
        self.expect_peer(peer, b"bound", client.relayed)

    def test_malformed_send_indications(self):
        client = self.allocated()
        peer = self.peer()
        self.assertSuccess(client.create_permission(peer.address))
        client.send_raw(encode(SEND, INDICATION, [xor_peer(peer.address)]))         # no DATA
        client.send_raw(encode(SEND, INDICATION, [(DATA_ATTR, b"no peer")]))         # no peer
        client.send_raw(encode(SEND, INDICATION, [(XOR_PEER_ADDRESS, b"\x00\x01\x00"),
                                                  (DATA_ATTR, b"bad peer")]))
        client.send_raw(encode(SEND, INDICATION, [xor_peer(("127.0.0.9", 9)),
                                                  (DATA_ATTR, b"no permission")]))
        # An attribute whose length runs past the end of the message.
        message = bytearray(encode(SEND, INDICATION, [xor_peer(peer.address),
                                                      (DATA_ATTR, b"overrun")],
                                   fingerprint=False))
        struct.pack_into("!H", message, len(message) - 12, 400)
        client.send_raw(bytes(message))
        self.assertNothing(peer, "a malformed Send indication relayed")
        client.send_indication(peer.address, b"fine")
        self.expect_peer(peer, b"fine", client.relayed)

    def test_tampered_fingerprint_is_dropped(self):
        client = self.allocated()
        peer = self.peer()
        self.assertSuccess(client.create_permission(peer.address))
        message = bytearray(encode(SEND, INDICATION, [xor_peer(peer.address),
                                                      (DATA_ATTR, b"bad crc")]))
        message[-1] ^= 0xFF
        client.send_raw(bytes(message))
        self.assertNothing(peer)

    def test_fuzzed_turn_messages(self):
        rng = random.Random(8656)
        client = self.allocated()
        peer = self.peer()
        self.assertSuccess(client.channel_bind(CHANNEL_MIN, peer.address))
        templates = [
            encode(SEND, INDICATION, [xor_peer(peer.address), (DATA_ATTR, b"x" * 20)]),
            encode(REFRESH, REQUEST, [(USERNAME, USER.encode()), (REALM, client.realm),
                                      (NONCE, client.nonce), (LIFETIME, u32(600))],
                   key=client.key),
            encode(CREATE_PERMISSION, REQUEST, [(USERNAME, USER.encode()), (REALM, client.realm),
                                                (NONCE, client.nonce), xor_peer(peer.address)],
                   key=client.key),
            encode(ALLOCATE, REQUEST, [(REQUESTED_TRANSPORT, u32(17 << 24))]),
            struct.pack("!HH", CHANNEL_MIN, 8) + b"12345678",
        ]
        for _ in range(3000):
            message = bytearray(rng.choice(templates))
            for _ in range(rng.randint(1, 4)):
                position = rng.randrange(len(message))
                message[position] = rng.randrange(256)
            if rng.random() < 0.2:
                message = message[:rng.randrange(len(message) + 1)]
            client.send_raw(bytes(message))
        time.sleep(0.3)
        peer.drain(0.3)
        client.recv_all(0.3)
        self.assertTrue(self.server.alive())
        client.send_channel_data(CHANNEL_MIN, b"after the storm")
        self.expect_peer(peer, b"after the storm", client.relayed)
        self.served()

    def test_garbage_on_a_tcp_allocation_closes_only_that_stream(self):
        bad = self.allocated(transport="tcp")
        good = self.allocated(transport="tcp")
        bad.send_raw(b"\xff" * 64)
        bad.sock.settimeout(2)
        try:
            closed = bad.sock.recv(100) == b""
        except ConnectionResetError:
            closed = True
        except socket.timeout:
            closed = False
        bad.relayed = None
        self.assertTrue(closed, "the server kept a stream that is not STUN/ChannelData")
        self.assertSuccess(good.refresh())


# --- coturn's client tools -----------------------------------------------------------------------

def free_port_pair():
    """A UDP port p with p+1 free too (turnutils_peer listens on both)."""
    for _ in range(100):
        port = free_port()
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.bind(("127.0.0.1", port + 1))
            return port
        except OSError:
            continue
    raise RuntimeError("no free port pair")


UCLIENT_RUNS = {
    # name: flags (-c: no RTCP, i.e. one allocation per client and no
    # EVEN-PORT/RESERVATION-TOKEN pairs; -s: Send indications, not channels)
    "channels": ["-c", "-u", USER, "-w", PASSWORD],
    "send_indications": ["-c", "-s", "-u", USER, "-w", PASSWORD],
    "even_port_pairs": ["-u", USER, "-w", PASSWORD],
    "rest_secret": ["-c", "-u", "uclient", "-W", SECRET],
    "tcp": ["-c", "-t", "-u", USER, "-w", PASSWORD],
}
UCLIENT_MESSAGES, UCLIENT_CLIENTS = 200, 4


@unittest.skipUnless(shutil.which("turnutils_uclient") and shutil.which("turnutils_peer"),
                     "coturn's turnutils are not installed")
class CoturnUclient(unittest.TestCase):
    """turnutils_uclient through the relay to turnutils_peer (an echo
    server); all runs at once, each checked on its own."""

    @classmethod
    def setUpClass(cls):
        cls.server = launch(settings(ports=400), owner=cls)
        cls.peer_port = free_port_pair()
        cls.processes = []
        cls.peer = subprocess.Popen(["turnutils_peer", "-L", "127.0.0.1",
                                     "-p", str(cls.peer_port)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cls.processes.append(cls.peer)
        time.sleep(0.3)
        cls.runs = {}
        for name, flags in UCLIENT_RUNS.items():
            process = subprocess.Popen(
                ["turnutils_uclient", "-p", str(cls.server.address[1]), "-e", "127.0.0.1",
                 "-r", str(cls.peer_port), "-n", str(UCLIENT_MESSAGES),
                 "-m", str(UCLIENT_CLIENTS), "-l", "170", "-z", "5"] + flags + ["127.0.0.1"],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            cls.processes.append(process)
            cls.runs[name] = process

    @classmethod
    def tearDownClass(cls):
        for process in cls.processes:
            if process.poll() is None:
                process.kill()
            process.wait()
        cls.server.stop()

    def outcome(self, name):
        process = self.runs[name]
        try:
            output, _ = process.communicate(timeout=45)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
            self.fail(f"turnutils_uclient {name} hung:\n{output[-3000:]}")
        self.assertEqual(process.returncode, 0, output[-3000:])
        totals = re.findall(r"tot_send_msgs=(\d+), tot_recv_msgs=(\d+)\s*$", output, re.M)
        lost = re.findall(r"Total lost packets (\d+)", output)
        self.assertTrue(totals and lost, output[-3000:])
        sent, received = map(int, totals[-1])
        self.assertEqual(sent, UCLIENT_MESSAGES * UCLIENT_CLIENTS, output[-3000:])
        self.assertEqual(received, sent, output[-3000:])
        self.assertEqual(int(lost[-1]), 0, output[-3000:])
        self.assertTrue(self.server.alive())

    def test_channels(self):
        self.outcome("channels")

    def test_send_indications(self):
        self.outcome("send_indications")

    def test_even_port_rtp_rtcp_pairs(self):
        self.outcome("even_port_pairs")

    def test_rest_secret(self):
        self.outcome("rest_secret")

    def test_tcp(self):
        self.outcome("tcp")


class OutOfDescriptors(TurnTest):
    """A server with 64 descriptors, all taken by idle TCP clients: an
    Allocate over UDP is still answered, 508 when no relay socket can be
    opened (or success, from a socket the worker's pool already held), the
    server lives on, and once the clients go, allocations and relaying work
    again."""

    @classmethod
    def setUpClass(cls):
        # No limit on how fast one source connects: the descriptors must run out.
        cls.server = launch(settings(quotas={"tcp-accepts-per-ip": 0}), owner=cls, max_files=64)

    def test_allocate_answered_while_out_and_works_after(self):
        hogs = []
        for _ in range(100):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(self.server.address)
            hogs.append(s)
        try:
            time.sleep(0.5)
            self.assertIn("Too many open files", self.server.output(),
                          "the descriptors never ran out")
            for _ in range(8):
                response = self.client().allocate()
                self.assertIsNotNone(response, "no answer to an Allocate")
                if response.is_error:
                    self.assertEqual(response.error_code, 508, response.reason)
        finally:
            for s in hogs:
                s.close()
        deadline = time.monotonic() + 10
        while True:
            client = self.client()
            response = client.allocate()
            if response is not None and response.is_success:
                break
            self.assertLess(time.monotonic(), deadline, f"still refused: {response!r}")
            time.sleep(0.2)
        peer = self.peer()
        self.assertSuccess(client.create_permission(peer.address))
        client.send_indication(peer.address, b"after the flood")
        self.expect_peer(peer, b"after the flood", client.relayed)


if __name__ == "__main__":
    unittest.main()
