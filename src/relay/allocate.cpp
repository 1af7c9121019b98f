// Allocate (RFC 8656 section 7): a relayed transport address for a client.
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <system_error>

#include "relay/allocation.hpp"
#include "relay/sockets.hpp"
#include "relay/stun_attributes.hpp"
#include "relay/stun_server.hpp"
#include "relay/turn_state.hpp"
#include "relay/worker.hpp"

namespace turnpike::relay {

namespace {

constexpr uint16_t attribute_requested_address_family = 0x0017;
constexpr uint16_t attribute_additional_address_family = 0x8000;
constexpr uint16_t attribute_address_error_code = 0x8001;
constexpr uint8_t transport_udp = 17;

struct AllocateRequest {
    std::optional<uint32_t> transport;
    std::optional<uint32_t> lifetime;
    std::optional<uint8_t> family;  // 0x01 IPv4, 0x02 IPv6
    std::optional<uint8_t> additional_family;
    bool even_port = false;
    bool reserve_next = false;
    bool dont_fragment = false;
    std::optional<Reservations::Token> token;
    bool malformed = false;
};

uint32_t read32(std::span<const uint8_t> v) {
    return (uint32_t{v[0]} << 24) | (uint32_t{v[1]} << 16) | (uint32_t{v[2]} << 8) | v[3];
}

AllocateRequest parse_allocate(std::span<const uint8_t> packet) {
    AllocateRequest r;
    for_each_attribute(packet, [&](const AttributeView& a) {
        switch (a.type) {
            case STUN_ATTRIBUTE_REQUESTED_TRANSPORT:
                a.value.size() == 4 ? void(r.transport = read32(a.value))
                                    : void(r.malformed = true);
                break;
            case STUN_ATTRIBUTE_LIFETIME:
                a.value.size() == 4 ? void(r.lifetime = read32(a.value)) : void(r.malformed = true);
                break;
            case attribute_requested_address_family:
                a.value.size() == 4 ? void(r.family = a.value[0]) : void(r.malformed = true);
                break;
            case attribute_additional_address_family:
                a.value.size() == 4 ? void(r.additional_family = a.value[0])
                                    : void(r.malformed = true);
                break;
            case STUN_ATTRIBUTE_EVEN_PORT:
                r.even_port = true;
                a.value.size() >= 1 ? void(r.reserve_next = (a.value[0] & 0x80) != 0)
                                    : void(r.malformed = true);
                break;
            case STUN_ATTRIBUTE_RESERVATION_TOKEN:
                if (a.value.size() == 8) {
                    r.token.emplace();
                    std::memcpy(r.token->data(), a.value.data(), 8);
                } else {
                    r.malformed = true;
                }
                break;
            case STUN_ATTRIBUTE_DONT_FRAGMENT:
                r.dont_fragment = true;
                break;
            case STUN_ATTRIBUTE_MESSAGE_INTEGRITY:
                return false;
            default:
                break;
        }
        return true;
    });
    return r;
}

SocketAddress with_port(const IpAddress& ip, uint16_t port) {
    return *SocketAddress::parse_ip(ip.to_string(), port);
}

// The local address to bind a relay socket on for `family`: a configured
// relay-ip, else the address the client reached us on.
std::optional<SocketAddress> relay_address_for(int family, const ClientLink& link,
                                               const TurnSettings& s) {
    for (const auto& ip : s.relay_ip) {
        if (ip.family() == family) {
            return with_port(ip, 0);
        }
    }
    if (link.local.family() == family && !link.local.is_unspecified()) {
        SocketAddress local = link.local;
        local.set_port(0);
        return local;
    }
    return std::nullopt;
}

SocketAddress reported_address(const SocketAddress& bound, const TurnSettings& s) {
    for (const auto& ip : s.external_ip) {
        if (ip.family() == bound.family()) {
            return with_port(ip, bound.port());
        }
    }
    return bound;
}

SocketAddress bound_address(int fd) {
    sockaddr_storage bound{};
    socklen_t length = sizeof(bound);
    getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
    return SocketAddress(reinterpret_cast<sockaddr*>(&bound), length);
}

// IPv4 relay sockets are in IP_PMTUDISC_DO already (set_df_for_speed); for
// them DONT-FRAGMENT means the Outbox never sends a datagram again
// fragmented (RelaySocket::may_fragment). An IPv6 socket's mode is set here.
void set_dont_fragment(int fd, int family) {
    if (family == AF_INET6) {
        int value = IPV6_PMTUDISC_DO;
        setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &value, sizeof(value));
    }
}

// Dual allocations (one IPv4 and one IPv6 relayed address at once) are not
// offered: the IPv4 allocation succeeds and ADDRESS-ERROR-CODE 440 says the
// additional family was not allocated (RFC 8656 section 7.2, item 9).
bool append_address_error(StunWriter& response, uint8_t family) {
    uint8_t value[4 + 64] = {family, 0, 4, 40};
    const std::string_view reason = reason_phrase(440);
    const size_t length = std::min(reason.size(), sizeof(value) - 4);
    std::memcpy(value + 4, reason.data(), length);
    return response.append(attribute_address_error_code,
                           std::span<const uint8_t>(value, 4 + length));
}

// A relay socket the worker watches, or null when epoll takes no more
// (ENOMEM, or fs.epoll.max_user_watches reached): the Allocate then gets 508
// like any other want of capacity, rather than an exception that would end
// the worker thread.
std::unique_ptr<RelaySocket> watched_socket(Worker& worker, UniqueFd fd,
                                            const SocketAddress& bound) {
    try {
        return std::make_unique<RelaySocket>(worker, std::move(fd), bound);
    } catch (const std::system_error&) {
        return nullptr;
    }
}

}  // namespace

size_t StunServer::allocate(const StunMessage& msg, std::span<const uint8_t> packet,
                            const ClientLink& link, const AuthOutcome& auth,
                            std::span<uint8_t> out) {
    TurnState& turn = worker_->turn();
    const TurnSettings& s = *turn.settings;
    FiveTuple tuple = FiveTuple::of(link);
    StunTransactionId transaction;
    stun_message_id(&msg, transaction);

    if (turn.is_banned(link.client)) {
        bump(counters_.banned_refused);
        return error(msg, out, 403, &auth);
    }
    Allocation* existing = turn.find(tuple);
    if (existing != nullptr &&
        (std::memcmp(existing->allocate_transaction.data(), transaction, 12) != 0 ||
         existing->username() != auth.username)) {
        return error(msg, out, 437, &auth);
    }

    AllocateRequest request = parse_allocate(packet);
    Clock::time_point now = worker_->now();
    if (existing == nullptr) {
        // RFC 8656 section 7.2, items 3 to 6.
        bool additional_conflicts =
            request.additional_family && (*request.additional_family != 0x02 || request.family ||
                                          request.token || request.reserve_next);
        if (request.malformed || !request.transport || additional_conflicts ||
            (request.token && (request.even_port || request.family))) {
            return error(msg, out, 400, &auth);
        }
        if ((*request.transport >> 24) != transport_udp) {
            return error(msg, out, 442, &auth);
        }
        if (request.family && *request.family != 0x01 && *request.family != 0x02) {
            return error(msg, out, 440, &auth);
        }
        int family =
            request.family ? (*request.family == 0x01 ? AF_INET : AF_INET6) : link.local.family();
        std::optional<SocketAddress> relay_ip = relay_address_for(family, link, s);
        if (!relay_ip) {
            return error(msg, out, 440, &auth);
        }

        switch (
            turn.shared.ledger.acquire(auth.username, s.quotas.user_quota, s.quotas.total_quota)) {
            case AllocationLedger::Verdict::granted:
                break;
            case AllocationLedger::Verdict::user_quota:
                return error(msg, out, 486, &auth);
            case AllocationLedger::Verdict::total_quota:
                return error(msg, out, 508, &auth);
        }

        std::unique_ptr<RelaySocket> socket;
        UniqueFd reserved_next;
        if (request.token) {
            if (auto held = turn.shared.reservations.take(*request.token, now)) {
                SocketAddress bound = bound_address(held->get());
                socket = watched_socket(*worker_, std::move(*held), bound);
            }
        } else if (!request.even_port) {
            socket = worker_->relay_sockets().take(*relay_ip, s.min_port, s.max_port);
        }
        if (!socket && !request.token) {
            if (auto ports = open_relay_socket(*relay_ip, s.min_port, s.max_port, request.even_port,
                                               request.reserve_next, turn.random)) {
                socket = watched_socket(*worker_, std::move(ports->socket), ports->bound);
                reserved_next = std::move(ports->next);
            }
        }
        if (!socket) {
            turn.shared.ledger.release(auth.username);
            return error(msg, out, 508, &auth);
        }
        if (request.dont_fragment) {
            set_dont_fragment(socket->fd(), family);
            socket->dont_fragment = true;
        }
        if (reserved_next) {
            auto token = turn.shared.reservations.add(std::move(reserved_next), now);
            std::memcpy(request.token.emplace().data(), token.data(), token.size());
        } else {
            request.token.reset();
        }

        SocketAddress reported = reported_address(socket->bound(), s);
        auto allocation = std::make_unique<Allocation>(*worker_, link, std::move(socket), reported,
                                                       std::string(auth.username));
        std::memcpy(allocation->allocate_transaction.data(), transaction, 12);
        allocation->reservation_token = request.token;
        allocation->set_rate(s.quotas.max_bps);
        allocation->expires = now + granted_lifetime(request.lifetime, s.quotas.max_lifetime);
        existing = allocation.get();
        turn.allocations.emplace(tuple, std::move(allocation));
        bump(counters_.allocations_created);
        bump(counters_.allocations_active);
    } else {
        request.token = existing->reservation_token;  // a retransmission: answer it the same
    }

    auto lifetime = std::chrono::duration_cast<std::chrono::seconds>(existing->expires - now);
    StunWriter response = codec_.start_response(out, msg);
    response.append_xor_address(STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS, existing->reported());
    response.append_u32(STUN_ATTRIBUTE_LIFETIME,
                        static_cast<uint32_t>(std::max<long>(0, lifetime.count())));
    response.append_xor_address(STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS, link.client);
    if (request.token) {
        response.append(STUN_ATTRIBUTE_RESERVATION_TOKEN, std::span<const uint8_t>(*request.token));
    }
    if (request.additional_family) {
        append_address_error(response, *request.additional_family);
    }
    return success(response, auth);  // 0 if anything above did not fit
}

}  // namespace turnpike::relay
