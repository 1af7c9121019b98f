#include "relay/source_ledger.hpp"

#include <algorithm>
#include <string_view>

namespace turnpike::relay {

SourceLedger::Key SourceLedger::key_of(const IpAddress& source) {
    IpAddress address = source.subscriber();
    Key key{};
    auto bytes = address.bytes();
    std::copy_n(bytes.begin(), std::min<size_t>(bytes.size(), 8), key.begin());
    key.back() = static_cast<uint8_t>(address.family());
    return key;
}

size_t SourceLedger::KeyHash::operator()(const Key& key) const {
    return std::hash<std::string_view>{}(
        std::string_view(reinterpret_cast<const char*>(key.data()), key.size()));
}

std::optional<SourceLedger::Slot> SourceLedger::acquire(const IpAddress& source, unsigned limit) {
    Key key = key_of(source);
    std::lock_guard lock(mutex_);
    unsigned& open = open_[key];
    if (limit != 0 && open >= limit) {
        return std::nullopt;  // open >= 1 here: the entry was there before
    }
    ++open;
    return Slot(*this, key);
}

unsigned SourceLedger::open_from(const IpAddress& source) const {
    std::lock_guard lock(mutex_);
    auto it = open_.find(key_of(source));
    return it == open_.end() ? 0 : it->second;
}

void SourceLedger::release(const Key& key) {
    std::lock_guard lock(mutex_);
    auto it = open_.find(key);
    if (it != open_.end() && --it->second == 0) {
        open_.erase(it);
    }
}

}  // namespace turnpike::relay
