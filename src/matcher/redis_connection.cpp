#include "matcher/redis_connection.hpp"

#include <memory>
#include <vector>

#include <spdlog/spdlog.h>

// hiredis's GLib adapter is C written for C compilers.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wcast-align"
#include <hiredis/adapters/glib.h>
#pragma GCC diagnostic pop

namespace turnpike::matcher {

namespace {

constexpr std::chrono::milliseconds first_backoff{100};
constexpr std::chrono::milliseconds max_backoff{5000};

RedisConnection* owner_of(const redisAsyncContext* context) {
    return static_cast<RedisConnection*>(context->data);
}

}  // namespace

RedisConnection::RedisConnection(RedisEndpoint endpoint, std::string name, GMainContext* context)
    : endpoint_(std::move(endpoint)), name_(std::move(name)), main_context_(context) {}

RedisConnection::~RedisConnection() {
    stopping_ = true;
    if (retry_source_ != nullptr) {
        g_source_destroy(retry_source_);
        g_source_unref(retry_source_);
    }
    if (context_ != nullptr) {
        // Runs every pending callback with a null reply, then disconnected().
        redisAsyncFree(context_);
    }
    release_source();
}

void RedisConnection::start() {
    connect();
}

void RedisConnection::connect() {
    context_ = endpoint_.socket_path.empty()
                   ? redisAsyncConnect(endpoint_.host.c_str(), endpoint_.port)
                   : redisAsyncConnectUnix(endpoint_.socket_path.c_str());
    if (context_ == nullptr || context_->err != 0) {
        std::string why = context_ != nullptr ? context_->errstr : "out of memory";
        if (context_ != nullptr) {
            redisAsyncFree(context_);
            context_ = nullptr;
        }
        lost(why);
        return;
    }
    context_->data = this;
    source_ = redis_source_new(context_);
    g_source_attach(source_, main_context_);
    redisAsyncSetConnectCallback(context_, &RedisConnection::connected);
    redisAsyncSetDisconnectCallback(context_, &RedisConnection::disconnected);
}

void RedisConnection::connected(const redisAsyncContext* context, int status) {
    RedisConnection& self = *owner_of(context);
    if (status != REDIS_OK) {
        // hiredis frees the context after this returns.
        self.context_ = nullptr;
        self.lost(context->errstr);
        return;
    }
    if (self.reported_down_) {
        spdlog::info("redis {}: connected again to {}", self.name_, self.endpoint_.describe());
    } else {
        spdlog::info("redis {}: connected to {}", self.name_, self.endpoint_.describe());
    }
    self.reported_down_ = false;
    self.backoff_ = first_backoff;
    self.prepare_session();
    self.ready_ = true;
    if (self.on_ready_) {
        self.on_ready_();
    }
}

// AUTH and SELECT go first on the wire, so every later command runs after
// them; a refusal is logged and drops the connection.
void RedisConnection::prepare_session() {
    auto check = [this](std::string_view what) {
        return [this, what](redisReply* reply) {
            if (reply != nullptr && reply->type == REDIS_REPLY_ERROR) {
                spdlog::error("redis {}: {} refused: {}", name_, what, reply->str);
                if (context_ != nullptr) {
                    redisAsyncDisconnect(context_);
                }
            }
        };
    };
    ready_ = true;
    if (!endpoint_.password.empty()) {
        std::string_view argv[] = {"AUTH", endpoint_.password};
        command(argv, check("AUTH"));
    }
    if (endpoint_.db != 0) {
        std::string db = std::to_string(endpoint_.db);
        std::string_view argv[] = {"SELECT", db};
        command(argv, check("SELECT"));
    }
}

void RedisConnection::disconnected(const redisAsyncContext* context, int status) {
    RedisConnection& self = *owner_of(context);
    self.context_ = nullptr;
    self.lost(status == REDIS_OK ? "closed" : context->errstr);
}

void RedisConnection::lost(std::string_view why) {
    bool was_ready = ready_;
    ready_ = false;
    subscription_ = nullptr;
    if (stopping_) {
        return;
    }
    if (!reported_down_) {
        spdlog::warn("redis {}: {} unreachable ({}); retrying with backoff", name_,
                     endpoint_.describe(), why);
        reported_down_ = true;
    }
    // The GSource is still being dispatched when hiredis reports a loss from
    // inside it: it is let go on the next retry, not here.
    schedule_retry();
    if (was_ready && on_lost_) {
        on_lost_();
    }
}

void RedisConnection::release_source() {
    if (source_ != nullptr) {
        g_source_destroy(source_);
        g_source_unref(source_);
        source_ = nullptr;
    }
}

void RedisConnection::schedule_retry() {
    if (retry_source_ != nullptr) {
        return;
    }
    retry_source_ = g_timeout_source_new(static_cast<guint>(backoff_.count()));
    g_source_set_callback(retry_source_, &RedisConnection::retry, this, nullptr);
    g_source_attach(retry_source_, main_context_);
    backoff_ = std::min(backoff_ * 2, max_backoff);
}

gboolean RedisConnection::retry(gpointer data) {
    auto& self = *static_cast<RedisConnection*>(data);
    g_source_unref(self.retry_source_);
    self.retry_source_ = nullptr;
    self.release_source();
    self.connect();
    return G_SOURCE_REMOVE;
}

bool RedisConnection::command(std::span<const std::string_view> argv, ReplyHandler handler) {
    if (!ready()) {
        return false;
    }
    std::vector<const char*> parts;
    std::vector<size_t> lengths;
    parts.reserve(argv.size());
    lengths.reserve(argv.size());
    for (std::string_view part : argv) {
        parts.push_back(part.data());
        lengths.push_back(part.size());
    }
    auto owned = std::make_unique<ReplyHandler>(std::move(handler));
    if (redisAsyncCommandArgv(context_, &RedisConnection::replied, owned.get(),
                              static_cast<int>(parts.size()), parts.data(),
                              lengths.data()) != REDIS_OK) {
        return false;
    }
    owned.release();  // replied() takes it back
    ++pending_;
    return true;
}

void RedisConnection::replied(redisAsyncContext* context, void* reply, void* data) {
    std::unique_ptr<ReplyHandler> handler(static_cast<ReplyHandler*>(data));
    RedisConnection& self = *owner_of(context);
    --self.pending_;
    if (*handler) {
        (*handler)(static_cast<redisReply*>(reply));
    }
}

bool RedisConnection::subscribe(std::string_view channel, ReplyHandler handler) {
    if (!ready()) {
        return false;
    }
    subscription_ = std::move(handler);
    std::string_view argv[] = {"SUBSCRIBE", channel};
    const char* parts[] = {argv[0].data(), argv[1].data()};
    size_t lengths[] = {argv[0].size(), argv[1].size()};
    return redisAsyncCommandArgv(context_, &RedisConnection::published, this, 2, parts, lengths) ==
           REDIS_OK;
}

// Every reply of a subscription: the "subscribe" confirmation, then each
// "message"; a null reply when the connection goes.
void RedisConnection::published(redisAsyncContext* context, void* reply, void*) {
    RedisConnection& self = *owner_of(context);
    if (self.subscription_) {
        self.subscription_(static_cast<redisReply*>(reply));
    }
}

}  // namespace turnpike::matcher
