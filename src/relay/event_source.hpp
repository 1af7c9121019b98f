#pragma once

#include <cstdint>

namespace turnpike::relay {

// Whatever a worker's epoll set points at: epoll_event.data.ptr holds one.
class EventSource {
  public:
    virtual ~EventSource() = default;
    virtual void on_events(uint32_t events) = 0;
};

}  // namespace turnpike::relay
