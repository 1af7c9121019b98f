#pragma once
// A real redis-server for a test program: started on a free loopback port
// with no persistence, in a temporary directory, and stopped at the end.

#include <glib.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include "common/redis_url.hpp"

namespace turnpike::test {

inline uint16_t free_loopback_port() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    socklen_t length = sizeof(address);
    getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    ::close(fd);
    return ntohs(address.sin_port);
}

class RedisServer {
  public:
    RedisServer() : port_(free_loopback_port()) {
        char pattern[] = "/tmp/turnpike-redis-XXXXXX";
        dir_ = mkdtemp(pattern);
        start();
    }
    ~RedisServer() {
        stop();
        std::string command = "rm -rf '" + dir_ + "'";
        [[maybe_unused]] int ignored = std::system(command.c_str());
    }
    RedisServer(const RedisServer&) = delete;
    RedisServer& operator=(const RedisServer&) = delete;

    RedisEndpoint endpoint() const {
        RedisEndpoint endpoint;
        endpoint.host = "127.0.0.1";
        endpoint.port = port_;
        return endpoint;
    }

    void start() {
        std::string port = std::to_string(port_);
        pid_ = fork();
        if (pid_ == 0) {
            execlp("redis-server", "redis-server", "--port", port.c_str(), "--bind", "127.0.0.1",
                   "--save", "", "--appendonly", "no", "--dir", dir_.c_str(), "--loglevel",
                   "warning", static_cast<char*>(nullptr));
            _exit(127);
        }
        for (int i = 0; i < 200; ++i) {
            if (redisContext* c = connect()) {
                redisFree(c);
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        throw std::runtime_error("redis-server did not start (is it installed?)");
    }

    void stop() {
        if (pid_ > 0) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
            pid_ = -1;
        }
    }

    void flush() { run("FLUSHALL"); }

    // One command on a connection of its own, e.g. "SCRIPT FLUSH".
    void run(const char* command) {
        redisContext* c = connect();
        if (c == nullptr) {
            throw std::runtime_error("redis-server is not answering");
        }
        freeReplyObject(redisCommand(c, command));
        redisFree(c);
    }

  private:
    redisContext* connect() const {
        redisContext* c = redisConnect("127.0.0.1", port_);
        if (c == nullptr || c->err != 0) {
            if (c != nullptr) {
                redisFree(c);
            }
            return nullptr;
        }
        return c;
    }

    uint16_t port_;
    std::string dir_;
    pid_t pid_ = -1;
};

// Runs the default GLib main context until `done` holds or `limit` passes.
template <typename Done>
bool pump_until(Done done, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) {
            return false;
        }
        g_main_context_iteration(nullptr, FALSE);
        if (!done()) {
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
    }
    return true;
}

}  // namespace turnpike::test
