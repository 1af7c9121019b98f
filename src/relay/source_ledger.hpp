#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "common/cidr.hpp"

namespace turnpike::relay {

// TCP connections open per client source, shared by all workers (SO_REUSEPORT
// spreads one source's connections over them). The cap keeps one host from
// holding every descriptor the relay has until the idle timeout. A source is
// IpAddress::subscriber(): an IPv6 client counts by its /64, or one host
// could open 2^64 "sources". Taken on accept and on close, never per packet,
// so a mutex is fine.
class SourceLedger {
  public:
    using Key = std::array<uint8_t, 9>;  // IPv4 address or IPv6 /64, then the family

    // One counted connection; gives its count back when destroyed.
    class Slot {
      public:
        Slot(SourceLedger& ledger, const Key& key) : ledger_(&ledger), key_(key) {}
        Slot(Slot&& other) noexcept : ledger_(other.ledger_), key_(other.key_) {
            other.ledger_ = nullptr;
        }
        Slot& operator=(Slot&&) = delete;
        Slot(const Slot&) = delete;
        ~Slot() {
            if (ledger_ != nullptr) {
                ledger_->release(key_);
            }
        }

      private:
        SourceLedger* ledger_;
        Key key_;
    };

    // A slot for one more connection from `source`, or none when `limit`
    // (0: no limit) are open from it already.
    std::optional<Slot> acquire(const IpAddress& source, unsigned limit);
    unsigned open_from(const IpAddress& source) const;
    static Key key_of(const IpAddress& source);
    struct KeyHash {
        size_t operator()(const Key& key) const;
    };

  private:
    void release(const Key& key);

    mutable std::mutex mutex_;
    std::unordered_map<Key, unsigned, KeyHash> open_;
};

}  // namespace turnpike::relay
