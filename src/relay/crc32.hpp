#pragma once
// CRC-32 as zlib, Ethernet and STUN's FINGERPRINT have it (reflected
// polynomial 0xEDB88320, initial value and final XOR 0xFFFFFFFF). On x86-64
// CPUs with carry-less multiplication (PCLMULQDQ) sixteen bytes fold per
// step; elsewhere, and below 48 bytes, eight bytes per step through tables
// ("slicing-by-8"). docs/benchmarks.md has the figures.

#include <cstdint>
#include <span>

namespace turnpike::relay {

uint32_t crc32(std::span<const uint8_t> bytes);

// The same CRC by the tables alone, whatever the CPU: for tests and
// benchmarks of the folding path against it.
uint32_t crc32_by_tables(std::span<const uint8_t> bytes);

}  // namespace turnpike::relay
