#pragma once
// HMAC-SHA1 and HMAC-SHA256 (RFC 2104) with the key's two padded blocks
// hashed once, when the key is set. Each MAC then hashes only the message and
// one block more: a TURN request's MESSAGE-INTEGRITY (100-odd bytes) costs
// three SHA-1 blocks instead of five, with no digest set up per call.
// On nettle, whose SHA code uses the CPU's SHA instructions where it has them.

#include <nettle/hmac.h>
#include <string.h>  // explicit_bzero

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>

namespace turnpike {

// Holds state derived from the key (not the key itself) and wipes it when
// destroyed. Copyable; mac() is const and touches nothing shared, so one
// instance serves any number of threads.
template <typename Context, std::size_t DigestSize, auto set_key, auto update, auto digest>
class Hmac {
  public:
    using Digest = std::array<uint8_t, DigestSize>;

    explicit Hmac(std::span<const uint8_t> key) { set_key(&keyed_, key.size(), key.data()); }
    Hmac(const Hmac& other) = default;
    Hmac& operator=(const Hmac& other) = default;
    ~Hmac() { explicit_bzero(&keyed_, sizeof keyed_); }

    Digest mac(std::span<const uint8_t> data) const { return mac({data}); }

    // The MAC of the parts one after another, as if they were one message.
    // nettle's digest resets the context it is given to the keyed state, so
    // the MAC runs on a copy and the keyed original stays const.
    Digest mac(std::initializer_list<std::span<const uint8_t>> parts) const {
        Context context = keyed_;
        for (auto part : parts) {
            update(&context, part.size(), part.data());
        }
        Digest out{};
        digest(&context, out.size(), out.data());
        explicit_bzero(&context, sizeof context);
        return out;
    }

  private:
    Context keyed_{};
};

using HmacSha1 = Hmac<hmac_sha1_ctx, 20, hmac_sha1_set_key, hmac_sha1_update, hmac_sha1_digest>;
using HmacSha256 =
    Hmac<hmac_sha256_ctx, 32, hmac_sha256_set_key, hmac_sha256_update, hmac_sha256_digest>;
using Sha1Digest = HmacSha1::Digest;
using Sha256Digest = HmacSha256::Digest;

}  // namespace turnpike
