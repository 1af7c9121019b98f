#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace turnpike::relay {

// The end of a stream's output buffer, bounded: plain TCP appends its bytes
// here, and a TLS session writes its records here instead of to the socket.
// The connection sends the buffer when it chooses, so the records for the
// datagrams one wakeup relays leave in one send(2), each still a record of
// its own, and OpenSSL never waits for the socket in the middle of a write.
struct OutputSink {
    std::vector<uint8_t>* bytes = nullptr;
    size_t limit = 0;

    // False, appending nothing, when the bytes would pass `limit` (a client
    // that does not read) or memory is out.
    bool append(const uint8_t* data, size_t size) noexcept;
};

// A write BIO for SSL_set_bio, with no sink yet (writes fail until
// attach_record_sink). Null when OpenSSL is out of memory.
BIO* new_record_bio();
// Points the write BIO of `tls`, made by new_record_bio, at `sink`.
void attach_record_sink(SSL* tls, OutputSink* sink);

}  // namespace turnpike::relay
