#include "common/cidr.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <iterator>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

namespace turnpike {

namespace {

constexpr std::size_t kV4Bytes = 4;
constexpr std::size_t kV6Bytes = 16;

uint8_t prefix_byte_mask(unsigned prefix_length, std::size_t byte_index) {
    const std::size_t bits_before = byte_index * 8;
    if (prefix_length <= bits_before) {
        return 0;
    }
    const std::size_t kept = std::min<std::size_t>(8, prefix_length - bits_before);
    return static_cast<uint8_t>(0xFFu << (8 - kept));
}

detail::Uint128 to_uint128(const IpAddress& address) {
    detail::Uint128 value;
    const auto bytes = address.bytes();
    for (std::size_t i = 0; i < 8; ++i) {
        value.high = (value.high << 8) | bytes[i];
        value.low = (value.low << 8) | bytes[i + 8];
    }
    return value;
}

uint32_t successor(uint32_t key) {
    return key + 1;
}

detail::Uint128 successor(detail::Uint128 key) {
    const bool carry = key.low == std::numeric_limits<uint64_t>::max();
    return {key.high + (carry ? 1 : 0), key.low + 1};
}

std::string_view trim(std::string_view s) {
    const auto* ws = " \t\r\n";
    const auto first = s.find_first_not_of(ws);
    if (first == std::string_view::npos) {
        return {};
    }
    return s.substr(first, s.find_last_not_of(ws) - first + 1);
}

std::optional<unsigned> parse_prefix_length(std::string_view text) {
    const bool digits_only =
        std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (text.empty() || text.size() > 3 || !digits_only) {
        return std::nullopt;
    }
    unsigned value = 0;
    std::from_chars(text.data(), text.data() + text.size(), value);
    return value;
}

// An address of the same family as `like`, from the first bytes of `bytes`.
IpAddress same_family(const IpAddress& like, const std::array<uint8_t, 16>& bytes) {
    if (like.is_v4()) {
        return IpAddress::from_v4((uint32_t{bytes[0]} << 24) | (uint32_t{bytes[1]} << 16) |
                                  (uint32_t{bytes[2]} << 8) | uint32_t{bytes[3]});
    }
    return IpAddress::from_v6(bytes);
}

std::string family_name(const IpAddress& address) {
    return address.is_v4() ? "IPv4" : "IPv6";
}

// Returns the range, or leaves `problem` saying why there is none.
std::optional<Cidr> parse_cidr(std::string_view text, std::string& problem) {
    const auto slash = text.find('/');
    const auto address = IpAddress::parse(text.substr(0, slash));
    if (!address) {
        problem = fmt::format("'{}' is not an IP address or CIDR range (10.0.0.0/8, 2001:db8::/32)",
                              text);
        return std::nullopt;
    }
    if (slash == std::string_view::npos) {
        return Cidr(*address, address->bit_length());
    }
    const auto length_text = text.substr(slash + 1);
    const auto length = parse_prefix_length(length_text);
    if (!length) {
        problem =
            fmt::format("'{}': the prefix length '{}' is not a whole number", text, length_text);
        return std::nullopt;
    }
    if (*length > address->bit_length()) {
        problem = fmt::format("'{}': prefix length {} is too long for {} (at most {})", text,
                              *length, family_name(*address), address->bit_length());
        return std::nullopt;
    }
    Cidr range(*address, *length);
    if (range.network() != *address) {
        problem = fmt::format("'{}': host bits are set below the /{} prefix; did you mean {}?",
                              text, *length, range.to_string());
        return std::nullopt;
    }
    return range;
}

}  // namespace

// --- IpAddress ---

IpAddress::IpAddress(const SocketAddress& address) {
    if (address.is_v4()) {
        std::memcpy(bytes_.data(), &address.v4().sin_addr, kV4Bytes);
        family_ = AF_INET;
    } else if (address.is_v6()) {
        std::memcpy(bytes_.data(), &address.v6().sin6_addr, kV6Bytes);
        family_ = AF_INET6;
    }
}

IpAddress IpAddress::from_v4(uint32_t host_order) {
    IpAddress out;
    for (std::size_t i = 0; i < kV4Bytes; ++i) {
        out.bytes_[i] = static_cast<uint8_t>(host_order >> (24 - 8 * i));
    }
    out.family_ = AF_INET;
    return out;
}

IpAddress IpAddress::from_v6(std::span<const uint8_t, 16> network_order) {
    IpAddress out;
    std::copy(network_order.begin(), network_order.end(), out.bytes_.begin());
    out.family_ = AF_INET6;
    return out;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
    if (auto address = SocketAddress::parse_ip(text)) {
        return IpAddress(*address);
    }
    return std::nullopt;
}

unsigned IpAddress::bit_length() const {
    return static_cast<unsigned>(bytes().size() * 8);
}

std::span<const uint8_t> IpAddress::bytes() const {
    if (is_v4()) {
        return {bytes_.data(), kV4Bytes};
    }
    if (is_v6()) {
        return {bytes_.data(), kV6Bytes};
    }
    return {};
}

uint32_t IpAddress::v4_value() const {
    if (!is_v4()) {
        return 0;
    }
    return (uint32_t{bytes_[0]} << 24) | (uint32_t{bytes_[1]} << 16) | (uint32_t{bytes_[2]} << 8) |
           uint32_t{bytes_[3]};
}

std::optional<IpAddress> IpAddress::mapped_ipv4() const {
    static constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    if (!is_v6() ||
        !std::equal(std::begin(kMappedPrefix), std::end(kMappedPrefix), bytes_.begin())) {
        return std::nullopt;
    }
    IpAddress out;
    std::copy_n(bytes_.begin() + 12, kV4Bytes, out.bytes_.begin());
    out.family_ = AF_INET;
    return out;
}

IpAddress IpAddress::subscriber() const {
    if (auto v4 = mapped_ipv4()) {
        return *v4;
    }
    return is_v6() ? Cidr(*this, 64).network() : *this;
}

std::string IpAddress::to_string() const {
    char buf[INET6_ADDRSTRLEN] = {};
    if (family_ == AF_INET || family_ == AF_INET6) {
        inet_ntop(family_, bytes_.data(), buf, sizeof(buf));
    }
    return buf;
}

// --- Cidr ---

Cidr::Cidr(const IpAddress& address, unsigned prefix_length)
    : network_(address), prefix_length_(prefix_length) {
    if (!address.is_v4() && !address.is_v6()) {
        throw std::invalid_argument("a CIDR range needs an IPv4 or IPv6 address");
    }
    if (prefix_length > address.bit_length()) {
        throw std::invalid_argument(fmt::format("prefix length {} is too long for {} (at most {})",
                                                prefix_length, family_name(address),
                                                address.bit_length()));
    }
    std::array<uint8_t, 16> bytes{};
    const auto source = address.bytes();
    for (std::size_t i = 0; i < source.size(); ++i) {
        bytes[i] = source[i] & prefix_byte_mask(prefix_length, i);
    }
    network_ = same_family(address, bytes);
}

Cidr Cidr::parse(std::string_view text) {
    std::string problem;
    if (auto range = parse_cidr(text, problem)) {
        return *range;
    }
    throw std::invalid_argument(problem);
}

std::optional<Cidr> Cidr::try_parse(std::string_view text) {
    std::string problem;
    return parse_cidr(text, problem);
}

IpAddress Cidr::last() const {
    std::array<uint8_t, 16> bytes{};
    const auto source = network_.bytes();
    for (std::size_t i = 0; i < source.size(); ++i) {
        bytes[i] = static_cast<uint8_t>(source[i] | ~prefix_byte_mask(prefix_length_, i));
    }
    return same_family(network_, bytes);
}

bool Cidr::contains(const IpAddress& address) const noexcept {
    if (address.family() != network_.family()) {
        return false;
    }
    const auto candidate = address.bytes();
    const auto network = network_.bytes();
    for (std::size_t i = 0; i < network.size(); ++i) {
        if ((candidate[i] & prefix_byte_mask(prefix_length_, i)) != network[i]) {
            return false;
        }
    }
    return true;
}

std::string Cidr::to_string() const {
    return fmt::format("{}/{}", network_.to_string(), prefix_length_);
}

// --- IntervalSet ---

namespace detail {

template <typename Key>
void IntervalSet<Key>::insert(std::span<const Interval> intervals) {
    intervals_.insert(intervals_.end(), intervals.begin(), intervals.end());
    std::sort(intervals_.begin(), intervals_.end(),
              [](const Interval& a, const Interval& b) { return a.first < b.first; });

    std::vector<Interval> merged;
    merged.reserve(intervals_.size());
    for (const auto& next : intervals_) {
        // Sorted by start, so next.first >= merged.back().first. When next
        // starts after the back's end, that end is below the maximum key and
        // has a successor.
        if (!merged.empty() &&
            (next.first <= merged.back().last || successor(merged.back().last) == next.first)) {
            merged.back().last = std::max(merged.back().last, next.last);
        } else {
            merged.push_back(next);
        }
    }
    intervals_ = std::move(merged);
}

template <typename Key>
bool IntervalSet<Key>::contains(Key key) const noexcept {
    const auto after = std::upper_bound(intervals_.begin(), intervals_.end(), key,
                                        [](Key k, const Interval& iv) { return k < iv.first; });
    if (after == intervals_.begin()) {
        return false;
    }
    return key <= std::prev(after)->last;
}

template class IntervalSet<uint32_t>;
template class IntervalSet<Uint128>;

}  // namespace detail

// --- CidrSet ---

CidrSet::CidrSet(std::span<const Cidr> ranges) {
    add(ranges);
}

void CidrSet::add(const Cidr& range) {
    add(std::span<const Cidr>(&range, 1));
}

void CidrSet::add(std::span<const Cidr> ranges) {
    std::vector<detail::IntervalSet<uint32_t>::Interval> v4;
    std::vector<detail::IntervalSet<detail::Uint128>::Interval> v6;
    for (const auto& range : ranges) {
        if (range.network().is_v4()) {
            v4.push_back({range.first().v4_value(), range.last().v4_value()});
        } else {
            v6.push_back({to_uint128(range.first()), to_uint128(range.last())});
        }
    }
    v4_.insert(v4);
    v6_.insert(v6);
}

void CidrSet::add_range(const IpAddress& first, const IpAddress& last) {
    const auto text = fmt::format("{}-{}", first.to_string(), last.to_string());
    if (first.family() != last.family() || (!first.is_v4() && !first.is_v6())) {
        throw std::invalid_argument(
            fmt::format("'{}': the two ends of a range must be both IPv4 or both IPv6", text));
    }
    if (first.is_v4()) {
        if (first.v4_value() > last.v4_value()) {
            throw std::invalid_argument(fmt::format("'{}': the range ends before it starts", text));
        }
        const detail::IntervalSet<uint32_t>::Interval interval{first.v4_value(), last.v4_value()};
        v4_.insert({&interval, 1});
        return;
    }
    if (to_uint128(first) > to_uint128(last)) {
        throw std::invalid_argument(fmt::format("'{}': the range ends before it starts", text));
    }
    const detail::IntervalSet<detail::Uint128>::Interval interval{to_uint128(first),
                                                                  to_uint128(last)};
    v6_.insert({&interval, 1});
}

bool CidrSet::contains(const IpAddress& address) const noexcept {
    if (address.is_v4()) {
        return v4_.contains(address.v4_value());
    }
    if (address.is_v6()) {
        return v6_.contains(to_uint128(address));
    }
    return false;
}

CidrSet CidrSet::parse_list(std::string_view text) {
    CidrSet set;
    std::vector<Cidr> ranges;
    while (!text.empty()) {
        const auto comma = text.find(',');
        const auto item = trim(text.substr(0, comma));
        text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
        if (item.empty()) {
            continue;
        }
        const auto dash = item.find('-');
        if (dash == std::string_view::npos) {
            ranges.push_back(Cidr::parse(item));
            continue;
        }
        const auto first = IpAddress::parse(trim(item.substr(0, dash)));
        const auto last = IpAddress::parse(trim(item.substr(dash + 1)));
        if (!first || !last) {
            throw std::invalid_argument(fmt::format(
                "'{}' is not an address range (10.0.0.1-10.0.0.9, 2001:db8::1-2001:db8::9)", item));
        }
        set.add_range(*first, *last);
    }
    set.add(ranges);
    return set;
}

}  // namespace turnpike
