// nice_relay: two libnice agents in one process connect through a TURN relay.
//
// Agent A (controlling) gathers through the TURN server given on the command
// line (UDP, long-term credentials) with "force-relay", so its only candidates
// are relayed ones; agent B (controlled) has host candidates on 127.0.0.1 only.
// Credentials and candidates are exchanged in-process, both agents must reach
// READY, A's selected pair must have a relayed local candidate, and messages
// sent each way with nice_agent_send must arrive byte for byte through
// nice_agent_attach_recv. Exit status 0 on success, 1 with a message naming the
// step that failed, 2 on bad usage. A hard timeout bounds the whole run.
//
//   nice_relay TURN_IP TURN_PORT USER PASSWORD [--timeout S] [--messages N]
//
// Every address involved is on loopback: the TURN server's, B's host
// candidates, and the relayed address the server hands out (which must be
// allowed to reach loopback peers, as coturn's --allow-loopback-peers and
// turnpike's [relay] allow-loopback-peers do).
#include <glib-object.h>
#include <glib.h>
#include <nice/agent.h>
#include <unistd.h>

#include <array>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace {

constexpr guint component = 1;

struct GObjectUnref {
    void operator()(gpointer object) const { g_object_unref(object); }
};
struct MainContextUnref {
    void operator()(GMainContext* context) const { g_main_context_unref(context); }
};
struct CandidateListFree {
    void operator()(GSList* list) const {
        g_slist_free_full(list, reinterpret_cast<GDestroyNotify>(nice_candidate_free));
    }
};
struct GFree {
    void operator()(gpointer p) const { g_free(p); }
};

using AgentPtr = std::unique_ptr<NiceAgent, GObjectUnref>;
using CandidateList = std::unique_ptr<GSList, CandidateListFree>;
using GString_ = std::unique_ptr<gchar, GFree>;

class Failure : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

std::string_view type_name(NiceCandidateType type) {
    switch (type) {
        case NICE_CANDIDATE_TYPE_HOST:
            return "host";
        case NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE:
            return "srflx";
        case NICE_CANDIDATE_TYPE_PEER_REFLEXIVE:
            return "prflx";
        case NICE_CANDIDATE_TYPE_RELAYED:
            return "relay";
    }
    return "?";
}

std::string describe(const NiceCandidate* c) {
    std::array<gchar, NICE_ADDRESS_STRING_LEN> text{};
    nice_address_to_string(&c->addr, text.data());
    return fmt::format("{} {}:{}", type_name(c->type), text.data(),
                       nice_address_get_port(&c->addr));
}

// One side: an agent with one stream of one component, and what it saw.
struct Side {
    std::string name;
    AgentPtr agent;
    guint stream = 0;
    bool gathered = false;
    NiceComponentState state = NICE_COMPONENT_STATE_DISCONNECTED;
    bool failed = false;
    std::vector<std::string> received;
};

void on_gathering_done(NiceAgent*, guint, gpointer data) {
    static_cast<Side*>(data)->gathered = true;
}

void on_state_changed(NiceAgent*, guint, guint, guint state, gpointer data) {
    auto* side = static_cast<Side*>(data);
    side->state = static_cast<NiceComponentState>(state);
    fmt::print("nice_relay: {} component state {}\n", side->name,
               nice_component_state_to_string(side->state));
    if (side->state == NICE_COMPONENT_STATE_FAILED) {
        side->failed = true;
    }
}

void on_receive(NiceAgent*, guint, guint, guint length, gchar* bytes, gpointer data) {
    static_cast<Side*>(data)->received.emplace_back(bytes, length);
}

class Test {
  public:
    Test(std::string turn_ip, guint turn_port, std::string user, std::string password,
         unsigned messages, int64_t deadline_us)
        : context_(g_main_context_new()),
          turn_ip_(std::move(turn_ip)),
          turn_port_(turn_port),
          user_(std::move(user)),
          password_(std::move(password)),
          messages_(messages),
          deadline_us_(deadline_us) {
        a_.name = "A (relay only)";
        b_.name = "B (host 127.0.0.1)";
    }

    void run() {
        setup(a_, true);
        setup(b_, false);
        if (!nice_agent_set_relay_info(a_.agent.get(), a_.stream, component, turn_ip_.c_str(),
                                       turn_port_, user_.c_str(), password_.c_str(),
                                       NICE_RELAY_TYPE_TURN_UDP)) {
            throw Failure(
                fmt::format("nice_agent_set_relay_info refused {}:{}", turn_ip_, turn_port_));
        }
        for (Side* side : {&a_, &b_}) {
            if (!nice_agent_gather_candidates(side->agent.get(), side->stream)) {
                throw Failure(fmt::format("{}: nice_agent_gather_candidates failed", side->name));
            }
        }
        wait("both agents to finish gathering", [&] { return a_.gathered && b_.gathered; });

        check_candidates();
        exchange(a_, b_);
        exchange(b_, a_);
        wait("both agents to reach READY", [&] {
            if (a_.failed || b_.failed) {
                throw Failure(fmt::format("ICE failed: A {}, B {}",
                                          nice_component_state_to_string(a_.state),
                                          nice_component_state_to_string(b_.state)));
            }
            return a_.state == NICE_COMPONENT_STATE_READY && b_.state == NICE_COMPONENT_STATE_READY;
        });
        check_selected_pair();
        for (unsigned i = 0; i < messages_; ++i) {
            transfer(a_, b_, i);
            transfer(b_, a_, i);
        }
        fmt::print("nice_relay: OK: {} messages each way through the relay\n", messages_);
    }

    // Closes both agents (their TURN allocations are released with Refresh
    // LIFETIME 0), waiting at most two seconds. Never throws.
    void close() {
        // The close callbacks run on the thread-default context of the caller.
        g_main_context_push_thread_default(context_.get());
        unsigned pending = 0;
        auto closed = [](GObject*, GAsyncResult*, gpointer data) {
            --*static_cast<unsigned*>(data);
        };
        for (Side* side : {&a_, &b_}) {
            if (side->agent) {
                ++pending;
                nice_agent_close_async(side->agent.get(), closed, &pending);
            }
        }
        int64_t give_up = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
        while (pending > 0 && g_get_monotonic_time() < give_up) {
            tick();
        }
        g_main_context_pop_thread_default(context_.get());
        if (pending > 0) {
            // The callbacks still point at `pending`: keep the agents (and so
            // the callbacks) from ever running by leaking them.
            for (Side* side : {&a_, &b_}) {
                (void)side->agent.release();
            }
        }
    }

  private:
    void setup(Side& side, bool relay_only) {
        side.agent.reset(nice_agent_new(context_.get(), NICE_COMPATIBILITY_RFC5245));
        if (!side.agent) {
            throw Failure("nice_agent_new failed");
        }
        // No TCP candidates, no UPnP; quick STUN retransmissions, so a dead
        // relay fails the test well within its timeout.
        g_object_set(side.agent.get(), "controlling-mode", relay_only ? TRUE : FALSE, "force-relay",
                     relay_only ? TRUE : FALSE, "ice-tcp", FALSE, "upnp", FALSE,
                     "stun-initial-timeout", 200u, nullptr);
        NiceAddress local;
        nice_address_init(&local);
        if (!nice_address_set_from_string(&local, "127.0.0.1") ||
            !nice_agent_add_local_address(side.agent.get(), &local)) {
            throw Failure(
                fmt::format("{}: nice_agent_add_local_address 127.0.0.1 failed", side.name));
        }
        side.stream = nice_agent_add_stream(side.agent.get(), 1);
        if (side.stream == 0) {
            throw Failure(fmt::format("{}: nice_agent_add_stream failed", side.name));
        }
        g_signal_connect(side.agent.get(), "candidate-gathering-done",
                         G_CALLBACK(on_gathering_done), &side);
        g_signal_connect(side.agent.get(), "component-state-changed", G_CALLBACK(on_state_changed),
                         &side);
        if (!nice_agent_attach_recv(side.agent.get(), side.stream, component, context_.get(),
                                    on_receive, &side)) {
            throw Failure(fmt::format("{}: nice_agent_attach_recv failed", side.name));
        }
    }

    void check_candidates() {
        CandidateList a(nice_agent_get_local_candidates(a_.agent.get(), a_.stream, component));
        CandidateList b(nice_agent_get_local_candidates(b_.agent.get(), b_.stream, component));
        unsigned relayed = 0;
        for (GSList* l = a.get(); l != nullptr; l = l->next) {
            auto* c = static_cast<NiceCandidate*>(l->data);
            fmt::print("nice_relay: A candidate {}\n", describe(c));
            if (c->type != NICE_CANDIDATE_TYPE_RELAYED) {
                throw Failure(
                    fmt::format("A has a {} candidate although force-relay is set", describe(c)));
            }
            ++relayed;
        }
        if (relayed == 0) {
            throw Failure(fmt::format(
                "A gathered no relayed candidate: the TURN server {}:{} refused or did not "
                "answer the allocation (user {})",
                turn_ip_, turn_port_, user_));
        }
        if (b.get() == nullptr) {
            throw Failure("B gathered no candidate on 127.0.0.1");
        }
        for (GSList* l = b.get(); l != nullptr; l = l->next) {
            auto* c = static_cast<NiceCandidate*>(l->data);
            fmt::print("nice_relay: B candidate {}\n", describe(c));
        }
    }

    // Gives `to` the credentials and candidates of `from`.
    void exchange(Side& from, Side& to) {
        gchar* ufrag = nullptr;
        gchar* pwd = nullptr;
        if (!nice_agent_get_local_credentials(from.agent.get(), from.stream, &ufrag, &pwd)) {
            throw Failure(fmt::format("{}: no local credentials", from.name));
        }
        GString_ ufrag_owner(ufrag);
        GString_ pwd_owner(pwd);
        if (!nice_agent_set_remote_credentials(to.agent.get(), to.stream, ufrag, pwd)) {
            throw Failure(fmt::format("{}: nice_agent_set_remote_credentials failed", to.name));
        }
        CandidateList candidates(
            nice_agent_get_local_candidates(from.agent.get(), from.stream, component));
        int added = nice_agent_set_remote_candidates(to.agent.get(), to.stream, component,
                                                     candidates.get());
        if (added < 1) {
            throw Failure(fmt::format("{}: took none of {}'s candidates", to.name, from.name));
        }
    }

    void check_selected_pair() {
        NiceCandidate* local = nullptr;
        NiceCandidate* remote = nullptr;
        if (!nice_agent_get_selected_pair(a_.agent.get(), a_.stream, component, &local, &remote)) {
            throw Failure("A has no selected pair although READY");
        }
        fmt::print("nice_relay: A selected pair: local {} <-> remote {}\n", describe(local),
                   describe(remote));
        if (local->type != NICE_CANDIDATE_TYPE_RELAYED) {
            throw Failure(
                fmt::format("A's selected local candidate is {}, not relayed", describe(local)));
        }
    }

    // Sends message i from one side and waits for it to arrive intact on the
    // other, sending it again (at most three times) if it does not.
    void transfer(Side& from, Side& to, unsigned i) {
        std::string message = fmt::format("{} -> {} message {} ", from.name, to.name, i);
        for (unsigned k = 0; message.size() < 200 + i * 37; ++k) {
            message.push_back(static_cast<char>((i * 131 + k * 7) & 0xFF));
        }
        for (int attempt = 1; attempt <= 3; ++attempt) {
            int sent = nice_agent_send(from.agent.get(), from.stream, component,
                                       static_cast<guint>(message.size()), message.data());
            if (sent != static_cast<int>(message.size())) {
                throw Failure(fmt::format("{}: nice_agent_send of message {} returned {}",
                                          from.name, i, sent));
            }
            int64_t give_up = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
            while (g_get_monotonic_time() < give_up) {
                for (const auto& got : to.received) {
                    if (got == message) {
                        to.received.clear();
                        return;
                    }
                }
                iterate(std::string("message ") + std::to_string(i));
            }
        }
        std::string seen;
        for (const auto& got : to.received) {
            seen += fmt::format(" [{} bytes]", got.size());
        }
        throw Failure(
            fmt::format("{}: message {} ({} bytes) from {} never arrived intact "
                        "(received instead:{})",
                        to.name, i, message.size(), from.name, seen.empty() ? " nothing" : seen));
    }

    // One pass of the main context, bounded so the deadline is always checked.
    void iterate(const std::string& waiting_for) {
        if (g_get_monotonic_time() >= deadline_us_) {
            throw Failure(fmt::format("timed out waiting for {} (A {}, B {})", waiting_for,
                                      nice_component_state_to_string(a_.state),
                                      nice_component_state_to_string(b_.state)));
        }
        tick();
    }

    // One blocking pass of the main context, woken after 20 ms at the latest.
    void tick() {
        GSource* timer = g_timeout_source_new(20);
        g_source_set_callback(
            timer, [](gpointer) -> gboolean { return G_SOURCE_REMOVE; }, nullptr, nullptr);
        g_source_attach(timer, context_.get());
        g_main_context_iteration(context_.get(), TRUE);
        g_source_destroy(timer);
        g_source_unref(timer);
    }

    void wait(const std::string& what, const std::function<bool()>& done) {
        while (!done()) {
            iterate(what);
        }
    }

    std::unique_ptr<GMainContext, MainContextUnref> context_;
    std::string turn_ip_;
    guint turn_port_;
    std::string user_;
    std::string password_;
    unsigned messages_;
    int64_t deadline_us_;
    // Declared after the context so the agents go first.
    Side a_;
    Side b_;
};

unsigned parse_unsigned(std::string_view text, std::string_view name, unsigned low, unsigned high) {
    unsigned value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || value < low || value > high) {
        throw std::invalid_argument(
            fmt::format("{} must be a number from {} to {}, not '{}'", name, low, high, text));
    }
    return value;
}

}  // namespace

int main(int argc, char** argv) {
    constexpr std::string_view usage =
        "usage: nice_relay TURN_IP TURN_PORT USER PASSWORD [--timeout S] [--messages N]\n";
    unsigned timeout = 20;
    unsigned messages = 5;
    std::vector<std::string_view> positional;
    try {
        for (int i = 1; i < argc; ++i) {
            std::string_view arg = argv[i];
            if (arg == "--timeout" && i + 1 < argc) {
                timeout = parse_unsigned(argv[++i], "--timeout", 1, 600);
            } else if (arg == "--messages" && i + 1 < argc) {
                messages = parse_unsigned(argv[++i], "--messages", 1, 1000);
            } else if (arg.starts_with("--")) {
                throw std::invalid_argument(fmt::format("unknown option {}", arg));
            } else {
                positional.push_back(arg);
            }
        }
        if (positional.size() != 4) {
            throw std::invalid_argument("expected TURN_IP TURN_PORT USER PASSWORD");
        }
    } catch (const std::invalid_argument& e) {
        fmt::print(stderr, "nice_relay: {}\n{}", e.what(), usage);
        return 2;
    }
    std::string turn_ip(positional[0]);
    if (turn_ip != "127.0.0.1" && turn_ip.rfind("127.", 0) != 0) {
        fmt::print(stderr, "nice_relay: the TURN server must be on 127.0.0.0/8, not {}\n", turn_ip);
        return 2;
    }
    // The backstop: whatever libnice does, the process ends a little after
    // the timeout (SIGALRM's default action ends it).
    alarm(timeout + 5);
    try {
        unsigned port = parse_unsigned(positional[1], "TURN_PORT", 1, 65535);
        Test test(turn_ip, port, std::string(positional[2]), std::string(positional[3]), messages,
                  g_get_monotonic_time() + int64_t{timeout} * G_USEC_PER_SEC);
        int status = 0;
        try {
            test.run();
        } catch (const std::exception& e) {
            fmt::print(stderr, "nice_relay: FAILED: {}\n", e.what());
            status = 1;
        }
        test.close();
        return status;
    } catch (const std::exception& e) {
        fmt::print(stderr, "nice_relay: FAILED: {}\n", e.what());
        return 1;
    }
}
