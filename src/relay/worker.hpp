#pragma once

#include <chrono>
#include <memory>
#include <span>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/config.hpp"
#include "common/unique_fd.hpp"
#include "relay/counters.hpp"
#include "relay/event_source.hpp"
#include "relay/stun_server.hpp"
#include "relay/udp_batch.hpp"

namespace turnpike::relay {

class TcpConnection;

// One data-plane thread: its own epoll loop, its own SO_REUSEPORT socket on
// every listening address, its own STUN state. Workers share nothing, so the
// packet path takes no lock.
class Worker {
  public:
    static constexpr std::chrono::seconds tcp_idle_timeout{60};

    Worker(unsigned index, const RelaySettings& settings);
    ~Worker();
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    void start();
    void stop();  // asks the loop to end and joins it

    const WorkerCounters& counters() const { return counters_; }

    // Used by the worker's event sources.
    StunServer& stun() { return stun_; }
    WorkerCounters& mutable_counters() { return counters_; }
    void watch(int fd, uint32_t events, EventSource* source);
    void rewatch(int fd, uint32_t events, EventSource* source);
    void forget(int fd);
    void retire(TcpConnection* connection);
    void adopt(std::unique_ptr<TcpConnection> connection);

  private:
    class UdpSocket;
    class TcpListener;
    class Wakeup;
    class Ticker;

    void run();
    void reap_retired();
    void close_idle_connections();

    unsigned index_;
    WorkerCounters counters_;
    StunServer stun_;
    UniqueFd epoll_;
    std::unique_ptr<UdpBatch> in_batch_;
    std::unique_ptr<UdpBatch> out_batch_;
    std::vector<std::unique_ptr<EventSource>> sources_;
    std::unordered_map<int, std::unique_ptr<TcpConnection>> connections_;
    std::vector<int> retired_;
    std::unique_ptr<Wakeup> wakeup_;
    std::thread thread_;
    bool running_ = false;
};

}  // namespace turnpike::relay
