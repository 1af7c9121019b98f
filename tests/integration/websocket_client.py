"""A small RFC 6455 client for the admin tests: enough to open /ws from a
chosen loopback source address, send and read JSON text frames, and see a
close frame. Independent of the server's code."""
import base64
import json
import os
import socket
import struct


class HandshakeRefused(Exception):
    def __init__(self, status, body):
        super().__init__(f"HTTP {status}: {body!r}")
        self.status = status
        self.body = body


class WebSocket:
    def __init__(self, port, source="127.0.0.1", timeout=5.0, forwarded_for=None):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                             source_address=(source, 0))
        key = base64.b64encode(os.urandom(16)).decode()
        forwarded = f"X-Forwarded-For: {forwarded_for}\r\n" if forwarded_for else ""
        self.sock.sendall((f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                           f"Upgrade: websocket\r\nConnection: Upgrade\r\n{forwarded}"
                           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
                          .encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            head += chunk
        header, _, self.buffer = head.partition(b"\r\n\r\n")
        status = int(header.split(b" ", 2)[1])
        if status != 101:
            body = self.buffer
            try:
                while True:
                    chunk = self.sock.recv(4096)
                    if not chunk:
                        break
                    body += chunk
            except OSError:
                pass
            self.sock.close()
            raise HandshakeRefused(status, body.decode(errors="replace"))

    def send(self, message):
        data = json.dumps(message).encode()
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        if len(data) < 126:
            header = struct.pack("!BB", 0x81, 0x80 | len(data))
        else:
            header = struct.pack("!BBH", 0x81, 0x80 | 126, len(data))
        self.sock.sendall(header + mask + masked)

    def _read(self, n):
        while len(self.buffer) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed")
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def frame(self):
        """(opcode, payload) of the next frame."""
        first, second = self._read(2)
        length = second & 0x7F
        if length == 126:
            length = struct.unpack("!H", self._read(2))[0]
        elif length == 127:
            length = struct.unpack("!Q", self._read(8))[0]
        return first & 0x0F, self._read(length)

    def next(self, kind):
        """The next JSON message of type `kind`, skipping others and pings."""
        while True:
            opcode, payload = self.frame()
            if opcode == 0x8:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                raise ConnectionError(f"closed with {code} {payload[2:]!r}")
            if opcode == 0x1:
                message = json.loads(payload)
                if message.get("type") == kind:
                    return message

    def close_code(self):
        """Reads until a close frame; its code."""
        while True:
            opcode, payload = self.frame()
            if opcode == 0x8:
                return struct.unpack("!H", payload[:2])[0], payload[2:].decode()

    def close(self):
        self.sock.close()
