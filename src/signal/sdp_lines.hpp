#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// The line grammar of an SDP description (RFC 8866 section 5), checked
// strictly before GStreamer's lenient parser reads the description: each line
// is <letter>=<value>, the letters stand where RFC 8866 allows them, and the
// lines whose fields matter here (o=, t=, m=, c=, a= names, a=rtcp) have the
// fields they should. Values of other lines are not examined.

namespace turnpike::signal {

// One line, viewing the description it came from.
struct SdpLine {
    std::size_t number = 0;   // 1-based, for problem messages
    std::string_view text;    // the whole line, without its ending
    std::string_view ending;  // "\r\n", "\n", or "" for an unterminated last line
    char type = 0;            // the letter before '='
    std::string_view value;   // what follows '='
    int section = -1;         // -1 for the session part, else the media section's index
};

struct SdpLines {
    std::vector<SdpLine> lines;
    std::size_t media_sections = 0;
};

// Lines end in CRLF as RFC 8866 requires, or in a bare LF, which JavaScript
// that rewrites SDP often leaves; the last line may lack an ending. Each line
// keeps its own ending so what is forwarded can be byte-identical. A CR
// anywhere else is refused: GStreamer would end a line there and we would
// not, and two parsers that disagree on the lines are a way to smuggle one
// past the checks. `max_lines` bounds the work before anything is stored.
std::optional<SdpLines> parse_sdp_lines(std::string_view sdp, std::size_t max_lines,
                                        std::string& problem);

// The fields of a value, split at single spaces; empty if a field is empty
// (two spaces in a row, or a space at either end).
std::vector<std::string_view> split_sdp_fields(std::string_view value);

// The name of an a= line: what precedes the first ':', or the whole value.
std::string_view attribute_name(std::string_view value);
// What follows the first ':' of an a= line, or "" if there is none.
std::string_view attribute_value(std::string_view value);

}  // namespace turnpike::signal
