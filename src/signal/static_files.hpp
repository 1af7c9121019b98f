#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/unique_fd.hpp"
#include "signal/http_request.hpp"

namespace turnpike::signal {

// The chat page and client library: GET and HEAD of regular files under one
// folder, each answered whole with Connection: close.
//
// Only regular files are served and no symbolic link is followed below the
// root (each segment is opened with openat and O_NOFOLLOW from the root's own
// descriptor, so neither '..' nor a link can step outside it). A file is read
// whole into memory on the event loop: the page's files are a few KiB each,
// and max_file caps what one request may read so the loop is never held for
// long by a large file that someone dropped into the folder.
class StaticFiles {
  public:
    static constexpr size_t max_file = 1 << 20;

    // Throws std::runtime_error naming `root` when it is not an openable folder.
    explicit StaticFiles(std::string root);

    // Where the page is when [signal] web-root is empty: the installed copy
    // ($datadir/turnpike/web) when it exists, else the source tree's web/
    // (a build run from its build folder).
    static std::string default_root();

    const std::string& root() const { return root_; }

    // A complete HTTP/1.1 response.
    std::string respond(const HttpRequest& request) const;

  private:
    UniqueFd open_file(const std::vector<std::string>& segments) const;

    std::string root_;
    UniqueFd dir_;
};

}  // namespace turnpike::signal
