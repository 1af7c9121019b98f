#pragma once
// Replaces the global operator new/delete of the one test program that
// includes it, counting every allocation, so a test can show a hot path makes
// none: read `allocations` before and after. Include from one file only.
#include <atomic>
#include <cstdlib>
#include <new>

namespace {
std::atomic<long> allocations{0};
}  // namespace

// Out of line: inlined into a caller, GCC pairs free() with operator new and
// warns (-Wmismatched-new-delete).
[[gnu::noinline]] void* operator new(std::size_t size) {
    ++allocations;
    if (void* p = std::malloc(size != 0 ? size : 1)) {
        return p;
    }
    throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept {
    std::free(p);
}
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
