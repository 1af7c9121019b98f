#pragma once

#include <chrono>
#include <memory>
#include <random>
#include <unordered_map>
#include <vector>

#include "common/cidr.hpp"
#include "common/credentials.hpp"
#include "relay/accept_rate.hpp"
#include "relay/allocation.hpp"
#include "relay/client_link.hpp"
#include "relay/quota.hpp"
#include "relay/reservation.hpp"
#include "relay/source_ledger.hpp"
#include "relay/turn_settings.hpp"

namespace turnpike::relay {

// What all workers share: allocation counts for quotas, port reservations,
// TCP connections per source and their rate, and the nonce key. None of it is touched per
// packet.
struct RelayShared {
    explicit RelayShared(std::chrono::seconds nonce_lifetime) : nonces(nonce_lifetime) {}
    NonceSource nonces;
    AllocationLedger ledger;
    Reservations reservations;
    SourceLedger tcp_sources;
    AcceptRate tcp_accepts;
};

// One worker's TURN state: its allocations by client 5-tuple and the
// settings snapshot it serves them with.
struct TurnState {
    TurnState(RelayShared& shared_state, std::shared_ptr<const TurnSettings> snapshot)
        : shared(shared_state), settings(std::move(snapshot)), random(std::random_device{}()) {}

    Allocation* find(const FiveTuple& tuple) const {
        auto it = allocations.find(tuple);
        return it == allocations.end() ? nullptr : it->second.get();
    }
    void remove(const FiveTuple& tuple) {
        auto it = allocations.find(tuple);
        if (it != allocations.end()) {
            shared.ledger.release(it->second->username());
            allocations.erase(it);
        }
    }

    RelayShared& shared;
    std::shared_ptr<const TurnSettings> settings;
    std::unordered_map<FiveTuple, std::unique_ptr<Allocation>, FiveTupleHash> allocations;
    std::mt19937_64 random;
    std::shared_ptr<const CidrSet> banned;  // client addresses refused (admin bans)

    bool is_banned(const SocketAddress& client) const {
        return banned && banned->contains(IpAddress(client));
    }
};

}  // namespace turnpike::relay
