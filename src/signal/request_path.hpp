#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace turnpike::signal {

// The file a request path names under a web root, as its segments, or
// nothing when the path may not name a file there.
//
// The target is percent-decoded once; it is refused when it is not absolute,
// has a bad escape, decodes to NUL, a control character, a backslash or
// invalid UTF-8 (overlong forms of '.' and '/' included), encodes a '/'
// (%2F: a separator must be literal), or has a segment '.', '..' or starting
// with '.' (dot files such as .git are never served). Empty segments ('//')
// are skipped; a path ending in '/' names that folder's index.html.
std::optional<std::vector<std::string>> request_path_segments(std::string_view target);

}  // namespace turnpike::signal
