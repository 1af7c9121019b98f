#pragma once

#include <glib.h>
#include <hiredis/async.h>

#include <chrono>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "common/redis_url.hpp"

namespace turnpike::matcher {

// One hiredis asynchronous connection driven by a GLib main context (the
// control thread's), which reconnects by itself: after a loss it waits
// 100 ms, doubling to 5 s, and tries again until it is back.
class RedisConnection {
  public:
    // The reply, or nullptr when the connection went before it came.
    using ReplyHandler = std::function<void(redisReply* reply)>;

    RedisConnection(RedisEndpoint endpoint, std::string name, GMainContext* context);
    ~RedisConnection();
    RedisConnection(const RedisConnection&) = delete;
    RedisConnection& operator=(const RedisConnection&) = delete;

    // Called once connected (AUTH and SELECT are queued first), and on each
    // loss.
    void on_ready(std::function<void()> handler) { on_ready_ = std::move(handler); }
    void on_lost(std::function<void()> handler) { on_lost_ = std::move(handler); }
    void start();

    bool ready() const { return context_ != nullptr && ready_; }
    // False, with nothing sent, when not connected.
    bool command(std::span<const std::string_view> argv, ReplyHandler handler);
    // A subscription: `handler` sees every message reply on `channel` until
    // the connection goes (then subscribe again from on_ready).
    bool subscribe(std::string_view channel, ReplyHandler handler);
    size_t pending() const { return pending_; }

  private:
    static void connected(const redisAsyncContext* context, int status);
    static void disconnected(const redisAsyncContext* context, int status);
    static void replied(redisAsyncContext* context, void* reply, void* data);
    static void published(redisAsyncContext* context, void* reply, void* data);
    static gboolean retry(gpointer data);

    void connect();
    void lost(std::string_view why);
    void release_source();
    void schedule_retry();
    void prepare_session();

    RedisEndpoint endpoint_;
    std::string name_;
    GMainContext* main_context_;
    redisAsyncContext* context_ = nullptr;
    GSource* source_ = nullptr;
    GSource* retry_source_ = nullptr;
    std::chrono::milliseconds backoff_{100};
    bool ready_ = false;
    bool stopping_ = false;
    bool reported_down_ = false;
    size_t pending_ = 0;
    ReplyHandler subscription_;
    std::function<void()> on_ready_;
    std::function<void()> on_lost_;
};

}  // namespace turnpike::matcher
