"""STUN Binding against a real turnpike: coturn's client, our own raw
messages over UDP and TCP, and hostile input."""
import os
import random
import re
import signal
import socket
import struct
import subprocess
import time
import unittest

from harness import (ATTR_ERROR_CODE, ATTR_FINGERPRINT, ATTR_MAPPED_ADDRESS, ATTR_SOFTWARE,
                     ATTR_UNKNOWN_ATTRIBUTES, ATTR_XOR_MAPPED_ADDRESS, BINDING_ERROR,
                     BINDING_REQUEST, BINDING_SUCCESS, Turnpike, decode_address,
                     decode_xor_address, fingerprint_ok, free_port, parse_attributes, relay_config,
                     stun_attribute, stun_message, tcp_read_stun, udp_exchange)


def tcp_connect(test, port, source="127.0.0.1"):
    """A TCP stream to the daemon from `source`, closed when the test ends."""
    s = socket.create_connection(("127.0.0.1", port), timeout=2, source_address=(source, 0))
    test.addCleanup(s.close)
    return s


def binding_answer(host, port, **kwargs):
    request = stun_message(BINDING_REQUEST, **kwargs)
    answer, local = udp_exchange(host, port, request)
    return request, answer, local


class StunOverUdp(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.port = free_port()
        cls.server = Turnpike(relay_config(cls.port, extra="")).start()
        cls.port6 = None
        if socket.has_ipv6:
            cls.port6 = free_port(host="::1")
            cls.server6 = Turnpike(relay_config(cls.port6, host="::1")).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        if cls.port6:
            cls.server6.stop()

    def stunclient(self, host, port, timeout=20):
        # turnutils_stunclient retries forever when nobody answers.
        try:
            out = subprocess.run(["turnutils_stunclient", "-p", str(port), host],
                                 capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as e:
            return (e.stdout or b"").decode() + (e.stderr or b"").decode()
        return out.stdout + out.stderr

    def test_coturn_stunclient_ipv4(self):
        output = self.stunclient("127.0.0.1", self.port)
        found = re.findall(r"UDP reflexive addr: 127\.0\.0\.1:(\d+)", output)
        self.assertTrue(found, output)
        self.assertNotEqual(int(found[0]), self.port)

    def test_coturn_stunclient_ipv6(self):
        if not self.port6:
            self.skipTest("this kernel has no IPv6 loopback")
        output = self.stunclient("::1", self.port6)
        self.assertRegex(output, r"IPv6\. UDP reflexive addr: ::1:\d+")

    def test_coturn_stunclient_fails_without_a_server(self):
        # The check above is only meaningful if a dead port makes it fail.
        output = self.stunclient("127.0.0.1", free_port(), timeout=3)
        self.assertNotRegex(output, r"reflexive addr")

    def test_xor_mapped_address_software_fingerprint(self):
        request, answer, local = binding_answer("127.0.0.1", self.port)
        kind, attributes = parse_attributes(answer)
        self.assertEqual(kind, BINDING_SUCCESS)
        self.assertEqual(answer[4:20], request[4:20], "transaction id echoed")
        self.assertEqual(decode_xor_address(attributes[ATTR_XOR_MAPPED_ADDRESS][0], request[8:20]),
                         local)
        self.assertEqual(attributes[ATTR_SOFTWARE][0], b"Turnpike")
        self.assertTrue(fingerprint_ok(answer))

    def test_ipv6_xor_mapped_address(self):
        if not self.port6:
            self.skipTest("this kernel has no IPv6 loopback")
        request, answer, local = binding_answer("::1", self.port6)
        _, attributes = parse_attributes(answer)
        self.assertEqual(decode_xor_address(attributes[ATTR_XOR_MAPPED_ADDRESS][0], request[8:20]),
                         local[:2])

    def test_request_with_fingerprint(self):
        request, answer, _ = binding_answer("127.0.0.1", self.port, fingerprint=True)
        self.assertEqual(parse_attributes(answer)[0], BINDING_SUCCESS)

    def test_bad_fingerprint_dropped_silently(self):
        request = bytearray(stun_message(BINDING_REQUEST, fingerprint=True))
        request[-1] ^= 0xFF
        with self.assertRaises(socket.timeout):
            udp_exchange("127.0.0.1", self.port, bytes(request), timeout=0.5)

    def test_classic_rfc3489_request_gets_mapped_address(self):
        request, answer, local = binding_answer("127.0.0.1", self.port, cookie=False)
        kind, attributes = parse_attributes(answer)
        self.assertEqual(kind, BINDING_SUCCESS)
        self.assertEqual(answer[4:20], request[4:20])
        self.assertEqual(decode_address(attributes[ATTR_MAPPED_ADDRESS][0]), local)
        self.assertNotIn(ATTR_XOR_MAPPED_ADDRESS, attributes)
        self.assertNotIn(ATTR_FINGERPRINT, attributes)

    def test_unknown_comprehension_required_attribute_gets_420(self):
        unknown = stun_attribute(0x0033, b"abcd")
        request, answer, _ = binding_answer("127.0.0.1", self.port, attributes=unknown)
        kind, attributes = parse_attributes(answer)
        self.assertEqual(kind, BINDING_ERROR)
        code = attributes[ATTR_ERROR_CODE][0]
        self.assertEqual(code[2] * 100 + code[3], 420)
        listed = struct.unpack("!%dH" % (len(attributes[ATTR_UNKNOWN_ATTRIBUTES][0]) // 2),
                               attributes[ATTR_UNKNOWN_ATTRIBUTES][0])
        self.assertIn(0x0033, listed)
        self.assertTrue(fingerprint_ok(answer))

    def test_unknown_optional_attribute_ignored(self):
        optional = stun_attribute(0x8033, b"abcd")
        _, answer, _ = binding_answer("127.0.0.1", self.port, attributes=optional)
        self.assertEqual(parse_attributes(answer)[0], BINDING_SUCCESS)

    def test_indication_and_response_get_no_answer(self):
        for kind in (0x0011, BINDING_SUCCESS):
            with self.assertRaises(socket.timeout):
                udp_exchange("127.0.0.1", self.port, stun_message(kind), timeout=0.3)

    def test_garbage_flood_then_binding_still_answered(self):
        rng = random.Random(5769)
        valid = stun_message(BINDING_REQUEST)
        junk = []
        for _ in range(2000):
            junk.append(bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 200))))
        for n in range(0, 20):
            junk.append(valid[:n])  # truncated headers
        bad_length = bytearray(valid)
        bad_length[3] = 40  # says 40 bytes of attributes, has none
        junk.append(bytes(bad_length))
        junk.append(valid + b"\0\0")  # trailing bytes beyond the length
        junk.append(b"\x80" + os.urandom(171))  # an RTP packet
        junk.append(b"\0" * 9000)
        junk.append(os.urandom(60000))  # larger than any slot: truncated, dropped
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 22)
            for packet in junk:
                s.sendto(packet, ("127.0.0.1", self.port))
            s.settimeout(0.5)
            answered = 0
            try:
                while True:
                    s.recvfrom(65536)
                    answered += 1
            except socket.timeout:
                pass
        # Random bytes almost never form valid STUN; none of these do.
        self.assertEqual(answered, 0)
        request, answer, _ = binding_answer("127.0.0.1", self.port)
        self.assertEqual(parse_attributes(answer)[0], BINDING_SUCCESS)
        self.assertIsNone(self.server.proc.poll())


class StunOverTcp(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.port = free_port()
        cls.server = Turnpike(relay_config(cls.port)).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def connect(self, source="127.0.0.1"):
        return tcp_connect(self, self.port, source)

    def test_pipelined_and_split_requests(self):
        s = self.connect()
        requests = [stun_message(BINDING_REQUEST, fingerprint=i % 2 == 0) for i in range(5)]
        s.sendall(b"".join(requests[:3]))
        # The rest one byte at a time: framing must not depend on segment edges.
        for byte in b"".join(requests[3:]):
            s.send(bytes([byte]))
            time.sleep(0.001)
        for request in requests:
            answer = tcp_read_stun(s)
            kind, attributes = parse_attributes(answer)
            self.assertEqual(kind, BINDING_SUCCESS)
            self.assertEqual(answer[8:20], request[8:20])
            self.assertEqual(
                decode_xor_address(attributes[ATTR_XOR_MAPPED_ADDRESS][0], request[8:20]),
                s.getsockname())
            self.assertTrue(fingerprint_ok(answer))

    def test_garbage_closes_only_that_stream(self):
        bad = self.connect()
        good = self.connect()
        bad.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        bad.settimeout(2)
        self.assertEqual(bad.recv(100), b"", "server closes a stream that is not STUN")
        good.sendall(stun_message(BINDING_REQUEST))
        self.assertEqual(parse_attributes(tcp_read_stun(good))[0], BINDING_SUCCESS)

    def test_many_connections_at_once(self):
        # From eight sources: one may hold max-tcp-per-ip (64) at once.
        sockets = [self.connect(f"127.0.2.{1 + i % 8}") for i in range(200)]
        for s in sockets:
            s.sendall(stun_message(BINDING_REQUEST))
        for s in sockets:
            self.assertEqual(parse_attributes(tcp_read_stun(s))[0], BINDING_SUCCESS)


def process_cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class TcpOutOfDescriptors(unittest.TestCase):
    """More TCP clients than the daemon has descriptors for: it stops
    accepting for a while instead of spinning on accept() and logging each
    failure, keeps answering over UDP, and takes connections again once
    descriptors are free."""

    def test_pauses_accepting_and_recovers(self):
        port = free_port()
        # No cap per source, on count or rate: the descriptors must run out first.
        config = relay_config(port).replace("log-level = debug", "log-level = info")
        config += "[quotas]\nmax-tcp-per-ip = 0\ntcp-accepts-per-ip = 0\n"
        with Turnpike(config, max_files=64) as server:
            waiting = []
            for _ in range(100):
                s = socket.socket()
                s.setblocking(False)
                s.connect_ex(("127.0.0.1", port))  # the kernel completes them all
                waiting.append(s)
            try:
                time.sleep(0.5)
                before = process_cpu_seconds(server.proc.pid)
                time.sleep(2)
                spent = process_cpu_seconds(server.proc.pid) - before
                self.assertLess(spent, 0.3, "the workers spin on accept()")
                failures = server.output().count("accept: Too many open files")
                self.assertGreater(failures, 0, "the descriptors never ran out")
                self.assertLess(failures, 20, "every failed accept() is logged")
                _, answer, _ = binding_answer("127.0.0.1", port)
                self.assertEqual(parse_attributes(answer)[0], BINDING_SUCCESS)
                # SIGUSR1's stats line counts the pauses.
                server.signal(signal.SIGUSR1)
                deadline = time.monotonic() + 5
                while not re.search(r"tcp_accept_paused=[1-9]", server.output()):
                    self.assertLess(time.monotonic(), deadline, "no pause in the stats line")
                    time.sleep(0.05)
            finally:
                for s in waiting:
                    s.close()
            # The daemon sees the clients go, closes their streams, and
            # accepts again within a housekeeping tick or two.
            deadline = time.monotonic() + 10
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                        s.sendall(stun_message(BINDING_REQUEST))
                        self.assertEqual(parse_attributes(tcp_read_stun(s))[0], BINDING_SUCCESS)
                        break
                except (socket.timeout, ConnectionError):
                    if time.monotonic() > deadline:
                        raise
            self.assertIsNone(server.proc.poll())


class TcpConnectionsPerSource(unittest.TestCase):
    """[quotas] max-tcp-per-ip: past the cap a source's new connection is
    reset at once while its open ones and other sources go on; a closed
    connection frees its place; a SIGHUP raises the cap for new ones."""

    def setUp(self):
        self.port = free_port()
        self.server = Turnpike(self.config(3)).start()
        self.addCleanup(self.server.stop)

    def config(self, cap):
        return relay_config(self.port) + f"[quotas]\nmax-tcp-per-ip = {cap}\n"

    def connect(self, source):
        return tcp_connect(self, self.port, source)

    def assert_answers(self, s):
        s.sendall(stun_message(BINDING_REQUEST))
        self.assertEqual(parse_attributes(tcp_read_stun(s))[0], BINDING_SUCCESS)

    def assert_refused(self, source):
        # The handshake is the kernel's; the daemon then resets the stream
        # without reading it, sometimes before connect() has returned here.
        # A request gets no answer, only the reset.
        try:
            s = self.connect(source)
            s.sendall(stun_message(BINDING_REQUEST))
            self.assertEqual(s.recv(100), b"", "a refused stream got an answer")
        except ConnectionResetError:
            pass
        except socket.timeout:
            self.fail("the daemon neither answered nor closed a connection past the cap")

    def refused_count(self):
        before = len(self.server.output())
        self.server.signal(signal.SIGUSR1)
        deadline = time.monotonic() + 5
        while True:
            found = re.findall(r"tcp_refused_per_ip=(\d+)", self.server.output()[before:])
            if found:
                return int(found[-1])
            self.assertLess(time.monotonic(), deadline, "no stats line")
            time.sleep(0.05)

    def test_cap_per_source(self):
        kept = [self.connect("127.0.0.1") for _ in range(3)]
        for s in kept:
            self.assert_answers(s)
        self.assert_refused("127.0.0.1")
        self.assertEqual(self.refused_count(), 1)
        for s in kept:
            self.assert_answers(s)  # the refusal took nothing from them
        other = self.connect("127.0.0.2")
        self.assert_answers(other)

        # A client that goes frees its place once the daemon sees it close.
        kept.pop().close()
        deadline = time.monotonic() + 5
        while True:
            s = self.connect("127.0.0.1")
            try:
                self.assert_answers(s)
                break
            except (ConnectionError, AssertionError, struct.error):
                self.assertLess(time.monotonic(), deadline, "the closed connection kept its place")
                time.sleep(0.1)
        self.assertIsNone(self.server.proc.poll())

    def test_sighup_raises_the_cap_for_new_connections(self):
        kept = [self.connect("127.0.0.1") for _ in range(3)]
        for s in kept:
            self.assert_answers(s)
        self.assert_refused("127.0.0.1")
        self.server.write_config(self.config(5))
        self.server.signal(signal.SIGHUP)
        self.server.wait_notify("READY=1")
        more = [self.connect("127.0.0.1") for _ in range(2)]
        for s in kept + more:
            self.assert_answers(s)
        self.assert_refused("127.0.0.1")
        self.assertEqual(self.refused_count(), 2)


class TcpAcceptRatePerSource(unittest.TestCase):
    """[quotas] tcp-accepts-per-ip: a source may open that many connections
    at once, then that many a second; past it a new one is reset before it
    is read (before any TLS handshake), counted in tcp_refused_rate, while
    the source's open streams and other sources go on."""

    RATE = 5

    def setUp(self):
        self.port = free_port()
        self.server = Turnpike(relay_config(self.port) +
                               f"[quotas]\ntcp-accepts-per-ip = {self.RATE}\n").start()
        self.addCleanup(self.server.stop)

    def answered(self, s):
        """True if a Binding over `s` is answered, False if it is reset or closed."""
        try:
            s.sendall(stun_message(BINDING_REQUEST))
            return parse_attributes(tcp_read_stun(s))[0] == BINDING_SUCCESS
        except (ConnectionError, struct.error):
            return False

    def burst(self, source, count):
        """Opens `count` streams from `source` as fast as it can; the ones
        answered, and the most the rate could have let through meanwhile."""
        started = time.monotonic()
        streams = []
        for _ in range(count):
            try:
                streams.append(tcp_connect(self, self.port, source))
            except ConnectionResetError:
                pass
        earned = int((time.monotonic() - started) * self.RATE) + 1
        kept = [s for s in streams if self.answered(s)]
        return kept, self.RATE + earned

    def counter(self, name):
        before = len(self.server.output())
        self.server.signal(signal.SIGUSR1)
        deadline = time.monotonic() + 5
        while not (found := re.findall(rf"{name}=(\d+)", self.server.output()[before:])):
            self.assertLess(time.monotonic(), deadline, "no stats line")
            time.sleep(0.05)
        return int(found[-1])

    def test_a_burst_past_the_rate_is_reset_and_the_budget_comes_back(self):
        kept, most = self.burst("127.0.0.1", 20)
        self.assertGreaterEqual(len(kept), self.RATE)
        self.assertLessEqual(len(kept), most)
        self.assertEqual(self.counter("tcp_refused_rate"), 20 - len(kept))
        self.assertEqual(self.counter("tcp_refused_per_ip"), 0)
        for s in kept:
            self.assertTrue(self.answered(s), "a refusal took an open stream with it")
        other, _ = self.burst("127.0.0.2", self.RATE)
        self.assertEqual(len(other), self.RATE, "another source has a budget of its own")
        # After a quiet second the whole budget is back.
        time.sleep(1.1)
        again, most = self.burst("127.0.0.1", self.RATE)
        self.assertEqual(len(again), self.RATE)
        self.assertIsNone(self.server.proc.poll())


class TcpAcceptRateDefault(unittest.TestCase):
    """At the embedded defaults a source may open its whole max-tcp-per-ip
    (64) at once: a client with many streams, such as turnutils_uclient -m
    20 over TLS (40 at once), is not refused by the rate."""

    def test_a_source_opens_its_whole_cap_at_once(self):
        port = free_port()
        with Turnpike(relay_config(port)):
            streams = [tcp_connect(self, port, "127.0.0.3") for _ in range(64)]
            for s in streams:
                s.sendall(stun_message(BINDING_REQUEST))
            for s in streams:
                self.assertEqual(parse_attributes(tcp_read_stun(s))[0], BINDING_SUCCESS)


class WildcardListener(unittest.TestCase):
    def test_answers_from_the_address_it_was_asked_on(self):
        port = free_port(host="0.0.0.0")
        with Turnpike(relay_config(port, host="0.0.0.0")):
            # All of 127/8 reaches lo; without IP_PKTINFO the answer to
            # 127.0.0.2 would come from 127.0.0.1 and a client would drop it.
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.settimeout(2)
                s.sendto(stun_message(BINDING_REQUEST), ("127.0.0.2", port))
                answer, source = s.recvfrom(2048)
                self.assertEqual(source, ("127.0.0.2", port))
                self.assertEqual(parse_attributes(answer)[0], BINDING_SUCCESS)


if __name__ == "__main__":
    unittest.main(verbosity=2)
