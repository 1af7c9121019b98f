#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <string>
#include <vector>

namespace turnpike::signal {

// What `report {reason}` records: who reported whom, from where, why, and the
// last lines of their chat as the moderator's evidence.
struct Report {
    std::chrono::system_clock::time_point at;
    std::string reporter_session;
    std::string reporter_ip;
    std::string reported_session;
    std::string reported_ip;
    std::string reason;
    std::vector<std::string> transcript;  // "me: ..." / "them: ..." from the reporter's side
};

// Where reports go. The admin component replaces the in-memory store with a
// durable one; the signal server only ever adds.
class ReportStore {
  public:
    virtual ~ReportStore() = default;
    virtual void add(Report report) = 0;
    virtual std::vector<Report> recent(size_t limit) const = 0;
    virtual size_t size() const = 0;
};

// The newest `capacity` reports, lost on restart.
class MemoryReportStore final : public ReportStore {
  public:
    explicit MemoryReportStore(size_t capacity = 10000) : capacity_(capacity) {}
    void add(Report report) override;
    std::vector<Report> recent(size_t limit) const override;
    size_t size() const override { return reports_.size(); }

  private:
    size_t capacity_;
    std::deque<Report> reports_;
};

}  // namespace turnpike::signal
