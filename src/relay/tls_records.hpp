#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace turnpike::relay {

// Where a TLS session writes its records: the end of its connection's output
// buffer instead of the socket. The connection sends that buffer when it
// chooses, so the records for the datagrams one wakeup relays leave in one
// send(2), each still a record of its own, and OpenSSL never waits for the
// socket in the middle of a write.
struct RecordSink {
    std::vector<uint8_t>* bytes = nullptr;
    size_t limit = 0;  // a write that would pass it fails: a client that does not read
};

// A write BIO for SSL_set_bio, with no sink yet (writes fail until
// attach_record_sink). Null when OpenSSL is out of memory.
BIO* new_record_bio();
// Points the write BIO of `tls`, made by new_record_bio, at `sink`.
void attach_record_sink(SSL* tls, RecordSink* sink);

}  // namespace turnpike::relay
