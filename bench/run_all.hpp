#pragma once
// Runs a load generator's parts (threads of load, each with its own sockets)
// at once, one thread each.

#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace bench {

// Calls `body(part)` for every element of `parts`, each on a thread of its
// own; once all have ended, rethrows the first failure.
template <typename Parts, typename Body>
void run_all(Parts& parts, Body body) {
    std::vector<std::thread> running;
    std::exception_ptr failure;
    std::mutex failure_mutex;
    for (auto& part : parts) {
        running.emplace_back([&part, &body, &failure, &failure_mutex] {
            try {
                body(part);
            } catch (...) {
                std::lock_guard lock(failure_mutex);
                if (!failure) {
                    failure = std::current_exception();
                }
            }
        });
    }
    for (auto& r : running) {
        r.join();
    }
    if (failure) {
        std::rethrow_exception(failure);
    }
}

}  // namespace bench
