#include "common/peer_policy.hpp"

#include <algorithm>
#include <array>
#include <iterator>
#include <optional>
#include <utility>
#include <vector>

namespace turnpike {

namespace {

// The built-in deny list. The reference is eturnal's "recommended" peer
// blacklist (Enable Security's list after CVE-2020-26262), checked against
// the IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890,
// RFC 8190) as they stand in 2025. Where this list differs, and why:
//
//  - 0.0.0.0/8 and ::/128 are absent from eturnal's list only because its
//    STUN library blocks them unconditionally; here they are listed, and the
//    unspecified addresses are never permitted at all (rule 1).
//  - 255.255.255.255 sits inside 240.0.0.0/4 but is named so logs say
//    "broadcast"; 2001::/32 (Teredo) likewise inside 2001::/23.
//  - Added because the registries mark them not globally reachable and they
//    postdate eturnal's list or were left to the operator: 2001:db8::/32 and
//    3fff::/20 (documentation, RFC 3849, RFC 9637), 5f00::/16 (SRv6 SIDs,
//    RFC 9602), 100:0:0:1::/64 (dummy prefix, RFC 9780).
//  - 192.0.0.0/24 and 2001::/23 contain a few entries the registries call
//    globally reachable: PCP and TURN anycast (192.0.0.9, 192.0.0.10,
//    2001:1::1, 2001:1::2), AMT 2001:3::/32, AS112 2001:4:112::/48, ORCHIDv2
//    2001:20::/28, DRIP 2001:30::/28. They are protocol infrastructure, never
//    a browser peer, and relaying into another TURN server's anycast address
//    is the shape of a loop or an abuse, so both blocks are denied whole.
//  - Not denied although registered: 192.31.196.0/24, 192.52.193.0/24,
//    192.175.48.0/24 and 2620:4f:8000::/48 (AS112, AMT). They are globally
//    reachable unicast; denying them protects nothing.
//  - Judged by the IPv4 address inside rather than denied whole:
//    ::ffff:0:0/96 (how the kernel writes IPv4 on a dual-stack socket),
//    64:ff9b::/96 (NAT64, globally reachable in the registry, and the way an
//    IPv6-only relay reaches IPv4 peers; eturnal denies it whole) and
//    2002::/16 (6to4, deprecated by RFC 7526 but still seen; eturnal's STUN
//    library denies it whole). A public address behind them is a legitimate
//    peer; a private one is not.
//  - IPv6 outside 2000::/3 is denied as a whole. IANA assigns global unicast
//    only from 2000::/3 (RFC 4291 section 2.4, IPv6 Address Space registry);
//    the rest is loopback, unique local, link-local, multicast or reserved,
//    including deprecated IPv4-compatible ::/96, which Linux's sit driver
//    can tunnel, and site-local fec0::/10. A list of named blocks alone would
//    fail open on whatever is reserved next. The named blocks out there stay
//    listed for the reasons they give in logs.
//
// Most specific first: the first range containing an address gives its reason.
constexpr std::string_view kOutsideGlobalUnicast = "not IPv6 global unicast 2000::/3 (RFC 4291)";

constexpr std::array kDefaultDenied = {
    DeniedRange{"0.0.0.0/8", "\"this network\" (RFC 791)"},
    DeniedRange{"10.0.0.0/8", "private (RFC 1918)"},
    DeniedRange{"100.64.0.0/10", "shared address space, CGNAT (RFC 6598)"},
    DeniedRange{"127.0.0.0/8", "loopback (RFC 1122)"},
    DeniedRange{"169.254.0.0/16", "link-local (RFC 3927)"},
    DeniedRange{"172.16.0.0/12", "private (RFC 1918)"},
    DeniedRange{"192.0.0.0/24", "IETF protocol assignments (RFC 6890)"},
    DeniedRange{"192.0.2.0/24", "documentation, TEST-NET-1 (RFC 5737)"},
    DeniedRange{"192.88.99.0/24", "6to4 relay anycast, deprecated (RFC 7526)"},
    DeniedRange{"192.168.0.0/16", "private (RFC 1918)"},
    DeniedRange{"198.18.0.0/15", "benchmarking (RFC 2544)"},
    DeniedRange{"198.51.100.0/24", "documentation, TEST-NET-2 (RFC 5737)"},
    DeniedRange{"203.0.113.0/24", "documentation, TEST-NET-3 (RFC 5737)"},
    DeniedRange{"224.0.0.0/4", "multicast (RFC 5771)"},
    DeniedRange{"255.255.255.255/32", "limited broadcast (RFC 919)"},
    DeniedRange{"240.0.0.0/4", "reserved (RFC 1112)"},
    DeniedRange{"::/128", "unspecified (RFC 4291)"},
    DeniedRange{"::1/128", "loopback (RFC 4291)"},
    DeniedRange{"64:ff9b:1::/48", "local-use IPv4/IPv6 translation (RFC 8215)"},
    DeniedRange{"100::/64", "discard-only (RFC 6666)"},
    DeniedRange{"100:0:0:1::/64", "dummy prefix (RFC 9780)"},
    DeniedRange{"2001::/32", "Teredo (RFC 4380)"},
    DeniedRange{"2001::/23", "IETF protocol assignments (RFC 2928)"},
    DeniedRange{"2001:db8::/32", "documentation (RFC 3849)"},
    DeniedRange{"3fff::/20", "documentation (RFC 9637)"},
    DeniedRange{"5f00::/16", "segment routing SIDs (RFC 9602)"},
    DeniedRange{"fc00::/7", "unique local (RFC 4193)"},
    DeniedRange{"fe80::/10", "link-local (RFC 4291)"},
    DeniedRange{"ff00::/8", "multicast (RFC 4291)"},
    DeniedRange{"::/3", kOutsideGlobalUnicast},
    DeniedRange{"4000::/2", kOutsideGlobalUnicast},
    DeniedRange{"8000::/1", kOutsideGlobalUnicast},
};

constexpr std::string_view kNotAnAddress = "not an IP address";
constexpr std::string_view kUnspecified = "unspecified address (reaches the local host)";
constexpr std::string_view kOperatorDenied = "denied-peer-ip";
constexpr std::string_view kNat64Denied = "NAT64 form of a denied IPv4 address";
constexpr std::string_view k6to4Denied = "6to4 form of a denied IPv4 address";

// The deny list parsed once: a set for the fast "no" on the hot path, and the
// ranges in order to find the reason when the answer is "yes".
struct CompiledList {
    CidrSet all;
    std::vector<std::pair<Cidr, std::string_view>> reasons;
};

const CompiledList& default_list() {
    static const CompiledList list = [] {
        CompiledList out;
        for (const auto& entry : kDefaultDenied) {
            const auto range = Cidr::parse(entry.cidr);
            out.all.add(range);
            out.reasons.emplace_back(range, entry.reason);
        }
        return out;
    }();
    return list;
}

std::string_view default_reason(const IpAddress& address) noexcept {
    const auto& list = default_list();
    if (!list.all.contains(address)) {
        return {};
    }
    const auto match =
        std::find_if(list.reasons.begin(), list.reasons.end(),
                     [&](const auto& entry) { return entry.first.contains(address); });
    return match != list.reasons.end() ? match->second : std::string_view{};
}

// An IPv4 address reached through a NAT64 translator or a 6to4 relay router.
struct Tunnelled {
    IpAddress embedded;
    std::string_view reason;  // given when the embedded address is denied
};

IpAddress ipv4_at(std::span<const uint8_t> bytes, std::size_t offset) {
    return IpAddress::from_v4((uint32_t{bytes[offset]} << 24) |
                              (uint32_t{bytes[offset + 1]} << 16) |
                              (uint32_t{bytes[offset + 2]} << 8) | uint32_t{bytes[offset + 3]});
}

std::optional<Tunnelled> tunnelled_ipv4(const IpAddress& address) {
    if (!address.is_v6()) {
        return std::nullopt;
    }
    const auto bytes = address.bytes();
    // 64:ff9b::/96 carries the IPv4 address in its last 32 bits (RFC 6052).
    static constexpr uint8_t kNat64Prefix[12] = {0x00, 0x64, 0xFF, 0x9B};
    if (std::equal(std::begin(kNat64Prefix), std::end(kNat64Prefix), bytes.begin())) {
        return Tunnelled{ipv4_at(bytes, 12), kNat64Denied};
    }
    // 2002::/16 carries it in bits 16 to 48 (RFC 3056).
    if (bytes[0] == 0x20 && bytes[1] == 0x02) {
        return Tunnelled{ipv4_at(bytes, 2), k6to4Denied};
    }
    return std::nullopt;
}

// ::ffff:a.b.c.d for a.b.c.d.
IpAddress mapped_ipv6(const IpAddress& v4) {
    std::array<uint8_t, 16> bytes{};
    bytes[10] = 0xFF;
    bytes[11] = 0xFF;
    const auto source = v4.bytes();
    std::copy(source.begin(), source.end(), bytes.begin() + 12);
    return IpAddress::from_v6(bytes);
}

// Whether an operator's list names `host`, however it wrote an IPv4 address:
// "10.0.0.0/8" and "::ffff:10.0.0.0/104" mean the same hosts.
bool names(const CidrSet& list, const IpAddress& host) {
    return list.contains(host) || (host.is_v4() && list.contains(mapped_ipv6(host)));
}

bool is_unspecified(const IpAddress& address) {
    const auto bytes = address.bytes();
    return std::all_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b == 0; });
}

bool is_loopback(const IpAddress& address) {
    if (address.is_v4()) {
        return (address.v4_value() >> 24) == 127;
    }
    const auto bytes = address.bytes();
    return std::all_of(bytes.begin(), bytes.end() - 1, [](uint8_t b) { return b == 0; }) &&
           bytes.back() == 1;
}

}  // namespace

std::span<const DeniedRange> default_denied_ranges() {
    return kDefaultDenied;
}

PeerPolicy::PeerPolicy(CidrSet allowed, CidrSet denied, bool allow_loopback)
    : allowed_(std::move(allowed)), denied_(std::move(denied)), allow_loopback_(allow_loopback) {
    default_list();  // built here, not on a worker's first packet
}

std::string_view PeerPolicy::why_denied(const IpAddress& peer) const noexcept {
    const IpAddress host = peer.mapped_ipv4().value_or(peer);
    if (!host.is_v4() && !host.is_v6()) {
        return kNotAnAddress;
    }
    if (is_unspecified(host)) {
        return kUnspecified;
    }
    const auto tunnel = tunnelled_ipv4(host);
    if (names(denied_, host) || (tunnel && names(denied_, tunnel->embedded))) {
        return kOperatorDenied;
    }
    if (names(allowed_, host) || (allow_loopback_ && is_loopback(host))) {
        return {};
    }
    if (tunnel) {
        return default_reason(tunnel->embedded).empty() ? std::string_view{} : tunnel->reason;
    }
    return default_reason(host);
}

}  // namespace turnpike
