#pragma once

#include <openssl/ssl.h>

#include <memory>

#include "common/config.hpp"

namespace turnpike::relay {

struct SslFree {
    void operator()(SSL* ssl) const { SSL_free(ssl); }
};
using SslSession = std::unique_ptr<SSL, SslFree>;

// The server side of TURN over TLS: [relay] cert and pkey loaded into one
// OpenSSL context that every worker starts its sessions from. Immutable once
// loaded; a reload loads a new one, and sessions already running keep the
// context they started with (OpenSSL counts its references).
class TlsContext {
  public:
    // nullptr when [relay] tls-listen is empty. Throws ConfigError naming the
    // config file, the key whose file is wrong and why.
    static std::shared_ptr<const TlsContext> load(const Config& config);

    // A session in the accept state on `fd`, or nullptr when OpenSSL is out
    // of memory.
    SslSession accept(int fd) const;

  private:
    struct CtxFree {
        void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
    };
    // Only load() makes one, through std::make_shared.
    struct Loaded {
        explicit Loaded() = default;
    };

  public:
    TlsContext(Loaded, std::unique_ptr<SSL_CTX, CtxFree> ctx) : ctx_(std::move(ctx)) {}

  private:
    std::unique_ptr<SSL_CTX, CtxFree> ctx_;
};

}  // namespace turnpike::relay
