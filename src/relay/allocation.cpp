#include "relay/allocation.hpp"

#include <sys/epoll.h>

#include <algorithm>
#include <cstring>

#include "relay/channel_data.hpp"
#include "relay/outbox.hpp"
#include "relay/stun_attributes.hpp"
#include "relay/tcp_connection.hpp"
#include "relay/worker.hpp"

namespace turnpike::relay {

namespace {

constexpr uint16_t data_indication = 0x0017;  // Data, class indication
constexpr uint16_t attribute_xor_peer_address = 0x0012;
constexpr uint16_t attribute_data = 0x0013;

size_t source_control(const SocketAddress& local, uint8_t* out, size_t size) {
    msghdr m{};
    m.msg_control = out;
    m.msg_controllen = size;
    cmsghdr* c = CMSG_FIRSTHDR(&m);
    if (local.is_v4()) {
        in_pktinfo info{};
        info.ipi_spec_dst = local.v4().sin_addr;
        c->cmsg_level = IPPROTO_IP;
        c->cmsg_type = IP_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof(info));
        std::memcpy(CMSG_DATA(c), &info, sizeof(info));
        return CMSG_SPACE(sizeof(info));
    }
    in6_pktinfo info{};
    info.ipi6_addr = local.v6().sin6_addr;
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(info));
    std::memcpy(CMSG_DATA(c), &info, sizeof(info));
    return CMSG_SPACE(sizeof(info));
}

void put16(uint8_t* at, uint16_t v) {
    at[0] = static_cast<uint8_t>(v >> 8);
    at[1] = static_cast<uint8_t>(v);
}

}  // namespace

Allocation::Allocation(Worker& worker, const ClientLink& link,
                       std::unique_ptr<RelaySocket> relay_socket, const SocketAddress& reported,
                       std::string username)
    : worker_(worker),
      link_(link),
      socket_(std::move(relay_socket)),
      reported_(reported),
      username_(std::move(username)) {
    if (link_.is_udp() && link_.answer_from_local) {
        source_control_length_ =
            source_control(link_.local, source_control_.data(), source_control_.size());
    }
    socket_->attach(this);
}

Allocation::~Allocation() {
    worker_.recycle(std::move(socket_));
}

void Allocation::set_rate(uint64_t bytes_per_second) {
    to_peer_.set_rate(bytes_per_second);
    to_client_.set_rate(bytes_per_second);
}

bool Allocation::permits(const IpAddress& peer, Clock::time_point now) const {
    return std::any_of(permissions_.begin(), permissions_.end(),
                       [&](const Permission& p) { return p.expires > now && p.peer == peer; });
}

bool Allocation::install_permission(const IpAddress& peer, Clock::time_point now, unsigned max) {
    for (auto& p : permissions_) {
        if (p.peer == peer) {
            p.expires = now + Permission::lifetime;
            return true;
        }
    }
    if (max != 0 && permissions_.size() >= max) {
        return false;
    }
    permissions_.push_back({peer, now + Permission::lifetime});
    return true;
}

size_t Allocation::new_permissions(std::span<const IpAddress> peers) const {
    size_t count = 0;
    for (size_t i = 0; i < peers.size(); ++i) {
        const IpAddress& peer = peers[i];
        bool held = std::any_of(permissions_.begin(), permissions_.end(),
                                [&](const Permission& p) { return p.peer == peer; });
        bool repeated = std::find(peers.begin(), peers.begin() + static_cast<long>(i), peer) !=
                        peers.begin() + static_cast<long>(i);
        count += held || repeated ? 0 : 1;
    }
    return count;
}

const ChannelBinding* Allocation::channel(uint16_t number) const {
    for (const auto& c : channels_) {
        if (c.number == number) {
            return &c;
        }
    }
    return nullptr;
}

const ChannelBinding* Allocation::channel_for(const SocketAddress& peer) const {
    for (const auto& c : channels_) {
        if (c.peer == peer) {
            return &c;
        }
    }
    return nullptr;
}

Allocation::BindResult Allocation::bind_channel(uint16_t number, const SocketAddress& peer,
                                                Clock::time_point now, unsigned max) {
    for (auto& c : channels_) {
        bool same_number = c.number == number;
        bool same_peer = c.peer == peer;
        if (same_number && same_peer) {
            c.expires = now + ChannelBinding::lifetime;
            return BindResult::refreshed;
        }
        if (same_number || same_peer) {
            return BindResult::conflict;  // RFC 8656 section 11.2: one to one, both ways
        }
    }
    if (max != 0 && channels_.size() >= max) {
        return BindResult::full;
    }
    channels_.push_back({number, peer, now + ChannelBinding::lifetime});
    return BindResult::bound;
}

void Allocation::expire_entries(Clock::time_point now) {
    std::erase_if(permissions_, [now](const Permission& p) { return p.expires <= now; });
    std::erase_if(channels_, [now](const ChannelBinding& c) { return c.expires <= now; });
}

bool Allocation::send_to_peer(const SocketAddress& peer, std::span<const uint8_t> payload,
                              Outbox& outbox, Clock::time_point now) {
    WorkerCounters& counters = worker_.mutable_counters();
    if (!permits(IpAddress(peer), now)) {
        bump(counters.dropped_no_permission);
        return false;
    }
    if (!to_peer_.take(payload.size(), now) ||
        !worker_.to_peer_budget().take(payload.size(), now)) {
        bump(counters.dropped_rate_limited);
        return false;
    }
    bump(counters.relayed_to_peer_packets);
    bump(counters.relayed_to_peer_bytes, payload.size());
    outbox.add(socket_->fd(), payload.data(), payload.size(), peer.sockaddr_ptr(), peer.length(),
               nullptr, 0, socket_->may_fragment());
    return true;
}

void Allocation::on_events(uint32_t) {
    bool more = true;
    for (int round = 0; round < 8 && more; ++round) {
        receive_batch(more);
    }
}

void Allocation::receive_batch(bool& more) {
    UdpBatch& in = worker_.receive_buffers();
    Outbox& outbox = worker_.outbox();
    // Headroom in front of each payload, room for padding behind it.
    int received = in.receive(socket_->fd(), false, headroom);
    more = received == static_cast<int>(UdpBatch::size);
    if (received <= 0) {
        more = false;
        return;
    }
    WorkerCounters& counters = worker_.mutable_counters();
    Clock::time_point now = worker_.now();
    if (link_.tcp != nullptr) {
        link_.tcp->cork();
    }
    for (int i = 0; i < received; ++i) {
        const msghdr& h = in.headers[i].msg_hdr;
        size_t length = in.headers[i].msg_len;
        bump(counters.bytes_in, length);
        if (h.msg_flags & MSG_TRUNC) {
            bump(counters.dropped_oversized);
            continue;
        }
        SocketAddress peer(static_cast<const sockaddr*>(h.msg_name), h.msg_namelen);
        if (!permits(IpAddress(peer), now)) {
            bump(counters.dropped_no_permission);
            continue;
        }
        if (!to_client_.take(length, now) || !worker_.to_client_budget().take(length, now)) {
            bump(counters.dropped_rate_limited);
            continue;
        }
        deliver(in.data[i].data() + headroom, length, peer, outbox);
    }
    if (link_.tcp != nullptr) {
        link_.tcp->uncork();
    }
    outbox.flush();
}

void Allocation::deliver(uint8_t* payload, size_t length, const SocketAddress& peer,
                         Outbox& outbox) {
    WorkerCounters& counters = worker_.mutable_counters();
    uint8_t* start;
    size_t total;
    if (const ChannelBinding* c = channel_for(peer)) {
        start = payload - channel_data::header_size;
        channel_data::write_header(start, c->number, static_cast<uint16_t>(length));
        total = channel_data::header_size + length;
        if (!link_.is_udp()) {
            size_t padding = channel_data::padded(length) - length;
            std::memset(payload + length, 0, padding);
            total += padding;
        }
    } else {
        // A Data indication: header, XOR-PEER-ADDRESS, DATA (RFC 8656 section 11.6).
        size_t address_length = peer.is_v4() ? 8 : 20;
        size_t head = 20 + 4 + address_length + 4;
        start = payload - head;
        size_t padding = channel_data::padded(length) - length;
        std::memset(payload + length, 0, padding);
        put16(start, data_indication);
        put16(start + 2, static_cast<uint16_t>(head - 20 + length + padding));
        std::memcpy(start + 4, magic_cookie, 4);
        // Indications need unique transaction IDs, not unpredictable ones.
        ++indication_counter_;
        std::memcpy(start + 8, &indication_counter_, 8);
        int fd = socket_->fd();
        std::memcpy(start + 16, &fd, 4);
        uint8_t* attr = start + 20;
        put16(attr, attribute_xor_peer_address);
        put16(attr + 2, static_cast<uint16_t>(address_length));
        encode_xor_address(peer, {start + 8, 12}, attr + 4);
        attr += 4 + address_length;
        put16(attr, attribute_data);
        put16(attr + 2, static_cast<uint16_t>(length));
        total = head + length + padding;
    }
    bump(counters.relayed_to_client_packets);
    bump(counters.relayed_to_client_bytes, length);
    if (link_.is_udp()) {
        outbox.add(link_.udp_fd, start, total, link_.client.sockaddr_ptr(), link_.client.length(),
                   source_control_length_ ? source_control_.data() : nullptr,
                   source_control_length_, link_.client.is_v4());
    } else {
        link_.tcp->send_bytes({start, total});
    }
}

}  // namespace turnpike::relay
