#pragma once
// AES-128-CMAC (RFC 4493, NIST SP 800-38B): a MAC of two AES blocks for a
// message of up to 32 bytes, with the key schedule and CMAC's subkeys made
// once, when the key is set. On nettle, whose AES uses the CPU's AES
// instructions where it has them.

#include <nettle/cmac.h>
#include <string.h>  // explicit_bzero

#include <array>
#include <cstdint>
#include <span>

namespace turnpike {

// Holds state derived from the key and wipes it when destroyed. mac() is
// const and touches nothing shared, so one instance serves any number of
// threads.
class Cmac128 {
  public:
    using Key = std::array<uint8_t, 16>;
    using Tag = std::array<uint8_t, 16>;

    explicit Cmac128(const Key& key) { cmac_aes128_set_key(&keyed_, key.data()); }
    Cmac128(const Cmac128& other) = default;
    Cmac128& operator=(const Cmac128& other) = default;
    ~Cmac128() { explicit_bzero(&keyed_, sizeof keyed_); }

    // nettle's update and digest advance the context they are given, so the
    // MAC runs on a copy and the keyed original stays const.
    Tag mac(std::span<const uint8_t> data) const {
        cmac_aes128_ctx context = keyed_;
        cmac_aes128_update(&context, data.size(), data.data());
        Tag out{};
        cmac_aes128_digest(&context, out.size(), out.data());
        explicit_bzero(&context, sizeof context);
        return out;
    }

  private:
    cmac_aes128_ctx keyed_{};
};

}  // namespace turnpike
