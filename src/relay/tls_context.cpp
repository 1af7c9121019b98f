#include "relay/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "relay/tls_records.hpp"

namespace turnpike::relay {

namespace {

// The oldest OpenSSL error on this thread's queue, which is then emptied.
std::string openssl_error() {
    unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0) {
        return "no reason given by OpenSSL";
    }
    char text[256];
    ERR_error_string_n(code, text, sizeof(text));
    return text;
}

// OpenSSL's own message for a missing file is "system lib"; say it plainly.
void require_readable(const Config& config, const char* key, const std::string& path) {
    std::FILE* file = std::fopen(path.c_str(), "r");
    if (file == nullptr) {
        throw ConfigError(config.source, key,
                          fmt::format("cannot read {}: {}", path, std::strerror(errno)));
    }
    std::fclose(file);
}

struct KeyFree {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct BioFree {
    void operator()(BIO* bio) const { BIO_free(bio); }
};

std::unique_ptr<EVP_PKEY, KeyFree> read_private_key(const std::string& path) {
    std::unique_ptr<BIO, BioFree> file(BIO_new_file(path.c_str(), "r"));
    if (!file) {
        return nullptr;
    }
    return std::unique_ptr<EVP_PKEY, KeyFree>(
        PEM_read_bio_PrivateKey(file.get(), nullptr, nullptr, nullptr));
}

// RFC 7443: a client that names TURN (or STUN) in ALPN gets it confirmed; one
// that names only other protocols is refused, since it came to the wrong
// port; one that sends no ALPN is served as before ALPN existed.
int select_alpn(SSL*, const unsigned char** out, unsigned char* out_length,
                const unsigned char* offered, unsigned int offered_length, void*) {
    static constexpr unsigned char ours[] = "\x09stun.turn\x12stun.nat-discovery";
    unsigned char* chosen = nullptr;
    if (SSL_select_next_proto(&chosen, out_length, ours, sizeof(ours) - 1, offered,
                              offered_length) != OPENSSL_NPN_NEGOTIATED) {
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    *out = chosen;
    return SSL_TLSEXT_ERR_OK;
}

// Loaded all the same: a renewal may be on its way, and the operator should
// hear of it at the check, the start and each reload.
void warn_if_expired(SSL_CTX* ctx, const std::string& path) {
    X509* cert = SSL_CTX_get0_certificate(ctx);
    if (cert != nullptr && X509_cmp_current_time(X509_get0_notAfter(cert)) <= 0) {
        char subject[256] = "";
        X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof(subject));
        spdlog::warn("relay: the TLS certificate {} ({}) has expired; clients will refuse it", path,
                     subject);
    }
}

}  // namespace

std::shared_ptr<const TlsContext> TlsContext::load(const Config& config) {
    const RelaySettings& relay = config.relay;
    if (relay.tls_listen.empty()) {
        return nullptr;
    }
    ERR_clear_error();
    std::unique_ptr<SSL_CTX, CtxFree> ctx(SSL_CTX_new(TLS_server_method()));
    if (!ctx) {
        throw ConfigError(config.source, "[relay] tls-listen",
                          fmt::format("OpenSSL: {}", openssl_error()));
    }
    SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
    SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    // Released buffers: an idle TLS client holds no 34 KB of record buffers.
    // (Its records are written into the connection's output buffer, see
    // tls_records.hpp, so SSL_write never waits and needs no retry modes.)
    SSL_CTX_set_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS);
    // Read ahead: without it OpenSSL reads each record with two read(2)
    // calls, its 5-byte header and then its body, and a client's stream of
    // small ChannelData records costs a syscall more each. What it reads
    // ahead waits in the session, which the connection drains to WANT_READ.
    SSL_CTX_set_read_ahead(ctx.get(), 1);
    SSL_CTX_set_alpn_select_cb(ctx.get(), select_alpn, nullptr);

    require_readable(config, "[relay] cert", relay.cert);
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), relay.cert.c_str()) != 1) {
        throw ConfigError(
            config.source, "[relay] cert",
            fmt::format("{} is not a PEM certificate chain: {}", relay.cert, openssl_error()));
    }
    require_readable(config, "[relay] pkey", relay.pkey);
    auto key = read_private_key(relay.pkey);
    if (!key) {
        throw ConfigError(
            config.source, "[relay] pkey",
            fmt::format("{} is not a PEM private key: {}", relay.pkey, openssl_error()));
    }
    if (X509_check_private_key(SSL_CTX_get0_certificate(ctx.get()), key.get()) != 1) {
        ERR_clear_error();
        throw ConfigError(
            config.source, "[relay] pkey",
            fmt::format("{} is not the key of [relay] cert {}", relay.pkey, relay.cert));
    }
    if (SSL_CTX_use_PrivateKey(ctx.get(), key.get()) != 1) {
        throw ConfigError(config.source, "[relay] pkey",
                          fmt::format("{}: {}", relay.pkey, openssl_error()));
    }
    warn_if_expired(ctx.get(), relay.cert);
    return std::make_shared<const TlsContext>(Loaded{}, std::move(ctx));
}

SslSession TlsContext::accept(int fd) const {
    SslSession session(SSL_new(ctx_.get()));
    if (!session) {
        ERR_clear_error();
        return nullptr;
    }
    BIO* socket = BIO_new_socket(fd, BIO_NOCLOSE);
    BIO* records = new_record_bio();
    if (socket == nullptr || records == nullptr) {
        BIO_free(socket);
        BIO_free(records);
        ERR_clear_error();
        return nullptr;
    }
    SSL_set_bio(session.get(), socket, records);  // reads from the socket, writes records
    SSL_set_accept_state(session.get());
    return session;
}

}  // namespace turnpike::relay
