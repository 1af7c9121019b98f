#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/credentials.hpp"
#include "relay/channel_bind.hpp"
#include "relay/client_link.hpp"
#include "relay/event_source.hpp"
#include "relay/permission.hpp"
#include "relay/quota.hpp"
#include "relay/relay_socket.hpp"

namespace turnpike::relay {

class Worker;
class Outbox;

// RFC 8656 section 2.2: one client's relayed transport address, with the
// permissions and channels that say which peers may use it. It lives on the
// worker that received its Allocate, and so does its relay socket: both
// directions of its traffic stay on one thread.
class Allocation : public EventSource {
  public:
    // Room left in front of each received peer datagram, so the ChannelData
    // or Data indication header is written in place and the payload is never
    // copied on its way to the client.
    static constexpr size_t headroom = 64;

    Allocation(Worker& worker, const ClientLink& link, std::unique_ptr<RelaySocket> relay_socket,
               const SocketAddress& reported, std::string username);
    ~Allocation() override;

    // Peer → client.
    void on_events(uint32_t events) override;
    // Client → peer; false when the payload was dropped.
    bool send_to_peer(const SocketAddress& peer, std::span<const uint8_t> payload, Outbox& outbox,
                      Clock::time_point now);

    bool permits(const IpAddress& peer, Clock::time_point now) const;
    // Installs or refreshes; false when `max` permissions exist already.
    bool install_permission(const IpAddress& peer, Clock::time_point now, unsigned max);
    // How many distinct addresses among `peers` have no permission entry yet.
    size_t new_permissions(std::span<const IpAddress> peers) const;
    const ChannelBinding* channel(uint16_t number) const;
    const ChannelBinding* channel_for(const SocketAddress& peer) const;
    enum class BindResult { bound, refreshed, conflict, full };
    BindResult bind_channel(uint16_t number, const SocketAddress& peer, Clock::time_point now,
                            unsigned max);
    void expire_entries(Clock::time_point now);

    void set_rate(uint64_t bytes_per_second);

    const ClientLink& link() const { return link_; }
    const SocketAddress& relayed() const {
        return socket_->bound();
    }                                                            // what the socket is bound to
    const SocketAddress& reported() const { return reported_; }  // what the client is told
    const std::string& username() const { return username_; }
    Clock::time_point expires = {};
    // To answer a retransmitted Allocate as the first time (RFC 8656 section
    // 7.2), the RESERVATION-TOKEN of an EVEN-PORT pair included.
    std::array<uint8_t, 12> allocate_transaction{};
    std::optional<std::array<uint8_t, 8>> reservation_token;

    size_t permission_count() const { return permissions_.size(); }
    size_t channel_count() const { return channels_.size(); }

  private:
    void receive_batch(bool& more);
    void deliver(uint8_t* payload, size_t length, const SocketAddress& peer, Outbox& outbox);

    Worker& worker_;
    ClientLink link_;
    std::unique_ptr<RelaySocket> socket_;
    SocketAddress reported_;
    std::string username_;
    std::vector<Permission> permissions_;
    std::vector<ChannelBinding> channels_;
    TokenBucket to_peer_;
    TokenBucket to_client_;
    uint64_t indication_counter_ = 0;
    // IP_PKTINFO naming link_.local as the source, for wildcard listeners.
    std::array<uint8_t, CMSG_SPACE(sizeof(in6_pktinfo))> source_control_{};
    size_t source_control_length_ = 0;
};

}  // namespace turnpike::relay
