#include "relay/tls_records.hpp"

#include <new>

namespace turnpike::relay {

namespace {

int write_records(BIO* bio, const char* data, int length) {
    BIO_clear_retry_flags(bio);  // never "try again": the buffer takes it or the stream ends
    auto* sink = static_cast<OutputSink*>(BIO_get_data(bio));
    if (sink == nullptr || length < 0 ||
        !sink->append(reinterpret_cast<const uint8_t*>(data), static_cast<size_t>(length))) {
        return -1;
    }
    return length;
}

// OpenSSL flushes its write BIO after each handshake flight; nothing else
// it asks of a write BIO (pending counts, kTLS) applies here.
long control_records(BIO*, int command, long, void*) {
    return command == BIO_CTRL_FLUSH ? 1 : 0;
}

const BIO_METHOD* record_method() {
    static BIO_METHOD* method = [] {
        BIO_METHOD* m =
            BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "turnpike records");
        if (m != nullptr) {
            BIO_meth_set_write(m, write_records);
            BIO_meth_set_ctrl(m, control_records);
        }
        return m;
    }();
    return method;
}

}  // namespace

bool OutputSink::append(const uint8_t* data, size_t size) noexcept {
    if (bytes->size() + size > limit) {
        return false;
    }
    try {
        bytes->insert(bytes->end(), data, data + size);
    } catch (const std::bad_alloc&) {
        return false;  // noexcept: it is called from OpenSSL's C frames too
    }
    return true;
}

BIO* new_record_bio() {
    const BIO_METHOD* method = record_method();
    if (method == nullptr) {
        return nullptr;
    }
    BIO* bio = BIO_new(method);
    if (bio != nullptr) {
        BIO_set_init(bio, 1);
    }
    return bio;
}

void attach_record_sink(SSL* tls, OutputSink* sink) {
    BIO_set_data(SSL_get_wbio(tls), sink);
}

}  // namespace turnpike::relay
