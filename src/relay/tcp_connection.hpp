#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <vector>

#include "common/address.hpp"
#include "common/unique_fd.hpp"
#include "relay/event_source.hpp"
#include "relay/source_ledger.hpp"
#include "relay/tls_context.hpp"
#include "relay/tls_records.hpp"

namespace turnpike::relay {

class Worker;

// One client's TCP stream, in the clear or inside TLS. STUN messages and
// ChannelData arrive back to back, each framed by its own header length
// (RFC 8656 section 12.5: ChannelData padded to four bytes); anything else
// closes the stream, since a byte stream cannot resynchronise after garbage.
class TcpConnection : public EventSource {
  public:
    using Clock = std::chrono::steady_clock;
    static constexpr size_t max_frame = 20 + 65535;
    static constexpr size_t max_pending_output = 256 * 1024;

    // `slot` counts the connection against its source until it is deleted;
    // `tls`, when given, is the session (in the accept state) on `fd`.
    TcpConnection(Worker& worker, UniqueFd fd, const SocketAddress& peer,
                  const SocketAddress& local, SourceLedger::Slot slot, SslSession tls = nullptr);

    void on_events(uint32_t events) override;
    int fd() const { return fd_.get(); }
    bool closed() const { return closed_; }
    Clock::time_point last_activity() const { return last_activity_; }
    // Whether a whole STUN message has arrived since accept (through the
    // TLS handshake, on a TLS stream).
    bool has_framed_a_message() const { return framed_a_message_; }
    Clock::time_point accepted_at() const { return accepted_at_; }
    const SocketAddress& peer() const { return peer_; }
    const SocketAddress& local() const { return local_; }
    bool is_tls() const { return tls_ != nullptr; }
    // Queues bytes for the client (a relayed ChannelData or Data indication).
    void send_bytes(std::span<const uint8_t> bytes) { write(bytes.data(), bytes.size()); }
    // Between cork() and uncork(), send_bytes only queues: the datagrams one
    // wakeup relays to this client then leave in one system call instead of
    // one each. Over TLS each datagram still gets a record of its own:
    // turnutils_uclient reads a TLS stream one record per message, with no
    // framing, and loses every message that shares a record (as it does
    // against coturn, which coalesces its writes).
    void cork() { corked_ = true; }
    void uncork();
    // Idempotent; the worker deletes the connection after its event batch.
    void close();
    // Closes a stream that sent no whole message in time, and counts it.
    void close_as_slow();
    // Housekeeping: buffers a burst grew go back to their first size once
    // empty, so an idle stream keeps no 64 KB it needed once. Returns the
    // bytes the buffers hold afterwards.
    size_t trim_buffers();

  private:
    void read_available();
    void process_frames();
    // Queues bytes for the client, as TLS records on a TLS stream, and sends
    // the queue unless corked.
    void write(const uint8_t* data, size_t size);
    void queue(const uint8_t* data, size_t size);
    void encrypt(const uint8_t* data, size_t size);
    void flush();
    // The stream's bytes in, through TLS or not: how many, 0 when the socket
    // (or TLS) has to wait, -1 when the stream is over.
    long receive(uint8_t* data, size_t size);
    // Wire bytes out: how many the socket took, 0 when it is full, -1 when
    // the stream is over.
    long send_raw(const uint8_t* data, size_t size);
    long tls_failed(int error);
    void count_unfinished_handshake();
    static void on_tls_state(const SSL* tls, int where, int result);
    // EPOLLOUT exactly while output waits for the socket.
    void watch_output();

    Worker& worker_;
    UniqueFd fd_;
    SocketAddress peer_;
    SocketAddress local_;
    std::vector<uint8_t> input_;
    size_t input_used_ = 0;
    std::vector<uint8_t> output_;  // wire bytes: TLS records on a TLS stream
    OutputSink sink_{&output_, max_pending_output};
    bool closed_ = false;
    bool corked_ = false;
    bool want_write_ = false;
    bool framed_a_message_ = false;
    bool handshake_finished_ = false;
    Clock::time_point accepted_at_;
    Clock::time_point last_activity_;
    SourceLedger::Slot slot_;
    SslSession tls_;  // after fd_: freed before the descriptor closes
};

}  // namespace turnpike::relay
