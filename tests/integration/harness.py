"""Starts a real turnpike for a test and speaks STUN to it.

Every address used here is on loopback: tests never send traffic anywhere else.
"""
import os
import resource
import signal
import socket
import struct
import subprocess
import tempfile
import time
import zlib

TURNPIKE = os.environ.get("TURNPIKE_BIN", "build/turnpike")
SOURCE_ROOT = os.environ.get(
    "TURNPIKE_SOURCE_ROOT",
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

MAGIC_COOKIE = 0x2112A442
BINDING_REQUEST = 0x0001
BINDING_SUCCESS = 0x0101
BINDING_ERROR = 0x0111
ATTR_MAPPED_ADDRESS = 0x0001
ATTR_ERROR_CODE = 0x0009
ATTR_UNKNOWN_ATTRIBUTES = 0x000A
ATTR_XOR_MAPPED_ADDRESS = 0x0020
ATTR_SOFTWARE = 0x8022
ATTR_FINGERPRINT = 0x8028


def free_port(kind=socket.SOCK_DGRAM, host="127.0.0.1"):
    """A port free for both UDP and TCP on `host`."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for _ in range(100):
        with socket.socket(family, kind) as s:
            s.bind((host, 0))
            port = s.getsockname()[1]
        try:
            with socket.socket(family, socket.SOCK_STREAM) as t, \
                    socket.socket(family, socket.SOCK_DGRAM) as u:
                t.bind((host, port))
                u.bind((host, port))
            return port
        except OSError:
            continue
    raise RuntimeError("no free port")


class Turnpike:
    """A turnpike process with a config written for the test.

    It waits for sd_notify READY=1 on a socket of its own, the way systemd
    would, so a test never races the daemon's startup.
    """

    def __init__(self, config_text, name="turnpike.conf", max_files=None):
        """max_files: the daemon's RLIMIT_NOFILE (soft and hard), when set."""
        self.max_files = max_files
        self.dir = tempfile.TemporaryDirectory(prefix="turnpike-test-")
        self.config_path = os.path.join(self.dir.name, name)
        self.write_config(config_text)
        self.proc = None
        self.log_path = os.path.join(self.dir.name, "turnpike.log")
        self.notify = None

    def write_config(self, text):
        with open(self.config_path, "w") as f:
            f.write(text)

    def start(self, timeout=10):
        notify_path = os.path.join(self.dir.name, "notify")
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(notify_path)
        env = dict(os.environ, NOTIFY_SOCKET=notify_path)
        self.log = open(self.log_path, "wb")
        limit = None
        if self.max_files is not None:
            limit = lambda: resource.setrlimit(resource.RLIMIT_NOFILE,
                                               (self.max_files, self.max_files))
        self.proc = subprocess.Popen([TURNPIKE, "--config", self.config_path], env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     preexec_fn=limit)
        self.wait_notify("READY=1", timeout)
        return self

    def wait_notify(self, what, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"turnpike exited with {self.proc.returncode}:\n{self.output()}")
            self.notify.settimeout(0.1)
            try:
                message = self.notify.recv(4096).decode()
            except socket.timeout:
                continue
            if what in message.split("\n"):
                return message
        raise TimeoutError(f"no {what} from turnpike within {timeout}s:\n{self.output()}")

    def output(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=10):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.notify:
            self.notify.close()
        return self.proc.returncode if self.proc else None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        self.dir.cleanup()


def relay_config(port, host="127.0.0.1", extra=""):
    listen = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return f"""[server]
roles = relay
log-level = debug
[relay]
listen = {listen}
threads = 2
{extra}
"""


def stun_attribute(kind, value):
    padding = b"\0" * (-len(value) % 4)
    return struct.pack("!HH", kind, len(value)) + value + padding


def stun_message(kind, attributes=b"", transaction=None, cookie=True, fingerprint=False):
    transaction = transaction or os.urandom(12 if cookie else 16)
    head = struct.pack("!I", MAGIC_COOKIE) + transaction if cookie else transaction
    length = len(attributes) + (8 if fingerprint else 0)
    message = struct.pack("!HH", kind, length) + head + attributes
    if fingerprint:
        crc = (zlib.crc32(message) ^ 0x5354554E) & 0xFFFFFFFF
        message += struct.pack("!HHI", ATTR_FINGERPRINT, 4, crc)
    return message


def parse_attributes(message):
    """{type: [value, ...]} of a STUN message, checking its framing."""
    kind, length = struct.unpack("!HH", message[:4])
    assert length == len(message) - 20, "length field disagrees with the datagram"
    attributes = {}
    offset = 20
    while offset < len(message):
        t, n = struct.unpack("!HH", message[offset:offset + 4])
        attributes.setdefault(t, []).append(message[offset + 4:offset + 4 + n])
        offset += 4 + n + (-n % 4)
    return kind, attributes


def decode_xor_address(value, transaction):
    family = value[1]
    port = struct.unpack("!H", value[2:4])[0] ^ (MAGIC_COOKIE >> 16)
    key = struct.pack("!I", MAGIC_COOKIE) + transaction
    raw = bytes(a ^ b for a, b in zip(value[4:], key))
    if family == 1:
        return socket.inet_ntop(socket.AF_INET, raw[:4]), port
    return socket.inet_ntop(socket.AF_INET6, raw[:16]), port


def decode_address(value):
    family = value[1]
    port = struct.unpack("!H", value[2:4])[0]
    if family == 1:
        return socket.inet_ntop(socket.AF_INET, value[4:8]), port
    return socket.inet_ntop(socket.AF_INET6, value[4:20]), port


def fingerprint_ok(message):
    value = struct.unpack("!I", message[-4:])[0]
    body = message[:-8]
    return struct.unpack("!H", message[-8:-6])[0] == ATTR_FINGERPRINT and \
        value == (zlib.crc32(body) ^ 0x5354554E) & 0xFFFFFFFF


def udp_exchange(host, port, message, timeout=2.0, sock=None):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    own = sock is None
    if sock is None:
        sock = socket.socket(family, socket.SOCK_DGRAM)
        # Bound, so getsockname() is the address the server should report.
        sock.bind(("::1" if family == socket.AF_INET6 else "127.0.0.1", 0))
    try:
        sock.settimeout(timeout)
        sock.sendto(message, (host, port))
        data, _ = sock.recvfrom(65536)
        return data, sock.getsockname()
    finally:
        if own:
            sock.close()


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed after %d of %d bytes" % (len(data), n))
        data += chunk
    return data


def tcp_read_stun(sock):
    head = recv_exact(sock, 20)
    length = struct.unpack("!H", head[2:4])[0]
    return head + recv_exact(sock, length)
