#pragma once

#include <span>
#include <string_view>

#include "common/cidr.hpp"

namespace turnpike {

// Decides whether the relay may send to a peer address, so that a TURN client
// cannot use the relay to reach the relay host itself or the networks behind
// it (the class of bug behind coturn's CVE-2020-26262).
//
// The rule, first match wins:
//  1. An unspecified address (0.0.0.0, ::) is denied: Linux delivers packets
//     sent to it to the local host. Nothing overrides this.
//  2. [relay] denied-peer-ip denies, even where allowed-peer-ip also covers
//     the address: the operator's deny is the last word.
//  3. [relay] allowed-peer-ip permits what it covers, and only that: it
//     overrides the default list for the addresses it names, nothing else.
//  4. allow-loopback-peers (tests only) permits 127.0.0.0/8 and ::1.
//  5. The default list, default_denied_ranges(), denies.
//  6. Everything else is permitted.
//
// Addresses that carry an IPv4 address:
//  - IPv4-mapped (::ffff:a.b.c.d) is sent by the kernel as plain IPv4 to
//    a.b.c.d, so it is judged as a.b.c.d at every step, and an operator's
//    list may write an IPv4 range either way (10.0.0.0/8, ::ffff:10.0.0.0/104).
//  - NAT64 (64:ff9b::/96) and 6to4 (2002::/16) reach their embedded IPv4
//    address through a translator or relay router, on *that* network. They
//    are denied when the embedded address is (steps 2 and 5), but steps 3
//    and 4 permit only the literal IPv6 address: allowing 10.0.0.0/8 speaks
//    for your 10/8, not a translator's.
//
// permits() and why_denied() allocate nothing and take no lock: they are
// safe to call from every worker thread on the per-packet path.
class PeerPolicy {
  public:
    PeerPolicy(CidrSet allowed, CidrSet denied, bool allow_loopback);

    bool permits(const IpAddress& peer) const noexcept { return why_denied(peer).empty(); }
    // Why `peer` is denied, for logs ("private (RFC 1918)", "denied-peer-ip");
    // empty when it is permitted.
    std::string_view why_denied(const IpAddress& peer) const noexcept;

  private:
    CidrSet allowed_;
    CidrSet denied_;
    bool allow_loopback_;
};

struct DeniedRange {
    std::string_view cidr;
    std::string_view reason;
};

// The built-in deny list, most specific first; peer_policy.cpp explains how
// it was chosen.
std::span<const DeniedRange> default_denied_ranges();

}  // namespace turnpike
