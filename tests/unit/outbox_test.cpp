// The relay's Outbox over real UDP sockets on 127.0.0.1: whatever it
// coalesces into UDP GSO sends must arrive as the datagrams that were added,
// each whole, in order for each destination, from the source each asked for.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "common/unique_fd.hpp"
#include "relay/counters.hpp"
#include "relay/outbox.hpp"
#include "relay/sockets.hpp"

namespace turnpike::relay {
namespace {

using Bytes = std::vector<uint8_t>;

sockaddr_in loopback(const char* ip, uint16_t port = 0) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    inet_pton(AF_INET, ip, &a.sin_addr);
    return a;
}

UniqueFd bound_socket(const char* ip) {
    UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    sockaddr_in a = loopback(ip);
    EXPECT_EQ(bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    int size = 4 << 20;
    setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    return fd;
}

sockaddr_in name_of(int fd) {
    sockaddr_in a{};
    socklen_t length = sizeof(a);
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &length);
    return a;
}

struct Received {
    Bytes data;
    std::string from;  // source IP
};

// Everything queued on `fd` until it stays quiet for 200 ms.
std::vector<Received> drain(int fd) {
    std::vector<Received> out;
    pollfd p{fd, POLLIN, 0};
    while (poll(&p, 1, 200) > 0) {
        uint8_t buffer[70000];
        sockaddr_in from{};
        socklen_t length = sizeof(from);
        ssize_t n =
            recvfrom(fd, buffer, sizeof(buffer), 0, reinterpret_cast<sockaddr*>(&from), &length);
        if (n < 0) {
            break;
        }
        char ip[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &from.sin_addr, ip, sizeof(ip));
        out.push_back({Bytes(buffer, buffer + n), ip});
    }
    return out;
}

class OutboxTest : public ::testing::Test {
  protected:
    void SetUp() override {
        if (!udp_segmentation_available()) {
            GTEST_SKIP() << "this kernel has no UDP_SEGMENT (Linux 4.18 and later)";
        }
        sender_ = bound_socket("127.0.0.1");
        receiver_ = bound_socket("127.0.0.1");
        to_receiver_ = name_of(receiver_.get());
    }

    // A datagram of `size` bytes whose every byte says which one it is.
    const Bytes& datagram(size_t size) {
        Bytes d(size);
        for (size_t i = 0; i < size; ++i) {
            d[i] = static_cast<uint8_t>(serial_ * 31 + i);
        }
        ++serial_;
        return payloads_.emplace_back(std::move(d));
    }

    void add(Outbox& outbox, int fd, const sockaddr_in& to, const Bytes& payload,
             const void* control = nullptr, size_t control_length = 0) {
        outbox.add(fd, payload.data(), payload.size(), reinterpret_cast<const sockaddr*>(&to),
                   sizeof(to), control, control_length);
    }

    // `count` new datagrams of `size` bytes for `to`, added in order.
    std::vector<Bytes> add_run(Outbox& outbox, int fd, const sockaddr_in& to, int count,
                               size_t size) {
        std::vector<Bytes> added;
        for (int i = 0; i < count; ++i) {
            added.push_back(datagram(size));
            add(outbox, fd, to, added.back());
        }
        return added;
    }

    static std::vector<Bytes> data_of(const std::vector<Received>& received) {
        std::vector<Bytes> out;
        for (const auto& r : received) {
            out.push_back(r.data);
        }
        return out;
    }

    UniqueFd sender_;    // on 127.0.0.1
    UniqueFd receiver_;  // on 127.0.0.1, at to_receiver_
    sockaddr_in to_receiver_{};
    WorkerCounters counters_;
    std::deque<Bytes> payloads_;  // stable addresses: the outbox does not copy
    unsigned serial_ = 0;
};

TEST_F(OutboxTest, CoalescedDatagramsArriveWholeAndInOrderForEachDestination) {
    UniqueFd sender = bound_socket("127.0.0.1");
    UniqueFd a = bound_socket("127.0.0.1");
    UniqueFd b = bound_socket("127.0.0.1");
    sockaddr_in to_a = name_of(a.get());
    sockaddr_in to_b = name_of(b.get());
    Outbox outbox(counters_);
    ASSERT_TRUE(outbox.segmenting());

    // To a: [100 100 100 50] (a smaller one ends a group), then [100 100].
    // To b, interleaved: [200 200], [300 10] (larger than the group: a new one).
    std::vector<Bytes> want_a, want_b;
    for (size_t size : {100, 100}) {
        want_a.push_back(datagram(size));
        add(outbox, sender.get(), to_a, want_a.back());
    }
    for (size_t size : {200, 200, 300}) {
        want_b.push_back(datagram(size));
        add(outbox, sender.get(), to_b, want_b.back());
    }
    for (size_t size : {100, 50, 100, 100}) {
        want_a.push_back(datagram(size));
        add(outbox, sender.get(), to_a, want_a.back());
    }
    want_b.push_back(datagram(10));
    add(outbox, sender.get(), to_b, want_b.back());
    outbox.flush();

    EXPECT_EQ(data_of(drain(a.get())), want_a);
    EXPECT_EQ(data_of(drain(b.get())), want_b);
    EXPECT_EQ(counters_.udp_datagrams_out.load(), 10u);
    EXPECT_EQ(counters_.bytes_out.load(), 100u * 5 + 50 + 200 * 2 + 300 + 10);
    EXPECT_EQ(counters_.udp_segmented_sends.load(), 4u);
    EXPECT_EQ(counters_.udp_datagrams_segmented.load(), 10u);
    EXPECT_EQ(counters_.dropped_send_failed.load(), 0u);
}

TEST_F(OutboxTest, SegmentationOffSendsEachDatagramOnItsOwn) {
    Outbox outbox(counters_, false);
    std::vector<Bytes> want = add_run(outbox, sender_.get(), to_receiver_, 8, 170);
    outbox.flush();
    EXPECT_EQ(data_of(drain(receiver_.get())), want);
    EXPECT_EQ(counters_.udp_datagrams_out.load(), 8u);
    EXPECT_EQ(counters_.udp_segmented_sends.load(), 0u);
}

TEST_F(OutboxTest, GroupsStopAtTheKernelsSegmentLimitAndAFullOutboxFlushesItself) {
    Outbox outbox(counters_);
    // 200 datagrams: the outbox holds 128, so it flushes once by itself.
    std::vector<Bytes> want = add_run(outbox, sender_.get(), to_receiver_, 200, 64);
    EXPECT_EQ(counters_.udp_datagrams_out.load(), Outbox::capacity);
    outbox.flush();
    EXPECT_EQ(data_of(drain(receiver_.get())), want);
    EXPECT_EQ(counters_.udp_datagrams_out.load(), 200u);
    // 128 = 64 + 64, then 72 = 64 + 8: never more than 64 segments a send.
    EXPECT_EQ(counters_.udp_segmented_sends.load(), 4u);
    EXPECT_EQ(counters_.udp_datagrams_segmented.load(), 200u);
}

TEST_F(OutboxTest, DatagramsAboveTheSegmentBoundGoAlone) {
    Outbox outbox(counters_);
    std::vector<Bytes> want =
        add_run(outbox, sender_.get(), to_receiver_, 3, Outbox::max_segment_bytes + 1);
    outbox.flush();
    EXPECT_EQ(data_of(drain(receiver_.get())), want);
    EXPECT_EQ(counters_.udp_segmented_sends.load(), 0u);
}

TEST_F(OutboxTest, ASendTheKernelRefusesToSegmentGoesOutDatagramByDatagram) {
    // Without UDP checksums the kernel refuses GSO (EINVAL), as a route
    // without checksum offload does (EIO).
    int one = 1;
    ASSERT_EQ(setsockopt(sender_.get(), SOL_SOCKET, SO_NO_CHECK, &one, sizeof(one)), 0);
    Outbox outbox(counters_);
    std::vector<Bytes> want = add_run(outbox, sender_.get(), to_receiver_, 6, 170);
    outbox.flush();
    EXPECT_EQ(data_of(drain(receiver_.get())), want);
    EXPECT_EQ(counters_.udp_datagrams_out.load(), 6u);
    EXPECT_EQ(counters_.udp_segmented_sends.load(), 0u);
    EXPECT_EQ(counters_.dropped_send_failed.load(), 0u);
    EXPECT_TRUE(outbox.segmenting());  // EINVAL is about that send, not the route
}

TEST_F(OutboxTest, DatagramsWithOtherSourceAddressesAreNotCoalesced) {
    // A wildcard socket answers from the address each client used
    // (IP_PKTINFO): datagrams that differ in it must not share a send.
    UniqueFd wildcard = bound_socket("0.0.0.0");
    auto pktinfo = [](const char* ip) {
        std::array<uint8_t, CMSG_SPACE(sizeof(in_pktinfo))> control{};
        msghdr m{};
        m.msg_control = control.data();
        m.msg_controllen = control.size();
        cmsghdr* c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = IPPROTO_IP;
        c->cmsg_type = IP_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
        in_pktinfo info{};
        inet_pton(AF_INET, ip, &info.ipi_spec_dst);
        std::memcpy(CMSG_DATA(c), &info, sizeof(info));
        return control;
    };
    auto from_2 = pktinfo("127.0.0.2");
    auto from_3 = pktinfo("127.0.0.3");
    Outbox outbox(counters_);
    std::vector<std::pair<std::string, Bytes>> want;
    for (int i = 0; i < 8; ++i) {
        const auto& control = i % 3 == 0 ? from_3 : from_2;
        want.emplace_back(i % 3 == 0 ? "127.0.0.3" : "127.0.0.2", datagram(120));
        add(outbox, wildcard.get(), to_receiver_, want.back().second, control.data(),
            control.size());
    }
    outbox.flush();
    std::vector<Received> got = drain(receiver_.get());
    ASSERT_EQ(got.size(), want.size());
    // Each source's datagrams in order; the two sources' groups may interleave.
    for (const char* source : {"127.0.0.2", "127.0.0.3"}) {
        std::vector<Bytes> sent, arrived;
        for (const auto& [from, data] : want) {
            if (from == source) {
                sent.push_back(data);
            }
        }
        for (const auto& r : got) {
            if (r.from == source) {
                arrived.push_back(r.data);
            }
        }
        EXPECT_EQ(arrived, sent) << source;
    }
    EXPECT_EQ(counters_.udp_segmented_sends.load(), 2u);  // 127.0.0.3's three, 127.0.0.2's five
}

}  // namespace
}  // namespace turnpike::relay
