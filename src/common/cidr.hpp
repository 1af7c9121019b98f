#pragma once

#include <sys/socket.h>

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/address.hpp"

namespace turnpike {

// An IPv4 or IPv6 address without a port: what peer policy and CIDR ranges
// compare. IPv4 occupies the first four bytes in network order and the rest
// stay zero, so equal addresses are equal values.
class IpAddress {
  public:
    IpAddress() = default;  // neither IPv4 nor IPv6: no range contains it
    explicit IpAddress(const SocketAddress& address);
    static IpAddress from_v4(uint32_t host_order);
    static IpAddress from_v6(std::span<const uint8_t, 16> network_order);
    // "192.0.2.1" or "2001:db8::1"; no port, brackets or zone.
    static std::optional<IpAddress> parse(std::string_view text);

    sa_family_t family() const { return family_; }
    bool is_v4() const { return family_ == AF_INET; }
    bool is_v6() const { return family_ == AF_INET6; }
    unsigned bit_length() const;             // 32, 128, or 0 for neither
    std::span<const uint8_t> bytes() const;  // network order: 4, 16 or 0 bytes
    uint32_t v4_value() const;               // host order; 0 unless IPv4
    // The kernel sends to ::ffff:a.b.c.d as plain IPv4 to a.b.c.d.
    std::optional<IpAddress> mapped_ipv4() const;
    // What a per-address limit counts: an IPv4 address itself (also when
    // written ::ffff:a.b.c.d), or an IPv6 address's /64 with the rest zero,
    // since one subscriber is routinely given a whole /64 to pick from.
    IpAddress subscriber() const;
    std::string to_string() const;

    friend bool operator==(const IpAddress&, const IpAddress&) = default;

  private:
    std::array<uint8_t, 16> bytes_{};
    sa_family_t family_ = AF_UNSPEC;
};

// One prefix range: a network address and how many leading bits are fixed.
class Cidr {
  public:
    // Clears the host bits; throws std::invalid_argument if the prefix is
    // longer than the address or the address is neither IPv4 nor IPv6.
    Cidr(const IpAddress& address, unsigned prefix_length);

    // "10.0.0.0/8", "2001:db8::/32", or a bare address (/32 or /128). Throws
    // std::invalid_argument saying what is wrong. Host bits set below the
    // prefix are an error: "10.1.2.3/8" is more often a typo than a wish for
    // 10.0.0.0/8, and on a deny list a silent guess is a hole.
    static Cidr parse(std::string_view text);
    static std::optional<Cidr> try_parse(std::string_view text);

    const IpAddress& network() const { return network_; }
    unsigned prefix_length() const { return prefix_length_; }
    const IpAddress& first() const { return network_; }
    IpAddress last() const;
    bool contains(const IpAddress& address) const noexcept;
    std::string to_string() const;

    friend bool operator==(const Cidr&, const Cidr&) = default;

  private:
    IpAddress network_;
    unsigned prefix_length_ = 0;
};

namespace detail {

// An IPv6 address as a number, high half first, so it orders like the address.
struct Uint128 {
    uint64_t high = 0;
    uint64_t low = 0;
    friend auto operator<=>(const Uint128&, const Uint128&) = default;
};

// Closed intervals of one key type, kept sorted, disjoint and non-adjacent:
// overlapping or touching intervals merge when added.
template <typename Key>
class IntervalSet {
  public:
    struct Interval {
        Key first;
        Key last;
    };

    void insert(std::span<const Interval> intervals);
    bool contains(Key key) const noexcept;
    std::size_t size() const { return intervals_.size(); }

  private:
    std::vector<Interval> intervals_;
};

}  // namespace detail

// A set of address ranges, IPv4 and IPv6 apart, answering contains() on the
// relay's per-packet path.
//
// Structure: per family, a sorted vector of disjoint closed intervals
// [first, last] (as 32- or 128-bit numbers); adding a range sorts and merges
// once, so 10.0.0.0/8 and any ranges inside or beside it become one interval.
// A lookup is one binary search for the last interval starting at or below
// the address, then one comparison with its end: O(log n), no allocation, no
// locks, and contiguous memory that stays in cache. A prefix trie would also
// answer in bounded time but chases a pointer per bit through the heap. The
// set is built once from config (and rebuilt on SIGHUP), so slower inserts
// cost nothing that matters.
class CidrSet {
  public:
    CidrSet() = default;
    explicit CidrSet(std::span<const Cidr> ranges);

    void add(const Cidr& range);
    void add(std::span<const Cidr> ranges);
    // An inclusive range as coturn's denied-peer-ip writes it ("a-b"); throws
    // std::invalid_argument if the families differ or first > last.
    void add_range(const IpAddress& first, const IpAddress& last);

    bool contains(const IpAddress& address) const noexcept;
    bool empty() const noexcept { return v4_.size() == 0 && v6_.size() == 0; }
    // After merging: how many separate intervals the set holds.
    std::size_t interval_count() const noexcept { return v4_.size() + v6_.size(); }

    // Comma-separated CIDRs, bare addresses and "first-last" ranges, spaces
    // allowed around items. Throws std::invalid_argument naming the bad item.
    static CidrSet parse_list(std::string_view text);

  private:
    detail::IntervalSet<uint32_t> v4_;
    detail::IntervalSet<detail::Uint128> v6_;
};

}  // namespace turnpike
