#!/usr/bin/env python3
"""Writes the seed inputs of fuzz/turn_fuzz.cpp into fuzz/corpus/turn: short
conversations a TURN client really has (allocate, permit, bind, relay,
refresh, delete), in the target's record format. libFuzzer grows the corpus
from them; the test suite replays the whole directory."""
import os
import struct
import sys

COOKIE = 0x2112A442
SIGN, REST, AGAIN, PEER, LATER = 0x04, 0x08, 0x10, 0x20, 0x40


def attribute(kind, value):
    return struct.pack("!HH", kind, len(value)) + value + b"\0" * (-len(value) % 4)


def xor_peer(ip, port):
    a, b, c, d = (int(x) for x in ip.split("."))
    address = (a << 24 | b << 16 | c << 8 | d) ^ COOKIE
    return attribute(0x0012, struct.pack("!BBHI", 0, 1, port ^ (COOKIE >> 16), address))


def record(flags, body):
    return struct.pack("!BH", flags, len(body)) + body


def signed(method, *attributes, flags=0):
    return record(SIGN | flags, struct.pack("!H", method) + b"".join(attributes))


UDP = attribute(0x0019, bytes([17, 0, 0, 0]))
ALLOCATE = signed(0x0003, UDP)
PERMIT = signed(0x0008, xor_peer("127.0.0.1", 9), xor_peer("127.0.0.2", 9))
BIND = signed(0x0009, attribute(0x000C, bytes([0x40, 0x00, 0, 0])), xor_peer("127.0.0.1", 9))
CHANNEL_DATA = record(0, struct.pack("!HH", 0x4000, 4) + b"ping")
SEND = signed(0x0016, xor_peer("127.0.0.1", 9), attribute(0x0013, b"hello"))
REFRESH = signed(0x0004, attribute(0x000D, struct.pack("!I", 1200)))
DELETE = signed(0x0004, attribute(0x000D, struct.pack("!I", 0)))
CHALLENGE = record(0, struct.pack("!HHI", 0x0003, 8, COOKIE) + b"x" * 12 + UDP)

SEEDS = {
    "challenge": CHALLENGE,
    "allocate": ALLOCATE,
    "allocate-rest": signed(0x0003, UDP, flags=REST),
    "allocate-retransmitted": ALLOCATE + record(SIGN | AGAIN, ALLOCATE[3:]),
    "even-port-pair": signed(0x0003, UDP, attribute(0x0018, b"\x80")),
    "dont-fragment-lifetime": signed(0x0003, UDP, attribute(0x001A, b""),
                                     attribute(0x000D, struct.pack("!I", 3600))),
    "ipv6-family": signed(0x0003, UDP, attribute(0x0017, bytes([2, 0, 0, 0]))),
    "relay-session": ALLOCATE + PERMIT + BIND + CHANNEL_DATA + SEND + REFRESH + DELETE,
    "two-clients": ALLOCATE + record(SIGN | 1, ALLOCATE[3:]) + BIND + record(1, CHANNEL_DATA[3:]),
    "peer-to-channel": ALLOCATE + PERMIT + BIND + record(PEER, b"media from the peer")
    + record(PEER, b"v" * 1200),
    "peer-to-data-indication": ALLOCATE + PERMIT + record(PEER, b"no channel, so a Data indication"),
    "peer-without-permission": ALLOCATE + record(PEER, b"dropped"),
    # Housekeeping as if 320 s had passed (permissions expire), then 640 s
    # (the channel and the allocation), then a new allocation.
    "expiry": ALLOCATE + PERMIT + BIND + record(LATER, bytes([40])) + CHANNEL_DATA
    + record(LATER, bytes([80])) + ALLOCATE,
    "reservation-expiry": signed(0x0003, UDP, attribute(0x0018, b"\x80"))
    + record(LATER, bytes([4])),
    "quota": b"".join(record(SIGN | n, ALLOCATE[3:]) for n in range(4)) * 2,
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__),
                                                            "corpus", "turn")
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(out, "seed-" + name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
