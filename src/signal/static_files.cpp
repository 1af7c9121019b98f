#include "signal/static_files.hpp"

#include <fcntl.h>
#include <glib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>

#include <fmt/format.h>

#include "build_config.hpp"
#include "signal/request_path.hpp"

namespace turnpike::signal {

namespace {

std::string_view content_type(std::string_view name) {
    auto dot = name.rfind('.');
    std::string extension(dot == std::string_view::npos ? "" : name.substr(dot + 1));
    for (auto& c : extension) {
        c = g_ascii_tolower(c);
    }
    if (extension == "html" || extension == "htm") {
        return "text/html; charset=utf-8";
    }
    if (extension == "js" || extension == "mjs") {
        return "text/javascript; charset=utf-8";
    }
    if (extension == "css") {
        return "text/css; charset=utf-8";
    }
    if (extension == "svg") {
        return "image/svg+xml";
    }
    if (extension == "png") {
        return "image/png";
    }
    if (extension == "ico") {
        return "image/x-icon";
    }
    if (extension == "json") {
        return "application/json";
    }
    if (extension == "txt") {
        return "text/plain; charset=utf-8";
    }
    return "application/octet-stream";
}

// The Host header is the client's: only a plain host[:port] goes into the
// policy, anything else leaves connect-src at 'self'.
bool plain_host(std::string_view host) {
    if (host.empty() || host.size() > 255) {
        return false;
    }
    for (char c : host) {
        if (!g_ascii_isalnum(c) && c != '.' && c != '-' && c != ':' && c != '[' && c != ']') {
            return false;
        }
    }
    return true;
}

// The page needs its own scripts and styles, the WebSocket back to this
// host, and camera streams (blob:/MediaStream); nothing else, and no framing.
std::string security_headers(std::string_view host) {
    std::string connect = "'self'";
    if (plain_host(host)) {
        connect += fmt::format(" ws://{0} wss://{0}", host);
    }
    return fmt::format(
        "Content-Security-Policy: default-src 'self'; script-src 'self'; style-src 'self'; "
        "img-src 'self' data: blob:; media-src 'self' blob:; connect-src {}; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        "Referrer-Policy: no-referrer\r\n"
        "Permissions-Policy: camera=(self), microphone=(self), geolocation=(), payment=(), "
        "usb=()\r\n"
        "Cross-Origin-Opener-Policy: same-origin\r\n",
        connect);
}

std::string_view reason_phrase(int status) {
    switch (status) {
        case 200:
            return "OK";
        case 304:
            return "Not Modified";
        case 405:
            return "Method Not Allowed";
        default:
            return "Not Found";
    }
}

std::string plain_response(int status, std::string_view extra_headers, std::string_view body,
                           bool head) {
    return fmt::format(
        "HTTP/1.1 {} {}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n"
        "X-Content-Type-Options: nosniff\r\n{}Connection: close\r\nServer: turnpike\r\n\r\n{}",
        status, reason_phrase(status), body.size(), extra_headers, head ? "" : body);
}

std::string http_date(time_t when) {
    std::tm tm{};
    gmtime_r(&when, &tm);
    char text[64];
    size_t n = std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return {text, n};
}

// -1 when it is not an IMF-fixdate.
time_t parse_http_date(std::string_view text) {
    std::tm tm{};
    std::string copy(text);
    const char* end = strptime(copy.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return end == nullptr || *end != '\0' ? -1 : timegm(&tm);
}

std::string entity_tag(const struct stat& info) {
    return fmt::format("\"{:x}-{:x}-{:x}\"", info.st_size, info.st_mtim.tv_sec,
                       info.st_mtim.tv_nsec);
}

// If-None-Match is a list of tags, weak or strong, or "*".
bool tag_matches(std::string_view list, std::string_view tag) {
    while (!list.empty()) {
        auto comma = list.find(',');
        std::string_view item = list.substr(0, comma);
        while (!item.empty() && item.front() == ' ') {
            item.remove_prefix(1);
        }
        while (!item.empty() && item.back() == ' ') {
            item.remove_suffix(1);
        }
        if (item.starts_with("W/")) {
            item.remove_prefix(2);
        }
        if (item == tag || item == "*") {
            return true;
        }
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    }
    return false;
}

bool not_modified(const HttpRequest& request, const struct stat& info, std::string_view tag) {
    if (!request.if_none_match.empty()) {
        return tag_matches(request.if_none_match, tag);  // it wins over the date (RFC 9110)
    }
    if (!request.if_modified_since.empty()) {
        time_t since = parse_http_date(request.if_modified_since);
        return since >= 0 && info.st_mtim.tv_sec <= since;
    }
    return false;
}

bool read_whole(int fd, size_t size, std::string& out) {
    out.resize(size);
    size_t done = 0;
    while (done < size) {
        ssize_t n = ::pread(fd, out.data() + done, size - done, static_cast<off_t>(done));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;  // an error, or the file shrank under us
        }
        done += static_cast<size_t>(n);
    }
    return true;
}

}  // namespace

StaticFiles::StaticFiles(std::string root)
    : root_(std::move(root)), dir_(::open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC)) {
    if (!dir_) {
        throw std::runtime_error(
            fmt::format("cannot serve the web root {}: {}", root_, std::strerror(errno)));
    }
}

std::string StaticFiles::default_root() {
    std::string installed = std::string(TURNPIKE_DATADIR) + "/web";
    if (g_file_test(installed.c_str(), G_FILE_TEST_IS_DIR)) {
        return installed;
    }
    return std::string(TURNPIKE_SOURCE_ROOT) + "/web";
}

UniqueFd StaticFiles::open_file(const std::vector<std::string>& segments) const {
    UniqueFd folder;
    int at = dir_.get();
    for (size_t i = 0; i + 1 < segments.size(); ++i) {
        folder = UniqueFd(
            ::openat(at, segments[i].c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!folder) {
            return {};
        }
        at = folder.get();
    }
    // O_NONBLOCK: opening a FIFO someone left there must not stall the loop.
    return UniqueFd(::openat(at, segments.back().c_str(),
                             O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
}

std::string StaticFiles::respond(const HttpRequest& request) const {
    bool head = request.method == "HEAD";
    if (request.method != "GET" && !head) {
        return plain_response(405, "Allow: GET, HEAD\r\n", "method not allowed\n", false);
    }
    auto segments = request_path_segments(request.target);
    if (!segments) {
        return plain_response(404, "", "not found\n", head);
    }
    UniqueFd file = open_file(*segments);
    struct stat info {};
    if (!file || ::fstat(file.get(), &info) != 0 || !S_ISREG(info.st_mode) ||
        static_cast<size_t>(info.st_size) > max_file) {
        return plain_response(404, "", "not found\n", head);
    }
    std::string tag = entity_tag(info);
    // Public files: other sites may import the client library (a module
    // script from another origin needs CORS).
    std::string common = fmt::format(
        "ETag: {}\r\nLast-Modified: {}\r\nCache-Control: no-cache\r\n"
        "Access-Control-Allow-Origin: *\r\n",
        tag, http_date(info.st_mtim.tv_sec));
    if (not_modified(request, info, tag)) {
        return fmt::format(
            "HTTP/1.1 304 Not Modified\r\n{}Connection: close\r\nServer: turnpike\r\n\r\n", common);
    }
    std::string body;
    if (!head && !read_whole(file.get(), static_cast<size_t>(info.st_size), body)) {
        return plain_response(404, "", "not found\n", head);
    }
    return fmt::format(
        "HTTP/1.1 200 OK\r\nContent-Type: {}\r\nContent-Length: {}\r\n{}{}Connection: close\r\n"
        "Server: turnpike\r\n\r\n{}",
        content_type(segments->back()), info.st_size, common, security_headers(request.host), body);
}

}  // namespace turnpike::signal
