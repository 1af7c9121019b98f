"""A small TURN client (RFC 8656 over RFC 8489 STUN) for the integration tests.

Python stdlib only. It speaks TURN over UDP and over TCP (with the RFC 8656
section 12.5 ChannelData padding), runs the long-term credential mechanism
(unauthenticated first request -> 401 with REALM and NONCE -> retry with
USERNAME, REALM, NONCE and MESSAGE-INTEGRITY; 438 Stale Nonce -> retry with the
new nonce), and returns every response, error or not, as a value so a test can
assert on it. Responses are checked: FINGERPRINT when present (a bad one makes
the datagram "not STUN" and it is dropped, as RFC 8489 section 7.3 says, and
counted in `discarded`), MESSAGE-INTEGRITY when the request was authenticated
(recorded as `integrity` True / False / None=absent; the tests decide).

Only the addresses a test gives it are ever contacted; the tests use loopback.
"""
import base64
import collections
import hashlib
import hmac
import os
import socket
import struct
import time
import zlib

MAGIC_COOKIE = 0x2112A442
FINGERPRINT_XOR = 0x5354554E

# Classes.
REQUEST, INDICATION, SUCCESS, ERROR = 0, 1, 2, 3

# Methods.
BINDING = 0x001
ALLOCATE = 0x003
REFRESH = 0x004
SEND = 0x006
DATA = 0x007
CREATE_PERMISSION = 0x008
CHANNEL_BIND = 0x009

METHOD_NAMES = {BINDING: "Binding", ALLOCATE: "Allocate", REFRESH: "Refresh", SEND: "Send",
                DATA: "Data", CREATE_PERMISSION: "CreatePermission", CHANNEL_BIND: "ChannelBind"}

# Attributes.
MAPPED_ADDRESS = 0x0001
USERNAME = 0x0006
MESSAGE_INTEGRITY = 0x0008
ERROR_CODE = 0x0009
UNKNOWN_ATTRIBUTES = 0x000A
CHANNEL_NUMBER = 0x000C
LIFETIME = 0x000D
XOR_PEER_ADDRESS = 0x0012
DATA_ATTR = 0x0013
REALM = 0x0014
NONCE = 0x0015
XOR_RELAYED_ADDRESS = 0x0016
REQUESTED_ADDRESS_FAMILY = 0x0017
EVEN_PORT = 0x0018
REQUESTED_TRANSPORT = 0x0019
DONT_FRAGMENT = 0x001A
MESSAGE_INTEGRITY_SHA256 = 0x001C
XOR_MAPPED_ADDRESS = 0x0020
RESERVATION_TOKEN = 0x0022
ADDITIONAL_ADDRESS_FAMILY = 0x8000
ADDRESS_ERROR_CODE = 0x8001
ICMP = 0x8004
SOFTWARE = 0x8022
FINGERPRINT = 0x8028

FAMILY_IPV4 = 0x01
FAMILY_IPV6 = 0x02
PROTO_UDP = 17
PROTO_TCP = 6


class ProtocolError(Exception):
    """The server sent something that is not valid STUN/TURN framing."""


# --- encoding helpers --------------------------------------------------------

def message_type(method, cls):
    """RFC 8489 section 5: the class bits C1 C0 interleaved into the method."""
    return ((method & 0x000F) | ((method & 0x0070) << 1) | ((method & 0x0F80) << 2)
            | ((cls & 0x1) << 4) | ((cls & 0x2) << 7))


def split_type(kind):
    method = (kind & 0x000F) | ((kind & 0x00E0) >> 1) | ((kind & 0x3E00) >> 2)
    cls = ((kind >> 4) & 0x1) | ((kind >> 7) & 0x2)
    return method, cls


def attribute(kind, value):
    """One TLV, padded to a multiple of four."""
    return struct.pack("!HH", kind, len(value)) + value + b"\0" * (-len(value) % 4)


def _text(value):
    return value.decode() if isinstance(value, (bytes, bytearray)) else value


def long_term_key(username, realm, password):
    """RFC 8489 section 9.2.2: MD5(username ":" realm ":" password)."""
    return hashlib.md5(f"{_text(username)}:{_text(realm)}:{_text(password)}".encode()).digest()


def rest_credentials(secret, user_id="rest-user", ttl=3600, expiry=None, separator=":"):
    """TURN REST API credentials (coturn's use-auth-secret): username
    "expiry:id", password base64(HMAC-SHA1(secret, username))."""
    if expiry is None:
        expiry = int(time.time()) + ttl
    username = f"{expiry}{separator}{user_id}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def _family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _endpoint(address):
    """(packed IP, port): one spelling for comparing socket addresses."""
    return socket.inet_pton(_family_of(address[0]), address[0]), address[1]


def xor_address_value(address, transaction):
    """The value of an XOR-*-ADDRESS attribute (RFC 8489 section 14.2)."""
    host, port = address[0], address[1]
    family = _family_of(host)
    raw = socket.inet_pton(family, host)
    key = struct.pack("!I", MAGIC_COOKIE) + transaction
    xored = bytes(a ^ b for a, b in zip(raw, key))
    return struct.pack("!BBH", 0, FAMILY_IPV4 if family == socket.AF_INET else FAMILY_IPV6,
                       port ^ (MAGIC_COOKIE >> 16)) + xored


def decode_xor_address(value, transaction):
    if len(value) < 4:
        raise ProtocolError(f"XOR address of {len(value)} bytes")
    family = value[1]
    port = struct.unpack("!H", value[2:4])[0] ^ (MAGIC_COOKIE >> 16)
    key = struct.pack("!I", MAGIC_COOKIE) + transaction
    if family == FAMILY_IPV4 and len(value) == 8:
        raw = bytes(a ^ b for a, b in zip(value[4:8], key))
        return socket.inet_ntop(socket.AF_INET, raw), port
    if family == FAMILY_IPV6 and len(value) == 20:
        raw = bytes(a ^ b for a, b in zip(value[4:20], key))
        return socket.inet_ntop(socket.AF_INET6, raw), port
    raise ProtocolError(f"XOR address: family {family} with {len(value)} bytes")


def xor_peer(address):
    """An XOR-PEER-ADDRESS attribute for request attribute lists (it depends
    on the transaction id, so it is built when the message is)."""
    return (XOR_PEER_ADDRESS, lambda transaction: xor_address_value(address, transaction))


def u32(value):
    return struct.pack("!I", value)


def encode(method, cls, attributes=(), transaction=None, key=None, fingerprint=True):
    """A STUN message. `attributes` items are (type, bytes), (type,
    callable(transaction) -> bytes), or raw pre-encoded bytes (written as they
    are, for malformed input). With `key`, MESSAGE-INTEGRITY (HMAC-SHA1) is
    appended; with `fingerprint`, FINGERPRINT last."""
    transaction = transaction or os.urandom(12)
    body = b""
    for item in attributes:
        if isinstance(item, (bytes, bytearray)):
            body += bytes(item)
            continue
        kind, value = item
        if callable(value):
            value = value(transaction)
        body += attribute(kind, value)
    kind = message_type(method, cls)
    if key is not None:
        head = struct.pack("!HHI", kind, len(body) + 24, MAGIC_COOKIE) + transaction
        mac = hmac.new(key, head + body, hashlib.sha1).digest()
        body += attribute(MESSAGE_INTEGRITY, mac)
    if fingerprint:
        head = struct.pack("!HHI", kind, len(body) + 8, MAGIC_COOKIE) + transaction
        crc = (zlib.crc32(head + body) ^ FINGERPRINT_XOR) & 0xFFFFFFFF
        body += attribute(FINGERPRINT, u32(crc))
    return struct.pack("!HHI", kind, len(body), MAGIC_COOKIE) + transaction + body


def channel_data(channel, data, pad=False, length=None):
    """A ChannelData message; `length` overrides the length field (hostile tests)."""
    message = struct.pack("!HH", channel, len(data) if length is None else length) + data
    if pad:
        message += b"\0" * (-len(message) % 4)
    return message


# --- decoding ----------------------------------------------------------------

class StunMessage:
    """A parsed STUN message. Framing errors raise ProtocolError."""

    def __init__(self, raw):
        if len(raw) < 20:
            raise ProtocolError(f"STUN message of {len(raw)} bytes")
        kind, length, cookie = struct.unpack("!HHI", raw[:8])
        if kind & 0xC000:
            raise ProtocolError("the first two bits of a STUN message must be zero")
        if length % 4 or length != len(raw) - 20:
            raise ProtocolError(f"length field {length} for a {len(raw)}-byte message")
        self.raw = bytes(raw)
        self.kind = kind
        self.method, self.cls = split_type(kind)
        # Without the magic cookie it is an RFC 3489 message (a server may
        # answer a classic Binding request so): a 16-byte transaction id,
        # which never matches one of ours.
        self.classic = cookie != MAGIC_COOKIE
        self.transaction = self.raw[4:20] if self.classic else self.raw[8:20]
        self.attributes = []  # (type, value, offset of the attribute header)
        offset = 20
        while offset < len(raw):
            if offset + 4 > len(raw):
                raise ProtocolError("truncated attribute header")
            t, n = struct.unpack("!HH", raw[offset:offset + 4])
            if offset + 4 + n > len(raw):
                raise ProtocolError(f"attribute {t:#06x} of {n} bytes overruns the message")
            self.attributes.append((t, self.raw[offset + 4:offset + 4 + n], offset))
            offset += 4 + n + (-n % 4)
        if offset != len(raw):
            raise ProtocolError("padding overruns the message")
        types = [t for t, _, _ in self.attributes]
        if FINGERPRINT in types and types.index(FINGERPRINT) != len(types) - 1:
            raise ProtocolError("FINGERPRINT is not the last attribute")
        # Set by TurnClient.request.
        self.integrity = None
        self.authenticated_request = False

    def __repr__(self):
        name = METHOD_NAMES.get(self.method, hex(self.method))
        cls = ("request", "indication", "success", "error")[self.cls]
        extra = f" {self.error_code} {self.reason!r}" if self.cls == ERROR else ""
        return f"<{name} {cls}{extra}>"

    @property
    def is_success(self):
        return self.cls == SUCCESS

    @property
    def is_error(self):
        return self.cls == ERROR

    def get(self, kind):
        for t, value, _ in self.attributes:
            if t == kind:
                return value
        return None

    def all(self, kind):
        return [value for t, value, _ in self.attributes if t == kind]

    def has(self, kind):
        return any(t == kind for t, _, _ in self.attributes)

    @property
    def error_code(self):
        value = self.get(ERROR_CODE)
        if value is None:
            return None
        if len(value) < 4:
            raise ProtocolError("ERROR-CODE shorter than 4 bytes")
        return (value[2] & 0x7) * 100 + value[3]

    @property
    def reason(self):
        value = self.get(ERROR_CODE)
        return value[4:].decode(errors="replace") if value else ""

    def xor_address(self, kind=XOR_RELAYED_ADDRESS):
        value = self.get(kind)
        return None if value is None else decode_xor_address(value, self.transaction)

    def xor_addresses(self, kind=XOR_RELAYED_ADDRESS):
        return [decode_xor_address(v, self.transaction) for v in self.all(kind)]

    @property
    def lifetime(self):
        value = self.get(LIFETIME)
        if value is None:
            return None
        if len(value) != 4:
            raise ProtocolError(f"LIFETIME of {len(value)} bytes")
        return struct.unpack("!I", value)[0]

    @property
    def fingerprint(self):
        """True / False, or None when the message has no FINGERPRINT."""
        if not self.attributes or self.attributes[-1][0] != FINGERPRINT:
            return None
        _, value, offset = self.attributes[-1]
        if len(value) != 4:
            return False
        crc = (zlib.crc32(self.raw[:offset]) ^ FINGERPRINT_XOR) & 0xFFFFFFFF
        return struct.unpack("!I", value)[0] == crc

    def check_integrity(self, key):
        """True / False, or None when there is no MESSAGE-INTEGRITY. Attributes
        after it other than FINGERPRINT make it False (RFC 8489 section 14.5)."""
        for index, (t, value, offset) in enumerate(self.attributes):
            if t != MESSAGE_INTEGRITY:
                continue
            if len(value) != 20:
                return False
            after = [a for a, _, _ in self.attributes[index + 1:]]
            if any(a not in (FINGERPRINT, MESSAGE_INTEGRITY_SHA256) for a in after):
                return False
            head = bytearray(self.raw[:20])
            struct.pack_into("!H", head, 2, offset + 24 - 20)
            mac = hmac.new(key, bytes(head) + self.raw[20:offset], hashlib.sha1).digest()
            return hmac.compare_digest(mac, value)
        return None


class Received:
    """Data from the server that is not a response: a Data indication
    (kind "data", with peer and data), a ChannelData message (kind "channel",
    with channel and data), or another STUN message (kind "stun")."""

    def __init__(self, kind, data=b"", peer=None, channel=None, message=None, raw=b""):
        self.kind, self.data, self.peer, self.channel = kind, data, peer, channel
        self.message, self.raw = message, raw

    def __repr__(self):
        who = self.peer if self.kind == "data" else hex(self.channel or 0)
        return f"<{self.kind} {who} {len(self.data)} bytes>"


def parse_incoming(raw):
    """One datagram (or one TCP frame) from the server: a StunMessage or a
    Received for ChannelData. Raises ProtocolError on bad framing."""
    if not raw:
        raise ProtocolError("empty datagram")
    top = raw[0] >> 6
    if top == 0:
        return StunMessage(raw)
    if top == 1:
        if len(raw) < 4:
            raise ProtocolError("ChannelData shorter than its header")
        channel, length = struct.unpack("!HH", raw[:4])
        if 4 + length > len(raw):
            raise ProtocolError(f"ChannelData says {length} bytes, datagram has {len(raw) - 4}")
        if len(raw) - 4 - length > 3:
            raise ProtocolError(f"ChannelData with {len(raw) - 4 - length} bytes of trailing data")
        return Received("channel", data=bytes(raw[4:4 + length]), channel=channel, raw=bytes(raw))
    raise ProtocolError(f"first byte {raw[0]:#04x} is neither STUN nor ChannelData")


# --- the client -----------------------------------------------------------------

class TurnClient:
    """One client transport address (one 5-tuple) talking to one server.

    Every method returns the server's final response (a StunMessage) or None
    when none came within the timeout; on a successful Allocate it also keeps
    `relayed`, `relayed_all`, `mapped`, `lifetime` and `reservation_token`.
    """

    def __init__(self, server, username=None, password=None, transport="udp", local=None,
                 timeout=3.0, rto=0.5, software="turnpike-tests", fingerprint=True, key=None,
                 tls=None):
        """transport: udp, tcp, or tls (TCP inside TLS; `tls` is the
        ssl.SSLContext to connect with, and `server_hostname` its name)."""
        self.server = (server[0], server[1])
        self.username, self.password = username, password
        self.transport = transport
        self.timeout, self.rto = timeout, rto
        self.software = software
        self.fingerprint = fingerprint
        self.fixed_key = key
        self.realm = None
        self.nonce = None
        self.incoming = collections.deque()
        self.responses = []       # every response received, in order
        self.stale_nonce_retries = 0
        self.discarded = 0        # messages dropped for a bad FINGERPRINT
        self.last_request = None  # (bytes, transaction) of the last request sent
        self.relayed = self.mapped = self.lifetime = self.reservation_token = None
        self.relayed_all = []
        family = _family_of(self.server[0])
        loopback = "::1" if family == socket.AF_INET6 else "127.0.0.1"
        self._buffer = b""
        if transport == "udp":
            self.sock = socket.socket(family, socket.SOCK_DGRAM)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 21)
            self.sock.bind(local or (loopback, 0))
        elif transport in ("tcp", "tls"):
            self.sock = socket.socket(family, socket.SOCK_STREAM)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if local:
                self.sock.bind(local)
            self.sock.settimeout(timeout)
            self.sock.connect(self.server)
            if transport == "tls":
                self.sock = tls.wrap_socket(self.sock, server_hostname=self.server[0])
        else:
            raise ValueError(transport)
        self.local = self.sock.getsockname()[:2]

    # -- plumbing --

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def key(self):
        if self.fixed_key is not None:
            return self.fixed_key
        if self.username is None or self.realm is None:
            return None
        return long_term_key(self.username, self.realm, self.password)

    def send_raw(self, data):
        """Sends bytes as they are (a datagram over UDP, stream bytes over TCP)."""
        if self.transport == "udp":
            self.sock.sendto(data, self.server)
        else:
            self.sock.sendall(data)

    def _read_frame(self, timeout):
        """The next datagram or TCP frame, or None at the deadline."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if self.transport != "udp":
                frame = self._tcp_frame()
                if frame is not None:
                    return frame
            if remaining <= 0:
                return None
            self.sock.settimeout(remaining)
            try:
                if self.transport == "udp":
                    data, source = self.sock.recvfrom(65536)
                    if _endpoint(source) != _endpoint(self.server):
                        continue  # not from the server: ignore, as a client must
                    return data
                chunk = self.sock.recv(65536)
            except (socket.timeout, BlockingIOError):
                return None
            if not chunk:
                raise ConnectionError("the server closed the TCP connection")
            self._buffer += chunk

    def _tcp_frame(self):
        buffer = self._buffer
        if len(buffer) < 4:
            return None
        top = buffer[0] >> 6
        length = struct.unpack("!H", buffer[2:4])[0]
        if top == 0:
            size = 20 + length
        elif top == 1:
            size = 4 + length + (-length % 4)  # RFC 8656 12.5: padded over TCP
        else:
            raise ProtocolError(f"TCP stream byte {buffer[0]:#04x} starts no STUN/ChannelData")
        if len(buffer) < size:
            return None
        frame, self._buffer = buffer[:size], buffer[size:]
        if top == 1:
            frame = frame[:4 + length]
        return frame

    def _dispatch(self, raw):
        """Returns a StunMessage response, or queues what is not one. None when
        the datagram was dropped."""
        item = parse_incoming(raw)
        if isinstance(item, Received):
            self.incoming.append(item)
            return None
        if item.fingerprint is False:
            self.discarded += 1
            return None
        if item.cls in (SUCCESS, ERROR) and not item.classic:
            return item
        if item.cls == INDICATION and item.method == DATA and not item.classic:
            peer = item.xor_address(XOR_PEER_ADDRESS)
            data = item.get(DATA_ATTR)
            self.incoming.append(Received("data", data=data, peer=peer, message=item, raw=raw))
        else:
            self.incoming.append(Received("stun", message=item, raw=raw))
        return None

    def transact(self, message, transaction, timeout=None):
        """Sends a request and waits for the response with its transaction id,
        retransmitting over UDP (RFC 8489 section 6.2.1, RTO doubling)."""
        timeout = self.timeout if timeout is None else timeout
        self.last_request = (message, transaction)
        deadline = time.monotonic() + timeout
        rto = self.rto
        next_send = time.monotonic()
        while True:
            now = time.monotonic()
            if now >= deadline:
                return None
            if now >= next_send:
                self.send_raw(message)
                if self.transport != "udp":
                    next_send = deadline  # reliable: never retransmit
                else:
                    next_send = now + rto
                    rto *= 2
            raw = self._read_frame(min(next_send, deadline) - time.monotonic())
            if raw is None:
                continue
            response = self._dispatch(raw)
            if response is not None and response.transaction == transaction:
                self.responses.append(response)
                return response

    def retransmit_last(self, timeout=None):
        """Sends the last request again, byte for byte (same transaction id)."""
        message, transaction = self.last_request
        return self.transact(message, transaction, timeout)

    # -- requests --

    def request(self, method, attributes=(), auth=True, timeout=None, transaction=None,
                integrity=True):
        """One request through the long-term credential mechanism. Returns
        the final response; `response.integrity` is the check of its
        MESSAGE-INTEGRITY when the request carried one."""
        challenged = False
        stale = 0
        while True:
            key = self.key if (auth and integrity) else None
            with_credentials = auth and self.username is not None and self.nonce is not None
            attrs = list(attributes)
            if self.software and method in (ALLOCATE, REFRESH):
                attrs.append((SOFTWARE, self.software.encode()))
            if with_credentials:
                attrs = [(USERNAME, self.username.encode()), (REALM, self.realm),
                         (NONCE, self.nonce)] + attrs
            else:
                key = None
            tid = transaction or os.urandom(12)
            message = encode(method, REQUEST, attrs, tid, key=key, fingerprint=self.fingerprint)
            response = self.transact(message, tid, timeout)
            if response is None:
                return None
            response.authenticated_request = key is not None
            if key is not None:
                response.integrity = response.check_integrity(key)
            code = response.error_code
            realm, nonce = response.get(REALM), response.get(NONCE)
            if code == 401 and auth and not with_credentials and not challenged \
                    and self.username is not None and realm is not None and nonce is not None:
                self.realm, self.nonce = realm, nonce
                challenged = True
                transaction = None
                continue
            if code == 438 and auth and with_credentials and nonce is not None and stale < 3:
                self.nonce = nonce
                if realm is not None:
                    self.realm = realm
                stale += 1
                self.stale_nonce_retries += 1
                transaction = None
                continue
            if nonce is not None and code in (401, 438):
                self.nonce = nonce
            return response

    def allocate(self, transport=PROTO_UDP, lifetime=None, even_port=None, reservation_token=None,
                 family=None, additional_family=None, dont_fragment=False, extra=(),
                 requested_transport=True, timeout=None):
        """even_port: None (absent), False (R=0) or True (R=1)."""
        attrs = []
        if requested_transport:
            attrs.append((REQUESTED_TRANSPORT, struct.pack("!B3x", transport)))
        if lifetime is not None:
            attrs.append((LIFETIME, u32(lifetime)))
        if even_port is not None:
            attrs.append((EVEN_PORT, bytes([0x80 if even_port else 0])))
        if reservation_token is not None:
            attrs.append((RESERVATION_TOKEN, reservation_token))
        if family is not None:
            attrs.append((REQUESTED_ADDRESS_FAMILY, struct.pack("!B3x", family)))
        if additional_family is not None:
            attrs.append((ADDITIONAL_ADDRESS_FAMILY, struct.pack("!B3x", additional_family)))
        if dont_fragment:
            attrs.append((DONT_FRAGMENT, b""))
        attrs.extend(extra)
        response = self.request(ALLOCATE, attrs, timeout=timeout)
        if response is not None and response.is_success:
            self.note_allocation(response)
        return response

    def note_allocation(self, response):
        self.relayed_all = response.xor_addresses(XOR_RELAYED_ADDRESS)
        self.relayed = self.relayed_all[0] if self.relayed_all else None
        self.mapped = response.xor_address(XOR_MAPPED_ADDRESS)
        self.lifetime = response.lifetime
        self.reservation_token = response.get(RESERVATION_TOKEN)

    def refresh(self, lifetime=None, family=None, extra=(), timeout=None):
        attrs = []
        if lifetime is not None:
            attrs.append((LIFETIME, u32(lifetime)))
        if family is not None:
            attrs.append((REQUESTED_ADDRESS_FAMILY, struct.pack("!B3x", family)))
        attrs.extend(extra)
        return self.request(REFRESH, attrs, timeout=timeout)

    def create_permission(self, *peers, timeout=None):
        """Peers are (host, port) tuples or bare host strings (port 0)."""
        attrs = [xor_peer(p if isinstance(p, tuple) else (p, 0)) for p in peers]
        return self.request(CREATE_PERMISSION, attrs, timeout=timeout)

    def channel_bind(self, channel, peer, timeout=None):
        attrs = [(CHANNEL_NUMBER, struct.pack("!H2x", channel)), xor_peer(peer)]
        return self.request(CHANNEL_BIND, attrs, timeout=timeout)

    # -- data --

    def send_indication(self, peer, data, dont_fragment=False, extra=()):
        attrs = [xor_peer(peer), (DATA_ATTR, data)]
        if dont_fragment:
            attrs.append((DONT_FRAGMENT, b""))
        attrs.extend(extra)
        self.send_raw(encode(SEND, INDICATION, attrs, fingerprint=self.fingerprint))

    def send_channel_data(self, channel, data, pad=None, length=None):
        if pad is None:
            pad = self.transport != "udp"
        self.send_raw(channel_data(channel, data, pad=pad, length=length))

    def recv(self, timeout=1.0):
        """The next Data indication / ChannelData / other non-response message
        from the server, or None at the timeout."""
        deadline = time.monotonic() + timeout
        while not self.incoming:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            raw = self._read_frame(remaining)
            if raw is None:
                return None
            response = self._dispatch(raw)
            if response is not None:
                self.responses.append(response)  # a late retransmitted answer
        return self.incoming.popleft()

    def recv_all(self, quiet=0.3, limit=10.0):
        """Everything that arrives until `quiet` seconds pass with nothing."""
        items = []
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            item = self.recv(quiet)
            if item is None:
                break
            items.append(item)
        return items


class Peer:
    """A UDP socket standing in for a peer on the far side of the relay."""

    def __init__(self, host="127.0.0.1", port=0):
        self.sock = socket.socket(_family_of(host), socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
        self.sock.bind((host, port))
        self.address = self.sock.getsockname()[:2]

    def send(self, data, to):
        self.sock.sendto(data, to)

    def recv(self, timeout=1.0):
        """(data, (host, port)) or None."""
        self.sock.settimeout(timeout)
        try:
            data, source = self.sock.recvfrom(65536)
        except socket.timeout:
            return None
        return data, source[:2]

    def drain(self, quiet=0.3):
        """Every datagram until `quiet` seconds pass with nothing."""
        got = []
        while True:
            item = self.recv(quiet)
            if item is None:
                return got
            got.append(item)

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
