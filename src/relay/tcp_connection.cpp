#include "relay/tcp_connection.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>

#include <openssl/err.h>

#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <utility>

#include "relay/channel_data.hpp"
#include "relay/worker.hpp"

namespace turnpike::relay {

namespace {

constexpr size_t initial_input = 4096;
// What an empty output buffer may keep between bursts: a few batches' worth
// of small datagrams, so a steady stream never reallocates.
constexpr size_t kept_output = 16 * 1024;

// How many bytes the frame at the front of `data` needs, 0 while the header
// itself is incomplete, or -1 when the bytes cannot start a frame we accept.
// ChannelData is only accepted on a stream that holds an allocation: before
// that, bytes that look like it (an HTTP request starts with 0x47) are junk.
long frame_length(const uint8_t* data, size_t available, bool has_allocation) {
    if (available < 4) {
        return 0;
    }
    if ((data[0] & 0xC0) == 0x40) {
        if (!has_allocation) {
            return -1;
        }
        uint16_t payload = static_cast<uint16_t>((data[2] << 8) | data[3]);
        return static_cast<long>(channel_data::header_size + channel_data::padded(payload));
    }
    if ((data[0] & 0xC0) != 0) {
        return -1;  // neither STUN (leading bits 00) nor ChannelData (01)
    }
    if (available < 20) {
        return 0;
    }
    uint16_t body = static_cast<uint16_t>((data[2] << 8) | data[3]);
    if (body % 4 != 0) {
        return -1;
    }
    return 20 + static_cast<long>(body);
}

}  // namespace

TcpConnection::TcpConnection(Worker& worker, UniqueFd fd, const SocketAddress& peer,
                             const SocketAddress& local, SourceLedger::Slot slot, SslSession tls)
    : worker_(worker),
      fd_(std::move(fd)),
      peer_(peer),
      local_(local),
      input_(initial_input),
      accepted_at_(Clock::now()),
      last_activity_(accepted_at_),
      slot_(std::move(slot)),
      tls_(std::move(tls)) {
    if (tls_) {
        SSL_set_app_data(tls_.get(), this);
        SSL_set_info_callback(tls_.get(), &TcpConnection::on_tls_state);
        attach_record_sink(tls_.get(), &sink_);
    }
}

// SSL_is_init_finished cannot tell afterwards: a stream that ends without a
// close_notify puts the session in its error state, handshake done or not.
void TcpConnection::on_tls_state(const SSL* tls, int where, int) {
    if (where & SSL_CB_HANDSHAKE_DONE) {
        static_cast<TcpConnection*>(SSL_get_app_data(tls))->handshake_finished_ = true;
    }
}

void TcpConnection::on_events(uint32_t events) {
    if (closed_) {
        return;
    }
    if (events & (EPOLLERR | EPOLLHUP)) {
        close();
        return;
    }
    if (events & EPOLLOUT) {
        flush();
    }
    if (!closed_ && (events & (EPOLLIN | EPOLLRDHUP))) {
        read_available();
    }
}

void TcpConnection::read_available() {
    // Bytes read but not yet framed. SSL_read gives one record at a time, so
    // the records TLS has already read ahead are taken before framing: the
    // frames they carry are relayed in one batch (one sendmmsg), not one each.
    bool unframed = false;
    for (;;) {
        bool buffered = tls_ && SSL_has_pending(tls_.get());
        if (unframed && (!buffered || input_used_ == input_.size())) {
            unframed = false;
            process_frames();
            if (closed_) {
                return;
            }
        }
        if (input_used_ == input_.size()) {
            if (input_.size() >= max_frame) {
                close();
                return;
            }
            input_.resize(std::min(max_frame, input_.size() * 2));
        }
        long n = receive(input_.data() + input_used_, input_.size() - input_used_);
        if (n <= 0) {
            if (unframed) {
                process_frames();
            }
            if (n < 0) {
                close();
            }
            return;
        }
        last_activity_ = Clock::now();
        bump(worker_.mutable_counters().bytes_in, static_cast<uint64_t>(n));
        input_used_ += static_cast<size_t>(n);
        unframed = true;
    }
}

long TcpConnection::receive(uint8_t* data, size_t size) {
    if (tls_) {
        ERR_clear_error();
        int n = SSL_read(tls_.get(), data, static_cast<int>(std::min<size_t>(size, INT_MAX)));
        int error = n > 0 ? SSL_ERROR_NONE : SSL_get_error(tls_.get(), n);
        // What a read wrote: handshake flights, session tickets, key updates.
        if (!output_.empty() && !corked_) {
            flush();
        }
        if (closed_) {
            return -1;
        }
        if (n > 0) {
            return n;
        }
        return error == SSL_ERROR_WANT_READ ? 0 : tls_failed(error);
    }
    for (;;) {
        ssize_t n = ::recv(fd_.get(), data, size, 0);
        if (n > 0) {
            return n;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
    }
}

long TcpConnection::send_raw(const uint8_t* data, size_t size) {
    for (;;) {
        ssize_t n = ::send(fd_.get(), data, size, MSG_NOSIGNAL);
        if (n >= 0) {
            return n;
        }
        if (errno == EINTR) {
            continue;
        }
        return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    }
}

// The end of a TLS stream, orderly or not.
long TcpConnection::tls_failed(int error) {
    if (error != SSL_ERROR_ZERO_RETURN) {
        count_unfinished_handshake();
    }
    ERR_clear_error();
    return -1;
}

// A TLS stream that ends before its handshake did: a client that refused the
// certificate, a scanner, plain TCP sent to the TLS port, or a handshake
// that stalled past the first-message timeout.
void TcpConnection::count_unfinished_handshake() {
    if (tls_ && !handshake_finished_) {
        bump(worker_.mutable_counters().tls_handshakes_failed);
    }
}

void TcpConnection::process_frames() {
    std::array<uint8_t, 2048> answer;
    size_t consumed = 0;
    while (!closed_) {
        long needed = frame_length(input_.data() + consumed, input_used_ - consumed,
                                   worker_.turn().find(FiveTuple{peer_, local_, false}) != nullptr);
        if (needed < 0) {
            bump(worker_.mutable_counters().tcp_connections_closed_bad_input);
            close();
            return;
        }
        if (needed == 0 || input_used_ - consumed < static_cast<size_t>(needed)) {
            break;
        }
        std::span<const uint8_t> frame{input_.data() + consumed, static_cast<size_t>(needed)};
        consumed += static_cast<size_t>(needed);
        framed_a_message_ = true;
        ClientLink link{.client = peer_, .local = local_, .udp_fd = -1, .tcp = this};
        if (channel_data::looks_like(frame)) {
            worker_.stun().handle_channel_data(frame, link);
            continue;
        }
        size_t n = worker_.stun().handle(frame, link, answer);
        if (n != 0) {
            write(answer.data(), n);
        }
    }
    // Relayed payloads point into input_: send them before it is compacted.
    worker_.outbox().flush();
    if (consumed != 0) {
        std::memmove(input_.data(), input_.data() + consumed, input_used_ - consumed);
        input_used_ -= consumed;
    }
}

void TcpConnection::write(const uint8_t* data, size_t size) {
    if (closed_) {
        return;
    }
    if (tls_) {
        encrypt(data, size);
    } else {
        queue(data, size);
    }
    if (!closed_ && !corked_) {
        flush();
    }
}

void TcpConnection::queue(const uint8_t* data, size_t size) {
    if (!sink_.append(data, size)) {
        close();  // a client that does not read its answers
    }
}

// One SSL_write, so one record (the largest write is a 64 KB ChannelData,
// four records at most), appended to output_ through sink_. It fails
// only when that would pass max_pending_output, or on a TLS error; never
// for want of input, since nothing is written to a client before its
// handshake is done.
void TcpConnection::encrypt(const uint8_t* data, size_t size) {
    ERR_clear_error();
    int n = SSL_write(tls_.get(), data, static_cast<int>(std::min<size_t>(size, INT_MAX)));
    if (n <= 0) {
        tls_failed(SSL_get_error(tls_.get(), n));
        close();
    }
}

void TcpConnection::uncork() {
    corked_ = false;
    if (!closed_ && !output_.empty()) {
        flush();
    }
}

void TcpConnection::flush() {
    size_t sent = 0;
    while (sent < output_.size()) {
        long n = send_raw(output_.data() + sent, output_.size() - sent);
        if (n < 0) {
            close();
            return;
        }
        if (n == 0) {
            break;
        }
        sent += static_cast<size_t>(n);
    }
    bump(worker_.mutable_counters().bytes_out, sent);
    output_.erase(output_.begin(), output_.begin() + static_cast<long>(sent));
    watch_output();
}

void TcpConnection::watch_output() {
    if (closed_) {
        return;
    }
    bool want = !output_.empty();
    if (want != want_write_) {
        want_write_ = want;
        worker_.rewatch(fd_.get(), want ? EPOLLIN | EPOLLRDHUP | EPOLLOUT : EPOLLIN | EPOLLRDHUP,
                        this);
    }
}

size_t TcpConnection::trim_buffers() {
    if (output_.empty() && output_.capacity() > kept_output) {
        std::vector<uint8_t>().swap(output_);  // sink_ points at output_ itself
    }
    if (input_used_ == 0 && input_.size() > initial_input) {
        input_.resize(initial_input);
        input_.shrink_to_fit();
    }
    return output_.capacity() + input_.capacity();
}

void TcpConnection::close_as_slow() {
    if (closed_) {
        return;
    }
    bump(worker_.mutable_counters().tcp_connections_closed_slow);
    count_unfinished_handshake();
    close();
}

void TcpConnection::close() {
    if (closed_) {
        return;
    }
    closed_ = true;
    worker_.retire(this);
}

}  // namespace turnpike::relay
