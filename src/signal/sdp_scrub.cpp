#include "signal/sdp_scrub.hpp"

#include <algorithm>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "common/cidr.hpp"
#include "signal/ice_candidate.hpp"

namespace turnpike::signal {

namespace {

constexpr std::size_t kRtcpWithAddressFields = 4;

bool is_candidate_line(const SdpLine& line) {
    return line.type == 'a' && attribute_name(line.value) == "candidate";
}

bool is_rtcp_line(const SdpLine& line) {
    return line.type == 'a' && attribute_name(line.value) == "rtcp";
}

class Scrubber {
  public:
    explicit Scrubber(const SdpLines& lines) : lines_(lines) {
        collect_relay_addresses();
        out_.sdp.reserve(total_size());
    }

    ScrubbedSdp run() {
        for (const auto& line : lines_.lines) {
            scrub(line);
        }
        return std::move(out_);
    }

  private:
    void collect_relay_addresses() {
        for (const auto& line : lines_.lines) {
            if (!is_candidate_line(line)) {
                continue;
            }
            const auto candidate = parse_candidate(line.text);
            if (candidate && candidate->type == CandidateType::relay) {
                if (auto address = IpAddress::parse(candidate->address)) {
                    relay_addresses_.push_back(*address);
                }
            }
        }
    }

    std::size_t total_size() const {
        std::size_t size = 0;
        for (const auto& line : lines_.lines) {
            size += line.text.size() + line.ending.size();
        }
        return size;
    }

    // Only IP literals can match: a name could resolve to anything.
    bool is_relay_address(std::string_view text) const {
        const auto address = IpAddress::parse(text);
        return address && std::find(relay_addresses_.begin(), relay_addresses_.end(), *address) !=
                              relay_addresses_.end();
    }

    void emit(const SdpLine& line, std::string_view text) {
        out_.sdp += text;
        out_.sdp += line.ending;
    }

    void scrub(const SdpLine& line) {
        if (is_candidate_line(line)) {
            scrub_candidate_line(line);
        } else if (line.type == 'c') {
            scrub_connection(line);
        } else if (line.type == 'o') {
            scrub_origin(line);
        } else if (is_rtcp_line(line)) {
            scrub_rtcp(line);
        } else {
            emit(line, line.text);
        }
    }

    void scrub_candidate_line(const SdpLine& line) {
        const auto candidate = parse_candidate(line.text);
        const auto kept = candidate ? scrub_candidate(*candidate, true) : std::nullopt;
        if (!kept) {
            ++out_.candidates_removed;
        } else if (candidate->related_address || candidate->related_port) {
            emit(line, fmt::format("a={}", *kept));
        } else {
            emit(line, line.text);  // nothing to hide: keep the sender's spelling
        }
    }

    // c=<nettype> <addrtype> <address>[/<ttl>][/<count>]; parse_sdp_lines
    // made sure of the three fields, as of the six of o= below.
    void scrub_connection(const SdpLine& line) {
        const auto fields = split_sdp_fields(line.value);
        const auto address = fields[2].substr(0, fields[2].find('/'));
        if (is_relay_address(address)) {
            emit(line, line.text);
        } else {
            emit(line, fmt::format("c=IN IP4 {}", kHiddenAddress));
        }
    }

    // o=<username> <sess-id> <sess-version> <nettype> <addrtype> <address>
    void scrub_origin(const SdpLine& line) {
        const auto fields = split_sdp_fields(line.value);
        if (is_relay_address(fields[5])) {
            emit(line, line.text);
        } else {
            emit(line, fmt::format("o={} {} {} IN IP4 {}", fields[0], fields[1], fields[2],
                                   kHiddenAddress));
        }
    }

    // a=rtcp:<port> [<nettype> <addrtype> <address>]
    void scrub_rtcp(const SdpLine& line) {
        const auto fields = split_sdp_fields(attribute_value(line.value));
        if (fields.size() != kRtcpWithAddressFields || is_relay_address(fields[3])) {
            emit(line, line.text);
        } else {
            emit(line, fmt::format("a=rtcp:{} IN IP4 {}", fields[0], kHiddenAddress));
        }
    }

    const SdpLines& lines_;
    std::vector<IpAddress> relay_addresses_;
    ScrubbedSdp out_;
};

}  // namespace

ScrubbedSdp scrub_sdp(const SdpLines& lines) {
    return Scrubber(lines).run();
}

}  // namespace turnpike::signal
