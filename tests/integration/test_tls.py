"""TURN over TLS ([relay] tls-listen, RFC 8656 section 3.1 and RFC 7443's
ALPN) against a real turnpike: a client that verifies the certificate,
allocations and relaying inside TLS, coturn's turnutils_uclient -S, what
reaches the TLS port that is not TLS, certificate reloads on SIGHUP, and the
config errors of cert and pkey.

Certificates are made for the run by the openssl command, for 127.0.0.1.
Every packet goes to 127.0.0.1.
"""
import contextlib
import ctypes
import errno
import os
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import tempfile
import time
import unittest

import test_turn as base
from harness import TURNPIKE, free_port
from turn_client import BINDING, REQUEST, XOR_MAPPED_ADDRESS, TurnClient, channel_data, encode

HAVE_OPENSSL = shutil.which("openssl") is not None
PIDFD_GETFD = 438  # the syscall number, x86-64 and arm64 alike


def make_certificate(directory, name, common_name):
    """A self-signed P-256 certificate for 127.0.0.1; (cert path, key path)."""
    cert = os.path.join(directory, f"{name}.crt")
    key = os.path.join(directory, f"{name}.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                    "-subj", f"/CN={common_name}",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                    "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    return cert, key


def trusting(cert):
    """A client context that trusts only `cert` and checks the name."""
    context = ssl.create_default_context(cafile=cert)
    context.check_hostname = True
    return context


def served_common_name(port, cert):
    """The CN of the certificate the server presents on a new connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=3) as raw:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        with context.wrap_socket(raw) as tls:
            der = tls.getpeercert(binary_form=True)
    pem = ssl.DER_cert_to_PEM_cert(der)
    out = subprocess.run(["openssl", "x509", "-noout", "-subject"], input=pem,
                         capture_output=True, text=True, check=True).stdout
    return out.strip().split("CN = ")[-1]


def data_segments_in(sock):
    """tcpi_data_segs_in of a connected TCP socket (struct tcp_info, Linux)."""
    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 160)
    return struct.unpack_from("=I", info, 152)[0]


@contextlib.contextmanager
def server_side_of(test, pid, server_port, client_port):
    """A duplicate of the server's socket for the 127.0.0.1 stream between
    server_port and client_port, taken with pidfd_getfd(2) (it needs ptrace
    rights over the server, which its parent has)."""
    inode = None
    deadline = time.monotonic() + 3
    while inode is None and time.monotonic() < deadline:
        with open("/proc/net/tcp") as table:
            for line in table.read().splitlines()[1:]:
                fields = line.split()
                local, remote = fields[1].split(":"), fields[2].split(":")
                if int(local[1], 16) == server_port and int(remote[1], 16) == client_port:
                    inode = fields[9]
        if inode is None:
            time.sleep(0.05)
    test.assertIsNotNone(inode, f"no server socket for 127.0.0.1:{server_port} <- {client_port}")
    target = None
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") == f"socket:[{inode}]":
                target = int(fd)
        except OSError:
            continue
    test.assertIsNotNone(target, f"socket inode {inode} is not among the server's descriptors")
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = os.pidfd_open(pid)
    try:
        copy = libc.syscall(PIDFD_GETFD, pidfd, target, 0)
        if copy < 0:
            error = ctypes.get_errno()
            if error in (errno.ENOSYS, errno.EPERM):
                raise unittest.SkipTest(f"pidfd_getfd: {os.strerror(error)}")
            test.fail(f"pidfd_getfd: {os.strerror(error)}")
    finally:
        os.close(pidfd)
    s = socket.socket(fileno=copy)
    try:
        yield s
    finally:
        s.close()


@unittest.skipUnless(HAVE_OPENSSL, "the openssl command is not installed")
class TurnOverTls(base.TurnTest):
    """One server with a plain listener and a TLS one; the TurnTest helpers
    (client(), peer()) speak plain UDP, tls_client() TLS."""

    @classmethod
    def server_settings(cls):
        cls.files = tempfile.TemporaryDirectory(prefix="turnpike-tls-")
        cls.cert, cls.key = make_certificate(cls.files.name, "first", "first.test")
        cls.tls_port = free_port(socket.SOCK_STREAM)
        return base.settings(relay={"tls-listen": f"127.0.0.1:{cls.tls_port}",
                                    "cert": cls.cert, "pkey": cls.key})

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.files.cleanup()

    def tls_client(self, context=None, **kwargs):
        client = TurnClient(("127.0.0.1", self.tls_port), base.USER, base.PASSWORD,
                            transport="tls", tls=context or trusting(self.cert), **kwargs)
        self.addCleanup(client.close)
        return client

    def test_binding_with_a_verified_certificate_and_alpn(self):
        context = trusting(self.cert)
        context.set_alpn_protocols(["stun.turn"])
        client = self.tls_client(context)
        self.assertEqual(client.sock.selected_alpn_protocol(), "stun.turn")
        self.assertGreaterEqual(client.sock.version(), "TLSv1.2")
        response = client.request(BINDING, auth=False)
        self.assertIsNotNone(response, "no Binding answer over TLS")
        self.assertTrue(response.is_success, response)
        self.assertEqual(response.xor_address(XOR_MAPPED_ADDRESS), client.local)

    def test_allocation_relays_both_ways_inside_tls(self):
        client = self.tls_client()
        self.assertSuccess(client.allocate())
        peer = self.peer()
        self.assertSuccess(client.create_permission(peer.address))
        client.send_indication(peer.address, b"through TLS by Send")
        self.expect_peer(peer, b"through TLS by Send", client.relayed)
        self.assertSuccess(client.channel_bind(0x4001, peer.address))
        for i in range(50):
            client.send_channel_data(0x4001, b"channel %d" % i)
        for i in range(50):
            self.expect_peer(peer, b"channel %d" % i, client.relayed)
        for i in range(50):
            peer.send(b"back %d" % i, client.relayed)
        for i in range(50):
            self.expect_channel(client, b"back %d" % i, 0x4001)
        counters = self.counters()
        self.assertGreaterEqual(counters["tls_connections_accepted"], 1)

    def test_frames_that_span_tls_records_all_arrive_in_order(self):
        """One write of 150 ChannelData frames: TLS cuts it into 16 KB records,
        with frames across record boundaries, and the server reads ahead
        whatever part of a record the socket holds. Every frame reaches the
        peer once, in order."""
        client = self.tls_client()
        self.assertSuccess(client.allocate())
        peer = self.peer()
        self.assertSuccess(client.channel_bind(0x4002, peer.address))
        payloads = [b"%04d" % i + os.urandom(166) for i in range(150)]
        client.send_raw(b"".join(channel_data(0x4002, p, pad=True) for p in payloads))
        for payload in payloads:
            self.expect_peer(peer, payload, client.relayed)

    def test_each_relayed_datagram_is_a_tls_record_of_its_own(self):
        """Over TLS the relay writes every datagram for the client as a record
        of its own, even when a burst arrives at once: turnutils_uclient
        takes each record for one message and loses any that share one. An
        SSL read returns at most one record."""
        client = self.tls_client()
        self.assertSuccess(client.allocate())
        peer = self.peer()
        self.assertSuccess(client.channel_bind(0x4003, peer.address))
        payloads = [b"%04d" % i + os.urandom(60) for i in range(200)]
        for payload in payloads:
            peer.send(payload, client.relayed)
        client.sock.settimeout(2.0)
        for payload in payloads:
            self.assertEqual(client.sock.recv(65536), channel_data(0x4003, payload, pad=True))

    def test_a_burst_of_relayed_datagrams_leaves_in_one_write(self):
        """The datagrams one wakeup reads for a TLS client go out in one
        send(2), each in a record of its own. The peer sends a burst (see
        burst()), so that one recvmmsg takes it whole; the client's
        TCP_INFO then counts the data segments that carried it (one per send,
        TCP_NODELAY being on), where a write per datagram would be 40."""
        client = self.tls_client()
        self.assertSuccess(client.allocate())
        peer = self.peer()
        self.assertSuccess(client.channel_bind(0x4004, peer.address))
        peer.send(b"warm-up", client.relayed)
        self.expect_channel(client, b"warm-up", 0x4004)
        before = data_segments_in(client.sock)
        payloads = [b"%04d" % i + os.urandom(80) for i in range(40)]
        self.burst(lambda payload: peer.send(payload, client.relayed), payloads)
        client.sock.settimeout(3.0)
        for payload in payloads:
            self.assertEqual(client.sock.recv(65536), channel_data(0x4004, payload, pad=True))
        self.assertLessEqual(data_segments_in(client.sock) - before, 2)

    def test_a_client_that_stops_reading_is_closed_not_buffered(self):
        """Records wait in the connection's output buffer while the client's
        socket is full, up to 256 KB; past that the server closes the stream
        instead of holding more for a client that does not read, and
        everyone else is still served."""
        self.settled_counters()  # no stream of an earlier test left to close meanwhile
        quiet = self.tls_client()
        self.assertSuccess(quiet.allocate())
        peer = self.peer()
        self.assertSuccess(quiet.channel_bind(0x4005, peer.address))
        open_before = self.counters()["tcp_connections_open"]
        self.assertEqual(open_before, 1)
        chunk = os.urandom(1000)
        closed = False
        deadline = time.monotonic() + 20
        while not closed and time.monotonic() < deadline:
            for _ in range(500):  # 0.5 MB at a time, then a pause for the relay
                peer.send(chunk, quiet.relayed)
            time.sleep(0.02)
            closed = self.counters()["tcp_connections_open"] < open_before
        self.assertTrue(closed, "the stream of a client that reads nothing stayed open")
        self.served()

    def test_buffers_a_burst_grew_are_given_back(self):
        """A batch of 64 datagrams of 1,100 bytes grows the stream's output
        buffer past 70 KB. Once it is sent, the next housekeeping tick gives
        the buffer back: the relay's tcp_buffer_bytes, which it updates each
        second, falls to a few KB for the one open stream."""
        self.settled_counters()
        client = self.tls_client()
        self.assertSuccess(client.allocate())
        peer = self.peer()
        self.assertSuccess(client.channel_bind(0x4006, peer.address))
        payloads = [os.urandom(1100) for _ in range(64)]
        self.burst(lambda payload: peer.send(payload, client.relayed), payloads)
        client.sock.settimeout(3.0)
        for payload in payloads:
            self.assertEqual(client.sock.recv(65536), channel_data(0x4006, payload, pad=True))
        time.sleep(2.2)  # two ticks: the first may have come before the burst was sent
        counters = self.counters()
        self.assertEqual(counters["tcp_connections_open"], 1)
        self.assertLessEqual(counters["tcp_buffer_bytes"], 16 * 1024 + 4096)
        self.assertGreater(counters["tcp_buffer_bytes"], 0)

    def test_streams_are_accepted_with_nagle_off(self):
        """Relayed media must not wait for the client's delayed ACK of the
        previous segment: both the TLS and the plain TCP listener hand out
        streams with TCP_NODELAY set. Read from the server's own socket, a
        copy taken with pidfd_getfd(2)."""
        tls = self.tls_client()
        tcp = socket.create_connection(self.server.address, timeout=3)
        self.addCleanup(tcp.close)
        for client, port in ((tls.sock, self.tls_port), (tcp, self.server.address[1])):
            with server_side_of(self, self.server.process.proc.pid, port, client.getsockname()[1]) as s:
                self.assertEqual(s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY), 1,
                                 f"Nagle on for streams accepted on port {port}")

    def test_the_allocation_ends_with_the_tls_connection(self):
        client = self.tls_client()
        self.assertSuccess(client.allocate())
        relayed = client.relayed
        active = self.counters()["allocations_active"]
        client.close()
        deadline = time.monotonic() + 5
        while self.counters()["allocations_active"] >= active:
            self.assertLess(time.monotonic(), deadline, f"{relayed} outlived its connection")
            time.sleep(0.1)

    def settled_counters(self):
        """The counters once the server has closed every stream the earlier
        tests left (their clients close in cleanups; the server sees the
        ends a moment later)."""
        deadline = time.monotonic() + 5
        while (counters := self.counters())["tcp_connections_open"] != 0:
            self.assertLess(time.monotonic(), deadline,
                            f"{counters['tcp_connections_open']} streams still open")
            time.sleep(0.05)
        return counters

    def test_a_client_that_offers_only_other_protocols_is_refused(self):
        context = trusting(self.cert)
        context.set_alpn_protocols(["h2", "http/1.1"])
        with self.assertRaises(ssl.SSLError) as refused:
            self.tls_client(context)
        self.assertIn("NO APPLICATION PROTOCOL", str(refused.exception).upper())

    def test_old_tls_versions_are_refused(self):
        context = trusting(self.cert)
        context.minimum_version = ssl.TLSVersion.TLSv1
        context.maximum_version = ssl.TLSVersion.TLSv1_1
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
        with self.assertRaises(ssl.SSLError):
            self.tls_client(context)

    def test_plain_stun_and_garbage_on_the_tls_port_are_dropped(self):
        failed = self.settled_counters()["tls_handshakes_failed"]
        for junk in (encode(BINDING, REQUEST), b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
                     os.urandom(3000)):
            with socket.create_connection(("127.0.0.1", self.tls_port), timeout=3) as s:
                s.sendall(junk)
                data = b""
                try:
                    while chunk := s.recv(4096):
                        data += chunk
                except ConnectionResetError:
                    pass
                # At most a TLS alert record (content type 21), never STUN.
                self.assertTrue(data == b"" or data[0] == 21, data[:40])
        self.assertEqual(self.counters()["tls_handshakes_failed"], failed + 3)
        # The plain port and the TLS port still serve.
        self.assertSuccess(self.client(transport="udp").allocate())
        self.assertIsNotNone(self.tls_client().request(BINDING, auth=False))

    def test_streams_cut_after_the_handshake_are_not_failed_handshakes(self):
        """Clients that end the TCP stream without a close_notify (Python's
        ssl does, and so do browsers' tabs closing) had finished their
        handshake: they are not counted with the ones that never did."""
        before = self.settled_counters()
        for _ in range(10):
            client = self.tls_client()
            self.assertIsNotNone(client.request(BINDING, auth=False))
            client.close()
            # The Finished and the end of the stream can reach the server in
            # one read. (Which certificate depends on whether the SIGHUP
            # test ran first.)
            self.assertIn(served_common_name(self.tls_port, self.cert),
                          ("first.test", "renewed.test"))
        after = self.settled_counters()
        self.assertEqual(after["tls_connections_accepted"], before["tls_connections_accepted"] + 20)
        self.assertEqual(after["tls_handshakes_failed"], before["tls_handshakes_failed"])

    def test_a_handshake_cut_half_way_leaves_the_server_serving(self):
        # A ClientHello's first bytes, then silence, then a close.
        hello_start = bytes.fromhex("16030100c8010000c40303") + os.urandom(32)
        stalled = [socket.create_connection(("127.0.0.1", self.tls_port)) for _ in range(20)]
        for s in stalled:
            s.sendall(hello_start)
        try:
            client = self.tls_client()
            self.assertSuccess(client.allocate())
        finally:
            for s in stalled:
                s.close()

    def test_streams_that_send_no_whole_message_in_10_s_are_closed(self):
        """Slowloris on both stream ports: a TLS stream that never finishes
        its handshake, and a plain TCP stream that trickles a STUN header a
        byte every second, never completing it. Both are closed 10-11 s
        after accept (the per-second housekeeping), counted, while a stream
        that made one request and then went quiet stays up (the idle
        timeout is 60 s)."""
        before = self.settled_counters()
        opened = time.monotonic()
        silent_tls = socket.create_connection(("127.0.0.1", self.tls_port), timeout=0.5)
        silent_tls.sendall(bytes.fromhex("16030100c8010000c40303"))  # a ClientHello's start
        trickle = socket.create_connection(self.server.address, timeout=0.5)
        quiet = self.tls_client()
        self.assertIsNotNone(quiet.request(BINDING, auth=False))
        header = encode(BINDING, REQUEST)[:19]  # one byte short of a whole message
        closed_at = {}
        sent = 0
        while len(closed_at) < 2 and time.monotonic() - opened < 20:
            if "trickle" not in closed_at and sent < len(header):
                try:
                    trickle.sendall(header[sent:sent + 1])
                    sent += 1
                except OSError:
                    pass
            for name, s in (("tls", silent_tls), ("trickle", trickle)):
                if name in closed_at:
                    continue
                try:
                    if s.recv(4096) == b"":
                        closed_at[name] = time.monotonic() - opened
                except socket.timeout:
                    pass
                except ConnectionResetError:
                    closed_at[name] = time.monotonic() - opened
        silent_tls.close()
        trickle.close()
        self.assertEqual(set(closed_at), {"tls", "trickle"}, f"still open after 20 s: {closed_at}")
        for name, seconds in closed_at.items():
            self.assertGreaterEqual(seconds, 9.5, f"{name} closed early")
            self.assertLess(seconds, 13, f"{name} closed late")
        response = quiet.request(BINDING, auth=False)
        self.assertIsNotNone(response, "a stream that had made a request was closed")
        after = self.counters()
        self.assertEqual(after["tcp_connections_closed_slow"],
                         before["tcp_connections_closed_slow"] + 2)
        self.assertEqual(after["tls_handshakes_failed"], before["tls_handshakes_failed"] + 1)

    def test_sighup_loads_a_renewed_certificate_and_keeps_live_sessions(self):
        live = self.tls_client()
        self.assertSuccess(live.allocate())
        peer = self.peer()
        self.assertSuccess(live.create_permission(peer.address))
        self.assertEqual(served_common_name(self.tls_port, self.cert), "first.test")
        renewed_cert, renewed_key = make_certificate(self.files.name, "renewed", "renewed.test")
        shutil.copy(renewed_cert, self.cert)
        shutil.copy(renewed_key, self.key)
        self.server.reload(self.server.sections)
        self.assertEqual(served_common_name(self.tls_port, self.cert), "renewed.test")
        # The session that began under the old certificate carries on.
        live.send_indication(peer.address, b"after the renewal")
        self.expect_peer(peer, b"after the renewal", live.relayed)
        self.assertSuccess(live.refresh(600))
        # A new client trusting the renewed certificate connects.
        self.assertIsNotNone(self.tls_client(trusting(self.cert)).request(BINDING, auth=False))

    def test_a_reload_whose_key_does_not_load_is_refused(self):
        before = served_common_name(self.tls_port, self.cert)
        good_key = open(self.key).read()
        try:
            with open(self.key, "w") as f:
                f.write("-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n")
            self.server.process.signal(signal.SIGHUP)
            self.server.process.wait_notify("READY=1")  # sent after a refused reload too
            self.assertIn("reload refused", self.server.output())
            line = [l for l in self.server.output().splitlines() if "reload refused" in l][-1]
            self.assertIn("[relay] pkey", line)
            self.assertIn(self.key, line)
            self.assertNotIn("bm90IGEga2V5", self.server.output())
            self.assertEqual(served_common_name(self.tls_port, self.cert), before)
        finally:
            with open(self.key, "w") as f:
                f.write(good_key)


@unittest.skipUnless(HAVE_OPENSSL and shutil.which("turnutils_uclient")
                     and shutil.which("turnutils_peer"),
                     "the openssl command or coturn's turnutils are not installed")
class CoturnUclientOverTls(unittest.TestCase):
    """turnutils_uclient -S: coturn's client over TLS, through the relay to
    turnutils_peer, no message lost."""

    def test_uclient_tls_channels(self):
        with tempfile.TemporaryDirectory(prefix="turnpike-tls-") as files:
            cert, key = make_certificate(files, "server", "uclient.test")
            tls_port = free_port(socket.SOCK_STREAM)
            server = base.launch(base.settings(relay={"tls-listen": f"127.0.0.1:{tls_port}",
                                                      "cert": cert, "pkey": key}, ports=100))
            peer_port = base.free_port_pair()
            peer = subprocess.Popen(["turnutils_peer", "-L", "127.0.0.1", "-p", str(peer_port)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                time.sleep(0.3)
                done = subprocess.run(
                    ["turnutils_uclient", "-S", "-t", "-c", "-u", base.USER, "-w", base.PASSWORD,
                     "-p", str(tls_port), "-e", "127.0.0.1", "-r", str(peer_port),
                     "-n", "200", "-m", "4", "-l", "170", "-z", "5", "127.0.0.1"],
                    capture_output=True, text=True, timeout=60)
                output = done.stdout + done.stderr
                self.assertEqual(done.returncode, 0, output[-3000:])
                self.assertIn("client session connected with cipher", output)
                totals = base.re.findall(r"tot_send_msgs=(\d+), tot_recv_msgs=(\d+)\s*$",
                                         output, base.re.M)
                lost = base.re.findall(r"Total lost packets (\d+)", output)
                self.assertTrue(totals and lost, output[-3000:])
                self.assertEqual(tuple(map(int, totals[-1])), (800, 800), output[-3000:])
                self.assertEqual(int(lost[-1]), 0, output[-3000:])
                self.assertTrue(server.alive())
            finally:
                peer.kill()
                peer.wait()
                server.stop()


@unittest.skipUnless(HAVE_OPENSSL, "the openssl command is not installed")
class TlsConfigErrors(unittest.TestCase):
    """turnpike --check-config names the file, the key and the problem."""

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory(prefix="turnpike-tls-")
        self.addCleanup(self.dir.cleanup)
        self.cert, self.key = make_certificate(self.dir.name, "a", "a.test")
        self.other_cert, self.other_key = make_certificate(self.dir.name, "b", "b.test")

    def check(self, relay_lines):
        path = os.path.join(self.dir.name, "t.conf")
        with open(path, "w") as f:
            f.write("[server]\nroles = relay\n[relay]\nlisten = 127.0.0.1:3478\n" + relay_lines)
        done = subprocess.run([TURNPIKE, "--check-config", path], capture_output=True, text=True)
        return done.returncode, done.stdout + done.stderr, path

    def assertRefused(self, relay_lines, *expected):
        code, output, path = self.check(relay_lines)
        self.assertEqual(code, 1, output)
        self.assertIn(path, output)
        for text in expected:
            self.assertIn(text, output)

    def test_a_good_pair_passes(self):
        code, output, _ = self.check(f"tls-listen = 127.0.0.1:5349\ncert = {self.cert}\n"
                                     f"pkey = {self.key}\n")
        self.assertEqual(code, 0, output)

    def test_tls_listen_needs_cert_and_pkey(self):
        self.assertRefused("tls-listen = 127.0.0.1:5349\n", "[relay] cert",
                           "needed by [relay] tls-listen")
        self.assertRefused(f"tls-listen = 127.0.0.1:5349\ncert = {self.cert}\n",
                           "[relay] pkey", "needed by [relay] tls-listen")

    def test_missing_files_are_named(self):
        missing = os.path.join(self.dir.name, "nowhere.pem")
        self.assertRefused(f"tls-listen = 127.0.0.1:5349\ncert = {missing}\npkey = {self.key}\n",
                           "[relay] cert", missing, "No such file")
        self.assertRefused(f"tls-listen = 127.0.0.1:5349\ncert = {self.cert}\npkey = {missing}\n",
                           "[relay] pkey", missing, "No such file")

    def test_a_file_that_is_not_pem(self):
        self.assertRefused(f"tls-listen = 127.0.0.1:5349\ncert = {self.key}\npkey = {self.key}\n",
                           "[relay] cert", "not a PEM certificate")
        self.assertRefused(f"tls-listen = 127.0.0.1:5349\ncert = {self.cert}\n"
                           f"pkey = {self.cert}\n", "[relay] pkey", "not a PEM private key")

    def test_a_key_of_another_certificate(self):
        self.assertRefused(f"tls-listen = 127.0.0.1:5349\ncert = {self.cert}\n"
                           f"pkey = {self.other_key}\n", "[relay] pkey",
                           f"is not the key of [relay] cert {self.cert}")

    def test_relative_paths_and_overlaps(self):
        self.assertRefused("cert = server.crt\n", "[relay] cert", "not an absolute path")
        self.assertRefused(f"tls-listen = 127.0.0.1:3478\ncert = {self.cert}\n"
                           f"pkey = {self.key}\n", "[relay] tls-listen",
                           "overlaps [relay] listen 127.0.0.1:3478")
        self.assertRefused(f"tls-listen = 0.0.0.0:3478\ncert = {self.cert}\n"
                           f"pkey = {self.key}\n", "[relay] tls-listen", "overlaps")


if __name__ == "__main__":
    unittest.main()
