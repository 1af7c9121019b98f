#include "relay/relay_socket_pool.hpp"

#include <algorithm>

#include "common/cidr.hpp"

namespace turnpike::relay {

size_t RelaySocketPool::capacity_for(uint16_t min_port, uint16_t max_port, unsigned workers) {
    size_t range = max_port >= min_port ? size_t{max_port} - min_port + 1 : 0;
    return std::min(max_kept, range / (16 * size_t{std::max(1u, workers)}));
}

std::unique_ptr<RelaySocket> RelaySocketPool::take(const SocketAddress& ip, uint16_t min_port,
                                                   uint16_t max_port) {
    IpAddress wanted(ip);
    for (auto it = kept_.begin(); it != kept_.end();) {
        uint16_t port = (*it)->bound().port();
        if (port < min_port || port > max_port) {
            closing_.push_back(std::move(*it));
            it = kept_.erase(it);
            continue;
        }
        if (IpAddress((*it)->bound()) == wanted) {
            std::unique_ptr<RelaySocket> socket = std::move(*it);
            kept_.erase(it);
            ++reused_;
            return socket;
        }
        ++it;
    }
    return nullptr;
}

void RelaySocketPool::give(std::unique_ptr<RelaySocket> socket, size_t capacity) {
    socket->attach(nullptr);
    if (socket->dont_fragment || kept_.size() >= capacity) {
        closing_.push_back(std::move(socket));
        return;
    }
    kept_.push_back(std::move(socket));
}

void RelaySocketPool::drop_all() {
    for (auto& socket : kept_) {
        closing_.push_back(std::move(socket));
    }
    kept_.clear();
}

}  // namespace turnpike::relay
