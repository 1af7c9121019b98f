#include "relay/tls_records.hpp"

#include <new>

namespace turnpike::relay {

namespace {

int write_records(BIO* bio, const char* data, int length) {
    BIO_clear_retry_flags(bio);  // never "try again": the buffer takes it or the stream ends
    auto* sink = static_cast<RecordSink*>(BIO_get_data(bio));
    if (sink == nullptr || length < 0) {
        return -1;
    }
    auto size = static_cast<size_t>(length);
    if (sink->bytes->size() + size > sink->limit) {
        return -1;
    }
    try {
        const auto* bytes = reinterpret_cast<const uint8_t*>(data);
        sink->bytes->insert(sink->bytes->end(), bytes, bytes + size);
    } catch (const std::bad_alloc&) {
        return -1;  // no exception may cross OpenSSL's C frames
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

void attach_record_sink(SSL* tls, RecordSink* sink) {
    BIO_set_data(SSL_get_wbio(tls), sink);
}

}  // namespace turnpike::relay
